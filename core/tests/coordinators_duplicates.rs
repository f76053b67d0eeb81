//! Coordinators: duplicate subjects found across scripts and spellings, merged reversibly,
//! and merges that meet other devices' offline work.

use std::collections::BTreeMap;

use sangam_core::*;

fn coordinator(user: &str) -> Store {
    Store::open_in_memory(Identity::coordinator(user, &format!("Coordinator {user}"))).unwrap()
}

fn copy(from: &Store, to: &Store, id: &str) {
    to.apply_changes(id, &from.export_changes(id, &[]).unwrap()).unwrap();
}

fn about(s: &Store, subject: &str) -> String {
    s.create_response(NewResponse {
        form_id: "visit".into(),
        form_version: "1".into(),
        scope: "S".into(),
        subject_id: Some(subject.into()),
    })
    .unwrap()
}

fn person(s: &Store, scope: &str, attrs: &[(&str, FieldValue)]) -> String {
    let mut n = NewSubject::new("person", scope);
    for (k, v) in attrs {
        n = n.attr(k, v.clone());
    }
    s.create_subject(n).unwrap()
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn pair(c: &DuplicateCandidate) -> (String, String) {
    (c.keep.clone(), c.duplicate.clone())
}

#[test]
fn candidates_match_across_scripts_and_spellings_with_reasons() {
    let s = coordinator("meena");
    let latin = person(&s, "S", &[("name", text("Sunita Devi")), ("village", text("Rampur")), ("age", FieldValue::Int(34)), ("phone", text("+91 98765 43210"))]);
    let deva = person(&s, "S", &[("name", text("सुनीता देवी")), ("village", text("रामपुर")), ("age", FieldValue::Int(35))]);
    let variant = person(&s, "S", &[("name", text("Suneeta Devee")), ("village", text("Rampur")), ("phone", text("09876543210"))]);
    let namesake = person(&s, "S", &[("name", text("Sunita Devi")), ("village", text("Sitapur")), ("age", FieldValue::Int(61))]);
    let stranger = person(&s, "S", &[("name", text("Ramesh Kumar")), ("village", text("Rampur")), ("age", FieldValue::Int(34))]);
    let other_scope = person(&s, "T", &[("name", text("Sunita Devi")), ("village", text("Rampur"))]);
    let household = s.create_subject(NewSubject::new("household", "S").attr("name", "Sunita Devi").attr("village", "Rampur")).unwrap();

    let found = s.duplicate_candidates(&DuplicateOptions::default()).unwrap();
    let pairs: Vec<(String, String)> = found.iter().map(pair).collect();
    assert!(pairs.contains(&(latin.clone(), deva.clone())), "Latin and Devanagari: {found:#?}");
    assert!(pairs.contains(&(latin.clone(), variant.clone())), "spelling variant");
    assert!(pairs.contains(&(deva.clone(), variant.clone())));
    for id in [&namesake, &stranger, &other_scope, &household] {
        assert!(!pairs.iter().any(|(a, b)| a == id || b == id), "not a candidate: {id}");
    }
    let lv = found.iter().find(|c| pair(c) == (latin.clone(), variant.clone())).unwrap();
    let codes: Vec<&str> = lv.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["same-name", "same-phone", "same-village"], "phone normalised: {lv:#?}");
    assert_eq!(lv.score, 95);
    let ld = found.iter().find(|c| pair(c) == (latin.clone(), deva.clone())).unwrap();
    assert!(ld.reasons.iter().any(|r| r.code == "age-close"));
    assert_eq!(ld.keep_title.as_deref(), Some("Sunita Devi"));
    for c in &found {
        for r in &c.reasons {
            assert!(!r.detail.contains("Sunita") && !r.detail.contains("9876"), "no names or numbers in reasons");
        }
    }
    let scoped = s.duplicate_candidates(&DuplicateOptions { scope: Some("T".into()), ..Default::default() }).unwrap();
    assert!(scoped.is_empty());
    let strict = s.duplicate_candidates(&DuplicateOptions { min_score: 90, ..Default::default() }).unwrap();
    assert!(strict.iter().all(|c| c.score >= 90) && !strict.is_empty());
}

