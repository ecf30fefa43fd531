//! Deprecated JSON names, serialized alongside their replacements for one release.
//!
//! Spendwatch 0.1.0 wrote the sizing-percentile CPU as `usage.cpu_p95_vcpu` and
//! `projected.cpu_p95_pct` whatever `cpu_percentile` was configured. The new names
//! (`cpu_sized_percentile_vcpu`, `cpu_sized_percentile_pct`, with `usage.cpu_percentile` saying
//! which percentile) hold for any percentile; the old ones are still written, with the same value,
//! so readers can move over; they go in the release after 0.1.x. Reading accepts either name.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{round, Projection, UsageSummary};

/// The percentile assumed for JSON written before `cpu_percentile` existed (the default then).
pub fn default_percentile() -> f64 {
    95.0
}

impl Serialize for UsageSummary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithAlias {
            #[serde(flatten, with = "UsageSummary")]
            summary: UsageSummary,
            /// Deprecated: `cpu_sized_percentile_vcpu`.
            #[serde(serialize_with = "round::vcpu")]
            cpu_p95_vcpu: f64,
        }
        WithAlias {
            summary: *self,
            cpu_p95_vcpu: self.cpu_sized_percentile_vcpu,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for UsageSummary {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct WithAlias {
            #[serde(flatten, with = "UsageSummary")]
            summary: UsageSummary,
            cpu_sized_percentile_vcpu: Option<f64>,
            cpu_p95_vcpu: Option<f64>,
        }
        let w = WithAlias::deserialize(d)?;
        Ok(UsageSummary {
            cpu_sized_percentile_vcpu: w
                .cpu_sized_percentile_vcpu
                .or(w.cpu_p95_vcpu)
                .unwrap_or_default(),
            ..w.summary
        })
    }
}

impl Serialize for Projection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithAlias {
            #[serde(flatten, with = "Projection")]
            projection: Projection,
            /// Deprecated: `cpu_sized_percentile_pct`.
            #[serde(serialize_with = "round::one_decimal")]
            cpu_p95_pct: f64,
        }
        WithAlias {
            projection: *self,
            cpu_p95_pct: self.cpu_sized_percentile_pct,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Projection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct WithAlias {
            #[serde(flatten, with = "Projection")]
            projection: Projection,
            cpu_sized_percentile_pct: Option<f64>,
            cpu_p95_pct: Option<f64>,
        }
        let w = WithAlias::deserialize(d)?;
        Ok(Projection {
            cpu_sized_percentile_pct: w
                .cpu_sized_percentile_pct
                .or(w.cpu_p95_pct)
                .unwrap_or_default(),
            ..w.projection
        })
    }
}
