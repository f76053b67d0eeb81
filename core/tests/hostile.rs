//! Hostile bytes: mutated Automerge chunks with recomputed checksums (which make automerge 0.12
//! panic on some inputs) applied to a record must only ever produce errors, never a panic, and
//! the record must read exactly as before.

use rand::{rngs::StdRng, Rng, SeedableRng};
use sangam_core::*;
use sha2::{Digest, Sha256};

/// Splits Automerge bytes into chunks: (type, header length, whole chunk).
fn chunks(bytes: &[u8]) -> Vec<(u8, usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() > 9 {
        let ty = rest[8];
        let (mut len, mut shift, mut i) = (0usize, 0, 9);
        loop {
            let b = rest[i];
            len |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        out.push((ty, i, rest[..i + len].to_vec()));
        rest = &rest[i + len..];
    }
    out
}

/// Flips bytes in a chunk's body and rewrites its checksum so the chunk still looks intact.
fn mutate(rng: &mut StdRng, ty: u8, header: usize, chunk: &[u8]) -> Vec<u8> {
    let mut c = chunk.to_vec();
    let body_len = c.len() - header;
    if body_len == 0 {
        return c;
    }
    for _ in 0..rng.gen_range(1..=3) {
        let at = header + rng.gen_range(0..body_len);
        match rng.gen_range(0..3) {
            0 => c[at] ^= 1 << rng.gen_range(0..8),
            1 => c[at] = rng.gen(),
            _ => c[at] = c[at].wrapping_add(1),
        }
    }
    let mut h = Sha256::new();
    h.update([ty]);
    h.update(&c[9..header]);
    h.update(&c[header..]);
    let sum = h.finalize();
    c[4..8].copy_from_slice(&sum[..4]);
    c
}

#[test]
fn mutated_chunks_with_valid_checksums_only_error_and_leave_the_record_unchanged() {
    let a = Store::open_in_memory(Identity::field_worker("a", "A")).unwrap();
    let r = a
        .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
        .unwrap();
    let h0 = a.heads(&r).unwrap();
    for i in 0..8 {
        a.set_answer(&r, &format!("q{i}"), &FieldValue::Text(format!("answer {i}"))).unwrap();
    }
    a.set_answer(&r, "c", &FieldValue::Choices(["x".to_string(), "y".to_string()].into())).unwrap();
    let full = a.export_changes(&r, &[]).unwrap();
    let incr = a.export_changes(&r, &h0).unwrap();

    let mut corpus = Vec::new();
    let mut rng = StdRng::seed_from_u64(0x5A46A);
    for source in [&full, &incr] {
        let parts = chunks(source);
        assert!(!parts.is_empty());
        for _ in 0..400 {
            let k = rng.gen_range(0..parts.len());
            let (ty, header, chunk) = &parts[k];
            let mut payload = Vec::new();
            for (j, (_, _, c)) in parts.iter().enumerate() {
                if j == k {
                    payload.extend(mutate(&mut rng, *ty, *header, chunk));
                } else {
                    payload.extend_from_slice(c);
                }
            }
            corpus.push(payload);
        }
    }
    // Truncations and garbage too.
    for cut in [1, 9, 20, full.len() / 2, full.len() - 1] {
        corpus.push(full[..cut].to_vec());
    }
    corpus.push(vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);

    let (mut errors, mut accepted, mut panics) = (0, 0, 0);
    for payload in &corpus {
        // A fresh victim per payload, already holding the record.
        let victim = Store::open_in_memory(Identity::field_worker("v", "V")).unwrap();
        victim.apply_changes(&r, &full).unwrap();
        let before = victim.record_json(&r, None).unwrap();
        let heads_before = victim.heads(&r).unwrap();
        match victim.apply_changes(&r, payload) {
            Err(Error::Rejected { reason, library_failed, .. }) => {
                errors += 1;
                // A caught panic is flagged as such (what a hub quarantines by), and only then.
                assert_eq!(library_failed, reason.contains("document library failed"), "{reason}");
                panics += usize::from(library_failed);
                assert_eq!(victim.record_json(&r, None).unwrap(), before, "a refused payload changed the record");
                assert_eq!(victim.heads(&r).unwrap(), heads_before);
            }
            Err(other) => panic!("unexpected error kind: {other}"),
            Ok(out) if out.changed => {
                // A mutation can yield a well-formed change that merely says something else
                // (a different value byte): that is a genuine edit, so it must be fully usable.
                accepted += 1;
                victim.record_json(&r, None).unwrap();
                let again = Store::open_in_memory(Identity::field_worker("w", "W")).unwrap();
                again.apply_changes(&r, &victim.export_changes(&r, &[]).unwrap()).unwrap();
                assert_eq!(again.record_json(&r, None).unwrap(), victim.record_json(&r, None).unwrap());
            }
            Ok(_) => {
                // Recognised as already known (same actor and sequence number): nothing changes.
                assert_eq!(victim.record_json(&r, None).unwrap(), before);
                assert_eq!(victim.heads(&r).unwrap(), heads_before);
            }
        }
        victim.set_answer(&r, "after", &FieldValue::Int(1)).unwrap();
    }
    eprintln!("hostile corpus: {} payloads, {errors} refused ({panics} of them caught panics), {accepted} accepted as well-formed changes", corpus.len());
    assert!(errors > 0);
}
