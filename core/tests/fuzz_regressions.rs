//! Replays the fuzz targets' seeds and every saved input that once crashed a decoder
//! (fuzz/seeds/<target>/ and fuzz/regressions/<target>/) through the same harness the fuzzer
//! runs (fuzz/src/harness.rs), in the normal test run and in release. See scripts/fuzz.sh.

#[path = "../../fuzz/src/harness.rs"]
mod harness;

use std::path::Path;

fn replay(dir: &Path, target: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut n = 0;
    for e in entries {
        let path = e.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let run = || match target {
            "wire_decode" => harness::wire_decode(&data),
            "whole_batch" => harness::whole_batch(&data),
            "bundle_import" => harness::bundle_import(&data),
            "store_apply" => harness::store_apply(&data),
            "xlsform_import" => harness::xlsform_import(&data),
            "expr" => harness::expr(&data),
            other => panic!("unknown fuzz target {other}"),
        };
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("{target}: {} fails again: {}", path.display(), msg.unwrap_or_default());
        }
        n += 1;
    }
    n
}

#[test]
fn every_seed_and_saved_crash_passes_its_fuzz_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut total = 0;
    for t in harness::TARGETS {
        total += replay(&root.join("seeds").join(t), t);
        total += replay(&root.join("regressions").join(t), t);
    }
    assert!(total >= harness::TARGETS.len(), "no fuzz inputs found under {}", root.display());
}

/// The harness signs what the fuzzer makes, so the fuzzer reaches the body behind a bundle's
/// signature: a seed made by another store imports once re-signed, and not as it is.
#[test]
fn bundle_seeds_reach_past_the_signature() {
    use sangam_core::{Identity, Store};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/bundle_import");
    let seed = std::fs::read(root.join("all-nosum")).unwrap();
    let store = Store::open_in_memory(Identity::field_worker("f", "F")).unwrap();
    let report = store.import_bundle(&harness::with_signature(&seed[1..]), None).unwrap();
    assert!(report.changed > 0, "{report:?}");
    let file = std::fs::read(root.join("all-file")).unwrap();
    let mut altered = file[1..].to_vec();
    let n = altered.len();
    altered[n - 70] ^= 1;
    assert!(store.import_bundle(&altered, None).is_err());
}
