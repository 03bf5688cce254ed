//! The system canisters' stand-ins (ICP ledger, cycles ledger, CMC) on a `pocket-ic` instance,
//! installed as ic-sim's icp-cli launcher installs them (`sim_ledgers::network`).

use crate::canister_wasm;
use candid::Principal;
use pocket_ic::PocketIc;

/// Installs the three stand-ins at their ids, the anonymous principal funded; the subnet.
pub fn install_stand_ins(pic: &PocketIc) -> Principal {
    let subnet = *pic
        .topology()
        .subnet_configs
        .keys()
        .next()
        .expect("one subnet");
    for stand_in in sim_ledgers::network::stand_ins(subnet) {
        pic.create_canister_with_id(None, None, stand_in.id)
            .unwrap_or_else(|e| panic!("creating {} at {}: {e}", stand_in.package, stand_in.id));
        pic.add_cycles(stand_in.id, stand_in.cycles);
        pic.install_canister(
            stand_in.id,
            canister_wasm(stand_in.package),
            stand_in.init,
            None,
        );
    }
    subnet
}
