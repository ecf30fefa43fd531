//! Bar charts for spend: days (or months) stacked by group with anomalies marked, and the
//! waterfall of a change. Every column has a hover title naming its values.

use plotters::prelude::*;

use super::style::{FONT, INK, MUTED};
use super::{draw_mesh, draw_message, render_svg, Axes, Canvas, DrawResult, Hover, NO_DATA};
use crate::format;

/// Colours of the stacked parts, the top group first; the last is "Other".
const PALETTE: [RGBColor; 9] = [
    RGBColor(0x25, 0x63, 0xeb),
    RGBColor(0x0f, 0x76, 0x6e),
    RGBColor(0xd9, 0x77, 0x06),
    RGBColor(0x7c, 0x3a, 0xed),
    RGBColor(0xdb, 0x27, 0x77),
    RGBColor(0x05, 0x96, 0x69),
    RGBColor(0x65, 0xa3, 0x0d),
    RGBColor(0x08, 0x91, 0xb2),
    RGBColor(0x9a, 0xa5, 0xb1),
];
/// Anomaly markers and increases.
const ALERT: RGBColor = RGBColor(0xb9, 0x1c, 0x1c);
/// Decreases in a waterfall.
const SAVING: RGBColor = RGBColor(0x0f, 0x76, 0x6e);

/// The colour of stacked part `i` of `n` (the last part, "Other", is always grey).
pub fn part_color(i: usize, n: usize) -> RGBColor {
    if i + 1 == n {
        PALETTE[PALETTE.len() - 1]
    } else {
        PALETTE[i % (PALETTE.len() - 1)]
    }
}

/// `#rrggbb` of a part's colour, for legends in HTML.
pub fn part_hex(i: usize, n: usize) -> String {
    let c = part_color(i, n);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// One column of a stacked chart.
#[derive(Debug, Clone, PartialEq)]
pub struct StackColumn {
    /// Label under the column and in its title (`Nov 03`, `2026-11`).
    pub label: String,
    /// One amount per part.
    pub parts: Vec<f64>,
    /// Still an estimate: drawn lighter.
    pub estimated: bool,
    /// Marked as an anomaly.
    pub marked: bool,
}

/// What a stacked bar chart shows.
#[derive(Debug, Clone)]
pub struct StackChart<'a> {
    /// Names of the parts, bottom first.
    pub parts: &'a [String],
    /// Columns, left to right.
    pub columns: &'a [StackColumn],
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// Renders stacked bars; a chart without columns shows one "no data" message.
pub fn render_stack(c: &StackChart) -> String {
    render_svg("stack", c.width, c.height, |root| {
        if c.columns.is_empty() {
            draw_message(root, NO_DATA)?;
            return Ok(Vec::new());
        }
        draw_stack(c, root)
    })
}

fn column_title(c: &StackChart, col: &StackColumn) -> String {
    let total: f64 = col.parts.iter().sum();
    let mut t = format!("{}: {}", col.label, format::usd(total));
    if col.estimated {
        t += " (estimated)";
    }
    if col.marked {
        t += " · anomaly";
    }
    for (name, v) in c.parts.iter().zip(&col.parts) {
        if *v != 0.0 {
            t += &format!("\n{name}: {}", format::usd(*v));
        }
    }
    t
}

fn draw_stack(c: &StackChart, root: &Canvas) -> DrawResult<Vec<Hover>> {
    let n = c.columns.len();
    let top = c
        .columns
        .iter()
        .map(|col| col.parts.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(0.01)
        * 1.12;
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(10)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..n as f64, 0f64..top)?;
    let labels = |x: &f64| {
        let i = x.floor() as usize;
        c.columns
            .get(i)
            .map(|col| col.label.clone())
            .unwrap_or_default()
    };
    let y_format = |v: &f64| format::usd(*v).trim_end_matches(".00").to_string();
    draw_mesh(
        &mut chart,
        &Axes {
            x_labels: n.min(10),
            y_labels: 6,
            x_format: &labels,
            y_format: &y_format,
            x_desc: None,
            y_desc: "dollars",
        },
    )?;
    let mut hovers = Vec::with_capacity(n);
    for (i, col) in c.columns.iter().enumerate() {
        let (x0, x1) = (i as f64 + 0.1, i as f64 + 0.9);
        let mut base = 0.0;
        for (p, v) in col.parts.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let (bottom, top) = (base, base + v);
            base = top;
            // A part too small to cover a pixel is left out (its value stays in the column's
            // title): over a year these were two thirds of the chart's marks, and invisible.
            if chart.backend_coord(&(x0, bottom)).1 == chart.backend_coord(&(x0, top)).1 {
                continue;
            }
            let color = part_color(p, col.parts.len());
            let style = if col.estimated {
                color.mix(0.45).filled()
            } else {
                color.filled()
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, bottom), (x1, top)],
                style,
            )))?;
        }
        if col.marked {
            chart.draw_series(std::iter::once(TriangleMarker::new(
                (i as f64 + 0.5, base + top * 0.04),
                6,
                ALERT.filled(),
            )))?;
        }
        let (px0, py0) = chart.backend_coord(&(i as f64, top));
        let (px1, py1) = chart.backend_coord(&(i as f64 + 1.0, 0.0));
        hovers.push(Hover {
            x: px0,
            y: py0,
            width: px1 - px0,
            height: py1 - py0,
            title: column_title(c, col),
        });
    }
    Ok(hovers)
}

