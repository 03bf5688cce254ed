//! [`candid_storable!`](crate::candid_storable): a Candid-encoded, unbounded `Storable`.

/// Implements `ic_stable_structures::Storable` for a Candid type, encoding it with Candid and
/// declaring it unbounded.
///
/// The expansion names `::ic_stable_structures` and `::candid` (and `::serde` in the generic
/// form), so the calling crate must depend on them. The generic form serves a wrapper that
/// stores another crate's type:
///
/// ```ignore
/// canister_hooks_types::candid_storable!(MyRecord);
/// canister_hooks_types::candid_storable!(impl<T> for Stored<T>);
/// ```
#[macro_export]
macro_rules! candid_storable {
    (impl<$($p:ident),*> for $t:ty) => {
        impl<$($p: ::candid::CandidType + ::serde::de::DeserializeOwned),*>
            ::ic_stable_structures::Storable for $t
        {
            fn to_bytes(&self) -> ::std::borrow::Cow<'_, [u8]> {
                ::std::borrow::Cow::Owned(::candid::encode_one(self).expect("a Candid type encodes"))
            }
            fn into_bytes(self) -> ::std::vec::Vec<u8> {
                ::candid::encode_one(&self).expect("a Candid type encodes")
            }
            fn from_bytes(bytes: ::std::borrow::Cow<'_, [u8]>) -> Self {
                ::candid::decode_one(&bytes).expect("a stored record decodes")
            }
            const BOUND: ::ic_stable_structures::storable::Bound =
                ::ic_stable_structures::storable::Bound::Unbounded;
        }
    };
    ($t:ty) => {
        $crate::candid_storable!(impl<> for $t);
    };
}
