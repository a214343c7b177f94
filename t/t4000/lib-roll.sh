# lib-roll.sh: helpers for the kt-roll tests (t4xxx).  Source it after
# test-lib.sh:  . "$TEST_DIRECTORY/t4000/lib-roll.sh"

# The fault-injection shim (t/helper/kt-faults.c): write and fsync errors,
# SIGKILL at a chosen call, a fixed clock.  `make check` builds it.
ROLL_FAULTS=$top_builddir/t/helper/kt-faults.so
test_lazy_prereq FAULTS 'test -f "$ROLL_FAULTS"'
# AddressSanitizer refuses to start when a library is preloaded before its
# runtime, unless told; harmless in a build without it.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

# with_faults [VAR=VALUE]... CMD...: CMD with the shim preloaded.
with_faults () {
	env LD_PRELOAD="$ROLL_FAULTS" "$@"
}

# 2016-02-10 11:14:37 UTC, the time in the seed's example name.
SEED_TIME=1455102877
SEED_STAMP=2016-02-10_11-14-37

# roll_state DIR: one line per entry under DIR, kt-roll's temporary files
# left out: path, type, and for files size, mode and SHA-256, for links
# the target.  Compare two with test_cmp.
roll_state () {
	(
		cd "$1" || exit 1
		find . -mindepth 1 ! -name '.kt-roll.??????' -printf '%P\n' |
		LC_ALL=C sort |
		while IFS= read -r f
		do
			if test -L "$f"
			then
				echo "$f link $(readlink "$f")"
			elif test -f "$f"
			then
				echo "$f file $(wc -c <"$f") $(stat -c %a "$f")" \
					"$(sha256sum <"$f" | cut -d" " -f1)"
			elif test -d "$f"
			then
				echo "$f dir $(stat -c %a "$f")"
			else
				echo "$f other $(stat -c %F "$f")"
			fi
		done
	)
}

# roll_temps DIR: kt-roll's temporary files in DIR, one a line.
roll_temps () {
	find "$1" -maxdepth 1 -name '.kt-roll.??????' -printf '%P\n' |
	LC_ALL=C sort
}

# roll_temp_written DIR: a temporary file in DIR has data in it.
roll_temp_written () {
	find "$1" -maxdepth 1 -name '.kt-roll.??????' -size +0 | grep -q .
}

# roll_no_temps DIR: fails, naming them, if temporary files remain.
roll_no_temps () {
	roll_temps "$1" >temps &&
	test_line_count = 0 temps
}

# roll_plant DIR NAME [CONTENT]: a file standing for an older backup.
roll_plant () {
	printf '%s\n' "${3:-planted $2}" >"$1/$2"
}

# roll_wait_for CMD...: poll (up to about 20 s) until CMD succeeds.  For
# waiting on a state another process reaches, never as a delay.
roll_wait_for () {
	roll_i_=0
	until "$@"
	do
		roll_i_=$((roll_i_ + 1))
		test $roll_i_ -le 400 || return 1
		sleep 0.05
	done
}

# roll_random N: a random whole number from 0 to N-1.
roll_random () {
	echo $(( $(od -An -N4 -tu4 /dev/urandom | tr -d " ") % $1 ))
}

# roll_make_payload DIR [SIZE [FILES]]: a small Key Trustee configuration
# directory, as the seed's tar listing shows it, under DIR (a fake root),
# with SIZE kilobytes (default 4096) of random key material and FILES
# small files more (default none), so that a pipeline takes long enough,
# and lists enough names, to be killed in the middle.
roll_make_payload () {
	roll_conf_=$1/var/lib/keytrustee/.keytrustee
	mkdir -p "$roll_conf_/.ssl" &&
	chmod 700 "$roll_conf_" "$roll_conf_/.ssl" &&
	for roll_f_ in keytrustee.conf trustdb.gpg secring.gpg random_seed \
		pubring.gpg logging.conf gpg.conf .ssl/ssl-cert-keytrustee.pem \
		.ssl/ssl-cert-keytrustee-pk.pem
	do
		echo "contents of $roll_f_" >"$roll_conf_/$roll_f_" || return 1
	done &&
	head -c $((${2:-4096} * 1024)) /dev/urandom >"$roll_conf_/secring.gpg" &&
	if test "${3:-0}" -gt 0
	then
		mkdir "$roll_conf_/deposits" &&
		seq 1 "$3" | split -l 1 -a 5 - "$roll_conf_/deposits/d"
	fi
}

