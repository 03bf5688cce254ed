//! The HTTP Gateway Protocol's Candid types (as far as the gateway reads them) and the mapping of
//! a canister's answer, or its failure, to an HTTP response.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use candid::types::value::{IDLArgs, IDLField, IDLValue};
use candid::{CandidType, Deserialize};
use ic_sim::{ErrorCode, UserError};

/// `HttpRequest`, the argument of `http_request` (and, without `certificate_version`, of
/// `http_request_update`: the extra `opt` field is ignored by Candid subtyping).
#[derive(CandidType, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query string.
    pub url: String,
    /// The request's headers.
    pub headers: Vec<(String, String)>,
    /// The request's body.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// The response verification version the gateway asks for.
    pub certificate_version: Option<u16>,
}

/// `HttpResponse`, the reply of `http_request` and `http_request_update`, without its
/// `streaming_strategy` (read untyped by [`streaming_callback`]: its token has any type).
#[derive(CandidType, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status_code: u16,
    /// The response's headers.
    pub headers: Vec<(String, String)>,
    /// The body, or its first chunk when streaming.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// `opt true` asks the gateway to send the request again as the `http_request_update` update.
    pub upgrade: Option<bool>,
}

/// A streaming callback of a response: the query method (of the canister itself) and the token
/// for the next chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// The callback's canister.
    pub canister: candid::Principal,
    /// The callback's method.
    pub method: String,
    /// The argument of the next call.
    pub token: IDLValue,
}

/// Why the gateway could not answer with the canister's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    /// The status the gateway answers with.
    pub status: StatusCode,
    /// A plain-text reason.
    pub reason: String,
}

impl GatewayError {
    /// The request cannot name a canister (400).
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            reason: reason.into(),
        }
    }

    /// The canister answered something that is not an HTTP response (502).
    pub fn bad_reply(reason: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_GATEWAY,
            reason: reason.into(),
        }
    }

    /// A call to the canister failed: 404 when the canister does not exist; 503 when it cannot
    /// serve (no `http_request`, no code, stopped, out of cycles); 502 when it trapped or
    /// rejected.
    pub fn call_failed(method: &str, error: &UserError) -> Self {
        let status = match error.error_code {
            ErrorCode::CanisterNotFound => StatusCode::NOT_FOUND,
            ErrorCode::CanisterFunctionNotFound
            | ErrorCode::CanisterWasmModuleNotFound
            | ErrorCode::CanisterStopped
            | ErrorCode::CanisterStopping
            | ErrorCode::CanisterOutOfCycles => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        };
        Self {
            status,
            reason: format!("{method} failed: {}", error.message),
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            self.reason + "\n",
        )
            .into_response()
    }
}

/// Decodes a reply of `http_request`/`http_request_update`.
pub fn decode_response(method: &str, reply: &[u8]) -> Result<HttpResponse, GatewayError> {
    candid::decode_one(reply).map_err(|e| {
        GatewayError::bad_reply(format!("the reply of {method} is not an HttpResponse: {e}"))
    })
}

/// The streaming callback of a reply, if it has one.
pub fn streaming_callback(reply: &[u8]) -> Result<Option<Callback>, GatewayError> {
    let strategy = field(&first_value(reply)?, "streaming_strategy").cloned();
    let Some(IDLValue::Opt(strategy)) = strategy else {
        return Ok(None);
    };
    let IDLValue::Variant(variant) = *strategy else {
        return Err(bad_strategy());
    };
    let IDLField { id, val } = *variant.0;
    if id.get_id() != candid::idl_hash("Callback") {
        return Err(bad_strategy());
    }
    match (field(&val, "callback"), field(&val, "token")) {
        (Some(IDLValue::Func(canister, method)), Some(token)) => Ok(Some(Callback {
            canister: *canister,
            method: method.clone(),
            token: token.clone(),
        })),
        _ => Err(bad_strategy()),
    }
}

