#!/usr/bin/env bats
# test/runbook.bats - runs the example runbook's own suite (examples/runbook/runbook.bats,
# see docs/runbook.md) against this build and scripts/oc-sim, so that CI keeps it working.

load test_helper

EXAMPLE="$TOP/examples/runbook"

@test "the example runbook passes shellcheck" {
	command -v shellcheck >/dev/null || skip "no shellcheck"
	run shellcheck "$EXAMPLE/upgrade-system-image.sh"
	assert_success
}

@test "the example runbook shows its usage" {
	run "$EXAMPLE/upgrade-system-image.sh" --help
	assert_failure 2
	assert_output --partial "usage: upgrade-system-image.sh [--retry-failed] [--timeout DURATION] [--plan] NAMESPACE"
	run "$EXAMPLE/upgrade-system-image.sh"
	assert_failure 2
}

@test "the example runbook's bats suite passes against this build and oc-sim" {
	# the suite's own tests each set up a simulated cluster; run it as a user would, its
	# tests side by side when GNU parallel is there
	local jobs=()
	command -v parallel >/dev/null && jobs=(--jobs 4)
	run env THREESCALE_UPGRADE="$UPGRADE" OC_SIM="$SIM" PATH="/usr/bin:$PATH" \
		bats --formatter tap "${jobs[@]}" "$EXAMPLE/runbook.bats" 3>&-
	echo "$output"
	assert_success
	refute_line --regexp '^not ok'
	refute_line --partial '# skip'
}
