//! Who may call each endpoint: one table, used by `inspect_message` for ingress and by the
//! endpoint bodies for every call. The queries are for [`Access::Readers`], resolved against the
//! read policy ([`crate::policy::read`]) when the caller's roles are looked up.

use candid::Principal;

/// Who may call a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: `http_request` only, whose answer follows the page setting instead
    /// ([`crate::policy::read::page_access`]).
    Anyone,
    /// Whoever the read policy lets read (the queries, also when called as updates): anyone
    /// under a public policy, else controllers, admins and named viewers.
    Readers,
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
    /// The system: the management canister, which calls an HTTPS outcall's transform function
    /// (the spec names it as the caller); never ingress.
    System,
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
    ("set_read_settings", Access::Controllers),
    ("rotate_metrics_token", Access::Admins),
    ("add_webhook", Access::Admins),
    ("update_webhook", Access::Admins),
    ("remove_webhook", Access::Admins),
    ("list_webhooks", Access::Admins),
    ("webhook_dead_letters", Access::Admins),
    ("redrive_webhook", Access::Admins),
    ("test_webhook", Access::Admins),
    ("expect_change", Access::Admins),
    ("report_error", Access::RegisteredCanisters),
    ("get_registration", Access::Readers),
    ("list_registrations", Access::Readers),
    ("canister_state", Access::Readers),
    ("events", Access::Readers),
    ("dead_letters", Access::Readers),
    ("stats", Access::Readers),
    ("get_config", Access::Readers),
    ("list_admins", Access::Readers),
    ("operation_status", Access::Readers),
    ("operations", Access::Readers),
    ("backups", Access::Readers),
    ("read_settings", Access::Readers),
    ("http_request", Access::Anyone),
    ("webhook_status", Access::Readers),
    ("webhook_transform", Access::System),
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
    /// The read policy lets this caller read ([`crate::policy::read::may_read`]).
    pub may_read: bool,
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
        Access::System => "only the system calls this (an HTTPS outcall's transform)",
        Access::Readers => {
            "this monitor's read policy lets only its controllers, admins and viewers read it"
        }
        Access::Anyone => "",
    }
}

/// Whether `caller` may call `method` as ingress (`inspect_message`); unknown methods are
/// refused.
pub fn admits_ingress(method: &str, caller: &Caller) -> bool {
    match access(method) {
        Some(Access::Anyone) => true,
        Some(Access::Readers) => caller.may_read,
        Some(Access::Controllers) => caller.is_controller,
        Some(Access::Admins | Access::AdminsOrTarget) => caller.is_admin(),
        Some(Access::RegisteredCanisters | Access::System) | None => false,
    }
}

/// Whether `caller` may call `method` as an administrator (its rule's admin part; the
/// endpoint decides the `AdminsOrTarget` and `RegisteredCanisters` cases from its argument).
/// `Err` carries the reason to report.
pub fn check(method: &str, caller: &Caller) -> Result<(), &'static str> {
    let access = access(method).expect("every endpoint is in the access table");
    let allowed = match access {
        Access::Anyone | Access::RegisteredCanisters => true,
        Access::Readers => caller.may_read,
        Access::Controllers => caller.is_controller,
        Access::Admins | Access::AdminsOrTarget => caller.is_admin(),
        Access::System => caller.principal == Principal::management_canister(),
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

    fn caller(is_controller: bool, is_admin: bool, may_read: bool) -> Caller {
        Caller {
            principal: Principal::anonymous(),
            is_controller,
            is_admin,
            may_read,
        }
    }

    /// Whether each kind of caller may call a method of each access, as ingress and in the
    /// endpoint's own check: (access, [stranger, reader, admin, controller]).
    #[test]
    fn the_resolution_table() {
        let stranger = caller(false, false, false);
        let reader = caller(false, false, true);
        let admin = caller(false, true, true);
        let controller = caller(true, false, true);
        let callers = [stranger, reader, admin, controller];
        let table = [
            (
                Access::Anyone,
                [true, true, true, true],
                [true, true, true, true],
            ),
            (
                Access::Readers,
                [false, true, true, true],
                [false, true, true, true],
            ),
            (
                Access::Admins,
                [false, false, true, true],
                [false, false, true, true],
            ),
            (
                Access::AdminsOrTarget,
                [false, false, true, true],
                [false, false, true, true],
            ),
            (
                Access::Controllers,
                [false, false, false, true],
                [false, false, false, true],
            ),
            // Canisters only: never ingress; the endpoint decides from its argument.
            (Access::RegisteredCanisters, [false; 4], [true; 4]),
        ];
        for (access, ingress, checked) in table {
            let method = METHODS
                .iter()
                .find(|(_, a)| *a == access)
                .map(|(m, _)| *m)
                .unwrap_or_else(|| panic!("no method has {access:?}"));
            for (i, c) in callers.iter().enumerate() {
                assert_eq!(
                    admits_ingress(method, c),
                    ingress[i],
                    "{method} ingress {c:?}"
                );
                assert_eq!(check(method, c).is_ok(), checked[i], "{method} {c:?}");
            }
        }
        assert!(!admits_ingress("no_such_method", &controller));
    }

    /// Anyone may call `http_request` (its answer follows the page setting); everything else
    /// needs at least the read policy's consent.
    #[test]
    fn strangers_may_call_nothing_but_http_request() {
        let stranger = caller(false, false, false);
        for (method, _) in METHODS {
            assert_eq!(
                admits_ingress(method, &stranger),
                *method == "http_request",
                "{method}"
            );
            if check(method, &stranger).is_err() {
                continue;
            }
            assert!(
                matches!(
                    access(method),
                    Some(Access::Anyone | Access::RegisteredCanisters)
                ),
                "{method}"
            );
        }
    }

    #[test]
    fn admins_manage_registrations_and_controllers_everything() {
        let admin = caller(false, true, true);
        assert!(check("redrive", &admin).is_ok());
        assert!(check("register", &admin).is_ok());
        assert!(check("rotate_metrics_token", &admin).is_ok());
        assert_eq!(
            check("set_config", &admin),
            Err(refusal(Access::Controllers))
        );
        assert_eq!(
            check("set_read_settings", &admin),
            Err(refusal(Access::Controllers))
        );
        let controller = caller(true, false, true);
        for (method, access) in METHODS {
            let by_others = matches!(access, Access::RegisteredCanisters | Access::System);
            assert_eq!(
                check(method, &controller).is_ok(),
                *access != Access::System,
                "{method}"
            );
            assert_eq!(admits_ingress(method, &controller), !by_others, "{method}");
        }
    }

    #[test]
    fn only_the_management_canister_calls_the_transform() {
        let mut system = caller(false, false, false);
        system.principal = Principal::management_canister();
        assert!(check("webhook_transform", &system).is_ok());
        assert!(!admits_ingress("webhook_transform", &system));
        assert!(check("webhook_transform", &caller(true, true, true)).is_err());
    }
}
