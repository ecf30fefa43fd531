//! Fargate task sizes and their list prices: the valid CPU/memory pairs AWS allows and the
//! us-east-1 Linux rates per vCPU-hour and GB-hour (configurable, since they differ by region and
//! change), with Fargate Spot as a configurable discount.

use serde::{Deserialize, Serialize};

/// Hours in a billing month, as AWS's calculators use.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// CPU architecture of a task, which sets its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Architecture {
    /// Linux/x86_64.
    #[default]
    X86_64,
    /// Linux/ARM64 (Graviton).
    Arm64,
}

impl Architecture {
    /// Parses ECS's runtimePlatform spelling (`X86_64`, `ARM64`), case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "X86_64" | "X86-64" | "AMD64" => Some(Self::X86_64),
            "ARM64" | "AARCH64" => Some(Self::Arm64),
            _ => None,
        }
    }

    /// ECS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X86_64 => "X86_64",
            Self::Arm64 => "ARM64",
        }
    }
}

/// A Fargate task size: CPU units (1024 = 1 vCPU) and memory in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskSize {
    /// CPU units.
    pub cpu: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
}

impl TaskSize {
    /// A size, not checked against Fargate's table (see [`TaskSize::is_valid_fargate`]).
    pub const fn new(cpu: u32, memory_mib: u32) -> Self {
        Self { cpu, memory_mib }
    }

    /// vCPUs.
    pub fn vcpu(self) -> f64 {
        f64::from(self.cpu) / 1024.0
    }

    /// Memory in GB as Fargate bills it (1 GB = 1024 MiB).
    pub fn memory_gb(self) -> f64 {
        f64::from(self.memory_mib) / 1024.0
    }

    /// Whether Fargate accepts this CPU / memory pair.
    pub fn is_valid_fargate(self) -> bool {
        valid_sizes().any(|s| s == self)
    }

    /// Why Fargate refuses this pair (naming what it accepts instead), or None when it is valid.
    pub fn fargate_problem(self) -> Option<String> {
        if self.is_valid_fargate() {
            return None;
        }
        let memories: Vec<u32> = valid_sizes()
            .filter(|s| s.cpu == self.cpu)
            .map(|s| s.memory_mib)
            .collect();
        Some(match (memories.first(), memories.last()) {
            (Some(lo), Some(hi)) => format!(
                "memory {} MiB does not go with cpu {} on Fargate (valid: {lo} to {hi} MiB{})",
                self.memory_mib,
                self.cpu,
                if self.cpu == 256 {
                    ": 512, 1024 or 2048"
                } else {
                    ""
                }
            ),
            _ => format!(
                "cpu {} is not a Fargate CPU size (valid: 256, 512, 1024, 2048, 4096, 8192, 16384)",
                self.cpu
            ),
        })
    }
}

/// Every valid Fargate size, smallest CPU first, then smallest memory.
pub fn valid_sizes() -> impl Iterator<Item = TaskSize> {
    const RANGES: [(u32, u32, u32, u32); 7] = [
        // cpu, min memory, max memory, step
        (256, 512, 512, 1), // plus 1024 and 2048, handled below
        (512, 1024, 4096, 1024),
        (1024, 2048, 8192, 1024),
        (2048, 4096, 16384, 1024),
        (4096, 8192, 30720, 1024),
        (8192, 16384, 61440, 4096),
        (16384, 32768, 122880, 8192),
    ];
    let small = [512, 1024, 2048].into_iter().map(|m| TaskSize::new(256, m));
    let rest = RANGES[1..].iter().flat_map(|&(cpu, lo, hi, step)| {
        (lo..=hi)
            .step_by(step as usize)
            .map(move |m| TaskSize::new(cpu, m))
    });
    small.chain(rest)
}

/// On-demand list prices for one architecture, in dollars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    /// Per vCPU-hour.
    pub vcpu_hour: f64,
    /// Per GB-hour.
    pub gb_hour: f64,
}

/// Fargate prices for both architectures and the Spot discount. Every key is optional: an unset
/// one keeps its list price, so `[prices.x86] vcpu_hour = 0.05` alone is a whole table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriceTable {
    /// Linux/x86 on-demand rates.
    #[serde(deserialize_with = "x86_rates")]
    pub x86: Rates,
    /// Linux/ARM on-demand rates.
    #[serde(deserialize_with = "arm_rates")]
    pub arm: Rates,
    /// Fraction taken off on-demand for FARGATE_SPOT (0.7 = 70% off).
    pub spot_discount: f64,
}

impl Default for PriceTable {
    /// us-east-1 list prices, Spot modelled at 70% off.
    fn default() -> Self {
        Self {
            x86: Rates {
                vcpu_hour: 0.04048,
                gb_hour: 0.004445,
            },
            arm: Rates {
                vcpu_hour: 0.03238,
                gb_hour: 0.00356,
            },
            spot_discount: 0.70,
        }
    }
}

/// Rates as written in a settings file: either key may be left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartialRates {
    vcpu_hour: Option<f64>,
    gb_hour: Option<f64>,
}

