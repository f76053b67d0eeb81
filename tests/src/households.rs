//! Household survey records for benchmarks: the same answers for Sangam and for its peers.

use std::collections::BTreeMap;

use sangam_core::{FieldValue, NewResponse, Result, Store};

/// One household's answers: realistic in size (~470 B of JSON per whole record, like the
/// household records peers are measured with) and in entropy (names, mobile numbers, GPS, dates and amounts vary at
/// random, as in the field), so compression is not flattered.
pub fn answers(i: usize) -> BTreeMap<String, Option<FieldValue>> {
    use rand::{Rng, SeedableRng};
    const FIRST: [&str; 24] = [
        "Sunita", "Rekha", "Pooja", "Anita", "Geeta", "Kamla", "Savitri", "Meena", "Shanti", "Radha", "Urmila", "Asha",
        "Ramesh", "Suresh", "Mahesh", "Rajesh", "Dinesh", "Mukesh", "Ramkumar", "Shivram", "Babulal", "Mohan", "Sohan", "Kallu",
    ];
    const LAST: [&str; 12] =
        ["Devi", "Kumari", "Yadav", "Verma", "Maurya", "Pal", "Rawat", "Gupta", "Singh", "Prajapati", "Kushwaha", "Lodhi"];
    const VILLAGES: [&str; 16] = [
        "Rampur", "Sitapur", "Biswan", "Laharpur", "Mahmudabad", "Sidhauli", "Misrikh", "Hargaon", "Khairabad", "Tambaur",
        "Reusa", "Sakran", "Kasmanda", "Pisawan", "Machhrehta", "Gondlamau",
    ];
    const NOTES: [&str; 8] = [
        "Interview completed at home.",
        "Respondent asked to come back after harvest.",
        "Husband present during the interview.",
        "Interested in the tailoring training batch.",
        "Wants to join the self-help group meeting.",
        "Needs help opening a bank account.",
        "Daughter answered some questions.",
        "Interview completed at the anganwadi centre.",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
    let name = |rng: &mut rand::rngs::StdRng| format!("{} {}", FIRST[rng.gen_range(0..24)], LAST[rng.gen_range(0..12)]);
    let text = |s: String| Some(FieldValue::Text(s));
    let mut m = BTreeMap::new();
    m.insert("village".into(), text(VILLAGES[rng.gen_range(0..16)].into()));
    m.insert("head_name".into(), text(name(&mut rng)));
    m.insert("mobile".into(), text(format!("{}{:09}", rng.gen_range(6..10), rng.gen_range(0..1_000_000_000u32))));
    m.insert("age".into(), Some(FieldValue::Int(rng.gen_range(18..76))));
    m.insert("household_size".into(), Some(FieldValue::Int(rng.gen_range(1..10))));
    m.insert("income_monthly".into(), Some(FieldValue::Int(rng.gen_range(0..200) * 100)));
    m.insert("has_bank_account".into(), Some(FieldValue::Bool(rng.gen_bool(0.6))));
    m.insert("occupation".into(), text(["farming", "daily_wage", "tailoring", "shop", "dairy", "none"][rng.gen_range(0..6)].into()));
    let needs: std::collections::BTreeSet<String> = ["loan", "training", "market", "childcare", "transport"]
        .iter()
        .filter(|_| rng.gen_bool(0.4))
        .map(|s| s.to_string())
        .collect();
    m.insert("needs".into(), Some(FieldValue::Choices(needs)));
    m.insert("distance_km".into(), Some(FieldValue::Decimal(f64::from(rng.gen_range(0..60u32)) / 2.0)));
    m.insert("women_earning".into(), Some(FieldValue::Int(rng.gen_range(0..4))));
    m.insert(
        "location".into(),
        text(format!("{:.5} {:.5}", 27.3 + rng.gen::<f64>() * 0.6, 80.5 + rng.gen::<f64>() * 0.7)),
    );
    m.insert("notes".into(), text(NOTES[rng.gen_range(0..8)].into()));
    m
}

/// Record `i` as a PouchDB document: the same answers, as JSON.
pub fn pouch_doc(i: usize) -> serde_json::Value {
    let answers: serde_json::Map<String, serde_json::Value> =
        answers(i).into_iter().filter_map(|(k, v)| Some((k, v?.to_json()))).collect();
    serde_json::json!({
        "_id": format!("hh-{i:06}"),
        "form_id": "deep_listening",
        "form_version": "2026-11",
        "scope": "UP-SIT",
        "answers": answers,
    })
}

/// Saves household record `i` in `store` as a `deep_listening` response of scope `scope`.
pub fn save_household(store: &Store, scope: &str, i: usize) -> Result<String> {
    let r = store.create_response(NewResponse {
        form_id: "deep_listening".into(),
        form_version: "2026-11".into(),
        scope: scope.into(),
        subject_id: None,
    })?;
    store.set_answers(&r, &answers(i))?;
    Ok(r)
}
