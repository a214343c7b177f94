#!/bin/sh

test_description='the test library itself

Runs small test scripts written into the trash directory and checks the
TAP they print, their exit status and what they leave behind.'

. "$(dirname "$0")/test-lib.sh"

LIB=$TEST_DIRECTORY/test-lib.sh
OUTER=$TRASH_DIRECTORY
export LIB OUTER

# run_sub NAME [ARGS...] <script-body: writes NAME.sh, runs it with its
# stdout in NAME.out, stderr in NAME.err and exit status in NAME.rc.
# The body may write files into $OUTER to report what it saw.
run_sub () {
	sub_name_=$1
	shift
	{
		echo "#!/bin/sh"
		echo "test_description='nested $sub_name_'"
		echo '. "$LIB"'
		cat
	} >"$sub_name_.sh" &&
	KT_TEST_VERBOSE= sh "$sub_name_.sh" "$@" >"$sub_name_.out" 2>"$sub_name_.err"
	echo $? >"$sub_name_.rc"
}

# The trash directory a failing sub-test kept, named on its last line.
kept_trash () {
	sed -n 's/^# trash directory kept: //p' "$1.out"
}

test_expect_success 'a passing test prints ok, the plan, and exits 0' '
	run_sub pass <<-\EOF &&
	test_expect_success "it works" "echo hidden && true"
	test_done
	EOF
	cat >expect <<-\EOF &&
	ok 1 - it works
	1..1
	EOF
	test_cmp expect pass.out &&
	echo 0 >expect.rc &&
	test_cmp expect.rc pass.rc
'

test_expect_success 'a failing test prints not ok, its output, exits 1' '
	run_sub fail <<-\EOF &&
	test_expect_success "one" "true"
	test_expect_success "two" "echo to-stdout && echo to-stderr >&2 && false"
	test_done
	EOF
	echo 1 >expect.rc &&
	test_cmp expect.rc fail.rc &&
	grep "^ok 1 - one$" fail.out &&
	grep "^not ok 2 - two$" fail.out &&
	grep "^# to-stdout$" fail.out &&
	grep "^# to-stderr$" fail.out &&
	grep "^1\.\.2$" fail.out &&
	trash=$(kept_trash fail) &&
	test_path_is_dir "$trash" &&
	rm -rf "$trash"
'

test_expect_success 'the trash directory is fresh, short and removed on success' '
	run_sub trash <<-\EOF &&
	test_expect_success "where" "
		pwd >\"\$OUTER/trash.pwd\" &&
		ls -A >\"\$OUTER/trash.ls\" &&
		stat -c %a . >\"\$OUTER/trash.mode\"
	"
	test_done
	EOF
	echo 0 >expect.rc &&
	test_cmp expect.rc trash.rc &&
	dir=$(cat trash.pwd) &&
	case $dir in /tmp/ktt.??????) ;; *) false ;; esac &&
	test_path_is_missing "$dir" &&
	! test -s trash.ls &&
	echo 755 >expect.mode &&
	test_cmp expect.mode trash.mode
'

test_expect_success 'the environment is a fixed baseline' '
	(
		PGHOST=/elsewhere GNUPGHOME=/elsewhere KT_OUTPUT=x LANG=fr_FR.UTF-8 &&
		export PGHOST GNUPGHOME KT_OUTPUT LANG &&
		run_sub env
	) <<-\EOF &&
	test_expect_success "env" "
		{
			echo \"\$LC_ALL \$TZ \$(umask)\" &&
			echo \"\${PGHOST-unset} \${GNUPGHOME-unset} \${KT_OUTPUT-unset} \${LANG-unset}\" &&
			test \"\$HOME\" = \"\$TRASH_DIRECTORY\" && echo home-is-trash &&
			case \$PATH in \"\$top_builddir/bin:\"*) echo builddir-first ;; esac
		} >\"\$OUTER/env.actual\"
	"
	test_done
	EOF
	cat >expect <<-\EOF &&
	C UTC 0077
	unset unset unset unset
	home-is-trash
	builddir-first
	EOF
	test_cmp expect env.actual
'

test_expect_success 'test_must_fail wants a clean failure' '
	test_must_fail false &&
	test_must_fail sh -c "exit 3" &&
	! test_must_fail true 2>err &&
	grep "succeeded" err &&
	! test_must_fail sh -c "kill -SEGV \$\$" 2>err &&
	grep "signal 11" err &&
	! test_must_fail sh -c "kill -ABRT \$\$" 2>err &&
	grep "signal 6" err &&
	! test_must_fail no-such-command-here 2>err &&
	grep "not found" err &&
	! test_must_fail sh -c "exit 126" 2>err &&
	grep "not executable" err
