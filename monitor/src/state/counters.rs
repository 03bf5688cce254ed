//! The event id counter and statistics, in a fixed binary layout led by a format version.

use crate::api::Stats;
use crate::state::codec::{self, Reader, Writer};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use std::borrow::Cow;

/// Layout version written first; a later layout gets a new one and a migration from this.
const VERSION: u8 = 1;

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
        w.u8(VERSION);
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
        let version = r.u8();
        assert!(
            version == VERSION,
            "the counters were written in layout version {version}, this code reads version \
             {VERSION}: upgrading needs a migration of the counters cell"
        );
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
        max_size: (1 + 10 * codec::MAX_U64 + codec::MAX_U128) as u32,
        is_fixed_size: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "written in layout version 2, this code reads version 1")]
    fn counters_of_an_unknown_layout_version_are_refused() {
        let mut bytes = Counters::default().into_bytes();
        bytes[0] = 2;
        Counters::from_bytes(Cow::Owned(bytes));
    }
}
