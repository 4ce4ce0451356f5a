//! The check that runs on the raw document before the parser: a bound on bracket nesting, so
//! that a hostile document cannot exhaust the recursive-descent parser's stack. Linear in the
//! document; strings, block strings and comments are skipped as the lexer would skip them.

use super::lexer::{Lexer, Token};

/// Largest bracket nesting accepted before parsing.
pub const MAX_NESTING: usize = 64;

/// The deepest nesting of `{`, `[` and `(` outside strings and comments.
pub fn nesting_depth(query: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for token in Lexer::new(query) {
        match token {
            Token::Punct(b'{' | b'[' | b'(') => {
                depth += 1;
                max = max.max(depth);
            }
            Token::Punct(b'}' | b']' | b')') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting_depth("{ a { b } }"), 2);
        assert_eq!(nesting_depth("{ a(x: \"{{{{\") } # {{{{"), 2);
        assert_eq!(nesting_depth(&"{".repeat(1000)), 1000);
        assert_eq!(nesting_depth("{ a(x: \"\\\"{{\") }"), 2);
    }

    #[test]
    fn understands_block_strings() {
        // Brackets inside a block string do not count, including after an escaped `\"""`.
        assert_eq!(
            nesting_depth("{ a(x: \"\"\" {{{{ \\\"\"\" {{{{ \"\"\") }"),
            2
        );
        // A block string's quotes do not end it early: what follows its end counts again.
        let doc = format!("{{ a(x: \"\"\"\"{{\"\"\") {} }}", "{".repeat(70));
        assert_eq!(nesting_depth(&doc), 71);
        // `"` inside a block string does not start a string that would hide the rest.
        let doc = format!("{{ a(x: \"\"\" \" \"\"\") {} }}", "[".repeat(70));
        assert_eq!(nesting_depth(&doc), 71);
    }

    #[test]
    fn an_unterminated_string_ends_at_the_line() {
        let doc = format!("{{ a(x: \"unterminated\n{} }}", "(".repeat(70));
        assert_eq!(nesting_depth(&doc), 72);
    }
}