'

test_expect_success 'test_must_fail ok=sigpipe accepts death by SIGPIPE only' '
	! test_must_fail sh -c "kill -PIPE \$\$" 2>/dev/null &&
	test_must_fail ok=sigpipe sh -c "kill -PIPE \$\$" &&
	test_must_fail ok=sigpipe false
'

test_lazy_prereq ASAN '
	printf "int main(void) { return 0; }\n" >asan.c &&
	${CC:-cc} -fsanitize=address,undefined -o asan asan.c && ./asan
'

test_expect_success ASAN 'test_must_fail takes a sanitizer report for a crash' '
	cat >oob.c <<-\EOF &&
	#include <stdlib.h>
	int main(int argc, char **argv)
	{
		volatile char *p = malloc(8);
		p[8 + argc - 1] = 1;	/* one past the end */
		return p[0];
	}
	EOF
	${CC:-cc} -g -fsanitize=address,undefined -o oob oob.c &&
	! test_must_fail ./oob 2>err &&
	grep "heap-buffer-overflow" err &&
	grep "signal 6" err
'

test_expect_success 'test_expect_code and the path helpers' '
	test_expect_code 3 sh -c "exit 3" &&
	! test_expect_code 3 true 2>/dev/null &&
	: >empty && echo data >full && mkdir dir &&
	test_path_is_file full && ! test_path_is_file dir 2>/dev/null &&
	test_path_is_dir dir && ! test_path_is_dir full 2>/dev/null &&
	test_path_is_missing nothing && ! test_path_is_missing empty 2>/dev/null &&
	test_file_not_empty full && ! test_file_not_empty empty 2>/dev/null &&
	test_file_mode full 600 && test_file_mode full 0600 &&
	chmod 0 empty && test_file_mode empty 0000 &&
	! test_file_mode full 0644 2>/dev/null &&
	! test_cmp full empty >/dev/null
'

test_expect_success 'missing prerequisites skip, lazy ones are evaluated once' '
	run_sub prereq <<-\EOF &&
	test_lazy_prereq NEVER "echo x >>\"\$OUTER/never.count\"; false"
	test_lazy_prereq ALWAYS "true"
	test_set_prereq SET
	test_expect_success NEVER "first" "false"
	test_expect_success NEVER "second" "false"
	test_expect_success ALWAYS,SET "third" "true"
	test_expect_success !NEVER "fourth" "true"
	test_expect_success !ALWAYS "fifth" "false"
	test_done
	EOF
	cat >expect <<-\EOF &&
	ok 1 # skip first (missing NEVER)
	ok 2 # skip second (missing NEVER)
	ok 3 - third
	ok 4 - fourth
	ok 5 # skip fifth (missing !ALWAYS)
	1..5
	EOF
	test_cmp expect prereq.out &&
	echo 0 >expect.rc &&
	test_cmp expect.rc prereq.rc &&
	echo x >expect.count &&
	test_cmp expect.count never.count
'

test_expect_success 'skip_all prints an empty plan with a reason' '
	run_sub skipall <<-\EOF &&
	skip_all="no frobnicator"
	test_done
	EOF
	echo "1..0 # SKIP no frobnicator" >expect &&
	test_cmp expect skipall.out &&
	echo 0 >expect.rc &&
	test_cmp expect.rc skipall.rc
'

test_expect_success 'test_expect_failure is a TODO either way' '
	run_sub todo <<-\EOF &&
	test_expect_failure "still broken" "false"
	test_expect_failure "fixed now" "true"
	test_done
	EOF
	cat >expect <<-\EOF &&
	not ok 1 - still broken # TODO known breakage
	ok 2 - fixed now # TODO known breakage vanished
	1..2
	EOF
	test_cmp expect todo.out &&
	echo 0 >expect.rc &&
	test_cmp expect.rc todo.rc
'

test_expect_success 'a # in a description is no TAP directive' '
	run_sub hash <<-\EOF &&
	test_expect_success "issue # skip this" "true"
	test_done
	EOF
	grep "^ok 1 - issue \\\\# skip this$" hash.out
'

