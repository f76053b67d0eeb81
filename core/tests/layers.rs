//! The crate's layering, checked on its sources: no module reaches one above it, and no SQL is
//! written outside `store/`. See docs/ARCHITECTURE.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules, bottom first; each may use only modules listed before it.
const LAYERS: &[&str] = &[
    "error", "value", "files", "chunks", "media", "sign", "doc", "incoming", "model", "policy", "credential", "store", "forms", "record", "export", "sync",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without its unit tests and comments.
fn code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn files() -> Vec<(String, PathBuf)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    sources(&src, &mut all);
    all.into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            let top = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
            (top != "lib").then_some((top, p))
        })
        .collect()
}

#[test]
fn no_module_uses_one_above_it() {
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut wrong = BTreeSet::new();
    for (top, path) in files() {
        let Some(&mine) = rank.get(top.as_str()) else { panic!("module {top} has no place in LAYERS") };
        let text = code(&path);
        for (used, &theirs) in &rank {
            let mut named = text.contains(&format!("crate::{used}::")) || text.contains(&format!("crate::{used};"));
            // `Store` is re-exported at the crate root: naming it there is using the store.
            if *used == "store" {
                named |= text.contains("crate::Store") || text.lines().any(|l| l.trim_start().starts_with("use crate::{") && l.contains("Store"));
            }
            if *used != top && named && theirs > mine {
                wrong.insert(format!("{} uses {used}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn sql_is_written_only_in_the_store() {
    let mut wrong = Vec::new();
    for (top, path) in files() {
        if top == "store" || top == "error" {
            continue;
        }
        let text = code(&path);
        for needle in ["rusqlite", "SELECT ", "INSERT ", "UPDATE docs", "DELETE FROM", ".prepare_cached("] {
            if text.contains(needle) {
                wrong.push(format!("{}: {needle}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "SQL outside store/:\n{}", wrong.join("\n"));
}
