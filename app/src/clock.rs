//! Where "now" comes from. Analysis never reads the clock: pages take `now` from here and pass it in.

use std::sync::Arc;

/// A source of the current time in epoch seconds.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch, UTC.
    fn now(&self) -> i64;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock stopped at one instant, for tests and reproducible pages.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;
