//! The ICP ledger's account identifiers: SHA-224 of the owner and subaccount, prefixed with its
//! CRC-32, as the ICP ledger derives them.

use candid::{CandidType, Principal};
use icrc_ledger_types::icrc1::account::Account;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// A 32-byte subaccount.
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Hash, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub struct Subaccount(pub [u8; 32]);

impl Subaccount {
    /// The default subaccount (all zeros).
    pub const DEFAULT: Subaccount = Subaccount([0; 32]);
}

impl From<Principal> for Subaccount {
    /// The subaccount that names a principal (its length, then its bytes), as the CMC expects
    /// it in transfers made on the principal's behalf.
    fn from(principal: Principal) -> Self {
        let bytes = principal.as_slice();
        let mut subaccount = [0; 32];
        subaccount[0] = bytes.len() as u8;
        subaccount[1..1 + bytes.len()].copy_from_slice(bytes);
        Subaccount(subaccount)
    }
}

/// An ICP ledger account identifier: CRC-32 (big-endian) · SHA-224("\x0Aaccount-id" · owner ·
/// subaccount).
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Hash, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub struct AccountIdentifier(pub [u8; 32]);

impl AccountIdentifier {
    /// The identifier of `owner`'s `subaccount`.
    pub fn new(owner: &Principal, subaccount: &Subaccount) -> Self {
        let mut hasher = sha2::Sha224::new();
        hasher.update(b"\x0Aaccount-id");
        hasher.update(owner.as_slice());
        hasher.update(subaccount.0);
        let hash: [u8; 28] = hasher.finalize().into();
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&crc32fast::hash(&hash).to_be_bytes());
        id[4..].copy_from_slice(&hash);
        AccountIdentifier(id)
    }
}

impl From<&Account> for AccountIdentifier {
    fn from(account: &Account) -> Self {
        let subaccount = account.subaccount.map_or(Subaccount::DEFAULT, Subaccount);
        AccountIdentifier::new(&account.owner, &subaccount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anonymous_default_account_has_its_known_identifier() {
        // The anonymous principal's default account, as the ICP ledger and dfx print it.
        let id = AccountIdentifier::new(&Principal::anonymous(), &Subaccount::DEFAULT);
        assert_eq!(
            id.0.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "1c7a48ba6a562aa9eaa2481a9049cdf0433b9738c992d698c31d8abf89cadc79"
        );
        let account = Account {
            owner: Principal::anonymous(),
            subaccount: None,
        };
        assert_eq!(AccountIdentifier::from(&account), id);
    }

    #[test]
    fn a_principal_subaccount_holds_its_length_and_bytes() {
        let principal = Principal::from_slice(&[7, 8, 9]);
        let subaccount = Subaccount::from(principal);
        assert_eq!(&subaccount.0[..4], &[3, 7, 8, 9]);
        assert!(subaccount.0[4..].iter().all(|b| *b == 0));
    }
}
