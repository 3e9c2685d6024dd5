//! A strict JSON reader that allocates nothing: it validates a whole document (RFC 8259:
//! no trailing comma, no comment, no lone surrogate, no raw control character in a
//! string, nothing after the value) and picks out the two facts a REST answer is checked
//! on after its signature: the top-level `shopId` and `orderDetails.mode`.
//!
//! It reads bytes from an iterator, so it runs over the `kr-answer` value while it is
//! URL-decoded, without a decoded copy. Nesting is bounded ([`MAX_DEPTH`], as
//! `serde_json`'s default), so no input can exhaust the stack.

/// The most objects and arrays nested in one another (the root included): 127, exactly
/// what `serde_json` reads by default, so the typed view reads whatever verification
/// accepted.
pub(crate) const MAX_DEPTH: usize = 127;

/// A short decoded string: the first [`SHORT`] bytes, and whether there were more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Short {
    buf: [u8; SHORT],
    len: usize,
    overflow: bool,
}

const SHORT: usize = 16;

impl Short {
    const EMPTY: Short = Short {
        buf: [0; SHORT],
        len: 0,
        overflow: false,
    };

    fn push(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    /// The decoded bytes, when the string was short enough to keep whole.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        if self.overflow {
            None
        } else {
            self.buf.get(..self.len)
        }
    }

    /// Whether the string is exactly `text`.
    pub(crate) fn is(&self, text: &str) -> bool {
        self.bytes() == Some(text.as_bytes())
    }
}

/// What the reader found: `shopId` and `orderDetails.mode` when they are strings, and
/// the channels every `paymentSource` string names (bits [`SOURCE_WEBSITE`],
/// [`SOURCE_MOTO`], [`SOURCE_CC`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AnswerFacts {
    pub(crate) shop_id: Option<Short>,
    pub(crate) mode: Option<Short>,
    pub(crate) sources: u8,
}

/// A `paymentSource` other than `MOTO` and `CC` (`EC`, `OTHER`, ...).
pub(crate) const SOURCE_WEBSITE: u8 = 1;
/// A `paymentSource` `MOTO`.
pub(crate) const SOURCE_MOTO: u8 = 2;
/// A `paymentSource` `CC`.
pub(crate) const SOURCE_CC: u8 = 4;

/// The document is not strict JSON, is not an object, nests too deep, or names `shopId`,
/// `orderDetails` or `orderDetails.mode` twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

/// Where a value sits, for what the reader keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    OrderDetails,
    Elsewhere,
}

struct Reader<I: Iterator<Item = u8>> {
    bytes: I,
    peeked: Option<u8>,
    facts: AnswerFacts,
    seen_order_details: bool,
}

/// Validates `bytes` as one JSON object and returns its `shopId` and `orderDetails.mode`.
///
/// # Errors
/// [`Invalid`] for anything that is not one strict JSON object.
pub(crate) fn answer_facts(bytes: impl Iterator<Item = u8>) -> Result<AnswerFacts, Invalid> {
    let mut r = Reader {
        bytes,
        peeked: None,
        facts: AnswerFacts::default(),
        seen_order_details: false,
    };
    r.skip_ws();
    if r.peek() != Some(b'{') {
        return Err(Invalid);
    }
    r.object(0, Place::Root)?;
    r.skip_ws();
    match r.next() {
        None => Ok(r.facts),
        Some(_) => Err(Invalid),
    }
}

impl<I: Iterator<Item = u8>> Reader<I> {
    fn peek(&mut self) -> Option<u8> {
        if self.peeked.is_none() {
            self.peeked = self.bytes.next();
        }
        self.peeked
    }

    fn next(&mut self) -> Option<u8> {
        match self.peeked.take() {
            Some(b) => Some(b),
            None => self.bytes.next(),
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Invalid> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.peeked = None;
        }
    }

