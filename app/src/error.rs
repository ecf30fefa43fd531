//! The one error type pages and JSON endpoints return.
//!
//! Policy: bad input is the user's to fix, so its message is shown (400); a missing thing is a 404
//! with a message; anything else is logged in full and shown as a short 500 without internals.
//! Pages render it with the shared error view; JSON endpoints return it as `{"error": "..."}`
//! through its [`IntoResponse`].

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::store::StoreError;

/// An error a page can render.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// The request was malformed (bad query string, impossible range).
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Something failed on our side; the detail went to the log.
    #[error("internal error")]
    Internal,
}

impl AppError {
    /// A 400 with a message for the user.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    /// A 404 with a message for the user.
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound(_) => 404,
            Self::Internal => 500,
        }
    }

    /// The HTTP status this error maps to, typed for responses.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// What a client is told: the message for bad input and missing things, a pointer to the
    /// server log otherwise (the detail was logged where the error was converted).
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal => "internal error: see the server log".to_string(),
            other => other.to_string(),
        }
    }

    /// A short title for the error page.
    pub fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "Bad request",
            Self::NotFound(_) => "Not found",
            Self::Internal => "Something went wrong",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error while rendering a page");
        Self::Internal
    }
}

/// The body of every JSON error response.
#[derive(Debug, serde::Serialize)]
struct ErrorBody {
    /// What went wrong, for a person to read.
    error: String,
}

/// JSON endpoints return `{"error": "..."}` with the error's status.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.public_message(),
        };
        (self.status_code(), axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status and the JSON body a client gets for `error`.
    fn respond(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 4096))
            .expect("the body is small");
        (
            status,
            serde_json::from_slice(&body).expect("the body is JSON"),
        )
    }

    #[test]
    fn bad_input_and_missing_things_show_their_message() {
        assert_eq!(
            respond(AppError::bad_request("'days=x' is not a number")),
            (
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "'days=x' is not a number"})
            )
        );
        assert_eq!(
            respond(AppError::not_found("no service web")),
            (
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": "no service web"})
            )
        );
    }

    #[test]
    fn a_store_failure_is_a_500_without_its_detail() {
        let error = AppError::from(StoreError::Query(sqlx::Error::PoolClosed));
        let (status, body) = respond(error);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"error": "internal error: see the server log"})
        );
    }
}
