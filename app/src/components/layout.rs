//! The frame around every page: header, navigation, main content.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Navigation entries: (path, label).
const NAV: [(&str, &str); 6] = [
    ("/", "Overview"),
    ("/services", "Services"),
    ("/tiers", "Tiers"),
    ("/costs", "Costs"),
    ("/alarms", "Alarms"),
    ("/sync", "Sync"),
];

/// Wraps a page in the site header and navigation, and sets the document title.
#[component]
pub fn Layout(
    /// Page title, shown as the heading and in the tab.
    #[prop(into)]
    title: String,
    /// The page body.
    children: Children,
) -> impl IntoView {
    view! {
        // leptos_meta writes the title text unescaped, and titles hold AWS names: escape it.
        <Title text=format!("{} · Spendwatch", crate::charts::escape(&title)) />
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◔"</span>
                "Spendwatch"
            </a>
            <nav aria-label="Main">
                <ul>
                    {NAV
                        .iter()
                        .map(|(href, label)| {
                            view! {
                                <li>
                                    <A href=*href exact=*href == "/">
                                        {*label}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </header>
        <main class="content">
            <h1>{title}</h1>
            {children()}
        </main>
        <footer class="site-footer">
            "Spendwatch · ECS/Fargate cost, size and alarm review · all times UTC"
        </footer>
    }
}
