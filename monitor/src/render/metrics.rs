//! Prometheus text exposition of the monitor's counters and per-canister gauges.

use crate::api::{BackupsView, CanisterState, OperationView, Stats, WebhookStatus};
use crate::monitor::{memory_ids, SampleCost};
use crate::state::operations::OperationCounts;
use crate::state::watch::TriggerId;
use ic_metrics_encoder::MetricsEncoder;

/// Most canisters listed individually in `/metrics` and the status page.
pub const MAX_CANISTERS_SHOWN: usize = 1000;
/// Finished operations listed on the status page (running ones are all listed).
pub const OPERATIONS_SHOWN: usize = 10;

/// Everything `/metrics` and the status page show, gathered at one instant.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub now_ns: u64,
    pub stats: Stats,
    pub cycle_balance: u128,
    pub stable_memory_bytes: u64,
    pub heap_bytes: u64,
    pub polls_in_flight: u64,
    pub deliveries_in_flight: u64,
    /// Instructions spent on status samples (decode, decide, store) since the last upgrade.
    pub sample_instructions: SampleCost,
    /// Stable bytes of each structure, indexed by `MemoryId`.
    pub structure_bytes: Vec<u64>,
    /// Instructions the last install or upgrade hook took.
    pub install_instructions: u64,
    /// Instructions the last timer tick took to pick its due work, and the most since upgrade.
    pub tick_instructions: (u64, u64),
    pub canisters: Vec<CanisterState>,
    /// Lifecycle operations running now, then the latest finished ones.
    pub operations: Vec<OperationView>,
    /// How operations ended since installation, per kind.
    pub operation_counts: OperationCounts,
    /// The backups of each canister with a backup policy.
    pub backups: Vec<BackupsView>,
    /// Each webhook channel's deliveries (no URL).
    pub webhooks: Vec<WebhookStatus>,
    /// Webhook outcalls in flight.
    pub outcalls_in_flight: u64,
}

