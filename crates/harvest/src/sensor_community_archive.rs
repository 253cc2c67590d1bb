//! sensor.community daily archive CSV (`;`-separated, one file per sensor per day).
//!
//! Each row is one reading as the sensor sent it; the timestamp is naive UTC. The firmware
//! averages over its send interval, which the file does not state, so a row is published as
//! an instantaneous reading at its timestamp.

use belfort_model::{Catalogue, PhenomenonTime, Point, QuarantinedRecord, SourceId};
use chrono::NaiveDateTime;

use crate::sensor_community::{Reading, VALUE_TYPES};
use crate::{FeedSpec, HarvestError, MappedPayload, payload_format_error};

const FORMAT: &str = "sensor.community archive CSV";

pub(crate) fn map_archive_csv(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    payload: &[u8],
) -> Result<MappedPayload, HarvestError> {
    let format_error = |message: String| payload_format_error(feed, file, FORMAT, message);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(payload);
    let headers = reader
        .headers()
        .map_err(|e| format_error(format!("line 1: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (Some(sensor_col), Some(time_col)) = (column("sensor_id"), column("timestamp")) else {
        return Err(format_error(
            "line 1: the header lacks sensor_id or timestamp".to_owned(),
        ));
    };
    let (location_col, lat_col, lon_col) = (column("location"), column("lat"), column("lon"));
    let value_cols: Vec<(usize, &str, &str, &str)> = VALUE_TYPES
        .iter()
        .filter_map(|(name, key, unit)| column(name).map(|i| (i, *name, *key, *unit)))
        .collect();
    let mut mapped = MappedPayload::default();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(format_error(format!("line {line}: {e}")));
            }
        };
        mapped.records += 1;
        let line = row.position().map_or(0, csv::Position::line);
        let record_location = format!("line {line}");
        mapped.record_locations.push(record_location.clone());
        let raw = row.iter().collect::<Vec<_>>().join(";");
        let mut quarantine = |field: &str, reason: String| {
            mapped.quarantined.push(QuarantinedRecord {
                feed: feed.id.clone(),
                location: format!("line {line}"),
                field: Some(field.to_owned()),
                reason,
                raw: raw.clone(),
            });
        };
        let cell = |i: usize| row.get(i).unwrap_or("").trim();
        let sensor = cell(sensor_col);
        if sensor.is_empty() || !sensor.bytes().all(|b| b.is_ascii_digit()) {
            quarantine(
                "sensor_id",
                format!("sensor_id {sensor:?} is not an integer"),
            );
            continue;
        }
        let at = match NaiveDateTime::parse_from_str(cell(time_col), "%Y-%m-%dT%H:%M:%S") {
            Ok(naive) => naive.and_utc(),
            Err(_) => {
                quarantine(
                    "timestamp",
                    format!("timestamp {:?} is not YYYY-MM-DDTHH:MM:SS", cell(time_col)),
                );
                continue;
            }
        };
        let location_id = location_col
            .map(cell)
            .filter(|l| !l.is_empty())
            .unwrap_or(sensor);
        let point = match (
            lon_col.map(cell).map(str::parse::<f64>),
            lat_col.map(cell).map(str::parse::<f64>),
        ) {
            (Some(Ok(lon)), Some(Ok(lat))) if lon != 0.0 || lat != 0.0 => Some(Point { lon, lat }),
            _ => None,
        };
        let sensor_id = SourceId::new(feed.sensor_namespace.clone(), sensor);
        let feature = SourceId::new(
            feed.sensor_namespace.clone(),
            format!("location-{location_id}"),
        );
        for (index, name, key, unit) in &value_cols {
            let text = cell(*index);
            let Some(property) = catalogue.property_by_key(key) else {
                continue;
            };
            let reading = Reading {
                feed,
                sensor: &sensor_id,
                feature: &feature,
                phenomenon_time: PhenomenonTime::Instant(at),
                result_time: at,
                location: point,
                source_record: &record_location,
            };
            // "", "nan", "unavailable", "%.1f": the archive's ways of saying "no value".
            match reading.observe(catalogue, property, text, unit) {
                Ok(observation) => mapped.observations.push(observation),
                Err(reason) => quarantine(name, format!("{name} {reason}")),
            }
        }
    }
    Ok(mapped)
}
