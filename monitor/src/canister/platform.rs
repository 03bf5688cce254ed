//! The [`Platform`] seam implemented with ic-cdk: bounded-wait calls only.

use crate::driver::Platform;
use crate::policy::call_error::CallError;
use crate::policy::exports::CANDID_SERVICE;
use crate::policy::pipeline::calls::CallSpec;
use crate::policy::webhooks::outcall::{OutcallRequest, MAX_RESPONSE_BYTES, TRANSFORM_METHOD};
use candid::{CandidType, Principal};
use ic_cdk::call::{Call, CallErrorExt, CallFailed};
use ic_management_canister_types::{
    HttpHeader, HttpMethod, HttpRequestArgs, HttpRequestResult, TransformContext, TransformFunc,
};
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// The argument of `canister_status` and `deposit_cycles`.
#[derive(CandidType)]
struct CanisterIdRecord {
    canister_id: Principal,
}

/// The argument of `canister_metadata`.
#[derive(CandidType)]
struct CanisterMetadataArgs {
    canister_id: Principal,
    name: String,
}

/// The reply of `canister_metadata`.
#[derive(CandidType, Deserialize)]
struct CanisterMetadataResult {
    value: ByteBuf,
}

/// The real IC.
pub struct Ic;

/// A bounded-wait call of `method` of the management canister.
fn management(method: &str, timeout_seconds: u32) -> Call<'_, '_> {
    Call::bounded_wait(Principal::management_canister(), method).change_timeout(timeout_seconds)
}

fn to_error(e: CallFailed) -> CallError {
    let (reject_code, message) = match &e {
        CallFailed::CallRejected(r) => (Some(r.raw_reject_code()), r.reject_message().to_string()),
        other => (None, other.to_string()),
    };
    CallError {
        reject_code,
        message,
        clean: e.is_clean_reject(),
        transient: e.is_immediately_retryable(),
    }
}

impl Platform for Ic {
    fn now_ns(&self) -> u64 {
        ic_cdk::api::time()
    }

    fn own_balance(&self) -> u128 {
        ic_cdk::api::canister_liquid_cycle_balance()
    }

    fn instructions(&self) -> u64 {
        ic_cdk::api::instruction_counter()
    }

    async fn canister_status(
        &self,
        id: Principal,
        timeout_seconds: u32,
    ) -> Result<Vec<u8>, CallError> {
        management("canister_status", timeout_seconds)
            .with_arg(CanisterIdRecord { canister_id: id })
            .await
            .map(|r| r.into_bytes())
            .map_err(to_error)
    }

    async fn deposit_cycles(
        &self,
        id: Principal,
        amount: u128,
        timeout_seconds: u32,
    ) -> Result<(), CallError> {
        management("deposit_cycles", timeout_seconds)
            .with_arg(CanisterIdRecord { canister_id: id })
            .with_cycles(amount)
            .await
            .map(|_| ())
            .map_err(to_error)
    }

    async fn candid_service(
        &self,
        id: Principal,
        timeout_seconds: u32,
    ) -> Result<Vec<u8>, CallError> {
        management("canister_metadata", timeout_seconds)
            .with_arg(CanisterMetadataArgs {
                canister_id: id,
                name: CANDID_SERVICE.into(),
            })
            .await
            .map_err(to_error)?
            .candid::<CanisterMetadataResult>()
            .map(|r| r.value.into_vec())
            .map_err(|e| CallError {
                reject_code: None,
                message: format!("unexpected canister_metadata reply: {e}"),
                clean: false,
                transient: false,
            })
    }

    async fn call(
        &self,
        call: CallSpec,
        cycles: u128,
        timeout_seconds: u32,
    ) -> Result<Vec<u8>, CallError> {
        Call::bounded_wait(call.callee, &call.method)
            .take_raw_args(call.arg)
            .with_cycles(cycles)
            .change_timeout(timeout_seconds)
            .await
            .map(|r| r.into_bytes())
            .map_err(to_error)
    }

    fn http_request_cost(&self, request_size: u64, max_response_bytes: u64) -> u128 {
        ic_cdk::api::cost_http_request(request_size, max_response_bytes)
    }

    async fn http_request(&self, request: &OutcallRequest, cycles: u128) -> Result<u16, CallError> {
        let args = HttpRequestArgs {
            url: request.url.clone(),
            max_response_bytes: Some(MAX_RESPONSE_BYTES),
            method: HttpMethod::POST,
            headers: request
                .headers
                .iter()
                .map(|(name, value)| HttpHeader {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: Some(request.body.clone()),
            transform: Some(TransformContext {
                function: TransformFunc(candid::Func {
                    principal: ic_cdk::api::canister_self(),
                    method: TRANSFORM_METHOD.into(),
                }),
                context: vec![],
            }),
            is_replicated: Some(false),
            pricing_version: None,
        };
        // Unbounded wait: the outcall itself times out; its reply says how it ended.
        let reply = Call::unbounded_wait(Principal::management_canister(), "http_request")
            .with_arg(args)
            .with_cycles(cycles)
            .await
            .map_err(to_error)?;
        let result: HttpRequestResult = reply.candid().map_err(|e| CallError {
            reject_code: None,
            message: format!("unexpected http_request reply: {e}"),
            clean: false,
            transient: false,
        })?;
        Ok(u16::try_from(&result.status.0).unwrap_or(u16::MAX))
    }
}

/// 32 random bytes from the management canister's `raw_rand` (for a metrics token).
pub async fn raw_rand() -> Result<Vec<u8>, String> {
    Call::bounded_wait(Principal::management_canister(), "raw_rand")
        .await
        .map_err(|e| e.to_string())?
        .candid::<ByteBuf>()
        .map(ByteBuf::into_vec)
        .map_err(|e| format!("unexpected raw_rand reply: {e}"))
}
