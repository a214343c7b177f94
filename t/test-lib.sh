# test-lib.sh: a small TAP test library for kt-tools, in the style of git's.
#
# Each test file sets test_description and sources this file:
#
#	test_description='kt-seal refuses a truncated tar'
#	. "$(dirname "$0")/test-lib.sh"
#	test_expect_success 'setup' '...'
#	test_done
#
# It prints TAP on stdout (read by automake's tap-driver.sh and by prove);
# everything a test body prints is captured and shown as "# " comments
# only when that test fails, or sent to stderr with -v.  See t/README.

# --- options -----------------------------------------------------------

test_verbose_=${KT_TEST_VERBOSE:-}
test_immediate_=
test_debug_=
for test_arg_
do
	case $test_arg_ in
	-v|--verbose) test_verbose_=1 ;;
	-i|--immediate) test_immediate_=1 ;;
	-d|--debug) test_debug_=1 ;;	# keep the trash directory
	-h|--help) echo "$test_description"; exit 0 ;;
	*) echo "usage: $0 [-v] [-i] [-d]" >&2; exit 2 ;;
	esac
done
test "$test_verbose_" = 0 && test_verbose_=

# --- where things are --------------------------------------------------

# $0 is the script in the source tree, even in a VPATH build.
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd) || exit 1
# Makefile.am exports both; by hand, both are the directory above t/.
top_srcdir=$(cd "${top_srcdir:-$TEST_DIRECTORY/..}" && pwd) || exit 1
top_builddir=$(cd "${top_builddir:-$TEST_DIRECTORY/..}" && pwd) || exit 1
export TEST_DIRECTORY top_srcdir top_builddir

# Built programs and test helpers first.  Scripts that are not generated
# may live only in the source tree's bin/ (automake refuses a VPATH build
# beside an in-tree one, so no stale binaries can hide there).
PATH=$top_builddir/bin:$top_builddir/t/helper:$PATH
test "$top_srcdir" = "$top_builddir" || PATH=$PATH:$top_srcdir/bin

# Debian keeps the server programs out of PATH; borrow the newest ones.
if ! command -v initdb >/dev/null 2>&1 ||
   ! command -v pg_ctl >/dev/null 2>&1 ||
   ! command -v postgres >/dev/null 2>&1
then
	test_pgbin_=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	test -n "$test_pgbin_" && PATH=$PATH:$test_pgbin_
fi
export PATH

# --- a predictable environment -----------------------------------------

# Nothing from the host may steer gpg, libpq or the programs themselves.
unset GNUPGHOME GPG_AGENT_INFO GPG_TTY \
	PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE \
	PGSERVICE PGSERVICEFILE PGSYSCONFDIR PGOPTIONS PGAPPNAME PGSSLMODE \
	PGCONNECT_TIMEOUT PGDATA PGCLIENTENCODING PGTZ PGDATESTYLE PSQLRC \
	LANG LANGUAGE LC_CTYPE LC_COLLATE LC_MESSAGES LC_NUMERIC LC_TIME \
	MAIL CDPATH
for test_var_ in $(env | sed -n 's/^\(KT_[A-Za-z0-9_]*\)=.*/\1/p')
do
	case $test_var_ in
	KT_TEST_*|KT_SANITIZED) ;;	# settings of the test run itself
	*) unset "$test_var_" ;;
	esac
done
LC_ALL=C
TZ=UTC
export LC_ALL TZ
umask 077

# A sanitizer report exits 1 by default, like a clean failure; make it
# the crash it is (SIGABRT), so that test_must_fail tells the two apart.
ASAN_OPTIONS="abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# gpgme keeps some of its own allocations past exit(3) (key and engine
# objects it caches); those are its business, not ours.
LSAN_OPTIONS="suppressions=$TEST_DIRECTORY/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# --- state ---------------------------------------------------------------

test_count=0
test_failure_count_=0
test_atexit_=
test_in_body_=
test_done_=
test_satisfied_prereq_=' '
test_unsatisfied_prereq_=' '

# --- cleanup: runs at test_done and on any exit, signals included --------

