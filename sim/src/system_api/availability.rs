//! The interface specification's table of where each System API function may be called.

/// The kind of execution a System API call happens in (the spec's letters in parentheses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiType {
    /// The `(start)` function (s).
    Start,
    /// `canister_init` or `canister_post_upgrade` (I).
    Init,
    /// `canister_pre_upgrade` (G).
    PreUpgrade,
    /// `canister_update` (U).
    Update,
    /// `canister_query` called as an update (RQ).
    ReplicatedQuery,
    /// `canister_query` called as a query (NRQ).
    NonReplicatedQuery,
    /// `canister_composite_query` (CQ).
    CompositeQuery,
    /// A reply callback (Ry).
    ReplyCallback,
    /// A reject callback (Rt).
    RejectCallback,
    /// A cleanup callback (C).
    Cleanup,
    /// `canister_inspect_message` (F).
    InspectMessage,
    /// `canister_heartbeat`, `canister_global_timer`, `canister_on_low_wasm_memory` (T).
    SystemTask,
}

impl ApiType {
    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The name the IC uses in its error messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Init => "init",
            Self::PreUpgrade => "pre_upgrade",
            Self::Update => "update",
            Self::ReplicatedQuery => "replicated query",
            Self::NonReplicatedQuery => "non-replicated query",
            Self::CompositeQuery => "composite query",
            Self::ReplyCallback => "reply callback",
            Self::RejectCallback => "reject callback",
            Self::Cleanup => "cleanup",
            Self::InspectMessage => "inspect message",
            Self::SystemTask => "system task",
        }
    }

    /// Whether this execution's state changes persist (queries and inspect_message roll back).
    pub fn is_replicated(self) -> bool {
        !matches!(
            self,
            Self::NonReplicatedQuery | Self::CompositeQuery | Self::InspectMessage
        )
    }
}

use ApiType::*;

const fn set(modes: &[ApiType]) -> u16 {
    let mut bits = 0;
    let mut i = 0;
    while i < modes.len() {
        bits |= 1 << (modes[i] as u16);
        i += 1;
    }
    bits
}

/// `*` in the spec: everywhere but `(start)`.
const ALL: u16 = set(&[
    Init,
    PreUpgrade,
    Update,
    ReplicatedQuery,
    NonReplicatedQuery,
    CompositeQuery,
    ReplyCallback,
    RejectCallback,
    Cleanup,
    InspectMessage,
    SystemTask,
]);
/// `* s`: everywhere.
const ALL_S: u16 = ALL | set(&[Start]);

