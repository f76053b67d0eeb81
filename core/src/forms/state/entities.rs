//! What a response does to entities (the `entities` sheet): evaluated from the live state
//! so the store can carry it out when the response is submitted.

use std::collections::BTreeMap;

use super::evaluate::Ctx;
use super::live::{empty, LiveForm};
use crate::FieldValue;

/// What one entity declaration asks of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityOp {
    /// `create_if` is true (or neither condition is given): a new entity.
    Create,
    /// `update_if` is true: the entity `entity_id` names gets the saved properties.
    Update,
    /// Both are true: update the entity if it exists, else create it (ODK's upsert).
    CreateOrUpdate,
    /// Neither is true: nothing.
    Nothing,
}

/// One entity declaration evaluated over a response.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityAction {
    /// The entity list (`list_name`).
    pub dataset: String,
    pub op: EntityOp,
    /// `entity_id`'s value (an update's target); `None` for a create, where the store
    /// gives the new entity a fresh id.
    pub entity_id: Option<String>,
    /// `label`'s value.
    pub label: Option<String>,
    /// Property → answer, from the questions whose `save_to` names the property (outside
    /// repeats, as ODK's entities spec 2024.1 saves them). Unanswered ones are left out.
    pub properties: BTreeMap<String, FieldValue>,
}

impl LiveForm {
    /// What the response asks of each entity list its form declares (the `entities` sheet),
    /// for the store to carry out on submit. Empty when the form declares none.
    pub fn entity_actions(&self) -> Vec<EntityAction> {
        let form = &self.form;
        let mut properties = BTreeMap::new();
        for node in &form.nodes {
            let (Some(q), None) = (node.question.as_ref(), node.repeat) else { continue };
            let Some(prop) = q.save_to.as_ref() else { continue };
            if let Some(v) = self.answered.get(node.slot).cloned().flatten() {
                properties.insert(prop.clone(), v);
            } else if q.kind.is_computed() || q.calculation.is_some() {
                let v = &self.values[node.slot];
                if let Some(v) = super::live::to_field(q.kind, v) {
                    properties.insert(prop.clone(), v);
                }
            }
        }
        let ctx = Ctx { live: self, row: None, current: empty(), choice: None };
        let mut out = Vec::new();
        for (decl, exprs) in form.def.settings.entities.iter().zip(&form.entities) {
            let [label, create_if, update_if, entity_id] = exprs;
            let truth = |e: &Option<crate::forms::expr::Expr>| e.as_ref().map(|e| e.eval_bool(&ctx).unwrap_or(false));
            let text = |e: &Option<crate::forms::expr::Expr>| {
                e.as_ref().and_then(|e| e.eval(&ctx).ok()).map(|v| v.first().to_text()).filter(|t| !t.trim().is_empty())
            };
            let (create, update) = match (truth(create_if), truth(update_if)) {
                // An entity_id alone updates; nothing at all creates.
                (None, None) => (entity_id.is_none(), entity_id.is_some()),
                (c, u) => (c.unwrap_or(false), u.unwrap_or(false)),
            };
            let id = text(entity_id);
            let op = match (create, update && id.is_some()) {
                (true, true) => EntityOp::CreateOrUpdate,
                (true, false) => EntityOp::Create,
                (false, true) => EntityOp::Update,
                (false, false) => EntityOp::Nothing,
            };
            let entity_id = if op == EntityOp::Create { None } else { id };
            out.push(EntityAction { dataset: decl.dataset.clone(), op, entity_id, label: text(label), properties: properties.clone() });
        }
        out
    }
}
