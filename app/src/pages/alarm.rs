//! One alarm: its metric with the threshold and ALARM spans, its history, and the backtest (a GET
//! form) with the side-by-side table, the match rate and the threshold sweep.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::alarm_history::history_item_view;
use super::alarms::{alarm_href, query_value};
use crate::analysis::alarms::sweep::fmt;
use crate::charts::alarms::{metric_chart, sweep_chart, MetricChart};
use crate::components::{load_page, Column, DataTable, Layout};
use crate::format;
use crate::reports::alarms::minutes_text;
use crate::reports::backtest::{alarm_page_cached, AlarmPageData, BacktestParams, BacktestReport};
use crate::state::AppState;

/// The alarm page.
#[component]
pub fn AlarmPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let name = use_params_map()
        .get_untracked()
        .get("name")
        .unwrap_or_default();
    let q = |k: &str| query_value(k);
    let params = BacktestParams {
        threshold: q("threshold"),
        comparison: q("comparison"),
        statistic: q("statistic"),
        period: q("period"),
        datapoints: q("datapoints"),
        evaluation_periods: q("evaluation_periods"),
        treat_missing: q("treat_missing"),
        from: q("from"),
        to: q("to"),
        target: q("target"),
        real_minutes: q("real_minutes"),
        sweep: q("sweep"),
    };
    let title = name.clone();
    let report = async move { alarm_page_cached(&state, &name, &params).await };
    view! { <Layout title=title>{load_page(report, alarm_view)}</Layout> }
}

