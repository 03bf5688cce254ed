//! Helpers in the image of `pocket_ic::PocketIc`: each goes through ingress messages to the
//! canister or the management canister, like a real client would. Also fault injection.

use crate::error::{ErrorCode, RejectCode, SimError, UserError};
use crate::ids::MessageId;
use crate::sim::{Ingress, Sim};
use candid::{CandidType, Principal};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterLogRecord, CanisterSettings,
    CanisterStatusResult, DeleteCanisterSnapshotArgs, FetchCanisterLogsArgs,
    FetchCanisterLogsResult, LoadCanisterSnapshotArgs, ProvisionalCreateCanisterWithCyclesArgs,
    ReadCanisterSnapshotDataArgs, ReadCanisterSnapshotDataResult, ReadCanisterSnapshotMetadataArgs,
    ReadCanisterSnapshotMetadataResult, Snapshot, SnapshotDataKind, TakeCanisterSnapshotArgs,
    UpdateSettingsArgs, UpgradeFlags, UploadCanisterSnapshotDataArgs,
    UploadCanisterSnapshotMetadataArgs, UploadCanisterSnapshotMetadataResult,
};
use serde::de::DeserializeOwned;

fn decode_reply<R: CandidType + DeserializeOwned>(bytes: &[u8]) -> Result<R, UserError> {
    candid::decode_one(bytes).map_err(|e| {
        UserError::new(
            ErrorCode::InvalidManagementPayload,
            format!("ic-sim: cannot decode the management canister's reply: {e}"),
        )
    })
}

/// Public helpers for the management methods whose argument is the canister's id alone: each
/// `method -> reply type;` becomes `method(canister_id, sender)`, calling the method of that name.
macro_rules! by_id_methods {
    ($($(#[$doc:meta])* $name:ident -> $reply:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(
                &mut self,
                canister_id: Principal,
                sender: Option<Principal>,
            ) -> Result<$reply, UserError> {
                self.by_id(stringify!($name), canister_id, sender)
            }
        )*
    };
}

