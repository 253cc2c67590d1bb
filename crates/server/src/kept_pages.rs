//! Closed event-stream pages kept on disk: rendered once, then served from their bytes.
//!
//! A page whose interval is closed never changes (late data goes to the open page), so its
//! rendering can be kept for as long as the page is retained. A replicating peer reads every
//! page of a stream once; without this, each peer made the server decode every member of every
//! page again. Files live under one directory per day (`DIR/2024-03-01/…`), so that the days
//! retention removes are dropped whole. The name of a file is a digest of everything the bytes
//! depend on: the rendering's version, the public base address, the media type and the path.
//! At most `capacity` bytes are kept; past that, pages are rendered as before.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::web::Bytes;
use chrono::{NaiveDate, Utc};
use sha2::{Digest, Sha256};

/// Changes whenever the bytes of a page would: kept pages of an older rendering are never read.
const RENDERING: &str = concat!("belfort ", env!("CARGO_PKG_VERSION"), " pages 1");

/// Rendered closed pages on disk, at most `capacity` bytes.
pub struct KeptPages {
    dir: Option<PathBuf>,
    capacity: u64,
    retention_days: Option<u32>,
    used: AtomicU64,
    /// Numbers the files written aside, so that two renderings of one page never share one.
    writes: AtomicU64,
}

impl KeptPages {
    /// Pages kept under `dir` (created when missing), at most `capacity` bytes; `None` or a
    /// capacity of 0 keeps nothing. With `retention_days`, the days retention removed are
    /// dropped now and whenever a page of a new day is kept.
    pub fn open(dir: Option<&Path>, capacity: u64, retention_days: Option<u32>) -> Self {
        let dir = dir
            .filter(|_| capacity > 0)
            .filter(|dir| std::fs::create_dir_all(dir).is_ok())
            .map(Path::to_path_buf);
        let pages = Self {
            dir,
            capacity,
            retention_days,
            used: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        };
        pages.used.store(
            pages.dir.as_deref().map_or(0, bytes_under),
            Ordering::Relaxed,
        );
        pages.drop_expired_days();
        pages
    }

    fn file(&self, day: NaiveDate, key: &str) -> Option<PathBuf> {
        let digest = Sha256::new()
            .chain_update(RENDERING)
            .chain_update([0])
            .chain_update(key)
            .finalize();
        Some(
            self.dir
                .as_ref()?
                .join(day.to_string())
                .join(hex::encode(&digest[..20])),
        )
    }

    /// The kept bytes of the page of `day` under `key`.
    pub fn get(&self, day: NaiveDate, key: &str) -> Option<Bytes> {
        std::fs::read(self.file(day, key)?).ok().map(Bytes::from)
    }

