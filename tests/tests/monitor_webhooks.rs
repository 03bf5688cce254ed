//! Webhooks over the emulator's HTTPS outcalls, answered with pocket-ic's own
//! `get_canister_http` / `mock_canister_http_response`: each event is posted once,
//! non-replicated, with its idempotency key in header and body; a 500 and a timeout are retried;
//! repeated 404s dead-letter it and a redrive delivers it; a storm is digested within the rate
//! limit; `test_webhook` sends one message; a stranger can neither read nor change channels and
//! no URL shows anywhere the monitor answers.

use candid::Principal;
use canister_hooks::events::{ErrorReport, ErrorSource};
use canister_hooks_testkit::monitor::{
    ConfigUpdate, EventFilter, Hooks, HttpPages, HttpRequest, HttpResponse, MemoryThresholds,
    RateLimit, ReadPolicy, ReadSettingsUpdate, RegisterArgs, WebhookChannel, WebhookError,
    WebhookFilter, WebhookFormat, WebhookStatus,
};
use canister_hooks_testkit::Client;
use integration_tests::fleet::{fast_config, Fleet};
use pocket_ic::common::rest::{
    CanisterHttpHeader, CanisterHttpReject, CanisterHttpReplication, CanisterHttpReply,
    CanisterHttpRequest, CanisterHttpResponse, MockCanisterHttpResponse,
};

const TOKEN: &str = "T0KEN-never-shown";
const MAX_ATTEMPTS: u32 = 3;

fn url() -> String {
    format!("https://hooks.example.com/services/{TOKEN}")
}

fn channel(rate_limit: Option<RateLimit>) -> WebhookChannel {
    WebhookChannel {
        name: "ops".into(),
        url: url(),
        format: WebhookFormat::GenericJson,
        filter: WebhookFilter::default(),
        rate_limit,
    }
}

/// A monitor, a registered canister that reports errors through it, and channel `ops`.
struct Hooked {
    fleet: Fleet,
    reporter: Principal,
}

fn hooked(rate_limit: Option<RateLimit>) -> Hooked {
    let fleet = Fleet::new(ConfigUpdate {
        delivery_max_attempts: Some(MAX_ATTEMPTS),
        ..fast_config()
    });
    let reporter = fleet.add_watched_relay();
    // Hookless, watched for a memory threshold it never reaches: only its reports are events.
    fleet.register(RegisterArgs {
        hooks: Hooks::default(),
        memory: Some(MemoryThresholds {
            heap_bytes: Some(1 << 30),
            ..Default::default()
        }),
        ..Fleet::register_args(reporter)
    });
    fleet
        .watcher()
        .add_webhook(&channel(rate_limit))
        .unwrap()
        .unwrap();
    Hooked { fleet, reporter }
}

impl Hooked {
    /// The reporter reports error `n`; its event id.
    fn report(&self, n: u64) -> u64 {
        let report = ErrorReport {
            source: ErrorSource::Timer(format!("job-{n}")),
            message: format!("failure {n}"),
            reject_code: Some(5),
            time_ns: 0,
            count: 1,
        };
        self.fleet.report_error_from(self.reporter, report)
    }

    /// Steps 1 s at a time (at most `seconds`) until outcalls are pending; them.
    fn pending(&self, seconds: u64) -> Vec<CanisterHttpRequest> {
        for _ in 0..=seconds {
            let pending = self.fleet.pic.get_canister_http();
            if !pending.is_empty() {
                return pending;
            }
            self.fleet.step(1);
        }
        panic!("no outcall within {seconds} s: {:?}", self.status());
    }

    /// The one pending outcall.
    fn one(&self, seconds: u64) -> CanisterHttpRequest {
        let mut pending = self.pending(seconds);
        assert_eq!(pending.len(), 1, "{pending:?}");
        pending.remove(0)
    }

    fn answer(&self, request: &CanisterHttpRequest, response: CanisterHttpResponse) {
        self.fleet
            .pic
            .mock_canister_http_response(MockCanisterHttpResponse {
                subnet_id: request.subnet_id,
                request_id: request.request_id,
                response,
                additional_responses: vec![],
            });
        self.fleet.step(0);
    }

