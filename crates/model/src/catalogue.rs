//! The comparability catalogue: observable properties, units, conversions and cities.

use std::collections::HashMap;

use belfort_vocab::{belfort, qudt, rdf, rdfs, skos};
use chrono::Duration;
use oxrdf::{Graph, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use oxttl::TurtleParser;

use crate::ModelError;

/// The Turtle files of `vocab/`, compiled in so that every binary carries the same catalogue.
const BUNDLED_FILES: &[(&str, &str)] = &[
    ("terms.ttl", include_str!("../../../vocab/terms.ttl")),
    (
        "codelists.ttl",
        include_str!("../../../vocab/codelists.ttl"),
    ),
    ("units.ttl", include_str!("../../../vocab/units.ttl")),
    (
        "properties.ttl",
        include_str!("../../../vocab/properties.ttl"),
    ),
    ("cities.ttl", include_str!("../../../vocab/cities.ttl")),
    ("belfort.ttl", include_str!("../../../vocab/belfort.ttl")),
];

/// One catalogued observable property.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDefinition {
    /// The one IRI of this phenomenon in every city.
    pub iri: NamedNode,
    /// Short stable key (`no2`, `traffic-count-car`), used in configs and minted IRIs.
    pub key: String,
    /// The family it belongs to (`air-quality`, `weather`, `noise`, `traffic`, `parking`).
    pub family: String,
    /// English label.
    pub label_en: String,
    /// Dutch label.
    pub label_nl: String,
    /// The unit every value of this property is published in.
    pub canonical_unit: NamedNode,
    /// Lowest physically plausible value in the canonical unit.
    pub min_plausible: f64,
    /// Highest physically plausible value in the canonical unit (per hour for counts).
    pub max_plausible: f64,
    /// Aggregation intervals the property may be published at; zero means an instant.
    pub aggregation_intervals: Vec<Duration>,
    /// Whether values are whole numbers (published as `xsd:integer`).
    pub integer_valued: bool,
    /// Extra types (e.g. `vkm:Verkeerskenmerk`) that observations of it also carry.
    pub observation_types: Vec<NamedNode>,
}

/// One unit known to the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDefinition {
    /// QUDT unit IRI.
    pub iri: NamedNode,
    /// Short key used in feed configs (`ug/m3`, `ppb`, `km/h`).
    pub key: String,
    /// UCUM code.
    pub ucum: String,
}

/// A linear conversion from one unit to another: `to = from × multiplier + offset`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitConversion {
    /// Source unit.
    pub from: NamedNode,
    /// Target unit.
    pub to: NamedNode,
    /// Multiplier.
    pub multiplier: f64,
    /// Offset, added after multiplying.
    pub offset: f64,
    /// Only for this property, when the factor depends on it (ppb → µg/m³).
    pub for_property: Option<NamedNode>,
    /// Multiply also by the interval length in hours (rates → counts).
    pub per_hour_of_interval: bool,
}

/// A city or region that publishes through Belfort.
#[derive(Debug, Clone, PartialEq)]
pub struct CityDefinition {
    /// Catalogue IRI of the city.
    pub iri: NamedNode,
    /// Stable key (`gent`), the first part of a feed id.
    pub key: String,
    /// Statbel NIS code.
    pub nis_code: String,
    /// Dutch name.
    pub name_nl: String,
    /// English name.
    pub name_en: String,
}

/// The comparability catalogue: the single source of property, unit and city decisions.
#[derive(Debug, Clone)]
pub struct Catalogue {
    properties: Vec<PropertyDefinition>,
    units: Vec<UnitDefinition>,
    conversions: Vec<UnitConversion>,
    cities: Vec<CityDefinition>,
    property_by_key: HashMap<String, usize>,
    property_by_iri: HashMap<String, usize>,
    graph: Graph,
}

impl Catalogue {
    /// The catalogue compiled from the repository's `vocab/` files.
    pub fn bundled() -> Result<Self, ModelError> {
        Self::from_turtle_files(BUNDLED_FILES.iter().copied())
    }

