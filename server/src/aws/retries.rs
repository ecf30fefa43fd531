//! What the SDK's retries cost a sync: how many answers were throttling, how many attempts were
//! repeated, and how long the sync waited in back-off between them.
//!
//! The SDK retries throttled and transient answers by itself (standard mode, see
//! [`super::clients::load_sdk_config`]), so the code that makes a call never sees them. An
//! interceptor on every client watches the attempts instead: it asks the operation's own retry
//! classifiers why an attempt failed (the same verdict the retry strategy acts on), and times the
//! gap between one attempt's end and the next one's start, which is the back-off.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryAction, RetryReason};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::ErrorKind;

/// Retries seen so far, summed over every call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RetryTally {
    /// Answers AWS gave as throttling (ThrottlingException, RequestLimitExceeded, ...).
    pub throttled: u64,
    /// Attempts the SDK repeated, whatever the reason.
    pub retried: u64,
    /// Time spent waiting between a failed attempt and the next one.
    pub waited: Duration,
}

impl RetryTally {
    /// One line for a summary ("AWS throttled 5 answers; 5 retries waited 2.3 s in back-off"),
    /// or None when nothing was retried.
    pub fn summary(&self) -> Option<String> {
        if self.throttled == 0 && self.retried == 0 {
            return None;
        }
        Some(format!(
            "AWS throttled {} answer{}; {} retr{} waited {:.1} s in back-off",
            self.throttled,
            if self.throttled == 1 { "" } else { "s" },
            self.retried,
            if self.retried == 1 { "y" } else { "ies" },
            self.waited.as_secs_f64()
        ))
    }
}

/// The interceptor that keeps a [`RetryTally`]. Cheap to clone: shared.
#[derive(Debug, Clone, Default)]
pub struct RetryLog {
    tally: Arc<Mutex<RetryTally>>,
}

impl RetryLog {
    /// What has been seen so far.
    pub fn tally(&self) -> RetryTally {
        *self.tally.lock().expect("retry log lock")
    }

    fn update(&self, f: impl FnOnce(&mut RetryTally)) {
        f(&mut self.tally.lock().expect("retry log lock"));
    }
}

/// When the previous attempt of this operation ended (kept in the operation's config bag).
#[derive(Debug, Clone, Copy)]
struct AttemptEnded(Instant);

impl Storable for AttemptEnded {
    type Storer = StoreReplace<Self>;
}

impl Intercept for RetryLog {
    fn name(&self) -> &'static str {
        "SpendwatchRetryLog"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Only a repeated attempt finds an earlier one's end in the bag.
        if let Some(ended) = cfg.load::<AttemptEnded>() {
            let waited = ended.0.elapsed();
            self.update(|t| {
                t.retried += 1;
                t.waited += waited;
            });
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let verdict =
            run_classifiers_on_ctx(runtime_components.retry_classifiers(), context.inner());
        if let RetryAction::RetryIndicated(RetryReason::RetryableError {
            kind: ErrorKind::ThrottlingError,
            ..
        }) = verdict
        {
            self.update(|t| t.throttled += 1);
        }
        cfg.interceptor_state()
            .store_put(AttemptEnded(Instant::now()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_only_when_something_was_retried() {
        assert_eq!(RetryTally::default().summary(), None);
        let t = RetryTally {
            throttled: 1,
            retried: 1,
            waited: Duration::from_millis(2_340),
        };
        assert_eq!(
            t.summary().as_deref(),
            Some("AWS throttled 1 answer; 1 retry waited 2.3 s in back-off")
        );
        let t = RetryTally {
            throttled: 5,
            retried: 6,
            waited: Duration::from_millis(60),
        };
        assert_eq!(
            t.summary().as_deref(),
            Some("AWS throttled 5 answers; 6 retries waited 0.1 s in back-off")
        );
    }
}
