#!/usr/bin/env bash
# upgrade-system-image.sh - maintenance-window step "Patching the system image"
# (3scale 2.9 -> 2.10, template-based install) with 3scale-upgrade, for a runbook or a
# CI job: no questions asked, a JSON event log kept per run, the result checked twice
# (3scale-upgrade status, then the DeploymentConfigs themselves with jq).
#
# usage: upgrade-system-image.sh [--retry-failed] [--timeout DURATION] [--plan] NAMESPACE
#
#   --retry-failed       a rollout failed in an earlier run and its cause is fixed: retry it
#   --timeout DURATION   limit for each wait (import, each rollout); default 3scale-upgrade's
#   --plan               print the oc commands still to run and stop; changes nothing
#
# environment:
#   THREESCALE_UPGRADE   the 3scale-upgrade program (default: 3scale-upgrade on PATH)
#   OC                   the oc client (default: oc on PATH); 3scale-upgrade uses it too
#   LOG_DIR              where the event logs go (default: ./upgrade-logs)
#
# exit status (3scale-upgrade's, plus 5):
#   0        upgraded, or already upgraded
#   1        a step failed: read the errors and hints, fix the cause, run this again
#            (with --retry-failed when a rollout failed)
#   2        usage error
#   3        a precondition failed, or another run holds the lock; nothing was changed
#   4        a wait timed out; the rollout goes on in the cluster: run this again to keep waiting
#   5        3scale-upgrade succeeded but the final check of the cluster did not
#   130/143  interrupted: run this again to resume where it stopped
set -uo pipefail

UPGRADE=${THREESCALE_UPGRADE:-3scale-upgrade}
OC_CMD=${OC:-oc}
LOG_DIR=${LOG_DIR:-./upgrade-logs}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
err() { printf '%s error: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
usage() {
	sed -n 's/^# \{0,1\}//; 7,11p' "$0" >&2
	exit 2
}

retry_failed=()
timeout=()
plan_only=0
ns=""
while [ $# -gt 0 ]; do
	case $1 in
	--retry-failed) retry_failed=(--retry-failed) ;;
	--timeout)
		[ $# -ge 2 ] || usage
		timeout=(--timeout "$2")
		shift
		;;
	--timeout=*) timeout=(--timeout "${1#--timeout=}") ;;
	--plan) plan_only=1 ;;
	-h | --help) usage ;;
	-*) err "unknown option $1" && usage ;;
	*)
		[ -z "$ns" ] || usage
		ns=$1
		;;
	esac
	shift
done
[ -n "$ns" ] || usage

for tool in "$UPGRADE" "$OC_CMD" jq; do
	command -v "$tool" >/dev/null || { err "$tool: not found"; exit 3; }
done

if [ "$plan_only" = 1 ]; then
	exec "$UPGRADE" plan --only system -n "$ns"
fi

mkdir -p "$LOG_DIR" || exit 3
# one run at a time per namespace, even from two terminals
exec 9>"$LOG_DIR/$ns.lock"
if ! flock -n 9; then
	err "another upgrade of $ns is running (lock $LOG_DIR/$ns.lock)"
	exit 3
fi
stamp=$(date +%Y%m%dT%H%M%S)-$$

# events FILE [jq filter options...] FILTER: jq over a JSON-lines event log
events() {
	local file=$1
	shift
	jq -r "$@" "$file"
}

# last_event FILE NAME: the last event NAME of an event log, as one line of JSON, or nothing
last_event() {
	jq -c -s --arg e "$2" 'map(select(.event == $e)) | last // empty' "$1"
}

# show the errors and hints of an event log on stderr
show_problems() {
	events "$1" 'select(.event == "error" or .event == "hint")
		| "\(.event): \(.message)"' >&2
}

# start_forwarding CMD...: run CMD in the background as $child and pass SIGINT and SIGTERM
# on to it, so that an interrupted runbook lets the upgrade stop cleanly
start_forwarding() {
	"$@" &
	child=$!
	trap 'kill -INT "$child" 2>/dev/null' INT
	trap 'kill -TERM "$child" 2>/dev/null' TERM
}

# wait_forwarded: wait for $child to end, return its exit status
wait_forwarded() {
	local rc
	while :; do
		rc=0
		wait "$child" || rc=$?
		# a trapped signal makes wait return early, with the child still running
		if [ "$rc" -gt 128 ] && kill -0 "$child" 2>/dev/null; then
			continue
		fi
		break
	done
	trap - INT TERM
	return "$rc"
}

