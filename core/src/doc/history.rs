//! A record's history: who changed which fields when.

use std::collections::BTreeSet;

use automerge::{Automerge, ChangeHash, PatchAction, Prop};
use serde::{Deserialize, Serialize};

use super::authors::{author_of_change, ChangeAuthor};

/// One change in a record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Hex hash of the change: pass it to a point-in-time view.
    pub change: String,
    pub author: ChangeAuthor,
    /// The fields this change wrote, as `/`-separated paths.
    pub fields: Vec<String>,
    pub message: Option<String>,
}

pub(crate) fn history(doc: &Automerge) -> Vec<HistoryEntry> {
    let metas: Vec<(ChangeHash, Vec<ChangeHash>, Option<String>)> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| (m.hash, m.deps.clone(), m.message.map(|s| s.to_string())))
        .collect();
    metas
        .into_iter()
        .map(|(hash, deps, message)| {
            let mut fields = BTreeSet::new();
            for patch in doc.diff(&deps, &[hash]) {
                let mut p: Vec<String> = patch.path.iter().map(|(_, prop)| prop_str(prop)).collect();
                match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => p.push(key.clone()),
                    PatchAction::Conflict { prop } | PatchAction::Increment { prop, .. } => p.push(prop_str(prop)),
                    _ => {}
                }
                fields.insert(p.join("/"));
            }
            HistoryEntry {
                change: hash.to_string(),
                author: author_of_change(doc, &hash).unwrap_or(ChangeAuthor {
                    user_id: String::new(),
                    user_name: String::new(),
                    device: String::new(),
                    time_ms: 0,
                }),
                fields: fields.into_iter().filter(|f| !f.is_empty()).collect(),
                message,
            }
        })
        .collect()
}

fn prop_str(p: &Prop) -> String {
    match p {
        Prop::Map(k) => k.clone(),
        Prop::Seq(i) => i.to_string(),
    }
}
