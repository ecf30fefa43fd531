//! Domain types and facts: Fargate sizes and prices, capacity provider splits, calendar days,
//! alarm states.

pub mod alarms;
pub mod calendar;
pub mod capacity;
pub mod fargate;
pub mod range;
