//! Turning SDK errors into one readable line that says which call failed, what happened and what
//! to do about it. The SDK's full error (a Debug dump of its internals) goes to the log at debug
//! level only: people read the line on the Sync page and in the terminal.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS call that failed, classified. Every variant displays as one line.
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
    /// The SDK found no credentials anywhere: it never reached AWS.
    #[error(
        "{api}: no AWS credentials found: set AWS_PROFILE (or --profile), export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run inside AWS"
    )]
    NoCredentials {
        /// `service:Action`.
        api: &'static str,
    },
    /// The session behind the credentials has ended.
    #[error(
        "{api}: the AWS credentials have expired ({code}): refresh them (aws sso login, or a new session token) and sync again"
    )]
    ExpiredCredentials {
        /// `service:Action`.
        api: &'static str,
        /// AWS's error code.
        code: String,
    },
    /// AWS does not accept the credentials (unknown key, bad signature).
    #[error(
        "{api}: AWS rejected the credentials ({code}): check the access key and secret, or choose another profile with --profile or AWS_PROFILE"
    )]
    BadCredentials {
        /// `service:Action`.
        api: &'static str,
        /// AWS's error code.
        code: String,
    },
    /// A credentials provider (profile, SSO, role, process) failed to give credentials.
    #[error(
        "{api}: could not load AWS credentials ({detail}): check the profile (aws configure list), run aws sso login if it uses SSO, or choose another with --profile or AWS_PROFILE"
    )]
    CredentialsFailed {
        /// `service:Action`.
        api: &'static str,
        /// The provider's own words, on one line.
        detail: String,
    },
    /// The request never got an answer: connection refused, unknown host, timeout.
    #[error(
        "{api}: cannot reach AWS ({reason}): check the network and proxy, and AWS_ENDPOINT_URL if it is set"
    )]
    Unreachable {
        /// `service:Action`.
        api: &'static str,
        /// What went wrong on the way, in a few words.
        reason: String,
    },
    /// Anything else (after the SDK's retries, throttling included).
    #[error("{api} failed: {detail}")]
    Other {
        /// `service:Action`.
        api: &'static str,
        /// What AWS or the SDK said, on one line.
        detail: String,
    },
}

impl AwsError {
    /// Whether the sync must stop (no usable credentials) rather than carry on.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::NoCredentials { .. }
                | Self::ExpiredCredentials { .. }
                | Self::BadCredentials { .. }
                | Self::CredentialsFailed { .. }
        )
    }

    /// The API the error came from.
    pub fn api(&self) -> &'static str {
        match self {
            Self::Denied { api, .. }
            | Self::NoCredentials { api }
            | Self::ExpiredCredentials { api, .. }
            | Self::BadCredentials { api, .. }
            | Self::CredentialsFailed { api, .. }
            | Self::Unreachable { api, .. }
            | Self::Other { api, .. } => api,
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
const EXPIRED: [&str; 3] = ["ExpiredToken", "ExpiredTokenException", "RequestExpired"];
const BAD_CREDENTIALS: [&str; 5] = [
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
];
/// Longest detail kept from an unclassified error; the log has the rest.
const MAX_DETAIL: usize = 300;

/// What a failed call looked like, without the SDK's types: enough to classify it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// AWS's error code, when AWS answered.
    pub code: Option<String>,
    /// AWS's error message, when AWS answered.
    pub message: Option<String>,
    /// Whether the request never got an answer (connect, DNS, timeout, I/O).
    pub unreachable: bool,
    /// The messages of the error and its sources, outermost first (Display, never Debug).
    pub chain: Vec<String>,
}

/// Classifies an SDK error from the call `api` (`service:Action`); logs the whole error at debug.
pub fn classify<E, R>(api: &'static str, err: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    tracing::debug!(api, error = %DisplayErrorContext(&err), "AWS call failed");
    let unreachable = match &err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
        _ => false,
    };
    let observed = Observed {
        code: err.code().map(str::to_string),
        message: err.message().map(str::to_string),
        unreachable,
        chain: error_chain(&err),
    };
    describe(api, &observed)
}

/// The messages of `err` and its sources, outermost first, repeats dropped.
pub fn error_chain(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = one_line(&e.to_string());
        if !text.is_empty() && !out.iter().any(|seen| seen.contains(&text)) {
            out.push(text);
        }
        next = e.source();
    }
    out
}

/// Names the class of a failed call and what to do about it.
pub fn describe(api: &'static str, o: &Observed) -> AwsError {
    let lower = o.chain.join(": ").to_lowercase();
    match o.code.as_deref() {
        Some(c) if DENIED.contains(&c) => AwsError::Denied {
            api,
            code: c.into(),
        },
        Some(c) if EXPIRED.contains(&c) => AwsError::ExpiredCredentials {
            api,
            code: c.into(),
        },
        Some(c) if BAD_CREDENTIALS.contains(&c) => AwsError::BadCredentials {
            api,
            code: c.into(),
        },
        Some(c) => AwsError::Other {
            api,
            detail: clip(&match o.message.as_deref() {
                Some(m) if !m.trim().is_empty() => format!("{c}: {}", one_line(m)),
                _ => c.to_string(),
            }),
        },
        // No answer from AWS and no code: the SDK stopped before sending, or the network did.
        None if lower.contains("no credentials") || lower.contains("credentials provider") => {
            AwsError::NoCredentials { api }
        }
        // A provider that was found but failed: an SSO session that ended, a role it may not assume.
        None if lower.contains("credential") && !o.unreachable => AwsError::CredentialsFailed {
            api,
            detail: clip(o.chain.last().map_or("unknown error", String::as_str)),
        },
        None if o.unreachable || network_reason(&lower).is_some() => AwsError::Unreachable {
            api,
            reason: network_reason(&lower).unwrap_or("no answer").into(),
        },
        None => AwsError::Other {
            api,
            detail: clip(o.chain.last().map_or("unknown error", String::as_str)),
        },
    }
}

