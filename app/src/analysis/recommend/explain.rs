//! The words of a recommendation: the reason (the arithmetic behind the size and the cost) and the
//! risks (what could go wrong with the change), from the numbers [`super::sizing::size`] computed.

use super::sizing::Sizing;
use super::{Finding, ServiceFacts, SizingRules, UsageSummary, NEGLIGIBLE_USD, PINNED_CPU_PCT};
use crate::domain::fargate::{valid_sizes, TaskSize};

/// A recommendation's reason and risks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Explanation {
    /// The arithmetic in words.
    pub reason: String,
    /// What could go wrong.
    pub risks: Vec<String>,
}

/// The reason given when the window holds too little data to size on.
pub fn not_enough_data(hours: f64, rules: &SizingRules) -> String {
    format!(
        "only {hours:.1} h of CPU and memory data; at least {:.0} h are needed to size",
        rules.min_hours
    )
}

/// Puts a sizing in words: the reason and the risks.
pub fn explain(
    facts: &ServiceFacts,
    summary: &UsageSummary,
    rules: &SizingRules,
    sizing: &Sizing,
) -> Explanation {
    Explanation {
        reason: reason(facts, summary, rules, sizing),
        risks: risks(facts, summary, rules, sizing),
    }
}

/// The arithmetic from use to size, the task count and where the monthly change comes from.
fn reason(
    facts: &ServiceFacts,
    summary: &UsageSummary,
    rules: &SizingRules,
    sizing: &Sizing,
) -> String {
    let Sizing {
        sized,
        new,
        tasks_now,
        tasks_new,
        ..
    } = *sizing;
    let pct = rules.cpu_percentile;
    let mut reason = format!(
        "p{pct:.0} CPU {:.2} vCPU / {:.2} = {:.2} vCPU -> {}; max memory {:.0} MiB x {:.2} = {:.0} MiB -> {} MiB",
        summary.cpu_sized_percentile_vcpu,
        rules.cpu_target_utilization,
        sized.cpu_vcpu,
        new.cpu,
        summary.memory_max_mib,
        1.0 + rules.memory_buffer,
        sized.memory_mib,
        new.memory_mib
    );
    if f64::from(smallest_memory_for(new.cpu)) > sized.memory_mib {
        reason.push_str(&format!(
            " (the smallest memory a {} CPU task can have)",
            new.cpu
        ));
    }
    if let Some(s) = facts
        .autoscaling
        .as_ref()
        .filter(|s| (s.tracks_cpu || s.tracks_memory) && new != facts.size)
    {
        let on = match (s.tracks_cpu, s.tracks_memory) {
            (true, true) => "CPU and memory",
            (true, false) => "CPU",
            _ => "memory",
        };
        reason.push_str(&format!(
            "; autoscales on {on}: the same demand needs {tasks_now:.1} -> {tasks_new:.1} tasks (bounds {:.0}-{:.0}), priced at that count",
            s.min, s.max
        ));
    }
    if new != facts.size && sizing.finding == Finding::RightSized {
        reason.push_str(&format!(
            "; {tasks_new:.1} x {} costs the same as {tasks_now:.1} x {} at today's Spot share: the same capacity at the same list price, so right-sized in cost terms",
            format_size(new),
            format_size(facts.size)
        ));
    }
    reason.push_str(&cost_split_text(
        sizing.size_change,
        sizing.provider_change,
        sizing.spot_now,
        sizing.spot_after,
    ));
    reason
}

/// The smallest memory Fargate allows with `cpu` units (0 for an unknown CPU).
fn smallest_memory_for(cpu: u32) -> u32 {
    valid_sizes()
        .filter(|v| v.cpu == cpu)
        .map(|v| v.memory_mib)
        .min()
        .unwrap_or(0)
}

/// What could go wrong with the change, most pressing first.
fn risks(
    facts: &ServiceFacts,
    summary: &UsageSummary,
    rules: &SizingRules,
    sizing: &Sizing,
) -> Vec<String> {
    let pct = rules.cpu_percentile;
    let mut risks = Vec::new();
    if sizing.beyond_largest {
        risks.push("the use is larger than any Fargate size: the largest is shown".into());
    }
    if summary.cpu_pinned_minutes > 0.0 {
        risks.push(format!(
            "the busiest task sat at its CPU limit ({:.2} vCPU) for {:.0} minutes (CPUUtilization >= {PINNED_CPU_PCT}%): demand above the limit is invisible, so the sized {:.2} vCPU is a lower bound",
            facts.size.vcpu(), summary.cpu_pinned_minutes, sizing.sized.cpu_vcpu
        ));
    }
    if sizing.projected.cpu_sized_percentile_pct > 85.0 {
        risks.push(format!(
            "p{pct:.0} CPU would run at {:.0}% of the new size",
            sizing.projected.cpu_sized_percentile_pct
        ));
    }
    if let Some(s) = &facts.autoscaling {
        if sizing.tasks_new >= s.max && (s.tracks_cpu || s.tracks_memory) {
            risks.push("the task count would sit at its maximum: no room to scale out".into());
        }
    }
    if let Some(text) = spot_risk(sizing.spot_now, sizing.spot_after) {
        risks.push(text);
    }
    let hours = summary.hours_of_data;
    let window_hours = f64::from(rules.lookback_days) * 24.0;
    if hours < window_hours * 0.9 {
        risks.push(format!(
            "only {hours:.0} of {window_hours:.0} hours have data: the window may miss peaks"
        ));
    }
    risks
}

/// `1024/2048`.
fn format_size(size: TaskSize) -> String {
    format!("{}/{}", size.cpu, size.memory_mib)
}

/// The reason's sentence on where the monthly change comes from.
fn cost_split_text(
    size_change: f64,
    provider_change: f64,
    spot_now: f64,
    spot_after: f64,
) -> String {
    let net = size_change + provider_change;
    if provider_change.abs() < NEGLIGIBLE_USD {
        return format!(
            "; monthly change {}, all from the size",
            crate::format::usd_signed(net)
        );
    }
    format!(
        "; monthly change {}: {} from the size (priced at today's {spot_now:.0}% on Spot), {} from the capacity provider mix (the new task count puts {spot_after:.0}% on Spot instead of {spot_now:.0}%)",
        crate::format::usd_signed(net),
        crate::format::usd_signed(size_change),
        crate::format::usd_signed(provider_change)
    )
}

/// The Spot risk, saying whether the share is today's or after the change.
fn spot_risk(spot_now: f64, spot_after: f64) -> Option<String> {
    if spot_now.max(spot_after) < 1.0 {
        return None;
    }
    let share = if (spot_now - spot_after).abs() < 0.5 {
        format!("{spot_now:.0}% of tasks run on Fargate Spot now and after the change")
    } else {
        format!(
            "{spot_now:.0}% of tasks run on Fargate Spot now, {spot_after:.0}% after the change"
        )
    };
    Some(format!(
        "{share}; Spot tasks can be stopped with 2 minutes' warning"
    ))
}
