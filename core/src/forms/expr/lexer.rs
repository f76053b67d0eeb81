//! Splits an XLSForm expression into tokens. Offsets are in characters, for error messages.

use super::ExprError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Str(String),
    /// `${name}`
    Ref(String),
    /// `${last-saved#name}`: the answer in the last response saved with the form.
    LastSaved(String),
    /// An XPath location path: `/data/group/q`, `../q`, `./q`, `../../g/q`.
    Path(String),
    /// A bare name: a function, an operator word (`and`, `div`, …) or a choice column.
    Name(String),
    LParen,
    RParen,
    /// `[` and `]`: a predicate, only after `instance('…')/path`.
    LBracket,
    RBracket,
    Comma,
    Dot,
    DotDot,
    Plus,
    Minus,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Character offset of the token's start.
    pub at: usize,
}

fn name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') || is_mark(c)
}

fn is_mark(c: char) -> bool {
    // Combining marks (Devanagari vowel signs and the like) continue a name.
    matches!(c as u32, 0x0300..=0x036F | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963)
}

/// Whether `.` or `..` at `i` begins a relative path (`./x`, `../x`).
fn starts_path(chars: &[char], i: usize) -> bool {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('/'), _) => true,
        (Some('.'), Some('/')) => true,
        _ => false,
    }
}

/// Reads a location path from `i`: steps (names, `.`, `..`) separated by `/`. Returns the
/// path and where it ends.
fn lex_path(chars: &[char], mut i: usize) -> Result<(String, usize), String> {
    let start = i;
    let mut steps = 0;
    loop {
        if chars.get(i) == Some(&'/') {
            i += 1;
        }
        let s = i;
        if chars.get(i) == Some(&'.') && chars.get(i + 1) == Some(&'.') {
            i += 2;
        } else if chars.get(i) == Some(&'.') && !chars.get(i + 1).map(|c| name_char(*c) && *c != '.').unwrap_or(false) {
            i += 1;
        } else if chars.get(i).map(|c| name_start(*c)).unwrap_or(false) {
            while i < chars.len() && name_char(chars[i]) {
                i += 1;
            }
        } else {
            return Err("a path step must be a name, '.' or '..'".into());
        }
        steps += 1;
        if steps > 64 {
            return Err("the path has too many steps".into());
        }
        let _ = s;
        if chars.get(i) != Some(&'/') {
            break;
        }
    }
    Ok((chars[start..i].iter().collect(), i))
}

