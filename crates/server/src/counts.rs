//! Fragment counts: exact when small, otherwise an estimate that costs no scan per request.
//!
//! A count taken earlier for the same pattern at the same data version is reused. Otherwise
//! the pattern is counted up to a cap: below it the count is exact; above it the answer is the
//! cap itself (a true lower bound, never 0) while one background thread counts the pattern
//! exactly for the requests that follow.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use belfort_store::{ObservationStore, PatternCount, QuadPattern, StoreError};

/// Patterns whose exact count is remembered; beyond this the memory is cleared.
const REMEMBERED_PATTERNS: usize = 4096;

/// Exact counts of large patterns, per data version.
#[derive(Default)]
pub struct CountCache {
    exact: Arc<Remembered>,
    counting: Arc<AtomicBool>,
}

impl CountCache {
    /// The count of `pattern` and whether it is exact: exact up to `cap` or once counted in
    /// the background, else an estimate that is never below `cap`.
    pub fn count(
        &self,
        store: &Arc<dyn ObservationStore>,
        pattern: &QuadPattern,
        cap: u64,
    ) -> Result<(u64, bool), StoreError> {
        let version = store.data_version();
        if let Some(count) = self.remembered(pattern, version) {
            return Ok((count, true));
        }
        match store.count_pattern(pattern, cap)? {
            PatternCount::Exact(count) => {
                self.remember(pattern.clone(), version, count);
                Ok((count, true))
            }
            PatternCount::AtLeast(floor) => {
                self.count_in_background(store, pattern, version);
                Ok((floor, false))
            }
        }
    }

    fn remembered(&self, pattern: &QuadPattern, version: u64) -> Option<u64> {
        self.exact
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(pattern)
            .filter(|(at, _)| *at == version)
            .map(|(_, count)| *count)
    }

    fn remember(&self, pattern: QuadPattern, version: u64, count: u64) {
        remember_in(&self.exact, pattern, version, count);
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
                    remember_in(&exact, pattern, version, count);
                }
                counting.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.counting.store(false, Ordering::SeqCst);
        }
    }
}

/// Remembered counts per pattern, at a data version.
type Remembered = Mutex<HashMap<QuadPattern, (u64, u64)>>;

fn remember_in(exact: &Remembered, pattern: QuadPattern, version: u64, count: u64) {
    let mut exact = exact
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if exact.len() >= REMEMBERED_PATTERNS {
        exact.clear();
    }
    exact.insert(pattern, (version, count));
}