    /// A value; `keep` receives it when it is a string and the caller wants it.
    fn value(
        &mut self,
        depth: usize,
        place: Place,
        keep: Option<&mut Short>,
    ) -> Result<(), Invalid> {
        self.skip_ws();
        match self.peek().ok_or(Invalid)? {
            b'{' => self.object(depth, place),
            b'[' => self.array(depth),
            b'"' => {
                let mut scratch = Short::EMPTY;
                self.string(keep.unwrap_or(&mut scratch))
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Invalid),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Invalid> {
        word.iter().try_for_each(|&b| self.expect(b))
    }

    fn object(&mut self, depth: usize, place: Place) -> Result<(), Invalid> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.expect(b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.peeked = None;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(Invalid);
            }
            let mut name = Short::EMPTY;
            self.string(&mut name)?;
            self.skip_ws();
            self.expect(b':')?;
            match (place, name.bytes()) {
                (Place::Root, Some(b"shopId")) => {
                    if self.facts.shop_id.is_some() {
                        return Err(Invalid);
                    }
                    let mut v = Short::EMPTY;
                    let is_string = self.value_is_string();
                    self.value(depth + 1, Place::Elsewhere, Some(&mut v))?;
                    // A non-string shopId is read as "no shop id" (and then refused),
                    // but still counts as seen, so a second one is a duplicate.
                    self.facts.shop_id = Some(if is_string { v } else { Short::NOT_A_STRING });
                }
                (Place::Root, Some(b"orderDetails")) => {
                    if self.seen_order_details {
                        return Err(Invalid);
                    }
                    self.seen_order_details = true;
                    self.value(depth + 1, Place::OrderDetails, None)?;
                }
                (Place::OrderDetails, Some(b"mode")) => {
                    if self.facts.mode.is_some() {
                        return Err(Invalid);
                    }
                    let mut v = Short::EMPTY;
                    let is_string = self.value_is_string();
                    self.value(depth + 1, Place::Elsewhere, Some(&mut v))?;
                    self.facts.mode = Some(if is_string { v } else { Short::NOT_A_STRING });
                }
                (_, Some(b"paymentSource")) if self.value_is_string() => {
                    let mut v = Short::EMPTY;
                    self.value(depth + 1, Place::Elsewhere, Some(&mut v))?;
                    self.facts.sources |= if v.is("MOTO") {
                        SOURCE_MOTO
                    } else if v.is("CC") {
                        SOURCE_CC
                    } else {
                        SOURCE_WEBSITE
                    };
                }
                _ => self.value(depth + 1, Place::Elsewhere, None)?,
            }
            self.skip_ws();
            match self.next() {
                Some(b',') => continue,
                Some(b'}') => return Ok(()),
                _ => return Err(Invalid),
            }
        }
    }

    fn value_is_string(&mut self) -> bool {
        self.skip_ws();
        self.peek() == Some(b'"')
    }

    fn array(&mut self, depth: usize) -> Result<(), Invalid> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.expect(b'[')?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.peeked = None;
            return Ok(());
        }
        loop {
            self.value(depth + 1, Place::Elsewhere, None)?;
            self.skip_ws();
            match self.next() {
                Some(b',') => continue,
                Some(b']') => return Ok(()),
                _ => return Err(Invalid),
            }
        }
    }

    /// A string, decoded into `out` (which keeps its first bytes). The input is UTF-8
    /// already (the body parser checked it); escapes must be valid, surrogates paired.
    fn string(&mut self, out: &mut Short) -> Result<(), Invalid> {
        self.expect(b'"')?;
        loop {
            match self.next().ok_or(Invalid)? {
                b'"' => return Ok(()),
                b'\\' => {
                    let c = match self.next().ok_or(Invalid)? {
                        b'"' => u32::from(b'"'),
                        b'\\' => u32::from(b'\\'),
                        b'/' => u32::from(b'/'),
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => u32::from(b'\n'),
                        b'r' => u32::from(b'\r'),
                        b't' => u32::from(b'\t'),
                        b'u' => self.unicode_escape()?,
                        _ => return Err(Invalid),
                    };
                    let ch = char::from_u32(c).ok_or(Invalid)?;
                    let mut utf8 = [0u8; 4];
                    ch.encode_utf8(&mut utf8).bytes().for_each(|b| out.push(b));
                }
                b if b < 0x20 => return Err(Invalid),
                b => out.push(b),
            }
        }
    }

    /// The code point of `\uXXXX` (after the `u`), a surrogate pair joined.
    fn unicode_escape(&mut self) -> Result<u32, Invalid> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                self.expect(b'\\')?;
                self.expect(b'u')?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Invalid);
                }
                Ok(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            }
            0xDC00..=0xDFFF => Err(Invalid),
            c => Ok(c),
        }
    }

    fn hex4(&mut self) -> Result<u32, Invalid> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = char::from(self.next().ok_or(Invalid)?)
                .to_digit(16)
                .ok_or(Invalid)?;
            v = (v << 4) | d;
        }
        Ok(v)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), Invalid> {
        if self.peek() == Some(b'-') {
            self.peeked = None;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.peeked = None;
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.peeked = None;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.peeked = None;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.peeked = None;
        }
    }

    fn some_digits(&mut self) -> Result<(), Invalid> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(Invalid);
        }
        self.digits();
        Ok(())
    }
}

