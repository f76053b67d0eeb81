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
        Node::Instance(name, path) => scope.instance_value(name, path),
        Node::Lookup(l) => lookup(l, scope)?,
        Node::Field(name) => scope.item_field(name),
        Node::LastSaved(name) => scope.last_saved(name),
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

/// The scope of a lookup's predicate: bare names are the fields of the item tested,
/// everything else is the expression's own scope.
struct ItemScope<'a> {
    outer: &'a dyn Scope,
    item: &'a BTreeMap<String, String>,
}

impl Scope for ItemScope<'_> {
    fn reference(&self, name: &str) -> Value {
        self.outer.reference(name)
    }
    fn current(&self) -> Value {
        self.outer.current()
    }
    fn column(&self, name: &str) -> Value {
        self.outer.column(name)
    }
    fn position(&self) -> Option<usize> {
        self.outer.position()
    }
    fn all_rows(&self, name: &str) -> Value {
        self.outer.all_rows(name)
    }
    fn choice_label(&self, question: &str, value: &str) -> Option<String> {
        self.outer.choice_label(question, value)
    }
    fn instance_value(&self, instance: &str, path: &str) -> Value {
        self.outer.instance_value(instance, path)
    }
    fn instance_items(&self, instance: &str) -> Option<std::sync::Arc<super::InstanceItems>> {
        self.outer.instance_items(instance)
    }
    fn last_saved(&self, name: &str) -> Value {
        self.outer.last_saved(name)
    }
    fn item_field(&self, name: &str) -> Value {
        match self.item.get(name) {
            Some(v) => Value::Nodes(vec![Value::Str(v.clone())]),
            None => Value::Nodes(Vec::new()),
        }
    }
    fn random_u64(&self) -> u64 {
        self.outer.random_u64()
    }
    fn clock(&self) -> Clock {
        self.outer.clock()
    }
}

