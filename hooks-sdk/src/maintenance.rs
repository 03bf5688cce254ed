//! Maintenance mode: while it is on, updates are rejected with a message saying until when and
//! why (queries keep serving, methods kept open still run). Pure decisions; the canister layer
//! ([`crate::runtime::maintenance`]) stores the mode and wires the guards, `inspect_message` and
//! the `http_request` helper to them.

use candid::Principal;

use crate::types::{Maintenance, MaintenanceError};

/// Longest maintenance reason kept, in bytes.
pub const MAX_REASON_BYTES: usize = 256;

/// Refuses callers who may not change the mode (`may_manage`: a monitor, a controller or the
/// canister itself).
pub fn check_manager(caller: Principal, may_manage: bool) -> Result<(), MaintenanceError> {
    if may_manage {
        Ok(())
    } else {
        Err(MaintenanceError::NotAllowed { caller })
    }
}

/// Checks a request to enter maintenance and builds the mode.
pub fn enter(
    caller: Principal,
    may_manage: bool,
    reason: String,
    until_ns: u64,
    now_ns: u64,
) -> Result<Maintenance, MaintenanceError> {
    check_manager(caller, may_manage)?;
    if reason.trim().is_empty() {
        return Err(MaintenanceError::EmptyReason);
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(MaintenanceError::ReasonTooLong {
            bytes: reason.len() as u64,
        });
    }
    if until_ns <= now_ns {
        return Err(MaintenanceError::EndNotInFuture { until_ns, now_ns });
    }
    Ok(Maintenance {
        reason,
        until_ns,
        since_ns: now_ns,
        entered_by: caller,
    })
}

/// Decides whether update `method` may run: always outside maintenance, else only if it is
/// one of the methods kept `open`.
pub fn check_update(
    maintenance: Option<&Maintenance>,
    method: &str,
    open: &[&str],
    now_ns: u64,
) -> Result<(), String> {
    match maintenance {
        Some(m) if !open.contains(&method) => Err(m.message(now_ns)),
        _ => Ok(()),
    }
}

/// What an HTTP-serving canister answers while in maintenance: status 503, `Retry-After` and a
/// small HTML page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnavailableResponse {
    /// Always 503 (Service Unavailable).
    pub status_code: u16,
    /// `Content-Type`, `Retry-After` (seconds to the expected end) and `Cache-Control: no-store`.
    pub headers: Vec<(String, String)>,
    /// The page (UTF-8 HTML).
    pub body: Vec<u8>,
}

/// The 503 response for `m` at `now_ns`.
pub fn unavailable(m: &Maintenance, now_ns: u64) -> UnavailableResponse {
    UnavailableResponse {
        status_code: 503,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
            (
                "Retry-After".into(),
                m.retry_after_seconds(now_ns).to_string(),
            ),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: page(m, now_ns).into_bytes(),
    }
}

/// The small HTML page shown while in maintenance (the reason escaped).
pub fn page(m: &Maintenance, now_ns: u64) -> String {
    let text = canister_hooks_types::html::escape(&m.message(now_ns));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Maintenance</title></head>\
         <body><h1>Down for maintenance</h1><p>{text}</p></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use canister_hooks_types::NS as S;

    const NOW: u64 = 1_795_995_365 * S; // 2026-11-29 23:36:05 UTC

    fn monitor() -> Principal {
        Principal::from_slice(&[9; 10])
    }

    fn mode() -> Maintenance {
        enter(monitor(), true, "upgrade to v2".into(), NOW + 240 * S, NOW).unwrap()
    }

    #[test]
    fn updates_are_rejected_with_when_and_why_except_open_ones() {
        let m = mode();
        let open = ["ping"];
        let err = check_update(Some(&m), "transfer", &open, NOW).unwrap_err();
        assert_eq!(
            err,
            "in maintenance until 2026-11-29 23:40:05 UTC (in 4 min): upgrade to v2; queries are still served"
        );
        assert_eq!(check_update(Some(&m), "ping", &open, NOW), Ok(()));
        assert_eq!(check_update(None, "transfer", &[], NOW), Ok(()));
    }

    #[test]
    fn an_overdue_maintenance_says_so_and_retry_after_is_at_least_a_second() {
        let m = mode();
        assert!(m.message(NOW + 300 * S).contains("(overdue)"));
        assert_eq!(m.retry_after_seconds(NOW + 300 * S), 1);
        assert_eq!(m.retry_after_seconds(NOW + 1), 240);
    }

    #[test]
    fn bad_requests_get_typed_errors() {
        let p = monitor();
        assert_eq!(
            enter(p, false, "x".into(), NOW + S, NOW),
            Err(MaintenanceError::NotAllowed { caller: p })
        );
        assert_eq!(
            enter(p, true, "  ".into(), NOW + S, NOW),
            Err(MaintenanceError::EmptyReason)
        );
        assert_eq!(
            enter(p, true, "x".repeat(257), NOW + S, NOW),
            Err(MaintenanceError::ReasonTooLong { bytes: 257 })
        );
        assert_eq!(
            enter(p, true, "x".into(), NOW, NOW),
            Err(MaintenanceError::EndNotInFuture {
                until_ns: NOW,
                now_ns: NOW
            })
        );
        assert!(enter(p, true, "x".repeat(256), NOW + S, NOW).is_ok());
        assert_eq!(
            check_manager(p, false),
            Err(MaintenanceError::NotAllowed { caller: p })
        );
    }

    #[test]
    fn the_503_page_escapes_the_reason_and_says_when_to_retry() {
        let m = enter(monitor(), true, "<script>".into(), NOW + 90 * S, NOW).unwrap();
        let response = unavailable(&m, NOW);
        assert_eq!(response.status_code, 503);
        assert!(response
            .headers
            .contains(&("Retry-After".to_string(), "90".to_string())));
        let page = String::from_utf8(response.body).unwrap();
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("(in 1 min 30 s)"), "{page}");
    }
}
