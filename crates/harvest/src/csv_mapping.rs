//! Any CSV export, mapped by configuration: which columns name the sensor and the feature,
//! where the time is and in which format and zone, which columns hold which catalogued
//! property in which unit. A new city's CSV export needs a `[feeds.NAME.csv]` table, no code.
//!
//! Local times are resolved with the zone's rules (`Europe/Brussels`); a local time that does
//! not exist (the spring-forward gap) or that happens twice (the repeated autumn hour) is never
//! guessed: the record is quarantined with the reason, unless the time format carries an
//! explicit offset, which then decides. Empty cells and `NA`/`nan`/`null` are "not measured".

use std::collections::BTreeMap;

use belfort_model::{Catalogue, PhenomenonTime, SourceId};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::record::{Reading, SourceRecord, wgs84_point};
use crate::{FeedSpec, HarvestError, MappedPayload, payload_format_error};

const FORMAT: &str = "CSV";

/// How a CSV export maps onto observations (`[feeds.NAME.csv]` in a city file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// The field separator (`;`, `,`, a tab).
    #[serde(default = "default_separator")]
    pub separator: char,
    /// Numbers are written with a decimal comma (`41,7`).
    #[serde(default)]
    pub decimal_comma: bool,
    /// The sensor id: a template of column names in braces (`"{Code}"`).
    pub sensor: String,
    /// The feature-of-interest id (a template); default: the sensor's.
    pub feature: Option<String>,
    /// Where the time of a reading is; absent when `period` gives it for every row.
    pub time: Option<TimeColumns>,
    /// One phenomenon interval for every row (a campaign mean), two RFC 3339 times with offsets.
    pub period: Option<[String; 2]>,
    /// The length of the interval each row covers from its time (`PT5M`, `PT1H`, `P1D`);
    /// absent: an instant.
    pub interval: Option<String>,
    /// The latitude column (WGS84).
    pub latitude: Option<String>,
    /// The longitude column (WGS84).
    pub longitude: Option<String>,
    /// One column holding `"lat, lon"`.
    pub location: Option<String>,
    /// The value columns.
    pub values: Vec<ValueColumn>,
}

fn default_separator() -> char {
    ';'
}

/// Where and how a row's time is written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeColumns {
    /// The columns, joined with one space before parsing (`["Datum", "Uur5Minuten"]`).
    pub columns: Vec<String>,
    /// A chrono format (`%d/%m/%Y %H:%M:%S%.3f`); with `%z` or `%:z` the offset decides.
    pub format: String,
    /// The zone of local times (`Europe/Brussels`); required unless the format has an offset.
    pub zone: Option<String>,
}

/// One value column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueColumn {
    /// The column.
    pub column: String,
    /// The catalogued property (`traffic-count-bicycle`).
    pub property: String,
    /// The unit of every value (a catalogue unit key, `count`, `ug/m3`).
    pub unit: Option<String>,
    /// A column naming each row's unit.
    pub unit_column: Option<String>,
    /// The units the unit column may name, each with its catalogue key (`"dB(A)" = "dB"`);
    /// any other unit quarantines the value.
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

impl CsvMapping {
    /// What is wrong with this mapping, checked against the catalogue (empty: nothing).
    pub fn problems(&self, catalogue: &Catalogue) -> Vec<String> {
        let mut problems = Vec::new();
        if self.values.is_empty() {
            problems.push("csv.values: at least one value column is needed".to_owned());
        }
        match (&self.time, &self.period) {
            (None, None) => problems.push("csv: either `time` or `period` is needed".to_owned()),
            (Some(_), Some(_)) => {
                problems.push("csv: `time` and `period` exclude each other".to_owned())
            }
            (Some(time), None) => {
                if !has_offset(&time.format) {
                    match &time.zone {
                        None => problems.push(format!(
                            "csv.time: the format {:?} has no offset, so `zone` is needed",
                            time.format
                        )),
                        Some(zone) if zone.parse::<chrono_tz::Tz>().is_err() => {
                            problems.push(format!("csv.time.zone: unknown time zone {zone:?}"));
                        }
                        Some(_) => {}
                    }
                }
            }
            (None, Some(period)) => {
                if parse_period(period).is_err() {
                    problems.push(format!(
                        "csv.period: {period:?} is not two RFC 3339 times, the first before the second"
                    ));
                }
            }
        }
        if let Some(interval) = &self.interval
            && parse_duration(interval).is_none()
        {
            problems.push(format!(
                "csv.interval: {interval:?} is not a duration such as PT5M, PT1H or P1D"
            ));
        }
        for value in &self.values {
            if catalogue.property_by_key(&value.property).is_none() {
                problems.push(format!(
                    "csv.values: unknown property {:?} (vocab/properties.ttl)",
                    value.property
                ));
            }
            let named: Vec<&String> = value.unit.iter().chain(value.units.values()).collect();
            if named.is_empty() {
                problems.push(format!(
                    "csv.values ({}): `unit`, or `unit_column` with `units`, is needed",
                    value.column
                ));
            }
            for unit in named {
                if catalogue.unit(unit).is_none() {
                    problems.push(format!(
                        "csv.values ({}): unknown unit {unit:?}",
                        value.column
                    ));
                }
            }
        }
        problems
    }
}

