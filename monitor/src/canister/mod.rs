//! The canister layer: stable memory wiring, timers, bounded-wait calls and endpoints. Policy is
//! in the other modules; this layer only connects it to the IC.

mod endpoints;
mod platform;
mod timer;
mod webhook_endpoints;

use crate::api::{Config, InitArgs};
use crate::monitor::Monitor;
use ic_stable_structures::DefaultMemoryImpl;
use std::cell::RefCell;
use std::rc::Rc;

/// The monitor as the canister holds it.
pub type State = Rc<RefCell<Monitor<DefaultMemoryImpl>>>;

thread_local! {
    static INSTALL_INSTRUCTIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static TICK_INSTRUCTIONS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
    static STATE: State = Rc::new(RefCell::new(Monitor::init(
        DefaultMemoryImpl::default(),
        ic_cdk::api::canister_self(),
    )));
}

/// A handle on the monitor state (cheap to clone, may be held across awaits).
pub fn state() -> State {
    STATE.with(Rc::clone)
}

/// Applies `args` to the state.
pub fn apply_init_args(args: Option<InitArgs>) -> Result<Config, String> {
    state()
        .borrow_mut()
        .apply_install_args(args.unwrap_or_default())
        .map_err(|e| e.to_string())
}

/// Remembers how many instructions the running init or post_upgrade has used so far.
pub fn record_install_instructions() {
    INSTALL_INSTRUCTIONS.set(ic_cdk::api::instruction_counter());
}

/// Instructions of the last init or post_upgrade.
pub fn install_instructions() -> u64 {
    INSTALL_INSTRUCTIONS.get()
}

/// Remembers the instructions a timer tick took to pick and start its due work.
pub fn record_tick_instructions(instructions: u64) {
    let (_, max) = TICK_INSTRUCTIONS.get();
    TICK_INSTRUCTIONS.set((instructions, max.max(instructions)));
}

/// Instructions of the last timer tick and the most any took since the last upgrade.
pub fn tick_instructions() -> (u64, u64) {
    TICK_INSTRUCTIONS.get()
}
