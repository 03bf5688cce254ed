//! The scripted story, one function per chapter. Each chapter drives the emulator, writes to
//! the journal and returns what it observed, so tests can assert on the same run the demo shows.

use crate::journal::{Journal, Sample, NS};
use crate::world::{Modules, World};
use candid::Principal;
use canister_hooks::units;
use canister_hooks_testkit::examples::{HookMode, LoadClient};
use canister_hooks_testkit::monitor::{
    register_args, CanisterState, ConfigUpdate, DeliveryStatus, EventKind, EventRecord, HookEvent,
    MemoryThresholds, PollBounds, RegisterArgs, Registration,
};
use canister_hooks_testkit::{Ic, RejectResponse};
use std::time::Duration;

mod alerts;
mod backups;
mod upgrades;
pub use alerts::{webhook_rate_limit, WEBHOOK_CHANNEL, WEBHOOK_URL};
pub use backups::{backups, BackupsOutcome};
pub use upgrades::{upgrades, UpgradeRun, UpgradesOutcome, PIPELINE_TIMEOUTS};

/// A reject as the story reports it: its message.
fn message(reject: RejectResponse) -> String {
    reject.reject_message
}

/// The monitor's configuration for the story: short intervals so minutes of emulated time
/// show every behaviour.
pub fn monitor_config() -> ConfigUpdate {
    ConfigUpdate {
        min_interval_floor_seconds: Some(10),
        call_timeout_seconds: Some(20),
        backoff_base_seconds: Some(5),
        backoff_max_seconds: Some(60),
        delivery_max_attempts: Some(4),
        ..Default::default()
    }
}

/// Creates the world with the monitor installed.
pub fn setup<I: Ic>(ic: I, modules: &Modules, echo: bool) -> (World<I>, Journal) {
    let world = World::new(ic, modules, monitor_config());
    let journal = Journal::new(world.now_ns(), echo);
    (world, journal)
}

/// What the readiness chapter saw.
pub struct GateOutcome {
    /// The rejection a client got before post-init finished.
    pub early_rejection: String,
    /// Rounds until the gated canister reported ready.
    pub rounds_to_ready: u32,
    /// The greeting served once ready (built from the configuration fetched at post-init).
    pub greeting: String,
}

/// Chapter 1: install the examples; the gated canister refuses calls until raw_rand seeding and
/// its configuration fetch are done, then serves.
pub fn readiness<I: Ic>(
    world: &mut World<I>,
    modules: &Modules,
    journal: &mut Journal,
) -> Result<GateOutcome, String> {
    const CH: &str = "readiness";
    world.install_examples(modules);
    journal.note(
        world.now_ns(),
        CH,
        "installed worker, gated and load (monitor installed before)",
    );
    let early_rejection = match world.gated().greet("demo") {
        Err(reject) => reject.reject_message,
        Ok(greeting) => {
            return Err(format!(
                "gated served `{greeting}` before post-init finished"
            ))
        }
    };
    journal.note(
        world.now_ns(),
        CH,
        format!("gated before ready: rejected: {early_rejection}"),
    );
    let rounds_to_ready = world
        .gated()
        .wait_ready(100, Duration::ZERO)
        .map_err(|readiness| format!("gated not ready after 100 rounds: {readiness:?}"))?;
    let greeting = world.gated().greet("demo").map_err(message)?;
    journal.note(
        world.now_ns(),
        CH,
        format!("gated ready after {rounds_to_ready} rounds (seed_rng, fetch_config); greet -> {greeting:?}"),
    );
    Ok(GateOutcome {
        early_rejection,
        rounds_to_ready,
        greeting,
    })
}

/// Heap threshold above the load canister's heap at registration.
pub const LOAD_HEAP_HEADROOM: u64 = 8 * 1024 * 1024;
/// Stable-memory threshold above the load canister's stable memory at registration.
pub const LOAD_STABLE_HEADROOM: u64 = 64 * 1024 * 1024;
/// Cycles under the load canister's starting balance at which `on_low_cycles` fires.
pub const LOAD_CYCLES_MARGIN: u128 = 1_000_000_000_000;

