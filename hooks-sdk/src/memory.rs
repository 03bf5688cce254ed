//! Stable memory layout: the SDK keeps all its structures in ONE `MemoryId` ([`SDK_MEMORY`], 200)
//! of the canister's `MemoryManager`; 201..=209 stay reserved for it and every other id belongs
//! to the application.
//!
//! Inside that memory the SDK runs a `MemoryManager` of its own with one-page (64 KiB) buckets,
//! one inner memory per structure, so an idle SDK canister holds one bucket of the canister's
//! manager (8 MiB, of which about 450 KiB written) instead of one per structure. The layout is
//! pinned by golden bytes and a checked-in SDK memory (`src/tests/`).
//!
//! Two ways to share the canister's manager:
//! - the app has none: it takes its memories from [`get`] (which refuses the SDK's ids);
//! - the app already has one: it calls [`use_memory_manager`] with a function returning its
//!   manager's memories, before `canister_hooks::init`/`post_upgrade`, and keeps away from 200..=209.
//!
//! Also [`update_cell`]: changing the value of a `StableCell` an app keeps in a thread-local.

use std::cell::{Cell, RefCell};
use std::thread::LocalKey;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::{DefaultMemoryImpl, StableCell, Storable};

use crate::store::StoreMemories;

/// The memory type the SDK and apps sharing its manager use.
pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// First `MemoryId` reserved for the SDK.
pub const FIRST_RESERVED: u8 = 200;
/// Last `MemoryId` reserved for the SDK.
pub const LAST_RESERVED: u8 = 209;

/// The one `MemoryId` of the canister's manager the SDK writes: all its structures live in it.
pub const SDK_MEMORY: MemoryId = MemoryId::new(FIRST_RESERVED);

/// Bucket size, in 64 KiB pages, of the SDK's own manager inside [`SDK_MEMORY`].
const LAYOUT_BUCKET_PAGES: u16 = 1;

/// Inner memory of the config cell (monitors, counters). The inner ids are frozen: changing one
/// breaks the upgrade from a canister that wrote the previous layout.
const CONFIG: MemoryId = MemoryId::new(0);
/// Inner memory of the dedupe window keyed by event.
const SEEN_BY_KEY: MemoryId = MemoryId::new(1);
/// Inner memory of the dedupe window keyed by insertion order.
const SEEN_BY_SEQ: MemoryId = MemoryId::new(2);
/// Inner memory of the error log entries.
const ERRORS: MemoryId = MemoryId::new(3);
/// Inner memory of the error log fingerprint index.
const ERROR_INDEX: MemoryId = MemoryId::new(4);
/// Inner memory of the completed run-once init tasks.
const COMPLETED_TASKS: MemoryId = MemoryId::new(5);
/// Inner memory of the maintenance mode cell (allocated when maintenance is first entered).
const MAINTENANCE: MemoryId = MemoryId::new(6);

/// The memories of the SDK's structures, laid out inside `memory` (opened, or created if empty).
pub(crate) fn layout<M: ic_stable_structures::Memory>(
    memory: M,
) -> StoreMemories<VirtualMemory<M>> {
    let inner = MemoryManager::init_with_bucket_size(memory, LAYOUT_BUCKET_PAGES);
    StoreMemories {
        config: inner.get(CONFIG),
        seen_by_key: inner.get(SEEN_BY_KEY),
        seen_by_seq: inner.get(SEEN_BY_SEQ),
        errors: inner.get(ERRORS),
        error_index: inner.get(ERROR_INDEX),
        completed_tasks: inner.get(COMPLETED_TASKS),
        maintenance: inner.get(MAINTENANCE),
    }
}

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

/// Changes the value of the `StableCell` in the thread-local `cell` with `f`, writes it back, and
/// returns what `f` returned.
pub fn update_cell<T, M, R>(
    cell: &'static LocalKey<RefCell<StableCell<T, M>>>,
    f: impl FnOnce(&mut T) -> R,
) -> R
where
    T: Storable + Clone,
    M: ic_stable_structures::Memory,
{
    cell.with_borrow_mut(|cell| {
        let mut value = cell.get().clone();
        let result = f(&mut value);
        cell.set(value);
        result
    })
}

/// A structure's memory inside the canister's [`SDK_MEMORY`].
pub(crate) type SdkMemory = VirtualMemory<Memory>;

/// The memories of the SDK's own structures, all inside [`SDK_MEMORY`].
pub(crate) fn sdk_memories() -> StoreMemories<SdkMemory> {
    layout(raw(SDK_MEMORY))
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
        assert!(is_reserved(SDK_MEMORY));
    }

    #[test]
    #[should_panic(expected = "reserved for the SDK")]
    fn apps_cannot_take_an_sdk_memory() {
        get(SDK_MEMORY);
    }

    /// Pages of a whole 8 MiB bucket of the canister's manager.
    const BUCKET_PAGES: u64 = 128;

    #[test]
    fn the_sdk_layout_fits_one_bucket_idle_and_at_capacity() {
        use crate::events::ErrorSource;
        use crate::store::Store;
        use ic_stable_structures::{Memory as _, VectorMemory};

        let memory = VectorMemory::default();
        let mut store = Store::init(layout(memory.clone()));
        assert_eq!(
            memory.size(),
            7,
            "a header page and one page per structure when idle"
        );
        let sender = candid::Principal::from_slice(&[0xab; 29]);
        for id in 0..2 * crate::dedupe::DEFAULT_CAPACITY {
            store.seen.begin(sender, id);
            store.seen.complete(sender, id);
        }
        let long = "x".repeat(crate::error_log::MAX_MESSAGE_BYTES);
        for i in 0..2 * crate::error_log::DEFAULT_CAPACITY {
            let source = ErrorSource::Timer(format!("timer {i}"));
            store.errors.record(source, &long, Some(5), i);
        }
        for i in 0..100 {
            store.mark_task_completed(&format!("task {i}"), i);
        }
        let reason = "x".repeat(crate::maintenance::MAX_REASON_BYTES);
        store.set_maintenance(Some(crate::types::Maintenance {
            reason,
            until_ns: 2,
            since_ns: 1,
            entered_by: sender,
        }));
        assert!(
            memory.size() <= BUCKET_PAGES,
            "full dedupe window and error log: {} pages",
            memory.size()
        );
    }

    #[test]
    fn update_cell_writes_the_changed_value_back_to_stable_memory() {
        use ic_stable_structures::VectorMemory;
        thread_local! {
            static MEMORY: VectorMemory = VectorMemory::default();
            static COUNTER: RefCell<StableCell<u64, VectorMemory>> =
                RefCell::new(StableCell::init(MEMORY.with(Clone::clone), 1));
        }
        let returned = update_cell(&COUNTER, |n| {
            *n += 41;
            "done"
        });
        assert_eq!(returned, "done");
        let reopened = StableCell::init(MEMORY.with(Clone::clone), 0u64);
        assert_eq!(*reopened.get(), 42, "the new value is in stable memory");
    }

    #[test]
    fn apps_get_their_own_ids() {
        use ic_stable_structures::Memory as _;
        let m = get(MemoryId::new(0));
        assert_eq!(m.size(), 0);
    }
}
