//! A form definition compiled for evaluation: every expression parsed once, names resolved to
//! node indices, and the dependency graph (who must be recomputed when an answer changes) in
//! topological order. Building one also checks a definition: unknown references, bad syntax,
//! unsupported functions, cycles, duplicate names, nested repeats, missing choice lists.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::forms::definition::{FormDefinition, Item, Question, QuestionType};
use crate::forms::expr::{Expr, InstanceItems};

/// What is wrong with one expression or item of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum IssueKind {
    Syntax,
    UnsupportedFunction(String),
    UnknownReference(String),
    UnknownChoiceColumn(String),
    Cycle,
    DuplicateName(String),
    MissingChoiceList(String),
}

/// A problem found while compiling a definition, located by item name and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormIssue {
    /// The question, group or repeat the problem belongs to.
    pub item: String,
    /// The column (`relevant`, `constraint`, …), or `name`/`type` for structural problems.
    pub column: String,
    pub kind: IssueKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Question(QuestionType),
    Group,
    Repeat,
}

/// The parsed expressions of one node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exprs {
    pub relevant: Option<Expr>,
    pub required: Option<Expr>,
    pub read_only: Option<Expr>,
    pub constraint: Option<Expr>,
    pub calculation: Option<Expr>,
    pub choice_filter: Option<Expr>,
    pub repeat_count: Option<Expr>,
    /// A dynamic default: evaluated once, when the response starts or the row is added.
    pub default: Option<Expr>,
    /// The calculation of a question with a `trigger`: evaluated when a trigger changes.
    pub trigger_value: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) struct NodeDef {
    pub name: String,
    pub kind: NodeKind,
    pub parent: Option<usize>,
    /// The repeat whose rows hold this node's answers.
    pub repeat: Option<usize>,
    /// Index among the nodes of its container (the top level, or its repeat's rows).
    pub slot: usize,
    pub exprs: Exprs,
    pub question: Option<Question>,
    /// The questions named in the `trigger` column.
    pub trigger_names: Vec<String>,
}

/// A definition ready for evaluation. Build with [`CompiledForm::new`]; share with `Arc`.
#[derive(Debug, Clone)]
pub struct CompiledForm {
    pub(crate) def: FormDefinition,
    pub(crate) nodes: Vec<NodeDef>,
    pub(crate) by_name: HashMap<String, usize>,
    /// Node → nodes to recompute when its value or relevance changes (dependents, children).
    pub(crate) dependents: Vec<Vec<usize>>,
    pub(crate) children: Vec<Vec<usize>>,
    /// Every node, dependencies before the nodes that use them.
    pub(crate) order: Vec<usize>,
    /// Number of top-level slots.
    pub(crate) top_slots: usize,
    /// Repeat node → its member nodes, in slot order.
    pub(crate) members: HashMap<usize, Vec<usize>>,
    pub(crate) uses_clock: bool,
    /// The `instance_name` setting, parsed.
    pub(crate) instance_name: Option<Expr>,
    /// Node → the questions whose `trigger` names it (set when its answer changes).
    pub(crate) triggers: Vec<Vec<usize>>,
    /// The entity declarations' expressions, parsed (label, create_if, update_if, entity_id).
    pub(crate) entities: Vec<[Option<Expr>; 4]>,
    /// The form's own choice lists that expressions read as secondary instances
    /// (`instance('list')/root/item[name = ${q}]/label`, as ODK serves every choice list):
    /// each choice an item of `name`, `label` (the default language), `label::<language>` for
    /// each translation, and the sheet's further columns. An attachment of the same name, set
    /// on a live form, takes its place.
    pub(crate) choice_instances: BTreeMap<String, Arc<InstanceItems>>,
    /// Some expression reads `${last-saved#q}`.
    pub(crate) last_saved: bool,
}

struct Builder<'a> {
    def: &'a FormDefinition,
    nodes: Vec<NodeDef>,
    issues: Vec<FormIssue>,
    top_slots: usize,
    members: HashMap<usize, Vec<usize>>,
}

