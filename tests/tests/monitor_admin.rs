//! Who may change the monitor. Every update method of monitor.did is called by a stranger, once
//! as a user (ingress: `inspect_message` turns it away) and once as a canister (no
//! `inspect_message`: the method's own check refuses, naming the caller); nothing changes. Admins
//! manage registrations, upgrades, backups and restores; only controllers change the
//! configuration and the admins.

use candid::{IDLArgs, Principal};
use canister_hooks::events::{ErrorReport, ErrorSource};
use canister_hooks_testkit::monitor::{
    AdminError, BackupMode, BackupPolicy, BackupsView, Config, ConfigUpdate, DeadLetter,
    ExpectChangeArgs, ExpectChangeError, ExpectedChange, HttpPages, OperationError,
    OperationFilter, OperationView, ReadPolicy, ReadSettings, ReadSettingsUpdate, RedriveError,
    Registration, RegistrationError, RestoreArgs, Stats, UpgradeArgs, WebhookChannel, WebhookError,
    WebhookFilter, WebhookFormat,
};
use integration_tests::fleet::{fast_config, Fleet};
use integration_tests::monitor_did;

/// A well-typed argument for update method `method`, about the registered `target`; `None` for a
/// method this test does not know.
fn argument(method: &str, target: Principal, someone: Principal) -> Option<Vec<u8>> {
    let arg = match method {
        "register" | "update_registration" => candid::encode_one(Fleet::register_args(target)),
        "unregister" | "poll_now" | "redrive_canister" => candid::encode_one(target),
        "redrive" => candid::encode_one(1u64),
        "set_config" => candid::encode_one(ConfigUpdate {
            allow_self_registration: Some(true),
            max_registrations: Some(1),
            ..Default::default()
        }),
        "add_admin" | "remove_admin" => candid::encode_one(someone),
        "set_read_settings" => candid::encode_one(ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            http_pages: Some(HttpPages::Public),
        }),
        "rotate_metrics_token" => candid::encode_args(()),
        "upload_chunk" => candid::encode_args((target, serde_bytes::ByteBuf::from(vec![0u8; 16]))),
        "start_upgrade" => candid::encode_one(UpgradeArgs::new(
            target,
            vec![0; 32],
            vec![vec![0; 32]],
            vec![],
        )),
        "start_restore" => candid::encode_one(RestoreArgs {
            canister_id: target,
            snapshot_id: vec![1],
            onto: None,
            reason: None,
            timeouts: None,
        }),
        "start_backup" => candid::encode_args((target, None::<BackupMode>)),
        "set_backup_policy" => candid::encode_args((
            target,
            Some(BackupPolicy {
                interval_hours: 24,
                window: None,
                keep: 3,
                mode: BackupMode::Stopped,
                replace_any: false,
            }),
        )),
        "add_webhook" | "update_webhook" => candid::encode_one(WebhookChannel {
            name: "ops".into(),
            url: "https://hooks.example.com/x".into(),
            format: WebhookFormat::Slack,
            filter: WebhookFilter::default(),
            rate_limit: None,
        }),
        "remove_webhook" | "test_webhook" => candid::encode_one("ops"),
        "redrive_webhook" => candid::encode_args(("ops", 1u64)),
        "expect_change" => candid::encode_one(ExpectChangeArgs {
            canister_id: target,
            module_hash: None,
            controllers: Some(vec![someone]),
            within_seconds: 60,
        }),
        "report_error" => candid::encode_one(ErrorReport {
            source: ErrorSource::System("forged".into()),
            message: "a forged report".into(),
            reject_code: None,
            time_ns: 0,
            count: 1,
        }),
        _ => return None,
    };
    Some(arg.unwrap())
}

