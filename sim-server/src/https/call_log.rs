//! The calls an instance received through the HTTPS interface, by request id: the engine's
//! message, who sent it and where, until its expiry has passed (then the IC may forget it).

use super::envelope::MAX_INGRESS_TTL_NS;
use candid::Principal;
use ic_sim::MessageId;
use std::collections::BTreeMap;

/// One call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The engine's id of the ingress message.
    pub message: MessageId,
    /// The sender.
    pub sender: Principal,
    /// The effective canister id of the call (`None` for subnet-scoped calls).
    pub effective_canister: Option<Principal>,
    /// The request's `ingress_expiry`, ns.
    pub expiry_ns: u64,
}

/// The calls, by request id.
#[derive(Debug, Default)]
pub struct CallLog {
    calls: BTreeMap<[u8; 32], CallRecord>,
}

impl CallLog {
    /// Records a call.
    pub fn insert(&mut self, request_id: [u8; 32], record: CallRecord) {
        self.calls.insert(request_id, record);
    }

    /// The call with this request id.
    pub fn get(&self, request_id: &[u8; 32]) -> Option<&CallRecord> {
        self.calls.get(request_id)
    }

    /// All calls, in request id order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8; 32], &CallRecord)> {
        self.calls.iter()
    }

    /// Forgets the calls whose expiry lies more than five minutes before `now_ns`.
    pub fn prune(&mut self, now_ns: u64) {
        self.calls
            .retain(|_, call| call.expiry_ns.saturating_add(MAX_INGRESS_TTL_NS) >= now_ns);
    }
}

/// A message id the engine issued, for tests: a canister creation.
#[cfg(test)]
pub fn test_message(sim: &mut ic_sim::Sim) -> MessageId {
    let args = ic_sim::management_types::ProvisionalCreateCanisterWithCyclesArgs::default();
    sim.submit_ingress(ic_sim::Ingress {
        sender: Principal::anonymous(),
        canister_id: Principal::management_canister(),
        method: "provisional_create_canister_with_cycles".into(),
        payload: candid::encode_one(args).expect("encodes"),
        effective_canister_id: None,
    })
    .expect("accepted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_kept_until_five_minutes_past_their_expiry() {
        let mut sim = ic_sim::Sim::default();
        let message = test_message(&mut sim);
        let canister = Principal::management_canister();
        let mut log = CallLog::default();
        let record = CallRecord {
            message,
            sender: Principal::anonymous(),
            effective_canister: Some(canister),
            expiry_ns: 1_000,
        };
        log.insert([1; 32], record.clone());
        log.prune(1_000 + MAX_INGRESS_TTL_NS);
        assert_eq!(log.get(&[1; 32]), Some(&record));
        log.prune(1_001 + MAX_INGRESS_TTL_NS);
        assert_eq!(log.get(&[1; 32]), None);
    }
}
