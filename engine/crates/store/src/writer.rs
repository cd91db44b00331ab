//! [`CandleWriter`]: the single writer of a candle file.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use tradebot_core::{RawCandle, Timestamp};

use crate::StoreError;
use crate::format::{
    BLOCK_RECORDS, DATA_OFFSET, HEADER_LEN, SLOT_LEN, Slot, StoreMeta, TABLE_CAPACITY, TABLE_OFFSET, read_header,
};

/// How hard a commit works to survive power loss.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Durability {
    /// `fdatasync` before and after the header update: a commit survives
    /// power loss. The default.
    #[default]
    Sync,
    /// No syncs: a commit survives the process being killed (the page cache
    /// keeps it) but not the machine losing power. For tests and scratch
    /// stores.
    Buffered,
}

/// Appends candles to one file. At most one writer per file: an exclusive
/// advisory lock is held while it is open. Appended candles become visible
/// to readers, and durable, at [`CandleWriter::commit`].
#[derive(Debug)]
pub struct CandleWriter {
    path: PathBuf,
    file: File,
    committed: Slot,
    active_slot: usize,
    pending_count: u64,
    pending_tail_crc: u32,
    last_time: Option<i64>,
    durability: Durability,
    crash_budget: Option<u64>,
    poisoned: bool,
}

const CAPACITY: u64 = BLOCK_RECORDS as u64 * TABLE_CAPACITY as u64;

