#!/bin/sh

test_description='ktrestore refuses a bad backup and changes nothing

Tampered (one flipped byte), truncated, wrongly signed and undecryptable
backups, and backups that hold what a Key Trustee backup does not, are
refused with a clear message and a non-zero status; the files under the
root (contents and modes), the database and the list of databases stay
exactly as they were, and no cleartext is left behind.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG,GNUTAR
then
	skip_all='needs gpg 2.2, PostgreSQL and GNU tar'
	test_done
fi

# host_state: everything a restore could touch.
host_state () {
	kt_tree r &&
	pg_psql -At -d postgres -c "SELECT datname FROM pg_database ORDER BY 1" &&
	pg_table_digest keytrustee
}

# refused CODE MESSAGE ktrestore-args...: ktrestore exits CODE, says
# MESSAGE (a grep pattern) and changes nothing.
refused () {
	refused_code_=$1 refused_msg_=$2
	shift 2
	if test "$refused_code_" = any
	then
		test_must_fail ktrestore --root=r "$@" >out 2>err
	else
		test_expect_code "$refused_code_" ktrestore --root=r "$@" >out 2>err
	fi &&
	test_line_count = 0 out &&
	grep "$refused_msg_" err &&
	host_state >state.after &&
	test_cmp state.before state.after &&
	find tmp -mindepth 1 >left &&
	test_line_count = 0 left
}

# flip FILE OFFSET OUT: FILE with the byte at OFFSET inverted.
flip () {
	cp "$1" "$3" &&
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d " ") &&
	printf "$(printf "\\\\%03o" $((255 - b)))" |
	dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

test_expect_success 'setup: a server, its backups, and a host changed since' '
	gpg_setup &&
	gpg_setup_backup_key &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt_make_kts r &&
	SIGNER_FPR=$(gpg_make_key "Backup Host" kts01@example.com) &&
	OTHER_FPR=$(gpg_make_key "Someone Else" else@example.com) &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" -q >backup &&
	kt_ktbackup --root=r --gpg-recipient="John Doe" --sign-with="$SIGNER_FPR" -q >signed &&
	kt_ktbackup --root=r --gpg-recipient=escrow@example.com -q >escrow &&
	kt_ktbackup --root=r --cleartext -q >clear 2>/dev/null &&
	mkdir -m 700 b &&
	mv "$(cat backup)" b/backup.tar.gpg &&
	mv "$(cat signed)" b/signed.tar.gpg &&
	mv "$(cat escrow)" b/escrow.tar.gpg &&
	mv "$(cat clear)" b/clear.tar &&
	# The host moves on: a restore would change it back.
	echo "changed since the backup" >"r/$KTS_CONF/keytrustee.conf" &&
	chmod 640 "r/$KTS_CONF/gpg.conf" &&
	pg_psql -d keytrustee -c "DELETE FROM deposits WHERE id > 150" &&
	mkdir tmp &&
	TMPDIR=$PWD/tmp &&
	export TMPDIR &&
	host_state >state.before
'

test_expect_success 'the good backups do restore (so the refusals below mean something)' '
	cp -a r r.saved &&
	ktrestore --root=r.saved --check -q b/backup.tar.gpg &&
	ktrestore --root=r.saved --check -q --require-signer="$SIGNER_FPR" b/signed.tar.gpg &&
	ktrestore --root=r.saved --list b/clear.tar >list &&
	test_line_count = 13 list &&
	rm -rf r.saved
'

test_expect_success 'one flipped byte, anywhere: refused, nothing changed' '
	size=$(wc -c <b/backup.tar.gpg) &&
	for off in 200 $((size / 2)) $((size - 30)) $((size - 1))
	do
		flip b/backup.tar.gpg $off flipped.gpg &&
		! cmp -s b/backup.tar.gpg flipped.gpg &&
		refused any "^ktrestore: backup flipped.gpg does not verify; nothing was changed$" flipped.gpg ||
		return 1
	done
'

