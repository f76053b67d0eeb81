//! Answer and attribute values.

use std::collections::{BTreeMap, HashMap};

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
