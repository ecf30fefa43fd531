//! Alarm history: every item newest first, filters, keyset pages, a permalink per item, CSV and
//! JSON export of the filtered set, and how far back the archive reaches.

use leptos::prelude::*;

use super::alarms::{alarm_href, enc, query_value};
use crate::components::{load_page, Layout};
use crate::error::AppError;
use crate::format;
use crate::reports::alarm_history::{
    build, HistoryData, HistoryParams, HistoryRow, AWS_HISTORY_DAYS,
};
use crate::state::AppState;

/// The History page.
#[component]
pub fn AlarmHistoryPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let q = |k: &str| query_value(k);
    let params = HistoryParams {
        alarm: q("alarm"),
        item_type: q("type"),
        state: q("state"),
        from: q("from"),
        to: q("to"),
        q: q("q"),
        before: q("before"),
        item: q("item"),
        limit: q("limit"),
    };
    let report = async move {
        let query = params.parse().map_err(AppError::bad_request)?;
        build(&state.store, query, false, state.clock.now()).await
    };
    view! { <Layout title="Alarm history">{load_page(report, history_view)}</Layout> }
}

/// One history item as a list entry: time, alarm, change, reason, evaluated datapoints, permalink.
pub fn history_item_view(r: HistoryRow) -> impl IntoView {
    let h = r.item.record;
    let id = r.item.id;
    let change = match (&h.old_state, &h.new_state) {
        (Some(o), Some(n)) => format!("{o} → {n}"),
        _ => h.summary.clone(),
    };
    let new_class = h
        .new_state
        .as_deref()
        .map(|s| format!("badge state-{}", s.to_lowercase()))
        .unwrap_or_else(|| "badge".into());
    let points = r.reason_data.filter(|d| !d.points.is_empty()).map(|d| {
        let head = format!(
            "Evaluated {}{}{}:",
            d.statistic.unwrap_or_default(),
            d.period.map(|p| format!(" over {p} s")).unwrap_or_default(),
            d.threshold
                .map(|t| format!(", threshold {}", crate::analysis::alarms::sweep::fmt(t)))
                .unwrap_or_default()
        );
        let items: Vec<String> = d
            .points
            .iter()
            .map(|p| {
                let v = p
                    .value
                    .map(crate::analysis::alarms::sweep::fmt)
                    .unwrap_or_else(|| "missing".into());
                if p.timestamp.is_empty() {
                    v
                } else {
                    format!("{v} at {}", p.timestamp)
                }
            })
            .collect();
        view! { <div class="sub points">{head} " " {items.join(" · ")}</div> }
    });
    view! {
        <li class="history-item" id=format!("item-{id}")>
            <div>
                <a class="permalink" href=format!("/alarms/history?item={id}") title="Permalink">{format::datetime(h.ts)}</a>
                " · " <a href=alarm_href(&h.alarm_name)>{h.alarm_name.clone()}</a>
                " · " <span class="sub">{h.item_type.to_string()}</span>
                " · " <span class=new_class>{change}</span>
            </div>
            <div class="reason">{h.reason.clone().unwrap_or_else(|| h.summary.clone())}</div>
            {points}
        </li>
    }
}

/// The filters as a query string (without the cursor).
fn filter_query(d: &HistoryData) -> String {
    let f = &d.query.filter;
    let mut parts = Vec::new();
    if let Some(a) = &f.alarm {
        parts.push(format!("alarm={}", enc(a)));
    }
    if let Some(t) = &f.item_type {
        parts.push(format!("type={}", enc(t)));
    }
    if let Some(s) = f.state {
        parts.push(format!("state={}", s.as_str()));
    }
    if let Some(v) = query_value("from").filter(|s| !s.is_empty()) {
        parts.push(format!("from={}", enc(&v)));
    }
    if let Some(v) = query_value("to").filter(|s| !s.is_empty()) {
        parts.push(format!("to={}", enc(&v)));
    }
    if let Some(t) = &f.text {
        parts.push(format!("q={}", enc(t)));
    }
    parts.join("&")
}

fn history_view(d: HistoryData) -> impl IntoView {
    let f = d.query.filter.clone();
    let reach = match d.oldest {
        Some(oldest) => format!(
            "The archive holds {} items back to {}; AWS keeps {} days, so {} days of it exist only here.",
            format::count(d.stored),
            format::datetime(oldest),
            AWS_HISTORY_DAYS,
            d.days_beyond_aws
        ),
        None => "The archive holds no history yet.".into(),
    };
    let filters = filter_query(&d);
    let sep = if filters.is_empty() { "" } else { "&" };
    let next = d.next.clone().map(|c| {
        let href = format!("/alarms/history?{filters}{sep}before={c}");
        view! { <a class="chip" id="next-page" rel="next" href=href>"Older items →"</a> }
    });
    let first = d.query.before.map(|_| {
        view! { <a class="chip" href=format!("/alarms/history?{filters}")>"← Newest"</a> }
    });
    let opt = |v: &'static str, label: &'static str, current: Option<&str>| {
        let selected = current.unwrap_or("") == v;
        view! { <option value=v selected=selected>{label}</option> }
    };
    let state_now = f.state.map(|s| s.as_str());
    let type_now = f.item_type.clone();
    let items = d.items.clone();
    let empty = items.is_empty();
    view! {
        <section class="card">
            <p class="note" id="archive-reach">{reach}</p>
            <form class="filters" method="get" action="/alarms/history" id="history-filters">
                <label>"Alarm "
                    <select name="alarm">
                        <option value="" selected=f.alarm.is_none()>"any"</option>
                        {d.alarms.iter().map(|a| {
                            let selected = f.alarm.as_deref() == Some(a.as_str());
                            view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Type "
                    <select name="type">
                        {opt("", "any", type_now.as_deref())}
                        {opt("StateUpdate", "state", type_now.as_deref())}
                        {opt("ConfigurationUpdate", "configuration", type_now.as_deref())}
                        {opt("Action", "action", type_now.as_deref())}
                    </select>
                </label>
                <label>"New state "
                    <select name="state">
                        {opt("", "any", state_now)}
                        {opt("ALARM", "ALARM", state_now)}
                        {opt("OK", "OK", state_now)}
                        {opt("INSUFFICIENT_DATA", "INSUFFICIENT_DATA", state_now)}
                    </select>
                </label>
                <label>"From " <input type="text" name="from" value=query_value("from") placeholder="YYYY-MM-DD" size="11" /></label>
                <label>"to " <input type="text" name="to" value=query_value("to") placeholder="YYYY-MM-DD" size="11" /></label>
                <label>"Reason " <input type="search" name="q" value=f.text.clone() placeholder="text in the reason" /></label>
                <button type="submit" class="chip">"Show"</button>
            </form>
            <p class="note">
                "Export the filtered set: "
                <a id="export-csv" href=format!("/api/alarms/history?{filters}{sep}export=all&format=csv")>"CSV"</a> " · "
                <a id="export-json" href=format!("/api/alarms/history?{filters}{sep}export=all")>"JSON"</a>
            </p>
        </section>
        <section class="card">
            {if empty {
                view! { <p>"No history items match."</p> }.into_any()
            } else {
                view! { <ul class="history" id="history-items">{items.into_iter().map(history_item_view).collect_view()}</ul> }.into_any()
            }}
            <p class="pager">{first} " " {next}</p>
        </section>
    }
}
