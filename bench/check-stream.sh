#!/bin/sh
# check-stream.sh: how fast the stream recogniser (common/kt_check.h)
# reads a kt-tar archive of one big file, next to cat, sha256sum and GNU
# tar reading the same archive, from one run.  Run by hand, not by make
# check:
#
#	bench/check-stream.sh [BUILDDIR [MIB]]
#
# BUILDDIR is where kt-tools was built (default: the source tree), MIB
# the size of the file (default 1024).  Scratch files go to $TMPDIR.

set -eu
build=${1:-$(cd "$(dirname "$0")/.." && pwd)}
mib=${2:-1024}
check=$build/t/helper/kt-check-stream
mkarchive=$build/t/helper/kt-mkarchive
for p in "$check" "$mkarchive"
do
	test -x "$p" || { echo "$p: not built (make check builds it)" >&2; exit 2; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ktbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
head -c "$((mib * 1024 * 1024))" /dev/urandom >big
echo big | "$mkarchive" >big.tar
rm big
bytes=$(wc -c <big.tar)
cat big.tar >/dev/null	# into the page cache: every run reads from memory

# run NAME CMD...: one timed run, stdin from the archive; prints seconds,
# MB/s and peak RSS.
run () {
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o time.out "$@" <big.tar >/dev/null
	set -- $(cat time.out)
	printf '%-28s %7.2f s %8.0f MB/s %8d KiB\n' "$name" "$1" \
	    "$(echo "$bytes / 1000000 / ($1 + 0.001)" | bc -l)" "$2"
	eval "t_$(echo "$name" | tr -c 'a-z0-9\n' _)=$1"
}

printf 'archive: %d bytes (one %d MiB file, kt-tar layout)\n\n' "$bytes" "$mib"
printf '%-28s %9s %13s %12s\n' command time throughput "peak RSS"
run cat cat
run sha256sum sha256sum
run "gnu tar tf (seeks)" tar tf -
mkdir x
run "gnu tar xf (extracts)" tar xf - -C x
rm -rf x
run "cat | gnu tar tf -" sh -c 'cat | tar tf -'
run "kt-check-stream" "$check"
run "kt-check-stream --hash" "$check" --hash
run "kt-check-stream --hash 4K" "$check" --hash --chunk 4096
echo
printf 'kt-check-stream --hash / cat:        %.2fx the time\n' \
    "$(echo "$t_kt_check_stream___hash / ($t_cat + 0.001)" | bc -l)"
printf 'kt-check-stream --hash / sha256sum:  %.2fx the time\n' \
    "$(echo "$t_kt_check_stream___hash / ($t_sha256sum + 0.001)" | bc -l)"
printf 'kt-check-stream --hash / gnu tar xf: %.2fx the time\n' \
    "$(echo "$t_kt_check_stream___hash / ($t_gnu_tar_xf__extracts_ + 0.001)" |
    bc -l)"
