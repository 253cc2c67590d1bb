//! Latency statistics for the benchmark binaries.

use std::time::Duration;

/// The nearest-rank percentile (`fraction` in 0..=1) of sorted durations; zero when empty.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // The nearest rank: ceil(fraction × n), from 1.
    let n = sorted.len();
    let mut rank = 1;
    while rank < n && (rank as f64) < fraction * n as f64 {
        rank += 1;
    }
    sorted[rank - 1]
}
