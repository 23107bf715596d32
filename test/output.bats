#!/usr/bin/env bats
# Text output as a user sees it: step lines, -q, -v, the rollout status line on a
# terminal and off it, colour. No timing is asserted: durations are matched by form.

load test_helper

setup() {
	common_setup
}

DUR='[0-9][0-9.hms]*'   # 0.4s, 12.3s, 3m05s, 1h02m
ESC=$'\033'

# on_terminal COMMAND...: run the program on a pseudo-terminal (stdout and stderr both)
on_terminal() {
	local cmd
	printf -v cmd '%q ' "$@"
	script -qfec "$cmd" /dev/null </dev/null 3>&-
}

# check_terminal FILE: every line of a terminal session ends without a status line on
# it: each status line drawn (after \r ESC[K) is erased before anything else is written
check_terminal() {
	python3 - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
status = re.compile(r"^      \[[0-9hms]+\] dc/")
drawn = 0
for n, line in enumerate(data.split("\n"), 1):
    if line.endswith("\r"):
        line = line[:-1]
    segs = line.split("\r")
    for seg in segs[:-1]:
        if seg == "":
            continue
        if not seg.startswith("\033[K"):
            sys.exit("line %d: %r written before a carriage return is not a status line" % (n, seg))
        rest = seg[3:]
        if rest and not status.match(rest):
            sys.exit("line %d: %r: not a status line, yet rewritten" % (n, rest))
        drawn += bool(rest)
    last = segs[-1]
    if last.startswith("\033[K"):
        last = last[3:]
    if status.match(last):
        sys.exit("line %d: a status line was left on the terminal: %r" % (n, line))
    if "\033[K" in last:
        sys.exit("line %d: an erase in the middle of a line: %r" % (n, line))
if not drawn:
    sys.exit("no status line was drawn")
PY
}

@test "each step gets a start line and a line with its outcome and elapsed time" {
	sim_init
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_success
	assert_line "[1/6] add image stream tag amp-system:2.10"
	assert_line --regexp "^\[1/6\] done \($DUR\)$"
	assert_line --regexp "^\[2/6\] done \($DUR\): imported registry\.redhat\.io/3scale-amp2/system-rhel7@sha256:"
	for i in 3 4 5; do
		assert_line --regexp "^\[$i/6\] done \($DUR\): rollout #2 complete, 1 of 1 pods ready, old pods gone$"
	done
	assert_line --regexp "^\[6/6\] already done \($DUR\): no replicas recorded by scale-down$"
	assert_line "done: tag/amp-system, import/amp-system, dc/system-app, dc/system-sidekiq, dc/system-sphinx"
	assert_line "already done: replicas"
	assert_line --regexp "^upgrade complete in $DUR: 5 steps done, 1 already done; [0-9]+ oc commands$"
	[ -z "$stderr" ] || fail "stderr: $stderr"
}

@test "a failed step gets a failed line with the error, and the summary names it" {
	sim_init --set fail_rollout=system-app
	run --separate-stderr upgrade run --only system -n 3scale --yes
	assert_failure 1
	assert_line --regexp "^\[3/6\] failed \($DUR\): rollout #2 of dc/system-app failed: replication controller system-app-2"
	assert_line "done: tag/amp-system, import/amp-system"
	assert_line "failed: dc/system-app"
	assert_line --regexp "^run stopped after $DUR \(exit 1\): 2 steps done, 0 already done; [0-9]+ oc commands$"
	[[ "$stderr" == *"error: rollout #2 of dc/system-app failed"* ]] || fail "stderr: $stderr"
}

