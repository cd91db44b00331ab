//! [`CandleStore`]: a read-only, zero-copy view of a candle file.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapOptions};
use tradebot_core::{Interval, RawCandle, Symbol, Timestamp};

use crate::StoreError;
use crate::format::{BLOCK_RECORDS, DATA_OFFSET, HEADER_LEN, Header, Slot, StoreMeta, TABLE_OFFSET, read_header};

/// A memory-mapped candle file, open for reading.
///
/// Only committed candles are visible. A writer (in this or another process)
/// may append while a `CandleStore` is open; [`CandleStore::refresh`] picks
/// up what it has committed since.
#[derive(Debug)]
pub struct CandleStore {
    path: PathBuf,
    file: File,
    map: Option<Mmap>,
    slot: Slot,
    count: usize,
    truncated_from: Option<u64>,
    header_warning: Option<String>,
}

impl CandleStore {
    /// Opens a candle file in O(1): reads the two header slots and maps the
    /// committed records. Refuses foreign, damaged and unsupported files.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(StoreError::io(&path, "open"))?;
        let (header, count, truncated_from) = read_committed(&file, &path)?;
        let map = map_records(&file, &path, count)?;
        Ok(CandleStore { path, file, map, slot: header.slot, count, truncated_from, header_warning: header.warning })
    }

    /// Opens and checks that the file holds `symbol` at `interval`.
    pub fn open_expecting(path: impl AsRef<Path>, symbol: &Symbol, interval: Interval) -> Result<Self, StoreError> {
        let store = Self::open(path)?;
        let m = store.meta();
        if m.symbol != *symbol {
            return Err(StoreError::Mismatch {
                path: store.path.clone(),
                field: "symbol",
                expected: symbol.to_string(),
                found: m.symbol.to_string(),
            });
        }
        if m.interval != interval {
            return Err(StoreError::Mismatch {
                path: store.path.clone(),
                field: "interval",
                expected: interval.to_string(),
                found: m.interval.to_string(),
            });
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self) -> &StoreMeta {
        &self.slot.meta
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `Some(n)` if the header claims `n` committed candles but the file was
    /// cut short; the store then exposes only the whole records that remain.
    pub fn truncated_from(&self) -> Option<u64> {
        self.truncated_from
    }

    /// Set when one header slot is torn or damaged and the other slot's
    /// (older) commit is in use.
    pub fn header_warning(&self) -> Option<&str> {
        self.header_warning.as_deref()
    }

    /// All committed candles, zero-copy.
    #[inline]
    pub fn candles(&self) -> &[RawCandle] {
        let Some(map) = &self.map else { return &[] };
        let start = DATA_OFFSET as usize;
        let bytes = &map[start..start + self.count * RawCandle::SIZE];
        // The map starts on a page boundary and DATA_OFFSET is a multiple of
        // 8, so the cast cannot fail; an empty slice is the safe fallback.
        bytemuck::try_cast_slice(bytes).unwrap_or(&[])
    }

    /// Candles with `from <= open_time < to`, found by binary search.
    pub fn range(&self, from: Timestamp, to: Timestamp) -> &[RawCandle] {
        let c = self.candles();
        let lo = c.partition_point(|k| k.open_time < from.as_nanos());
        let hi = c.partition_point(|k| k.open_time < to.as_nanos()).max(lo);
        &c[lo..hi]
    }

    pub fn first_time(&self) -> Option<Timestamp> {
        self.candles().first().map(RawCandle::open_time)
    }

    pub fn last_time(&self) -> Option<Timestamp> {
        self.candles().last().map(RawCandle::open_time)
    }

    /// Picks up candles committed by a writer since this view was opened or
    /// last refreshed. Returns whether anything new became visible.
    pub fn refresh(&mut self) -> Result<bool, StoreError> {
        let (header, count, truncated_from) = read_committed(&self.file, &self.path)?;
        let slot = header.slot;
        if slot.meta != self.slot.meta {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                reason: "header metadata changed under a reader".into(),
            });
        }
        if count < self.count {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("committed count went backwards from {} to {count}", self.count),
            });
        }
        let grew = count > self.count;
        if grew {
            self.map = map_records(&self.file, &self.path, count)?;
        }
        self.slot = slot;
        self.count = count;
        self.truncated_from = truncated_from;
        self.header_warning = header.warning;
        Ok(grew)
    }

    /// Verifies every record against the block checksums. O(n); reads the
    /// whole file at memory speed (hardware CRC32C).
    pub fn verify(&self) -> Result<(), StoreError> {
        let bytes: &[u8] = bytemuck::cast_slice(self.candles());
        let block_bytes = BLOCK_RECORDS as usize * RawCandle::SIZE;
        let full_blocks = self.count / BLOCK_RECORDS as usize;
        let claimed = self.truncated_from.unwrap_or(self.count as u64);
        let corrupt = |reason: String| StoreError::Corrupt { path: self.path.clone(), reason };
        if full_blocks > 0 {
            let mut table = vec![0u8; full_blocks * 4];
            self.file
                .read_exact_at(&mut table, TABLE_OFFSET)
                .map_err(|e| corrupt(format!("checksum table unreadable: {e}")))?;
            for (i, want) in table.chunks_exact(4).enumerate() {
                let want = u32::from_le_bytes([want[0], want[1], want[2], want[3]]);
                let got = crc32c::crc32c(&bytes[i * block_bytes..(i + 1) * block_bytes]);
                if got != want {
                    let first = i * BLOCK_RECORDS as usize;
                    return Err(corrupt(format!(
                        "checksum mismatch in block {i} (candles {first}..{}): stored {want:08x}, computed {got:08x}",
                        first + BLOCK_RECORDS as usize
                    )));
                }
            }
        }
        // The tail checksum covers the committed tail; it can only be checked
        // when the file still holds all of it.
        if claimed == self.count as u64 {
            let got = crc32c::crc32c(&bytes[full_blocks * block_bytes..]);
            if got != self.slot.tail_crc {
                return Err(corrupt(format!(
                    "checksum mismatch in the last block (candles {}..{}): stored {:08x}, computed {got:08x}",
                    full_blocks * BLOCK_RECORDS as usize,
                    self.count,
                    self.slot.tail_crc
                )));
            }
        }
        Ok(())
    }
}

