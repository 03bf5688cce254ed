//! The module hash and controllers recorded for each canister (memory 15, written only when they
//! change, so a change event can name the before), and the changes admins expect (memory 16).
//! The sample path reads neither: the record's digests say whether anything changed.

use crate::api::ExpectedChange;
use crate::state::stored::Stored;
use candid::{CandidType, Principal};
use ic_stable_structures::{Memory, StableBTreeMap};
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// What the monitor last recorded of a canister's code and controllers.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedIdentity {
    /// The module hash; absent without code.
    pub module_hash: Option<ByteBuf>,
    /// The controllers, as the status listed them.
    pub controllers: Vec<Principal>,
}

/// Recorded identities and expected changes, by canister.
pub struct Identities<M: Memory> {
    recorded: StableBTreeMap<Principal, Stored<RecordedIdentity>, M>,
    expected: StableBTreeMap<Principal, Stored<ExpectedChange>, M>,
}

impl<M: Memory> Identities<M> {
    /// Opens (or creates) the two maps.
    pub fn init(recorded: M, expected: M) -> Self {
        Self {
            recorded: StableBTreeMap::init(recorded),
            expected: StableBTreeMap::init(expected),
        }
    }

    /// What was recorded of `id`.
    pub fn recorded(&self, id: &Principal) -> RecordedIdentity {
        self.recorded.get(id).map(|s| s.0).unwrap_or_default()
    }

    /// Records `identity` for `id`.
    pub fn record(&mut self, id: Principal, identity: RecordedIdentity) {
        self.recorded.insert(id, Stored(identity));
    }

    /// The change expected of `id`, if any.
    pub fn expected(&self, id: &Principal) -> Option<ExpectedChange> {
        self.expected.get(id).map(|s| s.0)
    }

    /// Sets (or, with `None`, clears) the change expected of `id`.
    pub fn set_expected(&mut self, id: Principal, change: Option<ExpectedChange>) {
        match change {
            Some(c) => {
                self.expected.insert(id, Stored(c));
            }
            None => {
                self.expected.remove(&id);
            }
        }
    }

    /// Forgets `id` (unregistered).
    pub fn forget(&mut self, id: &Principal) {
        self.recorded.remove(id);
        self.expected.remove(id);
    }
}