# test_atexit CMD: run CMD when the test script ends, however it ends.
# Later registrations run first, so a daemon started after a directory
# was made is stopped before that directory goes.
test_atexit () {
	test_atexit_="$1
$test_atexit_"
}

test_run_atexit_ () {
	test_cmds_=$test_atexit_
	test_atexit_=	# run each hook once, even if we exit again
	test -n "$test_cmds_" || return 0
	if test -n "$test_verbose_"
	then
		eval "$test_cmds_" </dev/null >&2
	else
		eval "$test_cmds_" </dev/null >/dev/null 2>&1
	fi
}

test_remove_trash_ () {
	cd / || return
	rm -rf "$TRASH_DIRECTORY" "$test_output_"
}

test_exit_handler_ () {
	test_rc_=$1
	trap - EXIT
	test_run_atexit_
	if test -z "$test_done_"
	then
		# Reached only by an unexpected exit: the missing plan tells
		# the TAP reader; say why and keep the evidence.
		echo "# test script exited with status $test_rc_ before test_done" >&5
		test -n "$test_in_body_" && test_show_output_ >&5
		echo "# trash directory kept: $TRASH_DIRECTORY" >&5
		test "$test_rc_" = 0 && test_rc_=1
	fi
	rm -f "$test_output_"
	exit "$test_rc_"
}
# The exit handler may run inside a test body, whose output is captured:
# keep the real stdout at hand on fd 5.
exec 5>&1
trap 'test_exit_handler_ $?' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the trash directory -------------------------------------------------

# Short, because GnuPG and PostgreSQL sockets are limited to 108 bytes;
# traversable, so a non-root PostgreSQL server can reach files in it.
TRASH_DIRECTORY=$(mktemp -d /tmp/ktt.XXXXXX) || exit 1
chmod 755 "$TRASH_DIRECTORY" || exit 1
# Test output is captured outside, so tests see a clean directory.
test_output_=$(mktemp /tmp/ktt.XXXXXX) || exit 1
HOME=$TRASH_DIRECTORY
export TRASH_DIRECTORY HOME
cd "$TRASH_DIRECTORY" || exit 1

# --- prerequisites -----------------------------------------------------

test_set_prereq () {
	test_satisfied_prereq_="$test_satisfied_prereq_$1 "
}

# test_lazy_prereq NAME SCRIPT: SCRIPT decides NAME the first time it is
# asked, in a subshell, so it cannot disturb the test script.
test_lazy_prereq () {
	eval "test_lazy_$1_=\$2"
}

# test_have_prereq A,B,!C: true if A and B hold and C does not.
# Sets test_missing_prereq_ to those that failed.
test_have_prereq () {
	test_missing_prereq_=
	test_save_ifs_=$IFS
	IFS=,
	set -- $*
	IFS=$test_save_ifs_
	for test_p_
	do
		test_bang_=
		case $test_p_ in
		!*) test_bang_='!'; test_p_=${test_p_#!} ;;
		esac
		if test_have_one_prereq_ "$test_p_"
		then
			test -z "$test_bang_" && continue
		else
			test -n "$test_bang_" && continue
		fi
		test_missing_prereq_=${test_missing_prereq_:+$test_missing_prereq_,}$test_bang_$test_p_
	done
	test -z "$test_missing_prereq_"
}

test_have_one_prereq_ () {
	case $test_satisfied_prereq_ in *" $1 "*) return 0 ;; esac
	case $test_unsatisfied_prereq_ in *" $1 "*) return 1 ;; esac
	eval "test_script_=\${test_lazy_$1_-}"
	if test -z "$test_script_"
	then
		echo "BUG: unknown prerequisite '$1'" >&2
		exit 1
	fi
	# In a directory of its own, so that it leaves nothing behind.
	test_pdir_=$TRASH_DIRECTORY/.prereq-$1
	mkdir "$test_pdir_" || exit 1
	if test -n "$test_verbose_"
	then
		(cd "$test_pdir_" && eval "$test_script_") </dev/null >&2
	else
		(cd "$test_pdir_" && eval "$test_script_") </dev/null >/dev/null 2>&1
	fi
	test_r_=$?
	rm -rf "$test_pdir_"
	if test $test_r_ = 0
	then
		test_set_prereq "$1"
		return 0
	fi
	test_unsatisfied_prereq_="$test_unsatisfied_prereq_$1 "
	return 1
}

