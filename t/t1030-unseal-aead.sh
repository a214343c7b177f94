#!/bin/sh

test_description='kt-unseal accepts AEAD (OCB) messages as integrity protected

GnuPG 2.3 and later write an AEAD packet (OCB) when the keys prefer it.
gpg 2.2 decrypts those, but reports them in DECRYPTION_INFO as if they
had no MDC, and says GOODMDC even when their tag does not match: the
packet walk tells the AEAD packet, gpg'"'"'s exit status the verdict.
The messages are GnuPG'"'"'s own test vectors (t/t1030/README).'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

# flip FILE OFFSET: FILE with the byte at OFFSET (from 0; negative from
# the end) changed.
flip () {
	python3 -c "
import sys
b = bytearray(open(sys.argv[1], \"rb\").read())
b[int(sys.argv[2])] ^= 0x01
sys.stdout.buffer.write(b)" "$@"
}

test_expect_success 'setup: the passphrase of the samples' '
	gpg_setup &&
	printf "password\n" >pass && chmod 600 pass &&
	printf "wrong\n" >badpass && chmod 600 badpass &&
	printf "Hello, world!\n" >expect &&
	for n in 1 2
	do
		cp "$TEST_DIRECTORY/t1030/enc-sym-ocb-$n.asc" ocb$n.asc &&
		gpg --batch --dearmor <ocb$n.asc >ocb$n.gpg || return 1
	done &&
	# (without the passphrase gpg lists the packets, then fails)
	{ gpg --batch --list-packets ocb1.gpg >packets 2>/dev/null || :; } &&
	grep "tag=20" packets
'

test_expect_success 'gpg itself decrypts them (2.2 reports no AEAD algorithm)' '
	gpg --batch --pinentry-mode loopback --passphrase-file pass \
		--status-fd 3 -d ocb1.gpg >out 3>status 2>/dev/null &&
	test_cmp expect out &&
	grep "^\[GNUPG:\] DECRYPTION_INFO" status
'

for n in 1 2
do
	test_expect_success "enc-sym-ocb-$n, armored (after prose) and binary, decrypts" "
		kt-unseal --passphrase-file pass <ocb$n.asc >out &&
		test_cmp expect out &&
		kt-unseal --passphrase-file pass <ocb$n.gpg >out &&
		test_cmp expect out &&
		kt-unseal --passphrase-file pass -o restored <ocb$n.gpg &&
		test_cmp expect restored
	"
done

test_expect_success PYTHON3 'a modified AEAD message: exit 3, nothing released' '
	size=$(wc -c <ocb1.gpg) &&
	for off in 90 $((size - 20)) $((size - 1))
	do
		flip ocb1.gpg $off >bad.gpg &&
		test_expect_code 3 kt-unseal --passphrase-file pass \
			<bad.gpg >out 2>err &&
		grep "^kt-unseal: integrity check failed: .*AEAD tag does not match" err &&
		test_line_count = 1 err &&
		test ! -s out || { echo "flipped at $off"; cat err; return 1; }
	done
'

test_expect_success 'a cut AEAD message: exit 3, nothing released' '
	size=$(wc -c <ocb1.gpg) &&
	head -c $((size - 5)) ocb1.gpg >cut.gpg &&
	test_expect_code 3 kt-unseal --passphrase-file pass <cut.gpg >out 2>err &&
	grep "cut inside the AEAD encrypted data packet" err &&
	test ! -s out
'

test_expect_success 'a wrong passphrase: gpg 2.2 cannot tell it from damage, nothing released' '
	test_expect_code 3 kt-unseal --passphrase-file badpass \
		<ocb2.gpg >out 2>err &&
	grep "or the passphrase is wrong" err &&
	test ! -s out
'

# ocb-chunks.gpg (t/t1030/mkocb-chunks.py): an SKESK of 15 bytes, then
# the AEAD packet with a five-octet length (bytes 16 to 20), its chunk
# data from byte 40 in chunks of 4096 bytes and 16 of tag; the final tag
# is the last 16 bytes.  gpg 2.2 has written plaintext by the time a
# later chunk fails, and still says DECRYPTION_OKAY and GOODMDC.
test_expect_success 'setup: a message of seven 4 KiB chunks' '
	printf "row %s of the keytrustee dump\n" $(seq 1 800) >text &&
	cp "$TEST_DIRECTORY/t1030/ocb-chunks.gpg" chunks.gpg &&
	kt-unseal --passphrase-file pass <chunks.gpg >out &&
	test_cmp text out
'

# unreleased FILE: exit 3 for an AEAD tag, nothing on standard output,
# nothing written with -o.
unreleased () {
	rm -f restored &&
	test_expect_code 3 kt-unseal --passphrase-file pass <"$1" \
		>out 2>err &&
	grep "^kt-unseal: integrity check failed: .*AEAD tag does not match" err &&
	test_line_count = 1 err &&
	test ! -s out &&
	test_expect_code 3 kt-unseal --passphrase-file pass -o restored \
		<"$1" 2>err &&
	test_line_count = 1 err &&
	test ! -e restored
}

test_expect_success PYTHON3 'a flip in any chunk or tag of a long message: exit 3, nothing released' '
	size=$(wc -c <chunks.gpg) &&
	# chunk 1, its tag, chunk 2, the last chunk, the final tag
	for off in 100 4151 5000 $((size - 40)) $((size - 1))
	do
		flip chunks.gpg $off >bad.gpg &&
		unreleased bad.gpg || { echo "flipped at $off"; cat err; return 1; }
	done
'

test_expect_success PYTHON3 'a long message cut at a chunk, its length mended: exit 3, nothing released' '
	# without the final tag, then without the last chunk too
	for drop in 16 160
	do
		python3 - chunks.gpg $drop >bad.gpg <<-\EOF &&
		import struct, sys
		b = bytearray(open(sys.argv[1], "rb").read())
		drop = int(sys.argv[2])
		n = struct.unpack(">I", b[17:21])[0] - drop
		b[17:21] = struct.pack(">I", n)
		sys.stdout.buffer.write(b[:len(b) - drop])
		EOF
		unreleased bad.gpg || { echo "dropped $drop"; cat err; return 1; }
	done &&
	size=$(wc -c <chunks.gpg) &&
	head -c $((size - 16)) chunks.gpg >cut.gpg &&
	test_expect_code 3 kt-unseal --passphrase-file pass <cut.gpg >out 2>err &&
	grep "cut inside the AEAD encrypted data packet" err &&
	test ! -s out
'

test_expect_success 'a wrong passphrase on a long message: exit 3 as well, nothing released' '
	test_expect_code 3 kt-unseal --passphrase-file badpass \
		<chunks.gpg >out 2>err &&
	grep "or the passphrase is wrong" err &&
	test ! -s out
'

test_expect_success 'a message without MDC is still refused' '
	echo short | gpg --batch -q --pinentry-mode loopback --passphrase x \
		-c --rfc2440 --cipher-algo AES256 >nomdc.gpg 2>/dev/null &&
	printf "x\n" >xpass && chmod 600 xpass &&
	test_expect_code 3 kt-unseal --passphrase-file xpass \
		<nomdc.gpg >out 2>err &&
	grep "no integrity protection (no MDC)" err &&
	test ! -s out
'

test_done
