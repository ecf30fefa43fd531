//! Use over time: the min-max band and the peak line per column, with sizes as labelled
//! horizontal lines.

use plotters::coord::combinators::{BindKeyPoints, WithKeyPoints};
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{line_color, FONT, INK, MUTED, USE, USE_BAND};
use super::{draw_mesh, draw_message, render_svg, Axes, Canvas, DrawResult, Hover, LineKind};
use super::{RefLine, NO_DATA};
use crate::analysis::downsample::Band;
use crate::format;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Most time labels on the x axis.
const TIME_TICKS: usize = 8;

/// Pixels between two line labels, so labels of nearby lines do not overprint each other.
const LABEL_SPACING: i32 = 14;

/// What a time chart shows.
#[derive(Debug, Clone)]
pub struct TimeChart<'a> {
    /// Axis label, e.g. `vCPU (busiest task)`.
    pub y_label: &'a str,
    /// Unit named in the hover text of each column, e.g. `vCPU`.
    pub unit: &'a str,
    /// Columns to draw, by start time.
    pub bands: &'a [Band],
    /// Seconds each column covers (the bucket width the bands were read in).
    pub column_width: i64,
    /// Consecutive columns further apart than this many seconds have data missing between them:
    /// the line breaks there (see [`crate::analysis::downsample::ColumnPlan::max_gap`]).
    pub max_gap: i64,
    /// Whether values are whole numbers (a count): the axis then gets whole-number ticks only.
    pub integer: bool,
    /// Reference lines.
    pub lines: &'a [RefLine],
    /// Time range shown.
    pub from: i64,
    /// Time range shown (exclusive).
    pub to: i64,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Digits after the point on the y axis.
    pub decimals: usize,
}

/// Renders the chart as an SVG document; a chart without columns shows one "no data" message.
pub fn render(c: &TimeChart) -> String {
    render_svg("time", c.width, c.height, |root| {
        if c.bands.is_empty() {
            draw_message(root, NO_DATA)?;
            return Ok(Vec::new());
        }
        draw(c, root)
    })
}

/// Splits columns into runs wherever consecutive columns are more than `max_gap` seconds apart.
fn runs(bands: &[Band], max_gap: i64) -> Vec<&[Band]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=bands.len() {
        if i == bands.len() || bands[i].ts - bands[i - 1].ts > max_gap {
            if i > start {
                out.push(&bands[start..i]);
            }
            start = i;
        }
    }
    out
}

/// The top of the y axis: room above the highest value or line; a whole number for counts.
fn y_top(c: &TimeChart) -> f64 {
    let data_max = c.bands.iter().map(|b| b.max).fold(0.0, f64::max);
    let line_max = c
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Tier)
        .map(|l| l.value)
        .fold(0.0, f64::max);
    let top = data_max.max(line_max) * 1.15;
    if c.integer {
        top.ceil().max(1.0)
    } else if top > 0.0 {
        top
    } else {
        1.0
    }
}

fn draw(c: &TimeChart, root: &Canvas) -> DrawResult<Vec<Hover>> {
    let y_max = y_top(c);
    let span = c.to - c.from;
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(170)
        .margin_left(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(
            (c.from..c.to).with_key_points(time_ticks(c.from, c.to, TIME_TICKS)),
            0f64..y_max,
        )?;
    let decimals = if c.integer { 0 } else { c.decimals };
    let x_format = |t: &i64| {
        if span <= 2 * DAY {
            format::hour_minute(*t)
        } else {
            format::month_day(*t)
        }
    };
    let y_format = |v: &f64| format!("{v:.decimals$}");
    // A count's axis never gets more ticks than whole numbers in its range, so no label repeats.
    let y_labels = if c.integer {
        6.min(y_max as usize + 1)
    } else {
        6
    };
    draw_mesh(
        &mut chart,
        &Axes {
            x_labels: TIME_TICKS,
            y_labels,
            x_format: &x_format,
            y_format: &y_format,
            x_desc: None,
            y_desc: c.y_label,
        },
    )?;

    // The band between each column's min and max (one polygon per run without gaps), then the
    // peak line on top.
    for run in runs(c.bands, c.max_gap) {
        let upper = run.iter().map(|b| (b.ts, b.max));
        let lower = run.iter().rev().map(|b| (b.ts, b.min));
        chart.draw_series(std::iter::once(Polygon::new(
            upper.chain(lower).collect::<Vec<_>>(),
            USE_BAND.filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            run.iter().map(|b| (b.ts, b.max)),
            USE.stroke_width(1),
        ))?;
    }

    let shown: Vec<&RefLine> = c.lines.iter().filter(|l| l.value <= y_max).collect();
    for line in &shown {
        let width = if line.kind == LineKind::Tier { 1 } else { 2 };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(c.from, line.value), (c.to, line.value)],
            line_color(line.kind).stroke_width(width),
        )))?;
    }
    let right = chart.backend_coord(&(c.to, 0.0)).0 + 4;
    let wanted: Vec<i32> = shown
        .iter()
        .map(|l| chart.backend_coord(&(c.to, l.value)).1)
        .collect();
    for (line, y) in shown.iter().zip(spread(&wanted, LABEL_SPACING)) {
        let color = if line.kind == LineKind::Tier {
            MUTED
        } else {
            INK
        };
        let style = (FONT, 12)
            .into_font()
            .color(&color)
            .pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(line.label.clone(), (right, y), style))?;
    }
    Ok(hovers(c, &chart))
}

