//! The command line: `serve`, `demo`, `recommend` and `sync`, with help that teaches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use app::clock::SystemClock;
use app::settings::Settings;
use app::store::sync_runs::{RunOutcome, RunTrigger};
use app::store::Store;
use app::AppState;

use crate::aws::SdkSettings;
use crate::background::BackgroundSync;
use crate::config::Config;
use crate::demo::{self, DemoSpec};
use crate::output::{self, Format};
use crate::progress::ProgressBars;
use crate::startup::StateSpec;
use crate::sync::{Phase, Reporter, SyncOptions};

/// Spendwatch: what your ECS/Fargate services cost, whether they are the right size, and whether
/// their alarms and scaling thresholds are set right.
#[derive(Debug, Parser)]
#[command(
    name = "spendwatch",
    version,
    about,
    after_help = "Start here:\n  spendwatch serve --demo        serve the built-in demo at http://127.0.0.1:3000/\n  spendwatch recommend           the cheapest Fargate size that fits each service\n  spendwatch sync                pull your AWS account (see README for the IAM policy)\n  spendwatch demo --services 50 --days 90 --db big.db   a bigger demo database\n\nAll data lives in one SQLite file (--db). Settings (prices, sizing rules, tiers) come from\nspendwatch.toml when it exists (--config to name another); flags override the file. Times are UTC."
)]
pub struct Cli {
    /// SQLite database file (created if missing).
    #[arg(
        long,
        global = true,
        env = "SPENDWATCH_DB",
        default_value = "spendwatch.db"
    )]
    pub db: PathBuf,
    /// Settings file [default: spendwatch.toml, if present].
    #[arg(long, global = true, env = "SPENDWATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log debug detail to stderr (RUST_LOG overrides).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Log lines as text for people or JSON for log collectors.
    #[arg(long, global = true, value_enum, default_value_t = crate::telemetry::LogFormat::Text)]
    pub log_format: crate::telemetry::LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app.
    ///
    /// Pages are rendered on the server and work without JavaScript. With --demo, an empty
    /// database is first filled with the demo dataset, so you can look around without AWS.
    Serve(ServeArgs),
    /// Write the deterministic demo dataset into --db.
    ///
    /// Models the mangu-publishing production cluster: two Fargate services with autoscaling,
    /// per-minute CPU, memory, task and load balancer metrics, the seven alarms with their
    /// history (an incident and a flapping alarm included), and 14 months of daily costs whose
    /// Fargate lines agree with the simulated task-hours at list prices. Existing demo rows are
    /// overwritten; other data is kept.
    Demo(DemoArgs),
    /// Print each service's recommended Fargate size, its cost now and after, and why.
    ///
    /// CPU is sized on the busiest task's p95 (--cpu-percentile) over a 70% target, memory on its maximum plus 15%,
    /// over the last 14 days; the cheapest valid Fargate size that holds both wins. Every number
    /// can be changed in spendwatch.toml ([recommend], [prices], [[tiers]]) or by the flags below.
    Recommend(RecommendArgs),
    /// Pull ECS inventory and scaling, CloudWatch metrics, alarms and their history, and Cost
    /// Explorer spend from AWS into --db.
    ///
    /// Credentials come from the standard chain (AWS_ACCESS_KEY_ID..., AWS_PROFILE or --profile,
    /// SSO, roles, instance roles); AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are honoured.
    /// The first sync reads the lookback (90 days of metrics, 14 months of costs); later syncs only
    /// what is new. GetMetricData ($0.01 per 1,000 metrics) and Cost Explorer ($0.01 per request)
    /// cost money: the summary says how much. The README lists the read-only IAM policy it needs.
    Sync(SyncArgs),
    /// Spend by AWS service, usage type or tag against the period before, by day or month; with
    /// `explain`, why ECS spend changed (volume, size, Spot mix, price and other).
    ///
    /// --to is exclusive, like Cost Explorer. The same data as GET /api/costs and
    /// /api/costs/explain and the Costs page.
    Costs(crate::costs_cli::CostsArgs),
    /// List every alarm with its record over the last days: episodes, time in ALARM, flapping,
    /// and the noise report (the Alarms page's table).
    Alarms(crate::alarms_cli::AlarmsArgs),
    /// Replay an alarm over its stored metric with CloudWatch's semantics, with its own settings
    /// or others (threshold, comparison, statistic, period, M of N, missing data), and compare
    /// with its recorded history; unset options take the alarm's own settings.
    Backtest(crate::alarms_cli::BacktestArgs),
    /// Replay a service's history through other scaling settings or a task size: cost, task-hours,
    /// minutes over its alarm thresholds and at max, actual against simulated (and --sweep).
    Whatif(crate::whatif_cmd::WhatifArgs),
}