#[test]
fn candidates_are_found_among_thousands_of_subjects() {
    use rand::{Rng, SeedableRng};
    let s = coordinator("meena");
    let syllables = ["ra", "me", "su", "ni", "ta", "ka", "ma", "la", "de", "vi", "go", "pa", "an", "ji", "sa", "ro", "bi", "ha", "mo", "nu", "pu", "ya", "ve", "ku"];
    let villages = ["Rampur", "Sitapur", "Biswan", "Laharpur", "Mahmudabad", "Khairabad", "Sidhauli", "Misrikh"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let word = |rng: &mut rand::rngs::StdRng| {
        let n = rng.gen_range(2..4);
        let w: String = (0..n).map(|_| syllables[rng.gen_range(0..syllables.len())]).collect();
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    let mut planted = Vec::new();
    s.bulk_import(|s| {
        for i in 0..3_000usize {
            let name = format!("{} {}", word(&mut rng), word(&mut rng));
            s.create_subject(
                NewSubject::new("person", "S")
                    .attr("name", name.as_str())
                    .attr("village", villages[i % villages.len()])
                    .attr("age", rng.gen_range(18..80_i64))
                    .attr("phone", format!("9{:09}", i).as_str()),
            )?;
        }
        // Twenty people registered twice: once as written, once with long vowels spelled out.
        for i in 0..20usize {
            let name = format!("{} {}", word(&mut rng), word(&mut rng));
            let variant = name.replace('i', "ee").replace('u', "oo");
            let village = villages[i % villages.len()];
            let a = s.create_subject(NewSubject::new("person", "S").attr("name", name.as_str()).attr("village", village).attr("age", 30_i64))?;
            let b = s.create_subject(NewSubject::new("person", "S").attr("name", variant.as_str()).attr("village", village).attr("age", 31_i64))?;
            planted.push((a, b));
        }
        // And one across scripts.
        let a = s.create_subject(NewSubject::new("person", "S").attr("name", "Zarina Bano").attr("village", "Rampur").attr("age", 30_i64))?;
        let b = s.create_subject(NewSubject::new("person", "S").attr("name", "ज़रीना बानो").attr("village", "रामपुर").attr("age", 31_i64))?;
        planted.push((a, b));
        Ok(())
    })
    .unwrap();
    let t = std::time::Instant::now();
    let found = s.duplicate_candidates(&DuplicateOptions { limit: 10_000, ..Default::default() }).unwrap();
    eprintln!("3,042 subjects: {} candidates in {:?}", found.len(), t.elapsed());
    let pairs: Vec<(String, String)> = found.iter().map(pair).collect();
    for p in &planted {
        assert!(pairs.contains(p), "planted duplicate found");
    }
    assert!(found.len() < 200, "few false candidates among distinct people: {}", found.len());
    assert!(s.cached_docs() <= store::CACHE_DOCS, "documents read only for likely pairs, through the bounded cache");
}

#[test]
fn merge_moves_responses_gains_attributes_and_turns_differences_into_conflicts() {
    let s = coordinator("meena");
    let a = person(&s, "S", &[("name", text("Sunita Devi")), ("village", text("Rampur")), ("phone", text("9876543210")), ("age", FieldValue::Int(34))]);
    let b = person(&s, "S", &[("name", text("Sunita Devi")), ("village", text("Rampur")), ("phone", text("9123456780")), ("occupation", text("tailor"))]);
    let ra = about(&s, &a);
    let rb1 = about(&s, &b);
    let rb2 = about(&s, &b);
    let b_before = s.record_json(&b, None).unwrap();
    let a_history = s.history(&a).unwrap().len();

    let report = s.merge_subjects(&a, &b).unwrap();
    assert_eq!(report.gained, ["occupation"]);
    assert_eq!(report.conflicts, ["phone"]);
    let mut moved = report.responses_moved.clone();
    moved.sort();
    let mut expect = vec![rb1.clone(), rb2.clone()];
    expect.sort();
    assert_eq!(moved, expect);
    assert!(!report.refreshed);

    let kept = s.subject(&a).unwrap();
    assert_eq!(kept.attrs["occupation"], text("tailor"));
    let conflicts = s.conflicts(&a).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].path, "attrs/phone");
    let mut values: Vec<String> = conflicts[0].values.iter().map(|v| v.value.to_string()).collect();
    values.sort();
    assert_eq!(values, ["\"9123456780\"", "\"9876543210\""], "both values kept, none picked silently");
    assert!(conflicts[0].values.iter().all(|v| v.author.user_id == "meena" && v.author.device == s.device_id()), "{:?} device {}", conflicts[0].values, s.device_id());
    assert_eq!(s.summary(&a).unwrap().conflicts, 1, "the index counts it for the worklist");

    for r in [&rb1, &rb2, &ra] {
        assert_eq!(s.response(r).unwrap().subject_id.as_deref(), Some(a.as_str()));
    }
    let gone = s.subject(&b).unwrap();
    assert_eq!(gone.merged_into.as_deref(), Some(a.as_str()));
    assert_eq!(gone.attrs, s.subject(&b).unwrap().attrs);
    let mut b_now = s.record_json(&b, None).unwrap();
    b_now.as_object_mut().unwrap().remove("merged_into");
    assert_eq!(b_now, b_before, "the duplicate's data is untouched");
    let listed = s.search_subjects(&SubjectQuery { name_prefix: Some("sunita".into()), ..Default::default() }).unwrap();
    assert_eq!(listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [a.as_str()], "the duplicate leaves lists");
    assert!(s.history(&a).unwrap().len() > a_history, "both histories kept and grown");
    assert!(s.history(&b).unwrap().iter().any(|h| h.message.as_deref() == Some("merge into")));
    let records = s.merge_records(&a).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].duplicate, b);
    assert_eq!(records[0].by, "meena");

    // The coordinator resolves the phone like any conflict.
    s.resolve_conflict_pick(&a, "attrs/phone", 0).unwrap();
    assert!(s.conflicts(&a).unwrap().is_empty());
}