/// Tick times on whole UTC hours (ranges up to two days) or midnights, at most `max` of them, so
/// labels name whole days rather than arbitrary round numbers of seconds.
fn time_ticks(from: i64, to: i64, max: usize) -> Vec<i64> {
    const HOUR: i64 = 3600;
    let span = to - from;
    let steps: &[i64] = if span <= 2 * DAY {
        &[HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY]
    } else {
        &[
            DAY,
            2 * DAY,
            7 * DAY,
            14 * DAY,
            28 * DAY,
            91 * DAY,
            182 * DAY,
            364 * DAY,
        ]
    };
    let max = max.max(1) as i64;
    let step = steps
        .iter()
        .copied()
        .find(|s| span / s < max)
        .unwrap_or(364 * DAY);
    let first = (from + step - 1).div_euclid(step) * step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t < to)
        .collect()
}

/// Moves label positions (pixels, any order) apart so that no two are closer than `gap`,
/// keeping their order and each as near its wish as the others allow.
fn spread(wanted: &[i32], gap: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut out = wanted.to_vec();
    let mut last: Option<i32> = None;
    for &i in &order {
        let y = last.map_or(wanted[i], |l| wanted[i].max(l + gap));
        out[i] = y;
        last = Some(y);
    }
    out
}

/// One transparent column per band whose title reads its time and values.
fn hovers<'a>(
    c: &TimeChart,
    chart: &ChartContext<
        'a,
        SVGBackend<'a>,
        Cartesian2d<WithKeyPoints<RangedCoordi64>, RangedCoordf64>,
    >,
) -> Vec<Hover> {
    let (_, bottom) = chart.backend_coord(&(c.from, 0.0));
    let (_, top) = chart.backend_coord(&(c.from, y_top(c)));
    let decimals = if c.integer { 0 } else { c.decimals + 1 };
    c.bands
        .iter()
        .map(|b| {
            let left = chart.backend_coord(&(b.ts.max(c.from), 0.0)).0;
            let right = chart
                .backend_coord(&((b.ts + c.column_width).min(c.to), 0.0))
                .0;
            Hover {
                x: left,
                y: top,
                width: (right - left).max(1),
                height: bottom - top,
                title: column_title(b, c.unit, decimals),
            }
        })
        .collect()
}