/// Options for `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Another machine's reach (0.0.0.0:3000) needs a token:
    /// SPENDWATCH_TOKEN or [server] token_file in spendwatch.toml.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// Fill an empty database with the demo dataset before serving.
    #[arg(long)]
    pub demo: bool,
    /// Also sync from AWS this often in the background (e.g. 30m, 1h, 1d).
    #[arg(long, value_name = "EVERY", value_parser = crate::background::parse_every)]
    pub sync_every: Option<std::time::Duration>,
    /// Sizing overrides.
    #[command(flatten)]
    pub sizing: SizingArgs,
    /// Where the "Sync now" button and --sync-every read from.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Options for `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Where to read from.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Skip a phase (repeatable).
    #[arg(long = "skip", value_enum, value_name = "PHASE")]
    pub skip: Vec<SkipPhase>,
    /// No progress bars (logs and the summary only).
    #[arg(long)]
    pub no_progress: bool,
    /// Ask Cost Explorer even when its last answer is younger than [aws] cost_refresh_hours.
    #[arg(long)]
    pub force_costs: bool,
}

/// A phase `sync --skip` names (the sync's [`Phase`], spelled for the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SkipPhase {
    /// ECS services, task definitions, autoscaling targets and policies.
    Inventory,
    /// Alarm definitions and states.
    Alarms,
    /// Alarm history items.
    AlarmHistory,
    /// CloudWatch datapoints.
    Metrics,
    /// Cost Explorer daily costs.
    Costs,
    /// Cost Explorer forecast for the rest of the month.
    Forecast,
}

impl SkipPhase {
    /// The sync phase this names.
    pub fn phase(self) -> Phase {
        match self {
            Self::Inventory => Phase::Inventory,
            Self::Alarms => Phase::Alarms,
            Self::AlarmHistory => Phase::AlarmHistory,
            Self::Metrics => Phase::Metrics,
            Self::Costs => Phase::Costs,
            Self::Forecast => Phase::Forecast,
        }
    }
}

/// Flags that override spendwatch.toml's [aws] section.
#[derive(Debug, Args, Default)]
pub struct AwsArgs {
    /// Region to sync; repeat for several [aws.regions; default: AWS_REGION or the profile's].
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Named AWS profile [aws.profile; default: the standard credential chain].
    #[arg(long)]
    pub profile: Option<String>,
    /// Cluster to watch; repeat for several [aws.clusters; default: every cluster].
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Days of metrics a first sync reads [aws.lookback_days, 90].
    #[arg(long = "sync-lookback", value_name = "DAYS")]
    pub sync_lookback: Option<u32>,
    /// Cost allocation tag to group ECS spend by; repeat for several [aws.cost_tags].
    #[arg(long = "cost-tag", value_name = "KEY")]
    pub cost_tags: Vec<String>,
}

