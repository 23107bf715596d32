#!/usr/bin/env bash
# bench/runbook-chapter-poll.sh [NAMESPACE [BACKUP_DIR]] - the whole 2.9 -> 2.10 chapter
# ("Migrating 3scale" 2.10, chapter 2) as a careful administrator would script it in an
# afternoon, with the guide's commands in the guide's order (docs/procedure.md):
#
#   1. the backup: each 3scale dc, `oc get all` and the guide's kinds, `oc get -o json`
#      into one file each of BACKUP_DIR (default ./3scale-backup-NS-DATE), every file
#      checked non-empty and valid JSON;
#   2. AMP_RELEASE 2.10 in cm/system-environment, read back;
#   3. the tag 2.10 of every section's image stream, then each import polled every 2 s
#      (a failed import stops the runbook);
#   4. dc by dc, in the guide's order: note latestVersion, remove the old trigger, add the
#      new one, then poll every 2 s until a newer rollout is complete, all its pods are
#      ready and no pod of an older rollout is left -- unless the dc already runs the
#      image the new tag resolves to (the database images), when no rollout can come;
#   5. confirm that every dc runs, in every container its trigger names, that image.
#
# A baseline for scripts/bench: it gets the order right, at the price of a 2 s polling
# interval and two oc calls per poll.
set -euo pipefail
NS=${1:-3scale}
BACKUP=${2:-./3scale-backup-$NS-$(date -u +%Y%m%dT%H%M%SZ)}
TAG=2.10
OLD=2.9

# The guide's sections, in its order: image stream | image | display name | the patch's
# spacing of "from" (as the guide prints it) | dc:containers ...
SECTIONS=(
	'amp-system|registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10|AMP system 2.10|{ |system-app:system-master,system-developer,system-provider system-sidekiq:system-sidekiq,check-svc system-sphinx:system-sphinx,system-master-svc'
	'amp-apicast|registry.redhat.io/3scale-amp2/apicast-gateway-rhel8:3scale2.10|AMP APIcast 2.10|{|apicast-staging:apicast-staging apicast-production:apicast-production,system-master-svc'
	'amp-backend|registry.redhat.io/3scale-amp2/backend-rhel7:3scale2.10|AMP Backend 2.10|{|backend-listener:backend-listener backend-worker:backend-worker,backend-redis-svc backend-cron:backend-cron,backend-redis-svc'
	'amp-zync|registry.redhat.io/3scale-amp2/zync-rhel7:3scale2.10|AMP Zync 2.10|{ |zync:zync,zync-db-svc zync-que:que'
	'system-memcached|registry.redhat.io/3scale-amp2/memcached-rhel7:3scale2.10|System 2.10 Memcached|{ |system-memcache:memcache'
	'zync-database-postgresql|registry.redhat.io/rhscl/postgresql-10-rhel7|Zync 2.10 PostgreSQL|{ |zync-database:postgresql'
	'backend-redis|registry.redhat.io/rhscl/redis-32-rhel7:3.2|Backend 2.10 Redis|{ |backend-redis:backend-redis'
	'system-redis|registry.redhat.io/rhscl/redis-32-rhel7:3.2|System 2.10 Redis|{ |system-redis:system-redis'
	'system-mysql|registry.redhat.io/rhscl/mysql-57-rhel7:5.7|System 2.10 MySQL|{ |system-mysql:system-mysql'
	'system-postgresql|registry.redhat.io/rhscl/postgresql-10-rhel7|System 2.10 PostgreSQL|{ |system-postgresql:system-postgresql'
)
KINDS=(rolebindings serviceaccounts secrets imagestreamtags cm rolebindingrestrictions limitranges
	resourcequotas pvc templates cronjobs statefulsets hpa deployments replicasets
	poddisruptionbudget endpoints)

# the dcs the project has (an external database or Redis has fewer)
read -r -a HAVE <<<"$(oc get dc -n "$NS" -o jsonpath='{.items[*].metadata.name}')"
have() {
	local x
	for x in "${HAVE[@]}"; do [ "$x" = "$1" ] && return 0; done
	return 1
}

# --- 1. the backup ---------------------------------------------------------------------
if [ -e "$BACKUP" ] && [ -n "$(ls -A "$BACKUP")" ]; then
	echo "$BACKUP exists and is not empty" >&2
	exit 3
