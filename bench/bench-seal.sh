#!/bin/sh
# bench-seal.sh: kt-seal and kt-unseal next to the gpg CLI with the same
# settings, on the same input, in one run.  Prints throughput, the ratio
# (ours / gpg's throughput: above 1 is faster) and peak RSS.  The RSS is
# that of the largest process of the command: for kt-seal and kt-unseal,
# which run gpg as their child, the larger of the two (gpg's, as a rule).
#
#   sh bench/bench-seal.sh [BUILD-DIR]      (default: ./_build)
#   SIZE_MB=1024 by default; TMPDIR is where data and messages go.
set -eu

build=$(cd "${1:-_build}" && pwd)
PATH=$build/bin:$PATH
size_mb=${SIZE_MB:-1024}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktbench.XXXXXX")
GNUPGHOME=$(mktemp -d /tmp/ktbg.XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill all 2>/dev/null; rm -rf "$work" "$GNUPGHOME"' EXIT INT TERM

gpg --batch -q --pinentry-mode loopback --passphrase '' --quick-gen-key \
	'Bench <bench@example.com>' ed25519 sign,cert never 2>/dev/null
fpr=$(gpg --batch --with-colons -k bench@example.com |
	awk -F: '$1 == "fpr" { print $10; exit }')
gpg --batch -q --pinentry-mode loopback --passphrase '' \
	--quick-add-key "$fpr" cv25519 encr never 2>/dev/null

echo "generating ${size_mb} MiB of random data in $work"
head -c $((size_mb * 1048576)) /dev/urandom >"$work/data"
cat "$work/data" >/dev/null

# run NAME CMD...: seconds and peak RSS (KiB) of CMD, input/output as
# redirected by the caller inside CMD.
run() {
	name=$1; shift
	/usr/bin/time -f '%e %M' -o "$work/time" sh -c "$*" 2>"$work/err" ||
		{ cat "$work/err" >&2; echo "$name failed" >&2; exit 1; }
	read -r secs rss <"$work/time"
	echo "$name $secs $rss"
}

row() { # label gpg-line ours-line
	set -- "$1" $2 $3
	awk -v l="$1" -v gs="$3" -v gr="$4" -v os="$6" -v or="$7" -v mb="$size_mb" \
	'BEGIN { printf "%-38s %7.0f MB/s %6.1f MiB | %7.0f MB/s %6.1f MiB | %5.2fx\n",
		l, mb / gs, gr / 1024, mb / os, or / 1024, gs / os }'
}

gpg_e="gpg --batch -q --yes --trust-model always -r $fpr -e"
printf '%-38s %23s | %23s | %s\n' "" "gpg CLI" "kt-tools" "ratio"

g=$(run gpg "$gpg_e -z 0 <$work/data >$work/g.gpg")
k=$(run kt "kt-seal --no-compress -r $fpr <$work/data >$work/k.gpg")
row "encrypt, no compression" "$g" "$k"

g=$(run gpg "$gpg_e -z 0 <$work/data | cat >/dev/null")
k=$(run kt "kt-seal --no-compress -r $fpr <$work/data | cat >/dev/null")
row "encrypt, no compression, to a pipe" "$g" "$k"

g=$(run gpg "$gpg_e <$work/data >$work/gz.gpg")
k=$(run kt "kt-seal -r $fpr <$work/data >$work/kz.gpg")
row "encrypt, default compression" "$g" "$k"

g=$(run gpg "gpg --batch -q -d <$work/g.gpg >/dev/null")
k=$(run kt "kt-unseal --stream <$work/g.gpg >/dev/null")
row "decrypt --stream" "$g" "$k"

g=$(run gpg "gpg --batch -q -d <$work/g.gpg | cat >/dev/null")
k=$(run kt "kt-unseal --stream <$work/g.gpg | cat >/dev/null")
row "decrypt --stream, to a pipe" "$g" "$k"

g=$(run gpg "gpg --batch -q --yes -d -o $work/plain.g <$work/g.gpg")
k=$(run kt "kt-unseal -o $work/plain.k <$work/g.gpg")
row "decrypt -o FILE (held until verified)" "$g" "$k"

g=$(run gpg "gpg --batch -q -d <$work/g.gpg >/dev/null")
k=$(run kt "kt-unseal <$work/g.gpg >/dev/null")
row "decrypt, held in TMPDIR, to stdout" "$g" "$k"

cmp "$work/data" "$work/plain.k"
