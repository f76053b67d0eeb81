//! The expression language of XLSForm columns (`relevant`, `constraint`, `calculation`,
//! `required`, `read_only`, `choice_filter`, `repeat_count`): the XPath 1.0 subset that real
//! forms use, with ODK's functions.
//!
//! Parse once with [`Expr::parse`], then evaluate against a [`Scope`] that answers `${name}`
//! references, `.` (the current answer) and, in a choice filter, bare choice columns:
//!
//! ```
//! use sangam_core::forms::expr::{Expr, MapScope};
//! let e = Expr::parse("if(${age} >= 18, 'adult', 'child')").unwrap();
//! let scope = MapScope::new().with("age", "21");
//! assert_eq!(e.eval(&scope).unwrap().to_text(), "adult");
//! ```
//!
//! Semantics follow XPath 1.0 and ODK (JavaRosa): an empty answer is the empty string, whose
//! number value is NaN, so `${age} > 18` is false while `age` is unanswered; `1 div 0` is
//! Infinity; comparing a reference with a value is true if any of its answers match (so a
//! reference to a question inside a repeat, from outside it, means "any row"). Nothing
//! panics: bad syntax is an [`ExprError`] from `parse`, and the few run-time failures (a
//! malformed date, an invalid regular expression built at run time) are [`EvalError`]s.

mod dates;
mod eval;
mod lexer;
mod parser;
mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

pub use dates::Clock;
pub(crate) use dates::{format_iso_date, format_iso_datetime};
pub use eval::MapScope;
pub use value::Value;

/// Longest expression accepted, in characters.
pub const MAX_EXPR_CHARS: usize = 16 * 1024;

/// A parse error: where (character offset) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub message: String,
    /// Set when the error is a function this evaluator does not support (named here).
    pub unsupported_function: Option<String>,
}

impl ExprError {
    pub(crate) fn syntax(at: usize, message: impl Into<String>) -> Self {
        ExprError { at, message: message.into(), unsupported_function: None }
    }
    pub(crate) fn unsupported_function(at: usize, name: &str) -> Self {
        ExprError {
            at,
            message: format!("the function {name}() is not supported"),
            unsupported_function: Some(name.to_string()),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.at + 1, self.message)
    }
}

impl std::error::Error for ExprError {}

/// A failure while evaluating a well-formed expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A value could not be used as the function needs it (e.g. `date('soon')`).
    #[error("type mismatch: {0}")]
    Type(String),
    /// A regular expression built at run time is invalid.
    #[error("invalid regular expression: {0}")]
    Regex(String),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

macro_rules! funcs {
    ($($variant:ident = $name:literal ($lo:expr, $hi:expr)),* $(,)?) => {
        /// The functions this evaluator supports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Func { $($variant),* }
        impl Func {
            pub(crate) fn from_name(n: &str) -> Option<Func> {
                match n { $($name => Some(Func::$variant),)* _ => None }
            }
            pub(crate) fn name(&self) -> &'static str {
                match self { $(Func::$variant => $name),* }
            }
            /// Fewest and most arguments.
            pub(crate) fn arity(&self) -> (usize, usize) {
                match self { $(Func::$variant => ($lo, $hi)),* }
            }
        }
        /// Names of every supported function.
        pub const FUNCTIONS: &[&str] = &[$($name),*];
    };
}

