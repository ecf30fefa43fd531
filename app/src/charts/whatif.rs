//! The what-if charts: actual against simulated over time (two lines), and a sweep's frontier
//! (monthly cost against minutes over the alarm thresholds, one labelled point per setting).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{CURRENT, FONT, INK, MUTED, RECOMMENDED, USE};
use super::{draw_mesh, draw_message, render_svg, Axes, Canvas, DrawResult, Hover, NO_DATA};
use crate::analysis::downsample::Band;
use crate::format;

/// Grey for the actual line, so the simulated one (blue) reads as the what-if.
const ACTUAL: RGBColor = RGBColor(0x61, 0x6e, 0x7c);

/// Actual and simulated values of one measure over time.
#[derive(Debug, Clone)]
pub struct CompareChart<'a> {
    /// Axis label.
    pub y_label: &'a str,
    /// Unit in hover text.
    pub unit: &'a str,
    /// Actual columns.
    pub actual: &'a [Band],
    /// Simulated columns.
    pub simulated: &'a [Band],
    /// Seconds per column.
    pub column_width: i64,
    /// Time range.
    pub from: i64,
    /// Time range (exclusive).
    pub to: i64,
    /// Fixed top of the y axis (100 for percentages), or None to fit the data.
    pub y_max: Option<f64>,
    /// Digits after the point.
    pub decimals: usize,
}

/// Renders actual (grey) and simulated (blue) column maxima as two lines, each column titled with
/// both values.
pub fn render_compare(c: &CompareChart) -> String {
    render_svg("whatif-compare", 900, 260, |root| {
        if c.actual.is_empty() && c.simulated.is_empty() {
            draw_message(root, NO_DATA)?;
            return Ok(Vec::new());
        }
        draw_compare(c, root)
    })
}

fn draw_compare(c: &CompareChart, root: &Canvas) -> DrawResult<Vec<Hover>> {
    let data_max = c
        .actual
        .iter()
        .chain(c.simulated)
        .map(|b| b.max)
        .fold(0.0, f64::max);
    let y_max = c.y_max.unwrap_or((data_max * 1.15).ceil().max(1.0));
    let span = (c.to - c.from).max(1);
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(110)
        .margin_left(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(c.from..c.to, 0f64..y_max)?;
    let x_format = |t: &i64| {
        if span <= 2 * 86_400 {
            format::hour_minute(*t)
        } else {
            format::month_day(*t)
        }
    };
    let decimals = c.decimals;
    let y_format = |v: &f64| format!("{v:.decimals$}");
    draw_mesh(
        &mut chart,
        &Axes {
            x_labels: 8,
            y_labels: 6,
            x_format: &x_format,
            y_format: &y_format,
            x_desc: None,
            y_desc: c.y_label,
        },
    )?;
    for (bands, color, label) in [
        (c.actual, ACTUAL, "actual"),
        (c.simulated, USE, "simulated"),
    ] {
        chart.draw_series(LineSeries::new(
            bands.iter().map(|b| (b.ts, b.max)),
            color.stroke_width(if label == "actual" { 1 } else { 2 }),
        ))?;
        if let Some(last) = bands.last() {
            let (x, y) = chart.backend_coord(&(c.to, last.max));
            let style = (FONT, 12)
                .into_font()
                .color(&color)
                .pos(Pos::new(HPos::Left, VPos::Center));
            let dy = if label == "actual" { -8 } else { 8 };
            root.draw(&Text::new(label.to_string(), (x + 4, y + dy), style))?;
        }
    }
    let (_, bottom) = chart.backend_coord(&(c.from, 0.0));
    let (_, top) = chart.backend_coord(&(c.from, y_max));
    let value = |bands: &[Band], ts: i64| {
        bands
            .iter()
            .find(|b| b.ts == ts)
            .map_or("no data".to_string(), |b| {
                format!("{:.d$} {}", b.max, c.unit, d = c.decimals)
            })
    };
    let times = if c.simulated.len() >= c.actual.len() {
        c.simulated
    } else {
        c.actual
    };
    Ok(times
        .iter()
        .map(|b| {
            let left = chart.backend_coord(&(b.ts, 0.0)).0;
            let right = chart
                .backend_coord(&((b.ts + c.column_width).min(c.to), 0.0))
                .0;
            Hover {
                x: left,
                y: top,
                width: (right - left).max(1),
                height: bottom - top,
                title: format!(
                    "{}: actual {}, simulated {}",
                    format::datetime(b.ts),
                    value(c.actual, b.ts),
                    value(c.simulated, b.ts)
                ),
            }
        })
        .collect())
}

/// One setting on the frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierPoint {
    /// Label, e.g. `60%`.
    pub label: String,
    /// Minutes over the alarm thresholds.
    pub minutes_over: f64,
    /// Monthly cost, USD.
    pub monthly_cost: f64,
    /// The setting now.
    pub current: bool,
    /// The recommended setting.
    pub recommended: bool,
}

