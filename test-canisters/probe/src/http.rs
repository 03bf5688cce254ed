//! Web pages through the HTTP gateway (the HTTP Gateway Protocol): `http_request` answers with the
//! request it got and the counter, asks for an upgrade at `/upgrade` (then `http_request_update`
//! counts the call and answers), streams three chunks at `/stream` and traps at `/trap`.

use candid::{CandidType, Deserialize};
use serde_bytes::ByteBuf;

/// The gateway's request.
#[derive(CandidType, Deserialize)]
pub struct HttpRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: ByteBuf,
    certificate_version: Option<u16>,
}

/// The canister's answer.
#[derive(CandidType)]
pub struct HttpResponse {
    status_code: u16,
    headers: Vec<(String, String)>,
    body: ByteBuf,
    upgrade: Option<bool>,
    streaming_strategy: Option<StreamingStrategy>,
}

/// How the rest of a streamed body is fetched.
#[derive(CandidType)]
pub enum StreamingStrategy {
    /// Call `callback` with `token` until it answers no token.
    Callback {
        callback: NextChunk,
        token: ChunkToken,
    },
}

/// Which chunk to send next.
#[derive(CandidType, Deserialize)]
pub struct ChunkToken {
    index: u32,
}

/// One chunk of a streamed body, and the token of the next.
#[derive(CandidType)]
pub struct StreamingCallbackHttpResponse {
    body: ByteBuf,
    token: Option<ChunkToken>,
}

candid::define_function!(pub NextChunk : (ChunkToken) -> (StreamingCallbackHttpResponse) query);

/// How many chunks `/stream` sends.
const CHUNKS: u32 = 3;

fn text(status_code: u16, body: String) -> HttpResponse {
    HttpResponse {
        status_code,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: ByteBuf::from(body.into_bytes()),
        upgrade: None,
        streaming_strategy: None,
    }
}

/// The page for `request`, as a query.
#[ic_cdk::query]
fn http_request(request: HttpRequest) -> HttpResponse {
    let path = request.url.split('?').next().unwrap_or_default();
    match path {
        "/upgrade" => HttpResponse {
            upgrade: Some(true),
            ..text(200, "the query's answer".into())
        },
        "/stream" => HttpResponse {
            streaming_strategy: Some(StreamingStrategy::Callback {
                callback: NextChunk::new(ic_cdk::api::canister_self(), "http_next_chunk".into()),
                token: ChunkToken { index: 1 },
            }),
            ..text(200, "chunk 0;".into())
        },
        "/trap" => ic_cdk::trap("the page traps"),
        _ => {
            let probe = request
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("x-probe"))
                .map_or("", |(_, value)| value.as_str());
            let body = format!(
                "{} {} x-probe={probe} body={} certificate_version={:?} count={}",
                request.method,
                request.url,
                String::from_utf8_lossy(&request.body),
                request.certificate_version,
                crate::get()
            );
            HttpResponse {
                headers: vec![("x-probe-page".into(), "yes".into())],
                ..text(201, body)
            }
        }
    }
}

/// The upgraded request, as an update: counts it and answers with the count.
#[ic_cdk::update]
fn http_request_update(request: HttpRequest) -> HttpResponse {
    let count = crate::inc();
    text(200, format!("updated {} count={count}", request.url))
}

/// The streamed body's chunk `token.index`.
#[ic_cdk::query]
fn http_next_chunk(token: ChunkToken) -> StreamingCallbackHttpResponse {
    let next = token.index + 1;
    StreamingCallbackHttpResponse {
        body: ByteBuf::from(format!("chunk {};", token.index).into_bytes()),
        token: (next < CHUNKS).then_some(ChunkToken { index: next }),
    }
}