    /// Builds a catalogue from named Turtle documents.
    pub fn from_turtle_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ModelError> {
        let mut graph = Graph::new();
        for (name, text) in files {
            for triple in TurtleParser::new().for_slice(text.as_bytes()) {
                let triple = triple.map_err(|e| ModelError::CatalogueSyntax {
                    file: name.to_owned(),
                    message: e.to_string(),
                })?;
                graph.insert(&triple);
            }
        }
        let reader = GraphReader { graph: &graph };
        let units = reader.units()?;
        let conversions = reader.conversions()?;
        let properties = reader.properties()?;
        let cities = reader.cities()?;
        let property_by_key = properties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.clone(), i))
            .collect();
        let property_by_iri = properties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.iri.as_str().to_owned(), i))
            .collect();
        Ok(Self {
            properties,
            units,
            conversions,
            cities,
            property_by_key,
            property_by_iri,
            graph,
        })
    }

    /// Every catalogued property.
    pub fn properties(&self) -> &[PropertyDefinition] {
        &self.properties
    }

    /// Every known unit.
    pub fn units(&self) -> &[UnitDefinition] {
        &self.units
    }

    /// Every city and region.
    pub fn cities(&self) -> &[CityDefinition] {
        &self.cities
    }

    /// The whole catalogue as RDF, to publish it beside the data.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// A property by its key (`no2`).
    pub fn property_by_key(&self, key: &str) -> Option<&PropertyDefinition> {
        self.property_by_key.get(key).map(|&i| &self.properties[i])
    }

    /// A property by its IRI.
    pub fn property_by_iri(&self, iri: NamedNodeRef<'_>) -> Option<&PropertyDefinition> {
        self.property_by_iri
            .get(iri.as_str())
            .map(|&i| &self.properties[i])
    }

    /// A city by its key (`gent`).
    pub fn city_by_key(&self, key: &str) -> Option<&CityDefinition> {
        self.cities.iter().find(|c| c.key == key)
    }

    /// A unit by its key (`ppb`), its UCUM code or its QUDT IRI.
    pub fn unit(&self, unit: &str) -> Option<&UnitDefinition> {
        self.units
            .iter()
            .find(|u| u.key == unit || u.iri.as_str() == unit)
            .or_else(|| self.units.iter().find(|u| u.ucum == unit && u.ucum != "1"))
    }

    /// Converts a value given in `unit` (key, UCUM code or IRI) to the property's canonical
    /// unit. `interval` is the phenomenon interval, needed only for rate → count conversions.
    pub fn to_canonical(
        &self,
        property: &PropertyDefinition,
        value: f64,
        unit: &str,
        interval: Option<Duration>,
    ) -> Result<f64, ModelError> {
        if !value.is_finite() {
            return Err(ModelError::NotFinite { value });
        }
        let from = self.unit(unit).ok_or_else(|| ModelError::UnknownUnit {
            unit: unit.to_owned(),
        })?;
        if from.iri == property.canonical_unit {
            return Ok(value);
        }
        let conversion = self
            .conversions
            .iter()
            .filter(|c| c.from == from.iri && c.to == property.canonical_unit)
            .filter(|c| c.for_property.as_ref().is_none_or(|p| *p == property.iri))
            // A property-specific factor wins over a generic one.
            .max_by_key(|c| c.for_property.is_some())
            .ok_or_else(|| ModelError::NoConversion {
                from: from.iri.as_str().to_owned(),
                to: property.canonical_unit.as_str().to_owned(),
                property: property.key.clone(),
            })?;
        let mut converted = value * conversion.multiplier + conversion.offset;
        if conversion.per_hour_of_interval {
            let interval = interval.filter(|d| !d.is_zero()).ok_or_else(|| {
                ModelError::ConversionNeedsInterval {
                    from: from.iri.as_str().to_owned(),
                }
            })?;
            #[expect(
                clippy::cast_precision_loss,
                reason = "interval seconds are far below 2^52"
            )]
            let hours = interval.num_seconds() as f64 / 3600.0;
            converted *= hours;
        }
        Ok(converted)
    }
}

/// Reads catalogue entries out of the parsed graph.
struct GraphReader<'a> {
    graph: &'a Graph,
}

