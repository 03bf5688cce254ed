//! Refusals of the HTTPS interface: a 4xx status and a plain-text message, as replicas answer
//! malformed, unauthenticated or misdirected requests.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request the interface refuses before it reaches the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// Why, for the user.
    pub message: String,
}

impl Refusal {
    /// 400: malformed, badly signed, expired or misdirected.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 403: a `read_state` path the sender may not read.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    /// 404: a `read_state` path outside the state tree's layout.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}
