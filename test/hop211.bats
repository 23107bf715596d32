#!/usr/bin/env bats
# The 2.10 -> 2.11 hop (procedures.md §4) against oc-sim's 2.10 install: after the version
# number, BACKEND_ROUTE in system-app's pre hook (a tested JSON patch), `oc set env` on
# system-app and system-sidekiq (each rollout waited for), zync's annotations moved to its
# pod template, backend-cron's resources; then the images (backend and zync on rhel8, Redis 5
# with the command patched between the trigger's remove and add), then confirm.

load test_helper

setup() {
	common_setup
	# a run saves its backup in the current directory
	cd "$BATS_TEST_TMPDIR"
}

ROUTE=http://backend-listener:3000/internal/

# init_210 [oc-sim sim init options]: a settled 2.10 install with short rollouts
init_210() {
	"$SIM" sim init --namespace 3scale --version 2.10 --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.3 --set terminate_seconds=0.2 \
		--set trigger_lag_seconds=0.1 --set import_seconds=0.2 "$@" >/dev/null
}

# system-app's pre hook env entry BACKEND_ROUTE, as JSON
hook_route() {
	dc_field system-app "[e for e in d['spec']['strategy']['rollingParams']['pre']['execNewPod']['env'] if e['name']=='BACKEND_ROUTE']"
}

# BACKEND_ROUTE of every container (init containers too) of dc $1, as "container=value" words
container_routes() {
	dc_field "$1" "' '.join(c['name'] + '=' + next((e.get('value', 'valueFrom') for e in c.get('env') or [] if e['name']=='BACKEND_ROUTE'), '-') for c in d['spec']['template']['spec'].get('initContainers', []) + d['spec']['template']['spec']['containers'])"
}

@test "2.10 -> 2.11: BACKEND_ROUTE, zync's annotations, backend-cron's resources, then every image (Redis 5 with its command); plan's commands are the run's, in the guide's order; each rollout waited for; a re-run changes nothing" {
	init_210
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.11 --skip backup 3>&- | grep -v '^#'"
	assert_success
	local planned=$output
	run upgrade run -n 3scale --to 2.11 --yes --skip backup -o json
	assert_success
	local events=$output
	run bash -c "'$SIM' sim calls --mutating | sed 's/^/oc /'"
	assert_output "$planned"
	# the guide's order: the version number, the hook, set env on system-app then on
	# system-sidekiq, zync's patch and its two annotate removals, backend-cron, then the images
	run bash -c "'$SIM' sim calls --mutating | awk '{print \$1, \$2, \$3, \$4}' | head -8"
	assert_output "patch cm system-environment --patch
patch dc system-app --type=json
set env dc/system-app BACKEND_ROUTE=$ROUTE
set env dc/system-sidekiq BACKEND_ROUTE=$ROUTE
patch dc zync --patch
annotate dc zync prometheus.io/scrape-
annotate dc zync prometheus.io/port-
patch dc backend-cron --patch"
	# the hook's patch tests the entry exactly as it was, at the index it had
	run bash -c "'$SIM' sim calls --mutating | sed -n 2p"
	assert_output --partial '[{"op": "test", "path": "/spec/strategy/rollingParams/pre/execNewPod/env/3", "value": {"name": "BACKEND_ROUTE", "valueFrom": {"secretKeyRef": {"key": "route_endpoint", "name": "backend-listener"}}}}, {"op": "replace"'
	# redis: remove, the command, add; no wait in between
	run bash -c "'$SIM' sim calls --mutating | grep -E 'dc/backend-redis|dc backend-redis' | sed 's/ --containers=backend-redis//; s/ -n 3scale\$//'"
	assert_output "set triggers dc/backend-redis --from-image=backend-redis:2.10 --remove
patch dc backend-redis --patch '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"backend-redis\",\"command\":[\"/opt/rh/rh-redis5/root/usr/bin/redis-server\"]}]}}}}'
set triggers dc/backend-redis --from-image=backend-redis:2.11"
	# the documented state
	run hook_route
	assert_output "[{\"name\": \"BACKEND_ROUTE\", \"value\": \"$ROUTE\"}]"
	run container_routes system-app
	assert_output "system-master=$ROUTE system-provider=$ROUTE system-developer=$ROUTE"
	# oc set env leaves init containers alone; check-svc never had the entry
	run container_routes system-sidekiq
	assert_output "check-svc=- system-sidekiq=$ROUTE"
	run dc_field zync "[sorted(k for k in (d['metadata'].get('annotations') or {}) if k.startswith('prometheus')), d['spec']['template']['metadata']['annotations']]"
	assert_output '[[], {"prometheus.io/port": "9393", "prometheus.io/scrape": "true"}]'
	run dc_field backend-cron "[c['resources'] for c in d['spec']['template']['spec']['containers'] if c['name']=='backend-cron'][0]"
	assert_output '{"limits": {"cpu": "500m", "memory": "500Mi"}, "requests": {"cpu": "100m", "memory": "100Mi"}}'
	for dc in backend-redis system-redis; do
		run dc_field "$dc" "[(c['image'].split('@')[0], c['command']) for c in d['spec']['template']['spec']['containers']]"
		assert_output '[["registry.redhat.io/rhscl/redis-5-rhel7", ["/opt/rh/rh-redis5/root/usr/bin/redis-server"]]]'
	done
	run dc_field backend-listener "d['spec']['template']['spec']['containers'][0]['image'].split('@')[0]"
	assert_output registry.redhat.io/3scale-amp2/backend-rhel8
	run dc_field zync-que "d['spec']['template']['spec']['containers'][0]['image'].split('@')[0]"
	assert_output registry.redhat.io/3scale-amp2/zync-rhel8
	run image_triggers system-app
	assert_output "amp-system:2.11=system-master,system-developer,system-provider"
	[ "$(oc get cm/system-environment -n 3scale -o json | py "d['data']['AMP_RELEASE']")" = 2.11 ]
	# system-app rolled out twice in the hop, and each rollout was waited for: the env
	# step ended on rollout #2, the image step on rollout #3
	run py_events "e.get('detail') if e.get('event') == 'step_end' and e['id'] in ('env/system-app', 'dc/system-app') else None" <<<"$events"
	assert_line --index 0 --partial "rollout #2 complete"
	assert_line --index 1 --partial "rollout #3 complete"
	run upgrade status -n 3scale --to 2.11
	assert_success
	assert_output --partial "done     dc/system-app: pre hook env BACKEND_ROUTE=$ROUTE"
	assert_output --partial "done     dc/zync: annotations"
	# a re-run changes nothing, and says why
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.11 --yes --skip backup
	assert_success
	assert_output --partial "BACKEND_ROUTE is already $ROUTE"
	assert_output --partial "the annotations are on the pod template, none on the dc"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "the re-run changed something"
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.11 3>&- | grep -v '^#'"
	assert_output ""
}

