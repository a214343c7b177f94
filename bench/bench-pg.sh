#!/bin/sh
# bench-pg.sh: kt-pgdump-wrap against bare pg_dump and psql, on a
# database of about 1 GiB in a throwaway cluster.
#
#	bench/bench-pg.sh [BUILD-DIR [SIZE_MIB]]	(default: ./_build, 1024)
#
# Prints, from one run (each side three times in turns, the median kept),
# the wall time of each side, the ratio, and the peak memory of
# kt-pgdump-wrap itself (getrusage, its children not counted).  Needs initdb, pg_ctl, postgres, pg_dump and psql; as root the
# cluster runs as "nobody".  Run by hand, not by make check; it takes a
# few minutes and about 5 GiB of space under TMPDIR.

set -eu

build=$(cd "${1:-_build}" && pwd)
SIZE_MIB=${2:-1024}
PATH=$build/bin:$PATH
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
test -n "$pgbin" && PATH=$PATH:$pgbin
export PATH
command -v kt-pgdump-wrap >/dev/null || { echo "no kt-pgdump-wrap in $build/bin" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/ktbench.XXXXXX")
chmod 755 "$dir"
owner=
test "$(id -u)" = 0 && owner=nobody
as_owner () {
	if test -n "$owner"
	then
		(cd "$dir" && runuser -u "$owner" -- env PATH="$PATH" "$@")
	else
		(cd "$dir" && "$@")
	fi
}
cleanup () {
	as_owner pg_ctl -D "$dir/data" -m immediate -w -s stop >/dev/null 2>&1 || :
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

test -n "$owner" && chown "$owner" "$dir"
as_owner initdb -D "$dir/data" -U keytrustee --auth=trust -E UTF8 --no-sync >/dev/null
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 11381
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_wal_size = 4GB
EOF
as_owner pg_ctl -D "$dir/data" -l "$dir/log" -w -s start
PGHOST=$dir PGPORT=11381 PGUSER=keytrustee
export PGHOST PGPORT PGUSER
unset PGDATABASE PGPASSWORD PSQLRC || :
psql_ () { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "generating a ${SIZE_MIB} MiB keytrustee database..." >&2
psql_ -d postgres -c "CREATE DATABASE keytrustee"
# Rows like key material and deposits: 384 bytes of bytea, a text deposit.
rows=$((SIZE_MIB * 1024 * 1024 / 530))
psql_ -d keytrustee <<EOF
CREATE TABLE keys (id bigint PRIMARY KEY, name text NOT NULL,
	material bytea NOT NULL, deposit text);
INSERT INTO keys SELECT g, 'key-' || g,
	decode(repeat(md5(g::text) || md5((g + 1)::text), 12), 'hex'),
	repeat(md5((-g)::text), 2)
	FROM generate_series(1, $rows) g;
SELECT lo_from_bytea(0, decode(repeat(md5('lo'), 4096), 'hex'));
VACUUM ANALYZE keys;
EOF
dbsize=$(psql_ -d keytrustee -At -c "SELECT pg_database_size('keytrustee') / 1048576")
echo "database: $dbsize MiB, $rows rows" >&2

# time_of CMD...: wall seconds of CMD on stdout.  A checkpoint first, so
# that no run pays for the WAL or the dirty pages of the one before.
time_of () {
	# Overwriting a cached 1.6 GiB file costs more than writing it.
	rm -f "$dir/bare.sql" "$dir/out.sql"
	psql_ -d postgres -c CHECKPOINT
	sync
	start=$(date +%s.%N)
	"$@"
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

median () { printf '%s\n' "$@" | sort -n | sed -n 2p; }
last () { printf '%.2f' "$(printf '%s\n' "$@" | tail -n 1)"; }
ratio () { echo "scale=3; $1 / $2" | bc; }
peak () { sed -n 's/.*peak memory (RSS) of kt-pgdump-wrap: \([0-9]*\) KiB/\1/p' "$1"; }
fresh_db () {
	psql_ -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
}

# The file cache warm for both sides.
pg_dump -c --if-exists keytrustee >/dev/null

# Each side three times, in turns; the median of each.
echo "dump, three times each, in turns:" >&2
bare= ours=
for i in 1 2 3
do
	bare="$bare $(time_of sh -c 'pg_dump -c --if-exists -Fp keytrustee >"$1/bare.sql"' - "$dir")"
	ours="$ours $(time_of sh -c 'kt-pgdump-wrap -v >"$1/out.sql" 2>"$1/dump.err"' - "$dir")"
	echo "  pg_dump $(last $bare) s, kt-pgdump-wrap $(last $ours) s" >&2
done
t_dump_bare=$(median $bare)
t_dump_ours=$(median $ours)
rss_dump=$(peak "$dir/dump.err")
mv "$dir/out.sql" "$dir/ours.sql"
dump_mib=$(( $(wc -c <"$dir/ours.sql") / 1048576 ))

echo "restore of the $dump_mib MiB dump into an empty database, three times each:" >&2
bare= bare1= ours=
for i in 1 2 3
do
	fresh_db r1
	bare="$bare $(time_of sh -c 'psql -X -q -v ON_ERROR_STOP=1 -d r1 -f "$1/ours.sql" >/dev/null' - "$dir")"
	fresh_db r1
	bare1="$bare1 $(time_of sh -c 'psql -X -q -v ON_ERROR_STOP=1 -1 -d r1 -f "$1/ours.sql" >/dev/null 2>&1' - "$dir")"
	fresh_db r1
	ours="$ours $(time_of sh -c 'kt-pgdump-wrap -v --restore r1 <"$1/ours.sql" 2>"$1/restore.err"' - "$dir")"
	echo "  psql $(last $bare) s, psql -1 $(last $bare1) s, kt-pgdump-wrap --restore $(last $ours) s" >&2
done
t_restore_bare=$(median $bare)
t_restore_bare1=$(median $bare1)
t_restore_ours=$(median $ours)
rss_restore=$(peak "$dir/restore.err")

cat <<EOF

kt-pgdump-wrap on a $dbsize MiB database ($dump_mib MiB dump), medians of 3
                          bare      ours   ours/bare  peak RSS (ours)
dump vs pg_dump        $(printf '%7.2fs  %7.2fs' "$t_dump_bare" "$t_dump_ours")     $(ratio "$t_dump_ours" "$t_dump_bare")    ${rss_dump} KiB
restore vs psql        $(printf '%7.2fs  %7.2fs' "$t_restore_bare" "$t_restore_ours")     $(ratio "$t_restore_ours" "$t_restore_bare")    ${rss_restore} KiB
restore vs psql -1     $(printf '%7.2fs  %7.2fs' "$t_restore_bare1" "$t_restore_ours")     $(ratio "$t_restore_ours" "$t_restore_bare1")
EOF
