//! Fragment counts: exact when small, otherwise an estimate that costs no scan per request.
//!
//! A count taken earlier for the same pattern at the same data version is reused. Otherwise
//! the pattern is counted up to a cap: below it the count is exact; above it the answer is the
//! cap itself (a true lower bound, never 0), remembered so that later requests do not count
//! again, while one background thread counts the pattern exactly for the requests that follow.
//! After a write, a large fragment's earlier count stands as its estimate until it has been
//! counted again in the background.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use belfort_store::{ObservationStore, PatternCount, QuadPattern, StoreError};

/// A count taken at an earlier data version stands as the estimate of a fragment this large,
/// while it is counted again in the background; smaller fragments are counted at once.
const STALE_ESTIMATE_FROM: u64 = 100_000;

/// Patterns whose count is remembered; beyond this the memory is cleared.
const REMEMBERED_PATTERNS: usize = 4096;

/// Counts per pattern, with the data version they were taken at.
type Remembered = Mutex<HashMap<QuadPattern, (u64, PatternCount)>>;

/// Counts of patterns, per data version.
pub struct CountCache {
    counts: Arc<Remembered>,
    counting: Arc<AtomicBool>,
    stale_estimate_from: u64,
}

impl Default for CountCache {
    fn default() -> Self {
        Self {
            counts: Arc::default(),
            counting: Arc::default(),
            stale_estimate_from: STALE_ESTIMATE_FROM,
        }
    }
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
        let count = match self.remembered(pattern) {
            Some((at, count)) if at == version => count,
            // A large fragment's count from before the last write: a harvest changes it by a
            // little, and counting it again would hold up this request for a second or more
            // (a million matches). It stands as the estimate until the exact count is in.
            Some((_, count)) if lower_bound(count) >= self.stale_estimate_from => {
                self.count_in_background(store, pattern, version);
                return Ok((lower_bound(count), false));
            }
            _ => {
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

    /// The count last taken of `pattern`, with the data version it was taken at.
    fn remembered(&self, pattern: &QuadPattern) -> Option<(u64, PatternCount)> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(pattern)
            .copied()
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

/// The matches a count says there are at least.
fn lower_bound(count: PatternCount) -> u64 {
    match count {
        PatternCount::Exact(n) | PatternCount::AtLeast(n) => n,
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

#[cfg(test)]
mod tests {
    use super::*;
    use belfort_store::{DumpFormat, GraphSelector};
    use belfort_store_embedded::EmbeddedStore;
    use oxrdf::NamedNode;
    use std::time::{Duration, Instant};

    fn statements(predicate: &str, from: usize, to: usize) -> String {
        (from..to)
            .map(|i| format!("<https://data.example.org/s{i}> <https://data.example.org/{predicate}> \"{i}\" .\n"))
            .collect()
    }

    fn pattern(predicate: &str) -> QuadPattern {
        QuadPattern {
            subject: None,
            predicate: Some(NamedNode::new_unchecked(format!(
                "https://data.example.org/{predicate}"
            ))),
            object: None,
            graph: GraphSelector::Any,
        }
    }

    #[test]
    fn after_a_write_a_large_fragments_earlier_count_stands_until_it_is_counted_again() {
        let embedded = Arc::new(EmbeddedStore::in_memory().unwrap());
        let store: Arc<dyn ObservationStore> = embedded.clone();
        let load = |nquads: String| {
            embedded
                .bulk_load(DumpFormat::NQuads, nquads.as_bytes())
                .unwrap()
        };
        load(statements("large", 0, 50) + &statements("small", 0, 5));
        let cache = CountCache {
            stale_estimate_from: 20,
            ..CountCache::default()
        };
        assert_eq!(
            cache.count(&store, &pattern("large"), 1_000).unwrap(),
            (50, true)
        );
        assert_eq!(
            cache.count(&store, &pattern("small"), 1_000).unwrap(),
            (5, true)
        );
        load(statements("large", 50, 60) + &statements("small", 5, 6));
        // The small fragment is counted again at once; the large one answers its earlier
        // count, marked as an estimate, while it is counted in the background.
        assert_eq!(
            cache.count(&store, &pattern("small"), 1_000).unwrap(),
            (6, true)
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut answers = vec![cache.count(&store, &pattern("large"), 1_000).unwrap()];
        while answers.last() != Some(&(60, true)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
            answers.push(cache.count(&store, &pattern("large"), 1_000).unwrap());
        }
        assert_eq!(answers.first(), Some(&(50, false)));
        assert_eq!(answers.last(), Some(&(60, true)));
        assert!(
            answers
                .iter()
                .all(|a| *a == (50, false) || *a == (60, true))
        );
    }
}
