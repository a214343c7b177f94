#!/bin/sh

test_description='kt-unseal refuses what is not an encrypted message before gpg reads it, and bounds the plaintext it holds

A signed-only, literal or compressed message, or a cleartext-signed one,
is refused from its first packet (GnuPG'"'"'s 4gb-packet test: a few KiB
of compressed zeros that gpg would expand to 4 GiB in the spool).  An
encrypted message is no smaller a threat: what kt-unseal holds (in
TMPDIR, or in the temporary file of -o) stops at --max-size, and before
its file system runs out of room.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

# refused_unencrypted FILE PACKET: exit 1 naming the first packet, one
# line, nothing written, nothing left in TMPDIR; with -o, no file and no
# temporary file.
refused_unencrypted () {
	rm -rf spool odir && mkdir spool odir &&
	TMPDIR=$PWD/spool test_expect_code 1 timeout 30 kt-unseal \
		<"$1" >out 2>err &&
	echo "kt-unseal: standard input is not an encrypted message: it starts with a $2 packet" >expect &&
	test_cmp expect err &&
	test ! -s out &&
	test "$(ls -A spool)" = "" &&
	test_expect_code 1 timeout 30 kt-unseal -o odir/restored <"$1" 2>err &&
	test_cmp expect err &&
	test "$(ls -A odir)" = ""
}

test_expect_success 'setup: keys and messages that are not encrypted' '
	gpg_setup &&
	gpg_setup_backup_key &&
	printf "row %s of the keytrustee dump\n" $(seq 1 2000) >text &&
	gpg --batch -s -u "$BACKUP_FPR" <text >signed.gpg &&
	gpg --batch -s -a -u "$BACKUP_FPR" <text >signed.asc &&
	gpg --batch -s -z 0 -u "$BACKUP_FPR" <text >signed-z0.gpg &&
	gpg --batch --store -z 0 <text >literal.gpg &&
	gpg --batch --detach-sign -u "$BACKUP_FPR" <text >detached.sig &&
	gpg --batch --clearsign -u "$BACKUP_FPR" <text >clear.asc &&
	cp "$TEST_DIRECTORY/t1040/4gb-zeros.gpg" . &&
	test $(wc -c <4gb-zeros.gpg) -lt 5000
'

test_expect_success 'signed-only messages are refused from their first packet' '
	refused_unencrypted signed.gpg "compressed data" &&
	refused_unencrypted signed.asc "compressed data" &&
	refused_unencrypted signed-z0.gpg "one-pass signature" &&
	refused_unencrypted detached.sig signature
'

test_expect_success 'literal data is refused' '
	refused_unencrypted literal.gpg "literal data"
'

test_expect_success 'GnuPG 4gb-packet test (3 KiB of compressed zeros) is refused at once' '
	refused_unencrypted 4gb-zeros.gpg "compressed data"
'

test_expect_success 'the refusal does not wait for the end of the input' '
	rm -f fifo && mkfifo fifo &&
	{ timeout 30 kt-unseal <fifo >out 2>err & } &&
	unseal=$! &&
	exec 8>fifo &&
	cat 4gb-zeros.gpg >&8 &&
	{ wait $unseal; echo $? >status; } &&
	exec 8>&- &&
	echo 1 >expect &&
	test_cmp expect status &&
	grep "not an encrypted message" err
'

test_expect_success 'a cleartext-signed message is refused, with prose before it too' '
	test_expect_code 1 kt-unseal <clear.asc >out 2>err &&
	echo "kt-unseal: standard input is not an encrypted message: it is a cleartext-signed message" >expect &&
	test_cmp expect err &&
	test ! -s out &&
	{ echo "Here is the signed text:" && echo && cat clear.asc; } >prose.asc &&
	test_expect_code 1 kt-unseal <prose.asc >out 2>err &&
	test_cmp expect err &&
	test ! -s out
'

test_expect_success PYTHON3 'session keys followed by literal data are refused as they come' '
	printf "x" | gpg --batch -e -z 0 -r "$BACKUP_FPR" >enc.gpg &&
	python3 - <<-\EOF &&
	d = open("enc.gpg", "rb").read()
	lit = open("literal.gpg", "rb").read()
	# the PKESK packet (old format, tag 1, one or two octets of
	# length), then literal data
	assert d[0] & 0xfc == 0x84 and d[0] & 3 < 2
	end = 2 + d[1] if d[0] & 3 == 0 else 3 + (d[1] << 8 | d[2])
	open("esk-lit.gpg", "wb").write(d[:end] + lit)
	EOF
	test_expect_code 3 kt-unseal <esk-lit.gpg >out 2>err &&
	grep "not a complete OpenPGP message: .*session key packets are followed by a literal data packet" err &&
	test ! -s out
'

test_expect_success 'setup: a small message of many zeros' '
	head -c 3000000 /dev/zero | kt-seal -r "$BACKUP_FPR" >zeros.gpg &&
	test $(wc -c <zeros.gpg) -lt 100000
'

