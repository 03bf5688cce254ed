//! Stable memory layout: the SDK uses `MemoryId`s 200..=209 of one `MemoryManager`; every other
//! id belongs to the application.
//!
//! Two ways to share one manager:
//! - the app has none: it takes its memories from [`get`] (which refuses the SDK's ids);
//! - the app already has one: it calls [`use_memory_manager`] with a function returning its
//!   manager's memories, before `canister_hooks::init`/`post_upgrade`, and keeps away from 200..=209.

use std::cell::{Cell, RefCell};

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

use crate::store::StoreMemories;

/// The memory type the SDK and apps sharing its manager use.
pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// First `MemoryId` reserved for the SDK.
pub const FIRST_RESERVED: u8 = 200;
/// Last `MemoryId` reserved for the SDK.
pub const LAST_RESERVED: u8 = 209;

/// Configuration cell (monitors, counters).
pub const CONFIG: MemoryId = MemoryId::new(200);
/// Dedupe window keyed by event.
pub const SEEN_BY_KEY: MemoryId = MemoryId::new(201);
/// Dedupe window keyed by insertion order.
pub const SEEN_BY_SEQ: MemoryId = MemoryId::new(202);
/// Error log entries.
pub const ERRORS: MemoryId = MemoryId::new(203);
/// Error log fingerprint index.
pub const ERROR_INDEX: MemoryId = MemoryId::new(204);
/// Completed run-once init tasks.
pub const COMPLETED_TASKS: MemoryId = MemoryId::new(205);

/// Whether `id` is in the SDK's reserved range.
pub fn is_reserved(id: MemoryId) -> bool {
    id >= MemoryId::new(FIRST_RESERVED) && id <= MemoryId::new(LAST_RESERVED)
}

/// A function returning the app's `MemoryManager` memories.
pub type MemoryProvider = fn(MemoryId) -> Memory;

thread_local! {
    static PROVIDER: Cell<Option<MemoryProvider>> = const { Cell::new(None) };
    static OWN_MANAGER: RefCell<Option<MemoryManager<DefaultMemoryImpl>>> = const { RefCell::new(None) };
}

/// Makes the SDK take its memories from the app's own `MemoryManager` (call before `init`).
pub fn use_memory_manager(provider: MemoryProvider) {
    PROVIDER.set(Some(provider));
}

/// A memory of the SDK-owned manager for the application; panics on the SDK's reserved ids.
pub fn get(id: MemoryId) -> Memory {
    assert!(
        !is_reserved(id),
        "canister-hooks: MemoryId {id:?} is reserved for the SDK (200..=209); use another id"
    );
    raw(id)
}

fn raw(id: MemoryId) -> Memory {
    if let Some(provider) = PROVIDER.get() {
        return provider(id);
    }
    OWN_MANAGER.with_borrow_mut(|m| {
        m.get_or_insert_with(|| MemoryManager::init(DefaultMemoryImpl::default()))
            .get(id)
    })
}

/// The memories of the SDK's own structures.
pub(crate) fn sdk_memories() -> StoreMemories<Memory> {
    StoreMemories {
        config: raw(CONFIG),
        seen_by_key: raw(SEEN_BY_KEY),
        seen_by_seq: raw(SEEN_BY_SEQ),
        errors: raw(ERRORS),
        error_index: raw(ERROR_INDEX),
        completed_tasks: raw(COMPLETED_TASKS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_range_is_200_to_209() {
        assert!(!is_reserved(MemoryId::new(199)));
        assert!(is_reserved(MemoryId::new(200)));
        assert!(is_reserved(MemoryId::new(209)));
        assert!(!is_reserved(MemoryId::new(210)));
        for id in [
            CONFIG,
            SEEN_BY_KEY,
            SEEN_BY_SEQ,
            ERRORS,
            ERROR_INDEX,
            COMPLETED_TASKS,
        ] {
            assert!(is_reserved(id));
        }
    }

    #[test]
    #[should_panic(expected = "reserved for the SDK")]
    fn apps_cannot_take_an_sdk_memory() {
        get(CONFIG);
    }

    #[test]
    fn apps_get_their_own_ids() {
        use ic_stable_structures::Memory as _;
        let m = get(MemoryId::new(0));
        assert_eq!(m.size(), 0);
    }
}
