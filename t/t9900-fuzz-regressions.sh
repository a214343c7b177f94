#!/bin/sh

test_description='the fuzz harnesses replayed over their corpora and findings

Each harness of t/fuzz/ (see t/fuzz/README) checks invariants of a parser
of untrusted input: the recogniser, the manifest reader, the path-list
reader, the SQL filter, kt-tar -x name checks, libarchive against the
recogniser.  Here they run, built with the normal compiler, over every
seed of t/fuzz/corpus/NAME and every finding of t/fuzz/findings/NAME:
each must pass.  A finding whose bug is not fixed yet is a known
failure, named below.'

. "$(dirname "$0")/test-lib.sh"

FUZZ=$TEST_DIRECTORY/fuzz

# replay NAME FILE...: the harness NAME over FILEs; a broken invariant
# aborts it.
replay () {
	name=$1
	shift
	"$top_builddir/t/fuzz/replay-$name" "$@"
}

# Findings with a test of their own below, which says what the bug was:
# "NAME/FILE", one a line.  Every other finding is replayed by the loop.
own_test='
check/tar-mode-not-octal-cut.tar
tarread/pax-path-nul.tar
tarread/typeflag-unknown.tar
tarread/typeflag0-dir-slash.tar
tarread/ustar-magic-odd-6th.tar
'

for name in check manifest pathlist sqlf names tarread
do
	test_expect_success "$name: every seed of its corpus passes" '
		ls "$FUZZ/corpus/$name" >seeds &&
		test -s seeds &&
		replay $name "$FUZZ/corpus/$name"/*
	'
	for f in "$FUZZ/findings/$name"/*
	do
		test -f "$f" || continue
		case $own_test in
		*"
$name/${f##*/}
"*)
			continue ;;
		esac
		test_expect_success "$name: finding ${f##*/} passes" '
			replay $name "$f"
		'
	done
done

# common/kt_check.c, detect(), was: a first block of 512 bytes fed at
# once was a tar when its checksum was right, but fed in smaller pieces
# tar_possible() ruled it out as soon as the mode field showed a byte
# that is not an octal digit ("0000648"), and the stream became unknown
# data, whose end nobody checked.  This archive, cut inside its first
# member, was refused when read whole and accepted when read in pieces.
test_expect_success 'check: a tar header with a non-octal mode, whatever the split' '
	replay check "$FUZZ/findings/check/tar-mode-not-octal-cut.tar"
'

# The recogniser (common/kt_check_tar.c) and libarchive read these
# members differently, and the recogniser accepted them: a manifest
# written from its own view would vouch for what libarchive does not
# extract.  Each is now refused, as a header two parsers could read
# differently.

# A pax "path" record holding a NUL byte: libarchive (and GNU tar) cut
# the name at the NUL ("a"), the recogniser kept all of it ("a\0b").
test_expect_success 'tarread: pax path with a NUL byte is one name' '
	replay tarread "$FUZZ/findings/tarread/pax-path-nul.tar"
'

# Typeflag "Q", which no format defines: libarchive extracts a regular
# file with its data, the recogniser counted another type (or size).
test_expect_success 'tarread: a member of unknown typeflag is one type' '
	replay tarread "$FUZZ/findings/tarread/typeflag-unknown.tar"
'

# Typeflag "0" named "dir/": libarchive makes it a directory (as GNU tar
# does for old archives), the recogniser a regular file; now refused.
test_expect_success 'tarread: typeflag 0 named dir/ is one type' '
	replay tarread "$FUZZ/findings/tarread/typeflag0-dir-slash.tar"
'

# Magic "ustar" with a 6th byte that is neither NUL nor space and a
# prefix field: libarchive joins prefix and name ("pre/m1"), the
# recogniser did not ("m1").
test_expect_success 'tarread: ustar magic with an odd 6th byte is one name' '
	replay tarread "$FUZZ/findings/tarread/ustar-magic-odd-6th.tar"
'

test_expect_success 'the replay driver fails on a file it cannot read' '
	test_expect_code 1 replay check no-such-file
'

test_done
