//! Byte layout of the header slots, and their encoding and validation.

use std::path::Path;

use tradebot_core::{Interval, Scale, Symbol};

use crate::StoreError;

pub const MAGIC: [u8; 8] = *b"TRDBCNDL";
pub const FORMAT_VERSION: u32 = 1;

pub(crate) const SLOT_LEN: usize = 512;
pub(crate) const HEADER_LEN: usize = 2 * SLOT_LEN;
pub(crate) const TABLE_OFFSET: u64 = 4096;
/// Records per checksum block: 192 KiB of candles per CRC.
pub(crate) const BLOCK_RECORDS: u32 = 4096;
/// Checksum table entries: 16384 blocks × 4096 records = 67,108,864 candles
/// (127 years of one-minute bars) per file.
pub(crate) const TABLE_CAPACITY: u32 = 16384;
pub(crate) const DATA_OFFSET: u64 = TABLE_OFFSET + TABLE_CAPACITY as u64 * 4;
const CRC_AT: usize = SLOT_LEN - 4;

/// What a store file holds: which market, which bar length, and the scales
/// of its fixed-point columns. Fixed when the file is created.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StoreMeta {
    pub symbol: Symbol,
    pub interval: Interval,
    pub price_scale: Scale,
    pub qty_scale: Scale,
}

/// One decoded header slot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Slot {
    pub meta: StoreMeta,
    pub seq: u64,
    pub count: u64,
    pub tail_crc: u32,
}

