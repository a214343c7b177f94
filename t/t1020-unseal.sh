#!/bin/sh

test_description='kt-unseal decrypts what kt-seal and gpg make, and releases nothing it could not verify'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

# gpg with a passphrase on the command line: fine for making test input.
gpg_sym () {
	gpg_sym_pass=$1 && shift &&
	gpg --batch -q --yes --pinentry-mode loopback \
		--passphrase "$gpg_sym_pass" "$@"
}

test_expect_success 'setup: keys, data, passphrase files' '
	gpg_setup &&
	gpg_setup_backup_key &&
	head -c 200000 /dev/urandom >data &&
	printf "row %s of the keytrustee dump\n" $(seq 1 5000) >text &&
	printf "sesame\n" >pass && chmod 600 pass &&
	printf "wrong\n" >badpass && chmod 600 badpass
'

test_expect_success 'kt-seal | kt-unseal gives back every byte' '
	kt-seal -r "$BACKUP_FPR" <data | kt-unseal >out &&
	cmp data out
'

test_expect_success 'an empty plaintext from stock gpg decrypts to nothing' '
	: | gpg --batch -q -e -r "$BACKUP_FPR" >empty.gpg &&
	kt-unseal <empty.gpg >out &&
	test ! -s out
'

for how in "-e" "-e -z 0" "-e -a" "-e --compress-algo zlib" "-se"
do
	test_expect_success "stock gpg $how from a pipe and from a file" "
		gpg --batch -q --yes -r \"\$BACKUP_FPR\" $how <text >msg &&
		kt-unseal <msg >out &&
		test_cmp text out &&
		gpg --batch -q --yes -r \"\$BACKUP_FPR\" $how -o msg.file text &&
		kt-unseal <msg.file >out &&
		test_cmp text out
	"
done

test_expect_success 'stock gpg -c, with --passphrase-file and --passphrase-fd' '
	gpg_sym sesame -c <data >sym.gpg &&
	kt-unseal --passphrase-file pass <sym.gpg >out &&
	cmp data out &&
	kt-unseal --passphrase-fd 3 <sym.gpg >out 3<pass &&
	cmp data out &&
	gpg_sym sesame -c -a <text >sym.asc &&
	kt-unseal --passphrase-file pass <sym.asc >out &&
	test_cmp text out
'

test_expect_success 'kt-seal --symmetric round trip' '
	kt-seal --symmetric --passphrase-file pass <data |
		kt-unseal --passphrase-file pass >out &&
	cmp data out
'

test_expect_success 'a wrong passphrase: exit 1, clear message, nothing released' '
	test_expect_code 1 kt-unseal --passphrase-file badpass \
		<sym.gpg >out 2>err &&
	grep "^kt-unseal: wrong passphrase" err &&
	test ! -s out
'

test_expect_success 'no passphrase and no terminal: a clear error' '
	test_expect_code 1 setsid kt-unseal <sym.gpg >out 2>err &&
	grep "no terminal" err &&
	test ! -s out
'

test_expect_success 'a protected secret key takes its passphrase from the file' '
	prot=$(gpg_make_key_with_passphrase Prot prot@example.com sesame) &&
	kt-seal -r "$prot" <text >prot.gpg &&
	kt-unseal --passphrase-file pass <prot.gpg >out &&
	test_cmp text out &&
	test_expect_code 1 kt-unseal --passphrase-file badpass \
		<prot.gpg >out 2>err &&
	grep "wrong passphrase" err &&
	test ! -s out
'

test_expect_success 'to two protected keys: either passphrase will do, a wrong one is one error' '
	prot2=$(gpg_make_key_with_passphrase Prot2 prot2@example.com other) &&
	kt-seal -r "$prot" -r "$prot2" <text >prot2.gpg &&
	printf "other\n" >pass2 && chmod 600 pass2 &&
	kt-unseal --passphrase-file pass2 <prot2.gpg >out &&
	test_cmp text out &&
	kt-unseal --passphrase-file pass <prot2.gpg >out &&
	test_cmp text out &&
	test_expect_code 1 kt-unseal --passphrase-file badpass \
		<prot2.gpg >out 2>err &&
	grep "^kt-unseal: wrong passphrase" err &&
	test_line_count = 1 err &&
	test ! -s out
'

