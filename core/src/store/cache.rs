//! A small bounded cache of loaded Automerge documents, least recently used out first.
//!
//! A loaded document costs ~15 KB of RAM; a phone with 50,000 records must never hold them
//! all, so list screens read index rows and only opened records come through here.

use std::collections::HashMap;

use automerge::Automerge;

pub(crate) struct DocCache {
    cap: usize,
    tick: u64,
    docs: HashMap<String, (Automerge, u64)>,
}

impl DocCache {
    pub(crate) fn new(cap: usize) -> Self {
        DocCache { cap: cap.max(1), tick: 0, docs: HashMap::new() }
    }

    /// Takes the document out (the caller puts it back after a successful write).
    pub(crate) fn take(&mut self, id: &str) -> Option<Automerge> {
        self.docs.remove(id).map(|(d, _)| d)
    }

    pub(crate) fn get(&mut self, id: &str) -> Option<&Automerge> {
        self.tick += 1;
        let tick = self.tick;
        self.docs.get_mut(id).map(|e| {
            e.1 = tick;
            &e.0
        })
    }

    pub(crate) fn put(&mut self, id: &str, doc: Automerge) {
        self.tick += 1;
        self.docs.insert(id.to_string(), (doc, self.tick));
        while self.docs.len() > self.cap {
            let oldest = self.docs.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    self.docs.remove(&k);
                }
                None => break,
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.docs.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.docs.len()
    }
}
