//! The stand-ins as processes: moto (one per test process, on first use) and the local Macie
//! (one per call), each on a free loopback port, each ending with the test process (its
//! standard input is its lifeline).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::*;

/// A server process on loopback, killed on drop.
pub struct Server {
    child: Child,
    // Held open: the server exits when it closes.
    _lifeline: Option<ChildStdin>,
    pub url: String,
}

impl Server {
    /// Spawns `cmd`, waits for its `listening on URL` line (at most `timeout`).
    pub fn spawn(what: &str, mut cmd: Command, timeout: Duration) -> Server {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({cmd:?}): {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(timeout) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("{what} did not print its listening line within {timeout:?}");
            }
        };
        let url = match line.trim().strip_prefix("listening on ") {
            Some(url) => url.to_string(),
            None => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("{what} did not start: first line {line:?}, exit status {status:?}");
            }
        };
        let lifeline = child.stdin.take();
        Server {
            child,
            _lifeline: lifeline,
            url,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto server of this test process (S3, KMS, SNS), started on first use.
pub fn moto() -> &'static Server {
    static MOTO: OnceLock<Server> = OnceLock::new();
    MOTO.get_or_init(|| {
        let root = workspace_root();
        let python = std::env::var_os("MACIE_GUARD_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/python"));
        assert!(
            python.exists(),
            "{} is missing: run scripts/setup-venv.sh (the test command does) to install moto",
            python.display()
        );
        let mut cmd = Command::new(python);
        cmd.arg(root.join("scripts/moto_server.py"));
        Server::spawn("moto", cmd, Duration::from_secs(60))
    })
}

/// Path of the operator CLI (`macie-guard`, the `macie-guard-cli` package) built next to the
/// running test binary (`cargo test --workspace` builds it for the CLI package's own tests).
pub fn cli_bin() -> PathBuf {
    built_bin(
        "macie-guard",
        "MACIE_GUARD_BIN",
        "cargo build -p macie-guard-cli",
    )
}

/// A Lambda function's binary (`expiry-guard`, `export-guard`) built next to the running
/// binary (`cargo test` builds them for the root package's integration tests).
pub fn function_bin(name: &str) -> PathBuf {
    built_bin(
        name,
        &format!("{}_BIN", name.to_ascii_uppercase().replace('-', "_")),
        &format!("cargo build -p macie-guard --bin {name}"),
    )
}

/// The functions' settings among `env` (JOURNAL_TABLE, NOTIFICATION_TOPIC_ARN, ...) as the CLI
/// reads them: prefixed MACIE_GUARD_ (the SDK's AWS_ variables, RUST_LOG and those already
/// prefixed are left as they are).
pub fn cli_settings(env: &[(String, String)]) -> Vec<(String, String)> {
    env.iter()
        .filter(|(k, _)| {
            !k.starts_with("AWS_") && !k.starts_with("MACIE_GUARD_") && k != "RUST_LOG"
        })
        .map(|(k, v)| (format!("MACIE_GUARD_{k}"), v.clone()))
        .collect()
}

/// A binary of the workspace built next to the running test binary: `env` overrides.
fn built_bin(name: &str, env: &str, how: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current binary");
    let dir = exe.parent().expect("the binary's directory");
    let candidates = [
        dir.join(name),
        dir.parent().map(|d| d.join(name)).unwrap_or_default(),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{} is missing: run `{how}` first (the test command does)",
                candidates[1].display()
            )
        })
}

/// Path of the `local-macie` binary built next to the running test binary.
pub fn local_macie_bin() -> PathBuf {
    built_bin(
        "local-macie",
        "LOCAL_MACIE_BIN",
        "cargo build -p local-macie",
    )
}

/// A local Macie for one test.
pub struct LocalMacie {
    pub server: Server,
    http: ureq::Agent,
}

impl LocalMacie {
    /// Starts a local Macie, optionally from a scenario (the JSON of a scenario file).
    pub fn start(scenario: Option<&Value>) -> LocalMacie {
        let mut cmd = Command::new(local_macie_bin());
        cmd.args(["--listen", "127.0.0.1:0", "--exit-on-stdin-eof"]);
        let file = scenario.map(|s| {
            let path = scenario_path();
            std::fs::write(&path, s.to_string()).expect("write scenario file");
            cmd.arg("--scenario").arg(&path);
            path
        });
        let server = Server::spawn("local-macie", cmd, Duration::from_secs(20));
        if let Some(path) = file {
            let _ = std::fs::remove_file(path);
        }
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        LocalMacie { server, http }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// A control request (`/_local/...`); panics on a non-2xx answer.
    pub fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let url = format!("{}{path}", self.server.url);
        let body = body.map(Value::to_string).unwrap_or_default();
        let result = match method {
            "GET" => self.http.get(&url).call(),
            "DELETE" => self.http.delete(&url).call(),
            "POST" => self.http.post(&url).send(&body),
            other => panic!("control method {other} is not used"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {url}: reading the answer: {e}"));
        assert!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("control answers are JSON")
        }
    }

    /// A raw HTTP request to any path: (status, `x-amzn-ErrorType`, body). For what the SDK
    /// can't send (malformed JSON).
    pub fn raw(&self, method: &str, path: &str, body: &str) -> (u16, Option<String>, String) {
        let url = format!("{}{path}", self.server.url);
        let result = match method {
            "GET" => self.http.get(&url).call(),
            "POST" => self.http.post(&url).send(body),
            "PUT" => self.http.put(&url).send(body),
            "PATCH" => self.http.patch(&url).send(body),
            other => panic!("raw method {other} is not used"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let kind = response
            .headers()
            .get("x-amzn-ErrorType")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (response.status().as_u16(), kind, text)
    }

    /// Seeds jobs (`POST /_local/jobs`) and returns their ids.
    pub fn seed(&self, seed: Value) -> Vec<String> {
        let out = self.control("POST", "/_local/jobs", Some(&seed));
        out["jobIds"]
            .as_array()
            .expect("jobIds")
            .iter()
            .map(|v| v.as_str().expect("id").to_string())
            .collect()
    }

    /// Per-operation call counts since the last reset.
    pub fn calls(&self, operation: &str) -> u64 {
        self.control("GET", "/_local/calls", None)["calls"][operation]
            .as_u64()
            .unwrap_or(0)
    }

    pub fn reset_calls(&self) {
        self.control("DELETE", "/_local/calls", None);
    }

    pub fn advance_days(&self, days: f64) {
        self.control(
            "POST",
            "/_local/clock",
            Some(&serde_json::json!({ "advanceDays": days })),
        );
    }

    pub fn faults(&self, plan: Value) {
        self.control("POST", "/_local/faults", Some(&plan));
    }
}

fn scenario_path() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "local-macie-scenario-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}
