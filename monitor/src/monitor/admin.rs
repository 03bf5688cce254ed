//! Configuration and admins.

use super::Monitor;
use crate::api::*;
use crate::policy::access::Caller;
use crate::policy::read;
use crate::state::stored::Stored;
use candid::Principal;
use ic_stable_structures::Memory;

impl<M: Memory> Monitor<M> {
    /// The configuration.
    pub fn config(&self) -> Config {
        self.config.get().0.clone()
    }

    /// Applies a configuration change.
    pub fn set_config(&mut self, update: &ConfigUpdate) -> Result<Config, AdminError> {
        let c = crate::policy::config::apply(self.config.get(), update)?;
        self.config.set(Stored(c.clone()));
        Ok(c)
    }

    /// Applies an init or upgrade argument: its configuration change, its read settings, then
    /// its admins.
    pub fn apply_install_args(&mut self, args: InitArgs) -> Result<Config, AdminError> {
        if let Some(update) = &args.config {
            self.set_config(update)?;
        }
        if let Some(update) = &args.read_settings {
            self.set_read_settings(update)?;
        }
        for a in args.admins.unwrap_or_default() {
            self.add_admin(a);
        }
        Ok(self.config())
    }

    /// `principal` with its roles, for the access table; whether it may read is resolved
    /// against the read policy.
    pub fn caller(&self, principal: Principal, is_controller: bool) -> Caller {
        let is_admin = self.admins.contains_key(&principal);
        Caller {
            principal,
            is_controller,
            is_admin,
            may_read: read::may_read(self.read_policy(), principal, is_controller, is_admin),
        }
    }

    /// Adds an admin.
    pub fn add_admin(&mut self, p: Principal) {
        self.admins.insert(p, ());
    }

    /// Removes an admin; true when it was one.
    pub fn remove_admin(&mut self, p: Principal) -> bool {
        self.admins.remove(&p).is_some()
    }

    /// The admins added by controllers.
    pub fn admins(&self) -> Vec<Principal> {
        self.admins.keys().collect()
    }
}
