//! Lambda function: the export configuration guard (schedule and CloudTrail changes), of one
//! account, or of an organization's hub (MEMBER_REGIONS set).

use lambda_runtime::{service_fn, LambdaEvent};
use macie_guard::export::lambda::ExportFunction;
use macie_guard::export::sources::AwsSources;
use macie_guard::hub::export::ExportHub;
use macie_guard::hub::members::aws::AwsMembers;
use macie_guard::hub::queue::WorkQueue;
use macie_guard::{aws, logging, outbound, runlog};
use macie_guard_core::config::{distinct, export_config, outputs, process_env};
use macie_guard_core::hub::HubConfig;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init_lambda();
    let env = process_env();
    let config = export_config(&env)?;
    let topic = env.topic("NOTIFICATION_TOPIC_ARN")?;
    let outputs = outputs(&env)?;
    let sdk = aws::load(None, aws::Trust::Bundled).await;
    let hub = HubConfig::from_env(&env)?;
    let region = aws::region_of(&sdk)?;
    let mut regions = config.regions(&region);
    if let Some(hub) = &hub {
        // The hub's own account in every Region it guards, as its members.
        regions = distinct(regions.into_iter().chain(hub.regions.iter().cloned()));
    }
    let function = ExportFunction {
        fallback_account: env.string("MACIE_GUARD_ACCOUNT_ID"),
        regions,
        results_grace: config.results_grace,
        outbound: outbound::for_function(&sdk, topic, outputs),
        runs: runlog::open(&sdk, env.string("JOURNAL_TABLE")),
        sources: AwsSources::new(sdk.clone()),
    };
    match hub {
        None => {
            let function = &function;
            lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
                function.handle(event).await
            }))
            .await
        }
        Some(hub) => {
            // Reads only: each member through its read-only role.
            let queue = env
                .string("HUB_QUEUE_URL")
                .map(|url| WorkQueue::sqs(&sdk, url, region));
            let hub = ExportHub {
                queue,
                members: AwsMembers::new(sdk, hub.reading())
                    .with_security_hub(outputs.security_hub),
                config: hub,
                own: function,
            };
            let hub = &hub;
            lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
                Box::pin(hub.handle(event)).await
            }))
            .await
        }
    }
}