@test "-q prints only the summary when the run succeeds" {
	sim_init
	oc scale dc/system-sidekiq --replicas=0 -n 3scale >/dev/null
	run --separate-stderr upgrade run --only system -n 3scale --yes -q
	assert_success
	[ "${#lines[@]}" = 3 ] || fail "expected 3 lines: $output"
	assert_line --index 0 "done: tag/amp-system, import/amp-system, dc/system-app, dc/system-sidekiq, dc/system-sphinx"
	assert_line --index 1 "already done: replicas"
	assert_line --index 2 --regexp "^upgrade complete in $DUR: 5 steps done, 1 already done; [0-9]+ oc commands$"
	# warnings are left out too
	[ -z "$stderr" ] || fail "stderr: $stderr"
}

@test "-q prints the errors with their hints, and the summary, when the run fails" {
	sim_init --set fail_rollout=system-app
	run --separate-stderr upgrade run --only system -n 3scale --yes -q
	assert_failure 1
	[ "${#lines[@]}" = 3 ] || fail "expected 3 lines: $output"
	assert_line --index 0 "done: tag/amp-system, import/amp-system"
	assert_line --index 1 "failed: dc/system-app"
	assert_line --index 2 --regexp "^run stopped after $DUR \(exit 1\)"
	[[ "$stderr" == "error: rollout #2 of dc/system-app failed"* ]] || fail "stderr: $stderr"
	[[ "$stderr" == *"hint: to continue, fix the cause and re-run: 3scale-upgrade run --only system -n 3scale"* ]] || fail "stderr: $stderr"
	run grep -cvE '^(error|hint): ' <<<"$stderr"
	assert_output 0
}

@test "-v prints every oc command with its exit status and duration" {
	sim_init
	run --separate-stderr upgrade run --only system -n 3scale --yes -v
	assert_success
	local form="^      \\\$ oc .*  \((exit [0-9]+|killed by signal [0-9]+|killed at --call-timeout), [0-9]+ ms\)$"
	assert_line --regexp "^      \\\$ oc whoami  \(exit 0, [0-9]+ ms\)$"
	assert_line --regexp "^      \\\$ oc get dc/system-app -n 3scale -o json  \(exit 0, [0-9]+ ms\)$"
	assert_line --regexp "^      \\\$ oc set triggers dc/system-app --from-image=amp-system:2.9 .* --remove -n 3scale  \(exit 0, [0-9]+ ms\)$"
	# one line per oc process: as many as the summary counts
	n=$(grep -cE "$form" <<<"$output")
	assert_line --regexp "; $n oc commands$"
	run upgrade status --only system -n 3scale
	refute_output --partial '      $ oc'
}

@test "-v shows the exit status of a command that failed" {
	sim_init --set fail_call=1
	run --separate-stderr upgrade run --only system -n 3scale --yes -v
	assert_line --regexp "^      \\\$ oc patch imagestream/amp-system .*  \(exit 1, [0-9]+ ms\)$"
}

@test "without a terminal, the rollout status lines are plain and rate-limited" {
	sim_init --set rollout_seconds=3 --set terminate_seconds=1.5 --set never_finish=system-sphinx
	run upgrade run --only system -n 3scale --yes --timeout 12s
	assert_failure 4
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	run grep -c $'[\r\033]' "$BATS_TEST_TMPDIR/out"
	assert_output 0
	grep -qE "^      \[[0-9]+s\] dc/system-sphinx rollout #2 Running: new 0/1 ready, old 1" "$BATS_TEST_TMPDIR/out" ||
		fail "no status line of system-sphinx: $(cat "$BATS_TEST_TMPDIR/out")"
	# the progress message is in the status line, not on a line of its own
	run grep -E "^      rollout #" "$BATS_TEST_TMPDIR/out"
	assert_failure
	# a dc's next line: the state changed and a second passed, or 10 s passed (as printed)
	python3 - "$BATS_TEST_TMPDIR/out" <<'PY'
import re, sys
last = {}
for line in open(sys.argv[1]):
    m = re.match(r"^      \[(?:(\d+)m)?(\d+)s\] dc/(\S+) (.*)$", line.rstrip("\n"))
    if not m:
        continue
    t = int(m.group(1) or 0) * 60 + int(m.group(2))
    dc, state = m.group(3), m.group(4)
    if dc in last:
        t0, s0 = last[dc]
        if state == s0:
            assert t - t0 >= 10, "repeated within 10 s: %s" % line
        else:
            assert t - t0 >= 1, "two lines within a second: %s" % line
    last[dc] = (t, state)
PY
}

