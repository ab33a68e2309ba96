//! Untrusted text in error messages: one rule for the whole workspace.
//!
//! Errors quote what a server or a user sent (an unknown currency code, a provider's error
//! description, the start of an answer that could not be read). They show at most
//! [`EXCERPT_CHARS`] characters of it, cut on a character boundary and marked with `…`, so
//! that a hostile or broken peer cannot flood a log through an error.
//!
//! ```
//! use kukuruku_proto::{Excerpt, EXCERPT_CHARS};
//! assert_eq!(Excerpt("short").to_string(), "short");
//! let long = "é".repeat(EXCERPT_CHARS + 10);
//! assert_eq!(Excerpt(&long).to_string().chars().count(), EXCERPT_CHARS + 1);
//! ```

use std::fmt;

/// How many characters of untrusted text an error shows.
pub const EXCERPT_CHARS: usize = 64;

/// Displays at most [`EXCERPT_CHARS`] characters of untrusted text, marking a cut with `…`.
#[derive(Clone, Copy)]
pub struct Excerpt<'a>(pub &'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(EXCERPT_CHARS) {
            Some((cut, _)) => write!(f, "{}…", &self.0[..cut]),
            None => f.write_str(self.0),
        }
    }
}

impl fmt::Debug for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_char_safe() {
        let long = "é".repeat(100);
        let shown = Excerpt(&long).to_string();
        assert_eq!(shown.chars().count(), 65);
        assert!(shown.ends_with('…'));
        assert_eq!(Excerpt("short").to_string(), "short");
    }
}
