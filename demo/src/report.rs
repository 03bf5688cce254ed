//! The demo's outputs: the summary table printed at the end and a self-contained HTML report
//! with a chart of cycles and memory over time per canister, thresholds drawn, a marker where
//! each hook fired and a line where the canister was upgraded or rolled back, then the timeline
//! with the webhook receiver's log beside it.

use crate::journal::{Journal, Mark, MarkKind, Sample};
use crate::receiver::ReceivedMessage;
use canister_hooks::units;
use canister_hooks_testkit::monitor::{DeliveryStatus, EventKind, EventRecord, Registration};
use std::fmt::Write;

/// What the report shows for one watched canister.
pub struct CanisterReport<'a> {
    pub name: &'static str,
    pub registration: &'a Registration,
    pub events: Vec<&'a EventRecord>,
}

/// A hook delivery drawn on a chart.
struct Marker {
    at_secs: u64,
    kind: EventKind,
    id: u64,
}

fn delivered_markers(events: &[&EventRecord], journal: &Journal) -> Vec<Marker> {
    events
        .iter()
        .filter_map(|e| match e.delivery {
            DeliveryStatus::Delivered { at_ns, .. } => Some(Marker {
                at_secs: journal.secs(at_ns),
                kind: e.event.kind(),
                id: e.id,
            }),
            _ => None,
        })
        .collect()
}

/// The per-canister summary table.
pub fn summary_table(canisters: &[CanisterReport], journal: &Journal) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<8} {:>16} {:>10} {:>10} {:>11} {:>11} {:>8} {:>12}",
        "canister",
        "cycles",
        "heap",
        "stable",
        "low_cycles",
        "low_memory",
        "on_error",
        "dead letters"
    );
    for c in canisters {
        let last = journal.samples.iter().rev().find(|s| s.canister == c.name);
        let count = |kind: EventKind| {
            c.events
                .iter()
                .filter(|e| {
                    e.event.kind() == kind && matches!(e.delivery, DeliveryStatus::Delivered { .. })
                })
                .count()
        };
        let dead = c
            .events
            .iter()
            .filter(|e| matches!(e.delivery, DeliveryStatus::DeadLettered { .. }))
            .count();
        let (cycles, heap, stable) = last
            .map(|s| {
                (
                    units::cycles(s.cycles),
                    units::bytes(s.heap_bytes),
                    units::bytes(s.stable_bytes),
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<8} {:>16} {:>10} {:>10} {:>11} {:>11} {:>8} {:>12}",
            c.name,
            cycles,
            heap,
            stable,
            count(EventKind::LowCycles),
            count(EventKind::LowMemory),
            count(EventKind::Error),
            dead
        );
    }
    out
}

/// `[  mm:ss] channel  status  key  text`: one line of the webhook receiver's log.
pub fn format_received(journal: &Journal, message: &ReceivedMessage) -> String {
    let at_secs = journal.secs(message.at_ns);
    format!(
        "[{:>4}:{:02}] {:<10} {}  {}  {}",
        at_secs / 60,
        at_secs % 60,
        message.channel,
        message.status,
        message.key,
        message.text
    )
}

/// The webhook receiver's log as text.
pub fn receiver_log(journal: &Journal, log: &[ReceivedMessage]) -> String {
    let mut out = String::new();
    for message in log {
        let _ = writeln!(out, "{}", format_received(journal, message));
    }
    out
}

