//! Telraam `reports/traffic`: hourly (or daily) counts per road segment.
//!
//! Counts arrive already divided by `uptime` (extrapolated to the whole interval); `uptime` is
//! kept on every observation so that users can filter. Dates are UTC starts of the interval;
//! the result time is the end of the interval, the earliest moment the count can be known.

use belfort_model::{
    Catalogue, Observation, PhenomenonTime, PropertyDefinition, Qualifier, QuarantinedRecord,
    SourceId,
};
use belfort_vocab::{belfort, quality};
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use oxrdf::NamedNodeRef;
use serde_json::Value;

use crate::{FeedSpec, HarvestError, MappedPayload, RecordFlag, parse_json, payload_format_error};

const FORMAT: &str = "Telraam reports/traffic JSON";

/// Source field → catalogue property key, and the direction it counts (`None`: both).
/// Directional counts are observations of the same property on a sample of the segment (one
/// direction of it), so that they stay comparable with totals elsewhere.
const FIELDS: &[(&str, &str, Option<&str>)] = &[
    ("car", "traffic-count-car", None),
    ("bike", "traffic-count-bicycle", None),
    ("pedestrian", "traffic-count-pedestrian", None),
    ("heavy", "traffic-count-heavy", None),
    ("v85", "traffic-speed-v85-car", None),
    ("car_lft", "traffic-count-car", Some("lft")),
    ("car_rgt", "traffic-count-car", Some("rgt")),
    ("bike_lft", "traffic-count-bicycle", Some("lft")),
    ("bike_rgt", "traffic-count-bicycle", Some("rgt")),
    ("pedestrian_lft", "traffic-count-pedestrian", Some("lft")),
    ("pedestrian_rgt", "traffic-count-pedestrian", Some("rgt")),
    ("heavy_lft", "traffic-count-heavy", Some("lft")),
    ("heavy_rgt", "traffic-count-heavy", Some("rgt")),
];

pub(crate) fn map_reports(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    payload: &[u8],
) -> Result<MappedPayload, HarvestError> {
    let format_error = |message: String| payload_format_error(feed, file, FORMAT, message);
    let document = parse_json(feed, file, FORMAT, payload)?;
    let Value::Object(root) = &document else {
        return Err(format_error("the document is not a JSON object".to_owned()));
    };
    if let Some(status) = root
        .get("status_code")
        .and_then(Value::as_i64)
        .filter(|s| *s > 299)
    {
        let message = root
            .get("message")
            .or_else(|| root.get("msg"))
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(HarvestError::SourceError {
            feed: feed.id.to_string(),
            file: file.to_owned(),
            status,
            message: message.to_owned(),
        });
    }
    let Some(Value::Array(reports)) = root.get("report") else {
        return Err(format_error("no \"report\" array at /report".to_owned()));
    };
    let mut properties = Vec::with_capacity(FIELDS.len());
    for (field, key, direction) in FIELDS {
        // The catalogue is compiled in; a missing key is a build defect caught by the tests.
        if let Some(property) = catalogue.property_by_key(key) {
            properties.push((*field, property, *direction));
        }
    }
    let mut mapped = MappedPayload::default();
    // A record yields at most one observation per field: one allocation, never a regrowth
    // copying every observation of a large payload again.
    mapped
        .observations
        .reserve(reports.len().saturating_mul(properties.len()));
    let mut hours = Vec::new();
    for (index, report) in reports.iter().enumerate() {
        mapped.records += 1;
        let location = format!("/report/{index}");
        mapped.record_locations.push(location.clone());
        let mut context = RecordContext {
            feed,
            mapped: &mut mapped,
            location,
            report,
            hour: None,
        };
        context.map(&properties);
        context.check_histograms();
        if let Some(hour) = context.hour {
            hours.push((context.location, hour));
        }
    }
    flag_offline_days(&mut mapped, &hours);
    Ok(mapped)
}

/// One hourly report's coverage, for the whole-day check.
struct HourCoverage {
    segment: String,
    start: DateTime<Utc>,
    uptime: f64,
}

/// The UTC hours that are daylight in Flanders all year round (08:00–16:00 UTC).
const DAYLIGHT_UTC_HOURS: std::ops::RangeInclusive<u32> = 8..=15;
/// A day is judged only when the payload holds at least this many of its daylight hours.
const MIN_DAYLIGHT_HOURS: usize = 4;

