//! Pure analysis: data in, answers out. No I/O and no clock: callers pass `now`.

pub mod alarm_eval;
pub mod resample;
pub mod spend;
