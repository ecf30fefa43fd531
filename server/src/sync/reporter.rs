//! Where a sync tells how it is going. The sync itself prints nothing: the CLI shows progress bars
//! through its own [`Reporter`], the server's background syncs and the tests use [`Silent`].

use super::{Phase, PhaseReport};

/// Receives a sync's progress. Every method does nothing by default.
pub trait Reporter: Send + Sync {
    /// `phase` began for `scope` (a region, or `account` for costs).
    fn phase_started(&self, _phase: Phase, _scope: &str) {}
    /// The running phase will take `total` steps (GetMetricData calls).
    fn steps_planned(&self, _total: u64) {}
    /// One step of the running phase is done.
    fn step_done(&self) {}
    /// The running phase ended, as `report` says.
    fn phase_done(&self, _report: &PhaseReport) {}
}

/// A reporter that shows nothing: background syncs and tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {}
