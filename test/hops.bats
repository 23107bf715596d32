#!/usr/bin/env bats
# The 2.8 -> 2.9 hop (procedures.md §3) against oc-sim's 2.8 install: old triggers on
# IS:latest, BASE_URL out of secret system-master-apicast after the version number, and
# each section's latest tag deleted at the guide's place (amp-backend's after
# backend-worker, before backend-cron; never amp-system's).

load test_helper

setup() {
	common_setup
	# a run saves its backup in the current directory
	cd "$BATS_TEST_TMPDIR"
}

DCS="system-app system-sidekiq system-sphinx apicast-staging apicast-production backend-listener backend-worker backend-cron zync zync-que system-memcache zync-database backend-redis system-redis system-mysql"

# init_28 [oc-sim sim init options]: a settled 2.8 install with short rollouts
init_28() {
	"$SIM" sim init --namespace 3scale --version 2.8 --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.3 --set terminate_seconds=0.2 \
		--set trigger_lag_seconds=0.1 --set import_seconds=0.2 "$@" >/dev/null
}

# the spec tags of every image stream, as "stream=tag,tag" words
stream_tags() {
	oc get imagestream -n 3scale -o json |
		py "' '.join(i['metadata']['name'] + '=' + ','.join(t['name'] for t in i['spec']['tags']) for i in d['items'])"
}

# py_lines EXPR: EXPR over each JSON line of stdin as e; prints those that are not None
py_lines() {
	python3 -c "import json,sys
for l in sys.stdin:
    e = json.loads(l)
    r = ($1)
    if r is not None: print(r)"
}
export -f py_lines

# the keys of secret system-master-apicast
secret_keys() {
	oc get secret/system-master-apicast -n 3scale -o json | py "','.join(sorted(d['data']))"
}

# every dc's image triggers, as "dc:stream:tag" words
trigger_tags() {
	local dc
	for dc in $DCS; do
		printf '%s:%s ' "$dc" "$(image_triggers "$dc" | cut -d= -f1)"
	done
}

@test "2.8 -> 2.9: the version number, BASE_URL, every tag and import, each dc off :latest, latest tags deleted in the guide's places; plan's commands are the run's; a re-run changes nothing" {
	init_28
	[ "$(secret_keys)" = "ACCESS_TOKEN,BASE_URL,PROXY_CONFIGS_ENDPOINT" ] || fail "the 2.8 install has no BASE_URL: $(secret_keys)"
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.9 --skip backup 3>&- | grep -v '^#'"
	assert_success
	local planned=$output
	[[ $planned == *"oc tag -d amp-backend:latest -n 3scale"* ]] || fail "no untag in the plan"
	run upgrade run -n 3scale --to 2.9 --yes --skip backup
	assert_success
	# detected from the triggers on :latest
	assert_output --partial "2.8 (detected) -> 2.9"
	# no secret value in any output
	refute_output --partial "ACCESS_TOKEN@"
	refute_output --partial "$(oc get secret/system-master-apicast -n 3scale -o json | py "d['data']['ACCESS_TOKEN']")"
	run bash -c "'$SIM' sim calls --mutating | sed 's/^/oc /'"
	assert_output "$planned"
	run bash -c "'$SIM' sim calls --mutating | awk '{print \$1, \$2, \$3}'"
	local want s dc
	want="patch cm system-environment"$'\n'"patch secret system-master-apicast"$'\n'
	for s in amp-system amp-apicast amp-backend amp-zync system-memcached zync-database-postgresql backend-redis system-redis system-mysql; do
		want+="patch imagestream/$s --type=json"$'\n'
	done
	for dc in $DCS; do
		want+="set triggers dc/$dc"$'\n'"set triggers dc/$dc"$'\n'
		case $dc in
		apicast-production) want+="tag -d amp-apicast:latest"$'\n' ;;
		backend-worker) want+="tag -d amp-backend:latest"$'\n' ;;
		zync-que) want+="tag -d amp-zync:latest"$'\n' ;;
		system-memcache) want+="tag -d system-memcached:latest"$'\n' ;;
		zync-database) want+="tag -d zync-database-postgresql:latest"$'\n' ;;
		backend-redis | system-redis | system-mysql) want+="tag -d $dc:latest"$'\n' ;;
		esac
	done
	assert_output "${want%$'\n'}"
	# the documented state
	run trigger_tags
	assert_output "system-app:amp-system:2.9 system-sidekiq:amp-system:2.9 system-sphinx:amp-system:2.9 apicast-staging:amp-apicast:2.9 apicast-production:amp-apicast:2.9 backend-listener:amp-backend:2.9 backend-worker:amp-backend:2.9 backend-cron:amp-backend:2.9 zync:amp-zync:2.9 zync-que:amp-zync:2.9 system-memcache:system-memcached:2.9 zync-database:zync-database-postgresql:2.9 backend-redis:backend-redis:2.9 system-redis:system-redis:2.9 system-mysql:system-mysql:2.9 "
	run stream_tags
	assert_output "amp-apicast=2.8,2.9 amp-backend=2.8,2.9 amp-system=2.8,2.9,latest amp-zync=2.8,2.9 backend-redis=2.8,2.9 system-memcached=2.8,2.9 system-mysql=2.8,2.9 system-redis=2.8,2.9 zync-database-postgresql=2.8,2.9"
	[ "$(secret_keys)" = "ACCESS_TOKEN,PROXY_CONFIGS_ENDPOINT" ] || fail "BASE_URL is still there: $(secret_keys)"
	[ "$(oc get cm/system-environment -n 3scale -o json | py "d['data']['AMP_RELEASE']")" = 2.9 ]
	run upgrade status -n 3scale --to 2.9
	assert_success
	assert_output --partial "done     secret/system-master-apicast: remove BASE_URL"
	assert_output --partial "done     delete image stream tag amp-backend:latest"
	# a re-run changes nothing, and says why
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.9 --yes --skip backup
	assert_success
	assert_output --partial "the key is already gone"
	assert_output --partial "the tag is already gone"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "the re-run changed something"
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.9 3>&- | grep -v '^#'"
	assert_output ""
}

