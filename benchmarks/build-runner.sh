# Sourced by the run-*.sh scripts beside it (needs $here and $repo): builds the benchmark module and sets
# `classpath` (the module's jar and its dependencies) and `source_rev` (the clone's commit).

echo "# building (mvn -Pbenchmarks package)" >&2
rm -rf "$here/target/lib" # copy-dependencies adds jars but never removes one the build no longer uses
# (Maven 3.8's console library writes colour resets even with -B -q; strip them.)
(cd "$repo" && mvn -B -q -Dstyle.color=never -Pbenchmarks -DskipTests -pl benchmarks -am package) 2>&1 \
  | sed -E 's/\x1b\[[0-9;]*m//g' >&2
jars=("$here"/target/multiprocessing4j-benchmarks-*.jar "$here"/target/lib/*.jar)
classpath="$(IFS=:; echo "${jars[*]}")"
source_rev="$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
