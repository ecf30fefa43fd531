//! The distribution of use: the share of minutes at or below each level, with sizes as labelled
//! vertical lines.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{line_color, FONT, INK, MUTED, USE};
use super::{draw_mesh, draw_message, render_svg, Axes, Canvas, DrawResult, Hover, LineKind};
use super::{RefLine, NO_DATA};

/// Pixels between a line and its label.
const LABEL_OFFSET: i32 = 4;

/// What a CDF chart shows.
#[derive(Debug, Clone)]
pub struct CdfChart<'a> {
    /// Axis label for the values, e.g. `vCPU`.
    pub x_label: &'a str,
    /// Unit named in the hover text, e.g. `vCPU`.
    pub unit: &'a str,
    /// The CDF: (value, percent of values at or below it), ascending (see [`cdf_points`]).
    pub points: &'a [(f64, f64)],
    /// Reference lines.
    pub lines: &'a [RefLine],
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Digits after the point on the x axis.
    pub decimals: usize,
}

/// Renders the chart as an SVG document; without points it shows one "no data" message.
pub fn render(c: &CdfChart) -> String {
    render_svg("CDF", c.width, c.height, |root| {
        if c.points.is_empty() {
            draw_message(root, NO_DATA)?;
            return Ok(Vec::new());
        }
        draw(c, root)
    })
}

/// The CDF as (value, percent of values at or below it), thinned to at most `steps` points.
pub fn cdf_points(values: &[f64], steps: usize) -> Vec<(f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let stride = n.div_ceil(steps.max(1)).max(1);
    let mut out: Vec<(f64, f64)> = (0..n)
        .step_by(stride)
        .map(|i| (sorted[i], (i + 1) as f64 / n as f64 * 100.0))
        .collect();
    out.push((sorted[n - 1], 100.0));
    out
}

fn draw(c: &CdfChart, root: &Canvas) -> DrawResult<Vec<Hover>> {
    let points = c.points;
    let data_max = points.last().map_or(0.0, |p| p.0);
    let line_max = c
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Tier)
        .map(|l| l.value)
        .fold(0.0, f64::max);
    let x_max = (data_max.max(line_max) * 1.1).max(if data_max == 0.0 { 1.0 } else { 0.0 });
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..x_max, 0f64..100f64)?;
    let decimals = c.decimals;
    let x_format = |v: &f64| format!("{v:.decimals$}");
    let y_format = |v: &f64| format!("{v:.0}%");
    draw_mesh(
        &mut chart,
        &Axes {
            x_labels: 6,
            y_labels: 6,
            x_format: &x_format,
            y_format: &y_format,
            x_desc: Some(c.x_label),
            y_desc: "minutes at or below",
        },
    )?;
    chart.draw_series(LineSeries::new(points.iter().copied(), USE.stroke_width(2)))?;
    for (i, line) in c.lines.iter().filter(|l| l.value <= x_max).enumerate() {
        let width = if line.kind == LineKind::Tier { 1 } else { 2 };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(line.value, 0.0), (line.value, 100.0)],
            line_color(line.kind).stroke_width(width),
        )))?;
        // Stagger labels so neighbouring lines stay readable. Each label touches its own line: in
        // the right half it ends just left of it (so it stays inside the chart), else it starts
        // just right of it.
        let y = 96.0 - (i % 4) as f64 * 8.0;
        let (line_x, label_y) = chart.backend_coord(&(line.value, y));
        let (x, h) = if line.value > x_max / 2.0 {
            (line_x - LABEL_OFFSET, HPos::Right)
        } else {
            (line_x + LABEL_OFFSET, HPos::Left)
        };
        let color = if line.kind == LineKind::Tier {
            MUTED
        } else {
            INK
        };
        let style = (FONT, 11)
            .into_font()
            .color(&color)
            .pos(Pos::new(h, VPos::Center));
        root.draw(&Text::new(line.label.clone(), (x, label_y), style))?;
    }
    Ok(hovers(c, &chart))
}

