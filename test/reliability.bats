#!/usr/bin/env bats
# Reliability: the program against oc-sim's faults. Each test has its own simulated
# project; docs/reliability.md has the fault matrix these tests cover.

load test_helper

setup() {
	common_setup
}

# fast_init [sim init options]: very short rollouts, for tests that run many upgrades
fast_init() {
	"$SIM" sim init --namespace 3scale --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.3 --set terminate_seconds=0.2 \
		--set trigger_lag_seconds=0.1 --set import_seconds=0.1 --set watch_max_seconds=3 "$@" >/dev/null
}

# the documented end state, and exactly one new rollout (#2) per dc
assert_final_state() {
	assert_upgraded ""
	local dc v
	for dc in system-app system-sidekiq system-sphinx; do
		v=$(dc_field "$dc" "d['status']['latestVersion']")
		[ "$v" = 2 ] || fail "dc/$dc: latestVersion $v, expected 2 (one new rollout)"
	done
}

# no mutating command was applied twice
assert_no_repeated_change() {
	run bash -c "'$SIM' sim calls --mutating | sort | uniq -d"
	assert_output ""
}

# start_until DIR TEXT: start `run` in the background (DIR first on PATH, if given), output
# in $BATS_TEST_TMPDIR/out, and return once TEXT was printed (plus half a second); $! is its pid
start_until() {
	PATH="${1:+$1:}$PATH" "$UPGRADE" run --only system -n 3scale --yes >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	for _ in $(seq 1 300); do
		grep -q "$2" "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	sleep 0.5
}

@test "SIGKILL after any single oc call: re-running run finishes, each change applied once, documented state" {
	local cut=1 step=${CUT_STEP:-1} walked=0
	# the sanitizer build is slower: it walks every 3rd cut point (scripts/test runs
	# every 4th with oc 3.11 on the normal build too)
	[[ "$UPGRADE" == *asan* ]] && step=${CUT_STEP:-3}
	make_cutter
	while :; do
		fast_init
		rm -f "$BATS_TEST_TMPDIR/cut/count"
		CUT=$cut PATH="$BATS_TEST_TMPDIR/cut:$PATH" run "$UPGRADE" run --only system -n 3scale --yes 3>&-
		# the run ended before oc call number $cut: every cut point was walked
		[ "$status" -eq 0 ] && break
		[ "$status" -eq 137 ] || fail "cut after call $cut: exit $status, not killed: $output"
		run upgrade run --only system -n 3scale --yes
		[ "$status" -eq 0 ] || fail "re-run after a cut after call $cut: exit $status: $output"
		assert_final_state
		assert_no_repeated_change
		walked=$((walked + 1))
		cut=$((cut + step))
	done
	# a full run of the system section makes some 25 oc calls besides its watches
	[ "$cut" -gt 20 ] || fail "only $cut cut points: the run is shorter than expected"
	echo "# walked $walked cut points (every $step of $((cut - 1))+ oc calls)" >&3
}

@test "SIGINT during a rollout wait: oc children ended, done steps and the resume command, exit 130" {
	"$SIM" sim init --namespace 3scale --set client_version="$OC_SIM_CLIENT" --set rollout_seconds=60 --set trigger_lag_seconds=0.1 \
		--set import_seconds=0.1 >/dev/null
	start_until "" "system-app --from-image=amp-system:2.10"
	local pid=$! children="" rc=0 _
	# the oc children of the wait (its watches and lists), as soon as there are any
	for _ in $(seq 1 200); do
		children=$(pgrep -P "$pid" | tr '\n' ' ')
		[ -n "$children" ] || ! kill -0 "$pid" 2>/dev/null && break
		sleep 0.05
	done
	[ -n "$children" ] || fail "no oc child while waiting: $(cat "$BATS_TEST_TMPDIR/out")"
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/out")"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "interrupted by SIGINT"
	assert_output --partial "done: tag/amp-system, import/amp-system"
	assert_output --partial "to continue, re-run: 3scale-upgrade run --only system -n 3scale --from 2.9 --to 2.10 --database other"
	# the watches it ran are gone
	local c
	for c in $children; do
		! kill -0 "$c" 2>/dev/null || fail "oc child $c left running"
	done
}

@test "an oc child that ignores SIGTERM is killed after a grace period; a second SIGINT exits at once" {
	# a wrapper oc whose trigger changes ignore SIGTERM and hang
	local dir=$BATS_TEST_TMPDIR/stubborn
	mkdir -p "$dir"
	{
		echo '#!/bin/bash'
		echo 'if [ "$1" = set ]; then trap "" TERM; sleep 60; touch "'"$dir"'/outlived"; exit 1; fi'
		echo 'exec "'"$SIM"'" "$@"'
	} >"$dir/oc"
	chmod +x "$dir/oc"
	sim_init >/dev/null
	local pid rc
	start_until "$dir" "oc set triggers"
	pid=$!
	# SIGTERM: the stubborn child is killed after the grace period, exit 143
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/out")"
	# it stopped before the stubborn child would have finished on its own
	[ ! -e "$dir/outlived" ] || fail "the program waited for the stubborn oc to finish"
	# again, with SIGTERM twice: the second one exits at once
	start_until "$dir" "oc set triggers"
	pid=$!
	kill -TERM "$pid"
	sleep 0.2
	kill -TERM "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/out")"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "SIGTERM again: exiting at once"
}

