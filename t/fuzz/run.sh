#!/bin/sh
# Runs one fuzz harness for SECONDS over its corpus and findings:
#
#	sh t/fuzz/run.sh NAME SECONDS [libFuzzer options...]
#
# from the build directory, after "make fuzz".  New inputs go to
# t/fuzz/new/NAME, crashes to t/fuzz/crash/NAME-* (both in the build
# directory): the corpus in the source tree stays as it is.  Exits
# non-zero when the harness found a crash or a broken invariant.
set -eu
name=$1 seconds=$2
shift 2
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fuzzer=t/fuzz/fuzz-$name
test -x "$fuzzer" || { echo "run.sh: $fuzzer: not built (make fuzz)" >&2; exit 2; }
mkdir -p "t/fuzz/new/$name" t/fuzz/crash
set -- -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
	-artifact_prefix="t/fuzz/crash/$name-" -print_final_stats=1 "$@" \
	"t/fuzz/new/$name" "$srcdir/t/fuzz/corpus/$name"
test -d "$srcdir/t/fuzz/findings/$name" &&
	set -- "$@" "$srcdir/t/fuzz/findings/$name"
# The leak checker is on, as in the sanitizer build of make check.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$srcdir/t/lsan.supp} \
exec "$fuzzer" "$@"
