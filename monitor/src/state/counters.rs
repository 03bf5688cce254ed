//! The event id counter and statistics, in a fixed binary layout.

use crate::api::Stats;
use crate::state::codec::{self, Reader, Writer};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use std::borrow::Cow;

/// Event id counter and statistics, in a fixed binary layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    /// The last event id assigned.
    pub next_event_id: u64,
    /// Statistics (the sizes in it are filled in when read).
    pub stats: Stats,
}

impl Storable for Counters {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        let s = &self.stats;
        let mut w = Writer::with_capacity(64);
        for v in [
            self.next_event_id,
            s.polls,
            s.poll_failures,
            s.events,
            s.deliveries,
            s.delivery_failures,
            s.dead_lettered,
            s.redriven,
            s.top_ups,
            s.errors_reported,
        ] {
            w.u64(v);
        }
        w.varint(s.top_up_cycles);
        Cow::Owned(w.finish())
    }
    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = Reader::new(&bytes);
        let next_event_id = r.u64();
        let stats = Stats {
            polls: r.u64(),
            poll_failures: r.u64(),
            events: r.u64(),
            deliveries: r.u64(),
            delivery_failures: r.u64(),
            dead_lettered: r.u64(),
            redriven: r.u64(),
            top_ups: r.u64(),
            errors_reported: r.u64(),
            top_up_cycles: r.varint(),
            ..Default::default()
        };
        Counters {
            next_event_id,
            stats,
        }
    }
    const BOUND: Bound = Bound::Bounded {
        max_size: (10 * codec::MAX_U64 + codec::MAX_U128) as u32,
        is_fixed_size: false,
    };
}