# py_events EXPR: EXPR over each JSON event line of stdin as e; prints those that are not None
py_events() {
	python3 -c "import json,sys
for l in sys.stdin:
    l = l.strip()
    if not l.startswith('{'): continue
    e = json.loads(l)
    r = ($1)
    if r is not None: print(r)"
}

@test "2.10 -> 2.11 on a drifted install: backend-cron without a memory limit or with a higher one is left alone; the hook and zync already done are skipped; a Redis command already patched is not patched again" {
	init_210
	oc patch dc backend-cron -n 3scale --type=json -p '[{"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits/memory"}]' >/dev/null
	oc patch dc system-app -n 3scale --type=json -p "[{\"op\": \"replace\", \"path\": \"/spec/strategy/rollingParams/pre/execNewPod/env/3\", \"value\": {\"name\": \"BACKEND_ROUTE\", \"value\": \"$ROUTE\"}}]" >/dev/null
	oc patch dc system-redis -n 3scale --patch '{"spec":{"template":{"spec":{"containers":[{"name":"system-redis","command":["/opt/rh/rh-redis5/root/usr/bin/redis-server"]}]}}}}' >/dev/null 2>&1 || true
	"$SIM" sim settle >/dev/null
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.11 --skip backup 3>&-"
	assert_success
	assert_output --partial "pre hook env BACKEND_ROUTE=$ROUTE -- already done"
	assert_output --partial "resources of backend-cron (limits 500Mi/500m, requests 100Mi/100m), roll out -- already done"
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.11 --yes --skip backup --only backend-route,backend-cron,zync-annotations
	assert_success
	assert_output --partial "BACKEND_ROUTE is already $ROUTE"
	assert_output --partial "backend-cron has no memory limit: left as it is, as the guide says"
	run bash -c "'$SIM' sim calls --mutating | tail -n +$((before + 1)) | awk '{print \$1, \$2, \$3}'"
	assert_output "set env dc/system-app
set env dc/system-sidekiq
patch dc zync
annotate dc zync
annotate dc zync"
	# a higher memory limit is left alone too
	oc patch dc backend-cron -n 3scale --patch '{"spec":{"template":{"spec":{"containers":[{"name":"backend-cron","resources":{"limits":{"memory":"1Gi"}}}]}}}}' >/dev/null
	"$SIM" sim settle >/dev/null
	run upgrade run -n 3scale --to 2.11 --yes --skip backup --only backend-cron
	assert_success
	assert_output --partial "backend-cron's memory limit 1Gi is higher than 500Mi: left as it is, as the guide says"
	run dc_field backend-cron "[c['resources']['limits']['memory'] for c in d['spec']['template']['spec']['containers'] if c['name']=='backend-cron'][0]"
	assert_output 1Gi
	# system-redis's command is patched already (its failed rollout aside): only its triggers move
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.11 --yes --skip backup --only system-redis --retry-failed
	assert_success
	run bash -c "'$SIM' sim calls --mutating | tail -n +$((before + 1)) | grep -c 'patch dc system-redis'"
	assert_output 0
	run dc_field system-redis "d['spec']['template']['spec']['containers'][0]['image'].split('@')[0]"
	assert_output registry.redhat.io/rhscl/redis-5-rhel7
}

