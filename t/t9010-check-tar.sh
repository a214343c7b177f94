#!/bin/sh

test_description='the stream recogniser on tar archives and kt-tar manifests

Complete archives of GNU tar, bsdtar and Python are accepted; every cut
short of the end-of-archive marker, junk after it, bad headers and sizes
are refused with the byte offset.  kt-tar archives, written by an
independent Python implementation of common/kt_manifest.h (t9010/mkkt.py)
and by the C writer the way kt-tar writes them (kt-mkarchive), are
checked down to their manifest, and stock tar readers handle them
without a word.'

. "$(dirname "$0")/test-lib.sh"

if ! test_have_prereq PYTHON3
then
	skip_all='python3 with tarfile not found'
	test_done
fi

MKKT=$TEST_DIRECTORY/t9010/mkkt.py

# Cuts tried between the 512-byte boundaries; fewer under the sanitizers.
if test_have_prereq SANITIZED
then
	STEP=4999
else
	STEP=997
fi

complete_at () {
	python3 "$MKKT" --complete-at <"$1"
}

# refuses [--grep RE] ARCHIVE [OPTIONS]: kt-check-stream exits 3 with one
# "kt-check-stream: " line matching RE (default: anything).
refuses () {
	refuses_re_=.
	if test "$1" = --grep
	then
		refuses_re_=$2
		shift 2
	fi
	refuses_a_=$1
	shift
	test_expect_code 3 kt-check-stream "$@" <"$refuses_a_" >refuses.out \
		2>refuses.err &&
	test_line_count = 1 refuses.err &&
	grep "^kt-check-stream: " refuses.err &&
	grep -e "$refuses_re_" refuses.err
}

# check_cuts ARCHIVE FIRST [OPTIONS]: every cut from FIRST bytes on,
# at every 512-byte boundary and odd offsets between, up to where the
# archive is complete, is refused as a cut tar.
check_cuts () {
	cc_a_=$1
	cc_first_=$2
	shift 2
	cc_end_=$(complete_at "$cc_a_") &&
	test "$cc_end_" -gt 1024 || return 1
	for cc_i_ in $(seq 512 512 $((cc_end_ - 1))) \
		$(seq "$cc_first_" "$STEP" $((cc_end_ - 1))) $((cc_end_ - 1))
	do
		head -c "$cc_i_" "$cc_a_" >cut
		kt-check-stream "$@" <cut >cut.out 2>cut.err
		test $? = 3 && grep "^format=tar " cut.out >/dev/null &&
		grep "tar" cut.err >/dev/null && continue
		echo "cut of $cc_a_ at $cc_i_ was not refused as a tar:"
		cat cut.out cut.err
		return 1
	done
	# And from where it is complete on, it is complete.
	head -c "$cc_end_" "$cc_a_" >cut &&
	kt-check-stream "$@" <cut >/dev/null
}

# fixhdr FILE HEADER-OFFSET FIELD-OFFSET HEX: overwrite bytes of a header
# and give it a correct checksum again.
fixhdr () {
	python3 - "$@" <<-\EOF
	import sys
	f, h, o, hx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
	d = bytearray(open(f, "rb").read())
	b = bytes.fromhex(hx)
	d[h + o:h + o + len(b)] = b
	d[h + 148:h + 156] = b" " * 8
	d[h + 148:h + 156] = b"%06o\0 " % sum(d[h:h + 512])
	open(f, "wb").write(d)
	EOF
}

# offset_of ARCHIVE NAME: where the header of member NAME starts.
offset_of () {
	python3 - "$1" "$2" <<-\EOF
	import sys, tarfile
	for m in tarfile.open(sys.argv[1]):
	    if m.name.rstrip("/") == sys.argv[2]:
	        print(m.offset)
	        break
	EOF
}