#[test]
fn unmerge_restores_both_subjects_and_the_responses() {
    let s = coordinator("meena");
    let a = person(&s, "S", &[("name", text("Sunita Devi")), ("phone", text("9876543210")), ("tags", FieldValue::Choices(["shg".to_string()].into()))]);
    let b = person(&s, "S", &[("name", text("सुनीता देवी")), ("occupation", text("tailor")), ("tags", FieldValue::Choices(["loan".to_string()].into()))]);
    let rb = about(&s, &b);
    let a_before = s.subject(&a).unwrap().attrs;
    let b_before = s.subject(&b).unwrap().attrs;
    let report = s.merge_subjects(&a, &b).unwrap();
    let mut conflicts = report.conflicts.clone();
    conflicts.sort();
    assert_eq!(conflicts, ["name", "tags"]);
    assert_eq!(s.conflicts(&a).unwrap().len(), 2);

    let undo = s.unmerge_subject(&b).unwrap();
    assert_eq!(undo.removed, ["occupation"]);
    assert_eq!(undo.responses_restored, [rb.as_str()]);
    assert!(undo.left_as_edited.is_empty());
    assert_eq!(s.subject(&a).unwrap().attrs, a_before);
    assert_eq!(s.subject(&b).unwrap().attrs, b_before);
    assert_eq!(s.subject(&b).unwrap().merged_into, None);
    assert!(s.conflicts(&a).unwrap().is_empty(), "restoring settles the merge's conflicts");
    assert_eq!(s.response(&rb).unwrap().subject_id.as_deref(), Some(b.as_str()));
    assert_eq!(s.search_subjects(&SubjectQuery::default()).unwrap().len(), 2, "back in lists");
    let records = s.merge_records(&a).unwrap();
    assert!(records[0].undone_at_ms.is_some() && records[0].undone_by.as_deref() == Some("meena"), "the merge stays recorded");
    assert!(matches!(s.unmerge_subject(&b), Err(Error::InvalidInput(_))));

    // Merging again after an unmerge works like a first merge.
    let again = s.merge_subjects(&a, &b).unwrap();
    assert!(!again.refreshed);
    assert_eq!(again.gained, ["occupation"]);
}

#[test]
fn unmerge_leaves_fields_edited_since_the_merge() {
    let s = coordinator("meena");
    let a = person(&s, "S", &[("name", text("Asha"))]);
    let b = person(&s, "S", &[("name", text("Asha")), ("occupation", text("tailor")), ("phone", text("9000000001"))]);
    s.merge_subjects(&a, &b).unwrap();
    let mut ch = BTreeMap::new();
    ch.insert("occupation".to_string(), Some(text("tailor and shopkeeper")));
    s.update_subject(&a, ch).unwrap();
    let undo = s.unmerge_subject(&b).unwrap();
    assert_eq!(undo.removed, ["phone"]);
    assert_eq!(undo.left_as_edited, ["occupation"]);
    assert_eq!(s.subject(&a).unwrap().attrs["occupation"], text("tailor and shopkeeper"), "a later edit is never undone");
}

