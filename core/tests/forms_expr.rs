//! The expression language: every function, XPath/ODK semantics for empty answers, division by
//! zero and type mismatches, every error case, and random input never panicking.

use proptest::prelude::*;
use sangam_core::forms::expr::{Clock, EvalError, Expr, MapScope, Value, FUNCTIONS};

/// 2024-03-05T06:30:00Z, seen from India (+05:30): 12:00 local.
fn clock() -> Clock {
    Clock::fixed(1_709_620_200_000, 330)
}

fn scope() -> MapScope {
    MapScope::new()
        .with("age", "21")
        .with("empty", "")
        .with("name", "Sunita Devi")
        .with("fruits", "mango banana guava")
        .with("dob", "2000-02-29")
        .with_rows("ages", &["12", "40", "7"])
        .with_rows("incomes", &["100", "", "50"])
        .clock(clock())
}

fn eval(src: &str) -> Value {
    Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}")).eval(&scope()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn text(src: &str) -> String {
    eval(src).to_text()
}

fn num(src: &str) -> f64 {
    eval(src).to_num()
}

fn truth(src: &str) -> bool {
    eval(src).to_bool()
}

#[test]
fn arithmetic_follows_xpath() {
    assert_eq!(num("1 + 2 * 3"), 7.0);
    assert_eq!(num("(1 + 2) * 3"), 9.0);
    assert_eq!(num("7 div 2"), 3.5);
    assert_eq!(num("7 mod 3"), 1.0);
    assert_eq!(num("-7 mod 3"), -1.0);
    assert_eq!(num("- -2"), 2.0);
    assert_eq!(num("10 - 2 - 3"), 5.0);
    assert_eq!(num("${age} + 1"), 22.0);
}

#[test]
fn division_by_zero_is_infinity_or_nan() {
    assert_eq!(text("1 div 0"), "Infinity");
    assert_eq!(text("-1 div 0"), "-Infinity");
    assert_eq!(text("0 div 0"), "NaN");
    assert_eq!(text("5 mod 0"), "NaN");
    assert!(!truth("1 div 0 = 0 div 0"));
}

#[test]
fn empty_answers_are_empty_strings_and_nan_numbers() {
    assert_eq!(text("${empty}"), "");
    assert!(truth("${empty} = ''"));
    assert!(!truth("${empty} > 18"));
    assert!(!truth("${empty} < 18"));
    assert_eq!(text("${empty} + 1"), "NaN");
    // The node exists, so the reference itself is true; its text is not.
    assert!(truth("boolean(${empty})"));
    assert!(!truth("string(${empty})"));
    // An unknown name is an empty node-set: equal to nothing, not even ''.
    assert!(!truth("${nobody} = ''"));
    assert!(!truth("${nobody} != ''"));
}

#[test]
fn type_mismatches_follow_xpath() {
    assert_eq!(text("'abc' + 1"), "NaN");
    assert!(truth("'10' = 10"));
    assert!(truth("'abc' = 'abc'"));
    assert!(!truth("'abc' > 1"));
    assert!(truth("true() = 1"));
    assert!(truth("'x' = true()"));
    assert!(num("number('1e3')").is_nan());
    assert_eq!(num("number(true())"), 1.0);
}

#[test]
fn comparisons_and_logic() {
    assert!(truth("${age} >= 18 and ${age} < 60"));
    assert!(truth("${age} = 21 or 1 div 0"));
    assert!(truth("not(${age} < 18)"));
    assert!(truth("${age} != 20"));
    assert!(truth("2 <= 2 and 3 > 2 and 1 < 2 and 2 >= 2"));
    // A repeat's answers compare existentially.
    assert!(truth("${ages} > 30"));
    assert!(truth("${ages} < 10"));
    assert!(!truth("${ages} > 50"));
    assert!(truth("${ages} = 7"));
}

#[test]
fn select_functions() {
    assert!(truth("selected(${fruits}, 'banana')"));
    assert!(truth("selected(${fruits}, ' banana ')"));
    assert!(!truth("selected(${fruits}, 'ban')"));
    assert_eq!(num("count-selected(${fruits})"), 3.0);
    assert_eq!(num("count-selected(${empty})"), 0.0);
    assert_eq!(text("selected-at(${fruits}, 0)"), "mango");
    assert_eq!(text("selected-at(${fruits}, 2)"), "guava");
    assert_eq!(text("selected-at(${fruits}, 3)"), "");
    assert_eq!(text("selected-at(${fruits}, -1)"), "");
}

