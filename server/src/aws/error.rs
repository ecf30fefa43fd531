//! Turning SDK errors into messages that say which call failed and what to do about it.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS call that failed, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// The caller lacks a permission: the sync carries on with what it may read.
    #[error(
        "AWS denied {api} ({code}): add \"{api}\" to the Action list of the IAM policy Spendwatch runs with (README, \"IAM policy\"); carrying on without it"
    )]
    Denied {
        /// `service:Action`.
        api: &'static str,
        /// AWS's error code.
        code: String,
    },
    /// Credentials are missing, expired or invalid: nothing can be read.
    #[error(
        "no usable AWS credentials for {api} ({detail}). Refresh them (aws sso login, new access keys) or choose a profile with --profile or AWS_PROFILE"
    )]
    Credentials {
        /// `service:Action`.
        api: &'static str,
        /// What AWS or the SDK said.
        detail: String,
    },
    /// Anything else (after the SDK's retries, throttling included).
    #[error("{api} failed: {detail}")]
    Other {
        /// `service:Action`.
        api: &'static str,
        /// What AWS or the SDK said.
        detail: String,
    },
}

impl AwsError {
    /// Whether the sync must stop (no credentials) rather than carry on.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Credentials { .. })
    }

    /// The API the error came from.
    pub fn api(&self) -> &'static str {
        match self {
            Self::Denied { api, .. } | Self::Credentials { api, .. } | Self::Other { api, .. } => {
                api
            }
        }
    }
}

const DENIED: [&str; 5] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
];
const BAD_CREDENTIALS: [&str; 8] = [
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "RequestExpired",
    "InvalidAccessKeyId",
];

/// Classifies an SDK error from the call `api` (`service:Action`).
pub fn classify<E, R>(api: &'static str, err: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    let detail = DisplayErrorContext(&err).to_string();
    match code.as_deref() {
        Some(c) if DENIED.contains(&c) => AwsError::Denied {
            api,
            code: c.to_string(),
        },
        Some(c) if BAD_CREDENTIALS.contains(&c) => AwsError::Credentials {
            api,
            detail: format!("{c}: {}", err.message().unwrap_or("")),
        },
        // The SDK found no credentials at all: it never reached AWS, so there is no error code.
        None if detail.to_lowercase().contains("no credentials") || matches!(err, SdkError::ConstructionFailure(_)) && detail.to_lowercase().contains("credential") => {
            AwsError::Credentials {
                api,
                detail: "no credentials were found in the environment, profiles, SSO, web identity, or container and instance roles".into(),
            }
        }
        _ => AwsError::Other { api, detail },
    }
}