/// The snapshot in Prometheus text format.
pub fn encode(s: &Snapshot) -> std::io::Result<Vec<u8>> {
    let mut w = MetricsEncoder::new(vec![], (s.now_ns / 1_000_000) as i64);
    let st = &s.stats;
    w.encode_gauge(
        "monitor_registrations",
        st.registrations as f64,
        "Registered canisters.",
    )?;
    w.encode_counter(
        "monitor_polls_total",
        st.polls as f64,
        "Status samples processed.",
    )?;
    w.encode_counter(
        "monitor_poll_failures_total",
        st.poll_failures as f64,
        "Failed canister_status calls.",
    )?;
    w.encode_counter("monitor_events_total", st.events as f64, "Events raised.")?;
    w.encode_counter(
        "monitor_deliveries_total",
        st.deliveries as f64,
        "Events acknowledged by hooks.",
    )?;
    w.encode_counter(
        "monitor_delivery_failures_total",
        st.delivery_failures as f64,
        "Failed hook delivery attempts.",
    )?;
    w.encode_counter(
        "monitor_dead_lettered_total",
        st.dead_lettered as f64,
        "Events moved to the dead-letter queue.",
    )?;
    w.encode_counter(
        "monitor_redriven_total",
        st.redriven as f64,
        "Dead letters redriven.",
    )?;
    w.encode_counter(
        "monitor_errors_reported_total",
        st.errors_reported as f64,
        "report_error calls accepted.",
    )?;
    w.encode_counter(
        "monitor_top_ups_total",
        st.top_ups as f64,
        "Top-up deposits made.",
    )?;
    w.encode_counter(
        "monitor_top_up_cycles_total",
        st.top_up_cycles as f64,
        "Cycles deposited by top-ups.",
    )?;
    w.encode_gauge(
        "monitor_outbox_pending",
        st.outbox_pending as f64,
        "Events waiting for delivery.",
    )?;
    w.encode_gauge(
        "monitor_dead_letters",
        st.dead_letters as f64,
        "Dead letters held.",
    )?;
    w.encode_gauge(
        "monitor_polls_in_flight",
        s.polls_in_flight as f64,
        "Status calls in flight.",
    )?;
    w.encode_gauge(
        "monitor_deliveries_in_flight",
        s.deliveries_in_flight as f64,
        "Hook calls in flight.",
    )?;
    let cost = &s.sample_instructions;
    w.encode_gauge(
        "monitor_sample_instructions",
        cost.last as f64,
        "Instructions the last status sample took (decode, decide, store).",
    )?;
    w.encode_gauge(
        "monitor_sample_instructions_max",
        cost.max as f64,
        "Most instructions any status sample took since the last upgrade.",
    )?;
    w.encode_counter(
        "monitor_sample_instructions_sum",
        cost.sum as f64,
        "Instructions all status samples took since the last upgrade.",
    )?;
    w.encode_counter(
        "monitor_sample_instructions_count",
        cost.count as f64,
        "Status samples measured since the last upgrade.",
    )?;
    w.encode_gauge(
        "monitor_install_instructions",
        s.install_instructions as f64,
        "Instructions of the last init or post_upgrade.",
    )?;
    w.encode_gauge(
        "monitor_tick_instructions",
        s.tick_instructions.0 as f64,
        "Instructions the last timer tick took to pick its due polls and deliveries.",
    )?;
    w.encode_gauge(
        "monitor_tick_instructions_max",
        s.tick_instructions.1 as f64,
        "Most instructions a timer tick took since the last upgrade (the first rebuilds the heap index).",
    )?;
    w.encode_gauge(
        "monitor_cycle_balance",
        s.cycle_balance as f64,
        "The monitor's own cycle balance.",
    )?;
    w.encode_gauge(
        "monitor_stable_memory_bytes",
        s.stable_memory_bytes as f64,
        "The monitor's stable memory.",
    )?;
    w.encode_gauge(
        "monitor_heap_bytes",
        s.heap_bytes as f64,
        "The monitor's wasm heap.",
    )?;
    let mut g = w.gauge_vec(
        "monitor_structure_stable_bytes",
        "Stable memory each structure occupies (exact, not rounded to buckets).",
    )?;
    for (name, bytes) in memory_ids::NAMES.iter().zip(&s.structure_bytes) {
        g = g.value(&[("structure", name)], *bytes as f64)?;
    }
    let labels = |c: &CanisterState| {
        (
            c.registration.canister_id.to_text(),
            c.registration.label.clone(),
        )
    };
    let mut g = w.gauge_vec("canister_cycles", "Cycle balance at the last sample.")?;
    for c in &s.canisters {
        if let Some(smp) = &c.last_sample {
            let (id, label) = labels(c);
            g = g.value(&[("canister", &id), ("label", &label)], smp.cycles as f64)?;
        }
    }
    let mut g = w.gauge_vec("canister_memory_bytes", "Memory at the last sample.")?;
    for c in &s.canisters {
        if let Some(smp) = &c.last_sample {
            let (id, label) = labels(c);
            for (kind, v) in [
                ("heap", smp.heap_bytes),
                ("stable", smp.stable_bytes),
                ("total", smp.total_bytes),
            ] {
                g = g.value(
                    &[("canister", &id), ("label", &label), ("kind", kind)],
                    v as f64,
                )?;
            }
        }
    }
    per_canister(
        &mut w,
        s,
        "canister_burn_rate_cycles_per_day",
        "Estimated cycles burned per day.",
        |c| c.burn_rate_cycles_per_day,
    )?;
    per_canister(
        &mut w,
        s,
        "canister_pending_events",
        "Undelivered events per canister.",
        |c| c.pending_events as f64,
    )?;
    per_canister(
        &mut w,
        s,
        "canister_status_failures",
        "Consecutive failed status calls.",
        |c| c.consecutive_failures as f64,
    )?;
    encode_watching(&mut w, s)?;
    encode_operations(&mut w, s)?;
    encode_backups(&mut w, s)?;
    super::webhooks::encode(&mut w, &s.webhooks, s.outcalls_in_flight)?;
    Ok(w.into_inner())
}

