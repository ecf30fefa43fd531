//! `spendwatch costs` and `spendwatch costs explain`: the Costs page's report on the terminal, as
//! JSON, or one of its tables as CSV.

use std::sync::Arc;

use clap::{Args, Subcommand};

use app::clock::SystemClock;
use app::reports::costs::query::{CostsParams, CostsQuery, ExplainQuery};
use app::reports::costs::{build, build_explain, CostsData};
use app::reports::{Table, Tables};
use app::settings::Settings;
use app::store::Store;
use app::AppState;

use crate::output::Format;

/// Options for `costs`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CostsArgs {
    /// The change decomposition instead of the spend table.
    #[command(subcommand)]
    pub explain: Option<CostsCommand>,
    /// First day, YYYY-MM-DD [default: the first of this month].
    #[arg(long)]
    pub from: Option<String>,
    /// Day after the last, YYYY-MM-DD (exclusive, as in Cost Explorer) [default: tomorrow].
    #[arg(long)]
    pub to: Option<String>,
    /// service, usage-type or tag:KEY (e.g. tag:aws:ecs:serviceName).
    #[arg(long, default_value = "service")]
    pub group_by: String,
    /// daily or monthly rows.
    #[arg(long, default_value = "daily")]
    pub granularity: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Which table for --format csv: groups, days, months, waterfall, spot, mix, reconciliation,
    /// anomalies, budgets.
    #[arg(long, default_value = "groups")]
    pub table: String,
}

/// `costs` subcommands.
#[derive(Debug, Subcommand)]
pub enum CostsCommand {
    /// Why ECS spend changed: volume (task-hours), size, Spot mix, and price and other, per
    /// service and in total, reconciled to the bill. Default: last full month against the one
    /// before; --from/--to name the later period (the earlier is as long, just before it).
    Explain(ExplainArgs),
}

/// Options for `costs explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// First day of the later period, YYYY-MM-DD.
    #[arg(long)]
    pub from: Option<String>,
    /// Day after its last, YYYY-MM-DD (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `costs` against `store` as of `now`.
pub async fn run(
    args: CostsArgs,
    store: Store,
    settings: Settings,
    now: i64,
) -> anyhow::Result<String> {
    let state = AppState::new(store, Arc::new(SystemClock), settings);
    if let Some(CostsCommand::Explain(e)) = args.explain {
        let q = ExplainQuery::parse(&e.from, &e.to, now).map_err(anyhow::Error::msg)?;
        let d = build_explain(&state, &q, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(match e.format {
            Format::Json => serde_json::to_string_pretty(&d)? + "\n",
            Format::Csv => d.table(None).map_err(anyhow::Error::msg)?.to_csv(),
            Format::Table => format!(
                "{}\n\n{}",
                d.words.join("\n"),
                aligned(&d.table(None).map_err(anyhow::Error::msg)?)
            ),
        });
    }
    let params = CostsParams {
        from: args.from,
        to: args.to,
        group_by: Some(args.group_by),
        granularity: Some(args.granularity),
        ..CostsParams::default()
    };
    let q = CostsQuery::parse(&params, now).map_err(anyhow::Error::msg)?;
    let d = build(&state, &q, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match args.format {
        Format::Json => serde_json::to_string_pretty(&d)? + "\n",
        Format::Csv => d
            .table(Some(&args.table))
            .map_err(anyhow::Error::msg)?
            .to_csv(),
        Format::Table => summary(&d),
    })
}

fn summary(d: &CostsData) -> String {
    use app::format::{usd, usd_signed};
    let mut out = format!(
        "Spend {} to {} (to exclusive) by {}: {} against {} from {} ({}).\n\n",
        d.from,
        d.to,
        d.group_by.as_query(),
        usd(d.total_usd),
        usd(d.previous_total_usd),
        d.previous_from,
        usd_signed(d.total_usd - d.previous_total_usd),
    );
    out += &aligned(&d.table(Some("groups")).unwrap_or_default());
    let period = if d.days.is_some() { "days" } else { "months" };
    let rows = d
        .days
        .as_ref()
        .map(|v| {
            v.iter()
                .map(|r| (r.date.clone(), r.total_usd, r.estimated))
                .collect::<Vec<_>>()
        })
        .or_else(|| {
            d.months.as_ref().map(|v| {
                v.iter()
                    .map(|r| (r.date.clone(), r.total_usd, r.estimated))
                    .collect()
            })
        })
        .unwrap_or_default();
    out += &format!("\n{}:\n", period);
    for (date, total, estimated) in rows {
        out += &format!(
            "  {date}  {:>12}{}\n",
            usd(total),
            if estimated { "  (estimated)" } else { "" }
        );
    }
    out
}

/// A table as aligned columns.
pub fn aligned(t: &Table) -> String {
    let mut widths: Vec<usize> = t.header.iter().map(|h| h.len()).collect();
    for row in &t.rows {
        for (i, c) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(t.header.iter().map(|h| h.to_uppercase()).collect());
    for row in &t.rows {
        out += &line(row.clone());
    }
    out
}