impl Short {
    /// Stands for a value that is present but not a string (it matches nothing).
    const NOT_A_STRING: Short = Short {
        buf: [0; SHORT],
        len: 0,
        overflow: true,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str) -> Result<AnswerFacts, Invalid> {
        answer_facts(text.bytes())
    }

    #[test]
    fn picks_shop_and_mode_from_their_places_only() {
        let f = facts(
            r#"{"transactions":[{"shopId":"11111111","mode":"PRODUCTION"}],
               "shopId":"69876357","orderDetails":{"orderId":null,"mode":"TEST"}}"#,
        )
        .unwrap();
        assert!(f.shop_id.unwrap().is("69876357"));
        assert!(f.mode.unwrap().is("TEST"));
        let f = facts(r#"{"mode":"TEST","orderDetails":null}"#).unwrap();
        assert_eq!((f.shop_id, f.mode), (None, None));
    }

    #[test]
    fn decodes_escapes_in_the_values_it_keeps() {
        let f = facts(r#"{"shop\u0049d":"6987\u0036357","orderDetails":{"mode":"T\u0045ST"}}"#)
            .unwrap();
        assert!(f.shop_id.unwrap().is("69876357"));
        assert!(f.mode.unwrap().is("TEST"));
        let f = facts(r#"{"shopId":"69876357 and more than sixteen bytes"}"#).unwrap();
        assert!(!f.shop_id.unwrap().is("69876357"));
        assert_eq!(f.shop_id.unwrap().bytes(), None);
        let f = facts(r#"{"shopId":69876357}"#).unwrap();
        assert!(!f.shop_id.unwrap().is("69876357"));
    }

    #[test]
    fn refuses_duplicates_of_what_it_checks() {
        assert_eq!(facts(r#"{"shopId":"1","shopId":"2"}"#), Err(Invalid));
        assert_eq!(facts(r#"{"shopId":1,"shopId":"2"}"#), Err(Invalid));
        assert_eq!(
            facts(r#"{"orderDetails":{},"orderDetails":{}}"#),
            Err(Invalid)
        );
        assert_eq!(
            facts(r#"{"orderDetails":{"mode":"TEST","mode":"PRODUCTION"}}"#),
            Err(Invalid)
        );
        // Elsewhere, repeated names are the typed view's business.
        assert!(facts(r#"{"a":1,"a":2}"#).is_ok());
    }

    #[test]
    fn accepts_strict_json() {
        for ok in [
            "{}",
            " {\"a\" : [1, -0, 0.5, 1e10, -2.5E-3, true, false, null, \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]}\n",
            r#"{"s":"\ud83d\ude00 é ✓"}"#,
            r#"{"a":{"b":{"c":[[],{}]}}}"#,
        ] {
            assert!(facts(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_is_not_strict_json() {
        for bad in [
            "",
            "[]",
            "\"x\"",
            "{",
            "{}}",
            "{} x",
            "{,}",
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{'a':1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":+1}"#,
            r#"{"a":-}"#,
            r#"{"a":tru}"#,
            r#"{"a":NaN}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            "{\"a\":\"tab\there\"}",
            "{\"a\":1} /* no */",
            "{\"a\":1}\u{0}",
        ] {
            assert_eq!(facts(bad), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep_ok = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(facts(&deep_ok).is_ok());
        let too_deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert_eq!(facts(&too_deep), Err(Invalid));
        // Far deeper than any stack would survive without the bound.
        let hostile = "[".repeat(1_000_000);
        assert_eq!(facts(&format!("{{\"a\":{hostile}")), Err(Invalid));
    }
}
