#!/bin/sh

test_description='ktbackup killed: kill -9 of ktbackup or of any stage at a random moment

Each trial runs ktbackup in a session of its own and kills, with SIGKILL
and after a random delay, ktbackup itself or one of the processes of its
pipeline: kt-collect, kt-pgdump-wrap, pg_dump, kt-tar, kt-seal, gpg,
kt-roll.  Afterwards the output directory holds what it held, or exactly
one new complete backup; nothing else under the root changed; TMPDIR is
empty; and no cleartext of the database lies anywhere.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gpg.sh"
. "$TEST_DIRECTORY/lib-pg.sh"
. "$TEST_DIRECTORY/t6000/lib-ktbackup.sh"

if ! test_have_prereq GPG,PG,GNUTAR
then
	skip_all='needs gpg 2.2, PostgreSQL and GNU tar'
	test_done
fi

TRIALS=${KT_TEST_TRIALS:-32}
test_have_prereq SANITIZED && TRIALS=16
TARGETS='ktbackup kt-collect kt-pgdump-wrap pg_dump kt-tar kt-seal gpg kt-roll'
# An undisturbed run takes half a second; a trial still running after
# HANG_S seconds hangs.
HANG_S=15
MARKER=KT-CLEARTEXT-MARKER-7f3a9c
OUT=r/var/lib/keytrustee
# ms: milliseconds since the epoch.
ms () {
	echo $(( $(date +%s%N) / 1000000 ))
}

# random N: a whole number from 0 to N-1.
random () {
	echo $(( $(od -An -N4 -tu4 /dev/urandom | tr -d " ") % $1 ))
}

# find_target TARGET SID: the pid of TARGET in session SID, alive.
# gpgme runs short gpg processes before the one that encrypts, and
# kt-pgdump-wrap a psql and a pg_dump --version before the dump: aim at
# the ones that carry the data.  Of the others, the oldest of the name:
# the younger ones are ktbackup's subshells, a filter's child between
# fork and exec, or LeakSanitizer's tracer in a sanitizer build.
find_target () {
	case $1 in
	gpg) pgrep -n -s "$2" -f "^gpg .*--encrypt" ;;
	pg_dump) pgrep -n -s "$2" -f "pg_dump --clean" ;;
	*) pgrep -o -s "$2" -x "$1" ;;
	esac
}

# run_trial [TARGET DELAY_MS]: ktbackup in a session of its own; TARGET,
# once it shows up in that session, killed after DELAY_MS.  Returns when
# every process of the session has ended.  Sets "killed" to 1 if the
# kill found its target alive.
run_trial () {
	rm -f rc stdout stderr
	killed=0
	setsid sh -c 'ktbackup --allow-root --root=r \
		--gpg-recipient="John Doe" -q >stdout 2>stderr; echo $? >rc' &
	sid=$!
	if test $# = 2
	then
		pid=
		while test -z "$pid" && ! test -s rc
		do
			pid=$(find_target "$1" "$sid")
			test -n "$pid" || sleep 0.002
		done
		if test -n "$pid"
		then
			sleep "$(($2 / 1000)).$(printf %03d $(($2 % 1000)))"
			pid=$(find_target "$1" "$sid")
			test -n "$pid" && kill -9 "$pid" 2>/dev/null && killed=1
		fi
	fi
	# Wait for ktbackup and, when it was killed, for the pipeline it
	# leaves running; not for zombies, which only init may reap.  A
	# stage that hangs fails the trial, and its session is killed.
	i=0
	while ! test -s rc || ps -s "$sid" -o stat= | grep -q -v "^Z"
	do
		i=$((i + 1))
		if test $i -gt $((HANG_S * 50))
		then
			echo "still running $HANG_S s later:"
			ps -s "$sid" -o pid=,stat=,time=,args=
			pkill -9 -s "$sid"
			wait "$sid"
			return 1
		fi
		sleep 0.02
	done
	wait "$sid"
}

# calibrate: an undisturbed run, watched: how long after it first shows
# up each target lives, in ms, into life.TARGET.
calibrate () {
	rm -f rc stdout stderr seen
	t0=$(ms)
	setsid sh -c 'ktbackup --allow-root --root=r \
		--gpg-recipient="John Doe" -q >stdout 2>stderr; echo $? >rc' &
	sid=$!
	while ! test -s rc
	do
		now=$(ms)
		for target in $TARGETS
		do
			find_target $target $sid >/dev/null && echo "$target $now"
		done >>seen
	done
	wait "$sid"
	SPAN=$(( $(ms) - t0 ))
	for target in $TARGETS
	do
		awk -v n=$target '$1 == n { if (!f) f = $2; l = $2 }
			END { print (f ? l - f : 0) }' seen >life.$target || return 1
		echo "$target lives about $(cat life.$target) ms"
	done
	echo "an undisturbed run takes $SPAN ms"
}

