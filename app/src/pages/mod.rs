//! One module per page: a data struct, the function that builds it, and its view.

pub mod alarm;
pub mod alarm_history;
pub mod alarms;
pub mod costs;
pub mod not_found;
pub mod overview;
pub mod scaling;
pub mod service;
pub mod services;
pub mod sync;
pub mod tiers;