/// A segment whose counter had uptime 0 in every daylight hour of a day that the payload
/// holds (at least four of them) was offline: its
/// reports of that day (all zero counts) are flagged, not read as "no traffic". Night hours
/// at uptime 0 alone are normal and not flagged.
fn flag_offline_days(mapped: &mut MappedPayload, hours: &[(String, HourCoverage)]) {
    let mut days: std::collections::BTreeMap<(&str, NaiveDate), Vec<&(String, HourCoverage)>> =
        std::collections::BTreeMap::new();
    for entry in hours {
        days.entry((entry.1.segment.as_str(), entry.1.start.date_naive()))
            .or_default()
            .push(entry);
    }
    for ((segment, day), entries) in days {
        let daylight: Vec<_> = entries
            .iter()
            .filter(|(_, h)| DAYLIGHT_UTC_HOURS.contains(&h.start.hour()))
            .collect();
        if daylight.len() < MIN_DAYLIGHT_HOURS || daylight.iter().any(|(_, h)| h.uptime > 0.0) {
            continue;
        }
        for (location, hour) in entries.iter().map(|e| (&e.0, &e.1)) {
            if hour.uptime == 0.0 {
                mapped.flags.push(RecordFlag {
                    location: location.clone(),
                    field: Some("uptime".to_owned()),
                    rule: quality::OFFLINE_DAY_CHECK.into_owned(),
                    message: format!(
                        "segment {segment} counted nothing in any daylight hour of {day} in this payload: offline, its zero counts are not zero traffic"
                    ),
                });
            }
        }
    }
}

/// Shares (percent) of a speed histogram must add up to 100 within this tolerance.
const HISTOGRAM_TOLERANCE_PERCENT: f64 = 1.0;
/// Width of one bin of `car_speed_hist_0to120plus` (km/h); the last bin is open (120+).
const SPEED_BIN_KMH: f64 = 5.0;

struct RecordContext<'a> {
    feed: &'a FeedSpec,
    mapped: &'a mut MappedPayload,
    location: String,
    report: &'a Value,
    hour: Option<HourCoverage>,
}

impl RecordContext<'_> {
    fn flag(&mut self, field: &str, rule: NamedNodeRef<'_>, message: String) {
        self.mapped.flags.push(RecordFlag {
            location: self.location.clone(),
            field: Some(field.to_owned()),
            rule: rule.into_owned(),
            message,
        });
    }

    /// The speed histograms must be distributions, and V85 must agree with its own one.
    fn check_histograms(&mut self) {
        let histogram = |field: &str| -> Option<Vec<f64>> {
            self.report
                .get(field)?
                .as_array()?
                .iter()
                .map(Value::as_f64)
                .collect()
        };
        let mut fine = None;
        for field in ["car_speed_hist_0to70plus", "car_speed_hist_0to120plus"] {
            let Some(shares) = histogram(field) else {
                continue;
            };
            let total: f64 = shares.iter().sum();
            if total == 0.0 {
                continue; // nothing counted: no distribution to judge
            }
            if (total - 100.0).abs() > HISTOGRAM_TOLERANCE_PERCENT {
                self.flag(
                    field,
                    quality::SPEED_HISTOGRAM_CHECK,
                    format!("{field} shares add up to {total:.1} %, not 100 %"),
                );
            } else if field == "car_speed_hist_0to120plus" {
                fine = Some(shares);
            }
        }
        let (Some(shares), Some(v85)) = (fine, self.report.get("v85").and_then(Value::as_f64))
        else {
            return;
        };
        let mut cumulative = 0.0;
        let Some(bin) = shares.iter().position(|share| {
            cumulative += share;
            cumulative >= 85.0
        }) else {
            return;
        };
        let low = bin as f64 * SPEED_BIN_KMH;
        let high = if bin + 1 == shares.len() {
            f64::INFINITY
        } else {
            low + SPEED_BIN_KMH
        };
        if v85 < low - SPEED_BIN_KMH || v85 > high + SPEED_BIN_KMH {
            self.flag(
                "v85",
                quality::V85_HISTOGRAM_CHECK,
                format!(
                    "v85 is {v85} km/h but the record's own speed histogram puts the 85th percentile between {low} and {high} km/h"
                ),
            );
        }
    }

    fn quarantine(&mut self, field: Option<&str>, reason: String) {
        self.mapped.quarantined.push(QuarantinedRecord {
            feed: self.feed.id.clone(),
            location: self.location.clone(),
            field: field.map(str::to_owned),
            reason,
            raw: self.report.to_string(),
        });
    }

    fn map(&mut self, properties: &[(&str, &PropertyDefinition, Option<&str>)]) {
        let Value::Object(fields) = self.report else {
            return self.quarantine(None, "the report is not a JSON object".to_owned());
        };
        let segment = match fields.get("segment_id") {
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(other) => {
                return self.quarantine(
                    Some("segment_id"),
                    format!("segment_id {other} is not an integer"),
                );
            }
            None => return self.quarantine(Some("segment_id"), "no segment_id".to_owned()),
        };
        let start = match fields.get("date") {
            Some(Value::String(date)) => match parse_report_date(date, fields.get("timezone")) {
                Ok(start) => start,
                Err(reason) => return self.quarantine(Some("date"), reason),
            },
            Some(other) => {
                return self.quarantine(Some("date"), format!("date {other} is not a string"));
            }
            None => return self.quarantine(Some("date"), "no date".to_owned()),
        };
        let length = match fields.get("interval").and_then(Value::as_str) {
            Some("hourly") => Duration::hours(1),
            Some("daily") => Duration::days(1),
            other => {
                return self.quarantine(
                    Some("interval"),
                    format!("interval {other:?} is neither \"hourly\" nor \"daily\""),
                );
            }
        };
        let uptime = match fields.get("uptime") {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(u) if (0.0..=1.0).contains(&u) => u,
                _ => return self.quarantine(Some("uptime"), format!("uptime {n} is outside 0..1")),
            },
            other => {
                return self.quarantine(
                    Some("uptime"),
                    format!("uptime {} is not a number", describe(other)),
                );
            }
        };
        if length == Duration::hours(1) {
            self.hour = Some(HourCoverage {
                segment: segment.clone(),
                start,
                uptime,
            });
        }
        let end = start + length;
        let Ok(phenomenon_time) = PhenomenonTime::interval(start, end) else {
            return self.quarantine(Some("interval"), "empty interval".to_owned());
        };
        let sensor = SourceId::new(self.feed.sensor_namespace.clone(), segment);
        for (field, property, direction) in properties {
            let value = match fields.get(*field) {
                // Absent or null: the source did not report it; nothing to publish or flag.
                None | Some(Value::Null) => continue,
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(v) if v.is_finite() => v,
                    _ => {
                        self.quarantine(Some(field), format!("{field} {n} is not a finite number"));
                        continue;
                    }
                },
                Some(other) => {
                    self.quarantine(
                        Some(field),
                        format!("{field} is {other} instead of a number"),
                    );
                    continue;
                }
            };
            if uptime == 0.0 {
                if value == 0.0 || property.key.starts_with("traffic-speed") {
                    // The camera did not count: "not measured", never "zero traffic".
                    self.mapped.not_measured += 1;
                } else {
                    self.quarantine(
                        Some(field),
                        format!(
                            "{field} is {value} but uptime is 0: nothing can have been counted"
                        ),
                    );
                }
                continue;
            }
            let (feature, sample_of) = match direction {
                None => (sensor.clone(), None),
                Some(direction) => (
                    SourceId::new(
                        sensor.namespace.clone(),
                        format!("{}-{direction}", sensor.id),
                    ),
                    Some(sensor.clone()),
                ),
            };
            self.mapped.observations.push(Observation {
                feed: self.feed.id.clone(),
                sensor: sensor.clone(),
                feature,
                sample_of,
                property: property.iri.clone(),
                value,
                unit: property.canonical_unit.clone(),
                integer_valued: property.integer_valued,
                phenomenon_time,
                result_time: end,
                location: None,
                qualifiers: vec![Qualifier {
                    predicate: belfort::UPTIME.into_owned(),
                    value: uptime,
                }],
                source_record: self.location.clone(),
                source_iri: None,
            });
        }
    }
}