# outside_state: the root but the output directory's backups and
# kt-roll's temporary files.
outside_state () {
	kt_tree r | grep -v "^var/lib/keytrustee/\(kts_bak_\|\.kt-roll\.\)"
}

# whole BACKUP: BACKUP decrypts to the configuration directory, identical,
# and a dump with its completion trailer.
whole () {
	rm -rf w w.tar &&
	kt_unpack "$1" w &&
	kt_tree "w/$KTS_CONF" >w.conf &&
	test_cmp conf.expect w.conf &&
	ls w/var/lib/keytrustee/kts_bak_${HOST}_*.sql >w.sql &&
	test_line_count = 1 w.sql &&
	grep -q "^-- PostgreSQL database dump complete" "$(cat w.sql)" &&
	grep -q "$MARKER" "$(cat w.sql)" &&
	rm -rf w
}

# before_trial: what check_trial compares against.
before_trial () {
	kt_backups $OUT >backups.before &&
	outside_state >outside.before &&
	find $OUT -maxdepth 1 -name ".kt-roll.*" | sort >temps.before
}

# check_trial TARGET: see test_description.
check_trial () {
	rc=$(cat rc)
	kt_backups $OUT >backups.after
	LC_ALL=C comm -13 backups.before backups.after >added
	LC_ALL=C comm -23 backups.before backups.after >removed
	test_line_count = 0 removed || return 1
	outside_state >outside.after &&
	test_cmp outside.before outside.after || return 1
	find tmp -mindepth 1 >left &&
	test_line_count = 0 left || return 1
	# No cleartext of the database anywhere: not in the root, not in
	# a temporary file of kt-roll (which only a killed kt-roll leaves).
	if grep -r -l -F "$MARKER" r tmp
	then
		echo "cleartext left behind"
		return 1
	fi
	# A temporary file that a killed kt-roll left in an earlier trial
	# stays until a kt-roll runs again (this trial's may have been
	# killed before it started): only new ones count.
	find $OUT -maxdepth 1 -name ".kt-roll.*" | sort >temps.after
	LC_ALL=C comm -13 temps.before temps.after >temps
	if test "$1" != kt-roll
	then
		test_line_count = 0 temps || return 1
	fi
	if test -s added
	then
		test_line_count = 1 added &&
		whole "$OUT/$(cat added)" || {
			echo "$OUT/$(cat added) is not a whole backup:"
			gpg --batch -q -d "$OUT/$(cat added)" | tar tvf -
			return 1
		}
		if test "$rc" = 0
		then
			echo "$PWD/$OUT/$(cat added)" >expect &&
			test_cmp expect stdout || return 1
		else
			# Only a death after the store can hide it.
			case $1 in
			ktbackup|kt-roll) ;;
			*) echo "stored, but ktbackup exited $rc"; return 1 ;;
			esac
		fi
		stored=$((stored + 1))
	else
		test "$rc" != 0 || { echo "ktbackup succeeded, stored nothing"; return 1; }
		if test "$1" != ktbackup
		then
			test_line_count = 0 stdout &&
			tail -n 1 stderr | grep "^ktbackup: backup \(failed\|interrupted\)" ||
			return 1
		fi
		refused=$((refused + 1))
	fi
}

test_expect_success 'setup: a server with a few megabytes of keys and database' '
	gpg_setup &&
	gpg_setup_backup_key &&
	pg_setup &&
	pg_load_sample_schema keytrustee &&
	pg_psql -d keytrustee -c "CREATE TABLE bulk AS SELECT g AS id,
		md5(g::text) || md5((-g)::text) AS deposit
		FROM generate_series(1, 20000) g" &&
	pg_psql -d keytrustee -c "CREATE TABLE marker AS SELECT
		'"'$MARKER'"'::text AS note" &&
	kt_make_kts r &&
	head -c 1000000 /dev/urandom >r/$KTS_CONF/secring.gpg &&
	# More names than a pipe holds, so that kt-collect lives as long
	# as kt-tar takes to read them.
	mkdir -m 700 r/$KTS_CONF/deposits &&
	(cd r/$KTS_CONF/deposits && seq -w 1 2000 | sed "s/^/deposit-number-/" |
		xargs touch) &&
	kt_tree r/$KTS_CONF >conf.expect &&
	mkdir tmp &&
	TMPDIR=$PWD/tmp &&
	export TMPDIR
'

test_expect_success 'an undisturbed run, watched, stores a whole backup' '
	before_trial &&
	calibrate &&
	stored=0 refused=0 &&
	check_trial none &&
	test "$(cat rc)" = 0
