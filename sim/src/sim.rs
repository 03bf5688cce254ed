//! `Sim`: one emulated IC application subnet, and its state-level API.

use crate::canister::Canister;
use crate::config::SimConfig;
use crate::error::{ErrorCode, SimError, UserError};
use crate::faults::Faults;
use crate::ids::{self, MessageId};
use crate::messages::{Message, Request};
use crate::wasm::module_cache::ModuleCache;
use crate::wasm::stable::StableMemory;
use candid::Principal;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// An ingress message sent by a user.
#[derive(Debug, Clone)]
pub struct Ingress {
    /// The user.
    pub sender: Principal,
    /// The callee (may be the management canister `aaaaa-aa`).
    pub canister_id: Principal,
    /// The method.
    pub method: String,
    /// The argument.
    pub payload: Vec<u8>,
    /// The effective canister id (required for management canister calls naming a canister).
    pub effective_canister_id: Option<Principal>,
}

/// Status of a submitted ingress message.
#[derive(Debug, Clone)]
pub(crate) enum IngressState {
    Processing,
    Done(Result<Vec<u8>, UserError>),
}

/// One emulated IC: a single 13-node application subnet.
pub struct Sim {
    pub(crate) config: SimConfig,
    pub(crate) time_ns: u64,
    pub(crate) cache: ModuleCache,
    pub(crate) canisters: BTreeMap<Principal, Canister>,
    pub(crate) next_canister: u64,
    pub(crate) queue: VecDeque<Message>,
    pub(crate) ingress: HashMap<MessageId, IngressState>,
    pub(crate) next_message: u64,
    pub(crate) rng: ChaCha20Rng,
    pub(crate) faults: Faults,
    pub(crate) next_snapshot: u64,
    /// Elapsed time not yet charged for storage (charged in whole seconds, so short rounds do not
    /// round the fee down to zero).
    pub(crate) uncharged_storage_ns: u64,
    /// `raw_rand` calls waiting for the next round: where the reply goes, cycles to refund.
    pub(crate) raw_rand_waiting: Vec<(crate::call_context::ResponseTarget, u128)>,
    /// HTTPS outcalls waiting for a driver's answer.
    pub(crate) outcalls: crate::outcalls::Outcalls,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("time_ns", &self.time_ns)
            .field("canisters", &self.canisters.len())
            .field("queued", &self.queue.len())
            .finish()
    }
}

impl Default for Sim {
    fn default() -> Self {
        Self::new(SimConfig::default())
    }
}