fn has_offset(format: &str) -> bool {
    format.contains("%z") || format.contains("%:z") || format.contains("%#z")
}

fn parse_period(period: &[String; 2]) -> Result<(DateTime<Utc>, DateTime<Utc>), ()> {
    let start = DateTime::parse_from_rfc3339(&period[0]).map_err(|_| ())?;
    let end = DateTime::parse_from_rfc3339(&period[1]).map_err(|_| ())?;
    if start >= end {
        return Err(());
    }
    Ok((start.with_timezone(&Utc), end.with_timezone(&Utc)))
}

/// `PT5M`, `PT1H`, `PT30S`, `P1D`, `P28D`: the durations a CSV export's rows cover.
fn parse_duration(text: &str) -> Option<chrono::Duration> {
    let (days, time) = match text.strip_prefix('P')?.split_once('T') {
        Some((days, time)) => (days, time),
        None => (text.strip_prefix('P')?, ""),
    };
    let mut total = chrono::Duration::zero();
    if !days.is_empty() {
        total += chrono::Duration::days(days.strip_suffix('D')?.parse().ok()?);
    }
    let mut number = String::new();
    for c in time.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'H' => chrono::Duration::hours(n),
            'M' => chrono::Duration::minutes(n),
            'S' => chrono::Duration::seconds(n),
            _ => return None,
        };
    }
    (number.is_empty() && total > chrono::Duration::zero()).then_some(total)
}

/// The cells that mean "no value".
fn is_missing(text: &str) -> bool {
    text.is_empty()
        || ["na", "n/a", "nan", "null", "none", "-"]
            .iter()
            .any(|m| text.eq_ignore_ascii_case(m))
}

