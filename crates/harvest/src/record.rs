//! What every adapter does with one source record: quarantine a field, flag a defect, or
//! turn a reading into an observation of a catalogued property.

use belfort_model::{
    Observation, PhenomenonTime, Point, PropertyDefinition, QuarantinedRecord, SourceId,
};
use chrono::{DateTime, Utc};
use oxrdf::NamedNodeRef;

use crate::{FeedSpec, MappedPayload, RecordFlag};

/// One source record of a payload, for the findings about it.
pub(crate) struct SourceRecord<'a> {
    pub feed: &'a FeedSpec,
    /// A JSON pointer, `line N` or `lines A-B`.
    pub location: String,
    /// The record as the source sent it (made only when something is quarantined).
    pub raw: &'a dyn Fn() -> String,
}

impl SourceRecord<'_> {
    /// The field (or the whole record) cannot be used: a quarantine entry with the reason.
    pub fn quarantine(&self, mapped: &mut MappedPayload, field: &str, reason: String) {
        mapped.quarantined.push(QuarantinedRecord {
            feed: self.feed.id.clone(),
            location: self.location.clone(),
            field: Some(field.to_owned()),
            reason,
            raw: (self.raw)(),
        });
    }

    /// A defect that does not make the record unusable.
    pub fn flag(
        &self,
        mapped: &mut MappedPayload,
        field: &str,
        rule: NamedNodeRef<'_>,
        message: String,
    ) {
        mapped.flags.push(RecordFlag {
            location: self.location.clone(),
            field: Some(field.to_owned()),
            rule: rule.into_owned(),
            message,
        });
    }

    /// An observation read from this record, its value already in the canonical unit.
    pub fn observation(&self, reading: Reading<'_>) -> Observation {
        Observation {
            feed: self.feed.id.clone(),
            sensor: reading.sensor,
            feature: reading.feature,
            sample_of: None,
            property: reading.property.iri.clone(),
            value: reading.value,
            unit: reading.property.canonical_unit.clone(),
            integer_valued: reading.property.integer_valued,
            phenomenon_time: reading.phenomenon_time,
            result_time: reading.result_time,
            location: reading.location,
            qualifiers: Vec::new(),
            source_record: self.location.clone(),
            source_iri: None,
        }
    }
}

/// What an adapter read for one observation.
pub(crate) struct Reading<'p> {
    pub sensor: SourceId,
    pub feature: SourceId,
    pub property: &'p PropertyDefinition,
    pub value: f64,
    pub phenomenon_time: PhenomenonTime,
    pub result_time: DateTime<Utc>,
    pub location: Option<Point>,
}

/// A measured value that must be a finite JSON number: null or missing is no measurement,
/// anything else (a string such as `"NaN"` or `"41,7"`) is not a number.
pub(crate) fn measured_number(
    value: Option<&serde_json::Value>,
    name: &str,
) -> Result<f64, String> {
    match value {
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("the {name} {n} is not a finite number")),
        Some(serde_json::Value::Null) | None => Err(format!("the {name} is null: no measurement")),
        Some(other) => Err(format!("the {name} {other} is not a JSON number")),
    }
}

/// Belgium's longitudes, generously: a point outside in a Belgian feed is misplaced.
const BELGIUM_LON: std::ops::RangeInclusive<f64> = 2.4..=6.5;
/// Belgium's latitudes, generously.
const BELGIUM_LAT: std::ops::RangeInclusive<f64> = 49.4..=51.6;

/// Whether a WGS84 position lies in (or just around) Belgium.
pub(crate) fn in_belgium(lon: f64, lat: f64) -> bool {
    BELGIUM_LON.contains(&lon) && BELGIUM_LAT.contains(&lat)
}

/// A WGS84 point from GeoJSON-ordered coordinates, when both are present and in range.
pub(crate) fn wgs84_point(lon: Option<f64>, lat: Option<f64>) -> Option<Point> {
    match (lon, lat) {
        (Some(lon), Some(lat))
            if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
        {
            Some(Point { lon, lat })
        }
        _ => None,
    }
}

impl MappedPayload {
    /// Counts one more source record and remembers where it is, for the ingest report.
    pub(crate) fn open_record(&mut self, location: &str) {
        self.records += 1;
        self.record_locations.push(location.to_owned());
    }
}
