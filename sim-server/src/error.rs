//! Error bodies of the REST protocol: a status code and `{"message": ...}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A request the server refuses, with a message naming what was wrong.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

/// The JSON error body the `pocket-ic` client reads (its own `ApiError` has a private field).
#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

impl ApiError {
    /// The request itself is wrong (malformed body, bad principal, unknown canister, ...).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// The addressed instance, blob or route does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// The server failed while handling a valid request.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }
}

impl ApiError {
    /// The message for the user.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                message: &self.message,
            }),
        )
            .into_response()
    }
}

/// What a handler returns: a JSON value, or an error body.
pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// Parses a JSON request body, naming the endpoint when it is malformed.
pub fn parse_body<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body for {endpoint}: {e}")))
}