impl Sim {
    /// A fresh subnet with no canisters.
    pub fn new(config: SimConfig) -> Self {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&config.seed.to_le_bytes());
        Self {
            time_ns: config.start_time_ns,
            rng: ChaCha20Rng::from_seed(seed),
            config,
            cache: ModuleCache::new(),
            canisters: BTreeMap::new(),
            next_canister: ids::first_canister_index(),
            queue: VecDeque::new(),
            ingress: HashMap::new(),
            next_message: 0,
            faults: Faults::default(),
            next_snapshot: 0,
            uncharged_storage_ns: 0,
            raw_rand_waiting: Vec::new(),
            outcalls: Default::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub(crate) fn canister(&self, c: Principal) -> Result<&Canister, SimError> {
        self.canisters.get(&c).ok_or(SimError::CanisterNotFound(c))
    }

    pub(crate) fn canister_mut(&mut self, c: Principal) -> Result<&mut Canister, SimError> {
        self.canisters
            .get_mut(&c)
            .ok_or(SimError::CanisterNotFound(c))
    }

    /// Submits an ingress message (running `canister_inspect_message` first when exported).
    pub fn submit_ingress(&mut self, msg: Ingress) -> Result<MessageId, UserError> {
        self.check_ingress(&msg)?;
        let id = MessageId::new(self.next_message);
        self.next_message += 1;
        self.ingress.insert(id, IngressState::Processing);
        self.queue.push_back(Message::Request(Request {
            sender: msg.sender,
            receiver: msg.canister_id,
            method: msg.method,
            payload: msg.payload,
            cycles: 0,
            target: crate::call_context::ResponseTarget::Ingress(id),
            deadline: 0,
        }));
        Ok(id)
    }

    /// Runs rounds until the ingress message completes (at most `max_await_rounds`).
    pub fn await_ingress(&mut self, id: &MessageId) -> Result<Vec<u8>, UserError> {
        if !self.ingress.contains_key(id) {
            return Err(UserError::new(
                ErrorCode::IngressHistoryFull,
                "ic-sim: unknown message id (it was not submitted to this instance)",
            ));
        }
        for _ in 0..self.config.max_await_rounds {
            if let Some(IngressState::Done(r)) = self.ingress.get(id) {
                return r.clone();
            }
            self.tick();
        }
        if let Some(IngressState::Done(r)) = self.ingress.get(id) {
            return r.clone();
        }
        let outcalls = match self.outcalls.len() {
            0 => String::new(),
            n => format!(
                "; {n} HTTPS outcall(s) are waiting for an answer (pending_outcalls, answer_outcall)"
            ),
        };
        Err(UserError::new(
            ErrorCode::IngressMessageTimeout,
            format!(
                "ic-sim: the message did not complete within {} rounds (is it waiting on a call that never returns, e.g. an unbounded-wait call to a silenced canister?){outcalls}",
                self.config.max_await_rounds
            ),
        ))
    }

    /// The result of an ingress message, `None` while unknown or processing.
    pub fn ingress_status(&self, id: &MessageId) -> Option<Result<Vec<u8>, UserError>> {
        match self.ingress.get(id)? {
            IngressState::Processing => None,
            IngressState::Done(r) => Some(r.clone()),
        }
    }

    /// Current time, nanoseconds since the epoch.
    pub fn time_ns(&self) -> u64 {
        self.time_ns
    }

    /// Sets the time (may not go backwards), charging storage for the elapsed time.
    pub fn set_time_ns(&mut self, t: u64) {
        if t > self.time_ns {
            self.charge_storage(t - self.time_ns);
        }
        self.time_ns = self.time_ns.max(t);
    }

    /// Moves time forward by `d`, charging storage for it.
    pub fn advance_time(&mut self, d: std::time::Duration) {
        let t = self.time_ns.saturating_add(d.as_nanos() as u64);
        self.set_time_ns(t);
    }

    /// Adds cycles to a canister; returns the new balance.
    pub fn add_cycles(&mut self, c: Principal, amount: u128) -> Result<u128, SimError> {
        let canister = self.canister_mut(c)?;
        canister.cycles = canister
            .cycles
            .checked_add(amount)
            .ok_or(SimError::CyclesOverflow(amount, c))?;
        Ok(canister.cycles)
    }

    /// A canister's cycle balance.
    pub fn cycle_balance(&self, c: Principal) -> Result<u128, SimError> {
        Ok(self.canister(c)?.cycles)
    }

    /// A canister's controllers.
    pub fn controllers(&self, c: Principal) -> Result<Vec<Principal>, SimError> {
        Ok(self.canister(c)?.settings.controllers.clone())
    }

    /// A canister's stable memory (empty if it has no code).
    pub fn stable_memory(&self, c: Principal) -> Result<Vec<u8>, SimError> {
        let canister = self.canister(c)?;
        Ok(canister
            .instance
            .as_ref()
            .map_or_else(Vec::new, |i| i.stable().to_vec()))
    }

    /// Replaces a canister's stable memory (padded to whole pages).
    pub fn set_stable_memory(&mut self, c: Principal, data: Vec<u8>) -> Result<(), SimError> {
        let canister = self.canister_mut(c)?;
        let instance = canister
            .instance
            .as_mut()
            .ok_or(SimError::CanisterEmpty(c))?;
        instance.set_stable(StableMemory::from_bytes(&data));
        Ok(())
    }

    /// Whether a canister with this id exists.
    pub fn canister_exists(&self, c: Principal) -> bool {
        self.canisters.contains_key(&c)
    }

    /// The ids of all canisters.
    pub fn canister_ids(&self) -> Vec<Principal> {
        self.canisters.keys().copied().collect()
    }

    /// The subnet's id.
    pub fn subnet_id(&self) -> Principal {
        ids::subnet_id()
    }

    /// The range new canisters get their ids from (inclusive start and end).
    pub fn application_range(&self) -> (Principal, Principal) {
        let start = ids::first_canister_index();
        (
            ids::canister_id(start),
            ids::canister_id(start + ids::RANGE_SIZE - 1),
        )
    }

    /// The subnet's canister id ranges (inclusive start and end), sorted: the
    /// [`application range`](Self::application_range) and, for each canister created with a
    /// specified id outside it (the system canisters of icp-cli's local network live at their
    /// mainnet ids), a range of that one id, so that certificates cover every canister.
    pub fn canister_ranges(&self) -> Vec<(Principal, Principal)> {
        let (start, end) = self.application_range();
        let outside =
            |id: &&Principal| id.as_slice() < start.as_slice() || id.as_slice() > end.as_slice();
        let mut ranges: Vec<(Principal, Principal)> = self
            .canisters
            .keys()
            .filter(outside)
            .map(|id| (*id, *id))
            .collect();
        ranges.push((start, end));
        ranges.sort_by(|a, b| a.0.as_slice().cmp(b.0.as_slice()));
        ranges
    }

    /// The root key (DER-wrapped BLS12-381): the key `ic-sim-server` certifies responses with.
    pub fn root_key(&self) -> Vec<u8> {
        ids::root_key()
    }

    /// The SHA-256 hash of a canister's module, `None` while it is empty.
    pub fn module_hash(&self, c: Principal) -> Result<Option<[u8; 32]>, SimError> {
        Ok(self.canister(c)?.instance.as_ref().map(|i| i.module().hash))
    }

    /// The installed module's public metadata sections (`icp:public <name>`), by name; empty
    /// when no code is installed.
    pub fn public_metadata(
        &self,
        c: Principal,
    ) -> Result<std::collections::BTreeMap<String, Vec<u8>>, SimError> {
        Ok(self
            .canister(c)?
            .instance
            .as_ref()
            .map(|i| i.module().info.metadata.public.clone())
            .unwrap_or_default())
    }

    /// Number of compiled modules in the cache.
    pub fn cached_modules(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_can_move_between_threads() {
        // The REST server runs each instance on a worker thread.
        fn assert_send<T: Send>() {}
        assert_send::<Sim>();
    }

    #[test]
    fn canister_range_starts_at_the_first_canister_id() {
        let sim = Sim::default();
        let (start, end) = sim.canister_ranges()[0];
        assert_eq!(sim.canister_ranges(), vec![sim.application_range()]);
        assert_eq!(start.to_text(), ids::FIRST_CANISTER_ID);
        assert!(ids::canister_index(&end).unwrap() > ids::canister_index(&start).unwrap());
    }

    #[test]
    fn canisters_created_outside_the_application_range_get_a_range_each() {
        let mut sim = Sim::default();
        let ledger = Principal::from_text("ryjl3-tyaaa-aaaaa-aaaba-cai").unwrap();
        let cycles_ledger = Principal::from_text("um5iw-rqaaa-aaaaq-qaaba-cai").unwrap();
        for id in [cycles_ledger, ledger] {
            sim.try_create_canister(None, None, None, Some(id)).unwrap();
        }
        let inside = sim.create_canister();
        assert_eq!(
            sim.canister_ranges(),
            vec![
                (ledger, ledger),
                (cycles_ledger, cycles_ledger),
                sim.application_range()
            ]
        );
        let (start, end) = sim.application_range();
        assert!(start.as_slice() <= inside.as_slice() && inside.as_slice() <= end.as_slice());
    }
}
