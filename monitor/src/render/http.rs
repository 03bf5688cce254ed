//! `http_request`: `/metrics` (Prometheus) and a small HTML status page.

use crate::api::{BackupMode, HttpRequest, HttpResponse, Outcome, NS};
use crate::render::metrics::{self, Snapshot};
use canister_hooks_types::html::escape;
use canister_hooks_types::units;
use serde_bytes::ByteBuf;
use std::fmt::Write;

/// A response with `body` that no cache keeps.
pub fn response(status_code: u16, content_type: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status_code,
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("Content-Length".into(), body.len().to_string()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: ByteBuf::from(body),
    }
}

/// The path of `url`, without query string.
pub fn path(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or("/")
}

/// Answers `req`; `snapshot` is only called for routes that need it.
pub fn serve(req: &HttpRequest, snapshot: impl FnOnce() -> Snapshot) -> HttpResponse {
    if req.method != "GET" && req.method != "HEAD" {
        return response(405, "text/plain", b"only GET is served".to_vec());
    }
    match path(&req.url) {
        "/metrics" => match metrics::encode(&snapshot()) {
            Ok(body) => response(200, "text/plain; version=0.0.4", body),
            Err(e) => response(
                500,
                "text/plain",
                format!("failed to encode metrics: {e}").into_bytes(),
            ),
        },
        "/" | "/status" => response(
            200,
            "text/html; charset=utf-8",
            status_page(&snapshot()).into_bytes(),
        ),
        other => response(
            404,
            "text/plain",
            format!("{other} not found; try /metrics or /status").into_bytes(),
        ),
    }
}

/// The HTML status page.
pub fn status_page(s: &Snapshot) -> String {
    let st = &s.stats;
    let mut h = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>canister-hooks monitor</title>\
         <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td.l{text-align:left}\
         .bad{color:#b00}</style></head><body><h1>canister-hooks monitor</h1>",
    );
    let _ = write!(
        h,
        "<p>{} canisters · {} polls ({} failed) · {} events · {} delivered · {} pending · \
         {} dead letters · balance {}</p>",
        st.registrations,
        st.polls,
        st.poll_failures,
        st.events,
        st.deliveries,
        st.outbox_pending,
        st.dead_letters,
        units::cycles(s.cycle_balance)
    );
    h.push_str(
        "<table><tr><th>canister</th><th>label</th><th>cycles</th><th>burn/day</th><th>heap</th>\
         <th>stable</th><th>freezes in</th><th>memory threshold in</th><th>access</th>\
         <th>pending</th><th>fired</th><th>status</th></tr>",
    );
    for c in &s.canisters {
        let smp = c.last_sample.as_ref();
        let fired: Vec<&str> = c
            .triggers
            .iter()
            .filter(|t| !t.armed)
            .map(|t| t.name.as_str())
            .collect();
        let status = match (&c.last_failure, c.missing_hooks.is_empty()) {
            (Some(f), _) => format!("<span class=\"bad\">{}</span>", escape(f)),
            (None, false) => format!(
                "<span class=\"bad\">missing {}</span>",
                escape(&c.missing_hooks.join(", "))
            ),
            (None, true) => smp.map_or("not sampled".into(), |s| s.status.clone()),
        };
        let _ =
            write!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td>\
             <td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            escape(&c.registration.canister_id.to_text()),
            escape(&c.registration.label),
            smp.map_or("-".into(), |s| units::cycles(s.cycles)),
            units::cycles(c.burn_rate_cycles_per_day.max(0.0) as u128),
            smp.map_or("-".into(), |s| units::bytes(s.heap_bytes)),
            smp.map_or("-".into(), |s| units::bytes(s.stable_bytes)),
            c.forecast.seconds_to_freezing.map_or("-".into(), units::duration),
            c.forecast
                .memory
                .iter()
                .filter_map(|m| m.seconds_to_threshold)
                .min()
                .map_or("-".into(), units::duration),
            c.watching.access.name(),
            c.pending_events,
            escape(&fired.join(", ")),
            status
        );
    }
    h.push_str("</table>");
    operations_table(&mut h, s);
    backups_table(&mut h, s);
    super::webhooks::table(&mut h, &s.webhooks);
    h.push_str("<p><a href=\"/metrics\">/metrics</a></p></body></html>");
    h
}

