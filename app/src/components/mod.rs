//! Pieces shared by pages: the layout, the error view, the async page loader, the data table.

mod error_view;
mod finding;
mod layout;
mod page;
mod removed;
mod table;

pub use error_view::ErrorView;
pub use finding::FindingBadge;
pub use layout::Layout;
pub use page::load_page;
pub use removed::removed_toggle;
pub use table::{Column, DataTable, SortLink};
