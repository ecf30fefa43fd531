//! Rounding for the JSON edge: money to cents, vCPU to 3 decimals, MiB and percents to 1.

use serde::Serializer;

fn to(digits: i32, v: f64) -> f64 {
    let scale = 10f64.powi(digits);
    // `+ 0.0` turns a rounded -0.0 into 0.0.
    (v * scale).round() / scale + 0.0
}

fn opt<S: Serializer>(digits: i32, v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&to(digits, *v)),
        None => s.serialize_none(),
    }
}

/// Dollars to cents.
pub fn usd<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to(2, *v))
}

/// Optional dollars to cents.
pub fn usd_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    opt(2, v, s)
}

/// vCPU to 3 decimals (a thousandth of a vCPU is about one CPU unit).
pub fn vcpu<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to(3, *v))
}

/// MiB to 1 decimal.
pub fn mib<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to(1, *v))
}

/// Percents, hours and minutes to 1 decimal.
pub fn one_decimal<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to(1, *v))
}

/// Optional percents to 1 decimal.
pub fn one_decimal_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    opt(1, v, s)
}

/// Mean task counts to 2 decimals.
pub fn tasks<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to(2, *v))
}

/// Optional task counts to 2 decimals.
pub fn tasks_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    opt(2, v, s)
}
