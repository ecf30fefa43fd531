//! Sync: the history of syncs from AWS (calls, cost, errors) and a button to start one.

use leptos::prelude::*;

use crate::components::{load_page, Column, DataTable, Layout};
use crate::format;
use crate::reports::sync_history::{build, StartFailure, SyncHistory};
use crate::state::AppState;
use crate::store::sync_runs::{RunHistory, RunTrigger, SyncRun};

/// Starts a sync in the background; without JavaScript the browser is sent back to the page.
#[server(endpoint = "sync_now")]
pub async fn sync_now() -> Result<(), ServerFnError> {
    let state = expect_context::<AppState>();
    match &state.sync {
        Some(trigger) => trigger.start().map_err(ServerFnError::new),
        None => Err(ServerFnError::new(
            "this server was started without AWS access",
        )),
    }
}

/// The Sync page.
#[component]
pub fn SyncPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let report = async move { build(&state, state.clock.now()).await };
    view! { <Layout title="Sync">{load_page(report, sync_view)}</Layout> }
}

fn sync_view(d: SyncHistory) -> impl IntoView {
    let action = ServerAction::<SyncNow>::new();
    let button = if d.running {
        view! { <p class="note" id="sync-running">"A sync is running; reload to follow it."</p> }
            .into_any()
    } else if d.can_sync {
        view! {
            <ActionForm action=action>
                <button type="submit" class="chip active" id="sync-now">"Sync now"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p class="note">"This server cannot start syncs. Run " <code>"spendwatch sync"</code> " from a shell with AWS credentials."</p> }.into_any()
    };
    let now = d.now;
    let failed = d.last_error.map(|StartFailure { at, message }| {
        view! {
            <section class="card error-box" id="sync-error" role="alert">
                <h2>{format!("The sync started {} did not run", format::ago(at, now))}</h2>
                <p class="error-message">{message}</p>
            </section>
        }
    });
    let refresh_hours = d.cost_refresh_hours;
    let projection = d.api_cost.map(|(every, p)| {
        let when = if d.scheduled {
            format!("Syncing every {} min", every / 60)
        } else {
            "Syncs run by hand; syncing every hour".to_string()
        };
        view! {
            <p class="note" id="api-cost-projection">{format!(
                "{when} would cost about {} a month in AWS API requests: {:.0} syncs x {} (metrics) + {:.0} Cost Explorer fetches x {} (at most one every {} h, [aws] cost_refresh_hours). From the last syncs' call counts.",
                format::usd(p.monthly_usd),
                p.syncs_per_month,
                format::usd_small(p.per_sync_usd),
                p.cost_explorer_fetches_per_month,
                format::usd_small(p.per_cost_fetch_usd),
                refresh_hours,
            )}</p>
        }
    });
    view! {
        {failed}
        {projection}
        <section class="card">
            <div class="card-head">
                <h2>"Syncs"</h2>
                {button}
            </div>
            {if d.runs.is_empty() {
                view! { <p class="empty">"No sync has run yet. Start one here or with " <code>"spendwatch sync"</code> "."</p> }.into_any()
            } else {
                view! {
                    <DataTable id="sync-runs" columns=vec![
                        Column::text("Started"),
                        Column::text("Trigger"),
                        Column::text("Outcome"),
                        Column::num("Took"),
                        Column::num("Datapoints"),
                        Column::num("Rows"),
                        Column::text("AWS calls"),
                        Column::num("API cost"),
                    ]>
                        {d.runs.into_iter().map(|r| run_row(r, now)).collect_view()}
                    </DataTable>
                }
                    .into_any()
            }}
        </section>
    }
}

fn run_row(r: RunHistory, now: i64) -> impl IntoView {
    let run = r.run;
    let took = run
        .finished_at
        .map(|f| format!("{} s", (f - run.started_at).max(0)))
        .unwrap_or_else(|| "…".into());
    let calls = r
        .calls
        .iter()
        .map(|c| format!("{} ×{}", c.api, c.calls))
        .collect::<Vec<_>>()
        .join(", ");
    let errors = r.errors;
    let started = started_text(&run, now);
    view! {
        <tr>
            <td title=format::datetime(run.started_at)>{started}</td>
            <td>{run.trigger.to_string()}</td>
            <td>
                <span class=format!("badge outcome-{}", run.outcome)>{run.outcome.to_string()}</span>
                {run.summary.map(|s| view! { <div class="sub">{s}</div> })}
                {(!errors.is_empty()).then(|| view! {
                    <ul class="risks">
                        {errors.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}
                    </ul>
                })}
            </td>
            <td class="num">{took}</td>
            <td class="num">{format::count(run.datapoints_written)}</td>
            <td class="num">{format::count(run.rows_written)}</td>
            <td class="sub">{if calls.is_empty() { "—".to_string() } else { calls }}</td>
            <td class="num">{format::usd_small(run.api_cost_usd)}</td>
        </tr>
    }
}

/// When a run started; a demo load says it generated demo data then (its summary says up to when),
/// so it is not mistaken for a sync of fresh data.
fn started_text(run: &SyncRun, now: i64) -> String {
    let ago = format::ago(run.started_at, now);
    if run.trigger == RunTrigger::Demo {
        format!(
            "demo data generated {ago} ({})",
            format::datetime(run.started_at)
        )
    } else {
        ago
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sync_runs::RunOutcome;

    fn run(trigger: RunTrigger, started_at: i64) -> SyncRun {
        SyncRun {
            id: 1,
            trigger,
            started_at,
            finished_at: Some(started_at + 2),
            outcome: RunOutcome::Ok,
            datapoints_written: 0,
            rows_written: 0,
            api_cost_usd: 0.0,
            summary: None,
        }
    }

    #[test]
    fn a_demo_load_says_it_generated_demo_data() {
        let now = 1_800_000_000;
        let text = started_text(&run(RunTrigger::Demo, now - 180), now);
        assert!(
            text.starts_with("demo data generated 3 min ago ("),
            "{text}"
        );
        assert_eq!(
            started_text(&run(RunTrigger::Cli, now - 180), now),
            "3 min ago"
        );
    }
}
