//! `spendwatch.toml`: prices, sizing rules and tiers (and, for sync, what to watch). Every
//! setting has a default; a bad file is refused with the key and line named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use app::analysis::recommend::{default_tiers, SizingRules, Tier};
use app::analysis::spend::anomaly::AnomalyRules;
use app::domain::fargate::PriceTable;
use app::settings::Settings;

/// The file's contents.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Fargate rates and Spot discount.
    pub prices: PriceTable,
    /// Sizing rules.
    pub recommend: SizingRules,
    /// Named tiers.
    pub tiers: Vec<Tier>,
    /// What `sync` reads from AWS.
    pub aws: AwsConfig,
    /// Monthly budgets by cost group (`total` for the whole account).
    pub budgets: BTreeMap<String, f64>,
    /// How cost anomalies are found.
    pub anomalies: AnomalyRules,
    /// Who may use `serve`: the token file and a trusted SSO proxy.
    pub server: ServerConfig,
    /// How metric values are stored.
    pub storage: StorageConfig,
}

/// The `[storage]` section: how metric values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Significant decimal digits values are rounded to when written; None (the default) keeps
    /// them exactly as AWS returned them.
    pub round_significant_digits: Option<u8>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            prices: PriceTable::default(),
            recommend: SizingRules::default(),
            tiers: default_tiers(),
            aws: AwsConfig::default(),
            budgets: BTreeMap::new(),
            anomalies: AnomalyRules::default(),
            server: ServerConfig::default(),
            storage: StorageConfig::default(),
        }
    }
}

/// The `[server]` section: access to `serve` (see [`crate::access`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// A file holding the shared secret (SPENDWATCH_TOKEN wins when both are set).
    pub token_file: Option<PathBuf>,
    /// Addresses of an SSO proxy (oauth2-proxy and the like) whose user header is trusted.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The header that proxy names the signed-in user in.
    pub user_header: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            token_file: None,
            trusted_proxies: Vec::new(),
            user_header: "X-Forwarded-User".into(),
        }
    }
}

