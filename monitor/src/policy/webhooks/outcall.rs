//! The HTTPS outcall that delivers a webhook message: what is sent (a POST of JSON with an
//! `Idempotency-Key` header), its size as the cost function counts it, what the answer means
//! for the outbox, and the transform that strips the answer to its status.

use super::channel::redact;
use crate::policy::call_error::CallError;
use crate::state::outbox::Failure;
use ic_management_canister_types::HttpRequestResult;

/// The monitor's exported query that transforms outcall responses.
pub const TRANSFORM_METHOD: &str = "webhook_transform";
/// The largest response accepted, bytes (headers and body of the raw response, before the
/// transform). Webhook receivers answer with a status, about 1 KiB of headers and a few bytes;
/// the fee grows by 800 cycles per node and byte of this bound (42.6 M cycles on 13 nodes).
pub const MAX_RESPONSE_BYTES: u64 = 4_096;
/// The header carrying the message's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Attempts a message answered with a 4xx other than 429 gets before it is dead-lettered.
pub const CLIENT_ERROR_ATTEMPTS: u32 = 3;

/// A webhook POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcallRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutcallRequest {
    /// A POST of the JSON `body` to `url` with idempotency key `key`.
    pub fn post_json(url: &str, key: &str, body: Vec<u8>) -> Self {
        Self {
            url: url.to_string(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (IDEMPOTENCY_HEADER.into(), key.to_string()),
                ("User-Agent".into(), "canister-hooks-monitor".into()),
            ],
            body,
        }
    }

    /// The `request_size` of `ic0.cost_http_request`: the URL, every header name and value,
    /// the body, and the transform's method name and (empty) context.
    pub fn size(&self) -> u64 {
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        (self.url.len() + headers + self.body.len() + TRANSFORM_METHOD.len()) as u64
    }
}

/// What an outcall's result means: delivered (2xx), or how the outbox should treat the failure.
/// Messages are redacted of URLs.
pub fn classify(result: Result<u16, CallError>, url: &str) -> Result<(), Failure> {
    match result {
        Ok(200..=299) => Ok(()),
        Ok(status @ (429 | 500..=599)) => Err(Failure::Retryable(format!("HTTP {status}"))),
        Ok(status) => Err(Failure::RetryableUpTo(
            format!("HTTP {status}"),
            CLIENT_ERROR_ATTEMPTS,
        )),
        Err(e) => Err(Failure::Retryable(redact(&e.describe(), url))),
    }
}

/// The transform: the status only, so every replica (if ever replicated) agrees and nothing of
/// the receiver's answer (cookies, echoed tokens) reaches the monitor.
pub fn transform(response: HttpRequestResult) -> HttpRequestResult {
    HttpRequestResult {
        status: response.status,
        headers: vec![],
        body: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::webhooks::channel::URL_REDACTED;
    use ic_management_canister_types::HttpHeader;

    const URL: &str = "https://hooks.example.com/T/SECRET";

    #[test]
    fn the_request_posts_json_with_the_key_and_counts_every_part() {
        let r = OutcallRequest::post_json(URL, "m-7", b"{}".to_vec());
        assert!(r
            .headers
            .contains(&(IDEMPOTENCY_HEADER.into(), "m-7".into())));
        let headers = "Content-Type".len()
            + "application/json".len()
            + IDEMPOTENCY_HEADER.len()
            + 3
            + "User-Agent".len()
            + "canister-hooks-monitor".len();
        assert_eq!(
            r.size() as usize,
            URL.len() + headers + 2 + TRANSFORM_METHOD.len()
        );
    }

    #[test]
    fn success_retry_and_give_up_follow_the_status() {
        assert_eq!(classify(Ok(200), URL), Ok(()));
        assert_eq!(classify(Ok(204), URL), Ok(()));
        for s in [429, 500, 503] {
            assert!(
                matches!(classify(Ok(s), URL), Err(Failure::Retryable(_))),
                "{s}"
            );
        }
        for s in [400, 401, 404, 301] {
            assert_eq!(
                classify(Ok(s), URL),
                Err(Failure::RetryableUpTo(
                    format!("HTTP {s}"),
                    CLIENT_ERROR_ATTEMPTS
                ))
            );
        }
    }

    #[test]
    fn a_reject_is_retried_and_its_message_never_shows_the_url() {
        let e = CallError::rejected(2, format!("Timeout expired connecting to {URL}"));
        let Err(Failure::Retryable(reason)) = classify(Err(e), URL) else {
            panic!()
        };
        assert!(
            !reason.contains("SECRET") && reason.contains(URL_REDACTED),
            "{reason}"
        );
    }

    #[test]
    fn the_transform_keeps_only_the_status() {
        let raw = HttpRequestResult {
            status: 201u32.into(),
            headers: vec![HttpHeader {
                name: "Set-Cookie".into(),
                value: "s=1".into(),
            }],
            body: b"echo SECRET".to_vec(),
        };
        let t = transform(raw);
        assert_eq!(t.status, candid::Nat::from(201u32));
        assert!(t.headers.is_empty() && t.body.is_empty());
    }
}
