#!/usr/bin/env bats
# The oc clients: 4.x (with --output-watch-events) and 3.11's, a Kubernetes 1.11 client
# (no such flag; a plain `oc get -w -o json` prints the current state and ends at the
# first change). See docs/oc-clients.md. scripts/test also runs upgrade.bats and the
# cut-point walk of reliability.bats with OC_SIM_CLIENT=3.11.

load test_helper

setup() {
	common_setup
}

# the watches the run started, as "flags exit" lines: events (--output-watch-events) or plain
watch_calls() {
	jq -r 'select(.argv | index("-w")) | (if (.argv | index("--output-watch-events")) then "events" else "plain" end) + " " + (.exit | tostring)' \
		"$OC_SIM_STATE/calls.jsonl"
}

@test "oc 3.11: the first watch's unknown-flag answer switches the run to plain watches; the upgrade completes" {
	OC_SIM_CLIENT=3.11 sim_init
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "this oc has no --output-watch-events"
	assert_output --partial "upgrade complete"
	refute_output --partial "warning"
	assert_upgraded ""
	# one answer was enough: a single watch tried the flag, every later one is plain
	run watch_calls
	assert_line --index 0 "events 1"
	[ "$(grep -c '^events' <<<"$output")" = 1 ] || fail "the flag was tried more than once: $output"
	grep -q '^plain ' <<<"$output"
	# the capability answer is not a failure: no step failed, no change repeated
	run bash -c "'$SIM' sim calls --mutating | sort | uniq -d"
	assert_output ""
	for dc in system-app system-sidekiq system-sphinx; do
		[ "$(dc_field $dc "d['status']['latestVersion']")" = 2 ] || fail "$dc: not exactly one new rollout"
	done
}

@test "oc 3.11, --parallel with no system section: the sections' first waits start together, and still one watch asks" {
	OC_SIM_CLIENT=3.11 sim_init
	run upgrade run --only apicast,backend,zync,backup,release -n 3scale --yes --parallel
	assert_success
	assert_output --partial "this oc has no --output-watch-events"
	run watch_calls
	[ "$(grep -c '^events' <<<"$output")" = 1 ] || fail "the flag was tried more than once: $output"
	for dc in apicast-staging apicast-production backend-listener backend-worker backend-cron zync zync-que; do
		[ "$(dc_field $dc "d['status']['latestVersion']")" = 2 ] || fail "$dc: not exactly one new rollout"
	done
}

@test "oc 4.x: every watch has --output-watch-events, and nothing is said about the client" {
	OC_SIM_CLIENT=4.x sim_init
	run upgrade run --only system -n 3scale --yes
	assert_success
	refute_output --partial "no --output-watch-events"
	run watch_calls
	refute_line --regexp '^plain '
	refute_line --regexp ' 1$'
}

@test "oc 3.11, --output json: the client is named in an info event, and every line is JSON" {
	OC_SIM_CLIENT=3.11 sim_init
	run --separate-stderr upgrade run --only system -n 3scale --yes --output json
	assert_success
	jq -e -s 'all(.[]; type == "object")' <<<"$output"
	jq -e -s '[.[] | select(.event == "info" and (.message | contains("no --output-watch-events")))] | length == 1' <<<"$output"
	jq -e -s 'last | .event == "end" and .exit == 0' <<<"$output"
}

# the next dc's first change came after the old pods of the previous one were gone, and
# a list of the pods (not a watch) ended between that moment and the change: a plain stream
# never shows a deletion (scheduled times: the timeline against the call log; a call's t is
# when oc-sim started, and a busy machine may start a list just before the pods go that
# reads the state after, so its end is what counts)
assert_gone_confirmed_by_list() {
	local tl
	tl=$("$SIM" sim timeline)
	jq -e -s --argjson tl "$tl" '
		map(select(.mutating)) as $m
		| ([$m[] | select(.argv | index("dc/system-sidekiq"))][0].t) as $sk
		| ([$m[] | select(.argv | index("dc/system-sphinx"))][0].t) as $sp
		| $tl.dcs["system-app"][0].old_pods_gone < $sk and $tl.dcs["system-sidekiq"][0].old_pods_gone < $sp' \
		"$OC_SIM_STATE/calls.jsonl"
	jq -e -s --argjson tl "$tl" '
		($tl.dcs["system-app"][0].old_pods_gone) as $gone
		| ([.[] | select(.mutating and (.argv | index("dc/system-sidekiq")))][0].t) as $sk
		| [.[] | select((.argv | index("pods")) and (.argv | index("-w") | not) and .t_end >= $gone and .t_end <= $sk)] | length >= 1' \
		"$OC_SIM_STATE/calls.jsonl"
}

@test "oc 3.11: a rollout wait ends only once the old pods are gone, confirmed by a list" {
	OC_SIM_CLIENT=3.11 sim_init --set terminate_seconds=1
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_gone_confirmed_by_list
}

@test "oc 4.2 (no --output-watch-events, plain streams that go on and show a deleted pod as its last state): the same" {
	OC_SIM_CLIENT=4.2 sim_init --set terminate_seconds=1
	run upgrade run --only system -n 3scale --yes
	assert_success
	assert_output --partial "this oc has no --output-watch-events"
	assert_upgraded ""
	run watch_calls
	assert_line --index 0 "events 1"
	[ "$(grep -c '^events' <<<"$output")" = 1 ] || fail "the flag was tried more than once: $output"
	assert_gone_confirmed_by_list
}
