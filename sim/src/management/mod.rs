//! The management canister (`aaaaa-aa`): decoding, controller checks and dispatch to the
//! per-area handlers.

mod chunks;
mod http_request;
pub mod lifecycle;
mod misc;
mod settings;
mod snapshot_data;
mod snapshots;

use crate::call_context::ResponseTarget;
use crate::canister::Canister;
use crate::error::{ErrorCode, UserError};
use crate::messages::Request;
use crate::sim::{Ingress, Sim};
use candid::{CandidType, Nat, Principal};
use ic_management_canister_types::CanisterIdRecord;
use serde::de::DeserializeOwned;

/// Methods the management canister implements.
pub const METHODS: &[&str] = &[
    "create_canister",
    "provisional_create_canister_with_cycles",
    "install_code",
    "install_chunked_code",
    "upload_chunk",
    "clear_chunk_store",
    "stored_chunks",
    "uninstall_code",
    "start_canister",
    "stop_canister",
    "canister_status",
    "canister_info",
    "update_settings",
    "deposit_cycles",
    "provisional_top_up_canister",
    "raw_rand",
    "delete_canister",
    "fetch_canister_logs",
    "take_canister_snapshot",
    "load_canister_snapshot",
    "list_canister_snapshots",
    "delete_canister_snapshot",
    "read_canister_snapshot_metadata",
    "read_canister_snapshot_data",
    "upload_canister_snapshot_metadata",
    "upload_canister_snapshot_data",
    "http_request",
];

/// Methods that cannot be called by ingress (only by canisters).
const CANISTER_ONLY: &[&str] = &[
    "create_canister",
    "raw_rand",
    "canister_info",
    "canister_metadata",
    "deposit_cycles",
    "http_request",
];

/// A management call's context.
pub(crate) struct MgmtCall<'a> {
    pub sender: Principal,
    pub payload: &'a [u8],
    /// Cycles attached; handlers that keep cycles take them out of here.
    pub cycles: u128,
    pub target: ResponseTarget,
}

/// What a handler returns: a reply, a rejection, or "answer later" (stop_canister).
pub(crate) type MgmtResult = Result<Option<Vec<u8>>, UserError>;

pub(crate) fn decode<T: CandidType + DeserializeOwned>(
    method: &str,
    payload: &[u8],
) -> Result<T, UserError> {
    candid::decode_one(payload).map_err(|e| {
        UserError::new(
            ErrorCode::InvalidManagementPayload,
            format!("Error decoding candid for management method {method}: {e}"),
        )
    })
}

pub(crate) fn reply<T: CandidType>(value: &T) -> MgmtResult {
    Ok(Some(
        candid::encode_one(value).expect("management types encode"),
    ))
}

/// A `Nat` as u128 (saturating).
pub(crate) fn nat_u128(n: &Nat) -> u128 {
    n.0.to_string().parse().unwrap_or(u128::MAX)
}

/// A `Nat` as u64 (saturating).
pub(crate) fn nat_u64(n: &Nat) -> u64 {
    n.0.to_string().parse().unwrap_or(u64::MAX)
}

impl Sim {
    /// The canister, if `sender` controls it.
    pub(crate) fn controlled(
        &self,
        canister_id: Principal,
        sender: Principal,
    ) -> Result<&Canister, UserError> {
        let c = self.existing(canister_id)?;
        if !c.is_controller(&sender) {
            let controllers: Vec<String> =
                c.settings.controllers.iter().map(|p| p.to_text()).collect();
            return Err(UserError::new(
                ErrorCode::CanisterInvalidController,
                format!(
                    "Only the controllers of the canister {canister_id} can control it.\nCanister's controllers: {}\nSender's ID: {sender}",
                    controllers.join(" ")
                ),
            ));
        }
        Ok(c)
    }

    /// The canister named by `call`'s argument (a `CanisterIdRecord` of `method`), if the
    /// caller controls it.
    pub(crate) fn controlled_by_arg(
        &self,
        method: &str,
        call: &MgmtCall<'_>,
    ) -> Result<&Canister, UserError> {
        let args: CanisterIdRecord = decode(method, call.payload)?;
        self.controlled(args.canister_id, call.sender)
    }

    /// The canister, or the CanisterNotFound error.
    pub(crate) fn existing(&self, canister_id: Principal) -> Result<&Canister, UserError> {
        self.canisters.get(&canister_id).ok_or_else(|| {
            UserError::new(
                ErrorCode::CanisterNotFound,
                format!("Canister {canister_id} not found"),
            )
        })
    }

