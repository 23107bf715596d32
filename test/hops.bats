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

@test "2.8 -> 2.9: the version number, BASE_URL, every tag and import, each dc off :latest, latest tags deleted in the guide's places" {
	init_28
	[ "$(secret_keys)" = "ACCESS_TOKEN,BASE_URL,PROXY_CONFIGS_ENDPOINT" ] || fail "the 2.8 install has no BASE_URL: $(secret_keys)"
	run upgrade run -n 3scale --to 2.9 --yes --skip backup
	assert_success
	# detected from the triggers on :latest
	assert_output --partial "2.8 (detected) -> 2.9"
	# no secret value in any output
	refute_output --partial "ACCESS_TOKEN@"
	refute_output --partial "$(oc get secret/system-master-apicast -n 3scale -o json | py "d['data']['ACCESS_TOKEN']")"
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
}

@test "2.8 -> 2.9: plan's commands are the run's mutating calls; a re-run changes nothing; then 2.9 -> 2.10 follows" {
	init_28
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.9 --skip backup 3>&- | grep -v '^#'"
	assert_success
	local planned=$output
	[[ $planned == *"oc tag -d amp-backend:latest -n 3scale"* ]] || fail "no untag in the plan"
	run upgrade run -n 3scale --to 2.9 --yes --skip backup
	assert_success
	run bash -c "'$SIM' sim calls --mutating | sed 's/^/oc /'"
	assert_output "$planned"
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --to 2.9 --yes --skip backup
	assert_success
	assert_output --partial "the key is already gone"
	assert_output --partial "the tag is already gone"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "the re-run changed something"
	run bash -c "'$UPGRADE' plan -n 3scale --to 2.9 3>&- | grep -v '^#'"
	assert_output ""
	# the next hop: a plain run detects 2.9
	run upgrade run -n 3scale --yes --skip backup
	assert_success
	assert_output --partial "2.9 (detected) -> 2.10"
	run image_triggers backend-cron
	assert_output "amp-backend:2.10=backend-cron,backend-redis-svc"
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

@test "a 2.8 install and the default --to 2.10: exit 3, one hop at a time, nothing changed" {
	init_28
	run upgrade run -n 3scale --yes
	assert_failure 3
	assert_output --partial "3scale 2.8 runs (dc/system-app triggers on amp-system:latest): no documented procedure for 2.8 -> 2.10"
	assert_output --partial "hint: upgrade one hop at a time: --to 2.9 first"
	[ "$(mutating_calls | wc -l)" = 0 ] || fail "a mutating call was made"
	# the guide gives no Oracle branch for 2.8 -> 2.9
	run upgrade plan --to 2.9 --database oracle
	assert_failure 2
	assert_output --partial "the 2.8 -> 2.9 procedure has no documented Oracle branch"
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
