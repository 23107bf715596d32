#!/usr/bin/env bats
# The upgrade end to end: the real binary against scripts/oc-sim.

load test_helper

setup() {
	common_setup
}

# the commands `plan` prints for the branch, without "oc " and comments
planned_commands() {
	"$UPGRADE" plan --only system -n 3scale --database "$1" | grep -v '^#' | sed 's/^oc //'
}

@test "other database: run performs the documented commands in order and ends in the documented state" {
	sim_init --database other
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "database other (detected)"
	assert_output --partial "upgrade complete"
	assert_upgraded ""
	run mutating_calls
	assert_output "$(planned_commands other)"
	for dc in system-app system-sidekiq system-sphinx; do
		[ "$(dc_field $dc "d['status']['latestVersion']")" = 2 ] || fail "$dc: not exactly one new rollout"
	done
}

@test "oracle database: run moves the triggers to the -oracle tags" {
	sim_init --database oracle --oracle-image yes
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "database oracle (detected)"
	assert_upgraded "-oracle"
	run mutating_calls
	assert_output "$(planned_commands oracle)"
}

@test "each dc starts only after the previous one's rollout is complete and its old pods are gone" {
	sim_init
	# an oc that records the previous dc's pods at the moment the next dc is touched
	rm -f "$BATS_TEST_TMPDIR/bin/oc" # a symlink to the simulator: do not write through it
	cat >"$BATS_TEST_TMPDIR/bin/oc" <<PROBE
#!/usr/bin/env bash
prev=""
case "\$*" in
"set triggers dc/system-sidekiq "*) prev=system-app ;;
"set triggers dc/system-sphinx "*) prev=system-sidekiq ;;
esac
if [ -n "\$prev" ]; then
	{ printf '%s: ' "\$prev"
	  "$SIM" get pods -l deploymentconfig=\$prev -n 3scale -o json | python3 -c 'import json,sys; print(" ".join(sorted(p["metadata"]["labels"]["deployment"] + ("(terminating)" if p["metadata"].get("deletionTimestamp") else "") for p in json.load(sys.stdin)["items"])))'
	} >>"$BATS_TEST_TMPDIR/probe"
fi
exec "$SIM" "\$@"
PROBE
	chmod +x "$BATS_TEST_TMPDIR/bin/oc"
	run upgrade run --only system -n 3scale --yes
	assert_success
	run sort -u "$BATS_TEST_TMPDIR/probe"
	assert_output "system-app: system-app-2
system-sidekiq: system-sidekiq-2"
}

@test "plan with --database and -n needs no cluster at all" {
	sim_init
	run upgrade plan --only system -n 3scale --database other
	assert_success
	assert_line "oc set triggers dc/system-app --from-image=amp-system:2.9 --containers=system-master,system-developer,system-provider --remove -n 3scale"
	run "$SIM" sim calls
	assert_output ""
}

@test "plan detects the database from the cluster and changes nothing" {
	sim_init --database oracle
	run upgrade plan --only system -n 3scale
	assert_success
	assert_output --partial "database oracle (detected)"
	assert_line "oc set triggers dc/system-sphinx --from-image=amp-system:2.10-oracle --containers=system-sphinx,system-master-svc -n 3scale"
	run mutating_calls
	assert_output ""
}

@test "plan during a partial upgrade prints only the commands run would still execute" {
	sim_init
	planned_commands other | head -2 | while read -r line; do eval "oc $line" >/dev/null; done
	run upgrade plan --only system -n 3scale
	assert_success
	assert_line "# 1. add image stream tag amp-system:2.10 -- already there"
	refute_output --partial "oc patch"
	refute_output --partial "dc/system-app --from-image=amp-system:2.9"
	assert_line "oc set triggers dc/system-app --from-image=amp-system:2.10 --containers=system-master,system-developer,system-provider -n 3scale"
	assert_line "oc set triggers dc/system-sidekiq --from-image=amp-system:2.9 --containers=system-sidekiq,check-svc --remove -n 3scale"
}

@test "plan uses oc's current project when -n is not given" {
	sim_init
	run upgrade plan --only system
	assert_success
	assert_output --partial "-n 3scale"
}

