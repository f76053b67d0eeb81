//! The `entities` sheet (ODK entities): which entity list a response creates or updates
//! entities of, and the `save_to` column's properties. Read into
//! [`crate::forms::definition::FormSettings::entities`]; the store carries them out.

use std::collections::HashMap;

use super::sheet::Sheet;
use super::{At, Problem, ProblemKind};
use crate::forms::definition::EntityDeclaration;

/// The declarations and the row each came from.
#[derive(Debug, Default)]
pub(crate) struct Entities {
    pub decls: Vec<EntityDeclaration>,
    /// Dataset → row of the entities sheet.
    pub rows: HashMap<String, u32>,
    pub sheet: Option<String>,
    /// Column base → letter.
    pub letters: HashMap<String, String>,
}

const COLUMNS: [&str; 5] = ["list_name", "label", "create_if", "update_if", "entity_id"];

/// A valid entity list or property name: an XML name without `:` that does not start
/// with `__` (ODK's reserved prefix).
pub(crate) fn valid_entity_name(n: &str) -> bool {
    let mut chars = n.chars();
    let first_ok = chars.next().map(|c| c.is_alphabetic() || c == '_').unwrap_or(false);
    first_ok && !n.starts_with("__") && n.chars().count() <= 128 && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
}

pub(crate) fn read(sheet: Option<&Sheet>, problems: &mut Vec<Problem>) -> Entities {
    let mut out = Entities::default();
    let Some(sheet) = sheet else { return out };
    // `dataset` is the column's earlier name (pyxform reads both).
    let mut sheet = sheet.clone();
    for h in sheet.headers.iter_mut().filter(|h| h.base == "dataset") {
        h.base = "list_name".into();
    }
    let sheet = &sheet;
    out.sheet = Some(sheet.name.clone());
    for h in &sheet.headers {
        out.letters.insert(h.base.clone(), h.letter.clone());
    }
    let at = |row: Option<u32>, col: &str| At {
        sheet: sheet.name.clone(),
        row,
        column: Some(col.to_string()),
        letter: sheet.headers.iter().find(|h| h.base == col).map(|h| h.letter.clone()),
    };
    for (i, h) in sheet.headers.iter().enumerate() {
        if h.raw.is_empty() || COLUMNS.contains(&h.base.as_str()) {
            continue;
        }
        let Some((row_no, _)) = sheet.rows.iter().find(|(_, r)| r.get(i).map(|v| !v.trim().is_empty()).unwrap_or(false)) else { continue };
        problems.push(
            At { sheet: sheet.name.clone(), row: Some(*row_no), column: Some(h.raw.clone()), letter: Some(h.letter.clone()) }
                .unsupported(format!("entities column {}", h.raw), format!("the entities column '{}' is not supported", h.raw)),
        );
    }
    if !sheet.rows.is_empty() && !sheet.headers.iter().any(|h| h.base == "list_name") {
        problems.push(at(Some(1), "list_name").problem(ProblemKind::MissingColumn, "the entities sheet needs a 'list_name' column"));
        return out;
    }
    for (row_no, row) in &sheet.rows {
        let get = |c: &str| sheet.get(row, c).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let Some(dataset) = get("list_name") else {
            if COLUMNS.iter().any(|c| get(c).is_some()) {
                problems.push(at(Some(*row_no), "list_name").problem(ProblemKind::MissingName, "this entity declaration has no list_name"));
            }
            continue;
        };
        if !valid_entity_name(&dataset) {
            problems.push(at(Some(*row_no), "list_name").problem(
                ProblemKind::InvalidName,
                format!("'{dataset}' is not a valid entity list name: a letter or '_' first, then letters, digits, '_' or '-', not starting with '__'"),
            ));
        }
        if let Some(first) = out.rows.get(&dataset) {
            problems.push(at(Some(*row_no), "list_name").problem(ProblemKind::DuplicateName, format!("the entity list '{dataset}' is already declared at row {first}")));
            continue;
        }
        let decl = EntityDeclaration { dataset: dataset.clone(), label: get("label"), create_if: get("create_if"), update_if: get("update_if"), entity_id: get("entity_id") };
        if decl.update_if.is_some() && decl.entity_id.is_none() {
            problems.push(at(Some(*row_no), "entity_id").problem(ProblemKind::MissingColumn, "an entity declaration with update_if needs an entity_id (e.g. ${existing})"));
        }
        if decl.label.is_none() && decl.may_create() {
            problems.push(at(Some(*row_no), "label").problem(ProblemKind::MissingColumn, "an entity declaration that creates entities needs a label"));
        }
        out.rows.insert(dataset, *row_no);
        out.decls.push(decl);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::forms::xlsform::tests::{import, problems};

    const SURVEY: &[&[&str]] = &[
        &["type", "name", "label", "save_to", "trigger", "calculation", "default"],
        &["select_one_from_file trees.csv", "tree", "Tree", "", "", "", ""],
        &["text", "species", "Species", "species", "", "", ""],
        &["integer", "height", "Height", "height_m", "${tree}", "", ""],
        &["calculate", "picked", "", "", "${tree}", "now()", ""],
        &["date", "seen", "Seen", "", "", "", "today()"],
        &["integer", "width", "Width", "", "", "", "${last-saved#width}"],
    ];

    #[test]
    fn entities_triggers_file_choices_and_dynamic_defaults_import() {
        let entities: &[&[&str]] = &[&["list_name", "label", "create_if"], &["trees", "concat(${species}, ' ', ${height})", "${height} > 0"]];
        let i = import(&[("survey", SURVEY), ("entities", entities)]).unwrap_or_else(|p| panic!("{p:?}"));
        let d = &i.definition;
        let e = &d.settings.entities[0];
        assert_eq!((e.dataset.as_str(), e.create_if.as_deref()), ("trees", Some("${height} > 0")));
        let (tree, _) = d.question("tree").unwrap();
        assert!(tree.choices_from_file);
        assert_eq!(tree.list_name.as_deref(), Some("trees.csv"));
        let (h, _) = d.question("height").unwrap();
        assert_eq!((h.save_to.as_deref(), h.trigger.as_deref()), (Some("height_m"), Some("${tree}")));
        assert!(d.question("seen").unwrap().0.default_is_dynamic());
    }

    #[test]
    fn bad_entities_and_triggers_name_their_cells() {
        let entities: &[&[&str]] = &[
            &["list_name", "label", "update_if", "colour"],
            &["trees", "${nope}", "true()", "red"],
            &["__x", "x", "", ""],
        ];
        let p = problems(&[("survey", SURVEY), ("entities", entities)]).join("\n");
        assert!(p.contains("entities row 2 (entity_id): an entity declaration with update_if needs an entity_id"), "{p}");
        assert!(p.contains("entities!B2 (label): ${nope} in the label of entity list 'trees' refers to a question that does not exist"), "{p}");
        assert!(p.contains("entities!D2 (colour): the entities column 'colour' is not supported"), "{p}");
        assert!(p.contains("entities!A3 (list_name): '__x' is not a valid entity list name"), "{p}");

        let p = problems(&[("survey", SURVEY)]).join("\n");
        assert!(p.contains("survey!D3 (save_to): save_to saves to an entity list: the form needs an entities sheet"), "{p}");

        let bad: &[&[&str]] = &[
            &["type", "name", "label", "trigger", "default", "save_to"],
            &["select_one_from_file", "a", "A", "", "", ""],
            &["select_one_from_file trees.txt", "b", "B", "", "", ""],
            &["text", "c", "C", "${zzz}", "", ""],
            &["text", "d", "D", "feature", "", ""],
            &["text", "e", "E", "", "concat(${zzz}, 'x')", ""],
            &["text", "f", "F", "", "${last-saved#zzz}", ""],
            &["text", "g", "G", "", "", "label"],
        ];
        let entities: &[&[&str]] = &[&["list_name", "label"], &["things", "${c}"]];
        let p = problems(&[("survey", bad), ("entities", entities)]).join("\n");
        assert!(p.contains("survey!A2 (type): 'select_one_from_file': select_one_from_file names one attachment"), "{p}");
        assert!(p.contains("survey!A3 (type)"), "{p}");
        assert!(p.contains("survey!D4 (trigger): the trigger ${zzz} refers to a question that does not exist"), "{p}");
        assert!(p.contains("survey!D5 (trigger): the trigger names questions as ${name}"), "{p}");
        assert!(p.contains("survey!E6 (default): ${zzz} refers to a question that does not exist"), "{p}");
        assert!(p.contains("survey!E7 (default): ${last-saved#zzz} refers to a question that does not exist"), "{p}");
        assert!(p.contains("survey!F8 (save_to): 'label' cannot be an entity property"), "{p}");
    }
}
