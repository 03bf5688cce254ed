//! Every scenario of the demo (`./scripts/demo.sh`) as a test with the `pocket-ic` client, against
//! the server `POCKET_IC_BIN` names (our emulator, or a real PocketIC): the demo's own story code
//! runs each chapter, and the assertions check what the monitor's event log and the targets' own
//! state show, so the demo cannot silently rot.

use candid::Principal;
use canister_hooks::events::{ErrorSource, EventOrigin, LowCyclesEvent};
use canister_hooks::types::{ErrorRecord, Phase, Readiness, StepState};
use canister_hooks_demo::journal::Journal;
use canister_hooks_demo::receiver::ReceivedMessage;
use canister_hooks_demo::report::{self, CanisterReport};
use canister_hooks_demo::story;
use canister_hooks_demo::traffic::Refusal;
use canister_hooks_demo::world::{Modules, World};
use canister_hooks_testkit::examples::{LoadStatus, Received, WorkerStats};
use canister_hooks_testkit::monitor::{
    CanisterState, DeadLetterPage, DeliveryStatus, EventKind, EventRecord, HookEvent, MemoryMetric,
    OperationFilter, Outcome, RegistrationPage, StepKind,
};
use canister_hooks_testkit::wasm::{sha256, tagged_release};
use integration_tests::workspace_root;
use pocket_ic::PocketIc;
use std::time::Duration;

type Fleet = (World<PocketIc>, Journal, Modules);

/// A fresh PocketIC instance with the monitor and the three examples installed: the demo's setup.
fn installed_fleet() -> Fleet {
    let modules = Modules::load_from(&workspace_root().join("target/canisters")).unwrap();
    let (world, journal) = story::setup(PocketIc::new(), &modules, false);
    (world, journal, modules)
}

/// [`installed_fleet`], the canisters ready and registered: the demo's first two chapters.
fn registered_fleet() -> Fleet {
    let (mut world, mut journal, modules) = installed_fleet();
    story::readiness(&mut world, &modules, &mut journal).unwrap();
    story::register(&mut world, &mut journal).unwrap();
    (world, journal, modules)
}

/// Runs `chapter` of the demo on a [`registered_fleet`]: the world after it, and its outcome.
fn after_chapter<T>(
    chapter: impl FnOnce(&mut World<PocketIc>, &mut Journal) -> Result<T, String>,
) -> (World<PocketIc>, T) {
    let (mut world, mut journal, _) = registered_fleet();
    let outcome = chapter(&mut world, &mut journal).unwrap();
    (world, outcome)
}

fn load_received(world: &mut World<PocketIc>) -> Vec<(u64, Received)> {
    world.load().received().unwrap()
}

fn load_status(world: &mut World<PocketIc>) -> LoadStatus {
    world.load().load_status().unwrap()
}

fn delivered(record: &EventRecord) -> bool {
    matches!(record.delivery, DeliveryStatus::Delivered { .. })
}

/// The webhook receiver's log so far.
fn receiver_log(world: &World<PocketIc>) -> Vec<ReceivedMessage> {
    world.receiver.borrow().log.clone()
}

/// The idempotency key of event `id`'s own message.
fn event_key(world: &World<PocketIc>, id: u64) -> String {
    format!("{}-{id}", world.ids.monitor)
}

/// Runs 10 s steps (at most `max_steps`) until the receiver has acknowledged `key`.
fn until_acknowledged(world: &World<PocketIc>, key: &str, max_steps: u32) {
    for _ in 0..max_steps {
        if receiver_log(world)
            .iter()
            .any(|m| m.key == key && m.status == 200)
        {
            return;
        }
        world.run_for(Duration::from_secs(10), 1);
    }
    panic!("{key} never acknowledged: {:?}", receiver_log(world));
}

/// Every event the monitor logged reached the receiver: acknowledged once alone (its own key,
/// never twice), or counted in a digest, and the monitor counts what was acknowledged; returns
/// the digests acknowledged.
fn every_event_acknowledged_once(world: &mut World<PocketIc>) -> Vec<ReceivedMessage> {
    // The monitor reads the receiver's last answers in the next rounds.
    world.run_for(Duration::ZERO, 1);
    let log = receiver_log(world);
    let acknowledged: Vec<&ReceivedMessage> = log.iter().filter(|m| m.status == 200).collect();
    assert!(
        log.iter().all(|m| m.channel == story::WEBHOOK_CHANNEL),
        "{log:?}"
    );
    let status = world.monitor().webhook_status().unwrap().remove(0);
    let events = story::events(world, None).unwrap();
    let alone = events
        .iter()
        .filter(|e| {
            let key = event_key(world, e.id);
            let once = acknowledged.iter().filter(|m| m.key == key).count();
            assert!(once <= 1, "{key} acknowledged {once} times: {log:?}");
            once == 1
        })
        .count();
    assert_eq!(
        alone as u64 + status.events_digested,
        events.len() as u64,
        "each event sent alone or counted in a digest: {log:?}\n{status:?}"
    );
    assert_eq!(status.delivered as usize, acknowledged.len(), "{status:?}");
    acknowledged
        .into_iter()
        .filter(|m| m.is_digest())
        .cloned()
        .collect()
}