#[test]
fn merge_refuses_what_it_cannot_do() {
    let s = coordinator("meena");
    let a = person(&s, "S", &[("name", text("Asha"))]);
    let b = person(&s, "S", &[("name", text("Asha"))]);
    let c = person(&s, "S", &[("name", text("Asha"))]);
    let t = person(&s, "T", &[("name", text("Asha"))]);
    let hh = s.create_subject(NewSubject::new("household", "S")).unwrap();
    let r = about(&s, &a);
    assert!(matches!(s.merge_subjects(&a, &a), Err(Error::InvalidInput(_))));
    assert!(matches!(s.merge_subjects(&a, &t), Err(Error::InvalidInput(_))));
    assert!(matches!(s.merge_subjects(&a, &hh), Err(Error::InvalidInput(_))));
    assert!(matches!(s.merge_subjects(&a, &r), Err(Error::InvalidInput(_))));
    assert!(matches!(s.merge_subjects(&a, "0190f000-0000-7000-8000-000000000000"), Err(Error::NotFound(_))));
    assert!(matches!(s.unmerge_subject(&a), Err(Error::InvalidInput(_))));
    s.merge_subjects(&a, &b).unwrap();
    assert!(matches!(s.merge_subjects(&c, &b), Err(Error::InvalidInput(_))), "already merged elsewhere");
    assert!(matches!(s.merge_subjects(&b, &c), Err(Error::InvalidInput(_))), "cannot keep a merged subject");
    let fw = Store::open_in_memory(Identity::field_worker("asha", "Asha")).unwrap();
    for id in [&a, &c] {
        copy(&s, &fw, id);
    }
    assert!(matches!(fw.merge_subjects(&a, &c), Err(Error::Forbidden(_))));
    copy(&s, &fw, &b);
    assert!(matches!(fw.unmerge_subject(&b), Err(Error::Forbidden(_))));
}

/// Copies every listed record both ways between two stores (from whichever has it).
fn exchange(x: &Store, y: &Store, ids: &[&String]) {
    for id in ids {
        if x.summary(id).is_ok() {
            copy(x, y, id);
        }
        copy(y, x, id);
    }
}

#[test]
fn the_same_pair_merged_on_two_devices_converges_to_one_result() {
    let (c1, c2) = (coordinator("meena"), coordinator("ravi"));
    let a = person(&c1, "S", &[("name", text("Sunita Devi")), ("phone", text("9876543210"))]);
    let b = person(&c1, "S", &[("name", text("Sunita Devi")), ("phone", text("9123456780")), ("occupation", text("tailor"))]);
    let r = about(&c1, &b);
    exchange(&c1, &c2, &[&a, &b, &r]);

    c1.merge_subjects(&a, &b).unwrap();
    c2.merge_subjects(&a, &b).unwrap();
    exchange(&c1, &c2, &[&a, &b, &r]);
    for id in [&a, &b, &r] {
        assert_eq!(c1.record_json(id, None).unwrap(), c2.record_json(id, None).unwrap(), "converged");
    }
    for s in [&c1, &c2] {
        let recs = s.merge_records(&a).unwrap();
        assert_eq!(recs.len(), 1, "one merge, not two");
        assert_eq!(recs[0].responses, [r.as_str()]);
        assert_eq!(s.subject(&a).unwrap().attrs["occupation"], text("tailor"));
        assert_eq!(s.response(&r).unwrap().subject_id.as_deref(), Some(a.as_str()));
        assert_eq!(s.subject(&b).unwrap().merged_into.as_deref(), Some(a.as_str()));
        let phone = s.conflicts(&a).unwrap().into_iter().find(|c| c.path == "attrs/phone").unwrap();
        let mut distinct: Vec<String> = phone.values.iter().map(|v| v.value.to_string()).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 2, "both phone numbers still there");
    }
    // Values both devices wrote alike are settled by merging the pair again, anywhere.
    let again = c1.merge_subjects(&a, &b).unwrap();
    assert!(again.refreshed && again.gained.is_empty() && again.conflicts.is_empty());
    exchange(&c1, &c2, &[&a, &b, &r]);
    for s in [&c1, &c2] {
        let listed = s.conflicted_records(None, 50, 0).unwrap();
        assert_eq!(listed.len(), 1, "only the kept subject: {listed:#?}");
        assert_eq!(listed[0].summary.id, a);
        assert!(listed[0].fields.iter().all(|f| f.path == "attrs/phone" && f.values.windows(2).any(|w| w[0].value != w[1].value)), "{listed:#?}");
    }
    for id in [&a, &b, &r] {
        assert_eq!(c1.record_json(id, None).unwrap(), c2.record_json(id, None).unwrap());
    }
}

