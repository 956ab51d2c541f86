#!/usr/bin/env python3
"""Turns a JMH JSON result file (-rf json) into the Markdown tables of docs/benchmarks.md.

usage: python3 storage-benchmarks/tables.py results.json

Throughput rows are ops/s (per item for batch loads); ratio = Polystore / raw, so > 1 means
Polystore is faster. Errors are JMH's 99.9 % confidence half-widths; the ratio's error
combines the two relative errors (root of the sum of squares).
"""
import json
import math
import sys

POLY = ("polystore",)


def row_key(r):
    params = dict(r.get("params", {}))
    impl = params.pop("impl", None) or params.pop("mode", None)
    return r["benchmark"].rsplit(".", 2)[-2], r["benchmark"].rsplit(".", 1)[-1], impl, params


def throughput(r):
    """(ops/s, error) for throughput or single-shot rows (single-shot: items per second)."""
    m = r["primaryMetric"]
    score, err, unit = m["score"], m["scoreError"], m["scoreUnit"]
    if not isinstance(err, (int, float)) or err != err:  # "NaN" with too few iterations
        err = 0.0
    if r["mode"] == "thrpt":
        return score, err
    per = {"ms/op": 1e-3, "s/op": 1.0, "us/op": 1e-6}[unit]
    items = int(r["params"].get("items", 1))
    seconds, serr = score * per, err * per
    ops = items / seconds
    return ops, ops * (serr / seconds)


def fmt(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def main(path):
    rows = json.load(open(path))
    groups = {}
    for r in rows:
        cls, method, impl, params = row_key(r)
        groups.setdefault((cls, method), {})[impl] = throughput(r)
    for (cls, method), by_impl in groups.items():
        print(f"\n{cls}.{method}\n")
        print("| contender | ops/s | ± (99.9 %) | vs raw |")
        print("|---|---:|---:|---:|")
        base_name = "raw" if "raw" in by_impl else ("raw-autocommit" if "raw-autocommit" in by_impl else None)
        base = by_impl.get(base_name)
        for impl, (ops, err) in by_impl.items():
            ratio = ""
            if base and impl != base_name:
                q = ops / base[0]
                rel = math.sqrt((err / ops) ** 2 + (base[1] / base[0]) ** 2) if ops and base[0] else 0
                ratio = f"{q:.3f} ± {q * rel:.3f}"
            print(f"| {impl} | {fmt(ops)} | {fmt(err)} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1])
