//! Outgoing calls awaiting a response, per callee and method, and one-way calls sent; the
//! upgrade guard's decision. Heap only: an upgrade is exactly when the count must be zero.

use std::collections::BTreeMap;

use candid::Principal;

use crate::types::CallsInFlight;

/// The tracked calls of one canister.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InFlight {
    awaiting: BTreeMap<(Principal, String), u32>,
    total: u32,
    one_way_sent: u64,
}

impl InFlight {
    /// A call to `callee.method` was sent and awaits its response.
    pub fn begin(&mut self, callee: Principal, method: &str) {
        *self
            .awaiting
            .entry((callee, method.to_string()))
            .or_default() += 1;
        self.total += 1;
    }

    /// The response (or reject, or cleanup) of a call begun with [`InFlight::begin`] arrived;
    /// an end without a begin is ignored.
    pub fn end(&mut self, callee: Principal, method: &str) {
        let key = (callee, method.to_string());
        if let Some(n) = self.awaiting.get_mut(&key) {
            *n -= 1;
            self.total -= 1;
            if *n == 0 {
                self.awaiting.remove(&key);
            }
        }
    }

    /// A one-way call (no response expected) was sent.
    pub fn one_way(&mut self) {
        self.one_way_sent += 1;
    }

    /// Calls awaiting a response.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// One-way calls sent since the last upgrade.
    pub fn one_way_sent(&self) -> u64 {
        self.one_way_sent
    }

    /// Calls awaiting a response, per callee and method.
    pub fn calls(&self) -> Vec<CallsInFlight> {
        self.awaiting
            .iter()
            .map(|((callee, method), count)| CallsInFlight {
                callee: *callee,
                method: method.clone(),
                count: *count,
            })
            .collect()
    }

    /// Why an upgrade must not go ahead now, if it must not: responses to these calls would
    /// reach the new code.
    pub fn upgrade_refusal(&self) -> Option<String> {
        if self.total == 0 {
            return None;
        }
        let list: Vec<String> = self
            .awaiting
            .iter()
            .map(|((callee, method), n)| format!("{n} to {callee}.{method}"))
            .collect();
        Some(format!(
            "upgrade refused: {} outgoing call(s) await responses ({}), which would reach the new \
             code. Stop the canister first so they finish (the upgrade then goes through), or \
             upgrade with skip_pre_upgrade to bypass this check.",
            self.total,
            list.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Principal {
        Principal::from_slice(&[1; 10])
    }

    #[test]
    fn counts_per_callee_and_method_and_forgets_finished_calls() {
        let mut f = InFlight::default();
        f.begin(ledger(), "transfer");
        f.begin(ledger(), "transfer");
        f.begin(ledger(), "balance");
        f.one_way();
        f.end(ledger(), "balance");
        assert_eq!(f.total(), 2);
        assert_eq!(f.one_way_sent(), 1);
        assert_eq!(
            f.calls(),
            [CallsInFlight {
                callee: ledger(),
                method: "transfer".into(),
                count: 2
            }]
        );
        f.end(ledger(), "transfer");
        f.end(ledger(), "transfer");
        f.end(ledger(), "transfer"); // an extra end never underflows
        assert_eq!((f.total(), f.calls().len()), (0, 0));
    }

    #[test]
    fn the_upgrade_guard_names_the_calls_and_both_ways_out() {
        let mut f = InFlight::default();
        assert_eq!(f.upgrade_refusal(), None);
        f.begin(ledger(), "transfer");
        f.begin(Principal::management_canister(), "raw_rand");
        let why = f.upgrade_refusal().unwrap();
        assert!(
            why.contains("2 outgoing call(s)")
                && why.contains(&format!("1 to {}.transfer", ledger()))
                && why.contains("1 to aaaaa-aa.raw_rand"),
            "{why}"
        );
        assert!(
            why.contains("Stop the canister first") && why.contains("skip_pre_upgrade"),
            "{why}"
        );
    }
}
