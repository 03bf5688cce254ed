//! The canister layer of the gated example: its state, hooks, lifecycle and endpoints (compiled
//! for wasm and for its own tests only, so the types in the crate root stay importable natively).

use super::*;
use canister_hooks::{Hooks, InitTask, Setup};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::StableCell;
use std::cell::RefCell;

thread_local! {
    static STATE: RefCell<StableCell<State, canister_hooks::memory::Memory>> = RefCell::new(
        StableCell::init(canister_hooks::memory::get(MemoryId::new(0)), State::default()),
    );
}

fn state() -> State {
    STATE.with_borrow(|s| s.get().clone())
}

fn update_state(f: impl FnOnce(&mut State)) {
    STATE.with_borrow_mut(|cell| {
        let mut s = cell.get().clone();
        f(&mut s);
        cell.set(s);
    });
}

/// No custom hook handlers: errors land in the SDK's log (`hooks_recent_errors`).
pub struct GatedHooks;
impl Hooks for GatedHooks {}

canister_hooks::export_hooks!(GatedHooks);

/// Fetches the configuration from the configured source (bounded-wait, tracked: an upgrade is
/// refused while it awaits the answer).
async fn fetch_config() -> Result<(), String> {
    let source = state()
        .config_source
        .ok_or("no config_source: install the canister with one")?;
    let config: RemoteConfig = canister_hooks::call::Call::bounded_wait(source, "config")
        .await
        .map_err(|e| format!("config from {source}: {e}"))?
        .candid()
        .map_err(|e| format!("config from {source}: {e}"))?;
    update_state(|s| {
        s.config = Some(config);
        s.config_fetches += 1;
    });
    Ok(())
}

async fn assign_instance_id() -> Result<(), String> {
    let id = canister_hooks::random_u64().map_err(|e| e.to_string())?;
    update_state(|s| s.instance_id = Some(id));
    Ok(())
}

fn setup() -> Setup {
    Setup::new()
        .task(InitTask::new("fetch_config", fetch_config))
        .task(InitTask::new("assign_instance_id", assign_instance_id).once())
}

#[ic_cdk::init]
fn init(arg: GatedInit) {
    update_state(|s| s.config_source = Some(arg.config_source));
    let mut setup = setup();
    if let Some(m) = arg.monitor {
        setup = setup.monitors(vec![m]);
    }
    canister_hooks::init(setup);
}

#[ic_cdk::post_upgrade]
fn post_upgrade() {
    update_state(|s| s.config = None); // re-fetched by the post-init sequence
    canister_hooks::post_upgrade(setup());
}

#[ic_cdk::pre_upgrade]
fn pre_upgrade() {
    canister_hooks::guard_upgrade();
}

#[ic_cdk::inspect_message]
fn inspect_message() {
    canister_hooks::inspect_message(&[]);
}

/// A greeting built from the fetched configuration.
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn greet(name: String) -> String {
    let greeting = state().config.map(|c| c.greeting).unwrap_or_default();
    format!("{greeting}, {name}!")
}

/// A fresh random number from the seeded RNG (updates persist the RNG's advance); refused in
/// maintenance.
#[ic_cdk::update(guard = "canister_hooks::guard_ready_and_not_in_maintenance")]
fn draw() -> u64 {
    canister_hooks::random_u64().unwrap_or_else(|e| ic_cdk::trap(e.to_string()))
}

/// The durable state: configuration, instance id, fetch count.
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn state_view() -> State {
    state()
}

ic_cdk::export_candid!();

#[cfg(test)]
/// `gated.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p example-gated did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("gated.did");
}