/// Chapter 2: the operator registers the three targets with the monitor and adds a webhook
/// channel for people.
pub fn register<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
) -> Result<Vec<Registration>, String> {
    const CH: &str = "register";
    let poll = Some(PollBounds {
        min_interval_seconds: 30,
        max_interval_seconds: 300,
    });
    let load = world.meter(world.ids.load)?;
    let requests = [
        register_args(world.ids.worker, "worker", Some(1_000_000_000_000), poll),
        register_args(world.ids.gated, "gated", Some(1_000_000_000_000), poll),
        RegisterArgs {
            memory: Some(MemoryThresholds {
                heap_bytes: Some(load.heap_bytes + LOAD_HEAP_HEADROOM),
                stable_bytes: Some(load.stable_bytes + LOAD_STABLE_HEADROOM),
                ..Default::default()
            }),
            ..register_args(
                world.ids.load,
                "load",
                Some(load.cycles - LOAD_CYCLES_MARGIN),
                poll,
            )
        },
    ];
    let mut registrations = Vec::new();
    for args in requests {
        let label = args.label.clone().unwrap_or_default();
        let registration = world
            .monitor()
            .register(args)
            .map_err(message)?
            .map_err(|e| format!("registering {label}: {e:?}"))?;
        journal.note(
            world.now_ns(),
            CH,
            format!("registered {label} ({})", registration.canister_id),
        );
        registrations.push(registration);
    }
    alerts::add_webhook_channel(world, journal, CH)?;
    Ok(registrations)
}

/// What a chapter that waits for a hook saw.
pub struct HookOutcome {
    /// The monitor's record of the event, delivered.
    pub event: EventRecord,
    /// Emulated seconds from the chapter's start to delivery.
    pub seconds: u64,
}

/// Chapter 3: the load canister burns cycles every minute until the monitor's `on_low_cycles`
/// reaches it.
pub fn burn_cycles<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
) -> Result<HookOutcome, String> {
    let what = "load burns 250 B cycles a minute";
    load_chapter(
        world,
        journal,
        "cycles",
        what,
        EventKind::LowCycles,
        |load| {
            load.burn_cycles(250_000_000_000)
                .map(|_| ())
                .map_err(message)
        },
    )
}

/// Chapter 4: the load canister's heap grows 2 MiB a minute until `on_low_memory` reaches it.
pub fn grow_memory<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
) -> Result<HookOutcome, String> {
    let what = "load grows its heap 2 MiB a minute";
    load_chapter(
        world,
        journal,
        "memory",
        what,
        EventKind::LowMemory,
        |load| {
            load.grow_heap(2 * 1024 * 1024)
                .map_err(message)?
                .map(|_| ())
        },
    )
}

/// A chapter where the load canister does `each_minute` (told as `what`) until an event of
/// `kind` is delivered to it, for at most an hour.
fn load_chapter<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    chapter: &'static str,
    what: &str,
    kind: EventKind,
    mut each_minute: impl FnMut(&LoadClient<'_, I>) -> Result<(), String>,
) -> Result<HookOutcome, String> {
    journal.note(world.now_ns(), chapter, what);
    let load = world.ids.load;
    wait_for_event(world, journal, chapter, load, kind, 60, |world| {
        each_minute(&world.load())
    })
}

/// What the trapping-timer chapter saw.
pub struct TrapOutcome {
    pub hook: HookOutcome,
    /// The worker's own count of `on_error` events handled.
    pub errors_seen_by_worker: u64,
}

/// Chapter 5: a poison job makes the worker's `process` timer trap; the SDK captures it, reports
/// it to the monitor, and the monitor delivers `on_error` back to the worker.
pub fn trapping_timer<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
) -> Result<TrapOutcome, String> {
    const CH: &str = "trap";
    world.receiver.borrow_mut().fail_next();
    journal.note(
        world.now_ns(),
        CH,
        "the webhook receiver will answer its next message 500 (the monitor retries it)",
    );
    let keys = world.worker().submit(vec![1666]).map_err(message)?;
    journal.note(
        world.now_ns(),
        CH,
        format!("submitted poison job {keys:?} to the worker"),
    );
    let hook = wait_for_event(
        world,
        journal,
        CH,
        world.ids.worker,
        EventKind::Error,
        10,
        |_| Ok(()),
    )?;
    for key in keys {
        world.worker().discard(key).map_err(message)?;
    }
    let stats = world.worker().stats().map_err(message)?;
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "poison job discarded; worker has handled {} on_error event(s)",
            stats.ledger.errors_seen
        ),
    );
    Ok(TrapOutcome {
        hook,
        errors_seen_by_worker: stats.ledger.errors_seen,
    })
}

