#!/usr/bin/env bash
# Runs multiprocessing4j's benchmark and CPython's reference benchmark in one invocation, interleaved bench
# by bench (Python, then Java, for each bench), then prints the side-by-side table of compare.py.
#
#   benchmarks/run-side-by-side.sh [--quick] [--only a,b] [--reps N]
#
#   --quick      smaller sizes / fewer repetitions on both sides (~1 min instead of ~3)
#   --only a,b   only these benches (names as in `BenchRunner --list`)
#   --reps N     timed repetitions on the Java side (Python's script has fixed counts: 30, --quick 6)
#
# Environment: WAIT_QUIET (default 60) and RETRIES (default 2) are passed to both runners: before each
# bench wait up to WAIT_QUIET s for the machine to be <10% busy, and re-run a bench up to RETRIES times
# while other processes used >5% of the machine. PYTHON (default python3); JAVA_HOME (default: `java` on
# the PATH); JAVA_OPTS (default none): options for the Java runner's JVM, e.g. `-Xms2g -Xmx2g
# -XX:+AlwaysPreTouch` to take the growth of its heap out of the timed reps (see the README's note on the
# 64 KiB pipe stream; say so when you report figures measured with it). BENCH_REF (default: the
# bench-ref folder of the shared/ directory beside this clone, i.e. <clone>/../shared/bench-ref).
#
# Output: benchmarks/target/side-by-side/{python,java}.jsonl (raw lines), {python,java}.log (stderr),
# compare.md (the table as Markdown). Exit status 1 if a bench failed on either side.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bench_ref="${BENCH_REF:-$repo/../shared/bench-ref}"
python="${PYTHON:-python3}"

quick=()
reps=()
only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --only) only="${2:?--only needs a value}"; shift ;;
    --reps) reps=(--reps "${2:?--reps needs a value}"); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-side-by-side.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
quiet=(--wait-quiet "${WAIT_QUIET:-60}" --retries "${RETRIES:-2}")

if [[ ! -f "$bench_ref/python_mp_bench.py" ]]; then
  echo "run-side-by-side.sh: no python_mp_bench.py in $bench_ref (set BENCH_REF)" >&2
  exit 2
fi

source "$here/build-runner.sh"
read -r -a java_opts <<< "${JAVA_OPTS:-}"
java_runner=("${JAVA_HOME:+$JAVA_HOME/bin/}java" "${java_opts[@]}" "-Dmp4j.bench.source=$source_rev" -cp "$classpath"
  io.multiprocessing4j.benchmarks.BenchRunner)

benches="$("${java_runner[@]}" --list)"
for name in ${only//,/ }; do
  if ! cut -f1 <<< "$benches" | grep -qx "$name"; then
    echo "run-side-by-side.sh: unknown bench $name; choose from: $(cut -f1 <<< "$benches" | paste -sd' ')" >&2
    exit 2
  fi
done

out="$here/target/side-by-side"
mkdir -p "$out"
: > "$out/python.jsonl"; : > "$out/java.jsonl"; : > "$out/python.log"; : > "$out/java.log"

# Every bench the Java runner has; those Python has too run on both sides, interleaved.
failed=0
while IFS=$'\t' read -r bench side; do
  if [[ -n "$only" && ",$only," != *",$bench,"* ]]; then
    continue
  fi
  if [[ "$side" == python ]]; then
    echo "# $bench: python" >&2
    if ! "$python" "$bench_ref/python_mp_bench.py" --only "$bench" "${quick[@]}" "${quiet[@]}" \
        >> "$out/python.jsonl" 2>> "$out/python.log"; then
      echo "# $bench: python FAILED (see $out/python.log)" >&2
      failed=1
    fi
  fi
  echo "# $bench: java" >&2
  if ! "${java_runner[@]}" --only "$bench" "${quick[@]}" "${reps[@]}" "${quiet[@]}" \
      >> "$out/java.jsonl" 2>> "$out/java.log"; then
    echo "# $bench: java FAILED (see $out/java.log)" >&2
    failed=1
  fi
done <<< "$benches"

echo
echo "Side by side (first = CPython $("$python" -c 'import platform; print(platform.python_version())'), second = multiprocessing4j $source_rev;"
echo "advantage > 1.0 means multiprocessing4j is better; figures swing 2-3x between runs on a shared VM):"
echo
"$python" "$bench_ref/compare.py" "$out/python.jsonl" "$out/java.jsonl"
"$python" "$bench_ref/compare.py" "$out/python.jsonl" "$out/java.jsonl" --markdown > "$out/compare.md"

"$python" "$here/summary.py" "$out/python.jsonl" "$out/java.jsonl"
echo
echo "raw lines: $out/python.jsonl $out/java.jsonl; Markdown table: $out/compare.md"
exit "$failed"