/// Per canister: the monitor's access, cycles attached to hook calls, and the forecasts.
fn encode_watching(w: &mut MetricsEncoder<Vec<u8>>, s: &Snapshot) -> std::io::Result<()> {
    let mut g = w.gauge_vec(
        "canister_access",
        "1 for the access the monitor has (controller, status_viewer, lost, unknown).",
    )?;
    for c in &s.canisters {
        let id = c.registration.canister_id.to_text();
        g = g.value(
            &[("canister", &id), ("access", c.watching.access.name())],
            1.0,
        )?;
    }
    per_canister(
        w,
        s,
        "canister_hook_cycles_total",
        "Cycles attached to hook calls (minimum_incoming_canister_call_cycles).",
        |c| c.watching.hook_cycles_total as f64,
    )?;
    let mut g = w.gauge_vec(
        "canister_seconds_to_freezing",
        "Seconds until the balance reaches the freezing threshold at the current burn.",
    )?;
    for c in &s.canisters {
        if let Some(secs) = c.forecast.seconds_to_freezing {
            let id = c.registration.canister_id.to_text();
            g = g.value(&[("canister", &id)], secs as f64)?;
        }
    }
    let mut g = w.gauge_vec(
        "canister_seconds_to_memory_threshold",
        "Seconds until each memory threshold is reached at the current growth.",
    )?;
    for c in &s.canisters {
        let id = c.registration.canister_id.to_text();
        for m in &c.forecast.memory {
            if let Some(secs) = m.seconds_to_threshold {
                let metric = TriggerId::Memory(m.metric).name();
                g = g.value(&[("canister", &id), ("metric", metric)], secs as f64)?;
            }
        }
    }
    Ok(())
}

/// Lifecycle operations: started, running, and how they ended, per kind.
fn encode_operations(w: &mut MetricsEncoder<Vec<u8>>, s: &Snapshot) -> std::io::Result<()> {
    let c = &s.operation_counts;
    let kinds = [
        ("upgrade", c.upgrades),
        ("backup", c.backups),
        ("restore", c.restores),
    ];
    let mut started = w.counter_vec(
        "monitor_operations_started_total",
        "Lifecycle operations started, by kind.",
    )?;
    for (kind, n) in kinds {
        started = started.value(&[("kind", kind)], n.started as f64)?;
    }
    let mut running = w.gauge_vec(
        "monitor_operations_running",
        "Lifecycle operations running now, by kind.",
    )?;
    for (kind, _) in kinds {
        let n = s
            .operations
            .iter()
            .filter(|o| o.outcome.is_none() && o.kind.name() == kind)
            .count();
        running = running.value(&[("kind", kind)], n as f64)?;
    }
    let mut ended = w.counter_vec(
        "monitor_operations_total",
        "Lifecycle operations ended, by kind and outcome.",
    )?;
    for (kind, n) in kinds {
        for (outcome, count) in [
            ("succeeded", n.succeeded),
            ("aborted", n.aborted),
            ("rolled_back", n.rolled_back),
            ("needs_operator", n.needs_operator),
        ] {
            ended = ended.value(&[("kind", kind), ("outcome", outcome)], count as f64)?;
        }
    }
    Ok(())
}

/// Per canister with a backup policy: snapshot bytes, their storage cost, a failing backup.
fn encode_backups(w: &mut MetricsEncoder<Vec<u8>>, s: &Snapshot) -> std::io::Result<()> {
    let id = |b: &BackupsView| b.canister_id.to_text();
    let mut g = w.gauge_vec(
        "canister_snapshot_bytes",
        "Bytes of the canister's snapshots, as last listed.",
    )?;
    for b in &s.backups {
        g = g.value(&[("canister", &id(b))], b.snapshot_bytes as f64)?;
    }
    let mut g = w.gauge_vec(
        "canister_snapshot_cycles_per_day",
        "Cycles per day storing the canister's snapshots costs (13-node subnet fee).",
    )?;
    for b in &s.backups {
        g = g.value(&[("canister", &id(b))], b.snapshot_cycles_per_day as f64)?;
    }
    let mut g = w.gauge_vec(
        "canister_backup_failing",
        "1 while the canister's last backup failed.",
    )?;
    for b in &s.backups {
        g = g.value(
            &[("canister", &id(b))],
            f64::from(u8::from(b.last_failure.is_some())),
        )?;
    }
    Ok(())
}
/// One gauge per canister, labelled by canister id and label.
fn per_canister(
    w: &mut MetricsEncoder<Vec<u8>>,
    s: &Snapshot,
    name: &str,
    help: &str,
    value: impl Fn(&CanisterState) -> f64,
) -> std::io::Result<()> {
    let mut g = w.gauge_vec(name, help)?;
    for c in &s.canisters {
        let id = c.registration.canister_id.to_text();
        g = g.value(
            &[("canister", &id), ("label", &c.registration.label)],
            value(c),
        )?;
    }
    Ok(())
}
