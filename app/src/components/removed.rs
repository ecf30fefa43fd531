//! The note under a list of services that says how many services deleted in AWS it leaves out
//! (or includes), with the link that flips it.

use leptos::prelude::*;

use crate::store::services::Removed;

/// `1 service deleted in AWS not listed. Show removed`, or `Listing 1 service ... Hide removed`;
/// nothing when no service was deleted. `show_href` and `hide_href` are the two views' URLs.
pub fn removed_toggle(
    count: usize,
    removed: Removed,
    show_href: String,
    hide_href: String,
) -> Option<impl IntoView> {
    let services = if count == 1 { "service" } else { "services" };
    let (text, href, label) = match removed {
        Removed::Hide => (
            format!("{count} {services} deleted in AWS not listed. "),
            show_href,
            "Show removed",
        ),
        Removed::Show => (
            format!("Listing {count} {services} deleted in AWS. "),
            hide_href,
            "Hide removed",
        ),
    };
    (count > 0).then(|| {
        view! {
            <p class="note" id="removed-toggle">
                {text}
                <a href=href>{label}</a>
            </p>
        }
    })
}