test_lazy_prereq GNUTAR 'tar --version | grep "GNU tar"'
test_lazy_prereq BSDTAR 'bsdtar --version'
test_lazy_prereq PYTHON3 'python3 -c "import tarfile"'
test_lazy_prereq GPG '
	command -v gpgconf &&
	v=$(gpg --version | sed -n "1s/.* //p") &&
	major=${v%%.*} && rest=${v#*.} && minor=${rest%%.*} &&
	test "$major" -gt 2 || { test "$major" -eq 2 && test "$minor" -ge 2; }
'
# PostgreSQL will not run as root: then we need a way to drop privileges.
test_lazy_prereq PG '
	command -v initdb && command -v pg_ctl &&
	command -v postgres && command -v psql &&
	if test "$(id -u)" = 0
	then
		id nobody && { command -v runuser || command -v setpriv; }
	fi
'
test_lazy_prereq ROOT 'test "$(id -u)" = 0'
test_lazy_prereq NOT_ROOT 'test "$(id -u)" != 0'
# Root in a container may still be refused mount(2): try it.
test_lazy_prereq MOUNT '
	test "$(id -u)" = 0 && mkdir mount-probe &&
	mount -t tmpfs none mount-probe && umount mount-probe &&
	rmdir mount-probe
'
test_lazy_prereq SANITIZED 'test "${KT_SANITIZED:-}" = 1'

# --- running tests -------------------------------------------------------

# TAP would read "# skip" inside a description as a directive.
test_escape_ () {
	printf '%s\n' "$1" | sed 's/#/\\#/g' | tr '\n' ' ' | sed 's/ $//'
}

# test_when_finished CMD: run CMD after the current test, pass or fail;
# a failing CMD fails the test.  Must be called from the test body itself,
# not from a subshell inside it.
test_when_finished () {
	if test -z "$test_in_body_"
	then
		echo "BUG: test_when_finished outside a test body" >&2
		return 1
	fi
	test_cleanup_="{ $1
} || test_cleanup_failed_=1
$test_cleanup_"
}

# Runs body $1 in this shell; output to the capture file (or stderr).
test_run_ () {
	test_cleanup_=
	test_cleanup_failed_=
	test_in_body_=1
	if test -n "$test_verbose_"
	then
		eval "$1" </dev/null >&2
		test_ret_=$?
		eval "$test_cleanup_" </dev/null >&2
	else
		{
			eval "$1"
			test_ret_=$?
			eval "$test_cleanup_"
		} </dev/null >"$test_output_" 2>&1
	fi
	test_in_body_=
	cd "$TRASH_DIRECTORY" || exit 1	# a body may have left us elsewhere
	test "$test_ret_" = 0 && test -z "$test_cleanup_failed_"
}

test_show_output_ () {
	test -n "$test_verbose_" || sed 's/^/# /' "$test_output_"
}

# Parses "[PREREQS] DESCRIPTION BODY"; returns 1 when skipped.
test_start_ () {
	test_count=$((test_count + 1))
	test_title_=$(test_escape_ "$2")
	test_say_verbose_ "expecting $1: $2" "$3"
	if test -n "$test_prereq_" && ! test_have_prereq "$test_prereq_"
	then
		echo "ok $test_count # skip $test_title_ (missing $test_missing_prereq_)"
		return 1
	fi
}

test_say_verbose_ () {
	test -n "$test_verbose_" && printf '%s:%s\n\n' "$1" "$2" >&2
	:
}

