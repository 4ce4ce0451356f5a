//! A floor under a document's cost, from its tokens alone, so that an over-complex document is
//! refused before the parser runs: async-graphql's parser costs far more per byte than this
//! scan, and a short document of fragments spreading each other costs a client nothing to send
//! again and again.
//!
//! The cost [`super::cost`] measures after parsing is additive: every selected field adds its
//! weight (at least 1) and list items, every fragment spread adds the fragment's cost, and
//! nesting changes nothing. Counting 1 per field and expanding spreads the same way therefore
//! gives a floor: when it is over the bound, the measurement after parsing would refuse the
//! document too. The scan understands the plain shape of executable documents; anything else
//! (a syntax error, a fragment cycle, duplicate names, an ambiguous operation) gives no floor,
//! and the parser and the measurement decide as before. Argument values and variable
//! definitions are only matched bracket for bracket, so a document over the bound that is also
//! malformed inside them is refused as too complex rather than as unparsable: a 400 either way.

use std::collections::HashMap;

use async_graphql::parser::types::OperationType;

use super::lexer::{Lexer, Token};

/// Deepest selection-set nesting and longest chain of fragment spreads followed; past either,
/// no floor (the nesting guard and the measurement refuse such documents).
const MAX_RECURSION: usize = 256;

/// The selected operation's type and the floor under its cost.
#[derive(Debug, PartialEq, Eq)]
pub struct Floor {
    pub operation: OperationType,
    pub complexity: u64,
}

/// The fields selected directly in a definition (at any nesting, fragments not expanded) and
/// the fragments it spreads, once per spread.
#[derive(Default)]
struct Definition<'a> {
    fields: u64,
    spreads: Vec<&'a str>,
}

struct Operation<'a> {
    name: Option<&'a str>,
    ty: OperationType,
    body: Definition<'a>,
}

struct Scan<'a> {
    lexer: Lexer<'a>,
    /// The token [`Scan::peek`] looked at, not yet taken.
    ahead: Option<Option<Token<'a>>>,
}

/// What one pass over the document's tokens tells.
pub struct Scanned {
    /// The deepest bracket nesting of the whole document.
    pub nesting: usize,
    /// The floor under the selected operation's cost, if the document has the plain shape the
    /// scan understands.
    pub floor: Option<Floor>,
}

/// Scans the document once: its nesting, and the floor under the selected operation's cost.
pub fn scan(query: &str, operation_name: Option<&str>) -> Scanned {
    let mut scan = Scan {
        lexer: Lexer::new(query),
        ahead: None,
    };
    let floor = scan
        .document()
        .and_then(|doc| select_and_expand(doc, operation_name));
    // What the floor did not need still counts for the nesting.
    scan.lexer.by_ref().for_each(drop);
    Scanned {
        nesting: scan.lexer.max_nesting(),
        floor,
    }
}

fn select_and_expand(
    (operations, fragments): Document<'_>,
    operation_name: Option<&str>,
) -> Option<Floor> {
    let op = match operation_name {
        Some(name) => operations.iter().find(|o| o.name == Some(name))?,
        None if operations.len() == 1 => &operations[0],
        None => return None,
    };
    let mut memo = HashMap::new();
    let complexity = expand(&op.body, &fragments, &mut memo, 0)?;
    Some(Floor {
        operation: op.ty,
        complexity,
    })
}

enum Memo {
    InProgress,
    Done(u64),
}

/// The definition's floor, each fragment expanded once; `None` on a cycle or too long a chain.
fn expand<'a>(
    def: &Definition<'a>,
    fragments: &HashMap<&'a str, Definition<'a>>,
    memo: &mut HashMap<&'a str, Memo>,
    depth: usize,
) -> Option<u64> {
    if depth > MAX_RECURSION {
        return None;
    }
    let mut total = def.fields;
    for &name in &def.spreads {
        let cost = match memo.get(name) {
            Some(Memo::Done(cost)) => *cost,
            Some(Memo::InProgress) => return None,
            None => match fragments.get(name) {
                // An unknown fragment costs nothing; validation reports it.
                None => 0,
                Some(fragment) => {
                    memo.insert(name, Memo::InProgress);
                    let cost = expand(fragment, fragments, memo, depth + 1)?;
                    memo.insert(name, Memo::Done(cost));
                    cost
                }
            },
        };
        total = total.saturating_add(cost);
    }
    Some(total)
}