/// The principal a refusal of `method` names as its caller; panics on anything but a refusal.
fn refused_caller(method: &str, reply: &[u8]) -> Principal {
    fn decode<T: candid::CandidType + for<'de> serde::Deserialize<'de>>(b: &[u8]) -> T {
        candid::decode_one(b).unwrap()
    }
    let not_registration_admin = |r: Result<(), RegistrationError>| match r {
        Err(RegistrationError::NotAuthorized { caller, .. }) => caller,
        other => panic!("{method} answered {other:?}"),
    };
    let not_admin = |r: Result<(), AdminError>| match r {
        Err(AdminError::NotAuthorized { caller, .. }) => caller,
        other => panic!("{method} answered {other:?}"),
    };
    match method {
        "register" | "update_registration" => {
            not_registration_admin(decode::<Result<Registration, _>>(reply).map(|_| ()))
        }
        "unregister" | "poll_now" => not_registration_admin(decode(reply)),
        "redrive" | "redrive_canister" => match decode::<Result<u64, RedriveError>>(reply) {
            Err(RedriveError::NotAuthorized { caller }) => caller,
            other => panic!("{method} answered {other:?}"),
        },
        "set_config" => not_admin(decode::<Result<Config, _>>(reply).map(|_| ())),
        "add_admin" | "remove_admin" => not_admin(decode(reply)),
        "set_read_settings" => not_admin(decode::<Result<ReadSettings, _>>(reply).map(|_| ())),
        "rotate_metrics_token" => not_admin(decode::<Result<String, _>>(reply).map(|_| ())),
        "upload_chunk" | "start_upgrade" | "start_restore" | "start_backup"
        | "set_backup_policy" => {
            let refusal = match method {
                "upload_chunk" => {
                    decode::<Result<serde_bytes::ByteBuf, OperationError>>(reply).map(|_| ())
                }
                "set_backup_policy" => {
                    decode::<Result<Option<u64>, OperationError>>(reply).map(|_| ())
                }
                _ => decode::<Result<OperationView, OperationError>>(reply).map(|_| ()),
            };
            match refusal {
                Err(OperationError::NotAuthorized { caller }) => caller,
                other => panic!("{method} answered {other:?}"),
            }
        }
        "add_webhook" | "update_webhook" | "remove_webhook" | "test_webhook"
        | "redrive_webhook" => {
            let refusal = match method {
                "redrive_webhook" => decode::<Result<u64, WebhookError>>(reply).map(|_| ()),
                _ => decode::<Result<(), WebhookError>>(reply),
            };
            match refusal {
                Err(WebhookError::NotAuthorized { caller, .. }) => caller,
                other => panic!("{method} answered {other:?}"),
            }
        }
        "expect_change" => match decode::<Result<ExpectedChange, ExpectChangeError>>(reply) {
            Err(ExpectChangeError::NotAuthorized { caller, .. }) => caller,
            other => panic!("{method} answered {other:?}"),
        },
        "report_error" => match decode::<Result<u64, String>>(reply) {
            Err(message) if message.contains("is not registered with this monitor") => {
                let text = message.split_whitespace().nth(1).unwrap();
                Principal::from_text(text).unwrap()
            }
            other => panic!("{method} answered {other:?}"),
        },
        _ => unreachable!("argument() knows no other method"),
    }
}

/// Everything a stranger's call could change.
#[derive(Debug, PartialEq)]
struct Observable {
    config: Config,
    admins: Vec<Principal>,
    registrations: Vec<Registration>,
    stats: Stats,
    dead_letters: Vec<DeadLetter>,
    operations: Vec<OperationView>,
    backups: BackupsView,
    read_settings: ReadSettings,
}

fn observe(fleet: &Fleet, target: Principal) -> Observable {
    Observable {
        operations: fleet
            .watcher()
            .operations(OperationFilter::default())
            .unwrap(),
        backups: fleet.watcher().backups(target).unwrap(),
        config: fleet.watcher().query("get_config", ()).unwrap(),
        admins: fleet.watcher().query("list_admins", ()).unwrap(),
        registrations: fleet.registrations(),
        stats: fleet.stats(),
        dead_letters: fleet.dead_letters(None),
        read_settings: fleet.watcher().read_settings().unwrap(),
    }
}

