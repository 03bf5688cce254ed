//! Who sees what. Every query of monitor.did is called by a stranger (as a query, as an ingress
//! update and from a canister) and refused under the default, restricted read policy; viewers,
//! admins and controllers read everything; a public policy lets anyone read. `http_request`
//! follows the page setting: off, `/metrics` behind a bearer token (which admins rotate; the old
//! one stops working), or public; a restricted monitor shows nothing of itself through it.

use candid::{IDLArgs, Principal};
use canister_hooks::events::{ErrorReport, ErrorSource};
use canister_hooks_testkit::monitor::{
    encode_init, AdminError, EventFilter, HttpPages, HttpRequest, HttpResponse, MonitorClient,
    OperationFilter, ReadPolicy, ReadSettings, ReadSettingsUpdate, RegisterArgs,
};
use canister_hooks_testkit::{canister_wasm, Client};
use ic_management_canister_types::{HttpRequestResult, TransformArgs};
use integration_tests::fleet::{fast_config, Fleet};
use integration_tests::monitor_did;
use pocket_ic::PocketIc;

const SECRET: &str = "user 4242's seed phrase";

/// Queries that are not for readers, whatever the read policy: the webhook configuration (admins
/// only; `monitor_webhooks.rs` checks strangers are refused) and the outcall transform (only the
/// system calls it; checked below).
const NOT_FOR_READERS: [&str; 3] = ["list_webhooks", "webhook_dead_letters", "webhook_transform"];

/// A well-typed argument for query `method`, about `target`; `None` for a method this test does
/// not know (then it fails: a new query must be added here).
fn argument(method: &str, target: Principal) -> Option<Vec<u8>> {
    let arg = match method {
        "get_registration" | "canister_state" | "operation_status" | "backups" => {
            candid::encode_one(target)
        }
        "list_registrations" => candid::encode_args((None::<Principal>, 10u32)),
        "events" => candid::encode_one(EventFilter::default()),
        "dead_letters" => candid::encode_args((None::<Principal>, None::<u64>, 10u32)),
        "operations" => candid::encode_one(OperationFilter::default()),
        "stats" | "get_config" | "list_admins" | "read_settings" | "webhook_status" => {
            candid::encode_args(())
        }
        "http_request" => candid::encode_one(HttpRequest::get("/metrics", None)),
        _ => return None,
    };
    Some(arg.unwrap())
}

/// A fleet with a registered canister labelled with [`SECRET`] that reported an error carrying
/// it too; the canister.
fn fleet_with_a_secret() -> (Fleet, Principal) {
    let fleet = Fleet::new(fast_config());
    let target = fleet.add_watched_relay();
    let mut args: RegisterArgs = Fleet::register_args(target);
    args.hooks = Default::default();
    args.cycles_threshold = Some(1_000_000_000);
    args.label = Some(SECRET.into());
    fleet.register(args);
    let report = ErrorReport {
        source: ErrorSource::System("panic".into()),
        message: format!("trapped: {SECRET}"),
        reject_code: None,
        time_ns: 0,
        count: 1,
    };
    fleet.report_error_from(target, report);
    (fleet, target)
}

/// The reject message when `caller` queries `method` with `arg`, or its reply.
fn query_as(fleet: &Fleet, caller: Principal, method: &str, arg: &[u8]) -> Result<Vec<u8>, String> {
    fleet
        .pic
        .query_call(fleet.monitor, caller, method, arg.to_vec())
        .map_err(|e| e.reject_message)
}

fn set(fleet: &Fleet, update: ReadSettingsUpdate) -> ReadSettings {
    fleet
        .watcher()
        .set_read_settings(update)
        .unwrap()
        .expect("a valid change")
}

/// The status code of `GET url` (with `token`) by `client`.
fn status(client: &MonitorClient<'_, PocketIc>, url: &str, token: Option<&str>) -> u16 {
    client.http_get(url, token).unwrap().status_code
}

fn client(fleet: &Fleet, caller: Principal) -> MonitorClient<'_, PocketIc> {
    Client::new(&fleet.pic, fleet.monitor, caller)
}

/// Asserts that `r` shows nothing of the monitor: no canister id, no label, no message.
fn shows_nothing(fleet: &Fleet, target: Principal, r: &HttpResponse, what: &str) {
    let text = format!("{:?} {}", r.headers, String::from_utf8_lossy(&r.body));
    for secret in [
        fleet.monitor.to_text(),
        target.to_text(),
        SECRET.to_string(),
        "monitor_".into(),
        "canister".into(),
    ] {
        assert!(!text.contains(&secret), "{what} shows `{secret}`: {text}");
    }
}

