//! [`Stored`]: an API type kept in a stable structure, encoded as Candid exactly like the type.

use candid::CandidType;
use serde::Deserialize;
use std::ops::Deref;

/// `T` as a stable structure holds it (a Candid newtype encodes as its content, so the bytes are
/// those of `T`). The API types live in another crate, so they get their `Storable` here.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct Stored<T>(pub T);

canister_hooks_types::candid_storable!(impl<T> for Stored<T>);

impl<T> Deref for Stored<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
