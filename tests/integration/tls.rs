//! The Lambda functions' HTTPS client trusts Mozilla's roots (compiled in) instead of reading
//! the platform store at start-up: a server whose certificate no such authority signed is
//! refused before any request leaves, exactly as before. Over loopback, with a TLS server whose
//! certificate a test-only authority signed (tests/fixtures/tls: the authority's certificate,
//! its key discarded; the server's certificate and key for localhost; valid until 2126).

use aws_sdk_macie2::config::Credentials;
use macie_guard::aws;
use macie_guard::aws::Trust;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CA: &[u8] = include_bytes!("../fixtures/tls/test-ca.crt");
const CERT: &[u8] = include_bytes!("../fixtures/tls/localhost.crt");
const KEY: &[u8] = include_bytes!("../fixtures/tls/localhost.key");

/// A TLS server on loopback answering every request with an empty job list. Counts the
/// handshakes that failed and the requests that arrived.
struct Server {
    port: u16,
    refused: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

async fn server() -> Server {
    let certs = vec![CertificateDer::from_pem_slice(CERT).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (refused, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, q) = (refused.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, r, q) = (acceptor.clone(), r.clone(), q.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    r.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                let mut buf = vec![0u8; 16384];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                q.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"items":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Server {
        port,
        refused,
        requests,
    }
}

fn macie(sdk: &aws_config::SdkConfig, port: u16) -> aws_sdk_macie2::Client {
    aws_sdk_macie2::Client::from_conf(
        aws_sdk_macie2::config::Builder::from(sdk)
            .endpoint_url(format!("https://localhost:{port}"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    )
}

#[tokio::test]
async fn a_server_certificate_no_trusted_authority_signed_is_refused() {
    let s = server().await;
    let sdk = aws::load(Some("us-east-1"), Trust::Bundled).await;
    let err = macie(&sdk, s.port)
        .list_classification_jobs()
        .send()
        .await
        .expect_err("the self-signed certificate must be refused");
    let text = macie_guard::error::describe_sdk_error(&err);
    assert!(
        text.to_ascii_lowercase().contains("certificate"),
        "the failure names the certificate: {text}"
    );
    // The server sees the handshake fail (the client's alert) a moment later.
    for _ in 0..200 {
        if s.refused.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        s.refused.load(Ordering::SeqCst) >= 1,
        "the handshake failed"
    );
    assert_eq!(s.requests.load(Ordering::SeqCst), 0, "no request was sent");
}

/// The control: the same server and call succeed for a client that trusts the authority, so
/// the refusal above is the certificate check and nothing else.
#[tokio::test]
async fn the_same_server_answers_a_client_that_trusts_its_authority() {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let s = server().await;
    let trusting = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(TrustStore::empty().with_pem_certificate(CA))
                .build()
                .unwrap(),
        )
        .build_https();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .http_client(trusting)
        .load()
        .await;
    let out = macie(&sdk, s.port)
        .list_classification_jobs()
        .send()
        .await
        .expect("a trusted certificate is accepted");
    assert!(out.items().is_empty());
    assert_eq!(s.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn the_bundled_roots_are_mozillas_and_all_parse() {
    let pem = aws::mozilla_roots_pem();
    let certs: Vec<CertificateDer> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .expect("valid PEM");
    assert!(certs.len() >= 100, "{} roots", certs.len());
    let mut store = rustls::RootCertStore::empty();
    let (added, ignored) = store.add_parsable_certificates(certs);
    assert_eq!(ignored, 0);
    assert_eq!(added, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
}