/// Tokenises `src`.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '=' => Some(Tok::Eq),
            _ => None,
        };
        if let Some(tok) = simple {
            out.push(Token { tok, at });
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        match c {
            '!' if next == Some('=') => {
                out.push(Token { tok: Tok::Ne, at });
                i += 2;
            }
            '<' | '>' => {
                let eq = next == Some('=');
                let tok = match (c, eq) {
                    ('<', false) => Tok::Lt,
                    ('<', true) => Tok::Le,
                    ('>', false) => Tok::Gt,
                    _ => Tok::Ge,
                };
                out.push(Token { tok, at });
                i += if eq { 2 } else { 1 };
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or_else(|| ExprError::syntax(at, "a quoted text is not closed"))?;
                let s: String = chars[i + 1..i + 1 + end].iter().collect();
                out.push(Token { tok: Tok::Str(s), at });
                i += end + 2;
            }
            '$' => {
                if next != Some('{') {
                    return Err(ExprError::syntax(at, "a reference is written ${name}"));
                }
                let end = chars[i + 2..]
                    .iter()
                    .position(|&d| d == '}')
                    .ok_or_else(|| ExprError::syntax(at, "a ${name} reference is not closed with }"))?;
                let name: String = chars[i + 2..i + 2 + end].iter().collect();
                let name = name.trim().to_string();
                let (last_saved, name) = match name.strip_prefix("last-saved#") {
                    Some(n) => (true, n.trim().to_string()),
                    None => (false, name),
                };
                let mut it = name.chars();
                let ok = it.next().map(name_start).unwrap_or(false) && it.all(name_char);
                if !ok {
                    return Err(ExprError::syntax(at, "a reference ${…} must hold a question name"));
                }
                let tok = if last_saved { Tok::LastSaved(name) } else { Tok::Ref(name) };
                out.push(Token { tok, at });
                i += end + 3;
            }
            '/' | '.' if c == '/' || starts_path(&chars, i) => {
                let (path, j) = lex_path(&chars, i).map_err(|m| ExprError::syntax(at, m))?;
                out.push(Token { tok: Tok::Path(path), at });
                i = j;
            }
            '.' if next == Some('.') => {
                out.push(Token { tok: Tok::DotDot, at });
                i += 2;
            }
            '.' if !next.map(|d| d.is_ascii_digit()).unwrap_or(false) => {
                out.push(Token { tok: Tok::Dot, at });
                i += 1;
            }
            d if d.is_ascii_digit() || d == '.' => {
                let mut j = i;
                let mut dot = false;
                while j < chars.len() && (chars[j].is_ascii_digit() || (chars[j] == '.' && !dot)) {
                    dot |= chars[j] == '.';
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let n = text.parse::<f64>().map_err(|_| ExprError::syntax(at, "malformed number"))?;
                out.push(Token { tok: Tok::Num(n), at });
                i = j;
            }
            n if name_start(n) => {
                let mut j = i + 1;
                while j < chars.len() && name_char(chars[j]) {
                    j += 1;
                }
                // `a.b-c` is one name, but a trailing `-` before a digit is usually `x -1`;
                // XPath itself keeps it in the name, and so do we.
                let name: String = chars[i..j].iter().collect();
                out.push(Token { tok: Tok::Name(name), at });
                i = j;
            }
            // `instance('list')/root/item[name = ${x}]/label`: the parser accepts predicates
            // only there.
            '[' => {
                out.push(Token { tok: Tok::LBracket, at });
                i += 1;
            }
            ']' => {
                out.push(Token { tok: Tok::RBracket, at });
                i += 1;
            }
            '|' => return Err(ExprError::syntax(at, "the | union operator is not supported")),
            '@' => return Err(ExprError::syntax(at, "attributes (@…) are not supported")),
            _ => return Err(ExprError::syntax(at, format!("unexpected character '{c}'"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_references_numbers_and_operators() {
        assert_eq!(
            toks("${age} >= 18.5 and . != ''"),
            vec![
                Tok::Ref("age".into()),
                Tok::Ge,
                Tok::Num(18.5),
                Tok::Name("and".into()),
                Tok::Dot,
                Tok::Ne,
                Tok::Str(String::new())
            ]
        );
        assert_eq!(toks("position(..)"), vec![Tok::Name("position".into()), Tok::LParen, Tok::DotDot, Tok::RParen]);
        assert_eq!(toks(".5"), vec![Tok::Num(0.5)]);
    }

    #[test]
    fn unclosed_pieces_are_errors() {
        assert!(lex("'abc").is_err());
        assert!(lex("${age").is_err());
        assert!(lex("${}").is_err());
        assert!(lex("$age").is_err());
        assert!(lex("/data/").is_err());
    }

    #[test]
    fn lexes_paths() {
        assert_eq!(toks("/data/g/age > 1"), vec![Tok::Path("/data/g/age".into()), Tok::Gt, Tok::Num(1.0)]);
        assert_eq!(toks("../x = ./source"), vec![Tok::Path("../x".into()), Tok::Eq, Tok::Path("./source".into())]);
        assert_eq!(toks("../../inputs/_id"), vec![Tok::Path("../../inputs/_id".into())]);
        assert_eq!(toks(". > ../a"), vec![Tok::Dot, Tok::Gt, Tok::Path("../a".into())]);
    }

    #[test]
    fn lexes_lookups_and_last_saved() {
        assert_eq!(
            toks("instance('f')/root/item[id=${x}]/geometry"),
            vec![
                Tok::Name("instance".into()),
                Tok::LParen,
                Tok::Str("f".into()),
                Tok::RParen,
                Tok::Path("/root/item".into()),
                Tok::LBracket,
                Tok::Name("id".into()),
                Tok::Eq,
                Tok::Ref("x".into()),
                Tok::RBracket,
                Tok::Path("/geometry".into()),
            ]
        );
        assert_eq!(toks("${last-saved#width}"), vec![Tok::LastSaved("width".into())]);
        assert!(lex("${last-saved#}").is_err());
    }
}