#[test]
fn a_merge_and_a_concurrent_edit_of_the_duplicate_lose_nothing() {
    let c = coordinator("meena");
    let f = Store::open_in_memory(Identity::field_worker("asha", "Asha")).unwrap();
    let a = person(&c, "S", &[("name", text("Sunita Devi")), ("village", text("Rampur"))]);
    let b = person(&c, "S", &[("name", text("Sunita Devi")), ("phone", text("9000000001"))]);
    exchange(&c, &f, &[&a, &b]);

    c.merge_subjects(&a, &b).unwrap();
    // Meanwhile, offline: the field worker updates the duplicate and visits it.
    let mut ch = BTreeMap::new();
    ch.insert("phone".to_string(), Some(text("9000000002")));
    ch.insert("notes".to_string(), Some(text("moved near the school")));
    f.update_subject(&b, ch).unwrap();
    let late = about(&f, &b);
    exchange(&c, &f, &[&a, &b, &late]);

    for s in [&c, &f] {
        let dup = s.subject(&b).unwrap();
        assert_eq!(dup.merged_into.as_deref(), Some(a.as_str()));
        assert_eq!(dup.attrs["phone"], text("9000000002"), "the edit survives on the duplicate");
        assert_eq!(dup.attrs["notes"], text("moved near the school"));
        assert_eq!(s.record_json(&b, None).unwrap(), c.record_json(&b, None).unwrap());
    }
    let follow = c.merge_follow_ups(Some("S")).unwrap();
    assert_eq!(follow.len(), 1);
    assert_eq!(follow[0].changed_attrs, ["notes", "phone"]);
    assert_eq!(follow[0].responses, [late.as_str()]);

    let again = c.merge_subjects(&a, &b).unwrap();
    assert!(again.refreshed);
    assert_eq!(again.gained, ["notes", "phone"], "A's phone came from B and nobody edited it: B's newer one replaces it");
    assert_eq!(again.responses_moved, [late.as_str()]);
    let kept = c.subject(&a).unwrap();
    assert_eq!(kept.attrs["phone"], text("9000000002"));
    assert_eq!(kept.attrs["notes"], text("moved near the school"));
    assert!(c.merge_follow_ups(None).unwrap().is_empty());
    assert!(c.conflicts(&a).unwrap().is_empty());
    exchange(&c, &f, &[&a, &b, &late]);
    assert_eq!(f.response(&late).unwrap().subject_id.as_deref(), Some(a.as_str()));

    // Undo still gives back everything, including what the second pass folded in.
    let undo = c.unmerge_subject(&b).unwrap();
    let mut removed = undo.removed.clone();
    removed.sort();
    assert_eq!(removed, ["notes", "phone"]);
    assert_eq!(c.response(&late).unwrap().subject_id.as_deref(), Some(b.as_str()));
    assert_eq!(c.subject(&a).unwrap().attrs.len(), 2);
}

/// The `limit` best pairs are exactly the first of the whole list (the search stops reading
/// ages only once no later pair can enter them), and a kept answer is searched again after any
/// subject changes.
#[test]
fn the_best_few_pairs_are_the_head_of_the_whole_list_and_a_new_subject_is_seen_at_once() {
    let s = coordinator("c1");
    let names = ["Sunita Devi", "Sunita Devee", "Suneeta Devi", "Geeta Devi", "Gita Devi", "Ramesh Kumar", "Ramesh Kumaar", "Mohan Lal"];
    for (n, name) in names.iter().enumerate() {
        for village in ["Rampur", "Rampur", "Sitapur"] {
            let age = FieldValue::Int(30 + (n as i64 * 7) % 11);
            person(&s, "S", &[("name", FieldValue::Text((*name).into())), ("village", FieldValue::Text(village.into())), ("age", age)]);
        }
    }
    let all = s.duplicate_candidates(&DuplicateOptions { limit: 10_000, min_score: 0, ..Default::default() }).unwrap();
    assert!(all.len() > 20, "{}", all.len());
    for limit in [1, 3, 7, 20] {
        let few = s.duplicate_candidates(&DuplicateOptions { limit, min_score: 0, ..Default::default() }).unwrap();
        assert_eq!(few, all[..limit.min(all.len())].to_vec(), "limit {limit}");
    }
    let before = s.duplicate_candidates(&DuplicateOptions::default()).unwrap();
    assert_eq!(s.duplicate_candidates(&DuplicateOptions::default()).unwrap(), before, "kept while nothing changed");
    let new = person(&s, "S", &[("name", FieldValue::Text("Mohan Lal".into())), ("village", FieldValue::Text("Sitapur".into())), ("age", FieldValue::Int(35))]);
    let after = s.duplicate_candidates(&DuplicateOptions::default()).unwrap();
    assert!(after.iter().any(|c| c.duplicate == new || c.keep == new), "the new subject is compared at once");
}