@test "re-running a finished upgrade changes nothing and exits 0" {
	sim_init
	upgrade run --only system -n 3scale --yes >/dev/null
	before=$(mutating_calls | wc -l)
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "0 steps done, 6 already done"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "a second run changed something"
}

@test "with referencePolicy Local, images compare by digest: a finished upgrade is recognised" {
	sim_init --set reference_policy=Local
	upgrade run --only system -n 3scale --yes >/dev/null
	run dc_field system-app "d['spec']['template']['spec']['containers'][0]['image']"
	assert_output --regexp '^image-registry\.openshift-image-registry\.svc:5000/3scale/amp-system@sha256:'
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "0 steps done, 6 already done"
}

@test "status reports pending steps before the upgrade (exit 1) and all done after (exit 0)" {
	sim_init
	run upgrade status --only system -n 3scale
	assert_failure 1
	assert_output --partial "pending  add image stream tag amp-system:2.10"
	assert_output --partial "trigger still on amp-system:2.9"
	upgrade run --only system -n 3scale --yes >/dev/null
	run upgrade status --only system -n 3scale
	assert_success
	assert_output --partial "upgrade complete"
	refute_output --partial "pending"
}

@test "a run resumed after a partial manual upgrade finishes without duplicate triggers" {
	sim_init
	# the first documented commands by hand, then stop between remove and add
	planned_commands other | head -2 | while read -r line; do eval "oc $line" >/dev/null; done
	run image_triggers system-app
	assert_output ""
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "database other (detected)"
	assert_upgraded ""
	[ "$(mutating_calls | grep -c 'dc/system-app .*--remove')" = 1 ] || fail "old trigger removed twice"
}

@test "a dc that already runs the new image gets no new rollout and the run carries on" {
	sim_init
	upgrade run --only system -n 3scale --yes >/dev/null
	oc set triggers dc/system-sphinx --from-image=amp-system:2.10 --remove -n 3scale
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "no new rollout needed"
	assert_upgraded ""
	[ "$(dc_field system-sphinx "d['status']['latestVersion']")" = 2 ] || fail "a needless rollout"
}

@test "a failed image import stops the run before any trigger is touched" {
	sim_init --set import_result=Unauthorized
	run upgrade run --only system -n 3scale --yes
	assert_failure 1
	assert_output --partial "the import of amp-system:2.10 failed (Unauthorized)"
	assert_output --partial "threescale-registry-auth"
	run mutating_calls
	refute_output --partial "set triggers"
}

@test "a failed rollout stops the run naming the dc, the RC, the reason and the pod to read" {
	sim_init --set fail_rollout=system-app
	run upgrade run --only system -n 3scale --yes
	assert_failure 1
	assert_output --partial "rollout #2 of dc/system-app failed: replication controller system-app-2"
	# the reason: the dc's condition, or the RC's phase when the dc has not reported it yet
	assert_output --regexp "system-app-2, (ProgressDeadlineExceeded|Failed): "
	assert_output --partial "oc logs pod/system-app-2-deploy -n 3scale"
	assert_output --partial "oc logs pod/system-app-2-hook-pre -n 3scale"
	assert_output --partial "oc rollout retry dc/system-app -n 3scale"
	run mutating_calls
	refute_output --partial "dc/system-sidekiq"
}

@test "re-running after a failed rollout says how to retry; --retry-failed retries and finishes" {
	sim_init --set fail_rollout=system-app
	upgrade run --only system -n 3scale --yes >/dev/null 2>&1 || true
	before=$(mutating_calls | wc -l)
	run upgrade run --only system -n 3scale --yes
	assert_failure 1
	assert_output --partial "failed (in an earlier run)"
	assert_output --partial "oc rollout retry dc/system-app -n 3scale"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "the re-run changed something"
	run upgrade run --only system -n 3scale --yes --retry-failed
	assert_success
	assert_upgraded ""
	run mutating_calls
	assert_line "rollout retry dc/system-app -n 3scale"
	[ "$(dc_field system-app "d['status']['latestVersion']")" = 2 ] || fail "retry made a new version"
}

