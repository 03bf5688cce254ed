//! `curl` of a canister's pages through the local replica's HTTP gateway, which calls the
//! canister's `http_request` query.

use super::{Fatal, Session};
use candid::Principal;

/// The local replica's HTTP port (dfx's default).
const LOCAL_PORT: u16 = 4943;

impl Session {
    /// `curl [-s] [-f] [-S] URL` of a canister's HTTP interface through the local gateway.
    pub(super) fn curl(&mut self, args: &[&str]) -> Result<String, Fatal> {
        let (flags, urls): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with('-'));
        if let Some(bad) = flags
            .iter()
            .find(|f| f.len() < 2 || !f[1..].chars().all(|c| "sfS".contains(c)))
        {
            return Err(Fatal::script(format!(
                "curl flag `{bad}`: only -s, -f and -S are supported"
            )));
        }
        let [url] = urls[..] else {
            return Err(Fatal::script("curl takes exactly one URL"));
        };
        let (host, path) = parse_url(url).map_err(Fatal::script)?;
        let (id_text, raw) = match host.strip_suffix(".raw.localhost") {
            Some(id) => (id, true),
            None => (
                host.strip_suffix(".localhost").ok_or_else(|| {
                    Fatal::script(format!(
                        "`{host}`: the walkthrough reaches canisters as <id>.raw.localhost:{LOCAL_PORT}"
                    ))
                })?,
                false,
            ),
        };
        let id = Principal::from_text(id_text)
            .map_err(|e| Fatal::script(format!("`{id_text}` is not a canister id: {e}")))?;
        let name = self
            .name_of(id)
            .ok_or_else(|| Fatal::Failed(format!("no canister {id} on the local replica")))?;
        let request = HttpRequest {
            method: "GET".into(),
            url: path.to_string(),
            headers: vec![("Host".into(), host.to_string())],
            body: Vec::new(),
        };
        let arg = candid::encode_one(request).expect("an HTTP request encodes");
        self.project
            .canister(&name)
            .map_err(Fatal::Script)?
            .interface
            .method("http_request")
            .map_err(Fatal::Script)?;
        let Some(replica) = self.replica()? else {
            return Ok(String::new());
        };
        let reply = replica
            .query(id, "http_request", arg)
            .map_err(Fatal::Failed)?;
        let response: HttpResponse = candid::decode_one(&reply)
            .map_err(|e| Fatal::Failed(format!("http_request reply: {e}")))?;
        let certified = response
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("IC-Certificate"));
        if !raw && !certified {
            return Err(Fatal::Failed(format!(
                "response verification failed: {name}'s response carries no IC-Certificate; \
                 fetch it through the raw domain ({id}.raw.localhost)"
            )));
        }
        let body = String::from_utf8_lossy(&response.body).into_owned();
        if response.status_code != 200 {
            return Err(Fatal::Failed(format!(
                "HTTP {} from {url}: {body}",
                response.status_code
            )));
        }
        Ok(body)
    }
}

/// `http://HOST:4943/PATH` into host and path.
fn parse_url(url: &str) -> Result<(&str, &str), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}`: only http:// URLs of the local replica"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| format!("`{url}`: give the port ({LOCAL_PORT})"))?;
    if port != LOCAL_PORT.to_string() {
        return Err(format!(
            "`{url}`: the local replica listens on {LOCAL_PORT}"
        ));
    }
    Ok((host, if path.is_empty() { "/" } else { path }))
}

/// The gateway's request to a canister's `http_request`.
#[derive(candid::CandidType)]
struct HttpRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// The canister's answer.
#[derive(candid::CandidType, candid::Deserialize)]
struct HttpResponse {
    status_code: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}
