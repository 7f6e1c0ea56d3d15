//! Lambda function: the export configuration guard (schedule and CloudTrail changes).

use lambda_runtime::{service_fn, LambdaEvent};
use macie_guard::export::lambda::ExportFunction;
use macie_guard::export::sources::AwsSources;
use macie_guard::{aws, logging, outbound, runlog};
use macie_guard_core::config::{export_config, outputs, process_env};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init_lambda();
    let env = process_env();
    let config = export_config(&env)?;
    let topic = env.topic("NOTIFICATION_TOPIC_ARN")?;
    let outputs = outputs(&env)?;
    let sdk = aws::load(None, aws::Trust::Bundled).await;
    let function = ExportFunction {
        fallback_account: env.string("MACIE_GUARD_ACCOUNT_ID"),
        regions: config.regions(&aws::region_of(&sdk)?),
        results_grace: config.results_grace,
        outbound: outbound::for_function(&sdk, topic, outputs),
        runs: runlog::open(&sdk, env.string("JOURNAL_TABLE")),
        sources: AwsSources::new(sdk),
    };
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        function.handle(event).await
    }))
    .await
}
