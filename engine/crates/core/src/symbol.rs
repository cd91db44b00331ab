//! [`Symbol`]: a market's name, stored inline so it is `Copy` and never
//! allocates on the hot path.

use std::fmt;
use std::str::FromStr;

use crate::SymbolError;

/// An instrument name such as `ETH_BTC` or `XRP/USDT:USDT`: 1 to 32 bytes of
/// ASCII letters, digits and `_ - . / :`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol {
    len: u8,
    bytes: [u8; Symbol::MAX_LEN],
}

impl Symbol {
    pub const MAX_LEN: usize = 32;

    pub fn new(s: &str) -> Result<Self, SymbolError> {
        if s.is_empty() {
            return Err(SymbolError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(SymbolError::TooLong(s.to_owned()));
        }
        if let Some(ch) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || "_-./:".contains(*c))) {
            return Err(SymbolError::BadChar { value: s.to_owned(), ch });
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Symbol { len: s.len() as u8, bytes })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked in `new`), so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// A file-name form: characters outside `[A-Za-z0-9_.-]` become `%XX`, so
    /// distinct symbols never share a file.
    pub fn file_stem(&self) -> String {
        let mut out = String::with_capacity(self.as_str().len());
        for b in self.as_str().bytes() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.as_str())
    }
}

impl FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::new(s)
    }
}

impl serde::Serialize for Symbol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Symbol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Symbol::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_venue_names_and_rejects_others() {
        for ok in ["ETH_BTC", "XRP/USDT:USDT", "BTC-PERP", "es.fut"] {
            assert_eq!(Symbol::new(ok).unwrap().as_str(), ok);
        }
        assert_eq!(Symbol::new(""), Err(SymbolError::Empty));
        assert!(matches!(Symbol::new("A B"), Err(SymbolError::BadChar { ch: ' ', .. })));
        assert!(matches!(Symbol::new(&"X".repeat(33)), Err(SymbolError::TooLong(_))));
    }

    #[test]
    fn file_stems_are_injective_on_special_chars() {
        assert_eq!(Symbol::new("XRP/USDT:USDT").unwrap().file_stem(), "XRP%2FUSDT%3AUSDT");
        assert_ne!(Symbol::new("A/B").unwrap().file_stem(), Symbol::new("A_B").unwrap().file_stem());
    }
}
