//! Deterministic IRI minting under a configurable base.

use chrono::{DateTime, Datelike, Timelike, Utc};
use oxrdf::NamedNode;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{FeedId, ModelError, SourceId};

/// Characters kept as they are in an IRI path segment: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The bytes `SEGMENT` leaves as they are.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Mints every IRI Belfort publishes, from the source's own identifiers and times only, so the
/// same reading always gets the same IRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IriMinter {
    base: String,
}

impl IriMinter {
    /// A minter under `base`, which must be an absolute IRI ending in `/`.
    pub fn new(base: &str) -> Result<Self, ModelError> {
        if !base.ends_with('/') {
            return Err(ModelError::InvalidIri {
                iri: base.to_owned(),
                message: "the base must end with '/'".to_owned(),
            });
        }
        NamedNode::new(base).map_err(|e| ModelError::InvalidIri {
            iri: base.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self {
            base: base.to_owned(),
        })
    }

    /// The base IRI.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn mint(&self, segments: &[&str]) -> NamedNode {
        let mut iri = self.base.clone();
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                iri.push('/');
            }
            if segment.bytes().all(is_unreserved) {
                iri.push_str(segment);
            } else {
                iri.extend(utf8_percent_encode(segment, SEGMENT));
            }
        }
        // The base was validated and every segment is percent-encoded to unreserved characters.
        NamedNode::new_unchecked(iri)
    }

    /// A sensor, from the source system's own id.
    pub fn sensor(&self, sensor: &SourceId) -> NamedNode {
        self.mint(&["sensor", &sensor.namespace, &sensor.id])
    }

    /// A feature of interest (a measurement point, a sample of the air), from the source's id.
    pub fn feature(&self, feature: &SourceId) -> NamedNode {
        self.mint(&["feature", &feature.namespace, &feature.id])
    }

    /// The geometry of a feature of interest.
    pub fn feature_geometry(&self, feature: &SourceId) -> NamedNode {
        Self::with_fragment(&self.feature(feature), "geometry")
    }

    /// An observation: sensor (+ feature, when the sensor observes several) + property +
    /// phenomenon start (+ duration for an interval).
    pub fn observation(
        &self,
        sensor: &SourceId,
        feature: &SourceId,
        property_key: &str,
        start: DateTime<Utc>,
        duration: Option<&str>,
    ) -> NamedNode {
        let start = compact_timestamp(start);
        let mut segments = vec!["observation", &sensor.namespace, &sensor.id];
        if feature != sensor {
            if feature.namespace != sensor.namespace {
                segments.push(&feature.namespace);
            }
            segments.push(&feature.id);
        }
        segments.push(property_key);
        segments.push(&start);
        segments.extend(duration);
        self.mint(&segments)
    }

    /// The structured result (`qudt:QuantityValue`) of an observation.
    pub fn result(observation: &NamedNode) -> NamedNode {
        Self::with_fragment(observation, "result")
    }

    /// A time instant, shared by every observation that starts or ends there.
    pub fn instant(&self, at: DateTime<Utc>) -> NamedNode {
        self.mint(&["time", &compact_timestamp(at)])
    }

    /// A time interval, shared by every observation over it.
    pub fn interval(&self, start: DateTime<Utc>, duration: &str) -> NamedNode {
        self.mint(&["time", &compact_timestamp(start), duration])
    }

    /// A city or region.
    pub fn city(&self, key: &str) -> NamedNode {
        self.mint(&["city", key])
    }

    /// A feed of a city.
    pub fn feed(&self, feed: &FeedId) -> NamedNode {
        self.mint(&["feed", feed.city(), feed.name()])
    }

    /// The named graph holding a feed's observations.
    pub fn feed_graph(&self, feed: &FeedId) -> NamedNode {
        self.mint(&["graph", feed.city(), feed.name()])
    }

    /// The named graph of what observations of every feed share: sensors, features, times.
    /// One graph, so a sensor that two feeds report is described once.
    pub fn context_graph(&self) -> NamedNode {
        self.mint(&["graph", "context"])
    }

    /// The named graph of provenance and metadata.
    pub fn metadata_graph(&self) -> NamedNode {
        self.mint(&["graph", "meta"])
    }

    /// The named graph of the event streams' member index (which page holds which member).
    pub fn event_stream_graph(&self) -> NamedNode {
        self.mint(&["graph", "ldes"])
    }

    /// What every event stream's IRIs start with: the root node of stream `gent/traffic` is
    /// this followed by `gent/traffic`.
    pub fn event_stream_prefix(&self) -> String {
        format!("{}ldes/", self.base)
    }

    /// The named graph of quarantined records.
    pub fn quarantine_graph(&self) -> NamedNode {
        self.mint(&["graph", "quarantine"])
    }

    /// An archived payload, by the SHA-256 of its bytes.
    pub fn payload(&self, sha256_hex: &str) -> NamedNode {
        self.mint(&["payload", sha256_hex])
    }

    /// A quarantined record: the payload it came from and its position there.
    pub fn quarantined_record(&self, sha256_hex: &str, index: usize) -> NamedNode {
        self.mint(&["quarantine", sha256_hex, &index.to_string()])
    }

    /// A harvest or ingest run of a feed.
    pub fn run(&self, feed: &FeedId, started: DateTime<Utc>) -> NamedNode {
        self.mint(&["run", feed.city(), feed.name(), &compact_timestamp(started)])
    }

    /// The quality annotation a rule puts on an observation: the observation IRI with the
    /// rule's local name as fragment, so one rule annotates one observation once.
    pub fn quality_annotation(&self, observation: &NamedNode, rule: &NamedNode) -> NamedNode {
        let local = rule.as_str().rsplit(['#', '/']).next().unwrap_or("rule");
        let fragment: String = local
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        Self::with_fragment(observation, &fragment)
    }

    /// The validation report of a run.
    pub fn validation_report(&self, run: &NamedNode) -> NamedNode {
        Self::with_fragment(run, "report")
    }

    /// One result of a run's validation report.
    pub fn validation_result(&self, run: &NamedNode, index: usize) -> NamedNode {
        Self::with_fragment(run, &format!("result-{index}"))
    }

    fn with_fragment(iri: &NamedNode, fragment: &str) -> NamedNode {
        // An IRI without a fragment plus '#' and an unreserved fragment is still a valid IRI.
        NamedNode::new_unchecked(format!("{}#{fragment}", iri.as_str()))
    }
}

