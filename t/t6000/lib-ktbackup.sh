# lib-ktbackup.sh: fake Key Trustee hosts for the ktbackup and ktrestore
# tests (t6xxx).  Source it after test-lib.sh, lib-gpg.sh and lib-pg.sh:
#	. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

# The seed's paths, relative to a fake root.
KTS_CONF=var/lib/keytrustee/.keytrustee
KMS_CONF=var/lib/kms-keytrustee/keytrustee/.keytrustee
KTS_PARCEL=opt/cloudera/parcels/KEYTRUSTEE_SERVER
KMS_PARCEL=opt/cloudera/parcels/KEYTRUSTEE

# The host name as ktbackup and kt-roll put it in file names (the seed's
# kts01_example_com).
HOST=$(uname -n | tr . _)

# The seed's crontab lines, word for word.
SEED_CRON_KTS="*/30 * * * * /opt/cloudera/parcels/KEYTRUSTEE_SERVER/bin/ktbackup.sh --gpg-recipient='John Doe' --quiet --output=/tmp/backups --roll=10"
SEED_CRON_KMS="*/30 * * * * /opt/cloudera/parcels/KEYTRUSTEE/bin/ktbackup.sh --gpg-recipient='John Doe' --quiet --output=/tmp/backups --roll=10"

# kt_conf_files_ DIR: a configuration directory as the seed's tar listing
# shows it: keyrings, TLS keys, configuration, modes 0600 and 0700 (and
# the one 0644 file of the listing).  Key material is random.
kt_conf_files_ () {
	mkdir -p "$1/.ssl" &&
	chmod 700 "$1" "$1/.ssl" &&
	printf '[keytrustee]\nhostname = kts01.example.com\nport = 11371\n' >"$1/keytrustee.conf" &&
	printf 'no-greeting\nkeyserver-options no-auto-key-retrieve\n' >"$1/gpg.conf" &&
	head -c 1280 /dev/urandom >"$1/trustdb.gpg" &&
	head -c 4845 /dev/urandom >"$1/secring.gpg" &&
	head -c 2263 /dev/urandom >"$1/pubring.gpg" &&
	cp "$1/pubring.gpg" "$1/pubring.gpg~" &&
	head -c 600 /dev/urandom >"$1/random_seed" &&
	head -c 1708 /dev/urandom >"$1/.ssl/ssl-cert-keytrustee-pk.pem" &&
	head -c 1277 /dev/urandom >"$1/.ssl/ssl-cert-keytrustee.pem" &&
	chmod 600 "$1"/* "$1"/.ssl/* "$1/pubring.gpg~" &&
	printf '[loggers]\nkeys = root\n' >"$1/logging.conf" &&
	chmod 644 "$1/logging.conf"
}

# kt_make_kts ROOT [package]: a parcel-based Key Trustee Server under
# ROOT (a package-based one with "package": no parcel directory).
kt_make_kts () {
	mkdir -p "$1/$KTS_CONF" "$1/var/lib/keytrustee/logs" "$1/tmp/backups" &&
	if test "${2:-}" != package
	then
		mkdir -p "$1/$KTS_PARCEL/bin"
	fi &&
	kt_conf_files_ "$1/$KTS_CONF"
}

# kt_make_kms ROOT [package]: a parcel-based Key Trustee KMS under ROOT.
kt_make_kms () {
	mkdir -p "$1/$KMS_CONF" "$1/tmp/backups" &&
	if test "${2:-}" != package
	then
		mkdir -p "$1/$KMS_PARCEL/bin"
	fi &&
	kt_conf_files_ "$1/$KMS_CONF" &&
	printf '<configuration/>\n' >"$1/var/lib/kms-keytrustee/keytrustee/kms-acls.xml"
}

# kt_tree DIR: one line per entry under DIR (DIR itself included as "."):
# path, type, mode, and for files size and SHA-256, for links the target.
# Two trees are identical when their kt_tree are (test_cmp).
kt_tree () {
	(
		sums=$(mktemp "$TRASH_DIRECTORY/.kt_tree.XXXXXX") || exit 1
		trap 'rm -f "$sums"' EXIT
		cd "$1" || exit 1
		find . -type f -print0 | xargs -0 -r sha256sum >"$sums" || exit 1
		find . -printf '%p\t%y\t%m\t%s\t%l\n' |
		awk -F '\t' -v sums="$sums" '
			BEGIN {
				while ((getline line < sums) > 0)
					sum[substr(line, 67)] = substr(line, 1, 64)
			}
			{
				p = $1 == "." ? "." : substr($1, 3)
				if ($2 == "l") print p, "link", $5
				else if ($2 == "f") print p, "file", $3, $4, sum[$1]
				else print p, $2, $3
			}' | LC_ALL=C sort
	)
}

# kt_backups DIR: the backups in DIR, oldest first (kt-roll's names sort
# by time), one name a line.
kt_backups () {
	find "$1" -maxdepth 1 -type f -name '*_bak_*' -printf '%P\n' | LC_ALL=C sort
}

# kt_ktbackup ARGS...: ktbackup as the tests run it: as root, so with
# --allow-root.
kt_ktbackup () {
	ktbackup --allow-root "$@"
}

# kt_make_role_for_me: a superuser role named after the user running the
# tests, as the service account keytrustee is the database superuser in
# the seed: a bare cron environment has no PGUSER.
kt_make_role_for_me () {
	kt_me_=$(id -un) &&
	if test "$kt_me_" != keytrustee
	then
		pg_psql -d postgres -c "CREATE ROLE \"$kt_me_\" SUPERUSER LOGIN" &&
		pg_psql -d postgres -c "CREATE DATABASE \"$kt_me_\""
	fi
}

# kt_cron LINE HOMEDIR [VAR=VALUE...]: run the command of crontab LINE as
# cron does: /bin/sh -c with cron's bare environment, no terminal (a new
# session), standard input from /dev/null; standard output to cron.out,
# error to cron.err, exit status to cron.rc.
kt_cron () {
	kt_line_=$1 kt_home_=$2
	shift 2
	kt_cmd_=$(printf '%s\n' "$kt_line_" | sed 's/^\([^ ]* \)\{5\}//')
	setsid -w env -i HOME="$kt_home_" LOGNAME="$(id -un)" SHELL=/bin/sh \
		PATH=/usr/bin:/bin "$@" /bin/sh -c "$kt_cmd_" \
		</dev/null >cron.out 2>cron.err
	echo $? >cron.rc
}

# kt_unpack BACKUP DIR: the seed's restore steps with stock tools only:
# gpg -d -o backup.tar (for an encrypted backup), then tar xf into DIR.
kt_unpack () {
	mkdir -p "$2" &&
	case $1 in
	*.gpg) gpg --batch -q -d -o "$2.tar" "$1" ;;
	*) cp "$1" "$2.tar" ;;
	esac &&
	tar -xf "$2.tar" -C "$2" &&
	rm -f "$2.tar"
}

# kt_load_dump SQL DB: DB made afresh and SQL loaded into it with stock
# psql, as the seed's restore does.
kt_load_dump () {
	pg_psql -d postgres -c "DROP DATABASE IF EXISTS \"$2\"" &&
	pg_psql -d postgres -c "CREATE DATABASE \"$2\"" &&
	pg_psql -d "$2" -f "$1" >/dev/null
}

# kt_check_backup BACKUP ROOT [kms]: BACKUP holds ROOT's configuration
# directory, identical, and (for a server) one dump beside it that loads
# into a database identical to keytrustee; checked with stock gpg, tar
# and psql.  Leaves the unpacked tree in "unpacked".
kt_check_backup () {
	rm -rf unpacked unpacked.tar &&
	kt_unpack "$1" unpacked &&
	if test "${3:-}" = kms
	then
		kt_tree "$2/$KMS_CONF" >conf.expect &&
		kt_tree "unpacked/$KMS_CONF" >conf.actual &&
		test_cmp conf.expect conf.actual &&
		(cd unpacked && find . ! -type d) >members &&
		! grep -v "^./$KMS_CONF/" members
	else
		kt_tree "$2/$KTS_CONF" >conf.expect &&
		kt_tree "unpacked/$KTS_CONF" >conf.actual &&
		test_cmp conf.expect conf.actual &&
		(cd unpacked && find . ! -type d) >members &&
		grep -v "^./$KTS_CONF/" members >dumps &&
		test_line_count = 1 dumps &&
		grep "^./var/lib/keytrustee/kts_bak_${HOST}_[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]_[0-9][0-9]-[0-9][0-9]-[0-9][0-9]\.sql\$" dumps &&
		test_file_mode "unpacked/$(cat dumps)" 600 &&
		kt_load_dump "unpacked/$(cat dumps)" kt_verify &&
		pg_table_digest keytrustee >db.expect &&
		pg_table_digest kt_verify >db.actual &&
		test_cmp db.expect db.actual
	fi
}
