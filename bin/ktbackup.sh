#!/bin/sh
# ktbackup: back up a Key Trustee Server (or, with --kms, a Key Trustee
# KMS) as ktbackup.sh does: one tarball of the configuration directory and,
# for a server, a dump of the keytrustee database, encrypted to the key
# administrator and stored with retention.
#
# Every capability lives in a filter; this script only composes them:
#
#   kt-collect | { kt-pgdump-wrap | kt-tar -c --stdin-member DUMP; } |
#       kt-seal -r RECIPIENT | kt-roll -o OUTPUT --keep N
#
# No stage needs pipefail: kt-tar refuses a cut list or dump, kt-seal a cut
# archive, kt-roll a cut message, so any failure leaves OUTPUT as it was.
set -u

prog=ktbackup
# @kt_sh_lib@

usage() {
	cat <<'EOF'
usage: ktbackup [-c confdir] [--database-port=port] [--gpg-recipient=recipient]...
                [--cleartext] [--output=dir] [--roll=n] [-q | --quiet] [--verbose]
                [--kms] [--sign-with=key] [--homedir=dir] [--root=dir] [--allow-root]
EOF
}

confdir= port= output= roll= roll_set= root=/ kms= cleartext= homedir= allow_root=
sign_with= recipients= nrecipients=0 verbosity=1

# Options as ktbackup.sh takes them: --opt=value and --opt value alike.
while test $# -gt 0
do
	opt=$1 val= has_val=
	shift
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; has_val=1 ;;
	-c?*) val=${opt#-c}; opt=-c; has_val=1 ;;
	esac
	case $opt in
	-c|--confdir|--database-port|--gpg-recipient|--output|--roll|--sign-with|--root|--homedir)
		if test -z "$has_val"
		then
			test $# -ge 1 || usage_error "$opt needs a value"
			val=$1
			shift
		fi
		case $opt in
		-c|--confdir) confdir=$val ;;
		--database-port) port=$val ;;
		--gpg-recipient)
			test -n "$val" || usage_error "--gpg-recipient needs a value"
			recipients="$recipients -r $(quote "$val")"
			nrecipients=$((nrecipients + 1)) ;;
		--output) output=$val ;;
		--roll) roll=$val roll_set=1 ;;
		--sign-with) sign_with=$val ;;
		--root) root=$val ;;
		--homedir) homedir=$val ;;
		esac
		continue ;;
	esac
	test -z "$has_val" || usage_error "$opt takes no value"
	case $opt in
	--cleartext) cleartext=1 ;;
	-q|--quiet) verbosity=0 ;;
	-v|--verbose) verbosity=2 ;;
	--kms) kms=1 ;;
	--allow-root) allow_root=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage_error "unknown option $opt" ;;
	esac
done

# --- what to back up, with the seed's defaults --------------------------