test_expect_success 'test_when_finished runs after pass and failure' '
	run_sub finished <<-\EOF &&
	test_expect_success "pass" "
		test_when_finished \"echo pass >>\\\"\\\$OUTER/finished.log\\\"\" &&
		true
	"
	test_expect_success "fail" "
		test_when_finished \"echo second >>\\\"\\\$OUTER/finished.log\\\"\" &&
		test_when_finished \"echo first >>\\\"\\\$OUTER/finished.log\\\"\" &&
		false
	"
	test_expect_success "cleanup fails" "
		test_when_finished false &&
		true
	"
	test_done
	EOF
	cat >expect <<-\EOF &&
	pass
	first
	second
	EOF
	test_cmp expect finished.log &&
	grep "^ok 1 - pass$" finished.out &&
	grep "^not ok 2 - fail$" finished.out &&
	grep "^not ok 3 - cleanup fails$" finished.out &&
	rm -rf "$(kept_trash finished)"
'

test_expect_success 'test_atexit hooks run at test_done, in reverse order' '
	run_sub atexit <<-\EOF &&
	test_expect_success "register" "
		test_atexit \"echo one >>\\\"\\\$OUTER/atexit.log\\\"\" &&
		test_atexit \"echo two >>\\\"\\\$OUTER/atexit.log\\\"\"
	"
	test_done
	EOF
	printf "two\none\n" >expect &&
	test_cmp expect atexit.log
'

test_expect_success 'test_atexit hooks run on an unexpected exit' '
	run_sub early <<-\EOF &&
	test_atexit "echo ran >\"\$OUTER/early.log\""
	test_expect_success "bails out" "exit 3"
	test_done
	EOF
	echo 3 >expect.rc &&
	test_cmp expect.rc early.rc &&
	echo ran >expect &&
	test_cmp expect early.log &&
	grep "^# test script exited with status 3 before test_done" early.out &&
	! grep "^1\.\." early.out &&
	rm -rf "$(kept_trash early)"
'

test_expect_success 'test_atexit hooks run when the script is killed' '
	run_sub killed <<-\EOF &&
	test_atexit "echo ran >\"\$OUTER/killed.log\""
	test_expect_success "dies" "kill -TERM \$\$"
	test_done
	EOF
	echo 143 >expect.rc &&
	test_cmp expect.rc killed.rc &&
	echo ran >expect &&
	test_cmp expect killed.log &&
	rm -rf "$(kept_trash killed)"
'

test_expect_success '-v sends test output to stderr, TAP stays on stdout' '
	run_sub verbose -v <<-\EOF &&
	test_expect_success "talks" "echo chatter"
	test_done
	EOF
	printf "ok 1 - talks\n1..1\n" >expect &&
	test_cmp expect verbose.out &&
	grep "^chatter$" verbose.err
'

test_expect_success '-i stops at the first failure' '
	run_sub immediate -i <<-\EOF &&
	test_expect_success "fails" "false"
	test_expect_success "never run" "true"
	test_done
	EOF
	! grep "never run" immediate.out &&
	grep "^1\.\.1$" immediate.out &&
	rm -rf "$(kept_trash immediate)"
'

test_expect_success 'the built-in prerequisites answer' '
	for p in GNUTAR BSDTAR PYTHON3 GPG PG ROOT NOT_ROOT SANITIZED
	do
		if test_have_prereq $p
		then
			echo "$p yes"
		else
			echo "$p no"
		fi
	done &&
	if test "$(id -u)" = 0
	then
		test_have_prereq ROOT,!NOT_ROOT
	else
		test_have_prereq NOT_ROOT,!ROOT
	fi
'

# Feed a mixed sub-test to the TAP readers make check and developers use.
test_lazy_prereq PROVE 'prove --version'
test_lazy_prereq TAP_DRIVER 'ls /usr/share/automake-*/tap-driver.sh'

test_expect_success 'write a mixed sub-test' '
	run_sub mixed <<-\EOF
	test_lazy_prereq NEVER false
	test_expect_success "passes" "true"
	test_expect_success NEVER "skipped" "false"
	test_expect_failure "known # bug" "false"
	test_done
	EOF
'

test_expect_success PROVE 'prove accepts our TAP' '
	prove mixed.sh >prove.out 2>&1 &&
	grep "^Result: PASS" prove.out ||
	{ cat prove.out; false; }
'

test_expect_success TAP_DRIVER "automake's tap-driver.sh accepts our TAP" '
	driver=$(ls /usr/share/automake-*/tap-driver.sh | sort -V | tail -n 1) &&
	sh "$driver" --test-name mixed --log-file mixed.log --trs-file mixed.trs \
		--color-tests no --enable-hard-errors yes --expect-failure no \
		-- sh mixed.sh >driver.out &&
	grep "^:global-test-result: PASS" mixed.trs &&
	grep "^PASS: mixed 1 - passes" driver.out &&
	grep "^SKIP: mixed 2 # SKIP skipped" driver.out &&
	grep "^XFAIL: mixed 3 - known" driver.out
'

test_done