#[test]
fn strangers_are_rejected_on_every_update_method() {
    let fleet = Fleet::new(fast_config());
    let target = fleet.add_load();
    fleet.register(Fleet::register_args(target));
    let admin = Principal::self_authenticating(b"an admin");
    fleet
        .update::<_, Result<(), AdminError>>(fleet.monitor, "add_admin", (admin,))
        .unwrap();
    let user = Principal::self_authenticating(b"a stranger");
    let canister = fleet.add_relay();
    let (env, methods) = monitor_did::methods(false);
    assert!(methods.len() >= 10, "{methods:?}");
    let before = observe(&fleet, target);

    for (method, func) in &methods {
        let arg = argument(method, target, admin).unwrap_or_else(|| {
            panic!(
                "monitor.did has the update method `{method}` this test does not know: give it an \
                 argument and its expected refusal in monitor_admin.rs"
            )
        });
        IDLArgs::from_bytes_with_types(&arg, &env, &func.args)
            .unwrap_or_else(|e| panic!("the argument for {method} does not fit monitor.did: {e}"));

        let reject = fleet
            .pic
            .update_call(fleet.monitor, user, method, arg.clone())
            .expect_err(method);
        assert!(
            reject.reject_message.contains(&user.to_text())
                && reject
                    .reject_message
                    .contains(&format!("may not call {method}")),
            "{method} as ingress: {}",
            reject.reject_message
        );

        let reply = fleet
            .call_via(canister, fleet.monitor, method, arg)
            .unwrap_or_else(|e| panic!("{method} from a canister was rejected, not refused: {e}"));
        assert_eq!(refused_caller(method, &reply), canister, "{method}");
    }
    assert_eq!(
        observe(&fleet, target),
        before,
        "no stranger's call changed anything"
    );

    // Reading is for controllers, admins and viewers by default (monitor_read_policy.rs tests
    // every query and setting).
    let refused = fleet
        .pic
        .query_call(
            fleet.monitor,
            user,
            "stats",
            candid::encode_args(()).unwrap(),
        )
        .unwrap_err();
    assert!(
        refused
            .reject_message
            .contains(&format!("{user} may not call stats")),
        "{}",
        refused.reject_message
    );
    let stats: Stats = fleet
        .pic
        .query_call(
            fleet.monitor,
            admin,
            "stats",
            candid::encode_args(()).unwrap(),
        )
        .map(|b| candid::decode_one(&b).unwrap())
        .unwrap();
    assert_eq!(stats.registrations, 1);
}

#[test]
fn admins_manage_registrations_and_only_controllers_manage_config_and_admins() {
    let fleet = Fleet::new(fast_config());
    let target = fleet.add_load();
    let admin = fleet.add_relay();
    fleet
        .update::<_, Result<(), AdminError>>(fleet.monitor, "add_admin", (admin,))
        .unwrap();
    let admins: Vec<Principal> = fleet.watcher().query("list_admins", ()).unwrap();
    assert_eq!(admins, vec![admin]);

    let register = argument("register", target, admin).unwrap();
    let reply = fleet
        .call_via(admin, fleet.monitor, "register", register)
        .unwrap();
    let registered: Result<Registration, RegistrationError> = candid::decode_one(&reply).unwrap();
    assert_eq!(registered.unwrap().canister_id, target);

    for method in ["set_config", "add_admin", "remove_admin"] {
        let arg = argument(method, target, admin).unwrap();
        let reply = fleet.call_via(admin, fleet.monitor, method, arg).unwrap();
        assert_eq!(
            refused_caller(method, &reply),
            admin,
            "{method} by an admin"
        );
    }

    fleet
        .update::<_, Result<(), AdminError>>(fleet.monitor, "remove_admin", (admin,))
        .unwrap();
    let unregister = argument("unregister", target, admin).unwrap();
    let reply = fleet
        .call_via(admin, fleet.monitor, "unregister", unregister)
        .unwrap();
    assert_eq!(
        refused_caller("unregister", &reply),
        admin,
        "no longer an admin"
    );
    assert_eq!(fleet.registrations().len(), 1);
}