# stock_tools_read ARCHIVE TREE [WAYS]: GNU tar, bsdtar and Python list
# and extract ARCHIVE, from a file and from a pipe (or the WAYS named),
# with exit 0, not a word on stderr, and exactly the files of TREE
# (nothing of the manifest).  In a UTF-8 locale, as an operator has: in
# "C", bsdtar cannot name the non-ASCII file of the tree.
stock_tools_read () (
	LC_ALL=C.UTF-8
	export LC_ALL
	st_a_=$1
	st_ways_=${3:-gnu-file gnu-pipe bsd-file bsd-pipe py-file py-pipe}
	(cd "$2" && find . -print0 | sort -z) >st.want &&
	for st_how_ in $st_ways_
	do
		rm -rf st.x && mkdir st.x &&
		case $st_how_ in
		gnu-file)
			tar tvf "$st_a_" >st.list 2>st.err &&
			tar xf "$st_a_" -C st.x 2>>st.err ;;
		gnu-pipe)
			cat "$st_a_" | tar tvf - >st.list 2>st.err &&
			cat "$st_a_" | tar xf - -C st.x 2>>st.err ;;
		bsd-file)
			bsdtar tvf "$st_a_" >st.list 2>st.err &&
			bsdtar xf "$st_a_" -C st.x 2>>st.err ;;
		bsd-pipe)
			bsdtar tvf - <"$st_a_" >st.list 2>st.err &&
			bsdtar xf - -C st.x <"$st_a_" 2>>st.err ;;
		py-file)
			python3 -W error -c "if 1:
				import sys, tarfile
				with tarfile.open(sys.argv[1]) as t:
				    t.getnames()
				with tarfile.open(sys.argv[1]) as t:
				    t.extractall(sys.argv[2])
				" "$st_a_" st.x 2>st.err ;;
		py-pipe)
			python3 -W error -c "if 1:
				import sys, tarfile
				with tarfile.open(fileobj=sys.stdin.buffer,
				                  mode=\"r|\") as t:
				    t.extractall(sys.argv[1])
				" st.x <"$st_a_" 2>st.err ;;
		esac || { echo "$st_how_ failed on $st_a_"; cat st.err; return 1; }
		test ! -s st.err || { echo "$st_how_ said:"; cat st.err; return 1; }
		(cd st.x && find . -print0 | sort -z) >st.got &&
		cmp st.want st.got ||
		{ echo "$st_how_ extracted another tree from $st_a_"; return 1; }
	done
)

test_expect_success 'setup: a tree with long, odd and linked names' '
	mkdir -p tree/dir/sub tree/empty &&
	echo hello >tree/dir/hello &&
	: >tree/dir/empty-file &&
	head -c 60000 /dev/urandom >tree/dir/random &&
	ln -s hello tree/dir/symlink &&
	ln -s ../../nowhere tree/dir/sub/dangling &&
	ln tree/dir/hello tree/dir/hardlink &&
	long=$(printf "%0120d" 0 | tr 0 l) &&
	mkdir -p "tree/$long/$long" &&
	echo deep >"tree/$long/$long/$long" &&
	echo tab >"tree/dir/$(printf "a\tb")" &&
	echo backslash >"tree/dir/back\\slash" &&
	echo del >"tree/dir/$(printf "del\177")" &&
	echo utf8 >"tree/dir/$(printf "Zo\303\253")" &&
	echo nl >"tree/dir/$(printf "new\nline")" &&
	(cd tree && find . -print0 | LC_ALL=C sort -z) >list0 &&
	# A plain tree that ustar and v7 can hold.
	mkdir -p simple/d &&
	echo one >simple/d/one &&
	head -c 30000 /dev/urandom >simple/d/two &&
	ln -s one simple/d/link
'

