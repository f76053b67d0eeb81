//! Property test: three replicas make random typed edits and exchange incremental changes in a
//! random order, with duplicates and with messages lost and retried later. At the end every
//! replica is identical, and every value ever written is either visible or listed in a
//! conflict — unless a user who could see it overwrote or cleared it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sangam_core::*;

const FIELDS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// Replica writes a fresh unique value to a field of a record.
    Write { replica: usize, rec: usize, field: usize },
    /// Replica clears a field.
    Clear { replica: usize, rec: usize, field: usize },
    /// Replica edits the minutes of the meeting.
    Minutes { replica: usize, at: usize },
    /// Replica packs what changed since its last message to `to` into a message.
    Send { from: usize, to: usize, rec: usize },
    /// A message in flight is delivered (and possibly kept for a duplicate delivery).
    Deliver { pick: usize, duplicate: bool },
    /// A message in flight is lost; its sender will retry it at the end.
    Lose { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..2usize, 0..FIELDS).prop_map(|(replica, rec, field)| Op::Write { replica, rec, field }),
        1 => (0..3usize, 0..2usize, 0..FIELDS).prop_map(|(replica, rec, field)| Op::Clear { replica, rec, field }),
        1 => (0..3usize, 0..40usize).prop_map(|(replica, at)| Op::Minutes { replica, at }),
        3 => (0..3usize, 0..3usize, 0..3usize).prop_map(|(from, to, rec)| Op::Send { from, to, rec }),
        3 => (0..64usize, any::<bool>()).prop_map(|(pick, duplicate)| Op::Deliver { pick, duplicate }),
        1 => (0..64usize).prop_map(|pick| Op::Lose { pick }),
    ]
}

struct Msg {
    to: usize,
    rec: String,
    bytes: Vec<u8>,
}

/// The values a replica currently shows for a field: the visible one plus any in conflict.
fn values_of(s: &Store, id: &str, field: &str) -> BTreeSet<String> {
    let path = format!("answers/{field}");
    if let Some(c) = s.conflicts(id).unwrap().into_iter().find(|c| c.path == path) {
        return c.values.iter().map(|v| v.value.as_str().unwrap_or_default().to_string()).collect();
    }
    match s.response(id).unwrap().answers.get(field) {
        Some(FieldValue::Text(t)) => [t.clone()].into(),
        _ => BTreeSet::new(),
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let stores: Vec<Store> =
        (0..3).map(|i| Store::open_in_memory(Identity::field_worker(&format!("u{i}"), "U")).unwrap()).collect();
    // Two responses and a meeting, created on replica 0 and known to all.
    let mut recs = Vec::new();
    for _ in 0..2 {
        recs.push(
            stores[0]
                .create_response(NewResponse { form_id: "f".into(), form_version: "1".into(), scope: "S".into(), subject_id: None })
                .unwrap(),
        );
    }
    recs.push(
        stores[0]
            .create_meeting(NewMeeting {
                coalition: "DEC".into(),
                scope: "S".into(),
                date: "2026-11-29".into(),
                time: "10:00".into(),
                venue: "".into(),
                agenda: vec![],
            })
            .unwrap(),
    );
    for id in &recs {
        let b = stores[0].export_changes(id, &[]).unwrap();
        for s in &stores[1..] {
            s.apply_changes(id, &b).unwrap();
        }
    }
    // What each sender last packed for each receiver, per record.
    let mut sent: BTreeMap<(usize, usize, usize), Vec<String>> = BTreeMap::new();
    let mut flight: Vec<Msg> = Vec::new();
    let mut lost: Vec<Msg> = Vec::new();
    let mut written: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
    let mut superseded: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
    let mut n = 0;
    for op in ops {
        match op {
            Op::Write { replica, rec, field } => {
                n += 1;
                let v = format!("r{replica}-{n}");
                let name = format!("q{field}");
                superseded.entry((rec, field)).or_default().extend(values_of(&stores[replica], &recs[rec], &name));
                stores[replica].set_answer(&recs[rec], &name, &FieldValue::Text(v.clone())).unwrap();
                written.entry((rec, field)).or_default().insert(v);
            }
            Op::Clear { replica, rec, field } => {
                let name = format!("q{field}");
                superseded.entry((rec, field)).or_default().extend(values_of(&stores[replica], &recs[rec], &name));
                stores[replica].clear_answer(&recs[rec], &name).unwrap();
            }
            Op::Minutes { replica, at } => {
                let m = &recs[2];
                let len = stores[replica].meeting(m).unwrap().minutes.chars().count();
                stores[replica].minutes_insert(m, at.min(len), &format!("<{replica}>")).unwrap();
            }
            Op::Send { from, to, rec } => {
                if from == to {
                    continue;
                }
                let since = sent.get(&(from, to, rec)).cloned().unwrap_or_default();
                let bytes = stores[from].export_changes(&recs[rec], &since).unwrap();
                sent.insert((from, to, rec), stores[from].heads(&recs[rec]).unwrap());
                flight.push(Msg { to, rec: recs[rec].clone(), bytes });
            }
            Op::Deliver { pick, duplicate } => {
                if flight.is_empty() {
                    continue;
                }
                let i = pick % flight.len();
                let m = if duplicate {
                    Msg { to: flight[i].to, rec: flight[i].rec.clone(), bytes: flight[i].bytes.clone() }
                } else {
                    flight.swap_remove(i)
                };
                stores[m.to].apply_changes(&m.rec, &m.bytes).unwrap();
            }
            Op::Lose { pick } => {
                if !flight.is_empty() {
                    let i = pick % flight.len();
                    lost.push(flight.swap_remove(i));
                }
            }
        }
    }
    // Retries: lost messages come back, then everything in flight lands, in reverse order.
    flight.extend(lost);
    while let Some(m) = flight.pop() {
        stores[m.to].apply_changes(&m.rec, &m.bytes).unwrap();
    }
    // A final full exchange (what the next sync does).
    for _ in 0..2 {
        for a in 0..3 {
            for b in 0..3 {
                if a != b {
                    for id in &recs {
                        let bytes = stores[a].export_changes(id, &stores[b].heads(id).unwrap()).unwrap();
                        stores[b].apply_changes(id, &bytes).unwrap();
                    }
                }
            }
        }
    }
    for id in &recs {
        let j0 = stores[0].record_json(id, None).unwrap();
        for s in &stores[1..] {
            prop_assert_eq!(&s.heads(id).unwrap(), &stores[0].heads(id).unwrap());
            prop_assert_eq!(&s.record_json(id, None).unwrap(), &j0);
            prop_assert_eq!(s.conflicts(id).unwrap(), stores[0].conflicts(id).unwrap());
        }
        prop_assert_eq!(stores[0].pending_count().unwrap(), 0);
    }
    for ((rec, field), all) in &written {
        let expected: BTreeSet<String> =
            all.difference(superseded.get(&(*rec, *field)).unwrap_or(&BTreeSet::new())).cloned().collect();
        let shown = values_of(&stores[0], &recs[*rec], &format!("q{field}"));
        prop_assert_eq!(shown, expected, "field q{} of record {}", field, rec);
    }
    // Every replica's minutes hold every insertion made anywhere.
    let minutes = stores[0].meeting(&recs[2]).unwrap().minutes;
    for s in &stores {
        prop_assert_eq!(&s.meeting(&recs[2]).unwrap().minutes, &minutes);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn replicas_converge_and_lose_nothing(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops)?;
    }
}
