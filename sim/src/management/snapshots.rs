//! Canister snapshots: take, load, list, delete, and what the snapshot methods share (ids, the
//! snapshot limit, who may read snapshots).

use super::{decode, reply, MgmtCall, MgmtResult};
use crate::canister::{Canister, CanisterSnapshot, LowMemoryHook};
use crate::error::{ErrorCode, UserError};
use crate::execution::{low_memory_condition, update_low_memory_hook};
use crate::sim::Sim;
use crate::wasm::instance::Instance;
use crate::wasm::stable::StableMemory;
use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, ChangeDetails, DeleteCanisterSnapshotArgs, LoadCanisterSnapshotArgs,
    LoadSnapshotRecord, Snapshot, SnapshotSource, SnapshotVisibility, TakeCanisterSnapshotArgs,
};

/// Most snapshots a canister may hold.
pub const MAX_SNAPSHOTS: usize = 10;

/// Snapshot ids are an 8-byte sequence number followed by the owning canister's id.
fn snapshot_id(sequence: u64, owner: Principal) -> Vec<u8> {
    let mut id = sequence.to_be_bytes().to_vec();
    id.extend_from_slice(owner.as_slice());
    id
}

/// The canister a snapshot id belongs to, if the id is one of ours.
fn snapshot_owner(snapshot_id: &[u8]) -> Option<Principal> {
    snapshot_id
        .get(8..)
        .filter(|b| !b.is_empty() && b.len() <= 29)
        .map(Principal::from_slice)
}

/// The error for a snapshot id the canister does not hold.
pub(super) fn not_found(id: Principal, snapshot: &[u8]) -> UserError {
    UserError::new(
        ErrorCode::CanisterSnapshotNotFound,
        format!(
            "Could not find the snapshot ID {} for canister {id}",
            hex::encode(snapshot)
        ),
    )
}

/// Checks that canister `c` has room for one more snapshot: `replace` must be one of its
/// snapshots, or it must hold fewer than [`MAX_SNAPSHOTS`].
pub(super) fn check_room(c: &Canister, replace: Option<&Vec<u8>>) -> Result<(), UserError> {
    match replace {
        Some(old) if !c.snapshots.contains_key(old) => Err(not_found(c.id, old)),
        None if c.snapshots.len() >= MAX_SNAPSHOTS => Err(UserError::new(
            ErrorCode::CanisterRejectedMessage,
            format!(
                "Canister {} has reached the maximum number of snapshots allowed: {MAX_SNAPSHOTS}. Delete one or pass replace_snapshot.",
                c.id
            ),
        )),
        _ => Ok(()),
    }
}

impl Sim {
    /// Stores `snapshot` as a new snapshot of canister `id` (which [`check_room`] accepted),
    /// deleting `replace` if given; returns its id.
    pub(super) fn add_snapshot(
        &mut self,
        id: Principal,
        replace: Option<&Vec<u8>>,
        snapshot: CanisterSnapshot,
    ) -> Vec<u8> {
        let snapshot_id = snapshot_id(self.next_snapshot, id);
        self.next_snapshot += 1;
        let c = self.canisters.get_mut(&id).expect("checked by the caller");
        if let Some(old) = replace {
            c.snapshots.remove(old);
        }
        c.snapshots.insert(snapshot_id.clone(), snapshot);
        snapshot_id
    }

    /// The canister, if its `snapshot_visibility` lets `sender` list and read its snapshots
    /// (controllers always may).
    pub(super) fn snapshot_viewer(
        &self,
        id: Principal,
        sender: Principal,
    ) -> Result<&Canister, UserError> {
        let c = self.existing(id)?;
        match &c.settings.snapshot_visibility {
            SnapshotVisibility::Public => Ok(c),
            SnapshotVisibility::Controllers => self.controlled(id, sender),
            SnapshotVisibility::AllowedViewers(viewers)
                if c.is_controller(&sender) || viewers.contains(&sender) =>
            {
                Ok(c)
            }
            SnapshotVisibility::AllowedViewers(_) => Err(UserError::new(
                ErrorCode::CanisterInvalidController,
                format!(
                    "Caller {sender} is neither a controller of canister {id} nor one of the allowed viewers of its snapshots (snapshot_visibility)"
                ),
            )),
        }
    }

