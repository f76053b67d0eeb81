//! Precedence-climbing parser for the XLSForm/XPath subset, producing [`Node`]s.
//!
//! XPath precedence, loosest first: `or`, `and`, `=`/`!=`, `<`/`<=`/`>`/`>=`, `+`/`-`,
//! `*`/`div`/`mod`, unary `-`. Nesting is bounded so hostile input cannot exhaust the stack.

use std::sync::Arc;

use super::lexer::{Tok, Token};
use super::{BinOp, ExprError, Func, Lookup, Node};

/// Deepest nesting of sub-expressions accepted (parentheses, calls, unary minus).
pub(crate) const MAX_DEPTH: usize = 64;
/// Deepest expression tree accepted (a chain `a + b + c …` is as deep as it is long), so that
/// evaluating and dropping a tree never exhausts the stack.
pub(crate) const MAX_TREE_DEPTH: usize = 400;

pub(crate) struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    end: usize,
    /// Inside a lookup's predicate, where bare names are the item's fields.
    in_predicate: usize,
}

impl Parser {
    pub(crate) fn new(toks: Vec<Token>, src_len: usize) -> Parser {
        Parser { toks, pos: 0, depth: 0, end: src_len, in_predicate: 0 }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map(|t| t.at).unwrap_or(self.end)
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }

    pub(crate) fn parse_all(&mut self) -> Result<Node, ExprError> {
        if self.toks.is_empty() {
            return Err(ExprError::syntax(0, "the expression is empty"));
        }
        let (node, _) = self.expr(0)?;
        if self.pos < self.toks.len() {
            return Err(ExprError::syntax(self.at(), "unexpected text after the end of the expression"));
        }
        Ok(node)
    }

