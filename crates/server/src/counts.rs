//! Fragment counts: exact when small, otherwise an estimate that costs no scan per request.
//!
//! A count is first taken up to a cap. Above the cap the answer is the exact count from an
//! earlier background count of the same pattern at the same data version when there is one,
//! else the cap itself (a true lower bound, never 0) while one background thread counts the
//! pattern exactly for the requests that follow.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use belfort_store::{ObservationStore, PatternCount, QuadPattern, StoreError};

/// Patterns whose exact count is remembered; beyond this the memory is cleared.
const REMEMBERED_PATTERNS: usize = 4096;

/// Exact counts of large patterns, per data version.
#[derive(Default)]
pub struct CountCache {
    exact: Arc<Mutex<HashMap<QuadPattern, (u64, u64)>>>,
    counting: Arc<AtomicBool>,
}

impl CountCache {
    /// The count of `pattern`: exact up to `cap`, an estimate (never below `cap`) above it.
    pub fn count(
        &self,
        store: &Arc<dyn ObservationStore>,
        pattern: &QuadPattern,
        cap: u64,
    ) -> Result<u64, StoreError> {
        match store.count_pattern(pattern, cap)? {
            PatternCount::Exact(count) => Ok(count),
            PatternCount::AtLeast(floor) => {
                let version = store.data_version();
                let remembered = self
                    .exact
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get(pattern)
                    .filter(|(at, _)| *at == version)
                    .map(|(_, count)| *count);
                if let Some(count) = remembered {
                    return Ok(count.max(floor));
                }
                self.count_in_background(store, pattern, version);
                Ok(floor)
            }
        }
    }

    /// Starts an exact count unless one is already running (one at a time bounds the cost).
    fn count_in_background(
        &self,
        store: &Arc<dyn ObservationStore>,
        pattern: &QuadPattern,
        version: u64,
    ) {
        if self.counting.swap(true, Ordering::SeqCst) {
            return;
        }
        let (store, pattern) = (Arc::clone(store), pattern.clone());
        let (exact, counting) = (Arc::clone(&self.exact), Arc::clone(&self.counting));
        let spawned = std::thread::Builder::new()
            .name("belfort-count".to_owned())
            .spawn(move || {
                if let Ok(PatternCount::Exact(count)) = store.count_pattern(&pattern, u64::MAX) {
                    let mut exact = exact
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if exact.len() >= REMEMBERED_PATTERNS {
                        exact.clear();
                    }
                    exact.insert(pattern, (version, count));
                }
                counting.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.counting.store(false, Ordering::SeqCst);
        }
    }
}
