//! Tiers: the team's tier table against Fargate list prices, and how many services sit in each.

use leptos::prelude::*;

use crate::analysis::recommend::tier_for;
use crate::components::{load_page, Layout};
use crate::domain::fargate::Architecture;
use crate::error::AppError;
use crate::format;
use crate::reports::recommendations;
use crate::state::AppState;
use crate::store::services::Removed;

/// One tier row.
#[derive(Debug, Clone)]
pub struct TierRow {
    /// Tier name.
    pub name: String,
    /// `1024 / 2048`.
    pub size: String,
    /// List price of one task for a month (x86, on demand).
    pub per_task_month: f64,
    /// Two tasks.
    pub two_tasks: f64,
    /// The team's planned figure for two tasks.
    pub planned_two_tasks: Option<f64>,
    /// Services on a size in this tier now.
    pub services_now: usize,
    /// Services whose recommended size is in this tier.
    pub services_recommended: usize,
}

/// The Tiers page's data.
#[derive(Debug, Clone)]
pub struct TiersData {
    /// Tiers, smallest first.
    pub rows: Vec<TierRow>,
    /// Services larger than every tier now / recommended.
    pub above_now: usize,
    /// Recommended sizes above every tier.
    pub above_recommended: usize,
    /// Spot discount used elsewhere, for the note.
    pub spot_discount: f64,
}

/// Prices every tier and counts services in each.
pub async fn load(state: AppState) -> Result<TiersData, AppError> {
    let s = &state.settings;
    let evidence = state
        .recommendations
        .get(&state.store, s, state.clock.now())
        .await?;
    // Services deleted in AWS sit in no tier any more.
    let recs: Vec<recommendations::ServiceRecommendation> =
        recommendations::listed(&evidence, Removed::Hide)
            .map(|e| e.recommendation.clone())
            .collect();
    let count = |pick: &dyn Fn(
        &recommendations::ServiceRecommendation,
    ) -> Option<crate::domain::fargate::TaskSize>,
                 tier: Option<&str>| {
        recs.iter()
            .filter_map(pick)
            .filter(|size| tier_for(&s.tiers, *size).map(|t| t.name.as_str()) == tier)
            .count()
    };
    let now_size = |r: &recommendations::ServiceRecommendation| Some(r.rec.current.size());
    let rec_size =
        |r: &recommendations::ServiceRecommendation| r.rec.recommended.as_ref().map(|x| x.size());
    let mut tiers = s.tiers.clone();
    tiers.sort_by_key(|t| (t.cpu, t.memory_mib));
    let rows = tiers
        .iter()
        .map(|t| {
            let monthly = s.prices.monthly(t.size(), Architecture::X86_64);
            TierRow {
                name: t.name.clone(),
                size: format::size(t.cpu, t.memory_mib),
                per_task_month: monthly,
                two_tasks: 2.0 * monthly,
                planned_two_tasks: t.planned_monthly_two_tasks,
                services_now: count(&now_size, Some(&t.name)),
                services_recommended: count(&rec_size, Some(&t.name)),
            }
        })
        .collect();
    Ok(TiersData {
        rows,
        above_now: count(&now_size, None),
        above_recommended: count(&rec_size, None),
        spot_discount: s.prices.spot_discount,
    })
}

/// The Tiers page.
#[component]
pub fn TiersPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! { <Layout title="Tiers">{load_page(load(state), tiers_view)}</Layout> }
}

fn tiers_view(d: TiersData) -> impl IntoView {
    let off: Vec<(String, f64)> = d
        .rows
        .iter()
        .filter_map(|r| {
            r.planned_two_tasks
                .filter(|p| *p > 0.0)
                .map(|p| (r.name.clone(), r.two_tasks / p))
        })
        .filter(|(_, ratio)| !(0.9..=1.1).contains(ratio))
        .collect();
    let warning = (!off.is_empty()).then(|| {
        let worst = off.iter().map(|(_, r)| *r).fold(0.0, f64::max);
        view! {
            <section class="card warning" id="tier-warning">
                <h2>"Your planning table is off"</h2>
                <p>
                    {format!(
                        "For {} of {} tiers the planned cost differs from the list price by more than 10% (up to {worst:.2}x). A table that is about 2x low usually priced one task, not two.",
                        off.len(),
                        d.rows.len()
                    )}
                </p>
            </section>
        }
    });
    view! {
        {warning}
        <section class="card">
            <table class="data" id="tiers">
                <thead>
                    <tr>
                        <th>"Tier"</th>
                        <th class="num">"CPU / MiB"</th>
                        <th class="num">"Per task-month"</th>
                        <th class="num">"Two tasks"</th>
                        <th class="num">"Planned (two tasks)"</th>
                        <th class="num">"List / planned"</th>
                        <th class="num">"Services now"</th>
                        <th class="num">"Recommended"</th>
                    </tr>
                </thead>
                <tbody>
                    {d
                        .rows
                        .into_iter()
                        .map(|r| {
                            let ratio = r.planned_two_tasks.filter(|p| *p > 0.0).map(|p| r.two_tasks / p);
                            view! {
                                <tr>
                                    <td>{r.name}</td>
                                    <td class="num">{r.size}</td>
                                    <td class="num">{format::usd(r.per_task_month)}</td>
                                    <td class="num">{format::usd(r.two_tasks)}</td>
                                    <td class="num">{r.planned_two_tasks.map(format::usd).unwrap_or_else(|| "—".into())}</td>
                                    <td class={if ratio.is_some_and(|x| !(0.9..=1.1).contains(&x)) { "num cost-more" } else { "num" }}>
                                        {ratio.map(|x| format!("{x:.2}x")).unwrap_or_else(|| "—".into())}
                                    </td>
                                    <td class="num">{r.services_now}</td>
                                    <td class="num">{r.services_recommended}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                    <tr class="muted-row">
                        <td>"Above every tier"</td>
                        <td></td><td></td><td></td><td></td><td></td>
                        <td class="num">{d.above_now}</td>
                        <td class="num">{d.above_recommended}</td>
                    </tr>
                </tbody>
            </table>
            <p class="note">
                {format!(
                    "List prices: Linux/x86 on demand, 730 hours a month. Fargate Spot is modelled at {:.0}% off. A service counts in the smallest tier that holds its size.",
                    d.spot_discount * 100.0
                )}
            </p>
        </section>
    }
}
