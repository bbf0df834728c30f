#!/usr/bin/env python3
"""Two views compare.py does not give, printed after its table by run-side-by-side.sh.

    python3 summary.py PYTHON.jsonl JAVA.jsonl

1. `warm` against Python's `forkserver`: compare.py takes Python's `spawn` as the baseline for a start
   method Python does not have, but `warm` is our forkserver and its target is stated against it.
2. Distance from the JVM's floor: our `spawn` figures against `jvm_floor_*` (a plain `java -cp <dir>
   Hello` with the children's JVM flags, measured in the same run).
3. How disturbed each bench was: `foreign_cpu_frac` on each side (above ~0.05 the figure is disturbed).
"""
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                row = json.loads(line)
                if row.get("value") is not None:
                    rows.append(row)
    return rows


def fmt(v):
    return f"{v:,.4g}"


def main(python_path, java_path):
    python, java = load(python_path), load(java_path)
    out = []
    for j in java:
        jp = j["params"]
        if jp.get("start_method") != "warm" or j.get("extra"):
            continue
        for p in python:
            pp = p["params"]
            if (p["bench"] == j["bench"] and pp.get("start_method") == "forkserver"
                    and pp.get("process") == jp.get("process")):
                extra = f", {jp['between_reps']}" if "between_reps" in jp else ""
                out.append(f"  {j['bench']} [warm{extra}]: {fmt(j['value'])} {j['unit']} vs forkserver "
                           f"{fmt(p['value'])} {p['unit']}: advantage {p['value'] / j['value']:.2f}x")
    if out:
        print("\nwarm against Python's forkserver (advantage > 1.0: we are better):")
        print("\n".join(out))

    floors = {r["bench"]: r for r in java if r["bench"].startswith("jvm_floor_")}
    pairs = {"process_start_first_msg": "jvm_floor_first_msg", "process_start_join": "jvm_floor_start_join",
             "child_rss": "jvm_floor_rss"}
    out = []
    for j in java:
        floor = floors.get(pairs.get(j["bench"], ""))
        jp = j["params"]
        if floor is None or jp.get("start_method") != "spawn":
            continue
        if j["bench"] == "child_rss" and jp.get("process") != "idle Process child":
            continue
        v, fv = j["value"], floor["value"]
        out.append(f"  {j['bench']} [spawn]: {fmt(v)} {j['unit']} = {v / fv:.1f}x the floor "
                   f"({floor['bench']}: {fmt(fv)} {floor['unit']}), {v - fv:+,.4g} {j['unit']}")
    if out:
        print("\nspawn against the JVM's own floor (plain `java -cp <dir> Hello`, same flags, same run):")
        print("\n".join(out))

    def foreign(rows):
        return {r["bench"]: r["foreign_cpu_frac"] for r in rows if "foreign_cpu_frac" in r and not r.get("extra")}
    fp, fj = foreign(python), foreign(java)
    if fj:
        print("\nforeign_cpu_frac (share of the machine other processes used while the bench ran; > 0.05 = disturbed):")
        for bench, frac in fj.items():
            print(f"  {bench}: python {fp.get(bench, '-')}, java {frac}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
