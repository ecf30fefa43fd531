//! Alarms: every alarm with its settings and record over a range, filters and sort as GET links,
//! the state timeline and the noise report.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::analysis::alarm_eval::Comparison;
use crate::analysis::alarms::sweep::fmt;
use crate::charts::alarms::{timeline, Lane};
use crate::components::{load_page, Column, DataTable, Layout, SortLink};
use crate::domain::range::PRESETS;
use crate::error::AppError;
use crate::format;
use crate::reports::alarms::{build, minutes_text, AlarmRow, AlarmSort, AlarmsData, AlarmsParams};
use crate::state::AppState;

/// Percent-encodes a value for a URL path segment or query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The alarm page's address.
pub fn alarm_href(name: &str) -> String {
    format!("/alarms/{}", enc(name))
}

/// The query map's value for `key`, if any.
pub fn query_value(key: &str) -> Option<String> {
    use_query_map().get_untracked().get(key)
}

/// The Alarms page.
#[component]
pub fn AlarmsPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let q = |k: &str| query_value(k);
    let params = AlarmsParams {
        range: q("range"),
        from: q("from"),
        to: q("to"),
        state: q("state"),
        service: q("service"),
        q: q("q"),
        sort: q("sort"),
        order: q("order"),
    };
    let report = async move {
        let now = state.clock.now();
        let query = params
            .parse(now, state.settings.rules.lookback_days)
            .map_err(AppError::bad_request)?;
        build(&state, query, now).await
    };
    view! { <Layout title="Alarms">{load_page(report, alarms_view)}</Layout> }
}

/// The query string of the current view, with `sort`/`order` replaced.
fn href(d: &AlarmsData, sort: AlarmSort, descending: bool) -> String {
    let q = &d.query;
    let mut parts = vec![format!("range={}", enc(&q.range.preset))];
    if q.range.preset == "custom" {
        parts.push(format!("from={}", format::date(q.range.from)));
        parts.push(format!("to={}", format::date(q.range.to - 1)));
    }
    if let Some(s) = q.state {
        parts.push(format!("state={}", s.as_str()));
    }
    if let Some(s) = &q.service {
        parts.push(format!("service={}", enc(s)));
    }
    if let Some(t) = &q.text {
        parts.push(format!("q={}", enc(t)));
    }
    parts.push(format!("sort={}", sort.as_str()));
    parts.push(format!("order={}", if descending { "desc" } else { "asc" }));
    format!("/alarms?{}", parts.join("&"))
}

fn sort_link(d: &AlarmsData, key: AlarmSort, label: &str) -> impl IntoView {
    let active = d.query.sort == key;
    let next_desc = if active {
        !d.query.descending
    } else {
        !matches!(
            key,
            AlarmSort::Name | AlarmSort::Service | AlarmSort::Metric
        )
    };
    let href = href(d, key, next_desc);
    let sorted = active.then_some(d.query.descending);
    view! { <SortLink href label=label.to_string() sorted /> }
}

