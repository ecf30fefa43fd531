//! The alarm charts, drawn as plain SVG: the state timeline (a lane per alarm), an alarm's metric
//! with its threshold and ALARM spans, and the threshold sweep. Every mark has a `<title>`; every
//! text from AWS (alarm names) goes through [`escape`].

use std::fmt::Write as _;

use super::escape;
use crate::analysis::alarms::episodes::Episode;
use crate::analysis::alarms::replay::{AlarmState, PeriodValues};
use crate::analysis::alarms::sweep::{fmt, SweepPoint};
use crate::format;

const OK: &str = "#86efac";
const ALARM: &str = "#dc2626";
const INSUFFICIENT: &str = "#cbd5e1";

/// The narrowest an ALARM or INSUFFICIENT_DATA mark is drawn, in SVG units: a 5-minute episode
/// on a 30-day range is a tenth of a pixel wide, and people should see (and hover) it.
const MIN_MARK: f64 = 3.0;

/// A mark spanning `x0..x1`, widened to [`MIN_MARK`] and kept left of `right`: (x, width).
fn visible_mark(x0: f64, x1: f64, right: f64) -> (f64, f64) {
    let width = (x1 - x0).max(MIN_MARK);
    (x0.min(right - width), width)
}

/// Drawing order: OK first, so the other states' marks (widened) are never covered by it.
fn paint_rank(s: AlarmState) -> u8 {
    match s {
        AlarmState::Ok => 0,
        AlarmState::InsufficientData => 1,
        AlarmState::Alarm => 2,
    }
}

fn state_color(s: AlarmState) -> &'static str {
    match s {
        AlarmState::Ok => OK,
        AlarmState::Alarm => ALARM,
        AlarmState::InsufficientData => INSUFFICIENT,
    }
}

/// One lane of the timeline: an alarm's name and its state spans (start, end, state).
pub struct Lane<'a> {
    /// Alarm name (from AWS: escaped here).
    pub name: &'a str,
    /// Spans, time-sorted.
    pub spans: &'a [(i64, i64, AlarmState)],
}

/// The state timeline over `[from, to)`: spans narrower than a pixel are merged, the worst state
/// (ALARM, then INSUFFICIENT_DATA) winning, so a lane stays small however much it flaps; ALARM and
/// INSUFFICIENT_DATA marks are at least [`MIN_MARK`] wide and drawn over OK.
pub fn timeline(lanes: &[Lane], from: i64, to: i64) -> String {
    const LABEL: f64 = 210.0;
    const WIDTH: f64 = 960.0;
    const LANE: f64 = 18.0;
    let plot = WIDTH - LABEL;
    let height = LANE * lanes.len() as f64 + 24.0;
    let x = |t: i64| LABEL + (t - from) as f64 / (to - from).max(1) as f64 * plot;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img"><title>State of each alarm over the range</title>"#
    );
    for (i, lane) in lanes.iter().enumerate() {
        let y = LANE * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>"#,
            LABEL - 6.0,
            y + 12.5,
            escape(&truncate(lane.name, 30))
        );
        let mut marks = merged(lane.spans, from, to, plot as i64);
        // OK under the rest: a widened ALARM mark must not disappear under the OK span after it.
        marks.sort_by_key(|m| paint_rank(m.2));
        for (start, end, state, spans) in marks {
            let (x0, width) = if state == AlarmState::Ok {
                (x(start), (x(end) - x(start)).max(1.0))
            } else {
                visible_mark(x(start), x(end), WIDTH)
            };
            let title = if spans > 1 {
                format!(
                    "{}: {} state changes between {} and {} (mostly {})",
                    lane.name,
                    spans - 1,
                    format::datetime(start),
                    format::datetime(end),
                    state.as_str()
                )
            } else {
                format!(
                    "{}: {} from {} to {}",
                    lane.name,
                    state.as_str(),
                    format::datetime(start),
                    format::datetime(end)
                )
            };
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{}" width="{width:.1}" height="{}" fill="{}"><title>{}</title></rect>"#,
                y + 2.0,
                LANE - 4.0,
                state_color(state),
                escape(&title)
            );
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{LABEL}" y="{}" font-size="11" font-family="sans-serif" fill="#616e7c">{}</text><text x="{WIDTH}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif" fill="#616e7c">{}</text></svg>"##,
        height - 6.0,
        format::datetime(from),
        height - 6.0,
        format::datetime(to)
    );
    svg
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// Spans clipped to the range and merged into at most `columns` pixel columns: (start, end,
/// state, how many spans it covers).
fn merged(
    spans: &[(i64, i64, AlarmState)],
    from: i64,
    to: i64,
    columns: i64,
) -> Vec<(i64, i64, AlarmState, usize)> {
    let px = ((to - from) / columns.max(1)).max(1);
    let rank = |s: AlarmState| match s {
        AlarmState::Alarm => 2,
        AlarmState::InsufficientData => 1,
        AlarmState::Ok => 0,
    };
    let mut out: Vec<(i64, i64, AlarmState, usize)> = Vec::new();
    for &(s, e, state) in spans {
        let (s, e) = (s.max(from), e.min(to));
        if e <= s {
            continue;
        }
        match out.last_mut() {
            // Same state, or a sliver under a pixel after a sliver or a bundle of them: fold it
            // into the previous mark, so a stretch of flapping is one mark, not one a pixel.
            Some(last)
                if last.2 == state || (e - s < px && (last.1 - last.0 < px || last.3 > 1)) =>
            {
                last.1 = e;
                last.3 += 1;
                if rank(state) > rank(last.2) {
                    last.2 = state;
                }
            }
            _ => out.push((s, e, state, 1)),
        }
    }
    out
}

