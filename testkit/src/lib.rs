//! Test harness: starts the local stand-ins on free loopback ports and builds real SDK
//! clients pointed at them.
//!
//! - `moto()` starts one moto server per test process, on first use, from the project's
//!   `.venv` (`scripts/setup-venv.sh`). It exits when the test process ends, also when a test
//!   fails or the process is killed: its standard input is its lifeline.
//! - `LocalMacie::start` starts one local Macie per call; it is killed when the value drops
//!   (also while a failing test unwinds), and it too has the stdin lifeline.
//!
//! Both print `listening on http://HOST:PORT` once they accept connections; nothing here
//! sleeps or polls for readiness. [`servers`] starts them, [`clients`] builds SDK clients and
//! environments for them, [`moto_calls`] sets up and reads moto directly, [`fixtures`] reads
//! the project's templates and events; everything is re-exported here.

pub mod clients;
pub mod fixtures;
pub mod local_runtime;
pub mod moto_calls;
pub mod runtime_api;
pub mod servers;

pub use clients::*;
pub use fixtures::*;
pub use moto_calls::*;
pub use servers::*;

use std::path::{Path, PathBuf};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The workspace root (where `Cargo.toml`, `.venv` and `scripts/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives one level below the workspace root")
        .to_path_buf()
}
