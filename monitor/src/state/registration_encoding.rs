//! The stable encoding of a [`Registration`]: bounded and small, so a registration fits its
//! area of the canister's fixed-size record (see [`crate::state::store`]).

use crate::api::{Hooks, MemoryThresholds, PollBounds, Registration, TopUpPolicy, NS};
use crate::policy::validation::MAX_LABEL_BYTES;
use crate::state::codec::{self, Reader, Writer};
use candid::Principal;

const VERSION: u8 = 1;

/// Largest encoded registration, in bytes. Cycle amounts are stored saturated to u64 and times in
/// seconds, so the bound stays small.
pub const MAX_ENCODED: usize = 1 // version
    + 1 + MAX_LABEL_BYTES // label
    + 1 + codec::MAX_U64 // cycles threshold
    + 3 * (1 + codec::MAX_U64) + 1 + codec::MAX_U64 // memory thresholds
    + 1 // hooks and flags
    + 2 * codec::MAX_U64 // poll bounds
    + 1 + codec::MAX_U64 // reminder
    + 1 // hysteresis
    + 1 + 2 * codec::MAX_U64 // top-up
    + 2 * codec::MAX_U32; // timestamps (seconds)

/// The flag byte's bit for a self-registered canister (the hooks' bits are `EventKind::bit`).
const SELF_REGISTERED: u8 = 8;

/// Appends `reg` (without its canister id, which the record keeps) to `w`.
pub fn encode(reg: &Registration, w: &mut Writer) {
    w.u8(VERSION);
    w.str(&reg.label, MAX_LABEL_BYTES);
    w.opt_sat64(reg.cycles_threshold);
    w.opt_u64(reg.memory.heap_bytes);
    w.opt_u64(reg.memory.stable_bytes);
    w.opt_u64(reg.memory.total_bytes);
    w.opt_u64(reg.memory.heap_percent_of_limit.map(u64::from));
    w.u8(reg.hooks.bits()
        | if reg.self_registered {
            SELF_REGISTERED
        } else {
            0
        });
    w.u64(reg.poll.min_interval_seconds);
    w.u64(reg.poll.max_interval_seconds);
    w.opt_u64(reg.reminder_interval_seconds);
    w.u8(reg.hysteresis_percent);
    match reg.top_up {
        None => w.u8(0),
        Some(t) => {
            w.u8(1);
            w.sat64(t.amount);
            w.sat64(t.daily_budget);
        }
    }
    w.sat32(reg.registered_at_ns / NS);
    w.sat32(reg.updated_at_ns / NS);
}

/// Reads a registration of `canister_id` written by [`encode`].
pub fn decode(canister_id: Principal, r: &mut Reader) -> Registration {
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
    let hooks = Hooks::from_bits(bits);
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
        canister_id,
        label,
        cycles_threshold,
        memory,
        hooks,
        poll,
        reminder_interval_seconds,
        hysteresis_percent,
        top_up,
        self_registered: bits & SELF_REGISTERED != 0,
        registered_at_ns: r.u64() * NS,
        updated_at_ns: r.u64() * NS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Config, RegisterArgs};
    use crate::policy::validation::tests::{args, canister};
    use crate::policy::validation::{validate, Context};

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

    fn round_trip(r: &Registration) -> (Registration, usize) {
        let mut w = Writer::default();
        encode(r, &mut w);
        let bytes = w.finish();
        (decode(r.canister_id, &mut Reader::new(&bytes)), bytes.len())
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
        assert_eq!(round_trip(&r).0, r);
    }

    #[test]
    fn the_largest_registration_fits_its_declared_bound() {
        let mut a = args(3);
        a.label = Some("é".repeat(32));
        a.cycles_threshold = Some(crate::policy::validation::CYCLES_THRESHOLD_RANGE.1);
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
        assert!(round_trip(&r).1 <= MAX_ENCODED);
    }
}
