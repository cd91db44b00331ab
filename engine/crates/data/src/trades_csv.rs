//! Recorded trades (`timestamp,price,amount[,side][,id]`, plain or gzip):
//! the input of `tradebot features --trades`. As strict as the candle
//! reader: a bad row stops the read with the file, the line and the column,
//! and nothing is returned half-read.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use tradebot_core::{Side, Timestamp, Trade};

use crate::ImportError;

const EXPECTED: &str = "timestamp,price,amount[,side][,id]";

/// Column slots: timestamp, price, amount, side (optional).
const TIME: usize = 0;
const PRICE: usize = 1;
const AMOUNT: usize = 2;
const SIDE: usize = 3;

/// Reads every trade of a file, in time order (equal times allowed: trades
/// of one match share a timestamp).
pub fn read_trades_csv(path: &Path) -> Result<Vec<Trade>, ImportError> {
    let file = File::open(path).map_err(ImportError::io(path, "open"))?;
    let mut buffered = BufReader::with_capacity(1 << 16, file);
    let head = buffered.fill_buf().map_err(ImportError::io(path, "read"))?;
    let reader: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let read_err = |e: csv::Error, line: u64| {
        let line = e.position().map_or(line, csv::Position::line);
        ImportError::data(path, line, None, format!("cannot read the file: {e}"))
    };
    if !csv.read_byte_record(&mut record).map_err(|e| read_err(e, 1))? {
        return Err(ImportError::data(path, 1, None, format!("empty file: expected the header {EXPECTED}")));
    }
    let header_line = record.position().map_or(1, csv::Position::line);
    let (columns, width) = map_header(&record, path, header_line)?;
    let mut trades = Vec::new();
    let mut last: Option<(Timestamp, u64)> = None;
    while csv.read_byte_record(&mut record).map_err(|e| read_err(e, 0))? {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        if record.len() != width {
            return Err(ImportError::data(
                path,
                line,
                None,
                format!("expected {width} fields (as the header), found {}", record.len()),
            ));
        }
        let trade = parse_row(&record, &columns, path, line)?;
        if let Some((prev, prev_line)) = last
            && trade.time < prev
        {
            return Err(ImportError::data(
                path,
                line,
                Some("timestamp"),
                format!("{} is before {prev} on line {prev_line}: trades must be in time order", trade.time),
            ));
        }
        last = Some((trade.time, line));
        trades.push(trade);
    }
    if trades.is_empty() {
        return Err(ImportError::data(path, header_line, None, "no trade rows after the header"));
    }
    Ok(trades)
}

/// Field index of each slot (the side may be absent) and the field count.
fn map_header(header: &csv::ByteRecord, path: &Path, line: u64) -> Result<([Option<usize>; 4], usize), ImportError> {
    let mut idx = [None; 4];
    for (i, raw) in header.iter().enumerate() {
        let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name = String::from_utf8_lossy(raw).trim().to_ascii_lowercase();
        let slot = match name.as_str() {
            "timestamp" | "time" | "date" | "datetime" => TIME,
            "price" => PRICE,
            "amount" | "qty" | "quantity" | "size" => AMOUNT,
            "side" => SIDE,
            // Exchange trade ids are not used by the features.
            "id" | "trade_id" => continue,
            _ => {
                return Err(ImportError::data(
                    path,
                    line,
                    None,
                    format!("unexpected column '{name}' in the header; expected {EXPECTED}"),
                ));
            }
        };
        if idx[slot].replace(i).is_some() {
            return Err(ImportError::data(path, line, None, format!("column '{name}' appears twice in the header")));
        }
    }
    for (slot, name) in [(TIME, "timestamp"), (PRICE, "price"), (AMOUNT, "amount")] {
        if idx[slot].is_none() {
            return Err(ImportError::data(
                path,
                line,
                None,
                format!("the header lacks column '{name}'; expected {EXPECTED}"),
            ));
        }
    }
    Ok((idx, header.len()))
}

fn parse_row(rec: &csv::ByteRecord, cols: &[Option<usize>; 4], path: &Path, line: u64) -> Result<Trade, ImportError> {
    let field = |slot: usize, name: &'static str| -> Result<&str, ImportError> {
        let raw = cols[slot].and_then(|i| rec.get(i)).unwrap_or_default().trim_ascii();
        std::str::from_utf8(raw).map_err(|_| ImportError::data(path, line, Some(name), "not valid UTF-8"))
    };
    let time = Timestamp::parse(field(TIME, "timestamp")?)
        .map_err(|e| ImportError::data(path, line, Some("timestamp"), e.to_string()))?;
    let positive = |name: &'static str, slot: usize| -> Result<f64, ImportError> {
        let text = field(slot, name)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            Ok(_) => {
                Err(ImportError::data(path, line, Some(name), format!("'{text}' is not a positive finite number")))
            }
            Err(_) => Err(ImportError::data(path, line, Some(name), format!("'{text}' is not a number"))),
        }
    };
    let price = positive("price", PRICE)?;
    let amount = positive("amount", AMOUNT)?;
    let side = match cols[SIDE] {
        None => None,
        Some(_) => match field(SIDE, "side")?.to_ascii_lowercase().as_str() {
            "" => None,
            "buy" | "b" => Some(Side::Buy),
            "sell" | "s" => Some(Side::Sell),
            other => {
                return Err(ImportError::data(
                    path,
                    line,
                    Some("side"),
                    format!("'{other}' is not a side (buy, sell or empty)"),
                ));
            }
        },
    };
    Ok(Trade { time, price, amount, side })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn read(text: &str) -> Result<Vec<Trade>, ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        read_trades_csv(&path)
    }

    #[test]
    fn reads_trades_with_and_without_a_side() {
        let t = read("timestamp,price,amount,side,id\n2023-02-02T09:20:00.138Z,1666.8,26.062,buy,1\n2023-02-02T09:20:00.138Z,1666.79,0.152,sell,2\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].price, t[0].amount, t[0].side), (1666.8, 26.062, Some(Side::Buy)));
        assert_eq!(t[1].side, Some(Side::Sell));
        let t = read("timestamp,price,amount\n2023-01-01T00:03:56.000Z,90.54,1.1044842\n").unwrap();
        assert_eq!(t[0].side, None);
    }

    #[test]
    fn bad_rows_name_the_line_and_the_column() {
        let cases = [
            ("timestamp,price,amount\n2023-01-01T00:00:00Z,-1,1\n", ":2: column 'price'"),
            ("timestamp,price,amount\n2023-01-01T00:00:00Z,1,abc\n", ":2: column 'amount': 'abc' is not a number"),
            ("timestamp,price,amount,side\n2023-01-01T00:00:00Z,1,1,up\n", ":2: column 'side'"),
            ("timestamp,price,amount\n2023-01-01T00:00:01Z,1,1\n2023-01-01T00:00:00Z,1,1\n", ":3: column 'timestamp'"),
            ("timestamp,price,amount\nnot-a-time,1,1\n", ":2: column 'timestamp'"),
            ("timestamp,price\n", ":1: the header lacks column 'amount'"),
            ("timestamp,price,amount,colour\n", ":1: unexpected column 'colour'"),
            ("timestamp,price,amount\n2023-01-01T00:00:00Z,1\n", ":2: expected 3 fields"),
            ("timestamp,price,amount\n", "no trade rows"),
            ("", "empty file"),
        ];
        for (text, want) in cases {
            let e = read(text).unwrap_err();
            assert!(e.is_bad_input(), "{e}");
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }
}
