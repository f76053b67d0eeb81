//! Field values: what a survey answer, a subject attribute or a record property can hold.
//!
//! Scalars are stored as Automerge scalars; a multi-select answer is an Automerge map of
//! choice → `true`, so choices added and removed on two phones merge instead of overwriting.

use std::collections::BTreeSet;

use automerge::ScalarValue;
use serde::{Deserialize, Serialize};

/// One value of a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Bool(bool),
    Int(i64),
    Decimal(f64),
    Text(String),
    /// A multi-select answer: the set of chosen choice names.
    Choices(BTreeSet<String>),
}

impl FieldValue {
    /// The value as a JSON value (for exports and history views).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The value as text, the way a list screen or a CSV cell shows it.
    pub fn display(&self) -> String {
        match self {
            FieldValue::Bool(b) => b.to_string(),
            FieldValue::Int(i) => i.to_string(),
            FieldValue::Decimal(d) => d.to_string(),
            FieldValue::Text(s) => s.clone(),
            FieldValue::Choices(c) => c.iter().cloned().collect::<Vec<_>>().join(" "),
        }
    }

    pub(crate) fn to_scalar(&self) -> Option<ScalarValue> {
        Some(match self {
            FieldValue::Bool(b) => ScalarValue::Boolean(*b),
            FieldValue::Int(i) => ScalarValue::Int(*i),
            FieldValue::Decimal(d) => ScalarValue::F64(*d),
            FieldValue::Text(s) => ScalarValue::Str(s.as_str().into()),
            FieldValue::Choices(_) => return None,
        })
    }

    pub(crate) fn from_scalar(s: &ScalarValue) -> Option<FieldValue> {
        Some(match s {
            ScalarValue::Boolean(b) => FieldValue::Bool(*b),
            ScalarValue::Int(i) => FieldValue::Int(*i),
            ScalarValue::Uint(u) => FieldValue::Int(i64::try_from(*u).ok()?),
            ScalarValue::F64(d) => FieldValue::Decimal(*d),
            ScalarValue::Str(s) => FieldValue::Text(s.to_string()),
            ScalarValue::Timestamp(t) => FieldValue::Int(*t),
            ScalarValue::Counter(c) => FieldValue::Int(i64::from(c)),
            ScalarValue::Null | ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => return None,
        })
    }

    pub(crate) fn check(&self) -> crate::Result<()> {
        match self {
            FieldValue::Decimal(d) if !d.is_finite() => {
                Err(crate::Error::invalid("a decimal answer must be a finite number"))
            }
            FieldValue::Choices(c) if c.iter().any(|k| k.is_empty()) => {
                Err(crate::Error::invalid("a choice name must not be empty"))
            }
            _ => Ok(()),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Text(s.to_string())
    }
}
impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s)
    }
}
impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}
impl From<f64> for FieldValue {
    fn from(d: f64) -> Self {
        FieldValue::Decimal(d)
    }
}
impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}