/// Renders the frontier: x = minutes over the alarm thresholds, y = monthly cost; the current
/// setting red, the recommended green, each point titled.
pub fn render_frontier(points: &[FrontierPoint], what: &str) -> String {
    render_svg("whatif-frontier", 640, 360, |root| {
        if points.is_empty() {
            draw_message(root, NO_DATA)?;
            return Ok(Vec::new());
        }
        draw_frontier(points, what, root)
    })
}

fn draw_frontier(points: &[FrontierPoint], what: &str, root: &Canvas) -> DrawResult<Vec<Hover>> {
    let x_max = points.iter().map(|p| p.minutes_over).fold(0.0, f64::max);
    let y_max = points.iter().map(|p| p.monthly_cost).fold(0.0, f64::max);
    let y_min = points
        .iter()
        .map(|p| p.monthly_cost)
        .fold(f64::INFINITY, f64::min);
    let pad = ((y_max - y_min) * 0.1).max(1.0);
    let x_top = (x_max * 1.1).max(10.0);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_top, (y_min - pad).max(0.0)..(y_max + pad))?;
    let x_format = |v: &f64| format!("{v:.0}");
    let y_format = |v: &f64| format::usd(*v);
    draw_mesh(
        &mut chart,
        &Axes {
            x_labels: 6,
            y_labels: 6,
            x_format: &x_format,
            y_format: &y_format,
            x_desc: Some("minutes over an alarm threshold"),
            y_desc: "monthly cost",
        },
    )?;
    chart.draw_series(LineSeries::new(
        points.iter().map(|p| (p.minutes_over, p.monthly_cost)),
        MUTED.mix(0.4).stroke_width(1),
    ))?;
    let mut hovers = Vec::new();
    for p in points {
        let color = if p.current {
            CURRENT
        } else if p.recommended {
            RECOMMENDED
        } else {
            USE
        };
        let size = if p.current || p.recommended { 6 } else { 4 };
        chart.draw_series(std::iter::once(Circle::new(
            (p.minutes_over, p.monthly_cost),
            size,
            color.filled(),
        )))?;
        let (x, y) = chart.backend_coord(&(p.minutes_over, p.monthly_cost));
        let style = (FONT, 11)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        root.draw(&Text::new(p.label.clone(), (x + 6, y - 4), style))?;
        let role = match (p.current, p.recommended) {
            (true, true) => " (current, recommended)",
            (true, false) => " (current)",
            (false, true) => " (recommended)",
            _ => "",
        };
        hovers.push(Hover {
            x: x - 8,
            y: y - 8,
            width: 16,
            height: 16,
            title: format!(
                "{what} {}{role}: {} a month, {:.0} minutes over an alarm threshold",
                p.label,
                format::usd(p.monthly_cost),
                p.minutes_over
            ),
        });
    }
    Ok(hovers)
}