    fn reply(&self, request: &CanisterHttpRequest, status: u16) {
        self.answer(
            request,
            CanisterHttpResponse::CanisterHttpReply(CanisterHttpReply {
                status,
                headers: vec![CanisterHttpHeader {
                    name: "Set-Cookie".into(),
                    value: "session=1".into(),
                }],
                body: b"ok".to_vec(),
            }),
        );
    }

    /// Answers `request` with a reject (code 2, as an outcall that timed out or could not
    /// connect) whose message quotes the URL.
    fn reject(&self, request: &CanisterHttpRequest, message: &str) {
        self.answer(
            request,
            CanisterHttpResponse::CanisterHttpReject(CanisterHttpReject {
                reject_code: 2,
                message: format!("{message} {}", url()),
            }),
        );
    }

    fn status(&self) -> WebhookStatus {
        self.fleet.watcher().webhook_status().unwrap().remove(0)
    }
}

fn header<'a>(r: &'a CanisterHttpRequest, name: &str) -> &'a str {
    &r.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no {name} header: {:?}", r.headers))
        .value
}

fn body(r: &CanisterHttpRequest) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn each_event_is_posted_once_non_replicated_with_its_idempotency_key() {
    let h = hooked(None);
    let balance = || h.fleet.pic.cycle_balance(h.fleet.monitor);
    let before_report = balance();
    let event = h.report(1);
    let request = h.one(10);
    let before_reply = balance();
    let key = format!("{}-{event}", h.fleet.monitor);
    assert_eq!(request.url, url());
    assert_eq!(request.replication, CanisterHttpReplication::NonReplicated);
    assert!(request.max_response_bytes.is_some_and(|b| b <= 4_096));
    assert_eq!(header(&request, "Idempotency-Key"), key);
    let v = body(&request);
    assert_eq!(v["idempotency_key"], key.as_str());
    assert_eq!(v["event_id"], event);
    assert_eq!(v["kind"], "error");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["canister_id"], h.reporter.to_text().as_str());
    h.reply(&request, 200);
    let after_reply = balance();
    let s = h.status();
    assert_eq!((s.delivered, s.pending, s.failed_attempts), (1, 0, 0));
    assert!(s.cycles_spent > 0);
    // Everything else the monitor paid for in between (the report, the tick that rendered and
    // sent the message, the reply's callback, and any poll of the reporter that fell in the
    // window), at the emulator's 13-node fees.
    let execution = (before_report - after_reply).saturating_sub(s.cycles_spent);
    println!(
        "cycles per alert: outcall {} attached; monitor execution at most {execution} \
         (of which {} after the reply)",
        s.cycles_spent,
        before_reply.saturating_sub(after_reply)
    );
    h.fleet.run_for(120, 5);
    assert!(h.fleet.pic.get_canister_http().is_empty(), "delivered once");
    h.fleet.assert_metrics_contain(&format!(
        "monitor_webhook_cycles_total{{channel=\"ops\"}} {}",
        s.cycles_spent
    ));
}

#[test]
fn a_500_and_a_timeout_are_retried_with_the_same_key_until_delivered() {
    let h = hooked(None);
    h.report(1);
    let first = h.one(10);
    h.reply(&first, 500);
    assert_eq!(h.status().last_error.as_deref(), Some("HTTP 500"));
    let second = h.one(30);
    h.reject(&second, "Timeout expired connecting to");
    let error = h.status().last_error.unwrap();
    assert!(!error.contains(TOKEN), "{error}");
    let third = h.one(30);
    assert_eq!(
        header(&first, "Idempotency-Key"),
        header(&third, "Idempotency-Key")
    );
    h.reply(&third, 204);
    let s = h.status();
    assert_eq!((s.delivered, s.failed_attempts, s.pending), (1, 2, 0));
}

#[test]
fn repeated_404s_dead_letter_the_message_and_a_redrive_delivers_it() {
    let h = hooked(None);
    let event = h.report(1);
    for _ in 0..MAX_ATTEMPTS {
        let r = h.one(30);
        h.reply(&r, 404);
    }
    h.fleet.run_for(30, 5);
    assert!(h.fleet.pic.get_canister_http().is_empty(), "given up");
    let dead = h
        .fleet
        .watcher()
        .webhook_dead_letters(Some("ops"))
        .unwrap()
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].id, dead[0].attempts), (event, MAX_ATTEMPTS));
    assert_eq!(h.status().dead_lettered, 1);
    assert_eq!(
        h.fleet.watcher().redrive_webhook("ops", event).unwrap(),
        Ok(event)
    );
    let again = h.one(10);
    assert_eq!(
        header(&again, "Idempotency-Key"),
        format!("{}-{event}", h.fleet.monitor)
    );
    h.reply(&again, 200);
    assert_eq!(h.status().delivered, 1);
}