test_expect_success 'no secret key: the recipients are named, nothing released' '
	gpg_setup_second_home elsewhere &&
	test_expect_code 1 kt-unseal --homedir "$elsewhere" \
		<msg.file >out 2>err &&
	grep "^kt-unseal: no secret key in $elsewhere for this message" err &&
	grep "encrypted to .* key" err &&
	test ! -s out
'

test_expect_success 'not OpenPGP at all, and empty input, are told apart' '
	test_expect_code 1 kt-unseal <text >out 2>err &&
	grep "standard input is not an OpenPGP message" err &&
	test ! -s out &&
	test_expect_code 1 kt-unseal </dev/null >out 2>err &&
	grep "standard input is empty" err &&
	test ! -s out
'

# Every cut and every flipped byte must be refused with nothing released.
# Offsets: the first and last bytes, packet headers, and a spread between.
offsets () {
	size=$(wc -c <"$1")
	step=$((size / 23 + 1))
	{ seq 1 8; seq 9 "$step" "$size"; seq $((size - 30)) "$size"; } |
		awk -v max="$size" '$1 >= 1 && $1 <= max' | sort -n -u
}

test_expect_success 'a message cut at any of many offsets releases nothing' '
	kt-seal -r "$BACKUP_FPR" <data >whole.gpg &&
	for n in $(offsets whole.gpg)
	do
		head -c $((n - 1)) whole.gpg >cut.gpg &&
		test_must_fail kt-unseal <cut.gpg >out 2>err &&
		test ! -s out &&
		test_line_count = 1 err || { echo "cut at $n"; cat err; return 1; }
	done
'

test_expect_success 'a cut armored message releases nothing either' '
	kt-seal -a -r "$BACKUP_FPR" <text >whole.asc &&
	# (all but the final newline of the END line, which is optional)
	for n in $(offsets whole.asc | sed "\$d")
	do
		head -c $((n - 1)) whole.asc >cut.asc &&
		test_must_fail kt-unseal <cut.asc >out 2>err &&
		test ! -s out || { echo "cut at $n"; cat err; return 1; }
	done
'

