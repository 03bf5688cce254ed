//! Which canister a request to the gateway is for, as the IC's HTTP gateways resolve it: the
//! leftmost label of the host (`<id>.localhost`, `<id>.raw.localhost`, `<id>.icp0.io`, ...), else
//! a `canisterId=<id>` query parameter on any host. Paths under `/api/` always go to the HTTPS
//! interface, whatever the host; any other request must name a canister.

use candid::Principal;

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A canister's `http_request`.
    Canister(Principal),
    /// The instance's HTTPS interface (`/api/...`).
    Interface,
}

/// The request's target, from its host (with or without its port) and path and query; an error
/// when it names no canister or a malformed `canisterId`.
pub fn resolve(host: Option<&str>, path_and_query: &str) -> Result<Target, String> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    if path.starts_with("/api/") {
        return Ok(Target::Interface);
    }
    if let Some(canister) = host.and_then(canister_in_host) {
        return Ok(Target::Canister(canister));
    }
    match query_parameter(query, "canisterId") {
        Some(text) => Principal::from_text(text)
            .map(Target::Canister)
            .map_err(|e| format!("`canisterId={text}` is not a canister id: {e}")),
        None => Err(
            "no canister id in the host (`<canister id>.localhost`) nor a `canisterId` query \
             parameter; the HTTPS interface is under `/api/`"
                .to_string(),
        ),
    }
}

/// The canister id a host names in its leftmost label (`<id>.localhost:8000`), if any.
fn canister_in_host(host: &str) -> Option<Principal> {
    let host = strip_port(host);
    let (first, rest) = host.split_once('.')?;
    if rest.is_empty() {
        return None;
    }
    Principal::from_text(first.to_ascii_lowercase()).ok()
}

/// `host` without a trailing `:port` (an IPv6 literal keeps its brackets).
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// The value of the first `name=value` pair of a query string.
fn query_parameter<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lxzze-o7777-77777-aaaaa-cai";

    fn canister() -> Target {
        Target::Canister(Principal::from_text(ID).unwrap())
    }

    #[test]
    fn canister_subdomains_name_the_canister_with_or_without_port_and_raw() {
        for host in [
            format!("{ID}.localhost"),
            format!("{ID}.localhost:8000"),
            format!("{ID}.raw.localhost:4943"),
            format!("{}.raw.icp0.io", ID.to_uppercase()),
        ] {
            assert_eq!(resolve(Some(&host), "/metrics"), Ok(canister()), "{host}");
        }
    }

    #[test]
    fn hosts_without_a_canister_name_none() {
        for host in [
            "localhost:8000",
            "127.0.0.1:8000",
            "[::1]:8000",
            "localhost",
            ID,
            "not-a-canister.localhost",
        ] {
            let error = resolve(Some(host), "/index.html").unwrap_err();
            assert!(
                error.starts_with("no canister id in the host"),
                "{host}: {error}"
            );
        }
        assert!(resolve(None, "/").is_err());
    }

    #[test]
    fn the_canister_id_parameter_works_on_any_host_and_a_bad_one_is_named() {
        let path = format!("/index.html?x=1&canisterId={ID}");
        assert_eq!(resolve(Some("127.0.0.1:8000"), &path), Ok(canister()));
        assert_eq!(resolve(None, &path), Ok(canister()));
        let error = resolve(Some("localhost"), "/?canisterId=nope").unwrap_err();
        assert!(
            error.contains("`canisterId=nope` is not a canister id"),
            "{error}"
        );
    }

    #[test]
    fn api_paths_go_to_the_interface_on_any_host() {
        assert_eq!(
            resolve(Some("127.0.0.1:8000"), "/api/v2/status"),
            Ok(Target::Interface)
        );
        let host = format!("{ID}.localhost:8000");
        assert_eq!(
            resolve(Some(&host), "/api/v2/status"),
            Ok(Target::Interface)
        );
        let path = format!("/api/v2/status?canisterId={ID}");
        assert_eq!(resolve(Some("localhost"), &path), Ok(Target::Interface));
    }
}
