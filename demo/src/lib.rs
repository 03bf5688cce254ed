//! The canister-hooks demo: the monitor and the example canisters on an embedded ic-sim (or any
//! PocketIC server, for the end-to-end tests) through the test kit's `Ic`, driven through a
//! scripted story (readiness gating, a cycles burn, memory growth, a trapping
//! timer, a target that stops answering, a dead letter and its redrive, a monitor upgrade, and a
//! busy canister upgraded through the monitor's pipeline, then a broken release rolled back), with
//! every alert posted to a webhook channel whose receiver the demo plays.

pub mod journal;
pub mod receiver;
pub mod report;
pub mod story;
pub mod traffic;
pub mod world;