#[test]
fn strangers_are_refused_on_every_query_and_viewers_admins_and_controllers_read() {
    let (fleet, target) = fleet_with_a_secret();
    let stranger = Principal::self_authenticating(b"a stranger");
    let viewer = Principal::self_authenticating(b"a viewer");
    let admin = Principal::self_authenticating(b"an admin");
    fleet
        .update::<_, Result<(), AdminError>>(fleet.monitor, "add_admin", (admin,))
        .unwrap();
    assert_eq!(fleet.watcher().read_settings().unwrap().read_policy, {
        ReadPolicy::Restricted { viewers: vec![] }
    });
    let canister = fleet.add_relay();
    let (env, methods) = monitor_did::methods(true);
    assert!(methods.len() >= 13, "{methods:?}");

    let transform_arg = candid::encode_one(TransformArgs {
        response: HttpRequestResult {
            status: 200u32.into(),
            headers: vec![],
            body: SECRET.into(),
        },
        context: vec![],
    })
    .unwrap();
    for who in [stranger, admin, fleet.admin] {
        let message =
            query_as(&fleet, who, "webhook_transform", &transform_arg).expect_err("system only");
        assert!(message.contains("only the system"), "{message}");
    }
    let methods: Vec<_> = methods
        .into_iter()
        .filter(|(method, _)| !NOT_FOR_READERS.contains(&method.as_str()))
        .collect();

    // Restricted, no viewers yet: the stranger and the viewer-to-be are refused everywhere.
    for (method, func) in &methods {
        let arg = argument(method, target).unwrap_or_else(|| {
            panic!(
                "monitor.did has the query `{method}` this test does not know: give it an \
                 argument in monitor_read_policy.rs"
            )
        });
        IDLArgs::from_bytes_with_types(&arg, &env, &func.args)
            .unwrap_or_else(|e| panic!("the argument for {method} does not fit monitor.did: {e}"));
        if method == "http_request" {
            // Anyone may ask; the page setting (off here, no token) answers.
            let reply = query_as(&fleet, stranger, method, &arg).unwrap();
            let r: HttpResponse = candid::decode_one(&reply).unwrap();
            assert_eq!(r.status_code, 401, "{method}");
            shows_nothing(&fleet, target, &r, "http_request as a stranger");
            continue;
        }
        for who in [stranger, viewer] {
            let message = query_as(&fleet, who, method, &arg).expect_err(method);
            assert!(
                message.contains(&format!("{who} may not call {method}"))
                    && message.contains("read policy"),
                "{method} as a query: {message}"
            );
            assert!(!message.contains(SECRET), "{method}: {message}");
        }
        let reject = fleet
            .pic
            .update_call(fleet.monitor, stranger, method, arg.clone())
            .expect_err(method);
        assert!(
            reject
                .reject_message
                .contains(&format!("{stranger} may not call {method}")),
            "{method} as ingress: {}",
            reject.reject_message
        );
        let from_canister = fleet
            .call_via(canister, fleet.monitor, method, arg.clone())
            .expect_err(method);
        assert!(
            from_canister.contains(&format!("{canister} may not call {method}")),
            "{method} from a canister: {from_canister}"
        );
        for who in [admin, fleet.admin] {
            query_as(&fleet, who, method, &arg)
                .unwrap_or_else(|e| panic!("{method} as {who}: {e}"));
        }
    }

    // A named viewer reads everything, as a query and as an update; the stranger still cannot.
    set(
        &fleet,
        ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Restricted {
                viewers: vec![viewer],
            }),
            ..Default::default()
        },
    );
    for (method, _) in &methods {
        let arg = argument(method, target).unwrap();
        query_as(&fleet, viewer, method, &arg)
            .unwrap_or_else(|e| panic!("{method} as a viewer: {e}"));
        fleet
            .pic
            .update_call(fleet.monitor, viewer, method, arg.clone())
            .unwrap_or_else(|e| panic!("{method} as a viewer's update: {e}"));
        if method != "http_request" {
            query_as(&fleet, stranger, method, &arg).expect_err(method);
        }
    }
    let events = client(&fleet, viewer).events(Some(target)).unwrap();
    assert!(events.iter().any(|e| format!("{e:?}").contains(SECRET)));

    // Public: anyone reads every query.
    set(
        &fleet,
        ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            ..Default::default()
        },
    );
    for (method, _) in &methods {
        let arg = argument(method, target).unwrap();
        query_as(&fleet, stranger, method, &arg)
            .unwrap_or_else(|e| panic!("{method} as a stranger under a public policy: {e}"));
        query_as(&fleet, Principal::anonymous(), method, &arg)
            .unwrap_or_else(|e| panic!("{method} anonymously under a public policy: {e}"));
    }
}