    /// Keeps `body` as the page of `day` under `key`, unless that would pass the capacity. The
    /// file appears whole or not at all (written aside, then renamed). A page that cannot be
    /// kept is simply rendered again next time.
    pub fn put(&self, day: NaiveDate, key: &str, body: &[u8]) {
        let Some(file) = self.file(day, key) else {
            return;
        };
        if self.oldest_kept().is_some_and(|oldest| day < oldest) {
            return;
        }
        let size = body.len() as u64;
        let reserved = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(size)
                    .filter(|total| *total <= self.capacity)
            });
        if reserved.is_err() || file.exists() {
            if reserved.is_ok() {
                self.used.fetch_sub(size, Ordering::Relaxed);
            }
            return;
        }
        let aside = file.with_extension(format!(
            "part-{}-{}",
            std::process::id(),
            self.writes.fetch_add(1, Ordering::Relaxed)
        ));
        let Some(day_dir) = file.parent() else {
            return;
        };
        let new_day = !day_dir.exists();
        let written = std::fs::create_dir_all(day_dir).is_ok()
            && std::fs::write(&aside, body).is_ok()
            && std::fs::rename(&aside, &file).is_ok();
        if !written {
            let _ = std::fs::remove_file(&aside);
            self.used.fetch_sub(size, Ordering::Relaxed);
        }
        if new_day {
            self.drop_expired_days();
        }
    }

    /// The first day retention keeps.
    fn oldest_kept(&self) -> Option<NaiveDate> {
        let days = self.retention_days?;
        Some((Utc::now() - chrono::Duration::days(i64::from(days))).date_naive())
    }

    /// Removes the directories of the days retention removed.
    fn drop_expired_days(&self) {
        let (Some(dir), Some(oldest_kept)) = (&self.dir, self.oldest_kept()) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let expired = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<NaiveDate>().ok())
                .is_some_and(|day| day < oldest_kept);
            if expired {
                let bytes = bytes_under(&entry.path());
                if std::fs::remove_dir_all(entry.path()).is_ok() {
                    self.used.fetch_sub(bytes, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The size of the files under `dir`, one level of subdirectories deep (the days).
fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => bytes_under(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
    }

    #[test]
    fn pages_are_kept_by_day_and_key_within_the_capacity_and_outlive_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let pages = KeptPages::open(Some(dir.path()), 10, None);
        pages.put(day(1), "a", b"12345");
        pages.put(day(1), "b", b"123456"); // 11 bytes in all: not kept
        pages.put(day(2), "a", b"abcde");
        assert_eq!(pages.get(day(1), "a").as_deref(), Some(&b"12345"[..]));
        assert_eq!(pages.get(day(1), "b"), None);
        assert_eq!(pages.get(day(2), "a").as_deref(), Some(&b"abcde"[..]));
        assert_eq!(pages.get(day(3), "a"), None);

        // A server started later finds them and counts them against its capacity.
        let reopened = KeptPages::open(Some(dir.path()), 15, None);
        assert_eq!(reopened.get(day(1), "a").as_deref(), Some(&b"12345"[..]));
        reopened.put(day(2), "c", b"12345");
        reopened.put(day(2), "d", b"1");
        assert_eq!(reopened.get(day(2), "c").as_deref(), Some(&b"12345"[..]));
        assert_eq!(
            reopened.get(day(2), "d"),
            None,
            "the capacity counts kept files"
        );
        let files: Vec<_> = std::fs::read_dir(dir.path().join("2024-03-02"))
            .unwrap()
            .flatten()
            .map(|f| f.file_name())
            .collect();
        assert_eq!(files.len(), 2, "no file written aside is left: {files:?}");
    }

    #[test]
    fn the_days_retention_removed_are_dropped_and_free_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let today = Utc::now().date_naive();
        let long_ago = today - chrono::Duration::days(30);
        let pages = KeptPages::open(Some(dir.path()), 10, None);
        pages.put(long_ago, "a", b"12345");
        pages.put(today, "a", b"12345");
        let retained = KeptPages::open(Some(dir.path()), 10, Some(7));
        assert_eq!(retained.get(long_ago, "a"), None);
        assert_eq!(retained.get(today, "a").as_deref(), Some(&b"12345"[..]));
        // The dropped day's bytes count no more: there is room for another page.
        retained.put(today, "b", b"67890");
        assert_eq!(retained.get(today, "b").as_deref(), Some(&b"67890"[..]));
        // A page of a day past retention is not kept.
        retained.put(long_ago, "c", b"1");
        assert!(!dir.path().join(long_ago.to_string()).exists());
    }

    #[test]
    fn nothing_is_kept_without_a_directory_or_a_capacity() {
        let dir = tempfile::tempdir().unwrap();
        for pages in [
            KeptPages::open(None, 1 << 20, None),
            KeptPages::open(Some(&dir.path().join("off")), 0, None),
        ] {
            pages.put(day(1), "a", b"12345");
            assert_eq!(pages.get(day(1), "a"), None);
        }
        assert!(!dir.path().join("off").exists());
    }
}