test_expect_success GNUTAR 'GNU tar archives in every format are complete' '
	tar --format=gnu -cf gnu.tar -C tree . &&
	tar --format=oldgnu -cf oldgnu.tar -C tree . &&
	tar --format=pax -cf pax.tar -C tree . &&
	tar --format=ustar -cf ustar.tar -C simple . &&
	tar --format=v7 -cf v7.tar -C simple . &&
	for f in gnu oldgnu pax ustar v7
	do
		kt-check-stream --describe <$f.tar >actual &&
		cat >expect <<-\EOF &&
		format=tar inner=none suffix=.tar manifest=none
		tar archive
		EOF
		test_cmp expect actual || return 1
	done
'

test_expect_success BSDTAR 'bsdtar archives are complete' '
	bsdtar -cf bsd.tar -C tree . &&
	bsdtar --format=ustar -cf bsd-ustar.tar -C simple . &&
	bsdtar --format=gnutar -cf bsd-gnu.tar -C tree . &&
	for f in bsd bsd-ustar bsd-gnu
	do
		kt-check-stream <$f.tar >actual &&
		grep "^format=tar inner=none suffix=.tar manifest=none$" actual ||
		return 1
	done
'

test_expect_success 'Python tarfile archives are complete' '
	for fmt in USTAR GNU PAX
	do
		python3 -c "if 1:
			import tarfile, sys
			src = \"simple\" if sys.argv[1] == \"USTAR\" else \"tree\"
			with tarfile.open(\"py-\" + sys.argv[1] + \".tar\", \"w\",
			    format=getattr(tarfile, sys.argv[1] + \"_FORMAT\")) as t:
			    t.add(src, arcname=\".\")
			" $fmt &&
		kt-check-stream <py-$fmt.tar >actual &&
		grep "^format=tar " actual || return 1
	done
'

test_expect_success GNUTAR,BSDTAR 'every cut of a tar before its end is refused' '
	for f in gnu pax ustar v7 bsd py-PAX
	do
		check_cuts $f.tar 513 || return 1
	done
'

test_expect_success GNUTAR 'the messages say where the tar was cut' '
	first=$(offset_of gnu.tar ./dir/hello) &&
	second=$((first + 1024)) &&
	head -c "$second" gnu.tar >at-boundary.tar &&
	refuses --grep "ends at byte $second without its end-of-archive marker" at-boundary.tar &&
	head -c $((second + 100)) gnu.tar >in-header.tar &&
	refuses --grep "cut inside a header at byte $((second + 100)) (the header at byte $second has 100 of its 512 bytes)" in-header.tar &&
	random=$(offset_of gnu.tar ./dir/random) &&
	head -c $((random + 5000)) gnu.tar >in-data.tar &&
	refuses --grep "member \"./dir/random\" at byte $random has 60000 bytes of data, but the input ends after 4488 of them" in-data.tar &&
	head -c $((random + 512 + 60000 + 10)) gnu.tar >in-pad.tar &&
	refuses --grep "cut inside the padding" in-pad.tar &&
	end=$(complete_at gnu.tar) &&
	head -c $((end - 512)) gnu.tar >one-zero.tar &&
	refuses --grep "cut after the first zero block of its end-of-archive marker" one-zero.tar &&
	head -c $((end - 100)) gnu.tar >in-zero.tar &&
	refuses --grep "cut inside its end-of-archive marker" in-zero.tar
'

test_expect_success GNUTAR 'junk after the end is refused, zeros are not' '
	end=$(complete_at gnu.tar) &&
	cat gnu.tar >zeros.tar &&
	head -c 12345 /dev/zero >>zeros.tar &&
	kt-check-stream <zeros.tar &&
	cp gnu.tar junk.tar &&
	printf x >>junk.tar &&
	refuses --grep "junk after the end of the tar archive at byte $(wc -c <gnu.tar)" junk.tar &&
	cat gnu.tar ustar.tar >two.tar &&
	refuses --grep "junk after the end of the tar archive at byte $(wc -c <gnu.tar)" two.tar &&
	# One zero block, then more members: readers stop at the zero block.
	head -c $((end - 1024)) gnu.tar >lone.tar &&
	head -c 512 /dev/zero >>lone.tar &&
	cat ustar.tar >>lone.tar &&
	refuses --grep "a lone zero block at byte $((end - 1024)) is followed by data" lone.tar
'

test_expect_success GNUTAR 'a header with a bad checksum is refused' '
	# The first header is what makes a tar known: spoilt, the input
	# is just unknown data.
	cp gnu.tar badsum.tar &&
	printf X | dd of=badsum.tar bs=1 seek=3 conv=notrunc 2>/dev/null &&
	kt-check-stream <badsum.tar >actual &&
	grep "^format=unknown " actual &&
	at=$(offset_of gnu.tar ./dir/hello) &&
	cp gnu.tar badsum2.tar &&
	printf X | dd of=badsum2.tar bs=1 seek=$((at + 10)) conv=notrunc 2>/dev/null &&
	refuses --grep "tar header at byte $at has a bad checksum" badsum2.tar
'

test_expect_success GNUTAR 'sizes past the input, huge or negative, never overflow' '
	at=$(offset_of gnu.tar ./dir/hello) &&
	cp gnu.tar octal.tar &&
	fixhdr octal.tar $at 124 $(printf "77777777777" | od -An -tx1 | tr -d " \n")00 &&
	refuses --grep "at byte $at has 8589934591 bytes of data, but the input ends" octal.tar &&
	cp gnu.tar exa.tar &&
	# base-256: 2^63 bytes, 8 EiB.
	fixhdr exa.tar $at 124 800000008000000000000000 &&
	refuses --grep "has 9223372036854775808 bytes of data" exa.tar &&
	cp gnu.tar max.tar &&
	fixhdr max.tar $at 124 80000000ffffffffffffffff &&
	refuses --grep "has 18446744073709551615 bytes of data" max.tar &&
	cp gnu.tar over.tar &&
	fixhdr over.tar $at 124 800000010000000000000000 &&
	refuses --grep "size field out of range" over.tar &&
	cp gnu.tar neg.tar &&
	fixhdr neg.tar $at 124 ffffffffffffffffffffffff &&
	refuses --grep "size field out of range" neg.tar &&
	cp gnu.tar nan.tar &&
	fixhdr nan.tar $at 124 3132383900 &&
	fixhdr nan.tar $at 124 78797a &&
	refuses --grep "size field that is not a number" nan.tar
'

test_expect_success GNUTAR 'entries whose data tar readers disagree about are refused' '
	at=$(offset_of gnu.tar ./dir/symlink) &&
	cp gnu.tar symdata.tar &&
	fixhdr symdata.tar $at 124 $(printf "00000001000" | od -An -tx1 | tr -d " \n")00 &&
	refuses --grep "symbolic link with 512 bytes of data" symdata.tar
'

test_expect_success GNUTAR 'malformed pax records are refused' '
	tar --format=pax -cf px.tar -C tree ./dir/hello &&
	python3 - px.tar <<-\EOF &&
	import sys
	d = bytearray(open(sys.argv[1], "rb").read())
	i = d.index(b" atime=")
	d[i - 2:i] = b"99"      # claims more than the record has
	open("px-len.tar", "wb").write(d)
	EOF
	fixhdr px-len.tar 0 0 00 &&
	refuses --grep "extended header at byte 0 is malformed" px-len.tar
'

test_expect_success 'kt-tar archives by the Python writer are verified' '
	(cd tree && python3 "$MKKT" --null <../list0) >kt.tar &&
	kt-check-stream --hash --describe <kt.tar >actual &&
	cat >expect <<-\EOF &&
	format=tar inner=none suffix=.tar manifest=verified
	kt-tar archive
	EOF
	test_cmp expect actual &&
	kt-check-stream <kt.tar >actual &&
	echo "format=tar inner=none suffix=.tar manifest=structure" >expect &&
	test_cmp expect actual &&
	for o in --eoa-pad --no-pad --gnu-longname "--part-max 300" \
		"--part-max 300 --eoa-pad"
	do
		(cd tree && python3 "$MKKT" --null $o <../list0) >kt-v.tar &&
		kt-check-stream --hash <kt-v.tar >actual &&
		grep "manifest=verified$" actual || return 1
	done
'

test_expect_success 'the manifest names every member, escaped' '
	python3 "$MKKT" --manifest <kt.tar >manifest &&
	grep " f 3 ./dir/new\\\\nline$" manifest &&
	grep " f 4 ./dir/a\\\\x09b$" manifest &&
	grep " f 10 ./dir/back\\\\\\\\slash$" manifest &&
	grep " f 4 ./dir/del\\\\x7f$" manifest &&
	grep " d 0 ./empty$" manifest &&
	grep "^$(printf hello | sha256sum | cut -c1-64) l 0 ./dir/symlink$" manifest &&
	grep "^$(printf ./dir/hardlink | sha256sum | cut -c1-64) h 0 ./dir/hello$" manifest &&
	grep "^$(sha256sum <tree/dir/random | cut -c1-64) f 60000 ./dir/random$" manifest &&
	test "$(tail -n 1 manifest)" = "members $(tr -cd "\0" <list0 | wc -c)"
'

test_expect_success 'a changed member fails the manifest under --hash only' '
	n=$(grep -n " ./dir/random$" manifest | cut -d: -f1) &&
	files=$(head -n $((n - 1)) manifest | grep -c "^[0-9a-f]* f ") &&
	(cd tree && python3 "$MKKT" --null --flip-data "$files" <../list0) >flip.tar &&
	refuses --grep "kt-tar manifest does not match member $n \"./dir/random\": its SHA-256 differs" flip.tar --hash &&
	kt-check-stream <flip.tar >actual &&
	grep "manifest=structure$" actual
'

test_expect_success 'a lost, moved or miscounted manifest is refused' '
	(cd tree && python3 "$MKKT" --null --no-manifest <../list0) >lost.tar &&
	refuses --grep "kt-tar archive has lost its manifest" lost.tar &&
	(cd tree && python3 "$MKKT" --null --manifest-inside <../list0) >inside.tar &&
	refuses --grep "has lost its manifest" inside.tar &&
	(cd tree && python3 "$MKKT" --null --drop-line 3 <../list0) >drop.tar &&
	refuses --grep "it names \"./dir/back.*\" as member 4, the archive has another member there" drop.tar &&
	(cd tree && python3 "$MKKT" --null --drop-line 17 <../list0) >droplast.tar &&
	members=$(tr -cd "\0" <list0 | wc -c) &&
	refuses --grep "kt-tar manifest lists 17 members, the archive has $members" droplast.tar &&
	(cd tree && python3 "$MKKT" --null --extra-line <../list0) >extra.tar &&
	refuses --grep "lists more members than the archive.s $members (\"ghost\"" extra.tar &&
	(cd tree && python3 "$MKKT" --null --count-delta 1 <../list0) >count.tar &&
	refuses --grep "its members line says $((members + 1)) but it lists $members" count.tar
'

test_expect_success 'anything after the manifest, or a manifest without marker, is refused' '
	(cd tree && python3 "$MKKT" --null --after-manifest <../list0) >after.tar &&
	refuses --grep "junk after the kt-tar manifest at byte" after.tar &&
	(cd tree && python3 "$MKKT" --null --no-start <../list0) >nostart.tar &&
	refuses --grep "junk after the end of the tar archive" nostart.tar &&
	cp kt.tar ktjunk.tar &&
	printf x >>ktjunk.tar &&
	refuses --grep "junk after the end of the kt-tar archive at byte $(wc -c <kt.tar)" ktjunk.tar
'

test_expect_success 'every cut of a kt-tar archive is refused' '
	(cd tree && python3 "$MKKT" --null --part-max 700 --eoa-pad <../list0) >kt-parts.tar &&
	check_cuts kt.tar 15 --hash &&
	check_cuts kt.tar 15 &&
	check_cuts kt-parts.tar 15 --hash
'

test_expect_success 'where a kt-tar archive was cut is named' '
	end=$(complete_at kt.tar) &&
	head -c $((end - 512)) kt.tar >c1.tar &&
	refuses --grep "cut before the zero blocks that end its manifest, at byte $((end - 512))" c1.tar &&
	head -c $((end - 1024 - 100)) kt.tar >c2.tar &&
	refuses --grep "cut inside its manifest" c2.tar
'

test_expect_success 'the C writer makes what the Python writer makes' '
	# In a UTF-8 locale, as kt-tar should run: in "C", libarchive
	# marks non-ASCII names hdrcharset=BINARY and GNU tar warns.
	(cd tree && LC_ALL=C.UTF-8 kt-mkarchive --null <../list0) >c.tar &&
	kt-check-stream --hash <c.tar >actual &&
	grep "manifest=verified$" actual &&
	python3 "$MKKT" --manifest <c.tar >c.manifest &&
	test_cmp manifest c.manifest &&
	test $(($(wc -c <c.tar) % 10240)) = 0 &&
	check_cuts c.tar 15 --hash
'

test_expect_success GNUTAR,BSDTAR 'stock tar readers read kt-tar archives without a word' '
	stock_tools_read kt.tar tree &&
	stock_tools_read c.tar tree &&
	stock_tools_read kt-parts.tar tree
'

test_expect_success 'setup: thousands of members, a manifest in parts' '
	mkdir many &&
	python3 -c "if 1:
		import os
		for d in range(7):
		    os.mkdir(\"many/d%d\" % d)
		    for f in range(900):
		        with open(\"many/d%d/file-%04d\" % (d, f), \"w\") as fh:
		            fh.write(\"x\" * (f % 70))
		" &&
	(cd many && find . | sort) >many.list &&
	(cd many && kt-mkarchive <../many.list) >many.tar &&
	test $(grep -c -a "kt-tar manifest 1 part 2" many.tar) = 1 &&
	(cd many && python3 "$MKKT" <../many.list) >many-py.tar &&
	python3 "$MKKT" --manifest <many.tar >m1 &&
	python3 "$MKKT" --manifest <many-py.tar >m2 &&
	test_cmp m1 m2 &&
	test_line_count = 6309 m1
'

test_expect_success 'thousands of members are verified' '
	kt-check-stream --hash <many.tar >actual &&
	grep "manifest=verified$" actual &&
	kt-check-stream --hash <many-py.tar >actual &&
	grep "manifest=verified$" actual
'

test_expect_success GNUTAR,BSDTAR 'stock tar readers read them without a word' '
	stock_tools_read many.tar many "gnu-file bsd-pipe py-file"
'

test_expect_success 'an abandoned archive of the C writer is refused' '
	(cd tree && tr "\0" "\n" <../list0 | grep -v line |
		test_expect_code 1 kt-mkarchive --fail-after 5) >failed.tar &&
	refuses --grep "without its end-of-archive marker\|cut inside" failed.tar --hash
'

test_expect_success 'the chunk size changes no verdict and no message' '
	for f in gnu.tar pax.tar kt.tar c.tar kt-parts.tar flip.tar lost.tar \
		drop.tar after.tar count.tar exa.tar symdata.tar px-len.tar \
		lone.tar junk.tar in-data.tar c1.tar c2.tar
	do
		test -f $f || continue
		kt-check-stream --hash <$f >a 2>&1; echo $? >>a
		for c in 1 511 4097
		do
			kt-check-stream --hash --chunk $c <$f >b 2>&1; echo $? >>b
			test_cmp a b || return 1
		done
	done
'

test_done