/// One step of a waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Name (`before`, `volume`, ...).
    pub label: String,
    /// Amount: a level for totals, a change otherwise.
    pub amount: f64,
    /// Whether the step is a level (drawn from zero) rather than a change.
    pub total: bool,
}

/// Renders a waterfall: levels from zero, changes floating from the running level.
pub fn render_waterfall(steps: &[Step], width: u32, height: u32) -> String {
    render_svg("waterfall", width, height, |root| {
        if steps.is_empty() {
            draw_message(root, NO_DATA)?;
            return Ok(Vec::new());
        }
        draw_waterfall(steps, root)
    })
}

/// Each step's (low, high) span and the running level after it.
fn spans(steps: &[Step]) -> Vec<(f64, f64)> {
    let mut level = 0.0;
    steps
        .iter()
        .map(|s| {
            if s.total {
                level = s.amount;
                (0.0f64.min(s.amount), 0.0f64.max(s.amount))
            } else {
                let from = level;
                level += s.amount;
                (from.min(level), from.max(level))
            }
        })
        .collect()
}

fn draw_waterfall(steps: &[Step], root: &Canvas) -> DrawResult<Vec<Hover>> {
    let spans = spans(steps);
    let lo = spans.iter().map(|s| s.0).fold(0.0, f64::min);
    let hi = spans.iter().map(|s| s.1).fold(0.0, f64::max).max(lo + 0.01);
    let pad = (hi - lo) * 0.1;
    let n = steps.len();
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(10)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(
            0f64..n as f64,
            (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad),
        )?;
    let labels = |x: &f64| {
        steps
            .get(x.floor() as usize)
            .map(|s| s.label.clone())
            .unwrap_or_default()
    };
    let y_format = |v: &f64| format::usd(*v).trim_end_matches(".00").to_string();
    draw_mesh(
        &mut chart,
        &Axes {
            x_labels: n,
            y_labels: 6,
            x_format: &labels,
            y_format: &y_format,
            x_desc: None,
            y_desc: "dollars",
        },
    )?;
    let mut hovers = Vec::new();
    for (i, (s, &(a, b))) in steps.iter().zip(&spans).enumerate() {
        let color = if s.total {
            INK
        } else if s.amount >= 0.0 {
            ALERT
        } else {
            SAVING
        };
        let (x0, x1) = (i as f64 + 0.15, i as f64 + 0.85);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, a), (x1, b.max(a + 1e-9))],
            color.filled(),
        )))?;
        let text = if s.total {
            format::usd(s.amount)
        } else {
            format::usd_signed(s.amount)
        };
        let (tx, ty) = chart.backend_coord(&(i as f64 + 0.5, b));
        root.draw(&Text::new(
            text.clone(),
            (tx, ty - 4),
            (FONT, 12)
                .into_font()
                .color(&MUTED)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Bottom,
                )),
        ))?;
        let (px0, py0) = chart.backend_coord(&(i as f64, hi + pad));
        let (px1, py1) = chart.backend_coord(&(i as f64 + 1.0, lo));
        hovers.push(Hover {
            x: px0,
            y: py0,
            width: px1 - px0,
            height: py1 - py0,
            title: format!("{}: {text}", s.label),
        });
    }
    Ok(hovers)
}

