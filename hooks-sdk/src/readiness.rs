//! The post-init readiness state machine: steps run in order, failures retry with backoff, and
//! the canister is ready only when every step is done.
//!
//! Pure: time is passed in, nothing touches the IC. The canister layer
//! ([`crate::runtime::readiness`]) asks [`Readiness::next_action`] what to do and reports outcomes.

use crate::backoff::Backoff;
use crate::types::{self, Phase, StepState, StepView};

/// Name of the built-in first step that seeds the RNG from `raw_rand`.
pub const SEED_STEP: &str = "seed_rng";

/// What the driver should do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start attempt `attempt` (1-based) of step `step`.
    Run {
        /// Index of the step.
        step: usize,
        /// Attempt number, starting at 1.
        attempt: u32,
    },
    /// Nothing to run before this IC time (ns): a step is backing off.
    WaitUntil(u64),
    /// An attempt is in flight; wait for its outcome.
    InFlight,
    /// Every step is done.
    Ready,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Step {
    name: String,
    state: StepState,
    attempts: u32,
    failures: u32,
    last_error: Option<String>,
}

/// Progress of the post-init sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    steps: Vec<Step>,
    backoff: Backoff,
    started_at_ns: u64,
    ready_at_ns: Option<u64>,
}

impl Readiness {
    /// A sequence of the given step names (run in this order), starting at `now_ns`.
    pub fn new(
        step_names: impl IntoIterator<Item = String>,
        backoff: Backoff,
        now_ns: u64,
    ) -> Self {
        let steps = step_names
            .into_iter()
            .map(|name| Step {
                name,
                state: StepState::Pending,
                attempts: 0,
                failures: 0,
                last_error: None,
            })
            .collect();
        Readiness {
            steps,
            backoff,
            started_at_ns: now_ns,
            ready_at_ns: None,
        }
    }

    /// Marks a step as completed before the upgrade (it will not run); unknown names are ignored.
    pub fn skip_completed(&mut self, name: &str) {
        if let Some(step) = self.steps.iter_mut().find(|s| s.name == name) {
            step.state = StepState::CompletedBeforeUpgrade;
        }
    }

    /// Decides the next action at `now_ns`; a returned `Run` marks that step running.
    pub fn next_action(&mut self, now_ns: u64) -> Action {
        let Some(index) = self.current_index() else {
            if self.ready_at_ns.is_none() {
                self.ready_at_ns = Some(now_ns);
            }
            return Action::Ready;
        };
        let step = &mut self.steps[index];
        match step.state {
            StepState::Running => Action::InFlight,
            StepState::RetryAt(at) if at > now_ns => Action::WaitUntil(at),
            StepState::Pending | StepState::RetryAt(_) => {
                step.state = StepState::Running;
                step.attempts += 1;
                Action::Run {
                    step: index,
                    attempt: step.attempts,
                }
            }
            StepState::Done(_) | StepState::CompletedBeforeUpgrade => {
                unreachable!("current_index skips finished steps")
            }
        }
    }

    /// Records that the running attempt of `step` succeeded at `now_ns`.
    pub fn succeeded(&mut self, step: usize, now_ns: u64) {
        if let Some(s) = self.steps.get_mut(step) {
            if s.state == StepState::Running {
                s.state = StepState::Done(now_ns);
                s.failures = 0;
            }
        }
    }

    /// Records that the running attempt of `step` failed; returns when the retry is due (ns).
    pub fn failed(&mut self, step: usize, error: String, now_ns: u64) -> Option<u64> {
        let s = self.steps.get_mut(step)?;
        if s.state != StepState::Running {
            return None;
        }
        s.failures += 1;
        let retry_at = now_ns.saturating_add(self.backoff.delay_ns(s.failures));
        s.state = StepState::RetryAt(retry_at);
        s.last_error = Some(error);
        Some(retry_at)
    }

    /// Whether every step is done and [`Self::next_action`] has acknowledged it.
    pub fn is_ready(&self) -> bool {
        self.ready_at_ns.is_some()
    }

    /// Name of step `index`.
    pub fn step_name(&self, index: usize) -> Option<&str> {
        self.steps.get(index).map(|s| s.name.as_str())
    }

    /// The phase as the readiness query reports it.
    pub fn phase(&self) -> Phase {
        match self.current_index() {
            None if self.ready_at_ns.is_some() => Phase::Ready,
            None => Phase::Initializing {
                step: "finishing".into(),
            },
            Some(i) => Phase::Initializing {
                step: self.steps[i].name.clone(),
            },
        }
    }

    /// A one-line explanation for rejected callers: which step, which attempt, last error.
    pub fn not_ready_message(&self) -> String {
        let Some(i) = self.current_index() else {
            return "canister is initializing (finishing); poll hooks_readiness and retry".into();
        };
        let step = &self.steps[i];
        let mut msg = format!(
            "canister is initializing: step {}/{} `{}`",
            i + 1,
            self.steps.len(),
            step.name
        );
        if step.attempts > 1 || step.last_error.is_some() {
            msg.push_str(&format!(", attempt {}", step.attempts.max(1)));
        }
        if let Some(err) = &step.last_error {
            msg.push_str(&format!(", last error: {err}"));
        }
        msg.push_str("; poll hooks_readiness and retry when it reports Ready");
        msg
    }

    /// The full view returned by the readiness query, with the `maintenance` the canister is in.
    pub fn view(&self, maintenance: Option<types::Maintenance>) -> types::Readiness {
        types::Readiness {
            phase: self.phase(),
            steps: self
                .steps
                .iter()
                .map(|s| StepView {
                    name: s.name.clone(),
                    state: s.state.clone(),
                    attempts: s.attempts,
                    last_error: s.last_error.clone(),
                })
                .collect(),
            started_at_ns: Some(self.started_at_ns),
            ready_at_ns: self.ready_at_ns,
            maintenance,
        }
    }

