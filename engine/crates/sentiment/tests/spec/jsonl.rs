//! The JSONL headline reader: what it accepts, and that every refusal names
//! the file line (as an editor counts it, blank lines included), the column,
//! the field and the value.

use std::io::Write;

use tradebot_core::Timestamp;
use tradebot_sentiment::{Headline, HeadlineError, HeadlineReader, read_headlines};

use crate::{sym, ts};

fn read(text: &str) -> Result<Vec<Headline>, HeadlineError> {
    HeadlineReader::new(text.as_bytes(), "news.jsonl").collect()
}

fn error(text: &str) -> HeadlineError {
    read(text).expect_err("should be refused")
}

const GOOD: &str = r#"{"time": "2018-01-15T08:00:00Z", "headline": "first"}"#;

#[test]
fn reads_both_time_forms_offsets_optional_fields_and_skips_blank_lines() {
    let text = concat!(
        "\u{feff}{\"time\": \"2018-01-15T08:00:00Z\", \"headline\": \"a\"}\n",
        "\n",
        "   \r\n",
        "{\"time\": 1516003200000, \"headline\": \"b\", \"source\": \"wire\"}\r\n",
        "{\"time\": \"2018-01-15T09:30:00.5+01:00\", \"headline\": \"c\", \"symbols\": [\"ETH_BTC\", \"BTC/USDT\"]}",
    );
    let hs = read(text).unwrap();
    assert_eq!(hs.len(), 3);
    assert_eq!(hs[0].time, ts("2018-01-15T08:00:00Z"));
    assert_eq!(hs[0].source, None);
    assert_eq!(hs[0].symbols, None, "no symbols: about every market");
    assert_eq!(hs[1].time, Timestamp::from_millis(1_516_003_200_000).unwrap(), "integers are Unix milliseconds");
    assert_eq!(hs[1].time, ts("2018-01-15T08:00:00Z"), "equal times are in order");
    assert_eq!(hs[1].source.as_deref(), Some("wire"));
    assert_eq!(hs[2].time, ts("2018-01-15T08:30:00.5Z"), "the offset is applied");
    assert_eq!(hs[2].symbols, Some(vec![sym("ETH_BTC"), sym("BTC/USDT")]));
    assert!(hs[2].concerns(&sym("BTC/USDT")) && !hs[2].concerns(&sym("LTC_BTC")));
    assert!(hs[0].concerns(&sym("LTC_BTC")));
}

