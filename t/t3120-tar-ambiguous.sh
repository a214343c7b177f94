#!/bin/sh

test_description='kt-tar refuses headers tar readers read differently, in every mode alike

A member of unknown type, a "file" named dir/, "ustar" magic that is
neither POSIX nor GNU, a mode field that is not octal, sparse files and
global headers that set sizes or names mean one thing to libarchive and
another to GNU tar or to the stream check: kt-tar -t, -x, -x --exclude
and -x --to-stdout all refuse them with the same message and exit 3,
whether or not a kt-tar manifest claims they match, and extract nothing.
What the check lets through is then compared with what libarchive
delivers.  Numbers are read by value: pax records with leading zeros are
read, as GNU tar and bsdtar read them.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

if ! test_have_prereq PYTHON3
then
	skip_all='the archives are built with Python'
	test_done
fi

# mk [--kt] CASE: the archive CASE.tar, or kt-CASE.tar with a manifest
# that lists the members as the stream check used to read them.
mk () {
	if test "$1" = --kt
	then
		python3 "$TEST_DIRECTORY/t3120/mkambiguous.py" --kt "$2" >"kt-$2.tar"
	else
		python3 "$TEST_DIRECTORY/t3120/mkambiguous.py" "$1" >"$1.tar"
	fi
}

unchanged () {
	tree_state target >now &&
	test_cmp target.state now &&
	check_sentinel &&
	no_kt_staging target
}

# refused_everywhere ARCHIVE MESSAGE: kt-tar -t, -x, -x --exclude and
# -x --to-stdout exit 3 with MESSAGE, -t and -x with the same line, and
# nothing changes.
refused_everywhere () {
	test_expect_code 3 kt-tar -t <"$1" >/dev/null 2>err.t &&
	grep "^kt-tar: standard input: .*$2" err.t &&
	test_expect_code 3 kt-tar -x -C target <"$1" 2>err.x &&
	grep "^kt-tar: standard input: .*$2" err.x &&
	test_expect_code 3 kt-tar -x -C target --exclude "*" <"$1" 2>err.e &&
	grep "^kt-tar: standard input: .*$2" err.e &&
	test_expect_code 3 kt-tar -x --to-stdout after <"$1" >out 2>err.o &&
	grep "^kt-tar: standard input: .*$2" err.o &&
	test ! -s out &&
	grep "^kt-tar: standard input: " err.t >m.t &&
	grep "^kt-tar: standard input: " err.x >m.x &&
	test_cmp m.t m.x &&
	unchanged
}

test_expect_success 'setup: a target with files in it, and a sentinel beside it' '
	mkdir -p target/existing-dir &&
	echo keep >target/existing-dir/file &&
	echo old >target/after &&
	setup_sentinel &&
	tree_state target >target.state
'

while read case message
do
	test_expect_success "$case is refused in every mode, with or without a manifest" '
		mk $case && mk --kt $case &&
		refused_everywhere $case.tar "$message" &&
		refused_everywhere kt-$case.tar "$message"
	'
done <<-\CASES
type-z	tar header at byte [0-9]* has type .Z., which kt-tar does not read
type-z-dir	tar header at byte [0-9]* has type .Z.
type-a	tar header at byte [0-9]* has type .A.
file-slash	tar header at byte [0-9]* is a file named "dir/", which tar readers disagree about
magic-ustarx	has the magic "ustar" with a version that is neither POSIX.s nor GNU.s
magic-ustar-space	has the magic "ustar" with a version that is neither
sun-sparse	is a sparse file (SUN.holesdata), which kt-tar does not read
global-size	tar global header at byte [0-9]* sets "size" for the members that follow
pax-size-huge	has a pax size record out of range (beyond 64 bits)
CASES

test_expect_success 'a first header whose mode is not octal is no tar, whatever the read sizes' '
	mk mode-nonoctal &&
	refused_everywhere mode-nonoctal.tar "unrecognised data, not a tar archive" &&
	for c in 1 7 100 511 512 4096
	do
		kt-check-stream --chunk $c <mode-nonoctal.tar >actual &&
		grep "^format=unknown " actual || return 1
	done
'

test_expect_success 'a later header whose mode is not octal is refused' '
	mk --kt mode-nonoctal &&
	refused_everywhere kt-mode-nonoctal.tar "tar header at byte 1024 has a mode field that is not an octal number"
'

# libarchive ends a pax path at a NUL byte, the recogniser used to keep
# it whole; the comparison with what libarchive delivers caught that
# first, and the recogniser now refuses the record itself.
test_expect_success 'a pax path with a NUL byte (two names for one member) is refused' '
	mk pax-path-nul && mk --kt pax-path-nul &&
	refused_everywhere pax-path-nul.tar "has a NUL byte in its pax path record" &&
	refused_everywhere kt-pax-path-nul.tar "has a NUL byte in its pax path record"
'

test_expect_success GNUTAR 'setup: a sparse file' '
	mkdir sp &&
	truncate -s 1M sp/holes &&
	printf "data at start" | dd of=sp/holes conv=notrunc 2>/dev/null &&
	printf "data at 512k" | dd of=sp/holes bs=1 seek=524288 conv=notrunc 2>/dev/null &&
	echo after >sp/after
'

for v in 0.0 0.1 1.0
do
	test_expect_success GNUTAR "GNU sparse format $v gets one verdict in every mode" '
		tar --format=pax --sparse --sparse-version=$v -cf gnu-$v.tar -C sp holes after &&
		refused_everywhere gnu-$v.tar "is a sparse file (GNU.sparse.[a-z]*), which kt-tar does not read"
	'
done

test_expect_success GNUTAR 'GNU sparse type S gets one verdict in every mode' '
	tar --format=gnu --sparse -cf gnu-S.tar -C sp holes after &&
	refused_everywhere gnu-S.tar "is a sparse file (GNU type .S.)"
'

test_expect_success GNUTAR,BSDTAR 'a sparse file by bsdtar gets one verdict; without sparse it is read' '
	bsdtar -cf bsd-sparse.tar -C sp holes after &&
	refused_everywhere bsd-sparse.tar "is a sparse file" &&
	bsdtar --no-read-sparse -cf bsd-plain.tar -C sp holes after &&
	rm -rf x && mkdir x &&
	kt-tar -x -C x <bsd-plain.tar &&
	cmp sp/holes x/holes
'

for case in pax-size-24 pax-zeros
do
	test_expect_success "$case: numbers by value, as GNU tar and bsdtar read them" '
		mk $case && mk --kt $case &&
		if test $case = pax-size-24
		then
			name=file
		else
			name=long/name
		fi &&
		printf hello >expect &&
		if test_have_prereq GNUTAR
		then
			tar xOf $case.tar "$name" >actual &&
			test_cmp expect actual
		fi &&
		if test_have_prereq BSDTAR
		then
			bsdtar xOf $case.tar "$name" >actual &&
			test_cmp expect actual
		fi &&
		for a in $case.tar kt-$case.tar
		do
			kt-tar -t <$a >list &&
			grep -x "$name" list &&
			kt-tar -x --to-stdout "$name" <$a >actual &&
			test_cmp expect actual &&
			rm -rf x && mkdir x &&
			kt-tar -x -C x <$a &&
			test_cmp expect "x/$name" || return 1
		done &&
		kt-check-stream --hash <kt-$case.tar >actual &&
		grep "manifest=verified$" actual
	'
done

test_expect_success 'nothing was left behind' '
	unchanged
'

test_done