/// The demo's report of `world` as HTML and as the text it prints (timeline, summary, the
/// receiver's log).
fn rendered_report(world: &mut World<PocketIc>, journal: &Journal) -> (String, String) {
    let registrations = world.monitor().registrations().unwrap();
    let events = story::events(world, None).unwrap();
    let reports: Vec<CanisterReport> = world
        .ids
        .targets()
        .into_iter()
        .map(|(name, id)| CanisterReport {
            name,
            registration: registrations
                .iter()
                .find(|r| r.canister_id == id)
                .expect("registered"),
            events: events.iter().filter(|e| e.canister_id == id).collect(),
        })
        .collect();
    let log = receiver_log(world);
    let html = report::html(&reports, journal, &log);
    let text = format!(
        "{}{}{}",
        journal.timeline(),
        report::summary_table(&reports, journal),
        report::receiver_log(journal, &log)
    );
    (html, text)
}

#[test]
fn readiness_gates_the_gated_canister_until_seeding_and_its_config_fetch_are_done() {
    let (mut world, mut journal, modules) = installed_fleet();

    let gate = story::readiness(&mut world, &modules, &mut journal).unwrap();

    assert!(
        gate.early_rejection.contains("canister is initializing")
            && gate.early_rejection.contains("seed_rng"),
        "the rejection names the phase and the step: {}",
        gate.early_rejection
    );
    assert!(gate.rounds_to_ready > 0);
    assert_eq!(gate.greeting, "hello from the worker, demo!");
    let readiness: Readiness = world.gated().readiness().unwrap();
    assert_eq!(readiness.phase, Phase::Ready);
    let steps: Vec<&str> = readiness.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(steps, ["seed_rng", "fetch_config", "assign_instance_id"]);
    assert!(readiness
        .steps
        .iter()
        .all(|s| matches!(s.state, StepState::Done(_))));
}