fn issue(item: &str, column: &str, kind: IssueKind, message: impl Into<String>) -> FormIssue {
    FormIssue { item: item.into(), column: column.into(), kind, message: message.into() }
}

impl Builder<'_> {
    fn parse(&mut self, item: &str, column: &str, src: Option<&String>) -> Option<Expr> {
        let src = src?.trim();
        if src.is_empty() {
            return None;
        }
        match Expr::parse(src) {
            Ok(e) => Some(e),
            Err(e) => {
                let kind = match &e.unsupported_function {
                    Some(f) => IssueKind::UnsupportedFunction(f.clone()),
                    None => IssueKind::Syntax,
                };
                self.issues.push(issue(item, column, kind, e.to_string()));
                None
            }
        }
    }

    fn add(&mut self, items: &[Item], parent: Option<usize>, repeat: Option<usize>) {
        for it in items {
            let idx = self.nodes.len();
            let slot = match repeat {
                Some(r) => {
                    let m = self.members.entry(r).or_default();
                    m.push(idx);
                    m.len() - 1
                }
                None => {
                    self.top_slots += 1;
                    self.top_slots - 1
                }
            };
            match it {
                Item::Question(q) => {
                    let n = &q.name;
                    let exprs = Exprs {
                        relevant: self.parse(n, "relevant", q.relevant.as_ref()),
                        required: self.parse(n, "required", q.required.as_ref()),
                        read_only: self.parse(n, "read_only", q.read_only.as_ref()),
                        constraint: self.parse(n, "constraint", q.constraint.as_ref()),
                        calculation: self.parse(n, "calculation", q.calculation.as_ref()),
                        choice_filter: self.parse(n, "choice_filter", q.choice_filter.as_ref()),
                        repeat_count: None,
                        default: if q.default_is_dynamic() { self.parse(n, "default", q.default.as_ref()) } else { None },
                        trigger_value: None,
                    };
                    let mut exprs = exprs;
                    let mut trigger_names = Vec::new();
                    if let Some(t) = q.trigger.as_deref() {
                        match parse_trigger(t) {
                            Ok(names) => trigger_names = names,
                            Err(m) => self.issues.push(issue(n, "trigger", IssueKind::Syntax, m)),
                        }
                        // ODK sets the value when a trigger changes, and only then.
                        exprs.trigger_value = exprs.calculation.take();
                    }
                    if q.kind.is_select() && q.choices_from_file {
                        // The choices are the items of an attachment the app supplies.
                    } else if q.kind.is_select() {
                        match &q.list_name {
                            Some(l) if self.def.choice_lists.contains_key(l) => {}
                            Some(l) => self.issues.push(issue(
                                n,
                                "type",
                                IssueKind::MissingChoiceList(l.clone()),
                                format!("the choice list '{l}' is not on the choices sheet"),
                            )),
                            None => self.issues.push(issue(
                                n,
                                "type",
                                IssueKind::MissingChoiceList(String::new()),
                                "a select question needs a choice list: select_one LIST",
                            )),
                        }
                    }
                    self.nodes.push(NodeDef {
                        name: n.clone(),
                        kind: NodeKind::Question(q.kind),
                        parent,
                        repeat,
                        slot,
                        exprs,
                        question: Some(q.clone()),
                        trigger_names,
                    });
                }
                Item::Group(g) => {
                    let exprs = Exprs { relevant: self.parse(&g.name, "relevant", g.relevant.as_ref()), ..Exprs::default() };
                    self.nodes.push(NodeDef { name: g.name.clone(), kind: NodeKind::Group, parent, repeat, slot, exprs, question: None, trigger_names: Vec::new() });
                    self.add(&g.items, Some(idx), repeat);
                }
                Item::Repeat(r) => {
                    // A repeat inside a repeat: the repeat node lives in its enclosing repeat's
                    // rows (its relevance and repeat_count per enclosing row), its members in
                    // its own rows, each row naming the enclosing row it belongs to.
                    let exprs = Exprs {
                        relevant: self.parse(&r.name, "relevant", r.relevant.as_ref()),
                        repeat_count: self.parse(&r.name, "repeat_count", r.repeat_count.as_ref()),
                        ..Exprs::default()
                    };
                    self.nodes.push(NodeDef { name: r.name.clone(), kind: NodeKind::Repeat, parent, repeat, slot, exprs, question: None, trigger_names: Vec::new() });
                    self.members.entry(idx).or_default();
                    self.add(&r.items, Some(idx), Some(idx));
                }
            }
        }
    }
}