funcs! {
    Selected = "selected"(2, 2),
    CountSelected = "count-selected"(1, 1),
    SelectedAt = "selected-at"(2, 2),
    StringLength = "string-length"(0, 1),
    Concat = "concat"(0, usize::MAX),
    Substr = "substr"(2, 3),
    Contains = "contains"(2, 2),
    StartsWith = "starts-with"(2, 2),
    EndsWith = "ends-with"(2, 2),
    Regex = "regex"(2, 2),
    // ODK needs all three; a form that leaves out the last gets a warning and reads it as ''.
    If = "if"(2, 3),
    Coalesce = "coalesce"(2, usize::MAX),
    Round = "round"(1, 2),
    Int = "int"(1, 1),
    Number = "number"(1, 1),
    StringFn = "string"(0, 1),
    Boolean = "boolean"(1, 1),
    Not = "not"(1, 1),
    True = "true"(0, 0),
    False = "false"(0, 0),
    Today = "today"(0, 0),
    Now = "now"(0, 0),
    Date = "date"(1, 1),
    FormatDate = "format-date"(2, 2),
    Position = "position"(0, 1),
    Count = "count"(1, 1),
    Sum = "sum"(1, 1),
    Floor = "floor"(1, 1),
    Ceiling = "ceiling"(1, 1),
    Abs = "abs"(1, 1),
    Pow = "pow"(2, 2),
    Sqrt = "sqrt"(1, 1),
    Exp = "exp"(1, 1),
    Log = "log"(1, 1),
    Log10 = "log10"(1, 1),
    Pi = "pi"(0, 0),
    Min = "min"(1, usize::MAX),
    Max = "max"(1, usize::MAX),
    Join = "join"(1, usize::MAX),
    Once = "once"(1, 1),
    ChoiceName = "jr:choice-name"(2, 2),
    DateTime = "date-time"(1, 1),
    DecimalDateTime = "decimal-date-time"(1, 1),
    FormatDateTime = "format-date-time"(2, 2),
    IndexedRepeat = "indexed-repeat"(3, 9),
    Uuid = "uuid"(0, 1),
    Random = "random"(0, 0),
    Digest = "digest"(2, 3),
    BooleanFromString = "boolean-from-string"(1, 1),
    SubstringBefore = "substring-before"(2, 2),
    SubstringAfter = "substring-after"(2, 2),
    NormalizeSpace = "normalize-space"(0, 1),
    Translate = "translate"(3, 3),
    CountNonEmpty = "count-non-empty"(1, 1),
    Area = "area"(1, 1),
    Distance = "distance"(1, 1),
    // The Community Health Toolkit's date functions (its forms use them throughout).
    DifferenceInMonths = "difference-in-months"(2, 2),
    AddDate = "add-date"(1, 6),
    ParseTimestampToDate = "parse-timestamp-to-date"(1, 1),
    // pulldata('file', 'column', 'key column', key): a value of an attached CSV.
    Pulldata = "pulldata"(4, 4),
}

/// A parsed expression tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Num(f64),
    Str(String),
    /// `${name}`
    Ref(String),
    /// An XPath location path (`/data/g/q`, `../q`, `./q`), until
    /// [`Expr::resolve_paths`] turns it into the reference it names.
    Path(String),
    /// `instance('name')/path/to/value`: a value of a secondary instance the app supplies
    /// (CHT's `contact-summary`), without predicates.
    Instance(String, String),
    /// `instance('name')/root/item[predicate]…/field`: the items of an attachment (or of
    /// a secondary instance the app supplies) that pass every predicate, or their `field`.
    Lookup(Box<Lookup>),
    /// A bare name inside a lookup's predicate: a field of the item being tested.
    Field(String),
    /// `${last-saved#name}`
    LastSaved(String),
    /// `.`
    Current,
    /// `..` (only as the argument of `position`)
    Parent,
    /// A bare name: a column of the choices sheet inside a `choice_filter`.
    Column(String),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
    /// `regex(subject, 'literal')`, compiled once at parse time.
    RegexLit(Box<Node>, Arc<regex::Regex>),
}

/// `instance('name')/root/item[…]/field`.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    pub instance: String,
    /// Predicates, all of which an item must pass (`[a][b]`): a condition over the item's
    /// fields, or a number (the item's 1-based position).
    pub predicates: Vec<Node>,
    /// The field read from each matching item (`geometry`), or `None` for the items.
    pub field: Option<String>,
}

/// The items of an attachment or secondary instance (`features.csv`'s rows, a GeoJSON's
/// features, an XML file's `/root/item` elements): each a map of field → text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceItems {
    pub items: Vec<BTreeMap<String, String>>,
}

