//! The Costs page's tables as CSV.

use super::explain::{reconciliation_table, waterfall_table};
use super::{CostsData, MonthRow};
use crate::analysis::spend::budget::BudgetStatus;
use crate::reports::{csv_usd, Table, Tables};

fn opt_pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.2}")).unwrap_or_default()
}

fn months_table(rows: &[MonthRow]) -> Table {
    Table {
        header: vec!["month", "total_usd", "days_with_data", "estimated"],
        rows: rows
            .iter()
            .map(|m| {
                vec![
                    m.date.clone(),
                    csv_usd(m.total_usd),
                    m.days_with_data.to_string(),
                    m.estimated.to_string(),
                ]
            })
            .collect(),
    }
}

impl CostsData {
    fn groups_table(&self) -> Table {
        Table {
            header: vec![
                "key",
                "group",
                "total_usd",
                "previous_usd",
                "change_usd",
                "change_pct",
            ],
            rows: self
                .groups
                .iter()
                .map(|g| {
                    let c = &g.change;
                    vec![
                        c.key.clone(),
                        c.label.clone(),
                        csv_usd(c.total_usd),
                        csv_usd(c.previous_usd),
                        csv_usd(c.change_usd),
                        opt_pct(c.change_pct),
                    ]
                })
                .collect(),
        }
    }

    /// One row per day and stacked part (long form: the parts' names are data, not columns).
    fn days_table(&self) -> Table {
        let mut rows = Vec::new();
        for d in &self.stacks {
            for (label, part) in self.stack_labels.iter().zip(&d.parts) {
                rows.push(vec![
                    crate::format::date(d.date),
                    label.clone(),
                    csv_usd(*part),
                    d.estimated.to_string(),
                ]);
            }
        }
        Table {
            header: vec!["date", "group", "amount_usd", "estimated"],
            rows,
        }
    }

    fn anomalies_table(&self) -> Table {
        Table {
            header: vec![
                "date",
                "key",
                "group",
                "amount_usd",
                "expected_usd",
                "excess_usd",
                "score",
                "notes",
            ],
            rows: self
                .anomalies
                .iter()
                .map(|a| {
                    vec![
                        a.date_text.clone(),
                        a.key.clone(),
                        a.label.clone(),
                        csv_usd(a.day.amount_usd),
                        csv_usd(a.day.expected_usd),
                        csv_usd(a.day.excess_usd),
                        format!("{:.1}", a.day.score),
                        a.notes.join("; "),
                    ]
                })
                .collect(),
        }
    }

    fn spot_table(&self) -> Table {
        let s = &self.spot;
        Table {
            header: vec![
                "capacity",
                "vcpu_hours",
                "gb_hours",
                "cost_usd",
                "at_on_demand_usd",
                "savings_usd",
            ],
            rows: vec![
                vec![
                    "on-demand".into(),
                    format!("{:.2}", s.on_demand_vcpu_hours),
                    format!("{:.2}", s.on_demand_gb_hours),
                    csv_usd(s.on_demand_usd),
                    csv_usd(s.on_demand_usd),
                    csv_usd(0.0),
                ],
                vec![
                    "spot".into(),
                    format!("{:.2}", s.spot_vcpu_hours),
                    format!("{:.2}", s.spot_gb_hours),
                    csv_usd(s.spot_usd),
                    csv_usd(s.spot_at_on_demand_usd),
                    csv_usd(s.realized_savings_usd),
                ],
            ],
        }
    }

    fn mix_table(&self) -> Table {
        Table {
            header: vec!["strategy", "monthly_usd", "change_usd", "spot_pct"],
            rows: self
                .mix
                .iter()
                .map(|m| {
                    vec![
                        m.label.clone(),
                        csv_usd(m.monthly_usd),
                        csv_usd(m.change_usd),
                        format!("{:.1}", m.spot_pct),
                    ]
                })
                .collect(),
        }
    }
}

impl Tables for CostsData {
    fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![
            ("groups", self.groups_table()),
            ("days", self.days_table()),
            ("months", months_table(&self.last_months)),
            ("waterfall", waterfall_table(&self.explain)),
            ("spot", self.spot_table()),
            ("mix", self.mix_table()),
            ("reconciliation", reconciliation_table(&self.reconciliation)),
            ("anomalies", self.anomalies_table()),
            ("budgets", budgets_table(&self.budgets)),
        ]
    }
}

/// This month's budgets as a CSV table (the Costs page's and the Overview's).
pub fn budgets_table(budgets: &[BudgetStatus]) -> Table {
    Table {
        header: vec![
            "group",
            "budget_usd",
            "spent_usd",
            "burn_per_day_usd",
            "projected_usd",
            "crossing_day",
        ],
        rows: budgets
            .iter()
            .map(|b| {
                vec![
                    b.group.clone(),
                    csv_usd(b.budget_usd),
                    csv_usd(b.spent_usd),
                    csv_usd(b.burn_per_day_usd),
                    csv_usd(b.projected_usd),
                    b.crossing_day.map(crate::format::date).unwrap_or_default(),
                ]
            })
            .collect(),
    }
}
