#!/usr/bin/env bats
# Tests of oc-sim's fork server (test/forkserver), the suites' oc: through its client,
# every call prints what scripts/oc-sim prints and ends as it ends, call after call on
# the server's reused workers. The file runs a server of its own.

load test_helper

DIRECT=$TOP/scripts/oc-sim
CLIENT=${OC_SIM_FORK_CLIENT:-$TOP/build/oc-sim-client}

setup_file() {
	[ -x "$CLIENT" ] || fail "no $CLIENT: build the unit tests (cmake --build build)"
	export OC_SIM_SERVER=$BATS_FILE_TMPDIR/sock PATH=/usr/bin:$PATH
	python3 -S "$TOP/test/forkserver/oc-sim-server.py" "$OC_SIM_SERVER" \
		</dev/null >"$BATS_FILE_TMPDIR/server.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/server.pid"
	local _
	for _ in $(seq 100); do
		[ -S "$OC_SIM_SERVER" ] && return 0
		sleep 0.1
	done
	fail "the server did not start: $(cat "$BATS_FILE_TMPDIR/server.log")"
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/server.pid")"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

# answer PROGRAM ARGS...: what a call printed on stdout and stderr, and its exit status
answer() {
	local rc=0
	"$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	printf '%s\n--- stderr\n%s\n--- exit %s\n' "$(cat "$BATS_TEST_TMPDIR/out")" "$(cat "$BATS_TEST_TMPDIR/err")" "$rc"
}

# printed FILE: wait (up to a minute) until a background call has written to FILE
printed() {
	local _
	for _ in $(seq 600); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	fail "nothing written to $1 within a minute"
}

@test "through the server, each call answers as oc-sim does, in the caller's environment, directory and umask" {
	# two settled clusters with different clients, in relative state directories (the
	# caller's directory and environment name them); the calls alternate between them,
	# so that a worker's next call is for the other cluster
	OC_SIM_STATE=a "$DIRECT" sim init --namespace 3scale --set client_version=3.11 >/dev/null
	OC_SIM_STATE=b "$DIRECT" sim init --namespace 3scale >/dev/null
	local c args _
	for _ in 1 2; do
		for c in a b; do
			for args in "get dc/system-app -n 3scale -o json" "get dc/nope -n 3scale -o json" \
				"version" "get dc -n 3scale -o json" \
				"get is amp-system -n 3scale -o jsonpath={.spec}" "frobnicate"; do
				# shellcheck disable=SC2086 # the words of $args are the arguments
				[ "$(OC_SIM_STATE=$c answer "$CLIENT" $args)" = "$(OC_SIM_STATE=$c answer "$DIRECT" $args)" ] ||
					fail "cluster $c, oc $args: through the server: $(OC_SIM_STATE=$c answer "$CLIENT" $args)"
			done
		done
	done
	# the caller's umask: the files a call creates
	(umask 077 && OC_SIM_STATE=c "$CLIENT" sim init --namespace 3scale >/dev/null)
	[ "$(stat -c %a c/state.json)" = 600 ] || fail "state.json of a umask 077 call: $(stat -c %a c/state.json)"
	(umask 022 && OC_SIM_STATE=d "$CLIENT" sim init --namespace 3scale >/dev/null)
	[ "$(stat -c %a d/state.json)" = 644 ] || fail "state.json of a umask 022 call: $(stat -c %a d/state.json)"
	# the caller's environment, not one from a call before: no OC_SIM_STATE, so the
	# state is in $TMPDIR
	for c in 1 2 3; do
		mkdir "tmp$c"
		OC_SIM_STATE=a "$CLIENT" get dc/system-app -n 3scale -o json >/dev/null
		env -u OC_SIM_STATE TMPDIR="$PWD/tmp$c" "$CLIENT" sim init --namespace 3scale >/dev/null
		[ -f "tmp$c/oc-sim-$(id -u)/state.json" ] || fail "a call without OC_SIM_STATE did not use \$TMPDIR: $(ls -R)"
	done
	# each call is logged once, as oc-sim logs it
	run env OC_SIM_STATE=b "$DIRECT" sim calls
	[ "$(grep -c '^get dc/system-app -n 3scale -o json$' <<<"$output")" = 4 ] || fail "the call log: $output"
}

@test "SIGTERM to a call through the server ends it as it ends oc-sim; the next calls are served" {
	export OC_SIM_STATE=$BATS_TEST_TMPDIR/sim
	"$DIRECT" sim init --namespace 3scale >/dev/null
	local prog pid rc statuses=()
	for prog in "$CLIENT" "$DIRECT"; do
		rm -f "$BATS_TEST_TMPDIR/watch"
		"$prog" get dc/system-app -n 3scale -o json -w >"$BATS_TEST_TMPDIR/watch" 2>&1 3>&- &
		pid=$!
		printed "$BATS_TEST_TMPDIR/watch"
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		statuses+=("$rc")
	done
	[ "${statuses[0]}" = "${statuses[1]}" ] || fail "exit ${statuses[0]} through the server, ${statuses[1]} from oc-sim"
	run "$CLIENT" get dc/system-app -n 3scale -o json
	assert_success
}

@test "a SIGKILLed client: the worker that ran its call ends too, and the next calls are served" {
	export OC_SIM_STATE=$BATS_TEST_TMPDIR/sim
	# a watch that goes on for ten minutes unless it is ended
	"$DIRECT" sim init --namespace 3scale --set watch_max_seconds=600 >/dev/null
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$CLIENT" get dc/system-app -n 3scale -o json -w >"$BATS_TEST_TMPDIR/fifo" 3>&- &
	local pid=$!
	exec 4<"$BATS_TEST_TMPDIR/fifo"
	read -r -u 4 line
	[ "$line" = "{" ] || fail "the watch printed: $line"
	kill -KILL "$pid"
	# the fifo reaches its end once every writer is gone: the client and its worker
	run timeout 60 cat <&4
	exec 4<&-
	[ "$status" -eq 0 ] || fail "the worker still holds the watch's stdout a minute after its client was killed"
	run "$CLIENT" get dc/system-app -n 3scale -o json
	assert_success
}
