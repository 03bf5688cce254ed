//! Webhooks over the fake IC: every logged event that matches a channel goes out once, with its
//! idempotency key in header and body and its cycles counted; failures retry, back off and
//! dead-letter like hooks; a storm is folded into digests; everything survives an upgrade; no
//! URL leaks into what the monitor shows.

use super::delivery::report;
use crate::api::*;
use crate::policy::call_error::CallError;
use crate::policy::validation::tests::args;
use crate::policy::webhooks::outcall::{IDEMPOTENCY_HEADER, MAX_RESPONSE_BYTES};
use crate::render::metrics::{self, Snapshot};
use crate::testing::*;
use candid::Principal;
use ic_stable_structures::VectorMemory;

const T: u128 = 1_000_000_000_000;
const URL: &str = "https://hooks.example.com/services/T0/B0/SECRET-TOKEN";

fn channel(name: &str, rate_limit: Option<RateLimit>) -> WebhookChannel {
    WebhookChannel {
        name: name.into(),
        url: URL.into(),
        format: WebhookFormat::GenericJson,
        filter: WebhookFilter::default(),
        rate_limit,
    }
}

/// A monitor with one registered canister and channel `ops`.
fn setup() -> (TestMonitor, VectorMemory, FakeIc, Principal) {
    let (m, mem) = monitor(ConfigUpdate::default());
    let ic = FakeIc::default();
    let id = ic.add(1, FakeCanister::new(5 * T));
    register(&m, &ic, args(1)).unwrap();
    m.borrow_mut().add_webhook(channel("ops", None)).unwrap();
    (m, mem, ic, id)
}

fn header<'a>(r: &'a crate::policy::webhooks::outcall::OutcallRequest, name: &str) -> &'a str {
    &r.headers.iter().find(|(n, _)| n == name).unwrap().1
}

fn body(r: &crate::policy::webhooks::outcall::OutcallRequest) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn status(m: &TestMonitor) -> WebhookStatus {
    m.borrow().webhook_status().remove(0)
}

#[test]
fn each_event_is_posted_once_with_its_idempotency_key_and_its_cycles_counted() {
    let (m, _, ic, id) = setup();
    let event = report(&m, &ic, id, 1);
    drain(&m, &ic, 60);
    let calls = ic.outcalls.borrow().clone();
    assert_eq!(calls.len(), 1);
    let (request, cycles) = &calls[0];
    let key = format!("{}-{event}", m.borrow().id());
    assert_eq!(request.url, URL);
    assert_eq!(header(request, IDEMPOTENCY_HEADER), key);
    let v = body(request);
    assert_eq!(v["idempotency_key"], key.as_str());
    assert_eq!(v["event_id"], event);
    assert_eq!(v["severity"], "error");
    assert_eq!(
        *cycles,
        fake_outcall_fee(request.size(), MAX_RESPONSE_BYTES)
    );
    let s = status(&m);
    assert_eq!((s.delivered, s.pending, s.cycles_spent), (1, 0, *cycles));
    drain(&m, &ic, 3_600);
    assert_eq!(ic.outcalls.borrow().len(), 1, "delivered once");
}

#[test]
fn filters_choose_the_events_a_channel_takes() {
    let (m, _, ic, id) = setup();
    let mut critical_only = channel("pager", None);
    critical_only.filter.min_severity = Some(Severity::Critical);
    m.borrow_mut().add_webhook(critical_only).unwrap();
    report(&m, &ic, id, 1); // a reported trap: severity error
    drain(&m, &ic, 60);
    let names: Vec<(String, u64)> = m
        .borrow()
        .webhook_status()
        .into_iter()
        .map(|s| (s.name, s.delivered))
        .collect();
    assert_eq!(names, [("ops".into(), 1), ("pager".into(), 0)]);
}

