//! Who sees what: the read settings, their changes, the metrics token and what `http_request`
//! may answer. The decisions are [`crate::policy::read`]'s.

use super::Monitor;
use crate::api::*;
use crate::policy::read::{self, PageAccess};
use ic_stable_structures::Memory;
use serde_bytes::ByteBuf;

impl<M: Memory> Monitor<M> {
    /// The read settings (never the metrics token).
    pub fn read_settings(&self) -> ReadSettings {
        self.read_settings.get().view()
    }

    /// The read policy.
    pub fn read_policy(&self) -> &ReadPolicy {
        &self.read_settings.get().read_policy
    }

    /// Applies a change to the read settings, checked as a whole. Leaving `MetricsWithToken`
    /// revokes the metrics token: turning it on again needs a fresh one.
    pub fn set_read_settings(
        &mut self,
        update: &ReadSettingsUpdate,
    ) -> Result<ReadSettings, AdminError> {
        let mut stored = self.read_settings.get().clone();
        let (read_policy, http_pages) =
            read::apply(&stored.read_policy, stored.http_pages, update)?;
        if stored.http_pages == HttpPages::MetricsWithToken
            && http_pages != HttpPages::MetricsWithToken
        {
            stored.metrics_token_sha256 = None;
            stored.metrics_token_rotated_at_ns = None;
        }
        stored.read_policy = read_policy;
        stored.http_pages = http_pages;
        self.read_settings.set(stored);
        Ok(self.read_settings())
    }

    /// Replaces the metrics token by one made of `random` bytes, keeping only its hash; the
    /// token, to hand to the scraper (it cannot be read back).
    pub fn rotate_metrics_token(
        &mut self,
        random: &[u8; read::TOKEN_BYTES],
        now_ns: u64,
    ) -> String {
        let token = read::metrics_token(random);
        let mut stored = self.read_settings.get().clone();
        stored.metrics_token_sha256 = Some(ByteBuf::from(read::token_hash(&token).to_vec()));
        stored.metrics_token_rotated_at_ns = Some(now_ns);
        self.read_settings.set(stored);
        token
    }

    /// What `http_request` may do with `req`.
    pub fn page_access(&self, req: &HttpRequest) -> PageAccess {
        let stored = self.read_settings.get();
        read::page_access(
            stored.http_pages,
            stored.metrics_token_sha256.as_deref().map(|h| h.as_slice()),
            crate::render::http::path(&req.url),
            &req.headers,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::access::check;
    use candid::Principal;
    use ic_stable_structures::VectorMemory;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n, 2])
    }

    /// Whether `who` may call `stats` on `m`.
    fn reads(m: &Monitor<VectorMemory>, who: Principal, is_controller: bool) -> bool {
        check("stats", &m.caller(who, is_controller)).is_ok()
    }

    #[test]
    fn callers_are_resolved_against_the_stored_policy() {
        let mut m = Monitor::init(VectorMemory::default(), p(0));
        let (viewer, admin, stranger, controller) = (p(1), p(2), p(3), p(4));
        m.add_admin(admin);
        let who = |m: &Monitor<VectorMemory>| {
            [
                reads(m, stranger, false),
                reads(m, viewer, false),
                reads(m, admin, false),
                reads(m, controller, true),
            ]
        };
        assert_eq!(m.read_settings(), ReadSettings::default());
        assert_eq!(who(&m), [false, false, true, true], "default: restricted");
        m.set_read_settings(&ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Restricted {
                viewers: vec![viewer],
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(who(&m), [false, true, true, true]);
        m.set_read_settings(&ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(who(&m), [true, true, true, true]);
        // A refused change changes nothing.
        let refused = m.set_read_settings(&ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Restricted { viewers: vec![] }),
            http_pages: Some(HttpPages::Public),
        });
        assert!(matches!(refused, Err(AdminError::InvalidConfig { .. })));
        assert_eq!(m.read_policy(), &ReadPolicy::Public);
    }

    #[test]
    fn install_arguments_set_the_read_settings() {
        let mut m = Monitor::init(VectorMemory::default(), p(0));
        let public = ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            http_pages: Some(HttpPages::Public),
        };
        m.apply_install_args(InitArgs {
            read_settings: Some(public),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(m.read_settings().http_pages, HttpPages::Public);
        let incoherent = InitArgs {
            read_settings: Some(ReadSettingsUpdate {
                read_policy: Some(ReadPolicy::Restricted { viewers: vec![] }),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(m.apply_install_args(incoherent).is_err());
    }
}
