//! The operator's decisions over plain data: [`status`] judges what `macie-guard status`
//! read, [`org`] holds the organization view's rows, [`deadletter`] reads each producer's
//! dead letters. A floor above the guards: nothing below reads it.

pub mod deadletter;
pub mod org;
pub mod status;
