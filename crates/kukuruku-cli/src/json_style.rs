//! A small order-preserving JSON model, re-serialised in the styles real signers use, for the
//! `verify` diagnosis: compact or Python's spaced separators, sorted keys, `\/` escaping (PHP),
//! `\uXXXX` escaping (Python's `ensure_ascii`, PHP), `merchant_id` as string or number.

use std::fmt::Write as _;

/// A JSON value whose objects keep their key order and whose numbers keep their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

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
    /// Non-ASCII written as `\uXXXX` (Python's `ensure_ascii`, PHP's default).
    pub(crate) ascii_only: bool,
}

impl Json {
    /// Parses a whole JSON text (surrounding whitespace allowed).
    pub(crate) fn parse(text: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(text).ok()?;
        let mut parser = Parser {
            chars: text.char_indices().peekable(),
            text,
            depth: 0,
        };
        let value = parser.value()?;
        parser.skip_ws();
        parser.chars.peek().is_none().then_some(value)
    }

    /// Writes the value in `style`.
    pub(crate) fn write(&self, style: Style) -> String {
        let mut out = String::new();
        self.write_into(style, &mut out);
        out
    }

    fn write_into(&self, style: Style, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Number(n) => out.push_str(n),
            Self::String(s) => write_string(s, style, out),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if style.spaced { ", " } else { "," });
                    }
                    item.write_into(style, out);
                }
                out.push(']');
            }
            Self::Object(fields) => {
                let mut fields: Vec<&(String, Json)> = fields.iter().collect();
                if style.sort_keys {
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (i, (key, value)) in fields.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(if style.spaced { ", " } else { "," });
                    }
                    write_string(key, style, out);
                    out.push_str(if style.spaced { ": " } else { ":" });
                    value.write_into(style, out);
                }
                out.push('}');
            }
        }
    }

    /// The top-level `merchant_id`, if any.
    pub(crate) fn merchant_id(&self) -> Option<&Json> {
        match self {
            Self::Object(fields) => fields
                .iter()
                .find(|(key, _)| key == "merchant_id")
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// A copy with the top-level `merchant_id` switched between string and number; `None` when
    /// there is none, or it is a string that is not an integer.
    pub(crate) fn with_merchant_id_swapped(&self) -> Option<Self> {
        let Self::Object(fields) = self else {
            return None;
        };
        let mut fields = fields.clone();
        let (_, value) = fields.iter_mut().find(|(key, _)| key == "merchant_id")?;
        *value = match value {
            Self::Number(n) => Self::String(n.clone()),
            Self::String(s)
                if !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && (s == "0" || !s.starts_with('0')) =>
            {
                Self::Number(s.clone())
            }
            _ => return None,
        };
        Some(Self::Object(fields))
    }
}

fn write_string(text: &str, style: Style, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.escape_slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if style.ascii_only && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self
            .chars
            .peek()
            .is_some_and(|&(_, c)| matches!(c, ' ' | '\t' | '\n' | '\r'))
        {
            self.chars.next();
        }
    }

    fn eat(&mut self, expected: char) -> Option<()> {
        self.skip_ws();
        (self.chars.next()?.1 == expected).then_some(())
    }

    fn literal(&mut self, word: &str, value: Json) -> Option<Json> {
        for expected in word.chars() {
            if self.chars.next()?.1 != expected {
                return None;
            }
        }
        Some(value)
    }

    fn value(&mut self) -> Option<Json> {
        self.skip_ws();
        let &(start, c) = self.chars.peek()?;
        match c {
            'n' => self.literal("null", Json::Null),
            't' => self.literal("true", Json::Bool(true)),
            'f' => self.literal("false", Json::Bool(false)),
            '"' => self.string().map(Json::String),
            '[' | '{' => {
                self.depth += 1;
                if self.depth > 128 {
                    return None;
                }
                let value = if c == '[' {
                    self.array()
                } else {
                    self.object()
                };
                self.depth -= 1;
                value
            }
            '-' | '0'..='9' => {
                let mut end = start;
                while let Some(&(i, c)) = self.chars.peek() {
                    if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                        end = i + c.len_utf8();
                        self.chars.next();
                    } else {
                        break;
                    }
                }
                let number = &self.text[start..end];
                number
                    .parse::<f64>()
                    .ok()
                    .map(|_| Json::Number(number.to_owned()))
            }
            _ => None,
        }
    }

    fn array(&mut self) -> Option<Json> {
        self.eat('[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.chars.peek().is_some_and(|&(_, c)| c == ']') {
            self.chars.next();
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.chars.next()?.1 {
                ',' => {}
                ']' => return Some(Json::Array(items)),
                _ => return None,
            }
        }
    }

    fn object(&mut self) -> Option<Json> {
        self.eat('{')?;
        let mut fields = Vec::new();
        self.skip_ws();
        if self.chars.peek().is_some_and(|&(_, c)| c == '}') {
            self.chars.next();
            return Some(Json::Object(fields));
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.eat(':')?;
            let value = self.value()?;
            fields.push((key, value));
            self.skip_ws();
            match self.chars.next()?.1 {
                ',' => {}
                '}' => return Some(Json::Object(fields)),
                _ => return None,
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.chars.next()?.1 != '"' {
            return None;
        }
        let mut out = String::new();
        loop {
            let (_, c) = self.chars.next()?;
            match c {
                '"' => return Some(out),
                '\\' => {
                    let (_, escaped) = self.chars.next()?;
                    match escaped {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let first = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&first) {
                                if self.chars.next()?.1 != '\\' || self.chars.next()?.1 != 'u' {
                                    return None;
                                }
                                let second = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&second) {
                                    return None;
                                }
                                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
                            } else {
                                first
                            };
                            out.push(char::from_u32(code)?);
                        }
                        _ => return None,
                    }
                }
                c if u32::from(c) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut code = 0;
        for _ in 0..4 {
            code = code * 16 + self.chars.next()?.1.to_digit(16)?;
        }
        Some(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"merchant_id":"1","amount":500,"callback_url":"https://x.example/cb","customer":{"client_id":"é@x.com"},"list":[1,2.5,true,null]}"#;

    #[test]
    fn compact_round_trips_byte_for_byte() {
        let json = Json::parse(BODY.as_bytes()).unwrap();
        assert_eq!(json.write(Style::default()), BODY);
    }

    #[test]
    fn styles_match_python_and_php() {
        let json = Json::parse(BODY.as_bytes()).unwrap();
        let python = Style {
            spaced: true,
            ascii_only: true,
            ..Style::default()
        };
        assert_eq!(
            json.write(python),
            r#"{"merchant_id": "1", "amount": 500, "callback_url": "https://x.example/cb", "customer": {"client_id": "\u00e9@x.com"}, "list": [1, 2.5, true, null]}"#
        );
        let php = Style {
            escape_slash: true,
            ascii_only: true,
            ..Style::default()
        };
        assert_eq!(
            json.write(php),
            r#"{"merchant_id":"1","amount":500,"callback_url":"https:\/\/x.example\/cb","customer":{"client_id":"\u00e9@x.com"},"list":[1,2.5,true,null]}"#
        );
        let sorted = Style {
            sort_keys: true,
            ..Style::default()
        };
        assert!(
            json.write(sorted)
                .starts_with(r#"{"amount":500,"callback_url""#)
        );
    }

    #[test]
    fn escapes_are_decoded() {
        let json = Json::parse(br#"{"a":"https:\/\/x","b":"\u00e9\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(
            json.write(Style::default()),
            "{\"a\":\"https://x\",\"b\":\"é😀\\n\"}"
        );
    }

    #[test]
    fn merchant_id_swaps() {
        let json = Json::parse(br#"{"merchant_id":"12","x":1}"#).unwrap();
        let swapped = json.with_merchant_id_swapped().unwrap();
        assert_eq!(
            swapped.write(Style::default()),
            r#"{"merchant_id":12,"x":1}"#
        );
        assert_eq!(
            swapped
                .with_merchant_id_swapped()
                .unwrap()
                .write(Style::default()),
            r#"{"merchant_id":"12","x":1}"#
        );
        assert!(
            Json::parse(br#"{"merchant_id":"m-1"}"#)
                .unwrap()
                .with_merchant_id_swapped()
                .is_none()
        );
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
        ] {
            assert!(Json::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
    }
}
