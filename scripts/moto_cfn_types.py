"""Resource types moto's CloudFormation does not create, made as AWS creates them.

moto skips a resource type it has no model for (a warning, no resource), and then fails
the stack on the first `Fn::GetAtt` to it. macie-guard's stack has three: its alarms and its
EventBridge Scheduler group and schedules. Each model below creates the real resource in
moto's own backend (so that DescribeAlarms and GetSchedule see it) with the physical id and
attributes CloudFormation documents (CloudFormation User Guide, "AWS::CloudWatch::Alarm",
"AWS::Scheduler::Schedule", "AWS::Scheduler::ScheduleGroup": `Ref` returns the name; `Arn`).
`install()` registers them before moto's CloudFormation reads its first template.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel


# moto files each model under the service its module names (`moto.<service>...`).
_MODULE = "moto.cloudformation.macie_guard_types"


class _Named:
    """A resource CloudFormation refers to by its name, with an `Arn` attribute. (A mixin:
    moto finds models among CloudFormationModel's direct subclasses.)"""

    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        cls.delete_from_cloudformation_json(
            original_resource.name, cloudformation_json, account_id, region_name
        )
        return cls.create_from_cloudformation_json(
            original_resource.name, cloudformation_json, account_id, region_name
        )


class CloudWatchAlarm(_Named, CloudFormationModel):
    __module__ = _MODULE

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "CloudWatchAlarm":
        from moto.cloudwatch.models import (
            Dimension,
            Metric,
            MetricDataQuery,
            MetricStat,
            cloudwatch_backends,
        )

        p = cloudformation_json["Properties"]
        name = p.get("AlarmName") or resource_name
        queries = None
        if p.get("Metrics"):
            queries = []
            for m in p["Metrics"]:
                stat = m.get("MetricStat")
                metric_stat = None
                if stat:
                    metric = stat["Metric"]
                    metric_stat = MetricStat(
                        metric=Metric(
                            metric_name=metric["MetricName"],
                            namespace=metric["Namespace"],
                            dimensions=[
                                Dimension(d["Name"], d["Value"])
                                for d in metric.get("Dimensions", [])
                            ],
                        ),
                        period=stat.get("Period"),
                        stat=stat.get("Stat"),
                        unit=stat.get("Unit"),
                    )
                queries.append(
                    MetricDataQuery(
                        query_id=m["Id"],
                        label=m.get("Label"),
                        period=m.get("Period"),
                        return_data=m.get("ReturnData"),
                        expression=m.get("Expression"),
                        metric_stat=metric_stat,
                    )
                )
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p["Period"]) if p.get("Period") else None,
            threshold=float(p["Threshold"]) if p.get("Threshold") is not None else None,
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            metric_data_queries=queries,
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            ok_actions=p.get("OKActions", []),
            treat_missing_data=p.get("TreatMissingData"),
        )
        return cls(name, alarm.alarm_arn)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


class SchedulerScheduleGroup(_Named, CloudFormationModel):
    __module__ = _MODULE

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::ScheduleGroup"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "SchedulerScheduleGroup":
        from moto.scheduler.models import scheduler_backends

        name = cloudformation_json["Properties"].get("Name") or resource_name
        group = scheduler_backends[account_id][region_name].create_schedule_group(
            name=name, tags=[]
        )
        return cls(name, group.arn)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        from moto.scheduler.models import scheduler_backends

        scheduler_backends[account_id][region_name].delete_schedule_group(resource_name)


class SchedulerSchedule(_Named, CloudFormationModel):
    __module__ = _MODULE

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "SchedulerSchedule":
        from moto.scheduler.models import scheduler_backends

        p = cloudformation_json["Properties"]
        # CloudFormation's generated names are cut to the schedule's limit (64 characters).
        name = (p.get("Name") or resource_name)[:64]
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=p.get("Description"),
            end_date=p.get("EndDate"),
            flexible_time_window=p.get("FlexibleTimeWindow", {"Mode": "OFF"}),
            group_name=p.get("GroupName"),
            kms_key_arn=p.get("KmsKeyArn"),
            name=name,
            schedule_expression=p["ScheduleExpression"],
            schedule_expression_timezone=p.get("ScheduleExpressionTimezone"),
            start_date=p.get("StartDate"),
            state=p.get("State", "ENABLED"),
            target=p["Target"],
            action_after_completion=None,
        )
        return cls(name, schedule.arn)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        from moto.scheduler.models import scheduler_backends

        group = cloudformation_json["Properties"].get("GroupName")
        scheduler_backends[account_id][region_name].delete_schedule(group, resource_name)


def install() -> None:
    """The models above are subclasses of CloudFormationModel: defining them registers them.
    moto caches its type map on first use, so this runs before the first template."""
    from moto.cloudformation import parsing

    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
