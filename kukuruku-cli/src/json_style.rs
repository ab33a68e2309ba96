//! JSON re-serialised in the styles real signers use, for the `verify` diagnosis: compact or
//! Python's spaced separators, sorted keys, `\/` escaping (PHP), `\uXXXX` escaping (Python's
//! `ensure_ascii`, PHP), `merchant_id` as string or number.
//!
//! Parsing and writing are `serde_json`'s: objects keep their key order (its `preserve_order`
//! feature), and [`StyleFormatter`] writes the separators and escapes of each style.

use std::io::{self, Write};

use serde::Serialize as _;
use serde_json::Value;
use serde_json::ser::Formatter;

/// How to write JSON: four independent switches, one per serialiser habit.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Style {
    /// `", "` and `": "` (Python's default `json.dumps`) instead of `,` and `:`.
    pub(crate) spaced: bool,
    /// Keys of every object sorted.
    pub(crate) sort_keys: bool,
    /// `/` written as `\/` (PHP's default `json_encode`).
    pub(crate) escape_slash: bool,
    /// Non-ASCII written as `\uXXXX` (Python's `ensure_ascii`, PHP's default), astral
    /// characters as a UTF-16 surrogate pair.
    pub(crate) ascii_only: bool,
}

/// Parses a whole JSON text (surrounding whitespace allowed), objects in their key order; a
/// text with a key twice in one object is not read (no re-serialisation could reproduce it).
pub(crate) fn parse(text: &[u8]) -> Option<Value> {
    kukuruku_proto::read_json(text).ok()
}

/// Writes `value` in `style`.
pub(crate) fn write(value: &Value, style: Style) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, StyleFormatter { style });
    let written = if style.sort_keys {
        let mut sorted = value.clone();
        sorted.sort_all_objects();
        sorted.serialize(&mut serializer)
    } else {
        value.serialize(&mut serializer)
    };
    // A `Value` written into a Vec: nothing can fail.
    if written.is_err() {
        out.clear();
    }
    out
}

/// A copy with the top-level `merchant_id` switched between string and number; `None` when
/// there is none, or it is a string that is not a plain integer (digits, no leading zero).
pub(crate) fn with_merchant_id_swapped(value: &Value) -> Option<Value> {
    let mut value = value.clone();
    let id = value.as_object_mut()?.get_mut("merchant_id")?;
    *id = match id {
        Value::Number(number) => Value::String(number.to_string()),
        Value::String(text)
            if !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_digit())
                && (text == "0" || !text.starts_with('0')) =>
        {
            Value::Number(text.parse::<u64>().ok()?.into())
        }
        _ => return None,
    };
    Some(value)
}

/// `serde_json`'s compact formatter, with the separators and string escapes of a [`Style`].
/// (Sorting keys is done on the value, before writing.)
struct StyleFormatter {
    style: Style,
}

impl StyleFormatter {
    fn separator<W: ?Sized + Write>(&self, writer: &mut W, mark: u8) -> io::Result<()> {
        writer.write_all(&[mark])?;
        if self.style.spaced {
            writer.write_all(b" ")?;
        }
        Ok(())
    }
}