/// `20231024T050000Z`, or with milliseconds when the time has them.
fn compact_timestamp(at: DateTime<Utc>) -> String {
    let millis = at.timestamp_subsec_millis();
    if !(0..=9999).contains(&at.year()) {
        return if millis == 0 {
            at.format("%Y%m%dT%H%M%SZ").to_string()
        } else {
            at.format("%Y%m%dT%H%M%S%.3fZ").to_string()
        };
    }
    // Written digit by digit: minted for every observation, time entity and run.
    let mut text = String::with_capacity(20);
    let year = at.year().unsigned_abs();
    push_digits(&mut text, year / 100, 2);
    push_digits(&mut text, year % 100, 2);
    push_digits(&mut text, at.month(), 2);
    push_digits(&mut text, at.day(), 2);
    text.push('T');
    push_digits(&mut text, at.hour(), 2);
    push_digits(&mut text, at.minute(), 2);
    // chrono keeps a leap second in the fraction (1000 to 1999 ms); it is written as second 60.
    let leap = u32::from(millis >= 1000);
    push_digits(&mut text, at.second() + leap, 2);
    if millis != 0 {
        text.push('.');
        push_digits(&mut text, millis % 1000, 3);
    }
    text.push('Z');
    text
}

/// Pushes the last `width` decimal digits of `n`, zero-padded.
fn push_digits(text: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = n / 10u32.pow(place) % 10;
        text.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    #[test]
    fn unsafe_source_ids_are_percent_encoded() {
        let minter = IriMinter::new("https://data.example.org/id/").unwrap();
        let sensor = SourceId::new(
            "ghent-garages",
            "https://stad.gent/parking/Vrijdagmarkt?x=1 y",
        );
        let iri = minter.sensor(&sensor);
        assert_eq!(
            iri.as_str(),
            "https://data.example.org/id/sensor/ghent-garages/https%3A%2F%2Fstad.gent%2Fparking%2FVrijdagmarkt%3Fx%3D1%20y"
        );
        NamedNode::new(iri.as_str()).unwrap();
    }

    #[test]
    fn base_must_end_with_slash() {
        assert!(IriMinter::new("https://data.example.org/id").is_err());
        assert!(IriMinter::new("not an iri/").is_err());
    }

    #[test]
    fn observation_iri_depends_only_on_source_keys() {
        let minter = IriMinter::new("https://data.example.org/id/").unwrap();
        let sensor = SourceId::new("telraam", "348917");
        let t = Utc.with_ymd_and_hms(2023, 10, 24, 5, 0, 0).unwrap();
        let a = minter.observation(&sensor, &sensor, "traffic-count-car", t, Some("PT1H"));
        let b = minter.observation(&sensor, &sensor, "traffic-count-car", t, Some("PT1H"));
        assert_eq!(a, b);
        assert_eq!(
            a.as_str(),
            "https://data.example.org/id/observation/telraam/348917/traffic-count-car/20231024T050000Z/PT1H"
        );
        assert_ne!(
            a,
            minter.observation(&sensor, &sensor, "traffic-count-car", t, Some("P1D"))
        );
    }

    #[test]
    fn compact_timestamps_match_their_strftime_form() {
        let reference = |at: DateTime<Utc>| {
            if at.timestamp_subsec_millis() == 0 {
                at.format("%Y%m%dT%H%M%SZ").to_string()
            } else {
                at.format("%Y%m%dT%H%M%S%.3fZ").to_string()
            }
        };
        let mut seconds: i64 = -62_000_000_000;
        while seconds < 253_402_300_799 {
            for millis in [0, 1, 40, 999] {
                let at = DateTime::from_timestamp(seconds, millis * 1_000_000).unwrap();
                assert_eq!(compact_timestamp(at), reference(at), "{at:?}");
            }
            seconds += 7_919_993;
        }
        let leap = Utc
            .with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
            .unwrap()
            .with_nanosecond(1_500_000_000)
            .unwrap();
        assert_eq!(compact_timestamp(leap), reference(leap));
        let far = DateTime::from_timestamp(300_000_000_000, 0).unwrap();
        assert_eq!(compact_timestamp(far), reference(far));
    }
}
