//! Writing records: the typed operations on each kind, each one durable transaction through
//! the store's `create`/`edit`; reads go through `view` or the store's index lists. What a
//! record *is* (its types, decoder and index columns) is in `model`.

pub mod action;
pub mod conflicts;
pub mod duplicates;
pub mod form;
pub mod media;
pub mod meeting;
pub mod response;
pub mod review;
pub mod subject;
pub mod validate;