/// Reads the committed header and how many committed records the file
/// really holds.
fn read_committed(file: &File, path: &Path) -> Result<(Header, usize, Option<u64>), StoreError> {
    let len = file.metadata().map_err(StoreError::io(path, "stat"))?.len();
    let mut head = vec![0u8; HEADER_LEN.min(len as usize)];
    file.read_exact_at(&mut head, 0).map_err(StoreError::io(path, "read header"))?;
    let header = read_header(&head, path)?;
    let slot = header.slot;
    let available = len.saturating_sub(DATA_OFFSET) / RawCandle::SIZE as u64;
    let (count, truncated_from) =
        if available < slot.count { (available, Some(slot.count)) } else { (slot.count, None) };
    let count = usize::try_from(count).map_err(|_| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: "record count exceeds address space".into(),
    })?;
    Ok((header, count, truncated_from))
}

fn map_records(file: &File, path: &Path, count: usize) -> Result<Option<Mmap>, StoreError> {
    if count == 0 {
        return Ok(None);
    }
    let len = DATA_OFFSET as usize + count * RawCandle::SIZE;
    // SAFETY: the mapping covers the header region and `count` committed
    // records, all of which exist (checked against the file length). Writers
    // never modify committed records, and header slots are read with `pread`,
    // never through this mapping, so the bytes this process reads through the
    // map do not change while it is alive. As with any file mapping, another
    // program that truncates or rewrites the file in place is outside this
    // contract (it could raise SIGBUS); tradebot's writers never do.
    #[allow(unsafe_code)]
    let map = unsafe { MmapOptions::new().len(len).map(file) }.map_err(StoreError::io(path, "mmap"))?;
    Ok(Some(map))
}
