//! canister-hooks: the lifecycle hooks the Internet Computer does not provide.

pub mod events;