type Document<'a> = (Vec<Operation<'a>>, HashMap<&'a str, Definition<'a>>);

impl<'a> Scan<'a> {
    fn next(&mut self) -> Option<Token<'a>> {
        match self.ahead.take() {
            Some(token) => token,
            None => self.lexer.next(),
        }
    }

    fn peek(&mut self) -> Option<Token<'a>> {
        *self.ahead.get_or_insert_with(|| self.lexer.next())
    }

    fn expect(&mut self, punct: u8) -> Option<()> {
        (self.next()? == Token::Punct(punct)).then_some(())
    }

    fn name(&mut self) -> Option<&'a str> {
        match self.next()? {
            Token::Name(n) => Some(n),
            _ => None,
        }
    }

    fn document(&mut self) -> Option<Document<'a>> {
        let mut operations: Vec<Operation<'a>> = Vec::new();
        let mut fragments = HashMap::new();
        while let Some(token) = self.next() {
            match token {
                Token::Punct(b'{') => operations.push(Operation {
                    name: None,
                    ty: OperationType::Query,
                    body: self.selection_set(0)?,
                }),
                Token::Name(keyword @ ("query" | "mutation" | "subscription")) => {
                    let ty = match keyword {
                        "query" => OperationType::Query,
                        "mutation" => OperationType::Mutation,
                        _ => OperationType::Subscription,
                    };
                    let name = match self.peek()? {
                        Token::Name(n) => {
                            self.next();
                            Some(n)
                        }
                        _ => None,
                    };
                    if self.peek()? == Token::Punct(b'(') {
                        self.next();
                        self.skip_balanced(b'(')?;
                    }
                    self.directives()?;
                    self.expect(b'{')?;
                    if name.is_some() && operations.iter().any(|o| o.name == name) {
                        return None;
                    }
                    operations.push(Operation {
                        name,
                        ty,
                        body: self.selection_set(0)?,
                    });
                }
                Token::Name("fragment") => {
                    let name = self.name().filter(|n| *n != "on")?;
                    (self.name()? == "on").then_some(())?;
                    self.name()?;
                    self.directives()?;
                    self.expect(b'{')?;
                    let body = self.selection_set(0)?;
                    if fragments.insert(name, body).is_some() {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        // An anonymous operation must be the only one.
        if operations.len() > 1 && operations.iter().any(|o| o.name.is_none()) {
            return None;
        }
        Some((operations, fragments))
    }

    /// After `{`: the selections up to the matching `}`.
    fn selection_set(&mut self, depth: usize) -> Option<Definition<'a>> {
        let mut def = Definition::default();
        self.selections(&mut def, depth)?;
        Some(def)
    }

    fn selections(&mut self, def: &mut Definition<'a>, depth: usize) -> Option<()> {
        if depth > MAX_RECURSION {
            return None;
        }
        let mut empty = true;
        loop {
            match self.next()? {
                Token::Punct(b'}') if !empty => return Some(()),
                Token::Spread => match self.peek()? {
                    Token::Name("on") => {
                        self.next();
                        self.name()?;
                        self.inline_fragment(def, depth)?;
                    }
                    Token::Name(fragment) => {
                        self.next();
                        def.spreads.push(fragment);
                        self.directives()?;
                    }
                    _ => self.inline_fragment(def, depth)?,
                },
                Token::Name(_) => {
                    def.fields += 1;
                    if self.peek()? == Token::Punct(b':') {
                        self.next();
                        self.name()?;
                    }
                    if self.peek()? == Token::Punct(b'(') {
                        self.next();
                        self.skip_balanced(b'(')?;
                    }
                    self.directives()?;
                    if self.peek()? == Token::Punct(b'{') {
                        self.next();
                        self.selections(def, depth + 1)?;
                    }
                }
                _ => return None,
            }
            empty = false;
        }
    }

    /// After `...` and its type condition, if any: directives, then a selection set whose
    /// fields count as the enclosing definition's.
    fn inline_fragment(&mut self, def: &mut Definition<'a>, depth: usize) -> Option<()> {
        self.directives()?;
        self.expect(b'{')?;
        self.selections(def, depth + 1)
    }

    fn directives(&mut self) -> Option<()> {
        while self.peek() == Some(Token::Punct(b'@')) {
            self.next();
            self.name()?;
            if self.peek() == Some(Token::Punct(b'(')) {
                self.next();
                self.skip_balanced(b'(')?;
            }
        }
        Some(())
    }

    /// After an opening bracket: up to its match, brackets inside matched by kind.
    fn skip_balanced(&mut self, open: u8) -> Option<()> {
        let mut open_brackets = vec![open];
        while let Some(&top) = open_brackets.last() {
            match self.next()? {
                Token::Punct(b @ (b'(' | b'[' | b'{')) => {
                    if open_brackets.len() > MAX_RECURSION {
                        return None;
                    }
                    open_brackets.push(b);
                }
                Token::Punct(b @ (b')' | b']' | b'}')) => {
                    let matching = match top {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    if b != matching {
                        return None;
                    }
                    open_brackets.pop();
                }
                Token::Invalid | Token::Spread => return None,
                _ => {}
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::cost::tests::fan_out;

    fn floor(query: &str, operation_name: Option<&str>) -> Option<Floor> {
        scan(query, operation_name).floor
    }

    fn complexity(query: &str) -> Option<u64> {
        floor(query, None).map(|f| f.complexity)
    }

    #[test]
    fn counts_every_field_once() {
        assert_eq!(complexity("{ checkAuth { username authStatus } }"), Some(3));
        assert_eq!(
            complexity("query { a: f(x: [1, {y: \"}\"}]) @skip(if: true) { b c } d }"),
            Some(4)
        );
    }

    #[test]
    fn expands_fragments_as_executed() {
        assert_eq!(
            complexity(
                "{ ...A ...A ... on Q { x } ... @include(if: true) { y } } fragment A on Q { a { b } }"
            ),
            Some(6)
        );
        assert_eq!(complexity(&fan_out(6)), Some(729));
        // Each fragment is expanded once, so this takes microseconds and saturates.
        assert_eq!(complexity(&fan_out(25)), Some(3u64.pow(25)));
        assert_eq!(complexity(&fan_out(60)), Some(u64::MAX));
    }

    #[test]
    fn selects_the_operation() {
        let doc =
            "query A { a } mutation B($x: [Int] = [1]) @d { b c { d } } fragment F on T { e }";
        assert_eq!(
            floor(doc, Some("B")),
            Some(Floor {
                operation: OperationType::Mutation,
                complexity: 3
            })
        );
        assert_eq!(floor(doc, Some("A")).unwrap().complexity, 1);
        // Ambiguous or missing: the parser and the pipeline's selection answer.
        assert_eq!(floor(doc, None), None);
        assert_eq!(floor(doc, Some("C")), None);
        assert_eq!(floor("{ a }", Some("A")), None);
        assert_eq!(
            floor("subscription S { a }", None).unwrap().operation,
            OperationType::Subscription
        );
    }

    #[test]
    fn gives_no_floor_for_what_it_does_not_understand() {
        for doc in [
            "",
            "{ }",
            "{ a",
            "{ a(x: 1] }",
            "{ a(x: \"open\n) }",
            "{ a } { b }",
            "query A { a } query A { b }",
            "{ ...A } fragment A on Q { a } fragment A on Q { b }",
            "{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }",
            "{ ...on }",
            "fragment on on Q { a }",
            "type Q { a: Int }",
            "{ a .. }",
        ] {
            assert_eq!(complexity(doc), None, "{doc}");
        }
    }

    #[test]
    fn the_nesting_counts_the_whole_document() {
        // The floor stops at what it does not understand; the nesting does not.
        let doc = format!("{{ a }} type Q {}", "{".repeat(70));
        let scanned = scan(&doc, None);
        assert_eq!((scanned.nesting, scanned.floor), (70, None));
        let scanned = scan("{ a(x: [{y: 1}]) { b } }", None);
        assert_eq!(scanned.nesting, 4);
        assert_eq!(scanned.floor.map(|f| f.complexity), Some(2));
    }

    #[test]
    fn unknown_fragments_cost_nothing() {
        assert_eq!(complexity("{ a ...Missing }"), Some(1));
    }

    /// Documents from a small grammar: fields with aliases, arguments and directives, inline
    /// fragments, and spreads of fragments defined later (so no cycles).
    fn document() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("checkAuth { username }".to_string()),
            Just("a: checkAuth { authStatus }".to_string()),
            Just("__typename".to_string()),
            Just("private { getPrivate(element: \"x\", nameSpace: \"y\") }".to_string()),
            Just("roster { listContacts { jid } }".to_string()),
            Just("checkAuth @skip(if: true) { username }".to_string()),
        ];
        let selection = leaf.prop_recursive(3, 24, 4, |inner| {
            prop::collection::vec(inner, 1..4)
                .prop_map(|items| format!("... on UserQuery {{ {} }}", items.join(" ")))
        });
        (
            prop::collection::vec(selection.clone(), 1..4),
            prop::collection::vec(
                (
                    prop::collection::vec(selection, 1..3),
                    prop::collection::vec(0..4usize, 0..3),
                ),
                0..4,
            ),
            prop::collection::vec(0..4usize, 0..3),
        )
            .prop_map(|(top, fragments, top_spreads)| {
                let n = fragments.len();
                let spread = |from: usize, to: &usize| {
                    // Only fragments after `from` exist to be spread.
                    (from + to < n).then(|| format!(" ...F{}", from + to))
                };
                let mut doc = format!(
                    "query Q {{ {}{} }}",
                    top.join(" "),
                    top_spreads
                        .iter()
                        .filter_map(|t| spread(0, t))
                        .collect::<String>()
                );
                for (i, (sels, spreads)) in fragments.iter().enumerate() {
                    doc.push_str(&format!(
                        " fragment F{i} on UserQuery {{ {}{} }}",
                        sels.join(" "),
                        spreads
                            .iter()
                            .filter_map(|t| spread(i + 1, t))
                            .collect::<String>()
                    ));
                }
                doc
            })
    }

    proptest::proptest! {
        #[test]
        fn the_floor_never_exceeds_the_measured_cost(doc in document()) {
            let parsed = async_graphql::parser::parse_query(&doc).unwrap();
            let async_graphql::parser::types::DocumentOperations::Multiple(ops) = &parsed.operations
            else {
                panic!("one named operation");
            };
            let op = &ops.values().next().unwrap().node;
            let measured = crate::pipeline::cost::measure(
                &crate::generated::user::META,
                &parsed,
                op,
                "UserQuery",
                &async_graphql::Variables::default(),
                &crate::pipeline::cost::Bounds { max_complexity: u64::MAX, max_depth: usize::MAX },
            )
            .unwrap();
            let floor = floor(&doc, Some("Q")).expect("a floor for a plain document");
            proptest::prop_assert!(floor.complexity <= measured.complexity, "{} > {}", floor.complexity, measured.complexity);
            proptest::prop_assert_eq!(floor.operation, OperationType::Query);
        }
    }

    proptest::proptest! {
        /// Any text, and token soups close to GraphQL: the scans answer, never panic.
        #[test]
        fn any_input_gets_an_answer(
            text in ".{0,200}",
            soup in proptest::collection::vec(
                proptest::sample::select(vec![
                    "{", "}", "(", ")", "[", "]", "...", "on", "fragment", "query", "mutation",
                    "F", "a", ":", "@", "$", "\"s\"", "\"\"\"b\"\"\"", "1", "#c\n", ",", "!", "=",
                ]),
                0..80,
            ),
            name in proptest::option::of("[a-zA-Z]{1,3}"),
        ) {
            let soup = soup.join(" ");
            for doc in [text.as_str(), soup.as_str()] {
                let _ = scan(doc, name.as_deref());
            }
        }
    }

    #[test]
    fn long_spread_chains_give_no_floor() {
        let mut doc = String::from("{ ...F0 }");
        for i in 0..300 {
            doc.push_str(&format!(" fragment F{i} on Q {{ ...F{} }}", i + 1));
        }
        assert_eq!(complexity(&doc), None);
    }
}