/// A few words for why a request got no answer, from the error messages (lower case).
fn network_reason(lower: &str) -> Option<&'static str> {
    const REASONS: [(&str, &str); 8] = [
        ("connection refused", "connection refused"),
        ("dns error", "host name not found"),
        ("failed to lookup address", "host name not found"),
        ("name or service not known", "host name not found"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("connection reset", "connection reset"),
        ("network is unreachable", "network unreachable"),
    ];
    REASONS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, reason)| *reason)
}

/// Collapses whitespace (newlines included) to single spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most [`MAX_DETAIL`] characters of `s`, on one line.
fn clip(s: &str) -> String {
    let s = one_line(s);
    match s.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    const API: &str = "sts:GetCallerIdentity";

    fn answered(code: &str, message: &str) -> Observed {
        Observed {
            code: Some(code.into()),
            message: Some(message.into()),
            ..Observed::default()
        }
    }

    /// One line, naming the call, with no Debug noise from the SDK.
    fn assert_readable(e: &AwsError) -> String {
        let text = e.to_string();
        assert!(!text.contains('\n'), "one line: {text}");
        assert!(text.contains(API), "names the call: {text}");
        for noise in ["{ ", "Some(", "DispatchFailure", "ConnectorError"] {
            assert!(!text.contains(noise), "no Debug dump ({noise}): {text}");
        }
        text
    }

    #[test]
    fn missing_credentials_say_where_to_set_them() {
        let o = Observed {
            chain: vec![
                "dispatch failure".into(),
                "other".into(),
                "the credential provider was not enabled".into(),
                "no credentials were found in the environment".into(),
            ],
            ..Observed::default()
        };
        let e = describe(API, &o);
        assert_eq!(e, AwsError::NoCredentials { api: API });
        assert!(e.is_fatal());
        let text = assert_readable(&e);
        assert!(text.contains("no AWS credentials found") && text.contains("AWS_PROFILE"));
    }

    #[test]
    fn expired_and_rejected_credentials_say_what_to_refresh() {
        let e = describe(
            API,
            &answered(
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
        );
        assert!(matches!(e, AwsError::ExpiredCredentials { .. }) && e.is_fatal());
        assert!(assert_readable(&e).contains("expired (ExpiredToken)"));
        let e = describe(
            API,
            &answered("InvalidClientTokenId", "The security token is invalid"),
        );
        assert!(matches!(e, AwsError::BadCredentials { .. }) && e.is_fatal());
        assert!(assert_readable(&e).contains("rejected the credentials"));
    }

    #[test]
    fn a_failing_credentials_provider_says_what_to_check() {
        let o = Observed {
            chain: vec![
                "dispatch failure".into(),
                "an error occurred while loading credentials".into(),
                "the SSO session has expired or is invalid".into(),
            ],
            ..Observed::default()
        };
        let e = describe(API, &o);
        assert!(
            matches!(e, AwsError::CredentialsFailed { .. }) && e.is_fatal(),
            "{e:?}"
        );
        let text = assert_readable(&e);
        assert!(
            text.contains(
                "could not load AWS credentials (the SSO session has expired or is invalid)"
            ) && text.contains("aws sso login"),
            "{text}"
        );
    }

    #[test]
    fn access_denied_names_the_action_to_allow() {
        let e = describe(
            API,
            &answered("AccessDeniedException", "User: arn:... is not authorized"),
        );
        assert!(!e.is_fatal(), "the sync carries on without it");
        assert!(assert_readable(&e).contains(&format!("add \"{API}\" to the Action list")));
    }

    #[test]
    fn an_unreachable_endpoint_says_why_in_a_few_words() {
        let refused = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "tcp connect error: Connection refused (os error 111)",
        );
        let err: SdkError<std::io::Error, ()> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let e = describe(
            API,
            &Observed {
                unreachable: true,
                chain: error_chain(&err),
                ..Observed::default()
            },
        );
        assert_eq!(
            e,
            AwsError::Unreachable {
                api: API,
                reason: "connection refused".into()
            }
        );
        assert!(assert_readable(&e).contains("cannot reach AWS"));
        for (message, reason) in [
            (
                "dns error: failed to lookup address information",
                "host name not found",
            ),
            ("operation timed out", "timed out"),
        ] {
            let o = Observed {
                unreachable: true,
                chain: vec!["dispatch failure".into(), message.into()],
                ..Observed::default()
            };
            assert_eq!(
                describe(API, &o),
                AwsError::Unreachable {
                    api: API,
                    reason: reason.into()
                }
            );
        }
    }

    #[test]
    fn anything_else_is_clipped_to_one_line() {
        let e = describe(API, &answered("Throttling", "Rate exceeded\nslow down"));
        assert_eq!(
            e.to_string(),
            format!("{API} failed: Throttling: Rate exceeded slow down")
        );
        let long = Observed {
            chain: vec!["x".repeat(1000)],
            ..Observed::default()
        };
        let text = assert_readable(&describe(API, &long));
        assert!(text.chars().count() < MAX_DETAIL + 40, "{text}");
    }
}
