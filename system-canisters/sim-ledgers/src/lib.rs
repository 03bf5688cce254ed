//! Types and pure logic of ic-sim's stand-ins for the IC's system canisters that icp-cli uses:
//! the ICP ledger, the cycles ledger and the cycles minting canister (CMC). The canisters
//! themselves (`sim-icp-ledger`, `sim-cycles-ledger`, `sim-cmc`) are thin ic-cdk layers over this
//! crate; `ic-sim-server` uses it natively to install them and encode their init arguments.
//!
//! The Candid types follow the real canisters' interfaces as far as icp-cli uses them (ICRC-1
//! types come from `icrc-ledger-types`); what the stand-ins leave out is listed in
//! `sim/README.md`.

pub mod account_id;
pub mod book;
pub mod cmc;
pub mod cycles;
pub mod icp;
pub mod ids;
pub mod network;

pub use book::{Book, BookError};