'

# trials N TARGET...: N trials, killing each TARGET in turn at a moment
# of the life it had in the watched run.  Fails unless at least half of
# the kills found their target alive, and some backups were refused.
trials () {
	ntrials=$1
	shift
	n=0 landed=0 stored=0 refused=0
	while test $n -lt $ntrials
	do
		target=$(echo "$@" | cut -d" " -f$((n % $# + 1))) &&
		delay=$(random $(( $(cat life.$target) + 1 ))) &&
		n=$((n + 1)) &&
		before_trial &&
		run_trial "$target" "$delay" &&
		landed=$((landed + killed)) &&
		check_trial "$target" || {
			echo "trial $n: $target killed after $delay ms:" \
				"ktbackup exited $(cat rc 2>/dev/null)"
			cat stderr
			return 1
		}
		echo "trial $n: $target after $delay ms: killed=$killed," \
			"exit $(cat rc), $(wc -l <added) stored"
	done
	echo "$landed kills landed; $refused refused, $stored stored"
	test $((landed * 2)) -ge $ntrials && test $refused -gt 0
}

test_expect_success "$TRIALS trials: ktbackup or a stage killed at a random moment" '
	trials $TRIALS $TARGETS
'

# gpgme's own I/O loop polled the pipe to a gpg that had died without
# end: kt-seal spun at full CPU and the backup never finished.  On a KMS
# with 20 MB of keys, so that gpg dies with the stream in full flow.
test_expect_success 'gpg killed in the middle of the stream: ktbackup fails, nothing stored' '
	{
		kt_make_kms k &&
		head -c 20000000 /dev/urandom >k/$KMS_CONF/secring.gpg &&
		kt_tree k >before.k &&
		rm -f rc stdout stderr
	} || return 1
	setsid sh -c "ktbackup --allow-root --root=k \
		--gpg-recipient=\"John Doe\" -q >stdout 2>stderr; echo \$? >rc" &
	sid=$!
	pid=
	while test -z "$pid" && ! test -s rc
	do
		pid=$(find_target gpg $sid)
	done &&
	test -n "$pid" &&
	sleep 0.1 &&
	kill -9 "$pid"
	i=0
	while ! test -s rc && test $i -lt $((HANG_S * 10))
	do
		sleep 0.1
		i=$((i + 1))
	done
	if ! test -s rc
	then
		echo "still running $HANG_S s later:"
		ps -s "$sid" -o pid=,stat=,time=,args=
		pkill -9 -s "$sid"
	fi
	wait "$sid"
	echo "ktbackup exited $(cat rc)" &&
	cat stderr &&
	test "$(cat rc)" = 1 &&
	kt_tree k >after.k &&
	test_cmp before.k after.k
'

# dead_stage STAGE: ktbackup with STAGE replaced by a program that dies
# of SIGKILL before its first byte (ktbackup runs the filters of its own
# directory, and kt-pgdump-wrap finds pg_dump in PATH).
dead_stage () {
	rm -rf dead && mkdir dead &&
	for f in ktbackup kt-collect kt-pgdump-wrap kt-tar kt-seal kt-roll
	do
		ln -s "$(command -v $f)" dead/$f || return 1
	done &&
	ln -s "$(command -v pg_dump)" dead/pg_dump &&
	ln -s "$(command -v psql)" dead/psql &&
	rm dead/$1 &&
	printf "#!/bin/sh\nkill -9 \$\$\n" >dead/$1 &&
	chmod +x dead/$1 &&
	before_trial &&
	rm -f rc stdout &&
	PATH=$PWD/dead:$PATH dead/ktbackup --allow-root --root=r \
		--gpg-recipient="John Doe" -q >stdout 2>stderr
	echo $? >rc
	cat stderr
	check_trial "$1" &&
	test "$(cat rc)" = 1 &&
	test_line_count = 0 added
}

for stage in kt-pgdump-wrap pg_dump kt-tar kt-seal kt-roll
do
	test_expect_success "$stage dead before its first byte: nothing stored" "
		dead_stage $stage
	"
done

# kt-tar -c -T LIST --stdin-member DUMP refuses an empty LIST: that is
# what kt-collect leaves when it dies before its first byte.
test_expect_success 'kt-collect dead before its first byte: nothing stored' '
	dead_stage kt-collect
'

test_expect_success 'the next run succeeds and sweeps what a killed kt-roll left' '
	before_trial &&
	run_trial &&
	test "$(cat rc)" = 0 &&
	check_trial none &&
	find $OUT -maxdepth 1 -name ".kt-roll.*" >temps &&
	test_line_count = 0 temps
'

test_done
