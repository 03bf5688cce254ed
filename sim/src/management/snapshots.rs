//! Canister snapshots: take, load, list, delete.

use super::{decode, reply, MgmtCall, MgmtResult};
use crate::canister::CanisterSnapshot;
use crate::error::{ErrorCode, UserError};
use crate::sim::Sim;
use crate::wasm::instance::Instance;
use crate::wasm::stable::StableMemory;
use candid::Principal;
use ic_management_canister_types::{
    ChangeDetails, DeleteCanisterSnapshotArgs, LoadCanisterSnapshotArgs, LoadSnapshotRecord,
    Snapshot, SnapshotSource, TakeCanisterSnapshotArgs,
};

/// Most snapshots a canister may hold.
pub const MAX_SNAPSHOTS: usize = 10;

fn not_found(id: Principal, snapshot: &[u8]) -> UserError {
    UserError::new(
        ErrorCode::CanisterSnapshotNotFound,
        format!(
            "Could not find the snapshot ID {} for canister {id}",
            hex::encode(snapshot)
        ),
    )
}

impl Sim {
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
        if let Some(old) = &args.replace_snapshot {
            if !c.snapshots.contains_key(old) {
                return Err(not_found(id, old));
            }
        } else if c.snapshots.len() >= MAX_SNAPSHOTS {
            return Err(UserError::new(
                ErrorCode::InvalidManagementPayload,
                format!("Canister {id} already has {MAX_SNAPSHOTS} snapshots; delete one or pass replace_snapshot"),
            ));
        }
        let snapshot = CanisterSnapshot {
            taken_at: self.time_ns,
            wasm: c.wasm.clone(),
            state: instance.save(),
            certified_data: c.certified_data.clone(),
            global_timer: c.global_timer,
        };
        let mut snapshot_id = self.next_snapshot.to_be_bytes().to_vec();
        snapshot_id.extend_from_slice(id.as_slice());
        self.next_snapshot += 1;
        let result = Snapshot {
            id: snapshot_id.clone(),
            taken_at_timestamp: snapshot.taken_at,
            total_size: snapshot.size(),
        };
        let c = self.canisters.get_mut(&id).expect("checked");
        if let Some(old) = &args.replace_snapshot {
            c.snapshots.remove(old);
        }
        c.snapshots.insert(snapshot_id, snapshot);
        if args.uninstall_code == Some(true) {
            self.uninstall(id, call.sender, "Canister has been uninstalled.");
        }
        reply(&result)
    }

    pub(super) fn load_snapshot_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: LoadCanisterSnapshotArgs = decode("load_canister_snapshot", call.payload)?;
        let id = args.canister_id;
        let c = self.controlled(id, call.sender)?;
        let snapshot = c
            .snapshots
            .get(&args.snapshot_id)
            .cloned()
            .ok_or_else(|| not_found(id, &args.snapshot_id))?;
        let module = self.cache.get_or_compile(&snapshot.wasm).map_err(|e| {
            UserError::new(
                ErrorCode::CanisterInvalidWasm,
                format!("Error from Canister {id}: {e}"),
            )
        })?;
        let mut instance = Instance::new(&self.cache, module, StableMemory::default(), id)
            .map_err(|e| {
                UserError::new(
                    ErrorCode::CanisterInvalidWasm,
                    format!("Error from Canister {id}: {e}"),
                )
            })?;
        instance.restore(&self.cache, &snapshot.state);
        self.reject_open_contexts(id, &format!("Canister {id}: a snapshot was loaded while the call was in progress; the call context was dropped"));
        let c = self.canisters.get_mut(&id).expect("checked");
        c.instance = Some(instance);
        c.wasm = snapshot.wasm.clone();
        c.certified_data = snapshot.certified_data.clone();
        c.global_timer = snapshot.global_timer;
        c.code_generation += 1;
        c.version += 1;
        let details = ChangeDetails::LoadSnapshot(LoadSnapshotRecord {
            from_canister_id: None,
            snapshot_id: args.snapshot_id.clone(),
            canister_version: c.version,
            taken_at_timestamp: snapshot.taken_at,
            source: SnapshotSource::TakenFromCanister(candid::Reserved),
        });
        self.record_change_of(id, call.sender, details);
        reply(&())
    }

    pub(super) fn list_snapshots_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let c = self.controlled_by_arg("list_canister_snapshots", call)?;
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