/// The timeline and the webhook receiver's log side by side: one row per moment (emulated
/// `mm:ss`), the story's notes on the left, the messages the receiver got on the right.
fn timeline_with_receiver(journal: &Journal, log: &[ReceivedMessage]) -> String {
    let mut moments: Vec<u64> = journal
        .entries
        .iter()
        .map(|e| e.at_secs)
        .chain(log.iter().map(|m| journal.secs(m.at_ns)))
        .collect();
    moments.sort_unstable();
    moments.dedup();
    let mut rows = String::new();
    for at in moments {
        let notes: String = journal
            .entries
            .iter()
            .filter(|e| e.at_secs == at)
            .map(|e| {
                format!(
                    "<div><code>{:<10} {}</code></div>",
                    e.chapter,
                    canister_hooks::html::escape(&e.text)
                )
            })
            .collect();
        let received: String = log
            .iter()
            .filter(|m| journal.secs(m.at_ns) == at)
            .map(|m| {
                let class = match (m.status, m.is_digest()) {
                    (200..=299, true) => "received digest",
                    (200..=299, false) => "received",
                    _ => "received refused",
                };
                format!(
                    "<div class=\"{class}\"><code>#{} <b>{}</b> {} <span class=\"key\">{}</span></code>\
<div class=\"text\">{}</div></div>",
                    canister_hooks::html::escape(&m.channel),
                    m.status,
                    if m.is_digest() { "digest" } else { "" },
                    canister_hooks::html::escape(&m.key),
                    canister_hooks::html::escape(&m.text)
                )
            })
            .collect();
        let _ = write!(
            rows,
            "<tr><td><code>{}</code></td><td>{notes}</td><td>{received}</td></tr>",
            clock(at)
        );
    }
    format!(
        "<table class=\"timeline\"><thead><tr><th>time</th><th>timeline</th>\
<th>webhook receiver (the emulator's mock of the channel's server)</th></tr></thead>\
<tbody>{rows}</tbody></table>"
    )
}

