//! The registry: one bounded stable record per watched canister.

use crate::api::{Hooks, MemoryThresholds, PollBounds, Registration, TopUpPolicy};
use crate::codec::{self, Reader, Writer};
use crate::validation::MAX_LABEL_BYTES;
use candid::Principal;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, Storable};
use std::borrow::Cow;

const VERSION: u8 = 1;

/// Largest encoded registration, in bytes. Cycle amounts are stored saturated to u64 and times in
/// seconds, so the bound (and the B-tree nodes sized from it) stay small.
pub const MAX_ENCODED: u32 = (1 // version
    + 1 + MAX_LABEL_BYTES // label
    + 1 + codec::MAX_U64 // cycles threshold
    + 3 * (1 + codec::MAX_U64) + 1 + codec::MAX_U64 // memory thresholds
    + 1 // hooks and flags
    + 2 * codec::MAX_U64 // poll bounds
    + 1 + codec::MAX_U64 // reminder
    + 1 // hysteresis
    + 1 + 2 * codec::MAX_U64 // top-up
    + 2 * codec::MAX_U32) as u32; // timestamps (seconds)

const NS: u64 = 1_000_000_000;

fn hook_bits(h: &Hooks, self_registered: bool) -> u8 {
    (h.on_low_cycles as u8)
        | (h.on_low_memory as u8) << 1
        | (h.on_error as u8) << 2
        | (self_registered as u8) << 3
}

impl Storable for Registration {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        // The canister id is the map key and is not repeated in the value.
        let mut w = Writer::with_capacity(96);
        w.u8(VERSION);
        w.str(&self.label, MAX_LABEL_BYTES);
        w.opt_sat64(self.cycles_threshold);
        w.opt_u64(self.memory.heap_bytes);
        w.opt_u64(self.memory.stable_bytes);
        w.opt_u64(self.memory.total_bytes);
        w.opt_u64(self.memory.heap_percent_of_limit.map(u64::from));
        w.u8(hook_bits(&self.hooks, self.self_registered));
        w.u64(self.poll.min_interval_seconds);
        w.u64(self.poll.max_interval_seconds);
        w.opt_u64(self.reminder_interval_seconds);
        w.u8(self.hysteresis_percent);
        match self.top_up {
            None => w.u8(0),
            Some(t) => {
                w.u8(1);
                w.sat64(t.amount);
                w.sat64(t.daily_budget);
            }
        }
        w.sat32(self.registered_at_ns / NS);
        w.sat32(self.updated_at_ns / NS);
        w.finish()
    }

    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = Reader::new(&bytes);
        let _version = r.u8();
        let label = r.string();
        let cycles_threshold = r.opt_u128();
        let memory = MemoryThresholds {
            heap_bytes: r.opt_u64(),
            stable_bytes: r.opt_u64(),
            total_bytes: r.opt_u64(),
            heap_percent_of_limit: r.opt_u64().map(|v| v.min(100) as u8),
        };
        let bits = r.u8();
        let hooks = Hooks {
            on_low_cycles: bits & 1 != 0,
            on_low_memory: bits & 2 != 0,
            on_error: bits & 4 != 0,
        };
        let poll = PollBounds {
            min_interval_seconds: r.u64(),
            max_interval_seconds: r.u64(),
        };
        let reminder_interval_seconds = r.opt_u64();
        let hysteresis_percent = r.u8();
        let top_up = (r.u8() == 1).then(|| TopUpPolicy {
            amount: r.varint(),
            daily_budget: r.varint(),
        });
        Registration {
            canister_id: Principal::anonymous(),
            label,
            cycles_threshold,
            memory,
            hooks,
            poll,
            reminder_interval_seconds,
            hysteresis_percent,
            top_up,
            self_registered: bits & 8 != 0,
            registered_at_ns: r.u64() * NS,
            updated_at_ns: r.u64() * NS,
        }
    }

    const BOUND: Bound = Bound::Bounded {
        max_size: MAX_ENCODED,
        is_fixed_size: false,
    };
}

/// The registered canisters, keyed by canister id.
pub struct Registry<M: Memory> {
    map: StableBTreeMap<Principal, Registration, M>,
}