impl CandleWriter {
    /// Creates a new file holding `initial` (which may be empty), atomically:
    /// the content is written to a temporary file in the same directory,
    /// synced, and linked into place only if `path` does not exist yet. A
    /// crash leaves either no file or the complete one.
    pub fn create(
        path: impl AsRef<Path>,
        meta: StoreMeta,
        initial: &[RawCandle],
        durability: Durability,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if path.exists() {
            return Err(StoreError::Exists { path: path.to_path_buf() });
        }
        let staged = stage(path, meta, initial, durability)?;
        staged.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::Exists { path: path.to_path_buf() }
            } else {
                StoreError::Io { path: path.to_path_buf(), op: "link new file into place", source: e.error }
            }
        })?;
        sync_parent(path, durability)?;
        Self::open(path, durability)
    }

    /// Replaces the file at `path` with one holding `content`, atomically
    /// (temporary file, then rename). Used when a store must be rewritten,
    /// e.g. at a finer price scale. Readers that have the old file open keep
    /// seeing the old content.
    pub fn replace(
        path: impl AsRef<Path>,
        meta: StoreMeta,
        content: &[RawCandle],
        durability: Durability,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let staged = stage(path, meta, content, durability)?;
        staged.persist(path).map_err(|e| StoreError::Io {
            path: path.to_path_buf(),
            op: "rename new file into place",
            source: e.error,
        })?;
        sync_parent(path, durability)?;
        Self::open(path, durability)
    }

    /// Opens an existing file for appending. Drops a torn tail left by a
    /// crashed writer (bytes past the committed count).
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let file =
            OpenOptions::new().read(true).write(true).open(&path).map_err(StoreError::io(&path, "open for writing"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::Locked { path }),
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::Io { path, op: "lock", source: e }),
        }
        let len = file.metadata().map_err(StoreError::io(&path, "stat"))?.len();
        let mut head = vec![0u8; HEADER_LEN.min(len as usize)];
        file.read_exact_at(&mut head, 0).map_err(StoreError::io(&path, "read header"))?;
        let header = read_header(&head, &path)?;
        let (slot, active_slot) = (header.slot, header.index);
        let committed_len = DATA_OFFSET + slot.count * RawCandle::SIZE as u64;
        if len < committed_len {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "file is {len} bytes but its header commits {} candles ({committed_len} bytes); \
                     it was cut short — open it read-only, export and re-import",
                    slot.count
                ),
            });
        }
        if len > committed_len {
            file.set_len(committed_len).map_err(StoreError::io(&path, "drop torn tail"))?;
        }
        let last_time = if slot.count > 0 {
            let mut rec = [0u8; RawCandle::SIZE];
            file.read_exact_at(&mut rec, committed_len - RawCandle::SIZE as u64)
                .map_err(StoreError::io(&path, "read last candle"))?;
            Some(bytemuck::pod_read_unaligned::<RawCandle>(&rec).open_time)
        } else {
            None
        };
        Ok(CandleWriter {
            path,
            file,
            committed: slot,
            active_slot,
            pending_count: slot.count,
            pending_tail_crc: slot.tail_crc,
            last_time,
            durability,
            crash_budget: None,
            poisoned: false,
        })
    }

    pub fn meta(&self) -> &StoreMeta {
        &self.committed.meta
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Committed candles.
    pub fn committed_len(&self) -> u64 {
        self.committed.count
    }

    /// Open time of the last appended (committed or not) candle.
    pub fn last_time(&self) -> Option<Timestamp> {
        self.last_time.map(Timestamp::from_nanos)
    }

    /// Appends candles after the last one. Each must be on the interval's
    /// grid, later than the one before, and pass the OHLCV sanity rules: a
    /// store never holds a bar the importer would reject. Nothing is visible
    /// to readers until [`commit`](Self::commit).
    pub fn append(&mut self, candles: &[RawCandle]) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned { path: self.path.clone() });
        }
        self.check(candles)?;
        if candles.is_empty() {
            return Ok(());
        }
        let start = self.pending_count;
        let bytes: &[u8] = bytemuck::cast_slice(candles);
        self.write_at(bytes, DATA_OFFSET + start * RawCandle::SIZE as u64)?;

        // Extend the running checksum of the partial block; every block this
        // append completes gets its table entry.
        let block = u64::from(BLOCK_RECORDS);
        let mut finished: Vec<u8> = Vec::new();
        let first_finished_block = start / block;
        let mut crc = self.pending_tail_crc;
        let mut idx = start;
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = (block - idx % block) as usize;
            let take = room.min(rest.len() / RawCandle::SIZE);
            let (now, later) = rest.split_at(take * RawCandle::SIZE);
            crc = crc32c::crc32c_append(crc, now);
            idx += take as u64;
            rest = later;
            if idx.is_multiple_of(block) {
                finished.extend_from_slice(&crc.to_le_bytes());
                crc = 0;
            }
        }
        if !finished.is_empty() {
            self.write_at(&finished, TABLE_OFFSET + first_finished_block * 4)?;
        }
        self.pending_tail_crc = crc;
        self.pending_count = idx;
        self.last_time = candles.last().map(|c| c.open_time);
        Ok(())
    }

    fn check(&self, candles: &[RawCandle]) -> Result<(), StoreError> {
        let interval = self.committed.meta.interval;
        let mut last = self.last_time;
        for c in candles {
            let at = c.open_time();
            if let Some(prev) = last
                && c.open_time <= prev
            {
                return Err(StoreError::NotIncreasing {
                    path: self.path.clone(),
                    last: Timestamp::from_nanos(prev),
                    next: at,
                });
            }
            if !interval.is_aligned(at) {
                return Err(StoreError::OffGrid { path: self.path.clone(), at, interval });
            }
            if let Some(violation) = c.sanity_violation() {
                return Err(StoreError::Insane { path: self.path.clone(), at, violation });
            }
            last = Some(c.open_time);
        }
        if self.pending_count + candles.len() as u64 > CAPACITY {
            return Err(StoreError::Full { path: self.path.clone(), capacity: CAPACITY });
        }
        Ok(())
    }

    /// Makes everything appended so far durable and visible: sync the
    /// records, then write the new count into the inactive header slot, then
    /// sync again. The slot write is the commit point.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned { path: self.path.clone() });
        }
        if self.pending_count == self.committed.count {
            return Ok(());
        }
        self.sync()?;
        let next = Slot {
            meta: self.committed.meta,
            seq: self.committed.seq + 1,
            count: self.pending_count,
            tail_crc: self.pending_tail_crc,
        };
        let target = 1 - self.active_slot;
        self.write_at(&next.encode(), (target * SLOT_LEN) as u64)?;
        self.sync()?;
        self.committed = next;
        self.active_slot = target;
        Ok(())
    }

    /// Forgets uncommitted appends and cuts them off the file, leaving it
    /// byte-for-byte as at the last commit.
    pub fn rollback(&mut self) -> Result<(), StoreError> {
        let len = DATA_OFFSET + self.committed.count * RawCandle::SIZE as u64;
        self.file.set_len(len).map_err(StoreError::io(&self.path, "truncate uncommitted tail"))?;
        // Table entries for blocks past the commit are ignored by readers and
        // rewritten by the next append that completes those blocks; zero them
        // anyway so a rolled-back file is identical to the committed one.
        let committed_blocks = self.committed.count / u64::from(BLOCK_RECORDS);
        let pending_blocks = self.pending_count / u64::from(BLOCK_RECORDS);
        if pending_blocks > committed_blocks {
            let zeros = vec![0u8; ((pending_blocks - committed_blocks) * 4) as usize];
            self.file
                .write_all_at(&zeros, TABLE_OFFSET + committed_blocks * 4)
                .map_err(StoreError::io(&self.path, "reset checksum table"))?;
        }
        self.pending_count = self.committed.count;
        self.pending_tail_crc = self.committed.tail_crc;
        self.last_time = if self.committed.count > 0 {
            let mut rec = [0u8; RawCandle::SIZE];
            self.file
                .read_exact_at(&mut rec, len - RawCandle::SIZE as u64)
                .map_err(StoreError::io(&self.path, "read last candle"))?;
            Some(bytemuck::pod_read_unaligned::<RawCandle>(&rec).open_time)
        } else {
            None
        };
        self.poisoned = false;
        Ok(())
    }

    /// Test hook: the writer behaves as if the process died after writing
    /// `bytes` more bytes (the write that crosses the budget is cut there).
    #[doc(hidden)]
    pub fn inject_crash_after(&mut self, bytes: u64) {
        self.crash_budget = Some(bytes);
    }

    fn sync(&self) -> Result<(), StoreError> {
        if self.durability == Durability::Sync {
            self.file.sync_data().map_err(StoreError::io(&self.path, "sync"))?;
        }
        Ok(())
    }

    fn write_at(&mut self, buf: &[u8], offset: u64) -> Result<(), StoreError> {
        if let Some(budget) = self.crash_budget.as_mut() {
            if buf.len() as u64 > *budget {
                let cut = *budget as usize;
                *budget = 0;
                self.poisoned = true;
                self.file.write_all_at(&buf[..cut], offset).map_err(StoreError::io(&self.path, "write"))?;
                return Err(StoreError::InjectedCrash { path: self.path.clone() });
            }
            *budget -= buf.len() as u64;
        }
        let result = self.file.write_all_at(buf, offset);
        if result.is_err() {
            self.poisoned = true;
        }
        result.map_err(StoreError::io(&self.path, "write"))
    }
}