    fn current_index(&self) -> Option<usize> {
        self.steps.iter().position(|s| {
            !matches!(
                s.state,
                StepState::Done(_) | StepState::CompletedBeforeUpgrade
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    fn machine(names: &[&str]) -> Readiness {
        Readiness::new(names.iter().map(|s| s.to_string()), Backoff::default(), 100)
    }

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn steps_run_in_order_and_ready_only_after_the_last() {
        let mut r = machine(&[SEED_STEP, "fetch_config"]);
        assert_eq!(
            r.next_action(100),
            Action::Run {
                step: 0,
                attempt: 1
            }
        );
        assert_eq!(r.next_action(101), Action::InFlight);
        assert!(!r.is_ready());
        r.succeeded(0, 150);
        assert_eq!(
            r.phase(),
            Phase::Initializing {
                step: "fetch_config".into()
            }
        );
        assert_eq!(
            r.next_action(150),
            Action::Run {
                step: 1,
                attempt: 1
            }
        );
        assert!(!r.is_ready());
        r.succeeded(1, 200);
        assert_eq!(r.next_action(210), Action::Ready);
        assert!(r.is_ready());
        assert_eq!(r.view(None).ready_at_ns, Some(210));
        assert_eq!(r.phase(), Phase::Ready);
    }

    #[test]
    fn a_failing_step_backs_off_and_keeps_its_error_visible() {
        let mut r = machine(&[SEED_STEP, "fetch_config"]);
        r.next_action(0);
        r.succeeded(0, 0);
        assert_eq!(
            r.next_action(0),
            Action::Run {
                step: 1,
                attempt: 1
            }
        );
        assert_eq!(
            r.failed(1, "config canister rejected".into(), 10),
            Some(10 + SEC)
        );
        assert_eq!(r.next_action(10), Action::WaitUntil(10 + SEC));
        let view = r.view(None);
        assert_eq!(
            view.steps[1].last_error.as_deref(),
            Some("config canister rejected")
        );
        assert_eq!(view.steps[1].state, StepState::RetryAt(10 + SEC));
        assert!(r.not_ready_message().contains("fetch_config"));
        assert!(r.not_ready_message().contains("config canister rejected"));
        // Second failure doubles the delay.
        assert_eq!(
            r.next_action(10 + SEC),
            Action::Run {
                step: 1,
                attempt: 2
            }
        );
        assert_eq!(r.failed(1, "again".into(), 20 * SEC), Some(22 * SEC));
        assert!(!r.is_ready());
        assert_eq!(
            r.next_action(22 * SEC),
            Action::Run {
                step: 1,
                attempt: 3
            }
        );
        r.succeeded(1, 23 * SEC);
        assert_eq!(r.next_action(23 * SEC), Action::Ready);
        assert_eq!(r.view(None).steps[1].attempts, 3);
    }

    #[test]
    fn steps_completed_before_an_upgrade_are_skipped() {
        let mut r = machine(&[SEED_STEP, "migrate_once", "warm_cache"]);
        r.skip_completed("migrate_once");
        r.skip_completed("not_a_step");
        assert_eq!(
            r.next_action(0),
            Action::Run {
                step: 0,
                attempt: 1
            }
        );
        r.succeeded(0, 1);
        assert_eq!(
            r.next_action(1),
            Action::Run {
                step: 2,
                attempt: 1
            }
        );
        assert_eq!(
            r.view(None).steps[1].state,
            StepState::CompletedBeforeUpgrade
        );
    }

    #[test]
    fn outcomes_for_steps_not_running_are_ignored() {
        let mut r = machine(&[SEED_STEP]);
        r.succeeded(0, 5);
        assert_eq!(r.failed(0, "late".into(), 5), None);
        assert_eq!(
            r.next_action(5),
            Action::Run {
                step: 0,
                attempt: 1
            }
        );
    }

    #[test]
    fn message_names_step_and_position() {
        let r = machine(&[SEED_STEP, "fetch_config"]);
        assert_eq!(
            r.not_ready_message(),
            "canister is initializing: step 1/2 `seed_rng`; poll hooks_readiness and retry when it reports Ready"
        );
    }

    #[derive(Debug, Clone)]
    enum Outcome {
        Ok,
        Fail,
    }

    proptest! {
        /// Whatever the outcomes, ready implies every step ended done, and steps finish in order.
        #[test]
        fn never_ready_with_a_step_missing(outcomes in proptest::collection::vec(prop_oneof![Just(Outcome::Ok), Just(Outcome::Fail)], 0..40), n in 1usize..5) {
            let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
            let backoff = Backoff { initial: Duration::from_nanos(3), max: Duration::from_nanos(50), multiplier: 2 };
            let mut r = Readiness::new(names, backoff, 0);
            let mut now = 0u64;
            let mut done_order = Vec::new();
            for o in outcomes {
                now += 7;
                match r.next_action(now) {
                    Action::Run { step, .. } => match o {
                        Outcome::Ok => { r.succeeded(step, now); done_order.push(step); }
                        Outcome::Fail => { r.failed(step, "x".into(), now); }
                    },
                    Action::Ready => break,
                    Action::WaitUntil(t) => prop_assert!(t > now),
                    Action::InFlight => prop_assert!(false, "nothing left running"),
                }
            }
            let all_done = r.view(None).steps.iter().all(|s| matches!(s.state, StepState::Done(_)));
            prop_assert!(!r.is_ready() || all_done);
            prop_assert_eq!(done_order.clone(), (0..done_order.len()).collect::<Vec<_>>());
        }
    }
}