@test "transient errors on reads are retried with backoff: status succeeds for every kind" {
	local kind
	for kind in internal timeout 429 500 503 504 refused reset; do
		sim_init --set fail_read="$kind:2" --set fail_read_match="get dc -n 3scale -o json" >/dev/null
		run --separate-stderr upgrade status --only system -n 3scale
		[ "$status" -eq 1 ] || fail "$kind: exit $status: $stderr"
		assert_output --partial "upgrade not complete"
		[[ "$stderr" == *"'oc get dc' failed"*"trying again"* ]] ||
			fail "$kind: no retry message: $stderr"
		[ "$(grep -c "trying again" <<<"$stderr")" -eq 2 ] || fail "$kind: not 2 retries: $stderr"
	done
}

@test "transient errors during a run's waits and watches: the run finishes in the documented state" {
	sim_init --set fail_read="internal:3,503:2,reset:2" --set fail_read_match="deploymentconfig=system-app" >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_success
	[[ "$stderr" == *"trying again"* || "$stderr" == *"watching again"* ]] || fail "no retry seen: $stderr"
	assert_final_state
	assert_no_repeated_change
}

@test "Forbidden, Unauthorized and NotFound on a read are not retried: exit 1 with oc's message and a hint" {
	local kind hint
	for kind in forbidden unauthorized notfound; do
		case $kind in
		forbidden) hint="ask for edit rights on project 3scale" ;;
		unauthorized) hint="log in again with 'oc login'" ;;
		notfound) hint="check the namespace" ;;
		esac
		sim_init --set fail_read="$kind:1" \
			--set fail_read_match="get rc -l openshift.io/deployment-config.name=system-app -n 3scale -o json" >/dev/null
		run --separate-stderr upgrade run --only system -n 3scale --yes
		[ "$status" -eq 1 ] || fail "$kind: exit $status: $stderr"
		[[ "$stderr" != *"trying again"* ]] || fail "$kind was retried: $stderr"
		[[ "$stderr" == *"error: 'oc get rc' failed (exit 1)"* ]] || fail "$kind: $stderr"
		[[ "$stderr" == *"hint: $hint"* ]] || fail "$kind: no hint '$hint': $stderr"
		[[ "$stderr" == *"to continue, fix the cause and re-run: 3scale-upgrade run --only system"* ]] || fail "$kind: $stderr"
	done
}

@test "a change that took effect but reported a timeout is read back, not repeated" {
	# mutating call 2 is system-app's trigger removal
	sim_init --set fail_call=2:applied:timeout >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_success
	[[ "$stderr" == *"reading the state back"* ]] || fail "no read back: $stderr"
	assert_final_state
	assert_no_repeated_change
}

@test "a change that failed without effect is read back, then applied once more" {
	# mutating call 3 is system-app's trigger add
	sim_init --set fail_call=3:internal >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_success
	[[ "$stderr" == *"reading the state back"* ]] || fail "no read back: $stderr"
	assert_final_state
	run bash -c "'$SIM' sim calls --mutating | grep -c 'system-app --from-image=amp-system:2.10'"
	assert_output 2
}

@test "a change refused as Forbidden stops at once with the hint, not retried" {
	sim_init --set fail_call=2:forbidden >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_failure 1
	[[ "$stderr" != *"reading the state back"* ]] || fail "$stderr"
	[[ "$stderr" == *"hint: ask for edit rights on project 3scale"* ]] || fail "$stderr"
}

@test "an oc call that passes --call-timeout is killed, reported, and the read tried again" {
	# a wrapper oc that hangs on the first read of system-sphinx's RCs
	local dir=$BATS_TEST_TMPDIR/slow
	mkdir -p "$dir"
	{
		echo '#!/bin/bash'
		echo 'if [[ "$*" == "get rc -l openshift.io/deployment-config.name=system-sphinx -n 3scale -o json" ]] &&'
		echo '   mkdir "'"$dir"'/once" 2>/dev/null; then exec sleep 60; fi'
		echo 'exec "'"$SIM"'" "$@"'
	} >"$dir/oc"
	chmod +x "$dir/oc"
	sim_init >/dev/null
	PATH="$dir:$PATH" run --separate-stderr "$UPGRADE" status --only system -n 3scale --call-timeout 8s 3>&-
	[ "$status" -eq 1 ] || fail "exit $status: $stderr"
	[[ "$stderr" == *"'oc get rc' failed: did not finish within 8.0s (--call-timeout) and was killed; trying again"* ]] ||
		fail "$stderr"
	assert_output --partial "upgrade not complete"
}

@test "watches that the server closes early, or that break, are reconnected: the run finishes" {
	sim_init --set watch_max_seconds=0.3 >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_success
	assert_final_state
	sim_init --set watch_error=4 --set watch_max_seconds=0.3 --set rollout_seconds=4 >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_success
	[[ "$stderr" == *"watching again"* ]] || fail "no reconnect message: $stderr"
	assert_final_state
}

@test "truncated or non-JSON output from oc: a clear error naming the command, then a retry" {
	sim_init --set truncate_json=1 --set bad_json_match="get dc -n 3scale -o json" >/dev/null
	run --separate-stderr upgrade status --only system -n 3scale
	[ "$status" -eq 1 ] || fail "exit $status: $stderr"
	[[ "$stderr" == *"'oc get dc' failed: printed output that is not valid JSON"*"trying again"* ]] ||
		fail "$stderr"
	sim_init --set garbage_json=1 --set bad_json_match="get imagestream -n 3scale -o json" >/dev/null
	run --separate-stderr upgrade status --only system -n 3scale
	[ "$status" -eq 1 ] || fail "exit $status: $stderr"
	[[ "$stderr" == *"'oc get imagestream' failed: printed output that is not valid JSON"* ]] || fail "$stderr"
}

@test "a namespace that looks like an option is an error, never an oc flag" {
	sim_init >/dev/null
	run upgrade run --only system --yes -n --all-namespaces
	assert_failure 2
	assert_output --partial "invalid namespace '--all-namespaces'"
	run "$SIM" sim calls
	assert_output ""
}
