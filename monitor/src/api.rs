//! The monitor's Candid API: every type its endpoints take or return (from
//! `canister-hooks-types`).

pub use canister_hooks_types::monitor::*;
