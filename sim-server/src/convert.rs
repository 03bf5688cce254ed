//! Mapping between the `pocket-ic` crate's REST types and the engine's types.

use crate::error::ApiError;
use ic_sim::{Principal, RejectCode as SimRejectCode, Sim, UserError};
use pocket_ic::common::rest::{
    CanisterCyclesCostSchedule, CanisterIdRange, RawCanisterId, RawCanisterResult,
    RawEffectivePrincipal, SubnetConfig, SubnetInstructionConfig, SubnetKind, Topology,
};
use pocket_ic::{ErrorCode, RejectCode, RejectResponse};
use std::collections::BTreeMap;

/// Decodes principal bytes from a request, naming the field when they are not a principal.
pub fn principal(bytes: &[u8], field: &str) -> Result<Principal, ApiError> {
    Principal::try_from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("`{field}` is not a valid principal: {e}")))
}

/// The canister an effective principal names, if it names one.
pub fn effective_canister(
    effective: &RawEffectivePrincipal,
) -> Result<Option<Principal>, ApiError> {
    match effective {
        RawEffectivePrincipal::CanisterId(bytes) => {
            principal(bytes, "effective_principal").map(Some)
        }
        RawEffectivePrincipal::SubnetId(_) | RawEffectivePrincipal::None => Ok(None),
    }
}

/// An engine rejection as the client's `RejectResponse`.
pub fn reject_response(error: UserError) -> RejectResponse {
    let error_code = error_code(&error);
    RejectResponse {
        reject_code: reject_code(error.reject_code),
        reject_message: error.message,
        error_code,
        certified: true,
    }
}

/// An engine result as the client's `RawCanisterResult`.
pub fn canister_result(result: Result<Vec<u8>, UserError>) -> RawCanisterResult {
    match result {
        Ok(bytes) => RawCanisterResult::Ok(bytes),
        Err(error) => RawCanisterResult::Err(reject_response(error)),
    }
}

fn reject_code(code: SimRejectCode) -> RejectCode {
    RejectCode::try_from(code as u64).expect("the engine's reject codes are the IC's")
}

/// The engine's error codes carry the same variant names as `pocket_ic::ErrorCode`.
fn error_code(error: &UserError) -> ErrorCode {
    serde_json::to_value(error.error_code)
        .and_then(serde_json::from_value)
        .unwrap_or_else(|e| {
            eprintln!(
                "ic-sim-server: no pocket-ic ErrorCode for {:?}: {e}",
                error.error_code
            );
            ErrorCode::CanisterCalledTrap
        })
}

/// The instance's topology: one application subnet, whose application range starts where real
/// PocketIC's does (new canisters get their ids there).
pub fn topology(sim: &Sim) -> Topology {
    let ranges: Vec<CanisterIdRange> = sim
        .canister_ranges()
        .into_iter()
        .map(|(start, end)| CanisterIdRange {
            start: RawCanisterId::from(start),
            end: RawCanisterId::from(end),
        })
        .collect();
    let default_effective_canister_id = RawCanisterId::from(sim.application_range().0);
    let subnet = SubnetConfig {
        subnet_kind: SubnetKind::Application,
        subnet_admins: None,
        cost_schedule: CanisterCyclesCostSchedule::Normal,
        subnet_seed: subnet_seed(sim.subnet_id()),
        instruction_config: SubnetInstructionConfig::Production,
        canister_ranges: ranges,
    };
    Topology {
        subnet_configs: BTreeMap::from([(sim.subnet_id(), subnet)]),
        default_effective_canister_id,
    }
}

fn subnet_seed(subnet_id: Principal) -> [u8; 32] {
    let mut seed = [0u8; 32];
    let bytes = subnet_id.as_slice();
    seed[..bytes.len()].copy_from_slice(bytes);
    seed
}
