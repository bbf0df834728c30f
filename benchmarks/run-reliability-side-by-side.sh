#!/usr/bin/env bash
# Runs CPython's reliability probes (python_mp_reliability.py) and multiprocessing4j's (ReliabilityRunner),
# then prints them side by side, joined on probe and variant (reliability_table.py).
#
#   benchmarks/run-reliability-side-by-side.sh [--only a,b]
#
#   --only a,b   only these probes (names as in `ReliabilityRunner --list`)
#
# Each side runs every probe in its own child process under a hard time limit and kills, by pid, whatever
# a probe left behind (its last line, _cleanup, says what). Python's probes take ~105 s, ours ~1 min.
# Environment: PYTHON (default python3); JAVA_HOME (default: `java` on the PATH); BENCH_REF (default:
# the bench-ref folder of the shared/ directory beside this clone, i.e. <clone>/../shared/bench-ref).
#
# Output: benchmarks/target/reliability/{python,java}.jsonl (raw lines), {python,java}.log (stderr),
# table.md (the table as Markdown). Exit status 1 if either runner failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bench_ref="${BENCH_REF:-$repo/../shared/bench-ref}"
python="${PYTHON:-python3}"

only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) only=(--only "${2:?--only needs a value}"); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-reliability-side-by-side.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ ! -f "$bench_ref/python_mp_reliability.py" ]]; then
  echo "run-reliability-side-by-side.sh: no python_mp_reliability.py in $bench_ref (set BENCH_REF)" >&2
  exit 2
fi

source "$here/build-runner.sh"
java_runner=("${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$classpath" io.multiprocessing4j.benchmarks.ReliabilityRunner)

if [[ ${#only[@]} -gt 0 ]]; then
  probes="$("${java_runner[@]}" --list)"
  for name in ${only[1]//,/ }; do
    if ! grep -qx "$name" <<< "$probes"; then
      echo "run-reliability-side-by-side.sh: unknown probe $name; choose from: $(paste -sd' ' <<< "$probes")" >&2
      exit 2
    fi
  done
fi

out="$here/target/reliability"
mkdir -p "$out"
failed=0
echo "# python probes (~105 s for all)" >&2
if ! "$python" "$bench_ref/python_mp_reliability.py" "${only[@]}" > "$out/python.jsonl" 2> "$out/python.log"; then
  echo "# python probes FAILED (see $out/python.log)" >&2
  failed=1
fi
echo "# java probes" >&2
if ! "${java_runner[@]}" "${only[@]}" > "$out/java.jsonl" 2> "$out/java.log"; then
  echo "# java probes FAILED (see $out/java.log)" >&2
  failed=1
fi

echo
echo "Reliability probes side by side (CPython $("$python" -c 'import platform; print(platform.python_version())'),"
echo "multiprocessing4j $source_rev; a Java variant named otherwise stands in for the Python variant on its row):"
echo
"$python" "$here/reliability_table.py" "$out/python.jsonl" "$out/java.jsonl"
"$python" "$here/reliability_table.py" "$out/python.jsonl" "$out/java.jsonl" --markdown > "$out/table.md"
echo
echo "raw lines (details per probe): $out/python.jsonl $out/java.jsonl; Markdown table: $out/table.md"
exit "$failed"