test_expect_success '--max-size bounds the held plaintext; the error names the limit' '
	rm -rf spool && mkdir spool &&
	TMPDIR=$PWD/spool test_expect_code 1 kt-unseal --max-size 1M \
		<zeros.gpg >out 2>err &&
	echo "kt-unseal: the plaintext is larger than --max-size 1M: refusing it (raise the limit with --max-size)" >expect &&
	test_cmp expect err &&
	test ! -s out &&
	test "$(ls -A spool)" = "" &&
	TMPDIR=$PWD/spool kt-unseal --max-size 3M <zeros.gpg >out &&
	test $(wc -c <out) = 3000000
'

test_expect_success '--max-size bounds -o the same way: no file, no temporary file' '
	rm -rf odir && mkdir odir &&
	echo previous >odir/restored &&
	test_expect_code 1 kt-unseal --max-size 2999999 -o odir/restored \
		<zeros.gpg 2>err &&
	grep "larger than --max-size 2999999 bytes" err &&
	echo previous >expect &&
	test_cmp expect odir/restored &&
	test "$(ls -A odir)" = restored &&
	kt-unseal --max-size 3000000 -o odir/restored <zeros.gpg &&
	test $(wc -c <odir/restored) = 3000000
'

# comment_wrapped BINARY ARMORED: a one-byte comment packet, the binary
# message, then a comment packet holding a newline and the armored one.
# gpg reads a comment packet first as binary and skips the comments;
# after text (the binary message without NUL or newline) the armor is
# a message too.
comment_wrapped () {
	python3 - "$1" "$2" <<-\EOF
	import sys
	b = open(sys.argv[1], "rb").read()
	body = b"\n" + open(sys.argv[2], "rb").read()
	while (len(body) - 192) & 0xff in (0, 10):
	    body += b"\n"	# no NUL or newline in the length either
	n = len(body) - 192
	assert 0 <= n < 8000 - 192
	out = bytes([0xd0, 1]) + b"x" + b
	out += bytes([0xd0, (n >> 8) + 192, n & 0xff]) + body
	sys.stdout.buffer.write(out)
	EOF
}

test_expect_success PYTHON3 'binary to gpg is binary: a comment packet first, armor further on' '
	printf "password\n" >pass && chmod 600 pass &&
	echo "message A: what the armor holds" >a.txt &&
	echo "message B: what gpg decrypts" >b.txt &&
	gpg --batch --pinentry-mode loopback --passphrase-file pass -c -a \
		-o a.asc a.txt &&
	# B stands in for prose: no NUL, no newline (a new salt each try)
	for i in $(seq 1 100)
	do
		gpg --batch --yes --pinentry-mode loopback \
			--passphrase-file pass -z 0 -c -o b.gpg b.txt &&
		if ! tr -d "\000\n" <b.gpg | cmp -s - b.gpg
		then
			continue
		fi &&
		break
	done &&
	comment_wrapped b.gpg a.asc >mixed.bin &&
	# gpg itself decrypts B, not A
	gpg --batch --pinentry-mode loopback --passphrase-file pass \
		-d mixed.bin >gpg.out 2>/dev/null &&
	test_cmp b.txt gpg.out &&
	rm -rf spool && mkdir spool &&
	TMPDIR=$PWD/spool test_expect_code 3 kt-unseal --passphrase-file pass \
		<mixed.bin >out 2>err &&
	echo "kt-unseal: standard input is not a complete OpenPGP message: OpenPGP message: a type 16 packet cannot start a message (byte 0)" >expect &&
	test_cmp expect err &&
	test ! -s out &&
	test "$(ls -A spool)" = "" &&
	test_expect_code 3 kt-unseal --passphrase-file pass -o restored \
		<mixed.bin 2>err &&
	test_cmp expect err &&
	test ! -e restored
'

test_expect_success '--max-size wants a size' '
	for bad in 0 -1 1X 1MB "" M 99999999999999999999 17179869184T
	do
		test_expect_code 2 kt-unseal --max-size "$bad" <zeros.gpg \
			>out 2>err &&
		grep "^kt-unseal: --max-size .*: not a size" err &&
		test ! -s out || { echo "--max-size $bad"; return 1; }
	done
'

test_expect_success MOUNT 'a plaintext that would fill its file system is refused, and says where' '
	mkdir small &&
	mount -t tmpfs -o size=8m,mode=700 kt-unseal-test small &&
	test_atexit "umount \"$TRASH_DIRECTORY/small\"" &&
	head -c 20000000 /dev/zero | kt-seal -r "$BACKUP_FPR" >big-zeros.gpg &&
	TMPDIR=$PWD/small test_expect_code 1 kt-unseal <big-zeros.gpg \
		>out 2>err &&
	grep "^kt-unseal: the plaintext would leave the file system of TMPDIR ($PWD/small) with less than .* free: refusing it" err &&
	test_line_count = 1 err &&
	test ! -s out &&
	test "$(ls -A small)" = "" &&
	test_expect_code 1 kt-unseal -o small/restored <big-zeros.gpg 2>err &&
	grep "^kt-unseal: the plaintext would leave the file system of small/restored with less than" err &&
	test "$(ls -A small)" = "" &&
	TMPDIR=$PWD/small kt-unseal <zeros.gpg >out &&
	test $(wc -c <out) = 3000000
'

test_done
