//! The asynchronous side of lifecycle operations: the checks that need calls before an upgrade,
//! backup or restore starts (the monitor controls the canisters; the target links the SDK),
//! uploading a module's chunks, and running an operation's steps.

use super::Platform;
use crate::api::{
    BackupMode, BackupPolicy, OperationError, OperationView, RestoreArgs, UpgradeArgs,
};
use crate::monitor::Monitor;
use crate::policy::access::Caller;
use crate::policy::pipeline::calls::{self, StatusFields};
use crate::policy::pipeline::Action;
use candid::Principal;
use canister_hooks_types::sdk::HooksStatus;
use ic_management_canister_types::{ChunkHash, UploadChunkArgs};
use ic_stable_structures::Memory;
use std::cell::RefCell;

/// Largest chunk the management canister's `upload_chunk` accepts, bytes (1 MiB).
pub const MAX_CHUNK_BYTES: usize = 1 << 20;

fn call_failed(
    canister: Principal,
    method: &str,
) -> impl Fn(Option<u32>, String) -> OperationError + '_ {
    move |reject_code, message| OperationError::CallFailed {
        canister_id: canister,
        method: method.into(),
        reject_code,
        message,
    }
}

/// Checks that the monitor controls `target` and every one of `copies`, and asks whether
/// `target` links the SDK (it answers the SDK's status query).
pub(super) async fn probe<P: Platform>(
    platform: &P,
    monitor: Principal,
    timeout: u32,
    target: Principal,
    copies: &[Option<Principal>],
) -> Result<bool, OperationError> {
    for canister in std::iter::once(target).chain(copies.iter().flatten().copied()) {
        check_controlled(platform, canister, monitor, timeout).await?;
    }
    let status = calls::call_for(&Action::ReadInFlight { canister: target });
    Ok(platform
        .call(status, 0, timeout)
        .await
        .is_ok_and(|bytes| candid::decode_one::<HooksStatus>(&bytes).is_ok()))
}

/// Errs unless `monitor` is among `canister`'s controllers.
async fn check_controlled<P: Platform>(
    platform: &P,
    canister: Principal,
    monitor: Principal,
    timeout: u32,
) -> Result<(), OperationError> {
    let failed = call_failed(canister, "canister_status");
    let bytes = platform
        .canister_status(canister, timeout)
        .await
        .map_err(|e| failed(e.reject_code, e.describe()))?;
    let status: StatusFields = candid::decode_one(&bytes)
        .map_err(|e| failed(None, format!("unexpected canister_status reply: {e}")))?;
    if status.settings.controllers.contains(&monitor) {
        Ok(())
    } else {
        Err(OperationError::NotController {
            canister_id: canister,
            controllers: status.settings.controllers,
        })
    }
}

/// The monitor's id and call timeout.
fn context<M: Memory>(state: &RefCell<Monitor<M>>) -> (Principal, u32) {
    let s = state.borrow();
    (s.id(), s.config().call_timeout_seconds)
}

/// Starts an upgrade pipeline (checked, probed); the timer runs it.
pub async fn start_upgrade<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    caller: Caller,
    args: UpgradeArgs,
) -> Result<OperationView, OperationError> {
    state.borrow().check_upgrade(&caller, &args)?;
    let (monitor, timeout) = context(state);
    let sdk = probe(
        platform,
        monitor,
        timeout,
        args.canister_id,
        &[args.rehearse_on],
    )
    .await?;
    state
        .borrow_mut()
        .begin_upgrade(&caller, args, sdk, platform.now_ns())
}

/// Starts a restore (checked, probed); the timer runs it.
pub async fn start_restore<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    caller: Caller,
    args: RestoreArgs,
) -> Result<OperationView, OperationError> {
    state.borrow().check_restore(&caller, &args)?;
    let (monitor, timeout) = context(state);
    let sdk = probe(platform, monitor, timeout, args.canister_id, &[args.onto]).await?;
    state
        .borrow_mut()
        .begin_restore(&caller, args, sdk, platform.now_ns())
}

/// Starts a backup now (checked, probed); the timer runs it.
pub async fn start_backup<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    caller: Caller,
    canister: Principal,
    mode: Option<BackupMode>,
) -> Result<OperationView, OperationError> {
    state
        .borrow()
        .check_lifecycle(&caller, "start_backup", canister)?;
    let (monitor, timeout) = context(state);
    let sdk = probe(platform, monitor, timeout, canister, &[]).await?;
    state
        .borrow_mut()
        .begin_backup(&caller, canister, mode, sdk, platform.now_ns())
}

/// Sets or removes a canister's backup policy (checked, probed when set); returns when its
/// first backup is due.
pub async fn set_backup_policy<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    caller: Caller,
    canister: Principal,
    policy: Option<BackupPolicy>,
) -> Result<Option<u64>, OperationError> {
    state
        .borrow()
        .check_backup_policy(&caller, canister, &policy)?;
    let sdk = match policy {
        Some(_) => {
            let (monitor, timeout) = context(state);
            probe(platform, monitor, timeout, canister, &[]).await?
        }
        None => false,
    };
    state
        .borrow_mut()
        .set_backup_policy(&caller, canister, policy, sdk, platform.now_ns())
}

/// Runs `canister`'s operation (already marked as having a task by `take_due_operations`)
/// until it waits or ends: each call is stored as made before it is made, and its reply
/// recorded.
pub async fn run_operation<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    canister: Principal,
) {
    loop {
        let next = state
            .borrow_mut()
            .operation_call(canister, platform.now_ns());
        let Some((action, timeout)) = next else { break };
        let call = calls::call_for(&action);
        let result = platform.call(call, 0, timeout).await;
        let reply = calls::reply_to(&action, result);
        state
            .borrow_mut()
            .operation_reply(canister, reply, platform.now_ns());
    }
}

/// Stores `chunk` in the chunk store of `canister` (registered, controlled by the monitor) with
/// the management canister's `upload_chunk`; returns its SHA-256 hash.
pub async fn upload_chunk<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    caller: Caller,
    canister: Principal,
    chunk: Vec<u8>,
) -> Result<Vec<u8>, OperationError> {
    state
        .borrow()
        .check_lifecycle(&caller, "upload_chunk", canister)?;
    if chunk.is_empty() || chunk.len() > MAX_CHUNK_BYTES {
        return Err(OperationError::InvalidArgument {
            field: "chunk".into(),
            reason: format!(
                "a chunk is 1 byte to 1 MiB; this one is {} bytes: split the module",
                chunk.len()
            ),
        });
    }
    let (_, timeout) = context(state);
    let arg = candid::encode_one(UploadChunkArgs {
        canister_id: canister,
        chunk,
    })
    .expect("upload_chunk arguments encode");
    let failed = call_failed(canister, "upload_chunk");
    let bytes = platform
        .call(calls::management("upload_chunk", arg), 0, timeout)
        .await
        .map_err(|e| failed(e.reject_code, e.describe()))?;
    candid::decode_one::<ChunkHash>(&bytes)
        .map(|h| h.hash)
        .map_err(|e| failed(None, format!("unexpected upload_chunk reply: {e}")))
}