flip () {
	python3 -c "
import sys
b = bytearray(open(sys.argv[1], \"rb\").read())
b[int(sys.argv[2]) - 1] ^= 0x20
sys.stdout.buffer.write(b)" "$@"
}

test_expect_success PYTHON3 'a flipped byte anywhere releases nothing' '
	kt-seal --no-compress -r "$BACKUP_FPR" <data >plain.gpg &&
	for f in whole.gpg plain.gpg
	do
		for n in $(offsets $f)
		do
			flip $f $n >flipped.gpg &&
			test_must_fail kt-unseal <flipped.gpg >out 2>err &&
			test ! -s out || { echo "$f flipped at $n"; cat err; return 1; }
		done || return 1
	done
'

test_expect_success 'integrity failures in the encrypted data exit 3' '
	size=$(wc -c <plain.gpg) &&
	flip plain.gpg $((size / 2)) >mid.gpg &&
	test_expect_code 3 kt-unseal <mid.gpg >out 2>err &&
	grep "integrity check failed" err &&
	head -c $((size - 100)) plain.gpg >short.gpg &&
	test_expect_code 3 kt-unseal <short.gpg >out 2>err &&
	test ! -s out
'

test_expect_success 'a message without integrity protection (no MDC) is refused' '
	gpg_sym sesame -c --rfc2440 --cipher-algo AES256 <text >nomdc.gpg 2>/dev/null &&
	test_expect_code 3 kt-unseal --passphrase-file pass \
		<nomdc.gpg >out 2>err &&
	grep "no integrity protection" err &&
	test ! -s out
'

test_expect_success 'a legacy cipher is refused' '
	gpg_sym sesame -c --cipher-algo 3DES <text >3des.gpg 2>/dev/null &&
	test_expect_code 3 kt-unseal --passphrase-file pass \
		<3des.gpg >out 2>err &&
	grep "legacy cipher 3DES" err &&
	test ! -s out
'

test_expect_success '--require-signer: a good signature by the key is accepted' '
	kt-seal -r "$BACKUP_FPR" -s -u "$ESCROW_FPR" <text >signed.gpg &&
	kt-unseal --require-signer "$ESCROW_FPR" <signed.gpg >out &&
	test_cmp text out &&
	spaced=$(printf %s "$ESCROW_FPR" | sed "s/..../& /g") &&
	kt-unseal --require-signer "$spaced" <signed.gpg >out &&
	test_cmp text out
'

test_expect_success '--require-signer: any of several listed keys will do' '
	kt-unseal --require-signer "$BACKUP_FPR" --require-signer "$ESCROW_FPR" \
		<signed.gpg >out &&
	test_cmp text out
'

test_expect_success '--require-signer: an unsigned message is refused (exit 3)' '
	test_expect_code 3 kt-unseal --require-signer "$ESCROW_FPR" \
		<whole.gpg >out 2>err &&
	grep "message is not signed" err &&
	test ! -s out
'

test_expect_success '--require-signer: a signature by another key is refused' '
	test_expect_code 3 kt-unseal --require-signer "$BACKUP_FPR" \
		<signed.gpg >out 2>err &&
	grep "not by a required signer" err &&
	test ! -s out
'

test_expect_success '--require-signer: an unknown signing key is refused' '
	gpg_setup_second_home restore_host &&
	gpg_copy_secret_key "$BACKUP_FPR" "$restore_host" &&
	test_expect_code 3 kt-unseal --homedir "$restore_host" \
		--require-signer "$ESCROW_FPR" <signed.gpg >out 2>err &&
	grep "signed by unknown key" err &&
	test ! -s out
'

test_expect_success 'without --require-signer, a signer unknown here does not matter' '
	kt-unseal --homedir "$restore_host" <signed.gpg >out &&
	test_cmp text out
'

test_expect_success '--require-signer: a revoked signing key is refused' '
	rev=$(gpg_make_key Revokee revokee@example.com) &&
	kt-seal -r "$BACKUP_FPR" -s -u "$rev" <text >by-revoked.gpg &&
	kt-unseal --require-signer "$rev" <by-revoked.gpg >out &&
	sed -e "s/^:-----BEGIN/-----BEGIN/" \
		"$GNUPGHOME/openpgp-revocs.d/$rev.rev" >rev.asc &&
	gpg --batch -q --import rev.asc 2>/dev/null &&
	test_expect_code 3 kt-unseal --require-signer "$rev" \
		<by-revoked.gpg >out 2>err &&
	grep "revoked" err &&
	test ! -s out
'

test_expect_success '--require-signer wants a full fingerprint' '
	test_expect_code 2 kt-unseal --require-signer ABCD1234 <signed.gpg 2>err &&
	grep "full fingerprint" err &&
	test_expect_code 2 kt-unseal --require-signer "not hex" <signed.gpg 2>err
'

test_expect_success '-o writes the file whole, mode 0600 even under umask 000' '
	(umask 000 && kt-unseal -o restored <whole.gpg) &&
	cmp data restored &&
	test_file_mode restored 600
'

test_expect_success '-o on a bad message leaves no file and no temporary file' '
	mkdir odir &&
	test_must_fail kt-unseal -o odir/restored <mid.gpg 2>err &&
	test_path_is_missing odir/restored &&
	test "$(ls -A odir)" = ""
'

test_expect_success '-o on a bad message keeps an existing file as it was' '
	echo previous >odir/restored &&
	test_must_fail kt-unseal -o odir/restored <short.gpg 2>err &&
	echo previous >expect &&
	test_cmp expect odir/restored &&
	test "$(ls -A odir)" = "restored"
'

test_expect_success 'the plaintext spool is unlinked: nothing left in TMPDIR' '
	mkdir spool &&
	TMPDIR=$PWD/spool kt-unseal <whole.gpg >out &&
	cmp data out &&
	TMPDIR=$PWD/spool test_must_fail kt-unseal <mid.gpg >out 2>err &&
	test "$(ls -A spool)" = ""
'

test_expect_success '--stream writes as it decrypts (and says so by failing late)' '
	kt-unseal --stream <whole.gpg >out &&
	cmp data out &&
	test_must_fail kt-unseal --stream <mid.gpg >out 2>err &&
	test -s out
'

test_expect_success '--stream never releases the end of a bad message' '
	test_must_fail kt-unseal --stream <mid.gpg >out 2>err &&
	size=$(wc -c <out) &&
	test "$size" -lt $(wc -c <data)
'

test_expect_success 'a full disk (/dev/full) is a clear error' '
	test -w /dev/full &&
	test_expect_code 1 kt-unseal <whole.gpg >/dev/full 2>err &&
	grep "^kt-unseal: write to standard output: No space left on device" err &&
	test_expect_code 1 kt-seal -r "$BACKUP_FPR" <data >/dev/full 2>err &&
	grep "^kt-seal: write to standard output: No space left on device" err
'

test_expect_success 'a reader that goes away ends the program quietly, failing' '
	big() { head -c 3000000 /dev/urandom; } &&
	{ big | kt-seal -r "$BACKUP_FPR" 2>err; echo $? >status; } | head -c 10 >/dev/null &&
	test "$(cat status)" != 0 &&
	test ! -s err &&
	big | kt-seal --no-compress -r "$BACKUP_FPR" >big.gpg &&
	{ kt-unseal <big.gpg 2>err; echo $? >status; } | head -c 10 >/dev/null &&
	test "$(cat status)" != 0 &&
	test ! -s err
'

# The kill tests hold the input open on a fifo, so that gpg cannot finish
# before it is killed whatever the load, and wait for what they can see:
# gpg as the program's own child, and the bytes the program has taken
# (a write to a fifo returns only once the reader took all but a pipe's
# worth).  A failure says what happened.

# what_happened: the processes of this test, for a failure's message.
what_happened () {
	echo "--- processes:" && ps -o pid,ppid,stat,args -e | grep -e gpg -e kt- | grep -v grep
	echo "--- stderr:" && cat err 2>/dev/null
	echo "--- status: $(cat status 2>/dev/null)"
}

# child_named PID NAME: the pid of the process NAME that process PID
# started, once it shows up.
child_named () {
	child_n_=0
	until pgrep -P "$1" -x "$2"
	do
		child_n_=$((child_n_ + 1))
		if test $child_n_ -gt 6000 || ! kill -0 "$1" 2>/dev/null
		then
			echo >&2 "no $2 child of $1 appeared" && what_happened >&2
			return 1
		fi
		sleep 0.01
	done
}

# gpg_gone PID: PID has died (a zombie not yet reaped counts as dead).
# SIGKILL was sent before the program exited: this only waits for the
# kernel to finish it.
gpg_gone () {
	gone_n_=0
	while ps -o stat= -p "$1" | grep -v "^Z" >/dev/null
	do
		gone_n_=$((gone_n_ + 1))
		if test $gone_n_ -gt 6000
		then
			echo >&2 "gpg $1 still alive" && what_happened >&2
			return 1
		fi
		sleep 0.01
	done
}

# kill_gpg_of CMD...: runs CMD (kt-seal or kt-unseal, under a timeout:
# a hang fails) with its input from a fifo; writes HEAD bytes of INPUT,
# waits for CMD's gpg, writes MORE bytes, SIGKILLs gpg, then waits for
# CMD and closes the input.  CMD's exit status is left in "status", its
# output in killed.out.
kill_gpg_of () {
	rm -f fifo status && mkfifo fifo &&
	{ timeout 120 "$@" <fifo >killed.out 2>err & } &&
	kill_job_=$! &&
	exec 8>fifo &&
	head -c "$HEAD" "$INPUT" >&8 &&
	kill_cmd_=$(child_named "$kill_job_" "$1") &&
	gpid=$(child_named "$kill_cmd_" gpg) &&
	if test "$MORE" -gt 0
	then
		tail -c +$((HEAD + 1)) "$INPUT" | head -c "$MORE" >&8
	fi &&
	kill -KILL "$gpid" &&
	{ wait "$kill_job_"; echo $? >status; } &&
	exec 8>&- || { what_happened; exec 8>&-; return 1; }
}

test_expect_success 'gpg killed while sealing: kt-seal fails, no hang, no finished message' '
	head -c 100000000 /dev/urandom >bulk &&
	INPUT=bulk HEAD=512 &&
	for MORE in 0 1000000 20000000
	do
		kill_gpg_of kt-seal --homedir "$GNUPGHOME" --no-compress \
			-r "$BACKUP_FPR" &&
		test "$(cat status)" = 1 &&
		grep "^kt-seal: gpg stopped before it finished the message: gpg was killed by signal 9" err &&
		test_must_fail kt-unseal <killed.out >out 2>/dev/null &&
		test ! -s out || { echo "killed after $MORE more bytes"; what_happened; return 1; }
	done
'

test_expect_success 'gpg killed while unsealing: kt-unseal fails, no hang, nothing released' '
	kt-seal --no-compress -r "$BACKUP_FPR" <bulk >bulk.gpg &&
	INPUT=bulk.gpg HEAD=4096 &&
	for MORE in 0 1000000 20000000
	do
		kill_gpg_of kt-unseal --homedir "$GNUPGHOME" &&
		test "$(cat status)" = 3 &&
		grep "^kt-unseal: gpg stopped before the end of the message: gpg was killed by signal 9" err &&
		test ! -s killed.out || { echo "killed after $MORE more bytes"; what_happened; return 1; }
	done
'

# term_stopped_gpg CMD...: runs CMD with 1 MB of INPUT from a fifo (its
# output in term.out), stops its gpg, sends CMD SIGTERM and leaves its
# exit status in "status" and gpg's pid in gpid.  A stopped gpg stands
# for one too busy to notice that its input ended: only the SIGKILL of
# the program's cleanup ends it.
term_stopped_gpg () {
	rm -f fifo status && mkfifo fifo &&
	{ "$@" <fifo >term.out 2>err & } &&
	term_pid_=$! &&
	exec 8>fifo &&
	head -c 1000000 "$INPUT" >&8 &&
	gpid=$(child_named $term_pid_ gpg) &&
	kill -STOP $gpid &&
	kill -TERM $term_pid_ &&
	{ wait $term_pid_; echo $? >status; } &&
	exec 8>&- || { what_happened; exec 8>&-; return 1; }
}

test_expect_success 'SIGTERM to kt-seal kills its gpg: no message is finished' '
	INPUT=bulk &&
	term_stopped_gpg kt-seal --homedir "$GNUPGHOME" --no-compress \
		-r "$BACKUP_FPR" &&
	test_when_finished "kill -KILL $gpid 2>/dev/null" &&
	{ test "$(cat status)" = 143 || { what_happened; false; }; } &&
	gpg_gone $gpid &&
	test_must_fail gpg --batch -q -d <term.out >/dev/null 2>&1
'

test_expect_success 'SIGTERM to kt-unseal -o kills its gpg: no file, no temporary file' '
	rm -rf tdir && mkdir tdir &&
	INPUT=bulk.gpg &&
	term_stopped_gpg kt-unseal --homedir "$GNUPGHOME" -o tdir/restored &&
	test_when_finished "kill -KILL $gpid 2>/dev/null" &&
	{ test "$(cat status)" = 143 || { what_happened; false; }; } &&
	gpg_gone $gpid &&
	test "$(ls -A tdir)" = ""
'

# gpg writes the held plaintext itself: when it cannot, only its exit
# status says so (its status lines look fine).  kt-unseal measures the
# file as gpg writes it, and judges a gpg quicker than that alike.
test_expect_success MOUNT 'a full TMPDIR or -o file system: exit 1, nothing released' '
	mkdir full &&
	mount -t tmpfs -o size=1m,mode=700 kt-unseal-test full &&
	test_atexit "umount \"$TRASH_DIRECTORY/full\"" &&
	head -c 3000000 bulk >big &&
	kt-seal --no-compress -r "$BACKUP_FPR" <big >big.gpg &&
	TMPDIR=$PWD/full test_expect_code 1 kt-unseal <big.gpg >out 2>err &&
	grep "^kt-unseal: the plaintext would leave the file system of TMPDIR ($PWD/full) with less than" err &&
	test_line_count = 1 err &&
	test ! -s out &&
	test_expect_code 1 kt-unseal -o full/restored <big.gpg 2>err &&
	grep "^kt-unseal: the plaintext would leave the file system of full/restored with less than" err &&
	test "$(ls -A full)" = ""
'

test_expect_success 'usage errors exit 2; --help exits 0' '
	test_expect_code 2 kt-unseal --stream -o x <whole.gpg 2>err &&
	test_expect_code 2 kt-unseal extra <whole.gpg 2>err &&
	grep "^usage: kt-unseal" err &&
	test_expect_code 2 kt-unseal --passphrase-file pass --passphrase-fd 0 2>err &&
	kt-unseal --help >out &&
	grep "^usage: kt-unseal" out
'

test_done
