//! Evaluation of parsed expressions, and ODK's functions.

use std::collections::BTreeMap;

use super::dates::{self, Clock};
use super::value::{equals, relate, Value};
use super::{BinOp, EvalError, Func, Node, Scope};

/// Compiles a regular expression with bounded memory.
pub(crate) fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| format!("invalid regular expression: {}", first_line(&e.to_string())))
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or("").trim().chars().take(120).collect()
}

fn tokens(v: &Value) -> Vec<String> {
    v.to_text().split_whitespace().map(str::to_string).collect()
}

fn chars_between(s: &str, start: f64, end: f64) -> String {
    let len = s.chars().count() as f64;
    let start = if start.is_nan() { 0.0 } else { start.clamp(0.0, len) };
    let end = if end.is_nan() { len } else { end.clamp(start, len) };
    s.chars().skip(start as usize).take((end - start) as usize).collect()
}

fn round_to(x: f64, digits: f64) -> f64 {
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    let digits = if digits.is_nan() { 0 } else { digits.clamp(-300.0, 300.0) as i32 };
    let f = 10f64.powi(digits);
    let scaled = x * f;
    if !scaled.is_finite() {
        return x;
    }
    // Half away from zero, as ODK's round(x, n).
    (scaled.abs() + 0.5).floor() * scaled.signum() / f
}

pub(crate) fn eval(n: &Node, scope: &dyn Scope) -> Result<Value, EvalError> {
    Ok(match n {
        Node::Num(x) => Value::Num(*x),
        Node::Str(s) => Value::Str(s.clone()),
        Node::Ref(name) => scope.reference(name),
        // A path that names no question (resolved ones became references when the form
        // was compiled) is an empty node-set, as in XPath.
        Node::Path(_) => Value::Nodes(Vec::new()),
        Node::Current => scope.current(),
        Node::Parent => Value::Nodes(Vec::new()),
        Node::Column(c) => scope.column(c),
        Node::Neg(a) => Value::Num(-eval(a, scope)?.to_num()),
        Node::Bin(op, a, b) => {
            match op {
                BinOp::Or => return Ok(Value::Bool(eval(a, scope)?.to_bool() || eval(b, scope)?.to_bool())),
                BinOp::And => return Ok(Value::Bool(eval(a, scope)?.to_bool() && eval(b, scope)?.to_bool())),
                _ => {}
            }
            let (x, y) = (eval(a, scope)?, eval(b, scope)?);
            let offset = if matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
                scope.clock().utc_offset_min
            } else {
                0
            };
            match op {
                BinOp::Eq => Value::Bool(equals(&x, &y, false, offset)),
                BinOp::Ne => Value::Bool(equals(&x, &y, true, offset)),
                BinOp::Lt => Value::Bool(relate(&x, &y, |a, b| a < b, offset)),
                BinOp::Le => Value::Bool(relate(&x, &y, |a, b| a <= b, offset)),
                BinOp::Gt => Value::Bool(relate(&x, &y, |a, b| a > b, offset)),
                BinOp::Ge => Value::Bool(relate(&x, &y, |a, b| a >= b, offset)),
                BinOp::Add => Value::Num(x.to_num() + y.to_num()),
                BinOp::Sub => Value::Num(x.to_num() - y.to_num()),
                BinOp::Mul => Value::Num(x.to_num() * y.to_num()),
                BinOp::Div => Value::Num(x.to_num() / y.to_num()),
                // XPath mod keeps the sign of the dividend, like Rust's %; x mod 0 is NaN.
                BinOp::Mod => Value::Num(x.to_num() % y.to_num()),
                BinOp::Or | BinOp::And => Value::Bool(false),
            }
        }
        Node::RegexLit(subject, re) => Value::Bool(re.is_match(&eval(subject, scope)?.to_text())),
        Node::Call(f, args) => call(*f, args, scope)?,
    })
}