/// A parsed expression, ready to evaluate many times.
#[derive(Debug, Clone)]
pub struct Expr {
    src: String,
    root: Node,
}

impl Expr {
    /// Parses `src`.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        if src.chars().count() > MAX_EXPR_CHARS {
            return Err(ExprError::syntax(0, format!("an expression may be at most {MAX_EXPR_CHARS} characters")));
        }
        let toks = lexer::lex(src)?;
        let root = parser::Parser::new(toks, src.chars().count()).parse_all()?;
        Ok(Expr { src: src.to_string(), root })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Evaluates against `scope`.
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, EvalError> {
        eval::eval(&self.root, scope)
    }

    /// Evaluates to a boolean (XPath `boolean()`), e.g. for `relevant` or `constraint`.
    pub fn eval_bool(&self, scope: &dyn Scope) -> Result<bool, EvalError> {
        Ok(self.eval(scope)?.to_bool())
    }

    /// Every `${name}` this expression refers to.
    pub fn references(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        visit(&self.root, &mut |n| {
            if let Node::Ref(r) = n {
                out.insert(r.clone());
            }
        });
        out
    }

    /// Every `${last-saved#name}` this expression reads.
    pub fn last_saved_references(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        visit(&self.root, &mut |n| {
            if let Node::LastSaved(r) = n {
                out.insert(r.clone());
            }
        });
        out
    }

    /// The attachments and secondary instances this expression reads (`instance('x')`,
    /// `pulldata('x', …)` with a literal name).
    pub fn instances(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        visit(&self.root, &mut |n| match n {
            Node::Lookup(l) => {
                out.insert(l.instance.clone());
            }
            Node::Instance(name, _) => {
                out.insert(name.clone());
            }
            Node::Call(Func::Pulldata, args) => {
                if let Some(Node::Str(s)) = args.first() {
                    out.insert(s.clone());
                }
            }
            _ => {}
        });
        out
    }

    /// Every XPath location path this expression holds, not yet resolved.
    pub fn paths(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        visit(&self.root, &mut |n| {
            if let Node::Path(p) = n {
                out.insert(p.clone());
            }
        });
        out
    }

    /// Replaces each location path by the reference `resolve` gives for it (a question's
    /// name), or leaves it (an empty node-set) and returns `resolve`'s message.
    pub fn resolve_paths(&mut self, resolve: &mut dyn FnMut(&str) -> Result<String, String>) -> Vec<String> {
        let mut errors = Vec::new();
        visit_mut(&mut self.root, &mut |n| {
            if let Node::Path(p) = n {
                match resolve(p) {
                    Ok(name) => *n = Node::Ref(name),
                    Err(e) => errors.push(e),
                }
            }
        });
        errors
    }

    /// Every bare name (choice column) this expression uses.
    pub fn columns(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        visit(&self.root, &mut |n| {
            if let Node::Column(c) = n {
                out.insert(c.clone());
            }
        });
        out
    }

    /// Whether the expression reads `.` (the answer it is attached to).
    pub fn uses_current(&self) -> bool {
        let mut found = false;
        visit(&self.root, &mut |n| found |= matches!(n, Node::Current));
        found
    }

    /// Whether the expression calls `if()` with two arguments (read as `if(c, a, '')`; ODK
    /// Collect refuses it when it evaluates it).
    pub fn two_argument_ifs(&self) -> bool {
        let mut found = false;
        visit(&self.root, &mut |n| found |= matches!(n, Node::Call(Func::If, args) if args.len() == 2));
        found
    }

    /// Whether the expression reads the clock (`today()`, `now()`).
    pub fn uses_clock(&self) -> bool {
        let mut found = false;
        visit(&self.root, &mut |n| found |= matches!(n, Node::Call(Func::Today | Func::Now | Func::Random | Func::Uuid, _)));
        found
    }
}

