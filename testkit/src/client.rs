//! [`Client`]: typed calls to one canister as one caller. What each kind of canister answers is
//! written in its own module ([`crate::monitor`], [`crate::sdk`], [`crate::examples`]).

use crate::ic::Ic;
use candid::utils::ArgumentEncoder;
use candid::{CandidType, Deserialize, Principal};
use pocket_ic::RejectResponse;
use std::marker::PhantomData;

/// Calls to canister `id` as `caller`; `C` names what the canister is (its methods are
/// implemented for `Client<_, C>`).
pub struct Client<'a, I: Ic, C> {
    pub ic: &'a I,
    pub id: Principal,
    pub caller: Principal,
    canister: PhantomData<C>,
}

impl<'a, I: Ic, C> Client<'a, I, C> {
    /// A client of canister `id` calling as `caller`.
    pub fn new(ic: &'a I, id: Principal, caller: Principal) -> Self {
        Client {
            ic,
            id,
            caller,
            canister: PhantomData,
        }
    }

    /// An update call of `method` with one result.
    pub fn update<A, R>(&self, method: &str, args: A) -> Result<R, RejectResponse>
    where
        A: ArgumentEncoder,
        R: CandidType + for<'de> Deserialize<'de>,
    {
        only(self.ic.update_candid_as(self.id, self.caller, method, args))
    }

    /// A query of `method` with one result.
    pub fn query<A, R>(&self, method: &str, args: A) -> Result<R, RejectResponse>
    where
        A: ArgumentEncoder,
        R: CandidType + for<'de> Deserialize<'de>,
    {
        only(self.ic.query_candid_as(self.id, self.caller, method, args))
    }

    /// An update call of `method` with no result.
    pub fn update_unit<A: ArgumentEncoder>(
        &self,
        method: &str,
        args: A,
    ) -> Result<(), RejectResponse> {
        self.ic.update_candid_as(self.id, self.caller, method, args)
    }
}

/// Reads every page of a paged endpoint: `fetch(cursor)` returns one page's items and the cursor
/// of the next page (`None` on the last page), starting from `None`.
pub fn read_all_pages<T, C>(
    mut fetch: impl FnMut(Option<C>) -> Result<(Vec<T>, Option<C>), RejectResponse>,
) -> Result<Vec<T>, RejectResponse> {
    let mut all = vec![];
    let mut cursor = None;
    loop {
        let (items, next) = fetch(cursor)?;
        all.extend(items);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// Declares typed methods of a [`Client`], each one `update`, `update_unit` or `query` of the
/// Candid method it is named after, with its arguments in order:
/// `/// doc` `query stats() -> Stats;` becomes `pub fn stats(&self) -> Result<Stats, RejectResponse>`.
macro_rules! candid_methods {
    ($($(#[$doc:meta])* $kind:ident $method:ident($($arg:ident: $ty:ty),*) -> $reply:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $method(&self, $($arg: $ty),*) -> Result<$reply, $crate::RejectResponse> {
                self.$kind(stringify!($method), ($($arg,)*))
            }
        )*
    };
}
pub(crate) use candid_methods;

/// The one value of a reply with one result.
fn only<R>(reply: Result<(R,), RejectResponse>) -> Result<R, RejectResponse> {
    reply.map(|(value,)| value)
}
