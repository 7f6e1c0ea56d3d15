//! Faults on demand: a plan of errors per operation, served in order, then at a rate from a
//! seeded generator.

use std::collections::VecDeque;

use super::State;
use crate::error::ErrorKind;

#[derive(Debug, Default, Clone)]
pub struct FaultPlan {
    /// Faults served first, in order; `None` lets one call through.
    pub sequence: VecDeque<Option<ErrorKind>>,
    /// After the sequence: the share of calls that fail with `rate_error`.
    pub rate: f64,
    pub rate_error: Option<ErrorKind>,
}

pub(super) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl State {
    pub(super) fn random(&mut self) -> f64 {
        // xorshift64*: deterministic, enough for fault rates.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn next_fault(&mut self, operation: &str) -> Option<ErrorKind> {
        let plan = self.faults.get_mut(operation)?;
        if let Some(step) = plan.sequence.pop_front() {
            return step;
        }
        let (rate, kind) = (plan.rate, plan.rate_error);
        if rate > 0.0 && self.random() < rate {
            return Some(kind.unwrap_or(ErrorKind::Throttling));
        }
        None
    }

    pub fn set_faults(&mut self, operation: String, plan: FaultPlan) {
        self.faults.insert(operation, plan);
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub fn seed_rng(&mut self, seed: u64) {
        self.rng = seed.max(1);
    }
}
