//! `spendwatch whatif`: the Scaling page's replay on the command line, as a table or JSON.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use app::clock::FixedClock;
use app::domain::range::DateRange;
use app::reports::whatif::{build, parse_sweep, WhatIfQuery, WhatIfReport};
use app::settings::Settings;
use app::state::AppState;
use app::store::Store;

/// Options for `whatif`; unset ones keep the service's own settings.
#[derive(Debug, Args)]
pub struct WhatifArgs {
    /// Service name.
    #[arg(long)]
    pub service: String,
    /// Cluster, when the name is in several.
    #[arg(long)]
    pub cluster: Option<String>,
    /// CPU target tracking target, percent.
    #[arg(long, value_name = "PCT")]
    pub target_cpu: Option<f64>,
    /// Memory target tracking target, percent.
    #[arg(long, value_name = "PCT")]
    pub target_memory: Option<f64>,
    /// Minimum tasks.
    #[arg(long, value_name = "N")]
    pub min: Option<u32>,
    /// Maximum tasks.
    #[arg(long, value_name = "N")]
    pub max: Option<u32>,
    /// Scale-out cooldown, seconds.
    #[arg(long, value_name = "S")]
    pub scale_out_cooldown: Option<i64>,
    /// Scale-in cooldown, seconds.
    #[arg(long, value_name = "S")]
    pub scale_in_cooldown: Option<i64>,
    /// Task CPU units (with --memory: a valid Fargate size).
    #[arg(long, value_name = "UNITS")]
    pub cpu: Option<u32>,
    /// Task memory, MiB.
    #[arg(long, value_name = "MIB")]
    pub memory: Option<u32>,
    /// Minutes a new task takes before it carries load [default 2].
    #[arg(long, value_name = "MIN")]
    pub startup: Option<u32>,
    /// Tasks on on-demand Fargate first (capacity provider base).
    #[arg(long, value_name = "N")]
    pub base: Option<u32>,
    /// Percent of tasks beyond the base on Fargate Spot.
    #[arg(long, value_name = "PCT")]
    pub spot_pct: Option<u32>,
    /// Range: 7d, 14d, 30d or 90d [default: the sizing lookback].
    #[arg(long)]
    pub range: Option<String>,
    /// First day replayed (YYYY-MM-DD), with --to.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day replayed (YYYY-MM-DD, inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Sweep a setting: target-cpu, target-memory or max-tasks.
    #[arg(long)]
    pub sweep: Option<String>,
    /// Also print to stderr how long reading, one replay and an 11-target sweep took (for
    /// benchmarks: the targets are for the replay and the sweep, not process start).
    #[arg(long)]
    pub timings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = WhatifFormat::Table)]
    pub format: WhatifFormat,
}

/// Output formats of `whatif`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WhatifFormat {
    /// Aligned columns for people.
    Table,
    /// The report as JSON, as GET /api/services/{cluster}/{name}/whatif.
    Json,
}

impl WhatifArgs {
    /// The options as the report's own query (the type the page parses its query string into)
    /// and the range replayed, read as the page reads its `range`, `from` and `to`.
    pub fn query(&self, now: i64, default_days: u32) -> Result<(WhatIfQuery, DateRange), String> {
        let range = DateRange::parse(
            self.range.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            now,
            default_days,
        )?;
        let query = WhatIfQuery {
            target_cpu: self.target_cpu,
            target_memory: self.target_memory,
            min: self.min,
            max: self.max,
            scale_out_cooldown: self.scale_out_cooldown,
            scale_in_cooldown: self.scale_in_cooldown,
            cpu: self.cpu,
            memory: self.memory,
            startup_minutes: self.startup,
            base: self.base,
            spot_pct: self.spot_pct,
            sweep: parse_sweep(self.sweep.as_deref())?,
        };
        Ok((query, range))
    }
}

/// Runs the replay on `store` as of `now` and renders it.
pub async fn run(
    args: &WhatifArgs,
    store: Store,
    settings: Settings,
    now: i64,
) -> anyhow::Result<String> {
    let (query, range) = args
        .query(now, settings.rules.lookback_days)
        .map_err(anyhow::Error::msg)?;
    let state = AppState::new(store, Arc::new(FixedClock(now)), settings);
    if args.timings {
        eprint!("{}", timings(&state, args, &range).await?);
    }
    let report = build(
        &state,
        args.cluster.as_deref(),
        &args.service,
        query,
        range,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.public_message()))
    .context("whatif")?;
    Ok(match args.format {
        WhatifFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        WhatifFormat::Table => table(&report),
    })
}

/// Times the replay's parts apart: the store read, one replay of the own settings and a sweep
/// of the CPU target over 40..90%.
async fn timings(state: &AppState, args: &WhatifArgs, range: &DateRange) -> anyhow::Result<String> {
    use app::analysis::scaling::{demand::reconstruct, simulate, sweep, Fleet, Policy, SweepKind};
    use app::reports::whatif::{find, read_history};
    use std::time::Instant;
    let err = |e: app::error::AppError| anyhow::anyhow!(e.public_message());
    let store = &state.store;
    let service = find(store, args.cluster.as_deref(), &args.service)
        .await
        .map_err(err)?;
    let alarms = store.list_alarms(None).await?;
    let (policy, _) = Policy::from_service(&service.service, &alarms);
    let fleet = Fleet {
        size: service.service.size,
        arch: service.service.architecture,
        strategy: service.service.strategy.clone(),
    };
    let started = Instant::now();
    let (history, _) = read_history(state, &service, range).await.map_err(err)?;
    let demand = reconstruct(&history, fleet.size);
    let read = started.elapsed();
    let initial = history.initial_tasks();
    let prices = &state.settings.prices;
    let started = Instant::now();
    let run = simulate(&demand, &policy, &fleet, initial, &[], prices);
    let replay = started.elapsed();
    let started = Instant::now();
    let points = sweep(
        &demand,
        &policy,
        &fleet,
        initial,
        &[],
        prices,
        SweepKind::TargetCpu,
    );
    let swept = started.elapsed();
    Ok(format!(
        "timings: {} minutes; read and demand {:.1} ms; replay {:.2} ms ({} scale events); sweep of {} targets {:.1} ms\n",
        demand.len(),
        read.as_secs_f64() * 1e3,
        replay.as_secs_f64() * 1e3,
        run.totals.scale_events,
        points.len(),
        swept.as_secs_f64() * 1e3,
    ))
}

