//! The kinds of record.

use serde::{Deserialize, Serialize};

/// The kinds of record: a published form, a response to one, a subject (household, person,
/// enterprise), a meeting and an action item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Form,
    Response,
    Subject,
    Meeting,
    Action,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Form => "form",
            Kind::Response => "response",
            Kind::Subject => "subject",
            Kind::Meeting => "meeting",
            Kind::Action => "action",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "form" => Kind::Form,
            "response" => Kind::Response,
            "subject" => Kind::Subject,
            "meeting" => Kind::Meeting,
            "action" => Kind::Action,
            _ => return None,
        })
    }
}