/// What the outage chapter saw.
pub struct OutageOutcome {
    /// How long stopping the monitor took while its call to the silent target was open.
    pub monitor_stop_wait: Duration,
    /// The dead letter's reason.
    pub dead_letter_reason: String,
    /// Attempts made before giving up.
    pub attempts: u32,
    /// The event, delivered after the redrive.
    pub redelivered: EventRecord,
}

/// Chapter 6: the load canister stops answering (its hook handlers hang). Its next event is
/// retried; the monitor is stopped and upgraded while a delivery is open, which works because
/// every call it makes is bounded-wait; the event is dead-lettered, and a redrive delivers it
/// once the canister answers again.
pub fn outage<I: Ic>(
    world: &mut World<I>,
    modules: &Modules,
    journal: &mut Journal,
) -> Result<OutageOutcome, String> {
    const CH: &str = "outage";
    world
        .load()
        .set_hook_mode(HookMode::Slow(u32::MAX))
        .map_err(message)?;
    journal.note(
        world.now_ns(),
        CH,
        "load stops answering: its hook handlers hang (they wait round after round)",
    );
    world
        .load()
        .grow_stable(LOAD_STABLE_HEADROOM + 65536)
        .map_err(message)?
        .map_err(|e| format!("grow_stable: {e}"))?;
    journal.note(
        world.now_ns(),
        CH,
        "load grew stable memory past its threshold",
    );
    let mut monitor_stop_wait = None;
    let mut dead = None;
    for _ in 0..120 {
        world.run_for(Duration::from_secs(10), 1);
        record_samples(world, journal);
        if monitor_stop_wait.is_none() && pending_for(world, world.ids.load)? {
            monitor_stop_wait = Some(upgrade_monitor(world, modules, journal)?);
        }
        let letters = world
            .monitor()
            .dead_letters(Some(world.ids.load))
            .map_err(message)?;
        if let Some(letter) = letters.into_iter().next() {
            dead = Some(letter);
            break;
        }
    }
    let Some(letter) = dead else {
        let state: Option<CanisterState> = world
            .monitor()
            .canister_state(world.ids.load)
            .map_err(message)?;
        return Err(format!(
            "no dead letter for load after 20 minutes; monitor's view of load: {state:?}; events: {:?}",
            events(world, Some(world.ids.load))?
        ));
    };
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "event {} dead-lettered after {} attempts: {}",
            letter.id, letter.attempts, letter.reason
        ),
    );
    world
        .load()
        .set_hook_mode(HookMode::Normal)
        .map_err(message)?;
    let redriven = world
        .monitor()
        .redrive_canister(world.ids.load)
        .map_err(message)?
        .map_err(|e| format!("redrive: {e:?}"))?;
    journal.note(
        world.now_ns(),
        CH,
        format!("load answers again; redrove {redriven} dead letter(s)"),
    );
    let mut redelivered = None;
    for _ in 0..60 {
        world.run_for(Duration::from_secs(10), 1);
        record_samples(world, journal);
        redelivered = events(world, Some(world.ids.load))?.into_iter().find(|e| {
            e.event.id() == letter.event.id()
                && matches!(e.delivery, DeliveryStatus::Delivered { .. })
        });
        if redelivered.is_some() {
            break;
        }
    }
    let redelivered = redelivered.ok_or("the redriven event was not delivered")?;
    journal.note(
        world.now_ns(),
        CH,
        format!("event {} delivered after the redrive", letter.event.id()),
    );
    Ok(OutageOutcome {
        monitor_stop_wait: monitor_stop_wait.ok_or("the monitor was never upgraded")?,
        dead_letter_reason: letter.reason,
        attempts: letter.attempts,
        redelivered,
    })
}

/// Stops, upgrades and restarts the monitor the way an operator should; returns how long the
/// stop waited for the monitor's open calls.
fn upgrade_monitor<I: Ic>(
    world: &mut World<I>,
    modules: &Modules,
    journal: &mut Journal,
) -> Result<Duration, String> {
    const CH: &str = "outage";
    let waited = world
        .stop(world.ids.monitor, Duration::from_secs(1))
        .map_err(|e| format!("stopping the monitor: {e}"))?;
    let (monitor, admin) = (world.ids.monitor, world.admin);
    world
        .ic
        .upgrade_canister(
            monitor,
            modules.monitor.clone(),
            candid::encode_one(None::<()>).expect("encode"),
            Some(admin),
        )
        .map_err(|e| format!("monitor upgrade: {}", e.reject_message))?;
    world.start(monitor)?;
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "monitor stopped (in {} s: its open call to load timed out), upgraded and started with a delivery to load pending",
            waited.as_secs()
        ),
    );
    Ok(waited)
}