#[test]
fn only_controllers_change_the_read_settings_and_they_stay_coherent() {
    let fleet = Fleet::new(fast_config());
    let admin = Principal::self_authenticating(b"an admin");
    fleet
        .update::<_, Result<(), AdminError>>(fleet.monitor, "add_admin", (admin,))
        .unwrap();
    let public = ReadSettingsUpdate {
        read_policy: Some(ReadPolicy::Public),
        http_pages: Some(HttpPages::Public),
    };
    let refused = client(&fleet, admin)
        .set_read_settings(public.clone())
        .expect_err("an admin's ingress is turned away");
    assert!(
        refused
            .reject_message
            .contains(&format!("{admin} may not call set_read_settings")),
        "{}",
        refused.reject_message
    );
    let pages_only = ReadSettingsUpdate {
        http_pages: Some(HttpPages::Public),
        ..Default::default()
    };
    match fleet.watcher().set_read_settings(pages_only) {
        Ok(Err(AdminError::InvalidConfig { field, .. })) => assert_eq!(field, "http_pages"),
        other => panic!("public pages on a restricted monitor: {other:?}"),
    }
    let view = set(&fleet, public);
    assert_eq!(view.http_pages, HttpPages::Public);
    assert_eq!(
        view.metrics_token_rotated_at_ns, None,
        "leaving the token revokes it"
    );
    assert_eq!(fleet.watcher().read_settings().unwrap(), view);
}

#[test]
fn pages_follow_their_setting_and_a_restricted_monitor_leaks_nothing() {
    let (fleet, target) = fleet_with_a_secret();
    let stranger = client(&fleet, Principal::self_authenticating(b"a stranger"));
    let anonymous = client(&fleet, Principal::anonymous());
    let token = fleet.metrics_token.clone();

    // MetricsWithToken (the fleet's setting): only /metrics, only with the current token.
    let served = anonymous.http_get("/metrics", Some(&token)).unwrap();
    assert_eq!(served.status_code, 200);
    let body = String::from_utf8(served.body.into_vec()).unwrap();
    assert!(
        body.contains(&target.to_text()),
        "the scraper sees the fleet"
    );
    for (url, token, status) in [
        ("/metrics", None, 401),
        ("/metrics", Some("not-the-token"), 401),
        ("/metrics", Some(&token[1..]), 401),
        ("/", Some(token.as_str()), 403),
        ("/status", Some(token.as_str()), 403),
        ("/nowhere", None, 403),
    ] {
        let r = stranger.http_get(url, token).unwrap();
        assert_eq!(r.status_code, status, "{url} {token:?}");
        shows_nothing(&fleet, target, &r, url);
    }

    // Rotated by an admin: the new token works, the old one no longer.
    let admin = Principal::self_authenticating(b"an admin");
    fleet
        .update::<_, Result<(), AdminError>>(fleet.monitor, "add_admin", (admin,))
        .unwrap();
    let rotated = client(&fleet, admin)
        .rotate_metrics_token()
        .unwrap()
        .expect("admins rotate the token");
    assert_ne!(rotated, token);
    assert_eq!(rotated.len(), 64);
    let old = anonymous.http_get("/metrics", Some(&token)).unwrap();
    assert_eq!(old.status_code, 401, "the old token");
    shows_nothing(&fleet, target, &old, "the old token's answer");
    assert_eq!(status(&anonymous, "/metrics", Some(&rotated)), 200);
    let settings = fleet.watcher().read_settings().unwrap();
    assert!(settings.metrics_token_rotated_at_ns.is_some());
    assert!(
        !format!("{settings:?}").contains(&rotated),
        "the token is never read back"
    );

    // Kept across an upgrade of the monitor.
    fleet
        .pic
        .upgrade_canister(
            fleet.monitor,
            canister_wasm("hooks-monitor"),
            encode_init(None),
            Some(fleet.admin),
        )
        .expect("the monitor upgrades");
    assert_eq!(fleet.watcher().read_settings().unwrap(), settings);
    assert_eq!(status(&anonymous, "/metrics", Some(&rotated)), 200);

    // Off: every path answers alike, token or not, as a query and as an update.
    set(
        &fleet,
        ReadSettingsUpdate {
            http_pages: Some(HttpPages::Off),
            ..Default::default()
        },
    );
    for url in ["/metrics", "/", "/status", "/nowhere"] {
        for token in [None, Some(rotated.as_str())] {
            let r = stranger.http_get(url, token).unwrap();
            assert_eq!(r.status_code, 403, "{url} {token:?}");
            shows_nothing(&fleet, target, &r, url);
        }
    }
    let as_update: HttpResponse = stranger
        .update(
            "http_request",
            (HttpRequest::get("/metrics", Some(&rotated)),),
        )
        .unwrap();
    assert_eq!(as_update.status_code, 403);
    shows_nothing(&fleet, target, &as_update, "http_request as an update");

    // Public (with a public read policy): the pages as before, to anyone, without a token.
    set(
        &fleet,
        ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            http_pages: Some(HttpPages::Public),
        },
    );
    assert!(anonymous
        .metrics_text(None)
        .unwrap()
        .contains("monitor_registrations 1"));
    let page = anonymous.http_get("/", None).unwrap();
    assert_eq!(page.status_code, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("<h1>canister-hooks monitor</h1>"));
}
