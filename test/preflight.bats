#!/usr/bin/env bats
# Failed checks: a clear message, a documented exit status, and no mutating oc call.

load test_helper

setup() {
	common_setup
}

# run_refused STATUS ARGS...: the run fails with STATUS and nothing was changed
run_refused() {
	local status=$1 before
	shift
	before=$(mutating_calls)
	run upgrade "$@"
	assert_failure "$status"
	[ "$(mutating_calls)" = "$before" ] || fail "a mutating call was made: $(mutating_calls)"
}

@test "not logged in: exit 3, oc's message and a hint to log in" {
	sim_init --set logged_in=false
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "error: You must be logged in to the server (Unauthorized)"
	assert_output --partial "oc login"
}

@test "a namespace without 3scale: exit 3 naming the missing object" {
	sim_init
	run_refused 3 run --only system -n other --yes
	assert_output --partial "error: namespace other has none of the dcs of the sections asked for (dc/system-app, ...)"
	assert_output --partial "check the namespace"
	# the whole chapter reads cm/system-environment too: its NotFound comes first
	run_refused 3 run -n other --yes
	assert_output --partial "(NotFound)"
	assert_output --partial "check the namespace"
	run_refused 3 run -n other --yes --skip release
	assert_output --partial "error: namespace other has none of the dcs of the sections asked for (dc/system-app, ...)"
}

@test "no -n and no current project: exit 3 with a hint" {
	sim_init --set project=
	run_refused 3 run --only system --yes
	assert_output --partial "no project has been set"
	assert_output --partial "-n NAMESPACE"
}

@test "a user without edit rights is refused before anything changes" {
	sim_init --set forbidden_verbs=patch,set,scale,annotate
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "may not patch"
	assert_output --partial "edit rights"
}

@test "oracle without the 2.10-oracle image: exit 3 naming the Oracle 19c procedure" {
	sim_init --database oracle --oracle-image no
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "amp-system:2.10-oracle has no image"
	assert_output --partial "Upgrading 3scale 2.9 to 2.10 with Oracle 19c"
}

@test "tag 2.10 from a different image: exit 3, the tag is not replaced" {
	sim_init
	oc patch imagestream/amp-system --type=json -n 3scale \
		-p '[{"op": "add", "path": "/spec/tags/-", "value": {"from": {"kind": "DockerImage", "name": "quay.io/other/system:2.10"}, "name": "2.10"}}]' >/dev/null
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "already exists from 'quay.io/other/system:2.10'"
}

@test "--database contradicting the triggers: exit 3" {
	sim_init --database other
	run_refused 3 run --only system -n 3scale --yes --database oracle
	assert_output --partial "contradicts the image triggers"
}

@test "a paused dc: exit 3 with the resume command" {
	sim_init --set paused=system-sidekiq
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "dc/system-sidekiq is paused"
	assert_output --partial "oc rollout resume dc/system-sidekiq -n 3scale"
}

@test "a dc without a documented container: exit 3 naming it" {
	sim_init
	oc patch dc/system-sphinx --type=json -n 3scale \
		-p '[{"op": "remove", "path": "/spec/template/spec/initContainers/0"}]' >/dev/null
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "dc/system-sphinx has no container or init container 'system-master-svc'"
}

@test "an oc that cannot be run: --oc is a usage error (2), a missing oc on PATH a failed check (3)" {
	sim_init
	run upgrade run --only system -n 3scale --yes --oc /nonexistent/oc
	assert_failure 2
	assert_output --partial "is not an executable file"
	PATH=/usr/bin:/bin run "$UPGRADE" status --only system -n 3scale
	assert_failure 3
	assert_output --partial "cannot run 'oc'"
}

@test "without a terminal and without --yes, run refuses before any oc call (exit 2)" {
	sim_init
	run upgrade run --only system -n 3scale </dev/null
	assert_failure 2
	assert_output --partial "pass --yes"
	run "$SIM" sim calls
	assert_output ""
}

@test "usage errors: one line and exit 2, before any oc call" {
	sim_init
	for args in "run --bogus" "frobnicate" "run -n --all-namespaces" "run -n UPPER" "run --from 2" \
		"run --to 2.x" "run --database mysql" "run --timeout soon" "run --output yaml" "run --to 2.8" ""; do
		# shellcheck disable=SC2086
		run upgrade $args
		assert_failure 2
		[ "${#lines[@]}" = 1 ] || fail "'$args': not one line: $output"
		assert_output --regexp '^error: '
	done
	run "$SIM" sim calls
	assert_output ""
}

@test "--help and --version" {
	run upgrade --help
	assert_success
	assert_output --partial "usage: 3scale-upgrade"
	assert_output --partial "exit status:"
	run upgrade --version
	assert_success
	assert_output --regexp '^3scale-upgrade [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "on a terminal, run shows the plan and asks; anything but y changes nothing (exit 3)" {
	sim_init
	run script -qec "$UPGRADE run --only system -n 3scale" /dev/null <<<"n"
	assert_failure 3
	assert_output --partial "oc set triggers dc/system-app --from-image=amp-system:2.9"
	assert_output --partial "apply these changes in namespace 3scale? [y/N]"
	assert_output --partial "not confirmed: nothing was changed"
	run mutating_calls
	assert_output ""
}

@test "system dcs that disagree on the database: exit 3" {
	sim_init
	oc set triggers dc/system-sphinx --from-image=amp-system:2.9 --remove -n 3scale >/dev/null
	oc set triggers dc/system-sphinx --from-image=amp-system:2.9-oracle --containers=system-sphinx,system-master-svc -n 3scale >/dev/null
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "the system dcs disagree on the database"
}