#[test]
fn optional_fields_set_to_null_count_as_absent() {
    let hs = read(r#"{"time": "2018-01-15T09:00:00Z", "headline": "x", "source": null, "symbols": null}"#).unwrap();
    assert_eq!((hs[0].source.as_ref(), hs[0].symbols.as_ref()), (None, None));
}

#[test]
fn an_empty_file_has_no_headlines() {
    assert!(read("").unwrap().is_empty());
    assert!(read("\n\n  \n").unwrap().is_empty());
}

#[test]
fn malformed_json_names_line_and_column() {
    // Columns are serde_json's: the character where parsing stopped.
    let text = format!("{GOOD}\n\n{{\"time\": \"2018-01-15T09:00:00Z\", \"headline\": \"x\"\n{GOOD}\n");
    let e = error(&text);
    assert_eq!(e.to_string(), "news.jsonl:3:48: EOF while parsing an object");
    assert!(matches!(e, HeadlineError::Record { line: 3, column: 48, field: None, .. }), "{e:?}");

    let e = error(&format!("{GOOD}\nnot json\n"));
    assert_eq!(e.to_string(), "news.jsonl:2:2: expected ident");
}

#[test]
fn trailing_characters_after_the_record_are_refused() {
    let e = error(&format!("{GOOD} {GOOD}\n"));
    assert_eq!(e.to_string(), "news.jsonl:1:55: trailing characters");
}

#[test]
fn unknown_field_is_refused() {
    // A misspelt `symbols` must not silently mean "every market".
    let e = error(&format!(
        "{GOOD}\n{{\"time\": \"2018-01-15T09:00:00Z\", \"headline\": \"x\", \"symbol\": [\"ETH_BTC\"]}}\n"
    ));
    assert_eq!(
        e.to_string(),
        "news.jsonl:2:58: field `symbol`: unknown field `symbol`, expected one of `time`, `headline`, `source`, `symbols`"
    );
}

#[test]
fn missing_field_is_refused() {
    let e = error(r#"{"time": "2018-01-15T09:00:00Z", "source": "wire"}"#);
    assert_eq!(e.to_string(), "news.jsonl:1:50: missing field `headline`");
}

#[test]
fn bad_timestamps_name_the_field_and_value() {
    let e = error(&format!("{GOOD}\n{}\n", r#"{"time": "2018-13-01T00:00:00Z", "headline": "x"}"#));
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "news.jsonl:2:31: field `time`: \"2018-13-01T00:00:00Z\" is not an RFC 3339 timestamp with an offset: "
        ),
        "{msg}"
    );
    assert!(matches!(&e, HeadlineError::Record { line: 2, field: Some(f), .. } if f == "time"), "{e:?}");

    // A local time would need a guessed time zone.
    let msg = error(r#"{"time": "2018-01-15T08:00:00", "headline": "x"}"#).to_string();
    assert!(msg.starts_with("news.jsonl:1:30: field `time`: \"2018-01-15T08:00:00\" is not an RFC 3339"), "{msg}");

    let msg = error(r#"{"time": 1516003200000.5, "headline": "x"}"#).to_string();
    assert_eq!(
        msg,
        "news.jsonl:1:24: field `time`: invalid type: floating point `1516003200000.5`, \
         expected an RFC 3339 timestamp string or an integer of Unix milliseconds"
    );

    let msg = error(r#"{"time": 9223372036854775807, "headline": "x"}"#).to_string();
    assert_eq!(msg, "news.jsonl:1:28: field `time`: 9223372036854775807 ms since the epoch is out of range");
}

#[test]
fn wrong_types_bad_symbols_and_empty_values_name_the_field() {
    let cases = [
        (
            r#"{"time": "2018-01-15T09:00:00Z", "headline": 5}"#,
            "news.jsonl:1:46: field `headline`: invalid type: integer `5`, expected a string",
        ),
        (
            r#"{"time": "2018-01-15T09:00:00Z", "headline": "  "}"#,
            "news.jsonl:1:50: field `headline`: must not be empty",
        ),
        (
            r#"{"time": "2018-01-15T09:00:00Z", "headline": "x", "symbols": ["ETH_BTC", "ETH BTC"]}"#,
            "news.jsonl:1:83: field `symbols[1]`: symbol 'ETH BTC' contains ' ': allowed are ASCII letters, digits and _ - . / :",
        ),
        (
            r#"{"time": "2018-01-15T09:00:00Z", "headline": "x", "symbols": []}"#,
            "news.jsonl:1:64: field `symbols`: must not be empty; leave the field out for a headline about every market",
        ),
        (
            r#"{"time": "2018-01-15T09:00:00Z", "headline": "x", "source": 7}"#,
            "news.jsonl:1:61: field `source`: invalid type: integer `7`, expected a string",
        ),
        (
            r#"{"time": null, "headline": "x"}"#,
            "news.jsonl:1:13: field `time`: invalid type: null, \
             expected an RFC 3339 timestamp string or an integer of Unix milliseconds",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(error(line).to_string(), want, "{line}");
    }
}

#[test]
fn out_of_order_records_name_both_lines() {
    let text = concat!(
        "{\"time\": \"2018-01-15T08:00:00Z\", \"headline\": \"a\"}\n",
        "{\"time\": \"2018-01-15T10:00:00Z\", \"headline\": \"b\"}\n",
        "\n",
        "{\"time\": \"2018-01-15T09:59:59Z\", \"headline\": \"c\"}\n",
    );
    let e = error(text);
    assert_eq!(
        e.to_string(),
        "news.jsonl:4: time 2018-01-15T09:59:59Z is before 2018-01-15T10:00:00Z on line 2: \
         records must be in non-decreasing time order"
    );
    assert!(matches!(e, HeadlineError::OutOfOrder { line: 4, previous_line: 2, .. }));
}

#[test]
fn the_reader_stops_at_the_first_error() {
    let text = format!("{GOOD}\nbad\n{GOOD}\n");
    let items: Vec<_> = HeadlineReader::new(text.as_bytes(), "news.jsonl").collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok() && items[1].is_err());
}

#[test]
fn a_line_that_is_not_utf8_names_its_line() {
    let mut bytes = format!("{GOOD}\n").into_bytes();
    bytes.extend_from_slice(b"{\"time\": \"2018-01-15T09:00:00Z\", \"headline\": \"\xff\"}\n");
    let e = HeadlineReader::new(&bytes[..], "news.jsonl").collect::<Result<Vec<_>, _>>().unwrap_err();
    assert!(matches!(e, HeadlineError::Read { line: 2, .. }), "{e:?}");
    assert!(e.to_string().starts_with("news.jsonl:2: cannot read: "), "{e}");
}

#[test]
fn files_are_read_by_path_and_a_missing_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{GOOD}").unwrap();
    writeln!(f, "oops").unwrap();
    drop(f);
    let e = read_headlines(&path).unwrap_err();
    assert_eq!(e.to_string(), format!("{}:2:1: expected value", path.display()));

    let missing = dir.path().join("none.jsonl");
    let e = read_headlines(&missing).unwrap_err();
    assert!(e.to_string().starts_with(&format!("{}: cannot open: ", missing.display())), "{e}");
}

/// A live source can record what it polled as JSONL and replay it later.
#[test]
fn written_headlines_read_back_identically() {
    let hs = vec![
        Headline {
            time: ts("2018-01-15T08:00:00.25Z"),
            headline: "a \"quoted\" one".into(),
            source: None,
            symbols: None,
        },
        Headline {
            time: ts("2018-01-15T08:00:00.25Z"),
            headline: "b".into(),
            source: Some("wire".into()),
            symbols: Some(vec![sym("ETH_BTC")]),
        },
    ];
    let text: String = hs.iter().map(|h| serde_json::to_string(h).unwrap() + "\n").collect();
    assert_eq!(read(&text).unwrap(), hs);
}