/// A streaming callback's reply (`record { body : blob; token : opt Token }`): the chunk and the
/// token of the next one.
pub fn decode_chunk(reply: &[u8]) -> Result<(Vec<u8>, Option<IDLValue>), GatewayError> {
    let value = first_value(reply)?;
    let body = match field(&value, "body") {
        Some(IDLValue::Blob(bytes)) => bytes.clone(),
        Some(IDLValue::Vec(items)) => items
            .iter()
            .map(|item| match item {
                IDLValue::Nat8(byte) => Ok(*byte),
                _ => Err(bad_chunk()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad_chunk()),
    };
    let token = match field(&value, "token") {
        Some(IDLValue::Opt(token)) => Some((**token).clone()),
        Some(IDLValue::None) | None => None,
        Some(_) => return Err(bad_chunk()),
    };
    Ok((body, token))
}

/// The argument of a streaming callback: the token.
pub fn encode_token(token: &IDLValue) -> Result<Vec<u8>, GatewayError> {
    IDLArgs::new(std::slice::from_ref(token))
        .to_bytes()
        .map_err(|e| GatewayError::bad_reply(format!("the streaming token does not encode: {e}")))
}

fn first_value(reply: &[u8]) -> Result<IDLValue, GatewayError> {
    IDLArgs::from_bytes(reply)
        .ok()
        .and_then(|args| args.args.into_iter().next())
        .ok_or_else(|| GatewayError::bad_reply("the reply is not Candid with one value"))
}

/// The field `name` of a record value.
fn field<'a>(record: &'a IDLValue, name: &str) -> Option<&'a IDLValue> {
    let IDLValue::Record(fields) = record else {
        return None;
    };
    let id = candid::idl_hash(name);
    fields.iter().find(|f| f.id.get_id() == id).map(|f| &f.val)
}

fn bad_strategy() -> GatewayError {
    GatewayError::bad_reply(
        "streaming_strategy is not `Callback : record { callback : func; token }`",
    )
}

fn bad_chunk() -> GatewayError {
    GatewayError::bad_reply(
        "a streaming callback's reply is not `record { body : blob; token : opt Token }`",
    )
}

