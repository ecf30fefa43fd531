//! Colours and fonts shared by the charts (kept in step with style/main.scss).

use plotters::style::RGBColor;

use super::LineKind;

/// Text and axes.
pub const INK: RGBColor = RGBColor(0x1f, 0x29, 0x33);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xe4, 0xe7, 0xeb);
/// Secondary text.
pub const MUTED: RGBColor = RGBColor(0x61, 0x6e, 0x7c);
/// The use being charted.
pub const USE: RGBColor = RGBColor(0x25, 0x63, 0xeb);
/// The band between min and max.
pub const USE_BAND: RGBColor = RGBColor(0xbf, 0xd4, 0xfb);
/// Current size.
pub const CURRENT: RGBColor = RGBColor(0xb9, 0x1c, 0x1c);
/// Recommended size.
pub const RECOMMENDED: RGBColor = RGBColor(0x0f, 0x76, 0x6e);
/// Tiers.
pub const TIER: RGBColor = RGBColor(0x9a, 0xa5, 0xb1);
/// Font family for all chart text.
pub const FONT: &str = "sans-serif";

/// The colour of a reference line.
pub fn line_color(kind: LineKind) -> RGBColor {
    match kind {
        LineKind::Current => CURRENT,
        LineKind::Recommended => RECOMMENDED,
        LineKind::Tier => TIER,
    }
}