test_expect_success 'one flipped byte in the integrity check (MDC): exit 3' '
	size=$(wc -c <b/backup.tar.gpg) &&
	for off in $((size - 10)) $((size - 1))
	do
		flip b/backup.tar.gpg $off flipped.gpg &&
		refused 3 "^ktrestore: backup flipped.gpg does not verify; nothing was changed$" flipped.gpg ||
		return 1
	done
'

# A flip in the encrypted data garbles what gpg decompresses: gpg stops
# with a fatal zlib error before its integrity check, with no status to
# say why; kt-unseal names gpg's last words and exits 3 all the same.
test_expect_success 'one flipped byte in the compressed data: exit 3' '
	flip b/backup.tar.gpg 200 flipped.gpg &&
	refused 3 "^ktrestore: backup flipped.gpg does not verify; nothing was changed$" flipped.gpg
'

test_expect_success 'truncated at any point: refused, nothing changed' '
	size=$(wc -c <b/backup.tar.gpg) &&
	for len in 0 1 100 $((size / 3)) $((size / 2)) $((size - 1))
	do
		head -c $len b/backup.tar.gpg >cut.gpg &&
		# Empty or one byte is no OpenPGP message at all (1); more
		# is a cut one (3).
		code=3 &&
		if test $len -le 1
		then
			code=1
		fi &&
		refused $code "does not verify; nothing was changed$" cut.gpg ||
		return 1
	done
'

test_expect_success 'an unencrypted backup, cut or flipped: refused, nothing changed' '
	size=$(wc -c <b/clear.tar) &&
	# The manifest, after the members: cut before it, and inside it.
	man=$(grep -a -b -o kt-tools/manifest b/clear.tar | cut -d: -f1) &&
	test -n "$man" &&
	for len in 10240 $((size / 2)) $man $((man + 700))
	do
		head -c $len b/clear.tar >cut.tar &&
		refused 3 "^ktrestore: backup cut.tar does not verify; nothing was changed$" cut.tar ||
		return 1
	done &&
	flip b/clear.tar $((size / 2)) flipped.tar &&
	refused 3 "^kt-tar: .*" flipped.tar
'

test_expect_success 'signed by someone else than required: refused, nothing changed' '
	refused 3 "^ktrestore: backup b/signed.tar.gpg does not verify; nothing was changed$" \
		--require-signer="$OTHER_FPR" b/signed.tar.gpg &&
	grep "^kt-unseal: " err
'

test_expect_success 'not signed at all, a signer required: refused, nothing changed' '
	refused 3 "does not verify; nothing was changed$" \
		--require-signer="$SIGNER_FPR" b/backup.tar.gpg
'

test_expect_success 'an unencrypted backup cannot satisfy --require-signer' '
	refused 3 "^ktrestore: backup b/clear.tar is not encrypted, so it carries no signature to check$" \
		--require-signer="$SIGNER_FPR" b/clear.tar
'

test_expect_success 'undecryptable: no secret key for it here, nothing changed' '
	gpg_setup_second_home john &&
	gpg_copy_secret_key "$BACKUP_FPR" "$john" &&
	refused 1 "^ktrestore: backup b/escrow.tar.gpg does not verify; nothing was changed$" \
		--homedir="$john" b/escrow.tar.gpg &&
	grep "^kt-unseal: " err
'

test_expect_success 'garbage and empty files: refused, nothing changed' '
	seq 1 1000 >text &&
	refused 1 "does not verify; nothing was changed$" text &&
	# Random bytes now and then parse as the start of an OpenPGP
	# packet (one run in twelve or so), and a damaged message is
	# status 3, not 1: either way it must be refused.
	head -c 5000 /dev/urandom >garbage &&
	refused any "does not verify; nothing was changed$" garbage &&
	: >empty &&
	refused 1 "does not verify; nothing was changed$" empty
'

