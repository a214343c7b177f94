#!/bin/sh

test_description='kt-tar -c writes the headers libarchive would write, byte for byte, whichever way a member goes'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/t3000/lib-tar.sh"

test_lazy_prereq USTAR_CMP 'command -v kt-ustar-cmp'

# kt-ustar-cmp abandons a libarchive writer after each header (a member
# of 8 GiB has no data to give it), and libarchive 3.6 leaks what a
# failed writer held: not ours to report.
ustar_cmp () {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" kt-ustar-cmp "$@"
}

# name LEN: a path of LEN bytes under src/, in components of 40 bytes.
name () {
	awk -v n="$1" 'BEGIN {
		s = ""
		for (i = 1; i <= n; i++)
			s = s ((i % 41) == 0 ? "/" : sprintf("%c", 97 + i % 26))
		sub("/$", "z", s)
		print s
	}'
}

test_expect_success USTAR_CMP 'kt_ustar_header builds what libarchive builds, or declines when libarchive needs a pax header' '
	ustar_cmp gen >gen.out &&
	cat gen.out &&
	grep "with a bare header, all equal" gen.out
'

test_expect_success 'setup: members of every kind, at the boundaries of the ustar fields' '
	mkdir src &&
	for len in 6 98 99 100 101 102 154 155 156 157 200 250 255 256 257 300
	do
		# Each its own top directory: a stored path of LEN bytes.
		n=$(printf "l%03d/%s" $len "$(name $((len - 5)))") &&
		mkdir -p "src/$(dirname "$n")" &&
		echo "$len" >"src/$n" || return 1
	done &&
	mkdir -p "src/d099/$(name 94)" "src/d100/$(name 95)" &&
	ln -s "$(name 100)" src/link100 &&
	ln -s "$(name 101)" src/link101 &&
	ln -s "caf$(printf "\303\251")" src/link-utf8 &&
	echo utf8 >"src/caf$(printf "\303\251")" &&
	echo one >src/hard1 && ln src/hard1 src/hard2 &&
	: >src/empty &&
	head -c 1000 /dev/urandom >src/odd-size &&
	head -c 512 /dev/urandom >src/one-block &&
	echo old >src/before-1970 && touch -d "1960-01-01 00:00 UTC" src/before-1970 &&
	echo late >src/after-2038 && touch -d "2040-01-01 00:00 UTC" src/after-2038 &&
	echo frac >src/fraction && touch -d "2016-02-09 16:43:01.123456789 UTC" src/fraction &&
	chmod 4755 src/odd-size &&
	if test "$(id -u)" = 0
	then
		echo big >src/big-ids && chown 300000:300001 src/big-ids &&
		echo mid >src/mid-ids && chown 262143:262143 src/mid-ids
	fi &&
	kt-collect -0 -C src / >list
'

test_expect_success 'the archive reads back, and every bare header is libarchive'\''s' '
	kt-tar -c -0 -C src <list >all.tar &&
	kt-tar -t <all.tar >names &&
	test_line_count = $(($(tr -cd "\0" <list | wc -c) - 2)) names &&
	mkdir out &&
	kt-tar -x -C out <all.tar &&
	tree_content src >expect &&
	# kt-tar -x strips the set-user-ID bit; the archive has it.
	sed -e "s/^f 4755 /f 755 /" expect | LC_ALL=C sort >expect.kt &&
	tree_content out | LC_ALL=C sort >actual &&
	test_cmp expect.kt actual
'

test_expect_success USTAR_CMP 'kt-ustar-cmp verify: the members'\'' headers are what libarchive writes' '
	ustar_cmp verify <all.tar >verify.out &&
	cat verify.out &&
	grep "all as libarchive writes them" verify.out
'

test_expect_success GNUTAR 'GNU tar extracts it the same, without a word' '
	mkdir gnu &&
	tar -xf all.tar -C gnu 2>err &&
	# It says what it thinks of the dates, nothing else.
	{ grep -v -e "time stamp .* in the future" -e "implausibly old time stamp" err || true; } >err.other &&
	test_line_count = 0 err.other &&
	tree_content gnu >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON3 'a pax header exactly where ustar cannot hold the member' '
	python3 -c "
import tarfile
with tarfile.open(\"all.tar\") as t:
    n = 0
    for m in t.getmembers():
        # The start marker, a global header, shows in every member.
        pax = {k: v for k, v in m.pax_headers.items() if k != \"comment\"}
        name = m.name + (\"/\" if m.isdir() else \"\")
        plain = (len(name) <= 100 and name.isascii() and
            len(m.linkname) <= 100 and m.linkname.isascii() and
            m.uid < 1 << 18 and m.gid < 1 << 18 and
            0 <= m.mtime < 0x7fffffff)
        if plain:
            assert not pax, (name, pax)
        if len(name) > 256 or not name.isascii() or m.uid >= 1 << 18:
            assert pax, name
            n += 1
    assert n >= 3, n
"
'

test_expect_success '-z compresses exactly the same archive' '
	kt-tar -c -0 -z -C src <list >all.tgz &&
	gzip -dc all.tgz >plain.tar &&
	cmp all.tar plain.tar
'

test_expect_success 'the manifest lists every member, with its digest' '
	tr -d "\0" <all.tar | sed -n "/ comment=kt-tar manifest 1$/,/^members /p" >manifest &&
	grep -x "members $(wc -l <names)" manifest &&
	sha256sum <src/odd-size | cut -d" " -f1 >sum &&
	grep "^$(cat sum) f 1000 odd-size$" manifest &&
	grep "^e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 f 0 empty$" manifest
'

test_done
