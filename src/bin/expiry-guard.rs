//! Lambda function: the job expiry guard (Health events and the scheduled sweep).

use lambda_runtime::{service_fn, LambdaEvent};
use macie_guard::expiry::lambda::ExpiryFunction;
use macie_guard::{aws, journal, logging, outbound, runlog};
use macie_guard_core::config::{expiry_config, outputs, process_env, schedules};
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
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        function.handle(event).await
    }))
    .await
}