/// One line per lifecycle operation: running ones with their step, finished ones with their
/// outcome.
fn operations_table(h: &mut String, s: &Snapshot) {
    if s.operations.is_empty() {
        return;
    }
    h.push_str(
        "<h2>Upgrades, backups, restores</h2><table><tr><th>#</th><th>kind</th><th>canister</th>\
         <th>started</th><th>duration</th><th>stopped</th><th>snapshot</th><th>state</th></tr>",
    );
    for o in &s.operations {
        let end = o.ended_at_ns.unwrap_or(s.now_ns);
        let state = match (&o.running, &o.outcome) {
            (Some(r), _) => format!("running: {}", r.step),
            (None, Some(out @ Outcome::Succeeded)) => out.to_string(),
            (None, Some(out)) => format!("<span class=\"bad\">{}</span>", escape(&out.to_string())),
            (None, None) => "-".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            o.id,
            o.kind.name(),
            escape(&o.canister_id.to_text()),
            units::utc(o.started_at_ns),
            units::duration(end.saturating_sub(o.started_at_ns) / NS),
            units::duration(o.target_stopped_ns / NS),
            o.snapshot_bytes.map_or("-".into(), units::bytes),
            state
        );
    }
    h.push_str("</table>");
}

/// One line per canister with a backup policy: the policy, what is kept, the next backup, the
/// last failure and what the snapshots cost.
fn backups_table(h: &mut String, s: &Snapshot) {
    if s.backups.is_empty() {
        return;
    }
    h.push_str(
        "<h2>Backups</h2><table><tr><th>canister</th><th>policy</th><th>kept</th><th>next</th>\
         <th>snapshots</th><th>storage/day</th><th>last failure</th></tr>",
    );
    for b in &s.backups {
        let policy = b.policy.map_or("-".into(), |p| {
            let window = p.window.map_or(String::new(), |w| {
                format!(" at {:02}-{:02} UTC", w.start_hour, w.end_hour)
            });
            let mode = match p.mode {
                BackupMode::Stopped => "stopped",
                BackupMode::Running => "running",
            };
            let every = units::duration(u64::from(p.interval_hours) * 3600);
            format!("every {every}{window}, keep {}, {mode}", p.keep)
        });
        let failure = b.last_failure.as_ref().map_or(String::new(), |f| {
            format!("<span class=\"bad\">{}</span>", escape(f))
        });
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td>\
             <td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            escape(&b.canister_id.to_text()),
            escape(&policy),
            b.backups.len(),
            b.next_at_ns.map_or("-".into(), units::utc),
            units::bytes(b.snapshot_bytes),
            units::cycles(b.snapshot_cycles_per_day),
            failure
        );
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::*;
    use crate::policy::validation::tests::canister;

    fn get(url: &str) -> HttpRequest {
        HttpRequest::get(url, None)
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            now_ns: 1_000_000_000,
            stats: Stats {
                registrations: 1,
                polls: 7,
                ..Default::default()
            },
            cycle_balance: 5_000_000_000_000,
            sample_instructions: crate::monitor::SampleCost {
                last: 200,
                max: 400,
                sum: 900,
                count: 3,
            },
            structure_bytes: vec![0, 0, 0, 65_536],
            tick_instructions: (10, 20),
            canisters: vec![CanisterState {
                registration: Registration {
                    canister_id: canister(1),
                    label: "<b>x</b>".into(),
                    cycles_threshold: Some(1),
                    memory: MemoryThresholds::default(),
                    hooks: Hooks::default(),
                    poll: Config::default().default_poll,
                    reminder_interval_seconds: None,
                    hysteresis_percent: 10,
                    top_up: None,
                    self_registered: false,
                    registered_at_ns: 0,
                    updated_at_ns: 0,
                },
                last_sample: Some(SampleView {
                    at_ns: 1,
                    cycles: 42,
                    heap_bytes: 1,
                    stable_bytes: 2,
                    total_bytes: 3,
                    wasm_memory_limit: 0,
                    freezing_reserve_cycles: 0,
                    status: "running".into(),
                }),
                burn_rate_cycles_per_day: 10.0,
                heap_growth_bytes_per_day: 0.0,
                stable_growth_bytes_per_day: 0.0,
                next_poll_ns: 0,
                polls: 7,
                triggers: vec![TriggerView {
                    name: "low_cycles".into(),
                    armed: false,
                    last_fired_ns: Some(1),
                }],
                consecutive_failures: 0,
                last_failure: None,
                missing_hooks: vec![],
                topped_up_today: 0,
                topped_up_total: 0,
                pending_events: 2,
                watching: WatchingView::default(),
                forecast: Forecast::default(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn metrics_are_served_in_prometheus_format() {
        let r = serve(&get("/metrics?x=1"), snapshot);
        assert_eq!(r.status_code, 200);
        let body = String::from_utf8(r.body.into_vec()).unwrap();
        assert!(body.contains("# TYPE monitor_polls_total counter"));
        assert!(body.contains("monitor_polls_total 7 1000"));
        assert!(body.contains(&format!(
            "canister_cycles{{canister=\"{}\",label=\"<b>x</b>\"}} 42",
            canister(1)
        )));
        assert!(body.contains("canister_pending_events"));
        assert!(body.contains("monitor_sample_instructions_max"));
        assert!(body.contains("monitor_sample_instructions_sum 900 1000"));
        assert!(body.contains("monitor_sample_instructions_count 3 1000"));
        assert!(body.contains("monitor_tick_instructions_max 20 1000"));
        assert!(body
            .contains("monitor_structure_stable_bytes{structure=\"canister_index\"} 65536 1000"));
    }

    /// Checks that `text` contains each of `parts`.
    fn assert_contains_all<S: AsRef<str>>(text: &str, parts: impl IntoIterator<Item = S>) {
        for part in parts {
            let part = part.as_ref();
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }

    /// The `/metrics` text of `s`.
    fn metrics_of(s: &Snapshot) -> String {
        String::from_utf8(metrics::encode(s).unwrap()).unwrap()
    }

    #[test]
    fn the_status_page_reads_in_t_cycles_and_mib() {
        let mut s = snapshot();
        let sample = s.canisters[0].last_sample.as_mut().unwrap();
        sample.cycles = 98_999_940_355_682;
        sample.heap_bytes = 12_058_624;
        sample.stable_bytes = 8 << 20;
        s.canisters[0].burn_rate_cycles_per_day = 2.5e9;
        let body = status_page(&s);
        assert_contains_all(
            &body,
            [
                "99.0 T cycles",
                "11.5 MiB",
                "8.0 MiB",
                "2.5 B cycles",
                "balance 5.0 T cycles",
            ],
        );
        assert!(!body.contains("98999940355682") && !body.contains("12058624"));
    }

    /// A snapshot whose canister is a status viewer freezing in 4.5 days, its heap threshold 3 h
    /// away.
    fn forecasting() -> Snapshot {
        let mut s = snapshot();
        let c = &mut s.canisters[0];
        c.watching.access = WatchAccess::StatusViewer;
        c.watching.hook_cycles_total = 2_000_000;
        c.forecast = Forecast {
            seconds_to_freezing: Some(388_800),
            memory: vec![MemoryForecast {
                metric: MemoryMetric::Heap,
                threshold: 1 << 30,
                seconds_to_threshold: Some(10_800),
            }],
        };
        s
    }

    #[test]
    fn forecasts_and_access_are_metrics_in_seconds() {
        let body = metrics_of(&forecasting());
        let id = canister(1);
        assert_contains_all(&body, [
            format!("canister_seconds_to_freezing{{canister=\"{id}\"}} 388800"),
            format!(
                "canister_seconds_to_memory_threshold{{canister=\"{id}\",metric=\"memory.heap\"}} 10800"
            ),
            format!("canister_access{{canister=\"{id}\",access=\"status_viewer\"}} 1"),
            format!("canister_hook_cycles_total{{canister=\"{id}\",label=\"<b>x</b>\"}} 2000000"),
        ]);
    }

    #[test]
    fn the_status_page_shows_forecasts_in_days_and_hours_and_the_access() {
        let body = status_page(&forecasting());
        assert_contains_all(&body, ["4 d 12 h", "3 h", "status_viewer"]);
    }

    #[test]
    fn the_status_page_lists_canisters_escaped() {
        let r = serve(&get("/"), snapshot);
        let body = String::from_utf8(r.body.into_vec()).unwrap();
        assert!(body.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(!body.contains("<b>x</b>"));
        assert!(body.contains("low_cycles"));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Content-Type" && v.starts_with("text/html")));
    }

    fn operation(id: u64, outcome: Option<Outcome>) -> OperationView {
        let step = Step {
            kind: StepKind::Drain,
            on: StepOn::Target,
        };
        OperationView {
            id,
            kind: OperationKind::Upgrade {
                wasm_module_hash: vec![1; 32],
                rehearse_on: None,
            },
            canister_id: canister(1),
            started_by: canister(9),
            started_at_ns: 1_800_000_000 * NS,
            running: outcome.is_none().then(|| RunningStep {
                step,
                phase: PipelinePhase::Main,
                started_at_ns: 0,
                deadline_ns: 0,
                attempts: 1,
                last_seen: String::new(),
            }),
            ended_at_ns: outcome.as_ref().map(|_| 1_800_000_075 * NS),
            outcome,
            steps: vec![],
            snapshot_id: Some(vec![1]),
            snapshot_bytes: Some(27 << 20),
            replaced_snapshot_id: None,
            deleted_snapshot_ids: vec![],
            target_stopped_ns: 4 * NS,
        }
    }

    #[test]
    fn operations_are_listed_with_their_step_or_outcome_in_seconds() {
        let mut s = snapshot();
        s.now_ns = 1_800_000_030 * NS;
        s.operations = vec![
            operation(3, None),
            operation(
                2,
                Some(Outcome::RolledBack {
                    step: StepKind::AwaitReady,
                    reason: "<never ready>".into(),
                }),
            ),
        ];
        s.operation_counts.upgrades.rolled_back = 1;
        s.operation_counts.upgrades.started = 2;
        let page = status_page(&s);
        assert_contains_all(
            &page,
            [
                "<h2>Upgrades, backups, restores</h2>",
                "running: drain calls",
                "30 s",
                "1 min 15 s",
                "4 s",
                "27.0 MiB",
                "rolled back after await readiness failed: &lt;never ready&gt;",
                "2027-01-15 08:00:00 UTC",
            ],
        );
        let metrics = metrics_of(&s);
        assert_contains_all(
            &metrics,
            [
                "monitor_operations_total{kind=\"upgrade\",outcome=\"rolled_back\"} 1",
                "monitor_operations_running{kind=\"upgrade\"} 1",
                "monitor_operations_started_total{kind=\"upgrade\"} 2",
            ],
        );
        assert!(
            !status_page(&snapshot()).contains("Upgrades"),
            "no section without operations"
        );
    }

    #[test]
    fn backups_show_their_policy_next_run_failure_and_storage_cost() {
        let mut s = snapshot();
        s.backups = vec![BackupsView {
            canister_id: canister(1),
            policy: Some(BackupPolicy {
                interval_hours: 24,
                window: Some(BackupWindow {
                    start_hour: 3,
                    end_hour: 4,
                }),
                keep: 7,
                mode: BackupMode::Stopped,
                replace_any: false,
            }),
            backups: vec![],
            next_at_ns: Some(1_800_000_000 * NS),
            last_failure: Some("drain <timed out>".into()),
            snapshot_bytes: 100 << 20,
            snapshot_cycles_per_day: 1_071_562_500,
        }];
        let page = status_page(&s);
        assert_contains_all(
            &page,
            [
                "<h2>Backups</h2>",
                "every 1 d at 03-04 UTC, keep 7, stopped",
                "2027-01-15 08:00:00 UTC",
                "100.0 MiB",
                "1.1 B cycles",
                "drain &lt;timed out&gt;",
            ],
        );
        let metrics = metrics_of(&s);
        let id = canister(1).to_text();
        assert_contains_all(
            &metrics,
            [
                format!("canister_snapshot_bytes{{canister=\"{id}\"}} 104857600"),
                format!("canister_snapshot_cycles_per_day{{canister=\"{id}\"}} 1071562500"),
                format!("canister_backup_failing{{canister=\"{id}\"}} 1"),
            ],
        );
    }

    #[test]
    fn unknown_paths_and_methods_are_refused() {
        assert_eq!(serve(&get("/nope"), || unreachable!()).status_code, 404);
        let mut post = get("/metrics");
        post.method = "POST".into();
        assert_eq!(serve(&post, || unreachable!()).status_code, 405);
    }
}