const COLUMNS: [&str; 9] =
    ["relevant", "required", "read_only", "constraint", "calculation", "choice_filter", "repeat_count", "default", "calculation"];

/// The columns whose expressions run at an event (a new response or row, a trigger's
/// change), not whenever what they read changes: they order nothing and make no cycle.
fn is_event_column(i: usize) -> bool {
    i >= 7
}

impl Exprs {
    fn all_mut(&mut self) -> [(&'static str, Option<&mut Expr>); 9] {
        [
            (COLUMNS[0], self.relevant.as_mut()),
            (COLUMNS[1], self.required.as_mut()),
            (COLUMNS[2], self.read_only.as_mut()),
            (COLUMNS[3], self.constraint.as_mut()),
            (COLUMNS[4], self.calculation.as_mut()),
            (COLUMNS[5], self.choice_filter.as_mut()),
            (COLUMNS[6], self.repeat_count.as_mut()),
            (COLUMNS[7], self.default.as_mut()),
            (COLUMNS[8], self.trigger_value.as_mut()),
        ]
    }

    pub(crate) fn all(&self) -> [(&'static str, Option<&Expr>); 9] {
        [
            (COLUMNS[0], self.relevant.as_ref()),
            (COLUMNS[1], self.required.as_ref()),
            (COLUMNS[2], self.read_only.as_ref()),
            (COLUMNS[3], self.constraint.as_ref()),
            (COLUMNS[4], self.calculation.as_ref()),
            (COLUMNS[5], self.choice_filter.as_ref()),
            (COLUMNS[6], self.repeat_count.as_ref()),
            (COLUMNS[7], self.default.as_ref()),
            (COLUMNS[8], self.trigger_value.as_ref()),
        ]
    }
}

/// The `trigger` column: `${a}`, or several separated by spaces or commas.
fn parse_trigger(t: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = t.trim();
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix("${") else {
            return Err(format!("the trigger names questions as ${{name}} (separated by spaces or commas), not '{rest}'"));
        };
        let Some(end) = inner.find('}') else { return Err("a ${name} in the trigger is not closed with }".into()) };
        let name = inner[..end].trim();
        if name.is_empty() {
            return Err("an empty ${} in the trigger".into());
        }
        out.push(name.to_string());
        rest = inner[end + 1..].trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if out.len() > 64 {
            return Err("a trigger names at most 64 questions".into());
        }
    }
    if out.is_empty() {
        return Err("the trigger names no question".into());
    }
    Ok(out)
}

impl CompiledForm {
    /// Compiles `def`, or returns every problem found in it.
    /// What the form says that ODK would refuse but that reads plainly here, as issues to warn
    /// of (the form works): `if()` given two arguments.
    pub fn notes(&self) -> Vec<FormIssue> {
        let note = |item: &str, column: &str| {
            issue(item, column, IssueKind::Syntax, "if() is given two arguments; ODK Collect needs three and refuses it when it evaluates it. It is read here as if(condition, value, '')")
        };
        let mut out = Vec::new();
        for n in &self.nodes {
            for (column, e) in n.exprs.all() {
                if e.is_some_and(Expr::two_argument_ifs) {
                    out.push(note(&n.name, column));
                }
            }
        }
        for (decl, exprs) in self.def.settings.entities.iter().zip(&self.entities) {
            for (column, e) in ["label", "create_if", "update_if", "entity_id"].into_iter().zip(exprs) {
                if e.as_ref().is_some_and(Expr::two_argument_ifs) {
                    out.push(note(&format!("entities/{}", decl.dataset), column));
                }
            }
        }
        out
    }

