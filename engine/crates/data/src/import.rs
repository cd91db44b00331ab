//! `tradebot import`: CSV → validated rows → store, atomically.

use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};

use tradebot_core::{Decimal, Interval, RawCandle, Scale, Symbol, Timestamp};
use tradebot_store::{CandleStore, CandleWriter, Durability, StoreError, StoreMeta, store_path};

use crate::csv_read::{VALUE_COLUMNS, cmp_dec, show};
use crate::{ImportError, QualityOptions, QualityReport, Repair, Row, read_candles_csv};

#[derive(Clone, Copy, Debug)]
pub struct ImportOptions {
    pub symbol: Symbol,
    pub interval: Interval,
    /// Drop exact duplicates and sort out-of-order rows instead of refusing.
    pub repair: bool,
    pub quality: QualityOptions,
    pub durability: Durability,
}

/// What an import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportReport {
    pub input: PathBuf,
    pub store: PathBuf,
    pub symbol: Symbol,
    pub interval: Interval,
    /// The store file did not exist before.
    pub created: bool,
    pub rows_read: u64,
    /// Candles added to the store.
    pub appended: u64,
    /// Rows already in the store with identical values (skipped).
    pub already_present: u64,
    pub price_decimals: u8,
    pub volume_decimals: u8,
    /// Set when the store was rewritten at a finer scale to hold the new
    /// rows exactly: the previous (price, volume) decimals.
    pub rescaled_from: Option<(u8, u8)>,
    pub repairs: Vec<Repair>,
    /// Quality of the rows in the input file.
    pub quality: QualityReport,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} → {} ({} {})", self.input.display(), self.store.display(), self.symbol, self.interval)?;
        writeln!(
            f,
            "  {} rows read, {} appended, {} already present{}; prices at {} decimals, volume at {}",
            self.rows_read,
            self.appended,
            self.already_present,
            if self.created { " (new store)" } else { "" },
            self.price_decimals,
            self.volume_decimals
        )?;
        if let Some((p, q)) = self.rescaled_from {
            writeln!(
                f,
                "  store rewritten from {p}/{q} to {}/{} decimals to hold the new rows exactly",
                self.price_decimals, self.volume_decimals
            )?;
        }
        if !self.repairs.is_empty() {
            writeln!(f, "  repairs ({}):", self.repairs.len())?;
            for r in &self.repairs {
                writeln!(f, "    {r}")?;
            }
        }
        write!(f, "{}", self.quality)
    }
}

/// Imports one CSV into `store_dir`. The whole file is read and checked
/// first; the store changes only if everything passes, and then atomically:
/// a new store is written to a temporary file and linked into place, an
/// existing one gets an append that is committed in one step.
pub fn import_csv(input: &Path, store_dir: &Path, opts: &ImportOptions) -> Result<ImportReport, ImportError> {
    let file = std::fs::File::open(input).map_err(ImportError::io(input, "open"))?;
    let parsed = read_candles_csv(file, input, opts.interval, opts.repair)?;
    std::fs::create_dir_all(store_dir).map_err(ImportError::io(store_dir, "create store directory"))?;
    let path = store_path(store_dir, &opts.symbol, opts.interval);
    let (file_price, file_qty) = parsed.scales();

    let mut report = ImportReport {
        input: input.to_path_buf(),
        store: path.clone(),
        symbol: opts.symbol,
        interval: opts.interval,
        created: false,
        rows_read: parsed.rows_read,
        appended: 0,
        already_present: 0,
        price_decimals: 0,
        volume_decimals: 0,
        rescaled_from: None,
        repairs: parsed.repairs.clone(),
        quality: QualityReport::compute(&[], opts.interval, file_price, opts.quality),
    };

    if !path.exists() {
        let raw = to_raw(&parsed.rows, file_price, file_qty, input)?;
        let meta =
            StoreMeta { symbol: opts.symbol, interval: opts.interval, price_scale: file_price, qty_scale: file_qty };
        match CandleWriter::create(&path, meta, &raw, opts.durability) {
            Ok(_) => {}
            Err(StoreError::Exists { .. }) => return import_csv(input, store_dir, opts),
            Err(e) => return Err(e.into()),
        }
        report.created = true;
        report.appended = raw.len() as u64;
        report.price_decimals = file_price.decimals();
        report.volume_decimals = file_qty.decimals();
        report.quality = QualityReport::compute(&raw, opts.interval, file_price, opts.quality);
        return Ok(report);
    }

    // Existing store: take the writer lock first so nothing changes while we
    // compare, then check the file against what is stored.
    let mut writer = CandleWriter::open(&path, opts.durability)?;
    let existing = CandleStore::open_expecting(&path, &opts.symbol, opts.interval)?;
    existing.verify()?;
    let meta = *existing.meta();
    let stored = existing.candles();
    let fresh_from = match stored.last() {
        Some(last) => parsed.rows.partition_point(|r| r.time.as_nanos() <= last.open_time),
        None => 0,
    };
    for row in &parsed.rows[..fresh_from] {
        check_overlap(row, stored, meta, input)?;
    }
    report.already_present = fresh_from as u64;

    let price = meta.price_scale.max(file_price);
    let qty = meta.qty_scale.max(file_qty);
    // Convert the whole file once: the quality report covers all its rows,
    // and the rows to append are its tail.
    let file_raw = to_raw(&parsed.rows, price, qty, input)?;
    let new_raw = &file_raw[fresh_from..];
    report.price_decimals = price.decimals();
    report.volume_decimals = qty.decimals();
    report.appended = new_raw.len() as u64;
    report.quality = QualityReport::compute(&file_raw, opts.interval, price, opts.quality);

    if price == meta.price_scale && qty == meta.qty_scale {
        let appended = writer.append(new_raw).and_then(|()| writer.commit());
        if let Err(e) = appended {
            // Best effort: put the file back to its last commit byte for byte.
            let _ = writer.rollback();
            return Err(e.into());
        }
    } else {
        let mut all = Vec::with_capacity(stored.len() + new_raw.len());
        for c in stored {
            all.push(rescale(c, meta.price_scale, price, meta.qty_scale, qty).ok_or_else(|| {
                ImportError::Usage(format!(
                    "{}: the store cannot be rewritten at {} price / {} volume decimals: a stored value would overflow",
                    path.display(),
                    price.decimals(),
                    qty.decimals()
                ))
            })?);
        }
        all.extend_from_slice(new_raw);
        let new_meta = StoreMeta { price_scale: price, qty_scale: qty, ..meta };
        drop(existing);
        CandleWriter::replace(&path, new_meta, &all, opts.durability)?;
        report.rescaled_from = Some((meta.price_scale.decimals(), meta.qty_scale.decimals()));
    }
    drop(writer);
    Ok(report)
}

