#!/usr/bin/env python3
"""Reads `ddpsim collective --format nccl-tests` the way nccl-tests log parsers do (skip lines
starting with '#', split data rows on whitespace into 13 columns; the average from the
"# Avg bus bandwidth" line) and checks every value against `--format json` of the same query.
usage: nccl_tests_parse.py DDPSIM_BINARY"""
import json
import subprocess
import sys

COLUMNS = ["size", "count", "type", "redop", "root",
           "oop_time", "oop_algbw", "oop_busbw", "oop_wrong",
           "ip_time", "ip_algbw", "ip_busbw", "ip_wrong"]


def parse(text):
    rows, avg = [], None
    for line in text.splitlines():
        if line.startswith("# Avg bus bandwidth"):
            avg = float(line.split(":")[1].split()[0])
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != len(COLUMNS):
            raise SystemExit(f"data row with {len(fields)} columns, expected {len(COLUMNS)}: {line!r}")
        row = dict(zip(COLUMNS, fields))
        for k in ("size", "count", "root", "oop_wrong", "ip_wrong"):
            row[k] = int(row[k])
        for k in ("oop_time", "oop_algbw", "oop_busbw", "ip_time", "ip_algbw", "ip_busbw"):
            row[k] = float(row[k])
        rows.append(row)
    return rows, avg


def time_tolerance(us):  # the printed precision: %7.0f, %7.1f, %7.2f
    return 0.5 if us >= 10000 else 0.05 if us >= 100 else 0.005


def check(binary, args):
    run = lambda fmt: subprocess.run([binary, "collective", *args, "--format", fmt], check=True,
                                     capture_output=True, text=True).stdout
    rows, avg = parse(run("nccl-tests"))
    doc = json.loads(run("json"))
    ref = doc["results"] if "results" in doc else [doc]  # one --bytes: a single object
    failures = []
    if len(rows) != len(ref):
        failures.append(f"{len(rows)} rows, JSON has {len(ref)}")
    for row, r in zip(rows, ref):
        expect = {"size": int(r["bytes"]) // 4 * 4, "count": int(r["bytes"]) // 4, "type": "float", "redop": "sum",
                  "root": -1, "oop_wrong": 0, "ip_wrong": 0}
        for k, v in expect.items():
            if row[k] != v:
                failures.append(f"size {r['bytes']}: {k} = {row[k]!r}, expected {v!r}")
        for g in ("oop", "ip"):
            for col, key, tol in ((f"{g}_time", "time_us", time_tolerance(r["time_us"])),
                                  (f"{g}_algbw", "algbw_gbs", 0.005), (f"{g}_busbw", "busbw_gbs", 0.005)):
                if abs(row[col] - r[key]) > tol * (1 + 1e-9):
                    failures.append(f"size {r['bytes']}: {col} = {row[col]}, JSON {key} = {r[key]}")
    mean = sum(r["busbw_gbs"] for r in ref) / len(ref)
    if avg is None or abs(avg - mean) > 5e-6 * max(1.0, abs(mean)):
        failures.append(f"Avg bus bandwidth {avg}, mean of the JSON busbw {mean}")
    return failures


def main():
    binary = sys.argv[1]
    failures = []
    for args in (["--hardware", "a100", "--gpus", "32", "--sweep-bytes", "8B..1GiB"],
                 ["--hardware", "h100", "--gpus", "16", "--sweep-bytes", "1KiB..4GiB x4"],
                 ["--hardware", "a100", "--gpus", "4", "--bytes", "25MB"]):
        failures += [" ".join(args) + ": " + f for f in check(binary, args)]
    for f in failures:
        print(f)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
