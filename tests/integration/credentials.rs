//! The operator's credentials as the AWS CLI takes them: an IAM Identity Center (SSO) profile
//! whose token `aws sso login` cached, a `credential_process` profile, `--profile` and
//! `AWS_PROFILE`; and an expired SSO sign-in said as such, with what to do. The CLI runs as an
//! operator would run it: its own config file and home, no keys in the environment, the SSO
//! portal a stand-in on loopback (SSO API Reference, GetRoleCredentials), Macie the local one
//! (which serves each account the jobs of the account its request's key belongs to).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use testkit::{as_account, credentials_of, endpoint_env, moto, LocalMacie};

const SSO_ACCOUNT: &str = "210000000777";
const PROCESS_ACCOUNT: &str = "210000000778";
const TOKEN: &str = "sso-access-token-of-the-operator";

/// Keys of `account` (moto's STS encodes the account in the key, as AWS does).
async fn keys_of(account: &str) -> (String, String, String) {
    let c = credentials_of(&as_account(&testkit::sdk_config().await, account).await).await;
    (
        c.access_key_id().to_string(),
        c.secret_access_key().to_string(),
        c.session_token().unwrap_or_default().to_string(),
    )
}

/// A stand-in for the SSO portal's GetRoleCredentials (`GET /federation/credentials?
/// account_id=..&role_name=..`, the token in `x-amz-sso_bearer_token`): the keys for the
/// expected token, 401 UnauthorizedException otherwise. Each request's line and token kept.
struct Portal {
    url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

fn portal(keys: (String, String, String)) -> Portal {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut token = String::new();
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
                let (name, value) = h.split_once(':').unwrap_or_default();
                match name.to_ascii_lowercase().as_str() {
                    "x-amz-sso_bearer_token" => token = value.trim().to_string(),
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            kept.lock()
                .unwrap()
                .push((line.trim().to_string(), token.clone()));
            let (status, answer) = if token == TOKEN {
                let expiration =
                    (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp_millis();
                (
                    "200 OK",
                    json!({"roleCredentials": {"accessKeyId": keys.0, "secretAccessKey": keys.1,
                           "sessionToken": keys.2, "expiration": expiration}}),
                )
            } else {
                (
                    "401 Unauthorized",
                    json!({"message": "Session token not found or invalid"}),
                )
            };
            let text = answer.to_string();
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-amzn-errortype: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                if status.starts_with("401") { "UnauthorizedException" } else { "" },
                text.len()
            );
        }
    });
    Portal { url, seen }
}

/// A home of the operator's own: its AWS config file, and the SSO cache where `aws sso login`
/// keeps the session's token (`~/.aws/sso/cache/<sha1 of the session's name>.json`).
fn home(name: &str, config: &str, token_expires: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("macie-guard-{name}-{}", std::process::id()));
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(home.join(".aws/config"), config).unwrap();
    let sha1 = Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"corp")?;
            c.wait_with_output()
        })
        .unwrap();
    let digest = String::from_utf8_lossy(&sha1.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        cache.join(format!("{digest}.json")),
        json!({
            "startUrl": "https://corp.awsapps.com/start",
            "region": "us-east-1",
            "accessToken": TOKEN,
            "expiresAt": token_expires,
        })
        .to_string(),
    )
    .unwrap();
    home
}

const SSO_CONFIG: &str = "[profile ops]
sso_session = corp
sso_account_id = 210000000777
sso_role_name = MacieOperator
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
";

/// The CLI as the operator runs it: the environment's keys and profile gone, `home` theirs.
fn operator(home: &Path, macie: &LocalMacie, extra: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(testkit::cli_bin());
    cmd.args(args);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL",
    ] {
        cmd.env_remove(var);
    }
    // The stand-ins' endpoints, not the keys and Region the tests' own processes get.
    let endpoints = endpoint_env(macie.url(), &moto().url)
        .into_iter()
        .filter(|(k, _)| k.starts_with("AWS_ENDPOINT_URL_") || k.starts_with("MACIE_GUARD_"));
    cmd.env("HOME", home)
        .envs(endpoints)
        .envs(extra.iter().copied());
    cmd.output().expect("run macie-guard")
}