/// The `[aws]` section: where to sync from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsConfig {
    /// Regions to sync; empty: the region of the environment or profile.
    pub regions: Vec<String>,
    /// Named profile; None: the default credential chain.
    pub profile: Option<String>,
    /// Clusters to watch; empty: every cluster in each region.
    pub clusters: Vec<String>,
    /// Days of metrics fetched on a first sync.
    pub lookback_days: u32,
    /// Cost allocation tags to group ECS spend by (each costs one request per sync).
    pub cost_tags: Vec<String>,
    /// Recent days of costs re-fetched because Cost Explorer restates them.
    pub cost_restate_days: u32,
    /// Hours a Cost Explorer fetch stays fresh: syncs within them skip Cost Explorer ($0.01 a
    /// request; it refreshes its data about three times a day). 0 fetches on every sync.
    pub cost_refresh_hours: u32,
    /// Minutes re-fetched before each metric's newest point, for late datapoints.
    pub metric_overlap_minutes: u32,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            regions: Vec::new(),
            profile: None,
            clusters: Vec::new(),
            lookback_days: 90,
            cost_tags: vec!["aws:ecs:serviceName".into()],
            cost_restate_days: 5,
            cost_refresh_hours: 8,
            metric_overlap_minutes: 15,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named with --config does not exist or cannot be read. The reason is part of the
    /// message and deliberately not a `source`: error chains would print it a second time.
    #[error("cannot read config file {path}: {reason}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// TOML syntax or an unknown/mistyped key (toml's message names the line and key).
    #[error("config file {path}: {message}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// toml's message.
        message: String,
    },
    /// A value out of range.
    #[error("config {where_}: `{key}` {problem}")]
    Invalid {
        /// `file, line N` or `flag`.
        where_: String,
        /// The key.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// The default config file name, read when present.
pub const DEFAULT_PATH: &str = "spendwatch.toml";

impl Config {
    /// Loads `path`; when `path` is None, `spendwatch.toml` if it exists, else defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_PATH), false),
        };
        if !required && !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
            path: path.clone(),
            reason: read_failure(&e),
        })?;
        Self::parse(&text, &path)
    }

    /// Parses and validates TOML text (`path` is only for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate(|key| match line_of(text, key) {
            Some(n) => format!("{}, line {n}", path.display()),
            None => path.display().to_string(),
        })?;
        Ok(config)
    }

    /// Checks ranges; `place` says where a key (`section.key`) was set.
    pub fn validate(&self, place: impl Fn(&str) -> String) -> Result<(), ConfigError> {
        let (r, p, a) = (&self.recommend, &self.prices, &self.aws);
        let checks: [(&str, bool, &str); 12] = [
            (
                "recommend.lookback_days",
                (1..=455).contains(&r.lookback_days),
                "must be between 1 and 455 days",
            ),
            (
                "recommend.min_hours",
                r.min_hours >= 0.0,
                "must not be negative",
            ),
            (
                "recommend.cpu_percentile",
                (0.0..=100.0).contains(&r.cpu_percentile),
                "must be between 0 and 100",
            ),
            (
                "recommend.cpu_target_utilization",
                r.cpu_target_utilization > 0.0 && r.cpu_target_utilization <= 1.0,
                "must be above 0 and at most 1 (0.70 = 70%)",
            ),
            (
                "recommend.memory_buffer",
                (0.0..=10.0).contains(&r.memory_buffer),
                "must be between 0 and 10 (0.15 = 15%)",
            ),
            (
                "prices.spot_discount",
                (0.0..1.0).contains(&p.spot_discount),
                "must be at least 0 and below 1 (0.70 = 70% off)",
            ),
            (
                "prices.vcpu_hour",
                p.x86.vcpu_hour > 0.0 && p.arm.vcpu_hour > 0.0,
                "must be a positive price",
            ),
            (
                "prices.gb_hour",
                p.x86.gb_hour > 0.0 && p.arm.gb_hour > 0.0,
                "must be a positive price",
            ),
            (
                "aws.lookback_days",
                (1..=455).contains(&a.lookback_days),
                "must be between 1 and 455 days (CloudWatch keeps hourly data 455 days)",
            ),
            (
                "aws.cost_restate_days",
                a.cost_restate_days <= 60,
                "must be at most 60",
            ),
            (
                "aws.metric_overlap_minutes",
                a.metric_overlap_minutes <= 1440,
                "must be at most 1440 (a day)",
            ),
            (
                "storage.round_significant_digits",
                self.storage
                    .round_significant_digits
                    .is_none_or(|d| (1..=17).contains(&d)),
                "must be between 1 and 17 (leave it out to store values exactly)",
            ),
        ];
        if let Some((key, _, problem)) = checks.iter().find(|(_, ok, _)| !ok) {
            return Err(ConfigError::Invalid {
                where_: place(key),
                key: (*key).into(),
                problem: (*problem).into(),
            });
        }
        if let Some((group, _)) = self
            .budgets
            .iter()
            .find(|(_, v)| !v.is_finite() || **v <= 0.0)
        {
            return Err(ConfigError::Invalid {
                where_: place("budgets"),
                key: format!("budgets.{group}"),
                problem: "must be a positive number of dollars a month".into(),
            });
        }
        validate_server(&self.server, &place)?;
        validate_tiers(&self.tiers, &place)
    }

    /// The settings pages and the CLI use.
    pub fn settings(&self) -> Settings {
        Settings {
            prices: self.prices,
            rules: self.recommend,
            tiers: self.tiers.clone(),
            budgets: self.budgets.clone(),
            anomalies: self.anomalies,
            schedule: app::settings::SyncSchedule {
                every_secs: None,
                cost_refresh_secs: i64::from(self.aws.cost_refresh_hours) * 3600,
            },
        }
    }
}

/// Why a config file could not be read, in words.
fn read_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::InvalidData => "it is not UTF-8 text (save it as UTF-8)".into(),
        _ => e.to_string(),
    }
}

/// Checks the trusted proxy's user header is a header name.
fn validate_server(
    server: &ServerConfig,
    place: &impl Fn(&str) -> String,
) -> Result<(), ConfigError> {
    if axum::http::HeaderName::from_bytes(server.user_header.as_bytes()).is_err() {
        return Err(ConfigError::Invalid {
            where_: place("server.user_header"),
            key: "server.user_header".into(),
            problem: format!(
                "'{}' is not an HTTP header name (like X-Forwarded-User)",
                server.user_header
            ),
        });
    }
    Ok(())
}

/// Checks each tier is a size Fargate runs and the tiers go from small to large.
fn validate_tiers(tiers: &[Tier], place: &impl Fn(&str) -> String) -> Result<(), ConfigError> {
    let invalid = |i: usize, key: &str, problem: String| ConfigError::Invalid {
        where_: place(&format!("tiers[{i}].{key}")),
        key: format!("tiers[{i}].{key}"),
        problem,
    };
    for (i, t) in tiers.iter().enumerate() {
        if t.name.trim().is_empty() {
            return Err(invalid(i, "name", "must not be empty".into()));
        }
        if let Some(problem) = t.size().fargate_problem() {
            let key = if problem.starts_with("cpu") {
                "cpu"
            } else {
                "memory_mib"
            };
            return Err(invalid(i, key, format!("(tier '{}'): {problem}", t.name)));
        }
    }
    for (i, pair) in tiers.windows(2).enumerate() {
        let (prev, t) = (&pair[0], &pair[1]);
        if (t.cpu, t.memory_mib) <= (prev.cpu, prev.memory_mib) {
            return Err(invalid(
                i + 1,
                "cpu",
                format!(
                    "(tier '{}', {} CPU / {} MiB) must be larger than the tier before it ('{}', {} CPU / {} MiB): list tiers from smallest to largest",
                    t.name, t.cpu, t.memory_mib, prev.name, prev.cpu, prev.memory_mib
                ),
            ));
        }
    }
    Ok(())
}