impl Sim {
    /// Submits an update call as ingress.
    pub fn submit_call(
        &mut self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<MessageId, UserError> {
        self.submit_ingress(Ingress {
            sender,
            canister_id,
            method: method.to_string(),
            payload: arg,
            effective_canister_id: Some(canister_id),
        })
    }

    /// Waits for a submitted call.
    pub fn await_call(&mut self, id: &MessageId) -> Result<Vec<u8>, UserError> {
        self.await_ingress(id)
    }

    /// An update call: submit, then run rounds until it completes.
    pub fn update_call(
        &mut self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, UserError> {
        let id = self.submit_call(canister_id, sender, method, arg)?;
        self.await_ingress(&id)
    }

    /// A query call.
    pub fn query_call(
        &mut self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, UserError> {
        self.query(sender, canister_id, method, arg)
    }

    /// Calls management `method` as `sender` (default anonymous) and decodes its reply.
    fn management<A: CandidType, R: CandidType + DeserializeOwned>(
        &mut self,
        sender: Option<Principal>,
        method: &str,
        arg: &A,
        effective: Option<Principal>,
    ) -> Result<R, UserError> {
        let payload = candid::encode_one(arg).expect("management arguments encode");
        let id = self.submit_ingress(Ingress {
            sender: sender.unwrap_or_else(Principal::anonymous),
            canister_id: Principal::management_canister(),
            method: method.to_string(),
            payload,
            effective_canister_id: effective,
        })?;
        let bytes = self.await_ingress(&id)?;
        decode_reply(&bytes)
    }

    /// Creates a canister controlled by the anonymous principal, with the default provisional cycles.
    pub fn create_canister(&mut self) -> Principal {
        self.create_canister_with_settings(None, None)
    }

    /// Creates a canister as `sender` (default anonymous) with optional settings.
    pub fn create_canister_with_settings(
        &mut self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
    ) -> Principal {
        self.try_create_canister(sender, settings, None, None)
            .unwrap_or_else(|e| panic!("create_canister failed: {e}"))
    }

    /// Creates a canister, optionally with a given amount of cycles and a specific id.
    pub fn try_create_canister(
        &mut self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
        cycles: Option<u128>,
        specified_id: Option<Principal>,
    ) -> Result<Principal, UserError> {
        let args = ProvisionalCreateCanisterWithCyclesArgs {
            amount: cycles.map(candid::Nat::from),
            settings,
            specified_id,
            sender_canister_version: None,
        };
        let r: CanisterIdRecord = self.management(
            sender,
            "provisional_create_canister_with_cycles",
            &args,
            specified_id,
        )?;
        Ok(r.canister_id)
    }

    fn install_mode(
        &mut self,
        canister_id: Principal,
        mode: CanisterInstallMode,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), UserError> {
        let args = crate::management::lifecycle::InstallCodeBlobArgs {
            mode,
            canister_id,
            wasm_module: wasm,
            arg,
            sender_canister_version: None,
        };
        self.manage_canister("install_code", canister_id, sender, &args)
    }

    /// Installs code (mode `install`).
    pub fn install_canister(
        &mut self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), UserError> {
        self.install_mode(canister_id, CanisterInstallMode::Install, wasm, arg, sender)
    }

    /// Upgrades code (runs pre_upgrade, keeps stable memory, runs post_upgrade).
    pub fn upgrade_canister(
        &mut self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), UserError> {
        self.install_mode(
            canister_id,
            CanisterInstallMode::Upgrade(None),
            wasm,
            arg,
            sender,
        )
    }

    /// Upgrades code with flags (e.g. skip_pre_upgrade).
    pub fn upgrade_canister_with_flags(
        &mut self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
        flags: UpgradeFlags,
    ) -> Result<(), UserError> {
        self.install_mode(
            canister_id,
            CanisterInstallMode::Upgrade(Some(flags)),
            wasm,
            arg,
            sender,
        )
    }

    /// Reinstalls code (state wiped).
    pub fn reinstall_canister(
        &mut self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), UserError> {
        self.install_mode(
            canister_id,
            CanisterInstallMode::Reinstall,
            wasm,
            arg,
            sender,
        )
    }

    /// Calls management `method` about `canister_id` (its effective canister id) with `arg`.
    fn manage_canister<A: CandidType, R: CandidType + DeserializeOwned>(
        &mut self,
        method: &str,
        canister_id: Principal,
        sender: Option<Principal>,
        arg: &A,
    ) -> Result<R, UserError> {
        self.management(sender, method, arg, Some(canister_id))
    }

    by_id_methods! {
        /// start_canister.
        start_canister -> ();
        /// stop_canister (runs rounds until the canister has stopped).
        stop_canister -> ();
        /// delete_canister (the canister must be stopped).
        delete_canister -> ();
        /// canister_status.
        canister_status -> CanisterStatusResult;
        /// list_canister_snapshots.
        list_canister_snapshots -> Vec<Snapshot>;
    }

    /// Calls management `method` whose argument is the canister's id alone.
    fn by_id<R: CandidType + DeserializeOwned>(
        &mut self,
        method: &str,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<R, UserError> {
        self.manage_canister(
            method,
            canister_id,
            sender,
            &CanisterIdRecord { canister_id },
        )
    }

    /// uninstall_code.
    pub fn uninstall_canister(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<(), UserError> {
        let args = ic_management_canister_types::UninstallCodeArgs {
            canister_id,
            sender_canister_version: None,
        };
        self.manage_canister("uninstall_code", canister_id, sender, &args)
    }

    /// update_settings.
    pub fn update_canister_settings(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        settings: CanisterSettings,
    ) -> Result<(), UserError> {
        let args = UpdateSettingsArgs {
            canister_id,
            settings,
            sender_canister_version: None,
        };
        self.manage_canister("update_settings", canister_id, sender, &args)
    }

    /// Replaces the controllers.
    pub fn set_controllers(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        controllers: Vec<Principal>,
    ) -> Result<(), UserError> {
        let settings = CanisterSettings {
            controllers: Some(controllers),
            ..Default::default()
        };
        self.update_canister_settings(canister_id, sender, settings)
    }

    /// fetch_canister_logs (as a query).
    pub fn fetch_canister_logs(
        &mut self,
        canister_id: Principal,
        sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, UserError> {
        let args = FetchCanisterLogsArgs {
            canister_id,
            filter: None,
        };
        let bytes = self.query(
            sender,
            Principal::management_canister(),
            "fetch_canister_logs",
            candid::encode_one(args).expect("encode"),
        )?;
        let r: FetchCanisterLogsResult = decode_reply(&bytes)?;
        Ok(r.canister_log_records)
    }

    /// take_canister_snapshot.
    pub fn take_canister_snapshot(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        replace_snapshot: Option<Vec<u8>>,
    ) -> Result<Snapshot, UserError> {
        let args = TakeCanisterSnapshotArgs {
            canister_id,
            replace_snapshot,
            uninstall_code: None,
            sender_canister_version: None,
        };
        self.manage_canister("take_canister_snapshot", canister_id, sender, &args)
    }

    /// load_canister_snapshot.
    pub fn load_canister_snapshot(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        snapshot_id: Vec<u8>,
    ) -> Result<(), UserError> {
        let args = LoadCanisterSnapshotArgs {
            canister_id,
            snapshot_id,
            sender_canister_version: None,
        };
        self.manage_canister("load_canister_snapshot", canister_id, sender, &args)
    }

    /// delete_canister_snapshot.
    pub fn delete_canister_snapshot(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        snapshot_id: Vec<u8>,
    ) -> Result<(), UserError> {
        let args = DeleteCanisterSnapshotArgs {
            canister_id,
            snapshot_id,
        };
        self.manage_canister("delete_canister_snapshot", canister_id, sender, &args)
    }

    /// read_canister_snapshot_metadata.
    pub fn read_canister_snapshot_metadata(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        snapshot_id: Vec<u8>,
    ) -> Result<ReadCanisterSnapshotMetadataResult, UserError> {
        let args = ReadCanisterSnapshotMetadataArgs {
            canister_id,
            snapshot_id,
        };
        self.manage_canister(
            "read_canister_snapshot_metadata",
            canister_id,
            sender,
            &args,
        )
    }

    /// read_canister_snapshot_data: the bytes of `kind`.
    pub fn read_canister_snapshot_data(
        &mut self,
        canister_id: Principal,
        sender: Option<Principal>,
        snapshot_id: Vec<u8>,
        kind: SnapshotDataKind,
    ) -> Result<Vec<u8>, UserError> {
        let args = ReadCanisterSnapshotDataArgs {
            canister_id,
            snapshot_id,
            kind,
        };
        let r: ReadCanisterSnapshotDataResult =
            self.manage_canister("read_canister_snapshot_data", canister_id, sender, &args)?;
        Ok(r.chunk)
    }

    /// upload_canister_snapshot_metadata: the new snapshot's id.
    pub fn upload_canister_snapshot_metadata(
        &mut self,
        sender: Option<Principal>,
        args: UploadCanisterSnapshotMetadataArgs,
    ) -> Result<Vec<u8>, UserError> {
        let r: UploadCanisterSnapshotMetadataResult = self.manage_canister(
            "upload_canister_snapshot_metadata",
            args.canister_id,
            sender,
            &args,
        )?;
        Ok(r.snapshot_id)
    }

    /// upload_canister_snapshot_data.
    pub fn upload_canister_snapshot_data(
        &mut self,
        sender: Option<Principal>,
        args: UploadCanisterSnapshotDataArgs,
    ) -> Result<(), UserError> {
        self.manage_canister(
            "upload_canister_snapshot_data",
            args.canister_id,
            sender,
            &args,
        )
    }

    /// A canister's log records, read directly (no visibility check).
    pub fn canister_log(&self, canister_id: Principal) -> Result<Vec<CanisterLogRecord>, SimError> {
        Ok(self.canister(canister_id)?.log.records())
    }

    /// Fault injection: the next `count` calls to `canister_id` (only `method`, if given) are
    /// rejected with `code` and `message` without executing.
    pub fn inject_rejects(
        &mut self,
        canister_id: Principal,
        method: Option<&str>,
        count: u64,
        code: RejectCode,
        message: &str,
    ) {
        self.faults.reject_next(
            canister_id,
            method.map(str::to_owned),
            count,
            code,
            message.to_string(),
        );
    }

    /// Fault injection: responses from `canister_id` to inter-canister calls never arrive
    /// (bounded-wait callers time out with SYS_UNKNOWN; unbounded-wait callers wait forever).
    pub fn drop_replies_from(&mut self, canister_id: Principal, drop: bool) {
        self.faults.set_silenced(canister_id, drop);
    }

    /// Fault injection: sets a canister's cycle balance.
    pub fn set_cycle_balance(
        &mut self,
        canister_id: Principal,
        cycles: u128,
    ) -> Result<(), SimError> {
        self.canister_mut(canister_id)?.cycles = cycles;
        Ok(())
    }

    /// Fault injection: freezes (or unfreezes) a canister regardless of its balance.
    pub fn freeze_canister(
        &mut self,
        canister_id: Principal,
        frozen: bool,
    ) -> Result<(), SimError> {
        self.canister_mut(canister_id)?.forced_frozen = frozen;
        Ok(())
    }

    /// Cycles the canister must keep (its freezing reserve).
    pub fn freezing_reserve(&self, canister_id: Principal) -> Result<u128, SimError> {
        Ok(self.canister(canister_id)?.freezing_reserve())
    }
}
