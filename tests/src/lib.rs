//! Helpers shared by the integration tests in `tests/tests/`: scenario layers on the test kit
//! (`canister-hooks-testkit`) and how to start the server under test.

pub mod fleet;
pub mod icp_cli;
pub mod lifecycle;
pub mod monitor_did;
pub mod monitor_perf;
pub mod script;
pub mod sdk;
pub mod server;
pub mod system_canisters;

pub use canister_hooks_testkit::{canister_wasm, workspace_root};
