//! Values of the expression language and XPath's conversions and comparisons between them.

use super::dates::{self, MAX_DAYS};

const DAY_MS: f64 = 86_400_000.0;

/// A value: a scalar, or the node-set a reference evaluates to (its answers, each a scalar).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i64),
    /// Unix milliseconds and the UTC offset (minutes) it was taken in.
    DateTime(i64, i32),
    /// The answers a reference stands for. An unanswered question is one empty string.
    Nodes(Vec<Value>),
}

/// XPath's number-to-string: integers without a decimal point, `NaN`, `Infinity`.
pub(crate) fn num_to_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if n == n.trunc() && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// XPath's string-to-number: optional `-`, digits with at most one `.`; anything else is NaN.
pub(crate) fn text_to_num(s: &str) -> f64 {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|&b| b == b'.').count() <= 1
        && body != ".";
    if ok {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

impl Value {
    /// The first node of a node-set, or the value itself. An empty node-set is `""`.
    pub fn first(&self) -> Value {
        match self {
            Value::Nodes(n) => n.first().cloned().unwrap_or(Value::Str(String::new())),
            v => v.clone(),
        }
    }

    /// XPath `string()`.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Num(n) => num_to_text(*n),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => dates::format_iso_date(*d),
            Value::DateTime(ms, off) => dates::format_iso_datetime(*ms, *off),
            Value::Nodes(n) => n.first().map(Value::to_text).unwrap_or_default(),
        }
    }

    /// XPath `number()`; a date is its day count, a date-time fractional days (local time).
    pub fn to_num(&self) -> f64 {
        match self {
            Value::Str(s) => text_to_num(s),
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Date(d) => *d as f64,
            Value::DateTime(ms, off) => (*ms as f64 + f64::from(*off) * 60_000.0) / DAY_MS,
            Value::Nodes(n) => n.first().map(Value::to_num).unwrap_or(f64::NAN),
        }
    }

    /// XPath `boolean()`: a node-set is true when it has nodes (even an empty answer).
    pub fn to_bool(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::Date(_) | Value::DateTime(..) => true,
            Value::Nodes(n) => !n.is_empty(),
        }
    }

    /// Whether this is an empty answer (`""` or no nodes).
    pub fn is_empty_answer(&self) -> bool {
        self.to_text().is_empty()
    }

    fn is_datelike(&self) -> bool {
        matches!(self, Value::Date(_) | Value::DateTime(..))
    }

    /// The value as (fractional) days for comparing with a date; strings are parsed as dates.
    pub(crate) fn to_days(&self, offset: i32) -> f64 {
        match self {
            Value::Str(s) => {
                if let Some(d) = dates::parse_date(s) {
                    d as f64
                } else if let Some((ms, off)) = dates::parse_datetime(s, offset) {
                    Value::DateTime(ms, off).to_num()
                } else {
                    text_to_num(s)
                }
            }
            other => other.to_num(),
        }
    }

    /// Converts to a date (days): dates, date-times, numbers (days) and `YYYY-MM-DD` text.
    /// `Ok(None)` for an empty value; `Err` for anything else.
    pub(crate) fn to_date(&self, offset: i32) -> Result<Option<i64>, String> {
        let v = self.first();
        let days = match &v {
            Value::Date(d) => *d,
            Value::DateTime(ms, off) => (*ms + i64::from(*off) * 60_000).div_euclid(86_400_000),
            Value::Num(n) if n.is_nan() => return Ok(None),
            Value::Num(n) => n.floor() as i64,
            Value::Str(s) if s.trim().is_empty() => return Ok(None),
            Value::Str(s) => match dates::parse_date(s) {
                Some(d) => d,
                None => match dates::parse_datetime(s, offset) {
                    Some((ms, off)) => (ms + i64::from(off) * 60_000).div_euclid(86_400_000),
                    None => return Err("the text is not a date written YYYY-MM-DD".into()),
                },
            },
            Value::Bool(_) => return Err("a true/false value is not a date".into()),
            Value::Nodes(_) => return Ok(None),
        };
        if days.abs() > MAX_DAYS {
            return Err("the date is out of range".into());
        }
        Ok(Some(days))
    }
}

