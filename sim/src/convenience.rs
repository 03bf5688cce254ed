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
    UninstallCodeArgs, UpdateSettingsArgs, UpgradeFlags, UploadCanisterSnapshotDataArgs,
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

/// Public helpers for the management methods whose argument record holds the canister's id, the
/// helper's own arguments, and `None` in every other field: each entry
/// `helper(arg: Type, ...) -> Reply = "method" Args { none_field, ... };` becomes
/// `helper(canister_id, sender, arg, ...)`, calling `method` with that record.
macro_rules! management_methods {
    ($(
        $(#[$doc:meta])*
        $name:ident($($arg:ident: $arg_ty:ty),*) -> $reply:ty
            = $method:literal $args:ident { $($unset:ident),* };
    )*) => {
        $(
            $(#[$doc])*
            pub fn $name(
                &mut self,
                canister_id: Principal,
                sender: Option<Principal>,
                $($arg: $arg_ty),*
            ) -> Result<$reply, UserError> {
                let args = $args { canister_id, $($arg,)* $($unset: None,)* };
                self.manage_canister($method, canister_id, sender, &args)
            }
        )*
    };
}

/// Public helpers for `install_code` in one mode: each `helper => mode;` becomes
/// `helper(canister_id, wasm, arg, sender)`.
macro_rules! install_methods {
    ($($(#[$doc:meta])* $name:ident => $mode:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(
                &mut self,
                canister_id: Principal,
                wasm: Vec<u8>,
                arg: Vec<u8>,
                sender: Option<Principal>,
            ) -> Result<(), UserError> {
                self.install_code(canister_id, $mode, wasm, arg, sender)
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

    /// `install_code` in `mode`.
    fn install_code(
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

    install_methods! {
        /// Installs code (mode `install`).
        install_canister => CanisterInstallMode::Install;
        /// Upgrades code (runs pre_upgrade, keeps stable memory, runs post_upgrade).
        upgrade_canister => CanisterInstallMode::Upgrade(None);
        /// Reinstalls code (state wiped).
        reinstall_canister => CanisterInstallMode::Reinstall;
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
        let mode = CanisterInstallMode::Upgrade(Some(flags));
        self.install_code(canister_id, mode, wasm, arg, sender)
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

    management_methods! {
        /// start_canister.
        start_canister() -> () = "start_canister" CanisterIdRecord {};
        /// stop_canister (runs rounds until the canister has stopped).
        stop_canister() -> () = "stop_canister" CanisterIdRecord {};
        /// delete_canister (the canister must be stopped).
        delete_canister() -> () = "delete_canister" CanisterIdRecord {};
        /// canister_status.
        canister_status() -> CanisterStatusResult = "canister_status" CanisterIdRecord {};
        /// list_canister_snapshots.
        list_canister_snapshots() -> Vec<Snapshot> = "list_canister_snapshots" CanisterIdRecord {};
        /// uninstall_code.
        uninstall_canister() -> () = "uninstall_code" UninstallCodeArgs { sender_canister_version };
        /// update_settings.
        update_canister_settings(settings: CanisterSettings) -> ()
            = "update_settings" UpdateSettingsArgs { sender_canister_version };
        /// take_canister_snapshot.
        take_canister_snapshot(replace_snapshot: Option<Vec<u8>>) -> Snapshot
            = "take_canister_snapshot"
            TakeCanisterSnapshotArgs { uninstall_code, sender_canister_version };
        /// load_canister_snapshot.
        load_canister_snapshot(snapshot_id: Vec<u8>) -> ()
            = "load_canister_snapshot" LoadCanisterSnapshotArgs { sender_canister_version };
        /// delete_canister_snapshot.
        delete_canister_snapshot(snapshot_id: Vec<u8>) -> ()
            = "delete_canister_snapshot" DeleteCanisterSnapshotArgs {};
        /// read_canister_snapshot_metadata.
        read_canister_snapshot_metadata(snapshot_id: Vec<u8>) -> ReadCanisterSnapshotMetadataResult
            = "read_canister_snapshot_metadata" ReadCanisterSnapshotMetadataArgs {};
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
        let bytes = self.query_call(
            Principal::management_canister(),
            sender,
            "fetch_canister_logs",
            candid::encode_one(args).expect("encode"),
        )?;
        let r: FetchCanisterLogsResult = decode_reply(&bytes)?;
        Ok(r.canister_log_records)
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
    pub fn set_cycle_balance(&mut self, canister: Principal, cycles: u128) -> Result<(), SimError> {
        self.canister_mut(canister).map(|c| c.cycles = cycles)
    }

    /// Fault injection: freezes (or unfreezes) a canister regardless of its balance.
    pub fn freeze_canister(&mut self, canister: Principal, frozen: bool) -> Result<(), SimError> {
        self.canister_mut(canister)
            .map(|c| c.forced_frozen = frozen)
    }

    /// Cycles the canister must keep (its freezing reserve).
    pub fn freezing_reserve(&self, canister_id: Principal) -> Result<u128, SimError> {
        Ok(self.canister(canister_id)?.freezing_reserve())
    }
}