fn describe(value: Option<&Value>) -> String {
    value.map_or_else(|| "missing".to_owned(), Value::to_string)
}

/// Telraam dates are RFC 3339 UTC (`2023-10-24T05:00:00.000Z`). A date without an offset is
/// local wall time of the report's `timezone`: accepted when unambiguous, never guessed when it
/// falls in the repeated hour at the end of summer time.
fn parse_report_date(date: &str, timezone: Option<&Value>) -> Result<DateTime<Utc>, String> {
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(date) {
        return Ok(with_offset.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|_| format!("date {date:?} is not an ISO 8601 date-time"))?;
    let zone_name = timezone
        .and_then(Value::as_str)
        .unwrap_or("Europe/Brussels");
    let zone: chrono_tz::Tz = zone_name.parse().map_err(|_| {
        format!("date {date:?} has no offset and timezone {zone_name:?} is unknown")
    })?;
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(local) => Ok(local.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Err(format!(
            "date {date:?} has no offset and is ambiguous in {zone_name}: it is both {} and {}",
            first.with_timezone(&Utc).to_rfc3339(),
            second.with_timezone(&Utc).to_rfc3339()
        )),
        LocalResult::None => Err(format!(
            "date {date:?} does not exist in {zone_name} (skipped by a DST change)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_parse() {
        let t = parse_report_date("2023-10-24T05:00:00.000Z", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2023-10-24T05:00:00+00:00");
    }

    #[test]
    fn naive_date_in_repeated_dst_hour_is_never_guessed() {
        let zone = Value::String("Europe/Brussels".to_owned());
        let error = parse_report_date("2023-10-29 02:00:00", Some(&zone)).unwrap_err();
        assert!(error.contains("ambiguous"), "{error}");
    }

    #[test]
    fn naive_unambiguous_local_date_is_converted() {
        let zone = Value::String("Europe/Brussels".to_owned());
        let t = parse_report_date("2023-10-24 07:00:00", Some(&zone)).unwrap();
        assert_eq!(t.to_rfc3339(), "2023-10-24T05:00:00+00:00");
    }
}
