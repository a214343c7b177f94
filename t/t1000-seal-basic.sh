#!/bin/sh

test_description='kt-seal writes OpenPGP that stock gpg decrypts, to the keys it is told'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"

if ! test_have_prereq GPG
then
	skip_all='gpg 2.2 or later not found'
	test_done
fi

test_expect_success 'setup: backup key, escrow key, sample data' '
	gpg_setup &&
	gpg_setup_backup_key &&
	head -c 300000 /dev/urandom >data &&
	printf "line %s\n" $(seq 1 2000) >text
'

test_expect_success 'sealed to John Doe by name, gpg -d gives the data back' '
	kt-seal -r "John Doe" <data >data.gpg &&
	gpg --batch -q -d <data.gpg >out &&
	cmp data out
'

test_expect_success 'the output is binary OpenPGP by default, armored with -a' '
	kt-seal -r "$BACKUP_FPR" <text >text.gpg &&
	test "$(head -c 27 text.gpg)" != "-----BEGIN PGP MESSAGE-----" &&
	kt-seal -a -r "$BACKUP_FPR" <text >text.asc &&
	test "$(head -n 1 text.asc)" = "-----BEGIN PGP MESSAGE-----" &&
	gpg --batch -q -d <text.asc >out &&
	test_cmp text out
'

test_expect_success 'a recipient may be a fingerprint, a key id, an e-mail or a name' '
	keyid=$(printf %s "$BACKUP_FPR" | cut -c 25-40) &&
	for r in "$BACKUP_FPR" "$keyid" john.doe@example.com "John Doe" \
		"John Doe (Key Trustee Backup) <john.doe@example.com>"
	do
		kt-seal -r "$r" <text >r.gpg &&
		gpg --batch -q -d <r.gpg >out &&
		test_cmp text out || return 1
	done
'

test_expect_success 'several -r: each recipient alone can decrypt' '
	kt-seal -r john.doe@example.com -r escrow@example.com <data >two.gpg &&
	gpg_setup_second_home escrow_home &&
	gpg_copy_secret_key "$ESCROW_FPR" "$escrow_home" &&
	gpg --homedir "$escrow_home" --batch -q -d <two.gpg >out &&
	cmp data out &&
	gpg_setup_second_home doe_home &&
	gpg_copy_secret_key "$BACKUP_FPR" "$doe_home" &&
	gpg --homedir "$doe_home" --batch -q -d <two.gpg >out2 &&
	cmp data out2
'

test_expect_success '--homedir picks the keyring, as sudo -u keytrustee would' '
	gpg_setup_second_home service_home &&
	gpg_copy_pubkey "$BACKUP_FPR" "$service_home" &&
	(
		unset GNUPGHOME &&
		HOME=/nonexistent kt-seal --homedir "$service_home" \
			-r john.doe@example.com <text >home.gpg
	) &&
	gpg --batch -q -d <home.gpg >out &&
	test_cmp text out
'

test_expect_success 'GNUPGHOME is used when --homedir is not given' '
	GNUPGHOME=$service_home kt-seal -r john.doe@example.com <text >env.gpg &&
	gpg --batch -q -d <env.gpg >out &&
	test_cmp text out
'

test_expect_success 'an unknown recipient is refused, nothing is written' '
	test_expect_code 1 kt-seal -r nobody@example.com <text >out 2>err &&
	grep "^kt-seal: no public key for nobody@example.com in " err &&
	test_line_count = 1 err &&
	test ! -s out
'

test_expect_success 'a name matching two keys is refused with the candidates' '
	other=$(gpg_make_key "John Doe" john.doe@other.example.com) &&
	test_expect_code 1 kt-seal -r "John Doe" <text >out 2>err &&
	grep "John Doe matches more than one key" err &&
	grep "$BACKUP_FPR" err &&
	grep "$other" err &&
	grep "ambiguous" err &&
	test ! -s out
'

test_expect_success 'an exact e-mail still designates one key' '
	kt-seal -r john.doe@example.com <text >one.gpg &&
	gpg --batch -q -d <one.gpg >out &&
	test_cmp text out
'

test_expect_success 'an expired key is refused with the reason' '
	fpr=$(gpg_make_expired_key Old old@example.com) &&
	test_expect_code 1 kt-seal -r old@example.com <text >out 2>err &&
	grep "is expired" err &&
	test ! -s out
'

test_expect_success 'a revoked key is refused with the reason' '
	fpr=$(gpg_make_revoked_key Gone gone@example.com) &&
	test_expect_code 1 kt-seal -r gone@example.com <text >out 2>err &&
	grep "is revoked" err &&
	test ! -s out
'

test_expect_success 'a key without an encryption subkey is refused' '
	fpr=$(gpg_make_sign_only_key Signer signer@example.com) &&
	test_expect_code 1 kt-seal -r signer@example.com <text >out 2>err &&
	grep "has no usable encryption key" err &&
	test ! -s out
'

test_expect_success 'a disabled key is refused' '
	fpr=$(gpg_make_key Off off@example.com) &&
	gpg --batch --quick-set-ownertrust "$fpr" ultimate 2>/dev/null;
	printf "disable\nsave\n" |
		gpg --batch --command-fd 0 --edit-key "$fpr" >/dev/null 2>&1 &&
	test_expect_code 1 kt-seal -r off@example.com <text >out 2>err &&
	grep "is disabled" err &&
	test ! -s out