@test "without a terminal, a rollout that does not move still gets a line every 10 s" {
	sim_init --set never_finish=system-app
	run --separate-stderr upgrade run --only system -n 3scale --yes --timeout 25s
	assert_failure 4
	# the same state printed again: only the elapsed time differs
	n=$(grep -E '^      \[[0-9]+s\] dc/system-app rollout #2 Running: new 0/1 ready, old 1' <<<"$output" |
		sed 's/^      \[[0-9]*s\] //' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
	[ "${n:-0}" -ge 2 ] || fail "no repeated line while nothing changed: $output"
}

@test "--color always colours the outcome and the messages, even without a terminal" {
	sim_init
	run --separate-stderr upgrade status --only system -n 3scale --color=always
	assert_failure 1
	assert_line "[1/6] ${ESC}[33mpending ${ESC}[0m add image stream tag amp-system:2.10: no tag 2.10"
	assert_line "[6/6] ${ESC}[32mdone    ${ESC}[0m restore replicas recorded by scale-down"
	run --separate-stderr upgrade status --only system -n nowhere --color=always
	assert_failure 3
	[[ "$stderr" == "${ESC}[31merror:${ESC}[0m "* ]] || fail "stderr: $stderr"
	run upgrade status --only system -n 3scale
	refute_output --partial "${ESC}["
}

@test "on a terminal: colour by default, none with --color never or NO_COLOR" {
	sim_init
	run on_terminal "$UPGRADE" status --only system -n 3scale
	assert_failure 1
	assert_output --partial "${ESC}[33mpending ${ESC}[0m"
	run on_terminal "$UPGRADE" status --only system -n 3scale --color=never
	assert_failure 1
	assert_output --partial "pending  add image stream tag"
	refute_output --regexp "${ESC}\[[0-9;]*m"
	run on_terminal env NO_COLOR=1 "$UPGRADE" status --only system -n 3scale
	assert_failure 1
	assert_output --partial "pending  add image stream tag"
	refute_output --regexp "${ESC}\[[0-9;]*m"
}

@test "on a terminal the status line is rewritten in place and erased before any other line" {
	# system-sphinx never finishes: its status line is up when the timeout error comes
	sim_init --set rollout_seconds=2 --set terminate_seconds=1 --set never_finish=system-sphinx
	on_terminal "$UPGRADE" run --only system -n 3scale --yes -v --timeout 10s >"$BATS_TEST_TMPDIR/tty" || true
	grep -qF $'\r\033[K      [' "$BATS_TEST_TMPDIR/tty" || fail "no status line: $(cat -v "$BATS_TEST_TMPDIR/tty")"
	grep -qF 'dc/system-sphinx rollout #2 Running: new 0/1 ready, old 1' "$BATS_TEST_TMPDIR/tty" ||
		fail "no status line of system-sphinx: $(cat -v "$BATS_TEST_TMPDIR/tty")"
	check_terminal "$BATS_TEST_TMPDIR/tty" || fail "$(cat -v "$BATS_TEST_TMPDIR/tty")"
	# the error (stderr) starts a line of its own
	run python3 - "$BATS_TEST_TMPDIR/tty" <<'PY'
import sys
found = False
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    seg = line.rstrip("\r").split("\r")[-1]
    if seg.startswith("\033[K"):
        seg = seg[3:]
    found = found or seg.startswith("\033[31merror:\033[0m timed out after 10.0s waiting for the rollout of dc/system-sphinx")
print(found)
PY
	assert_output True
}
