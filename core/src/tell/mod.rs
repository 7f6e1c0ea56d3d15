//! How outcomes are told: readable text, the message people get (and its chat form), the
//! events for the default bus, metrics, Security Hub findings and the CLI's tables. Everything
//! here reads outcomes (`expiry::outcome`, `export::outcome`, `org`); nothing there reads this.

pub mod asff;
pub mod chat;
pub mod deadletters;
pub mod events;
pub mod expiry;
pub mod export;
pub mod hub;
pub mod metrics;
pub mod notification;
pub mod org;
pub mod reason;
pub mod status;

#[cfg(test)]
mod lost_tests;
