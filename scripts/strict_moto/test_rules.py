"""Each rule of the strictness layer (this package), on its own: what AWS refuses is refused,
what AWS accepts still works. One moto server in this process, on a free loopback port, with
the layer in front, driven through boto3 (moto's own dependency).

Run: .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import strict_moto  # noqa: E402
from moto_server import StrictMotoServer  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
PRODUCT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
URL = ""


def setUpModule() -> None:
    global URL, SERVER
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    strict_moto.install()
    SERVER = StrictMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    SERVER.start()
    host, port = SERVER.get_host_and_port()
    URL = f"http://{host}:{port}"


def tearDownModule() -> None:
    SERVER.stop()


def client(service: str, region: str = REGION, key: str = "testing"):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=URL,
        aws_access_key_id=key,
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def control(method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def finding(i: str = "macie-guard/export/x/KEY_DISABLED", **over) -> dict:
    f = {
        "SchemaVersion": "2018-10-08",
        "Id": i,
        "ProductArn": PRODUCT,
        "GeneratorId": "macie-guard/KEY_DISABLED",
        "AwsAccountId": ACCOUNT,
        "CreatedAt": "2026-11-01T00:00:00.000Z",
        "UpdatedAt": "2026-11-01T00:00:00.000Z",
        "Title": "t",
        "Description": "d",
        "Types": ["Software and Configuration Checks/AWS Security Best Practices/Macie"],
        "Severity": {"Label": "MEDIUM"},
        "FindingProviderFields": {"Severity": {"Label": "MEDIUM"}, "Types": ["Software and Configuration Checks/AWS Security Best Practices/Macie"]},
        "Resources": [{"Type": "Other", "Id": "arn:aws:macie2:us-east-1:123456789012:export-configuration"}],
    }
    f.update(over)
    return f


class SecurityHub(unittest.TestCase):
    region = "eu-central-1"

    def setUp(self) -> None:
        self.hub = client("securityhub", self.region)
        try:
            self.hub.disable_security_hub()
        except ClientError:
            pass
        self.hub.enable_security_hub()
        self.product = f"arn:aws:securityhub:{self.region}:{ACCOUNT}:product/{ACCOUNT}/default"

    def f(self, **over) -> dict:
        return finding(ProductArn=self.product, **over)

    def one(self, i: str = "macie-guard/export/x/KEY_DISABLED") -> dict:
        got = self.hub.get_findings(Filters={"Id": [{"Value": i, "Comparison": "EQUALS"}]})["Findings"]
        self.assertEqual(len(got), 1)
        return got[0]

    def test_not_enabled_is_invalid_access(self) -> None:
        hub = client("securityhub", "ap-south-1")
        for call in (
            lambda: hub.batch_import_findings(Findings=[finding()]),
            lambda: hub.get_findings(),
            lambda: hub.batch_update_findings(
                FindingIdentifiers=[{"Id": "x", "ProductArn": PRODUCT}], Workflow={"Status": "RESOLVED"}
            ),
        ):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(code(e.exception), "InvalidAccessException")
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 401)

    def test_limits_refuse_the_finding(self) -> None:
        cases = {
            "Title": self.f(Title="x" * 257),
            "Description": self.f(Description="x" * 1025),
            "blank": self.f(Title="  "),
            "Recommendation": self.f(Remediation={"Recommendation": {"Text": "x" * 513}}),
            "ProductFields value": self.f(ProductFields={"k": "x" * 2049}),
            "ProductFields count": self.f(ProductFields={f"k{i}": "v" for i in range(51)}),
            "Resources": self.f(Resources=[]),
            "33 resources": self.f(Resources=[{"Type": "Other", "Id": str(i)} for i in range(33)]),
            "size": self.f(ProductFields={f"k{i}": "x" * 2048 for i in range(50)}, Description="d" * 1000, Note={"Text": "x" * 200000, "UpdatedBy": "me", "UpdatedAt": "2026-11-01T00:00:00Z"}),
            "Types": self.f(Types=["Not a namespace/x/y"]),
            "Severity": self.f(Severity={"Label": "SEVERE"}),
            "no time zone": self.f(UpdatedAt="2026-11-01T00:00:00"),
            "another account": self.f(AwsAccountId="210987654321"),
        }
        for name, f in cases.items():
            with self.subTest(name):
                out = self.hub.batch_import_findings(Findings=[f])
                self.assertEqual(out["FailedCount"], 1, name)
                self.assertEqual(self.hub.get_findings()["Findings"], [], name)
        ok = self.hub.batch_import_findings(Findings=[self.f(Title="x" * 256, Description="x" * 1024)])
        self.assertEqual(ok["FailedCount"], 0)

    def test_at_most_100_findings_a_request(self) -> None:
        with self.assertRaises(ClientError) as e:
            self.hub.batch_import_findings(Findings=[self.f(Id=f"f{i}") for i in range(101)])
        self.assertEqual(code(e.exception), "InvalidInputException")

    def test_a_finding_goes_to_the_region_of_the_request_only(self) -> None:
        # Another Region's product ARN is refused; Region is filled in from the request.
        out = self.hub.batch_import_findings(Findings=[finding()])
        self.assertEqual(out["FailedCount"], 1)
        self.assertIn("not this Region's product", out["FailedFindings"][0]["ErrorMessage"])
        self.hub.batch_import_findings(Findings=[self.f(Region="us-east-1")])
        self.assertEqual(self.one()["Region"], self.region)
        other = client("securityhub", "us-east-1")
        other.enable_security_hub()
        self.assertEqual(other.get_findings()["Findings"], [])

    def test_an_update_ignores_workflow_and_the_customer_fields(self) -> None:
        self.hub.batch_import_findings(Findings=[self.f()])
        self.assertEqual(self.one()["Workflow"]["Status"], "NEW")
        self.hub.batch_import_findings(
            Findings=[
                self.f(
                    UpdatedAt="2026-11-02T00:00:00Z",
                    Workflow={"Status": "RESOLVED"},
                    Note={"Text": "n", "UpdatedBy": "p", "UpdatedAt": "2026-11-02T00:00:00Z"},
                    UserDefinedFields={"a": "b"},
                    VerificationState="FALSE_POSITIVE",
                    RecordState="ARCHIVED",
                    Title="new title",
                )
            ]
        )
        got = self.one()
        self.assertEqual(got["Workflow"]["Status"], "NEW")
        self.assertNotIn("Note", got)
        self.assertNotIn("UserDefinedFields", got)
        self.assertNotIn("VerificationState", got)
        self.assertEqual((got["RecordState"], got["Title"]), ("ARCHIVED", "new title"))

    def test_severity_changes_through_finding_provider_fields(self) -> None:
        self.hub.batch_import_findings(Findings=[self.f()])
        # Top-level Severity in an update is not the provider's field.
        self.hub.batch_import_findings(Findings=[self.f(UpdatedAt="2026-11-02T00:00:00Z", Severity={"Label": "CRITICAL"}, FindingProviderFields={})])
        self.assertEqual(self.one()["Severity"]["Label"], "MEDIUM")
        self.hub.batch_import_findings(
            Findings=[self.f(UpdatedAt="2026-11-03T00:00:00Z", FindingProviderFields={"Severity": {"Label": "CRITICAL"}})]
        )
        self.assertEqual(self.one()["Severity"]["Label"], "CRITICAL")
        # A customer's severity stands against the provider's later ones.
        self.hub.batch_update_findings(
            FindingIdentifiers=[{"Id": "macie-guard/export/x/KEY_DISABLED", "ProductArn": self.product}],
            Severity={"Label": "LOW"},
        )
        self.hub.batch_import_findings(
            Findings=[self.f(UpdatedAt="2026-11-04T00:00:00Z", FindingProviderFields={"Severity": {"Label": "HIGH"}})]
        )
        got = self.one()
        self.assertEqual(got["Severity"]["Label"], "LOW")
        self.assertEqual(got["FindingProviderFields"]["Severity"]["Label"], "HIGH")

    def test_an_update_that_is_not_later_is_ignored(self) -> None:
        self.hub.batch_import_findings(Findings=[self.f(UpdatedAt="2026-11-05T00:00:00Z")])
        self.hub.batch_import_findings(Findings=[self.f(UpdatedAt="2026-11-05T00:00:00Z", Title="same time")])
        self.hub.batch_import_findings(Findings=[self.f(UpdatedAt="2026-11-04T00:00:00Z", Title="older")])
        self.assertEqual(self.one()["Title"], "t")

    def test_archived_to_active_reopens_resolved_and_notified_not_suppressed(self) -> None:
        for status, after in (("RESOLVED", "NEW"), ("NOTIFIED", "NEW"), ("SUPPRESSED", "SUPPRESSED")):
            with self.subTest(status):
                i = f"macie-guard/export/x/{status}"
                self.hub.batch_import_findings(Findings=[self.f(Id=i)])
                self.hub.batch_import_findings(Findings=[self.f(Id=i, UpdatedAt="2026-11-02T00:00:00Z", RecordState="ARCHIVED")])
                self.hub.batch_update_findings(
                    FindingIdentifiers=[{"Id": i, "ProductArn": self.product}], Workflow={"Status": status}
                )
                got = self.one(i)
                self.assertEqual(got["Workflow"]["Status"], status)
                self.assertEqual(got["UpdatedAt"], "2026-11-02T00:00:00Z", "BatchUpdateFindings keeps UpdatedAt")
                self.hub.batch_import_findings(Findings=[self.f(Id=i, UpdatedAt="2026-11-03T00:00:00Z", RecordState="ACTIVE")])
                self.assertEqual(self.one(i)["Workflow"]["Status"], after)

    def test_batch_update_findings_is_for_the_accounts_own_findings(self) -> None:
        self.hub.batch_import_findings(Findings=[self.f()])
        out = self.hub.batch_update_findings(
            FindingIdentifiers=[
                {"Id": "macie-guard/export/x/KEY_DISABLED", "ProductArn": self.product},
                {"Id": "not-there", "ProductArn": self.product},
            ],
            Workflow={"Status": "RESOLVED"},
        )
        self.assertEqual(len(out["ProcessedFindings"]), 1)
        self.assertEqual(out["UnprocessedFindings"][0]["ErrorCode"], "FindingNotFound")
        with self.assertRaises(ClientError) as e:
            self.hub.batch_update_findings(
                FindingIdentifiers=[{"Id": "x", "ProductArn": self.product}], Workflow={"Status": "DONE"}
            )
        self.assertEqual(code(e.exception), "InvalidInputException")

    def test_get_findings_filters_and_pages(self) -> None:
        self.hub.batch_import_findings(Findings=[self.f(Id=f"macie-guard/job/{i:03}") for i in range(30)] + [self.f(Id="other/1")])
        self.hub.batch_import_findings(Findings=[self.f(Id="macie-guard/job/000", UpdatedAt="2026-11-02T00:00:00Z", RecordState="ARCHIVED")])
        filters = {
            "Id": [{"Value": "macie-guard/job/", "Comparison": "PREFIX"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        }
        ids, token = [], None
        while True:
            kw = {"Filters": filters, "MaxResults": 7}
            if token:
                kw["NextToken"] = token
            page = self.hub.get_findings(**kw)
            ids += [f["Id"] for f in page["Findings"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(sorted(ids), [f"macie-guard/job/{i:03}" for i in range(1, 30)])
        with self.assertRaises(ClientError):
            self.hub.get_findings(Filters={"Id": [{"Value": str(i), "Comparison": "EQUALS"} for i in range(21)]})
        with self.assertRaises(ClientError):
            self.hub.get_findings(MaxResults=101)


class EventBridge(unittest.TestCase):
    def setUp(self) -> None:
        self.events = client("events")

    def entry(self, detail: str = '{"a": 1}', **over) -> dict:
        e = {"Source": "macie-guard", "DetailType": "Macie Guard Job Decision", "Detail": detail}
        e.update(over)
        return e

    def test_entries_per_request(self) -> None:
        for n in (0, 11):
            with self.subTest(n), self.assertRaises(Exception):
                self.events.put_events(Entries=[self.entry()] * n)
        self.assertEqual(self.events.put_events(Entries=[self.entry()] * 10)["FailedEntryCount"], 0)

    def test_request_size(self) -> None:
        big = json.dumps({"x": "y" * (130 * 1024)})
        with self.assertRaises(ClientError) as e:
            self.events.put_events(Entries=[self.entry(big), self.entry(big)])
        self.assertEqual(code(e.exception), "ValidationException")
        self.assertEqual(self.events.put_events(Entries=[self.entry(big)])["FailedEntryCount"], 0)

    def test_per_entry_failures(self) -> None:
        out = self.events.put_events(Entries=[self.entry("[1]"), self.entry(), self.entry(Source="aws.macie")])
        self.assertEqual(out["FailedEntryCount"], 2)
        codes = [e.get("ErrorCode") for e in out["Entries"]]
        self.assertEqual(codes, ["MalformedDetail", None, "NotAuthorizedForSourceException"])
        self.assertIn("EventId", out["Entries"][1])


class BusTargets(unittest.TestCase):
    """A rule targeting a bus in another Region, or in another account that admits this one by
    its organization, names a role; a bus that admits the account by its id needs none."""

    def other_account(self, account: str):
        c = client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/testkit", RoleSessionName="tt")["Credentials"]
        return boto3.client(
            "events", region_name=REGION, endpoint_url=URL, aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"],
        )

    def test_a_bus_target_elsewhere_names_a_role(self) -> None:
        hub = client("events")
        hub.create_event_bus(Name="hub-by-org")
        hub.put_permission(EventBusName="hub-by-org", StatementId="org", Action="events:PutEvents", Principal="*",
                           Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-abcdefghij"})
        hub.create_event_bus(Name="hub-by-id")
        hub.put_permission(EventBusName="hub-by-id", StatementId="acct", Action="events:PutEvents", Principal="222233334444")
        member = self.other_account("222233334444")
        member.put_rule(Name="forward", EventPattern=json.dumps({"source": ["aws.health"]}))
        by_org = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/hub-by-org"
        with self.assertRaises(ClientError) as e:
            member.put_targets(Rule="forward", Targets=[{"Id": "hub", "Arn": by_org}])
        self.assertEqual(code(e.exception), "ValidationException")
        role = "arn:aws:iam::222233334444:role/forward"
        member.put_targets(Rule="forward", Targets=[{"Id": "hub", "Arn": by_org, "RoleArn": role}])
        member.put_targets(Rule="forward", Targets=[{"Id": "byid", "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/hub-by-id"}])
        # Another Region: a role, whoever admits whom.
        with self.assertRaises(ClientError) as e:
            member.put_targets(Rule="forward", Targets=[{"Id": "far", "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/hub-by-id"}])
        self.assertEqual(code(e.exception), "ValidationException")
        ids = {t["Id"] for t in member.list_targets_by_rule(Rule="forward")["Targets"]}
        self.assertEqual(ids, {"hub", "byid"})


class Sqs(unittest.TestCase):
    def test_a_standard_queue_answers_in_no_fixed_order(self) -> None:
        sqs = client("sqs")
        url = sqs.create_queue(QueueName="strict-order")["QueueUrl"]
        for i in range(30):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
        seen: set[str] = set()
        for _ in range(40):
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            seen.update(m["Body"] for m in out.get("Messages", []))
        # moto alone answers the same ten every time; AWS samples.
        self.assertGreater(len(seen), 10)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "0", "VisibilityTimeout=0 hides nothing")

    def test_a_fifo_queue_keeps_its_order(self) -> None:
        sqs = client("sqs")
        url = sqs.create_queue(QueueName="strict-order.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        for i in range(5):
            sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g")
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        self.assertEqual([m["Body"] for m in out["Messages"]], ["0", "1", "2", "3", "4"])


class Sns(unittest.TestCase):
    def setUp(self) -> None:
        self.sns = client("sns")
        self.topic = self.sns.create_topic(Name="strict")["TopicArn"]

    def refused(self, **kw) -> str:
        with self.assertRaises(ClientError) as e:
            self.sns.publish(TopicArn=self.topic, **kw)
        self.assertEqual(code(e.exception), "InvalidParameter")
        return e.exception.response["Error"]["Message"]

    def test_message_size_counts_bytes_and_attributes(self) -> None:
        self.refused(Message="é" * 131_073)  # 262,146 bytes, 131,073 characters
        attrs = {"kind": {"DataType": "String", "StringValue": "x" * 100}}
        self.refused(Message="x" * 262_100, MessageAttributes=attrs)
        self.sns.publish(TopicArn=self.topic, Message="x" * 262_144)

    def test_subject(self) -> None:
        for subject in ("x" * 100, "two\nlines", "tab\there", ""):
            with self.subTest(subject):
                self.refused(Message="m", Subject=subject)
        self.sns.publish(TopicArn=self.topic, Message="m", Subject="Macie: 1 changed, é" + "x" * 79)

    def test_message_structure_json(self) -> None:
        self.assertIn("failed to parse", self.refused(Message="not json", MessageStructure="json"))
        self.assertIn("No default", self.refused(Message='{"https": "x"}', MessageStructure="json"))
        self.assertIn("No default", self.refused(Message='{"default": {"a": 1}}', MessageStructure="json"))
        self.refused(Message='{"default": "x", "https": {"a": 1}}', MessageStructure="json")
        self.sns.publish(TopicArn=self.topic, Message='{"default": "x", "https": "{}"}', MessageStructure="json")


class DynamoDb(unittest.TestCase):
    def test_conditional_writes_are_atomic(self) -> None:
        db = client("dynamodb")
        db.create_table(
            TableName="atomic",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        wins = []

        def claim(who: str) -> None:
            try:
                client("dynamodb").put_item(
                    TableName="atomic",
                    Item={"k": {"S": "job"}, "owner": {"S": who}},
                    ConditionExpression="attribute_not_exists(k)",
                )
                wins.append(who)
            except ClientError as e:
                assert code(e) == "ConditionalCheckFailedException"

        threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(wins), 1)


class StsAndOrganizations(unittest.TestCase):
    def test_assume_role_needs_the_role_and_its_trust(self) -> None:
        iam = client("iam", key="testing")
        sts = client("sts")
        arn = f"arn:aws:iam::{ACCOUNT}:role/macie-guard-read-us-east-1"
        with self.assertRaises(ClientError) as e:
            sts.assume_role(RoleArn=arn, RoleSessionName="ss")
        self.assertEqual(code(e.exception), "AccessDenied")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]}
        iam.create_role(RoleName="macie-guard-read-us-east-1", AssumeRolePolicyDocument=json.dumps(trust))
        with self.assertRaises(ClientError) as e:
            sts.assume_role(RoleArn=arn, RoleSessionName="ss")
        self.assertEqual(code(e.exception), "AccessDenied", "the trust policy names another account")
        trust["Statement"][0]["Principal"]["AWS"] = f"arn:aws:iam::{ACCOUNT}:root"
        iam.update_assume_role_policy(RoleName="macie-guard-read-us-east-1", PolicyDocument=json.dumps(trust))
        self.assertIn("Credentials", sts.assume_role(RoleArn=arn, RoleSessionName="ss"))

    def test_a_trust_naming_a_role_admits_that_roles_sessions_alone(self) -> None:
        iam = client("iam", key="testing")
        root = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
        for name in ("hub-function", "another-function"):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(root))

        def sts_as(name: str):
            c = client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}", RoleSessionName="fn")["Credentials"]
            return boto3.client(
                "sts", region_name=REGION, endpoint_url=URL, aws_access_key_id=c["AccessKeyId"],
                aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"],
            )

        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/hub-function"]}}]}
        iam.create_role(RoleName="macie-guard-member-t", AssumeRolePolicyDocument=json.dumps(trust))
        arn = f"arn:aws:iam::{ACCOUNT}:role/macie-guard-member-t"
        with self.assertRaises(ClientError) as e:
            sts_as("another-function").assume_role(RoleArn=arn, RoleSessionName="ss")
        self.assertEqual(code(e.exception), "AccessDenied", "another role of the same account")
        with self.assertRaises(ClientError) as e:
            client("sts").assume_role(RoleArn=arn, RoleSessionName="ss")
        self.assertEqual(code(e.exception), "AccessDenied", "the account's other principals")
        self.assertIn("Credentials", sts_as("hub-function").assume_role(RoleArn=arn, RoleSessionName="ss"))
        # Conditioned on an organization the caller is not in: refused.
        trust["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}}
        iam.update_assume_role_policy(RoleName="macie-guard-member-t", PolicyDocument=json.dumps(trust))
        with self.assertRaises(ClientError) as e:
            sts_as("hub-function").assume_role(RoleArn=arn, RoleSessionName="ss")
        self.assertEqual(code(e.exception), "AccessDenied", "outside the organization named")

    def test_faults_answer_as_the_service_does(self) -> None:
        control("POST", "/_strict/faults", {"service": "sts", "action": "GetCallerIdentity", "code": "Throttling", "status": 400, "message": "Rate exceeded", "times": 1})
        with self.assertRaises(ClientError) as e:
            client("sts").get_caller_identity()
        self.assertEqual((code(e.exception), e.exception.response["Error"]["Message"]), ("Throttling", "Rate exceeded"))
        self.assertIn("Account", client("sts").get_caller_identity())
        control("POST", "/_strict/faults", {"service": "securityhub", "action": "GetFindings", "code": "TooManyRequestsException", "status": 429, "times": 1})
        with self.assertRaises(ClientError) as e:
            client("securityhub", "sa-east-1").get_findings()
        self.assertEqual(code(e.exception), "TooManyRequestsException")
        control("POST", "/_strict/faults", {"service": "events", "action": "PutEvents", "times": 1,
                                            "answer": {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "refused"}]}})
        out = client("events").put_events(Entries=[{"Source": "macie-guard", "DetailType": "x", "Detail": "{}"}])
        self.assertEqual((out["FailedEntryCount"], out["Entries"][0]["ErrorCode"]), (1, "InternalFailure"))
        control("DELETE", "/_strict/faults")

    def test_list_accounts_only_for_the_management_account_or_a_delegated_administrator(self) -> None:
        orgs = client("organizations")
        try:
            orgs.describe_organization()
        except ClientError:
            orgs.create_organization(FeatureSet="ALL")
        member = orgs.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
        admin = orgs.create_account(AccountName="a", Email="a@example.com")["CreateAccountStatus"]["AccountId"]
        orgs.register_delegated_administrator(AccountId=admin, ServicePrincipal="member.org.stacksets.cloudformation.amazonaws.com")
        sts = client("sts")

        def as_account(account: str):
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="tt")["Credentials"]
            return boto3.client(
                "organizations", region_name=REGION, endpoint_url=URL, aws_access_key_id=c["AccessKeyId"],
                aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"],
            )

        with self.assertRaises(ClientError) as e:
            as_account(member).list_accounts()
        self.assertEqual(code(e.exception), "AccessDeniedException")
        with self.assertRaises(ClientError) as e:
            as_account(member).describe_account(AccountId=admin)
        self.assertEqual(code(e.exception), "AccessDeniedException")
        self.assertEqual(as_account(admin).describe_account(AccountId=member)["Account"]["Id"], member)
        with self.assertRaises(ClientError) as e:
            orgs.describe_account(AccountId="999988887777")
        self.assertEqual(code(e.exception), "AccountNotFoundException")
        ids = {a["Id"] for a in as_account(admin).list_accounts()["Accounts"]}
        self.assertTrue({member, admin, ACCOUNT} <= ids)
        with self.assertRaises(ClientError) as e:
            orgs.list_accounts(MaxResults=21)
        self.assertEqual(code(e.exception), "InvalidInputException")


class TemplateSizes(unittest.TestCase):
    """TemplateBody at most 51,200 bytes; TemplateURL at most 460,800 bytes for a stack set,
    1 MB for a stack."""

    @staticmethod
    def template(size: int) -> str:
        base = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}, "Metadata": {"Pad": ""}}
        pad = size - len(json.dumps(base))
        base["Metadata"]["Pad"] = "x" * pad
        text = json.dumps(base)
        assert len(text) == size
        return text

    def test_inline_templates(self) -> None:
        cfn = client("cloudformation")
        with self.assertRaises(ClientError) as e:
            cfn.validate_template(TemplateBody=self.template(51_201))
        self.assertEqual(code(e.exception), "ValidationError")
        self.assertIn("51200", str(e.exception))
        with self.assertRaises(ClientError) as e:
            cfn.create_stack(StackName="too-big", TemplateBody=self.template(68_069))
        self.assertEqual(code(e.exception), "ValidationError")
        cfn.validate_template(TemplateBody=self.template(51_200))

    def test_templates_from_s3(self) -> None:
        s3 = client("s3")
        s3.create_bucket(Bucket="strict-templates")
        s3.put_object(Bucket="strict-templates", Key="big.json", Body=self.template(460_801).encode())
        s3.put_object(Bucket="strict-templates", Key="ok.json", Body=self.template(460_800).encode())
        url = "https://strict-templates.s3.amazonaws.com/{}"
        cfn = client("cloudformation")
        with self.assertRaises(ClientError) as e:
            cfn.create_stack_set(StackSetName="too-big-set", TemplateURL=url.format("big.json"))
        self.assertEqual(code(e.exception), "ValidationError")
        cfn.create_stack_set(StackSetName="fits-set", TemplateURL=url.format("ok.json"))
        # A stack takes up to 1 MB from S3.
        cfn.validate_template(TemplateURL=url.format("big.json"))


class StackSets(unittest.TestCase):
    TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})

    def test_call_as_trusted_access_and_never_the_management_account(self) -> None:
        # An organization of its own: a management account, a delegated administrator, a member.
        sts = client("sts")
        mgmt_key = "testing"  # the default account of the stand-in, as in the other tests
        orgs = client("organizations", key=mgmt_key)
        try:
            orgs.describe_organization()
        except ClientError:
            orgs.create_organization(FeatureSet="ALL")
        management = orgs.describe_organization()["Organization"]["MasterAccountId"]
        admin = orgs.create_account(AccountName="ss-admin", Email="ss-admin@example.com")["CreateAccountStatus"]["AccountId"]
        member = orgs.create_account(AccountName="ss-member", Email="ss-member@example.com")["CreateAccountStatus"]["AccountId"]
        root = orgs.list_roots()["Roots"][0]["Id"]

        def cfn_as(account: str):
            c = client("sts", key=mgmt_key).assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="ss")["Credentials"]
            return boto3.client("cloudformation", region_name=REGION, endpoint_url=URL, aws_access_key_id=c["AccessKeyId"],
                                aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"],
                                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))

        def create(cfn, name, call_as):
            return cfn.create_stack_set(StackSetName=name, TemplateBody=self.TEMPLATE, PermissionModel="SERVICE_MANAGED",
                                        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False}, CallAs=call_as)

        mgmt_cfn = client("cloudformation", key=mgmt_key)
        with self.assertRaises(ClientError) as e:
            create(mgmt_cfn, "no-trust", "SELF")
        self.assertIn("enable organizations access", e.exception.response["Error"]["Message"])
        orgs.enable_aws_service_access(ServicePrincipal=strict_moto.STACKSETS_PRINCIPAL)
        with self.assertRaises(ClientError) as e:
            create(cfn_as(admin), "not-yet", "DELEGATED_ADMIN")
        self.assertIn("not registered as a delegated administrator", e.exception.response["Error"]["Message"])
        orgs.register_delegated_administrator(AccountId=admin, ServicePrincipal=strict_moto.STACKSETS_PRINCIPAL)
        admin_cfn = cfn_as(admin)
        with self.assertRaises(ClientError) as e:
            create(admin_cfn, "as-self", "SELF")
        self.assertIn("DELEGATED_ADMIN", e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError):
            create(cfn_as(member), "member", "SELF")
        create(admin_cfn, "delegated", "DELEGATED_ADMIN")
        with self.assertRaises(ClientError) as e:
            admin_cfn.describe_stack_set(StackSetName="delegated")
        self.assertEqual(code(e.exception), "StackSetNotFoundException")
        admin_cfn.create_stack_instances(StackSetName="delegated", DeploymentTargets={"OrganizationalUnitIds": [root]},
                                         Regions=["us-east-1"], CallAs="DELEGATED_ADMIN")
        accounts = {i["Account"] for i in admin_cfn.list_stack_instances(StackSetName="delegated", CallAs="DELEGATED_ADMIN")["Summaries"]}
        self.assertIn(member, accounts)
        self.assertNotIn(management, accounts, "StackSets never deploy to the management account")
        create(mgmt_cfn, "own", "SELF")
        with self.assertRaises(ClientError):
            mgmt_cfn.describe_stack_set(StackSetName="own", CallAs="DELEGATED_ADMIN")

    def test_a_stack_created_while_instances_are_made_is_built(self) -> None:
        """Another request's stack, created while a stack set's instances are (which get no
        resources here), is built: the skip is the instances' thread's alone. Before, the skip
        replaced Stack.create_resources for every thread, and such a stack stayed
        CREATE_PENDING."""
        from moto.cloudformation import models

        # The flag create_instances sets in its thread, from the wrapper's closure.
        flag = next(
            c.cell_contents
            for c in models.Stack.create_resources.__closure__
            if isinstance(c.cell_contents, threading.local)
        )
        status = {}

        def another_request() -> None:
            cfn = client("cloudformation")
            cfn.create_stack(StackName="meanwhile", TemplateBody=self.TEMPLATE)
            status["meanwhile"] = cfn.describe_stacks(StackName="meanwhile")["Stacks"][0]["StackStatus"]

        flag.creating = True  # this thread is inside create_instances' window
        try:
            t = threading.Thread(target=another_request)
            t.start()
            t.join(30)
        finally:
            flag.creating = False
        self.assertEqual(status.get("meanwhile"), "CREATE_COMPLETE")

    def test_a_change_set_without_changes_is_failed_not_refused(self) -> None:
        cfn = client("cloudformation")
        cfn.create_stack(StackName="same", TemplateBody=self.TEMPLATE)
        out = cfn.create_change_set(StackName="same", ChangeSetName="again", TemplateBody=self.TEMPLATE, ChangeSetType="UPDATE")
        got = cfn.describe_change_set(ChangeSetName=out["Id"])
        self.assertEqual(got["Status"], "FAILED")
        self.assertIn("didn't contain changes", got["StatusReason"])


if __name__ == "__main__":
    unittest.main()