fi
mkdir -p "$BACKUP"
chmod 0700 "$BACKUP"
umask 077
echo "backup into $BACKUP"
for sec in "${SECTIONS[@]}"; do
	for spec in ${sec##*|}; do
		dc=${spec%%:*}
		have "$dc" || continue
		oc get "dc/$dc" -n "$NS" -o json >"$BACKUP/dc-$dc.json"
	done
done
oc get all -n "$NS" -o json >"$BACKUP/all.json"
for kind in "${KINDS[@]}"; do
	oc get "$kind" -n "$NS" -o json >"$BACKUP/$kind.json"
done
for f in "$BACKUP"/*.json; do
	[ -s "$f" ] || { echo "$f is empty" >&2; exit 1; }
	jq empty "$f" || { echo "$f is not valid JSON" >&2; exit 1; }
done

# --- 2. the version number -------------------------------------------------------------
oc patch cm system-environment -n "$NS" --patch '{"data": {"AMP_RELEASE": "2.10"}}'
rel=$(oc get cm system-environment -n "$NS" -o jsonpath='{.data.AMP_RELEASE}')
[ "$rel" = "$TAG" ] || { echo "AMP_RELEASE is $rel, not $TAG" >&2; exit 1; }

# --- 3. the tags, then every import ----------------------------------------------------
STREAMS=()
for sec in "${SECTIONS[@]}"; do
	IFS='|' read -r is image display brace dcs <<<"$sec"
	n=0
	for spec in $dcs; do have "${spec%%:*}" && n=$((n + 1)); done
	if [ "$n" -eq 0 ]; then
		echo "section $is: none of its dcs here, skipped"
		continue
	fi
	STREAMS+=("$is")
	oc patch "imagestream/$is" -n "$NS" --type=json -p '[{"op": "add", "path": "/spec/tags/-", "value": {"annotations": {"openshift.io/display-name": "'"$display"'"}, "from": '"$brace"'"kind": "DockerImage", "name": "'"$image"'"}, "name": "2.10", "referencePolicy": {"type": "Source"}}}]'
done

declare -A REF # image stream -> the image its new tag resolves to (registry@sha256:...)
for is in "${STREAMS[@]}"; do
	echo "waiting for the import of $is:$TAG"
	while :; do
		st=$(oc get imagestream "$is" -n "$NS" -o json | jq -r --arg t "$TAG" '
			([.status.tags[]? | select(.tag == $t) | .items[0].dockerImageReference // empty][0]) as $ref
			| ([.status.tags[]? | select(.tag == $t) | .conditions[]? | select(.type == "ImportSuccess" and .status == "False")] | length) as $bad
			| if $ref then "ok \($ref)" elif $bad > 0 then "failed" else "" end')
		case $st in
		ok\ *) REF[$is]=${st#ok }; break ;;
		failed) echo "the import of $is:$TAG failed" >&2; exit 1 ;;
		esac
		sleep 2
	done
done

# --- 4. the dcs, one after the other ---------------------------------------------------
# rolled_out DC BEFORE REF CONTAINERS: a rollout newer than BEFORE is complete, the dc runs
# REF in the trigger's containers, its pods are ready and no older pod is left
rolled_out() {
	local dc=$1 before=$2 ref=$3 containers=$4 json latest
	json=$(oc get dc "$dc" -n "$NS" -o json)
	latest=$(jq -r '.status.latestVersion' <<<"$json")
	[ "$latest" -gt "$before" ] || return 1
	jq -e --arg ref "$ref" --arg c "$containers" '($c | split(",")) as $names
		| .status.observedGeneration >= .metadata.generation
		and ([.status.conditions[] | select(.type == "Progressing")][0].reason == "NewReplicationControllerAvailable")
		and (.status.updatedReplicas == .spec.replicas)
		and ((.status.readyReplicas // 0) == .spec.replicas)
		and ([(.spec.template.spec.containers + (.spec.template.spec.initContainers // []))[]
		      | select(.name as $n | $names | index($n)) | .image == $ref] | all)' <<<"$json" >/dev/null || return 1
	oc get pods -n "$NS" -l "deploymentconfig=$dc" -o json |
		jq -e --arg rc "$dc-$latest" '[.items[] | select(.metadata.labels.deployment != $rc)] | length == 0' >/dev/null
}

runs_ref() { # JSON REF CONTAINERS: every container the trigger names runs REF
	jq -e --arg ref "$2" --arg c "$3" '($c | split(",")) as $names
		| [(.spec.template.spec.containers + (.spec.template.spec.initContainers // []))[]
		   | select(.name as $n | $names | index($n)) | .image == $ref] | all' <<<"$1" >/dev/null
}

for sec in "${SECTIONS[@]}"; do
	IFS='|' read -r is _ _ _ dcs <<<"$sec"
	for spec in $dcs; do
		dc=${spec%%:*}
		containers=${spec#*:}
		have "$dc" || { echo "dc/$dc: not here, skipped"; continue; }
		json=$(oc get dc "$dc" -n "$NS" -o json)
		before=$(jq -r '.status.latestVersion' <<<"$json")
		same=no
		runs_ref "$json" "${REF[$is]}" "$containers" && same=yes
		oc set triggers "dc/$dc" -n "$NS" --from-image="$is:$OLD" --containers="$containers" --remove
		oc set triggers "dc/$dc" -n "$NS" --from-image="$is:$TAG" --containers="$containers"
		if [ "$same" = yes ]; then
			echo "dc/$dc already runs ${REF[$is]}: no rollout to wait for"
			continue
		fi
		echo "waiting for dc/$dc to roll out (after #$before)"
		until rolled_out "$dc" "$before" "${REF[$is]}" "$containers"; do
			sleep 2
		done
		echo "dc/$dc rolled out"
	done
done

# --- 5. confirm ------------------------------------------------------------------------
all=$(oc get dc -n "$NS" -o json)
bad=0
for sec in "${SECTIONS[@]}"; do
	IFS='|' read -r is _ _ _ dcs <<<"$sec"
	for spec in $dcs; do
		dc=${spec%%:*}
		have "$dc" || continue
		one=$(jq --arg dc "$dc" '.items[] | select(.metadata.name == $dc)' <<<"$all")
		if ! runs_ref "$one" "${REF[$is]}" "${spec#*:}"; then
			echo "dc/$dc does not run ${REF[$is]}" >&2
			bad=1
		fi
	done
done
[ "$bad" -eq 0 ] || exit 1
echo "done"
