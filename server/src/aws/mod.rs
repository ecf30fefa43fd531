//! Shared AWS plumbing: SDK configuration, error classification, and the call ledger.

pub mod calls;
pub mod clients;
pub mod error;
pub mod retries;

pub use calls::CallLog;
pub use clients::{AwsClients, SdkSettings};
pub use error::{classify, AwsError};
pub use retries::{RetryLog, RetryTally};

/// Converts an SDK timestamp into epoch seconds.
pub fn epoch(t: &aws_smithy_types::DateTime) -> i64 {
    t.secs()
}