@test "2.8 -> 2.9 on a drifted install: a key or a tag already gone is skipped and said so" {
	init_28
	oc patch secret system-master-apicast -n 3scale --type=json -p '[{"op": "remove", "path": "/data/BASE_URL"}]' >/dev/null
	oc tag -d amp-zync:latest -n 3scale >/dev/null
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.9 --skip backup 3>&-"
	assert_success
	assert_output --partial "secret/system-master-apicast: remove BASE_URL -- already gone"
	assert_output --partial "delete image stream tag amp-zync:latest -- already gone"
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.9 --yes --only base-url,zync
	assert_success
	assert_output --partial "the key is already gone"
	assert_output --partial "the tag is already gone"
	# only zync's tag and triggers changed: no remove of a missing key or tag was sent
	run bash -c "'$SIM' sim calls --mutating | tail -n +$((before + 1)) | awk '{print \$1, \$2, \$3}'"
	assert_output "patch imagestream/amp-zync --type=json
set triggers dc/zync
set triggers dc/zync
set triggers dc/zync-que
set triggers dc/zync-que"
}

@test "a 2.8 install and the default --to 2.10: 2.8 -> 2.9, then 2.9 -> 2.10, each confirmed before the next; plan's commands are the run's" {
	init_28
	# plan shows both hops; its commands are the run's mutating calls
	run bash -c "'$UPGRADE' plan -n 3scale --skip backup 3>&- | grep '^# 3scale'"
	assert_output "# 3scale 2.8 (detected) -> 2.9 in 3scale, database other (detected)
# 3scale 2.9 -> 2.10 in 3scale, database other (detected)"
	run bash -c "'$UPGRADE' plan -n 3scale --skip backup 3>&- | grep -v '^#'"
	local planned=$output
	# status looks at the hop the install is in, --only or not
	run bash -c "'$UPGRADE' status -n 3scale --only system -o json 3>&- | py_lines 'e[\"hop\"] + \" \" + e[\"id\"] + \" \" + e[\"state\"] if e[\"event\"] == \"step\" else None'"
	assert_output "2.8 -> 2.9 tag/amp-system pending
2.8 -> 2.9 import/amp-system pending
2.8 -> 2.9 dc/system-app pending
2.8 -> 2.9 dc/system-sidekiq pending
2.8 -> 2.9 dc/system-sphinx pending
2.8 -> 2.9 replicas done"
	run upgrade run -n 3scale --yes --skip backup --output json
	assert_success
	local events=$output
	run bash -c "'$SIM' sim calls --mutating | sed 's/^/oc /'"
	assert_output "$planned"
	# the events name the hop of every step: every step of 2.8 -> 2.9, its confirm
	# included, before the first of 2.9 -> 2.10
	run bash -c "py_lines '\"hop \" + str(e[\"index\"]) if e[\"event\"] == \"hop\" else e[\"hop\"] + (\" confirmed\" if e[\"id\"] == \"confirm\" and e[\"status\"] == \"done\" else \"\") if e[\"event\"] == \"step_end\" else None' | uniq" <<<"$events"
	assert_output "hop 1
2.8 -> 2.9
2.8 -> 2.9 confirmed
2.8 -> 2.9
hop 2
2.9 -> 2.10
2.9 -> 2.10 confirmed
2.9 -> 2.10"
	run py_lines 'str(e["index"]) + "/" + str(e["total"]) + " " + e["from"] + " " + e["to"] if e["event"] == "hop" else None' <<<"$events"
	assert_output "1/2 2.8 2.9
2/2 2.9 2.10"
	run py_lines '" ".join(e["steps_done"]) if e["event"] == "end" else None' <<<"$events"
	[[ " $output " == *" 2.9:confirm "* && " $output " == *" 2.10:confirm "* && " $output " == *" 2.9:secret/system-master-apicast "* ]] ||
		fail "the end event's steps do not name their hops: $output"
	# the documented state of 2.10, with the 2.8 -> 2.9 hop's changes
	run trigger_tags
	assert_output "system-app:amp-system:2.10 system-sidekiq:amp-system:2.10 system-sphinx:amp-system:2.10 apicast-staging:amp-apicast:2.10 apicast-production:amp-apicast:2.10 backend-listener:amp-backend:2.10 backend-worker:amp-backend:2.10 backend-cron:amp-backend:2.10 zync:amp-zync:2.10 zync-que:amp-zync:2.10 system-memcache:system-memcached:2.10 zync-database:zync-database-postgresql:2.10 backend-redis:backend-redis:2.10 system-redis:system-redis:2.10 system-mysql:system-mysql:2.10 "
	[ "$(secret_keys)" = "ACCESS_TOKEN,PROXY_CONFIGS_ENDPOINT" ] || fail "BASE_URL is still there: $(secret_keys)"
	[ "$(oc get cm/system-environment -n 3scale -o json | py "d['data']['AMP_RELEASE']")" = 2.10 ]
	# a re-run changes nothing
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --yes --skip backup
	assert_success
	assert_output --partial "2.9 (detected) -> 2.10"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "the re-run changed something"
	# the guide gives no Oracle branch for 2.8 -> 2.9
	run upgrade plan --to 2.9 --database oracle
	assert_failure 2
	assert_output --partial "the 2.8 -> 2.9 procedure has no documented Oracle branch"
	run upgrade plan --from 2.8 --database oracle
	assert_failure 2
	assert_output --partial "the 2.8 -> 2.9 procedure has no documented Oracle branch"
	# each hop whole before the next: --only is for one hop (exit 2 when --from says it
	# is not; exit 3, nothing changed, when the triggers do)
	run upgrade plan --from 2.8 --only system --database other
	assert_failure 2
	assert_output "error: --only and --skip leave part of the 2.8 -> 2.9 hop undone, and --to 2.10 needs the hops after it: each hop must be whole before the next begins"
	run upgrade plan --from 2.8 --skip backup --database other
	assert_success
}

