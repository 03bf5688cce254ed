//! Webhook channels in `/metrics` (`monitor_webhook_*`, labelled by channel name) and on the
//! status page. Only [`WebhookStatus`] reaches here: no URL can be shown.

use crate::api::{WebhookFormat, WebhookStatus};
use canister_hooks_types::html::escape;
use canister_hooks_types::units;
use ic_metrics_encoder::MetricsEncoder;
use std::fmt::Write;

/// Per-channel counters and gauges, labelled `channel="<name>"`.
pub fn encode(
    w: &mut MetricsEncoder<Vec<u8>>,
    channels: &[WebhookStatus],
    outcalls_in_flight: u64,
) -> std::io::Result<()> {
    w.encode_gauge(
        "monitor_webhook_outcalls_in_flight",
        outcalls_in_flight as f64,
        "Webhook outcalls in flight.",
    )?;
    type Field = fn(&WebhookStatus) -> f64;
    let counters: [(&str, &str, Field); 6] = [
        (
            "monitor_webhook_deliveries_total",
            "Webhook messages acknowledged (2xx).",
            |c| c.delivered as f64,
        ),
        (
            "monitor_webhook_failures_total",
            "Failed webhook attempts.",
            |c| c.failed_attempts as f64,
        ),
        (
            "monitor_webhook_dead_letters_total",
            "Webhook messages given up.",
            |c| c.dead_lettered as f64,
        ),
        (
            "monitor_webhook_cycles_total",
            "Cycles attached to webhook outcalls.",
            |c| c.cycles_spent as f64,
        ),
        ("monitor_webhook_digests_total", "Digests queued.", |c| {
            c.digests as f64
        }),
        (
            "monitor_webhook_events_digested_total",
            "Events folded into digests.",
            |c| c.events_digested as f64,
        ),
    ];
    for (name, help, value) in counters {
        let mut v = w.counter_vec(name, help)?;
        for c in channels {
            v = v.value(&[("channel", &c.name)], value(c))?;
        }
    }
    let mut g = w.gauge_vec("monitor_webhook_pending", "Webhook messages waiting.")?;
    for c in channels {
        g = g.value(&[("channel", &c.name)], c.pending as f64)?;
    }
    Ok(())
}

fn format_name(f: WebhookFormat) -> &'static str {
    match f {
        WebhookFormat::GenericJson => "json",
        WebhookFormat::Slack => "slack",
        WebhookFormat::Discord => "discord",
    }
}

/// One line per channel: deliveries, failures, what waits, what it cost, the last error.
pub fn table(h: &mut String, channels: &[WebhookStatus]) {
    if channels.is_empty() {
        return;
    }
    h.push_str(
        "<h2>Webhooks</h2><table><tr><th>channel</th><th>format</th><th>delivered</th>\
         <th>failed</th><th>dead</th><th>pending</th><th>digested</th><th>cycles</th>\
         <th>last delivered</th><th>last error</th></tr>",
    );
    for c in channels {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            escape(&c.name),
            format_name(c.format),
            c.delivered,
            c.failed_attempts,
            c.dead_lettered,
            c.pending,
            c.events_digested,
            units::cycles(c.cycles_spent),
            c.last_delivered_at_ns.map_or("-".into(), units::utc),
            escape(c.last_error.as_deref().unwrap_or("")),
        );
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops() -> WebhookStatus {
        WebhookStatus {
            name: "ops".into(),
            format: WebhookFormat::Slack,
            delivered: 3,
            failed_attempts: 1,
            cycles_spent: 2_500_000_000_000,
            last_error: Some("HTTP <500>".into()),
            ..WebhookStatus::default()
        }
    }

    #[test]
    fn metrics_are_labelled_by_channel_name() {
        let mut w = MetricsEncoder::new(vec![], 1000);
        encode(&mut w, &[ops()], 1).unwrap();
        let text = String::from_utf8(w.into_inner()).unwrap();
        assert!(
            text.contains("monitor_webhook_deliveries_total{channel=\"ops\"} 3 1000"),
            "{text}"
        );
        assert!(text.contains("monitor_webhook_cycles_total{channel=\"ops\"} 2500000000000 1000"));
        assert!(text.contains("monitor_webhook_outcalls_in_flight 1 1000"));
    }

    #[test]
    fn the_table_reads_in_t_cycles_and_escapes() {
        let mut h = String::new();
        table(&mut h, &[ops()]);
        assert!(h.contains("<h2>Webhooks</h2>") && h.contains("2.5 T cycles"));
        assert!(h.contains("HTTP &lt;500&gt;"));
        let mut empty = String::new();
        table(&mut empty, &[]);
        assert!(empty.is_empty());
    }
}
