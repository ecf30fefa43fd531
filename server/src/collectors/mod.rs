//! One collector per AWS service: a thin SDK call plus a pure conversion into store records.

pub mod alarms;
pub mod autoscaling;
pub mod costs;
pub mod ecs;
pub mod metrics;