/// What the alarm page's metric chart draws.
pub struct MetricChart<'a> {
    /// The metric at the alarm's period.
    pub periods: &'a PeriodValues,
    /// Metric label, e.g. `HTTPCode_Target_5XX_Count (Sum, 300 s)`.
    pub label: &'a str,
    /// Current threshold.
    pub threshold: f64,
    /// Threshold tried in the backtest, when different.
    pub tried_threshold: Option<f64>,
    /// Recorded ALARM episodes (shaded).
    pub recorded: &'a [Episode],
    /// Backtest episodes (a band under the recorded ones).
    pub tried: &'a [Episode],
    /// Threshold changes: (time, text).
    pub changes: &'a [(i64, String)],
}

/// The metric over time with the threshold line(s), recorded ALARM spans shaded, and two bands
/// underneath: recorded episodes and the backtest's.
pub fn metric_chart(c: &MetricChart) -> String {
    const W: f64 = 900.0;
    const LEFT: f64 = 56.0;
    const PLOT_H: f64 = 220.0;
    const BAND: f64 = 14.0;
    let plot_w = W - LEFT - 10.0;
    let height = PLOT_H + 2.0 * BAND + 48.0;
    let (from, to) = (c.periods.start, c.periods.end().max(c.periods.start + 1));
    let values: Vec<f64> = c.periods.values.iter().flatten().copied().collect();
    let lo = values.iter().copied().fold(c.threshold, f64::min).min(0.0);
    let hi = values.iter().copied().fold(
        c.threshold.max(c.tried_threshold.unwrap_or(c.threshold)),
        f64::max,
    );
    let hi = if hi > lo { hi * 1.05 } else { lo + 1.0 };
    let x = |t: i64| LEFT + (t - from) as f64 / (to - from) as f64 * plot_w;
    let y = |v: f64| 10.0 + (1.0 - (v - lo) / (hi - lo)) * PLOT_H;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart metric" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img"><title>{}</title>"#,
        escape(c.label)
    );
    for e in c.recorded {
        let (x0, width) = visible_mark(
            x(e.start.max(from)),
            x(e.end.unwrap_or(to).min(to)),
            LEFT + plot_w,
        );
        let _ = write!(
            svg,
            r##"<rect x="{x0:.1}" y="10" width="{width:.1}" height="{PLOT_H}" fill="#fecaca" opacity="0.7"><title>{}</title></rect>"##,
            escape(&episode_title("Recorded ALARM", e))
        );
    }
    // Columns: min..max of the periods under each 2 pixels, each with its hover text.
    let columns = (plot_w / 2.0) as usize;
    let per = c.periods.values.len().div_ceil(columns.max(1)).max(1);
    let mut line = String::new();
    for (ci, chunk) in c.periods.values.chunks(per).enumerate() {
        let vals: Vec<f64> = chunk.iter().flatten().copied().collect();
        if vals.is_empty() {
            continue;
        }
        let (mn, mx) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let t = c.periods.period_start(ci * per);
        let cx = x(t);
        let _ = write!(line, "{cx:.1},{:.1} ", y(mx));
        let _ = write!(
            svg,
            r##"<rect x="{cx:.1}" y="{:.1}" width="2" height="{:.1}" fill="#0f766e"><title>{}: {}{}</title></rect>"##,
            y(mx),
            (y(mn) - y(mx)).max(1.0),
            format::datetime(t),
            fmt(mx),
            if mn < mx {
                format!(" (low {})", fmt(mn))
            } else {
                String::new()
            }
        );
    }
    let _ = write!(
        svg,
        r##"<polyline points="{line}" fill="none" stroke="#0f766e" stroke-width="1"/>"##
    );
    let mut threshold_line = |v: f64, color: &str, what: &str| {
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{color}" stroke-width="1.5" stroke-dasharray="6 3"><title>{what} threshold {}</title></line>"#,
            LEFT + plot_w,
            fmt(v),
            y = y(v)
        );
    };
    threshold_line(c.threshold, ALARM, "Current");
    if let Some(t) = c.tried_threshold {
        threshold_line(t, "#7c3aed", "Tried");
    }
    for (t, text) in c.changes {
        let cx = x(*t);
        let _ = write!(
            svg,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="10" y2="{}" stroke="#92400e" stroke-width="1"><title>{}: {}</title></line>"##,
            10.0 + PLOT_H,
            format::datetime(*t),
            escape(text)
        );
    }
    for (row, (label, eps, color)) in [
        ("recorded", c.recorded, ALARM),
        ("backtest", c.tried, "#7c3aed"),
    ]
    .into_iter()
    .enumerate()
    {
        let by = 16.0 + PLOT_H + row as f64 * BAND;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="10" text-anchor="end" font-family="sans-serif" fill="#616e7c">{label}</text>"##,
            LEFT - 4.0,
            by + 9.0
        );
        for e in eps {
            let (x0, width) = visible_mark(
                x(e.start.max(from)),
                x(e.end.unwrap_or(to).min(to)),
                LEFT + plot_w,
            );
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{by}" width="{width:.1}" height="{}" fill="{color}"><title>{}</title></rect>"#,
                BAND - 3.0,
                escape(&episode_title(
                    if row == 0 {
                        "Recorded ALARM"
                    } else {
                        "Backtest ALARM"
                    },
                    e
                ))
            );
        }
    }
    let _ = write!(
        svg,
        r##"<text x="4" y="16" font-size="10" font-family="sans-serif" fill="#616e7c">{}</text><text x="4" y="{}" font-size="10" font-family="sans-serif" fill="#616e7c">{}</text><text x="{LEFT}" y="{}" font-size="11" font-family="sans-serif" fill="#616e7c">{}</text><text x="{W}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif" fill="#616e7c">{}</text></svg>"##,
        fmt(hi),
        10.0 + PLOT_H,
        fmt(lo),
        height - 4.0,
        format::datetime(from),
        height - 4.0,
        format::datetime(to)
    );
    svg
}

