//! Cycles (`deposit_cycles`, `provisional_top_up_canister`), randomness (`raw_rand`) and logs
//! (`fetch_canister_logs`).

use super::{decode, nat_u128, reply, MgmtCall, MgmtResult};
use crate::error::{ErrorCode, UserError};
use crate::sim::Sim;
use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterLogFilter, FetchCanisterLogsArgs, FetchCanisterLogsResult,
    LogVisibility, ProvisionalTopUpCanisterArgs,
};
use rand_chacha::rand_core::RngCore;

impl Sim {
    pub(super) fn deposit_cycles(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: CanisterIdRecord = decode("deposit_cycles", call.payload)?;
        self.existing(args.canister_id)?;
        let c = self.canisters.get_mut(&args.canister_id).expect("checked");
        c.cycles += std::mem::take(&mut call.cycles);
        reply(&())
    }

    pub(super) fn provisional_top_up(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: ProvisionalTopUpCanisterArgs =
            decode("provisional_top_up_canister", call.payload)?;
        self.existing(args.canister_id)?;
        let c = self.canisters.get_mut(&args.canister_id).expect("checked");
        c.cycles = c.cycles.saturating_add(nat_u128(&args.amount));
        reply(&())
    }

    /// `raw_rand` is answered at the start of the next round, with randomness of that round
    /// (as on the IC): a loop of `raw_rand` calls advances one step per round.
    pub(super) fn raw_rand(&mut self, call: &MgmtCall<'_>) -> MgmtResult {
        self.raw_rand_waiting
            .push((call.target.clone(), call.cycles));
        Ok(None)
    }

    /// Answers the `raw_rand` calls made in the previous round.
    pub(crate) fn answer_raw_rand(&mut self) {
        for (target, refund) in std::mem::take(&mut self.raw_rand_waiting) {
            let mut bytes = [0u8; 32];
            self.rng.fill_bytes(&mut bytes);
            let blob = candid::encode_one(serde_bytes::ByteBuf::from(bytes.to_vec()))
                .expect("a blob encodes");
            self.route(Principal::management_canister(), target, Ok(blob), refund);
        }
    }

    /// `fetch_canister_logs` (a query), honouring `log_visibility`.
    pub(crate) fn fetch_canister_logs_method(
        &mut self,
        sender: Principal,
        payload: &[u8],
    ) -> Result<Vec<u8>, UserError> {
        let args: FetchCanisterLogsArgs = decode("fetch_canister_logs", payload)?;
        let id = args.canister_id;
        let c = self.existing(id)?;
        let allowed = c.is_controller(&sender)
            || match &c.settings.log_visibility {
                LogVisibility::Public => true,
                LogVisibility::Controllers => false,
                LogVisibility::AllowedViewers(v) => v.contains(&sender),
            };
        if !allowed {
            return Err(UserError::new(
                ErrorCode::CanisterRejectedMessage,
                format!("Caller {sender} is not allowed to query ic00 method fetch_canister_logs of canister {id}"),
            ));
        }
        let records = c
            .log
            .records()
            .into_iter()
            // Filters are half-open ranges `[start, end)`, as the management types document.
            .filter(|r| match &args.filter {
                None => true,
                Some(CanisterLogFilter::ByIdx { start, end }) => (*start..*end).contains(&r.idx),
                Some(CanisterLogFilter::ByTimestampNanos { start, end }) => {
                    (*start..*end).contains(&r.timestamp_nanos)
                }
            })
            .collect();
        Ok(candid::encode_one(FetchCanisterLogsResult {
            canister_log_records: records,
        })
        .expect("encode"))
    }
}