#[test]
fn string_functions() {
    assert_eq!(num("string-length(${name})"), 11.0);
    assert_eq!(num("string-length('सुनीता')"), 6.0);
    assert_eq!(num("string-length()"), 0.0);
    assert_eq!(text("concat(${name}, ' (', ${age}, ')')"), "Sunita Devi (21)");
    assert_eq!(text("concat(${ages})"), "12407");
    assert_eq!(text("concat()"), "");
    assert_eq!(text("substr(${name}, 0, 6)"), "Sunita");
    assert_eq!(text("substr(${name}, 7)"), "Devi");
    assert_eq!(text("substr(${name}, 50)"), "");
    assert_eq!(text("substr(${name}, -3, 2)"), "Su");
    assert!(truth("contains(${name}, 'ita D')"));
    assert!(truth("starts-with(${name}, 'Sun')"));
    assert!(!truth("starts-with(${name}, 'Devi')"));
    assert!(truth("ends-with(${name}, 'Devi')"));
    assert_eq!(text("string(12.50)"), "12.5");
}

#[test]
fn regex_matches_anywhere_unless_anchored() {
    assert!(truth("regex('9876543210', '^[6-9][0-9]{9}$')"));
    assert!(!truth("regex('12345', '^[6-9][0-9]{9}$')"));
    assert!(truth("regex(${name}, 'Dev')"));
    // A pattern built at run time is compiled then.
    assert!(truth("regex(${name}, concat('^', 'Sun'))"));
}

#[test]
fn if_coalesce_and_numbers() {
    assert_eq!(text("if(${age} >= 18, 'adult', 'child')"), "adult");
    assert_eq!(text("if(${empty}, 'set', 'unset')"), "set");
    assert_eq!(text("if(string-length(${empty}) > 0, 'set', 'unset')"), "unset");
    assert_eq!(text("coalesce(${empty}, 'fallback')"), "fallback");
    assert_eq!(text("coalesce(${name}, 'fallback')"), "Sunita Devi");
    assert_eq!(num("round(2.5)"), 3.0);
    assert_eq!(num("round(-2.5)"), -2.0);
    assert_eq!(num("round(1.23456, 2)"), 1.23);
    assert_eq!(num("round(-1.005, 1)"), -1.0);
    assert_eq!(num("round(1234.5, -2)"), 1200.0);
    assert!(num("round('x')").is_nan());
    assert_eq!(num("int(7.9)"), 7.0);
    assert_eq!(num("int(-7.9)"), -7.0);
    assert!(num("int(${empty})").is_nan());
    assert_eq!(num("number(' 42 ')"), 42.0);
}

#[test]
fn dates_use_the_given_clock_and_offset() {
    assert_eq!(text("today()"), "2024-03-05");
    assert_eq!(text("now()"), "2024-03-05T12:00:00.000+05:30");
    assert_eq!(text("date('2024-01-31')"), "2024-01-31");
    assert_eq!(text("date(0)"), "1970-01-01");
    assert_eq!(text("date(${dob})"), "2000-02-29");
    assert_eq!(text("date(date('2024-01-31') + 1)"), "2024-02-01");
    assert_eq!(text("date(${empty})"), "");
    assert_eq!(num("today() - date('2024-03-01')"), 4.0);
    assert!(truth("date(${dob}) < today()"));
    assert!(truth("today() > '2024-01-01'"));
    assert!(truth("today() = '2024-03-05'"));
    assert_eq!(num("int((today() - date(${dob})) div 365.25)"), 24.0);
    assert_eq!(text("format-date(today(), '%d/%m/%Y')"), "05/03/2024");
    assert_eq!(text("format-date(date('2024-03-05'), '%e %b %y, %a')"), "5 Mar 24, Tue");
    assert_eq!(text("format-date(now(), '%H:%M:%S.%3')"), "12:00:00.000");
    assert_eq!(text("format-date('2024-03-05T08:05:09.000+05:30', '%h:%M')"), "8:05");
    assert_eq!(text("format-date(${empty}, '%Y')"), "");
}

