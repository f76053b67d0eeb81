//! Live form state: what a phone renders from, and what the hub checks on submit.
//!
//! Compile a definition once ([`CompiledForm::new`]), then build a [`LiveForm`] over a
//! response's answers. After each answer change call [`LiveForm::set_answer`]: only the
//! expressions that depend on the changed question are re-evaluated. [`LiveForm::state`]
//! renders everything in one language: relevance, required, read-only, calculated values,
//! constraint and required violations with their messages, the choices left after each
//! choice filter, and the rows of each repeat.
//!
//! ```
//! use std::{collections::BTreeMap, sync::Arc};
//! use sangam_core::forms::definition::*;
//! use sangam_core::forms::expr::Clock;
//! use sangam_core::forms::state::{CompiledForm, LiveForm};
//! use sangam_core::FieldValue;
//! let mut age = Question::new("age", QuestionType::Integer);
//! age.constraint = Some(". < 120".into());
//! let mut school = Question::new("school", QuestionType::Text);
//! school.relevant = Some("${age} < 18".into());
//! let def = FormDefinition {
//!     form_id: "f".into(), version: "1".into(), title: "F".into(),
//!     default_language: "default".into(), languages: vec![],
//!     items: vec![Item::Question(age), Item::Question(school)],
//!     choice_lists: BTreeMap::new(), settings: Default::default(),
//! };
//! let form = Arc::new(CompiledForm::new(def).unwrap());
//! let mut live = LiveForm::new(form, &BTreeMap::new(), &BTreeMap::new(), Clock::system());
//! live.set_answer("age", None, Some(&FieldValue::Int(40))).unwrap();
//! assert!(!live.state(None).question("school").unwrap().relevant);
//! ```
//!
//! Values of questions that became irrelevant stay in the response (data is never dropped)
//! and stay visible to expressions, as in ODK Collect; a calculation that is not relevant is
//! empty.

mod compiled;
mod entities;
mod evaluate;
mod live;
mod render;

pub use compiled::{CompiledForm, FormIssue, IssueKind};
pub use entities::{EntityAction, EntityOp};
pub use live::{DeviceInfo, LiveForm};
pub use render::{ChoiceView, FormState, GroupState, QuestionState, RepeatState, RowState, Violation, ViolationKind};
