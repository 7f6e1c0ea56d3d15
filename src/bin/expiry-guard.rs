//! Lambda function: the job expiry guard (Health events and the scheduled sweep), of one
//! account, or of an organization's hub (MEMBER_REGIONS set).

use lambda_runtime::{service_fn, LambdaEvent};
use macie_guard::expiry::lambda::ExpiryFunction;
use macie_guard::hub::expiry::ExpiryHub;
use macie_guard::hub::members::aws::AwsMembers;
use macie_guard::hub::queue::WorkQueue;
use macie_guard::{aws, journal, logging, outbound, runlog};
use macie_guard_core::config::{expiry_config, outputs, process_env, schedules};
use macie_guard_core::hub::HubConfig;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init_lambda();
    let env = process_env();
    let config = expiry_config(&env)?;
    let topic = env.topic("NOTIFICATION_TOPIC_ARN")?;
    let outputs = outputs(&env)?;
    let sdk = aws::load(None, aws::Trust::Bundled).await;
    let function = ExpiryFunction {
        fallback_account: env.string("MACIE_GUARD_ACCOUNT_ID"),
        region: aws::region_of(&sdk)?,
        macie: aws::macie(&sdk),
        outbound: outbound::for_function(&sdk, topic, outputs),
        journal: journal::open(&sdk, env.string("JOURNAL_TABLE")),
        config,
        schedules: schedules(&env),
        runs: runlog::open(&sdk, env.string("JOURNAL_TABLE")),
    };
    match HubConfig::from_env(&env)? {
        None => Box::pin(serve(function)).await,
        Some(hub) => {
            let queue = env
                .string("HUB_QUEUE_URL")
                .map(|url| WorkQueue::sqs(&sdk, url, function.region.clone()));
            let hub = ExpiryHub {
                queue,
                members: AwsMembers::new(sdk, hub.clone()).with_security_hub(outputs.security_hub),
                config: hub,
                own: function,
            };
            Box::pin(serve_hub(hub)).await
        }
    }
}

type Function = ExpiryFunction<
    aws_sdk_macie2::Client,
    outbound::Channels<outbound::AnyNotifier>,
    journal::AnyJournal,
>;

/// A single-account stack's function.
async fn serve(function: Function) -> Result<(), lambda_runtime::Error> {
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        function.handle(event).await
    }))
    .await
}

/// A hub's function.
async fn serve_hub(
    hub: ExpiryHub<
        aws_sdk_macie2::Client,
        outbound::Channels<outbound::AnyNotifier>,
        journal::AnyJournal,
        AwsMembers,
    >,
) -> Result<(), lambda_runtime::Error> {
    let hub = &hub;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Box::pin(hub.handle(event)).await
    }))
    .await
}
