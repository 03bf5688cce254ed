//! The system canisters' ids (as on the IC and in icp-cli's local networks) and their constants.

use candid::Principal;

/// The ICP ledger, `ryjl3-tyaaa-aaaaa-aaaba-cai`.
pub const ICP_LEDGER: Principal = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 2, 1, 1]);

/// The cycles minting canister, `rkp4c-7iaaa-aaaaa-aaaca-cai`.
pub const CYCLES_MINTING_CANISTER: Principal =
    Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 4, 1, 1]);

/// The cycles ledger, `um5iw-rqaaa-aaaaq-qaaba-cai`.
pub const CYCLES_LEDGER: Principal = Principal::from_slice(&[0, 0, 0, 0, 2, 16, 0, 2, 1, 1]);

/// The ICP ledger's transfer fee: 0.0001 ICP.
pub const ICP_FEE_E8S: u64 = 10_000;

/// The cycles ledger's fee per operation: 100 M cycles.
pub const CYCLES_FEE: u128 = 100_000_000;

/// The CMC's fixed exchange rate: 4 XDR per ICP, in ten-thousandths of an XDR. One XDR buys
/// 10^12 cycles, so one e8 (10^-8 ICP) buys this many cycles: 1 ICP = 4 T cycles.
pub const XDR_PERMYRIAD_PER_ICP: u64 = 40_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_their_text_forms() {
        assert_eq!(ICP_LEDGER.to_text(), "ryjl3-tyaaa-aaaaa-aaaba-cai");
        assert_eq!(
            CYCLES_MINTING_CANISTER.to_text(),
            "rkp4c-7iaaa-aaaaa-aaaca-cai"
        );
        assert_eq!(CYCLES_LEDGER.to_text(), "um5iw-rqaaa-aaaaq-qaaba-cai");
    }
}
