#!/bin/sh

test_description='ktbackup from cron: the seed'"'"'s crontab lines, verbatim

The command of each crontab line of the seed runs as cron runs it: /bin/sh
-c, an environment of HOME, LOGNAME, SHELL=/bin/sh and PATH=/usr/bin:/bin
only, no terminal (a session of its own), standard input from /dev/null.
The script path becomes ktbackup; the only words added are --root (the
fake server), --allow-root (the tests run as root, where the seed runs as
the service account) and, for the server, PGHOST: the test cluster'"'"'s
socket is in a private directory, not where libpq looks by default.

In the seed the service account is also the database superuser (role
keytrustee); here the user running the tests plays the service account,
so it gets a superuser role of its own name.  Its keyring is ~/.gnupg,
holding the key administrator'"'"'s public key only.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG,GNUTAR
then
	skip_all='needs gpg 2.2, PostgreSQL and GNU tar'
	test_done
fi

# cron_command LINE ROOT [PREFIX]: LINE with ktbackup for the script path,
# --root and --allow-root added, PREFIX (an assignment) before it.
cron_command () {
	printf '%s\n' "$1" |
	sed -e "s|/opt/cloudera/parcels/[A-Z_]*/bin/ktbackup.sh|${3:+$3 }$KTBACKUP|" \
		-e "s|\$| --root=$2 --allow-root|"
}

test_expect_success 'setup: the service account'"'"'s home and keyring, a database, two hosts' '
	KTBACKUP=$(command -v ktbackup) &&
	gpg_setup &&
	gpg_setup_backup_key &&
	mkdir -m 700 home &&
	test_atexit "gpgconf --homedir \"$PWD/home/.gnupg\" --kill all" &&
	mkdir -m 700 home/.gnupg &&
	gpg_copy_pubkey "$BACKUP_FPR" "$PWD/home/.gnupg" &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	kt_make_role_for_me &&
	kt_make_kts kts &&
	kt_make_kms kms
'

test_expect_success 'the crontab lines are the seed'"'"'s, word for word' '
	cat >crontab <<-\EOF &&
	*/30 * * * * /opt/cloudera/parcels/KEYTRUSTEE_SERVER/bin/ktbackup.sh --gpg-recipient='"'"'John Doe'"'"' --quiet --output=/tmp/backups --roll=10
	*/30 * * * * /opt/cloudera/parcels/KEYTRUSTEE/bin/ktbackup.sh --gpg-recipient='"'"'John Doe'"'"' --quiet --output=/tmp/backups --roll=10
	EOF
	printf "%s\n%s\n" "$SEED_CRON_KTS" "$SEED_CRON_KMS" >expect &&
	test_cmp expect crontab
'

test_expect_success 'Key Trustee Server: the line backs up, prints the path only, keeps ten' '
	for d in 01 02 03 04 05 06 07 08 09 10
	do
		echo old >kts/tmp/backups/kts_bak_${HOST}_2016-02-$d\_11-14-37.tar.gpg || return 1
	done &&
	line=$(cron_command "$SEED_CRON_KTS" "$PWD/kts" "PGHOST=$PGHOST") &&
	echo "$line" &&
	kt_cron "$line" "$PWD/home" &&
	test "$(cat cron.rc)" = 0 &&
	test_line_count = 0 cron.err &&
	test_line_count = 1 cron.out &&
	b=$(cat cron.out) &&
	case $b in
	"$PWD/kts/tmp/backups/kts_bak_$HOST"_*.tar.gpg) ;;
	*) false ;;
	esac &&
	kt_backups kts/tmp/backups >backups &&
	test_line_count = 10 backups &&
	! grep _2016-02-01_ backups &&
	kt_check_backup "$b" kts
'

test_expect_success 'Key Trustee KMS: the line backs up the KMS, prints the path only' '
	line=$(cron_command "$SEED_CRON_KMS" "$PWD/kms") &&
	echo "$line" &&
	kt_cron "$line" "$PWD/home" &&
	test "$(cat cron.rc)" = 0 &&
	test_line_count = 0 cron.err &&
	b=$(cat cron.out) &&
	case $b in
	"$PWD/kms/tmp/backups/kms_bak_$HOST"_*.tar.gpg) ;;
	*) false ;;
	esac &&
	kt_check_backup "$b" kms kms
'

test_expect_success 'a failing run mails one clear story and stores nothing' '
	kt_tree kts >before &&
	line=$(cron_command "$SEED_CRON_KTS" "$PWD/kts" "PGHOST=$PWD/nowhere") &&
	kt_cron "$line" "$PWD/home" &&
	test "$(cat cron.rc)" = 1 &&
	test_line_count = 0 cron.out &&
	head -n 1 cron.err | grep "^kt-pgdump-wrap: cannot connect to PostgreSQL on $PWD/nowhere port 11381" &&
	tail -n 1 cron.err | grep "^ktbackup: backup failed; $PWD/kts/tmp/backups is as it was$" &&
	kt_tree kts >after &&
	test_cmp before after
'

test_expect_success 'the bare environment really is bare' '
	kt_cron "* * * * * env; tty; echo stdin: \$(wc -c)" "$PWD/home" &&
	sort cron.out >actual &&
	cat >expect <<-EOF &&
	HOME=$PWD/home
	LOGNAME=$(id -un)
	PATH=/usr/bin:/bin
	PWD=$PWD
	SHELL=/bin/sh
	not a tty
	stdin: 0
	EOF
	test_cmp expect actual
'

test_done