/// Lines as a list, one item each (nothing when there are none).
fn lines(items: Option<Vec<String>>) -> impl IntoView {
    let items = items.unwrap_or_default();
    (!items.is_empty()).then(|| {
        view! { <ul class="lines">{items.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul> }
    })
}

fn alarm_view(d: std::sync::Arc<AlarmPageData>) -> impl IntoView {
    let d: &AlarmPageData = &d;
    let a = &d.alarm;
    let b = &d.backtest;
    let facts = view! {
        <dl class="facts" id="alarm-facts">
            <div><dt>"State"</dt><dd>{a.state_value.as_str()}{a.state_updated_at.map(|t| format!(" since {}", format::datetime(t)))}</dd></div>
            <div><dt>"Type"</dt><dd>{a.alarm_type.clone()}</dd></div>
            <div class="wide"><dt>"Metric"</dt><dd>{format!("{} {}", a.namespace.clone().unwrap_or_default(), a.metric_name.clone().unwrap_or_default())}</dd></div>
            <div class="wide"><dt>"Dimensions"</dt><dd>{lines(a.dimensions.as_deref().map(format::dimension_lines))}</dd></div>
            <div><dt>"Rule"</dt><dd>{b.own_settings.as_ref().map(settings_text).or_else(|| a.alarm_rule.clone()).unwrap_or_default()}</dd></div>
            <div class="wide"><dt>"Actions"</dt><dd>{if a.actions_enabled { "enabled" } else { "disabled" }}{lines(a.alarm_actions.as_deref().map(format::list_items))}</dd></div>
        </dl>
    };
    let reason = a.state_reason.clone();
    let body = match &b.cannot_replay {
        Some(why) => view! {
            <section class="card" id="backtest">
                <h2>"Backtest"</h2>
                <p class="warning" id="cannot-replay">{format!("This alarm cannot be replayed: {why}")}</p>
            </section>
        }
        .into_any(),
        None => backtest_view(d).into_any(),
    };
    let history = d.history.clone();
    let history_href = format!("/alarms/history?alarm={}", super::alarms::enc(&a.name));
    view! {
        <p class="sync-status"><a href="/alarms">"All alarms"</a> " · " {a.description.clone()}</p>
        <section class="card">
            {facts}
            <p class="note">{reason}</p>
        </section>
        {body}
        <section class="card" id="alarm-history">
            <h2>"Latest history"</h2>
            <ul class="history">{history.into_iter().map(history_item_view).collect_view()}</ul>
            <p class="note"><a href=history_href>"All of this alarm's history"</a></p>
        </section>
    }
}

fn settings_text(s: &crate::analysis::alarms::BacktestSettings) -> String {
    let op = crate::analysis::alarm_eval::Comparison::parse(&s.comparison)
        .map(|c| c.symbol())
        .unwrap_or(&s.comparison);
    format!(
        "{} {op} {} over {} s, {} of {}, missing data {}",
        s.statistic,
        fmt(s.threshold),
        s.period,
        s.datapoints_to_alarm,
        s.evaluation_periods,
        s.treat_missing_data
    )
}

fn backtest_form(d: &AlarmPageData) -> impl IntoView {
    let s = &d.backtest.settings;
    let action = alarm_href(&d.alarm.name);
    let select = |name: &'static str, current: &str, options: &[(&'static str, &'static str)]| {
        let current = current.to_string();
        view! {
            <select name=name>
                {options.iter().map(|(v, label)| {
                    let selected = *v == current;
                    view! { <option value=*v selected=selected>{*label}</option> }
                }).collect_view()}
            </select>
        }
    };
    let goal = d
        .backtest
        .sweep
        .as_ref()
        .map(|s| s.goal)
        .unwrap_or_default();
    view! {
        <form class="backtest-form" method="get" action=action id="backtest-form">
            <label>"Threshold " <input type="text" inputmode="decimal" name="threshold" value=fmt(s.threshold) size="8" /></label>
            <label>"Comparison "
                {select("comparison", &s.comparison, &[
                    ("GreaterThanThreshold", ">"),
                    ("GreaterThanOrEqualToThreshold", ">="),
                    ("LessThanThreshold", "<"),
                    ("LessThanOrEqualToThreshold", "<="),
                ])}
            </label>
            <label>"Statistic "
                <select name="statistic">
                    {d.statistics.iter().map(|st| {
                        let selected = *st == s.statistic;
                        view! { <option value=st.clone() selected=selected>{st.clone()}</option> }
                    }).collect_view()}
                    {(!d.statistics.contains(&s.statistic)).then(|| view! { <option value=s.statistic.clone() selected=true>{s.statistic.clone()}</option> })}
                </select>
            </label>
            <label>"Period (s) " <input type="text" inputmode="numeric" name="period" value=s.period.to_string() size="5" /></label>
            <label>"Datapoints to alarm " <input type="text" inputmode="numeric" name="datapoints" value=s.datapoints_to_alarm.to_string() size="3" /></label>
            <label>"of " <input type="text" inputmode="numeric" name="evaluation_periods" value=s.evaluation_periods.to_string() size="3" /></label>
            <label>"Missing data "
                {select("treat_missing", &s.treat_missing_data, &[
                    ("missing", "missing"),
                    ("ignore", "ignore"),
                    ("breaching", "breaching"),
                    ("notBreaching", "notBreaching"),
                ])}
            </label>
            <label>"From " <input type="text" name="from" value=query_value("from") placeholder="YYYY-MM-DD" size="11" /></label>
            <label>"to " <input type="text" name="to" value=query_value("to") placeholder="YYYY-MM-DD" size="11" /></label>
            <label>"Target episodes/week " <input type="text" name="target" value=fmt(goal.target_per_week) size="4" /></label>
            <label>"Real episodes longer than (min) " <input type="text" name="real_minutes" value=fmt(goal.real_minutes) size="4" /></label>
            <button type="submit" class="chip active">"Backtest"</button>
            <a class="chip" href=alarm_href(&d.alarm.name)>"Reset to the alarm's settings"</a>
        </form>
    }
}

