//! CloudWatch alarm facts: the states an alarm can be in.

/// An alarm state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlarmState {
    /// Not breaching.
    Ok,
    /// Breaching.
    Alarm,
    /// Not enough data to decide (where CloudWatch starts a new alarm).
    #[default]
    InsufficientData,
}

impl AlarmState {
    /// CloudWatch's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}
