//! An error as the user reads it: its message and every cause behind `source()`.
//!
//! The workspace's errors keep their cause behind `source()` and out of their message
//! (CONTRIBUTING.md), so printing an error with `{err}` alone loses the reason; wherever an error
//! reaches the user, the CLI prints [`chain`] instead.

use std::error::Error;

/// `message: cause: cause`: the messages of `error` and of its sources, joined with ": ". A
/// message already contained in an earlier one (a library that also prints its cause) is left
/// out, so each sentence reads once.
pub(crate) fn chain(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    /// An error with a message and, optionally, a cause behind `source()`.
    #[derive(Debug)]
    struct Layer {
        message: &'static str,
        source: Option<Box<Layer>>,
    }

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.message)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source
                .as_deref()
                .map(|inner| inner as &(dyn Error + 'static))
        }
    }

    fn layers(messages: &[&'static str]) -> Layer {
        let mut error: Option<Layer> = None;
        for message in messages.iter().rev() {
            error = Some(Layer {
                message,
                source: error.map(Box::new),
            });
        }
        error.unwrap()
    }

    #[test]
    fn one_error_is_its_message() {
        assert_eq!(chain(&layers(&["cannot start"])), "cannot start");
    }

    #[test]
    fn every_cause_follows_once() {
        let error = layers(&[
            "the sandbox cannot start",
            "cannot listen on 127.0.0.1:80",
            "permission denied",
        ]);
        assert_eq!(
            chain(&error),
            "the sandbox cannot start: cannot listen on 127.0.0.1:80: permission denied"
        );
    }

    #[test]
    fn a_cause_the_message_already_says_is_left_out() {
        let error = layers(&["connection refused: os error 111", "os error 111"]);
        assert_eq!(chain(&error), "connection refused: os error 111");
    }

    #[test]
    fn an_io_error_with_an_inner_error() {
        let error = std::io::Error::other(layers(&["the body", "was cut"]));
        assert_eq!(chain(&error), "the body: was cut");
    }
}