case $root in
'') usage_error "--root needs a directory" ;;
esac
root=${root%/}
case $root in
''|/*) ;;
*) abs=$(cd "$root" 2>/dev/null && pwd) || die "root directory $root: not found"
	root=$abs ;;
esac
test -d "$root/" || die "root directory $root: not found"

# The seed installs ktbackup.sh in each product's parcel (or package), and
# its crontab lines differ only by that path: where only the KMS is
# installed, a backup is a KMS backup without --kms.
kts_parcel=/opt/cloudera/parcels/KEYTRUSTEE_SERVER
kms_parcel=/opt/cloudera/parcels/KEYTRUSTEE
kms_package=/usr/share/keytrustee-keyprovider
if test -z "$kms" && ! test -d "$root$kts_parcel" &&
	{ test -d "$root$kms_parcel" || test -d "$root$kms_package"; }
then
	kms=1
fi
if test -n "$kms"
then
	parcel=$kms_parcel
	dft_confdir=/var/lib/kms-keytrustee/keytrustee/.keytrustee
	dft_output=/var/lib/kms-keytrustee
	prefix=kms_bak
	what="Key Trustee KMS"
else
	parcel=$kts_parcel
	dft_confdir=/var/lib/keytrustee/.keytrustee
	dft_output=/var/lib/keytrustee
	prefix=kts_bak
	what="Key Trustee Server"
fi

# ktbackup.sh has defaults only for parcel-based installations; on a
# package-based one the seed says these options must be given.
if test -d "$root$parcel"
then
	: "${confdir:=$dft_confdir}" "${output:=$dft_output}" "${port:=11381}"
else
	missing=
	test -n "$confdir" || missing="$missing --confdir"
	test -n "$kms" || test -n "$port" || missing="$missing --database-port"
	test -n "$output" || missing="$missing --output"
	test -z "$missing" ||
		usage_error "package-based $what (no parcel $root$parcel): give$missing"
fi

case $confdir in
/*) ;;
*) usage_error "--confdir must be an absolute path: $confdir" ;;
esac
confdir=$(printf %s "$confdir" | sed 's://*:/:g; s:/$::')
case /$confdir/ in
//|*/../*|*/./*) usage_error "--confdir must name a directory below /: $confdir" ;;
esac
case $output in
/*) ;;
*) usage_error "--output must be an absolute path: $output" ;;
esac
# Backups stored inside the directory backed up would go into the next
# backup, each one larger than the last.
case ${output%/}/ in
"$confdir"/*) usage_error "--output must not be inside the configuration directory $confdir: $output" ;;
esac
test -n "$kms" || case $port in
''|*[!0-9]*) usage_error "--database-port must be a number: $port" ;;
esac
if test -n "$roll_set"
then
	case $roll in
	''|*[!0-9]*|0*|???????*) usage_error "--roll must be a whole number of backups, at least 1: $roll" ;;
	esac
	test "$roll" -le 100000 ||
		usage_error "--roll keeps at most 100000 backups: $roll"
fi

if test -n "$cleartext"
then
	test "$nrecipients" -eq 0 ||
		usage_error "--cleartext and --gpg-recipient exclude each other"
	test -z "$sign_with" ||
		usage_error "--cleartext and --sign-with exclude each other"
else
	test "$nrecipients" -gt 0 ||
		usage_error "--gpg-recipient is required (the backup is encrypted to it), or --cleartext"
fi

if test "$(id -u)" -eq 0 && test -z "$allow_root"
then
	case $kms in
	1) account=kms ;;
	*) account=keytrustee ;;
	esac
	die "refusing to run as root: run it as the service account (sudo -u $account ktbackup ...), or give --allow-root"
fi

test -d "$root$confdir" || die "configuration directory $root$confdir: not found"
test -d "$root$output" || die "output directory $root$output: not found"

if test -n "$cleartext"
then
	# Even with -q: a cron job's mail must show it.
	contents="the private keys and the database"
	test -n "$kms" && contents="the private keys"
	printf '%s: WARNING: --cleartext writes %s unencrypted; do not use it in production\n' \
		"$prog" "$contents" >&2
fi

# --- the pipeline ---------------------------------------------------------

# kt-roll names the backup after gethostname(), dots made underscores;
# the dump inside is named alike, as in the seed's listing.
host=$(uname -n | tr . _)
stamp=$(date -u +%Y-%m-%d_%H-%M-%S)
dump_member=${confdir%/*}/${prefix}_${host}_$stamp.sql
dump_member=${dump_member#/}

filter_v=-q
test "$verbosity" -ge 2 && filter_v=-v

if test -n "$cleartext"
then
	seal=cat
	suffix=.tar
else
	seal="kt-seal $filter_v"
	test -n "$homedir" && seal="$seal --homedir $(quote "$homedir")"
	seal="$seal $recipients"
	test -n "$sign_with" && seal="$seal -s -u $(quote "$sign_with")"
	suffix=.tar.gpg
fi

roll_v=-q
test "$verbosity" -ge 2 && roll_v=-v
roll_cmd="kt-roll $roll_v -o $(quote "$root$output") --prefix $prefix --host $(quote "$host") --suffix $suffix"
test -n "$roll" && roll_cmd="$roll_cmd --keep $roll"

collect="kt-collect -0 $filter_v -C $(quote "$root/") $(quote "$confdir")"
if test -n "$kms"
then
	narrate "archiving $root$confdir"
	archive="kt-tar -c -0 $filter_v -C $(quote "$root/")"
	pipeline="$collect | $archive"
else
	narrate "archiving $root$confdir and a dump of database keytrustee on port $port as $dump_member"
	# The list travels on descriptor 3 so that kt-tar's standard input
	# is free for the dump, which never touches the disk in clear.
	dump="kt-pgdump-wrap $filter_v -p $port keytrustee </dev/null"
	archive="kt-tar -c -0 $filter_v -C $(quote "$root/") -T /dev/fd/3 --stdin-member $(quote "$dump_member")"
	pipeline="$collect | { $dump | $archive; } 3<&0"
fi
if test -n "$cleartext"
then
	narrate "storing it unencrypted in $root$output${roll:+, keeping the last $roll}"
else
	narrate "encrypting it to $nrecipients recipient(s)${sign_with:+, signed by $sign_with}, storing it in $root$output${roll:+, keeping the last $roll}"
fi

# kt-roll's status is the pipeline's: it stores only a whole stream, and
# it prints the path only once the backup is stored.
stored=$(eval "$pipeline | $seal | $roll_cmd" </dev/null)
rc=$?
if test -z "$stored" && test "$rc" -gt 128
then
	# Killed after storing, kt-roll would not have printed the path.
	die "backup interrupted: kt-roll was killed; $root$output holds no new backup or one complete one"
elif test -z "$stored"
then
	die "backup failed; $root$output is as it was"
elif test "$rc" -ne 0
then
	# Stored, but an old backup could not be removed (kt-roll said which).
	printf '%s\n' "$stored"
	die "backup stored in $stored, but --roll=$roll could not remove every old backup"
fi

if test "$verbosity" -eq 0
then
	printf '%s\n' "$stored"
else
	say "backup stored in $stored"
fi