    pub fn new(def: FormDefinition) -> Result<CompiledForm, Vec<FormIssue>> {
        let mut b = Builder { def: &def, nodes: Vec::new(), issues: Vec::new(), top_slots: 0, members: HashMap::new() };
        b.add(&def.items, None, None);
        let Builder { mut nodes, mut issues, top_slots, members, .. } = b;
        let ambiguous = key_duplicates(&mut nodes);
        resolve_paths(&mut nodes, &mut issues);
        let instance_name = match def.settings.instance_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(src) => match Expr::parse(src) {
                Ok(e) => Some(e),
                Err(e) => {
                    let kind = match &e.unsupported_function {
                        Some(f) => IssueKind::UnsupportedFunction(f.clone()),
                        None => IssueKind::Syntax,
                    };
                    issues.push(issue("", "instance_name", kind, format!("in the instance_name setting: {e}")));
                    None
                }
            },
        };
        let mut by_name = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if by_name.insert(n.name.clone(), i).is_some() {
                issues.push(issue(
                    &n.name,
                    "name",
                    IssueKind::DuplicateName(n.name.clone()),
                    format!("the name '{}' is used more than once; names must be unique in a form", n.name),
                ));
            }
        }
        let mut dependents = vec![Vec::new(); nodes.len()];
        let mut children = vec![Vec::new(); nodes.len()];
        let mut uses_clock = false;
        for (i, n) in nodes.iter().enumerate() {
            if let Some(p) = n.parent {
                children[p].push(i);
            }
            let mut deps = BTreeSet::new();
            for (k, (column, e)) in n.exprs.all().into_iter().enumerate() {
                let Some(e) = e else { continue };
                uses_clock |= e.uses_clock();
                for r in e.last_saved_references() {
                    if !by_name.contains_key(&r) {
                        issues.push(issue(
                            &n.name,
                            column,
                            IssueKind::UnknownReference(r.clone()),
                            format!("${{last-saved#{r}}} refers to a question that does not exist"),
                        ));
                    }
                }
                for r in e.references() {
                    match by_name.get(&r) {
                        // At an event, a value may read itself (ODK's `once`-like defaults).
                        Some(_) if is_event_column(k) => {}
                        Some(&d) if d == i && column == "calculation" => issues.push(issue(
                            &n.name,
                            column,
                            IssueKind::Cycle,
                            format!("the calculation of '{}' refers to itself", n.name),
                        )),
                        Some(&d) if d != i => {
                            deps.insert(d);
                        }
                        Some(_) => {}
                        None if ambiguous.contains(&r) => issues.push(issue(
                            &n.name,
                            column,
                            IssueKind::UnknownReference(r.clone()),
                            format!("${{{r}}} is ambiguous: several questions are called '{r}' (in different groups); refer to one by its path, e.g. ../{r}"),
                        )),
                        None => issues.push(issue(
                            &n.name,
                            column,
                            IssueKind::UnknownReference(r.clone()),
                            format!("${{{r}}} refers to a question that does not exist"),
                        )),
                    }
                }
                check_columns(&def, n, column, e, &mut issues);
            }
            for d in deps {
                dependents[d].push(i);
            }
        }
        let mut triggers = vec![Vec::new(); nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            for t in &n.trigger_names {
                match by_name.get(t) {
                    Some(&d) if d == i => issues.push(issue(&n.name, "trigger", IssueKind::Cycle, format!("'{}' is its own trigger", n.name))),
                    Some(&d) => triggers[d].push(i),
                    None => issues.push(issue(
                        &n.name,
                        "trigger",
                        IssueKind::UnknownReference(t.clone()),
                        format!("the trigger ${{{t}}} refers to a question that does not exist"),
                    )),
                }
            }
        }
        let entities = compile_entities(&def, &by_name, &mut issues);
        if let Some(e) = &instance_name {
            for r in e.references() {
                if !by_name.contains_key(&r) {
                    issues.push(issue(
                        "",
                        "instance_name",
                        IssueKind::UnknownReference(r.clone()),
                        format!("${{{r}}} in the instance_name setting refers to a question that does not exist"),
                    ));
                }
            }
        }
        // A group whose relevance reads one of its own answered questions (CHT's
        // `./source = 'user'` on `inputs`) is no circle: the answer does not depend on the
        // group. Such edges mark the group for recomputation but do not order it.
        let is_below = |d: usize, a: usize| {
            let mut p = nodes[d].parent;
            while let Some(x) = p {
                if x == a {
                    return true;
                }
                p = nodes[x].parent;
            }
            false
        };
        let ordering: Vec<Vec<usize>> = dependents
            .iter()
            .enumerate()
            .map(|(d, ds)| {
                let answered = nodes[d].exprs.calculation.is_none() && !matches!(nodes[d].kind, NodeKind::Repeat);
                ds.iter().copied().filter(|&a| !(answered && is_below(d, a))).collect()
            })
            .collect();
        let (mut order, mut cyclic) = topo(&ordering, &children);
        if !cyclic.is_empty() {
            // A select whose choice filter (or relevance, constraint) reads a calculation
            // that reads the select's own answer (rosters that hide the members already
            // picked) is no circle either: the answer is not computed. Ordered without the
            // edges into answered questions; LiveForm goes over the order again when a node
            // earlier in it is marked (a few passes at most).
            let relaxed: Vec<Vec<usize>> = ordering
                .iter()
                .map(|ds| {
                    ds.iter()
                        .copied()
                        .filter(|&a| !(matches!(nodes[a].kind, NodeKind::Question(k) if !k.is_computed()) && nodes[a].exprs.calculation.is_none()))
                        .collect()
                })
                .collect();
            (order, cyclic) = topo(&relaxed, &children);
        }
        for i in cyclic {
            issues.push(issue(
                &nodes[i].name,
                "calculation",
                IssueKind::Cycle,
                format!("'{}' depends on itself through other questions (circular reference)", nodes[i].name),
            ));
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        let choice_instances = choice_instances(&def, &nodes, &entities, instance_name.as_ref());
        let last_saved = nodes.iter().any(|n| {
            let e = &n.exprs;
            [&e.relevant, &e.required, &e.read_only, &e.constraint, &e.calculation, &e.choice_filter, &e.repeat_count, &e.default, &e.trigger_value]
                .into_iter()
                .flatten()
                .any(|x| !x.last_saved_references().is_empty())
        });
        Ok(CompiledForm { def, nodes, by_name, dependents, children, order, top_slots, members, uses_clock, instance_name, triggers, entities, choice_instances, last_saved })
    }