// Trees are at most `parser::MAX_TREE_DEPTH` deep (lookups' predicates included), so these
// walks are bounded.
fn visit(n: &Node, f: &mut dyn FnMut(&Node)) {
    f(n);
    match n {
        Node::Neg(a) | Node::RegexLit(a, _) => visit(a, f),
        Node::Bin(_, a, b) => {
            visit(a, f);
            visit(b, f);
        }
        Node::Call(_, args) => args.iter().for_each(|a| visit(a, f)),
        Node::Lookup(l) => l.predicates.iter().for_each(|a| visit(a, f)),
        _ => {}
    }
}

fn visit_mut(n: &mut Node, f: &mut dyn FnMut(&mut Node)) {
    f(n);
    match n {
        Node::Neg(a) | Node::RegexLit(a, _) => visit_mut(a, f),
        Node::Bin(_, a, b) => {
            visit_mut(a, f);
            visit_mut(b, f);
        }
        Node::Call(_, args) => args.iter_mut().for_each(|a| visit_mut(a, f)),
        Node::Lookup(l) => l.predicates.iter_mut().for_each(|a| visit_mut(a, f)),
        _ => {}
    }
}

/// What an expression can see: answers by name, the current answer, choice columns, the
/// position of the current repeat row and the clock.
pub trait Scope {
    /// The answers of question (or repeat) `name`, as a node-set: one node for a question
    /// outside repeats or in the current row, one per row seen from outside the repeat, one
    /// per row for a repeat itself. Unknown names give an empty node-set.
    fn reference(&self, name: &str) -> Value;

    /// `.`: the answer the expression belongs to.
    fn current(&self) -> Value {
        Value::Nodes(Vec::new())
    }

    /// A bare name inside a `choice_filter`: a column of the choice being filtered.
    fn column(&self, _name: &str) -> Value {
        Value::Nodes(Vec::new())
    }

    /// 1-based position of the current repeat row.
    fn position(&self) -> Option<usize> {
        None
    }

    /// Every answer of question `name`, one per repeat row wherever the expression stands
    /// (for `indexed-repeat`); for a question outside repeats, its one answer.
    fn all_rows(&self, name: &str) -> Value {
        self.reference(name)
    }

    /// The answer of question `name` in the row reached through `levels`, outermost first: row
    /// `i` (1-based) of each repeat, each within the row chosen before
    /// (`indexed-repeat(${q}, ${members}, 2, ${children}, 1)`). Empty when a row is missing.
    fn indexed_row(&self, name: &str, levels: &[(String, usize)]) -> Value {
        match levels {
            [(_, i)] => match self.all_rows(name) {
                Value::Nodes(rows) => Value::Nodes(rows.get(i - 1).cloned().map(|v| vec![v]).unwrap_or_default()),
                _ => Value::Nodes(Vec::new()),
            },
            _ => Value::Nodes(Vec::new()),
        }
    }

    /// The label of choice `value` of select question `question` (`jr:choice-name`).
    fn choice_label(&self, _question: &str, _value: &str) -> Option<String> {
        None
    }

    /// The value at `path` (`/context/x`) of secondary instance `instance`
    /// (`instance('contact-summary')/context/x`); an empty node-set when it has none.
    fn instance_value(&self, _instance: &str, _path: &str) -> Value {
        Value::Nodes(Vec::new())
    }

    /// The items of attachment or secondary instance `instance` (`instance('features')`,
    /// `pulldata('features', …)`), when the app supplied them.
    fn instance_items(&self, _instance: &str) -> Option<Arc<InstanceItems>> {
        None
    }

    /// `${last-saved#name}`: the answer to `name` in the last response saved with the form.
    fn last_saved(&self, _name: &str) -> Value {
        Value::Nodes(Vec::new())
    }

    /// A bare name inside a lookup's predicate: the field of the item being tested.
    fn item_field(&self, _name: &str) -> Value {
        Value::Nodes(Vec::new())
    }

    /// Random bits for `random()` and `uuid()`.
    fn random_u64(&self) -> u64 {
        let b = uuid::Uuid::new_v4();
        let (hi, _) = b.as_u64_pair();
        hi
    }

    /// The time `today()` and `now()` read.
    fn clock(&self) -> Clock {
        Clock::system()
    }
}