@test "several hops: one backup, before the first; a later hop's failed checks exit 1, saying the hop before is done; the re-run goes on in that hop" {
	init_28
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --yes --only system
	assert_failure 3
	assert_output --partial "hint: do this hop alone: add --to 2.9"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "a refused run changed something"
	# an oc that pauses dc/system-app once the first hop's last change is made: the second
	# hop's preflight finds it paused
	mkdir -p "$BATS_TEST_TMPDIR/wrap"
	cat >"$BATS_TEST_TMPDIR/wrap/oc" <<-EOF
		#!/bin/bash
		"$SIM" "\$@"; rc=\$?
		[ "\$*" = "tag -d system-mysql:latest -n 3scale" ] && "$SIM" patch dc/system-app -n 3scale --type=merge -p '{"spec":{"paused":true}}' >/dev/null
		exit \$rc
	EOF
	chmod +x "$BATS_TEST_TMPDIR/wrap/oc"
	run upgrade run -n 3scale --yes --backup-dir "$BATS_TEST_TMPDIR/b" --oc "$BATS_TEST_TMPDIR/wrap/oc"
	assert_failure 1
	assert_output --partial "error: dc/system-app is paused"
	assert_output --partial "hint: stopped before the 2.9 -> 2.10 hop began; the hop before it is done"
	assert_output --partial "to continue, fix the cause and re-run: 3scale-upgrade run -n 3scale --from 2.9 --to 2.10 --database other"
	# the backup: once (a second one into the same --backup-dir would be refused), of
	# the 2.8 install
	run py '[i["data"]["AMP_RELEASE"] for i in d["items"] if i["metadata"]["name"] == "system-environment"][0]' <"$BATS_TEST_TMPDIR/b/cm.json"
	assert_output "2.8"
	run py '[t["imageChangeParams"]["from"]["name"] for t in d["spec"]["triggers"] if t["type"] == "ImageChange"][0]' <"$BATS_TEST_TMPDIR/b/dc-system-app.json"
	assert_output "amp-system:latest"
	[ "$(mutating_calls | grep -c '^patch cm system-environment')" = 1 ] || fail "the second hop changed something"
	oc rollout resume dc/system-app -n 3scale >/dev/null
	run upgrade run -n 3scale --yes
	assert_success
	assert_output --partial "2.9 (detected) -> 2.10"
	refute_output --partial "hop 1 of"
	run image_triggers system-app
	assert_output "amp-system:2.10=system-master,system-developer,system-provider"
}