impl AwsArgs {
    /// Sync options from the config file with these flags over it.
    pub fn options(&self, config: &Config, trigger: RunTrigger) -> anyhow::Result<SyncOptions> {
        let mut aws = config.aws.clone();
        if !self.regions.is_empty() {
            aws.regions = self.regions.clone();
        }
        if self.profile.is_some() {
            aws.profile = self.profile.clone();
        }
        if !self.clusters.is_empty() {
            aws.clusters = self.clusters.clone();
        }
        if let Some(d) = self.sync_lookback {
            aws.lookback_days = d;
        }
        if !self.cost_tags.is_empty() {
            aws.cost_tags = self.cost_tags.clone();
        }
        Config {
            aws: aws.clone(),
            ..config.clone()
        }
        .validate(|key| format!("(file or flag for {key})"))?;
        let regions: Vec<Option<String>> = if aws.regions.is_empty() {
            vec![None]
        } else {
            aws.regions.iter().cloned().map(Some).collect()
        };
        Ok(SyncOptions {
            regions: regions
                .into_iter()
                .map(|region| SdkSettings {
                    region,
                    profile: aws.profile.clone(),
                })
                .collect(),
            clusters: aws.clusters,
            lookback_days: aws.lookback_days,
            cost_tags: aws.cost_tags,
            restate_days: aws.cost_restate_days,
            overlap_secs: i64::from(aws.metric_overlap_minutes) * 60,
            skip: Default::default(),
            trigger,
            cost_refresh_secs: i64::from(aws.cost_refresh_hours) * 3600,
            // "Sync now" asks for fresh data: it pays for Cost Explorer whatever its age.
            force_costs: trigger == RunTrigger::Button,
            stop: Default::default(),
        })
    }
}

/// Options for `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of services (the first two are the seed's server and client).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub services: u32,
    /// Days of per-minute metrics to generate, ending now.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
    /// Random seed: the same seed, size and end give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last instant of the data, as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC). Default: the current hour.
    #[arg(long, value_parser = parse_time)]
    pub end: Option<i64>,
    /// Also add this many synthetic alarm history items (composite alarms), for benchmarks.
    #[arg(long, value_name = "ITEMS")]
    pub alarm_history: Option<usize>,
}

/// Options for `recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Size as of this instant (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC) instead of now.
    #[arg(long, value_parser = parse_time)]
    pub at: Option<i64>,
    /// Also size services deleted in AWS (kept with their history; left out by default).
    #[arg(long)]
    pub include_removed: bool,
    /// Sizing overrides.
    #[command(flatten)]
    pub sizing: SizingArgs,
}

/// Flags that override spendwatch.toml's sizing settings.
#[derive(Debug, Args, Default)]
pub struct SizingArgs {
    /// Days of history to size on [file: recommend.lookback_days, default 14].
    #[arg(long, value_name = "DAYS")]
    pub lookback: Option<u32>,
    /// Percentile of busiest-task CPU to size on [recommend.cpu_percentile, 95].
    #[arg(long, value_name = "P")]
    pub cpu_percentile: Option<f64>,
    /// Utilization the sized CPU should run at, 0-1 [recommend.cpu_target_utilization, 0.70].
    #[arg(long, value_name = "FRACTION")]
    pub cpu_target: Option<f64>,
    /// Headroom over peak memory, 0.15 = 15% [recommend.memory_buffer, 0.15].
    #[arg(long, value_name = "FRACTION")]
    pub memory_buffer: Option<f64>,
    /// Hours of data needed before sizing [recommend.min_hours, 24].
    #[arg(long, value_name = "HOURS")]
    pub min_hours: Option<f64>,
    /// Fargate Spot discount, 0.70 = 70% off [prices.spot_discount, 0.70].
    #[arg(long, value_name = "FRACTION")]
    pub spot_discount: Option<f64>,
}

