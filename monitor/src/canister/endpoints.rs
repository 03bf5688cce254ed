//! Candid endpoints. Every update and query checks its caller against the access table
//! ([`crate::policy::access`]); `inspect_message` turns away unauthorised ingress early with the
//! same table, but the checks here remain the authority. A query refused by the read policy
//! traps with the reason (its reply type has no error to carry it); `http_request` answers as
//! the page setting allows.

use super::platform::Ic;
use super::{apply_init_args, state, timer};
use crate::api::*;
use crate::driver;
use crate::monitor::Mode;
use crate::policy::access::{self, Caller};
use crate::policy::read::TOKEN_BYTES;
use crate::render::metrics::{Snapshot, MAX_CANISTERS_SHOWN, OPERATIONS_SHOWN};
use crate::render::pages;
use candid::Principal;
use ic_cdk::api::{is_controller, msg_caller, time};
use ic_cdk::{init, inspect_message, post_upgrade, query, update};
use serde_bytes::ByteBuf;

fn now() -> u64 {
    time()
}

/// The caller of the running message, with its roles.
fn caller() -> Caller {
    let principal = msg_caller();
    state()
        .borrow()
        .caller(principal, is_controller(&principal))
}

/// The caller, when the access table lets it call `method`; else who it was and why not.
pub(super) fn authorize(method: &str) -> Result<Caller, (Principal, String)> {
    let c = caller();
    access::check(method, &c)
        .map(|()| c)
        .map_err(|reason| (c.principal, reason.to_string()))
}

fn registration_refused((caller, reason): (Principal, String)) -> RegistrationError {
    RegistrationError::NotAuthorized { caller, reason }
}

fn redrive_refused((caller, _): (Principal, String)) -> RedriveError {
    RedriveError::NotAuthorized { caller }
}

fn admin_refused((caller, reason): (Principal, String)) -> AdminError {
    AdminError::NotAuthorized { caller, reason }
}

/// Traps unless the access table lets the caller call the query `method` (also when it is
/// called as an update); the message names the caller and the rule, nothing of the monitor.
pub(super) fn authorize_or_trap(method: &str) {
    if let Err((caller, reason)) = authorize(method) {
        ic_cdk::trap(format!(
            "{caller} may not call {method} on this monitor: {reason}"
        ));
    }
}

/// Applies the install or upgrade argument (`what` names it in a trap) and arms the timers.
fn install(args: Option<InitArgs>, what: &str) {
    if let Err(e) = apply_init_args(args) {
        ic_cdk::trap(format!("invalid {what} argument: {e}"));
    }
    timer::start();
    super::record_install_instructions();
}

#[init]
fn canister_init(args: Option<InitArgs>) {
    install(args, "init");
}

#[post_upgrade]
fn canister_post_upgrade(args: Option<InitArgs>) {
    // All state is already in stable memory; only the timers must be re-armed.
    install(args, "upgrade");
}

#[inspect_message]
fn inspect() {
    let method = ic_cdk::api::msg_method_name();
    let caller = caller();
    if access::admits_ingress(&method, &caller) {
        ic_cdk::api::accept_message();
    } else {
        ic_cdk::trap(format!(
            "{} may not call {method} on this monitor (controllers manage config and admins; \
             admins manage registrations, upgrades, backups and restores; report_error is for registered \
             canisters; the read policy says who may read)",
            caller.principal
        ));
    }
}

/// Registers or updates `args` as the caller asked, then re-arms the timer for the new poll.
async fn registration(args: RegisterArgs, mode: Mode) -> Result<Registration, RegistrationError> {
    let caller = msg_caller();
    let r = driver::register(&state(), &Ic, caller, is_controller(&caller), args, mode).await;
    timer::rearm();
    r
}

#[update]
async fn register(args: RegisterArgs) -> Result<Registration, RegistrationError> {
    registration(args, Mode::New).await
}

#[update]
async fn update_registration(args: RegisterArgs) -> Result<Registration, RegistrationError> {
    registration(args, Mode::Update).await
}

#[update]
fn unregister(canister_id: Principal) -> Result<(), RegistrationError> {
    let s = state();
    let self_unregister = msg_caller() == canister_id
        && s.borrow()
            .registration(canister_id)
            .is_some_and(|r| r.self_registered);
    if !self_unregister {
        authorize("unregister").map_err(registration_refused)?;
    }
    let r = s.borrow_mut().unregister(canister_id, now());
    r
}