fn call(f: Func, args: &[Node], scope: &dyn Scope) -> Result<Value, EvalError> {
    let clock = || scope.clock();
    let arg = |i: usize| -> Result<Value, EvalError> {
        match args.get(i) {
            Some(a) => eval(a, scope),
            None => Ok(scope.current()),
        }
    };
    Ok(match f {
        Func::Selected => {
            let want = arg(1)?.to_text();
            let want = want.trim();
            Value::Bool(tokens(&arg(0)?).iter().any(|t| t == want))
        }
        Func::CountSelected => Value::Num(tokens(&arg(0)?).len() as f64),
        Func::SelectedAt => {
            let toks = tokens(&arg(0)?);
            let i = arg(1)?.to_num();
            let pick = if i.is_finite() && i >= 0.0 { toks.get(i as usize).cloned() } else { None };
            Value::Str(pick.unwrap_or_default())
        }
        Func::StringLength => Value::Num(arg(0)?.to_text().chars().count() as f64),
        Func::Concat => {
            let mut out = String::new();
            for a in args {
                match eval(a, scope)? {
                    Value::Nodes(nodes) => nodes.iter().for_each(|n| out += &n.to_text()),
                    v => out += &v.to_text(),
                }
            }
            Value::Str(out)
        }
        Func::Substr => {
            let s = arg(0)?.to_text();
            let start = arg(1)?.to_num();
            let end = if args.len() > 2 { arg(2)?.to_num() } else { f64::NAN };
            Value::Str(chars_between(&s, start, end))
        }
        Func::Contains => Value::Bool(arg(0)?.to_text().contains(&arg(1)?.to_text())),
        Func::StartsWith => Value::Bool(arg(0)?.to_text().starts_with(&arg(1)?.to_text())),
        Func::EndsWith => Value::Bool(arg(0)?.to_text().ends_with(&arg(1)?.to_text())),
        Func::Regex => {
            let re = compile_regex(&arg(1)?.to_text()).map_err(EvalError::Regex)?;
            Value::Bool(re.is_match(&arg(0)?.to_text()))
        }
        Func::If => {
            if arg(0)?.to_bool() {
                arg(1)?
            } else {
                arg(2)?
            }
        }
        Func::Coalesce => {
            let a = arg(0)?;
            if a.is_empty_answer() {
                arg(1)?.first()
            } else {
                a.first()
            }
        }
        Func::Round => {
            let x = arg(0)?.to_num();
            if args.len() > 1 {
                Value::Num(round_to(x, arg(1)?.to_num()))
            } else if x.is_finite() {
                Value::Num((x + 0.5).floor())
            } else {
                Value::Num(x)
            }
        }
        Func::Int => Value::Num(arg(0)?.to_num().trunc()),
        Func::Number => Value::Num(arg(0)?.to_num()),
        Func::StringFn => Value::Str(arg(0)?.to_text()),
        Func::Boolean => Value::Bool(arg(0)?.to_bool()),
        Func::Not => Value::Bool(!arg(0)?.to_bool()),
        Func::True => Value::Bool(true),
        Func::False => Value::Bool(false),
        Func::Today => Value::Date(clock().today()),
        Func::Now => {
            let c = clock();
            Value::DateTime(c.now_ms, c.utc_offset_min)
        }
        Func::Date => match arg(0)?.to_date(clock().utc_offset_min).map_err(EvalError::Type)? {
            Some(d) => Value::Date(d),
            None => Value::Str(String::new()),
        },
        Func::FormatDate => format_date(&arg(0)?.first(), &arg(1)?.to_text(), &clock())?,
        Func::Position => match scope.position() {
            Some(p) => Value::Num(p as f64),
            None => Value::Num(f64::NAN),
        },
        Func::Count => match arg(0)? {
            Value::Nodes(n) => Value::Num(n.len() as f64),
            _ => Value::Num(1.0),
        },
        Func::Sum => match arg(0)? {
            Value::Nodes(n) => Value::Num(n.iter().map(Value::to_num).sum()),
            v => Value::Num(v.to_num()),
        },
    })
}

fn format_date(v: &Value, fmt: &str, clock: &Clock) -> Result<Value, EvalError> {
    let local_ms = match v {
        Value::DateTime(ms, off) => ms.saturating_add(i64::from(*off) * 60_000),
        Value::Str(s) if s.trim().is_empty() => return Ok(Value::Str(String::new())),
        Value::Str(s) if s.contains('T') => match dates::parse_datetime(s, clock.utc_offset_min) {
            Some((ms, off)) => ms + i64::from(off) * 60_000,
            None => return Err(EvalError::Type("format-date() needs a date or a date-time".into())),
        },
        other => match other.to_date(clock.utc_offset_min).map_err(EvalError::Type)? {
            Some(d) => d * 86_400_000,
            None => return Ok(Value::Str(String::new())),
        },
    };
    let days = local_ms.div_euclid(86_400_000);
    if days.abs() > dates::MAX_DAYS {
        return Err(EvalError::Type("the date is out of range".into()));
    }
    Ok(Value::Str(dates::format_date(local_ms, fmt)))
}

/// A [`Scope`] over plain name → answers, for tests, tools and one-off checks.
#[derive(Debug, Clone, Default)]
pub struct MapScope {
    values: BTreeMap<String, Vec<Value>>,
    current: Option<Value>,
    columns: BTreeMap<String, String>,
    position: Option<usize>,
    clock: Option<Clock>,
}

impl MapScope {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds `name` with one text answer (`""` for unanswered).
    pub fn with(mut self, name: &str, answer: &str) -> Self {
        self.values.insert(name.into(), vec![Value::Str(answer.into())]);
        self
    }
    /// Adds `name` with a typed answer.
    pub fn with_value(mut self, name: &str, v: Value) -> Self {
        self.values.insert(name.into(), vec![v]);
        self
    }
    /// Adds `name` with one answer per repeat row.
    pub fn with_rows(mut self, name: &str, answers: &[&str]) -> Self {
        self.values.insert(name.into(), answers.iter().map(|a| Value::Str((*a).into())).collect());
        self
    }
    /// Sets `.`.
    pub fn current(mut self, v: Value) -> Self {
        self.current = Some(v);
        self
    }
    /// Sets a choice column for a choice filter.
    pub fn column(mut self, name: &str, v: &str) -> Self {
        self.columns.insert(name.into(), v.into());
        self
    }
    pub fn position(mut self, p: usize) -> Self {
        self.position = Some(p);
        self
    }
    pub fn clock(mut self, c: Clock) -> Self {
        self.clock = Some(c);
        self
    }
}

impl Scope for MapScope {
    fn reference(&self, name: &str) -> Value {
        Value::Nodes(self.values.get(name).cloned().unwrap_or_default())
    }
    fn current(&self) -> Value {
        self.current.clone().map(|v| Value::Nodes(vec![v])).unwrap_or(Value::Nodes(Vec::new()))
    }
    fn column(&self, name: &str) -> Value {
        match self.columns.get(name) {
            Some(v) => Value::Nodes(vec![Value::Str(v.clone())]),
            None => Value::Nodes(Vec::new()),
        }
    }
    fn position(&self) -> Option<usize> {
        self.position
    }
    fn clock(&self) -> Clock {
        self.clock.unwrap_or_else(Clock::system)
    }
}