/// The HTTP response for a canister's answer with its whole body.
pub fn into_http(response: HttpResponse) -> Result<Response, GatewayError> {
    let status = StatusCode::from_u16(response.status_code).map_err(|_| {
        GatewayError::bad_reply(format!(
            "status_code {} is not an HTTP status",
            response.status_code
        ))
    })?;
    let mut http = Response::new(Body::from(response.body));
    *http.status_mut() = status;
    for (name, value) in response.headers {
        let header = HeaderName::try_from(name.as_str())
            .ok()
            .zip(HeaderValue::try_from(&value).ok());
        let Some((name, value)) = header else {
            return Err(GatewayError::bad_reply(format!(
                "header `{name}: {value}` is not a valid HTTP header"
            )));
        };
        // The body is sent whole: its length is the gateway's to state.
        if name != axum::http::header::CONTENT_LENGTH
            && name != axum::http::header::TRANSFER_ENCODING
        {
            http.headers_mut().append(name, value);
        }
    }
    Ok(http)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;

    /// `HttpResponse` with a streaming strategy whose token is a record of the canister's own.
    #[derive(CandidType, Deserialize)]
    struct StreamingResponse {
        status_code: u16,
        headers: Vec<(String, String)>,
        #[serde(with = "serde_bytes")]
        body: Vec<u8>,
        upgrade: Option<bool>,
        streaming_strategy: Option<Strategy>,
    }

    #[derive(CandidType, Deserialize)]
    enum Strategy {
        Callback { callback: NextChunk, token: Token },
    }

    candid::define_function!(NextChunk : (Token) -> (Chunk) query);

    #[derive(CandidType, Deserialize, Debug, PartialEq)]
    struct Token {
        chunk: u32,
        key: String,
    }

    #[derive(CandidType, Deserialize)]
    struct Chunk {
        #[serde(with = "serde_bytes")]
        body: Vec<u8>,
        token: Option<Token>,
    }

    fn response(status_code: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status_code,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: b"body".to_vec(),
            upgrade: None,
        }
    }

    #[test]
    fn a_response_keeps_its_status_headers_and_body_but_not_its_length() {
        let http = into_http(response(
            418,
            &[("X-Tea", "pot"), ("x-tea", "cup"), ("Content-Length", "99")],
        ))
        .unwrap();
        assert_eq!(http.status(), StatusCode::IM_A_TEAPOT);
        let teas: Vec<_> = http.headers().get_all("x-tea").iter().collect();
        assert_eq!(teas, ["pot", "cup"]);
        assert!(http.headers().get("content-length").is_none());
    }

    #[test]
    fn an_impossible_status_or_header_is_a_bad_gateway() {
        let error = into_http(response(1000, &[])).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_GATEWAY);
        assert!(
            error.reason.contains("status_code 1000"),
            "{}",
            error.reason
        );
        let error = into_http(response(200, &[("bad name", "v")])).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_GATEWAY);
        assert!(error.reason.contains("`bad name: v`"), "{}", error.reason);
    }

    #[test]
    fn failed_calls_map_to_the_gateways_statuses() {
        let cases = [
            (ErrorCode::CanisterNotFound, StatusCode::NOT_FOUND),
            (
                ErrorCode::CanisterFunctionNotFound,
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                ErrorCode::CanisterWasmModuleNotFound,
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (ErrorCode::CanisterCalledTrap, StatusCode::BAD_GATEWAY),
            (ErrorCode::CanisterRejectedMessage, StatusCode::BAD_GATEWAY),
        ];
        for (code, status) in cases {
            let error = GatewayError::call_failed("http_request", &UserError::new(code, "x"));
            assert_eq!(error.status, status, "{code:?}");
        }
    }

    #[test]
    fn a_streaming_strategy_gives_the_callback_and_a_token_that_encodes_back() {
        let canister = Principal::from_slice(&[1, 2, 3]);
        let token = Token {
            chunk: 1,
            key: "/big".into(),
        };
        let reply = candid::encode_one(StreamingResponse {
            status_code: 200,
            headers: vec![],
            body: b"first".to_vec(),
            upgrade: None,
            streaming_strategy: Some(Strategy::Callback {
                callback: NextChunk::new(canister, "next_chunk".into()),
                token,
            }),
        })
        .unwrap();
        assert_eq!(
            decode_response("http_request", &reply).unwrap().body,
            b"first"
        );
        let callback = streaming_callback(&reply).unwrap().expect("a callback");
        assert_eq!(
            (callback.canister, callback.method.as_str()),
            (canister, "next_chunk")
        );
        let argument = encode_token(&callback.token).unwrap();
        let token: Token = candid::decode_one(&argument).unwrap();
        assert_eq!(
            token,
            Token {
                chunk: 1,
                key: "/big".into()
            }
        );

        let plain = candid::encode_one(response(200, &[])).unwrap();
        assert_eq!(streaming_callback(&plain).unwrap(), None);
    }

    #[test]
    fn chunks_give_their_body_and_the_next_token_until_none() {
        let more = Chunk {
            body: b"more".to_vec(),
            token: Some(Token {
                chunk: 2,
                key: "k".into(),
            }),
        };
        let (body, token) = decode_chunk(&candid::encode_one(more).unwrap()).unwrap();
        assert_eq!(body, b"more");
        assert!(token.is_some());
        let last = Chunk {
            body: b"end".to_vec(),
            token: None,
        };
        assert_eq!(
            decode_chunk(&candid::encode_one(last).unwrap()).unwrap(),
            (b"end".to_vec(), None)
        );
        let error = decode_chunk(&candid::encode_one(7u8).unwrap()).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_GATEWAY);
    }
}
