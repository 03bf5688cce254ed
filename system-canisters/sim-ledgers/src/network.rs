//! What a local network starts with: the three stand-ins, each with its package (the wasm is
//! `target/canisters/<package>.wasm`), id, cycles and init argument, and the anonymous principal
//! pre-funded, as icp-cli's own launcher does before `icp network start` seeds the user's
//! identities from it.

use crate::cmc::CmcInit;
use crate::cycles::CyclesLedgerInit;
use crate::icp::IcpLedgerInit;
use crate::ids::{CYCLES_LEDGER, CYCLES_MINTING_CANISTER, ICP_LEDGER};
use candid::{Encode, Nat, Principal};
use icrc_ledger_types::icrc1::account::Account;

/// ICP the anonymous principal holds at start: one billion ICP, in e8s.
pub const ANONYMOUS_ICP_E8S: u64 = 1_000_000_000 * 100_000_000;

/// Cycles the anonymous principal holds on the cycles ledger at start (10^18 T cycles), backed by
/// the cycles ledger's own balance.
pub const ANONYMOUS_CYCLES: u128 = 1_000_000_000_000_000_000_000_000_000_000;

/// Cycles each stand-in gets for its own execution (1,000 T); the cycles ledger and the CMC get
/// [`ANONYMOUS_CYCLES`] on top (what they hand out).
pub const OPERATING_CYCLES: u128 = 1_000_000_000_000_000;

/// One stand-in to install.
#[derive(Debug, Clone)]
pub struct StandIn {
    /// Its package: the wasm is `<package>.wasm`.
    pub package: &'static str,
    /// Its canister id.
    pub id: Principal,
    /// Its cycle balance at creation.
    pub cycles: u128,
    /// Its Candid-encoded init argument.
    pub init: Vec<u8>,
}

/// The stand-ins of a network whose one subnet is `subnet`, in installation order.
pub fn stand_ins(subnet: Principal) -> [StandIn; 3] {
    let anonymous = Account {
        owner: Principal::anonymous(),
        subaccount: None,
    };
    let encode = |result: candid::Result<Vec<u8>>| result.expect("init arguments encode");
    [
        StandIn {
            package: "sim-icp-ledger",
            id: ICP_LEDGER,
            cycles: OPERATING_CYCLES,
            init: encode(Encode!(&IcpLedgerInit {
                initial_balances: vec![(anonymous, ANONYMOUS_ICP_E8S)],
            })),
        },
        StandIn {
            package: "sim-cycles-ledger",
            id: CYCLES_LEDGER,
            cycles: OPERATING_CYCLES + ANONYMOUS_CYCLES,
            init: encode(Encode!(&CyclesLedgerInit {
                subnet,
                initial_balances: vec![(anonymous, Nat::from(ANONYMOUS_CYCLES))],
            })),
        },
        StandIn {
            package: "sim-cmc",
            id: CYCLES_MINTING_CANISTER,
            cycles: OPERATING_CYCLES + ANONYMOUS_CYCLES,
            init: encode(Encode!(&CmcInit { subnet })),
        },
    ]
}
