//! `tradebot export`: a store back to CSV in the import format.

use std::io::{BufWriter, Write};
use std::path::Path;

use tradebot_core::format_mantissa;
use tradebot_store::CandleStore;

use crate::ImportError;

/// Writes every candle of `store` to `output` as
/// `timestamp,open,high,low,close,volume` (RFC 3339 UTC times, plain decimals
/// with exactly the stored digits), gzip-compressed if `output` ends in
/// `.gz`. The file appears complete or not at all (temporary file, then
/// rename). Returns the number of rows.
pub fn export_csv(store: &CandleStore, output: &Path) -> Result<u64, ImportError> {
    store.verify()?;
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".tradebot-export-")
        .tempfile_in(dir)
        .map_err(ImportError::io(dir, "create temporary file"))?;
    let gz = output.extension().is_some_and(|e| e == "gz");
    let file = tmp.as_file().try_clone().map_err(ImportError::io(tmp.path(), "dup"))?;
    let mut sink = if gz {
        Sink::Gz(flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default()))
    } else {
        Sink::Plain(BufWriter::with_capacity(1 << 16, file))
    };
    let io = ImportError::io(output, "write");
    let meta = *store.meta();
    let mut line = String::with_capacity(128);
    let result = (|| -> std::io::Result<()> {
        sink.write_all(b"timestamp,open,high,low,close,volume\n")?;
        for c in store.candles() {
            line.clear();
            use std::fmt::Write as _;
            let _ = write!(line, "{}", c.open_time());
            for (v, s) in [
                (c.open, meta.price_scale),
                (c.high, meta.price_scale),
                (c.low, meta.price_scale),
                (c.close, meta.price_scale),
                (c.volume, meta.qty_scale),
            ] {
                line.push(',');
                format_mantissa(v, s, &mut line);
            }
            line.push('\n');
            sink.write_all(line.as_bytes())?;
        }
        sink.finish()?;
        tmp.as_file().sync_all()
    })();
    result.map_err(io)?;
    tmp.persist(output).map_err(|e| ImportError::Io {
        path: output.to_path_buf(),
        op: "move into place",
        source: e.error,
    })?;
    Ok(store.len() as u64)
}

/// Where rows go; an enum rather than `Box<dyn Write>` so the gzip trailer is
/// written (and its errors seen) by an explicit `finish`, not a silent drop.
enum Sink {
    Plain(BufWriter<std::fs::File>),
    Gz(flate2::write::GzEncoder<BufWriter<std::fs::File>>),
}

impl Sink {
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(b),
            Sink::Gz(w) => w.write_all(b),
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gz(w) => w.finish()?.flush(),
        }
    }
}