fn rescale(c: &RawCandle, from_p: Scale, to_p: Scale, from_q: Scale, to_q: Scale) -> Option<RawCandle> {
    Some(RawCandle {
        open_time: c.open_time,
        open: to_p.rescale_from(c.open, from_p)?,
        high: to_p.rescale_from(c.high, from_p)?,
        low: to_p.rescale_from(c.low, from_p)?,
        close: to_p.rescale_from(c.close, from_p)?,
        volume: to_q.rescale_from(c.volume, from_q)?,
    })
}

/// A row at or before the store's last bar must already be stored, with
/// exactly the same values.
fn check_overlap(row: &Row, stored: &[RawCandle], meta: StoreMeta, input: &Path) -> Result<(), ImportError> {
    let t = row.time.as_nanos();
    let Ok(i) = stored.binary_search_by_key(&t, |c| c.open_time) else {
        let first = stored.first().map(RawCandle::open_time).unwrap_or(Timestamp::MIN);
        let why = if row.time < first {
            format!("{} is before the store's first bar {first}", row.time)
        } else {
            format!("{} falls in a gap of the store", row.time)
        };
        return Err(ImportError::data(
            input,
            row.line,
            Some("timestamp"),
            format!(
                "{why}; stores are append-only, so only bars after its last one can be added (export, merge and re-import into a new store instead)"
            ),
        ));
    };
    let c = stored[i];
    let have = [c.open, c.high, c.low, c.close, c.volume];
    for k in 0..5 {
        let scale = if k == 4 { meta.qty_scale } else { meta.price_scale };
        let stored_value = Decimal { mantissa: have[k], decimals: scale.decimals() };
        if cmp_dec(stored_value, row.values[k]) != Ordering::Equal {
            let col = VALUE_COLUMNS[k];
            return Err(ImportError::data(
                input,
                row.line,
                Some(col),
                format!(
                    "{} is already in the store with {col} {}, but the file has {}; refusing a disagreeing overlap",
                    row.time,
                    show(stored_value),
                    show(row.values[k])
                ),
            ));
        }
    }
    Ok(())
}

fn to_raw(rows: &[Row], price: Scale, qty: Scale, input: &Path) -> Result<Vec<RawCandle>, ImportError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut m = [0i64; 5];
        for k in 0..5 {
            let scale = if k == 4 { qty } else { price };
            m[k] = scale.mantissa_of(r.values[k]).ok_or_else(|| {
                ImportError::data(
                    input,
                    r.line,
                    Some(VALUE_COLUMNS[k]),
                    format!(
                        "{} does not fit in 64 bits at {} decimal places (the finest this column needs)",
                        show(r.values[k]),
                        scale.decimals()
                    ),
                )
            })?;
        }
        out.push(RawCandle {
            open_time: r.time.as_nanos(),
            open: m[0],
            high: m[1],
            low: m[2],
            close: m[3],
            volume: m[4],
        });
    }
    Ok(out)
}
