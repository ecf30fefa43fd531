//! Domain types and facts: Fargate sizes and prices, capacity provider splits, calendar days.

pub mod calendar;
pub mod capacity;
pub mod fargate;
pub mod range;
