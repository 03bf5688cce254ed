//! Registering, changing and removing canisters.

use super::{Mode, Monitor, SampleOutcome};
use crate::api::*;
use crate::policy::access;
use crate::policy::scheduler::{self, PollWindow};
use crate::policy::validation::{self, Context};
use crate::state::store::CanisterRecord;
use crate::status_reply::identity::Identity;
use crate::status_reply::sample::Sample;
use candid::Principal;
use ic_stable_structures::Memory;

impl<M: Memory> Monitor<M> {
    /// Whether `caller` may (re-)register `target`; returns true when it is self-registration.
    pub fn authorize_registration(
        &self,
        caller: Principal,
        is_controller: bool,
        target: Principal,
    ) -> Result<bool, RegistrationError> {
        if access::check("register", &self.caller(caller, is_controller)).is_ok() {
            return Ok(false);
        }
        if caller == target && self.config.get().allow_self_registration {
            return Ok(true);
        }
        Err(RegistrationError::NotAuthorized {
            caller,
            reason: if caller == target {
                "self-registration is disabled; ask an admin to register the canister or to enable allow_self_registration".into()
            } else {
                access::refusal(access::Access::AdminsOrTarget).into()
            },
        })
    }

    /// Validates a registration request against the arguments and the registry.
    pub fn prepare(
        &self,
        args: &RegisterArgs,
        self_registered: bool,
        mode: Mode,
        now_ns: u64,
    ) -> Result<Registration, RegistrationError> {
        let config = self.config.get();
        let mut reg = validation::validate(
            args,
            &Context {
                monitor_id: self.id,
                config,
                now_ns,
                self_registered,
            },
        )?;
        match (mode, self.canisters.registration(&args.canister_id)) {
            (Mode::New, Some(_)) => {
                return Err(RegistrationError::AlreadyRegistered {
                    canister_id: args.canister_id,
                })
            }
            (Mode::New, None) if self.canisters.len() >= config.max_registrations => {
                return Err(RegistrationError::RegistryFull {
                    field: "canister_id".into(),
                    cap: config.max_registrations,
                })
            }
            (Mode::Update, None) => {
                return Err(RegistrationError::NotRegistered {
                    canister_id: args.canister_id,
                })
            }
            (Mode::Update, Some(old)) => {
                reg.registered_at_ns = old.registered_at_ns;
                reg.self_registered = old.self_registered;
            }
            _ => {}
        }
        Ok(reg)
    }

    /// Stores a prepared registration (re-checking what may have changed while the status was
    /// read) and processes its first sample. `exports` are the hooks the canister's interface
    /// declares, when it could be read: registered hooks it lacks are marked missing.
    pub fn commit(
        &mut self,
        reg: Registration,
        mode: Mode,
        first_sample: Option<(Sample, Identity)>,
        exports: Option<Hooks>,
        now_ns: u64,
        own_balance: u128,
    ) -> Result<(Registration, SampleOutcome), RegistrationError> {
        let id = reg.canister_id;
        let exists = self.canisters.contains(&id);
        match mode {
            Mode::New if exists => {
                return Err(RegistrationError::AlreadyRegistered { canister_id: id })
            }
            Mode::New if self.canisters.len() >= self.config.get().max_registrations => {
                return Err(RegistrationError::RegistryFull {
                    field: "canister_id".into(),
                    cap: self.config.get().max_registrations,
                })
            }
            Mode::Update if !exists => {
                return Err(RegistrationError::NotRegistered { canister_id: id })
            }
            _ => {}
        }
        match mode {
            Mode::New => {
                // Due at once until the first sample (or its absence) schedules it.
                let mut record = CanisterRecord::new(reg.clone());
                record.watch.next_poll = PollWindow::at(now_ns);
                if let Some(exports) = exports {
                    record.watch.missing_hooks = reg.hooks.bits() & !exports.bits();
                }
                self.canisters.insert(record);
            }
            Mode::Update => {
                let mut l = self.canisters.load(&id).expect("checked above");
                l.record.registration = reg.clone();
                if let Some(exports) = exports {
                    l.record.watch.missing_hooks = reg.hooks.bits() & !exports.bits();
                }
                self.canisters.save(l);
            }
        }
        let outcome = match first_sample {
            Some((s, identity)) => self.on_sample(id, s, &identity, now_ns, own_balance),
            None => {
                // Re-schedule under the new bounds from what is known.
                let mut l = self.canisters.load(&id).expect("stored above");
                let w = &l.record.watch;
                let delay = match &w.last_sample {
                    Some(s) => scheduler::next_poll_delay(
                        &reg,
                        s,
                        &w.estimate,
                        self.config.get().poll_fraction_percent,
                    ),
                    None => reg.poll.min_interval_seconds,
                };
                l.record.watch.next_poll = PollWindow::after(now_ns, delay);
                self.canisters.save(l);
                SampleOutcome::default()
            }
        };
        // Reply with what is stored (times in whole seconds, amounts saturated), not with what
        // was asked for, so the reply equals what `get_registration` returns.
        let stored = self.canisters.registration(&id).expect("stored above");
        Ok((stored, outcome))
    }

    /// Removes a registration; its undelivered events become dead letters.
    pub fn unregister(&mut self, id: Principal, now_ns: u64) -> Result<(), RegistrationError> {
        if self.canisters.remove(&id).is_none() {
            return Err(RegistrationError::NotRegistered { canister_id: id });
        }
        self.forget_backup_schedule(id);
        self.forget_identity(&id);
        let reason = "the canister was unregistered before delivery";
        for event_id in self.outbox.purge(id, reason, now_ns) {
            self.log.set_delivery(
                event_id,
                DeliveryStatus::DeadLettered {
                    at_ns: now_ns,
                    reason: reason.into(),
                },
            );
            self.bump(|s| s.dead_lettered += 1);
        }
        self.trim_dead_letters();
        Ok(())
    }

    /// The registration of `id`.
    pub fn registration(&self, id: Principal) -> Option<Registration> {
        self.canisters.registration(&id)
    }

    /// A page of registrations.
    pub fn registrations(&self, start_after: Option<Principal>, limit: usize) -> RegistrationPage {
        let (registrations, next) = self.canisters.page(start_after, limit.clamp(1, 500));
        RegistrationPage {
            registrations,
            next,
        }
    }

    /// Makes `id` due for polling now.
    pub fn poll_now(&mut self, id: Principal, now_ns: u64) -> Result<(), RegistrationError> {
        let mut l = self
            .canisters
            .load(&id)
            .ok_or(RegistrationError::NotRegistered { canister_id: id })?;
        l.record.watch.next_poll = PollWindow::at(now_ns);
        self.canisters.save(l);
        Ok(())
    }
}