# roll_fake_dump FILE [ROWS]: a PostgreSQL 15 plain dump (header, a few
# statements, completion trailer), without a server.
roll_fake_dump () {
	{
		cat <<-\EOF
		--
		-- PostgreSQL database dump
		--

		\restrict 0123456789abcdef

		-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
		-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

		SET statement_timeout = 0;
		SET client_encoding = 'UTF8';

		CREATE TABLE public.deposits (
		    id integer NOT NULL,
		    body text
		);

		COPY public.deposits (id, body) FROM stdin;
		EOF
		roll_n_=0
		while test $roll_n_ -lt "${2:-20}"
		do
			printf '%d\tdeposit number %d\n' $roll_n_ $roll_n_
			roll_n_=$((roll_n_ + 1))
		done
		cat <<-\EOF
		\.


		--
		-- PostgreSQL database dump complete
		--

		\unrestrict 0123456789abcdef

		EOF
	} >"$1"
}

# --- killing pipeline stages at random moments ----------------------------
#
# A test sets ROLL_PIPELINE to a plain sh script (run as sh -c, so no
# pipefail whatever the test shell is) whose stages each write their pid to
# pid.STAGE before they exec, and whose last stage is
#	kt-roll -o out --host h --keep $ROLL_KEEP ... >stdout 2>stderr
# followed by "echo $? >rc"; "$1" in it is the clock for kt-roll
# (KT_FAULT_TIME), so that every trial gets a name of its own, later than
# the one before.  ROLL_STAGES lists the stage names; roll_verify FILE
# (defined by the test) succeeds when FILE is a whole, correct backup.

# roll_ms: milliseconds since the epoch.
roll_ms () {
	echo $(( $(date +%s%N) / 1000000 ))
}

# roll_run_pipeline CLOCK [STAGE DELAY_MS]: runs the pipeline, and kills
# STAGE with SIGKILL after DELAY_MS.
roll_run_pipeline () {
	rm -f pid.* rc stdout stderr
	sh -c "$ROLL_PIPELINE" - "$1" &
	roll_bg_=$!
	if test $# = 3
	then
		for roll_s_ in $ROLL_STAGES
		do
			roll_wait_for test -s pid.$roll_s_ || return 1
		done
		sleep "$(($3 / 1000)).$(printf %03d $(($3 % 1000)))"
		kill -9 "$(cat pid.$2)" 2>/dev/null
	fi
	wait $roll_bg_
	test -s rc || { echo "the pipeline did not finish"; return 1; }
}

