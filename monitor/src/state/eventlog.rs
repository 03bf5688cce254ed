//! Event history with a retention bound: the newest `capacity` events are kept.

use crate::api::{DeliveryStatus, EventFilter, EventPage, EventRecord};
use crate::state::stored::Stored;
use ic_stable_structures::{Memory, StableBTreeMap};

/// Largest page a query returns.
pub const MAX_PAGE: usize = 500;
/// Most records one query examines, so a selective filter cannot exhaust the query budget.
pub const MAX_SCAN: usize = 20_000;

/// The event history.
pub struct EventLog<M: Memory> {
    map: StableBTreeMap<u64, Stored<EventRecord>, M>,
}

impl<M: Memory> EventLog<M> {
    /// Opens (or creates) the log in `memory`.
    pub fn init(memory: M) -> Self {
        Self {
            map: StableBTreeMap::init(memory),
        }
    }
    #[cfg(test)]
    /// Records held.
    pub fn len(&self) -> u64 {
        self.map.len()
    }
    /// Appends `record`, then drops the oldest records beyond `capacity`.
    pub fn append(&mut self, record: EventRecord, capacity: u64) {
        self.map.insert(record.id, Stored(record));
        while self.map.len() > capacity.max(1) {
            self.map.pop_first();
        }
    }
    #[cfg(test)]
    /// The record `id`, if still retained.
    pub fn get(&self, id: u64) -> Option<EventRecord> {
        self.map.get(&id).map(|r| r.0)
    }
    /// Sets the delivery status of `id`, if still retained.
    pub fn set_delivery(&mut self, id: u64, status: DeliveryStatus) {
        if let Some(Stored(mut r)) = self.map.get(&id) {
            r.delivery = status;
            self.map.insert(id, Stored(r));
        }
    }
    /// Events matching `filter`, newest first.
    pub fn query(&self, filter: &EventFilter) -> EventPage {
        let limit = filter.limit.map_or(100, |l| l as usize).clamp(1, MAX_PAGE);
        let upper = filter.before_id.unwrap_or(u64::MAX);
        let mut events = vec![];
        let mut next = None;
        for (scanned, entry) in self.map.range(..upper).rev().enumerate() {
            let id = *entry.key();
            if scanned >= MAX_SCAN {
                next = Some(id + 1);
                break;
            }
            let r = entry.value();
            if filter.until_ns.is_some_and(|t| r.created_at_ns > t) {
                continue;
            }
            if filter.since_ns.is_some_and(|t| r.created_at_ns < t) {
                break;
            }
            if filter.canister_id.is_some_and(|c| c != r.canister_id)
                || filter.kind.is_some_and(|k| k != r.event.kind())
            {
                continue;
            }
            if events.len() == limit {
                next = events.last().map(|e: &EventRecord| e.id);
                break;
            }
            events.push(r.0);
        }
        EventPage { events, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{EventKind, HookEvent};
    use crate::api::{EventOrigin, LowCyclesEvent};
    use crate::policy::validation::tests::canister;
    use ic_stable_structures::VectorMemory;

    fn rec(id: u64, c: u64, t: u64, low_cycles: bool) -> EventRecord {
        let event = if low_cycles {
            HookEvent::LowCycles(LowCyclesEvent {
                id,
                origin: EventOrigin::SelfRaised,
                balance: 1,
                threshold: 2,
                burn_rate_per_day: 3,
                seconds_to_freeze: None,
                observed_at_ns: t,
            })
        } else {
            crate::state::outbox::tests::ev(id)
        };
        EventRecord {
            id,
            canister_id: canister(c),
            created_at_ns: t,
            event,
            delivery: DeliveryStatus::Pending,
        }
    }

    fn log() -> EventLog<VectorMemory> {
        EventLog::init(VectorMemory::default())
    }

    #[test]
    fn keeps_only_the_newest_capacity_events() {
        let mut l = log();
        for id in 1..=10 {
            l.append(rec(id, 1, id, true), 4);
        }
        assert_eq!(l.len(), 4);
        assert!(l.get(6).is_none());
        assert!(l.get(7).is_some());
    }

    #[test]
    fn filters_by_canister_kind_and_time_newest_first_with_paging() {
        let mut l = log();
        for id in 1..=20 {
            l.append(rec(id, id % 2, id * 10, id % 4 == 0), 100);
        }
        let page = l.query(&EventFilter {
            canister_id: Some(canister(0)),
            kind: Some(EventKind::LowCycles),
            ..Default::default()
        });
        let ids: Vec<u64> = page.events.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![20, 16, 12, 8, 4]);
        let page = l.query(&EventFilter {
            since_ns: Some(50),
            until_ns: Some(80),
            ..Default::default()
        });
        let ids: Vec<u64> = page.events.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![8, 7, 6, 5]);
        let first = l.query(&EventFilter {
            limit: Some(3),
            ..Default::default()
        });
        assert_eq!(first.next, Some(18));
        let second = l.query(&EventFilter {
            limit: Some(3),
            before_id: first.next,
            ..Default::default()
        });
        assert_eq!(second.events[0].id, 17);
    }

    #[test]
    fn delivery_status_updates_in_place() {
        let mut l = log();
        l.append(rec(1, 1, 1, true), 10);
        l.set_delivery(
            1,
            DeliveryStatus::Delivered {
                at_ns: 5,
                attempts: 2,
            },
        );
        assert_eq!(
            l.get(1).unwrap().delivery,
            DeliveryStatus::Delivered {
                at_ns: 5,
                attempts: 2
            }
        );
    }
}