#[test]
fn server_errors_and_timeouts_are_retried_with_backoff_until_delivered() {
    let (m, _, ic, id) = setup();
    ic.outcall_answers.borrow_mut().extend([
        Ok(500),
        Err(CallError::rejected(
            2,
            format!("Timeout connecting to {URL}"),
        )),
    ]);
    report(&m, &ic, id, 1);
    tick(&m, &ic);
    let s = status(&m);
    assert_eq!((s.failed_attempts, s.pending), (1, 1));
    assert_eq!(s.last_error.as_deref(), Some("HTTP 500"));
    tick(&m, &ic);
    assert_eq!(ic.outcalls.borrow().len(), 1, "waits for its backoff");
    drain(&m, &ic, 3_600);
    let calls = ic.outcalls.borrow();
    assert_eq!(calls.len(), 3);
    assert!(calls
        .windows(2)
        .all(|w| header(&w[0].0, IDEMPOTENCY_HEADER) == header(&w[1].0, IDEMPOTENCY_HEADER)));
    let s = status(&m);
    assert_eq!((s.delivered, s.failed_attempts, s.pending), (1, 2, 0));
    assert_eq!(
        s.last_error.as_deref(),
        Some("reject 2: Timeout connecting to <the channel's URL>")
    );
}

#[test]
fn client_errors_dead_letter_after_a_few_attempts_and_redrive_delivers() {
    let (m, _, ic, id) = setup();
    ic.outcall_answers
        .borrow_mut()
        .extend([Ok(404), Ok(404), Ok(404)]);
    let event = report(&m, &ic, id, 1);
    drain(&m, &ic, 3_600);
    assert_eq!(ic.outcalls.borrow().len(), 3);
    let dead = m.borrow().webhook_dead_letters(Some("ops")).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].id, dead[0].attempts), (event, 3));
    assert!(dead[0].reason.contains("HTTP 404"), "{}", dead[0].reason);
    assert_eq!(status(&m).dead_lettered, 1);
    assert_eq!(
        m.borrow_mut()
            .redrive_webhook("ops", event + 1, ic.now.get()),
        Err(WebhookError::UnknownDeadLetter {
            channel: "ops".into(),
            id: event + 1
        })
    );
    m.borrow_mut()
        .redrive_webhook("ops", event, ic.now.get())
        .unwrap();
    drain(&m, &ic, 60);
    assert_eq!(ic.outcalls.borrow().len(), 4);
    assert_eq!(status(&m).delivered, 1);
    assert!(m.borrow().webhook_dead_letters(None).unwrap().is_empty());
    m.borrow_mut().check_invariants().unwrap();
}

#[test]
fn a_storm_of_1000_events_sends_a_handful_of_messages_and_counts_every_event() {
    let (m, _, ic, id) = setup();
    m.borrow_mut()
        .update_webhook(channel(
            "ops",
            Some(RateLimit {
                max_messages: 5,
                window_seconds: 600,
            }),
        ))
        .unwrap();
    let ids: Vec<u64> = (0..1_000)
        .map(|n| {
            // Reports are refused beyond the hook backlog: hooks are delivered as the storm goes.
            let event = report(&m, &ic, id, n);
            tick(&m, &ic);
            event
        })
        .collect();
    drain(&m, &ic, 3_600);
    let calls = ic.outcalls.borrow();
    assert!(calls.len() <= 6, "{} messages", calls.len());
    let mut alone = 0;
    let mut digested = 0;
    for (request, _) in calls.iter() {
        let v = body(request);
        match v.get("digest") {
            Some(d) => digested += d["events"].as_u64().unwrap(),
            None => alone += 1,
        }
    }
    assert_eq!(
        alone + digested,
        ids.len() as u64,
        "every event sent alone or counted"
    );
    let s = status(&m);
    assert_eq!((s.digests, s.events_digested), (1, 995));
}

