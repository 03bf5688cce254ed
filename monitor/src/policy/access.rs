//! Who may call each endpoint: one table, used by `inspect_message` for ingress and by the
//! endpoint bodies for every call.

use candid::Principal;

/// Who may call a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the queries, also when called as updates).
    Anyone,
    /// The monitor's controllers.
    Controllers,
    /// The monitor's controllers and admins.
    Admins,
    /// Controllers and admins, or the canister the call is about (self-registration, when the
    /// configuration allows it, and unregistering a self-registered canister). A canister never
    /// sends ingress, so as ingress this is [`Access::Admins`].
    AdminsOrTarget,
    /// Registered canisters, about themselves (`report_error`); never ingress.
    RegisteredCanisters,
}

/// Every endpoint and who may call it.
pub const METHODS: &[(&str, Access)] = &[
    ("set_config", Access::Controllers),
    ("add_admin", Access::Controllers),
    ("remove_admin", Access::Controllers),
    ("register", Access::AdminsOrTarget),
    ("update_registration", Access::AdminsOrTarget),
    ("unregister", Access::AdminsOrTarget),
    ("redrive", Access::Admins),
    ("redrive_canister", Access::Admins),
    ("poll_now", Access::Admins),
    ("upload_chunk", Access::Admins),
    ("start_upgrade", Access::Admins),
    ("start_restore", Access::Admins),
    ("start_backup", Access::Admins),
    ("set_backup_policy", Access::Admins),
    ("expect_change", Access::Admins),
    ("report_error", Access::RegisteredCanisters),
    ("get_registration", Access::Anyone),
    ("list_registrations", Access::Anyone),
    ("canister_state", Access::Anyone),
    ("events", Access::Anyone),
    ("dead_letters", Access::Anyone),
    ("stats", Access::Anyone),
    ("get_config", Access::Anyone),
    ("list_admins", Access::Anyone),
    ("operation_status", Access::Anyone),
    ("operations", Access::Anyone),
    ("backups", Access::Anyone),
    ("http_request", Access::Anyone),
];

/// Who may call `method`; `None` for a method the monitor does not have.
pub fn access(method: &str) -> Option<Access> {
    METHODS.iter().find(|(m, _)| *m == method).map(|(_, a)| *a)
}

/// What is known of a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The caller's principal.
    pub principal: Principal,
    /// A controller of the monitor.
    pub is_controller: bool,
    /// An admin added by a controller.
    pub is_admin: bool,
}

impl Caller {
    /// Controllers administer the monitor too.
    pub fn is_admin(&self) -> bool {
        self.is_controller || self.is_admin
    }
}

/// Why a call was refused, for the endpoint's error type.
pub fn refusal(access: Access) -> &'static str {
    match access {
        Access::Controllers => {
            "only the monitor's controllers may change its configuration or admins"
        }
        Access::Admins | Access::AdminsOrTarget => {
            "only the monitor's controllers and admins may do this"
        }
        Access::RegisteredCanisters => "only registered canisters may call this, about themselves",
        Access::Anyone => "",
    }
}

/// Whether `caller` may call `method` as ingress (`inspect_message`); unknown methods are
/// refused.
pub fn admits_ingress(method: &str, caller: &Caller) -> bool {
    match access(method) {
        Some(Access::Anyone) => true,
        Some(Access::Controllers) => caller.is_controller,
        Some(Access::Admins | Access::AdminsOrTarget) => caller.is_admin(),
        Some(Access::RegisteredCanisters) | None => false,
    }
}

/// Whether `caller` may call `method` as an administrator (its rule's admin part; the
/// endpoint decides the `AdminsOrTarget` and `RegisteredCanisters` cases from its argument).
/// `Err` carries the reason to report.
pub fn check(method: &str, caller: &Caller) -> Result<(), &'static str> {
    let access = access(method).expect("every endpoint is in the access table");
    let allowed = match access {
        Access::Anyone | Access::RegisteredCanisters => true,
        Access::Controllers => caller.is_controller,
        Access::Admins | Access::AdminsOrTarget => caller.is_admin(),
    };
    if allowed {
        Ok(())
    } else {
        Err(refusal(access))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(is_controller: bool, is_admin: bool) -> Caller {
        Caller {
            principal: Principal::anonymous(),
            is_controller,
            is_admin,
        }
    }

    #[test]
    fn strangers_may_only_read() {
        let stranger = caller(false, false);
        for (method, access) in METHODS {
            assert_eq!(
                admits_ingress(method, &stranger),
                *access == Access::Anyone,
                "{method}"
            );
        }
        assert!(!admits_ingress("no_such_method", &caller(true, true)));
    }

    #[test]
    fn admins_manage_registrations_and_controllers_everything() {
        let admin = caller(false, true);
        assert!(check("redrive", &admin).is_ok());
        assert!(check("register", &admin).is_ok());
        assert_eq!(
            check("set_config", &admin),
            Err(refusal(Access::Controllers))
        );
        let controller = caller(true, false);
        for (method, access) in METHODS {
            assert!(check(method, &controller).is_ok(), "{method}");
            assert_eq!(
                admits_ingress(method, &controller),
                *access != Access::RegisteredCanisters,
                "{method}"
            );
        }
    }
}