#[test]
fn a_cycles_burn_reaches_on_low_cycles_once() {
    let (mut world, outcome) = after_chapter(story::burn_cycles);

    let HookEvent::LowCycles(event) = &outcome.event.event else {
        panic!("expected low cycles, got {:?}", outcome.event.event)
    };
    assert!(event.balance < event.threshold);
    assert!(event.burn_rate_per_day > candid::Nat::from(0u32));
    assert_eq!(event.origin, EventOrigin::Monitor(world.ids.monitor));
    let received = load_received(&mut world);
    let handled: Vec<&LowCyclesEvent> = received
        .iter()
        .filter_map(|(_, r)| match r {
            Received::LowCycles(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(handled, [event], "load handled the monitor's event once");
    let events = story::events(&mut world, None).unwrap();
    assert_eq!(
        events.len(),
        1,
        "no other canister raised anything: {events:?}"
    );
    let key = event_key(&world, outcome.event.id);
    until_acknowledged(&world, &key, 6);
    assert!(every_event_acknowledged_once(&mut world).is_empty());
    let told = receiver_log(&world).remove(0).text;
    assert!(told.contains("low cycles"), "{told}");
}

#[test]
fn heap_growth_reaches_on_low_memory_which_frees_the_ballast() {
    let (mut world, outcome) = after_chapter(story::grow_memory);

    let HookEvent::LowMemory(event) = &outcome.event.event else {
        panic!("expected low memory, got {:?}", outcome.event.event)
    };
    assert_eq!(event.metric, MemoryMetric::Heap);
    assert!(event.value > event.threshold);
    let received = load_received(&mut world);
    assert!(
        received
            .iter()
            .any(|(_, r)| matches!(r, Received::LowMemory(e) if e == event)),
        "load recorded the event: {received:?}"
    );
    assert_eq!(load_status(&mut world).ledger.ballast_frees, 1);
}

#[test]
fn a_trapping_timer_is_captured_and_comes_back_as_on_error() {
    let (mut world, mut journal, _) = registered_fleet();
    let outcome = story::trapping_timer(&mut world, &mut journal).unwrap();

    let HookEvent::Error(event) = &outcome.hook.event.event else {
        panic!("expected an error, got {:?}", outcome.hook.event.event)
    };
    assert_eq!(event.source, ErrorSource::Timer("process".into()));
    assert!(
        event.message.contains("poison job value 1666"),
        "{}",
        event.message
    );
    assert_eq!(event.reject_code, Some(5), "a trap is reject code 5");
    let stats: WorkerStats = world.worker().stats().unwrap();
    assert_eq!(stats.ledger.errors_seen, 1);
    assert!(stats
        .ledger
        .last_error
        .is_some_and(|m| m.contains("poison job value 1666")));
    let log: Vec<ErrorRecord> = world.worker().recent_errors().unwrap();
    assert!(
        log.iter()
            .any(|r| r.source == ErrorSource::Timer("process".into())),
        "the SDK's own error log keeps the trap: {log:?}"
    );

    // The webhook receiver answered the alert 500 once: the retry carries the same key.
    let key = event_key(&world, outcome.hook.event.id);
    until_acknowledged(&world, &key, 12);
    let tries: Vec<(u16, String)> = receiver_log(&world)
        .into_iter()
        .filter(|m| m.key == key)
        .map(|m| (m.status, m.text))
        .collect();
    assert_eq!(tries.len(), 2, "{tries:?}");
    assert_eq!([tries[0].0, tries[1].0], [500, 200]);
    assert_eq!(tries[0].1, tries[1].1, "the same message again");
    assert!(tries[1].1.contains("poison job value 1666"), "{tries:?}");
    assert!(every_event_acknowledged_once(&mut world).is_empty());
    let status = world.monitor().webhook_status().unwrap().remove(0);
    assert_eq!((status.delivered, status.failed_attempts), (1, 1));

    // The report shows the receiver's log beside the timeline, and no webhook URL anywhere.
    let (html, text) = rendered_report(&mut world, &journal);
    assert_eq!(html.matches("<div class=\"received\">").count(), 1);
    assert_eq!(html.matches("<div class=\"received refused\">").count(), 1);
    assert_eq!(html.matches(&key).count(), 2, "both tries, one row each");
    let token = story::WEBHOOK_URL.rsplit('/').next().unwrap();
    for shown in [&html, &text, &format!("{status:?}")] {
        assert!(
            !shown.contains(story::WEBHOOK_URL)
                && !shown.contains(token)
                && !shown.contains("hooks.slack.com"),
            "a webhook URL shown: {shown}"
        );
    }
}

#[test]
fn a_silent_target_is_dead_lettered_across_a_monitor_upgrade_then_redriven() {
    let (mut world, mut journal, modules) = registered_fleet();
    let before: RegistrationPage = world
        .monitor()
        .query("list_registrations", (None::<Principal>, 10u32))
        .unwrap();

    let outcome = story::outage(&mut world, &modules, &mut journal).unwrap();

    assert!(
        !outcome.monitor_stop_wait.is_zero(),
        "the monitor had a call open to the silent target when it was stopped"
    );
    assert!(
        outcome.monitor_stop_wait.as_secs()
            <= u64::from(story::monitor_config().call_timeout_seconds.unwrap()) + 1,
        "the open call was bounded by the call timeout: {:?}",
        outcome.monitor_stop_wait
    );
    assert_eq!(
        outcome.attempts,
        story::monitor_config().delivery_max_attempts.unwrap()
    );
    assert!(delivered(&outcome.redelivered));
    let HookEvent::LowMemory(event) = &outcome.redelivered.event else {
        panic!("expected low memory, got {:?}", outcome.redelivered.event)
    };
    assert_eq!(event.metric, MemoryMetric::Stable);

    let after: RegistrationPage = world
        .monitor()
        .query("list_registrations", (None::<Principal>, 10u32))
        .unwrap();
    assert_eq!(
        after.registrations, before.registrations,
        "registry survives"
    );
    let dead: DeadLetterPage = world
        .monitor()
        .query("dead_letters", (Some(world.ids.load), None::<u64>, 10u32))
        .unwrap();
    assert!(
        dead.dead_letters.is_empty(),
        "the redrive emptied the queue"
    );
    let received = load_received(&mut world);
    let runs = received
        .iter()
        .filter(|(_, r)| matches!(r, Received::LowMemory(e) if e.id == event.id))
        .count();
    assert_eq!(
        runs, 1,
        "every attempt and the redrive ran the handler once"
    );
    let state: Option<CanisterState> = world.monitor().canister_state(world.ids.load).unwrap();
    assert_eq!(state.unwrap().pending_events, 0);
    let load = world.ids.load;
    let kinds: Vec<EventKind> = story::events(&mut world, Some(load))
        .unwrap()
        .iter()
        .map(|e| e.event.kind())
        .collect();
    assert_eq!(kinds, [EventKind::LowMemory]);
    let key = event_key(&world, event.id);
    until_acknowledged(&world, &key, 6);
    assert!(every_event_acknowledged_once(&mut world).is_empty());
}

#[test]
fn a_busy_canister_is_upgraded_through_the_pipeline_then_a_broken_release_is_rolled_back() {
    let (mut world, mut journal, modules) = registered_fleet();
    let v1 = world.module_hash(world.ids.load).unwrap();

    let outcome = story::upgrades(&mut world, &modules, &mut journal).unwrap();

    let (clean, broken) = (&outcome.clean, &outcome.broken);
    let v2 = sha256(&tagged_release(&modules.load, "v2"));
    assert_eq!(
        clean.view.outcome,
        Some(Outcome::Succeeded),
        "{:#?}",
        clean.view
    );
    assert_eq!((&clean.module_before, &clean.module_after), (&v1, &v2));
    assert!(
        clean.traffic.rejected_for(Refusal::Maintenance) > 0 && clean.traffic.queries_served > 0,
        "updates refused in maintenance, queries served: {:?}",
        clean.traffic
    );
    assert!(
        matches!(
            &broken.view.outcome,
            Some(Outcome::RolledBack { step: StepKind::AwaitReady, reason })
                if reason.contains("connect_dependency")
        ),
        "{:#?}",
        broken.view
    );
    assert_ne!(broken.release_hash, v2);
    assert_eq!(broken.module_after, v2, "the rollback brought v2 back");
    assert!(clean.state_kept() && broken.state_kept());
    assert_eq!(outcome.after_rollback.updates_rejected(), 0);

    // What the monitor and the canister itself say afterwards.
    let load = world.ids.load;
    let history = world
        .monitor()
        .operations(OperationFilter {
            canister_id: Some(load),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        history,
        [broken.view.clone(), clean.view.clone()],
        "newest first"
    );
    assert_eq!(world.module_hash(load).unwrap(), v2);
    let sdk = world.load().status().unwrap();
    assert!(sdk.ready && sdk.maintenance.is_none(), "{sdk:?}");
    let served = [
        &outcome.warm_up,
        &clean.traffic,
        &broken.traffic,
        &outcome.after_rollback,
    ]
    .iter()
    .map(|t| u64::from(t.updates_served))
    .sum::<u64>();
    assert_eq!(
        load_status(&mut world).requests_served,
        served,
        "every request served is counted: none lost to the upgrade or the rollback"
    );
    let rollback_told = load_received(&mut world)
        .into_iter()
        .any(|(_, r)| matches!(r, Received::Error(e) if e.source == ErrorSource::System("upgrade_failed".into())));
    assert!(rollback_told, "load handled the pipeline's on_error");

    // The burst of alerts (each failed post-init attempt of v3, then the rollback) is beyond the
    // channel's rate limit: the rest arrives as one digest when the next window opens.
    let window = story::webhook_rate_limit().window_seconds;
    world.run_for(Duration::from_secs(60), (window / 60) as u32 + 1);
    let digests = every_event_acknowledged_once(&mut world);
    assert_eq!(digests.len(), 1, "{:?}", receiver_log(&world));
    assert!(
        digests[0].text.contains("upgrade_failed"),
        "{}",
        digests[0].text
    );
}

#[test]
fn a_nightly_backup_is_taken_in_its_window_then_restored_after_a_bad_write() {
    let (mut world, outcome) = after_chapter(story::backups);

    let backup = &outcome.backup;
    assert_eq!(backup.outcome, Some(Outcome::Succeeded), "{backup:#?}");
    assert_eq!(
        backup.started_by, world.ids.monitor,
        "scheduled by the monitor"
    );
    let hour = |ns: u64| ns / 1_000_000_000 / 3_600 % 24;
    let policy = world
        .monitor()
        .backups(world.ids.load)
        .unwrap()
        .policy
        .expect("a policy");
    let window = policy.window.expect("a window");
    assert_eq!(
        hour(backup.started_at_ns),
        u64::from(window.start_hour),
        "in its window"
    );
    assert_eq!(
        outcome.served_after_bad_writes,
        outcome.served_at_backup + 5
    );
    assert_eq!(outcome.restore.outcome, Some(Outcome::Succeeded));
    assert_eq!(outcome.served_after_restore, outcome.served_at_backup);
    assert_eq!(
        load_status(&mut world).requests_served,
        outcome.served_at_backup
    );
}