#[test]
fn channels_queues_and_rate_windows_survive_an_upgrade() {
    let (m, mem, ic, id) = setup();
    let limited = channel(
        "ops",
        Some(RateLimit {
            max_messages: 1,
            window_seconds: 60,
        }),
    );
    m.borrow_mut().update_webhook(limited.clone()).unwrap();
    ic.outcall_answers.borrow_mut().push_back(Ok(503));
    for n in 0..3 {
        report(&m, &ic, id, n);
    }
    tick(&m, &ic);
    assert_eq!(status(&m).events_waiting_for_digest, 2);
    drop(m);
    let m = restart(&mem);
    assert_eq!(m.borrow().list_webhooks(), vec![limited]);
    assert_eq!(status(&m).pending, 1);
    drain(&m, &ic, 3_600);
    let s = status(&m);
    assert_eq!((s.delivered, s.digests, s.events_digested), (2, 1, 2));
    assert_eq!(
        ic.outcalls.borrow().len(),
        3,
        "a failed try, its retry, the digest"
    );
    assert!(body(&ic.outcalls.borrow()[2].0).get("digest").is_some());
}

#[test]
fn the_test_message_goes_at_once_and_failures_come_back_typed() {
    let (m, _, ic, _) = setup();
    block_on(crate::driver::webhooks::test_webhook(&m, &ic, "ops")).unwrap();
    assert_eq!(ic.outcalls.borrow().len(), 1);
    let v = body(&ic.outcalls.borrow()[0].0);
    assert_eq!(v["test"], true);
    ic.outcall_answers.borrow_mut().push_back(Ok(401));
    assert_eq!(
        block_on(crate::driver::webhooks::test_webhook(&m, &ic, "ops")),
        Err(WebhookError::DeliveryFailed {
            reason: "HTTP 401".into()
        })
    );
    assert_eq!(
        block_on(crate::driver::webhooks::test_webhook(&m, &ic, "nope")),
        Err(WebhookError::UnknownChannel {
            name: "nope".into()
        })
    );
    assert!(status(&m).cycles_spent > 0);
    assert_eq!(status(&m).delivered, 0, "tests are not deliveries");
}

#[test]
fn channels_are_checked_unique_and_bounded_and_removal_drops_their_queue() {
    let (m, _, ic, id) = setup();
    let mut m_ = m.borrow_mut();
    assert_eq!(
        m_.add_webhook(channel("ops", None)),
        Err(WebhookError::ChannelExists { name: "ops".into() })
    );
    let mut bad = channel("x", None);
    bad.url = "http://plain.example.com/SECRET".into();
    assert!(
        matches!(m_.add_webhook(bad), Err(WebhookError::InvalidField { field, .. }) if field == "url")
    );
    assert_eq!(
        m_.update_webhook(channel("nope", None)),
        Err(WebhookError::UnknownChannel {
            name: "nope".into()
        })
    );
    for n in 1..16 {
        m_.add_webhook(channel(&format!("c{n}"), None)).unwrap();
    }
    assert_eq!(
        m_.add_webhook(channel("c16", None)),
        Err(WebhookError::TooManyChannels { max: 16 })
    );
    drop(m_);
    ic.outcall_answers
        .borrow_mut()
        .extend(std::iter::repeat_n(Ok(500), 16));
    report(&m, &ic, id, 1);
    tick(&m, &ic);
    m.borrow_mut().remove_webhook("ops", ic.now.get()).unwrap();
    assert!(m.borrow().webhook_status().iter().all(|s| s.name != "ops"));
    m.borrow_mut().check_invariants().unwrap();
}

#[test]
fn no_url_appears_in_the_status_metrics_or_page() {
    let (m, _, ic, id) = setup();
    ic.outcall_answers
        .borrow_mut()
        .push_back(Err(CallError::rejected(
            2,
            format!("connect {URL}: refused"),
        )));
    report(&m, &ic, id, 1);
    tick(&m, &ic);
    let snapshot = Snapshot {
        webhooks: m.borrow().webhook_status(),
        ..Snapshot::default()
    };
    let shown = [
        format!("{:?}", m.borrow().webhook_status()),
        String::from_utf8(metrics::encode(&snapshot).unwrap()).unwrap(),
        crate::render::http::status_page(&snapshot),
    ];
    for text in shown {
        assert!(text.contains("ops"));
        assert!(
            !text.contains("SECRET") && !text.contains("hooks.example.com"),
            "{text}"
        );
    }
}