/// `instance('x')/root/item[…]/field`: the matching items' field values, as a node-set.
fn lookup(l: &super::Lookup, scope: &dyn Scope) -> Result<Value, EvalError> {
    let Some(data) = scope.instance_items(&l.instance) else { return Ok(Value::Nodes(Vec::new())) };
    let mut out = Vec::new();
    for (k, item) in data.items.iter().enumerate() {
        let is = ItemScope { outer: scope, item };
        let mut pass = true;
        for p in &l.predicates {
            pass = match eval(p, &is)? {
                Value::Num(n) => (k + 1) as f64 == n,
                v => v.to_bool(),
            };
            if !pass {
                break;
            }
        }
        if pass {
            out.push(match &l.field {
                Some(f) => item.get(f).cloned().unwrap_or_default(),
                None => item.get("name").cloned().unwrap_or_default(),
            });
        }
    }
    Ok(Value::Nodes(out.into_iter().map(Value::Str).collect()))
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
            } else if args.len() > 2 {
                arg(2)?
            } else {
                Value::Str(String::new())
            }
        }
        Func::Coalesce => {
            // The first value that is not empty (ODK takes two; CHT and SurveyCTO more).
            let mut last = Value::Str(String::new());
            for a in args {
                let v = eval(a, scope)?;
                if !v.is_empty_answer() {
                    return Ok(v.first());
                }
                last = v.first();
            }
            last
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
        Func::Floor => Value::Num(arg(0)?.to_num().floor()),
        Func::Ceiling => Value::Num(arg(0)?.to_num().ceil()),
        Func::Abs => Value::Num(arg(0)?.to_num().abs()),
        Func::Pow => Value::Num(arg(0)?.to_num().powf(arg(1)?.to_num())),
        Func::Sqrt => Value::Num(arg(0)?.to_num().sqrt()),
        Func::Exp => Value::Num(arg(0)?.to_num().exp()),
        Func::Log => Value::Num(arg(0)?.to_num().ln()),
        Func::Log10 => Value::Num(arg(0)?.to_num().log10()),
        Func::Pi => Value::Num(std::f64::consts::PI),
        Func::Min | Func::Max => {
            // Over every node of every argument; an empty value makes the result NaN (ODK).
            let mut nums = Vec::new();
            for a in args {
                match eval(a, scope)? {
                    Value::Nodes(n) => nums.extend(n.iter().map(Value::to_num)),
                    v => nums.push(v.to_num()),
                }
            }
            if nums.is_empty() || nums.iter().any(|n| n.is_nan()) {
                Value::Num(f64::NAN)
            } else if f == Func::Min {
                Value::Num(nums.into_iter().fold(f64::INFINITY, f64::min))
            } else {
                Value::Num(nums.into_iter().fold(f64::NEG_INFINITY, f64::max))
            }
        }
        Func::Join => {
            let sep = arg(0)?.to_text();
            let mut parts = Vec::new();
            for a in &args[1..] {
                match eval(a, scope)? {
                    Value::Nodes(n) => parts.extend(n.iter().map(Value::to_text)),
                    v => parts.push(v.to_text()),
                }
            }
            Value::Str(parts.join(&sep))
        }
        Func::Once => {
            // The value is computed while the question is empty, then kept.
            let cur = scope.current();
            if cur.is_empty_answer() {
                arg(0)?
            } else {
                cur.first()
            }
        }
        Func::ChoiceName => {
            let value = arg(0)?.to_text();
            let question = match args.get(1) {
                Some(Node::Ref(q)) => q.as_str(),
                _ => "",
            };
            Value::Str(scope.choice_label(question, value.trim()).unwrap_or_default())
        }
        Func::DateTime => match arg(0)?.first() {
            Value::Str(t) if t.trim().is_empty() => Value::Str(String::new()),
            v @ Value::DateTime(..) => v,
            Value::Str(t) if t.contains('T') => match dates::parse_datetime(&t, clock().utc_offset_min) {
                Some((ms, off)) => Value::DateTime(ms, off),
                None => return Err(EvalError::Type("date-time() needs a date-time".into())),
            },
            v => {
                let days = v.to_days(clock().utc_offset_min);
                if !days.is_finite() || days.abs() > dates::MAX_DAYS as f64 {
                    return Err(EvalError::Type("date-time() needs a date, a date-time or a number of days".into()));
                }
                let off = clock().utc_offset_min;
                Value::DateTime((days * 86_400_000.0).round() as i64 - i64::from(off) * 60_000, off)
            }
        },
        Func::DecimalDateTime => {
            let v = arg(0)?.first();
            if v.is_empty_answer() {
                Value::Num(f64::NAN)
            } else {
                Value::Num(v.to_days(clock().utc_offset_min))
            }
        }
        Func::FormatDateTime => format_date(&arg(0)?.first(), &arg(1)?.to_text(), &clock())?,
        Func::Pulldata => {
            // The first item whose key column equals the key, as ODK's pulldata() reads it.
            let (file, column, key_column, key) = (arg(0)?.to_text(), arg(1)?.to_text(), arg(2)?.to_text(), arg(3)?.to_text());
            let file = file.trim().trim_end_matches(".csv");
            let found = scope.instance_items(file).and_then(|d| {
                d.items.iter().find(|it| it.get(key_column.trim()).map(|v| v == key.trim()).unwrap_or(false)).and_then(|it| it.get(column.trim()).cloned())
            });
            Value::Str(found.unwrap_or_default())
        }
        Func::IndexedRepeat => {
            // indexed-repeat(${q}, ${repeat1}, i1 [, ${repeat2}, i2 …]): a row at each level.
            let Some(Node::Ref(q)) = args.first() else { return Ok(Value::Str(String::new())) };
            let mut levels = Vec::new();
            for pair in args[1..].chunks(2) {
                let (Some(Node::Ref(r)), Some(i)) = (pair.first(), pair.get(1)) else { return Ok(Value::Nodes(Vec::new())) };
                let i = eval(i, scope)?.to_num();
                if !i.is_finite() || i < 1.0 {
                    return Ok(Value::Nodes(Vec::new()));
                }
                levels.push((r.clone(), i as usize));
            }
            scope.indexed_row(q, &levels)
        }
        Func::Uuid => {
            if args.is_empty() {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&scope.random_u64().to_be_bytes());
                b[8..].copy_from_slice(&scope.random_u64().to_be_bytes());
                Value::Str(uuid::Builder::from_random_bytes(b).into_uuid().to_string())
            } else {
                let n = arg(0)?.to_num();
                let n = if n.is_finite() && n > 0.0 { (n as usize).min(1024) } else { 0 };
                const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
                Value::Str((0..n).map(|_| ALNUM[(scope.random_u64() % ALNUM.len() as u64) as usize] as char).collect())
            }
        }
        Func::Random => Value::Num((scope.random_u64() >> 11) as f64 / (1u64 << 53) as f64),
        Func::Digest => {
            use sha2::Digest as _;
            let data = arg(0)?.to_text();
            let algo = arg(1)?.to_text();
            let enc = if args.len() > 2 { arg(2)?.to_text() } else { "base64".into() };
            let bytes: Vec<u8> = match algo.trim().to_uppercase().as_str() {
                "SHA-256" => sha2::Sha256::digest(data.as_bytes()).to_vec(),
                "SHA-384" => sha2::Sha384::digest(data.as_bytes()).to_vec(),
                "SHA-512" => sha2::Sha512::digest(data.as_bytes()).to_vec(),
                other => return Err(EvalError::Type(format!("digest() supports SHA-256, SHA-384 and SHA-512, not '{other}'"))),
            };
            match enc.trim().to_lowercase().as_str() {
                "hex" => Value::Str(hex::encode(bytes)),
                "base64" => Value::Str(base64(&bytes)),
                other => return Err(EvalError::Type(format!("digest() encodes as 'base64' or 'hex', not '{other}'"))),
            }
        }
        Func::BooleanFromString => {
            let t = arg(0)?.to_text();
            Value::Bool(matches!(t.trim(), "true" | "1"))
        }
        Func::SubstringBefore => {
            let (a, b) = (arg(0)?.to_text(), arg(1)?.to_text());
            Value::Str(a.find(&b).map(|i| a[..i].to_string()).unwrap_or_default())
        }
        Func::SubstringAfter => {
            let (a, b) = (arg(0)?.to_text(), arg(1)?.to_text());
            Value::Str(a.find(&b).map(|i| a[i + b.len()..].to_string()).unwrap_or_default())
        }
        Func::NormalizeSpace => Value::Str(arg(0)?.to_text().split_whitespace().collect::<Vec<_>>().join(" ")),
        Func::Translate => {
            let (s, from, to) = (arg(0)?.to_text(), arg(1)?.to_text(), arg(2)?.to_text());
            let (from, to): (Vec<char>, Vec<char>) = (from.chars().collect(), to.chars().collect());
            Value::Str(
                s.chars()
                    .filter_map(|c| match from.iter().position(|&f| f == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect(),
            )
        }
        Func::CountNonEmpty => match arg(0)? {
            Value::Nodes(n) => Value::Num(n.iter().filter(|v| !v.is_empty_answer()).count() as f64),
            v => Value::Num(if v.is_empty_answer() { 0.0 } else { 1.0 }),
        },
        Func::DifferenceInMonths => {
            let off = clock().utc_offset_min;
            let (a, b) = (arg(0)?.to_date(off), arg(1)?.to_date(off));
            match (a, b) {
                (Ok(Some(a)), Ok(Some(b))) => {
                    let ((y1, m1, d1), (y2, m2, d2)) = (dates::civil_from_days(a), dates::civil_from_days(b));
                    let mut months = (y2 - y1) * 12 + i64::from(m2) - i64::from(m1);
                    if d2 < d1 {
                        months -= 1;
                    }
                    Value::Num(months as f64)
                }
                // CHT gives an empty result for an empty or unreadable date.
                _ => Value::Str(String::new()),
            }
        }
        Func::AddDate => {
            let off = clock().utc_offset_min;
            let start = arg(0)?.first();
            let (ms, off) = match &start {
                Value::DateTime(ms, o) => (*ms, *o),
                Value::Str(t) if t.contains('T') => match dates::parse_datetime(t, off) {
                    Some(x) => x,
                    None => return Ok(Value::Str(String::new())),
                },
                v => match v.to_date(off) {
                    Ok(Some(d)) => (d * 86_400_000 - i64::from(off) * 60_000, off),
                    _ => return Ok(Value::Str(String::new())),
                },
            };
            let mut n = [0f64; 5];
            for (k, slot) in n.iter_mut().enumerate() {
                if let Some(a) = args.get(k + 1) {
                    let x = eval(a, scope)?.to_num();
                    *slot = if x.is_finite() { x.trunc().clamp(-1e6, 1e6) } else { 0.0 };
                }
            }
            let local = ms + i64::from(off) * 60_000;
            let (days, in_day) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000));
            let (y, m, d) = dates::civil_from_days(days);
            let total_months = y * 12 + i64::from(m) - 1 + (n[0] as i64) * 12 + n[1] as i64;
            let (ny, nm) = (total_months.div_euclid(12), (total_months.rem_euclid(12) + 1) as u32);
            if ny.abs() > 100_000 {
                return Err(EvalError::Type("add-date() goes out of range".into()));
            }
            // A day past the end of the month rolls over, as JavaScript dates do.
            let base = dates::days_from_civil(ny, nm, 1) + i64::from(d) - 1 + n[2] as i64;
            let local = base * 86_400_000 + in_day + (n[3] as i64) * 3_600_000 + (n[4] as i64) * 60_000;
            Value::DateTime(local - i64::from(off) * 60_000, off)
        }
        Func::ParseTimestampToDate => {
            // Milliseconds since 1970 (as CHT stores times) to a date-time.
            let ms = arg(0)?.to_num();
            if !ms.is_finite() || ms.abs() > (dates::MAX_DAYS as f64) * 86_400_000.0 {
                Value::Str(String::new())
            } else {
                Value::DateTime(ms as i64, clock().utc_offset_min)
            }
        }
        Func::Area => Value::Num(geo_area(&arg(0)?.to_text())),
        Func::Distance => Value::Num(geo_distance(&arg(0)?.to_text())),
    })
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