fn compared_table(b: &BacktestReport) -> impl IntoView {
    let columns = vec![
        Column::text(""),
        Column::num("Episodes"),
        Column::num("Time in ALARM"),
        Column::num("Flap share"),
        Column::num("Episodes/week"),
    ];
    let rows = b.compared.clone();
    view! {
        <DataTable id="compared" columns>
            {rows.into_iter().map(|c| view! {
                <tr>
                    <td>{c.label.clone()}</td>
                    <td class="num">{c.stats.episodes}</td>
                    <td class="num">{minutes_text(c.stats.minutes_in_alarm)}</td>
                    <td class="num">{c.stats.flap_share.map(|f| format!("{:.0}%", f * 100.0)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{format!("{:.2}", c.stats.per_week)}</td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
}

fn backtest_view(d: &AlarmPageData) -> impl IntoView {
    let b = &d.backtest;
    let label = format!(
        "{} ({}, {} s)",
        d.alarm.metric_name.clone().unwrap_or_default(),
        b.settings.statistic,
        b.settings.period
    );
    let chart = metric_chart(&MetricChart {
        periods: &b.chart.periods,
        label: &label,
        threshold: b
            .own_settings
            .as_ref()
            .map(|o| o.threshold)
            .unwrap_or(b.settings.threshold),
        tried_threshold: (!b.own).then_some(b.settings.threshold),
        recorded: &b.chart.recorded,
        tried: &b.chart.tried,
        changes: &d.threshold_changes,
    });
    let fidelity = b.fidelity.as_ref().map(|f| {
        let text = match f.rate {
            Some(r) => format!(
                "Replaying this alarm's own settings reproduces {} of {} recorded state changes within one period ({:.0}%).",
                f.matched, f.recorded, r * 100.0
            ),
            None => "No recorded state changes in this range to compare the replay with.".to_string(),
        };
        let extra = (f.extra > 0).then(|| format!(" The replay also changed state {} times that history does not record.", f.extra));
        view! { <p class="fidelity" id="match-rate"><strong>"Fidelity: "</strong>{text}{extra}</p> }
    });
    let sweep = b.sweep.as_ref().map(|s| {
        let svg = sweep_chart(&s.points, b.settings.threshold, s.suggested, s.goal.target_per_week);
        let points = s.points.clone();
        view! {
            <section class="card" id="sweep">
                <h2>"Threshold sweep"</h2>
                <p class="suggestion" id="suggestion"><strong>{s.suggested.map(|t| format!("Suggested threshold: {}. ", fmt(t))).unwrap_or_else(|| "No suggestion. ".into())}</strong>{s.reasoning.clone()}</p>
                <div class="chart" id="sweep-chart" inner_html=svg></div>
                <p class="note">"Each point: the alarm replayed at that threshold with the settings above. Red points miss a real episode longer than the goal's minutes."</p>
                <details>
                    <summary>"Sweep table"</summary>
                    <DataTable id="sweep-table" columns=vec![Column::num("Threshold"), Column::num("Episodes"), Column::num("Per week"), Column::num("In ALARM"), Column::num("Real episodes missed")]>
                        {points.into_iter().map(|p| view! {
                            <tr>
                                <td class="num">{fmt(p.threshold)}</td>
                                <td class="num">{p.episodes}</td>
                                <td class="num">{format!("{:.2}", p.per_week)}</td>
                                <td class="num">{minutes_text(p.minutes_in_alarm)}</td>
                                <td class="num">{p.missed_real}</td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                </details>
            </section>
        }
    });
    let notes = b.notes.clone();
    let api = format!("/api/alarms/{}/backtest", super::alarms::enc(&d.alarm.name));
    view! {
        <section class="card" id="backtest">
            <h2>"Backtest"</h2>
            {backtest_form(d)}
            <p class="note">{format!("Replayed: {} · {} to {}", settings_text(&b.settings), b.from, b.to)}</p>
            {fidelity}
            <div class="chart" id="metric-chart" inner_html=chart></div>
            <p class="note">"Red shading: ALARM in the recorded history; purple band: the backtest's episodes; dashed lines: the current threshold (red) and the one tried (purple); brown lines: configuration changes."</p>
            {compared_table(b)}
            {notes.into_iter().map(|n| view! { <p class="note">{n}</p> }).collect_view()}
            <p class="note">"JSON: " <a href=api.clone()>{api.clone()}</a> " (add the form's parameters) · CSV: " <a href=format!("{api}?format=csv&table=episodes")>"episodes"</a></p>
        </section>
        {sweep}
    }
}
