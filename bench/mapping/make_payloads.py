#!/usr/bin/env python3
"""Writes large payloads in the real wire formats for the mapping benchmark, by repeating the
clean fixture records of each format with distinct sensor ids and times.

usage: make_payloads.py FIXTURES OUTDIR RECORDS
"""
import copy
import datetime as dt
import json
import re
import sys
from pathlib import Path


def sensor_community(fixtures, out, n):
    base = json.loads((fixtures / "sensor-community/data_v2_clean.json").read_text())
    records = []
    for i in range(n):
        r = copy.deepcopy(base[i % len(base)])
        r["id"] = 10_000_000_000 + i
        r["sensor"]["id"] = 100_000 + i // 50
        r["location"]["id"] = 200_000 + i // 50
        for k, v in enumerate(r["sensordatavalues"]):
            v["id"] = 40_000_000_000 + i * 10 + k
        minute = dt.datetime(2024, 1, 15) + dt.timedelta(minutes=5 * (i % 50))
        r["timestamp"] = minute.strftime("%Y-%m-%d %H:%M:%S")
        records.append(r)
    (out / "sensor-community.json").write_text(json.dumps(records))


def sensor_community_archive(fixtures, out, n):
    lines = (fixtures / "sensor-community/archive_2024-01-15_sds011_sensor_31415_clean.csv").read_text().splitlines()
    header, rows = lines[0], [l.split(";") for l in lines[1:]]
    body = [header]
    start = dt.datetime(2024, 1, 15)
    for i in range(n):
        row = list(rows[i % len(rows)])
        row[0] = str(31415 + i // 1000)
        row[5] = (start + dt.timedelta(seconds=60 * (i % 1000))).strftime("%Y-%m-%dT%H:%M:%S")
        body.append(";".join(row))
    (out / "sensor-community-archive.csv").write_text("\n".join(body) + "\n")


def opendatasoft(fixtures, out, n):
    base = json.loads((fixtures / "ghent/parkeergarages_v2.1_poll1_clean.json").read_text())
    results = []
    for i in range(n):
        r = copy.deepcopy(base["results"][i % len(base["results"])])
        r["name"] = f"{r['name']} {i}"
        if "id" in r:
            r["id"] = f"{r['id']}-{i}"
        results.append(r)
    (out / "opendatasoft.json").write_text(json.dumps({"total_count": n, "results": results}))


def miv(fixtures, out, n):
    text = (fixtures / "miv/miv_verkeersdata_clean.xml").read_text()
    blocks = re.findall(r"  <meetpunt .*?</meetpunt>\n", text, re.S)
    head = text[: text.index("  <meetpunt ")]
    parts = [head]
    for i in range(n):
        block = blocks[i % len(blocks)]
        block = re.sub(r'unieke_id="\d+"', f'unieke_id="{100000 + i}"', block)
        parts.append(block)
    parts.append("</miv>\n")
    (out / "miv.xml").write_text("".join(parts))


def noise_csv(fixtures, out, n):
    lines = (fixtures / "leuven/csv_results_noise_naamsestraat_clean.csv").read_text().splitlines()
    header, rows = lines[0], [l.split(";") for l in lines[1:]]
    body = [header]
    start = dt.datetime(2022, 3, 4, 22, 0, 0)
    for i in range(n):
        row = list(rows[i % len(rows)])
        row[2] = (start + dt.timedelta(seconds=i)).strftime("%d/%m/%Y %H:%M:%S.000")
        body.append(";".join(row))
    (out / "noise.csv").write_text("\n".join(body) + "\n")


def main():
    fixtures, out, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    for make in (sensor_community, sensor_community_archive, opendatasoft, miv, noise_csv):
        make(fixtures, out, n)


if __name__ == "__main__":
    main()
