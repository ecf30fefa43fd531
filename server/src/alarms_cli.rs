//! `spendwatch alarms` and `spendwatch backtest`: the Alarms table and an alarm's backtest on the
//! command line, from the same report builders as the pages and `/api/alarms...`.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use app::clock::SystemClock;
use app::reports::alarms::{minutes_text, AlarmsParams};
use app::reports::backtest::{BacktestParams, BacktestReport};
use app::reports::Tables;
use app::settings::Settings;
use app::store::Store;
use app::AppState;

/// Output formats of `alarms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns.
    Table,
    /// The report as JSON (as GET /api/alarms).
    Json,
    /// The alarms table as CSV.
    Csv,
}

/// Output formats of `backtest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BacktestFormat {
    /// Readable summary.
    Table,
    /// The report as JSON (as GET /api/alarms/{name}/backtest).
    Json,
}

/// Options for `alarms`.
#[derive(Debug, Args)]
pub struct AlarmsArgs {
    /// Days of history to sum up (7, 14, 30 or 90) [default: recommend.lookback_days].
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Options for `backtest`. Unset options take the alarm's own settings.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Alarm name.
    #[arg(long)]
    pub alarm: String,
    /// Threshold to try.
    #[arg(long, allow_hyphen_values = true)]
    pub threshold: Option<String>,
    /// Comparison: GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold,
    /// LessThanOrEqualToThreshold (or >, >=, <, <=).
    #[arg(long, value_name = "OP")]
    pub comparison: Option<String>,
    /// Statistic (Average, Sum, Minimum, Maximum, SampleCount, or a stored percentile).
    #[arg(long, value_name = "S")]
    pub statistic: Option<String>,
    /// Period in seconds (a multiple of the stored resolution).
    #[arg(long, value_name = "SECONDS")]
    pub period: Option<String>,
    /// M: datapoints that must breach.
    #[arg(long, value_name = "M")]
    pub datapoints: Option<String>,
    /// N: periods evaluated.
    #[arg(long, value_name = "N")]
    pub evaluation_periods: Option<String>,
    /// missing, ignore, breaching or notBreaching.
    #[arg(long, value_name = "MODE")]
    pub treat_missing: Option<String>,
    /// Start (RFC 3339 or YYYY-MM-DD) [default: the first stored datapoint].
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// End (RFC 3339, or YYYY-MM-DD to include that day) [default: the last stored datapoint].
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// Threshold sweep goal: most episodes a week [default 1].
    #[arg(long, value_name = "EPISODES")]
    pub target: Option<String>,
    /// Threshold sweep goal: keep catching real episodes longer than this [default 15].
    #[arg(long, value_name = "MINUTES")]
    pub real_minutes: Option<String>,
    /// Skip the threshold sweep.
    #[arg(long)]
    pub no_sweep: bool,
    /// Also print to stderr how long reading, replaying and sweeping took (for benchmarks).
    #[arg(long)]
    pub timings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BacktestFormat::Table)]
    pub format: BacktestFormat,
}

/// Runs `spendwatch alarms`.
pub async fn alarms(store: Store, settings: Settings, args: &AlarmsArgs) -> anyhow::Result<String> {
    let state = AppState::new(store, Arc::new(SystemClock), settings);
    let now = chrono::Utc::now().timestamp();
    let params = AlarmsParams {
        range: args.days.map(|d| format!("{d}d")),
        ..AlarmsParams::default()
    };
    let query = params
        .parse(now, state.settings.rules.lookback_days)
        .map_err(|m| {
            anyhow::anyhow!(m
                .replace("'range=", "'--days ")
                .replace("d' is not", "' is not"))
        })?;
    let report = app::reports::alarms::build(&state, query, now)
        .await
        .context("building the alarms report")?;
    Ok(match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ListFormat::Csv => report.table(None).map_err(anyhow::Error::msg)?.to_csv(),
        ListFormat::Table => {
            let mut rows = vec![[
                "ALARM",
                "STATE",
                "RULE",
                "EPISODES",
                "IN ALARM",
                "FLAP",
                "CHANGES/DAY",
            ]
            .map(String::from)];
            for r in &report.rows {
                let a = &r.alarm;
                let rule = match (&a.metric_name, &a.comparison_operator, a.threshold) {
                    (Some(m), Some(op), Some(t)) => format!(
                        "{m} {} {t} ({} of {})",
                        app::analysis::alarm_eval::Comparison::parse(op)
                            .map(|c| c.symbol())
                            .unwrap_or(op),
                        a.datapoints_to_alarm.or(a.evaluation_periods).unwrap_or(1),
                        a.evaluation_periods.unwrap_or(1)
                    ),
                    _ => a.alarm_rule.clone().unwrap_or_else(|| a.alarm_type.clone()),
                };
                rows.push([
                    a.name.clone(),
                    a.state_value.as_str().into(),
                    rule,
                    r.stats.episodes.to_string(),
                    minutes_text(r.stats.minutes_in_alarm),
                    r.stats
                        .flap_share
                        .map(|f| format!("{:.0}%", f * 100.0))
                        .unwrap_or_else(|| "-".into()),
                    format!("{:.1}", r.stats.transitions_per_day),
                ]);
            }
            let mut out = aligned(&rows);
            if !report.noise.is_empty() {
                out += "\nNoise:\n";
                for n in &report.noise {
                    out += &format!("  {}: {} ({})\n", n.alarm, n.kind.label(), n.evidence);
                }
            }
            out
        }
    })
}

fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
                + "\n"
        })
        .collect()
}

/// Runs `spendwatch backtest`.
pub async fn backtest(store: &Store, args: &BacktestArgs) -> anyhow::Result<String> {
    let params = BacktestParams {
        threshold: args.threshold.clone(),
        comparison: args.comparison.clone(),
        statistic: args.statistic.clone(),
        period: args.period.clone(),
        datapoints: args.datapoints.clone(),
        evaluation_periods: args.evaluation_periods.clone(),
        treat_missing: args.treat_missing.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        target: args.target.clone(),
        real_minutes: args.real_minutes.clone(),
        sweep: args.no_sweep.then(|| "off".to_string()),
    };
    if args.timings {
        eprint!("{}", timings(store, &args.alarm, &params).await?);
    }
    let report = app::reports::backtest::build(store, &args.alarm, &params)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match args.format {
        BacktestFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        BacktestFormat::Table => backtest_text(&report),
    })
}

fn backtest_text(r: &BacktestReport) -> String {
    if let Some(why) = &r.cannot_replay {
        return format!("{}: cannot replay: {why}\n", r.alarm);
    }
    let s = &r.settings;
    let mut out = format!(
        "{}: {} {} {} over {} s, {} of {}, missing data: {}\n{} to {}\n\n",
        r.alarm,
        s.statistic,
        s.comparison,
        s.threshold,
        s.period,
        s.datapoints_to_alarm,
        s.evaluation_periods,
        s.treat_missing_data,
        r.from,
        r.to
    );
    let mut rows = vec![["", "EPISODES", "IN ALARM", "FLAP", "PER WEEK"].map(String::from)];
    for c in &r.compared {
        rows.push([
            c.label.clone(),
            c.stats.episodes.to_string(),
            minutes_text(c.stats.minutes_in_alarm),
            c.stats
                .flap_share
                .map(|f| format!("{:.0}%", f * 100.0))
                .unwrap_or_else(|| "-".into()),
            format!("{:.2}", c.stats.per_week),
        ]);
    }
    out += &aligned(&rows);
    if let Some(f) = &r.fidelity {
        out += &format!(
            "\nReplay of the alarm's own settings reproduces {} of {} recorded state changes within one period{}.\n",
            f.matched,
            f.recorded,
            f.rate.map(|r| format!(" ({:.0}%)", r * 100.0)).unwrap_or_default()
        );
    }
    if let Some(sw) = &r.sweep {
        out += &format!("\nSuggestion: {}\n", sw.reasoning);
    }
    for n in &r.notes {
        out += &format!("\nNote: {n}\n");
    }
    out
}

/// Times the backtest's parts apart: the store read and roll-up, one replay, a 50-threshold sweep.
async fn timings(store: &Store, name: &str, params: &BacktestParams) -> anyhow::Result<String> {
    use app::analysis::alarms::{periods::plan, run, sweep};
    use app::reports::backtest::{load_periods, metric_series, own_settings};
    use std::time::Instant;
    let alarm = store
        .alarm_by_name(name)
        .await?
        .with_context(|| format!("no alarm named '{name}'"))?;
    let query = params
        .parse(own_settings(&alarm).ok().as_ref())
        .map_err(anyhow::Error::msg)?;
    let s = &query.settings;
    let rule = s.rule().map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let stored = metric_series(store, &alarm).await?;
    let p = plan(&stored, &s.statistic, s.period)?;
    let periods = load_periods(store, &p, s.period, query.from, query.to).await?;
    let read = started.elapsed();
    let (from, to) = (periods.start, periods.end());
    let started = Instant::now();
    let replayed = run(&rule, &periods, from, to);
    let replay = started.elapsed();
    let goal = sweep::SweepGoal::default();
    let candidates = sweep::thresholds(&periods, s.threshold, goal.steps, rule.comparison);
    let started = Instant::now();
    let swept = sweep::sweep(
        &rule,
        &periods,
        &candidates,
        &replayed.episodes,
        goal,
        from,
        to,
    );
    let sweeping = started.elapsed();
    Ok(format!(
        "timings: {} periods of {} s; read and roll-up {:.1} ms; replay {:.2} ms ({} episodes); sweep of {} thresholds {:.1} ms\n",
        periods.values.len(),
        s.period,
        read.as_secs_f64() * 1e3,
        replay.as_secs_f64() * 1e3,
        replayed.episodes.len(),
        swept.points.len(),
        sweeping.as_secs_f64() * 1e3
    ))
}
