#!/bin/sh

test_description='kt-seal checks the end of what it seals: a cut tar, gzip or dump never becomes a finished message'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

# seal_refused FILE: kt-seal exits 3 naming the cause, and whatever it
# wrote is not a message gpg can finish decrypting.
seal_refused () {
	test_expect_code 3 kt-seal -r "$BACKUP_FPR" <"$1" >sealed 2>err &&
	grep "^kt-seal: refusing to seal standard input: " err &&
	test_line_count = 1 err &&
	test_must_fail gpg --batch -q -d <sealed >/dev/null 2>&1
}

# The offset where the last non-zero 512-byte block of FILE ends: a tar is
# complete only with two more zero blocks after it.
content_end () {
	python3 -c "
import sys
d = open(sys.argv[1], \"rb\").read().rstrip(b\"\\0\")
print((len(d) + 511) // 512 * 512)" "$1"
}

test_expect_success 'setup: key and a sample configuration directory' '
	gpg_setup &&
	gpg_setup_backup_key &&
	mkdir -p root/var/lib/keytrustee/.keytrustee/.ssl &&
	for f in keytrustee.conf secring.gpg pubring.gpg random_seed .ssl/pk.pem
	do
		head -c 3000 /dev/urandom >root/var/lib/keytrustee/.keytrustee/$f ||
		return 1
	done
'

test_expect_success GNUTAR 'a complete GNU tar archive is sealed and comes back' '
	tar -C root -cf whole.tar var &&
	kt-seal -r "$BACKUP_FPR" <whole.tar >whole.gpg &&
	gpg --batch -q -d <whole.gpg >out &&
	cmp whole.tar out
'

test_expect_success GNUTAR,PYTHON3 'a tar cut at header boundaries and inside data is refused' '
	end=$(content_end whole.tar) &&
	for n in 512 1024 2048 3584 4096 5000 7168 $((end - 1)) $end $((end + 512)) $((end + 1023))
	do
		head -c $n whole.tar >cut.tar &&
		seal_refused cut.tar || { echo "cut at $n"; return 1; }
	done
'

test_expect_success PYTHON3 'a tar made by kt-tar is checked down to its manifest' '
	kt-collect -C root /var/lib/keytrustee/.keytrustee |
		kt-tar -c -C root >kt.tar &&
	kt-seal -r "$BACKUP_FPR" -v <kt.tar >kt.gpg 2>err &&
	grep "tar archive" err &&
	end=$(content_end kt.tar) &&
	for n in 512 $((end / 2)) $((end - 1536)) $((end - 1024)) $((end - 512)) $((end - 1)) $end $((end + 512))
	do
		head -c $n kt.tar >cut.tar &&
		seal_refused cut.tar || { echo "cut at $n"; return 1; }
	done
'

test_expect_success 'a gzip stream without its trailer is refused' '
	gzip -c <whole.tar >whole.tar.gz &&
	kt-seal -r "$BACKUP_FPR" <whole.tar.gz >gz.gpg &&
	gpg --batch -q -d <gz.gpg | cmp - whole.tar.gz &&
	size=$(wc -c <whole.tar.gz) &&
	head -c $((size - 4)) whole.tar.gz >cut.gz &&
	seal_refused cut.gz &&
	head -c $((size / 2)) whole.tar.gz >cut.gz &&
	seal_refused cut.gz
'

test_expect_success 'gzip input is not compressed again' '
	kt-seal -v -r "$BACKUP_FPR" <whole.tar.gz >gz.gpg 2>err &&
	grep "not compressed again" err &&
	gpg --batch -q --list-packets <gz.gpg >packets 2>/dev/null &&
	! grep "compressed packet" packets
'

test_expect_success PG 'setup: a real pg_dump of a keytrustee database' '
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_dump -c keytrustee >dump.sql &&
	tail -n 5 dump.sql | grep "PostgreSQL database dump complete"
'

test_expect_success PG 'a complete dump is sealed; a cut one is refused' '
	kt-seal -r "$BACKUP_FPR" <dump.sql >dump.gpg &&
	gpg --batch -q -d <dump.gpg | cmp - dump.sql &&
	size=$(wc -c <dump.sql) &&
	for n in 100 $((size / 3)) $((size - 200)) $((size - 40)) $((size - 10))
	do
		head -c $n dump.sql >cut.sql &&
		seal_refused cut.sql || { echo "cut at $n"; return 1; }
	done
'

test_expect_success PG 'a dump cut right before its completion trailer is refused' '
	grep -n "^-- PostgreSQL database dump complete" dump.sql | cut -d: -f1 >line &&
	head -n $(($(cat line) - 2)) dump.sql >cut.sql &&
	seal_refused cut.sql
'

test_expect_success 'an empty input is refused: an upstream stage died before its first byte' '
	test_expect_code 3 kt-seal -r "$BACKUP_FPR" </dev/null >sealed 2>err &&
	grep "^kt-seal: refusing to seal standard input: it is empty" err &&
	test ! -s sealed &&
	{ false | kt-seal -r "$BACKUP_FPR" >sealed 2>err; } ;
	grep "it is empty" err &&
	test ! -s sealed
'

test_expect_success 'input it does not recognise is sealed as it is' '
	printf "just some text\n" >plain.txt &&
	kt-seal -r "$BACKUP_FPR" <plain.txt >plain.gpg &&
	gpg --batch -q -d <plain.gpg >out &&
	test_cmp plain.txt out
'

test_expect_success 'binary data that happens to start like OpenPGP is sealed as it is' '
	for b in 85 a3 c1 8c 90
	do
		{ printf "\\$(printf %o 0x$b)" && head -c 5000 /dev/urandom; } >bin &&
		kt-seal -r "$BACKUP_FPR" <bin >bin.gpg &&
		gpg --batch -q -d <bin.gpg | cmp - bin || return 1
	done
'

test_expect_success 'an OpenPGP message, even a cut one, is sealed again as it is' '
	kt-seal -r "$BACKUP_FPR" <whole.tar >inner.gpg &&
	head -c 1000 inner.gpg >inner-cut.gpg &&
	kt-seal -r "$BACKUP_FPR" <inner-cut.gpg >outer.gpg &&
	gpg --batch -q -d <outer.gpg | cmp - inner-cut.gpg
'

test_expect_success 'an upstream failure travels through the encryption' '
	{ cat whole.tar | head -c 5120; } | kt-seal -r "$BACKUP_FPR" >piped.gpg 2>err;
	grep "refusing to seal" err &&
	test_must_fail kt-unseal <piped.gpg >out 2>/dev/null &&
	test ! -s out
'

test_done
