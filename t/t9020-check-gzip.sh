#!/bin/sh

test_description='the stream recogniser on gzip streams

Every member is inflated to its trailer; what it inflates to is checked
too, down to a kt-tar manifest.  Cuts, flipped bits and junk after the
end are refused.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t9010/lib-check.sh"

MKKT=$TEST_DIRECTORY/t9010/mkkt.py

# About this many cuts and flips are tried per stream.
if test_have_prereq SANITIZED
then
	TRIES=40
else
	TRIES=150
fi

test_expect_success 'setup' '
	mkdir -p tree/d &&
	head -c 20000 /dev/urandom >tree/d/random &&
	seq 1 20000 >tree/d/numbers &&
	ln -s numbers tree/d/link &&
	(cd tree && find . | sort) >list &&
	tar cf plain.tar -C tree . &&
	gzip -n <plain.tar >plain.tar.gz &&
	printf -- "--\n-- PostgreSQL database dump\n--\n\nSELECT 1;\n\n--\n-- PostgreSQL database dump complete\n--\n\n" >dump.sql &&
	gzip -n <dump.sql >dump.sql.gz &&
	seq 1 1000 | gzip -n >numbers.gz
'

test_expect_success 'complete gzip streams, and what they hold' '
	kt-check-stream --describe <plain.tar.gz >actual &&
	cat >expect <<-\EOF &&
	format=gzip inner=tar suffix=.tar.gz manifest=none
	gzip-compressed tar archive
	EOF
	test_cmp expect actual &&
	kt-check-stream --describe <dump.sql.gz >actual &&
	cat >expect <<-\EOF &&
	format=gzip inner=pgdump suffix=.sql.gz manifest=none
	gzip-compressed PostgreSQL dump
	EOF
	test_cmp expect actual &&
	kt-check-stream --describe <numbers.gz >actual &&
	cat >expect <<-\EOF &&
	format=gzip inner=unknown suffix=.gz manifest=none
	gzip-compressed data
	EOF
	test_cmp expect actual &&
	: | gzip -n >empty.gz &&
	kt-check-stream <empty.gz >actual &&
	echo "format=gzip inner=empty suffix=.gz manifest=none" >expect &&
	test_cmp expect actual
'

test_expect_success 'a compressed kt-tar archive is verified down to its manifest' '
	(cd tree && python3 "$MKKT" <../list) >kt.tar &&
	gzip -n <kt.tar >kt.tar.gz &&
	kt-check-stream --hash --describe <kt.tar.gz >actual &&
	cat >expect <<-\EOF &&
	format=gzip inner=tar suffix=.tar.gz manifest=verified
	gzip-compressed kt-tar archive
	EOF
	test_cmp expect actual &&
	kt-check-stream <kt.tar.gz >actual &&
	grep "manifest=structure$" actual &&
	(cd tree && python3 "$MKKT" --flip-data 0 <../list) | gzip -n >flip.tar.gz &&
	refuses --grep "^kt-check-stream: in the data inflated from the gzip stream: kt-tar manifest does not match member .*SHA-256 differs" flip.tar.gz --hash &&
	(cd tree && python3 "$MKKT" --no-manifest <../list) | gzip -n >lost.tar.gz &&
	refuses --grep "inflated .*has lost its manifest" lost.tar.gz
'

test_expect_success 'a complete gzip of a cut tar is refused' '
	head -c 1024 plain.tar | gzip -n >cuttar.gz &&
	refuses --grep "in the data inflated from the gzip stream: tar archive ends at byte 1024 without its end-of-archive marker" cuttar.gz
'

test_expect_success 'every cut of a gzip stream is refused' '
	size=$(wc -c <kt.tar.gz) &&
	for i in $(seq 2 $((size / TRIES + 1)) $((size - 1))) $((size - 1)) \
		$((size - 4)) $((size - 8)) 10
	do
		head -c $i kt.tar.gz >cut &&
		test_expect_code 3 kt-check-stream --hash <cut >out 2>err &&
		grep "^format=gzip " out &&
		grep "gzip stream cut at byte $i" err || return 1
	done
'

test_expect_success 'flipped bits anywhere after the header are refused' '
	python3 -c "if 1:
		import subprocess, sys
		d = open(\"kt.tar.gz\", \"rb\").read()
		step = len(d) // int(sys.argv[1]) + 1
		for i in list(range(10, len(d), step)) + [len(d) - 1, len(d) - 5]:
		    b = bytearray(d)
		    b[i] ^= 1 << (i % 8)
		    r = subprocess.run([\"kt-check-stream\", \"--hash\"],
		        input=bytes(b), capture_output=True)
		    if r.returncode != 3:
		        sys.exit(\"flip at %d: exit %d\" % (i, r.returncode))
		" $TRIES
'

test_expect_success 'the trailer is checked: CRC-32 and length' '
	size=$(wc -c <plain.tar.gz) &&
	python3 -c "if 1:
		d = bytearray(open(\"plain.tar.gz\", \"rb\").read())
		d[-8] ^= 0x40
		open(\"badcrc.gz\", \"wb\").write(d)
		d = bytearray(open(\"plain.tar.gz\", \"rb\").read())
		d[-2] ^= 0x01
		open(\"badlen.gz\", \"wb\").write(d)
		" &&
	refuses --grep "corrupt gzip data near byte [0-9]*: incorrect data check" badcrc.gz &&
	refuses --grep "incorrect length check" badlen.gz
'

test_expect_success 'concatenated members are one stream' '
	head -c 50000 kt.tar | gzip -n >multi.gz &&
	tail -c +50001 kt.tar | gzip -n >>multi.gz &&
	kt-check-stream --hash <multi.gz >actual &&
	echo "format=gzip inner=tar suffix=.tar.gz manifest=verified" >expect &&
	test_cmp expect actual &&
	head -c 50000 kt.tar | gzip -n >part.gz &&
	refuses --grep "inflated .*tar" part.gz
'

test_expect_success 'junk after the last member is refused, zeros too' '
	cp plain.tar.gz junk.gz &&
	printf "junk" >>junk.gz &&
	refuses --grep "junk after the end of the gzip stream at byte $(wc -c <plain.tar.gz)" junk.gz &&
	cp plain.tar.gz zeros.gz &&
	head -c 100 /dev/zero >>zeros.gz &&
	refuses --grep "junk after the end of the gzip stream" zeros.gz &&
	cp plain.tar.gz magic.gz &&
	printf "\037\213\010" >>magic.gz &&
	refuses --grep "gzip stream cut at byte" magic.gz &&
	cp plain.tar.gz half.gz &&
	printf "\037x" >>half.gz &&
	refuses --grep "junk after the end of the gzip stream" half.gz
'

test_expect_success 'the chunk size changes no verdict' '
	for f in plain.tar.gz kt.tar.gz dump.sql.gz numbers.gz empty.gz \
		flip.tar.gz lost.tar.gz cuttar.gz multi.gz part.gz junk.gz \
		zeros.gz magic.gz badcrc.gz badlen.gz
	do
		kt-check-stream --hash <$f >a 2>/dev/null; echo $? >>a
		for c in 1 7 4096
		do
			kt-check-stream --hash --chunk $c <$f >b 2>/dev/null
			echo $? >>b
			test_cmp a b || return 1
		done
	done
'

test_done
