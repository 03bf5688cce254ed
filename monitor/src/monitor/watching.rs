//! Watching without control and catching unexpected changes, applied to the monitor's state:
//! the access and identity each sample shows, change events (once `canister_info` said who),
//! the one fault of a lost access, expected changes, and the cycles hook calls carry.

use super::{Monitor, MAX_MESSAGE_BYTES};
use crate::api::*;
use crate::policy::call_error::CallError;
use crate::policy::pipeline::{Pipeline, Work};
use crate::policy::topup;
use crate::policy::watching::{
    self, access_from, attribution, change_event, differences, unexpected, Change,
};
use crate::state::identities::RecordedIdentity;
use crate::state::watch_extension::WatchExtension;
use crate::status_reply::identity::Identity;
use crate::status_reply::sample::DAY_SECONDS;
use candid::Principal;
use ic_management_canister_types::CanisterInfoResult;
use ic_stable_structures::Memory;
use serde_bytes::ByteBuf;

/// True when `p` changes `id`'s code: its target, a rehearsal canister or a restore's clone.
fn touches(p: &Pipeline, id: Principal) -> bool {
    p.request.target == id
        || match &p.request.work {
            Work::Upgrade { rehearsal, .. } => *rehearsal == Some(id),
            Work::Restore { onto, .. } => *onto == Some(id),
            Work::Backup { .. } => false,
        }
}

impl<M: Memory> Monitor<M> {
    /// Applies what a sample of `id` says of its access, cycles settings, code and controllers
    /// to `ext`; returns the changes that raise an event. Costs no stable read unless a digest
    /// changed (or nothing was recorded yet).
    pub(super) fn observe_identity(
        &mut self,
        id: Principal,
        ext: &mut WatchExtension,
        identity: &Identity,
        now_ns: u64,
    ) -> Vec<Change> {
        ext.access = access_from(&identity.controllers, self.id);
        ext.minimum_incoming_call_cycles = identity.minimum_incoming_call_cycles;
        ext.reserved_cycles = identity.reserved_cycles;
        let (module, controllers) = differences(ext, identity);
        if ext.recorded && !module && !controllers {
            return vec![];
        }
        let first = !ext.recorded;
        ext.recorded = true;
        ext.module_digest = identity.module_digest();
        ext.controllers_digest = identity.controllers_digest();
        let before = self.identities.recorded(&id);
        let after = RecordedIdentity {
            module_hash: identity.module_hash.map(|h| ByteBuf::from(h.to_vec())),
            controllers: identity.controllers.clone(),
        };
        self.identities.record(id, after.clone());
        if first {
            return vec![];
        }
        let mut changes = vec![];
        if module {
            changes.push(Change::Module {
                before: before.module_hash.map(ByteBuf::into_vec),
                after: after.module_hash.map(ByteBuf::into_vec),
            });
        }
        if controllers {
            changes.push(Change::Controllers {
                before: before.controllers,
                after: after.controllers,
            });
        }
        let running = self.operations.all_running().any(|p| touches(&p, id));
        let expected = self.identities.expected(&id);
        let (raised, left) = unexpected(changes, expected.clone(), running, now_ns);
        if left != expected {
            self.identities.set_expected(id, left);
        }
        raised
    }

    /// Raises the events of `changes` of `id`, saying who made each when `info` (its
    /// `canister_info`) tells; returns their ids.
    pub fn raise_changes(
        &mut self,
        id: Principal,
        changes: &[Change],
        info: Option<&CanisterInfoResult>,
        now_ns: u64,
    ) -> Vec<u64> {
        let Some(reg) = self.canisters.registration(&id) else {
            return vec![];
        };
        changes
            .iter()
            .map(|c| {
                let who = info.and_then(|i| attribution(c, i));
                let event = change_event(c, who.as_deref(), self.id, now_ns, MAX_MESSAGE_BYTES);
                self.emit(&reg, event, now_ns)
            })
            .collect()
    }

    /// Records that `canister`'s code may change as its just-ended operation left it: an upgrade
    /// installed `module` (`Some`); a restore may have loaded any module (`None`).
    pub(super) fn expect_pipeline_change(
        &mut self,
        canister: Principal,
        module: Option<Vec<u8>>,
        now_ns: u64,
    ) {
        if !self.canisters.contains(&canister) {
            return;
        }
        let mut e = self
            .identities
            .expected(&canister)
            .unwrap_or(ExpectedChange {
                module_hash: None,
                controllers: None,
                any_module: false,
                until_ns: 0,
            });
        match module {
            Some(hash) => e.module_hash = Some(ByteBuf::from(hash)),
            None => e.any_module = true,
        }
        let until = now_ns.saturating_add(watching::PIPELINE_EXPECTATION_SECONDS * NS);
        e.until_ns = e.until_ns.max(until);
        self.identities.set_expected(canister, Some(e));
    }

    /// Announces a change of `args.canister_id`'s code or controllers: a matching change within
    /// `args.within_seconds` raises no event. Replaces an earlier expectation.
    pub fn expect_change(
        &mut self,
        args: &ExpectChangeArgs,
        now_ns: u64,
    ) -> Result<ExpectedChange, ExpectChangeError> {
        if !self.canisters.contains(&args.canister_id) {
            return Err(ExpectChangeError::NotRegistered {
                canister_id: args.canister_id,
            });
        }
        let e = watching::expectation(args, now_ns)?;
        self.identities
            .set_expected(args.canister_id, Some(e.clone()));
        Ok(e)
    }

    /// The cycles to attach to a hook call of `target` (its `minimum_incoming_canister_call_cycles`,
    /// out of its top-up budget); an error saying why the call cannot be made.
    pub fn hook_cycles(&self, target: Principal, now_ns: u64) -> Result<u128, CallError> {
        let Some(r) = self.canisters.get(&target) else {
            return Ok(0);
        };
        topup::hook_cycles(
            r.extension.minimum_incoming_call_cycles,
            r.registration.top_up.as_ref(),
            &r.watch.spending,
            now_ns / NS / DAY_SECONDS,
        )
        .map_err(|message| CallError {
            reject_code: None,
            message,
            clean: true,
            transient: false,
        })
    }

    /// Counts `amount` cycles attached to a hook call of `target` against its top-up budget,
    /// unless the call was certainly not processed (a clean reject returns them).
    pub fn on_hook_cycles(&mut self, target: Principal, amount: u128, refunded: bool, now_ns: u64) {
        if amount == 0 || refunded {
            return;
        }
        let Some(mut l) = self.canisters.load(&target) else {
            return;
        };
        let r = &mut l.record;
        r.watch.spending.record(now_ns / NS / DAY_SECONDS, amount);
        r.extension.hook_cycles_total = r.extension.hook_cycles_total.saturating_add(amount);
        self.canisters.save(l);
    }

    /// The watching part of `id`'s state view.
    pub(super) fn watching_view(
        &self,
        id: Principal,
        ext: &WatchExtension,
        now_ns: u64,
    ) -> WatchingView {
        let recorded = self.identities.recorded(&id);
        WatchingView {
            access: ext.access,
            module_hash: recorded.module_hash,
            controllers: recorded.controllers,
            minimum_incoming_call_cycles: ext.minimum_incoming_call_cycles,
            reserved_cycles: ext.reserved_cycles,
            hook_cycles_total: ext.hook_cycles_total,
            expected_change: self
                .identities
                .expected(&id)
                .filter(|e| e.until_ns >= now_ns),
        }
    }

    /// Forgets what was recorded of an unregistered canister.
    pub(super) fn forget_identity(&mut self, id: &Principal) {
        self.identities.forget(id);
    }
}