#[update]
fn poll_now(canister_id: Principal) -> Result<(), RegistrationError> {
    authorize("poll_now").map_err(registration_refused)?;
    state().borrow_mut().poll_now(canister_id, now())?;
    timer::rearm();
    Ok(())
}

#[update]
fn report_error(report: ErrorReport) -> Result<u64, String> {
    let r = state()
        .borrow_mut()
        .report_error(msg_caller(), report, now());
    timer::rearm();
    r
}

#[update]
fn redrive(id: u64) -> Result<u64, RedriveError> {
    authorize("redrive").map_err(redrive_refused)?;
    let r = state().borrow_mut().redrive(id, now());
    timer::rearm();
    r
}

#[update]
fn redrive_canister(canister_id: Principal) -> Result<u64, RedriveError> {
    authorize("redrive_canister").map_err(redrive_refused)?;
    let r = state().borrow_mut().redrive_canister(canister_id, now());
    timer::rearm();
    r
}

/// Announces a change of a canister's code or controllers, so that it raises no event.
#[update]
fn expect_change(args: ExpectChangeArgs) -> Result<ExpectedChange, ExpectChangeError> {
    authorize("expect_change")
        .map_err(|(caller, reason)| ExpectChangeError::NotAuthorized { caller, reason })?;
    let r = state().borrow_mut().expect_change(&args, now());
    r
}

#[update]
fn set_config(update: ConfigUpdate) -> Result<Config, AdminError> {
    authorize("set_config").map_err(admin_refused)?;
    let r = state().borrow_mut().set_config(&update);
    timer::rearm();
    r
}

#[update]
fn add_admin(admin: Principal) -> Result<(), AdminError> {
    authorize("add_admin").map_err(admin_refused)?;
    state().borrow_mut().add_admin(admin);
    Ok(())
}

#[update]
fn remove_admin(admin: Principal) -> Result<(), AdminError> {
    authorize("remove_admin").map_err(admin_refused)?;
    state().borrow_mut().remove_admin(admin);
    Ok(())
}

/// Changes who may read the monitor and what `http_request` serves (controllers only).
#[update]
fn set_read_settings(update: ReadSettingsUpdate) -> Result<ReadSettings, AdminError> {
    authorize("set_read_settings").map_err(admin_refused)?;
    state().borrow_mut().set_read_settings(&update)
}

/// Issues a new metrics token from `raw_rand` (admins) and returns it, once: only its SHA-256
/// is kept, and the previous token stops working.
#[update]
async fn rotate_metrics_token() -> Result<String, AdminError> {
    authorize("rotate_metrics_token").map_err(admin_refused)?;
    let random = super::platform::raw_rand()
        .await
        .and_then(|r| {
            <[u8; TOKEN_BYTES]>::try_from(r.as_slice())
                .map_err(|_| format!("{} random bytes, not {TOKEN_BYTES}", r.len()))
        })
        .unwrap_or_else(|e| ic_cdk::trap(format!("no new metrics token: raw_rand failed: {e}")));
    Ok(state().borrow_mut().rotate_metrics_token(&random, now()))
}

/// Who may read the monitor, what `http_request` serves and when the metrics token was issued.
#[query]
fn read_settings() -> ReadSettings {
    authorize_or_trap("read_settings");
    state().borrow().read_settings()
}

/// Stores a chunk of a new module in a registered canister's chunk store (`upload_chunk` of the
/// management canister, through the monitor, which controls it); returns the chunk's hash.
#[update]
async fn upload_chunk(canister_id: Principal, chunk: ByteBuf) -> Result<ByteBuf, OperationError> {
    driver::operations::upload_chunk(&state(), &Ic, caller(), canister_id, chunk.into_vec())
        .await
        .map(ByteBuf::from)
}

/// Starts the upgrade pipeline for a registered canister the monitor controls; it runs in the
/// background (see `operation_status`).
#[update]
async fn start_upgrade(args: UpgradeArgs) -> Result<OperationView, OperationError> {
    let r = driver::operations::start_upgrade(&state(), &Ic, caller(), args).await;
    timer::rearm();
    r
}

/// Restores a registered canister (or a clone of it) to one of its snapshots, in the
/// background (see `operation_status`).
#[update]
async fn start_restore(args: RestoreArgs) -> Result<OperationView, OperationError> {
    let r = driver::operations::start_restore(&state(), &Ic, caller(), args).await;
    timer::rearm();
    r
}

