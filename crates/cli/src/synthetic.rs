//! Synthetic Telraam payloads of any size, for the benchmark and the crash test.

use std::fmt::Write as _;

use chrono::{Duration, TimeZone, Utc};

/// A Telraam `reports/traffic` document with `segments × hours` hourly reports (5 observations
/// each), values varying deterministically with the seed so that no two batches coincide.
pub fn telraam_reports(first_segment: u64, segments: u64, hours: u64, seed: u64) -> String {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut text = String::from("{\"status_code\":200,\"message\":\"ok\",\"report\":[");
    let mut first = true;
    for segment in first_segment..first_segment + segments {
        for hour in 0..hours {
            let date = (start + Duration::hours(i64::try_from(hour).unwrap_or(0)))
                .format("%Y-%m-%dT%H:%M:%S.000Z");
            let x = (segment * 7919 + hour * 104_729 + seed * 31) % 1000;
            let uptime = 0.5 + (x % 50) as f64 / 100.0;
            if !first {
                text.push(',');
            }
            first = false;
            let _ = write!(
                text,
                "{{\"instance_id\":-1,\"segment_id\":{segment},\"date\":\"{date}\",\"interval\":\"hourly\",\
                 \"uptime\":{uptime},\"heavy\":{h},\"car\":{c},\"bike\":{b},\"pedestrian\":{p},\
                 \"direction\":1,\"timezone\":\"Europe/Brussels\",\"v85\":{v}}}",
                h = x as f64 / 37.0,
                c = x as f64 / 3.0,
                b = x as f64 / 7.0,
                p = x as f64 / 11.0,
                v = 20.0 + (x % 400) as f64 / 10.0,
            );
        }
    }
    text.push_str("]}");
    text
}

/// Reports per segment in a batch payload (one per hour).
pub const HOURS_PER_SEGMENT: u64 = 1000;
/// Observations per report (car, bike, pedestrian, heavy, V85).
pub const OBSERVATIONS_PER_REPORT: u64 = 5;

/// N synthetic observations cut into payloads of about `per_batch` observations each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticBatches {
    /// Segments per payload.
    pub segments_per_batch: u64,
    /// Payloads.
    pub batches: u64,
}

impl SyntheticBatches {
    /// The payloads for `total` observations, `per_batch` per payload.
    pub fn new(total: u64, per_batch: u64) -> Self {
        let segments_per_batch = (per_batch / OBSERVATIONS_PER_REPORT)
            .div_ceil(HOURS_PER_SEGMENT)
            .max(1);
        let batches = (total / OBSERVATIONS_PER_REPORT)
            .div_ceil(HOURS_PER_SEGMENT)
            .div_ceil(segments_per_batch);
        Self {
            segments_per_batch,
            batches,
        }
    }

    /// Payload number `batch` (its segments follow the previous payload's).
    pub fn payload(&self, batch: u64) -> String {
        telraam_reports(
            1 + batch * self.segments_per_batch,
            self.segments_per_batch,
            HOURS_PER_SEGMENT,
            batch,
        )
    }
}