'

test_expect_success 'a key of unknown trust is used without a question' '
	stranger=$(gpg_make_key Stranger stranger@example.com) &&
	gpg_setup_second_home plain_home &&
	gpg --batch --export "$stranger" |
		gpg --homedir "$plain_home" --batch -q --import &&
	kt-seal --homedir "$plain_home" -r stranger@example.com <text >s.gpg &&
	gpg --batch -q -d <s.gpg >out &&
	test_cmp text out
'

test_expect_success '-s signs: gpg reports a good signature by the signer' '
	kt-seal -r john.doe@example.com -s -u escrow@example.com \
		<text >signed.gpg &&
	gpg --batch --status-fd 3 -d <signed.gpg >out 3>status 2>/dev/null &&
	test_cmp text out &&
	grep "^\[GNUPG:\] VALIDSIG .* $ESCROW_FPR$" status
'

test_expect_success '-u with a key that has no secret here is refused' '
	gpg --batch --export "$stranger" >stranger.pub &&
	gpg_setup_second_home pub_only &&
	gpg --homedir "$pub_only" --batch -q --import stranger.pub &&
	gpg --batch --export "$BACKUP_FPR" |
		gpg --homedir "$pub_only" --batch -q --import &&
	test_must_fail kt-seal --homedir "$pub_only" -r "$BACKUP_FPR" \
		-s -u stranger@example.com <text >out 2>err &&
	grep "no secret key for stranger@example.com" err &&
	test ! -s out
'

test_expect_success '-s with a protected key takes the passphrase from a file' '
	prot=$(gpg_make_key_with_passphrase Prot prot@example.com sesame) &&
	printf "sesame\n" >pass && chmod 600 pass &&
	kt-seal -r john.doe@example.com -s -u prot@example.com \
		--passphrase-file pass <text >p.gpg &&
	gpg --batch --status-fd 3 -d <p.gpg >out 3>status 2>/dev/null &&
	grep "VALIDSIG .* $prot$" status
'

test_expect_success '-s with a wrong passphrase fails and writes no message' '
	printf "wrong\n" >bad && chmod 600 bad &&
	test_must_fail kt-seal -r john.doe@example.com -s -u prot@example.com \
		--passphrase-file bad <text >out 2>err &&
	grep -i "passphrase" err &&
	test_must_fail gpg --batch -q -d <out >/dev/null 2>&1
'

test_expect_success '--symmetric with --passphrase-file: gpg -d decrypts it' '
	printf "correct horse\n" >sym && chmod 600 sym &&
	kt-seal --symmetric --passphrase-file sym <data >sym.gpg &&
	gpg --batch -q --pinentry-mode loopback --passphrase-file sym \
		-d <sym.gpg >out &&
	cmp data out
'

test_expect_success '--symmetric with --passphrase-fd' '
	kt-seal --symmetric --passphrase-fd 3 <text >fd.gpg 3<sym &&
	gpg --batch -q --pinentry-mode loopback --passphrase "correct horse" \
		-d <fd.gpg >out &&
	test_cmp text out
'

test_expect_success 'a passphrase file readable by others is refused' '
	printf "open secret\n" >public && chmod 644 public &&
	test_expect_code 1 kt-seal --symmetric --passphrase-file public \
		<text >out 2>err &&
	grep "passphrase file public is accessible by group or others" err &&
	test ! -s out
'

test_expect_success 'an empty passphrase file is refused' '
	: >empty && chmod 600 empty &&
	test_expect_code 1 kt-seal --symmetric --passphrase-file empty \
		<text >out 2>err &&
	grep "empty passphrase" err &&
	test ! -s out
'

test_expect_success '--symmetric without a passphrase source or terminal fails' '
	test_expect_code 2 setsid kt-seal --symmetric <text >out 2>err &&
	grep "no terminal" err &&
	test ! -s out
'

test_expect_success '--no-compress: gpg sees no compressed packet' '
	kt-seal --no-compress -r "$BACKUP_FPR" <text >nc.gpg &&
	gpg --batch -q --list-packets <nc.gpg >packets 2>/dev/null &&
	! grep "compressed packet" packets &&
	kt-seal -r "$BACKUP_FPR" <text >c.gpg &&
	gpg --batch -q --list-packets <c.gpg >packets 2>/dev/null &&
	grep "compressed packet" packets
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 kt-seal <text 2>err &&
	grep "no recipient" err &&
	test_expect_code 2 kt-seal --symmetric -r x <text 2>err &&
	test_expect_code 2 kt-seal -r x -u y <text 2>err &&
	test_expect_code 2 kt-seal --bogus 2>err &&
	grep "^usage: kt-seal" err &&
	test_expect_code 2 kt-seal -r x extra-argument 2>err &&
	test_expect_code 2 kt-seal --symmetric --passphrase-fd x 2>err &&
	grep "invalid file descriptor" err
'

test_expect_success '--help prints the synopsis on stdout and exits 0' '
	kt-seal --help >out &&
	grep "^usage: kt-seal" out
'

test_done
