"""Validates an N-Quads dump (all graphs merged) against SHACL shapes with pySHACL.

Usage: pyshacl_conforms.py DUMP.nq SHAPES.ttl
Prints the report and exits 0 when the data conforms, 1 when it does not.
"""
import sys

import pyshacl
import rdflib

dump, shapes = sys.argv[1], sys.argv[2]
dataset = rdflib.Dataset()
dataset.parse(dump, format="nquads")
merged = rdflib.Graph()
for s, p, o, _ in dataset.quads((None, None, None, None)):
    merged.add((s, p, o))
conforms, _, text = pyshacl.validate(merged, shacl_graph=shapes, shacl_graph_format="turtle")
print(f"triples={len(merged)} conforms={conforms}")
if not conforms:
    print(text[:4000])
sys.exit(0 if conforms else 1)
