//! Use over time: the min-max band and the peak line per pixel column, with sizes as labelled
//! horizontal lines.

use plotters::prelude::*;

use super::style::{line_color, FONT, GRID, INK, MUTED, USE, USE_BAND};
use super::{LineKind, RefLine};
use crate::analysis::downsample::Band;
use crate::format;

/// What a time chart shows.
#[derive(Debug, Clone)]
pub struct TimeChart<'a> {
    /// Axis label, e.g. `vCPU (busiest task)`.
    pub y_label: &'a str,
    /// Columns to draw.
    pub bands: &'a [Band],
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

/// Renders the chart as an SVG document.
pub fn render(c: &TimeChart) -> String {
    let mut svg = String::new();
    if let Err(e) = draw(c, &mut svg) {
        tracing::warn!(error = %e, "time chart failed to draw");
        return String::new();
    }
    svg
}

/// Splits columns into runs wherever consecutive columns are more than `gap` seconds apart.
fn runs(bands: &[Band], gap: i64) -> Vec<&[Band]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=bands.len() {
        if i == bands.len() || bands[i].ts - bands[i - 1].ts > gap {
            if i > start {
                out.push(&bands[start..i]);
            }
            start = i;
        }
    }
    out
}

fn draw(c: &TimeChart, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let data_max = c.bands.iter().map(|b| b.max).fold(0.0, f64::max);
    let line_max = c
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Tier)
        .map(|l| l.value)
        .fold(0.0, f64::max);
    let y_max = (data_max.max(line_max) * 1.15)
        .max(f64::MIN_POSITIVE * 10.0)
        .max(if data_max == 0.0 { 1.0 } else { 0.0 });
    let root = SVGBackend::with_string(out, (c.width, c.height)).into_drawing_area();
    root.fill(&WHITE)?;
    let span = c.to - c.from;
    let mut chart = ChartBuilder::on(&root)
        .margin_top(10)
        .margin_right(170)
        .margin_left(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(c.from..c.to, 0f64..y_max)?;
    let decimals = c.decimals;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&|t| {
            if span <= 2 * 86_400 {
                format::hour_minute(*t)
            } else {
                format::month_day(*t)
            }
        })
        .y_label_formatter(&|v| format!("{v:.decimals$}"))
        .y_desc(c.y_label)
        .label_style((FONT, 12).into_font().color(&MUTED))
        .draw()?;

    // The band between each column's min and max (one polygon per run without gaps), then the
    // peak line on top.
    let column = (span / i64::from(c.width.max(1))).max(60);
    for run in runs(c.bands, column * 3) {
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

    for line in c.lines.iter().filter(|l| l.value <= y_max) {
        let color = line_color(line.kind);
        let style = if line.kind == LineKind::Tier {
            color.stroke_width(1)
        } else {
            color.stroke_width(2)
        };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(c.from, line.value), (c.to, line.value)],
            style,
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            line.label.clone(),
            (c.to, line.value),
            (FONT, 12)
                .into_font()
                .color(&if line.kind == LineKind::Tier {
                    MUTED
                } else {
                    INK
                }),
        )))?;
    }
    root.present()?;
    Ok(())
}