# verify TAG: every container of the three system dcs runs the image TAG resolves to, the
# only image trigger is TAG, and the desired pods are ready
verify() {
	local tag=$1 digest
	digest=$("$OC_CMD" get imagestream/amp-system -n "$ns" -o json |
		jq -r --arg t "${tag#amp-system:}" '.status.tags[] | select(.tag == $t) | .items[0].image // empty')
	if [ -z "$digest" ]; then
		err "check: $tag has no image"
		return 1
	fi
	"$OC_CMD" get dc system-app system-sidekiq system-sphinx -n "$ns" -o json |
		jq -r --arg tag "$tag" --arg digest "$digest" '
		.items[]
		| { name: .metadata.name,
		    triggers: [.spec.triggers[] | select(.type == "ImageChange") | .imageChangeParams.from.name],
		    images: [(.spec.template.spec.containers[], (.spec.template.spec.initContainers // [])[]) | .image],
		    ready: (.status.readyReplicas // 0), want: .spec.replicas }
		| if .triggers != [$tag] then "\(.name): image triggers \(.triggers | join(", ")), want \($tag)"
		  elif (.images | all(endswith("@" + $digest)) | not) then "\(.name): not every container runs \($digest)"
		  elif .ready != .want then "\(.name): \(.ready) of \(.want) pods ready"
		  else empty end' >"$LOG_DIR/$ns-$stamp-check.txt" || return 1
	if [ -s "$LOG_DIR/$ns-$stamp-check.txt" ]; then
		while IFS= read -r line; do err "check: $line"; done <"$LOG_DIR/$ns-$stamp-check.txt"
		return 1
	fi
	log "check: system-app, system-sidekiq and system-sphinx run $tag ($digest), pods ready"
}

# the tag the dcs must end on, from a log's start event: amp-system:2.10[-oracle]
target_tag() {
	last_event "$1" start | jq -r '"amp-system:\(.to)\(if .database == "oracle" then "-oracle" else "" end)"'
}

# 1. where are we?
before="$LOG_DIR/$ns-$stamp-status.jsonl"
log "3scale-upgrade $("$UPGRADE" --version | awk '{print $NF}'), namespace $ns; log: $LOG_DIR/$ns-$stamp-*"
rc=0
"$UPGRADE" status --only system -n "$ns" -o json >"$before" 2>>"$LOG_DIR/$ns-$stamp-stderr.txt" || rc=$?
case $rc in
0)
	log "already upgraded"
	verify "$(target_tag "$before")" || exit 5
	exit 0
	;;
1)
	events "$before" 'select(.event == "step" and .state != "done")
		| "  pending: \(.id)\(if .detail != "" then " (" + .detail + ")" else "" end)"'
	failed=$(events "$before" 'select(.event == "step" and .state == "failed") | .id')
	if [ -n "$failed" ] && [ ${#retry_failed[@]} -eq 0 ]; then
		err "a rollout failed in an earlier run: $failed"
		err "find the cause (oc logs, oc describe), fix it, then run: $0 --retry-failed $ns"
		exit 1
	fi
	;;
*)
	err "3scale-upgrade status failed (exit $rc)"
	show_problems "$before"
	# no end event: it stopped before its JSON output began (usage, a crash): show stderr
	[ -n "$(last_event "$before" end)" ] || cat "$LOG_DIR/$ns-$stamp-stderr.txt" >&2
	exit "$rc"
	;;
esac

# 2. upgrade, showing the progress as it comes
run_log="$LOG_DIR/$ns-$stamp-run.jsonl"
: >"$run_log"
log "upgrading"
start_forwarding "$UPGRADE" run --only system -n "$ns" --yes -o json "${retry_failed[@]}" "${timeout[@]}" \
	>"$run_log" 2>>"$LOG_DIR/$ns-$stamp-stderr.txt"
# the progress, as it comes; tail stops once the upgrade has ended and its last lines are out
tail -n +1 -s 0.2 --pid="$child" -f "$run_log" 2>/dev/null | jq --unbuffered -r '
	if .event == "step_start" then "  [\(.index)] \(.title)"
	elif .event == "step_end" then "      \(.status)\(if .detail != "" then ": " + .detail else "" end)"
	elif .event == "progress" then "      \(.message)"
	elif .event == "retry" then "      retrying (\(.reason))"
	else empty end' &
viewer=$!
rc=0
wait_forwarded || rc=$?
wait "$viewer" 2>/dev/null

end=$(last_event "$run_log" end)
case $rc in
0) ;;
4)
	show_problems "$run_log"
	err "timed out waiting; the rollout goes on in the cluster: run $0 $ns again to keep waiting"
	exit 4
	;;
130 | 143)
	err "interrupted; nothing is lost: run $0 $ns again to resume"
	exit "$rc"
	;;
*)
	show_problems "$run_log"
	[ -n "$end" ] || cat "$LOG_DIR/$ns-$stamp-stderr.txt" >&2
	err "the upgrade stopped (exit $rc); fix the cause and run $0 $ns again"
	exit "$rc"
	;;
esac

# 3. check the result: the end event, then status, then the cluster itself
jq -e '.exit == 0' <<<"${end:-null}" >/dev/null || {
	err "no successful end event in $run_log"
	exit 5
}
log "$(jq -r '"done in \(.elapsed_ms / 1000)s: \(.steps_done | length) steps done (\(.steps_done | join(", "))), \(.steps_skipped | length) already done"' <<<"$end")"
after="$LOG_DIR/$ns-$stamp-status-after.jsonl"
if ! "$UPGRADE" status --only system -n "$ns" -o json >"$after" 2>>"$LOG_DIR/$ns-$stamp-stderr.txt" ||
	! last_event "$after" status_end | jq -e '.complete == true' >/dev/null; then
	err "3scale-upgrade status does not report the upgrade complete"
	exit 5
fi
verify "$(target_tag "$run_log")" || exit 5
log "upgraded"
