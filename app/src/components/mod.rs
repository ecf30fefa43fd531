//! Pieces shared by pages: the layout, the error view, the async page loader.

mod error_view;
mod finding;
mod layout;
mod page;
mod removed;

pub use error_view::ErrorView;
pub use finding::FindingBadge;
pub use layout::Layout;
pub use page::load_page;
pub use removed::removed_toggle;