fn episode_title(what: &str, e: &Episode) -> String {
    match e.end {
        Some(end) => format!(
            "{what} from {} to {} ({} min)",
            format::datetime(e.start),
            format::datetime(end),
            (end - e.start) / 60
        ),
        None => format!(
            "{what} since {} (still in ALARM)",
            format::datetime(e.start)
        ),
    }
}

/// Episodes per week (line and points) against threshold, with the current and suggested
/// thresholds marked.
pub fn sweep_chart(
    points: &[SweepPoint],
    current: f64,
    suggested: Option<f64>,
    target: f64,
) -> String {
    const W: f64 = 900.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 50.0;
    let plot_w = W - LEFT - 10.0;
    let plot_h = H - 40.0;
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.threshold), b.max(p.threshold))
        });
    let top = points
        .iter()
        .map(|p| p.per_week)
        .fold(target, f64::max)
        .max(1.0)
        * 1.05;
    let span = (hi - lo).max(f64::EPSILON);
    let x = |t: f64| LEFT + (t - lo) / span * plot_w;
    let y = |v: f64| 10.0 + (1.0 - v / top) * plot_h;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart sweep" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img"><title>Episodes per week at each threshold</title>"#
    );
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{}" y1="{ty:.1}" y2="{ty:.1}" stroke="#92400e" stroke-dasharray="4 3"><title>Target: {} episodes a week</title></line>"##,
        LEFT + plot_w,
        fmt(target),
        ty = y(target)
    );
    let line: String = points
        .iter()
        .map(|p| format!("{:.1},{:.1} ", x(p.threshold), y(p.per_week)))
        .collect();
    let _ = write!(
        svg,
        r##"<polyline points="{line}" fill="none" stroke="#0f766e"/>"##
    );
    for p in points {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>Threshold {}: {:.1} episodes a week, {} in ALARM{}</title></circle>"##,
            x(p.threshold),
            y(p.per_week),
            if p.missed_real > 0 {
                "#dc2626"
            } else {
                "#0f766e"
            },
            fmt(p.threshold),
            p.per_week,
            crate::reports::alarms::minutes_text(p.minutes_in_alarm),
            if p.missed_real > 0 {
                format!(", misses {} real episodes", p.missed_real)
            } else {
                String::new()
            }
        );
    }
    for (t, color, what) in [
        (Some(current), ALARM, "Current"),
        (suggested, "#7c3aed", "Suggested"),
    ] {
        if let Some(t) = t {
            let _ = write!(
                svg,
                r#"<line x1="{cx:.1}" x2="{cx:.1}" y1="10" y2="{}" stroke="{color}" stroke-width="1.5"><title>{what} threshold {}</title></line>"#,
                10.0 + plot_h,
                fmt(t),
                cx = x(t)
            );
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{}" font-size="11" font-family="sans-serif" fill="#616e7c">{}</text><text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif" fill="#616e7c">{}</text><text x="4" y="16" font-size="10" font-family="sans-serif" fill="#616e7c">{:.1}/wk</text></svg>"##,
        H - 12.0,
        fmt(lo),
        W - 10.0,
        H - 12.0,
        fmt(hi),
        top
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_are_inert_in_the_timeline() {
        let spans = [(0, 50, AlarmState::Ok), (50, 100, AlarmState::Alarm)];
        let name = r#"<script>alert("x")</script> & ünïcødé"#;
        let svg = timeline(
            &[Lane {
                name,
                spans: &spans,
            }],
            0,
            100,
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ünïcødé"));
        assert_eq!(
            svg.matches("<title>").count(),
            3,
            "one per span plus the chart's"
        );
    }

    #[test]
    fn slivers_merge_and_the_worst_state_wins() {
        let spans: Vec<(i64, i64, AlarmState)> = (0..1000)
            .map(|i| {
                (
                    i,
                    i + 1,
                    if i % 2 == 0 {
                        AlarmState::Ok
                    } else {
                        AlarmState::Alarm
                    },
                )
            })
            .collect();
        let m = merged(&spans, 0, 1000, 10);
        assert!(m.len() <= 10, "{}", m.len());
        assert!(m.iter().all(|s| s.2 == AlarmState::Alarm));
    }

    #[test]
    fn a_lane_that_flaps_all_range_long_is_one_mark() {
        // 90 days of 26-minute spans alternating OK and ALARM, on 750 columns of 10,400 s.
        let spans: Vec<(i64, i64, AlarmState)> = (0..5000)
            .map(|i| {
                let state = if i % 2 == 0 {
                    AlarmState::Ok
                } else {
                    AlarmState::Alarm
                };
                (i * 1560, (i + 1) * 1560, state)
            })
            .collect();
        let m = merged(&spans, 0, 5000 * 1560, 750);
        assert_eq!(m, vec![(0, 5000 * 1560, AlarmState::Alarm, 5000)]);
        // A long OK stretch still breaks the bundle.
        let mut with_gap = spans[..10].to_vec();
        with_gap.push((15_600, 100_000, AlarmState::Ok));
        with_gap.push((100_000, 100_300, AlarmState::Alarm));
        let m = merged(&with_gap, 0, 5000 * 1560, 750);
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[2].2, AlarmState::Alarm);
    }

    /// The `(x, width, title)` of every rect in `svg` after the chart's own title.
    fn rects(svg: &str) -> Vec<(f64, f64, String)> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let r = format!(" {}", r.split("</rect>").next().unwrap());
                let attr = |name: &str| -> f64 {
                    let at = r.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
                    r[at..].split('"').next().unwrap().parse().unwrap()
                };
                let title = r
                    .split("<title>")
                    .nth(1)
                    .unwrap()
                    .split("</title>")
                    .next()
                    .unwrap();
                (attr("x"), attr("width"), title.to_string())
            })
            .collect()
    }

    #[test]
    fn a_five_minute_alarm_on_a_month_is_drawn_wide_enough_to_see_and_on_top() {
        // 30 days, OK with one 5-minute ALARM in the middle: a tenth of a pixel at true width.
        let (from, to) = (0, 30 * 86_400);
        let mid = 15 * 86_400;
        let spans = [
            (from, mid, AlarmState::Ok),
            (mid, mid + 300, AlarmState::Alarm),
            (mid + 300, to, AlarmState::Ok),
        ];
        let svg = timeline(
            &[Lane {
                name: "alb-5xx-errors",
                spans: &spans,
            }],
            from,
            to,
        );
        let marks = rects(&svg);
        assert_eq!(marks.len(), 3, "{svg}");
        let (x, width, title) = marks.last().unwrap();
        assert!(title.contains("ALARM from"), "ALARM is drawn last: {title}");
        assert!(*width >= MIN_MARK, "{width}");
        // It starts where the episode starts (the middle of the plot).
        assert!((x - (210.0 + 750.0 / 2.0)).abs() < 0.1, "{x}");
        // An episode at the very end stays inside the chart.
        let end = [
            (from, to - 60, AlarmState::Ok),
            (to - 60, to, AlarmState::Alarm),
        ];
        let svg = timeline(
            &[Lane {
                name: "a",
                spans: &end,
            }],
            from,
            to,
        );
        let (x, width, _) = *rects(&svg).last().unwrap();
        assert!(x + width <= 960.0 + 1e-9, "{x} + {width}");
    }
}