/// Writes a complete file (header + records) into a temporary file next to
/// `path`, synced, ready to be moved into place.
fn stage(
    path: &Path,
    meta: StoreMeta,
    content: &[RawCandle],
    durability: Durability,
) -> Result<tempfile::NamedTempFile, StoreError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".tradebot-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(StoreError::io(dir, "create temporary file"))?;
    let slot = Slot { meta, seq: 1, count: 0, tail_crc: 0 };
    tmp.as_file().write_all_at(&slot.encode(), 0).map_err(StoreError::io(tmp.path(), "write header"))?;
    tmp.as_file().set_len(DATA_OFFSET).map_err(StoreError::io(tmp.path(), "size file"))?;
    {
        let mut w = CandleWriter {
            path: tmp.path().to_path_buf(),
            file: tmp.as_file().try_clone().map_err(StoreError::io(tmp.path(), "dup"))?,
            committed: slot,
            active_slot: 0,
            pending_count: 0,
            pending_tail_crc: 0,
            last_time: None,
            durability,
            crash_budget: None,
            poisoned: false,
        };
        w.append(content)?;
        w.commit()?;
    }
    if durability == Durability::Sync {
        tmp.as_file().sync_all().map_err(StoreError::io(tmp.path(), "sync"))?;
    }
    Ok(tmp)
}

fn sync_parent(path: &Path, durability: Durability) -> Result<(), StoreError> {
    if durability == Durability::Sync {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir).and_then(|d| d.sync_all()).map_err(StoreError::io(dir, "sync directory"))?;
    }
    Ok(())
}
