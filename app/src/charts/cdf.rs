//! The distribution of use: the share of minutes at or below each level, with sizes as labelled
//! vertical lines.

use plotters::prelude::*;

use super::style::{line_color, FONT, GRID, INK, MUTED, USE};
use super::{LineKind, RefLine};

/// What a CDF chart shows.
#[derive(Debug, Clone)]
pub struct CdfChart<'a> {
    /// Axis label for the values, e.g. `vCPU`.
    pub x_label: &'a str,
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

/// Renders the chart as an SVG document.
pub fn render(c: &CdfChart) -> String {
    let mut svg = String::new();
    if let Err(e) = draw(c, &mut svg) {
        tracing::warn!(error = %e, "CDF chart failed to draw");
        return String::new();
    }
    svg
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

fn draw(c: &CdfChart, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let points = c.points;
    let data_max = points.last().map_or(0.0, |p| p.0);
    let line_max = c
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Tier)
        .map(|l| l.value)
        .fold(0.0, f64::max);
    let x_max = (data_max.max(line_max) * 1.1).max(if data_max == 0.0 { 1.0 } else { 0.0 });
    let root = SVGBackend::with_string(out, (c.width, c.height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..x_max, 0f64..100f64)?;
    let decimals = c.decimals;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.decimals$}"))
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .x_desc(c.x_label)
        .y_desc("minutes at or below")
        .label_style((FONT, 12).into_font().color(&MUTED))
        .draw()?;
    chart.draw_series(LineSeries::new(points.iter().copied(), USE.stroke_width(2)))?;
    for (i, line) in c.lines.iter().filter(|l| l.value <= x_max).enumerate() {
        let color = line_color(line.kind);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(line.value, 0.0), (line.value, 100.0)],
            color.stroke_width(if line.kind == LineKind::Tier { 1 } else { 2 }),
        )))?;
        // Stagger labels so neighbouring lines stay readable; in the right half, put them left of
        // their line so they stay inside the chart.
        let y = 96.0 - (i % 4) as f64 * 8.0;
        let label_width = line.label.chars().count() as f64 * 6.0 * x_max
            / f64::from(c.width.saturating_sub(70).max(1));
        let x = if line.value > x_max / 2.0 {
            (line.value - label_width - x_max * 0.01).max(0.0)
        } else {
            line.value + x_max * 0.01
        };
        chart.draw_series(std::iter::once(Text::new(
            line.label.clone(),
            (x, y),
            (FONT, 11)
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

#[cfg(test)]
mod tests {
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
}
