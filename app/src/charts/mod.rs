//! Charts as SVG strings (plotters' SVG backend): pure functions from data to markup.

pub mod alarms;
pub mod bars;
pub mod cdf;
pub mod style;
pub mod time_series;
pub mod whatif;

use std::fmt::Write as _;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use style::{FONT, GRID, MUTED};

/// A labelled horizontal (or, on a CDF, vertical) reference line: a size's capacity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RefLine {
    /// Text drawn beside the line, e.g. `current · Prod-Med 1.00`.
    pub label: String,
    /// Where the line sits, in the chart's unit.
    pub value: f64,
    /// How it is drawn.
    pub kind: LineKind,
}

/// Which kind of reference a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// The service's current size.
    Current,
    /// The recommended size.
    Recommended,
    /// A configured tier.
    Tier,
}

/// What a chart shows when it has nothing to draw.
pub const NO_DATA: &str = "No data in this range";

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The SVG drawing area every chart draws on.
type Canvas<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A transparent area of the chart (in pixels) whose `<title>` names the value under the pointer,
/// so hovering reads a value without JavaScript.
#[derive(Debug, Clone, PartialEq)]
struct Hover {
    x: i32,
    y: i32,
    width: i32,
    height: i32,
    title: String,
}

/// Draws a chart on a white `width` x `height` SVG, then adds its hover areas; a chart that fails
/// to draw is logged and left out rather than failing the page.
fn render_svg(
    what: &str,
    width: u32,
    height: u32,
    draw: impl FnOnce(&Canvas) -> DrawResult<Vec<Hover>>,
) -> String {
    let mut svg = String::new();
    let hovers = {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|h| root.present().map(|()| h).map_err(Into::into));
        match drawn {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, chart = what, "chart failed to draw");
                return String::new();
            }
        }
    };
    add_hovers(&mut svg, &hovers);
    svg
}

/// Inserts one group of transparent, titled rectangles just before `</svg>`.
fn add_hovers(svg: &mut String, hovers: &[Hover]) {
    if hovers.is_empty() {
        return;
    }
    let Some(end) = svg.rfind("</svg>") else {
        return;
    };
    let mut g = String::from(r##"<g class="hover" fill="#000" fill-opacity="0">"##);
    for h in hovers.iter().filter(|h| h.width > 0 && h.height > 0) {
        let _ = write!(
            g,
            r#"<rect x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
            h.x,
            h.y,
            h.width,
            h.height,
            escape(&h.title)
        );
    }
    g.push_str("</g>\n");
    svg.insert_str(end, &g);
}

/// Escapes text for SVG (XML) content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Draws one centred message instead of empty axes.
fn draw_message(root: &Canvas, message: &str) -> DrawResult<()> {
    let (w, h) = root.dim_in_pixel();
    let style = (FONT, 14)
        .into_font()
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        style,
    ))?;
    Ok(())
}

/// How a chart's axes are labelled.
struct Axes<'f, X> {
    /// Labels on the x axis.
    x_labels: usize,
    /// Labels on the y axis.
    y_labels: usize,
    /// Formats an x value.
    x_format: &'f dyn Fn(&X) -> String,
    /// Formats a y value.
    y_format: &'f dyn Fn(&f64) -> String,
    /// Description under the x axis, if any.
    x_desc: Option<&'f str>,
    /// Description beside the y axis.
    y_desc: &'f str,
}

/// The grid, axes and labels every chart shares.
fn draw_mesh<'a, XR>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<XR, RangedCoordf64>>,
    axes: &Axes<XR::ValueType>,
) -> DrawResult<()>
where
    XR: Ranged + ValueFormatter<XR::ValueType>,
{
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_labels(axes.x_labels)
        .y_labels(axes.y_labels)
        .x_label_formatter(axes.x_format)
        .y_label_formatter(axes.y_format)
        .y_desc(axes.y_desc)
        .label_style((FONT, 12).into_font().color(&MUTED));
    if let Some(d) = axes.x_desc {
        mesh.x_desc(d);
    }
    mesh.draw()?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod svg_test {
    //! Reading back what a chart drew, for tests.

    /// The value of attribute `name` in the element starting at `tag`.
    pub fn attr<'s>(tag: &'s str, name: &str) -> Option<&'s str> {
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = tag[start..].find('"')? + start;
        Some(&tag[start..end])
    }

    /// Every element `<name ...>` with the text up to its closing tag (or self-close).
    pub fn elements<'s>(svg: &'s str, name: &str) -> Vec<&'s str> {
        let open = format!("<{name}");
        let close = format!("</{name}>");
        let mut out = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find(&open) {
            let tail = &rest[i..];
            let after = tail[open.len()..].chars().next();
            if !matches!(after, Some(' ' | '>' | '\n')) {
                rest = &tail[open.len()..];
                continue;
            }
            let head_end = tail.find('>').map_or(tail.len(), |i| i + 1);
            let end = if tail[..head_end].ends_with("/>") {
                head_end
            } else {
                tail.find(&close).map_or(tail.len(), |i| i + close.len())
            };
            out.push(&tail[..end]);
            rest = &tail[end..];
        }
        out
    }

    /// The text content of an element.
    pub fn text(el: &str) -> &str {
        let start = el.find('>').map_or(el.len(), |i| i + 1);
        let end = el[start..].find('<').map_or(el.len(), |i| start + i);
        el[start..end].trim()
    }

    /// The points of a polyline.
    pub fn points(el: &str) -> Vec<(f64, f64)> {
        attr(el, "points")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|p| {
                let (x, y) = p.split_once(',')?;
                Some((x.parse().ok()?, y.parse().ok()?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hover_titles_are_escaped_and_inside_the_svg() {
        let svg = render_svg("test", 100, 50, |_| {
            Ok(vec![Hover {
                x: 1,
                y: 2,
                width: 3,
                height: 4,
                title: "<b>\"x\" & y</b>".into(),
            }])
        });
        assert!(svg.contains("<title>&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;</title>"));
        assert!(!svg.contains("<b>"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