    /// Whether some expression reads the last saved response (`${last-saved#q}`).
    pub fn reads_last_saved(&self) -> bool {
        self.last_saved
    }

    /// The definition this was compiled from.
    pub fn definition(&self) -> &FormDefinition {
        &self.def
    }

    pub(crate) fn node(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
}

/// The choice lists some expression reads with `instance('list')`, as item lists.
fn choice_instances(
    def: &FormDefinition,
    nodes: &[NodeDef],
    entities: &[[Option<Expr>; 4]],
    instance_name: Option<&Expr>,
) -> BTreeMap<String, Arc<InstanceItems>> {
    let mut read = std::collections::BTreeSet::new();
    for n in nodes {
        let e = &n.exprs;
        for x in [&e.relevant, &e.required, &e.read_only, &e.constraint, &e.calculation, &e.choice_filter, &e.repeat_count, &e.default, &e.trigger_value]
            .into_iter()
            .flatten()
        {
            read.extend(x.instances());
        }
    }
    for x in entities.iter().flatten().flatten().chain(instance_name) {
        read.extend(x.instances());
    }
    let lang = &def.default_language;
    read.into_iter()
        .filter_map(|name| {
            let list = def.choice_lists.get(&name)?;
            let items = list
                .choices
                .iter()
                .map(|c| {
                    let mut item: BTreeMap<String, String> = c.extra.clone();
                    item.insert("name".into(), c.name.clone());
                    if let Some(l) = def.text(&c.label, lang) {
                        item.insert("label".into(), l.to_string());
                    }
                    for (language, text) in &c.label {
                        item.insert(format!("label::{language}"), text.clone());
                    }
                    item
                })
                .collect();
            Some((name, Arc::new(InstanceItems { items })))
        })
        .collect()
}

/// Names need only be unique among siblings (XLSForm's rule). A node whose name is used
/// elsewhere in the form is keyed by its path from the top (`inputs/contact/_id`), so answers
/// and state stay apart; unique names are their own key. Returns the names used more than
/// once (a `${name}` to one of them is ambiguous).
fn key_duplicates(nodes: &mut [NodeDef]) -> std::collections::HashSet<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for n in nodes.iter() {
        *count.entry(n.name.as_str()).or_default() += 1;
    }
    let dup: std::collections::HashSet<String> = count.into_iter().filter(|(_, c)| *c > 1).map(|(n, _)| n.to_string()).collect();
    if dup.is_empty() {
        return dup;
    }
    // Parents come before their children, so a parent's path is known when a child's is made.
    let mut paths: Vec<String> = Vec::with_capacity(nodes.len());
    for i in 0..nodes.len() {
        let p = match nodes[i].parent {
            Some(p) => format!("{}/{}", paths[p], nodes[i].name),
            None => nodes[i].name.clone(),
        };
        paths.push(p);
    }
    for (n, p) in nodes.iter_mut().zip(paths) {
        if dup.contains(&n.name) {
            n.name = p;
        }
    }
    dup
}

