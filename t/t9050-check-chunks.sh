#!/bin/sh

test_description='the stream recogniser: no verdict depends on how the input was split

Every kind of stream the suite makes (tar archives of GNU tar, bsdtar,
Python and kt-tar, hostile and ambiguous ones, gzip, OpenPGP, dumps) and
the fixtures, whole and cut, are fed in chunks of 1, 7, 511, 512 and
4096 bytes and whole, with and without --hash: format, manifest state,
message and exit status must be the same every time.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq PYTHON3
then
	skip_all='the archives are built with Python'
	test_done
fi

# Cuts per stream; fewer under the sanitizers.
if test_have_prereq SANITIZED
then
	CUTS=2
else
	CUTS=9
fi

chunks () {
	python3 "$TEST_DIRECTORY/t9050/chunks.py" --cuts "$CUTS" "$@" >chunks.out
	chunks_rc_=$?
	cat chunks.out
	return $chunks_rc_
}

test_expect_success 'setup: a small tree with long, linked and odd names' '
	mkdir -p tree/dir/sub corpus &&
	echo hello >tree/dir/hello &&
	head -c 3000 /dev/urandom >tree/dir/random &&
	ln -s hello tree/dir/symlink &&
	ln tree/dir/hello tree/dir/hardlink &&
	long=$(printf "%0110d" 0 | tr 0 l) &&
	mkdir -p "tree/$long" &&
	echo deep >"tree/$long/$long" &&
	echo tab >"tree/dir/$(printf "a\tb")" &&
	(cd tree && find . -mindepth 1 | LC_ALL=C sort) >list &&
	mkdir -p simple/d && echo one >simple/d/one && ln -s one simple/d/link
'

test_expect_success GNUTAR 'setup: GNU tar archives, plain and sparse' '
	for f in gnu oldgnu pax
	do
		tar --format=$f -cf corpus/gnu-$f.tar -C tree . || return 1
	done &&
	tar --format=ustar -cf corpus/gnu-ustar.tar -C simple . &&
	tar --format=v7 -cf corpus/gnu-v7.tar -C simple . &&
	truncate -s 300000 sparse &&
	echo data >>sparse &&
	for v in 0.0 0.1 1.0
	do
		tar --format=pax --sparse --sparse-version=$v -cf corpus/sparse-$v.tar sparse || return 1
	done &&
	tar --format=gnu --sparse -cf corpus/sparse-S.tar sparse
'

test_expect_success BSDTAR 'setup: bsdtar archives' '
	bsdtar -cf corpus/bsd.tar -C tree . &&
	bsdtar --format=ustar -cf corpus/bsd-ustar.tar -C simple . &&
	bsdtar --format=gnutar -cf corpus/bsd-gnu.tar -C tree .
'