# roll_check_trial STAGE CLOCK: out/ (saved in before) is either as it
# was, or holds one new whole backup named for CLOCK with the oldest
# backups of the series removed so that ROLL_KEEP remain; nothing else
# ever changes.
roll_check_trial () {
	roll_rc_=$(cat rc)
	roll_state out >after || return 1
	LC_ALL=C comm -23 before after >removed
	LC_ALL=C comm -13 before after >added
	if grep -v "^$ROLL_SERIES" removed || grep -v "^$ROLL_SERIES" added
	then
		echo "something else than a backup of the series changed"
		return 1
	fi
	if ! test -s added
	then
		test "$roll_rc_" != 0 || {
			echo "kt-roll succeeded but stored nothing"; return 1; }
		test_line_count = 0 removed || {
			echo "a failed run removed backups"; return 1; }
		# A refusal cleans up after itself; only a killed kt-roll
		# may leave its temporary file.
		test "$1" = roll || roll_no_temps out || return 1
		roll_refused_=$((roll_refused_ + 1))
		return 0
	fi
	test_line_count = 1 added || return 1
	roll_new_=$(cut -d" " -f1 added)
	roll_stamp_=$(date -u -d "@$2" +%Y-%m-%d_%H-%M-%S)
	case $roll_new_ in
	"$ROLL_SERIES$roll_stamp_".*) ;;
	*) echo "unexpected name $roll_new_ for $roll_stamp_"; return 1 ;;
	esac
	# A stage that died before its first byte must not have left a
	# sealed empty stream (kt-seal refuses an empty input).
	if roll_sealed_empty "out/$roll_new_"
	then
		echo "out/$roll_new_ holds an empty stream"
		return 1
	fi
	roll_verify "out/$roll_new_" || {
		echo "out/$roll_new_ is not a whole backup"; return 1; }
	# Only the oldest went: every removed name sorts before every
	# remaining one (the names' times increase from trial to trial).
	roll_oldest_kept_=$(grep "^$ROLL_SERIES" after | head -n 1 | cut -d" " -f1)
	for roll_gone_ in $(cut -d" " -f1 removed)
	do
		test "$(printf "%s\n%s\n" "$roll_gone_" "$roll_oldest_kept_" |
			LC_ALL=C sort | head -n 1)" = "$roll_gone_" || {
			echo "$roll_gone_ removed before $roll_oldest_kept_"
			return 1; }
	done
	if test "$roll_rc_" = 0
	then
		echo "out/$roll_new_" >expect &&
		test_cmp expect stdout &&
		grep "^$ROLL_SERIES" after >series &&
		test_line_count = "$ROLL_KEEP" series &&
		roll_no_temps out || return 1
		roll_stored_=$((roll_stored_ + 1))
	else
		# Only kt-roll's own death can leave a stored backup behind
		# a failing status.
		test "$1" = roll && test "$roll_rc_" = 137 || {
			echo "stored, but the pipeline exited $roll_rc_"
			return 1; }
		roll_stored_=$((roll_stored_ + 1))
	fi
}

# roll_sealed_empty FILE: FILE is an OpenPGP message of an empty stream.
roll_sealed_empty () {
	roll_plain_=$(gpg --batch -q -d "$1" 2>/dev/null | head -c 1 | wc -c) &&
	test "$roll_plain_" = 0
}

# roll_trials N: N trials, killing each stage of ROLL_STAGES in turn at a
# random moment within the time an undisturbed run takes (or its first
# half, quarter ... sixteenth, chosen at random).  Fails unless at
# least an eighth of the kills landed in the middle of the stream (so that
# the trials show something).
roll_trials () {
	roll_trials_=$1 roll_refused_=0 roll_stored_=0 roll_n_=0
	roll_clock_=$SEED_TIME
	roll_t0_=$(roll_ms)
	roll_run_pipeline $roll_clock_ && test "$(cat rc)" = 0 || {
		echo "an undisturbed run failed:"; cat stderr; return 1; }
	roll_span_=$(( $(roll_ms) - roll_t0_ + 1 ))
	echo "an undisturbed run takes about $roll_span_ ms"
	while test $roll_n_ -lt $roll_trials_
	do
		roll_stage_=$(echo $ROLL_STAGES |
			cut -d" " -f$((roll_n_ % $(echo $ROLL_STAGES | wc -w) + 1)))
		# Uniform over the whole run, half of it, a quarter ... a
		# sixteenth: the early stages live only at its start.
		roll_delay_=$(roll_random $(( (roll_span_ >> $(roll_random 5)) + 1 )))
		roll_clock_=$((roll_clock_ + 60))
		roll_n_=$((roll_n_ + 1))
		roll_state out >before &&
		roll_run_pipeline $roll_clock_ $roll_stage_ $roll_delay_ &&
		roll_check_trial $roll_stage_ $roll_clock_ || {
			echo "trial $roll_n_: $roll_stage_ killed after" \
				"$roll_delay_ ms: kt-roll exited $(cat rc)"
			cat stderr
			return 1
		}
		echo "trial $roll_n_: $roll_stage_ killed after $roll_delay_ ms:" \
			"exit $(cat rc), $(wc -l <added) added," \
			"$(wc -l <removed) removed"
	done
	echo "$roll_refused_ refused, $roll_stored_ stored"
	test $((roll_refused_ * 8)) -ge $roll_trials_ || {
		echo "too few kills landed mid-stream"; return 1; }
	# A run after them all succeeds and leaves no temporary file.
	roll_clock_=$((roll_clock_ + 60))
	roll_state out >before &&
	roll_run_pipeline $roll_clock_ &&
	test "$(cat rc)" = 0 &&
	roll_check_trial none $roll_clock_ &&
	roll_no_temps out
}
