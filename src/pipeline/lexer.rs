//! GraphQL's lexical grammar, enough for the scan that runs on the raw document before the
//! parser (see [`super::floor`]): punctuators and names come out as tokens; strings, block
//! strings and numbers as opaque values; whitespace, commas and comments are skipped. Linear
//! in the document, never fails: what the real lexer would refuse comes out as
//! [`Token::Invalid`] and lexing goes on after it. The lexer also counts the deepest nesting
//! of `{`, `[` and `(` among the tokens it has produced, which bounds the parser's recursion.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// One of `! $ & ( ) : = @ [ ] { | }`.
    Punct(u8),
    /// `...`
    Spread,
    Name(&'a str),
    /// A number or a string (block or not).
    Value,
    /// A character no token starts with, or a string not closed on its line.
    Invalid,
}

pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    max_depth: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            depth: 0,
            max_depth: 0,
        }
    }

    /// The deepest nesting of `{`, `[` and `(` in what was lexed so far.
    pub fn max_nesting(&self) -> usize {
        self.max_depth
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn skip_ignored(&mut self) {
        let b = self.bytes();
        while self.pos < b.len() {
            match b[self.pos] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.pos += 1,
                b'#' => {
                    while self.pos < b.len() && b[self.pos] != b'\n' && b[self.pos] != b'\r' {
                        self.pos += 1;
                    }
                }
                // U+FEFF, the byte order mark, is ignored like whitespace.
                0xEF if b[self.pos..].starts_with(&[0xEF, 0xBB, 0xBF]) => self.pos += 3,
                _ => return,
            }
        }
    }

    /// After the opening `"""`: up to the first `"""` not escaped as `\"""`, or the end.
    fn block_string(&mut self) -> Token<'a> {
        let b = self.bytes();
        while self.pos < b.len() {
            if b[self.pos..].starts_with(b"\\\"\"\"") {
                self.pos += 4;
            } else if b[self.pos..].starts_with(b"\"\"\"") {
                self.pos += 3;
                return Token::Value;
            } else {
                self.pos += 1;
            }
        }
        Token::Invalid
    }

    /// After the opening `"`: up to the closing `"`; a line end first leaves it unterminated.
    fn string(&mut self) -> Token<'a> {
        let b = self.bytes();
        while self.pos < b.len() {
            match b[self.pos] {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Token::Value;
                }
                b'\n' | b'\r' => return Token::Invalid,
                _ => self.pos += 1,
            }
        }
        Token::Invalid
    }

    /// Digits, a fraction, an exponent: taken loosely, a number's exact form is the parser's.
    fn number(&mut self) -> Token<'a> {
        let b = self.bytes();
        self.pos += 1;
        while self.pos < b.len() {
            match b[self.pos] {
                b'0'..=b'9' | b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.pos += 1,
                b'+' | b'-' if matches!(b[self.pos - 1], b'e' | b'E') => self.pos += 1,
                _ => break,
            }
        }
        Token::Value
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        self.skip_ignored();
        let b = self.bytes();
        let start = self.pos;
        let first = *b.get(start)?;
        Some(match first {
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => {
                self.pos += 1;
                match first {
                    b'{' | b'[' | b'(' => {
                        self.depth += 1;
                        self.max_depth = self.max_depth.max(self.depth);
                    }
                    b'}' | b']' | b')' => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
                Token::Punct(first)
            }
            b'.' if b[start..].starts_with(b"...") => {
                self.pos += 3;
                Token::Spread
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                self.pos += 1;
                while self.pos < b.len()
                    && matches!(b[self.pos], b'_' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
                {
                    self.pos += 1;
                }
                // ASCII bytes only, so both ends are character boundaries.
                Token::Name(&self.src[start..self.pos])
            }
            b'"' if b[start..].starts_with(b"\"\"\"") => {
                self.pos += 3;
                self.block_string()
            }
            b'"' => {
                self.pos += 1;
                self.string()
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => {
                self.pos += 1;
                Token::Invalid
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Token::*;
    use super::*;

    fn tokens(src: &str) -> Vec<Token<'_>> {
        Lexer::new(src).collect()
    }

    #[test]
    fn punctuators_names_and_values() {
        assert_eq!(
            tokens("query Q($a: [Int!] = [1, -2.5e+3]) { f: g(x: \"}\") ...F }"),
            vec![
                Name("query"),
                Name("Q"),
                Punct(b'('),
                Punct(b'$'),
                Name("a"),
                Punct(b':'),
                Punct(b'['),
                Name("Int"),
                Punct(b'!'),
                Punct(b']'),
                Punct(b'='),
                Punct(b'['),
                Value,
                Value,
                Punct(b']'),
                Punct(b')'),
                Punct(b'{'),
                Name("f"),
                Punct(b':'),
                Name("g"),
                Punct(b'('),
                Name("x"),
                Punct(b':'),
                Value,
                Punct(b')'),
                Spread,
                Name("F"),
                Punct(b'}'),
            ]
        );
    }

    #[test]
    fn comments_commas_and_the_byte_order_mark_are_ignored() {
        assert_eq!(
            tokens("\u{feff}{ a, # { b\n c }"),
            vec![Punct(b'{'), Name("a"), Name("c"), Punct(b'}')]
        );
    }

    #[test]
    fn strings_with_escapes_and_block_strings() {
        assert_eq!(tokens(r#""a\"b" x"#), vec![Value, Name("x")]);
        assert_eq!(tokens(r#""""a \""" " b""" x"#), vec![Value, Name("x")]);
        assert_eq!(tokens("\"open\nx"), vec![Invalid, Name("x")]);
        assert_eq!(tokens("\"\"\"open"), vec![Invalid]);
    }

    #[test]
    fn stray_characters_are_invalid_and_lexing_goes_on() {
        assert_eq!(
            tokens("a .. é b"),
            vec![Name("a"), Invalid, Invalid, Invalid, Invalid, Name("b")]
        );
    }

    fn nesting(src: &str) -> usize {
        let mut lexer = Lexer::new(src);
        lexer.by_ref().for_each(drop);
        lexer.max_nesting()
    }

    #[test]
    fn counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting("{ a { b } }"), 2);
        assert_eq!(nesting("{ a(x: \"{{{{\") } # {{{{"), 2);
        assert_eq!(nesting(&"{".repeat(1000)), 1000);
        assert_eq!(nesting("{ a(x: \"\\\"{{\") }"), 2);
    }

    #[test]
    fn understands_block_strings() {
        // Brackets inside a block string do not count, including after an escaped `\"""`.
        assert_eq!(nesting("{ a(x: \"\"\" {{{{ \\\"\"\" {{{{ \"\"\") }"), 2);
        // A block string's quotes do not end it early: what follows its end counts again.
        let doc = format!("{{ a(x: \"\"\"\"{{\"\"\") {} }}", "{".repeat(70));
        assert_eq!(nesting(&doc), 71);
        // `"` inside a block string does not start a string that would hide the rest.
        let doc = format!("{{ a(x: \"\"\" \" \"\"\") {} }}", "[".repeat(70));
        assert_eq!(nesting(&doc), 71);
    }

    #[test]
    fn an_unterminated_string_ends_at_the_line() {
        let doc = format!("{{ a(x: \"unterminated\n{} }}", "(".repeat(70));
        assert_eq!(nesting(&doc), 72);
    }
}