@test "2.10 -> 2.11: a hook entry changed between the read and the patch is refused by the patch's test, and the run stops with exit 1 saying so" {
	init_210
	# a wrapper oc that changes the entry's secret key just before the program's hook patch
	mkdir -p "$BATS_TEST_TMPDIR/wrap"
	cat >"$BATS_TEST_TMPDIR/wrap/oc" <<EOF
#!/bin/sh
if [ "\$1 \$2 \$3 \$4" = "patch dc system-app --type=json" ]; then
	"$SIM" patch dc system-app -n 3scale --type=json -p '[{"op": "replace", "path": "/spec/strategy/rollingParams/pre/execNewPod/env/3/valueFrom/secretKeyRef/key", "value": "other"}]' >/dev/null
fi
exec "$SIM" "\$@"
EOF
	chmod +x "$BATS_TEST_TMPDIR/wrap/oc"
	run upgrade run -n 3scale --to 2.11 --yes --skip backup --oc "$BATS_TEST_TMPDIR/wrap/oc"
	assert_failure 1
	assert_output --partial "error: 'oc patch dc system-app' failed (exit 1): The request is invalid"
	assert_output --partial "hint: the patch tests the entry as it was read: a refusal means dc/system-app changed since"
	assert_output --partial "hint: stopped at step 2 of"
	# the entry is as the other writer left it: never patched blindly
	run hook_route
	assert_output '[{"name": "BACKEND_ROUTE", "valueFrom": {"secretKeyRef": {"key": "other", "name": "backend-listener"}}}]'
	# nothing after it ran
	run bash -c "'$SIM' sim calls --mutating | grep -c 'set env'"
	assert_output 0
}

@test "2.10 -> 2.11 preflight: a pre hook without BACKEND_ROUTE, and Oracle without the 2.11-oracle build, are exit 3 with nothing changed" {
	init_210
	oc patch dc system-app -n 3scale --type=json -p '[{"op": "remove", "path": "/spec/strategy/rollingParams/pre/execNewPod/env/3"}]' >/dev/null
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.11 --yes --skip backup
	assert_failure 3
	assert_output --partial "error: dc/system-app's pre hook has no env entry BACKEND_ROUTE (spec.strategy.rollingParams.pre.execNewPod.env)"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "a failed check changed something"
	init_210 --database oracle --oracle-image no
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.11 --yes --skip backup
	assert_failure 3
	assert_output --partial "error: image stream tag amp-system:2.11-oracle has no image: build it first"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "a failed check changed something"
	"$SIM" sim build 2.11-oracle >/dev/null
	run upgrade run -n 3scale --to 2.11 --yes --skip backup
	assert_success
	run image_triggers system-app
	assert_output "amp-system:2.11-oracle=system-master,system-developer,system-provider"
}

@test "2.10 -> 2.11 with --parallel, and a Redis image change that comes after its command's failed rollout: the wait carries on to the rollout of the new image" {
	# the command patch's rollout fails (rh-redis5 is not in the Redis 3.2 image) before the
	# image trigger fires: that is the guide's broken dc, not the step's rollout
	init_210 --set trigger_lag_seconds=1.2
	run upgrade run -n 3scale --to 2.11 --yes --skip backup --parallel
	assert_success
	run dc_field backend-redis "[d['status']['latestVersion'], d['spec']['template']['spec']['containers'][0]['image'].split('@')[0]]"
	assert_output '[3, "registry.redhat.io/rhscl/redis-5-rhel7"]'
	run oc get rc/backend-redis-2 -n 3scale -o json
	assert_output --partial '"openshift.io/deployment.phase": "Failed"'
	run upgrade status -n 3scale --to 2.11
	assert_success
}