/// The 1-based line of `key` inside the `index`-th (0-based) `[[tiers]]` table, or of its header.
fn tier_line(text: &str, index: usize, key: &str) -> Option<usize> {
    let mut seen = 0;
    let mut header = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            if header.is_some() {
                break; // past the tier's table without meeting the key
            }
            if l.replace(' ', "") == "[[tiers]]" {
                if seen == index {
                    header = Some(i + 1);
                }
                seen += 1;
            }
            continue;
        }
        if header.is_some()
            && l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    header
}

/// The 1-based line where `section.key = ...` is set: the key's first line after the section's
/// header (`[prices.x86]` and `[prices.arm]` count as `prices`).
fn line_of(text: &str, dotted: &str) -> Option<usize> {
    let (section, key) = dotted.split_once('.')?;
    if let Some(index) = section
        .strip_prefix("tiers[")
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return tier_line(text, index.parse().ok()?, key);
    }
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix('[') {
            current = h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split('.')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            continue;
        }
        if current == section
            && l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("spendwatch.toml"))
    }

    #[test]
    fn budgets_and_anomaly_thresholds_are_read_and_checked() {
        let c = parse("[budgets]\ntotal = 300\n\"Amazon Elastic Container Service\" = 80.5\n\n[anomalies]\nmin_usd = 2.0\n").unwrap();
        assert_eq!(c.budgets.get("total"), Some(&300.0));
        assert_eq!(
            c.budgets.get("Amazon Elastic Container Service"),
            Some(&80.5)
        );
        assert_eq!(c.anomalies.min_usd, 2.0);
        assert_eq!(
            c.anomalies.window_days, 28,
            "unset thresholds keep their defaults"
        );
        assert_eq!(c.settings().budgets, c.budgets);
        let err = parse("[budgets]\ntotal = -5\n").unwrap_err().to_string();
        assert!(
            err.contains("budgets.total") && err.contains("positive"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn settings_are_read() {
        let c = parse(
            "[recommend]\nlookback_days = 30\ncpu_target_utilization = 0.6\n\n[prices]\nspot_discount = 0.5\n\n[[tiers]]\nname = \"S\"\ncpu = 256\nmemory_mib = 512\n",
        )
        .unwrap();
        assert_eq!(c.recommend.lookback_days, 30);
        assert_eq!(c.recommend.cpu_target_utilization, 0.6);
        assert_eq!(
            c.recommend.cpu_percentile, 95.0,
            "unset keys keep their defaults"
        );
        assert_eq!(c.prices.spot_discount, 0.5);
        assert_eq!(c.tiers.len(), 1);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let msg = parse("[recommend]\nlookback_days = 14\nlookbak = 3\n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 3") && msg.contains("lookbak"), "{msg}");
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let msg = parse("[recommend]\n\ncpu_percentile = \"high\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("line 3") && msg.contains("cpu_percentile"),
            "{msg}"
        );
    }

    #[test]
    fn one_price_is_enough() {
        let c = parse("[prices.x86]\nvcpu_hour = 0.05\n").unwrap();
        let d = PriceTable::default();
        assert_eq!(c.prices.x86.vcpu_hour, 0.05);
        assert_eq!(c.prices.x86.gb_hour, d.x86.gb_hour);
        assert_eq!(c.prices.arm, d.arm);
        let c = parse("[prices]\nspot_discount = 0.6\n[prices.arm]\ngb_hour = 0.004\n").unwrap();
        assert_eq!(c.prices.arm.vcpu_hour, d.arm.vcpu_hour);
        assert_eq!(c.prices.arm.gb_hour, 0.004);
    }

    const TWO_TIERS: &str = "[[tiers]]\nname = \"S\"\ncpu = 512\nmemory_mib = 1024\n\n[[tiers]]\nname = \"M\"\ncpu = CPU\nmemory_mib = MEM\n";

    fn second_tier(cpu: u32, mem: u32) -> String {
        let text = TWO_TIERS
            .replace("CPU", &cpu.to_string())
            .replace("MEM", &mem.to_string());
        parse(&text)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn tiers_must_be_fargate_sizes_named_by_key_and_line() {
        assert_eq!(second_tier(1024, 2048), "", "a valid table is accepted");
        let cpu = second_tier(300, 1024);
        assert!(
            cpu.contains("spendwatch.toml, line 8")
                && cpu.contains("tiers[1].cpu")
                && cpu.contains("cpu 300"),
            "{cpu}"
        );
        let mem = second_tier(1024, 100);
        assert!(
            mem.contains("line 9")
                && mem.contains("tiers[1].memory_mib")
                && mem.contains("100 MiB"),
            "{mem}"
        );
    }

    #[test]
    fn tiers_must_go_from_small_to_large() {
        let msg = second_tier(256, 512);
        assert!(
            msg.contains("line 8") && msg.contains("smallest to largest") && msg.contains("'S'"),
            "{msg}"
        );
        assert!(
            second_tier(512, 1024).contains("larger than the tier before"),
            "a repeat is out of order too"
        );
    }

    #[test]
    fn unreadable_files_say_why_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let msg = format!(
            "{:#}",
            anyhow::Error::from(Config::load(Some(&missing)).unwrap_err())
        );
        assert_eq!(msg.matches("no such file").count(), 1, "{msg}");
        let latin1 = dir.path().join("latin1.toml");
        std::fs::write(&latin1, b"[recommend]\n# caf\xe9\n").unwrap();
        let msg = format!(
            "{:#}",
            anyhow::Error::from(Config::load(Some(&latin1)).unwrap_err())
        );
        assert_eq!(msg.matches("not UTF-8").count(), 1, "{msg}");
    }

    /// Lines a config file could hold: known sections and keys with values of every type, and
    /// broken ones.
    fn config_line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let section = prop::sample::select(vec![
            "[recommend]",
            "[prices]",
            "[prices.x86]",
            "[prices.arm]",
            "[aws]",
            "[server]",
            "[storage]",
            "[[tiers]]",
            "[nope]",
            "[",
            "[[tiers]",
        ])
        .prop_map(str::to_string);
        let key = prop::sample::select(vec![
            "lookback_days",
            "min_hours",
            "cpu_percentile",
            "cpu_target_utilization",
            "memory_buffer",
            "spot_discount",
            "vcpu_hour",
            "gb_hour",
            "regions",
            "clusters",
            "cost_tags",
            "token_file",
            "trusted_proxies",
            "user_header",
            "round_significant_digits",
            "name",
            "cpu",
            "memory_mib",
            "planned_monthly_two_tasks",
            "x",
        ]);
        let value = prop::sample::select(vec![
            "1",
            "0",
            "-1",
            "1e309",
            "0.7",
            "nan",
            "inf",
            "\"s\"",
            "\"\"",
            "[]",
            "[\"10.0.0.1\"]",
            "[\"not-an-ip\"]",
            "\"bad header\"",
            "true",
            "{}",
            "\"\\u0000\"",
            "99999999999999999999",
            "2026-01-01",
            "",
        ]);
        prop_oneof![
            section,
            (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
            "\\PC{0,20}",
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, failure_persistence: None, ..Default::default() })]

        /// Any file is settings or a message that names the file: never a panic.
        #[test]
        fn any_config_text_is_settings_or_a_reason(lines in proptest::collection::vec(config_line(), 0..12)) {
            let text = lines.join("\n");
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.to_string().contains("spendwatch.toml"), "{e}");
            }
        }
    }

    #[test]
    fn rounding_is_off_unless_set_and_checked_with_key_and_line() {
        assert_eq!(parse("").unwrap().storage.round_significant_digits, None);
        let c = parse("[storage]\nround_significant_digits = 6\n").unwrap();
        assert_eq!(c.storage.round_significant_digits, Some(6));
        for bad in ["0", "18"] {
            let msg = parse(&format!(
                "[aws]\n\n[storage]\nround_significant_digits = {bad}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(
                msg.contains("spendwatch.toml, line 4")
                    && msg.contains("storage.round_significant_digits")
                    && msg.contains("between 1 and 17"),
                "{msg}"
            );
        }
        for bad in ["-1", "\"six\"", "300"] {
            let msg = parse(&format!("[storage]\nround_significant_digits = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                msg.contains("line 2") && msg.contains("round_significant_digits"),
                "{msg}"
            );
        }
    }

    #[test]
    fn out_of_range_names_key_and_line() {
        let msg = parse("[recommend]\nmin_hours = 1\ncpu_target_utilization = 70\n")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("spendwatch.toml, line 3") && msg.contains("cpu_target_utilization"),
            "{msg}"
        );
    }
}
