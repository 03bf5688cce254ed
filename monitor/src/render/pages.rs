//! `http_request` behind the page setting: a request the setting admits is served by
//! [`http::serve`]; any other gets a fixed answer that names nothing of the monitor (no canister
//! id, no label, no error message) and is answered without reading the monitor's state.

use crate::api::{HttpRequest, HttpResponse};
use crate::policy::read::PageAccess;
use crate::render::http;
use crate::render::metrics::Snapshot;

/// Answers `req` as `access` (from [`crate::policy::read::page_access`]) allows; `snapshot` is
/// only called for a request that is served.
pub fn answer(
    req: &HttpRequest,
    access: PageAccess,
    snapshot: impl FnOnce() -> Snapshot,
) -> HttpResponse {
    match access {
        PageAccess::Serve => http::serve(req, snapshot),
        PageAccess::Unauthorized => {
            let mut r = http::response(401, "text/plain", b"unauthorized".to_vec());
            r.headers.push(("WWW-Authenticate".into(), "Bearer".into()));
            r
        }
        PageAccess::Forbidden => http::response(403, "text/plain", b"forbidden".to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::*;
    use crate::monitor::Monitor;
    use crate::policy::validation::tests::canister;
    use candid::Principal;
    use ic_stable_structures::VectorMemory;

    /// A snapshot with one canister, whose id must appear only in served pages.
    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.stats.registrations = 1;
        s.backups = vec![BackupsView {
            canister_id: canister(7),
            policy: None,
            backups: vec![],
            next_at_ns: None,
            last_failure: Some("trap: user secret".into()),
            snapshot_bytes: 0,
            snapshot_cycles_per_day: 0,
        }];
        s
    }

    fn monitor(pages: HttpPages) -> Monitor<VectorMemory> {
        let mut m = Monitor::init(VectorMemory::default(), Principal::from_slice(&[9]));
        let read_policy = match pages {
            HttpPages::Public => ReadPolicy::Public,
            _ => ReadPolicy::Restricted { viewers: vec![] },
        };
        m.set_read_settings(&ReadSettingsUpdate {
            read_policy: Some(read_policy),
            http_pages: Some(pages),
        })
        .unwrap();
        m
    }

    /// The status code and body `m` answers `req` with.
    fn serve(m: &Monitor<VectorMemory>, req: &HttpRequest) -> (u16, String) {
        let r = answer(req, m.page_access(req), snapshot);
        (r.status_code, String::from_utf8(r.body.into_vec()).unwrap())
    }

    fn refused(m: &Monitor<VectorMemory>, req: &HttpRequest) -> u16 {
        let r = answer(req, m.page_access(req), || {
            unreachable!("a refusal reads no state")
        });
        let body = String::from_utf8(r.body.into_vec()).unwrap();
        assert!(
            matches!(body.as_str(), "forbidden" | "unauthorized"),
            "{body}"
        );
        r.status_code
    }

    #[test]
    fn public_pages_are_served_to_anyone() {
        let m = monitor(HttpPages::Public);
        let (status, body) = serve(&m, &HttpRequest::get("/metrics", None));
        assert_eq!(status, 200);
        assert!(body.contains(&canister(7).to_text()));
        assert_eq!(serve(&m, &HttpRequest::get("/", None)).0, 200);
    }

    #[test]
    fn pages_off_answer_every_path_alike_and_leak_nothing() {
        let m = monitor(HttpPages::Off);
        for url in ["/metrics", "/", "/status", "/nope", "/metrics?x=1"] {
            assert_eq!(refused(&m, &HttpRequest::get(url, None)), 403, "{url}");
            assert_eq!(
                refused(&m, &HttpRequest::get(url, Some("anything"))),
                403,
                "{url}"
            );
        }
    }

    #[test]
    fn metrics_need_the_current_token_and_the_status_page_is_off() {
        let mut m = monitor(HttpPages::MetricsWithToken);
        assert_eq!(
            refused(&m, &HttpRequest::get("/metrics", Some("guess"))),
            401,
            "no token issued yet"
        );
        let old = m.rotate_metrics_token(&[1; 32], 5);
        assert_eq!(old.len(), 64);
        let (status, body) = serve(&m, &HttpRequest::get("/metrics", Some(&old)));
        assert_eq!(status, 200);
        assert!(body.contains("monitor_registrations 1"));
        assert_eq!(
            refused(&m, &HttpRequest::get("/metrics", Some(&old[1..]))),
            401
        );
        assert_eq!(refused(&m, &HttpRequest::get("/metrics", None)), 401);
        assert_eq!(refused(&m, &HttpRequest::get("/", Some(&old))), 403);
        assert_eq!(refused(&m, &HttpRequest::get("/status", Some(&old))), 403);
        let unauthorized = answer(
            &HttpRequest::get("/metrics", None),
            PageAccess::Unauthorized,
            snapshot,
        );
        assert!(unauthorized
            .headers
            .contains(&("WWW-Authenticate".into(), "Bearer".into())));

        let new = m.rotate_metrics_token(&[2; 32], 6);
        assert_ne!(new, old);
        assert_eq!(
            refused(&m, &HttpRequest::get("/metrics", Some(&old))),
            401,
            "old token"
        );
        assert_eq!(serve(&m, &HttpRequest::get("/metrics", Some(&new))).0, 200);
        assert_eq!(m.read_settings().metrics_token_rotated_at_ns, Some(6));
    }

    #[test]
    fn leaving_metrics_with_token_revokes_the_token() {
        let mut m = monitor(HttpPages::MetricsWithToken);
        let token = m.rotate_metrics_token(&[3; 32], 1);
        let switch = |m: &mut Monitor<VectorMemory>, pages| {
            m.set_read_settings(&ReadSettingsUpdate {
                http_pages: Some(pages),
                ..Default::default()
            })
            .unwrap()
        };
        // Changing the viewers keeps it.
        m.set_read_settings(&ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Restricted {
                viewers: vec![canister(1)],
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            serve(&m, &HttpRequest::get("/metrics", Some(&token))).0,
            200
        );
        assert_eq!(
            switch(&mut m, HttpPages::Off).metrics_token_rotated_at_ns,
            None
        );
        switch(&mut m, HttpPages::MetricsWithToken);
        assert_eq!(
            refused(&m, &HttpRequest::get("/metrics", Some(&token))),
            401
        );
    }
}
