use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use local_macie::{router, Scenario, State};

/// A local Amazon Macie (classification jobs, tags, export configuration) on loopback.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// JSON file with the starting state (jobs, export configuration, clock).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Account id in ARNs [default: the scenario's, else 123456789012].
    #[arg(long)]
    account: Option<String>,
    /// Region in ARNs [default: the scenario's, else us-east-1].
    #[arg(long)]
    region: Option<String>,
    /// Exit when standard input closes (so a crashed parent never leaves the server behind).
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

fn fail(message: String) -> ! {
    eprintln!("local-macie: {message}");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let scenario = match &args.scenario {
        None => Scenario::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| fail(format!("cannot read scenario {}: {e}", path.display())));
            serde_json::from_str::<Scenario>(&text)
                .unwrap_or_else(|e| fail(format!("scenario {} is not valid: {e}", path.display())))
        }
    };
    let account = args
        .account
        .or_else(|| scenario.account.clone())
        .unwrap_or_else(|| "123456789012".into());
    let region = args
        .region
        .or_else(|| scenario.region.clone())
        .unwrap_or_else(|| "us-east-1".into());
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        fail(format!("account {account:?} must be 12 digits"));
    }
    let macie = scenario
        .build(State::new(account, region))
        .unwrap_or_else(|e| fail(format!("scenario: {}", e.message)));
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .unwrap_or_else(|e| fail(format!("cannot listen on {}: {e}", args.listen)));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| fail(format!("no local address: {e}")));
    if args.exit_on_stdin_eof {
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            std::process::exit(0);
        });
    }
    let app = router(Arc::new(Mutex::new(macie)));
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();
    if let Err(e) = axum::serve(listener, app).await {
        fail(format!("server stopped: {e}"));
    }
}