impl Slot {
    pub fn encode(&self) -> [u8; SLOT_LEN] {
        let mut b = [0u8; SLOT_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.seq.to_le_bytes());
        b[24..32].copy_from_slice(&self.count.to_le_bytes());
        b[32..36].copy_from_slice(&self.tail_crc.to_le_bytes());
        b[36] = self.meta.interval.code();
        b[37] = self.meta.price_scale.decimals();
        b[38] = self.meta.qty_scale.decimals();
        let sym = self.meta.symbol.as_str().as_bytes();
        b[39] = sym.len() as u8;
        b[40..40 + sym.len()].copy_from_slice(sym);
        b[72..76].copy_from_slice(&BLOCK_RECORDS.to_le_bytes());
        b[76..80].copy_from_slice(&TABLE_CAPACITY.to_le_bytes());
        b[80..88].copy_from_slice(&TABLE_OFFSET.to_le_bytes());
        b[88..96].copy_from_slice(&DATA_OFFSET.to_le_bytes());
        let crc = crc32c::crc32c(&b[..CRC_AT]);
        b[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes a slot. `Ok(None)` means "not a valid commit" (torn or never
    /// written); hard errors are a foreign file or an unsupported version.
    fn decode(b: &[u8], path: &Path) -> Result<Option<Slot>, SlotProblem> {
        if b.len() != SLOT_LEN || b[0..8] != MAGIC {
            return Err(SlotProblem::Magic);
        }
        let crc = u32::from_le_bytes([b[CRC_AT], b[CRC_AT + 1], b[CRC_AT + 2], b[CRC_AT + 3]]);
        if crc32c::crc32c(&b[..CRC_AT]) != crc {
            return Ok(None);
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(a)
        };
        let version = u32_at(8);
        if version != FORMAT_VERSION {
            return Err(SlotProblem::Version(version));
        }
        let corrupt = |r: String| SlotProblem::Corrupt(r);
        let interval = Interval::from_code(b[36]).ok_or_else(|| corrupt(format!("unknown interval code {}", b[36])))?;
        let price_scale = Scale::new(b[37]).ok_or_else(|| corrupt(format!("price scale {} out of range", b[37])))?;
        let qty_scale = Scale::new(b[38]).ok_or_else(|| corrupt(format!("volume scale {} out of range", b[38])))?;
        let sym_len = usize::from(b[39]);
        if sym_len > Symbol::MAX_LEN {
            return Err(corrupt(format!("symbol length {sym_len} out of range")));
        }
        let symbol = std::str::from_utf8(&b[40..40 + sym_len])
            .ok()
            .and_then(|s| Symbol::new(s).ok())
            .ok_or_else(|| corrupt("symbol is not valid".into()))?;
        let geometry = (u32_at(72), u32_at(76), u64_at(80), u64_at(88));
        if geometry != (BLOCK_RECORDS, TABLE_CAPACITY, TABLE_OFFSET, DATA_OFFSET) {
            return Err(corrupt(format!("unexpected geometry {geometry:?}")));
        }
        let count = u64_at(24);
        let capacity = u64::from(BLOCK_RECORDS) * u64::from(TABLE_CAPACITY);
        if count > capacity {
            return Err(corrupt(format!("record count {count} exceeds capacity {capacity}")));
        }
        let _ = path;
        Ok(Some(Slot {
            meta: StoreMeta { symbol, interval, price_scale, qty_scale },
            seq: u64_at(16),
            count,
            tail_crc: u32_at(32),
        }))
    }
}

enum SlotProblem {
    Magic,
    Version(u32),
    Corrupt(String),
}

/// The committed slot of a file, which slot it is (0 = A, 1 = B), and a note
/// if the other slot was damaged or torn (written but failing its checksum):
/// that is what a crash in the middle of a commit leaves, and also what a
/// damaged newest slot looks like, so it is reported, never hidden.
pub(crate) struct Header {
    pub slot: Slot,
    pub index: usize,
    pub warning: Option<String>,
}

/// Picks the committed slot from the first [`HEADER_LEN`] bytes of a file.
pub(crate) fn read_header(bytes: &[u8], path: &Path) -> Result<Header, StoreError> {
    if bytes.len() < HEADER_LEN {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!("{} bytes is shorter than the {HEADER_LEN}-byte header", bytes.len()),
        });
    }
    let mut best: Option<(Slot, usize)> = None;
    let mut problems = Vec::new();
    let mut warning = None;
    for i in 0..2 {
        let raw = &bytes[i * SLOT_LEN..(i + 1) * SLOT_LEN];
        if raw.iter().all(|&b| b == 0) {
            // Never written (a new file has only slot A).
            problems.push(SlotProblem::Magic);
            continue;
        }
        match Slot::decode(raw, path) {
            Ok(Some(slot)) => {
                if best.is_none_or(|(b, _)| slot.seq > b.seq) {
                    best = Some((slot, i));
                }
            }
            Ok(None) => {
                let msg = format!("header slot {} fails its checksum", ["A", "B"][i]);
                warning =
                    Some(format!("{msg} (torn by a crash during a commit, or damaged); using the other slot's commit"));
                problems.push(SlotProblem::Corrupt(msg));
            }
            Err(p) => {
                warning = Some(format!("header slot {} is unreadable; using the other slot's commit", ["A", "B"][i]));
                problems.push(p);
            }
        }
    }
    if let Some((slot, index)) = best {
        return Ok(Header { slot, index, warning });
    }
    let path = path.to_path_buf();
    // Both slots unusable: explain the most telling reason.
    if problems.iter().all(|p| matches!(p, SlotProblem::Magic)) {
        return Err(StoreError::NotAStore { path, reason: "bad magic (expected TRDBCNDL)".into() });
    }
    for p in &problems {
        if let SlotProblem::Version(v) = p {
            return Err(StoreError::UnsupportedVersion { path, found: *v, supported: FORMAT_VERSION });
        }
    }
    let reason = problems
        .into_iter()
        .map(|p| match p {
            SlotProblem::Magic => "a slot has bad magic".to_owned(),
            SlotProblem::Version(v) => format!("version {v}"),
            SlotProblem::Corrupt(r) => r,
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(StoreError::Corrupt { path, reason: format!("no valid header slot: {reason}") })
}