/// Equality of two scalars, JavaRosa style: booleans as booleans, else numbers if either is a
/// number, else dates if either is a date, else text.
fn atom_eq(a: &Value, b: &Value, offset: i32) -> bool {
    match (a, b) {
        (Value::Bool(_), _) | (_, Value::Bool(_)) => a.to_bool() == b.to_bool(),
        (Value::Num(_), _) | (_, Value::Num(_)) => a.to_num() == b.to_num(),
        _ if a.is_datelike() || b.is_datelike() => {
            let (x, y) = (a.to_days(offset), b.to_days(offset));
            if x.is_nan() || y.is_nan() {
                a.to_text() == b.to_text()
            } else {
                x == y
            }
        }
        _ => a.to_text() == b.to_text(),
    }
}

/// `<`, `<=`, `>`, `>=` of two scalars: as dates if either is a date, else as numbers.
fn atom_rel(a: &Value, b: &Value, cmp: fn(f64, f64) -> bool, offset: i32) -> bool {
    if a.is_datelike() || b.is_datelike() {
        cmp(a.to_days(offset), b.to_days(offset))
    } else {
        cmp(a.to_num(), b.to_num())
    }
}

fn atoms(v: &Value) -> &[Value] {
    match v {
        Value::Nodes(n) => n,
        other => std::slice::from_ref(other),
    }
}

/// `=` (or `!=` with `negate`) with XPath's node-set rules: true when some pair matches;
/// a node-set against a boolean compares the node-set's boolean.
pub(crate) fn equals(a: &Value, b: &Value, negate: bool, offset: i32) -> bool {
    match (a, b) {
        (Value::Nodes(_), Value::Bool(x)) | (Value::Bool(x), Value::Nodes(_)) => {
            let n = if matches!(a, Value::Nodes(_)) { a } else { b };
            (n.to_bool() == *x) != negate
        }
        _ => atoms(a).iter().any(|x| atoms(b).iter().any(|y| atom_eq(x, y, offset) != negate)),
    }
}

/// Relational comparison with XPath's node-set rules.
pub(crate) fn relate(a: &Value, b: &Value, cmp: fn(f64, f64) -> bool, offset: i32) -> bool {
    atoms(a).iter().any(|x| atoms(b).iter().any(|y| atom_rel(x, y, cmp, offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_xpath() {
        assert_eq!(num_to_text(3.0), "3");
        assert_eq!(num_to_text(-0.0), "0");
        assert_eq!(num_to_text(2.5), "2.5");
        assert_eq!(num_to_text(f64::NAN), "NaN");
        assert_eq!(num_to_text(f64::INFINITY), "Infinity");
    }

    #[test]
    fn text_to_number_is_strict() {
        assert_eq!(text_to_num(" 42 "), 42.0);
        assert_eq!(text_to_num("-1.5"), -1.5);
        assert!(text_to_num("").is_nan());
        assert!(text_to_num("1e3").is_nan());
        assert!(text_to_num("12abc").is_nan());
        assert!(text_to_num(".").is_nan());
    }

    #[test]
    fn node_sets_compare_existentially() {
        let ages = Value::Nodes(vec![Value::Num(12.0), Value::Num(40.0)]);
        assert!(relate(&ages, &Value::Num(18.0), |a, b| a > b, 0));
        assert!(relate(&ages, &Value::Num(18.0), |a, b| a < b, 0));
        assert!(equals(&ages, &Value::Str("40".into()), false, 0));
        assert!(!equals(&Value::Nodes(vec![]), &Value::Str(String::new()), false, 0));
        assert!(!equals(&Value::Nodes(vec![]), &Value::Str(String::new()), true, 0));
    }

    #[test]
    fn dates_compare_with_date_text() {
        let d = Value::Date(dates::parse_date("2024-05-01").unwrap());
        assert!(relate(&d, &Value::Str("2024-01-01".into()), |a, b| a > b, 0));
        assert!(equals(&d, &Value::Str("2024-05-01".into()), false, 0));
    }
}