impl SizingArgs {
    /// Applies the flags over a loaded config and checks the result.
    pub fn apply(&self, mut config: Config) -> anyhow::Result<Config> {
        let r = &mut config.recommend;
        if let Some(v) = self.lookback {
            r.lookback_days = v;
        }
        if let Some(v) = self.cpu_percentile {
            r.cpu_percentile = v;
        }
        if let Some(v) = self.cpu_target {
            r.cpu_target_utilization = v;
        }
        if let Some(v) = self.memory_buffer {
            r.memory_buffer = v;
        }
        if let Some(v) = self.min_hours {
            r.min_hours = v;
        }
        if let Some(v) = self.spot_discount {
            config.prices.spot_discount = v;
        }
        config.validate(|key| format!("(file or flag for {key})"))?;
        Ok(config)
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => {
            // Checked before anything is opened or loaded: a refused bind does nothing.
            let access = crate::access::Access::from_settings(
                std::env::var(crate::access::TOKEN_ENV).ok(),
                &config.server,
            )?;
            access.check_bind(args.bind)?;
            let sync_options = args.aws.options(&config, RunTrigger::Button)?;
            let round_digits = config.storage.round_significant_digits;
            let mut settings = args.sizing.apply(config)?.settings();
            settings.schedule.every_secs = args.sync_every.map(|d| d.as_secs() as i64);
            let state = crate::startup::build_state(StateSpec {
                db: cli.db.clone(),
                demo: args.demo.then(|| DemoSpec::default_ending(now_hour())),
                progress: true,
                clock: Arc::new(SystemClock),
                settings,
            })
            .await?;
            let trigger = Arc::new(BackgroundSync::new(
                state
                    .store
                    .clone()
                    .with_round_significant_digits(round_digits),
                cli.db.clone(),
                sync_options,
            ));
            if let Some(every) = args.sync_every {
                println!("Syncing from AWS every {} minutes.", every.as_secs() / 60);
                crate::background::schedule(trigger.clone(), every);
            }
            let state = state.with_sync(trigger.clone());
            warm_recommendations(&state);
            let served = crate::startup::serve(state, args.bind, access).await;
            // Requests in flight have finished; a running sync stops at its next commit.
            trigger.stop().await;
            served
        }
        Command::Sync(args) => {
            let mut options = args.aws.options(&config, RunTrigger::Cli)?;
            options.skip = args.skip.iter().map(|p| p.phase()).collect();
            options.force_costs |= args.force_costs;
            let store = open(&cli.db)
                .await?
                .with_round_significant_digits(config.storage.round_significant_digits);
            let started = std::time::Instant::now();
            let reporter: Box<dyn Reporter> = if args.no_progress {
                Box::new(crate::sync::Silent)
            } else {
                Box::new(ProgressBars::default())
            };
            let report = crate::sync::run_reporting(
                &store,
                &cli.db,
                &options,
                chrono::Utc::now().timestamp(),
                reporter.as_ref(),
            )
            .await?;
            store.close().await;
            print!(
                "{}",
                output::sync_summary(&report, started.elapsed().as_secs_f64())
            );
            if report.outcome == RunOutcome::Failed {
                anyhow::bail!(
                    "the sync failed: {}",
                    report
                        .errors
                        .last()
                        .map(String::as_str)
                        .unwrap_or("see above")
                );
            }
            Ok(())
        }
        Command::Demo(args) => {
            let store = open(&cli.db)
                .await?
                .with_round_significant_digits(config.storage.round_significant_digits);
            let spec = DemoSpec {
                services: args.services as usize,
                days: args.days,
                seed: args.seed,
                end: args.end.unwrap_or_else(now_hour),
            };
            if let Some(run) = demo::already_loaded(&store, &spec).await? {
                store.close().await;
                println!("{}", demo_already_there(&cli.db, &run, &spec));
                return Ok(());
            }
            let started = std::time::Instant::now();
            let report = demo::generate_at(&store, &spec, true, wall_clock).await?;
            if let Some(items) = args.alarm_history {
                let start = spec.end - i64::from(spec.days) * 86_400;
                let added = demo::alarms::bulk_history(&store, items, start, spec.end).await?;
                println!("Added {added} synthetic alarm history items.");
            }
            store.close().await;
            println!(
                "Wrote the demo to {}: {} services, {} days, {} datapoints, {} alarms, {} history items, {} cost rows in {:.1} s.",
                cli.db.display(),
                spec.services,
                spec.days,
                app::format::count(report.datapoints as i64),
                app::format::count(report.alarms as i64),
                app::format::count(report.history_items as i64),
                app::format::count(report.cost_rows as i64),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Costs(args) => {
            let settings = config.settings();
            let store = open(&cli.db).await?;
            let out = crate::costs_cli::run(args, store.clone(), settings, wall_clock()).await;
            store.close().await;
            print!("{}", out?);
            Ok(())
        }
        Command::Alarms(args) => {
            let settings: Settings = config.settings();
            let store = open(&cli.db).await?;
            print!(
                "{}",
                crate::alarms_cli::alarms(store, settings, &args).await?
            );
            Ok(())
        }
        Command::Backtest(args) => {
            let store = open(&cli.db).await?;
            let out = crate::alarms_cli::backtest(&store, &args).await;
            store.close().await;
            print!("{}", out?);
            Ok(())
        }
        Command::Whatif(args) => {
            let store = open(&cli.db).await?;
            let out = crate::whatif_cmd::run(&args, store, config.settings(), wall_clock()).await?;
            print!("{out}");
            Ok(())
        }
        Command::Recommend(args) => {
            let settings: Settings = args.sizing.apply(config)?.settings();
            let clock_now = chrono::Utc::now().timestamp();
            let now = match args.at {
                Some(at) => check_at_not_future(at, clock_now)?,
                None => clock_now,
            };
            let store = open(&cli.db).await?;
            let removed = if args.include_removed {
                app::store::services::Removed::Show
            } else {
                app::store::services::Removed::Hide
            };
            let recs =
                app::reports::recommendations::for_all(&store, &settings, now, removed).await?;
            print!("{}", output::render(&recs, args.format));
            Ok(())
        }
    }
}

/// Sizes every service in the background as the server starts, so the first visitor to the
/// Services page does not wait for it.
fn warm_recommendations(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match state
            .recommendations
            .get(&state.store, &state.settings, state.clock.now())
            .await
        {
            Ok(e) => tracing::info!(
                "sized {} services in {:.2} s",
                e.len(),
                started.elapsed().as_secs_f64()
            ),
            Err(e) => tracing::warn!("sizing services at start-up failed: {e}"),
        }
    });
}

