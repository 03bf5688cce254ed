//! Webhook channels: validation (typed errors naming the field, never repeating the URL),
//! which events a channel takes, and redaction of URLs from any text the monitor shows.

use crate::api::{EventKind, HookEvent, Severity, WebhookChannel, WebhookError, WebhookFilter};
use candid::Principal;

/// Most channels a monitor holds.
pub const MAX_CHANNELS: u32 = 16;
/// Longest channel name, bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Longest URL, bytes (the IC allows 8,192; a webhook URL with a token is far shorter).
pub const MAX_URL_BYTES: usize = 2_048;
/// Most canisters one filter names.
pub const MAX_FILTER_CANISTERS: usize = 100;
/// Most messages per window a rate limit allows.
pub const MAX_MESSAGES_PER_WINDOW: u32 = 1_000;
/// Shortest and longest rate-limit window, seconds.
pub const WINDOW_SECONDS: std::ops::RangeInclusive<u64> = 60..=86_400;
/// What messages say instead of a URL.
pub const URL_REDACTED: &str = "<the channel's URL>";

fn invalid(field: &str, reason: impl Into<String>) -> WebhookError {
    WebhookError::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks every field of `channel`.
pub fn validate(channel: &WebhookChannel) -> Result<(), WebhookError> {
    validate_name(&channel.name)?;
    validate_url(&channel.url)?;
    let f = &channel.filter;
    if f.canisters.len() > MAX_FILTER_CANISTERS {
        return Err(invalid(
            "filter.canisters",
            format!("at most {MAX_FILTER_CANISTERS} canisters"),
        ));
    }
    if let Some(r) = channel.rate_limit {
        if !(1..=MAX_MESSAGES_PER_WINDOW).contains(&r.max_messages) {
            return Err(invalid(
                "rate_limit.max_messages",
                format!("must be 1 to {MAX_MESSAGES_PER_WINDOW}"),
            ));
        }
        if !WINDOW_SECONDS.contains(&r.window_seconds) {
            return Err(invalid(
                "rate_limit.window_seconds",
                format!(
                    "must be {} to {} seconds",
                    WINDOW_SECONDS.start(),
                    WINDOW_SECONDS.end()
                ),
            ));
        }
    }
    Ok(())
}

/// A name is 1 to 64 bytes of letters, digits, `-`, `_` and `.`: safe in metric labels and pages.
pub fn validate_name(name: &str) -> Result<(), WebhookError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if name.is_empty() || name.len() > MAX_NAME_BYTES || !name.chars().all(ok_char) {
        return Err(invalid(
            "name",
            format!("1 to {MAX_NAME_BYTES} letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(())
}

/// A URL is `https://`, a host (name, IPv4 or bracketed IPv6) with an optional port, then an
/// optional path and query; no spaces, control characters, user info or fragment; at most
/// [`MAX_URL_BYTES`]. The reasons never repeat the URL.
pub fn validate_url(url: &str) -> Result<(), WebhookError> {
    let bad = |reason: &str| Err(invalid("url", reason));
    if url.len() > MAX_URL_BYTES {
        return bad(&format!("longer than {MAX_URL_BYTES} bytes"));
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return bad("must start with https:// (the IC makes HTTPS outcalls only)");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains spaces or control characters");
    }
    if url.contains('#') {
        return bad("has a fragment (#...), which is never sent");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return bad("carries user info (user@host); put a token in the path or query instead");
    }
    let (host, port) = match authority.find(']') {
        Some(end) if authority.starts_with('[') => {
            let (host, rest) = authority.split_at(end + 1);
            match rest {
                "" => (host, None),
                _ => match rest.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return bad("has no valid host name"),
                },
            }
        }
        _ => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return bad("has an invalid port");
        }
    }
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    if !host_ok {
        return bad("has no valid host name");
    }
    Ok(())
}

/// Whether a channel with `filter` takes `event` of `canister`.
pub fn matches(filter: &WebhookFilter, canister: Principal, event: &HookEvent) -> bool {
    let kind: EventKind = event.kind();
    (filter.kinds.is_empty() || filter.kinds.contains(&kind))
        && (filter.canisters.is_empty() || filter.canisters.contains(&canister))
        && filter
            .min_severity
            .is_none_or(|min| Severity::of(event) >= min)
}

/// `text` with every `http://` or `https://` URL in it (and `url` itself, wherever it appears)
/// replaced by [`URL_REDACTED`]: what the monitor shows of a failed outcall's message.
pub fn redact(text: &str, url: &str) -> String {
    let text = if url.is_empty() {
        text.to_string()
    } else {
        text.replace(url, URL_REDACTED)
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = find_scheme(rest) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || "\"'<>()[]{}".contains(c))
            .unwrap_or(tail.len());
        out.push_str(URL_REDACTED);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn find_scheme(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{RateLimit, WebhookFormat};
    use crate::state::outbox::tests::ev;

    pub const SLACK: &str = "https://hooks.slack.com/services/T000/B000/SECRET-TOKEN";

    fn channel(url: &str) -> WebhookChannel {
        WebhookChannel {
            name: "ops".into(),
            url: url.into(),
            format: WebhookFormat::Slack,
            filter: WebhookFilter::default(),
            rate_limit: None,
        }
    }

    fn field_of(r: Result<(), WebhookError>) -> String {
        match r {
            Err(WebhookError::InvalidField { field, reason }) => {
                assert!(!reason.contains("SECRET"), "{reason}");
                field
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn https_urls_with_a_host_are_accepted() {
        for url in [
            SLACK,
            "https://discord.com/api/webhooks/1/abc?wait=true",
            "https://example.org",
            "https://10.0.0.1:8443/hook",
            "https://[2001:db8::1]:443/hook",
        ] {
            assert_eq!(validate_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn bad_urls_are_refused_naming_the_field_without_echoing_it() {
        for url in [
            "http://hooks.slack.com/services/SECRET",
            "ftp://x/SECRET",
            "https://",
            "https:///SECRET",
            "https://user:SECRET@host/x",
            "https://host/SECRET x",
            "https://host:99999/SECRET",
            "https://host/SECRET#frag",
            "https://ho_st/SECRET",
        ] {
            assert_eq!(field_of(validate_url(url)), "url", "{url}");
        }
        let long = format!("https://h/{}SECRET", "a".repeat(MAX_URL_BYTES));
        assert_eq!(field_of(validate_url(&long)), "url");
    }

    #[test]
    fn names_rate_limits_and_filters_are_checked_by_field() {
        let mut c = channel(SLACK);
        c.name = "ops alerts".into();
        assert_eq!(field_of(validate(&c)), "name");
        c.name = "x".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(field_of(validate(&c)), "name");
        c.name = "ops-1.prod_eu".into();
        assert_eq!(validate(&c), Ok(()));
        c.rate_limit = Some(RateLimit {
            max_messages: 0,
            window_seconds: 600,
        });
        assert_eq!(field_of(validate(&c)), "rate_limit.max_messages");
        c.rate_limit = Some(RateLimit {
            max_messages: 5,
            window_seconds: 10,
        });
        assert_eq!(field_of(validate(&c)), "rate_limit.window_seconds");
        c.rate_limit = None;
        c.filter.canisters = vec![Principal::anonymous(); MAX_FILTER_CANISTERS + 1];
        assert_eq!(field_of(validate(&c)), "filter.canisters");
    }

    #[test]
    fn an_empty_filter_takes_everything_and_each_part_narrows_it() {
        let a = Principal::from_slice(&[1]);
        let b = Principal::from_slice(&[2]);
        let error = ev(1); // a system fault: critical
        let mut f = WebhookFilter::default();
        assert!(matches(&f, a, &error));
        f.kinds = vec![EventKind::LowCycles];
        assert!(!matches(&f, a, &error));
        f.kinds = vec![EventKind::Error];
        f.canisters = vec![b];
        assert!(!matches(&f, a, &error));
        assert!(matches(&f, b, &error));
        f.min_severity = Some(Severity::Critical);
        assert!(matches(&f, b, &error));
        let crate::api::HookEvent::Error(mut e) = error else {
            unreachable!()
        };
        e.source = crate::api::ErrorSource::Timer("t".into());
        assert!(!matches(&f, b, &crate::api::HookEvent::Error(e)));
    }

    #[test]
    fn redaction_removes_the_url_and_any_other() {
        let msg = format!("Connecting to {SLACK} failed; see http://other/x (retry)");
        let r = redact(&msg, SLACK);
        assert!(!r.contains("SECRET") && !r.contains("http"), "{r}");
        assert_eq!(
            r,
            format!("Connecting to {URL_REDACTED} failed; see {URL_REDACTED} (retry)")
        );
        assert_eq!(redact("HTTPS://HOST/SECRET", ""), URL_REDACTED);
        assert_eq!(redact("no url", SLACK), "no url");
    }
}
