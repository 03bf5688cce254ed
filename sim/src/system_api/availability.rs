//! The interface specification's table of where each System API function may be called: the
//! execution kinds (the spec's letters) and the sets of them a table cell names.

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

/// A set of execution kinds: one cell of the spec's availability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contexts(u16);

impl Contexts {
    /// The set holding exactly `kinds`.
    pub const fn of(kinds: &[ApiType]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < kinds.len() {
            bits |= 1 << (kinds[i] as u16);
            i += 1;
        }
        Self(bits)
    }

    /// This set and `kind`.
    pub const fn with(self, kind: ApiType) -> Self {
        Self(self.0 | 1 << (kind as u16))
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: ApiType) -> bool {
        self.0 & (1 << (kind as u16)) != 0
    }
}

/// The execution kinds by the letters the spec's availability table writes them with.
pub mod letters {
    pub use super::ApiType::{
        Cleanup as C, CompositeQuery as CQ, Init as I, InspectMessage as F,
        NonReplicatedQuery as NRQ, PreUpgrade as G, RejectCallback as Rt, ReplicatedQuery as RQ,
        ReplyCallback as Ry, SystemTask as T, Update as U,
    };
}

/// `*` in the spec: everywhere but `(start)`.
pub const ALL: Contexts = {
    use letters::*;
    Contexts::of(&[I, G, U, RQ, NRQ, CQ, Ry, Rt, C, F, T])
};

/// One row of the table: an `ic0` function (without the `ic0.` prefix) and where it may be called.
#[derive(Debug, Clone, Copy)]
pub struct Ic0Function {
    /// The import name.
    pub name: &'static str,
    /// The executions that may call it.
    pub contexts: Contexts,
}

/// Where the function `name` (without the `ic0.` prefix) may be called, or `None` if the engine
/// does not provide it.
pub fn allowed_in(name: &str) -> Option<Contexts> {
    super::functions()
        .find(|f| f.name == name)
        .map(|f| f.contexts)
}

/// Whether `name` may be called in `api`.
pub fn is_allowed(name: &str, api: ApiType) -> bool {
    allowed_in(name).is_some_and(|contexts| contexts.contains(api))
}

#[cfg(test)]
mod tests {
    use super::ApiType::*;
    use super::*;
    use std::collections::BTreeSet;

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

    #[test]
    fn size_and_copy_pairs_share_their_contexts() {
        // "ic0.msg_arg_data_size ... // I U RQ NRQ TQ CQ Ry CRy F" and the same for _copy.
        for kind in [Init, Update, ReplyCallback, InspectMessage] {
            assert!(is_allowed("msg_arg_data_size", kind));
            assert!(is_allowed("msg_arg_data_copy", kind));
        }
        assert!(!is_allowed("msg_arg_data_copy", RejectCallback));
        // "ic0.msg_reject_msg_size / _copy ... // Rt CRt"
        assert!(is_allowed("msg_reject_msg_copy", RejectCallback));
        assert!(!is_allowed("msg_reject_msg_size", ReplyCallback));
    }

    #[test]
    fn every_function_is_declared_once() {
        let names: Vec<_> = super::super::functions().map(|f| f.name).collect();
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(names.len(), unique.len(), "a function is declared twice");
        // Every function of the spec's table for 32-bit memories is provided.
        assert_eq!(names.len(), 74, "{names:?}");
    }
}
