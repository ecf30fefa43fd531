//! The demo's services: the seed's two, then as many generated ones as asked for.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use app::domain::calendar::{prev_month_start, DAY};
use app::domain::capacity::{seed_strategy, StrategyItem};
use app::domain::fargate::{Architecture, TaskSize};

/// The seed's cluster.
pub const CLUSTER: &str = "mangu-publishing-cluster-production";
/// The region the demo pretends to be in.
pub const REGION: &str = "us-east-1";
/// The seed's load balancer (CloudWatch dimension value).
pub const LOAD_BALANCER: &str = "app/mangu-publishing-alb-production/5f2c9a7e1b3d4c6a";

/// How one demo service behaves.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Service name.
    pub name: String,
    /// Short name used in alarm and target group names (`server`, `client`, ...).
    pub short: String,
    /// Task size (today's).
    pub size: TaskSize,
    /// The size it ran before it was resized at [`resized_at`], if it was.
    pub earlier_size: Option<TaskSize>,
    /// CPU architecture.
    pub arch: Architecture,
    /// Autoscaling minimum.
    pub min: u32,
    /// Autoscaling maximum.
    pub max: u32,
    /// Whether target tracking is on (otherwise the count stays at `min`).
    pub autoscaled: bool,
    /// Fleet CPU demand at today's daily peak, vCPU.
    pub peak_vcpu: f64,
    /// CPU a task burns when idle, vCPU.
    pub idle_vcpu: f64,
    /// Memory a task holds at rest, MiB.
    pub mem_base_mib: f64,
    /// Extra memory per vCPU of load a task carries, MiB.
    pub mem_per_vcpu_mib: f64,
    /// Memory leaked per hour since the last deployment, MiB.
    pub leak_mib_per_hour: f64,
    /// Deployments every this many hours (randomized ±30%).
    pub deploy_every_hours: f64,
    /// CPU target tracking target, percent.
    pub cpu_target: f64,
    /// Memory target tracking target, percent.
    pub mem_target: f64,
    /// Load balancer requests per minute per vCPU of demand.
    pub requests_per_vcpu_min: f64,
    /// Mean 5xx per minute at the daily peak outside incidents.
    pub errors_per_min_at_peak: f64,
    /// How hard the incident hits this service (1 = not at all).
    pub incident_multiplier: f64,
    /// Capacity provider strategy.
    pub strategy: Vec<StrategyItem>,
    /// Target group dimension value.
    pub target_group: String,
}

const WORDS: [&str; 20] = [
    "worker",
    "api",
    "search",
    "notifications",
    "media",
    "billing",
    "auth",
    "feeds",
    "render",
    "export",
    "import",
    "webhooks",
    "scheduler",
    "analytics",
    "reports",
    "admin",
    "gateway",
    "mailer",
    "thumbnails",
    "indexer",
];

/// When a service with an earlier size was resized to today's: 10:00 UTC on the 12th of the
/// month before `end`'s, so the Costs page's default "why it changed" (last full month against
/// the one before) shows a size part.
pub fn resized_at(end: i64) -> i64 {
    prev_month_start(end) + 11 * DAY + 10 * 3600
}

impl Profile {
    /// The task size in force at `t`, for a fleet resized at `resized_at`.
    pub fn size_at(&self, t: i64, resized_at: i64) -> TaskSize {
        match self.earlier_size {
            Some(earlier) if t < resized_at => earlier,
            _ => self.size,
        }
    }
}

/// The demo fleet: `n` services, deterministic for a seed.
pub fn fleet(n: usize, seed: u64) -> Vec<Profile> {
    let mut out = vec![server(), client()];
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_f1ee7);
    for i in 2..n.max(2) {
        out.push(generated(i, &mut rng));
    }
    out.truncate(n);
    out
}

