//! Printing recommendations for `spendwatch recommend`: an aligned table, JSON or CSV.

use app::format;
use app::reports::recommendations::{summarize, ServiceRecommendation};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people, with the reasoning underneath.
    Table,
    /// An array of objects, one per service.
    Json,
    /// One row per service with a header, for spreadsheets.
    Csv,
}

/// Renders recommendations in a format.
pub fn render(recs: &[ServiceRecommendation], format: Format) -> String {
    match format {
        Format::Table => table(recs),
        Format::Json => {
            serde_json::to_string_pretty(recs).expect("recommendations serialize") + "\n"
        }
        Format::Csv => csv(recs),
    }
}

fn size(cpu: u32, mem: u32) -> String {
    format!("{cpu}/{mem}")
}

fn table(recs: &[ServiceRecommendation]) -> String {
    if recs.is_empty() {
        return "No services in the database. Load the demo (spendwatch demo) or sync an account (spendwatch sync).\n".into();
    }
    let header = [
        "SERVICE",
        "CURRENT SIZE",
        "CURRENT TIER",
        "RECOMMENDED SIZE",
        "RECOMMENDED TIER",
        "FINDING",
        "NOW $/MO",
        "AFTER $/MO",
        "SIZE CHANGE $/MO",
        "SPOT MIX CHANGE $/MO",
        "HOURS OF DATA",
    ];
    let signed = |v: Option<f64>| v.map(format::usd_signed).unwrap_or_else(|| "-".into());
    let rows: Vec<[String; 11]> = recs
        .iter()
        .map(|r| {
            let rec = &r.rec;
            let (rsize, rtier) = match &rec.recommended {
                Some(s) => (
                    size(s.cpu, s.memory_mib),
                    s.tier.clone().unwrap_or_else(|| "-".into()),
                ),
                None => ("-".into(), "-".into()),
            };
            [
                match r.removed {
                    Some(_) => format!("{} (removed)", r.service),
                    None => r.service.clone(),
                },
                size(rec.current.cpu, rec.current.memory_mib),
                rec.current.tier.clone().unwrap_or_else(|| "-".into()),
                rsize,
                rtier,
                rec.finding.as_str().into(),
                format!("{:.2}", rec.monthly_cost_usd.current),
                rec.monthly_cost_usd
                    .recommended
                    .map(|c| format!("{c:.2}"))
                    .unwrap_or_else(|| "-".into()),
                signed(rec.monthly_cost_usd.size_change),
                signed(rec.monthly_cost_usd.capacity_provider_change),
                format!("{:.0}", rec.usage.hours_of_data),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric = |i: usize| i >= 6;
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if numeric(i) {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.to_vec()) + "\n";
    for row in &rows {
        out += &(line(row.iter().map(String::as_str).collect()) + "\n");
    }
    out += &summary_text(recs);
    out += "\nWhy:\n";
    for r in recs {
        out += &format!("  {}: {}\n", r.service, r.rec.reason);
        for risk in &r.rec.risks {
            out += &format!("    risk: {risk}\n");
        }
    }
    out
}

/// What the columns mean and what following every recommendation changes.
fn summary_text(recs: &[ServiceRecommendation]) -> String {
    let s = summarize(recs);
    let services = |n: usize| {
        if n == 1 {
            "1 service".to_string()
        } else {
            format!("{n} services")
        }
    };
    format!(
        "\nNOW: list price at each service's mean task count over the sizing window. SIZE CHANGE: the new size\n\
         and task count at today's share of tasks on Spot. SPOT MIX CHANGE: the rest, when the new task count\n\
         puts a different share of tasks on Spot (a side effect, not a resize saving).\n\n\
         Net monthly change if you follow every recommendation: {} a month.\n  \
         resizing saves {} a month on {}, adds {} a month on {}; Spot mix {}.\n",
        format::usd_signed(s.net_change),
        format::usd(s.savings),
        services(s.savings_count),
        format::usd(s.increases),
        services(s.increases_count),
        format::usd_signed(s.capacity_provider_change),
    )
}

/// The Services report's table, so the command and `/api/services?format=csv` agree.
fn csv(recs: &[ServiceRecommendation]) -> String {
    app::reports::services::recommendations_table(recs).to_csv()
}

/// The end-of-sync summary: what was fetched, the calls and their cost, phase timings, errors.
pub fn sync_summary(r: &crate::sync::SyncReport, seconds: f64) -> String {
    let mut out = format!(
        "\nSync {} ({}) in {seconds:.1} s: {} datapoints and {} other rows written.\n",
        r.run_id, r.outcome, r.datapoints_written, r.rows_written
    );
    out += "\nPhases:\n";
    for p in &r.phases {
        out += &format!(
            "  {:<14} {:>6.1} s  {}\n",
            p.phase.name(),
            p.seconds,
            p.summary
        );
    }
    out += "\nAWS calls:\n";
    for (api, calls, units) in &r.calls {
        let cost = crate::aws::calls::cost_of(api, *calls, *units);
        let units = if *units > 0 && *units != *calls {
            format!(" ({units} units)")
        } else {
            String::new()
        };
        out += &format!(
            "  {api:<48} {calls:>6}{units}  {}\n",
            format::usd_small(cost)
        );
    }
    out += &format!(
        "  {:<48} {:>6}  {}\n",
        "total",
        r.calls.iter().map(|c| c.1).sum::<u64>(),
        format::usd_small(r.cost_usd)
    );
    if let Some(retries) = r.retries.summary() {
        out += &format!("\n{retries}.\n");
    }
    if r.metric_calls.0 > 0 {
        out += &format!(
            "\nGetMetricData: {} calls; the fewest the API's limits allow for these windows: {}.\n",
            r.metric_calls.0, r.metric_calls.1
        );
    }
    if !r.errors.is_empty() {
        out += "\nErrors (the sync carried on past them):\n";
        for e in &r.errors {
            out += &format!("  - {e}\n");
        }
    }
    out
}
