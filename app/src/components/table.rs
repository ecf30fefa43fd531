//! The data table pages share: a header row built from column specs (text or right-aligned
//! numbers, optionally wrapping, with a hover explanation or a sort link), the rows from the page.

use leptos::prelude::*;

/// One column's header and how it sits.
pub struct Column {
    header: AnyView,
    numeric: bool,
    wrap: bool,
    title: Option<&'static str>,
}

impl Column {
    /// A left-aligned column headed `header` (text, or a view such as a [`SortLink`]).
    pub fn text(header: impl IntoView + 'static) -> Self {
        Self {
            header: header.into_any(),
            numeric: false,
            wrap: false,
            title: None,
        }
    }

    /// A right-aligned column of numbers.
    pub fn num(header: impl IntoView + 'static) -> Self {
        Self {
            numeric: true,
            ..Self::text(header)
        }
    }

    /// Lets a long header wrap instead of widening the column.
    pub fn wrap(self) -> Self {
        Self { wrap: true, ..self }
    }

    /// Says on hover what the column holds.
    pub fn title(self, title: &'static str) -> Self {
        Self {
            title: Some(title),
            ..self
        }
    }

    fn view(self) -> impl IntoView {
        // Plain attributes, not `class=`: that would write `class=""` for a text column. Classes,
        // not a `style` attribute: the Content-Security-Policy allows no inline styles.
        let class = match (self.numeric, self.wrap) {
            (true, true) => Some("num wrap"),
            (true, false) => Some("num"),
            (false, true) => Some("wrap"),
            (false, false) => None,
        };
        leptos::html::th()
            .attr("class", class)
            .attr("title", self.title)
            .child(self.header)
    }
}

/// A `table.data` with one header row from `columns` (none when empty) and `children` as its body.
#[component]
pub fn DataTable(
    /// The table's element id.
    #[prop(optional)]
    id: Option<&'static str>,
    /// The columns, left to right.
    columns: Vec<Column>,
    /// The body rows.
    children: Children,
) -> impl IntoView {
    let head = (!columns.is_empty()).then(|| {
        view! {
            <thead>
                <tr>{columns.into_iter().map(Column::view).collect_view()}</tr>
            </thead>
        }
    });
    view! {
        <table class="data" id=id>
            {head}
            <tbody>{children()}</tbody>
        </table>
    }
}

/// A column header that sorts the table: `href` is the sorted view's URL; `sorted` is
/// `Some(descending)` when the table is sorted on this column now (it then shows an arrow).
#[component]
pub fn SortLink(
    /// The URL of the table sorted on this column.
    href: String,
    /// The header text.
    label: String,
    /// `Some(descending)` when the table is sorted on this column.
    sorted: Option<bool>,
) -> impl IntoView {
    let (arrow, aria) = match sorted {
        Some(true) => (" ▼", "descending"),
        Some(false) => (" ▲", "ascending"),
        None => ("", "none"),
    };
    view! {
        <a class="sort" href=href aria-sort=aria>
            {label}
            {arrow}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_only_the_attributes_asked_for() {
        let html = view! {
            <DataTable id="t" columns=vec![Column::text("A"), Column::num("B").wrap().title("why")]>
                <tr><td>"1"</td></tr>
            </DataTable>
        }
        .to_html();
        assert!(
            html.starts_with("<table")
                && html.contains(r#"class="data""#)
                && html.contains(r#"id="t""#),
            "{html}"
        );
        assert!(html.contains("<th>A</th>"), "{html}");
        assert!(
            html.contains(r#"<th class="num wrap" title="why">B</th>"#),
            "{html}"
        );
        assert!(
            html.contains("<tbody><tr><td>1</td></tr></tbody>"),
            "{html}"
        );
        let bare = view! { <DataTable columns=Vec::new()><tr></tr></DataTable> }.to_html();
        assert!(!bare.contains("<thead"), "{bare}");
        assert!(bare.contains(r#"<table class="data">"#), "{bare}");
    }

    #[test]
    fn a_sort_link_shows_the_direction_it_sorts_in_now() {
        let html = |sorted| {
            view! { <SortLink href="/s".to_string() label="Cost".to_string() sorted /> }.to_html()
        };
        assert!(html(Some(true)).contains(r#"aria-sort="descending""#));
        assert!(html(Some(true)).contains("▼"));
        assert!(html(Some(false)).contains("▲"));
        let unsorted = html(None);
        assert!(unsorted.contains(r#"aria-sort="none""#) && !unsorted.contains('▲'));
    }
}