/// Where a path step stands: the form's root element or a node.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    Root,
    Node(usize),
}

/// Turns every XPath location path (`/data/g/q`, `../q`, `./q`) into a reference to the node
/// it names, walking the group/repeat tree from the node the expression belongs to (its
/// context, as in ODK); a path that names no node is reported.
fn resolve_paths(nodes: &mut [NodeDef], issues: &mut Vec<FormIssue>) {
    let parents: Vec<Option<usize>> = nodes.iter().map(|n| n.parent).collect();
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let child = |of: Step, name: &str| -> Option<usize> {
        let want = match of {
            Step::Root => None,
            Step::Node(p) => Some(p),
        };
        (0..names.len()).find(|&k| parents[k] == want && names[k].rsplit('/').next() == Some(name))
    };
    let resolve = |context: usize, path: &str| -> Result<String, String> {
        let (mut at, rest) = match path.strip_prefix('/') {
            // The first step names the form's root element, whatever it is called.
            Some(abs) => (Step::Root, abs.split_once('/').map(|(_, r)| r).unwrap_or("")),
            None => (Step::Node(context), path),
        };
        for step in rest.split('/').filter(|s| !s.is_empty()) {
            at = match (step, at) {
                (".", a) => a,
                ("..", Step::Node(k)) => parents[k].map(Step::Node).unwrap_or(Step::Root),
                ("..", Step::Root) => return Err(format!("the path {path} goes above the form")),
                (name, a) => match child(a, name) {
                    Some(k) => Step::Node(k),
                    None => return Err(format!("the path {path} names no question ('{name}' is not there)")),
                },
            };
        }
        match at {
            Step::Node(k) => Ok(names[k].clone()),
            Step::Root => Err(format!("the path {path} names the whole form, not a question")),
        }
    };
    for i in 0..nodes.len() {
        let mut exprs = std::mem::take(&mut nodes[i].exprs);
        let name = nodes[i].name.clone();
        for (column, e) in exprs.all_mut() {
            let Some(e) = e else { continue };
            let mut failed = Vec::new();
            let errors = e.resolve_paths(&mut |p| {
                let r = resolve(i, p);
                if r.is_err() {
                    failed.push(p.to_string());
                }
                r
            });
            for (msg, p) in errors.into_iter().zip(failed) {
                issues.push(issue(&name, column, IssueKind::UnknownReference(p), msg));
            }
        }
        nodes[i].exprs = exprs;
    }
}

