//! HTML escaping of caller text (titles, run and symbol names, notes).
//!
//! Every string that reaches the page from outside goes through [`Html`], so a
//! name like `<script>` shows as text instead of running. Text inside the SVG
//! charts is escaped by plotters' SVG backend itself.

use std::fmt;

/// Displays the wrapped text with `& < > " '` replaced by entities; safe in
/// element content and in quoted attribute values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Html<'a>(pub(crate) &'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let mut plain_from = 0;
        for (i, c) in text.char_indices() {
            let entity = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&text[plain_from..i])?;
            f.write_str(entity)?;
            plain_from = i + c.len_utf8();
        }
        f.write_str(&text[plain_from..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_entities() {
        let s = Html(r#"<a href="x">Tom & 'Jerry'</a>"#).to_string();
        assert_eq!(s, "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    }

    #[test]
    fn other_text_including_non_ascii_is_unchanged() {
        assert_eq!(Html("ETH/BTC ▲ µs — 5m").to_string(), "ETH/BTC ▲ µs — 5m");
        assert_eq!(Html("").to_string(), "");
    }
}
