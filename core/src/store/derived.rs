//! Values derived from a record and kept while the record is unchanged: a compiled form, say,
//! which validating each submitted response (a hub does it for every one it takes in) reuses.
//! Each value is keyed by record id and remembered with the heads it was derived at; a record
//! changed since is derived again.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Store;
use crate::Result;

/// Derived values kept at most; past this the memo starts afresh.
const KEPT: usize = 64;

type Entry = (Vec<u8>, Arc<dyn Any + Send + Sync>);

/// Values derived from records, by record id.
#[derive(Default)]
pub(crate) struct Derived(Mutex<HashMap<String, Entry>>);

impl Store {
    /// The value `make` derives from a record whose stored heads the caller has just read
    /// (one lookup serving several derived values of the record), kept under `key` and made
    /// again only when those heads differ from the ones it was made at (or the kept value is of
    /// another type).
    pub(crate) fn derived_at<T: Any + Send + Sync>(&self, key: &str, heads: Vec<u8>, make: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
        let memo = || self.derived.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((h, value)) = memo().get(key) {
            if *h == heads {
                if let Ok(v) = value.clone().downcast::<T>() {
                    return Ok(v);
                }
            }
        }
        let value = Arc::new(make()?);
        let mut m = memo();
        if m.len() >= KEPT {
            m.clear();
        }
        m.insert(key.to_string(), (heads, value.clone()));
        Ok(value)
    }
}
