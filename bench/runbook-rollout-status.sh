#!/usr/bin/env bash
# bench/runbook-rollout-status.sh [NAMESPACE] - the guide's commands ("Patching the
# system image", Migrating 3scale 2.10 §2.2.3.1) as a person would script them: add the
# tag, poll the image stream every 2 s until 2.10 is imported, then for each dc move the
# image trigger and wait with `oc rollout status`.
#
# A baseline for scripts/bench, not a recommended runbook: `oc rollout status` called right
# after `oc set triggers` sees the previous rollout, still complete, and returns at once
# (the trigger controller has not acted yet), and it never waits for the old pods to go.
# So the next dc is changed while the previous one is still rolling out.
set -euo pipefail
NS=${1:-3scale}

oc patch imagestream/amp-system -n "$NS" --type=json -p '[{"op": "add", "path": "/spec/tags/-", "value": {"annotations": {"openshift.io/display-name": "AMP system 2.10"}, "from": { "kind": "DockerImage", "name": "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10"}, "name": "2.10", "referencePolicy": {"type": "Source"}}}]'

echo "waiting for the import of amp-system:2.10"
until oc get imagestream amp-system -n "$NS" -o json |
	jq -e '.status.tags[]? | select(.tag == "2.10") | .items[0].image' >/dev/null; do
	sleep 2
done

for spec in system-app:system-master,system-developer,system-provider \
	system-sidekiq:system-sidekiq,check-svc \
	system-sphinx:system-sphinx,system-master-svc; do
	dc=${spec%%:*}
	containers=${spec#*:}
	oc set triggers "dc/$dc" -n "$NS" --from-image=amp-system:2.9 --containers="$containers" --remove
	oc set triggers "dc/$dc" -n "$NS" --from-image=amp-system:2.10 --containers="$containers"
	oc rollout status "dc/$dc" -n "$NS"
done
echo "done"