impl<'a> GraphReader<'a> {
    fn subjects_of_type(&self, class: NamedNodeRef<'_>) -> Vec<NamedNode> {
        let mut subjects: Vec<NamedNode> = self
            .graph
            .subjects_for_predicate_object(rdf::TYPE, class)
            .filter_map(|s| match s {
                NamedOrBlankNodeRef::NamedNode(n) => Some(n.into_owned()),
                NamedOrBlankNodeRef::BlankNode(_) => None,
            })
            .collect();
        subjects.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        subjects
    }

    fn objects(&self, subject: &NamedNode, predicate: NamedNodeRef<'_>) -> Vec<TermRef<'a>> {
        self.graph
            .objects_for_subject_predicate(subject, predicate)
            .collect()
    }

    fn entry_error(subject: &NamedNode, message: impl Into<String>) -> ModelError {
        ModelError::CatalogueEntry {
            subject: subject.as_str().to_owned(),
            message: message.into(),
        }
    }

    fn string(
        &self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
    ) -> Result<String, ModelError> {
        match self.graph.object_for_subject_predicate(subject, predicate) {
            Some(TermRef::Literal(l)) => Ok(l.value().to_owned()),
            _ => Err(Self::entry_error(
                subject,
                format!("needs one literal <{predicate}>"),
            )),
        }
    }

    fn label(
        &self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
        language: &str,
    ) -> Option<String> {
        self.objects(subject, predicate)
            .into_iter()
            .find_map(|o| match o {
                TermRef::Literal(l) if l.language() == Some(language) => Some(l.value().to_owned()),
                _ => None,
            })
    }

    fn number(&self, subject: &NamedNode, predicate: NamedNodeRef<'_>) -> Result<f64, ModelError> {
        self.string(subject, predicate)?
            .parse::<f64>()
            .map_err(|e| Self::entry_error(subject, format!("<{predicate}> is not a number: {e}")))
    }

    fn iri(
        &self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
    ) -> Result<NamedNode, ModelError> {
        match self.graph.object_for_subject_predicate(subject, predicate) {
            Some(TermRef::NamedNode(n)) => Ok(n.into_owned()),
            _ => Err(Self::entry_error(
                subject,
                format!("needs one IRI <{predicate}>"),
            )),
        }
    }

    fn boolean(&self, subject: &NamedNode, predicate: NamedNodeRef<'_>) -> bool {
        matches!(
            self.graph.object_for_subject_predicate(subject, predicate),
            Some(TermRef::Literal(l)) if l.value() == "true"
        )
    }

    fn units(&self) -> Result<Vec<UnitDefinition>, ModelError> {
        self.subjects_of_type(qudt::UNIT)
            .into_iter()
            .map(|iri| {
                Ok(UnitDefinition {
                    key: self.string(&iri, belfort::KEY)?,
                    ucum: self.string(&iri, qudt::UCUM_CODE)?,
                    iri,
                })
            })
            .collect()
    }

    fn conversions(&self) -> Result<Vec<UnitConversion>, ModelError> {
        self.subjects_of_type(belfort::UNIT_CONVERSION)
            .into_iter()
            .map(|iri| {
                Ok(UnitConversion {
                    from: self.iri(&iri, belfort::FROM_UNIT)?,
                    to: self.iri(&iri, belfort::TO_UNIT)?,
                    multiplier: self.number(&iri, belfort::MULTIPLIER)?,
                    offset: self.number(&iri, belfort::OFFSET)?,
                    for_property: self.iri(&iri, belfort::FOR_PROPERTY).ok(),
                    per_hour_of_interval: self.boolean(&iri, belfort::PER_HOUR_OF_INTERVAL),
                })
            })
            .collect()
    }

    fn properties(&self) -> Result<Vec<PropertyDefinition>, ModelError> {
        self.subjects_of_type(belfort::CATALOGUED_PROPERTY)
            .into_iter()
            .map(|iri| {
                let mut aggregation_intervals = Vec::new();
                for object in self.objects(&iri, belfort::AGGREGATION_INTERVAL) {
                    let TermRef::Literal(l) = object else {
                        return Err(Self::entry_error(
                            &iri,
                            "aggregation interval is not a literal",
                        ));
                    };
                    let duration = parse_day_time_duration(l.value()).ok_or_else(|| {
                        Self::entry_error(&iri, format!("unsupported duration {:?}", l.value()))
                    })?;
                    aggregation_intervals.push(duration);
                }
                aggregation_intervals.sort();
                let observation_types = self
                    .objects(&iri, rdf::TYPE)
                    .into_iter()
                    .filter_map(|t| match t {
                        TermRef::NamedNode(n)
                            if n != belfort::CATALOGUED_PROPERTY
                                && n != belfort_vocab::sosa::OBSERVABLE_PROPERTY =>
                        {
                            Some(n.into_owned())
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                let is_traffic = observation_types
                    .iter()
                    .any(|t| t.as_ref() == belfort_vocab::vkm::VERKEERSKENMERK);
                Ok(PropertyDefinition {
                    key: self.string(&iri, belfort::KEY)?,
                    family: self.string(&iri, belfort::FAMILY)?,
                    label_en: self.label(&iri, rdfs::LABEL, "en").unwrap_or_default(),
                    label_nl: self.label(&iri, rdfs::LABEL, "nl").unwrap_or_default(),
                    canonical_unit: self.iri(&iri, belfort::CANONICAL_UNIT)?,
                    min_plausible: self.number(&iri, belfort::MIN_PLAUSIBLE)?,
                    max_plausible: self.number(&iri, belfort::MAX_PLAUSIBLE)?,
                    aggregation_intervals,
                    integer_valued: self.boolean(&iri, belfort::INTEGER_VALUED),
                    // A measurement of a Verkeerskenmerk is a Verkeersmeting.
                    observation_types: if is_traffic {
                        vec![belfort_vocab::vkm::VERKEERSMETING.into_owned()]
                    } else {
                        Vec::new()
                    },
                    iri,
                })
            })
            .collect()
    }

    fn cities(&self) -> Result<Vec<CityDefinition>, ModelError> {
        self.subjects_of_type(belfort::CITY)
            .into_iter()
            .map(|iri| {
                Ok(CityDefinition {
                    key: self.string(&iri, belfort::KEY)?,
                    nis_code: self.string(&iri, belfort::NIS_CODE)?,
                    name_nl: self.label(&iri, skos::PREF_LABEL, "nl").unwrap_or_default(),
                    name_en: self.label(&iri, skos::PREF_LABEL, "en").unwrap_or_default(),
                    iri,
                })
            })
            .collect()
    }
}

/// Parses the day-time subset of `xsd:duration` (`PnDTnHnMnS`), which is all the catalogue uses.
pub fn parse_day_time_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = Duration::zero();
    if !days.is_empty() {
        total += Duration::days(days.strip_suffix('D')?.parse().ok()?);
    }
    if let Some(mut time) = time {
        if time.is_empty() {
            return None;
        }
        for (unit, seconds) in [('H', 3600), ('M', 60), ('S', 1)] {
            if let Some((number, tail)) = time.split_once(unit) {
                let n: i64 = number.parse().ok()?;
                total += Duration::seconds(n.checked_mul(seconds)?);
                time = tail;
            }
        }
        if !time.is_empty() {
            return None;
        }
    }
    Some(total)
}

/// Formats a duration as a day-time `xsd:duration` (`PT1H`, `P1D`, `PT5M`, `PT0S`).
pub fn format_duration(duration: Duration) -> String {
    let total = duration.num_seconds();
    if total == 0 {
        return "PT0S".to_owned();
    }
    let (days, rest) = (total / 86_400, total % 86_400);
    let mut text = String::from("P");
    if days != 0 {
        text.push_str(&format!("{days}D"));
    }
    if rest != 0 {
        text.push('T');
        let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
        for (n, unit) in [(h, 'H'), (m, 'M'), (s, 'S')] {
            if n != 0 {
                text.push_str(&format!("{n}{unit}"));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for text in ["PT0S", "PT5M", "PT1H", "P1D", "P28D", "PT1H30M", "P1DT2H"] {
            let d = parse_day_time_duration(text).unwrap();
            assert_eq!(format_duration(d), text);
        }
        assert_eq!(parse_day_time_duration("PT"), None);
        assert_eq!(parse_day_time_duration("P1Y"), None);
        assert_eq!(parse_day_time_duration("1H"), None);
    }
}
