//! Who sees what: whether a caller may read under the read policy, which read settings are
//! valid together, and what `http_request` may answer under the page setting and its metrics
//! token. Pure: the state keeps the settings (`state::read_settings`), the endpoints apply them.

use crate::api::{AdminError, HttpPages, ReadPolicy, ReadSettingsUpdate};
use candid::Principal;

/// Most named viewers of a restricted monitor.
pub const MAX_VIEWERS: usize = 100;
/// Random bytes in a metrics token.
pub const TOKEN_BYTES: usize = 32;

/// Whether a caller with these roles may read under `policy`: anyone when it is public, else
/// controllers, admins and the named viewers.
pub fn may_read(
    policy: &ReadPolicy,
    principal: Principal,
    is_controller: bool,
    is_admin: bool,
) -> bool {
    match policy {
        ReadPolicy::Public => true,
        ReadPolicy::Restricted { viewers } => {
            is_controller || is_admin || viewers.contains(&principal)
        }
    }
}

fn invalid(field: &str, reason: &str) -> AdminError {
    AdminError::InvalidConfig {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The policy and page setting after `update`, if they are valid together: at most
/// [`MAX_VIEWERS`] viewers (sorted, without repeats), never the anonymous principal (that would
/// make reads public in disguise), and no public pages on a restricted monitor (they would show
/// its registry, events and error messages to anyone).
pub fn apply(
    policy: &ReadPolicy,
    pages: HttpPages,
    update: &ReadSettingsUpdate,
) -> Result<(ReadPolicy, HttpPages), AdminError> {
    let mut policy = update.read_policy.clone().unwrap_or_else(|| policy.clone());
    let pages = update.http_pages.unwrap_or(pages);
    if let ReadPolicy::Restricted { viewers } = &mut policy {
        viewers.sort();
        viewers.dedup();
        if viewers.len() > MAX_VIEWERS {
            return Err(invalid(
                "read_policy.viewers",
                &format!("{} viewers; at most {MAX_VIEWERS}", viewers.len()),
            ));
        }
        if viewers.contains(&Principal::anonymous()) {
            return Err(invalid(
                "read_policy.viewers",
                "the anonymous principal would let anyone read; use Public for that",
            ));
        }
        if pages == HttpPages::Public {
            return Err(invalid(
                "http_pages",
                "public pages would show a restricted monitor to anyone; use Off or \
                 MetricsWithToken, or a Public read policy",
            ));
        }
    }
    Ok((policy, pages))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A metrics token made of `random` bytes (from `raw_rand`): lowercase hex.
pub fn metrics_token(random: &[u8; TOKEN_BYTES]) -> String {
    hex(random)
}

/// The SHA-256 of `token`, as the monitor keeps it (never the token itself).
pub fn token_hash(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// What `http_request` may do with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageAccess {
    /// Serve it.
    Serve,
    /// `/metrics` without the right bearer token: 401.
    Unauthorized,
    /// Pages off, or the status page under `MetricsWithToken`: 403, the same for every path.
    Forbidden,
}

/// The bearer token of an `Authorization` header value (scheme case-insensitive).
fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether a request for `path` with these headers may be served under `pages`, given the
/// hash of the metrics token (none when no token was issued: no request passes).
pub fn page_access(
    pages: HttpPages,
    token_sha256: Option<&[u8]>,
    path: &str,
    headers: &[(String, String)],
) -> PageAccess {
    match pages {
        HttpPages::Public => PageAccess::Serve,
        HttpPages::Off => PageAccess::Forbidden,
        HttpPages::MetricsWithToken if path != "/metrics" => PageAccess::Forbidden,
        HttpPages::MetricsWithToken => {
            let presented = headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .filter_map(|(_, value)| bearer(value));
            let mut admitted = false;
            for token in presented {
                admitted |= token_sha256.is_some_and(|h| h == token_hash(token));
            }
            if admitted {
                PageAccess::Serve
            } else {
                PageAccess::Unauthorized
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n, 1])
    }

    fn restricted(viewers: &[Principal]) -> ReadPolicy {
        ReadPolicy::Restricted {
            viewers: viewers.to_vec(),
        }
    }

    /// Every role under every policy.
    #[test]
    fn who_may_read_under_each_policy() {
        let viewer = p(1);
        let stranger = p(2);
        // (principal, controller, admin) → (public, restricted to `viewer`, restricted to none)
        let table = [
            ((stranger, false, false), [true, false, false]),
            ((viewer, false, false), [true, true, false]),
            ((stranger, false, true), [true, true, true]),
            ((stranger, true, false), [true, true, true]),
            ((Principal::anonymous(), false, false), [true, false, false]),
        ];
        let policies = [ReadPolicy::Public, restricted(&[viewer]), restricted(&[])];
        for ((who, controller, admin), expected) in table {
            let got: Vec<bool> = policies
                .iter()
                .map(|policy| may_read(policy, who, controller, admin))
                .collect();
            assert_eq!(got, expected, "{who} controller={controller} admin={admin}");
        }
    }

    #[test]
    fn settings_are_checked_together_and_name_their_field() {
        let field = |r: Result<_, AdminError>| match r {
            Err(AdminError::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let public_pages = ReadSettingsUpdate {
            http_pages: Some(HttpPages::Public),
            ..Default::default()
        };
        assert_eq!(
            field(apply(&restricted(&[]), HttpPages::Off, &public_pages)),
            "http_pages"
        );
        // Restricting a monitor whose pages are public needs the pages changed in the same call.
        let restrict = ReadSettingsUpdate {
            read_policy: Some(restricted(&[])),
            ..Default::default()
        };
        assert_eq!(
            field(apply(&ReadPolicy::Public, HttpPages::Public, &restrict)),
            "http_pages"
        );
        let restrict_and_hide = ReadSettingsUpdate {
            http_pages: Some(HttpPages::MetricsWithToken),
            ..restrict
        };
        assert_eq!(
            apply(&ReadPolicy::Public, HttpPages::Public, &restrict_and_hide).unwrap(),
            (restricted(&[]), HttpPages::MetricsWithToken)
        );
        let anonymous = ReadSettingsUpdate {
            read_policy: Some(restricted(&[Principal::anonymous()])),
            ..Default::default()
        };
        assert_eq!(
            field(apply(&ReadPolicy::Public, HttpPages::Off, &anonymous)),
            "read_policy.viewers"
        );
        let crowd: Vec<Principal> = (0..=MAX_VIEWERS as u8).map(p).collect();
        let too_many = ReadSettingsUpdate {
            read_policy: Some(restricted(&crowd)),
            ..Default::default()
        };
        assert_eq!(
            field(apply(&ReadPolicy::Public, HttpPages::Off, &too_many)),
            "read_policy.viewers"
        );
        let repeated = ReadSettingsUpdate {
            read_policy: Some(restricted(&[p(3), p(1), p(3)])),
            ..Default::default()
        };
        assert_eq!(
            apply(&ReadPolicy::Public, HttpPages::Off, &repeated)
                .unwrap()
                .0,
            restricted(&[p(1), p(3)])
        );
        let public = ReadSettingsUpdate {
            read_policy: Some(ReadPolicy::Public),
            http_pages: Some(HttpPages::Public),
        };
        assert_eq!(
            apply(&restricted(&[]), HttpPages::Off, &public).unwrap(),
            (ReadPolicy::Public, HttpPages::Public)
        );
    }

    #[test]
    fn tokens_are_hex_of_their_random_bytes_and_kept_as_sha256() {
        let mut random = [0u8; TOKEN_BYTES];
        random[..3].copy_from_slice(&[0x00, 0xab, 0x7f]);
        let token = metrics_token(&random);
        assert!(token.starts_with("00ab7f000000"));
        assert_eq!(token.len(), 2 * TOKEN_BYTES);
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hex(&token_hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn header(name: &str, value: &str) -> Vec<(String, String)> {
        vec![(name.into(), value.into())]
    }

    /// Every page setting, path and presented token.
    #[test]
    fn pages_follow_their_setting_and_the_token() {
        use PageAccess::*;
        let hash = token_hash("s3cret");
        let right = header("Authorization", "Bearer s3cret");
        let lower = header("authorization", "bearer  s3cret ");
        let wrong = header("Authorization", "Bearer s3cre");
        let basic = header("Authorization", "Basic s3cret");
        let none = vec![];
        type Case<'a> = (HttpPages, &'a str, &'a [(String, String)], PageAccess);
        let cases: [Case; 11] = [
            (HttpPages::Public, "/metrics", &none, Serve),
            (HttpPages::Public, "/", &none, Serve),
            (HttpPages::Off, "/metrics", &right, Forbidden),
            (HttpPages::Off, "/", &none, Forbidden),
            (HttpPages::Off, "/nope", &none, Forbidden),
            (HttpPages::MetricsWithToken, "/metrics", &right, Serve),
            (HttpPages::MetricsWithToken, "/metrics", &lower, Serve),
            (
                HttpPages::MetricsWithToken,
                "/metrics",
                &wrong,
                Unauthorized,
            ),
            (
                HttpPages::MetricsWithToken,
                "/metrics",
                &basic,
                Unauthorized,
            ),
            (HttpPages::MetricsWithToken, "/metrics", &none, Unauthorized),
            (HttpPages::MetricsWithToken, "/status", &right, Forbidden),
        ];
        for (pages, path, headers, expected) in cases {
            assert_eq!(
                page_access(pages, Some(&hash), path, headers),
                expected,
                "{pages:?} {path} {headers:?}"
            );
        }
        assert_eq!(
            page_access(HttpPages::MetricsWithToken, None, "/metrics", &right),
            Unauthorized,
            "no token issued yet"
        );
    }
}
