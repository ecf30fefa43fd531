//! The one error type pages return.
//!
//! Policy: bad input is the user's to fix, so its message is shown (400); a missing thing is a 404
//! with a message; anything else is logged in full and shown as a short 500 without internals.

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
