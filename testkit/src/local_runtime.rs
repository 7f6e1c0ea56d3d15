//! cargo-lambda's local runtime: `cargo lambda watch` in its own process group (stopped with
//! everything it started), and `cargo lambda invoke --data-file`. The Lambda binaries run as
//! deployed; the tests and the demo drive them through these. Both start the binaries `cargo
//! test` already built against its Runtime API alone ([`start_functions`]), so that no second
//! build of the workspace is needed.

use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::workspace_root;

/// The PATH with the project's `.venv/bin` (cargo-lambda, Zig) first.
pub fn path_with_venv() -> String {
    let venv = workspace_root().join(".venv/bin");
    format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `cargo lambda watch` in its own process group, killed with it on drop.
pub struct Watch {
    child: Child,
    /// The functions [`start_functions`] started (in the watch's process group).
    functions: Vec<Child>,
    /// The log files of the watch and its functions, removed with it.
    logs: Vec<std::path::PathBuf>,
    pub port: u16,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The whole group: cargo, cargo-lambda and the functions it started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        for f in &mut self.functions {
            let _ = f.wait();
        }
        for log in &self.logs {
            let _ = std::fs::remove_file(log);
            let _ = std::fs::remove_file(log.with_extension("err"));
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// cargo-lambda's Runtime API alone (`--only-lambda-apis`), with each `(name, binary)` started
/// against it as Lambda starts a function (`AWS_LAMBDA_RUNTIME_API` at `/.rt/NAME`, with
/// `env`), in the watch's process group: `invoke(watch, NAME, ...)` reaches it.
pub fn start_functions(env: Vec<(String, String)>, functions: &[(&str, &Path)]) -> Watch {
    let mut watch = watch_with(&["--only-lambda-apis"]);
    for (name, binary) in functions {
        let log =
            std::env::temp_dir().join(format!("macie-guard-{name}-{}.log", std::process::id()));
        let child = Command::new(binary)
            .envs(env.iter().cloned())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt/{name}", watch.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .process_group(watch.child.id() as i32)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        watch.functions.push(child);
        watch.logs.push(log);
    }
    watch
}

/// Where [`start_functions`] writes function `name`'s standard output (its JSON logs and
/// metric lines); standard error is beside it (`.err`).
pub fn function_log(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("macie-guard-{name}-{}.log", std::process::id()))
}

fn watch_with(extra: &[&str]) -> Watch {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("macie-guard-watch-{}.log", std::process::id()));
    let mut cmd = Command::new("cargo");
    cmd.args(["lambda", "watch", "--ignore-changes"])
        .args(extra)
        .args(["-A", "127.0.0.1", "-P", &port.to_string()])
        .current_dir(workspace_root())
        .env("PATH", path_with_venv())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .process_group(0);
    let watch = Watch {
        child: cmd
            .spawn()
            .expect("start cargo lambda watch (scripts/setup-venv.sh installs cargo-lambda)"),
        functions: Vec::new(),
        logs: vec![log.clone()],
        port,
    };
    // Ready when the invoke port accepts connections (Drop stops it if it never does).
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return watch;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "cargo lambda watch did not listen on {port}; see {}",
        log.display()
    );
}

/// Invokes `function` with an events/ file; Ok(response) or Err(error output).
pub fn invoke(w: &Watch, function: &str, data_file: &Path) -> Result<Value, String> {
    let out = Command::new("cargo")
        .args([
            "lambda",
            "invoke",
            function,
            "-A",
            "127.0.0.1",
            "-P",
            &w.port.to_string(),
            "--output-format",
            "json",
            "--data-file",
        ])
        .arg(data_file)
        .current_dir(workspace_root())
        .env("PATH", path_with_venv())
        .output()
        .expect("run cargo lambda invoke");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if out.status.success() {
        serde_json::from_str(&stdout).map_err(|e| format!("not JSON ({e}): {stdout}"))
    } else {
        Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
    }
}