@test "2.8 -> 2.9 --parallel: the sections side by side, each latest tag deleted after every lane is done" {
	init_28
	run upgrade run -n 3scale --to 2.9 --yes --skip backup --parallel
	assert_success
	run stream_tags
	assert_output "amp-apicast=2.8,2.9 amp-backend=2.8,2.9 amp-system=2.8,2.9,latest amp-zync=2.8,2.9 backend-redis=2.8,2.9 system-memcached=2.8,2.9 system-mysql=2.8,2.9 system-redis=2.8,2.9 zync-database-postgresql=2.8,2.9"
	# every trigger change comes before the first oc tag -d
	run bash -c "'$SIM' sim calls --mutating | awk '{print \$1}' | uniq | tr '\n' ' '"
	assert_output "patch set tag "
	run upgrade status -n 3scale --to 2.9
	assert_success
}

@test "several hops, SIGKILL near the end of the first hop, then in the second: each re-run resumes the chain in the right hop, each change applied once" {
	make_cutter
	make_cut_at
	init_28
	# the chained run makes some 210 oc calls besides its watches, the second hop's from
	# about the 155th: cut after the 140th (late in 2.8 -> 2.9); the re-run resumes that
	# hop, and is cut right after it moved backend-worker in 2.9 -> 2.10; the next finishes
	CUT=140 PATH="$BATS_TEST_TMPDIR/cut:$PATH" run "$UPGRADE" run -n 3scale --yes --skip backup 3>&-
	[ "$status" -eq 137 ] || fail "cut after call 140: exit $status, not killed: $output"
	run image_triggers system-app
	[[ "$output" != amp-system:2.10=* ]] || fail "cut after call 140 is not in the first hop: $output"
	CUT_AT="set triggers dc/backend-worker --from-image=amp-backend:2.10" PATH="$BATS_TEST_TMPDIR/cutat:$PATH" \
		run "$UPGRADE" run -n 3scale --yes --skip backup 3>&-
	[ "$status" -eq 137 ] || fail "cut in the second hop: exit $status, not killed: $output"
	run upgrade run -n 3scale --yes --skip backup
	[ "$status" -eq 0 ] || fail "re-run after the cuts: exit $status: $output"
	run trigger_tags
	assert_output "system-app:amp-system:2.10 system-sidekiq:amp-system:2.10 system-sphinx:amp-system:2.10 apicast-staging:amp-apicast:2.10 apicast-production:amp-apicast:2.10 backend-listener:amp-backend:2.10 backend-worker:amp-backend:2.10 backend-cron:amp-backend:2.10 zync:amp-zync:2.10 zync-que:amp-zync:2.10 system-memcache:system-memcached:2.10 zync-database:zync-database-postgresql:2.10 backend-redis:backend-redis:2.10 system-redis:system-redis:2.10 system-mysql:system-mysql:2.10 "
	[ "$(secret_keys)" = "ACCESS_TOKEN,PROXY_CONFIGS_ENDPOINT" ] || fail "BASE_URL is still there"
	run stream_tags
	assert_output "amp-apicast=2.10,2.8,2.9 amp-backend=2.10,2.8,2.9 amp-system=2.10,2.8,2.9,latest amp-zync=2.10,2.8,2.9 backend-redis=2.10,2.8,2.9 system-memcached=2.10,2.8,2.9 system-mysql=2.10,2.8,2.9 system-redis=2.10,2.8,2.9 zync-database-postgresql=2.10,2.8,2.9"
	run upgrade status -n 3scale
	[ "$status" -eq 0 ] || fail "status after the cuts: exit $status: $output"
	run bash -c "'$SIM' sim calls --mutating | sort | uniq -d"
	assert_output ""
}
