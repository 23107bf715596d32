#!/usr/bin/env bats
# examples/runbook/runbook.bats - tests of the runbook upgrade-system-image.sh against
# oc-sim, the simulated oc and 3scale 2.9 project. See docs/runbook.md.
#
#   bats examples/runbook/runbook.bats
#
# It finds the programs on PATH (as the Debian package installs them), or through
#   THREESCALE_UPGRADE  the 3scale-upgrade program
#   OC_SIM              the simulator (scripts/oc-sim in the sources)
# and needs bats-support, bats-assert and jq.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

RUNBOOK="$BATS_TEST_DIRNAME/upgrade-system-image.sh"

setup_file() {
	# resolve both programs once, before PATH changes
	THREESCALE_UPGRADE=$(command -v "${THREESCALE_UPGRADE:-3scale-upgrade}") ||
		skip "3scale-upgrade not found: set THREESCALE_UPGRADE"
	OC_SIM=$(command -v "${OC_SIM:-oc-sim}") || skip "oc-sim not found: set OC_SIM"
	[[ $THREESCALE_UPGRADE == /* ]] || THREESCALE_UPGRADE=$PWD/$THREESCALE_UPGRADE
	[[ $OC_SIM == /* ]] || OC_SIM=$PWD/$OC_SIM
	export THREESCALE_UPGRADE OC_SIM
}

setup() {
	# every test gets its own simulated cluster, and oc-sim on PATH as `oc`
	export OC_SIM_STATE="$BATS_TEST_TMPDIR/sim"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	rm -f "$BATS_TEST_TMPDIR/bin/oc" # a symlink to oc-sim: never write through it
	ln -s "$OC_SIM" "$BATS_TEST_TMPDIR/bin/oc"
	# /usr/bin first: oc-sim's `env python3` should be the system python, not a slow shim
	export PATH="$BATS_TEST_TMPDIR/bin:/usr/bin:$PATH"
	unset OC
	export LOG_DIR="$BATS_TEST_TMPDIR/logs"
	# a settled 3scale 2.9 project, with rollouts in about a second instead of minutes
	sim_init
}

# sim_init [oc sim init options]: a fresh project "3scale" with quick controllers
sim_init() {
	oc sim init --namespace 3scale \
		--set rollout_seconds=0.6 --set terminate_seconds=0.4 \
		--set trigger_lag_seconds=0.2 --set import_seconds=0.2 "$@"
}

# runbook ARGS: the script under test; fd 3 closed so that bats never waits on its children
runbook() {
	"$RUNBOOK" "$@" 3>&-
}

# the changes the runbook made to the cluster, one oc command per line
changes() {
	oc sim calls --mutating
}

# image_triggers DC: the dc's ImageChange trigger tags
image_triggers() {
	oc get "dc/$1" -n 3scale -o json |
		jq -r '[.spec.triggers[] | select(.type == "ImageChange") | .imageChangeParams.from.name] | join(",")'
}

# the event log of the last `run`
last_run_log() {
	local f
	f=$(ls -t "$LOG_DIR"/*-run.jsonl | head -n 1)
	echo "$f"
}

@test "happy path: the system image is patched, checked, and a second run changes nothing" {
	run runbook 3scale
	assert_success
	assert_line --partial "upgrading"
	assert_line --partial "check: system-app, system-sidekiq and system-sphinx run amp-system:2.10"
	assert_line --partial "upgraded"

	# the guide's commands, in the guide's order
	run changes
	assert_success
	assert_line --index 0 --partial 'patch imagestream/amp-system --type=json'
	assert_line --index 1 'set triggers dc/system-app --from-image=amp-system:2.9 --containers=system-master,system-developer,system-provider --remove -n 3scale'
	assert_line --index 2 'set triggers dc/system-app --from-image=amp-system:2.10 --containers=system-master,system-developer,system-provider -n 3scale'
	assert_line --index 3 'set triggers dc/system-sidekiq --from-image=amp-system:2.9 --containers=system-sidekiq,check-svc --remove -n 3scale'
	assert_line --index 4 'set triggers dc/system-sidekiq --from-image=amp-system:2.10 --containers=system-sidekiq,check-svc -n 3scale'
	assert_line --index 5 'set triggers dc/system-sphinx --from-image=amp-system:2.9 --containers=system-sphinx,system-master-svc --remove -n 3scale'
	assert_line --index 6 'set triggers dc/system-sphinx --from-image=amp-system:2.10 --containers=system-sphinx,system-master-svc -n 3scale'
	[ "${#lines[@]}" -eq 7 ]

	# the event log tells what was done
	run jq -s -e 'last | .event == "end" and .exit == 0 and (.steps_done | index("dc/system-sphinx") != null)' "$(last_run_log)"
	assert_success

	# old pods are gone: only the pods of rollout #2 are left
	run oc get pods -l deploymentconfig=system-app -n 3scale -o json
	jq -e '[.items[].metadata.labels.deployment] | unique == ["system-app-2"]' <<<"$output"

	# the window is re-run (say by a second operator): nothing more happens
	run runbook 3scale
	assert_success
	assert_line --partial "already upgraded"
	run changes
	[ "${#lines[@]}" -eq 7 ]
}

@test "Oracle: the triggers end on amp-system:2.10-oracle and the check knows it" {
	sim_init --database oracle
	run runbook 3scale
	assert_success
	assert_line --partial "run amp-system:2.10-oracle"
	run image_triggers system-sphinx
	assert_output "amp-system:2.10-oracle"
}

@test "a precondition fails: nothing is changed and the runbook says why" {
	oc sim set logged_in=false
	run runbook 3scale
	assert_failure 3
	assert_output --partial "Unauthorized"
	run changes
	assert_output ""
}

@test "a failed rollout stops the runbook; it is retried only with --retry-failed" {
	oc sim set fail_rollout=system-sidekiq
	run runbook 3scale
	assert_failure 1
	assert_output --partial "dc/system-sidekiq failed"
	assert_output --partial "hint: read the logs: oc logs pod/system-sidekiq-2-deploy -n 3scale"
	# system-sphinx was not touched
	run image_triggers system-sphinx
	assert_output "amp-system:2.9"

	# run again as is: the runbook refuses, because someone must look at the cause first
	run runbook 3scale
	assert_failure 1
	assert_output --partial "a rollout failed in an earlier run: dc/system-sidekiq"
	assert_output --partial "--retry-failed 3scale"
	run changes
	refute_output --partial "rollout retry"

	# the cause is fixed (fail_rollout only hit the next rollout): retry
	run runbook --retry-failed 3scale
	assert_success
	assert_line --partial "upgraded"
	run changes
	assert_line 'rollout retry dc/system-sidekiq -n 3scale'
	run image_triggers system-sphinx
	assert_output "amp-system:2.10"
}

@test "an interrupted run is resumed by running the runbook again" {
	# a slow system-app rollout, so that there is time to interrupt it
	oc sim set rollout_seconds=4
	# the script itself in the background (not the runbook function: $! would be a subshell)
	"$RUNBOOK" 3scale >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local pid=$!

	# wait until the system-app rollout is under way, then stop the runbook as a CI
	# job's cancel button or a `kill` would
	local i
	for i in $(seq 100); do
		grep -qs '"dc/system-app"' "$LOG_DIR"/*-run.jsonl &&
			oc sim calls --mutating | grep -q 'system-app --from-image=amp-system:2.10' && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || fail "system-app's trigger was never moved"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ] || { cat "$BATS_TEST_TMPDIR/out"; fail "exit $rc, want 143"; }
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "interrupted; nothing is lost"
	run jq -s -e 'last | .event == "end" and .exit == 143' "$(last_run_log)"
	assert_success

	# not done yet
	run "$THREESCALE_UPGRADE" status -n 3scale
	assert_failure 1

	# resume: the rollout already started is waited for, not started again
	oc sim set rollout_seconds=0.6
	run runbook 3scale
	assert_success
	assert_line --partial "upgraded"
	run changes
	run grep -c 'set triggers dc/system-app --from-image=amp-system:2.10' <<<"$output"
	assert_output 1
	run oc get dc/system-app -n 3scale -o json
	jq -e '.status.latestVersion == 2' <<<"$output"
}

@test "a wait that times out: exit 4 and the advice to run again" {
	oc sim set never_finish=system-app
	run runbook --timeout 3s 3scale
	assert_failure 4
	assert_output --partial "timed out waiting"
	assert_output --partial "again to keep waiting"
}

@test "--plan prints the commands still to run and changes nothing" {
	run runbook --plan 3scale
	assert_success
	assert_line 'oc set triggers dc/system-app --from-image=amp-system:2.10 --containers=system-master,system-developer,system-provider -n 3scale'
	run changes
	assert_output ""
}

@test "one run at a time per namespace" {
	mkdir -p "$LOG_DIR"
	exec 8>"$LOG_DIR/3scale.lock"
	flock 8
	run runbook 3scale
	exec 8>&-
	assert_failure 3
	assert_output --partial "another upgrade of 3scale is running"
}