/// What `demo` says when the same demo is already loaded, instead of writing it again.
fn demo_already_there(
    db: &std::path::Path,
    run: &app::store::sync_runs::SyncRun,
    spec: &DemoSpec,
) -> String {
    format!(
        "The demo is already in {} ({} datapoints up to {}, generated {}); nothing written.",
        db.display(),
        app::format::count(run.datapoints_written),
        app::format::datetime(spec.end),
        app::format::datetime(run.started_at),
    )
}

async fn open(db: &std::path::Path) -> anyhow::Result<Store> {
    Store::open(db).await.context("opening the database (--db)")
}

/// Now, in epoch seconds.
fn wall_clock() -> i64 {
    chrono::Utc::now().timestamp()
}

fn now_hour() -> i64 {
    app::domain::calendar::hour_start(chrono::Utc::now().timestamp())
}

/// `recommend --at` must not be after `now`: there is no usage there to size on, and every
/// service would come out "not-enough-data".
fn check_at_not_future(at: i64, now: i64) -> anyhow::Result<i64> {
    if at > now {
        anyhow::bail!(
            "--at {} is in the future (now is {}): there is no usage to size on after now; give a time up to now, or leave --at out",
            app::format::datetime(at),
            app::format::datetime(now)
        );
    }
    Ok(at)
}

fn parse_time(s: &str) -> Result<i64, String> {
    use chrono::{NaiveDate, NaiveDateTime};
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .map(|d| d.and_utc().timestamp())
        .map_err(|_| format!("'{s}' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn recommend_at_refuses_the_future_and_names_both_times() {
        let now = parse_time("2026-11-29T19:00").unwrap();
        assert_eq!(check_at_not_future(now, now).unwrap(), now);
        let past = parse_time("2026-11-01").unwrap();
        assert_eq!(check_at_not_future(past, now).unwrap(), past);
        let err = check_at_not_future(parse_time("2027-01-01").unwrap(), now)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2027-01-01 00:00 UTC is in the future")
                && err.contains("now is 2026-11-29 19:00 UTC"),
            "{err}"
        );
    }
}
