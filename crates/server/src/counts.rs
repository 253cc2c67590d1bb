//! Fragment counts: exact when small, otherwise an estimate that costs no scan per request.
//!
//! A count taken earlier for the same pattern at the same data version is reused. Otherwise
//! the pattern is counted up to a cap: below it the count is exact; above it the answer is the
//! cap itself (a true lower bound, never 0), remembered so that later requests do not count
//! again, while one background thread counts the pattern exactly for the requests that follow.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use belfort_store::{ObservationStore, PatternCount, QuadPattern, StoreError};

/// Patterns whose count is remembered; beyond this the memory is cleared.
const REMEMBERED_PATTERNS: usize = 4096;

/// Counts per pattern, with the data version they were taken at.
type Remembered = Mutex<HashMap<QuadPattern, (u64, PatternCount)>>;

/// Counts of patterns, per data version.
#[derive(Default)]
pub struct CountCache {
    counts: Arc<Remembered>,
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
        let count = match self.remembered(pattern, version) {
            Some(count) => count,
            None => {
                let count = store.count_pattern(pattern, cap)?;
                remember_in(&self.counts, pattern.clone(), version, count);
                count
            }
        };
        Ok(match count {
            PatternCount::Exact(count) => (count, true),
            PatternCount::AtLeast(floor) => {
                self.count_in_background(store, pattern, version);
                (floor, false)
            }
        })
    }

    fn remembered(&self, pattern: &QuadPattern, version: u64) -> Option<PatternCount> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(pattern)
            .filter(|(at, _)| *at == version)
            .map(|(_, count)| *count)
    }

    /// Starts an exact count unless one is already running (one at a time bounds the cost; a
    /// later request of a pattern still estimated starts its count).
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
        let (counts, counting) = (Arc::clone(&self.counts), Arc::clone(&self.counting));
        let spawned = std::thread::Builder::new()
            .name("belfort-count".to_owned())
            .spawn(move || {
                if let Ok(count @ PatternCount::Exact(_)) = store.count_pattern(&pattern, u64::MAX)
                {
                    remember_in(&counts, pattern, version, count);
                }
                counting.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.counting.store(false, Ordering::SeqCst);
        }
    }
}

fn remember_in(counts: &Remembered, pattern: QuadPattern, version: u64, count: PatternCount) {
    let mut counts = counts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if counts.len() >= REMEMBERED_PATTERNS {
        counts.clear();
    }
    counts.insert(pattern, (version, count));
}
