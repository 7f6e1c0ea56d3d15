//! Lambda function: the export configuration guard (schedule and CloudTrail changes).

use lambda_runtime::{service_fn, LambdaEvent};
use macie_guard::config::process_env;
use macie_guard::export::lambda::{regions, ExportFunction};
use macie_guard::export::sources::AwsSources;
use macie_guard::notify::AnyNotifier;
use macie_guard::{aws, logging};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init_lambda();
    let env = process_env();
    let topic = env.topic("NOTIFICATION_TOPIC_ARN")?;
    let extra = env.regions("EXPORT_REGIONS")?;
    let sdk = aws::load(None).await;
    let function = ExportFunction {
        fallback_account: env.string("MACIE_GUARD_ACCOUNT_ID"),
        regions: regions(aws::region_of(&sdk)?, extra),
        notifier: AnyNotifier::new(topic.as_ref().map(|_| aws::sns(&sdk)), topic),
        sources: AwsSources::new(sdk),
    };
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        function.handle(event).await
    }))
    .await
}
