#!/usr/bin/env python3
"""Side-by-side table of two reliability-probe outputs (stdlib only).

    python3 reliability_table.py python.jsonl java.jsonl [--markdown]

Joins the lines of python_mp_reliability.py and of ReliabilityRunner on (probe, variant). A Java line
whose variant is named differently says which Python variant it stands in for in
detail["python_counterpart"]; it is joined on that, and its own variant is shown beside it. Lines
without a partner are listed with the other side empty, after the rows of their probe.
"""
import argparse
import json


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("python")
    ap.add_argument("java")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    python, java = load(args.python), load(args.java)

    java_by_key = {}
    for rec in java:
        counterpart = (rec.get("detail") or {}).get("python_counterpart")
        java_by_key.setdefault((rec["probe"], counterpart or rec.get("variant")), rec)

    rows, used = [], set()
    for rec in python:
        key = (rec["probe"], rec.get("variant"))
        partner = java_by_key.get(key)
        if partner is not None:
            used.add(id(partner))
        rows.append((rec["probe"], rec.get("variant") or "", java_variant(partner, key), rec["outcome"],
                     partner["outcome"] if partner else ""))
    for rec in java:  # Java-only variants, after the last row of their probe
        if id(rec) in used:
            continue
        row = (rec["probe"], "", rec.get("variant") or "", "", rec["outcome"])
        last = max((i for i, r in enumerate(rows) if r[0] == rec["probe"]), default=len(rows) - 1)
        rows.insert(last + 1, row)

    header = ("probe", "Python variant", "Java variant (if other)", "Python outcome", "Java outcome")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(cell(c) for c in row) + " |")
    else:
        # Variants are cut to 50 characters; outcomes never.
        limits = (None, 50, 50, None, None)
        rows_cut = [tuple(str(c)[:n] if n else str(c) for c, n in zip(r, limits)) for r in [header] + rows]
        widths = [max(len(r[i]) for r in rows_cut) for i in range(len(header))]
        for row in rows_cut:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def java_variant(partner, key):
    """The Java line's own variant when it differs from the Python variant it is joined to."""
    if partner is None:
        return ""
    own = partner.get("variant") or ""
    return "" if own == (key[1] or "") else own


def cell(text):
    return str(text).replace("|", "\\|")


if __name__ == "__main__":
    main()
