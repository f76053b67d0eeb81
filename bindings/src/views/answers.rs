//! Answer and attribute values, and what a record's field may hold beyond them.

use std::collections::{BTreeMap, HashMap};

use sangam_core::field_value_from_json;
use sangam_core::FieldValue;

/// An answer or attribute value.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerValue {
    Bool { value: bool },
    Int { value: i64 },
    Decimal { value: f64 },
    Text { value: String },
    /// A multi-select answer: the chosen choice names.
    Choices { values: Vec<String> },
}

impl From<FieldValue> for AnswerValue {
    fn from(v: FieldValue) -> Self {
        match v {
            FieldValue::Bool(value) => AnswerValue::Bool { value },
            FieldValue::Int(value) => AnswerValue::Int { value },
            FieldValue::Decimal(value) => AnswerValue::Decimal { value },
            FieldValue::Text(value) => AnswerValue::Text { value },
            FieldValue::Choices(c) => AnswerValue::Choices { values: c.into_iter().collect() },
        }
    }
}

impl From<AnswerValue> for FieldValue {
    fn from(v: AnswerValue) -> Self {
        match v {
            AnswerValue::Bool { value } => FieldValue::Bool(value),
            AnswerValue::Int { value } => FieldValue::Int(value),
            AnswerValue::Decimal { value } => FieldValue::Decimal(value),
            AnswerValue::Text { value } => FieldValue::Text(value),
            AnswerValue::Choices { values } => FieldValue::Choices(values.into_iter().collect()),
        }
    }
}

pub(crate) fn to_map(m: BTreeMap<String, FieldValue>) -> HashMap<String, AnswerValue> {
    m.into_iter().map(|(k, v)| (k, v.into())).collect()
}

pub(crate) fn from_map(m: HashMap<String, AnswerValue>) -> BTreeMap<String, FieldValue> {
    m.into_iter().map(|(k, v)| (k, v.into())).collect()
}

/// What a field of a record holds, as one of several concurrent values shows it: a value an
/// answer or attribute can hold, or, for the record's own structures (two coordinators'
/// concurrent reviews, two devices' merge records), the structure itself.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum StoredValue {
    /// A value an answer or attribute can hold (a multi-select is a `Choices` value).
    Field { value: AnswerValue },
    /// Nothing (a null).
    Empty,
    /// A list of values, in order.
    Items { items: Vec<StoredValue> },
    /// A structure: its parts by name.
    Parts { parts: HashMap<String, StoredValue> },
}

/// Structures nested deeper than this are cut off (shown as `Empty`): a record's depth comes
/// from whoever wrote it, and every level costs stack on both sides of the FFI.
const MAX_DEPTH: usize = 32;

impl StoredValue {
    /// A value as core lists it in a conflict (JSON). What reads as a field value is one, as
    /// core reads it when a coordinator picks it: numbers, text, booleans, a multi-select map
    /// of choice → true or a list of choice names.
    pub(crate) fn from_conflict(v: &serde_json::Value) -> StoredValue {
        match field_value_from_json(v) {
            Ok(value) => StoredValue::Field { value: value.into() },
            Err(_) => StoredValue::from_json(v, 0),
        }
    }

    /// A JSON value as it is, part by part.
    fn from_json(v: &serde_json::Value, depth: usize) -> StoredValue {
        use serde_json::Value as J;
        let field = |value: FieldValue| StoredValue::Field { value: value.into() };
        match v {
            J::Null => StoredValue::Empty,
            J::Bool(b) => field(FieldValue::Bool(*b)),
            J::Number(n) => match n.as_i64() {
                Some(i) => field(FieldValue::Int(i)),
                None => n.as_f64().map_or(StoredValue::Empty, |d| field(FieldValue::Decimal(d))),
            },
            J::String(s) => field(FieldValue::Text(s.clone())),
            _ if depth >= MAX_DEPTH => StoredValue::Empty,
            J::Array(items) => StoredValue::Items { items: items.iter().map(|i| StoredValue::from_json(i, depth + 1)).collect() },
            J::Object(m) => StoredValue::Parts {
                parts: m.iter().map(|(k, x)| (k.clone(), StoredValue::from_json(x, depth + 1))).collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(s: &str) -> StoredValue {
        StoredValue::Field { value: AnswerValue::Text { value: s.into() } }
    }

    #[test]
    fn conflict_values_that_are_field_values_cross_as_answers() {
        assert_eq!(StoredValue::from_conflict(&json!("98765 43210")), text("98765 43210"));
        assert_eq!(StoredValue::from_conflict(&json!(6)), StoredValue::Field { value: AnswerValue::Int { value: 6 } });
        assert_eq!(StoredValue::from_conflict(&json!(2.5)), StoredValue::Field { value: AnswerValue::Decimal { value: 2.5 } });
        assert_eq!(StoredValue::from_conflict(&json!(true)), StoredValue::Field { value: AnswerValue::Bool { value: true } });
        let choices = StoredValue::Field { value: AnswerValue::Choices { values: vec!["debt".into(), "water".into()] } };
        assert_eq!(StoredValue::from_conflict(&json!({"water": true, "debt": true, "loan": false})), choices);
        assert_eq!(StoredValue::from_conflict(&json!(["debt", "water"])), choices);
    }

    #[test]
    fn structures_cross_part_by_part() {
        let review = StoredValue::from_conflict(&json!({"state": "approved", "state_at": 5, "comments": {}, "x": null}));
        let StoredValue::Parts { parts } = review else { panic!("a review is a structure: {review:?}") };
        assert_eq!(parts["state"], text("approved"));
        assert_eq!(parts["state_at"], StoredValue::Field { value: AnswerValue::Int { value: 5 } });
        assert_eq!(parts["comments"], StoredValue::Parts { parts: HashMap::new() });
        assert_eq!(parts["x"], StoredValue::Empty);
        assert_eq!(StoredValue::from_conflict(&json!(null)), StoredValue::Empty);
        assert_eq!(
            StoredValue::from_conflict(&json!([1, "a"])),
            StoredValue::Items { items: vec![StoredValue::Field { value: AnswerValue::Int { value: 1 } }, text("a")] }
        );
    }

    #[test]
    fn deep_structures_are_cut_off() {
        let mut v = json!("leaf");
        for _ in 0..200 {
            v = json!([v]);
        }
        let mut got = StoredValue::from_conflict(&v);
        let mut depth = 0;
        while let StoredValue::Items { mut items } = got {
            got = items.pop().expect("one item per level");
            depth += 1;
        }
        assert_eq!((depth, got), (MAX_DEPTH, StoredValue::Empty));
    }
}
