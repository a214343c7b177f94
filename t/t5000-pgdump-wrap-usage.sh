#!/bin/sh

test_description='kt-pgdump-wrap: command line

Bad usage exits 2 with one line naming the problem, before anything
runs; --help prints the synopsis on standard output.'

. "$(dirname "$0")/test-lib.sh"

test_expect_success '--help prints the usage on standard output, exit 0' '
	kt-pgdump-wrap --help >out 2>err &&
	grep "^usage: kt-pgdump-wrap \[-qv\] \[-p port\]" out &&
	grep "^       kt-pgdump-wrap --restore \[--recreate \[--drop-old\]\]" out &&
	grep "^       kt-pgdump-wrap --check " out &&
	test_line_count = 0 err
'

test_expect_success 'an unknown option: usage on stderr, exit 2' '
	test_expect_code 2 kt-pgdump-wrap --bogus >out 2>err &&
	grep "^usage: kt-pgdump-wrap" err &&
	test_line_count = 0 out
'

# usage_error MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing run.
usage_error () {
	usage_msg_=$1
	shift
	test_expect_code 2 kt-pgdump-wrap "$@" >out 2>err </dev/null &&
	cat err &&
	grep "^kt-pgdump-wrap: $usage_msg_" err &&
	test_line_count = 1 err &&
	test_line_count = 0 out
}

test_expect_success 'options that need one another, or exclude each other' '
	usage_error "--recreate needs --restore" --recreate &&
	usage_error "--drop-old needs --recreate" --restore --drop-old &&
	usage_error "--restore and --check exclude each other" --restore --check &&
	usage_error "--check takes no database name" --check keytrustee
'

test_expect_success 'bad ports, names and hosts' '
	usage_error "bad port 0: give a number from 1 to 65535" -p 0 &&
	usage_error "bad port 65536" -p 65536 &&
	usage_error "bad port 11381x" -p 11381x &&
	usage_error "bad port : " -p "" &&
	usage_error "empty database name" "" &&
	usage_error "empty host" -h "" &&
	usage_error "empty user name" -U "" &&
	long=$(printf "%064d" 0) &&
	usage_error "database name $long is longer than PostgreSQL allows (63 bytes)" "$long"
'

test_expect_success 'two database names: usage, exit 2' '
	test_expect_code 2 kt-pgdump-wrap a b 2>err &&
	grep "^usage: " err
'

test_lazy_prereq SCRIPT 'script -qec true /dev/null'

test_expect_success SCRIPT 'a restore from a terminal is refused' '
	script -qec "kt-pgdump-wrap --restore; echo rc=\$?" /dev/null >out 2>&1 &&
	cat out &&
	grep "standard input is a terminal" out &&
	grep "rc=2" out
'

test_done