@test "plan without a cluster shows the 2.10 -> 2.11 commands of the template's objects, each P row said so in docs/procedure.md" {
	run upgrade plan --from 2.10 --to 2.11 --database other
	assert_success
	assert_output --partial "oc patch dc system-app --type=json -p '[{\"op\": \"test\", \"path\": \"/spec/strategy/rollingParams/pre/execNewPod/env/3\""
	assert_output --partial "oc set env dc/system-sidekiq BACKEND_ROUTE=$ROUTE"
	assert_output --partial "oc patch dc zync --patch '{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"prometheus.io/port\":\"9393\",\"prometheus.io/scrape\":\"true\"}}}}}'"
	assert_output --partial "oc patch dc backend-cron --patch '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"backend-cron\",\"resources\":{\"limits\":{\"memory\":\"500Mi\", \"cpu\": \"500m\"}, \"requests\":{\"memory\":\"100Mi\", \"cpu\": \"100m\"}}}]}}}}'"
	assert_output --partial "oc patch dc system-redis --patch '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"system-redis\",\"command\":[\"/opt/rh/rh-redis5/root/usr/bin/redis-server\"]}]}}}}'"
	run grep -c 'hook-env/system-app' "$TOP/docs/procedure.md"
	[ "$output" -ge 1 ] || fail "docs/procedure.md does not list the hook step"
}

@test "2.10 -> 2.11, SIGKILL right after the hook patch, set env, an annotation's removal, a Redis command patch: each re-run resumes past the cut, the last finishes the hop, each change sent once" {
	local cut
	make_cut_at
	init_210
	# one hop, killed at each cut point in the guide's order: every run resumes the hop
	# that the run before left cut (so it must see the change before its cut as done) and
	# goes on to the next cut; the run after the last finishes
	for cut in "patch dc system-app --type=json" "set env dc/system-app" "annotate dc zync prometheus.io/scrape-" "patch dc backend-redis"; do
		rm -f "$BATS_TEST_TMPDIR/cutat/cut"
		CUT_AT=$cut PATH="$BATS_TEST_TMPDIR/cutat:$PATH" run "$UPGRADE" run -n 3scale --to 2.11 --yes --skip backup 3>&-
		[ "$status" -eq 137 ] || fail "cut after '$cut': exit $status, not killed: $output"
		[ -e "$BATS_TEST_TMPDIR/cutat/cut" ] || fail "the run did not reach '$cut'"
	done
	run upgrade run -n 3scale --to 2.11 --yes --skip backup
	[ "$status" -eq 0 ] || fail "re-run after the last cut: exit $status: $output"
	run hook_route
	assert_output "[{\"name\": \"BACKEND_ROUTE\", \"value\": \"$ROUTE\"}]"
	run dc_field zync "[sorted(k for k in (d['metadata'].get('annotations') or {}) if k.startswith('prometheus')), d['spec']['template']['metadata']['annotations']]"
	assert_output '[[], {"prometheus.io/port": "9393", "prometheus.io/scrape": "true"}]'
	run dc_field backend-redis "[d['spec']['template']['spec']['containers'][0]['image'].split('@')[0], d['spec']['template']['spec']['containers'][0]['command']]"
	assert_output '["registry.redhat.io/rhscl/redis-5-rhel7", ["/opt/rh/rh-redis5/root/usr/bin/redis-server"]]'
	run upgrade status -n 3scale --to 2.11
	[ "$status" -eq 0 ] || fail "status after the cuts: exit $status: $output"
	run bash -c "'$SIM' sim calls --mutating | sort | uniq -d"
	assert_output ""
}

@test "a 2.9 install with --to 2.11: 2.9 -> 2.10, then 2.10 -> 2.11, each whole before the next; plan's commands are the run's; the events name each step's hop" {
	"$SIM" sim init --namespace 3scale --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.3 --set terminate_seconds=0.2 \
		--set trigger_lag_seconds=0.1 --set import_seconds=0.2 >/dev/null
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.11 --skip backup 3>&- | grep '^# 3scale'"
	assert_output "# 3scale 2.9 (detected) -> 2.10 in 3scale, database other (detected)
# 3scale 2.10 -> 2.11 in 3scale, database other (detected)"
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.11 --skip backup 3>&- | grep -v '^#'"
	local planned=$output before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.11 --yes --skip backup -o json
	assert_success
	local events=$output
	run bash -c "'$SIM' sim calls --mutating | tail -n +$((before + 1)) | sed 's/^/oc /'"
	assert_output "$planned"
	# the first hop's confirm comes before the second hop's first change
	run py_events "e['hop'] + ' ' + e['id'] if e.get('event') == 'step_end' and e['id'] in ('confirm', 'release', 'hook-env/system-app') else None" <<<"$events"
	assert_output "2.9 -> 2.10 release
2.9 -> 2.10 confirm
2.10 -> 2.11 release
2.10 -> 2.11 hook-env/system-app
2.10 -> 2.11 confirm"
	run image_triggers backend-redis
	assert_output "backend-redis:2.11=backend-redis"
	run hook_route
	assert_output "[{\"name\": \"BACKEND_ROUTE\", \"value\": \"$ROUTE\"}]"
	run upgrade status -n 3scale --to 2.11
	assert_success
}