impl Formatter for StyleFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            self.separator(writer, b',')
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            self.separator(writer, b',')
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.separator(writer, b':')
    }

    /// The parts of a string (keys included) that JSON itself does not escape: `/` and
    /// non-ASCII characters are written escaped when the style says so.
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let Style {
            escape_slash,
            ascii_only,
            ..
        } = self.style;
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            let escape_this = (escape_slash && c == '/') || (ascii_only && !c.is_ascii());
            if !escape_this {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain..at])?;
            plain = at + c.len_utf8();
            if c == '/' {
                writer.write_all(b"\\/")?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"merchant_id":"1","amount":500,"callback_url":"https://x.example/cb","customer":{"client_id":"é@x.com"},"list":[1,2.5,true,null]}"#;

    fn styled(value: &Value, style: Style) -> String {
        String::from_utf8(write(value, style)).unwrap()
    }

    #[test]
    fn compact_round_trips_byte_for_byte() {
        let json = parse(BODY.as_bytes()).unwrap();
        assert_eq!(styled(&json, Style::default()), BODY);
    }

    #[test]
    fn styles_match_python_and_php() {
        let json = parse(BODY.as_bytes()).unwrap();
        let python = Style {
            spaced: true,
            ascii_only: true,
            ..Style::default()
        };
        assert_eq!(
            styled(&json, python),
            r#"{"merchant_id": "1", "amount": 500, "callback_url": "https://x.example/cb", "customer": {"client_id": "\u00e9@x.com"}, "list": [1, 2.5, true, null]}"#
        );
        let php = Style {
            escape_slash: true,
            ascii_only: true,
            ..Style::default()
        };
        assert_eq!(
            styled(&json, php),
            r#"{"merchant_id":"1","amount":500,"callback_url":"https:\/\/x.example\/cb","customer":{"client_id":"\u00e9@x.com"},"list":[1,2.5,true,null]}"#
        );
        let sorted = Style {
            sort_keys: true,
            ..Style::default()
        };
        assert!(styled(&json, sorted).starts_with(r#"{"amount":500,"callback_url""#));
    }

    #[test]
    fn sorting_reaches_nested_objects_and_keeps_the_original() {
        let json = parse(br#"{"b":{"y":1,"x":[{"d":1,"c":2}]},"a":0}"#).unwrap();
        let sorted = Style {
            sort_keys: true,
            spaced: true,
            ..Style::default()
        };
        assert_eq!(
            styled(&json, sorted),
            r#"{"a": 0, "b": {"x": [{"c": 2, "d": 1}], "y": 1}}"#
        );
        assert_eq!(
            styled(&json, Style::default()),
            r#"{"b":{"y":1,"x":[{"d":1,"c":2}]},"a":0}"#
        );
    }

    #[test]
    fn escapes_like_python_and_php() {
        // The outputs of Python 3's json.dumps({"k/é": "a/b 😀 \u0001\n\"\\"}) and PHP 8's
        // json_encode(["k/é" => "a/b 😀 \u{1}\n\"\\"]), run on this machine.
        let json = parse("{\"k/é\":\"a/b 😀 \\u0001\\n\\\"\\\\\"}".as_bytes()).unwrap();
        let python = Style {
            spaced: true,
            ascii_only: true,
            ..Style::default()
        };
        assert_eq!(
            styled(&json, python),
            r#"{"k/\u00e9": "a/b \ud83d\ude00 \u0001\n\"\\"}"#
        );
        let php = Style {
            escape_slash: true,
            ascii_only: true,
            ..Style::default()
        };
        assert_eq!(
            styled(&json, php),
            r#"{"k\/\u00e9":"a\/b \ud83d\ude00 \u0001\n\"\\"}"#
        );
        assert_eq!(
            styled(&json, Style::default()),
            "{\"k/é\":\"a/b 😀 \\u0001\\n\\\"\\\\\"}"
        );
    }

    #[test]
    fn escapes_are_decoded() {
        let json = parse(br#"{"a":"https:\/\/x","b":"\u00e9\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(
            styled(&json, Style::default()),
            "{\"a\":\"https://x\",\"b\":\"é😀\\n\"}"
        );
    }

    #[test]
    fn merchant_id_swaps() {
        let json = parse(br#"{"merchant_id":"12","x":1}"#).unwrap();
        let swapped = with_merchant_id_swapped(&json).unwrap();
        assert_eq!(
            styled(&swapped, Style::default()),
            r#"{"merchant_id":12,"x":1}"#
        );
        assert_eq!(
            styled(
                &with_merchant_id_swapped(&swapped).unwrap(),
                Style::default()
            ),
            r#"{"merchant_id":"12","x":1}"#
        );
        for no_swap in [
            &br#"{"merchant_id":"m-1"}"#[..],
            br#"{"merchant_id":"01"}"#,
            br#"{"merchant_id":""}"#,
            br#"{"merchant_id":null}"#,
            br#"{"x":1}"#,
            b"[1]",
        ] {
            assert!(
                with_merchant_id_swapped(&parse(no_swap).unwrap()).is_none(),
                "{}",
                String::from_utf8_lossy(no_swap)
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "{",
            "{\"a\":}",
            "[1,]",
            "nul",
            "{\"a\":1} x",
            "\"\u{1}\"",
            "\"\\ud800\"",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        assert!(parse(b"\xff").is_none());
    }

    #[test]
    fn a_key_twice_is_not_read() {
        assert!(parse(br#"{"amount":1,"amount":500000}"#).is_none());
        assert!(parse(br#"{"extra":{"a":1,"a":2}}"#).is_none());
        assert!(parse(br#"{"amount":1}"#).is_some());
    }
}
