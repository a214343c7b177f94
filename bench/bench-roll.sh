#!/bin/sh
# bench-roll.sh: kt-roll's store rate next to `cat > file` and to
# `cat > file && sync file` (kt-roll fsyncs the file and the directory, so
# the second is the fair comparison), on the same stream arriving through
# a pipe, in one run.  Prints throughput, the ratios (ours / theirs: above
# 1 is faster) and the peak RSS of the storing process.
#
#   sh bench/bench-roll.sh [BUILD-DIR]      (default: ./_build)
#   SIZE_MB=1024 by default; TMPDIR is where the streams and copies go
#   (use a real disk, not tmpfs: the point is the fsync).
#
# kt-roll starts the writeback of each 8 MiB as it goes, so its final
# fsync has little left to do; `cat && sync` writes everything back at the
# end.
#
# Streams: a binary OpenPGP message (what kt-seal gives kt-roll in a
# backup pipeline; needs gpg) and a GNU tar archive of one file.
set -eu

build=$(cd "${1:-_build}" && pwd)
PATH=$build/bin:$PATH
size_mb=${SIZE_MB:-1024}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktbench.XXXXXX")
GNUPGHOME=$(mktemp -d /tmp/ktbg.XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill all 2>/dev/null; rm -rf "$work" "$GNUPGHOME"' EXIT INT TERM

command -v kt-roll >/dev/null || { echo "no kt-roll in $build/bin" >&2; exit 1; }

echo "generating ${size_mb} MiB streams in $work"
mkdir "$work/src" "$work/out"
head -c $((size_mb * 1048576)) /dev/urandom >"$work/src/data"
tar -C "$work/src" -cf "$work/stream.tar" data
streams="tar"
if command -v gpg >/dev/null
then
	gpg --batch -q --pinentry-mode loopback --passphrase '' \
		--quick-gen-key 'Bench <bench@example.com>' ed25519 sign,cert \
		never 2>/dev/null
	fpr=$(gpg --batch --with-colons -k bench@example.com 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }')
	gpg --batch -q --pinentry-mode loopback --passphrase '' \
		--quick-add-key "$fpr" cv25519 encr never 2>/dev/null
	gpg --batch -q --trust-model always -r "$fpr" -z 0 -e \
		<"$work/src/data" >"$work/stream.gpg" 2>/dev/null
	streams="gpg tar"
fi
rm -f "$work/src/data"

# run NAME CMD: seconds and peak RSS (KiB) of the storing process (the
# last command of CMD, run under time(1)), the median of three runs; the
# stream arrives through cat and a pipe, as from kt-seal.  Before each run
# the output directory is emptied, the disk synced and, where we may, the
# page cache dropped and the input read back in, so that no run pays for
# another's writeback or memory.
run() {
	name=$1; shift
	for i in 1 2 3
	do
		rm -f "$work"/out/* "$work"/out/.kt-roll.* 2>/dev/null || true
		sync
		echo 3 2>/dev/null >/proc/sys/vm/drop_caches || true
		cat "$in" >/dev/null
		sh -c "$*" 2>"$work/err" ||
			{ cat "$work/err" >&2; echo "$name failed" >&2; exit 1; }
		cat "$work/time"
	done | sort -n | sed -n 2p
}

T="/usr/bin/time -f '%e %M' -o $work/time"

printf '%-8s %22s | %22s | %22s | %8s %8s\n' "stream" "cat > file" \
	"cat > file && sync" "kt-roll" "vs cat" "vs sync"
for s in $streams
do
	in=$work/stream.$s
	mb=$(( $(wc -c <"$in") / 1048576 ))
	c=$(run cat "cat $in | $T cat >$work/out/copy")
	cs=$(run sync "cat $in | $T sh -c 'cat >$work/out/copy && sync $work/out/copy'")
	k=$(run kt-roll "cat $in | $T kt-roll -q -o $work/out >/dev/null")
	set -- $c $cs $k
	awk -v l="$s" -v mb="$mb" -v c="$1" -v cr="$2" -v s="$3" -v sr="$4" \
		-v k="$5" -v kr="$6" 'BEGIN {
		printf "%-8s %8.0f MB/s %6.1f MiB | %8.0f MB/s %6.1f MiB | %8.0f MB/s %6.1f MiB | %7.2fx %7.2fx\n",
			l " " mb "M", mb / c, cr / 1024, mb / s, sr / 1024,
			mb / k, kr / 1024, c / k, s / k }'
done
echo "(median of 3; ratio: kt-roll throughput / the other's; RSS: peak of the storing process)"