fn jobs_named(out: &Output) -> Vec<String> {
    let jobs: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    jobs.as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_string())
        .collect()
}

fn local_macie() -> LocalMacie {
    let paused =
        |name: &str| json!({"name": name, "jobStatus": "USER_PAUSED", "pausedDaysAgo": 10.0});
    LocalMacie::start(Some(&json!({
        "account": "999999999999",
        "accounts": [
            {"account": SSO_ACCOUNT, "region": "us-east-1", "jobs": [paused("sso-job")]},
            {"account": PROCESS_ACCOUNT, "region": "us-east-1", "jobs": [paused("process-job")]},
        ]
    })))
}

/// An IAM Identity Center profile, by `--profile` and by `AWS_PROFILE`: the CLI reads the
/// token `aws sso login` cached, asks the portal for the role's keys, and lists that account's
/// jobs.
#[tokio::test]
async fn an_sso_profile_lists_the_jobs_of_its_account() {
    let portal = portal(keys_of(SSO_ACCOUNT).await);
    let macie = local_macie();
    let home = home("sso", SSO_CONFIG, "2099-01-01T00:00:00Z");
    let sso = [("AWS_ENDPOINT_URL_SSO", portal.url.as_str())];
    let out = operator(&home, &macie, &sso, &["--profile", "ops", "jobs", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(jobs_named(&out), ["sso-job"]);
    let seen = portal.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (line, token) = &seen[0];
    assert!(
        line.starts_with("GET /federation/credentials?")
            && line.contains("account_id=210000000777")
            && line.contains("role_name=MacieOperator"),
        "{line}"
    );
    assert_eq!(token, TOKEN);
    // The same profile named by AWS_PROFILE.
    let by_env = [
        ("AWS_ENDPOINT_URL_SSO", portal.url.as_str()),
        ("AWS_PROFILE", "ops"),
    ];
    let out = operator(&home, &macie, &by_env, &["jobs", "--json"]);
    assert_eq!(jobs_named(&out), ["sso-job"]);
    // A profile that is not in the file: said, exit 3, nothing read.
    let out = operator(&home, &macie, &sso, &["--profile", "opps", "jobs"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("opps"), "{err}");
    let _ = std::fs::remove_dir_all(&home);
}

/// An SSO sign-in that expired: the CLI says so and what to run, exit 3, and asks the portal
/// nothing.
#[tokio::test]
async fn an_expired_sso_sign_in_says_to_sign_in_again() {
    let portal = portal(keys_of(SSO_ACCOUNT).await);
    let macie = local_macie();
    let home = home("sso-expired", SSO_CONFIG, "2020-01-01T00:00:00Z");
    let sso = [("AWS_ENDPOINT_URL_SSO", portal.url.as_str())];
    let out = operator(&home, &macie, &sso, &["--profile", "ops", "jobs"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("expired") && err.contains("aws sso login --profile ops"),
        "{err}"
    );
    assert!(portal.seen.lock().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&home);
}

/// A `credential_process` profile: the CLI runs the command and signs with the keys it prints
/// (AWS CLI User Guide, "Sourcing credentials with an external process": Version 1 JSON).
#[tokio::test]
async fn a_credential_process_profile_lists_the_jobs_of_its_account() {
    let (key, secret, session) = keys_of(PROCESS_ACCOUNT).await;
    let macie = local_macie();
    let home = home("process", "", "2099-01-01T00:00:00Z");
    let script = home.join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho ran >> {}\ncat <<'EOF'\n{}\nEOF\n",
            home.join("ran").display(),
            json!({"Version": 1, "AccessKeyId": key, "SecretAccessKey": secret,
                   "SessionToken": session,
                   "Expiration": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()})
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        format!(
            "[profile proc]\ncredential_process = {}\nregion = us-east-1\n",
            script.display()
        ),
    )
    .unwrap();
    let out = operator(&home, &macie, &[], &["--profile", "proc", "jobs", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(jobs_named(&out), ["process-job"]);
    assert!(std::fs::read_to_string(home.join("ran"))
        .unwrap()
        .contains("ran"));
    let _ = std::fs::remove_dir_all(&home);
}
