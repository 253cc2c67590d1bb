#![doc = include_str!("../README.md")]

use oxrdf::NamedNodeRef;

/// Declares a vocabulary module: its namespace and one constant per term.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $module:ident, $namespace:literal, { $($(#[$term_meta:meta])* $name:ident = $local:literal,)* }) => {
        $(#[$meta])*
        pub mod $module {
            use oxrdf::NamedNodeRef;

            /// The namespace IRI of this vocabulary.
            pub const NAMESPACE: &str = $namespace;

            $(
                $(#[$term_meta])*
                pub const $name: NamedNodeRef<'static> =
                    NamedNodeRef::new_unchecked(concat!($namespace, $local));
            )*

            /// Every term of this module that Belfort uses.
            pub const TERMS: &[NamedNodeRef<'static>] = &[$($name),*];
        }
    };
}

vocabulary!(
    /// RDF concepts.
    rdf, "http://www.w3.org/1999/02/22-rdf-syntax-ns#", {
    /// `rdf:type`.
    TYPE = "type",
    /// `rdf:subject`.
    SUBJECT = "subject",
    /// `rdf:predicate`.
    PREDICATE = "predicate",
    /// `rdf:object`.
    OBJECT = "object",
});

vocabulary!(
    /// RDF Schema.
    rdfs, "http://www.w3.org/2000/01/rdf-schema#", {
    /// `rdfs:label`.
    LABEL = "label",
    /// `rdfs:comment`.
    COMMENT = "comment",
    /// `rdfs:seeAlso`.
    SEE_ALSO = "seeAlso",
});

vocabulary!(
    /// OWL (only what SHACL-SPARQL follows).
    owl, "http://www.w3.org/2002/07/owl#", {
    /// `owl:imports`.
    IMPORTS = "imports",
});

vocabulary!(
    /// XML Schema datatypes.
    xsd, "http://www.w3.org/2001/XMLSchema#", {
    /// `xsd:dateTime`.
    DATE_TIME = "dateTime",
    /// `xsd:dateTimeStamp`: a date-time with a mandatory time zone.
    DATE_TIME_STAMP = "dateTimeStamp",
    /// `xsd:decimal`.
    DECIMAL = "decimal",
    /// `xsd:double`.
    DOUBLE = "double",
    /// `xsd:integer`.
    INTEGER = "integer",
    /// `xsd:string`.
    STRING = "string",
    /// `xsd:duration`.
    DURATION = "duration",
    /// `xsd:boolean`.
    BOOLEAN = "boolean",
});

vocabulary!(
    /// W3C SOSA: Sensor, Observation, Sample, and Actuator.
    sosa, "http://www.w3.org/ns/sosa/", {
    /// `sosa:Observation`.
    OBSERVATION = "Observation",
    /// `sosa:Sensor`.
    SENSOR = "Sensor",
    /// `sosa:Platform`.
    PLATFORM = "Platform",
    /// `sosa:Procedure`.
    PROCEDURE = "Procedure",
    /// `sosa:Sample`.
    SAMPLE = "Sample",
    /// `sosa:FeatureOfInterest`.
    FEATURE_OF_INTEREST = "FeatureOfInterest",
    /// `sosa:ObservableProperty`.
    OBSERVABLE_PROPERTY = "ObservableProperty",
    /// `sosa:madeBySensor`.
    MADE_BY_SENSOR = "madeBySensor",
    /// `sosa:observedProperty`.
    OBSERVED_PROPERTY = "observedProperty",
    /// `sosa:hasFeatureOfInterest`.
    HAS_FEATURE_OF_INTEREST = "hasFeatureOfInterest",
    /// `sosa:phenomenonTime`.
    PHENOMENON_TIME = "phenomenonTime",
    /// `sosa:resultTime`.
    RESULT_TIME = "resultTime",
    /// `sosa:hasSimpleResult`.
    HAS_SIMPLE_RESULT = "hasSimpleResult",
    /// `sosa:hasResult`.
    HAS_RESULT = "hasResult",
    /// `sosa:usedProcedure`.
    USED_PROCEDURE = "usedProcedure",
    /// `sosa:observes`.
    OBSERVES = "observes",
    /// `sosa:isHostedBy`.
    IS_HOSTED_BY = "isHostedBy",
    /// `sosa:isSampleOf`.
    IS_SAMPLE_OF = "isSampleOf",
});

vocabulary!(
    /// W3C SSN.
    ssn, "http://www.w3.org/ns/ssn/", {
    /// `ssn:implements`.
    IMPLEMENTS = "implements",
});

vocabulary!(
    /// QUDT 2 schema.
    qudt, "http://qudt.org/schema/qudt/", {
    /// `qudt:QuantityValue`.
    QUANTITY_VALUE = "QuantityValue",
    /// `qudt:Unit`.
    UNIT = "Unit",
    /// `qudt:numericValue`.
    NUMERIC_VALUE = "numericValue",
    /// `qudt:hasUnit`.
    HAS_UNIT = "hasUnit",
    /// `qudt:hasQuantityKind`.
    HAS_QUANTITY_KIND = "hasQuantityKind",
    /// `qudt:ucumCode`.
    UCUM_CODE = "ucumCode",
    /// `qudt:symbol`.
    SYMBOL = "symbol",
});

vocabulary!(
    /// QUDT 2 units used by the catalogue.
    unit, "http://qudt.org/vocab/unit/", {
    /// Micrograms per cubic metre.
    MICROGM_PER_M3 = "MicroGM-PER-M3",
    /// Milligrams per cubic metre.
    MILLIGM_PER_M3 = "MilliGM-PER-M3",
    /// Parts per billion (volume mixing ratio).
    PPB = "PPB",
    /// Parts per million (volume mixing ratio).
    PPM = "PPM",
    /// A dimensionless count.
    NUM = "NUM",
    /// A count per hour.
    NUM_PER_HR = "NUM-PER-HR",
    /// Kilometres per hour.
    KILOM_PER_HR = "KiloM-PER-HR",
    /// Metres per second.
    M_PER_SEC = "M-PER-SEC",
    /// Degrees Celsius.
    DEG_C = "DEG_C",
    /// Kelvin.
    K = "K",
    /// Percent.
    PERCENT = "PERCENT",
    /// A dimensionless ratio (0..1).
    FRACTION = "FRACTION",
    /// Decibel.
    DECIB = "DeciB",
    /// Pascal.
    PA = "PA",
    /// Hectopascal.
    HECTOPA = "HectoPA",
});

vocabulary!(
    /// QUDT 2 quantity kinds used by the catalogue.
    quantitykind, "http://qudt.org/vocab/quantitykind/", {
    /// Mass concentration.
    MASS_CONCENTRATION = "MassConcentration",
    /// Temperature.
    TEMPERATURE = "Temperature",
    /// Relative humidity.
    RELATIVE_HUMIDITY = "RelativeHumidity",
    /// Sound pressure level.
    SOUND_PRESSURE_LEVEL = "SoundPressureLevel",
    /// Speed.
    SPEED = "Speed",
    /// A count.
    COUNT = "Count",
    /// A dimensionless ratio.
    DIMENSIONLESS_RATIO = "DimensionlessRatio",
    /// Pressure.
    PRESSURE = "Pressure",
});

vocabulary!(
    /// OWL-Time.
    time, "http://www.w3.org/2006/time#", {
    /// `time:Instant`.
    INSTANT = "Instant",
    /// `time:Interval`.
    INTERVAL = "Interval",
    /// `time:hasBeginning`.
    HAS_BEGINNING = "hasBeginning",
    /// `time:hasEnd`.
    HAS_END = "hasEnd",
    /// `time:inXSDDateTimeStamp`.
    IN_XSD_DATE_TIME_STAMP = "inXSDDateTimeStamp",
});

vocabulary!(
    /// GeoSPARQL.
    geo, "http://www.opengis.net/ont/geosparql#", {
    /// `geo:Geometry`.
    GEOMETRY = "Geometry",
    /// `geo:hasGeometry`.
    HAS_GEOMETRY = "hasGeometry",
    /// `geo:asWKT`.
    AS_WKT = "asWKT",
    /// `geo:wktLiteral`.
    WKT_LITERAL = "wktLiteral",
});

vocabulary!(
    /// W3C PROV-O.
    prov, "http://www.w3.org/ns/prov#", {
    /// `prov:Activity`.
    ACTIVITY = "Activity",
    /// `prov:Entity`.
    ENTITY = "Entity",
    /// `prov:wasDerivedFrom`.
    WAS_DERIVED_FROM = "wasDerivedFrom",
    /// `prov:wasGeneratedBy`.
    WAS_GENERATED_BY = "wasGeneratedBy",
    /// `prov:used`.
    USED = "used",
    /// `prov:startedAtTime`.
    STARTED_AT_TIME = "startedAtTime",
    /// `prov:endedAtTime`.
    ENDED_AT_TIME = "endedAtTime",
    /// `prov:generatedAtTime`.
    GENERATED_AT_TIME = "generatedAtTime",
});

vocabulary!(
    /// DCMI Metadata Terms.
    dct, "http://purl.org/dc/terms/", {
    /// `dct:identifier`.
    IDENTIFIER = "identifier",
    /// `dct:title`.
    TITLE = "title",
    /// `dct:type`.
    TYPE = "type",
    /// `dct:spatial`.
    SPATIAL = "spatial",
    /// `dct:source`.
    SOURCE = "source",
    /// `dct:format`.
    FORMAT = "format",
    /// `dct:extent`: the byte size of an archived payload.
    EXTENT = "extent",
    /// `dct:isPartOf`.
    IS_PART_OF = "isPartOf",
    /// `dct:license`.
    LICENSE = "license",
    /// `dct:modified`.
    MODIFIED = "modified",
    /// `dct:issued`: when Belfort published an observation (the event streams' timestamp).
    ISSUED = "issued",
    /// `dct:description`.
    DESCRIPTION = "description",
});

vocabulary!(
    /// Dublin Core elements.
    dc, "http://purl.org/dc/elements/1.1/", {
    /// `dc:type` (OSLO maps `Verkeerskenmerk.type` onto it).
    TYPE = "type",
});

vocabulary!(
    /// SKOS.
    skos, "http://www.w3.org/2004/02/skos/core#", {
    /// `skos:prefLabel`.
    PREF_LABEL = "prefLabel",
    /// `skos:notation`.
    NOTATION = "notation",
    /// `skos:exactMatch`.
    EXACT_MATCH = "exactMatch",
    /// `skos:Concept`.
    CONCEPT = "Concept",
});

vocabulary!(
    /// OSLO Verkeersmetingen (traffic measurements).
    vkm, "https://data.vlaanderen.be/ns/verkeersmetingen#", {
    /// `vkm:Verkeersmeting`: a traffic measurement.
    VERKEERSMETING = "Verkeersmeting",
    /// `vkm:Verkeerskenmerk`: a traffic characteristic (the observed property).
    VERKEERSKENMERK = "Verkeerskenmerk",
    /// `vkm:Verkeersmeetpunt`: a traffic measurement point.
    VERKEERSMEETPUNT = "Verkeersmeetpunt",
    /// `vkm:voertuigType`: the vehicle type of a characteristic.
    VOERTUIG_TYPE = "voertuigType",
});

vocabulary!(
    /// OSLO code list of vehicle types.
    vkm_vehicle_type, "https://data.vlaanderen.be/id/concept/VkmVoertuigType/", {
    /// Car.
    CAR = "auto",
    /// Bicycle.
    BICYCLE = "fiets",
    /// Pedestrian.
    PEDESTRIAN = "voetganger",
    /// Heavy vehicle (truck, bus).
    HEAVY = "vrachtwagen",
});

vocabulary!(
    /// OSLO code list of traffic characteristic types.
    vkm_characteristic_type, "https://data.vlaanderen.be/id/concept/VkmVerkeersKenmerkType/", {
    /// A count (`aantal`).
    COUNT = "aantal",
    /// The 85th percentile speed (`V85`).
    V85 = "V85",
});

vocabulary!(
    /// OSLO code list of measurement instrument types.
    vkm_instrument_type, "https://data.vlaanderen.be/id/concept/VkmMeetInstrumentType/", {
    /// A Telraam citizen-science counter.
    TELRAAM = "telraam",
    /// An inductive loop.
    LOOP = "lus",
});

vocabulary!(
    /// EEA (Eionet) air-quality pollutant code list.
    eea_pollutant, "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/", {
    /// Nitrogen dioxide.
    NO2 = "8",
    /// Particulate matter < 10 µm.
    PM10 = "5",
    /// Particulate matter < 2.5 µm.
    PM2_5 = "6001",
    /// Ozone.
    O3 = "7",
    /// Particulate matter < 1 µm.
    PM1 = "6002",
});

vocabulary!(
    /// W3C Data Quality Vocabulary.
    dqv, "http://www.w3.org/ns/dqv#", {
    /// `dqv:QualityAnnotation`.
    QUALITY_ANNOTATION = "QualityAnnotation",
    /// `dqv:hasQualityAnnotation`.
    HAS_QUALITY_ANNOTATION = "hasQualityAnnotation",
    /// `dqv:qualityAssessment`: the motivation of a quality annotation.
    QUALITY_ASSESSMENT = "qualityAssessment",
});

vocabulary!(
    /// W3C Web Annotation vocabulary (DQV quality annotations are annotations).
    oa, "http://www.w3.org/ns/oa#", {
    /// `oa:hasTarget`.
    HAS_TARGET = "hasTarget",
    /// `oa:hasBody`.
    HAS_BODY = "hasBody",
    /// `oa:motivatedBy`.
    MOTIVATED_BY = "motivatedBy",
});

vocabulary!(
    /// Belfort's own terms: the catalogue, quarantine and source-specific qualifiers.
    belfort, "https://w3id.org/belfort/ns#", {
    /// A catalogued observable property.
    CATALOGUED_PROPERTY = "CataloguedProperty",
    /// The one canonical unit a property is published in.
    CANONICAL_UNIT = "canonicalUnit",
    /// Lowest physically plausible value, in the canonical unit.
    MIN_PLAUSIBLE = "minPlausible",
    /// Highest physically plausible value, in the canonical unit.
    MAX_PLAUSIBLE = "maxPlausible",
    /// An aggregation interval the property may be published at (`xsd:duration`).
    AGGREGATION_INTERVAL = "aggregationInterval",
    /// Whether values are whole numbers in the canonical unit.
    INTEGER_VALUED = "integerValued",
    /// A short stable key of a catalogue entry, used in minted IRIs and configs.
    KEY = "key",
    /// A conversion from a source unit to a canonical unit.
    UNIT_CONVERSION = "UnitConversion",
    /// The unit a conversion starts from.
    FROM_UNIT = "fromUnit",
    /// The unit a conversion ends in.
    TO_UNIT = "toUnit",
    /// Multiplier of a conversion: `to = from × multiplier + offset`.
    MULTIPLIER = "multiplier",
    /// Offset of a conversion: `to = from × multiplier + offset`.
    OFFSET = "offset",
    /// Restricts a conversion to one property (ppb → µg/m³ depends on the gas).
    FOR_PROPERTY = "forProperty",
    /// Marks a conversion whose factor is multiplied by the interval length in hours.
    PER_HOUR_OF_INTERVAL = "perHourOfInterval",
    /// A city or region that publishes through Belfort.
    CITY = "City",
    /// Statbel NIS (REFNIS) code of a municipality or region.
    NIS_CODE = "nisCode",
    /// A feed of a city.
    FEED = "Feed",
    /// An archived raw payload.
    PAYLOAD = "Payload",
    /// SHA-256 of an archived payload, hex.
    SHA256 = "sha256",
    /// A harvest or ingest run.
    HARVEST_RUN = "HarvestRun",
    /// The feed an entity belongs to.
    FEED_PROPERTY = "feed",
    /// A record that could not be mapped.
    QUARANTINED_RECORD = "QuarantinedRecord",
    /// Why a record was quarantined.
    REASON = "reason",
    /// Where in the payload a quarantined record sits (JSON pointer, line).
    LOCATION = "location",
    /// The raw bytes of a quarantined record, as text.
    RAW_RECORD = "rawRecord",
    /// The field of a record that made it unusable.
    FIELD = "field",
    /// Share of the interval a camera-based counter actually counted (Telraam `uptime`, 0..1).
    UPTIME = "uptime",
    /// The city a sensor or feed belongs to.
    CITY_PROPERTY = "city",
    /// The family a catalogued property belongs to (`air-quality`, `traffic`, …): one event
    /// stream per city and family.
    FAMILY = "family",
    /// Links an event stream's root node to one of its day nodes (the member index).
    LDES_DAY = "ldesDay",
    /// Links a day node of an event stream to one of its pages (the member index).
    LDES_PAGE = "ldesPage",
    /// The publication time of a page's first member (the member index).
    FIRST_ISSUED = "firstIssued",
    /// Links a staging graph of a remote store to the graph its quads are published into.
    STAGED_FOR = "stagedFor",
    /// A batch published into a remote store (its commit marker).
    COMMITTED_BATCH = "CommittedBatch",
    /// A graph of a remote store that readers see.
    PUBLISHED_GRAPH = "PublishedGraph",
    /// The data version of a remote store, changed by every publication.
    STORE_VERSION = "storeVersion",
    /// When a batch was staged in a remote store.
    STAGED_AT = "stagedAt",
    /// Until when a writer's claim on a remote store stands unless renewed (milliseconds since
    /// the Unix epoch).
    WRITER_LEASE_UNTIL = "writerLeaseUntil",
    /// Who claimed a remote store for writing: host name and process id.
    WRITER_HELD_BY = "writerHeldBy",
    /// The datatype under which a remote engine that rewrites `geo:wktLiteral` values keeps
    /// them verbatim.
    VERBATIM_WKT_LITERAL = "verbatimWktLiteral",
});

vocabulary!(
    /// Hydra Core, for Triple Pattern Fragment controls.
    hydra, "http://www.w3.org/ns/hydra/core#", {
    /// `hydra:Collection`.
    COLLECTION = "Collection",
    /// `hydra:PartialCollectionView`.
    PARTIAL_COLLECTION_VIEW = "PartialCollectionView",
    /// `hydra:IriTemplate`.
    IRI_TEMPLATE = "IriTemplate",
    /// `hydra:IriTemplateMapping`.
    IRI_TEMPLATE_MAPPING = "IriTemplateMapping",
    /// `hydra:search`.
    SEARCH = "search",
    /// `hydra:template`.
    TEMPLATE = "template",
    /// `hydra:variableRepresentation`.
    VARIABLE_REPRESENTATION = "variableRepresentation",
    /// `hydra:ExplicitRepresentation`.
    EXPLICIT_REPRESENTATION = "ExplicitRepresentation",
    /// `hydra:mapping`.
    MAPPING = "mapping",
    /// `hydra:variable`.
    VARIABLE = "variable",
    /// `hydra:property`.
    PROPERTY = "property",
    /// `hydra:totalItems`.
    TOTAL_ITEMS = "totalItems",
    /// `hydra:itemsPerPage`.
    ITEMS_PER_PAGE = "itemsPerPage",
    /// `hydra:view`.
    VIEW = "view",
    /// `hydra:first`.
    FIRST = "first",
    /// `hydra:previous`.
    PREVIOUS = "previous",
    /// `hydra:next`.
    NEXT = "next",
});

vocabulary!(
    /// VoID, the Vocabulary of Interlinked Datasets.
    void, "http://rdfs.org/ns/void#", {
    /// `void:Dataset`.
    DATASET = "Dataset",
    /// `void:subset`.
    SUBSET = "subset",
    /// `void:triples`.
    TRIPLES = "triples",
    /// `void:sparqlEndpoint`.
    SPARQL_ENDPOINT = "sparqlEndpoint",
});

vocabulary!(
    /// SPARQL 1.1 Service Description.
    sd, "http://www.w3.org/ns/sparql-service-description#", {
    /// `sd:graph`: the graph selector of a Quad Pattern Fragment.
    GRAPH = "graph",
});

vocabulary!(
    /// FOAF.
    foaf, "http://xmlns.com/foaf/0.1/", {
    /// `foaf:primaryTopic`: links a metadata graph to the fragment it describes.
    PRIMARY_TOPIC = "primaryTopic",
});

vocabulary!(
    /// W3C DCAT 3.
    dcat, "http://www.w3.org/ns/dcat#", {
    /// `dcat:Catalog`.
    CATALOG = "Catalog",
    /// `dcat:Dataset`.
    DATASET = "Dataset",
    /// `dcat:Distribution`.
    DISTRIBUTION = "Distribution",
    /// `dcat:DataService`.
    DATA_SERVICE = "DataService",
    /// `dcat:dataset`.
    DATASET_PROPERTY = "dataset",
    /// `dcat:catalog`: a catalogue listed in a catalogue.
    CATALOG_PROPERTY = "catalog",
    /// `dcat:distribution`.
    DISTRIBUTION_PROPERTY = "distribution",
    /// `dcat:service`.
    SERVICE = "service",
    /// `dcat:accessURL`.
    ACCESS_URL = "accessURL",
    /// `dcat:downloadURL`.
    DOWNLOAD_URL = "downloadURL",
    /// `dcat:accessService`.
    ACCESS_SERVICE = "accessService",
    /// `dcat:endpointURL`.
    ENDPOINT_URL = "endpointURL",
    /// `dcat:mediaType`.
    MEDIA_TYPE = "mediaType",
    /// `dcat:keyword`.
    KEYWORD = "keyword",
    /// `dcat:theme`.
    THEME = "theme",
});

vocabulary!(
    /// Belfort data-quality rules: SHACL-style constraint components with parameters, and
    /// the checks adapters make on source records.
    quality, "https://w3id.org/belfort/quality#", {
    /// A data-quality rule that Belfort evaluates on harvested observations or source records.
    QUALITY_RULE = "QualityRule",
    /// The severity of a quality annotation (sh:Violation, sh:Warning, sh:Info).
    SEVERITY = "severity",
    /// The quality rule (a constraint component or adapter check) behind a finding.
    RULE = "rule",
    /// A human-readable explanation of a finding.
    MESSAGE = "message",
    /// The SHACL validation report a harvest run produced.
    VALIDATION_REPORT = "validationReport",
    /// Value outside the catalogued plausible range of its property (counts per hour).
    PHYSICAL_RANGE_CONSTRAINT_COMPONENT = "PhysicalRangeConstraintComponent",
    /// Parameter (true): check values against the catalogue's plausible ranges.
    CATALOGUE_RANGE = "catalogueRange",
    /// The counter was active for too small a share of the interval (Telraam uptime), so extrapolated counts are unreliable.
    MIN_COVERAGE_CONSTRAINT_COMPONENT = "MinCoverageConstraintComponent",
    /// Parameter: the lowest acceptable uptime (0..1).
    MIN_UPTIME = "minUptime",
    /// The same non-zero value repeated in consecutive readings of one series: a stuck sensor.
    STUCK_VALUE_CONSTRAINT_COMPONENT = "StuckValueConstraintComponent",
    /// Parameter: how many identical consecutive readings make a sensor stuck.
    MIN_REPEATS = "minRepeats",
    /// A reading far above both neighbours in its series: an impossible rate of change.
    SPIKE_CONSTRAINT_COMPONENT = "SpikeConstraintComponent",
    /// Parameter: how many times the larger neighbour a spike must exceed.
    SPIKE_FACTOR = "spikeFactor",
    /// Parameter: the smallest value (canonical unit) that can count as a spike.
    SPIKE_MINIMUM = "spikeMinimum",
    /// The same reading (sensor, feature, property, time) delivered twice in one batch, identical or conflicting.
    DUPLICATE_READING_CONSTRAINT_COMPONENT = "DuplicateReadingConstraintComponent",
    /// Parameter (true): flag repeated readings.
    NO_DUPLICATES = "noDuplicates",
    /// A reading delivered after later readings of its series.
    OUT_OF_ORDER_CONSTRAINT_COMPONENT = "OutOfOrderConstraintComponent",
    /// Parameter (true): flag readings that arrive out of chronological order.
    IN_ORDER = "inOrder",
    /// A timestamp in the future or before the earliest plausible date, or a result known before its phenomenon ended.
    TIME_WINDOW_CONSTRAINT_COMPONENT = "TimeWindowConstraintComponent",
    /// Parameter: how far past the ingest time a reading may lie (xsd:duration).
    MAX_FUTURE = "maxFuture",
    /// Parameter: the earliest plausible reading time (xsd:dateTime).
    NOT_BEFORE = "notBefore",
    /// A total that differs from the sum of its per-direction counts.
    DIRECTION_SUM_CONSTRAINT_COMPONENT = "DirectionSumConstraintComponent",
    /// Parameter: the largest acceptable difference between a total and the sum of its parts.
    SUM_TOLERANCE = "sumTolerance",
    /// A part exceeding its whole at the same feature and time (PM2.5 > PM10, vacant > capacity).
    SUBSET_CONSTRAINT_COMPONENT = "SubsetConstraintComponent",
    /// Parameter: the property that is part of the whole.
    PART = "part",
    /// Parameter: the property that contains the part.
    WHOLE = "whole",
    /// A value at or above a level that marks a sensor fault or saturation rather than a measurement.
    SUSPECT_VALUE_CONSTRAINT_COMPONENT = "SuspectValueConstraintComponent",
    /// Parameter: the property a rule applies to.
    PROPERTY = "property",
    /// Parameter: values at or above this level are suspect.
    SUSPECT_AT_LEAST = "suspectAtLeast",
    /// Optical particulate readings taken while the relative humidity at the same place was high are humidity-inflated.
    HUMIDITY_INTERFERENCE_CONSTRAINT_COMPONENT = "HumidityInterferenceConstraintComponent",
    /// Parameter: the relative humidity (percent) above which particulate readings are flagged.
    MAX_HUMIDITY = "maxHumidity",
    /// Parameter: a property the interference affects.
    AFFECTS = "affects",
    /// A sensor whose reported location moved between readings.
    LOCATION_JUMP_CONSTRAINT_COMPONENT = "LocationJumpConstraintComponent",
    /// Parameter: the largest move (metres) that is not a relocation.
    MAX_JUMP_METRES = "maxJumpMetres",
    /// A reading aggregated over another interval than the rest of its series in the same batch.
    INTERVAL_CONSISTENCY_CONSTRAINT_COMPONENT = "IntervalConsistencyConstraintComponent",
    /// Parameter (true): flag readings whose aggregation interval differs from the rest of their series.
    CONSISTENT_INTERVAL = "consistentInterval",
    /// A value outside its plausible range that would lie inside it in another unit (Pa for hPa, K for °C, a ratio for a percentage): a unit mix-up.
    UNIT_MISMATCH_CONSTRAINT_COMPONENT = "UnitMismatchConstraintComponent",
    /// Parameter: a factor between a wrong unit and the canonical one (the value divided by it is tried).
    UNIT_FACTOR = "unitFactor",
    /// Parameter: an offset between a wrong unit and the canonical one (the value minus it is tried).
    UNIT_OFFSET = "unitOffset",
    /// A reading whose time lags the newest reading of its property in the same batch: a stale value republished as current.
    STALE_READING_CONSTRAINT_COMPONENT = "StaleReadingConstraintComponent",
    /// Parameter: how far a reading may lag the newest of its property in the batch (xsd:dayTimeDuration).
    MAX_LAG = "maxLag",
    /// An occupancy percentage that disagrees with the vacant spaces and capacity reported at the same moment.
    OCCUPANCY_CONSISTENCY_CONSTRAINT_COMPONENT = "OccupancyConsistencyConstraintComponent",
    /// Parameter: the largest acceptable difference, in percentage points, between the reported and the computed occupancy.
    OCCUPANCY_TOLERANCE = "occupancyTolerance",
    /// A paged response that holds fewer records than its total count: the other pages are missing.
    INCOMPLETE_PAGE_CHECK = "IncompletePageCheck",
    /// A time without offset, read as local time of the source's zone.
    LOCAL_TIME_CHECK = "LocalTimeCheck",
    /// Coordinates outside the source's region (for instance longitude and latitude exchanged): not published.
    COORDINATE_CHECK = "CoordinateCheck",
    /// A closed facility that still reports live occupancy.
    CLOSED_FACILITY_CHECK = "ClosedFacilityCheck",
    /// A site status that contradicts the vacant spaces reported with it (full while spaces are free).
    SITE_STATUS_CHECK = "SiteStatusCheck",
    /// A source that stopped sending: its last data package is far older than the rest of its snapshot.
    INACTIVE_SOURCE_CHECK = "InactiveSourceCheck",
    /// A counter at uptime 0 that shows zero counts as its live state: not counting, not zero traffic.
    NOT_COUNTING_CHECK = "NotCountingCheck",
    /// A reading that follows a gap in a regular series (readings missing, not reported as missing).
    GAP_CONSTRAINT_COMPONENT = "GapConstraintComponent",
    /// Parameter: how many times the series' cadence a step must exceed to be a gap.
    GAP_FACTOR = "gapFactor",
    /// Parameter: the shortest step that can be a gap (xsd:dayTimeDuration).
    MIN_GAP = "minGap",
    /// A Telraam speed histogram whose shares do not sum to 100 %.
    SPEED_HISTOGRAM_CHECK = "SpeedHistogramCheck",
    /// A V85 speed outside the 85th-percentile bin of the record's own speed histogram.
    V85_HISTOGRAM_CHECK = "V85HistogramCheck",
    /// A counter that did not count during any daylight hour of a day: its zero counts are not zero traffic.
    OFFLINE_DAY_CHECK = "OfflineDayCheck",
    /// A sensor placed indoors: not comparable with outdoor ambient readings.
    INDOOR_SENSOR_CHECK = "IndoorSensorCheck",
    /// A record or field that could not be mapped and was quarantined.
    UNUSABLE_RECORD_CHECK = "UnusableRecordCheck",
});

vocabulary!(
    /// SHACL, the Shapes Constraint Language (Core).
    sh, "http://www.w3.org/ns/shacl#", {
    /// `sh:NodeShape`.
    NODE_SHAPE = "NodeShape",
    /// `sh:PropertyShape`.
    PROPERTY_SHAPE = "PropertyShape",
    /// `sh:Shape`.
    SHAPE = "Shape",
    /// `sh:ValidationReport`.
    VALIDATION_REPORT = "ValidationReport",
    /// `sh:ValidationResult`.
    VALIDATION_RESULT = "ValidationResult",
    /// `sh:Violation`.
    VIOLATION = "Violation",
    /// `sh:Warning`.
    WARNING = "Warning",
    /// `sh:Info`.
    INFO = "Info",
    /// `sh:BlankNode`.
    BLANK_NODE = "BlankNode",
    /// `sh:IRI`.
    IRI = "IRI",
    /// `sh:Literal`.
    LITERAL = "Literal",
    /// `sh:BlankNodeOrIRI`.
    BLANK_NODE_OR_IRI = "BlankNodeOrIRI",
    /// `sh:BlankNodeOrLiteral`.
    BLANK_NODE_OR_LITERAL = "BlankNodeOrLiteral",
    /// `sh:IRIOrLiteral`.
    IRI_OR_LITERAL = "IRIOrLiteral",
    /// `sh:targetNode`.
    TARGET_NODE = "targetNode",
    /// `sh:targetClass`.
    TARGET_CLASS = "targetClass",
    /// `sh:targetSubjectsOf`.
    TARGET_SUBJECTS_OF = "targetSubjectsOf",
    /// `sh:targetObjectsOf`.
    TARGET_OBJECTS_OF = "targetObjectsOf",
    /// `sh:path`.
    PATH = "path",
    /// `sh:inversePath`.
    INVERSE_PATH = "inversePath",
    /// `sh:alternativePath`.
    ALTERNATIVE_PATH = "alternativePath",
    /// `sh:zeroOrMorePath`.
    ZERO_OR_MORE_PATH = "zeroOrMorePath",
    /// `sh:oneOrMorePath`.
    ONE_OR_MORE_PATH = "oneOrMorePath",
    /// `sh:zeroOrOnePath`.
    ZERO_OR_ONE_PATH = "zeroOrOnePath",
    /// `sh:property`.
    PROPERTY = "property",
    /// `sh:node`.
    NODE = "node",
    /// `sh:not`.
    NOT = "not",
    /// `sh:and`.
    AND = "and",
    /// `sh:or`.
    OR = "or",
    /// `sh:xone`.
    XONE = "xone",
    /// `sh:class`.
    CLASS = "class",
    /// `sh:datatype`.
    DATATYPE = "datatype",
    /// `sh:nodeKind`.
    NODE_KIND = "nodeKind",
    /// `sh:minCount`.
    MIN_COUNT = "minCount",
    /// `sh:maxCount`.
    MAX_COUNT = "maxCount",
    /// `sh:minExclusive`.
    MIN_EXCLUSIVE = "minExclusive",
    /// `sh:minInclusive`.
    MIN_INCLUSIVE = "minInclusive",
    /// `sh:maxExclusive`.
    MAX_EXCLUSIVE = "maxExclusive",
    /// `sh:maxInclusive`.
    MAX_INCLUSIVE = "maxInclusive",
    /// `sh:minLength`.
    MIN_LENGTH = "minLength",
    /// `sh:maxLength`.
    MAX_LENGTH = "maxLength",
    /// `sh:pattern`.
    PATTERN = "pattern",
    /// `sh:flags`.
    FLAGS = "flags",
    /// `sh:languageIn`.
    LANGUAGE_IN = "languageIn",
    /// `sh:uniqueLang`.
    UNIQUE_LANG = "uniqueLang",
    /// `sh:equals`.
    EQUALS = "equals",
    /// `sh:disjoint`.
    DISJOINT = "disjoint",
    /// `sh:lessThan`.
    LESS_THAN = "lessThan",
    /// `sh:lessThanOrEquals`.
    LESS_THAN_OR_EQUALS = "lessThanOrEquals",
    /// `sh:qualifiedValueShape`.
    QUALIFIED_VALUE_SHAPE = "qualifiedValueShape",
    /// `sh:qualifiedMinCount`.
    QUALIFIED_MIN_COUNT = "qualifiedMinCount",
    /// `sh:qualifiedMaxCount`.
    QUALIFIED_MAX_COUNT = "qualifiedMaxCount",
    /// `sh:qualifiedValueShapesDisjoint`.
    QUALIFIED_VALUE_SHAPES_DISJOINT = "qualifiedValueShapesDisjoint",
    /// `sh:closed`.
    CLOSED = "closed",
    /// `sh:ignoredProperties`.
    IGNORED_PROPERTIES = "ignoredProperties",
    /// `sh:hasValue`.
    HAS_VALUE = "hasValue",
    /// `sh:in`.
    IN = "in",
    /// `sh:severity`.
    SEVERITY = "severity",
    /// `sh:message`.
    MESSAGE = "message",
    /// `sh:deactivated`.
    DEACTIVATED = "deactivated",
    /// `sh:conforms`.
    CONFORMS = "conforms",
    /// `sh:result`.
    RESULT = "result",
    /// `sh:focusNode`.
    FOCUS_NODE = "focusNode",
    /// `sh:resultPath`.
    RESULT_PATH = "resultPath",
    /// `sh:value`.
    VALUE = "value",
    /// `sh:sourceShape`.
    SOURCE_SHAPE = "sourceShape",
    /// `sh:sourceConstraintComponent`.
    SOURCE_CONSTRAINT_COMPONENT = "sourceConstraintComponent",
    /// `sh:resultSeverity`.
    RESULT_SEVERITY = "resultSeverity",
    /// `sh:resultMessage`.
    RESULT_MESSAGE = "resultMessage",
    /// `sh:sourceConstraint`.
    SOURCE_CONSTRAINT = "sourceConstraint",
    /// `sh:detail`.
    DETAIL = "detail",
    /// `sh:shapesGraph`.
    SHAPES_GRAPH = "shapesGraph",
    /// `sh:name`.
    NAME = "name",
    /// `sh:description`.
    DESCRIPTION = "description",
    /// `sh:ClassConstraintComponent`.
    CLASS_CONSTRAINT_COMPONENT = "ClassConstraintComponent",
    /// `sh:DatatypeConstraintComponent`.
    DATATYPE_CONSTRAINT_COMPONENT = "DatatypeConstraintComponent",
    /// `sh:NodeKindConstraintComponent`.
    NODE_KIND_CONSTRAINT_COMPONENT = "NodeKindConstraintComponent",
    /// `sh:MinCountConstraintComponent`.
    MIN_COUNT_CONSTRAINT_COMPONENT = "MinCountConstraintComponent",
    /// `sh:MaxCountConstraintComponent`.
    MAX_COUNT_CONSTRAINT_COMPONENT = "MaxCountConstraintComponent",
    /// `sh:MinExclusiveConstraintComponent`.
    MIN_EXCLUSIVE_CONSTRAINT_COMPONENT = "MinExclusiveConstraintComponent",
    /// `sh:MinInclusiveConstraintComponent`.
    MIN_INCLUSIVE_CONSTRAINT_COMPONENT = "MinInclusiveConstraintComponent",
    /// `sh:MaxExclusiveConstraintComponent`.
    MAX_EXCLUSIVE_CONSTRAINT_COMPONENT = "MaxExclusiveConstraintComponent",
    /// `sh:MaxInclusiveConstraintComponent`.
    MAX_INCLUSIVE_CONSTRAINT_COMPONENT = "MaxInclusiveConstraintComponent",
    /// `sh:MinLengthConstraintComponent`.
    MIN_LENGTH_CONSTRAINT_COMPONENT = "MinLengthConstraintComponent",
    /// `sh:MaxLengthConstraintComponent`.
    MAX_LENGTH_CONSTRAINT_COMPONENT = "MaxLengthConstraintComponent",
    /// `sh:PatternConstraintComponent`.
    PATTERN_CONSTRAINT_COMPONENT = "PatternConstraintComponent",
    /// `sh:LanguageInConstraintComponent`.
    LANGUAGE_IN_CONSTRAINT_COMPONENT = "LanguageInConstraintComponent",
    /// `sh:UniqueLangConstraintComponent`.
    UNIQUE_LANG_CONSTRAINT_COMPONENT = "UniqueLangConstraintComponent",
    /// `sh:EqualsConstraintComponent`.
    EQUALS_CONSTRAINT_COMPONENT = "EqualsConstraintComponent",
    /// `sh:DisjointConstraintComponent`.
    DISJOINT_CONSTRAINT_COMPONENT = "DisjointConstraintComponent",
    /// `sh:LessThanConstraintComponent`.
    LESS_THAN_CONSTRAINT_COMPONENT = "LessThanConstraintComponent",
    /// `sh:LessThanOrEqualsConstraintComponent`.
    LESS_THAN_OR_EQUALS_CONSTRAINT_COMPONENT = "LessThanOrEqualsConstraintComponent",
    /// `sh:NotConstraintComponent`.
    NOT_CONSTRAINT_COMPONENT = "NotConstraintComponent",
    /// `sh:AndConstraintComponent`.
    AND_CONSTRAINT_COMPONENT = "AndConstraintComponent",
    /// `sh:OrConstraintComponent`.
    OR_CONSTRAINT_COMPONENT = "OrConstraintComponent",
    /// `sh:XoneConstraintComponent`.
    XONE_CONSTRAINT_COMPONENT = "XoneConstraintComponent",
    /// `sh:NodeConstraintComponent`.
    NODE_CONSTRAINT_COMPONENT = "NodeConstraintComponent",
    /// `sh:PropertyConstraintComponent`.
    PROPERTY_CONSTRAINT_COMPONENT = "PropertyConstraintComponent",
    /// `sh:QualifiedMinCountConstraintComponent`.
    QUALIFIED_MIN_COUNT_CONSTRAINT_COMPONENT = "QualifiedMinCountConstraintComponent",
    /// `sh:QualifiedMaxCountConstraintComponent`.
    QUALIFIED_MAX_COUNT_CONSTRAINT_COMPONENT = "QualifiedMaxCountConstraintComponent",
    /// `sh:ClosedConstraintComponent`.
    CLOSED_CONSTRAINT_COMPONENT = "ClosedConstraintComponent",
    /// `sh:HasValueConstraintComponent`.
    HAS_VALUE_CONSTRAINT_COMPONENT = "HasValueConstraintComponent",
    /// `sh:InConstraintComponent`.
    IN_CONSTRAINT_COMPONENT = "InConstraintComponent",
    /// `sh:SPARQLConstraintComponent`.
    SPARQL_CONSTRAINT_COMPONENT = "SPARQLConstraintComponent",
    /// `sh:ConstraintComponent`.
    CONSTRAINT_COMPONENT = "ConstraintComponent",
    /// `sh:sparql`.
    SPARQL = "sparql",
    /// `sh:select`.
    SELECT = "select",
    /// `sh:ask`.
    ASK = "ask",
    /// `sh:prefixes`.
    PREFIXES = "prefixes",
    /// `sh:declare`.
    DECLARE = "declare",
    /// `sh:prefix`.
    PREFIX = "prefix",
    /// `sh:namespace`.
    NAMESPACE_PROPERTY = "namespace",
    /// `sh:parameter`.
    PARAMETER = "parameter",
    /// `sh:optional`.
    OPTIONAL = "optional",
    /// `sh:validator`.
    VALIDATOR = "validator",
    /// `sh:nodeValidator`.
    NODE_VALIDATOR = "nodeValidator",
    /// `sh:propertyValidator`.
    PROPERTY_VALIDATOR = "propertyValidator",
});

vocabulary!(
    /// TREE hypermedia.
    tree, "https://w3id.org/tree#", {
    /// `tree:Node`.
    NODE = "Node",
    /// `tree:Relation`.
    RELATION = "Relation",
    /// `tree:GreaterThanOrEqualToRelation`.
    GREATER_THAN_OR_EQUAL_TO_RELATION = "GreaterThanOrEqualToRelation",
    /// `tree:LessThanRelation`.
    LESS_THAN_RELATION = "LessThanRelation",
    /// `tree:view`.
    VIEW = "view",
    /// `tree:viewDescription`.
    VIEW_DESCRIPTION = "viewDescription",
    /// `tree:relation`.
    RELATION_PROPERTY = "relation",
    /// `tree:node`.
    NODE_PROPERTY = "node",
    /// `tree:path`.
    PATH = "path",
    /// `tree:value`.
    VALUE = "value",
    /// `tree:member`.
    MEMBER = "member",
    /// `tree:shape`.
    SHAPE = "shape",
});

vocabulary!(
    /// Linked Data Event Streams 1.0.
    ldes, "https://w3id.org/ldes#", {
    /// `ldes:EventStream`.
    EVENT_STREAM = "EventStream",
    /// `ldes:EventSource`.
    EVENT_SOURCE = "EventSource",
    /// `ldes:timestampPath`.
    TIMESTAMP_PATH = "timestampPath",
    /// `ldes:pollingInterval`.
    POLLING_INTERVAL = "pollingInterval",
    /// `ldes:retentionPolicy`.
    RETENTION_POLICY = "retentionPolicy",
    /// `ldes:fullLogDuration` (LDES 1.0 retention).
    FULL_LOG_DURATION = "fullLogDuration",
    /// `ldes:DurationAgoPolicy` (the retention form deployed clients read).
    DURATION_AGO_POLICY = "DurationAgoPolicy",
    /// `ldes:immutable`.
    IMMUTABLE = "immutable",
});

/// Every term of every module, for completeness checks against `vocab/`.
pub fn all_terms() -> impl Iterator<Item = NamedNodeRef<'static>> {
    [
        rdf::TERMS,
        rdfs::TERMS,
        owl::TERMS,
        xsd::TERMS,
        sosa::TERMS,
        ssn::TERMS,
        qudt::TERMS,
        unit::TERMS,
        quantitykind::TERMS,
        time::TERMS,
        geo::TERMS,
        prov::TERMS,
        dct::TERMS,
        dc::TERMS,
        skos::TERMS,
        vkm::TERMS,
        vkm_vehicle_type::TERMS,
        vkm_characteristic_type::TERMS,
        vkm_instrument_type::TERMS,
        eea_pollutant::TERMS,
        dqv::TERMS,
        belfort::TERMS,
        hydra::TERMS,
        void::TERMS,
        sd::TERMS,
        foaf::TERMS,
        dcat::TERMS,
        sh::TERMS,
        quality::TERMS,
        oa::TERMS,
        tree::TERMS,
        ldes::TERMS,
    ]
    .into_iter()
    .flatten()
    .copied()
}
