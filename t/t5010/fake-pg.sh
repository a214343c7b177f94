# fake-pg.sh: stand-ins for pg_dump and psql that record how they were
# run, for the tests that look at what kt-pgdump-wrap runs and sends
# rather than at a database.  fake_pg_bindir DIR makes DIR/pg_dump and
# DIR/psql.
#
# Both log one line of arguments ("pg_dump [arg] [arg]...") and one line
# of environment to $FAKE_LOG.  pg_dump writes $FAKE_DUMP, then exits as
# $FAKE_PGDUMP_END says: "ok", "fail" (status 1) or "kill" (SIGKILL).
# psql with -A answers the connection probe; without it, it is the
# restore and saves what it is sent in $FAKE_PSQL_IN.

fake_pg_bindir () {
	mkdir -p "$1" &&
	cat >"$1/pg_dump" <<-\EOF &&
	#!/bin/sh
	case " $* " in
	*" --version "*)
		echo "pg_dump (PostgreSQL) ${FAKE_PGDUMP_VERSION:-15.18}"
		exit 0 ;;
	esac
	{
		printf "pg_dump"
		printf " [%s]" "$@"
		echo
		echo "env dir=$(dirname "$0") LD_LIBRARY_PATH=${LD_LIBRARY_PATH-unset} PGPASSWORD=${PGPASSWORD-unset} PSQLRC=${PSQLRC-unset} PATH=$PATH"
	} >>"$FAKE_LOG"
	cat "$FAKE_DUMP"
	case ${FAKE_PGDUMP_END:-ok} in
	fail) echo "pg_dump: error: something went wrong" >&2; exit 1 ;;
	kill) kill -9 $$ ;;
	esac
	exit 0
	EOF
	cat >"$1/psql" <<-\EOF &&
	#!/bin/sh
	case " $* " in
	*" --version "*)
		echo "psql (PostgreSQL) ${FAKE_PSQL_VERSION:-15.18}"
		exit 0 ;;
	esac
	{
		printf "psql"
		printf " [%s]" "$@"
		echo
		echo "env dir=$(dirname "$0") LD_LIBRARY_PATH=${LD_LIBRARY_PATH-unset} PGPASSWORD=${PGPASSWORD-unset} PSQLRC=${PSQLRC-unset} PSQL_PAGER=${PSQL_PAGER-unset} PATH=$PATH"
	} >>"$FAKE_LOG"
	case " $* " in
	*" -A "*)
		grep -q server_version_num && echo 150018
		exit 0 ;;
	esac
	cat >"$FAKE_PSQL_IN"
	exit "${FAKE_PSQL_EXIT:-0}"
	EOF
	chmod +x "$1/pg_dump" "$1/psql"
}
