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
            canister_version: c.version,
            chunks: c.chunks.clone(),
        };
        let snapshot_id = snapshot_id(self.next_snapshot, id);
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
        instance.restore(&self.cache, &snapshot.state);
        // Open call contexts stay (spec, load_canister_snapshot): callbacks run in the loaded code.
        let c = self.canisters.get_mut(&id).expect("checked");
        c.instance = Some(instance);
        c.wasm = snapshot.wasm.clone();
        c.certified_data = snapshot.certified_data.clone();
        c.global_timer = snapshot.global_timer;
        c.chunks = snapshot.chunks.clone();
        c.version += 1;
        let details = ChangeDetails::LoadSnapshot(LoadSnapshotRecord {
            from_canister_id: (owner != id).then_some(owner),
            snapshot_id: args.snapshot_id.clone(),
            canister_version: snapshot.canister_version,
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
