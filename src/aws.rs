//! Building the SDK clients, once per process.
//!
//! The standard credential chain and Region chain apply. The SDK's per-service endpoint
//! variables (`AWS_ENDPOINT_URL_MACIE2`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_KMS`,
//! `AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL_DYNAMODB`, or `AWS_ENDPOINT_URL` for all) point the clients at local
//! stand-ins; with a custom S3 endpoint, S3 uses path-style addressing.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_types::service_config::ServiceConfigKey;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Which certificate authorities the HTTPS client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The platform's store (the SDK's default): the CLI, on machines whose administrators
    /// may add their own authorities.
    Platform,
    /// Mozilla's root program, compiled in (webpki-root-certs), and the credentials Lambda
    /// puts in the environment: the Lambda functions. Reading
    /// the platform store (a bundle and hundreds of files) before the first request took
    /// most of a cold start; these anchors are parsed once, at the first AWS call, and every
    /// server certificate is verified against them exactly as before.
    Bundled,
}

/// Whether the operator asked to see each request (`macie-guard -v`): [`load_profile`] then
/// gives the clients an HTTP client that logs each request's method and URL and its answer's
/// status, never a header or a body (SigV4's signature and a session token ride in headers).
static LOG_REQUESTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Log each request of the clients loaded from now on (the CLI's `-v`).
pub fn log_requests() {
    LOG_REQUESTS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// An HTTP client that logs, at INFO under the target `macie_guard::http`, each request's
/// method and URL and what answered: its status and how long it took, or why nothing did.
#[derive(Debug)]
struct Logged(SharedHttpClient);

impl HttpClient for Logged {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LoggedConnector(self.0.http_connector(settings, components)))
    }
}

#[derive(Debug)]
struct LoggedConnector(SharedHttpConnector);

impl aws_smithy_runtime_api::client::http::HttpConnector for LoggedConnector {
    fn call(
        &self,
        request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
        let method = request.method().to_string();
        let url = request.uri().to_string();
        let inner = self.0.clone();
        aws_smithy_runtime_api::client::http::HttpConnectorFuture::new(async move {
            let started = std::time::Instant::now();
            let answer = inner.call(request).await;
            let ms = started.elapsed().as_millis();
            match &answer {
                Ok(r) => {
                    tracing::info!(target: "macie_guard::http", "{method} {url} -> {} ({ms} ms)", r.status().as_u16())
                }
                Err(e) => {
                    tracing::info!(target: "macie_guard::http", "{method} {url} -> no answer ({ms} ms): {e}")
                }
            }
            answer
        })
    }
}

/// Loads the SDK configuration; `region` overrides the Region chain.
pub async fn load(region: Option<&str>, trust: Trust) -> SdkConfig {
    load_profile(region, None, trust).await
}

/// The operator's configuration: the platform's trust store and the default credential chain,
/// from the named profile when given (`--profile`; else AWS_PROFILE, else `default`). The
/// profile's IAM Identity Center (SSO) and credential_process sources work where the
/// aws-config features `sso` and `credentials-process` are on: the CLI's package turns them
/// on, the Lambda functions' does not.
pub async fn load_profile(region: Option<&str>, profile: Option<&str>, trust: Trust) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if trust == Trust::Platform && LOG_REQUESTS.load(std::sync::atomic::Ordering::Relaxed) {
        // The same client the SDK would build (the proxy variables honoured), logged.
        loader = loader.http_client(SharedHttpClient::new(Logged(https_client(trust))));
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    if trust == Trust::Bundled {
        // Lambda puts the execution role's credentials in the environment: the default chain
        // (profiles, SSO, web identity with its STS client, container and instance metadata)
        // would only be built, never asked.
        loader = loader
            .http_client(https_client(Trust::Bundled))
            .credentials_provider(
                aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
            );
    }
    loader.load().await
}

/// Whether `name` is a profile of the AWS config or credentials file (AWS_CONFIG_FILE,
/// AWS_SHARED_CREDENTIALS_FILE, else `~/.aws/config` and `~/.aws/credentials`), as the SDK
/// reads them: a profile named that is not there is said, not a silent fall to no credentials
/// and no Region.
pub async fn profile_exists(name: &str) -> Result<bool> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    match aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await {
        Ok(set) => Ok(set.get_profile(name).is_some()),
        Err(e) => Err(Error::config(
            "AWS_CONFIG_FILE",
            "",
            format!("the AWS config or credentials file cannot be read: {e}"),
        )),
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, the proxy variables honoured), building
/// its connector at the first request rather than once per client at construction. With
/// [`Trust::Bundled`] it trusts Mozilla's roots instead of the platform store.
fn https_client(trust: Trust) -> SharedHttpClient {
    static CONTEXT: OnceLock<tls::TlsContext> = OnceLock::new();
    let inner = Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        if trust == Trust::Bundled {
            let context = CONTEXT.get_or_init(|| {
                let store = tls::TrustStore::empty()
                    .with_native_roots(false)
                    .with_pem_certificate(mozilla_roots_pem());
                tls::TlsContext::builder()
                    .with_trust_store(store)
                    .build()
                    .expect("a trust store of certificates alone always builds")
            });
            builder = builder.tls_context(context.clone());
        }
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    });
    SharedHttpClient::new(AtFirstRequest(inner))
}

/// Mozilla's root certificates as one PEM document (what the SDK's trust store takes).
pub fn mozilla_roots_pem() -> Vec<u8> {
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2100);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        pem.push_str(&aws_smithy_types::base64::encode(cert.as_ref()));
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

/// An HTTP client whose connector is built when a request needs it: the SDK's default client
/// builds one per client at construction (to load the platform store early), which is work
/// the Lambda functions' start-up does not need.
#[derive(Debug)]
struct AtFirstRequest(SharedHttpClient);

impl HttpClient for AtFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The Region of a loaded configuration, or an error that says how to set one.
pub fn region_of(conf: &SdkConfig) -> Result<String> {
    conf.region().map(|r| r.to_string()).ok_or_else(|| {
        Error::config(
            "AWS_REGION",
            "",
            "no AWS Region is configured: set AWS_REGION, a profile Region, or --region",
        )
    })
}

/// Whether S3 has an endpoint override (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or the
/// profile's `services` section), as the S3 client itself reads it.
fn custom_s3_endpoint(conf: &SdkConfig) -> bool {
    conf.endpoint_url().is_some() || endpoint_override(conf, "S3").is_some()
}

/// The service's own endpoint override (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, or
/// the profile's `services` section), as the SDK's clients read it; `service_id` as the SDK
/// names the service (`S3`, `SecurityHub`).
pub fn endpoint_override(conf: &SdkConfig, service_id: &str) -> Option<String> {
    let key = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build();
    match (conf.service_config(), key) {
        (Some(sc), Ok(key)) => sc.load_config(key),
        _ => None,
    }
}

pub fn macie(conf: &SdkConfig) -> aws_sdk_macie2::Client {
    aws_sdk_macie2::Client::new(conf)
}

pub fn s3(conf: &SdkConfig) -> aws_sdk_s3::Client {
    let builder = aws_sdk_s3::config::Builder::from(conf);
    aws_sdk_s3::Client::from_conf(builder.force_path_style(custom_s3_endpoint(conf)).build())
}

pub fn sns(conf: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(conf)
}

pub fn dynamodb(conf: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(conf)
}

pub fn eventbridge(conf: &SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(conf)
}

pub fn sqs(conf: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(conf)
}