/// Points of a geotrace or geoshape (`lat lon [alt [acc]]; …`) as (lat, lon) in radians.
fn geo_points(s: &str) -> Option<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    for p in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = p.split_whitespace().map(|x| x.parse::<f64>().ok());
        let (Some(Some(lat)), Some(Some(lon))) = (it.next(), it.next()) else { return None };
        out.push((lat.to_radians(), lon.to_radians()));
    }
    Some(out)
}

const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// ODK's `distance()`: the length in metres along the points (great circle between each).
fn geo_distance(s: &str) -> f64 {
    let Some(p) = geo_points(s) else { return f64::NAN };
    p.windows(2)
        .map(|w| {
            let ((la1, lo1), (la2, lo2)) = (w[0], w[1]);
            let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
        })
        .sum()
}

/// ODK's `area()`: the area in square metres of the polygon (spherical excess, as JavaRosa).
fn geo_area(s: &str) -> f64 {
    let Some(mut p) = geo_points(s) else { return f64::NAN };
    if p.len() > 1 && p.first() == p.last() {
        p.pop();
    }
    if p.len() < 3 {
        return 0.0;
    }
    let mut total = 0.0;
    for i in 0..p.len() {
        let (la1, lo1) = p[i];
        let (la2, lo2) = p[(i + 1) % p.len()];
        total += (lo2 - lo1) * (2.0 + la1.sin() + la2.sin());
    }
    (total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0).abs()
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
