//! The coloured label of a recommendation's finding.

use leptos::prelude::*;

use crate::analysis::recommend::Finding;

/// A badge such as `over-provisioned`.
#[component]
pub fn FindingBadge(
    /// The finding to show.
    finding: Finding,
) -> impl IntoView {
    view! { <span class=format!("badge {}", finding.as_str())>{finding.as_str()}</span> }
}
