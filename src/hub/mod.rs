//! The organization as one hub and its members: the hub's functions reach every member account
//! through the role it holds for them ([`members`]), and run the guards there as in their own
//! account ([`expiry`]). What to guard and what to leave is decided in the core
//! (`macie_guard_core::hub`).

pub mod expiry;
pub mod members;
