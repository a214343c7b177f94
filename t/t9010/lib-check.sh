# lib-check.sh: helpers for the stream recogniser's tests (t90xx).  Source
# it after test-lib.sh:  . "$TEST_DIRECTORY/t9010/lib-check.sh"

# refuses [--grep RE] FILE [OPTIONS]: kt-check-stream OPTIONS < FILE exits
# 3 with one message, matching RE (default: anything).
refuses () {
	refuses_re_=.
	if test "$1" = --grep
	then
		refuses_re_=$2
		shift 2
	fi
	refuses_f_=$1
	shift
	test_expect_code 3 kt-check-stream "$@" <"$refuses_f_" >refuses.out \
		2>refuses.err &&
	test_line_count = 1 refuses.err &&
	grep -e "$refuses_re_" refuses.err
}