/// Where the function `name` (without the `ic0.` prefix) may be called, or `None` if the engine
/// does not provide it.
pub fn allowed_in(name: &str) -> Option<u16> {
    Some(match name {
        "msg_arg_data_size" | "msg_arg_data_copy" => set(&[
            Init,
            Update,
            ReplicatedQuery,
            NonReplicatedQuery,
            CompositeQuery,
            ReplyCallback,
            InspectMessage,
        ]),
        "msg_caller_size" | "msg_caller_copy" => ALL,
        "msg_caller_info_data_size"
        | "msg_caller_info_data_copy"
        | "msg_caller_info_signer_size"
        | "msg_caller_info_signer_copy" => set(&[
            Update,
            ReplicatedQuery,
            NonReplicatedQuery,
            CompositeQuery,
            ReplyCallback,
            RejectCallback,
            Cleanup,
            InspectMessage,
        ]),
        "msg_reject_code" => set(&[ReplyCallback, RejectCallback, Cleanup]),
        "msg_reject_msg_size" | "msg_reject_msg_copy" => set(&[RejectCallback]),
        "msg_deadline" | "msg_reply_data_append" | "msg_reply" | "msg_reject" => set(&[
            Update,
            ReplicatedQuery,
            NonReplicatedQuery,
            CompositeQuery,
            ReplyCallback,
            RejectCallback,
        ]),
        "msg_cycles_available128"
        | "msg_cycles_accept128"
        | "msg_cycles_available"
        | "msg_cycles_accept" => set(&[Update, ReplicatedQuery, RejectCallback, ReplyCallback]),
        "msg_cycles_refunded128" | "msg_cycles_refunded" => set(&[RejectCallback, ReplyCallback]),
        "cycles_burn128" => set(&[
            Init,
            PreUpgrade,
            Update,
            ReplicatedQuery,
            ReplyCallback,
            RejectCallback,
            Cleanup,
            SystemTask,
        ]),
        "canister_self_size"
        | "canister_self_copy"
        | "canister_cycle_balance128"
        | "canister_cycle_balance"
        | "canister_liquid_cycle_balance128"
        | "canister_status"
        | "canister_version"
        | "subnet_self_size"
        | "subnet_self_copy"
        | "data_certificate_present"
        | "time"
        | "env_var_count"
        | "env_var_name_size"
        | "env_var_name_copy"
        | "env_var_name_exists"
        | "env_var_value_size"
        | "env_var_value_copy" => ALL,
        "msg_method_name_size" | "msg_method_name_copy" | "accept_message" => {
            set(&[InspectMessage])
        }
        "call_new"
        | "call_on_cleanup"
        | "call_data_append"
        | "call_with_best_effort_response"
        | "call_perform" => set(&[
            Update,
            CompositeQuery,
            ReplyCallback,
            RejectCallback,
            SystemTask,
        ]),
        "call_cycles_add128" | "call_cycles_add" => {
            set(&[Update, ReplyCallback, RejectCallback, SystemTask])
        }
        "stable64_size"
        | "stable64_grow"
        | "stable64_write"
        | "stable64_read"
        | "stable_size"
        | "stable_grow"
        | "stable_write"
        | "stable_read"
        | "performance_counter"
        | "is_controller"
        | "in_replicated_execution"
        | "cost_call"
        | "cost_create_canister"
        | "cost_http_request"
        | "cost_sign_with_ecdsa"
        | "cost_sign_with_schnorr"
        | "cost_vetkd_derive_key"
        | "debug_print"
        | "trap" => ALL_S,
        "root_key_size" | "root_key_copy" => set(&[
            Init,
            PreUpgrade,
            Update,
            ReplicatedQuery,
            ReplyCallback,
            RejectCallback,
            Cleanup,
            SystemTask,
        ]),
        "certified_data_set" => set(&[
            Init,
            PreUpgrade,
            Update,
            ReplyCallback,
            RejectCallback,
            SystemTask,
        ]),
        "data_certificate_size" | "data_certificate_copy" => {
            set(&[NonReplicatedQuery, CompositeQuery])
        }
        "global_timer_set" => set(&[
            Init,
            PreUpgrade,
            Update,
            ReplyCallback,
            RejectCallback,
            Cleanup,
            SystemTask,
        ]),
        _ => return None,
    })
}

/// Whether `name` may be called in `api`.
pub fn is_allowed(name: &str, api: ApiType) -> bool {
    allowed_in(name).is_some_and(|bits| bits & api.bit() != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_table_samples() {
        // "ic0.msg_reply ... // U RQ NRQ TQ CQ Ry Rt CRy CRt"
        assert!(is_allowed("msg_reply", Update));
        assert!(!is_allowed("msg_reply", Init));
        assert!(!is_allowed("msg_reply", SystemTask));
        // "ic0.accept_message ... // F"
        assert!(is_allowed("accept_message", InspectMessage));
        assert!(!is_allowed("accept_message", Update));
        // "ic0.call_new ... // U CQ Ry Rt CRy CRt T" (not in queries)
        assert!(!is_allowed("call_new", NonReplicatedQuery));
        assert!(is_allowed("call_new", SystemTask));
        // "ic0.trap ... // * s"; "ic0.time ... // *" (not in start)
        assert!(is_allowed("trap", Start));
        assert!(!is_allowed("time", Start));
        assert!(allowed_in("no_such_function").is_none());
    }
}
