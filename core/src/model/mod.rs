//! What a record is: the bottom layer of the crate, pure and free of SQL.
//!
//! Record kinds and identities, the summary a list shows and the index row a document yields,
//! the rules every record obeys, and for each kind its types, the one decoder that reads it
//! from its Automerge document and the function that derives its index columns. `store/`
//! persists and indexes records with these; `record/` writes them; `forms/` and `export/`
//! read them. Nothing here touches SQLite or the store.

pub mod action;
pub mod form;
pub(crate) mod checks;
mod identity;
mod index;
mod kind;
pub mod meeting;
pub mod response;
pub mod review;
pub mod subject;
mod summary;

pub use identity::{Identity, Role};
pub(crate) use index::{expect_kind, index_row};
pub use kind::Kind;
pub(crate) use summary::IndexRow;
pub use summary::RecordSummary;