/// One transparent column per pixel the curve passes, titled with the value and its share.
fn hovers<'a>(
    c: &CdfChart,
    chart: &ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Vec<Hover> {
    let (_, bottom) = chart.backend_coord(&(0.0, 0.0));
    let (_, top) = chart.backend_coord(&(0.0, 100.0));
    // Points that land on the same pixel: the last (highest share) speaks for them.
    let mut columns: Vec<(i32, (f64, f64))> = Vec::new();
    for &p in c.points {
        let x = chart.backend_coord(&(p.0, 0.0)).0;
        match columns.last_mut() {
            Some(last) if last.0 == x => last.1 = p,
            _ => columns.push((x, p)),
        }
    }
    let decimals = c.decimals + 1;
    (0..columns.len())
        .map(|i| {
            let x = columns[i].0;
            let left = if i == 0 {
                x - 2
            } else {
                (columns[i - 1].0 + x + 1) / 2
            };
            let right = columns.get(i + 1).map_or(x + 2, |n| (x + n.0 + 1) / 2);
            let (value, share) = columns[i].1;
            Hover {
                x: left,
                y: top,
                width: (right - left).max(1),
                height: bottom - top,
                title: format!(
                    "{value:.decimals$} {}: {share:.1}% of minutes at or below",
                    c.unit
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::svg_test::{attr, elements, points as points_of, text};
    use super::*;

    #[test]
    fn cdf_ends_at_the_maximum_and_100_percent() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        let pts = cdf_points(&values, 100);
        assert!(pts.len() <= 101);
        assert_eq!(*pts.last().unwrap(), (1000.0, 100.0));
        assert_eq!(pts[0], (1.0, 0.1));
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn renders_svg_with_escaped_labels() {
        let lines = [RefLine {
            label: "<script>x</script> & co".into(),
            value: 0.5,
            kind: LineKind::Current,
        }];
        let points = cdf_points(&[0.1, 0.2, 0.3], 10);
        let svg = render(&CdfChart {
            x_label: "vCPU",
            unit: "vCPU",
            points: &points,
            lines: &lines,
            width: 400,
            height: 200,
            decimals: 2,
        });
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("&lt;script&gt;x&lt;/script&gt; &amp; co"));
        assert!(!svg.contains("<script>"));
    }

    fn chart_with<'a>(points: &'a [(f64, f64)], lines: &'a [RefLine]) -> String {
        render(&CdfChart {
            x_label: "vCPU",
            unit: "vCPU",
            points,
            lines,
            width: 440,
            height: 280,
            decimals: 2,
        })
    }

    #[test]
    fn each_label_sits_next_to_its_own_line() {
        let points = cdf_points(&[0.1, 0.2, 0.3, 0.35, 0.4], 10);
        // Current on the right half, recommended on the left, a tier between: the layout that put
        // the recommended label beside the current line.
        for (current, recommended) in [(1.0, 0.5), (1.0, 0.25), (2.0, 1.0), (0.5, 0.25)] {
            let lines = [
                RefLine {
                    label: "recommended · Dev 0.50".into(),
                    value: recommended,
                    kind: LineKind::Recommended,
                },
                RefLine {
                    label: "Prod-Small 1.00".into(),
                    value: 0.75,
                    kind: LineKind::Tier,
                },
                RefLine {
                    label: "current · Prod-Med 1.00".into(),
                    value: current,
                    kind: LineKind::Current,
                },
            ];
            let svg = chart_with(&points, &lines);
            let vertical_x = |color: &str| -> f64 {
                elements(&svg, "polyline")
                    .into_iter()
                    .filter(|p| attr(p, "stroke") == Some(color))
                    .map(points_of)
                    .find(|p| p.len() == 2 && p[0].0 == p[1].0)
                    .map(|p| p[0].0)
                    .unwrap_or_else(|| panic!("no vertical {color} line"))
            };
            for (line, color) in [(&lines[0], "#0F766E"), (&lines[2], "#B91C1C")] {
                let line_x = vertical_x(color);
                let label = elements(&svg, "text")
                    .into_iter()
                    .find(|t| text(t) == line.label)
                    .unwrap_or_else(|| panic!("no label {}", line.label));
                let x: f64 = attr(label, "x").unwrap().parse().unwrap();
                // A right-aligned label ends at x, a left-aligned one starts at it.
                assert!(
                    (x - line_x).abs() <= f64::from(LABEL_OFFSET) + 1.0,
                    "{}: label at {x}, line at {line_x} ({current}, {recommended})",
                    line.label
                );
                let anchor = attr(label, "text-anchor").unwrap_or("start");
                assert_eq!(anchor == "end", x < line_x, "{}: {anchor}", line.label);
            }
        }
    }

    #[test]
    fn points_have_hover_titles_and_no_data_is_one_message() {
        let values: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let points = cdf_points(&values, 400);
        let svg = chart_with(&points, &[]);
        let titles = elements(&svg, "title");
        assert!(titles.len() >= 100, "{} titles", titles.len());
        assert!(titles.len() <= points.len());
        assert!(text(titles.last().unwrap()).ends_with("vCPU: 100.0% of minutes at or below"));
        let empty = chart_with(&[], &[]);
        let texts: Vec<&str> = elements(&empty, "text").into_iter().map(text).collect();
        assert_eq!(texts, vec![NO_DATA]);
    }
}
