//! The integration tests, in one binary: each test binary links the whole SDK, so one saves
//! the build and the links of many. Each module is one subject (`cargo test --test integration
//! <module>::` runs one). The stand-ins are shared: one moto per process (every test names its
//! own topics, tables, Regions or accounts), one local Macie per test. `tests/change_log.rs`
//! and `tests/logs.rs` stay binaries of their own: tracing caches a callsite's interest per
//! process, and their captured subscribers must see every callsite.

mod common;

mod alive;
mod chat;
mod cli;
mod credentials;
mod deadletters;
mod events;
mod excluded;
mod exit_codes;
mod expiry;
mod expiry_mocks;
mod export;
mod faults;
mod harness;
mod hostile;
mod hub;
mod hub_export;
mod hub_wire;
mod iam;
mod journal;
mod local_runtime;
mod on_lost;
mod orchestration;
mod org;
mod quickstart;
mod recreate;
mod securityhub;
mod status;
mod template;
mod tls;
mod upgrade;