/// Bare names are only meaningful in a choice filter, where they name choice columns.
fn check_columns(def: &FormDefinition, n: &NodeDef, column: &str, e: &Expr, issues: &mut Vec<FormIssue>) {
    let cols = e.columns();
    if cols.is_empty() {
        return;
    }
    if column != "choice_filter" {
        // Bare `true`, `false` and `null` name no node: an empty node-set (false), as in
        // ODK, which forms use to switch a question off (`relevant: FALSE`).
        for c in cols.into_iter().filter(|c| !matches!(c.to_lowercase().as_str(), "true" | "false" | "null")) {
            issues.push(issue(
                &n.name,
                column,
                IssueKind::UnknownReference(c.clone()),
                format!("'{c}' is not understood here: refer to a question as ${{{c}}}"),
            ));
        }
        return;
    }
    // An attachment's columns are known only when the app supplies it.
    if n.question.as_ref().map(|q| q.choices_from_file).unwrap_or(false) {
        return;
    }
    let list = n.question.as_ref().and_then(|q| q.list_name.as_ref()).and_then(|l| def.choice_lists.get(l));
    let Some(list) = list else { return };
    for c in cols {
        let known = c == "name"
            || c == "label"
            || c.starts_with("label::")
            || list.choices.iter().any(|ch| ch.extra.contains_key(&c));
        if !known {
            issues.push(issue(
                &n.name,
                column,
                IssueKind::UnknownChoiceColumn(c.clone()),
                format!("the choice filter uses '{c}', which is not a column of its choice list"),
            ));
        }
    }
}

/// The entity declarations' expressions: parsed, their references checked. Issues are
/// reported on item `entities/<list name>` with the column `label`, `create_if`, `update_if` or
/// `entity_id` (and the declaration's list name in the message).
fn compile_entities(def: &FormDefinition, by_name: &HashMap<String, usize>, issues: &mut Vec<FormIssue>) -> Vec<[Option<Expr>; 4]> {
    let mut out = Vec::new();
    for decl in &def.settings.entities {
        let mut parsed: [Option<Expr>; 4] = [None, None, None, None];
        let cols = [("label", &decl.label), ("create_if", &decl.create_if), ("update_if", &decl.update_if), ("entity_id", &decl.entity_id)];
        for (k, (col, src)) in cols.into_iter().enumerate() {
            let Some(src) = src.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { continue };
            match Expr::parse(src) {
                Ok(e) => {
                    for r in e.references() {
                        if !by_name.contains_key(&r) {
                            issues.push(issue(
                                &format!("entities/{}", decl.dataset),
                                col,
                                IssueKind::UnknownReference(r.clone()),
                                format!("${{{r}}} in the {col} of entity list '{}' refers to a question that does not exist", decl.dataset),
                            ));
                        }
                    }
                    if !e.columns().into_iter().all(|c| matches!(c.to_lowercase().as_str(), "true" | "false" | "null")) {
                        issues.push(issue(&format!("entities/{}", decl.dataset), col, IssueKind::Syntax, format!("the {col} of entity list '{}' uses a bare name: refer to a question as ${{name}}", decl.dataset)));
                    }
                    parsed[k] = Some(e);
                }
                Err(e) => {
                    let kind = match &e.unsupported_function {
                        Some(f) => IssueKind::UnsupportedFunction(f.clone()),
                        None => IssueKind::Syntax,
                    };
                    issues.push(issue(&format!("entities/{}", decl.dataset), col, kind, format!("in the {col} of entity list '{}': {e}", decl.dataset)));
                }
            }
        }
        out.push(parsed);
    }
    out
}

/// Kahn's algorithm over dependency and parent→child edges, ties broken by form order.
/// Returns the order and the nodes caught in cycles.
fn topo(dependents: &[Vec<usize>], children: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    let n = dependents.len();
    let mut indeg = vec![0usize; n];
    for i in 0..n {
        for &j in dependents[i].iter().chain(children[i].iter()) {
            indeg[j] += 1;
        }
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> =
        (0..n).filter(|&i| indeg[i] == 0).map(std::cmp::Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        order.push(i);
        for &j in dependents[i].iter().chain(children[i].iter()) {
            indeg[j] -= 1;
            if indeg[j] == 0 {
                ready.push(std::cmp::Reverse(j));
            }
        }
    }
    let cyclic = (0..n).filter(|&i| indeg[i] > 0).collect();
    (order, cyclic)
}