    pub(super) fn take_snapshot_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: TakeCanisterSnapshotArgs = decode("take_canister_snapshot", call.payload)?;
        let id = args.canister_id;
        let c = self.controlled(id, call.sender)?;
        let Some(instance) = &c.instance else {
            return Err(UserError::new(
                ErrorCode::CanisterWasmModuleNotFound,
                format!("Canister {id} has no code: there is nothing to snapshot"),
            ));
        };
        check_room(c, args.replace_snapshot.as_ref())?;
        let snapshot = CanisterSnapshot {
            source: SnapshotSource::TakenFromCanister(candid::Reserved),
            taken_at: self.time_ns,
            wasm: c.wasm.clone(),
            state: instance.save(),
            certified_data: c.certified_data.clone(),
            global_timer: Some(c.global_timer),
            low_memory_hook: Some(c.low_memory_hook),
            canister_version: c.version,
            chunks: c.chunks.clone(),
        };
        let (taken_at_timestamp, total_size) = (snapshot.taken_at, snapshot.size());
        let snapshot_id = self.add_snapshot(id, args.replace_snapshot.as_ref(), snapshot);
        let result = Snapshot {
            id: snapshot_id,
            taken_at_timestamp,
            total_size,
        };
        if args.uninstall_code == Some(true) {
            self.uninstall(id, call.sender, "Canister has been uninstalled.");
        }
        reply(&result)
    }

    pub(super) fn load_snapshot_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: LoadCanisterSnapshotArgs = decode("load_canister_snapshot", call.payload)?;
        let id = args.canister_id;
        // Spec: the snapshot may belong to another canister of the same subnet (ic-sim has one
        // subnet); the caller must control both.
        let owner = snapshot_owner(&args.snapshot_id).unwrap_or(id);
        self.controlled(id, call.sender)?;
        let snapshot = self
            .controlled(owner, call.sender)?
            .snapshots
            .get(&args.snapshot_id)
            .cloned()
            .ok_or_else(|| not_found(owner, &args.snapshot_id))?;
        let invalid = |e: String| {
            UserError::new(
                ErrorCode::CanisterInvalidWasm,
                format!("Error from Canister {id}: {e}"),
            )
        };
        let module = self
            .cache
            .get_or_compile(&snapshot.wasm)
            .map_err(|e| invalid(e.to_string()))?;
        let mut instance = Instance::new(&self.cache, module, StableMemory::default(), id)
            .map_err(|e| invalid(e.to_string()))?;
        let inconsistent = |e: String| {
            UserError::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "Snapshot {} cannot be loaded onto canister {id}: {e}",
                    hex::encode(&args.snapshot_id)
                ),
            )
        };
        instance
            .check_state(&snapshot.state)
            .map_err(inconsistent)?;
        instance.restore(&self.cache, &snapshot.state);
        let target = self.existing(id)?;
        if let (SnapshotSource::MetadataUpload(_), Some(hook)) =
            (&snapshot.source, snapshot.low_memory_hook)
        {
            // Spec: an uploaded hook status must agree with the hook's condition on the target.
            let holds = low_memory_condition(&target.settings, Some(&instance));
            if holds != (hook != LowMemoryHook::ConditionNotSatisfied) {
                return Err(inconsistent(format!(
                    "its on_low_wasm_memory_hook_status {hook:?} contradicts the hook's condition on the canister, which {}",
                    if holds { "holds" } else { "does not hold" }
                )));
            }
        }
        // Open call contexts stay (spec, load_canister_snapshot): callbacks run in the loaded code.
        let c = self.canisters.get_mut(&id).expect("checked");
        c.instance = Some(instance);
        c.wasm = snapshot.wasm.clone();
        c.certified_data = snapshot.certified_data.clone();
        if let Some(timer) = snapshot.global_timer {
            c.global_timer = timer;
        }
        if let Some(hook) = snapshot.low_memory_hook {
            c.low_memory_hook = hook;
        }
        update_low_memory_hook(c);
        c.chunks = snapshot.chunks.clone();
        c.version += 1;
        let details = ChangeDetails::LoadSnapshot(LoadSnapshotRecord {
            from_canister_id: (owner != id).then_some(owner),
            snapshot_id: args.snapshot_id.clone(),
            canister_version: snapshot.canister_version,
            taken_at_timestamp: snapshot.taken_at,
            source: snapshot.source.clone(),
        });
        self.record_change_of(id, call.sender, details);
        reply(&())
    }

    pub(super) fn list_snapshots_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: CanisterIdRecord = decode("list_canister_snapshots", call.payload)?;
        let c = self.snapshot_viewer(args.canister_id, call.sender)?;
        let list: Vec<Snapshot> = c
            .snapshots
            .iter()
            .map(|(sid, s)| Snapshot {
                id: sid.clone(),
                taken_at_timestamp: s.taken_at,
                total_size: s.size(),
            })
            .collect();
        reply(&list)
    }

    pub(super) fn delete_snapshot_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: DeleteCanisterSnapshotArgs = decode("delete_canister_snapshot", call.payload)?;
        let id = args.canister_id;
        self.controlled(id, call.sender)?;
        let c = self.canisters.get_mut(&id).expect("checked");
        if c.snapshots.remove(&args.snapshot_id).is_none() {
            return Err(not_found(id, &args.snapshot_id));
        }
        reply(&())
    }
}