test_expect_success 'a backup that holds something else too: refused, nothing changed' '
	mkdir -p evil/etc evil/var/lib/keytrustee &&
	cp -a "r/$KTS_CONF" evil/var/lib/keytrustee/ &&
	echo "root::0:0::/:/bin/sh" >evil/etc/passwd &&
	gpg -d -q b/backup.tar.gpg | tar xf - -C evil var/lib/keytrustee &&
	(cd evil && tar cf - var/lib/keytrustee/.keytrustee \
		var/lib/keytrustee/*.sql etc/passwd) |
		gpg -e -r "John Doe" >evil.tar.gpg &&
	refused 1 "^ktrestore: backup evil.tar.gpg holds etc/passwd, which is no part of a backup of /var/lib/keytrustee/.keytrustee; nothing was changed$" \
		evil.tar.gpg &&
	(cd evil && tar cf - var/lib/keytrustee) >parent.tar &&
	refused 1 "^ktrestore: backup parent.tar holds var/lib/keytrustee, which is no part" \
		parent.tar
'

test_expect_success 'a backup with two dumps, or none: refused, nothing changed' '
	rm -rf two && mkdir two &&
	gpg -d -q b/backup.tar.gpg | tar xf - -C two &&
	cp two/var/lib/keytrustee/kts_bak_*.sql two/var/lib/keytrustee/kts_bak_other.sql &&
	(cd two && tar cf - var/lib/keytrustee/.keytrustee var/lib/keytrustee/*.sql) >two.tar &&
	refused 1 "^ktrestore: backup two.tar holds 2 database dumps beside /var/lib/keytrustee/.keytrustee, expected one$" two.tar &&
	(cd two && tar cf - var/lib/keytrustee/.keytrustee) >none.tar &&
	refused 1 "^ktrestore: backup none.tar holds 0 database dumps" none.tar
'

test_expect_success 'a dump cut short inside a whole tarball: refused, nothing changed' '
	rm -rf cutdump && mkdir cutdump &&
	gpg -d -q b/backup.tar.gpg | tar xf - -C cutdump &&
	sql=$(cd cutdump && ls var/lib/keytrustee/kts_bak_*.sql) &&
	head -c 20000 "cutdump/$sql" >cutdump/short &&
	mv cutdump/short "cutdump/$sql" &&
	(cd cutdump && tar cf - var/lib/keytrustee/.keytrustee "$sql") >cutdump.tar &&
	refused 3 "^ktrestore: restoring database keytrustee from cutdump.tar failed; nothing was changed$" cutdump.tar
'

test_expect_success 'a dump that fails to load: nothing changed' '
	rm -rf baddump && mkdir baddump &&
	gpg -d -q b/backup.tar.gpg | tar xf - -C baddump &&
	sql=$(cd baddump && ls var/lib/keytrustee/kts_bak_*.sql) &&
	sed "s/^CREATE TABLE public.deposits (/CREATE TABLE public.deposits (nonsense nosuchtype,/" \
		"baddump/$sql" >baddump/bad &&
	mv baddump/bad "baddump/$sql" &&
	(cd baddump && tar cf - var/lib/keytrustee/.keytrustee "$sql") >baddump.tar &&
	refused 1 "^ktrestore: restoring database keytrustee from baddump.tar failed; nothing was changed$" baddump.tar &&
	grep "nosuchtype" err
'

test_expect_success 'the database down: nothing changed' '
	pg_stop &&
	test_when_finished "pg_start" &&
	kt_tree r >tree.before &&
	test_expect_code 1 ktrestore --root=r -q b/backup.tar.gpg 2>err &&
	grep "^kt-pgdump-wrap: " err &&
	tail -n 1 err | grep "nothing was changed$" &&
	kt_tree r >tree.after &&
	test_cmp tree.before tree.after
'

test_expect_success 'after all that, the good backup restores the host' '
	ktrestore --root=r -q b/backup.tar.gpg &&
	host_state >state.after &&
	! test_cmp state.before state.after >/dev/null &&
	test "$(cat "r/$KTS_CONF/keytrustee.conf")" != "changed since the backup"
'

test_done