/// Fills `{Column}` placeholders with the row's cells; `None` when a cell is empty or a
/// column is unknown.
fn fill(template: &str, cell: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("unclosed brace in {template:?}"));
        };
        let name = &rest[open + 1..open + close];
        match cell(name) {
            Some(value) if !value.is_empty() => out.push_str(&value),
            Some(_) => return Err(format!("{name} is empty")),
            None => return Err(format!("there is no column {name}")),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(crate) fn map_csv(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    payload: &[u8],
) -> Result<MappedPayload, HarvestError> {
    let format_error = |message: String| payload_format_error(feed, file, FORMAT, message);
    let Some(mapping) = &feed.csv else {
        return Err(format_error(
            "the feed has no [csv] mapping in its city file".to_owned(),
        ));
    };
    let separator = u8::try_from(mapping.separator).map_err(|_| {
        format_error(format!(
            "the separator {:?} is not ASCII",
            mapping.separator
        ))
    })?;
    let payload = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .from_reader(payload);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format_error(format!("line 1: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    // Column positions by name, looked up once per payload (the first of a repeated name wins).
    let mut positions: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        positions.entry(header.as_str()).or_insert(i);
    }
    let index = |name: &str| positions.get(name).copied();
    let mut missing: Vec<&str> = mapping.values.iter().map(|v| v.column.as_str()).collect();
    if let Some(time) = &mapping.time {
        missing.extend(time.columns.iter().map(String::as_str));
    }
    missing.retain(|c| index(c).is_none());
    if !missing.is_empty() {
        return Err(format_error(format!(
            "line 1: the header lacks the column(s) {} (it has: {})",
            missing.join(", "),
            headers.join(", ")
        )));
    }
    let zone = mapping
        .time
        .as_ref()
        .and_then(|t| t.zone.as_deref())
        .map(|z| z.parse::<chrono_tz::Tz>())
        .transpose()
        .map_err(|e| format_error(format!("time zone: {e}")))?;
    let period = mapping
        .period
        .as_ref()
        .map(parse_period)
        .transpose()
        .map_err(|()| format_error("the period is not two RFC 3339 times".to_owned()))?;
    let interval = mapping.interval.as_deref().and_then(parse_duration);
    let number = |text: &str| -> Option<f64> {
        let parsed = if mapping.decimal_comma {
            text.replace(',', ".").parse::<f64>()
        } else {
            text.parse::<f64>()
        };
        parsed.ok().filter(|v| v.is_finite())
    };
    let mut mapped = MappedPayload::default();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            format_error(format!("line {line}: {e}"))
        })?;
        let line = row.position().map_or(0, csv::Position::line);
        let location = format!("line {line}");
        mapped.open_record(&location);
        let raw = || {
            row.iter()
                .collect::<Vec<_>>()
                .join(&mapping.separator.to_string())
        };
        let record = SourceRecord {
            feed,
            location: location.clone(),
            raw: &raw,
        };
        let cell = |name: &str| index(name).map(|i| row.get(i).unwrap_or("").trim().to_owned());
        let sensor = match fill(&mapping.sensor, &cell) {
            Ok(sensor) => sensor,
            Err(reason) => {
                record.quarantine(&mut mapped, "sensor", format!("no sensor id: {reason}"));
                continue;
            }
        };
        let feature = match mapping
            .feature
            .as_deref()
            .map(|f| fill(f, &cell))
            .transpose()
        {
            Ok(feature) => feature.unwrap_or_else(|| sensor.clone()),
            Err(reason) => {
                record.quarantine(&mut mapped, "feature", format!("no feature id: {reason}"));
                continue;
            }
        };
        let (phenomenon_time, result_time) = match (&mapping.time, period) {
            (_, Some((start, end))) => (PhenomenonTime::Interval { start, end }, end),
            (Some(time), None) => {
                let text = time
                    .columns
                    .iter()
                    .map(|c| cell(c).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(" ");
                let field = time.columns.join("+");
                let at = match read_time(&text, &time.format, zone) {
                    Ok(at) => at,
                    Err(reason) => {
                        record.quarantine(&mut mapped, &field, reason);
                        continue;
                    }
                };
                match interval {
                    Some(length) => (
                        PhenomenonTime::Interval {
                            start: at,
                            end: at + length,
                        },
                        at + length,
                    ),
                    None => (PhenomenonTime::Instant(at), at),
                }
            }
            (None, None) => {
                return Err(format_error(
                    "neither a time nor a period is configured".to_owned(),
                ));
            }
        };
        let point = match (&mapping.latitude, &mapping.longitude, &mapping.location) {
            (Some(lat), Some(lon), _) => wgs84_point(
                cell(lon).as_deref().and_then(number),
                cell(lat).as_deref().and_then(number),
            ),
            (_, _, Some(column)) => cell(column).and_then(|text| {
                let (lat, lon) = text.split_once(',')?;
                wgs84_point(number(lon.trim()), number(lat.trim()))
            }),
            _ => None,
        };
        for value in &mapping.values {
            let Some(property) = catalogue.property_by_key(&value.property) else {
                continue;
            };
            let text = cell(&value.column).unwrap_or_default();
            if is_missing(&text) {
                mapped.not_measured += 1;
                continue;
            }
            let Some(reading) = number(&text) else {
                record.quarantine(
                    &mut mapped,
                    &value.column,
                    format!("{} {text:?} is not a number", value.column),
                );
                continue;
            };
            let unit = match (&value.unit_column, &value.unit) {
                (Some(column), _) => {
                    let written = cell(column).unwrap_or_default();
                    match value.units.get(&written) {
                        Some(key) => key.clone(),
                        None => {
                            record.quarantine(
                                &mut mapped,
                                column,
                                format!(
                                    "{column} {written:?} is not a unit this feed accepts for {} (accepted: {})",
                                    value.column,
                                    value.units.keys().cloned().collect::<Vec<_>>().join(", ")
                                ),
                            );
                            continue;
                        }
                    }
                }
                (None, Some(unit)) => unit.clone(),
                (None, None) => continue,
            };
            let canonical = match catalogue.to_canonical(
                property,
                reading,
                &unit,
                Some(phenomenon_time.duration()),
            ) {
                Ok(v) => v,
                Err(e) => {
                    record.quarantine(&mut mapped, &value.column, format!("{}: {e}", value.column));
                    continue;
                }
            };
            mapped.observations.push(record.observation(Reading {
                sensor: SourceId::new(feed.sensor_namespace.clone(), sensor.clone()),
                feature: SourceId::new(feed.sensor_namespace.clone(), feature.clone()),
                property,
                value: canonical,
                phenomenon_time,
                result_time,
                location: point,
            }));
        }
    }
    Ok(mapped)
}

