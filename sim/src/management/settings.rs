//! `canister_status`, `canister_info` and `update_settings`.

use super::{decode, nat_u128, nat_u64, reply, MgmtCall, MgmtResult};
use crate::canister::{Canister, RunStatus};
use crate::cycles;
use crate::error::{ErrorCode, UserError};
use crate::sim::Sim;
use candid::{Nat, Principal};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInfoArgs, CanisterInfoResult, CanisterMetadataArgs,
    CanisterMetadataResult, CanisterSettings, CanisterStatusResult, CanisterStatusType,
    ChangeDetails, ControllersChangeRecord, DefiniteCanisterSettings, EnvironmentVariable,
    LogVisibility, MemoryMetrics, QueryStats, SnapshotVisibility, StatusVisibility,
    UpdateSettingsArgs,
};

/// Most controllers a canister may have.
const MAX_CONTROLLERS: usize = 10;
/// Most principals an `allowed_viewers` visibility may list.
const MAX_ALLOWED_VIEWERS: usize = 10;
/// Largest wasm_memory_limit / wasm_memory_threshold (2^48).
const MAX_WASM_MEMORY_LIMIT: u64 = 1 << 48;

fn invalid(message: String) -> UserError {
    UserError::new(ErrorCode::InvalidManagementPayload, message)
}