/// Backs a registered canister up now, in `mode` (default: its policy's, else stopped), in the
/// background (see `operation_status`).
#[update]
async fn start_backup(
    canister_id: Principal,
    mode: Option<BackupMode>,
) -> Result<OperationView, OperationError> {
    let r = driver::operations::start_backup(&state(), &Ic, caller(), canister_id, mode).await;
    timer::rearm();
    r
}

/// Sets (or with `null` removes) a registered canister's backup policy; returns when its next
/// backup is due (IC time, ns).
#[update]
async fn set_backup_policy(
    canister_id: Principal,
    policy: Option<BackupPolicy>,
) -> Result<Option<u64>, OperationError> {
    driver::operations::set_backup_policy(&state(), &Ic, caller(), canister_id, policy).await
}

/// The running operation (upgrade, backup, restore) of a canister, or its latest finished one.
#[query]
fn operation_status(canister_id: Principal) -> Option<OperationView> {
    authorize_or_trap("operation_status");
    state().borrow().operation_status(canister_id)
}

/// Finished operations, newest first.
#[query]
fn operations(filter: OperationFilter) -> Vec<OperationView> {
    authorize_or_trap("operations");
    state().borrow().operations(&filter)
}

/// A canister's backups: its policy, the backups kept, the next one, the last failure, and what
/// its snapshots cost.
#[query]
fn backups(canister_id: Principal) -> BackupsView {
    authorize_or_trap("backups");
    state().borrow().backups(canister_id)
}

#[query]
fn get_registration(canister_id: Principal) -> Option<Registration> {
    authorize_or_trap("get_registration");
    state().borrow().registration(canister_id)
}

#[query]
fn list_registrations(start_after: Option<Principal>, limit: u32) -> RegistrationPage {
    authorize_or_trap("list_registrations");
    state().borrow().registrations(start_after, limit as usize)
}

#[query]
fn canister_state(canister_id: Principal) -> Option<CanisterState> {
    authorize_or_trap("canister_state");
    state().borrow().canister_state(canister_id, now())
}

#[query]
fn events(filter: EventFilter) -> EventPage {
    authorize_or_trap("events");
    state().borrow().events(&filter)
}

#[query]
fn dead_letters(
    canister_id: Option<Principal>,
    after_id: Option<u64>,
    limit: u32,
) -> DeadLetterPage {
    authorize_or_trap("dead_letters");
    state()
        .borrow()
        .dead_letters(canister_id, after_id, limit as usize)
}

#[query]
fn stats() -> Stats {
    authorize_or_trap("stats");
    state().borrow().stats()
}

#[query]
fn get_config() -> Config {
    authorize_or_trap("get_config");
    state().borrow().config()
}

#[query]
fn list_admins() -> Vec<Principal> {
    authorize_or_trap("list_admins");
    state().borrow().admins()
}

fn snapshot() -> Snapshot {
    let s = state();
    let m = s.borrow();
    let page = m.registrations(None, MAX_CANISTERS_SHOWN);
    let t = now();
    Snapshot {
        now_ns: t,
        stats: m.stats(),
        cycle_balance: ic_cdk::api::canister_cycle_balance(),
        stable_memory_bytes: ic_cdk::stable::stable_size() * 65_536,
        heap_bytes: heap_bytes(),
        polls_in_flight: m.polls_in_flight() as u64,
        deliveries_in_flight: m.deliveries_in_flight() as u64,
        sample_instructions: m.sample_cost(),
        structure_bytes: m.structure_sizes(),
        install_instructions: super::install_instructions(),
        tick_instructions: super::tick_instructions(),
        canisters: page
            .registrations
            .iter()
            .filter_map(|r| m.canister_state(r.canister_id, t))
            .collect(),
        operations: m.recent_operations(OPERATIONS_SHOWN),
        operation_counts: m.operation_counts(),
        backups: m.all_backups(),
        webhooks: m.webhook_status(),
        outcalls_in_flight: m.outcalls_in_flight() as u64,
    }
}

#[cfg(target_arch = "wasm32")]
fn heap_bytes() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * 65_536
}

#[cfg(not(target_arch = "wasm32"))]
fn heap_bytes() -> u64 {
    0
}

#[query]
fn http_request(req: HttpRequest) -> HttpResponse {
    let access = state().borrow().page_access(&req);
    pages::answer(&req, access, snapshot)
}