/// Every event in the monitor's history (newest first), optionally for one canister.
pub fn events<I: Ic>(
    world: &mut World<I>,
    canister: Option<Principal>,
) -> Result<Vec<EventRecord>, String> {
    world.monitor().events(canister).map_err(message)
}

fn pending_for<I: Ic>(world: &mut World<I>, canister: Principal) -> Result<bool, String> {
    Ok(events(world, Some(canister))?
        .iter()
        .any(|e| e.delivery == DeliveryStatus::Pending))
}

/// Runs minute by minute, calling `each_minute`, until an event of `kind` for `canister` is
/// delivered.
fn wait_for_event<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    chapter: &'static str,
    canister: Principal,
    kind: EventKind,
    max_minutes: u32,
    each_minute: impl FnMut(&mut World<I>) -> Result<(), String>,
) -> Result<HookOutcome, String> {
    let known = event_ids(world, canister)?;
    let awaited = Awaited {
        canister,
        what: kind.endpoint().to_string(),
        matches: &|e: &EventRecord| !known.contains(&e.id) && e.event.kind() == kind,
    };
    wait_until_delivered(world, journal, chapter, awaited, max_minutes, each_minute)
}

/// An event awaited for `canister`: `what` it is, as told, and which records are it.
struct Awaited<'a> {
    canister: Principal,
    what: String,
    matches: &'a dyn Fn(&EventRecord) -> bool,
}

/// Ids of the events in the monitor's history for `canister`.
fn event_ids<I: Ic>(world: &mut World<I>, canister: Principal) -> Result<Vec<u64>, String> {
    Ok(events(world, Some(canister))?
        .iter()
        .map(|e| e.id)
        .collect())
}

/// Runs minute by minute, calling `each_minute`, until the `awaited` event is delivered.
fn wait_until_delivered<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    chapter: &'static str,
    awaited: Awaited,
    max_minutes: u32,
    mut each_minute: impl FnMut(&mut World<I>) -> Result<(), String>,
) -> Result<HookOutcome, String> {
    let start = world.now_ns();
    for _ in 0..max_minutes {
        each_minute(world)?;
        for _ in 0..6 {
            world.run_for(Duration::from_secs(10), 1);
            let delivered = events(world, Some(awaited.canister))?
                .into_iter()
                .find(|e| {
                    (awaited.matches)(e) && matches!(e.delivery, DeliveryStatus::Delivered { .. })
                });
            if let Some(event) = delivered {
                record_samples(world, journal);
                let seconds = (world.now_ns() - start) / NS;
                journal.note(
                    world.now_ns(),
                    chapter,
                    format!(
                        "{} delivered: {}",
                        event.event.kind().endpoint(),
                        describe(&event)
                    ),
                );
                return Ok(HookOutcome { event, seconds });
            }
        }
        record_samples(world, journal);
    }
    Err(format!(
        "no {} delivered within {max_minutes} minutes",
        awaited.what
    ))
}

fn describe(record: &EventRecord) -> String {
    match &record.event {
        HookEvent::LowCycles(e) => format!(
            "event {}: balance {} under threshold {}, burning {} a day",
            e.id,
            units::cycles(e.balance),
            units::cycles(e.threshold),
            units::cycles(e.burn_rate_per_day)
        ),
        HookEvent::LowMemory(e) => format!(
            "event {}: {:?} at {} over threshold {}",
            e.id,
            e.metric,
            units::bytes(e.value),
            units::bytes(e.threshold)
        ),
        HookEvent::Error(e) => format!(
            "event {}: {:?}: {}",
            e.id,
            e.source,
            shorten_hashes(&e.message)
        ),
    }
}

/// `text` with every hash written in full (32 hex digits or more) cut to its first 8 (`3a9626d5…`).
fn shorten_hashes(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() >= 32 {
            out.push_str(&run[..8]);
            out.push('…');
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Samples every target's cycles and memory into the journal.
pub fn record_samples<I: Ic>(world: &mut World<I>, journal: &mut Journal) {
    for (name, canister) in world.ids.targets() {
        if let Ok(meter) = world.meter(canister) {
            let at_secs = journal.secs(world.now_ns());
            journal.sample(Sample {
                at_secs,
                canister: name,
                cycles: meter.cycles,
                heap_bytes: meter.heap_bytes,
                stable_bytes: meter.stable_bytes,
            });
        }
    }
}
