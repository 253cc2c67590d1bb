#!/usr/bin/env python3
"""Writes an RML mapping of Telraam reports/traffic onto the same SOSA observations Belfort
publishes (one per count, direction and V85; type, property, sensor, feature, value, uptime,
times, result and provenance), for Morph-KGC.

usage: telraam_rml.py PAYLOAD.json > telraam.rml.ttl
"""
import json
import sys

BASE = "https://data.example.org/id/"
READINGS = [
    ("car", "traffic-count-car", ""), ("bike", "traffic-count-bicycle", ""),
    ("pedestrian", "traffic-count-pedestrian", ""), ("heavy", "traffic-count-heavy", ""),
    ("v85", "traffic-speed-v85-car", ""),
] + [
    (f"{mode}_{side}", prop, f"-{side}")
    for mode, prop in [("car", "traffic-count-car"), ("bike", "traffic-count-bicycle"),
                       ("pedestrian", "traffic-count-pedestrian"), ("heavy", "traffic-count-heavy")]
    for side in ("lft", "rgt")
]


def triples_map(index, field, prop, side, source):
    obs = f"{BASE}observation/telraam/{{segment_id}}/{{segment_id}}{side}/{prop}/{{date}}/PT1H"
    return f"""
<#reading{index}> a rr:TriplesMap ;
  rml:logicalSource [ rml:source "{source}" ; rml:referenceFormulation ql:JSONPath ;
                      rml:iterator "$.report[*]" ] ;
  rr:subjectMap [ rr:template "{obs}" ; rr:class sosa:Observation , vkm:Verkeersmeting ] ;
  rr:predicateObjectMap
    [ rr:predicate sosa:observedProperty ; rr:object <https://w3id.org/belfort/property/{prop}> ] ,
    [ rr:predicate sosa:madeBySensor ; rr:objectMap [ rr:template "{BASE}sensor/telraam/{{segment_id}}" ] ] ,
    [ rr:predicate sosa:hasFeatureOfInterest ; rr:objectMap [ rr:template "{BASE}feature/telraam/{{segment_id}}{side}" ] ] ,
    [ rr:predicate sosa:hasSimpleResult ; rr:objectMap [ rml:reference "{field}" ; rr:datatype xsd:decimal ] ] ,
    [ rr:predicate bf:uptime ; rr:objectMap [ rml:reference "uptime" ; rr:datatype xsd:decimal ] ] ,
    [ rr:predicate sosa:resultTime ; rr:objectMap [ rml:reference "date" ; rr:datatype xsd:dateTime ] ] ,
    [ rr:predicate sosa:phenomenonTime ; rr:objectMap [ rr:template "{BASE}time/{{date}}/PT1H" ] ] ,
    [ rr:predicate sosa:hasResult ; rr:objectMap [ rr:template "{obs}#result" ] ] ,
    [ rr:predicate prov:wasDerivedFrom ; rr:object <{BASE}feed/gent/telraam> ] .
"""


def main():
    source = sys.argv[1]
    with open(source) as payload:
        fields = set(json.load(payload)["report"][0])
    print("""@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix vkm: <https://data.vlaanderen.be/ns/verkeersmetingen#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix bf: <https://w3id.org/belfort/ns#> .""")
    # Only the readings the payload has: a map of an absent field would still write the
    # observation's other statements.
    present = [r for r in READINGS if r[0] in fields]
    for index, (field, prop, side) in enumerate(present):
        print(triples_map(index, field, prop, side, source))


if __name__ == "__main__":
    main()
