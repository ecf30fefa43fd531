//! Scaling what-if: replays a service's per-minute history through another scaling policy, task
//! size or capacity provider mix, and says what the fleet would have done, cost and risked.
//!
//! [`demand`] rebuilds the work the service had to do from its history, [`policy`] holds the
//! Application Auto Scaling settings to replay, [`simulate`] runs them minute by minute and
//! [`sweep`] runs many settings side by side. Pure: no I/O, no clock.

pub mod demand;
pub mod policy;
pub mod simulate;
pub mod step;
pub mod sweep;
#[cfg(test)]
mod tests;

pub use demand::{align, Demand, History};
pub use policy::{AlarmRules, Metric, Policy, TargetTracking};
pub use simulate::{actual_run, calibrate, simulate, AlarmLine, Calibration, Fleet, Run, Totals};
pub use step::{AdjustmentType, StepAdjustment, StepPolicy};
pub use sweep::{same_headroom_target, sweep, SweepKind, SweepPoint};