@test "a pre hook that keeps crashing fails the rollout and points at the hook pod" {
	sim_init --set hook_crash=true --set hook_timeout_seconds=1
	run upgrade run --only system -n 3scale --yes
	assert_failure 1
	assert_output --partial "dc/system-app failed"
	assert_output --partial "oc logs pod/system-app-2-hook-pre -n 3scale"
}

@test "a trigger that fires twice is not a failure: the latest rollout is judged" {
	sim_init --set double_trigger=system-app
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_upgraded ""
	[ "$(dc_field system-app "d['status']['latestVersion']")" = 3 ] || fail "expected rollout #3"
}

@test "a rollout that never finishes times out with exit 4" {
	sim_init --set never_finish=system-app
	# the tag imported beforehand: the only wait of the run is the one that cannot end, so
	# the short --timeout cannot be reached by a wait that is merely slow on a busy machine
	local patch
	patch=$(upgrade plan --only system --database other | sed -n "s|^oc patch imagestream/amp-system --type=json -p '\(.*\)'\$|\1|p")
	oc patch imagestream/amp-system --type=json -p "$patch" -n 3scale >/dev/null
	"$SIM" sim settle >/dev/null
	run upgrade run --only system -n 3scale --yes --timeout 3s
	assert_failure 4
	assert_output --partial "timed out after 3.0s waiting for the rollout of dc/system-app"
	assert_output --partial "re-run: 3scale-upgrade run --only system -n 3scale --from 2.9 --to 2.10 --database other --timeout 3s"
}

@test "oracle: scale-down records replicas, run scales them back up at the end" {
	sim_init --database oracle --set replicas=2
	run upgrade scale-down -n 3scale --yes
	assert_success
	[ "$(dc_field system-app "d['spec']['replicas']")" = 0 ] || fail "not scaled down"
	[ "$(dc_field system-app "d['metadata']['annotations']['3scale-upgrade/replicas']")" = 2 ] || fail "not recorded"
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_upgraded "-oracle"
	for dc in system-app system-sidekiq system-sphinx; do
		[ "$(dc_field $dc "d['spec']['replicas']")" = 2 ] || fail "$dc not scaled back"
		[ "$(dc_field $dc "'3scale-upgrade/replicas' in d['metadata'].get('annotations', {})")" = false ] ||
			fail "$dc still has the record"
	done
}

@test "a system dc left at 0 replicas with no record gets a warning with the oc scale command" {
	sim_init
	oc scale dc/system-sidekiq --replicas=0 -n 3scale >/dev/null
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "warning: dc/system-sidekiq has 0 replicas"
	assert_output --partial "oc scale dc/system-sidekiq --replicas=1 -n 3scale"
}

@test "--output json prints only JSON objects on stdout, ending with the exit status" {
	sim_init
	run --separate-stderr upgrade run --only system -n 3scale --yes --output json
	assert_success
	echo "$output" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
events = [json.loads(l) for l in lines]
assert all(isinstance(e, dict) for e in events)
first = [e for e in events if e["event"] != "command"][0]
assert first["event"] == "start" and first["database"] == "other"
assert events[-1]["event"] == "end" and events[-1]["exit"] == 0
assert sum(1 for e in events if e["event"] == "step_end" and e["status"] == "done") == 5
'
}

@test "SIGTERM during a rollout wait stops the children, says how to resume and exits 143" {
	sim_init --set never_finish=system-app
	"$UPGRADE" run --only system -n 3scale --yes >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do
		grep -q "rollout #2" "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 143 ] || fail "exit status $rc, expected 143: $(cat "$BATS_TEST_TMPDIR/out")"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "interrupted by SIGTERM"
	assert_output --partial "3scale-upgrade run --only system -n 3scale"
	# no oc child outlives the program
	run pgrep -f "$BATS_TEST_TMPDIR/bin/oc"
	assert_failure
}

@test "on a terminal, answering y to the confirmation runs the upgrade" {
	sim_init
	run script -qec "$UPGRADE run --only system -n 3scale" /dev/null <<<"y"
	assert_success
	assert_output --partial "upgrade complete"
	assert_upgraded ""
}
