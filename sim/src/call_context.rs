//! Call contexts (one per incoming call being processed) and the callbacks of outgoing calls.

use crate::ids::MessageId;
use candid::Principal;
use std::collections::BTreeMap;

/// Where the response of a call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseTarget {
    /// An ingress message's status.
    Ingress(MessageId),
    /// A callback of the calling canister.
    Callback {
        /// The caller.
        caller: Principal,
        /// The caller's callback id.
        callback_id: u64,
    },
    /// Nobody (heartbeat, timer, low-memory hook).
    System,
}

/// A call being processed by a canister.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// Where the response goes.
    pub target: ResponseTarget,
    /// `msg_caller` for every execution in this context.
    pub caller: Principal,
    /// Whether the call was responded to.
    pub responded: bool,
    /// Cycles attached to the call and not yet accepted.
    pub cycles_available: u128,
    /// `msg_deadline`.
    pub deadline: u64,
    /// Instructions executed so far in this context.
    pub instructions: u64,
    /// Outgoing calls still waiting for a response.
    pub open_callbacks: usize,
}

/// The functions `ic0.call_new` / `ic0.call_on_cleanup` name for a call's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackFunctions {
    /// Reply callback (table index, env).
    pub reply: (u32, u32),
    /// Reject callback (table index, env).
    pub reject: (u32, u32),
    /// Cleanup callback.
    pub cleanup: Option<(u32, u32)>,
}

/// What to run when the response of an outgoing call arrives.
#[derive(Debug, Clone)]
pub struct Callback {
    /// The call context that made the call.
    pub context_id: u64,
    /// The callee.
    pub callee: Principal,
    /// The functions to run.
    pub functions: CallbackFunctions,
    /// Bounded-wait deadline, if any.
    pub deadline: Option<u64>,
    /// Whether the timeout reject was already issued.
    pub expired: bool,
    /// The code generation the callback belongs to (callbacks die with an uninstall).
    pub generation: u64,
}

/// A canister's call contexts and callbacks.
#[derive(Debug, Clone, Default)]
pub struct CallContexts {
    contexts: BTreeMap<u64, CallContext>,
    callbacks: BTreeMap<u64, Callback>,
    next_context: u64,
    next_callback: u64,
}

impl CallContexts {
    /// Opens a context.
    pub fn open(&mut self, context: CallContext) -> u64 {
        let id = self.next_context;
        self.next_context += 1;
        self.contexts.insert(id, context);
        id
    }

    /// A context.
    pub fn get(&self, id: u64) -> Option<&CallContext> {
        self.contexts.get(&id)
    }

    /// A context, mutably.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut CallContext> {
        self.contexts.get_mut(&id)
    }

    /// Closes a context.
    pub fn close(&mut self, id: u64) -> Option<CallContext> {
        self.contexts.remove(&id)
    }

    /// Number of open contexts.
    pub fn open_count(&self) -> usize {
        self.contexts.len()
    }

    /// Registers a callback (and counts it in its context).
    pub fn register(&mut self, callback: Callback) -> u64 {
        let id = self.next_callback;
        self.next_callback += 1;
        if let Some(c) = self.contexts.get_mut(&callback.context_id) {
            c.open_callbacks += 1;
        }
        self.callbacks.insert(id, callback);
        id
    }

    /// Removes a callback when its response arrives (and uncounts it).
    pub fn take_callback(&mut self, id: u64) -> Option<Callback> {
        let cb = self.callbacks.remove(&id)?;
        if let Some(c) = self.contexts.get_mut(&cb.context_id) {
            c.open_callbacks = c.open_callbacks.saturating_sub(1);
        }
        Some(cb)
    }

    /// Callbacks whose bounded-wait deadline is at or before `now` and not yet expired; marks them.
    pub fn expire(&mut self, now: u64) -> Vec<(u64, Callback)> {
        let mut out = Vec::new();
        for (id, cb) in self.callbacks.iter_mut() {
            if !cb.expired && cb.deadline.is_some_and(|d| d <= now) {
                cb.expired = true;
                out.push((*id, cb.clone()));
            }
        }
        out
    }

    /// Removes every context and callback, returning the contexts (uninstall, delete).
    pub fn drain(&mut self) -> Vec<CallContext> {
        self.callbacks.clear();
        std::mem::take(&mut self.contexts).into_values().collect()
    }
}