fn server() -> Profile {
    Profile {
        name: "mangu-publishing-server-production".into(),
        short: "server".into(),
        size: TaskSize::new(512, 1024),
        earlier_size: None,
        arch: Architecture::X86_64,
        min: 2,
        max: 10,
        autoscaled: true,
        peak_vcpu: 0.95,
        idle_vcpu: 0.02,
        mem_base_mib: 400.0,
        mem_per_vcpu_mib: 160.0,
        leak_mib_per_hour: 3.0,
        deploy_every_hours: 90.0,
        cpu_target: 70.0,
        mem_target: 80.0,
        requests_per_vcpu_min: 2400.0,
        errors_per_min_at_peak: 1.0,
        incident_multiplier: 4.6,
        strategy: seed_strategy(),
        target_group: "targetgroup/mangu-server-tg-production/8a1f3c5d7e9b2a4c".into(),
    }
}

fn client() -> Profile {
    Profile {
        name: "mangu-publishing-client-production".into(),
        short: "client".into(),
        size: TaskSize::new(256, 512),
        // It ran the seed's "production recommendation" (512 CPU / 1 GB) and was right-sized.
        earlier_size: Some(TaskSize::new(512, 1024)),
        arch: Architecture::X86_64,
        min: 2,
        max: 6,
        autoscaled: true,
        peak_vcpu: 0.22,
        idle_vcpu: 0.01,
        mem_base_mib: 150.0,
        mem_per_vcpu_mib: 120.0,
        leak_mib_per_hour: 0.0,
        deploy_every_hours: 120.0,
        cpu_target: 70.0,
        mem_target: 80.0,
        requests_per_vcpu_min: 9000.0,
        errors_per_min_at_peak: 0.05,
        incident_multiplier: 1.6,
        strategy: seed_strategy(),
        target_group: "targetgroup/mangu-client-tg-production/3b6d9f1a2c4e6b8d".into(),
    }
}

fn generated(i: usize, rng: &mut ChaCha8Rng) -> Profile {
    const SIZES: [(u32, u32); 6] = [
        (256, 512),
        (512, 1024),
        (512, 2048),
        (1024, 2048),
        (1024, 4096),
        (2048, 4096),
    ];
    let word = WORDS[(i - 2) % WORDS.len()];
    let short = if i - 2 < WORDS.len() {
        word.to_string()
    } else {
        format!("{word}-{}", (i - 2) / WORDS.len() + 1)
    };
    let (cpu, mem) = SIZES[rng.gen_range(0..SIZES.len())];
    let size = TaskSize::new(cpu, mem);
    let autoscaled = rng.gen_bool(0.7);
    let min = rng.gen_range(1..=3);
    let max = if autoscaled {
        min + rng.gen_range(2..=8)
    } else {
        min
    };
    // How busy the fleet is at peak relative to its minimum capacity: some services idle along,
    // some run hot, so recommendations go both ways.
    let busy = rng.gen_range(0.08..1.1);
    Profile {
        name: format!("mangu-publishing-{short}-production"),
        target_group: format!("targetgroup/mangu-{short}-tg/{:016x}", rng.gen::<u64>()),
        short,
        size,
        earlier_size: None,
        arch: if rng.gen_bool(0.25) {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        },
        min,
        max,
        autoscaled,
        peak_vcpu: size.vcpu() * f64::from(min) * busy,
        idle_vcpu: size.vcpu() * 0.02,
        mem_base_mib: f64::from(mem) * rng.gen_range(0.15..0.6),
        mem_per_vcpu_mib: rng.gen_range(50.0..400.0),
        leak_mib_per_hour: if rng.gen_bool(0.15) {
            f64::from(mem) * 0.002
        } else {
            0.0
        },
        deploy_every_hours: rng.gen_range(48.0..240.0),
        cpu_target: if rng.gen_bool(0.5) { 70.0 } else { 60.0 },
        mem_target: 80.0,
        requests_per_vcpu_min: rng.gen_range(500.0..6000.0),
        errors_per_min_at_peak: rng.gen_range(0.0..0.5),
        incident_multiplier: 1.0,
        strategy: if rng.gen_bool(0.5) {
            seed_strategy()
        } else {
            Vec::new()
        },
    }
}
