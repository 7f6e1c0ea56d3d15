//! The operator's wing: what only the `macie-guard` CLI does, a floor above the guards and the
//! ports it reads. [`status`] (is the guard deployed, alive and healthy), [`org`] (the
//! organization view), [`recreate`] (a lost job created again), [`deadletters`] (the
//! dead-letter queue listed and replayed), [`progress`] (the bar drawn while a sweep or a check
//! works) and [`session`] (the account, read from Macie). The
//! Lambda functions never reach this module.

pub mod deadletters;
pub mod org;
pub mod progress;
pub mod recreate;
pub mod session;
pub mod status;
