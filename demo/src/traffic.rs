//! Clients of a busy canister: an update and a query at a time, the rejections counted by cause,
//! and how long updates were refused.

use crate::journal::NS;
use canister_hooks::units;
use canister_hooks_testkit::examples::LoadClient;
use canister_hooks_testkit::Ic;
use std::collections::BTreeMap;

/// Why a client's update was rejected, read from the reject message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// The SDK's maintenance guard: "in maintenance until …: reason".
    Maintenance,
    /// The IC: the canister is stopping or stopped.
    Stopped,
    /// The SDK's readiness guard: the canister's post-init has not finished.
    NotReady,
    /// Anything else.
    Other,
}

impl Refusal {
    fn of(message: &str) -> Refusal {
        if message.contains("in maintenance") {
            Refusal::Maintenance
        } else if message.contains("is stopped") || message.contains("is stopping") {
            Refusal::Stopped
        } else if message.contains("initializing") {
            Refusal::NotReady
        } else {
            Refusal::Other
        }
    }

    /// The cause, as [`Traffic::describe`] words it.
    fn words(self) -> &'static str {
        match self {
            Refusal::Maintenance => "in maintenance",
            Refusal::Stopped => "while stopped",
            Refusal::NotReady => "while not ready",
            Refusal::Other => "for another reason",
        }
    }
}

/// What the clients of a canister saw over a stretch of calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Updates served.
    pub updates_served: u32,
    /// Updates rejected, by cause (causes never seen are absent).
    pub rejected: BTreeMap<Refusal, u32>,
    /// Queries answered.
    pub queries_served: u32,
    /// Queries rejected (a stopped canister answers none).
    pub queries_rejected: u32,
    /// The first maintenance rejection, as a client read it.
    pub maintenance_message: Option<String>,
    /// The first other rejection, as a client read it.
    pub other_message: Option<String>,
    /// When the first update was rejected (IC time, ns).
    pub first_refused_ns: Option<u64>,
    /// When an update was served again after that (IC time, ns).
    pub served_again_ns: Option<u64>,
}

impl Traffic {
    /// One client's update (`serve`) and another's query (`load_status`) at `now_ns`; returns
    /// whether the update was served.
    pub fn call<I: Ic>(&mut self, load: &LoadClient<'_, I>, now_ns: u64) -> bool {
        match load.load_status() {
            Ok(_) => self.queries_served += 1,
            Err(_) => self.queries_rejected += 1,
        }
        match load.serve() {
            Ok(_) => {
                self.updates_served += 1;
                if self.first_refused_ns.is_some() && self.served_again_ns.is_none() {
                    self.served_again_ns = Some(now_ns);
                }
                true
            }
            Err(reject) => {
                self.first_refused_ns.get_or_insert(now_ns);
                let message = reject.reject_message;
                let cause = Refusal::of(&message);
                *self.rejected.entry(cause).or_default() += 1;
                let first_message = match cause {
                    Refusal::Maintenance => &mut self.maintenance_message,
                    Refusal::Other => &mut self.other_message,
                    Refusal::Stopped | Refusal::NotReady => return false,
                };
                first_message.get_or_insert(message);
                false
            }
        }
    }

    /// Updates rejected for `cause`.
    pub fn rejected_for(&self, cause: Refusal) -> u32 {
        self.rejected.get(&cause).copied().unwrap_or(0)
    }

    /// Updates rejected, whatever the cause.
    pub fn updates_rejected(&self) -> u32 {
        self.rejected.values().sum()
    }

    /// How long updates were refused: from the first rejection until one was served again.
    pub fn refused_secs(&self) -> Option<u64> {
        Some((self.served_again_ns? - self.first_refused_ns?) / NS)
    }

    /// `7 of 19 updates rejected (5 in maintenance, 2 while stopped) for 6 s, 19 of 19 queries
    /// served`.
    pub fn describe(&self) -> String {
        let updates = self.updates_served + self.updates_rejected();
        let queries = self.queries_served + self.queries_rejected;
        let causes: Vec<String> = self
            .rejected
            .iter()
            .map(|(cause, n)| format!("{n} {}", cause.words()))
            .collect();
        let rejected = match (causes.is_empty(), self.refused_secs()) {
            (true, _) => String::new(),
            (false, Some(secs)) => {
                format!(" ({}) for {}", causes.join(", "), units::duration(secs))
            }
            (false, None) => format!(" ({})", causes.join(", ")),
        };
        format!(
            "{} of {updates} updates rejected{rejected}, {} of {queries} queries served",
            self.updates_rejected(),
            self.queries_served
        )
    }
}