/// A small line of daily totals without axes, each day's value in a hover title.
pub fn render_sparkline(days: &[(i64, f64)], width: u32, height: u32) -> String {
    render_svg("sparkline", width, height, |root| {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let top = days.iter().map(|d| d.1).fold(0.0, f64::max).max(0.01) * 1.1;
        let n = days.len();
        let mut chart = ChartBuilder::on(root)
            .margin(3)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)?;
        let points: Vec<(f64, f64)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| (i as f64 + 0.5, d.1))
            .collect();
        chart.draw_series(LineSeries::new(points, PALETTE[0].stroke_width(2)))?;
        Ok(days
            .iter()
            .enumerate()
            .map(|(i, &(day, v))| {
                let (x0, y0) = chart.backend_coord(&(i as f64, top));
                let (x1, y1) = chart.backend_coord(&(i as f64 + 1.0, 0.0));
                Hover {
                    x: x0,
                    y: y0,
                    width: x1 - x0,
                    height: y1 - y0,
                    title: format!("{}: {}", format::date(day), format::usd(v)),
                }
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::super::svg_test::{elements, text};
    use super::*;

    #[test]
    fn every_column_has_a_title_with_its_total() {
        let parts = vec!["api".to_string(), "Other".to_string()];
        let columns = vec![
            StackColumn {
                label: "Nov 01".into(),
                parts: vec![1.0, 2.5],
                estimated: false,
                marked: false,
            },
            StackColumn {
                label: "Nov 02".into(),
                parts: vec![4.0, 0.0],
                estimated: true,
                marked: true,
            },
        ];
        let svg = render_stack(&StackChart {
            parts: &parts,
            columns: &columns,
            width: 400,
            height: 200,
        });
        let titles: Vec<&str> = elements(&svg, "title").into_iter().map(text).collect();
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert!(titles[0].starts_with("Nov 01: $3.50"), "{titles:?}");
        assert!(titles[1].contains("(estimated) · anomaly"), "{titles:?}");
    }

    #[test]
    fn a_part_under_a_pixel_draws_no_mark_but_keeps_its_value_in_the_title() {
        let parts = vec!["api".to_string(), "Other".to_string()];
        let columns = vec![StackColumn {
            label: "Nov 01".into(),
            parts: vec![1000.0, 0.01],
            estimated: false,
            marked: false,
        }];
        let svg = render_stack(&StackChart {
            parts: &parts,
            columns: &columns,
            width: 400,
            height: 200,
        });
        let fills: Vec<&str> = elements(&svg, "rect")
            .into_iter()
            .filter_map(|r| super::super::svg_test::attr(r, "fill"))
            .collect();
        assert!(fills.contains(&"#2563EB"), "{fills:?}");
        assert!(!fills.contains(&"#9AA5B1"), "{fills:?}");
        let titles: Vec<&str> = elements(&svg, "title").into_iter().map(text).collect();
        assert!(titles[0].contains("Other: $0.01"), "{titles:?}");
    }

    #[test]
    fn waterfall_steps_float_from_the_running_level() {
        let step = |label: &str, amount, total| Step {
            label: label.into(),
            amount,
            total,
        };
        let steps = [
            step("before", 10.0, true),
            step("volume", 5.0, false),
            step("mix", -3.0, false),
            step("after", 12.0, true),
        ];
        assert_eq!(
            spans(&steps),
            vec![(0.0, 10.0), (10.0, 15.0), (12.0, 15.0), (0.0, 12.0)]
        );
        let svg = render_waterfall(&steps, 400, 200);
        let titles: Vec<&str> = elements(&svg, "title").into_iter().map(text).collect();
        assert_eq!(
            titles,
            vec![
                "before: $10.00",
                "volume: +$5.00",
                "mix: -$3.00",
                "after: $12.00"
            ]
        );
    }
}