/// The comparison, the calibration and any sweep as aligned text.
pub fn table(r: &WhatIfReport) -> String {
    let mut out = format!(
        "{} ({}), {} to {}\n\n",
        r.service,
        r.cluster,
        app::format::date(r.range.from),
        app::format::date(r.range.to - 1)
    );
    let rows = r.comparison();
    let w = rows.iter().map(|x| x.0.len()).max().unwrap_or(0).max(7);
    out += &format!("{:w$}  {:>14}  {:>14}\n", "MEASURE", "ACTUAL", "SIMULATED");
    for (m, a, s) in rows {
        out += &format!("{m:w$}  {a:>14}  {s:>14}\n");
    }
    let c = r.own_calibration;
    out += &format!(
        "\nCalibration (own settings): task-hours {:+.1}%, mean |task diff| {:.2} over {} minutes.\n",
        c.task_hours_error_pct, c.mean_abs_task_diff, c.minutes_compared
    );
    if r.capped_minutes > 0 {
        out += &format!(
            "Demand was capped for {} minutes (a lower bound there).\n",
            r.capped_minutes
        );
    }
    if let Some(s) = &r.sweep {
        out += &format!(
            "\n{:>16}  {:>12}  {:>12}  {:>10}  {:>10}\n",
            s.kind.label().to_uppercase(),
            "MONTHLY",
            "MIN OVER",
            "MIN AT MAX",
            "TASK-H"
        );
        for p in &s.points {
            let mark = match (p.current, p.recommended) {
                (true, true) => "  current, recommended",
                (true, false) => "  current",
                (false, true) => "  recommended",
                _ => "",
            };
            out += &format!(
                "{:>16}  {:>12}  {:>12}  {:>10}  {:>10.0}{mark}\n",
                p.value,
                app::format::usd(p.monthly_cost_usd),
                p.minutes_over_alarm,
                p.minutes_at_max,
                p.task_hours
            );
        }
    }
    for n in &r.notes {
        out += &format!("Note: {n}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The options alone, as clap reads them.
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: WhatifArgs,
    }

    /// The query and range the page reads from `query_string`.
    fn page(query_string: &str, now: i64) -> Result<(WhatIfQuery, DateRange), String> {
        let pairs: Vec<(String, String)> = query_string
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        app::reports::whatif::parse_request(&get, now, 14)
    }

    /// The query and range the CLI reads from `argv`.
    fn cli(argv: &[&str], now: i64) -> Result<(WhatIfQuery, DateRange), String> {
        let cli = Cli::try_parse_from(["whatif", "--service", "svc"].iter().chain(argv))
            .map_err(|e| e.to_string())?;
        cli.args.query(now, 14)
    }

    #[test]
    fn the_cli_and_the_page_read_every_setting_the_same_way() {
        let now = 1_790_000_000;
        let cases: [(&[&str], &str); 5] = [
            (&[], ""),
            (
                &[
                    "--target-cpu",
                    "60",
                    "--target-memory",
                    "72.5",
                    "--min",
                    "3",
                    "--max",
                    "12",
                    "--scale-out-cooldown",
                    "30",
                    "--scale-in-cooldown",
                    "600",
                    "--cpu",
                    "1024",
                    "--memory",
                    "4096",
                    "--startup",
                    "4",
                    "--base",
                    "2",
                    "--spot-pct",
                    "50",
                    "--sweep",
                    "max-tasks",
                    "--range",
                    "90d",
                ],
                "target_cpu=60&target_memory=72.5&min=3&max=12&scale_out_cooldown=30\
                 &scale_in_cooldown=600&cpu=1024&memory=4096&startup=4&base=2&spot_pct=50\
                 &sweep=max-tasks&range=90d",
            ),
            (&["--sweep", "none", "--range", "7d"], "sweep=none&range=7d"),
            (
                &["--from", "2026-09-01", "--to", "2026-09-30"],
                "from=2026-09-01&to=2026-09-30",
            ),
            (&["--sweep", "target-cpu"], "sweep=target-cpu"),
        ];
        for (argv, query_string) in cases {
            let from_cli = cli(argv, now).unwrap();
            assert_eq!(from_cli, page(query_string, now).unwrap(), "{argv:?}");
            // The page's own links carry the same settings back.
            let link = from_cli.0.to_query_string();
            assert_eq!(page(&link, now).unwrap().0, from_cli.0, "{link}");
        }
    }

    #[test]
    fn the_cli_and_the_page_refuse_the_same_sweep_and_range_with_the_same_words() {
        let now = 1_790_000_000;
        for (argv, query_string) in [
            (["--sweep", "cost"], "sweep=cost"),
            (["--range", "5d"], "range=5d"),
        ] {
            let from_cli = cli(&argv, now).unwrap_err();
            assert_eq!(from_cli, page(query_string, now).unwrap_err());
        }
    }
}