/// The HTML report; `webhooks` is the webhook receiver's log.
pub fn html(
    canisters: &[CanisterReport],
    journal: &Journal,
    webhooks: &[ReceivedMessage],
) -> String {
    let mut body = String::new();
    for c in canisters {
        let samples: Vec<&Sample> = journal
            .samples
            .iter()
            .filter(|s| s.canister == c.name)
            .collect();
        let markers = delivered_markers(&c.events, journal);
        let marks: Vec<&Mark> = journal
            .marks
            .iter()
            .filter(|m| m.canister == c.name)
            .collect();
        let _ = write!(
            body,
            "<section><h2>{} <small>{}</small></h2>",
            c.name, c.registration.canister_id
        );
        let cycles: Vec<(u64, f64)> = samples
            .iter()
            .map(|s| (s.at_secs, s.cycles as f64))
            .collect();
        body.push_str(&chart(
            "cycles",
            &|v| units::cycles(v.max(0.0) as u128),
            &[Series {
                name: "balance",
                points: cycles,
                threshold: c.registration.cycles_threshold.map(|t| t as f64),
            }],
            markers.iter().filter(|m| m.kind != EventKind::LowMemory),
            &marks,
        ));
        let memory = c.registration.memory;
        let bytes_threshold = |t: Option<u64>| t.map(|b| b as f64);
        body.push_str(&chart(
            "memory",
            &|v| units::bytes(v.max(0.0) as u64),
            &[
                Series {
                    name: "heap",
                    points: samples
                        .iter()
                        .map(|s| (s.at_secs, s.heap_bytes as f64))
                        .collect(),
                    threshold: bytes_threshold(memory.heap_bytes),
                },
                Series {
                    name: "stable",
                    points: samples
                        .iter()
                        .map(|s| (s.at_secs, s.stable_bytes as f64))
                        .collect(),
                    threshold: bytes_threshold(memory.stable_bytes),
                },
            ],
            markers.iter().filter(|m| m.kind == EventKind::LowMemory),
            &marks,
        ));
        body.push_str("</section>");
    }
    let timeline = timeline_with_receiver(journal, webhooks);
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>canister-hooks demo</title>\
<style>body{{font-family:sans-serif;margin:2em}}svg{{background:#fafafa;border:1px solid #ddd;margin:.5em 0}}\
.threshold{{stroke:#c00;stroke-dasharray:6 4}}.series{{fill:none;stroke-width:2}}\
.grid{{stroke:#e4e4e4}}.axis{{font-size:11px;fill:#555}}.point{{fill:transparent}}.point:hover{{fill:#236}}\
.hook-marker.LowCycles{{fill:#e80}}.hook-marker.LowMemory{{fill:#a0a}}.hook-marker.Error{{fill:#c00}}\
line.Upgrade{{stroke:#17b}}line.Rollback{{stroke:#c30;stroke-dasharray:4 3}}\
line.Backup{{stroke:#585;stroke-dasharray:1 3}}line.Restore{{stroke:#a60}}\
text.Upgrade{{fill:#17b}}text.Rollback{{fill:#c30}}text.Backup{{fill:#585}}text.Restore{{fill:#a60}}.upgrade-marker line,.legend-mark line{{stroke-width:2}}\
.upgrade-marker line.hit{{stroke:transparent;stroke-width:9}}\
.upgrade-marker text{{font-size:11px;font-weight:bold;stroke:#fafafa;stroke-width:3px;paint-order:stroke}}\
.upgrade-marker:hover line{{stroke-width:3}}\
small{{color:#777;font-weight:normal}}\
table.timeline{{border-collapse:collapse;font-size:13px}}table.timeline td,table.timeline th{{border-top:1px solid #e4e4e4;padding:2px 8px;vertical-align:top;text-align:left}}\
table.timeline td:nth-child(3){{width:45%}}.received code b{{color:#2a7}}.received.refused code b{{color:#c00}}\
.received.digest code b{{color:#17b}}.received .key{{color:#777}}.received .text{{white-space:pre-wrap;margin:0 0 4px 1em}}</style></head><body>\
<h1>canister-hooks demo</h1><p>Cycles and memory of each watched canister over emulated time. \
Dashed red: the registered threshold. Dots: a hook delivered (orange on_low_cycles, purple \
on_low_memory, red on_error). Vertical lines: the canister upgraded (solid blue) or rolled back \
to its previous release (dashed red). Hover a line, a dot or a mark for its value or story.</p>{body}<h2>Timeline</h2>\
<p>The story's notes and, beside them at the same emulated time, each message the webhook \
receiver got from the monitor: its channel, the status it answered (green 200, red a refusal \
the monitor retries with the same idempotency key, blue a digest of events beyond the rate \
limit), the idempotency key and the text a person reads.</p>{timeline}</body></html>"
    )
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 220.0;
/// Room for the value axis' labels on the left.
const LEFT: f64 = 110.0;
const PAD: f64 = 40.0;
/// Intervals on each axis.
const TICKS: u32 = 4;

/// Emulated seconds as `mm:ss`.
fn clock(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// One line on a chart, with its threshold.
struct Series {
    name: &'static str,
    points: Vec<(u64, f64)>,
    threshold: Option<f64>,
}

/// An SVG chart of `series` over emulated time: both axes labelled (values through `label`, in
/// units people read; time as mm:ss), every sample's value on hover, thresholds dashed, a dot per
/// hook delivered, a labelled vertical line per upgrade or rollback in `marks`.
fn chart<'a>(
    title: &str,
    label: &dyn Fn(f64) -> String,
    series: &[Series],
    markers: impl Iterator<Item = &'a Marker>,
    marks: &[&Mark],
) -> String {
    let markers: Vec<&Marker> = markers.collect();
    let t_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(markers.iter().map(|m| m.at_secs))
        .chain(marks.iter().map(|m| m.at_secs))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1).chain(s.threshold))
        .collect();
    let v_min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let v_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (v_min, v_max) = if values.is_empty() {
        (0.0, 1.0)
    } else {
        let margin = ((v_max - v_min) * 0.1).max(v_max.abs() * 0.01).max(1.0);
        (v_min - margin, v_max + margin)
    };
    let x = |t: f64| LEFT + t / t_max * (WIDTH - LEFT - PAD);
    let y = |v: f64| HEIGHT - PAD - (v - v_min) / (v_max - v_min) * (HEIGHT - 2.0 * PAD);
    let mut svg = format!(
        "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{title}\">\
<text x=\"{LEFT}\" y=\"20\">{title}</text>"
    );
    for i in 0..=TICKS {
        let f = f64::from(i) / f64::from(TICKS);
        let (v, t) = (v_min + f * (v_max - v_min), f * t_max);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\"/>\
<text class=\"axis value\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
<text class=\"axis time\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            WIDTH - PAD,
            LEFT - 6.0,
            y(v) + 4.0,
            label(v),
            x(t),
            HEIGHT - PAD + 16.0,
            clock(t as u64),
            yv = y(v),
        );
    }
    for (i, s) in series.iter().enumerate() {
        let path: Vec<String> = s
            .points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t as f64), y(*v)))
            .collect();
        let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
        let _ = write!(
            svg,
            "<polyline class=\"series\" stroke=\"{colour}\" points=\"{}\"><title>{}</title></polyline>\
<text x=\"{}\" y=\"20\" fill=\"{colour}\" font-size=\"12\">{}</text>",
            path.join(" "),
            s.name,
            WIDTH - PAD - 120.0 + 60.0 * i as f64,
            s.name
        );
        for (t, v) in &s.points {
            let _ = write!(
                svg,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>{} at {}: {}</title></circle>",
                x(*t as f64),
                y(*v),
                s.name,
                clock(*t),
                label(*v)
            );
        }
        if let Some(t) = s.threshold {
            let _ = write!(
                svg,
                "<line class=\"threshold\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{} threshold: {}</title></line>",
                WIDTH - PAD,
                y(t),
                y(t),
                s.name,
                label(t)
            );
        }
    }
    for m in markers {
        let value = series
            .iter()
            .flat_map(|s| s.points.iter())
            .min_by_key(|p| p.0.abs_diff(m.at_secs))
            .map(|p| p.1)
            .unwrap_or(v_min);
        let _ = write!(
            svg,
            "<circle class=\"hook-marker {:?}\" data-event-id=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\"><title>{} (event {}) at {}</title></circle>",
            m.kind,
            m.id,
            x(m.at_secs as f64),
            y(value),
            m.kind.endpoint(),
            m.id,
            clock(m.at_secs)
        );
    }
    for (i, mark) in marks.iter().enumerate() {
        let (xm, top, bottom) = (x(mark.at_secs as f64), PAD - 8.0, HEIGHT - PAD);
        // The label sits at the top, beside the line (left of it unless the line is near the
        // left edge), on alternate rows so the labels of nearby marks do not collide.
        let (anchor, tx) = if xm - LEFT > 100.0 {
            ("end", xm - 4.0)
        } else {
            ("start", xm + 4.0)
        };
        let ty = PAD + 4.0 + 12.0 * (i % 2) as f64;
        let _ = write!(
            svg,
            "<g class=\"upgrade-marker {kind:?}\">\
<title>{label} at {}: {}</title>\
<line class=\"hit\" x1=\"{xm:.1}\" x2=\"{xm:.1}\" y1=\"{top}\" y2=\"{bottom}\"/>\
<line class=\"{kind:?}\" x1=\"{xm:.1}\" x2=\"{xm:.1}\" y1=\"{top}\" y2=\"{bottom}\"/>\
<text class=\"{kind:?}\" x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"{anchor}\">{label}</text></g>",
            clock(mark.at_secs),
            canister_hooks::html::escape(&mark.detail),
            kind = mark.kind,
            label = canister_hooks::html::escape(&mark.label),
        );
    }
    svg.push_str(&marks_legend(marks));
    svg.push_str("</svg>");
    svg
}

/// The legend of the marks a chart has: one entry per kind present.
fn marks_legend(marks: &[&Mark]) -> String {
    let mut legend = String::new();
    let kinds = [
        (MarkKind::Upgrade, "upgrade"),
        (MarkKind::Rollback, "rollback"),
        (MarkKind::Backup, "backup"),
        (MarkKind::Restore, "restore"),
    ];
    let present = kinds
        .iter()
        .filter(|(kind, _)| marks.iter().any(|m| m.kind == *kind));
    for (i, (kind, name)) in present.enumerate() {
        let x0 = LEFT + 130.0 + 90.0 * i as f64;
        let _ = write!(
            legend,
            "<g class=\"legend-mark {kind:?}\"><line class=\"{kind:?}\" x1=\"{x0}\" x2=\"{x0}\" y1=\"8\" y2=\"22\"/>\
<text class=\"{kind:?}\" x=\"{}\" y=\"20\" font-size=\"12\">{name}</text></g>",
            x0 + 5.0
        );
    }
    legend
}

const SERIES_COLOURS: [&str; 2] = ["#236", "#2a7"];