#[test]
fn a_storm_is_digested_within_the_rate_limit() {
    let limit = RateLimit {
        max_messages: 3,
        window_seconds: 60,
    };
    let h = hooked(Some(limit));
    let storm = 200u64;
    for n in 0..storm {
        h.report(n);
    }
    let mut messages = 0;
    let mut counted = 0;
    // Answer everything that comes for two windows and a bit.
    for _ in 0..150 {
        for r in h.fleet.pic.get_canister_http() {
            messages += 1;
            let v = body(&r);
            counted += v.get("digest").map_or(1, |d| d["events"].as_u64().unwrap());
            h.reply(&r, 200);
        }
        h.fleet.step(1);
    }
    assert!(
        messages <= 2 * limit.max_messages as usize,
        "{messages} messages"
    );
    assert_eq!(counted, storm, "every event alone or in a digest");
    let s = h.status();
    assert_eq!(s.digests, 1);
    assert_eq!(s.events_digested, storm - u64::from(limit.max_messages));
}

#[test]
fn test_webhook_sends_one_message_now() {
    let h = hooked(None);
    let watcher = h.fleet.watcher();
    let call = watcher.submit_test_webhook("ops").unwrap();
    let request = h.one(5);
    assert_eq!(body(&request)["test"], true);
    h.reply(&request, 200);
    assert_eq!(watcher.await_test_webhook(call).unwrap(), Ok(()));
    let call = watcher.submit_test_webhook("ops").unwrap();
    let request = h.one(5);
    h.reply(&request, 403);
    assert_eq!(
        watcher.await_test_webhook(call).unwrap(),
        Err(WebhookError::DeliveryFailed {
            reason: "HTTP 403".into()
        })
    );
}

#[test]
fn a_stranger_cannot_read_or_change_channels_and_no_url_shows_anywhere() {
    let h = hooked(None);
    h.report(1);
    let r = h.one(10);
    h.reject(&r, "connection refused by");
    let stranger = Principal::self_authenticating(b"a stranger");
    let theirs = Client::<_, canister_hooks_testkit::monitor::Monitor>::new(
        &h.fleet.pic,
        h.fleet.monitor,
        stranger,
    );
    assert!(matches!(
        theirs.list_webhooks().unwrap(),
        Err(WebhookError::NotAuthorized { caller, .. }) if caller == stranger
    ));
    assert!(matches!(
        theirs.webhook_dead_letters(None).unwrap(),
        Err(WebhookError::NotAuthorized { .. })
    ));
    let mut changed = channel(None);
    changed.url = "https://attacker.example.com/".into();
    assert!(
        theirs.update_webhook(&changed).is_err(),
        "refused as ingress"
    );
    assert!(theirs.remove_webhook("ops").is_err());
    assert_eq!(
        h.fleet.watcher().list_webhooks().unwrap().unwrap(),
        vec![channel(None)]
    );

    // Everything the monitor shows anyone, once it is made public: no URL in any of it.
    h.fleet
        .watcher()
        .set_read_settings(ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            http_pages: Some(HttpPages::Public),
        })
        .unwrap()
        .expect("public settings");
    let page = |path: &str| -> String {
        let response: HttpResponse = theirs
            .query("http_request", (HttpRequest::get(path, None),))
            .unwrap();
        String::from_utf8(response.body.into_vec()).unwrap()
    };
    let shown = [
        format!("{:?}", theirs.webhook_status().unwrap()),
        format!("{:?}", theirs.events_where(EventFilter::default()).unwrap()),
        format!("{:?}", theirs.stats().unwrap()),
        format!("{:?}", theirs.registrations().unwrap()),
        page("/metrics"),
        page("/"),
    ];
    for text in shown {
        assert!(
            !text.contains(TOKEN) && !text.contains("hooks.example.com"),
            "{text}"
        );
    }
    assert!(page("/").contains("<h2>Webhooks</h2>"));
}
