//! A bounded in-memory cache of rendered pages, keyed by their validator.
//!
//! A validator (ETag) already names the data version, the request and the representation, so
//! a page found under it is exactly what would be rendered again; a new data version simply
//! stops matching old entries, which age out. Popular fragments (a property's first page,
//! a sensor's observations) are then served without touching the store.

use std::sync::Mutex;

use actix_web::web::Bytes;
use lru::LruCache;

/// The largest single page kept.
const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;

/// Rendered pages, least recently used evicted first, at most `capacity` bytes in all.
pub struct PageCache {
    pages: Mutex<(LruCache<String, Bytes>, usize)>,
    capacity: usize,
}

impl PageCache {
    /// A cache of at most `capacity` bytes; 0 disables it.
    pub fn new(capacity: usize) -> Self {
        Self {
            pages: Mutex::new((LruCache::unbounded(), 0)),
            capacity,
        }
    }

    /// The page stored under `etag`.
    pub fn get(&self, etag: &str) -> Option<Bytes> {
        if self.capacity == 0 {
            return None;
        }
        let mut pages = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pages.0.get(etag).cloned()
    }

    /// Keeps `body` under `etag`, evicting the least recently used pages beyond the capacity.
    pub fn put(&self, etag: &str, body: Bytes) {
        if self.capacity == 0 || body.len() > MAX_ENTRY_BYTES.min(self.capacity) {
            return;
        }
        let mut guard = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (pages, bytes) = &mut *guard;
        if let Some(old) = pages.put(etag.to_owned(), body.clone()) {
            *bytes -= old.len();
        }
        *bytes += body.len();
        while *bytes > self.capacity {
            match pages.pop_lru() {
                Some((_, evicted)) => *bytes -= evicted.len(),
                None => break,
            }
        }
    }
}
