//! Wasm: instrumentation, the compiled-module cache, canister instances and stable memory.

pub mod instance;
pub mod instrument;
pub mod module_cache;
pub mod stable;