impl PartialRates {
    /// The rates with unset keys taken from `defaults`.
    fn over(self, defaults: Rates) -> Rates {
        Rates {
            vcpu_hour: self.vcpu_hour.unwrap_or(defaults.vcpu_hour),
            gb_hour: self.gb_hour.unwrap_or(defaults.gb_hour),
        }
    }
}

fn x86_rates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Rates, D::Error> {
    Ok(PartialRates::deserialize(d)?.over(PriceTable::default().x86))
}

fn arm_rates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Rates, D::Error> {
    Ok(PartialRates::deserialize(d)?.over(PriceTable::default().arm))
}

impl PriceTable {
    /// The on-demand rates for an architecture.
    pub fn rates(&self, arch: Architecture) -> Rates {
        match arch {
            Architecture::X86_64 => self.x86,
            Architecture::Arm64 => self.arm,
        }
    }

    /// On-demand dollars per task-hour for a size.
    pub fn hourly(&self, size: TaskSize, arch: Architecture) -> f64 {
        let r = self.rates(arch);
        size.vcpu() * r.vcpu_hour + size.memory_gb() * r.gb_hour
    }

    /// Spot dollars per task-hour for a size.
    pub fn spot_hourly(&self, size: TaskSize, arch: Architecture) -> f64 {
        self.hourly(size, arch) * (1.0 - self.spot_discount)
    }

    /// On-demand dollars per task-month (730 h).
    pub fn monthly(&self, size: TaskSize, arch: Architecture) -> f64 {
        self.hourly(size, arch) * HOURS_PER_MONTH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sizes_match_the_table() {
        let all: Vec<_> = valid_sizes().collect();
        assert_eq!(all.iter().filter(|s| s.cpu == 256).count(), 3);
        assert_eq!(all.iter().filter(|s| s.cpu == 512).count(), 4);
        assert_eq!(all.iter().filter(|s| s.cpu == 1024).count(), 7);
        assert_eq!(all.iter().filter(|s| s.cpu == 2048).count(), 13);
        assert_eq!(all.iter().filter(|s| s.cpu == 4096).count(), 23);
        assert_eq!(all.iter().filter(|s| s.cpu == 8192).count(), 12);
        assert_eq!(all.iter().filter(|s| s.cpu == 16384).count(), 12);
        assert!(TaskSize::new(512, 1024).is_valid_fargate());
        assert!(!TaskSize::new(512, 512).is_valid_fargate());
        assert!(!TaskSize::new(8192, 18432).is_valid_fargate());
    }

    #[test]
    fn two_tasks_cost_what_domain_md_says() {
        let p = PriceTable::default();
        let two = |cpu, mem| 2.0 * p.monthly(TaskSize::new(cpu, mem), Architecture::X86_64);
        assert!((two(512, 1024) - 36.04).abs() < 0.01, "{}", two(512, 1024));
        assert!((two(1024, 2048) - 72.08).abs() < 0.01);
        assert!((two(2048, 4096) - 144.16).abs() < 0.01);
        assert!((two(4096, 8192) - 288.32).abs() < 0.02);
    }

    #[test]
    fn one_price_set_keeps_the_others() {
        #[derive(Deserialize)]
        struct File {
            prices: PriceTable,
        }
        let f: File = serde_json::from_str(r#"{"prices": {"x86": {"vcpu_hour": 0.05}}}"#).unwrap();
        let d = PriceTable::default();
        assert_eq!(f.prices.x86.vcpu_hour, 0.05);
        assert_eq!(f.prices.x86.gb_hour, d.x86.gb_hour);
        assert_eq!(f.prices.arm, d.arm);
        assert_eq!(f.prices.spot_discount, d.spot_discount);
        let f: File = serde_json::from_str(r#"{"prices": {"arm": {"gb_hour": 0.004}}}"#).unwrap();
        assert_eq!(
            f.prices.arm.vcpu_hour, d.arm.vcpu_hour,
            "ARM keeps ARM's rate"
        );
        assert!(serde_json::from_str::<File>(r#"{"prices": {"x86": {"vcpu": 1}}}"#).is_err());
    }

    #[test]
    fn invalid_sizes_say_what_fargate_accepts() {
        assert_eq!(TaskSize::new(512, 2048).fargate_problem(), None);
        let cpu = TaskSize::new(300, 1024).fargate_problem().unwrap();
        assert!(cpu.contains("cpu 300 is not a Fargate CPU"), "{cpu}");
        let mem = TaskSize::new(256, 100).fargate_problem().unwrap();
        assert!(
            mem.contains("memory 100 MiB does not go with cpu 256"),
            "{mem}"
        );
        assert!(mem.contains("512, 1024 or 2048"), "{mem}");
    }

    #[test]
    fn spot_is_discounted() {
        let p = PriceTable::default();
        let s = TaskSize::new(1024, 2048);
        let od = p.hourly(s, Architecture::X86_64);
        assert!((p.spot_hourly(s, Architecture::X86_64) - od * 0.3).abs() < 1e-12);
    }
}