/// The allowed viewers each visibility setting in `s` lists, by setting name.
fn allowed_viewers(s: &CanisterSettings) -> [(&'static str, Option<&Vec<Principal>>); 3] {
    [
        (
            "log_visibility",
            match &s.log_visibility {
                Some(LogVisibility::AllowedViewers(v)) => Some(v),
                _ => None,
            },
        ),
        (
            "snapshot_visibility",
            match &s.snapshot_visibility {
                Some(SnapshotVisibility::AllowedViewers(v)) => Some(v),
                _ => None,
            },
        ),
        (
            "status_visibility",
            match &s.status_visibility {
                Some(StatusVisibility::AllowedViewers(v)) => Some(v),
                _ => None,
            },
        ),
    ]
}

/// For each `field: convert`, sets `settings.field` to `convert(value)` when `update.field` names
/// a value (the fields an `update_settings` leaves out keep theirs).
macro_rules! set_given {
    ($settings:ident, $update:ident, { $($field:ident: $convert:expr,)* }) => {
        $(
            if let Some(value) = &$update.$field {
                $settings.$field = $convert(value);
            }
        )*
    };
}

impl Sim {
    /// Validates and applies settings to a canister.
    pub(crate) fn apply_settings(c: &mut Canister, s: &CanisterSettings) -> Result<(), UserError> {
        if let Some(ctrl) = &s.controllers {
            if ctrl.len() > MAX_CONTROLLERS {
                return Err(invalid(format!(
                    "Invalid settings: at most {MAX_CONTROLLERS} controllers are allowed, got {}",
                    ctrl.len()
                )));
            }
        }
        for (name, viewers) in allowed_viewers(s) {
            if let Some(viewers) = viewers.filter(|v| v.len() > MAX_ALLOWED_VIEWERS) {
                return Err(invalid(format!(
                    "Invalid settings: {name} allows at most {MAX_ALLOWED_VIEWERS} allowed viewers, got {}",
                    viewers.len()
                )));
            }
        }
        if let Some(n) = &s.compute_allocation {
            if nat_u64(n) > 100 {
                return Err(invalid(
                    "Invalid settings: compute_allocation must be between 0 and 100".into(),
                ));
            }
        }
        for (name, v) in [
            ("wasm_memory_limit", &s.wasm_memory_limit),
            ("wasm_memory_threshold", &s.wasm_memory_threshold),
        ] {
            if let Some(n) = v {
                if nat_u64(n) > MAX_WASM_MEMORY_LIMIT {
                    return Err(invalid(format!(
                        "Invalid settings: {name} must be at most 2^48"
                    )));
                }
            }
        }
        let st = &mut c.settings;
        if let Some(ctrl) = &s.controllers {
            let mut unique = Vec::new();
            for p in ctrl {
                if !unique.contains(p) {
                    unique.push(*p);
                }
            }
            st.controllers = unique;
        }
        set_given!(st, s, {
            compute_allocation: nat_u64,
            memory_allocation: nat_u64,
            freezing_threshold: nat_u64,
            reserved_cycles_limit: nat_u128,
            log_visibility: Clone::clone,
            log_memory_limit: nat_u64,
            snapshot_visibility: Clone::clone,
            status_visibility: Clone::clone,
            minimum_incoming_canister_call_cycles: nat_u128,
            wasm_memory_limit: nat_u64,
            wasm_memory_threshold: nat_u64,
        });
        if let Some(vars) = &s.environment_variables {
            st.environment_variables = vars
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect();
        }
        crate::execution::update_low_memory_hook(c);
        Ok(())
    }

    /// The `canister_status` record of a canister.
    pub(crate) fn status_of(&self, c: &Canister) -> CanisterStatusResult {
        let st = &c.settings;
        CanisterStatusResult {
            status: match c.status {
                RunStatus::Running => CanisterStatusType::Running,
                RunStatus::Stopping(_) => CanisterStatusType::Stopping,
                RunStatus::Stopped => CanisterStatusType::Stopped,
            },
            ready_for_migration: false,
            version: c.version,
            settings: DefiniteCanisterSettings {
                controllers: st.controllers.clone(),
                compute_allocation: Nat::from(st.compute_allocation),
                memory_allocation: Nat::from(st.memory_allocation),
                freezing_threshold: Nat::from(st.freezing_threshold),
                reserved_cycles_limit: Nat::from(st.reserved_cycles_limit),
                log_visibility: st.log_visibility.clone(),
                log_memory_limit: Nat::from(st.log_memory_limit),
                snapshot_visibility: st.snapshot_visibility.clone(),
                status_visibility: st.status_visibility.clone(),
                minimum_incoming_canister_call_cycles: Nat::from(
                    st.minimum_incoming_canister_call_cycles,
                ),
                wasm_memory_limit: Nat::from(st.wasm_memory_limit),
                wasm_memory_threshold: Nat::from(st.wasm_memory_threshold),
                environment_variables: st
                    .environment_variables
                    .iter()
                    .map(|(name, value)| EnvironmentVariable {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
            },
            module_hash: c.instance.as_ref().map(|i| i.module().hash.to_vec()),
            memory_size: Nat::from(c.memory_size()),
            memory_metrics: MemoryMetrics {
                wasm_memory_size: Nat::from(c.wasm_memory_size()),
                stable_memory_size: Nat::from(c.stable_memory_size()),
                global_memory_size: Nat::from(c.global_memory_size()),
                wasm_binary_size: Nat::from(c.wasm_binary_size()),
                custom_sections_size: Nat::from(c.custom_sections_size()),
                canister_history_size: Nat::from(c.history_size()),
                wasm_chunk_store_size: Nat::from(c.chunk_store_size()),
                snapshots_size: Nat::from(c.snapshots_size()),
                log_memory_store_size: Nat::from(c.log.size() as u64),
            },
            cycles: Nat::from(c.cycles),
            reserved_cycles: Nat::from(0u64),
            idle_cycles_burned_per_day: Nat::from(cycles::idle_cycles_burned_per_day(
                c.memory_size(),
            )),
            query_stats: QueryStats {
                num_calls_total: Nat::from(c.query_stats[0]),
                num_instructions_total: Nat::from(c.query_stats[1]),
                request_payload_bytes_total: Nat::from(c.query_stats[2]),
                response_payload_bytes_total: Nat::from(c.query_stats[3]),
            },
        }
    }

    pub(super) fn canister_status_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: CanisterIdRecord = decode("canister_status", call.payload)?;
        let c = self.status_viewer(args.canister_id, call.sender)?;
        reply(&self.status_of(c))
    }

    /// The canister, if `sender` may read its status: the canister itself and its controllers
    /// always, others as its `status_visibility` says.
    fn status_viewer(&self, id: Principal, sender: Principal) -> Result<&Canister, UserError> {
        let c = self.existing(id)?;
        let allowed = sender == id
            || c.is_controller(&sender)
            || match &c.settings.status_visibility {
                StatusVisibility::Public => true,
                StatusVisibility::Controllers => false,
                StatusVisibility::AllowedViewers(viewers) => viewers.contains(&sender),
            };
        if allowed {
            return Ok(c);
        }
        let readers = match &c.settings.status_visibility {
            StatusVisibility::AllowedViewers(_) => "controllers and allowed viewers",
            _ => "controllers",
        };
        let controllers: Vec<String> = c.settings.controllers.iter().map(|p| p.to_text()).collect();
        Err(UserError::new(
            ErrorCode::CanisterStatusAccessDenied,
            format!(
                "Only the {readers} of the canister {id} can read its status (status_visibility).\nCanister's controllers: {}\nSender's ID: {sender}",
                controllers.join(" ")
            ),
        ))
    }

    pub(super) fn canister_info_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: CanisterInfoArgs = decode("canister_info", call.payload)?;
        let c = self.existing(args.canister_id)?;
        let requested = args.num_requested_changes.unwrap_or(0);
        reply(&CanisterInfoResult {
            total_num_changes: c.history.total(),
            recent_changes: c.history.last(requested).to_vec(),
            module_hash: c.instance.as_ref().map(|i| i.module().hash.to_vec()),
            controllers: c.settings.controllers.clone(),
        })
    }

    /// `canister_metadata`: public sections for anyone, private ones for controllers.
    pub(super) fn canister_metadata_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: CanisterMetadataArgs = decode("canister_metadata", call.payload)?;
        let c = self.existing(args.canister_id)?;
        let metadata = c.instance.as_ref().map(|i| &i.module().info.metadata);
        let public = metadata.and_then(|m| m.public.get(&args.name));
        let private = metadata
            .filter(|_| c.is_controller(&call.sender))
            .and_then(|m| m.private.get(&args.name));
        match public.or(private) {
            Some(value) => reply(&CanisterMetadataResult {
                value: value.clone(),
            }),
            None => Err(UserError::new(
                ErrorCode::CanisterRejectedMessage,
                format!(
                    "Error from Canister {}: Custom section {} not found.",
                    args.canister_id, args.name
                ),
            )),
        }
    }

    pub(super) fn update_settings_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: UpdateSettingsArgs = decode("update_settings", call.payload)?;
        self.update_settings(call.sender, args.canister_id, &args.settings)?;
        reply(&())
    }

    /// Applies `update_settings` (controllers only), recording controller changes in history.
    pub(crate) fn update_settings(
        &mut self,
        sender: Principal,
        id: Principal,
        settings: &CanisterSettings,
    ) -> Result<(), UserError> {
        self.controlled(id, sender)?;
        let c = self.canisters.get_mut(&id).expect("checked");
        Self::apply_settings(c, settings)?;
        c.version += 1;
        if let Some(ctrl) = &settings.controllers {
            let details = ChangeDetails::ControllersChange(ControllersChangeRecord {
                controllers: ctrl.clone(),
            });
            self.record_change_of(id, sender, details);
        }
        Ok(())
    }
}