/// `2026-11-22 14:00: peak 0.420 vCPU, low 0.100`.
fn column_title(b: &Band, unit: &str, decimals: usize) -> String {
    let when = format!("{} {}", format::date(b.ts), format::hour_minute(b.ts));
    if (b.max - b.min).abs() < 1e-9 {
        format!("{when}: {:.decimals$} {unit}", b.max)
    } else {
        format!(
            "{when}: peak {:.decimals$} {unit}, low {:.decimals$}",
            b.max, b.min
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::svg_test::{attr, elements, points, text};
    use super::*;
    use crate::analysis::downsample::{ColumnPlan, HOUR};

    fn band(ts: i64, v: f64) -> Band {
        Band {
            ts,
            min: v / 2.0,
            max: v,
            mean: v,
        }
    }

    fn chart<'a>(
        bands: &'a [Band],
        plan: ColumnPlan,
        from: i64,
        to: i64,
        integer: bool,
    ) -> TimeChart<'a> {
        TimeChart {
            y_label: "vCPU",
            unit: "vCPU",
            bands,
            column_width: plan.width,
            max_gap: plan.max_gap(),
            integer,
            lines: &[],
            from,
            to,
            width: 900,
            height: 300,
            decimals: 2,
        }
    }

    /// The lines plotters drew for the data (polylines in the use colour).
    fn use_lines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        elements(svg, "polyline")
            .into_iter()
            .filter(|p| attr(p, "stroke") == Some("#2563EB"))
            .map(points)
            .collect()
    }

    #[test]
    fn hourly_data_is_one_line_at_every_range() {
        for days in [4, 7, 14, 30, 90] {
            let (from, to) = (1_000_000_000 - days * DAY, 1_000_000_000);
            let plan = ColumnPlan::new(to - from, 450, 60, 3 * DAY);
            let bands: Vec<Band> = (0..(to - from) / plan.width)
                .map(|i| band(from + i * plan.width, 0.5))
                .collect();
            let svg = render(&chart(&bands, plan, from, to, false));
            let lines = use_lines(&svg);
            assert_eq!(lines.len(), 1, "{days} days: {} lines", lines.len());
            assert_eq!(lines[0].len(), bands.len(), "{days} days");
        }
    }

    #[test]
    fn runs_break_only_where_more_than_a_few_periods_are_missing() {
        let plan = ColumnPlan::new(7 * DAY, 450, 60, 3 * DAY);
        // Hourly columns with 3 missing hours after the 10th and 5 after the 20th.
        let mut ts: Vec<i64> = (0..10).map(|i| i * HOUR).collect();
        ts.extend((0..10).map(|i| (13 + i) * HOUR));
        ts.extend((0..10).map(|i| (28 + i) * HOUR));
        let bands: Vec<Band> = ts.iter().map(|&t| band(t, 1.0)).collect();
        let lens: Vec<usize> = runs(&bands, plan.max_gap())
            .iter()
            .map(|r| r.len())
            .collect();
        assert_eq!(lens, vec![20, 10]);
        // Raw minutes over a day: two missing minutes are no gap, ten are.
        let plan = ColumnPlan::new(DAY, 450, 60, 3 * DAY);
        let mut ts: Vec<i64> = (0..30).map(|i| i * plan.width).collect();
        ts.push(29 * plan.width + plan.width + 120);
        ts.push(29 * plan.width + 2 * plan.width + 120 + 600);
        let bands: Vec<Band> = ts.iter().map(|&t| band(t, 1.0)).collect();
        let lens: Vec<usize> = runs(&bands, plan.max_gap())
            .iter()
            .map(|r| r.len())
            .collect();
        assert_eq!(lens, vec![31, 1]);
    }

    #[test]
    fn a_count_axis_has_whole_distinct_ticks() {
        let plan = ColumnPlan::new(14 * DAY, 450, 60, 3 * DAY);
        for tasks in [1.0, 2.0, 3.0, 7.0, 40.0] {
            let bands: Vec<Band> = (0..100)
                .map(|i| Band {
                    ts: i * plan.width,
                    min: tasks,
                    max: tasks,
                    mean: tasks,
                })
                .collect();
            let mut c = chart(&bands, plan, 0, 14 * DAY, true);
            c.decimals = 0;
            let svg = render(&c);
            // The y labels are the texts anchored at their end (right-aligned left of the axis).
            let labels: Vec<&str> = elements(&svg, "text")
                .into_iter()
                .filter(|t| attr(t, "text-anchor") == Some("end"))
                .map(text)
                .collect();
            assert!(labels.len() >= 2, "{tasks}: {labels:?}");
            let mut unique = labels.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "{tasks}: {labels:?}");
            assert!(
                labels.iter().all(|l| l.parse::<u32>().is_ok()),
                "{labels:?}"
            );
        }
    }

    #[test]
    fn an_empty_range_says_so_instead_of_drawing_axes() {
        let plan = ColumnPlan::new(7 * DAY, 450, 60, 3 * DAY);
        let svg = render(&chart(&[], plan, 0, 7 * DAY, true));
        let texts: Vec<&str> = elements(&svg, "text").into_iter().map(text).collect();
        assert_eq!(texts, vec![NO_DATA]);
        assert!(elements(&svg, "polyline").is_empty());
    }

    #[test]
    fn every_column_has_a_title_with_time_and_value() {
        let plan = ColumnPlan::new(7 * DAY, 450, 60, 3 * DAY);
        let from = 1_700_000_000 - 1_700_000_000 % HOUR;
        let bands: Vec<Band> = (0..168).map(|i| band(from + i * HOUR, 0.25)).collect();
        let svg = render(&chart(&bands, plan, from, from + 7 * DAY, false));
        let titles = elements(&svg, "title");
        assert_eq!(titles.len(), bands.len());
        assert_eq!(
            text(titles[0]),
            format!(
                "{} {}: peak 0.250 vCPU, low 0.125",
                format::date(from),
                format::hour_minute(from)
            )
        );
        assert!(svg.len() < 120_000, "{} bytes", svg.len());
    }

    #[test]
    fn time_ticks_are_whole_days_and_enough_of_them() {
        let now = 1_764_400_000;
        for days in [7, 14, 30, 90, 400] {
            let ticks = time_ticks(now - days * DAY, now, TIME_TICKS);
            assert!(
                (4..=TIME_TICKS).contains(&ticks.len()),
                "{days} days: {ticks:?}"
            );
            assert!(ticks.iter().all(|t| t % DAY == 0), "{days} days: {ticks:?}");
        }
        let ticks = time_ticks(now - DAY, now, TIME_TICKS);
        assert!((4..=TIME_TICKS).contains(&ticks.len()), "{ticks:?}");
        assert!(ticks.iter().all(|t| t % 3600 == 0));
    }

    #[test]
    fn labels_of_nearby_lines_are_spread_apart() {
        assert_eq!(spread(&[100, 50, 105, 200], 14), vec![100, 50, 114, 200]);
    }
}