/// A row's time in UTC: from its own offset when the format has one, else from the zone's
/// rules, refusing local times that do not exist or happen twice.
fn read_time(
    text: &str,
    format: &str,
    zone: Option<chrono_tz::Tz>,
) -> Result<DateTime<Utc>, String> {
    if has_offset(format) {
        return DateTime::parse_from_str(text, format)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("time {text:?} does not match {format:?}: {e}"));
    }
    let naive = NaiveDateTime::parse_from_str(text, format)
        .map_err(|e| format!("time {text:?} does not match {format:?}: {e}"))?;
    let Some(zone) = zone else {
        return Err("no time zone is configured for local times".to_owned());
    };
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Err(format!(
            "local time {text} happens twice in {zone} (the repeated hour when summer time ends: {} or {}) and the row has no offset; not guessed",
            first.with_timezone(&Utc).format("%H:%MZ"),
            second.with_timezone(&Utc).format("%H:%MZ")
        )),
        LocalResult::None => Err(format!(
            "local time {text} does not exist in {zone} (the hour skipped when summer time starts)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read() {
        assert_eq!(parse_duration("PT5M"), Some(chrono::Duration::minutes(5)));
        assert_eq!(
            parse_duration("PT1H30M"),
            Some(chrono::Duration::minutes(90))
        );
        assert_eq!(parse_duration("P28D"), Some(chrono::Duration::days(28)));
        assert_eq!(parse_duration("P1DT1H"), Some(chrono::Duration::hours(25)));
        for bad in ["", "P", "PT", "5M", "PT5X", "PT5", "PT0S"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_times_in_the_dst_gap_or_overlap_are_refused_not_guessed() {
        let zone = Some(chrono_tz::Europe::Brussels);
        let format = "%Y-%m-%d %H:%M";
        assert!(read_time("2023-10-29 02:30", format, zone).is_err_and(|e| e.contains("twice")));
        assert!(
            read_time("2023-03-26 02:30", format, zone)
                .is_err_and(|e| e.contains("does not exist"))
        );
        assert_eq!(
            read_time("2023-10-29 03:30", format, zone)
                .ok()
                .map(|t| t.to_rfc3339()),
            Some("2023-10-29T02:30:00+00:00".to_owned())
        );
        // An explicit offset decides the repeated hour.
        assert_eq!(
            read_time("2023-10-29T02:30:00+02:00", "%Y-%m-%dT%H:%M:%S%z", None)
                .ok()
                .map(|t| t.to_rfc3339()),
            Some("2023-10-29T00:30:00+00:00".to_owned())
        );
    }

    #[test]
    fn templates_fill_from_cells() {
        let cell = |name: &str| match name {
            "Code" => Some("CL1".to_owned()),
            "Empty" => Some(String::new()),
            _ => None,
        };
        assert_eq!(fill("{Code}", &cell).ok(), Some("CL1".to_owned()));
        assert_eq!(
            fill("bike-{Code}-x", &cell).ok(),
            Some("bike-CL1-x".to_owned())
        );
        assert!(fill("{Empty}", &cell).is_err());
        assert!(fill("{Nope}", &cell).is_err());
        assert!(fill("{Code", &cell).is_err());
    }
}
