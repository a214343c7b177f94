#!/bin/sh

test_description='kt-roll refuses an empty, cut, malformed or unknown stream and changes nothing'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/t4000/lib-roll.sh"

# refused FILE: kt-roll refuses FILE with status 3 and one clear line, and
# out/ is exactly as it was, without a temporary file.
refused () {
	test_expect_code 3 kt-roll -o out --host h --keep 1 <"$1" >stdout 2>err &&
	grep "^kt-roll: refusing to store standard input in out: " err &&
	test_line_count = 1 err &&
	test_line_count = 0 stdout &&
	roll_state out >out.after &&
	test_cmp out.before out.after &&
	roll_no_temps out
}

# cuts FILE OFFSET...: FILE cut at each OFFSET (below its size: the
# whole file is no cut) is refused.
cuts () {
	cuts_f_=$1
	cuts_size_=$(wc -c <"$cuts_f_")
	shift
	for cuts_at_
	do
		test "$cuts_at_" -lt "$cuts_size_" ||
			{ echo "cut at $cuts_at_ is no cut of $cuts_size_ bytes"; return 1; }
		head -c "$cuts_at_" "$cuts_f_" >cut &&
		refused cut || { echo "cut at $cuts_at_ was not refused"; return 1; }
	done
}

test_expect_success 'setup: a backup directory with backups and foreign files' '
	mkdir root out &&
	roll_make_payload root 32 &&
	tar -C root -b 1 -cf x.tar var &&
	gzip -c x.tar >x.tar.gz &&
	roll_fake_dump dump.sql 200 &&
	roll_plant out kts_bak_h_2016-02-10_11-14-37.tar &&
	roll_plant out kts_bak_h_2016-02-10_11-44-37.tar &&
	roll_plant out notes.txt &&
	roll_state out >out.before
'

test_expect_success 'an empty stream is refused' '
	refused /dev/null &&
	grep "the stream is empty" err
'

test_expect_success 'an empty stream is refused even with --raw' '
	test_expect_code 3 kt-roll --raw -o out --host h --keep 1 </dev/null 2>err &&
	grep "the stream is empty" err &&
	roll_state out >out.after &&
	test_cmp out.before out.after
'

test_expect_success 'a stream of no known format is refused, and --raw is named' '
	echo "just some text" >text &&
	refused text &&
	grep "not a format kt-roll can check" err &&
	grep -e "--raw" err &&
	head -c 100000 /dev/urandom | sed "1s/^./x/" >noise &&
	refused noise
'

test_expect_success '--raw stores an unknown stream, says nothing could be checked' '
	mkdir raw &&
	kt-roll --raw -o raw --host h <text >path 2>err &&
	grep "^raw/kts_bak_h_2[-0-9_]*\$" path &&
	cmp text "$(cat path)" &&
	grep "^kt-roll: warning: --raw: .*nothing could be checked" err &&
	kt-roll --raw -o raw --host h --suffix .bin <noise >path 2>err &&
	grep "\.bin\$" path &&
	kt-roll -q --raw -o raw --host h --suffix .bin <noise >path 2>err &&
	test_line_count = 0 err
'

test_expect_success '--raw does not turn off the check of a known format' '
	head -c 5120 x.tar >cut &&
	test_expect_code 3 kt-roll --raw -o out --host h <cut 2>err &&
	grep "^kt-roll: refusing to store" err &&
	roll_state out >out.after &&
	test_cmp out.before out.after
'

test_expect_success 'the whole tar is stored (the cuts below are not refused for nothing)' '
	mkdir whole &&
	kt-roll -o whole --host h <x.tar >path &&
	cmp x.tar "$(cat path)" &&
	kt-roll -o whole --host h <x.tar.gz >path &&
	kt-roll -o whole --host h <dump.sql >path
'

test_expect_success 'a tar cut at block boundaries, in headers and in data is refused' '
	size=$(wc -c <x.tar) &&
	offsets="1 100 511 512 513 1024 1536 2048" &&
	at=4096 &&
	while test $((at + 17)) -lt $size
	do
		offsets="$offsets $at $((at + 17))" &&
		at=$((at + 1536 + $(roll_random 3000)))
	done &&
	offsets="$offsets $((size - 1024)) $((size - 512)) $((size - 1))" &&
	cuts x.tar $offsets
'

test_expect_success 'a tar with a damaged header is refused' '
	cp x.tar bad.tar &&
	printf "XXXX" | dd of=bad.tar bs=1 seek=$((512 + 148)) conv=notrunc 2>/dev/null &&
	refused bad.tar
'

test_expect_success 'a gzip stream cut anywhere is refused' '
	size=$(wc -c <x.tar.gz) &&
	cuts x.tar.gz 1 2 10 11 100 $((size / 3)) $((size / 2)) \
		$((size - 8)) $((size - 4)) $((size - 1))
'

test_expect_success 'a corrupt gzip stream is refused' '
	cp x.tar.gz bad.gz &&
	printf "\377\377\377\377" |
	dd of=bad.gz bs=1 seek=$(( $(wc -c <x.tar.gz) / 2 )) conv=notrunc 2>/dev/null &&
	refused bad.gz
'

test_expect_success 'a dump without its completion trailer is refused' '
	size=$(wc -c <dump.sql) &&
	cuts dump.sql 100 $((size / 2)) $((size - 80)) &&
	grep -v "PostgreSQL database dump complete" dump.sql >notrailer.sql &&
	refused notrailer.sql
'

test_expect_success GPG 'setup: OpenPGP messages' '
	gpg_setup &&
	gpg_setup_backup_key &&
	gpg --batch -q --trust-model always -r "$BACKUP_FPR" -e -o x.gpg x.tar &&
	gpg --batch -q --trust-model always -r "$BACKUP_FPR" -e -a -o x.asc x.tar &&
	gpg --batch -q --trust-model always -r "$BACKUP_FPR" -z 0 -e -o x0.gpg x.tar
'

test_expect_success GPG 'a binary OpenPGP message cut anywhere is refused' '
	for m in x.gpg x0.gpg
	do
		size=$(wc -c <$m) &&
		cuts $m 1 2 3 50 100 200 300 400 $((size / 3)) $((size / 2)) \
			$((size - 100)) $((size - 22)) $((size - 2)) $((size - 1)) ||
		return 1
	done
'

test_expect_success GPG 'a binary OpenPGP message cut at 40 random points is refused' '
	size=$(wc -c <x0.gpg) &&
	n=0 offsets= &&
	while test $n -lt 40
	do
		offsets="$offsets $(( $(roll_random $((size - 1))) + 1 ))" &&
		n=$((n + 1))
	done &&
	echo "offsets: $offsets" &&
	cuts x0.gpg $offsets
'

test_expect_success GPG 'an armored OpenPGP message cut anywhere is refused' '
	size=$(wc -c <x.asc) &&
	cuts x.asc 10 40 $((size / 2)) $((size - 40)) $((size - 26)) $((size - 20))
'

test_expect_success GPG 'the whole OpenPGP messages are stored' '
	kt-roll -o whole --host h <x.gpg >path &&
	cmp x.gpg "$(cat path)" &&
	kt-roll -o whole --host h <x.asc >path &&
	cmp x.asc "$(cat path)"
'

test_expect_success 'an endless stream of no known format is refused early, not read to its end' '
	test_expect_code 3 timeout 60 sh -c "yes | kt-roll -o out --host h" 2>err &&
	grep "not a format kt-roll can check" err &&
	roll_state out >out.after &&
	test_cmp out.before out.after &&
	roll_no_temps out
'

test_done
