#!/bin/sh

test_description='ktbackup: options, the seed'"'"'s defaults, and clear refusals

Usage errors, a package-based installation without the options the seed
says it needs, running as root, missing directories and an unknown
recipient: each one clear line, a non-zero exit, and nothing stored.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

test_expect_success '--help prints the synopsis on stdout' '
	ktbackup --help >out 2>err &&
	test_line_count = 0 err &&
	grep "^usage: ktbackup \[-c confdir\] \[--database-port=port\]" out &&
	grep -e "--gpg-recipient=recipient\]\.\.\." out &&
	grep -e "--allow-root" out
'

roots_tree () {
	for r in kms kts pkg pkgkms
	do
		kt_tree $r | sed "s|^|$r/|" || return 1
	done
}

test_expect_success 'setup: a parcel-based KMS and server, a package-based pair' '
	kt_make_kms kms &&
	kt_make_kts kts &&
	kt_make_kts pkg package &&
	kt_make_kms pkgkms package &&
	mkdir -p pkgkms/usr/share/keytrustee-keyprovider/bin &&
	roots_tree >tree.before
'

# usage_fails ARGS...: exit 2, one "ktbackup: " line and the usage.
usage_fails () {
	test_expect_code 2 kt_ktbackup "$@" >out 2>err &&
	test_line_count = 0 out &&
	head -n 1 err | grep "^ktbackup: " &&
	grep "^usage: ktbackup" err
}

test_expect_success 'an unknown option is a usage error' '
	usage_fails --root=kms --gpg-recipient=x --frobnicate &&
	grep "unknown option --frobnicate" err
'

test_expect_success 'a flag given a value is a usage error' '
	usage_fails --root=kms --gpg-recipient=x --quiet=yes &&
	grep -e "--quiet takes no value" err
'

test_expect_success 'an option without its value is a usage error' '
	usage_fails --root=kms --gpg-recipient &&
	grep -e "--gpg-recipient needs a value" err
'

test_expect_success '--roll must be a whole number of backups, at least 1' '
	for n in 0 -1 1.5 abc "" 010
	do
		usage_fails --root=kms --gpg-recipient=x --roll="$n" &&
		grep -e "--roll must be a whole number" err || return 1
	done
'

test_expect_success 'a backup without --gpg-recipient or --cleartext is refused' '
	usage_fails --root=kms &&
	grep -e "--gpg-recipient is required" err
'

test_expect_success '--cleartext with --gpg-recipient or --sign-with is refused' '
	usage_fails --root=kms --cleartext --gpg-recipient=x &&
	grep -e "--cleartext and --gpg-recipient exclude each other" err &&
	usage_fails --root=kms --cleartext --sign-with=x &&
	grep -e "--cleartext and --sign-with exclude each other" err
'

test_expect_success 'a relative --confdir or --output is refused' '
	usage_fails --root=kms --gpg-recipient=x -c var/lib &&
	grep -e "--confdir must be an absolute path" err &&
	usage_fails --root=kms --gpg-recipient=x --output=tmp &&
	grep -e "--output must be an absolute path" err &&
	usage_fails --root=kms --gpg-recipient=x --confdir=/ &&
	grep -e "--confdir must name a directory below /" err
'

test_expect_success 'a package-based server without -c, --database-port, --output: told which' '
	usage_fails --root=pkg --gpg-recipient=x &&
	grep "package-based Key Trustee Server (no parcel .*/opt/cloudera/parcels/KEYTRUSTEE_SERVER): give --confdir --database-port --output" err &&
	usage_fails --root=pkg --gpg-recipient=x -c /var/lib/keytrustee/.keytrustee --output=/var/lib/keytrustee &&
	grep "give --database-port$" err
'

test_expect_success 'a package-based KMS without -c, --output: told which' '
	usage_fails --root=pkgkms --gpg-recipient=x &&
	grep "package-based Key Trustee KMS (no parcel .*/opt/cloudera/parcels/KEYTRUSTEE): give --confdir --output$" err &&
	usage_fails --root=pkgkms --gpg-recipient=x --output=/var/lib/kms-keytrustee &&
	grep "give --confdir$" err
'

test_expect_success ROOT 'as root, ktbackup refuses to run without --allow-root' '
	test_expect_code 1 ktbackup --root=kms --gpg-recipient=x >out 2>err &&
	test_line_count = 0 out &&
	cat >expect <<-\EOF &&
	ktbackup: refusing to run as root: run it as the service account (sudo -u kms ktbackup ...), or give --allow-root
	EOF
	test_cmp expect err &&
	test_expect_code 1 ktbackup --root=kts --gpg-recipient=x 2>err &&
	grep "sudo -u keytrustee ktbackup" err
'

test_expect_success 'a missing root, configuration or output directory is named' '
	test_expect_code 1 kt_ktbackup --root=nowhere --gpg-recipient=x 2>err &&
	grep "^ktbackup: root directory nowhere: not found$" err &&
	test_expect_code 1 kt_ktbackup --root=kms --gpg-recipient=x -c /etc/nothing 2>err &&
	grep "^ktbackup: configuration directory $PWD/kms/etc/nothing: not found$" err &&
	test_expect_code 1 kt_ktbackup --root=kms --gpg-recipient=x --output=/srv/none 2>err &&
	grep "^ktbackup: output directory $PWD/kms/srv/none: not found$" err
'

test_expect_success 'nothing was stored or changed by any of the above' '
	roots_tree >tree.after &&
	test_cmp tree.before tree.after
'

test_expect_success GPG 'setup: the key administrator'"'"'s key in the service keyring' '
	gpg_setup &&
	gpg_setup_backup_key
'

test_expect_success GPG 'a recipient missing from the keyring: kt-seal says so, nothing stored' '
	kt_tree kms >before &&
	test_expect_code 1 kt_ktbackup --root=kms --gpg-recipient="Jane Roe" >out 2>err &&
	test_line_count = 0 out &&
	grep "^kt-seal: no public key for Jane Roe in $GNUPGHOME" err &&
	tail -n 1 err | grep "^ktbackup: backup failed; $PWD/kms/var/lib/kms-keytrustee is as it was$" &&
	kt_tree kms >after &&
	test_cmp before after
'

test_expect_success GPG 'a KMS parcel alone makes a KMS backup without --kms, as the seed'"'"'s KMS script' '
	kt_ktbackup --root=kms --gpg-recipient="John Doe" -q >out 2>err &&
	test_line_count = 0 err &&
	grep "^$PWD/kms/var/lib/kms-keytrustee/kms_bak_[^/]*\.tar\.gpg$" out
'

test_expect_success GPG '--kms backs up the KMS of a host that has the server parcel too' '
	kt_make_kts both &&
	kt_make_kms both &&
	kt_ktbackup --root=both --kms --gpg-recipient="John Doe" -q >out 2>err &&
	test_line_count = 0 err &&
	grep "^$PWD/both/var/lib/kms-keytrustee/kms_bak_[^/]*\.tar\.gpg$" out &&
	gpg --batch -q -d -o both.tar "$(cat out)" &&
	tar tf both.tar >names &&
	grep "^$KMS_CONF/secring.gpg$" names &&
	! grep -v "^$KMS_CONF/" names
'

test_done
