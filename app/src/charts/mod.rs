//! Charts as SVG strings (plotters' SVG backend): pure functions from data to markup.

pub mod cdf;
pub mod style;
pub mod time_series;

/// A labelled horizontal (or, on a CDF, vertical) reference line: a size's capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    /// Text drawn beside the line, e.g. `Prod-Small 1.00 vCPU`.
    pub label: String,
    /// Where the line sits, in the chart's unit.
    pub value: f64,
    /// How it is drawn.
    pub kind: LineKind,
}

/// Which kind of reference a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The service's current size.
    Current,
    /// The recommended size.
    Recommended,
    /// A configured tier.
    Tier,
}