fn filter_form(d: &AlarmsData) -> impl IntoView {
    let q = &d.query;
    let state_opt = |value: &'static str, label: &'static str| {
        let selected =
            q.state.map(|s| s.as_str()) == Some(value) || (value.is_empty() && q.state.is_none());
        view! { <option value=value selected=selected>{label}</option> }
    };
    let custom = q.range.preset == "custom";
    view! {
        <form class="filters" method="get" action="/alarms" id="alarm-filters">
            <label>"Range "
                <select name="range">
                    {PRESETS.iter().map(|days| {
                        let v = format!("{days}d");
                        let selected = q.range.preset == v;
                        view! { <option value=v.clone() selected=selected>{format!("{days} days")}</option> }
                    }).collect_view()}
                    <option value="custom" selected=custom>"custom"</option>
                </select>
            </label>
            <label>"from " <input type="date" name="from" value=custom.then(|| format::date(q.range.from)) /></label>
            <label>"to " <input type="date" name="to" value=custom.then(|| format::date(q.range.to - 1)) /></label>
            <label>"State "
                <select name="state">
                    {state_opt("", "any")}
                    {state_opt("ALARM", "ALARM")}
                    {state_opt("OK", "OK")}
                    {state_opt("INSUFFICIENT_DATA", "INSUFFICIENT_DATA")}
                </select>
            </label>
            <label>"Service "
                <select name="service">
                    <option value="" selected=q.service.is_none()>"any"</option>
                    {d.services.iter().map(|s| {
                        let selected = q.service.as_deref() == Some(s.as_str());
                        view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Name " <input type="search" name="q" value=q.text.clone() placeholder="text in name or description" /></label>
            <input type="hidden" name="sort" value=q.sort.as_str() />
            <input type="hidden" name="order" value=if q.descending { "desc" } else { "asc" } />
            <button type="submit" class="chip">"Show"</button>
        </form>
    }
}

fn rule_text(r: &AlarmRow) -> String {
    let a = &r.alarm;
    match (&a.comparison_operator, a.threshold) {
        (Some(op), Some(t)) => format!(
            "{} {}",
            Comparison::parse(op)
                .map(|c| c.symbol())
                .unwrap_or(op.as_str()),
            fmt(t)
        ),
        _ => "—".into(),
    }
}

fn opt_minutes(v: Option<f64>) -> String {
    v.map(minutes_text).unwrap_or_else(|| "—".into())
}

fn alarms_view(d: AlarmsData) -> impl IntoView {
    let (from, to) = (
        d.query.range.from,
        d.query.range.to.min(d.now.max(d.query.range.from + 1)),
    );
    let lanes: Vec<Lane> = d
        .rows
        .iter()
        .map(|r| Lane {
            name: &r.alarm.name,
            spans: &r.spans,
        })
        .collect();
    let chart = timeline(&lanes, from, to);
    let columns = vec![
        Column::text(sort_link(&d, AlarmSort::Name, "Alarm")),
        Column::text(sort_link(&d, AlarmSort::State, "State now")),
        Column::text(sort_link(&d, AlarmSort::Service, "Service")),
        // The metric shares the rule's column (it reads as the rule's subject): two sort links.
        Column::text(view! {
            {sort_link(&d, AlarmSort::Threshold, "Rule")}
            " · "
            {sort_link(&d, AlarmSort::Metric, "metric")}
        }),
        Column::num(sort_link(&d, AlarmSort::Episodes, "Episodes")),
        Column::num(sort_link(&d, AlarmSort::TimeInAlarm, "In ALARM")),
        Column::num(sort_link(&d, AlarmSort::Median, "Median")),
        Column::num(sort_link(&d, AlarmSort::Longest, "Longest")),
        Column::num(sort_link(&d, AlarmSort::Mttr, "MTTR"))
            .title("Mean time from ALARM back to another state"),
        Column::num(sort_link(&d, AlarmSort::Flap, "Flap"))
            .title("Share of ended episodes shorter than 5 minutes"),
        Column::num(sort_link(&d, AlarmSort::Transitions, "Changes/day")),
        Column::num(sort_link(&d, AlarmSort::LastChange, "Last change")),
    ];
    let filters = filter_form(&d);
    let shown = d.rows.len();
    let total = d.total;
    let noise = d.noise.clone();
    view! {
        <section class="card">
            {filters}
            <p class="note" id="alarm-count">
                {format!("{shown} of {total} alarms, {} to {}.", format::datetime(from), format::datetime(to))}
                " History: " <a href="/alarms/history">"every history item"</a> "."
            </p>
            <div class="chart" id="alarm-timeline" inner_html=chart></div>
            <p class="note">"Green OK, red ALARM, grey INSUFFICIENT_DATA; hover a span for its times."</p>
        </section>
        <section class="card">
            // Thirteen columns do not fit every screen: the table scrolls inside its card.
            <div class="table-scroll">
                <DataTable id="alarms" columns>
                    {d.rows.into_iter().map(row_view).collect_view()}
                </DataTable>
            </div>
            <p class="note">
                "Episodes: times the alarm entered ALARM in the range. Composite alarms are listed with their rule and history; only metric alarms can be backtested. CSV: "
                <a href="/api/alarms?format=csv">"alarms"</a> ", " <a href="/api/alarms?format=csv&table=noise">"noise"</a>
                "; JSON: " <a href="/api/alarms">"/api/alarms"</a> "."
            </p>
        </section>
        <section class="card" id="noise">
            <h2>"Noise report"</h2>
            {if noise.is_empty() {
                view! { <p>"No alarm is flagged over this range."</p> }.into_any()
            } else {
                view! {
                    <DataTable id="noise-table" columns=vec![Column::text("Alarm"), Column::text("Finding"), Column::text("The number")]>
                        {noise.into_iter().map(|n| view! {
                            <tr>
                                <td><a href=alarm_href(&n.alarm)>{n.alarm.clone()}</a></td>
                                <td>{n.kind.label()}</td>
                                <td>{n.evidence}</td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
            <p class="note">"Flags: flapping (30% or more of 3+ episodes shorter than 5 minutes, or, for an alarm whose period is 5 minutes or more, lasting a single period), never fired, in ALARM over 24 h at a stretch, no actions, over half the range in INSUFFICIENT_DATA, threshold breached in more than 5% of the periods (inside normal behaviour)."</p>
        </section>
    }
}

/// `13:55 UTC`: the time of day of an epoch second.
fn time_of_day(t: i64) -> String {
    let full = format::datetime(t);
    full.get(11..).unwrap_or(&full).to_string()
}

/// A time as its date, then its time of day on a line below (a narrow column), or a dash.
fn date_then_time(ts: Option<i64>) -> AnyView {
    match ts {
        Some(t) => view! { {format::date(t)} <div class="sub">{time_of_day(t)}</div> }.into_any(),
        None => "—".into_any(),
    }
}

fn row_view(r: AlarmRow) -> impl IntoView {
    let a = &r.alarm;
    let state = a.state_value.as_str();
    let service = r.service.as_ref().map(|s| {
        let href = format!("/services/{}/{}", enc(&s.cluster), enc(&s.name));
        view! { <a href=href>{s.name.clone()}</a> }
    });
    let metric = match (&a.metric_name, a.period) {
        (Some(m), Some(p)) => format!(
            "{m} · {} · {p} s",
            a.extended_statistic
                .clone()
                .or_else(|| a.statistic.clone())
                .unwrap_or_default()
        ),
        _ => a
            .alarm_rule
            .clone()
            .map(|r| format!("rule: {r}"))
            .unwrap_or_else(|| "—".into()),
    };
    let rule = format!(
        "{} ({} of {})",
        rule_text(&r),
        a.datapoints_to_alarm.or(a.evaluation_periods).unwrap_or(1),
        a.evaluation_periods.unwrap_or(1)
    );
    let rule = if a.alarm_type == "CompositeAlarm" {
        "composite".to_string()
    } else {
        rule
    };
    let rule_details = format!(
        "missing data: {} · actions {}",
        a.treat_missing_data.as_deref().unwrap_or("missing"),
        if a.actions_enabled {
            "enabled"
        } else {
            "disabled"
        }
    );
    let since = a.state_updated_at.map(|t| {
        view! { "since " {format::date(t)} <br /> {time_of_day(t)} }
    });
    let s = r.stats;
    view! {
        <tr>
            <td><a href=alarm_href(&a.name)>{a.name.clone()}</a><div class="sub">{a.description.clone()}</div></td>
            <td><span class=format!("badge state-{}", state.to_lowercase())>{state}</span><div class="sub">{since}</div></td>
            <td>{service}</td>
            <td>{rule}<div class="sub">{metric}</div><div class="sub">{rule_details}</div></td>
            <td class="num">{s.episodes}</td>
            <td class="num">{minutes_text(s.minutes_in_alarm)}</td>
            <td class="num">{opt_minutes(s.median_minutes)}</td>
            <td class="num">{opt_minutes(s.longest_minutes)}</td>
            <td class="num">{opt_minutes(s.mttr_minutes)}</td>
            <td class="num">{s.flap_share.map(|f| format!("{:.0}%", f * 100.0)).unwrap_or_else(|| "—".into())}</td>
            <td class="num">{format!("{:.1}", s.transitions_per_day)}</td>
            <td class="num">{date_then_time(s.last_change)}</td>
        </tr>
    }
}