    /// Ingress admission for the management canister.
    pub(crate) fn check_management_ingress(&self, msg: &Ingress) -> Result<(), UserError> {
        if !METHODS.contains(&msg.method.as_str()) {
            return Err(unknown_method(&msg.method));
        }
        if CANISTER_ONLY.contains(&msg.method.as_str()) {
            return Err(UserError::new(
                ErrorCode::CanisterRejectedMessage,
                format!(
                    "Only canisters can call the management canister method {}",
                    msg.method
                ),
            ));
        }
        if msg.method == "fetch_canister_logs" {
            return Err(UserError::new(
                ErrorCode::CanisterRejectedMessage,
                "fetch_canister_logs can only be called as a query (not in an update call)",
            ));
        }
        Ok(())
    }

    /// Executes a request to the management canister.
    pub(crate) fn handle_management(&mut self, req: Request) {
        let mut call = MgmtCall {
            sender: req.sender,
            payload: &req.payload,
            cycles: req.cycles,
            target: req.target.clone(),
        };
        let result = self.dispatch(&req.method, &mut call);
        let refund = call.cycles;
        match result {
            Ok(Some(bytes)) => self.route(
                Principal::management_canister(),
                req.target,
                Ok(bytes),
                refund,
            ),
            Ok(None) => {}
            Err(e) => self.route(Principal::management_canister(), req.target, Err(e), refund),
        }
    }

    fn dispatch(&mut self, method: &str, call: &mut MgmtCall<'_>) -> MgmtResult {
        match method {
            "create_canister" => self.create_canister_method(call),
            "provisional_create_canister_with_cycles" => self.provisional_create(call),
            "install_code" => self.install_code_method(call),
            "install_chunked_code" => self.install_chunked_code(call),
            "upload_chunk" => self.upload_chunk(call),
            "clear_chunk_store" => self.clear_chunk_store(call),
            "stored_chunks" => self.stored_chunks(call),
            "uninstall_code" => self.uninstall_code_method(call),
            "start_canister" => self.start_canister_method(call),
            "stop_canister" => self.stop_canister_method(call),
            "canister_status" => self.canister_status_method(call),
            "canister_info" => self.canister_info_method(call),
            "canister_metadata" => self.canister_metadata_method(call),
            "update_settings" => self.update_settings_method(call),
            "deposit_cycles" => self.deposit_cycles(call),
            "provisional_top_up_canister" => self.provisional_top_up(call),
            "raw_rand" => self.raw_rand(call),
            "delete_canister" => self.delete_canister_method(call),
            "fetch_canister_logs" => Err(UserError::new(
                ErrorCode::CanisterRejectedMessage,
                "fetch_canister_logs can only be called as a query (not in an update call)",
            )),
            "take_canister_snapshot" => self.take_snapshot_method(call),
            "load_canister_snapshot" => self.load_snapshot_method(call),
            "list_canister_snapshots" => self.list_snapshots_method(call),
            "delete_canister_snapshot" => self.delete_snapshot_method(call),
            "read_canister_snapshot_metadata" => self.read_snapshot_metadata_method(call),
            "read_canister_snapshot_data" => self.read_snapshot_data_method(call),
            "upload_canister_snapshot_metadata" => self.upload_snapshot_metadata_method(call),
            "upload_canister_snapshot_data" => self.upload_snapshot_data_method(call),
            "http_request" => self.http_request_method(call),
            other => Err(unknown_method(other)),
        }
    }

    /// A query to the management canister (only `fetch_canister_logs`).
    pub(crate) fn management_query(
        &mut self,
        sender: Principal,
        method: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, UserError> {
        match method {
            "fetch_canister_logs" => self.fetch_canister_logs_method(sender, payload),
            other if METHODS.contains(&other) => Err(UserError::new(
                ErrorCode::CanisterMethodNotFound,
                format!("Management canister method {other} cannot be called as a query; use an update call"),
            )),
            other => Err(unknown_method(other)),
        }
    }
}

fn unknown_method(method: &str) -> UserError {
    UserError::new(
        ErrorCode::CanisterMethodNotFound,
        format!(
            "Management canister has no method '{method}' (ic-sim implements: {})",
            METHODS.join(", ")
        ),
    )
}
