//! The endpoints every canister built with the SDK exports (`hooks_readiness`, `hooks_status`,
//! `hooks_recent_errors`), typed, and waiting for readiness.

use crate::client::Client;
use crate::ic::Ic;
use pocket_ic::RejectResponse;
use std::time::Duration;

pub use canister_hooks::types::{ErrorRecord, HooksStatus, Phase, Readiness};

/// A canister built with the SDK: its client answers the SDK's endpoints.
pub trait WithHooks {}

/// Any canister built with the SDK, for [`Client`].
pub struct Hooked;
impl WithHooks for Hooked {}

/// Calls to the SDK endpoints of any canister built with it.
pub type SdkClient<'a, I> = Client<'a, I, Hooked>;

impl<I: Ic, C: WithHooks> Client<'_, I, C> {
    /// `hooks_readiness` (never gated).
    pub fn readiness(&self) -> Result<Readiness, RejectResponse> {
        self.query("hooks_readiness", ())
    }

    /// `hooks_status`.
    pub fn status(&self) -> Result<HooksStatus, RejectResponse> {
        self.query("hooks_status", ())
    }

    /// `hooks_recent_errors`, newest first.
    pub fn recent_errors(&self) -> Result<Vec<ErrorRecord>, RejectResponse> {
        self.query("hooks_recent_errors", ())
    }

    /// Until `hooks_readiness` reports Ready, runs one round at a time, `step` apart; returns the
    /// rounds it took, or the last readiness after `max_rounds`.
    pub fn wait_ready(&self, max_rounds: u32, step: Duration) -> Result<u32, Box<Readiness>> {
        let mut rounds = 0;
        loop {
            let readiness = self
                .readiness()
                .unwrap_or_else(|e| panic!("hooks_readiness of {} is never gated: {e}", self.id));
            if readiness.phase == Phase::Ready {
                return Ok(rounds);
            }
            if rounds == max_rounds {
                return Err(Box::new(readiness));
            }
            self.ic.step(step, 1);
            rounds += 1;
        }
    }
}