@test "triggers on a version other than --from or --to: exit 3 naming the tag" {
	sim_init
	# someone moved system-app to a tag of another release
	oc set triggers dc/system-app --from-image=amp-system:2.9 --remove -n 3scale >/dev/null
	oc set triggers dc/system-app --from-image=amp-system:2.8 --containers=system-master,system-developer,system-provider -n 3scale >/dev/null
	run_refused 3 run --only system -n 3scale --yes --from 2.9
	assert_output --partial "dc/system-app has an image trigger on 'amp-system:2.8', which is neither version 2.9 nor 2.10"
	# without --from, the lowest release the triggers name is what runs: 2.8, whose hop
	# triggers on latest; a run of several hops is whole, so --only is refused
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "error: --only and --skip leave part of the 2.8 -> 2.9 hop undone, and --to 2.10 needs the hops after it"
	assert_output --partial "hint: do this hop alone: add --to 2.9"
	run_refused 3 run -n 3scale --yes
	assert_output --partial "error: dc/system-app has an image trigger on 'amp-system:2.8', which is neither latest nor 2.9, the triggers of the 2.8 -> 2.9 hop"
	# a release no hop starts from
	oc set triggers dc/system-app --from-image=amp-system:2.8 --remove -n 3scale >/dev/null
	oc set triggers dc/system-app --from-image=amp-system:2.7 --containers=system-master,system-developer,system-provider -n 3scale >/dev/null
	run_refused 3 run --only system -n 3scale --yes
	assert_output --partial "error: 3scale 2.7 runs (dc/system-app triggers on amp-system:2.7): no documented procedure for 2.7 -> 2.10 (supported: 2.8 -> 2.9, 2.9 -> 2.10, 2.10 -> 2.11)"
	# a dc outside the system section, with --from: its remove would leave the odd trigger
	oc set triggers dc/system-app --from-image=amp-system:2.7 --remove -n 3scale >/dev/null
	oc set triggers dc/system-app --from-image=amp-system:2.9 --containers=system-master,system-developer,system-provider -n 3scale >/dev/null
	oc set triggers dc/zync --from-image=amp-zync:2.9 --remove -n 3scale >/dev/null
	oc set triggers dc/zync --from-image=amp-zync:stable --containers=zync,zync-db-svc -n 3scale >/dev/null
	run_refused 3 run --only zync -n 3scale --yes --from 2.9
	assert_output --partial "error: dc/zync has an image trigger on 'amp-zync:stable', which is neither 2.9 nor 2.10, the triggers of the 2.9 -> 2.10 hop"
	assert_output --partial "hint: check --from and --to against the install; a trigger added by hand can be removed with: oc set triggers dc/zync --from-image=amp-zync:stable --remove -n 3scale (a re-run then adds the 2.10 trigger)"
}

@test "--from is what the install runs: the lowest release of the dcs' image triggers, said so" {
	sim_init
	run upgrade plan -n 3scale
	assert_success
	assert_line --index 0 "# 3scale 2.9 (detected) -> 2.10 in 3scale, database other (detected)"
	# a half-done hop: the version number and one section moved, the rest still on 2.9
	oc patch cm system-environment --patch '{"data": {"AMP_RELEASE": "2.10"}}' -n 3scale >/dev/null
	oc set triggers dc/zync --from-image=amp-zync:2.9 --remove -n 3scale >/dev/null
	oc set triggers dc/zync --from-image=amp-zync:2.10 --containers=zync,zync-db-svc -n 3scale >/dev/null
	run upgrade plan -n 3scale -o json
	assert_success
	run py 'd["from"] + " " + str(d["from_detected"]) + " " + d["to"]' < <(echo "$output" | grep '"event":"plan"')
	assert_output "2.9 True 2.10"
	# given, it is taken as given
	run upgrade plan -n 3scale --from 2.9
	assert_line --index 0 "# 3scale 2.9 -> 2.10 in 3scale, database other (detected)"
}

@test "triggers that name no release, or a release newer than --to: exit 3 naming the dc and its trigger" {
	sim_init
	oc set triggers dc/zync --from-image=amp-zync:2.9 --remove -n 3scale >/dev/null
	oc set triggers dc/zync --from-image=amp-zync:stable --containers=zync,zync-db-svc -n 3scale >/dev/null
	run_refused 3 run -n 3scale --yes
	assert_output --partial "error: dc/zync has an image trigger on 'amp-zync:stable', which names no release"
	assert_output --partial "hint: pass --from VERSION"
	# every trigger gone but one, on 2.11
	for dc in $(oc get dc -n 3scale -o json | py '" ".join(i["metadata"]["name"] for i in d["items"])'); do
		oc set triggers "dc/$dc" --remove-all -n 3scale >/dev/null
	done
	oc set triggers dc/zync --from-image=amp-zync:2.11 --containers=zync,zync-db-svc -n 3scale >/dev/null
	run_refused 3 run -n 3scale --yes
	assert_output --partial "error: 3scale 2.11 runs (dc/zync triggers on amp-zync:2.11), which is newer than --to 2.10"
	# and none at all
	oc set triggers dc/zync --remove-all -n 3scale >/dev/null
	run_refused 3 status -n 3scale
	assert_output --partial "error: cannot tell which release runs: no dc of a template-based 3scale in namespace 3scale has an image trigger on its image stream"
}

@test "a hop that no guide describes: exit 2 naming the supported ones, before any oc call" {
	sim_init
	run upgrade run --only system -n 3scale --yes --from 2.7 --to 2.10
	assert_failure 2
	assert_output "error: no documented procedure for 2.7 -> 2.10 (supported: 2.8 -> 2.9, 2.9 -> 2.10, 2.10 -> 2.11)"
	run "$SIM" sim calls
	assert_output ""
}
