//! The SDK's per-canister heap state and lazy access to its stable store.

use std::cell::RefCell;

use crate::memory::{self, SdkMemory};
use crate::store::Store;

thread_local! {
    static STORE: RefCell<Option<Store<SdkMemory>>> = const { RefCell::new(None) };
}

/// Runs `f` on the stable store, opening it on first use.
pub(crate) fn with_store<R>(f: impl FnOnce(&mut Store<SdkMemory>) -> R) -> R {
    STORE.with_borrow_mut(|s| f(s.get_or_insert_with(|| Store::init(memory::sdk_memories()))))
}
