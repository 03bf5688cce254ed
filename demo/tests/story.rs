//! The demo's story as a test: every chapter's outcome is checked against what the monitor's
//! event log and the targets' own state show, so the demo cannot silently rot.

use canister_hooks::events::ErrorSource;
use canister_hooks_demo::journal::MarkKind;
use canister_hooks_demo::report::{self, CanisterReport};
use canister_hooks_demo::story;
use canister_hooks_demo::traffic::Refusal;
use canister_hooks_demo::world::{Modules, World};
use canister_hooks_testkit::monitor::{
    BackupMode, DeliveryStatus, EventKind, HookEvent, MemoryMetric, OperationKind, Outcome,
    StepKind,
};
use canister_hooks_testkit::wasm::{sha256, tagged_release};
use canister_hooks_testkit::SimIc;
use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_story_runs_and_every_hook_fires_as_told() {
    let modules = Modules::load_from(&workspace().join("target/canisters")).unwrap();
    let sim = SimIc::new(ic_sim::Sim::new(ic_sim::SimConfig::default()));
    let (mut world, mut journal) = story::setup(sim, &modules, false);

    let gate = story::readiness(&mut world, &modules, &mut journal).unwrap();
    assert!(
        gate.early_rejection.contains("initializing"),
        "{}",
        gate.early_rejection
    );
    assert!(gate.rounds_to_ready > 0);
    assert_eq!(gate.greeting, "hello from the worker, demo!");

    let registrations = story::register(&mut world, &mut journal).unwrap();
    assert_eq!(registrations.len(), 3);

    let cycles = story::burn_cycles(&mut world, &mut journal).unwrap();
    let HookEvent::LowCycles(low) = &cycles.event.event else {
        panic!("expected a low-cycles event, got {:?}", cycles.event.event)
    };
    assert!(low.balance < low.threshold);
    assert!(low.burn_rate_per_day > 0);

    let memory = story::grow_memory(&mut world, &mut journal).unwrap();
    let HookEvent::LowMemory(high) = &memory.event.event else {
        panic!("expected a low-memory event, got {:?}", memory.event.event)
    };
    assert_eq!(high.metric, MemoryMetric::Heap);
    assert!(high.value > high.threshold);

    let trap = story::trapping_timer(&mut world, &mut journal).unwrap();
    let HookEvent::Error(error) = &trap.hook.event.event else {
        panic!("expected an error event, got {:?}", trap.hook.event.event)
    };
    assert_eq!(error.source, ErrorSource::Timer("process".into()));
    assert!(error.message.contains("poison job"), "{}", error.message);
    assert_eq!(trap.errors_seen_by_worker, 1);

    let outage = story::outage(&mut world, &modules, &mut journal).unwrap();
    assert_eq!(
        outage.attempts,
        story::monitor_config().delivery_max_attempts.unwrap()
    );
    assert!(
        outage
            .dead_letter_reason
            .contains("being handled by an earlier delivery"),
        "{}",
        outage.dead_letter_reason
    );
    assert!(outage.monitor_stop_wait > std::time::Duration::ZERO);
    assert!(matches!(
        outage.redelivered.delivery,
        DeliveryStatus::Delivered { .. }
    ));

    let delivered_before_upgrades = delivered_count(&mut world);
    assert_eq!(delivered_before_upgrades, 4, "one event per chapter so far");
    let upgrades = story::upgrades(&mut world, &modules, &mut journal).unwrap();
    let (clean, broken) = (&upgrades.clean, &upgrades.broken);
    // v1 -> v2 succeeds; v2 -> v3 fails and v2 comes back; the state survives both.
    let (v1, v2) = (
        sha256(&modules.load),
        sha256(&tagged_release(&modules.load, "v2")),
    );
    let ran = |run: &story::UpgradeRun| {
        (
            run.view.outcome.as_ref().map(Outcome::name),
            [&run.module_before, &run.release_hash, &run.module_after].map(|h| *h == v2),
        )
    };
    assert_eq!(
        [ran(clean), ran(broken)],
        [
            (Some("succeeded"), [false, true, true]),
            (Some("rolled_back"), [true, false, true])
        ],
        "{:#?}\n{:#?}",
        clean.view,
        broken.view
    );
    assert_eq!(clean.module_before, v1);
    assert!(matches!(
        &broken.view.outcome,
        Some(Outcome::RolledBack {
            step: StepKind::AwaitReady,
            ..
        })
    ));
    // Clients: updates refused while in maintenance (and told why), queries served throughout.
    let told = clean
        .traffic
        .maintenance_message
        .as_deref()
        .unwrap_or_default();
    assert!(
        clean.traffic.rejected_for(Refusal::Maintenance) > 0
            && told.contains("upgrade to v2")
            && told.contains("queries are still served"),
        "{:?}",
        clean.traffic
    );
    for traffic in [&clean.traffic, &broken.traffic] {
        assert_eq!(traffic.queries_rejected, 0, "{traffic:?}");
        assert!(
            traffic.refused_secs().is_some(),
            "served again: {traffic:?}"
        );
    }
    for run in [clean, broken] {
        assert!(run.state_kept(), "{:?} -> {:?}", run.before, run.after);
        assert!(run.before.requests_served >= 30);
    }
    assert_eq!(upgrades.warm_up.updates_served, 30);
    assert_eq!(upgrades.after_rollback.updates_rejected(), 0);
    let HookEvent::Error(rollback) = &upgrades.rollback_reported.event.event else {
        panic!("{:?}", upgrades.rollback_reported.event)
    };
    assert_eq!(
        rollback.source,
        ErrorSource::System("upgrade_failed".into())
    );
    assert!(
        rollback.message.contains("rolled back"),
        "{}",
        rollback.message
    );
    let marks: Vec<(&str, MarkKind, &str)> = journal
        .marks
        .iter()
        .map(|m| (m.canister, m.kind, m.label.as_str()))
        .collect();
    assert_eq!(
        marks,
        [
            ("load", MarkKind::Upgrade, "upgrade v2 ✓"),
            ("load", MarkKind::Rollback, "rollback of v3")
        ]
    );

    // Chapter 8: the nightly backup in its window, a bad write, the backup restored.
    let backups = story::backups(&mut world, &mut journal).unwrap();
    assert_eq!(backups.backup.outcome, Some(Outcome::Succeeded));
    assert_eq!(
        backups.backup.started_by, world.ids.monitor,
        "taken by the monitor on its own"
    );
    assert!(matches!(
        backups.backup.kind,
        OperationKind::Backup {
            mode: BackupMode::Stopped,
            replace_any: false,
            keep: 7
        }
    ));
    assert_eq!(
        backups.served_after_bad_writes,
        backups.served_at_backup + 5
    );
    assert_eq!(backups.restore.outcome, Some(Outcome::Succeeded));
    assert_eq!(
        backups.served_after_restore, backups.served_at_backup,
        "the state of the backup is back"
    );
    let new_marks: Vec<MarkKind> = journal.marks[2..].iter().map(|m| m.kind).collect();
    assert_eq!(new_marks, [MarkKind::Backup, MarkKind::Restore]);

    let events = story::events(&mut world, None).unwrap();
    let delivered = delivered_count(&mut world);
    let upgrade_sources: Vec<&ErrorSource> = events[..delivered - delivered_before_upgrades]
        .iter()
        .map(|e| match &e.event {
            HookEvent::Error(error) if e.canister_id == world.ids.load => &error.source,
            other => panic!("the upgrades raised {other:?}"),
        })
        .collect();
    let init_task = ErrorSource::InitTask("connect_dependency".into());
    assert_eq!(
        upgrade_sources,
        std::iter::once(&rollback.source)
            .chain(std::iter::repeat_n(&init_task, upgrades.init_task_errors))
            .collect::<Vec<_>>(),
        "the rollback's report, after each failure of v3's post-init task: {events:?}"
    );
    assert!(upgrades.init_task_errors > 0);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.kind() == EventKind::LowMemory)
            .count(),
        2,
        "heap growth and the outage's stable growth"
    );

    let reports: Vec<CanisterReport> = world
        .ids
        .targets()
        .into_iter()
        .zip(&registrations)
        .map(|((name, id), registration)| CanisterReport {
            name,
            registration,
            events: events.iter().filter(|e| e.canister_id == id).collect(),
        })
        .collect();
    // Every figure a person reads is in units people use: no raw cycle or byte counts.
    let summary = report::summary_table(&reports, &journal);
    let timeline = journal.timeline();
    assert!(
        summary.contains(" T cycles") && summary.contains(" MiB"),
        "{summary}"
    );
    assert!(
        timeline.contains(" T cycles") && timeline.contains(" MiB"),
        "{timeline}"
    );
    let printed = format!("{summary}{timeline}");
    let raw_number = long_digit_run(&printed);
    assert!(
        raw_number.is_none(),
        "raw number {raw_number:?} in\n{summary}\n{timeline}"
    );
    let webhooks = world.receiver.borrow().log.clone();
    let html = report::html(&reports, &journal, &webhooks);
    // The webhook receiver got every alert: alone, or (the burst of the broken release) in one
    // digest; the one it refused came again with its key; no URL is shown anywhere.
    let status = world.monitor().webhook_status().unwrap().remove(0);
    let alone = webhooks
        .iter()
        .filter(|m| m.status == 200 && !m.is_digest())
        .count();
    assert_eq!(
        alone as u64 + status.events_digested,
        events.len() as u64,
        "{webhooks:#?}"
    );
    let digests: Vec<_> = webhooks.iter().filter(|m| m.is_digest()).collect();
    assert_eq!(digests.len(), 1, "{webhooks:#?}");
    let refused: Vec<_> = webhooks.iter().filter(|m| m.status == 500).collect();
    assert_eq!(refused.len(), 1, "{webhooks:#?}");
    assert_eq!(
        webhooks.iter().filter(|m| m.key == refused[0].key).count(),
        2
    );
    let printed = report::receiver_log(&journal, &webhooks);
    for shown in [&html, &printed, &timeline, &summary] {
        assert!(!shown.contains(story::WEBHOOK_URL), "{shown}");
    }
    assert_eq!(
        html.matches("<div class=\"received").count(),
        webhooks.len(),
        "the receiver's log beside the timeline"
    );
    assert_eq!(html.matches("class=\"hook-marker").count(), delivered);
    // Upgrades and rollbacks marked on both of load's charts, labelled, explained on hover, and
    // named in each chart's legend.
    for (kind, label, hover) in [
        ("Upgrade", "upgrade v2 ✓", "load upgraded to v2"),
        (
            "Rollback",
            "rollback of v3",
            "v3 rolled back: await readiness failed",
        ),
        ("Backup", "nightly backup", "the monitor took a "),
        (
            "Restore",
            "backup restored",
            "the nightly backup of load restored",
        ),
    ] {
        assert_eq!(
            html.matches(&format!("<g class=\"upgrade-marker {kind}\""))
                .count(),
            2,
            "{kind} on the cycles and memory charts"
        );
        assert_eq!(html.matches(&format!(">{label}</text>")).count(), 2);
        assert_eq!(html.matches(&format!("<title>{label} at ")).count(), 2);
        assert!(html.contains(hover), "{hover}");
        assert_eq!(
            html.matches(&format!("<g class=\"legend-mark {kind}\""))
                .count(),
            2
        );
    }
    // Axes in units people read, and every sample's value on hover.
    assert!(html.contains("class=\"axis value\"") && html.contains(" T cycles</text>"));
    assert!(html.contains(" MiB</text>") && html.contains("class=\"axis time\""));
    assert_eq!(
        html.matches("<circle class=\"point\"").count(),
        3 * journal.samples.len(),
        "one hover point per sample and series (cycles, heap, stable)"
    );
    let out = workspace().join("target/demo-test");
    std::fs::create_dir_all(&out).unwrap();
    let page = out.join("report.html");
    std::fs::write(&page, &html).unwrap();
    check_in_headless_browser(&page, delivered, journal.marks.len() * 2);
}