impl<M: Memory> Registry<M> {
    /// Opens (or creates) the registry in `memory`.
    pub fn init(memory: M) -> Self {
        Self {
            map: StableBTreeMap::init(memory),
        }
    }
    /// Number of registered canisters.
    pub fn len(&self) -> u64 {
        self.map.len()
    }
    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// The registration of `id`, if any.
    pub fn get(&self, id: &Principal) -> Option<Registration> {
        self.map.get(id).map(|mut r| {
            r.canister_id = *id;
            r
        })
    }
    /// True when `id` is registered.
    pub fn contains(&self, id: &Principal) -> bool {
        self.map.contains_key(id)
    }
    /// Inserts or replaces a registration.
    pub fn put(&mut self, reg: Registration) {
        self.map.insert(reg.canister_id, reg);
    }
    /// Removes a registration.
    pub fn remove(&mut self, id: &Principal) -> Option<Registration> {
        self.map.remove(id)
    }
    /// Up to `limit` registrations after `start_after`, and the cursor for the next page.
    pub fn page(
        &self,
        start_after: Option<Principal>,
        limit: usize,
    ) -> (Vec<Registration>, Option<Principal>) {
        use std::ops::Bound::{Excluded, Unbounded};
        let lower = match start_after {
            Some(p) => Excluded(p),
            None => Unbounded,
        };
        let mut out = Vec::with_capacity(limit);
        let mut iter = self.map.range((lower, Unbounded));
        for entry in iter.by_ref().take(limit) {
            let (k, mut v) = entry.into_pair();
            v.canister_id = k;
            out.push(v);
        }
        let next = if iter.next().is_some() {
            out.last().map(|r| r.canister_id)
        } else {
            None
        };
        (out, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Config, RegisterArgs};
    use crate::validation::tests::{args, canister};
    use crate::validation::{validate, Context};
    use ic_stable_structures::VectorMemory;

    fn reg(a: &RegisterArgs) -> Registration {
        validate(
            a,
            &Context {
                monitor_id: canister(999),
                config: &Config::default(),
                now_ns: 123 * NS,
                self_registered: true,
            },
        )
        .unwrap()
    }

    #[test]
    fn registration_round_trips_through_stable_encoding() {
        let mut a = args(3);
        a.top_up = Some(TopUpPolicy {
            amount: 5_000_000_000,
            daily_budget: 50_000_000_000,
        });
        a.reminder_interval_seconds = Some(3600);
        a.memory = Some(MemoryThresholds {
            heap_bytes: Some(1),
            stable_bytes: Some(2),
            total_bytes: Some(3),
            heap_percent_of_limit: Some(90),
        });
        let r = reg(&a);
        let mut back = Registration::from_bytes(r.to_bytes());
        back.canister_id = r.canister_id;
        assert_eq!(back, r);
    }

    #[test]
    fn the_largest_registration_fits_its_declared_bound() {
        let mut a = args(3);
        a.label = Some("é".repeat(32));
        a.cycles_threshold = Some(crate::validation::CYCLES_THRESHOLD_RANGE.1);
        let mut r = reg(&a);
        r.top_up = Some(TopUpPolicy {
            amount: u128::MAX,
            daily_budget: u128::MAX,
        });
        r.cycles_threshold = Some(u128::MAX);
        r.poll.min_interval_seconds = u64::MAX;
        r.poll.max_interval_seconds = u64::MAX;
        r.registered_at_ns = u64::MAX;
        r.updated_at_ns = u64::MAX;
        r.memory = MemoryThresholds {
            heap_bytes: Some(u64::MAX),
            stable_bytes: Some(u64::MAX),
            total_bytes: Some(u64::MAX),
            heap_percent_of_limit: Some(100),
        };
        r.reminder_interval_seconds = Some(u64::MAX);
        assert!(r.to_bytes_checked().len() <= MAX_ENCODED as usize);
    }

    #[test]
    fn pages_walk_the_whole_registry_once() {
        let mut registry = Registry::init(VectorMemory::default());
        for n in 0..25 {
            registry.put(reg(&args(n)));
        }
        let mut seen = vec![];
        let mut cursor = None;
        loop {
            let (items, next) = registry.page(cursor, 10);
            seen.extend(items.into_iter().map(|r| r.canister_id));
            if next.is_none() {
                break;
            }
            cursor = next;
        }
        assert_eq!(seen.len(), 25);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen);
    }
}