#[test]
fn position_count_and_sum() {
    let s = scope().position(3);
    assert_eq!(Expr::parse("position(..)").unwrap().eval(&s).unwrap().to_num(), 3.0);
    assert_eq!(Expr::parse("position()").unwrap().eval(&s).unwrap().to_num(), 3.0);
    assert!(num("position(..)").is_nan(), "no repeat row: NaN");
    assert_eq!(num("count(${ages})"), 3.0);
    assert_eq!(num("count(${nobody})"), 0.0);
    assert_eq!(num("sum(${ages})"), 59.0);
    assert!(num("sum(${incomes})").is_nan(), "an empty answer makes the sum NaN, as in XPath");
    assert_eq!(num("sum(${nobody})"), 0.0);
}

#[test]
fn current_answer_and_choice_columns() {
    let s = MapScope::new().current(Value::Num(150.0)).column("district", "sitapur").with("d", "sitapur");
    assert!(!Expr::parse(". >= 0 and . <= 120").unwrap().eval_bool(&s).unwrap());
    assert!(Expr::parse("district = ${d}").unwrap().eval_bool(&s).unwrap());
    assert!(!Expr::parse("block = ${d}").unwrap().eval_bool(&s).unwrap());
}

#[test]
fn references_columns_and_clock_are_reported() {
    let e = Expr::parse("if(${a} > 1, ${b}, today()) and district = ${c}").unwrap();
    assert_eq!(e.references().into_iter().collect::<Vec<_>>(), vec!["a", "b", "c"]);
    assert_eq!(e.columns().into_iter().collect::<Vec<_>>(), vec!["district"]);
    assert!(e.uses_clock());
    assert!(!e.uses_current());
    assert!(Expr::parse(". > 1").unwrap().uses_current());
}

#[test]
fn every_function_is_listed() {
    for f in [
        "selected", "count-selected", "selected-at", "string-length", "concat", "substr", "contains", "starts-with", "regex",
        "if", "coalesce", "round", "int", "number", "today", "now", "date", "format-date", "position", "count", "sum", "not",
    ] {
        assert!(FUNCTIONS.contains(&f), "{f}");
    }
}