/// Events the monitor has delivered so far.
fn delivered_count(world: &mut World<SimIc>) -> usize {
    story::events(world, None)
        .unwrap()
        .iter()
        .filter(|e| matches!(e.delivery, DeliveryStatus::Delivered { .. }))
        .count()
}

/// The first run of 10 or more digits in `text` (a cycle or byte count printed raw).
fn long_digit_run(text: &str) -> Option<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() >= 10)
}

/// Renders the report in Debian's headless Chromium: the rendered DOM has one marker per hook
/// fired and `marks` upgrade or rollback marks, and a screenshot of the page is produced.
fn check_in_headless_browser(page: &std::path::Path, markers: usize, marks: usize) {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())
        .expect("a headless Chromium is needed (scripts/test.sh installs Debian's chromium)");
    let headless = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
    ];
    let dom = Command::new(browser)
        .args(headless)
        .arg("--dump-dom")
        .arg(page)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(
        dom.matches("<circle class=\"hook-marker").count(),
        markers,
        "rendered DOM"
    );
    assert_eq!(
        dom.matches("<g class=\"upgrade-marker").count(),
        marks,
        "rendered DOM"
    );
    let shot = page.with_extension("png");
    let _ = std::fs::remove_file(&shot);
    let status = Command::new(browser)
        .args(headless)
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=900,1600")
        .arg(page)
        .output()
        .unwrap();
    assert!(status.status.success());
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "the screenshot is not blank"
    );
}