    /// The binary operator at the cursor with its precedence level (0 = loosest).
    fn binop(&self) -> Option<(BinOp, u8)> {
        Some(match self.peek()? {
            Tok::Name(n) if n == "or" => (BinOp::Or, 0),
            Tok::Name(n) if n == "and" => (BinOp::And, 1),
            Tok::Eq => (BinOp::Eq, 2),
            Tok::Ne => (BinOp::Ne, 2),
            Tok::Lt => (BinOp::Lt, 3),
            Tok::Le => (BinOp::Le, 3),
            Tok::Gt => (BinOp::Gt, 3),
            Tok::Ge => (BinOp::Ge, 3),
            Tok::Plus => (BinOp::Add, 4),
            Tok::Minus => (BinOp::Sub, 4),
            Tok::Star => (BinOp::Mul, 5),
            Tok::Name(n) if n == "div" => (BinOp::Div, 5),
            Tok::Name(n) if n == "mod" => (BinOp::Mod, 5),
            _ => return None,
        })
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::syntax(self.at(), "the expression is nested too deeply"));
        }
        Ok(())
    }

    fn tree(&self, node: Node, depth: usize) -> Result<(Node, usize), ExprError> {
        if depth > MAX_TREE_DEPTH {
            return Err(ExprError::syntax(self.at(), "the expression is too long: split it into calculate questions"));
        }
        Ok((node, depth))
    }

    fn expr(&mut self, min: u8) -> Result<(Node, usize), ExprError> {
        self.enter()?;
        let (mut lhs, mut d) = self.unary()?;
        while let Some((op, prec)) = self.binop() {
            if prec < min {
                break;
            }
            self.bump();
            let (rhs, rd) = self.expr(prec + 1)?;
            (lhs, d) = self.tree(Node::Bin(op, Box::new(lhs), Box::new(rhs)), d.max(rd) + 1)?;
        }
        self.depth -= 1;
        Ok((lhs, d))
    }

    fn unary(&mut self) -> Result<(Node, usize), ExprError> {
        if self.peek() == Some(&Tok::Minus) {
            self.bump();
            self.enter()?;
            let (inner, d) = self.unary()?;
            self.depth -= 1;
            return self.tree(Node::Neg(Box::new(inner)), d + 1);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<(Node, usize), ExprError> {
        let at = self.at();
        match self.bump() {
            None => Err(ExprError::syntax(at, "the expression ends too early")),
            Some(Tok::Num(n)) => Ok((Node::Num(n), 1)),
            Some(Tok::Str(s)) => Ok((Node::Str(s), 1)),
            Some(Tok::Ref(r)) => self.no_predicate(Node::Ref(r)),
            Some(Tok::LastSaved(r)) => self.no_predicate(Node::LastSaved(r)),
            Some(Tok::Path(p)) => self.no_predicate(Node::Path(p)),
            Some(Tok::Dot) => Ok((Node::Current, 1)),
            Some(Tok::DotDot) => Ok((Node::Parent, 1)),
            Some(Tok::LParen) => {
                let inner = self.expr(0)?;
                self.expect_rparen()?;
                Ok(inner)
            }
            Some(Tok::Name(name)) => {
                if name == "instance" && self.peek() == Some(&Tok::LParen) {
                    return self.instance(at);
                }
                if self.peek() == Some(&Tok::LParen) {
                    self.bump();
                    self.call(&name, at)
                } else if self.in_predicate > 0 {
                    self.no_predicate(Node::Field(name))
                } else {
                    Ok((Node::Column(name), 1))
                }
            }
            Some(Tok::LBracket | Tok::RBracket) => Err(ExprError::syntax(at, "XPath predicates [...] are only supported in instance('…')/root/item[…] lookups")),
            Some(_) => Err(ExprError::syntax(at, "expected a value, a reference or a function here")),
        }
    }

    /// A value that a predicate may not follow (predicates belong to instance lookups).
    fn no_predicate(&self, node: Node) -> Result<(Node, usize), ExprError> {
        if self.peek() == Some(&Tok::LBracket) {
            return Err(ExprError::syntax(self.at(), "XPath predicates [...] are only supported in instance('…')/root/item[…] lookups"));
        }
        Ok((node, 1))
    }

    /// `instance('name')/path`: the '(' is at the cursor.
    fn instance(&mut self, at: usize) -> Result<(Node, usize), ExprError> {
        self.bump();
        let name = match self.bump() {
            Some(Tok::Str(s)) => s,
            _ => return Err(ExprError::unsupported_function(at, "instance")),
        };
        self.expect_rparen()?;
        let path = match self.peek() {
            Some(Tok::Path(p)) if p.starts_with('/') => p.clone(),
            _ => return Err(ExprError::unsupported_function(at, "instance")),
        };
        self.bump();
        if self.peek() != Some(&Tok::LBracket) {
            return Ok((Node::Instance(name, path), 1));
        }
        // instance('x')/root/item[pred]…[pred]/field
        let mut predicates = Vec::new();
        let mut depth = 1;
        while self.peek() == Some(&Tok::LBracket) {
            self.bump();
            self.in_predicate += 1;
            let parsed = self.expr(0);
            self.in_predicate -= 1;
            let (p, d) = parsed?;
            depth = depth.max(d + 1);
            predicates.push(p);
            let close = self.at();
            if self.bump() != Some(Tok::RBracket) {
                return Err(ExprError::syntax(close, "expected ']' to close the predicate"));
            }
            if predicates.len() > 8 {
                return Err(ExprError::syntax(close, "a lookup may have at most 8 predicates"));
            }
        }
        let field = match self.peek() {
            Some(Tok::Path(p)) if p.starts_with('/') && !p.contains("..") && !p.contains("/./") => {
                let f = p.trim_start_matches('/').to_string();
                self.bump();
                Some(f)
            }
            _ => None,
        };
        if self.peek() == Some(&Tok::LBracket) {
            return Err(ExprError::syntax(self.at(), "a lookup takes its predicates on the item: instance('x')/root/item[…]/field"));
        }
        self.tree(Node::Lookup(Box::new(Lookup { instance: name, predicates, field })), depth)
    }

    fn expect_rparen(&mut self) -> Result<(), ExprError> {
        let at = self.at();
        match self.bump() {
            Some(Tok::RParen) => Ok(()),
            _ => Err(ExprError::syntax(at, "expected ')'")),
        }
    }

    fn call(&mut self, name: &str, at: usize) -> Result<(Node, usize), ExprError> {
        let func = Func::from_name(name).ok_or_else(|| ExprError::unsupported_function(at, name))?;
        let mut args = Vec::new();
        let mut depth = 1;
        if self.peek() == Some(&Tok::RParen) {
            self.bump();
        } else {
            loop {
                let (a, d) = self.expr(0)?;
                depth = depth.max(d + 1);
                args.push(a);
                let at = self.at();
                match self.bump() {
                    Some(Tok::Comma) => continue,
                    Some(Tok::RParen) => break,
                    _ => return Err(ExprError::syntax(at, "expected ',' or ')' in the function's arguments")),
                }
            }
        }
        let (lo, hi) = func.arity();
        if args.len() < lo || args.len() > hi {
            let want = match (lo, hi) {
                (l, h) if l == h => format!("{l}"),
                (l, usize::MAX) => format!("at least {l}"),
                (l, h) => format!("{l} to {h}"),
            };
            return Err(ExprError::syntax(at, format!("{}() takes {want} argument(s), not {}", func.name(), args.len())));
        }
        match func {
            Func::Count | Func::Sum if !matches!(args.first(), Some(Node::Ref(_) | Node::Lookup(_))) => {
                return Err(ExprError::syntax(at, format!("{}() counts a question or repeat: write {}(${{name}})", func.name(), func.name())));
            }
            // jr:choice-name(value, '${q}'): the question is named in a string.
            Func::ChoiceName => match args.get(1) {
                Some(Node::Str(q)) => {
                    let q = q.trim();
                    let named = match q.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                        Some(n) => Node::Ref(n.trim().to_string()),
                        None if q.starts_with('/') || q.starts_with('.') => Node::Path(q.to_string()),
                        None => return Err(ExprError::syntax(at, "jr:choice-name() names its question as '${name}'")),
                    };
                    args[1] = named;
                }
                Some(Node::Ref(_) | Node::Path(_)) => {}
                _ => return Err(ExprError::syntax(at, "jr:choice-name() names its question as '${name}'")),
            },
            Func::IndexedRepeat
                if !matches!(args.first(), Some(Node::Ref(_) | Node::Path(_)))
                    || args.len() % 2 == 0
                    || args[1..].iter().step_by(2).any(|a| !matches!(a, Node::Ref(_) | Node::Path(_))) =>
            {
                return Err(ExprError::syntax(
                    at,
                    "indexed-repeat() takes a question, then a repeat and a row number for each level: indexed-repeat(${q}, ${repeat}, 1)",
                ));
            }
            Func::Position if !args.is_empty() && !matches!(args[0], Node::Parent) => {
                return Err(ExprError::syntax(at, "position() takes no argument or '..'"));
            }
            Func::Regex => {
                if let Some(Node::Str(pattern)) = args.get(1) {
                    let re = super::eval::compile_regex(pattern).map_err(|m| ExprError::syntax(at, m))?;
                    let subject = args.swap_remove(0);
                    return self.tree(Node::RegexLit(Box::new(subject), Arc::new(re)), depth);
                }
            }
            _ => {}
        }
        self.tree(Node::Call(func, args), depth)
    }
}
