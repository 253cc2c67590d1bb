"""Validates RDF data against SHACL shapes with pySHACL and prints its results as JSON.

Usage: pyshacl_results.py DATA SHAPES
Prints {"conforms": bool, "results": [[focus, component, path], ...]} with IRIs in
N-Triples form (path is null unless it is a single predicate).
"""
import json
import sys

import pyshacl
import rdflib
from rdflib.namespace import SH

data, shapes = sys.argv[1], sys.argv[2]
graph = rdflib.Graph()
graph.parse(data)
conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, shacl_graph_format="turtle")


def nt(term):
    return f"<{term}>" if isinstance(term, rdflib.URIRef) else None


results = []
for result in report.objects(None, SH.result):
    focus = report.value(result, SH.focusNode)
    component = report.value(result, SH.sourceConstraintComponent)
    path = report.value(result, SH.resultPath)
    results.append([nt(focus), str(component), nt(path)])
results.sort(key=lambda r: [x or "" for x in r])
print(json.dumps({"conforms": bool(conforms), "results": results}))