fn parse_err(src: &str) -> String {
    match Expr::parse(src) {
        Ok(_) => panic!("{src} should not parse"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn syntax_errors_say_where_and_what() {
    assert_eq!(parse_err(""), "at character 1: the expression is empty");
    assert!(parse_err("1 +").contains("ends too early"));
    assert!(parse_err("(1 + 2").contains("expected ')'"));
    assert!(parse_err("1 2").contains("unexpected text"));
    assert!(parse_err("'open").contains("not closed"));
    assert!(parse_err("${age").contains("not closed"));
    assert!(parse_err("${}").contains("question name"));
    assert!(parse_err("/data/ > 1").contains("path step"));
    assert!(parse_err("${a}[1]").contains("predicates"));
    assert!(parse_err("${a} | ${b}").contains("union"));
    assert!(parse_err("@id").contains("attributes"));
    assert!(parse_err("1 # 2").contains("unexpected character"));
    // if() takes 2 or 3 (two is read as if(c, a, ''), with an import warning).
    assert!(parse_err("if(1)").contains("if() takes 2 to 3 argument(s), not 1"), "{}", parse_err("if(1)"));
    assert!(parse_err("today(1)").contains("today() takes 0"));
    assert!(parse_err("concat(1,)").contains("expected a value"));
    assert!(parse_err("count('x')").contains("count(${name})"));
    assert!(parse_err("position(1)").contains("position()"));
    assert!(parse_err("regex(., '[')").contains("invalid regular expression"));
    let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    assert!(parse_err(&deep).contains("nested too deeply"));
    let long = vec!["1"; 2000].join(" + ");
    assert!(parse_err(&long).contains("too long"));
    assert!(parse_err(&"1".repeat(20_000)).contains("at most"));
}

#[test]
fn unsupported_functions_are_named() {
    // pulldata() reads an attachment the app supplies (see forms_external.rs).
    assert!(Expr::parse("pulldata('hh', 'name', 'id', ${id})").is_ok());
    let e = Expr::parse("phone-call-log()").unwrap_err();
    assert_eq!(e.unsupported_function.as_deref(), Some("phone-call-log"));
    assert!(e.to_string().contains("phone-call-log() is not supported"));
    // SurveyCTO's own functions stay refused by name.
    let e = Expr::parse("duration()").unwrap_err();
    assert_eq!(e.unsupported_function.as_deref(), Some("duration"));
    assert!(parse_err("jr:choice-name(${a}, 'a')").contains("'${name}'"));
    assert!(parse_err("indexed-repeat(1, ${r}, 1)").contains("indexed-repeat("));
}

#[test]
fn odk_number_functions() {
    assert_eq!(num("floor(2.7)"), 2.0);
    assert_eq!(num("floor(-2.5)"), -3.0);
    assert_eq!(num("ceiling(2.1)"), 3.0);
    assert_eq!(num("abs(-4)"), 4.0);
    assert_eq!(num("pow(2, 10)"), 1024.0);
    assert_eq!(num("sqrt(81)"), 9.0);
    assert!((num("log10(1000)") - 3.0).abs() < 1e-12);
    assert!((num("pi()") - std::f64::consts::PI).abs() < 1e-12);
    assert_eq!(num("min(${ages})"), 7.0);
    assert_eq!(num("max(${ages}, 50)"), 50.0);
    assert_eq!(num("min(3, ${age}, 5)"), 3.0);
    assert!(num("max(${incomes})").is_nan(), "an empty value makes min/max NaN, as in ODK");
    assert!(num("floor(${empty})").is_nan());
    assert_eq!(num("count-non-empty(${incomes})"), 2.0);
    let r = num("random()");
    assert!((0.0..1.0).contains(&r));
}

#[test]
fn odk_text_functions() {
    assert_eq!(text("join(', ', ${ages})"), "12, 40, 7");
    assert_eq!(text("join('-', 'a', ${age})"), "a-21");
    assert_eq!(text("substring-before('2024-03-05', '-')"), "2024");
    assert_eq!(text("substring-after('2024-03-05', '-')"), "03-05");
    assert_eq!(text("normalize-space('  a   b ')"), "a b");
    assert_eq!(text("translate('abc', 'ab', 'A')"), "Ac");
    assert!(truth("boolean-from-string('true')"));
    assert!(truth("boolean-from-string('1')"));
    assert!(!truth("boolean-from-string('yes')"));
    let u = text("uuid()");
    assert_eq!(u.len(), 36);
    assert_eq!(u.as_bytes()[14], b'4');
    assert_eq!(text("uuid(12)").len(), 12);
    assert_eq!(text("digest('abc', 'SHA-256', 'hex')"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(text("digest('abc', 'SHA-256')"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    assert!(Expr::parse("digest('abc', 'MD5')").unwrap().eval(&scope()).is_err());
}

#[test]
fn odk_date_functions() {
    assert_eq!(num("decimal-date-time('1970-01-02')"), 1.0);
    assert_eq!(num("decimal-date-time('1970-01-01T12:00:00.000+00:00')"), 0.5);
    assert_eq!(text("format-date-time('2024-03-05T06:30:00.000+00:00', '%Y-%m-%d %H:%M')"), "2024-03-05 06:30");
    assert_eq!(text("format-date-time(date-time(0.5), '%H:%M')"), "12:00");
    assert_eq!(text("format-date(date-time('2024-03-05'), '%Y/%m/%d')"), "2024/03/05");
    assert!(num("decimal-date-time(${empty})").is_nan());
    // The Community Health Toolkit's functions.
    assert_eq!(num("difference-in-months('2000-02-29', '2000-05-28')"), 2.0);
    assert_eq!(num("difference-in-months('2000-02-29', '2001-03-01')"), 12.0);
    assert_eq!(num("floor(difference-in-months(${dob}, today()) div 12)"), 24.0);
    assert_eq!(text("difference-in-months(${empty}, today())"), "");
    assert_eq!(text("format-date(add-date('2024-01-31', 0, 1), '%Y-%m-%d')"), "2024-03-02");
    assert_eq!(text("format-date(add-date('2024-03-05', -1, -2, 10), '%Y-%m-%d')"), "2023-01-15");
    assert_eq!(text("format-date-time(parse-timestamp-to-date(0), '%Y-%m-%d %H:%M')"), "1970-01-01 05:30");
}

#[test]
fn odk_geo_functions() {
    // One degree of latitude along a meridian, about 111 km.
    let d = num("distance('0 0; 1 0')");
    assert!((d - 111_319.0).abs() < 100.0, "{d}");
    // A square of 0.01° near the equator, about 1.11 km on a side.
    let a = num("area('0 0; 0 0.01; 0.01 0.01; 0.01 0; 0 0')");
    assert!((a - 1_239_000.0).abs() < 10_000.0, "{a}");
    assert!(num("distance('nonsense')").is_nan());
}

#[test]
fn once_keeps_a_value_and_bare_false_is_empty() {
    let s = scope().current(Value::Str("7".into()));
    assert_eq!(Expr::parse("once(${age})").unwrap().eval(&s).unwrap().to_text(), "7");
    let s = scope().current(Value::Str(String::new()));
    assert_eq!(Expr::parse("once(${age})").unwrap().eval(&s).unwrap().to_text(), "21");
    assert!(!truth("FALSE"), "a bare name is an empty node-set, as in ODK");
    assert!(!truth("null"));
    assert_eq!(text("coalesce(${empty}, '', 'third')"), "third", "coalesce takes more than two values");
}

#[test]
fn paths_parse_and_name_their_steps() {
    let e = Expr::parse("../inputs/contact/_id != '' and /data/age > 1 and ./source = 'user'").unwrap();
    let paths: Vec<String> = e.paths().into_iter().collect();
    assert_eq!(paths, vec!["../inputs/contact/_id".to_string(), "./source".into(), "/data/age".into()]);
    let mut e = Expr::parse("/data/age > 18").unwrap();
    assert!(e.resolve_paths(&mut |p| if p == "/data/age" { Ok("age".into()) } else { Err("no".into()) }).is_empty());
    assert!(e.eval_bool(&scope()).unwrap());
    let e = Expr::parse("jr:choice-name(${a}, '${fruit}')").unwrap();
    assert!(e.references().contains("fruit"));
}

#[test]
fn run_time_errors_are_errors() {
    let err = |src: &str| Expr::parse(src).unwrap().eval(&scope()).unwrap_err();
    assert!(matches!(err("date('soon')"), EvalError::Type(_)));
    assert!(matches!(err("date(true())"), EvalError::Type(_)));
    assert!(matches!(err("date(99999999999)"), EvalError::Type(_)));
    assert!(matches!(err("format-date('tomorrow', '%Y')"), EvalError::Type(_)));
    assert!(matches!(err("regex('a', concat('(', ''))"), EvalError::Regex(_)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text_never_panics(src in "\\PC{0,60}") {
        if let Ok(e) = Expr::parse(&src) {
            let _ = e.eval(&scope());
        }
    }

    #[test]
    fn random_expressions_from_the_grammar_never_panic(
        parts in proptest::collection::vec(prop_oneof![
            Just("${age}"), Just("${empty}"), Just("${ages}"), Just("${fruits}"), Just("."), Just("1"), Just("0"),
            Just("-3.5"), Just("'2024-02-30'"), Just("'x'"), Just("+"), Just("-"), Just("*"), Just(" div "), Just(" mod "),
            Just("="), Just("!="), Just("<"), Just(">="), Just(" and "), Just(" or "), Just("("), Just(")"), Just(","),
            Just("date("), Just("format-date("), Just("round("), Just("substr("), Just("selected-at("), Just("if("),
            Just("sum("), Just("count("), Just("regex("), Just("concat("), Just("today()"), Just("now()"), Just("'%Y%b%a'"),
            Just("99999999999999999999"), Just("int("), Just("coalesce("), Just("number("), Just("not("),
        ], 0..24)
    ) {
        let src: String = parts.concat();
        if let Ok(e) = Expr::parse(&src) {
            let _ = e.eval(&scope().current(Value::Num(f64::MAX)).position(1));
        }
    }
}
