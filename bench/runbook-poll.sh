#!/usr/bin/env bash
# bench/runbook-poll.sh [NAMESPACE] - the guide's commands with a careful polling wait,
# as a person would script it: add the tag, poll the image stream every 2 s until 2.10 is
# imported, then for each dc note its latestVersion, move the image trigger, and poll
# `oc get dc` (then its pods) every 2 s until a newer rollout is complete, all its pods
# are ready and no pod of an older rollout is left (terminating ones included).
#
# A baseline for scripts/bench: it gets the order right, at the price of a 2 s polling
# interval and two oc calls per poll.
set -euo pipefail
NS=${1:-3scale}

oc patch imagestream/amp-system -n "$NS" --type=json -p '[{"op": "add", "path": "/spec/tags/-", "value": {"annotations": {"openshift.io/display-name": "AMP system 2.10"}, "from": { "kind": "DockerImage", "name": "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10"}, "name": "2.10", "referencePolicy": {"type": "Source"}}}]'

echo "waiting for the import of amp-system:2.10"
until oc get imagestream amp-system -n "$NS" -o json |
	jq -e '.status.tags[]? | select(.tag == "2.10") | .items[0].image' >/dev/null; do
	sleep 2
done

# rolled_out DC BEFORE: a rollout newer than BEFORE is complete, its pods ready, old pods gone
rolled_out() {
	local dc=$1 before=$2 json latest
	json=$(oc get dc "$dc" -n "$NS" -o json)
	latest=$(jq -r '.status.latestVersion' <<<"$json")
	[ "$latest" -gt "$before" ] || return 1
	jq -e '.status.observedGeneration >= .metadata.generation
		and ([.status.conditions[] | select(.type == "Progressing")][0].reason == "NewReplicationControllerAvailable")
		and (.status.updatedReplicas == .spec.replicas)
		and ((.status.readyReplicas // 0) == .spec.replicas)' <<<"$json" >/dev/null || return 1
	oc get pods -n "$NS" -l "deploymentconfig=$dc" -o json |
		jq -e --arg rc "$dc-$latest" '[.items[] | select(.metadata.labels.deployment != $rc)] | length == 0' >/dev/null
}

for spec in system-app:system-master,system-developer,system-provider \
	system-sidekiq:system-sidekiq,check-svc \
	system-sphinx:system-sphinx,system-master-svc; do
	dc=${spec%%:*}
	containers=${spec#*:}
	before=$(oc get dc "$dc" -n "$NS" -o jsonpath='{.status.latestVersion}')
	oc set triggers "dc/$dc" -n "$NS" --from-image=amp-system:2.9 --containers="$containers" --remove
	oc set triggers "dc/$dc" -n "$NS" --from-image=amp-system:2.10 --containers="$containers"
	echo "waiting for dc/$dc to roll out (after #$before)"
	until rolled_out "$dc" "$before"; do
		sleep 2
	done
	echo "dc/$dc rolled out"
done
echo "done"