test_expect_success 'setup: Python, kt-tar, kt-mkarchive and hand-made archives' '
	for fmt in GNU PAX
	do
		python3 -c "if 1:
			import sys, tarfile
			with tarfile.open(sys.argv[2], \"w\",
			    format=getattr(tarfile, sys.argv[1] + \"_FORMAT\")) as t:
			    t.add(\"tree\", arcname=\".\")
			" $fmt corpus/py-$fmt.tar || return 1
	done &&
	LC_ALL=C.UTF-8 kt-tar -c -C tree <list >corpus/kt.tar &&
	LC_ALL=C.UTF-8 kt-tar -c -z -C tree <list >corpus/kt.tar.gz &&
	(cd tree && LC_ALL=C.UTF-8 kt-mkarchive <../list) >corpus/mk.tar &&
	mkkt="$TEST_DIRECTORY/t9010/mkkt.py" &&
	for o in "" --eoa-pad "--part-max 300" --gnu-longname \
		"--flip-data 1" --no-manifest --manifest-inside --after-manifest \
		"--count-delta 1" "--drop-line 2" --extra-line --no-start
	do
		(cd tree && python3 "$mkkt" $o <../list) \
			>"corpus/mkkt$(echo "$o" | tr -d " ").tar" || return 1
	done &&
	for c in $(python3 "$TEST_DIRECTORY/t3050/mkhostile.py" list)
	do
		python3 "$TEST_DIRECTORY/t3050/mkhostile.py" $c >corpus/hostile-$c.tar ||
		return 1
	done &&
	for c in $(python3 "$TEST_DIRECTORY/t3120/mkambiguous.py" list)
	do
		python3 "$TEST_DIRECTORY/t3120/mkambiguous.py" $c >corpus/amb-$c.tar &&
		python3 "$TEST_DIRECTORY/t3120/mkambiguous.py" --kt $c >corpus/amb-kt-$c.tar ||
		return 1
	done
'

test_expect_success 'setup: gzip streams, dumps and odd inputs' '
	gzip -c <corpus/kt.tar >corpus/kt-gzip.tar.gz &&
	gzip -1 -c <corpus/mkkt.tar >corpus/mkkt-1.tar.gz &&
	{ gzip -c <corpus/kt.tar; gzip -c </dev/null; } >corpus/two-members.gz &&
	gzip -c <corpus/kt-gzip.tar.gz >corpus/gzip-gzip.gz &&
	head -c 5000 /dev/urandom >corpus/random &&
	gzip -c <corpus/random >corpus/random.gz &&
	printf "hello, world\n" >corpus/text &&
	: >corpus/empty &&
	cp "$TEST_DIRECTORY/t5010/tricky.sql" corpus/tricky.sql &&
	printf "%s\n" "--" "-- PostgreSQL database dump" "--" "" \
		"\\\\restrict abc" "SELECT 1;" "" "--" \
		"-- PostgreSQL database dump complete" "--" "" \
		"\\\\unrestrict abc" "" >corpus/dump.sql &&
	gzip -c <corpus/dump.sql >corpus/dump.sql.gz
'

test_expect_success GPG 'setup: OpenPGP messages of gpg and kt-seal' '
	gpg_setup &&
	fpr=$(gpg_make_key "Chunk Test" chunk@example.com) &&
	gpg_trust "$fpr" &&
	gpg --batch -q -e -r "$fpr" -o corpus/msg.gpg corpus/kt.tar &&
	gpg --batch -q -e -a -r "$fpr" -o corpus/msg.asc corpus/text &&
	gpg --batch -q -s -e -r "$fpr" -o corpus/signed.gpg corpus/text &&
	gpg --batch -q -s -o corpus/sign-only.gpg corpus/text &&
	gpg --batch -q -b -o corpus/detached.sig corpus/text &&
	cat corpus/random | gpg --batch -q -e -z 0 -r "$fpr" >corpus/pipe.gpg &&
	echo secret >pass &&
	gpg --batch -q --pinentry-mode loopback --passphrase-file pass \
		-c -o corpus/sym.gpg corpus/text &&
	kt-seal -r "$fpr" <corpus/kt.tar >corpus/sealed.gpg &&
	kt-seal -a -r "$fpr" <corpus/text >corpus/sealed.asc
'

test_expect_success 'a cut archive whose first header has a mode that is not octal: one verdict' '
	python3 "$TEST_DIRECTORY/t3120/mkambiguous.py" mode-nonoctal >nonoctal.tar &&
	head -c 1500 nonoctal.tar >nonoctal-cut.tar &&
	for f in nonoctal.tar nonoctal-cut.tar
	do
		kt-check-stream <$f >whole 2>&1
		echo $? >>whole
		for c in 1 7 100 511 512 4096
		do
			kt-check-stream --chunk $c <$f >actual 2>&1
			echo $? >>actual
			test_cmp whole actual || return 1
		done
	done
'

test_expect_success 'every stream, whole and cut, gets one verdict whatever the chunk size' '
	chunks corpus/* &&
	grep " 0 differ$" chunks.out &&
	test $(ls corpus | wc -l) -gt 60
'

test_expect_success 'the fixtures of the suite get one verdict too' '
	find "$TEST_DIRECTORY" -path "*/t[0-9]*/*" -type f -size -200k >fixtures &&
	test -s fixtures &&
	chunks $(cat fixtures) &&
	grep " 0 differ$" chunks.out
'

test_done
