//! Clients of a busy canister: an update and a query at a time, the rejections counted by cause,
//! and how long updates were refused.

use crate::journal::NS;
use canister_hooks::units;
use canister_hooks_testkit::examples::LoadClient;
use canister_hooks_testkit::Ic;

/// Why a client's update was rejected, read from the reject message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
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
}

/// What the clients of a canister saw over a stretch of calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Updates served.
    pub updates_served: u32,
    /// Updates rejected because the canister was in maintenance.
    pub rejected_in_maintenance: u32,
    /// Updates rejected because the canister was stopping or stopped.
    pub rejected_stopped: u32,
    /// Updates rejected because the canister was not ready (its post-init had not finished).
    pub rejected_not_ready: u32,
    /// Updates rejected for another reason.
    pub rejected_other: u32,
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
                match Refusal::of(&message) {
                    Refusal::Maintenance => {
                        self.rejected_in_maintenance += 1;
                        self.maintenance_message.get_or_insert(message);
                    }
                    Refusal::Stopped => self.rejected_stopped += 1,
                    Refusal::NotReady => self.rejected_not_ready += 1,
                    Refusal::Other => {
                        self.rejected_other += 1;
                        self.other_message.get_or_insert(message);
                    }
                }
                false
            }
        }
    }

    /// Updates rejected, whatever the cause.
    pub fn updates_rejected(&self) -> u32 {
        self.rejected_in_maintenance
            + self.rejected_stopped
            + self.rejected_not_ready
            + self.rejected_other
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
        let causes: Vec<String> = [
            (self.rejected_in_maintenance, "in maintenance"),
            (self.rejected_stopped, "while stopped"),
            (self.rejected_not_ready, "while not ready"),
            (self.rejected_other, "for another reason"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
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
