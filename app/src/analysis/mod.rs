//! Pure analysis: data in, answers out. No I/O and no clock: callers pass `now`.

pub mod alarm_eval;
pub mod alarms;
pub mod downsample;
pub mod percentile;
pub mod recommend;
pub mod resample;
pub mod scaling;
pub mod spend;