test_expect_success () {
	test_prereq_=
	test $# = 3 && { test_prereq_=$1; shift; }
	test $# = 2 || { echo "BUG: test_expect_success wants 2 or 3 args" >&2; exit 1; }
	test_start_ success "$1" "$2" || return 0
	if test_run_ "$2"
	then
		echo "ok $test_count - $test_title_"
	else
		test_failure_count_=$((test_failure_count_ + 1))
		echo "not ok $test_count - $test_title_"
		test_show_output_
		if test -n "$test_immediate_"
		then
			test_done
		fi
	fi
}

# A known breakage: reported as TODO, so it never fails the run, and
# noticed when it starts to work.
test_expect_failure () {
	test_prereq_=
	test $# = 3 && { test_prereq_=$1; shift; }
	test $# = 2 || { echo "BUG: test_expect_failure wants 2 or 3 args" >&2; exit 1; }
	test_start_ failure "$1" "$2" || return 0
	if test_run_ "$2"
	then
		echo "ok $test_count - $test_title_ # TODO known breakage vanished"
	else
		echo "not ok $test_count - $test_title_ # TODO known breakage"
	fi
}

test_done () {
	test_done_=1
	if test -n "${skip_all:-}" && test "$test_count" = 0
	then
		echo "1..0 # SKIP $skip_all"
	else
		echo "1..$test_count"
	fi
	test_run_atexit_
	if test "$test_failure_count_" = 0
	then
		test -n "$test_debug_" || test_remove_trash_
		exit 0
	fi
	echo "# failed $test_failure_count_ of $test_count"
	echo "# trash directory kept: $TRASH_DIRECTORY"
	exit 1
}

# --- helpers for test bodies --------------------------------------------

# test_must_fail [ok=sigpipe] CMD...: CMD must fail cleanly.  A crash
# (signal, e.g. from a sanitizer) or a missing command is no failure we
# asked for.
test_must_fail () {
	test_ok_=
	case $1 in ok=*) test_ok_=${1#ok=}; shift ;; esac
	"$@"
	test_code_=$?
	if test $test_code_ = 0
	then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif test $test_code_ = 141 && test "$test_ok_" = sigpipe
	then
		return 0
	elif test $test_code_ -gt 128
	then
		echo "test_must_fail: died of signal $((test_code_ - 128)): $*" >&2
		return 1
	elif test $test_code_ = 127
	then
		echo "test_must_fail: command not found: $*" >&2
		return 1
	elif test $test_code_ = 126
	then
		echo "test_must_fail: command not executable: $*" >&2
		return 1
	fi
	return 0
}

# test_expect_code N CMD...: CMD must exit with status N exactly.
test_expect_code () {
	test_want_=$1
	shift
	"$@"
	test_code_=$?
	test $test_code_ = "$test_want_" && return 0
	echo "test_expect_code: want $test_want_, got $test_code_: $*" >&2
	return 1
}

test_cmp () {
	diff -u "$1" "$2"
}

# test_line_count OP N FILE: e.g. test_line_count = 3 actual
test_line_count () {
	test_lines_=$(wc -l <"$3") || return 1
	test "$test_lines_" "$1" "$2" && return 0
	echo "'$3' has $test_lines_ lines, want $1 $2:" >&2
	cat "$3" >&2
	return 1
}

test_file_not_empty () {
	test -s "$1" && return 0
	echo "'$1' is missing or empty" >&2
	return 1
}

test_path_is_file () {
	test -f "$1" && return 0
	echo "'$1' is not a file" >&2
	return 1
}

test_path_is_dir () {
	test -d "$1" && return 0
	echo "'$1' is not a directory" >&2
	return 1
}

test_path_is_missing () {
	test -e "$1" || test -L "$1" || return 0
	echo "'$1' exists but should not" >&2
	ls -ld "$1" >&2
	return 1
}

# test_file_mode FILE OCTAL: "0600" and "600" are the same mode.
test_file_mode () {
	test_mode_=$(stat -c %a "$1") || return 1
	test_want_=$2
	while case $test_want_ in 0?*) true ;; *) false ;; esac
	do
		test_want_=${test_want_#0}
	done
	test "$test_mode_" = "$test_want_" && return 0
	echo "'$1' has mode $test_mode_, want $test_want_" >&2
	return 1
}
