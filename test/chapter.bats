#!/usr/bin/env bats
# The whole "Upgrading 3scale images" chapter (2.9 -> 2.10) against oc-sim's whole
# template-based install: every section whose dcs exist, in the guide's order, for the
# install variants; plan equals the run; re-runs change nothing; failures of sections
# other than system; --only and --skip.

load test_helper

setup() {
	common_setup
	# a run saves its backup in the current directory
	cd "$BATS_TEST_TMPDIR"
}

# the sections of procedures.md §1: image stream, dcs (in the guide's order)
STREAMS="amp-system amp-apicast amp-backend amp-zync system-memcached zync-database-postgresql backend-redis system-redis system-mysql"
DCS="system-app system-sidekiq system-sphinx apicast-staging apicast-production backend-listener backend-worker backend-cron zync zync-que system-memcache zync-database backend-redis system-redis system-mysql"

# the documented --containers of each dc (the guide's, init containers included)
containers_of() {
	case $1 in
	system-app) echo system-master,system-developer,system-provider ;;
	system-sidekiq) echo system-sidekiq,check-svc ;;
	system-sphinx) echo system-sphinx,system-master-svc ;;
	apicast-production) echo apicast-production,system-master-svc ;;
	backend-worker | backend-cron) echo "$1,backend-redis-svc" ;;
	zync) echo zync,zync-db-svc ;;
	zync-que) echo que ;;
	system-memcache) echo memcache ;;
	zync-database) echo postgresql ;;
	*) echo "$1" ;;
	esac
}

stream_of() {
	case $1 in
	system-*) case $1 in system-memcache) echo system-memcached ;; system-redis | system-mysql | system-postgresql) echo "$1" ;; *) echo amp-system ;; esac ;;
	apicast-*) echo amp-apicast ;;
	backend-redis) echo backend-redis ;;
	backend-*) echo amp-backend ;;
	zync | zync-que) echo amp-zync ;;
	zync-database) echo zync-database-postgresql ;;
	esac
}

# chapter_init [oc-sim sim init options]: the whole install with short rollouts
chapter_init() {
	"$SIM" sim init --namespace 3scale --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.3 --set terminate_seconds=0.2 \
		--set trigger_lag_seconds=0.1 --set import_seconds=0.2 "$@" >/dev/null
}

# assert_chapter_done DC...: each dc's image trigger is on its stream's 2.10 tag (the
# system ones on 2.10-oracle with SUFFIX=-oracle), with the documented containers, and
# nothing else
assert_chapter_done() {
	local dc want
	for dc in "$@"; do
		want="$(stream_of "$dc"):2.10"
		[[ $dc == system-app || $dc == system-sidekiq || $dc == system-sphinx ]] && want+=${SUFFIX:-}
		run image_triggers "$dc"
		assert_output "$want=$(containers_of "$dc")"
	done
}

# the latestVersion of each dc, as "dc=N" words
versions() {
	local dc
	for dc in "$@"; do
		printf '%s=%s ' "$dc" "$(dc_field "$dc" "d['status']['latestVersion']")"
	done
}

@test "the whole chapter: every tag, every import, then each dc in the guide's order; the documented state" {
	chapter_init
	run upgrade run -n 3scale --yes
	assert_success
	# the tags first, in the guide's order, then the triggers, dc by dc
	run bash -c "'$SIM' sim calls --mutating | awk '{print \$1, \$2, \$3}'"
	local want="patch cm system-environment"$'\n' s dc
	for s in $STREAMS; do want+="patch imagestream/$s --type=json"$'\n'; done
	for dc in $DCS; do want+="set triggers dc/$dc"$'\n'"set triggers dc/$dc"$'\n'; done
	assert_output "${want%$'\n'}"
	assert_chapter_done $DCS
	# the images with a new name rolled out once; the database images (same name, same
	# digest) could not, and nothing waited for them
	run versions $DCS
	assert_output "system-app=2 system-sidekiq=2 system-sphinx=2 apicast-staging=2 apicast-production=2 backend-listener=2 backend-worker=2 backend-cron=2 zync=2 zync-que=2 system-memcache=2 zync-database=1 backend-redis=1 system-redis=1 system-mysql=1 "
	run upgrade status -n 3scale
	assert_success
}

@test "the whole chapter: plan's commands are the run's mutating calls; a re-run changes nothing" {
	chapter_init
	run bash -c "'$UPGRADE' plan -n 3scale 3>&- | grep -v '^#'"
	assert_success
	local planned=$output
	run upgrade run -n 3scale --yes
	assert_success
	run bash -c "'$SIM' sim calls --mutating | sed 's/^/oc /'"
	assert_output "$planned"
	local before
	before=$(mutating_calls | wc -l)
	run upgrade run -n 3scale --yes
	assert_success
	# only the final check runs again
	assert_output --regexp "upgrade complete in [0-9][0-9hms.]*: 1 step done, 36 already done"
	[ "$(mutating_calls | wc -l)" = "$before" ] || fail "the re-run changed something"
	run bash -c "'$UPGRADE' plan -n 3scale 3>&- | grep -v '^#'"
	assert_output ""
}

@test "status: every section's steps pending before, the whole hop done after" {
	chapter_init
	run upgrade status -n 3scale
	assert_failure 1
	assert_line --regexp '^\[[0-9]+/[0-9]+\] pending +add image stream tag amp-system:2.10'
	assert_output --partial "pending  dc/backend-worker: trigger amp-backend:2.9 -> amp-backend:2.10, roll out: trigger still on amp-backend:2.9"
	upgrade run -n 3scale --yes >/dev/null 2>&1
	run upgrade status -n 3scale
	assert_success
	assert_output --partial "done     dc/system-mysql"
	refute_output --partial "pending"
}

@test "--only and --skip: nothing outside the sections asked for is changed" {
	chapter_init
	run upgrade run -n 3scale --yes --only apicast,zync
	assert_success
	run bash -c "'$SIM' sim calls --mutating | awk '{print \$1 == \"set\" ? \$3 : \$2}' | sort -u"
	assert_output "$(printf '%s\n' dc/apicast-production dc/apicast-staging dc/zync dc/zync-que imagestream/amp-apicast imagestream/amp-zync)"
	assert_chapter_done apicast-staging apicast-production zync zync-que
	run image_triggers system-app
	assert_output "amp-system:2.9=system-master,system-developer,system-provider"
	run upgrade status -n 3scale --only apicast,zync
	assert_success
	run upgrade status -n 3scale
	assert_failure 1
	run upgrade run -n 3scale --yes --skip system,apicast,zync,backend-redis,system-redis,system-database
	assert_success
	assert_chapter_done backend-listener backend-worker backend-cron system-memcache zync-database
	run image_triggers backend-redis
	assert_output "backend-redis:2.9=backend-redis"
	run upgrade run -n 3scale --only bogus
	assert_failure 2
	assert_output --partial "unknown section 'bogus'"
}

@test "an import of another stream fails: exit 1 naming it, and no trigger of any dc was touched" {
	chapter_init --set import_result.amp-backend=Unauthorized
	run upgrade run -n 3scale --yes
	assert_failure 1
	assert_output --partial "error: the import of amp-backend:2.10 failed (Unauthorized)"
	assert_output --partial "no trigger was changed"
	run bash -c "'$SIM' sim calls --mutating | grep -c 'set triggers'"
	assert_output 0
}

@test "a failing rollout of backend-worker: exit 1, the dcs before it done, none after it touched" {
	chapter_init --set fail_rollout=backend-worker
	run upgrade run -n 3scale --yes
	assert_failure 1
	assert_output --partial "error: rollout #2 of dc/backend-worker failed"
	assert_chapter_done system-app system-sidekiq system-sphinx apicast-staging apicast-production backend-listener
	run bash -c "'$SIM' sim calls --mutating | grep -c 'dc/backend-cron\|dc/zync'"
	assert_output 0
}

@test "a rollout of apicast-staging that never finishes: exit 4, and the resume command" {
	# each wait has its own --timeout: only the one that cannot end may reach it
	chapter_init --set never_finish=apicast-staging
	run upgrade run -n 3scale --yes --only apicast --timeout 10s
	assert_failure 4
	assert_output --partial "error: timed out after 10.0s waiting for the rollout of dc/apicast-staging"
	assert_output --partial "re-run: 3scale-upgrade run --only apicast -n 3scale --from 2.9 --to 2.10 --database other --timeout 10s"
	run bash -c "'$SIM' sim calls --mutating | grep -c dc/apicast-production"
	assert_output 0
}

@test "a database image that imports to a new digest rolls out, and the run waits for it before the next dc" {
	chapter_init --set image_updates=backend-redis
	run upgrade run -n 3scale --yes --only backend-redis,system-redis
	assert_success
	run versions backend-redis system-redis
	assert_output "backend-redis=2 system-redis=1 "
	# system-redis's trigger moved only after backend-redis's rollout was over, old pods included
	"$SIM" sim timeline >"$BATS_TEST_TMPDIR/timeline.json"
	run python3 - "$BATS_TEST_TMPDIR/timeline.json" "$OC_SIM_STATE/calls.jsonl" <<'PY'
import json, sys
tl = json.load(open(sys.argv[1]))
calls = [json.loads(l) for l in open(sys.argv[2])]
gone = tl["dcs"]["backend-redis"][-1]["old_pods_gone"]
moved = min(c["t"] for c in calls if c["argv"][:3] == ["set", "triggers", "dc/system-redis"])
assert gone is not None and gone <= moved, (gone, moved)
print("ok")
PY
	assert_output "ok"
}

@test "--parallel: the system section first, then the other sections side by side, each section's dcs in the guide's order" {
	chapter_init
	run bash -c "'$UPGRADE' plan -n 3scale --parallel 3>&- | grep -v '^#'"
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/planned"
	run upgrade run -n 3scale --yes --parallel
	assert_success
	# the plan's commands are the run's: the same ones, and each object's in the same
	# order; the tags and the system section's first, as planned, the rest interleaved
	"$SIM" sim calls --mutating | sed 's/^/oc /' >"$BATS_TEST_TMPDIR/run"
	run python3 - "$BATS_TEST_TMPDIR/planned" "$BATS_TEST_TMPDIR/run" <<'PY'
import sys
planned = open(sys.argv[1]).read().split("\n")
ran = open(sys.argv[2]).read().split("\n")
planned = [l for l in planned if l]
ran = [l for l in ran if l]
assert sorted(planned) == sorted(ran), (planned, ran)
def by_object(lines):
    d = {}
    for l in lines:
        d.setdefault(" ".join(l.split()[2:4]), []).append(l)
    return d
assert by_object(planned) == by_object(ran)
first = [i for i, l in enumerate(planned) if "dc/system-sphinx" in l][-1] + 1
assert planned[:first] == ran[:first], (planned[:first], ran[:first])
print("ok")
PY
	assert_output "ok"
	assert_chapter_done $DCS
	run versions $DCS
	assert_output "system-app=2 system-sidekiq=2 system-sphinx=2 apicast-staging=2 apicast-production=2 backend-listener=2 backend-worker=2 backend-cron=2 zync=2 zync-que=2 system-memcache=2 zync-database=1 backend-redis=1 system-redis=1 system-mysql=1 "
	# no dc moved before the dc before it in its section was done (old pods gone), and no
	# other section before the system section was done; the times are the simulator's
	"$SIM" sim timeline >"$BATS_TEST_TMPDIR/timeline.json"
	run python3 - "$BATS_TEST_TMPDIR/timeline.json" "$OC_SIM_STATE/calls.jsonl" <<'PY'
import json, sys
tl = json.load(open(sys.argv[1]))
calls = [json.loads(l) for l in open(sys.argv[2])]
def moved(dc):
    return min(c["t"] for c in calls if c["argv"][:3] == ["set", "triggers", "dc/" + dc])
def done(dc):
    r = tl["dcs"][dc][-1]
    return max(r["complete"], r["old_pods_gone"] or 0)
sections = [["system-app", "system-sidekiq", "system-sphinx"], ["apicast-staging", "apicast-production"],
            ["backend-listener", "backend-worker", "backend-cron"], ["zync", "zync-que"]]
for sec in sections:
    for a, b in zip(sec, sec[1:]):
        assert done(a) <= moved(b), (a, done(a), b, moved(b))
for dc in ["apicast-staging", "backend-listener", "zync", "system-memcache", "zync-database", "backend-redis",
           "system-redis", "system-mysql"]:
    assert done("system-sphinx") <= moved(dc), dc
print("ok")
PY
	assert_output "ok"
	run upgrade status -n 3scale
	assert_success
}

@test "--parallel: a section goes on while another's dc still rolls out; the timeout names that dc" {
	chapter_init --set never_finish=backend-listener
	run upgrade run -n 3scale --yes --parallel --timeout 20s
	assert_failure 4
	assert_output --partial "error: timed out after 20.0s waiting for the rollout of dc/backend-listener: "
	assert_output --regexp "hint: stopped at step [0-9]+ of [0-9]+ \(--parallel: dc/backend-listener\); steps before step [0-9]+ are done"
	# no wave waits for backend-listener: the apicast and zync sections finished beside it
	assert_chapter_done apicast-staging apicast-production zync zync-que system-memcache system-mysql
	run bash -c "'$SIM' sim calls --mutating | grep -c 'dc/backend-worker\\|dc/backend-cron'"
	assert_output 0
	run upgrade status -n 3scale
	assert_failure
	assert_output --partial "dc/backend-worker"
}

# variant_run INIT-OPTIONS...: the whole chapter on that install; sets $output
variant_run() {
	chapter_init "$@"
	run upgrade run -n 3scale --yes
	assert_success
}

@test "Oracle: the system dcs move to the -oracle tags, the other sections as usual; no system database section" {
	variant_run --database oracle
	assert_output --partial "database oracle (detected)"
	assert_line "skipped, not in the namespace: system-database"
	SUFFIX=-oracle assert_chapter_done system-app system-sidekiq system-sphinx apicast-staging backend-cron zync-que \
		system-memcache zync-database backend-redis system-redis
	run oc get dc/system-mysql -n 3scale -o json
	assert_failure
	run upgrade status -n 3scale
	assert_success
	assert_output --partial "skipped  section system-database: dc/system-mysql or dc/system-postgresql: not in namespace 3scale"
}

@test "postgresql instead of mysql: its section follows the guide's pattern, and mysql is not missed" {
	variant_run --system-database postgresql
	assert_chapter_done system-postgresql system-redis backend-redis zync-database
	refute_output --partial "system-mysql"
	run bash -c "'$SIM' sim calls --mutating | grep -c 'system-postgresql'"
	assert_output 3
}

@test "an external system database and external Redis: those sections are skipped and said so" {
	variant_run --system-database external --redis external
	assert_line "skipped, not in the namespace: backend-redis, system-redis, system-database"
	assert_output --regexp "upgrade complete in [0-9][0-9hms.]*: [0-9]+ steps done, 1 already done, 3 not in the namespace"
	assert_line --regexp '^\[[0-9]+/[0-9]+\] section backend-redis: dc/backend-redis$'
	assert_line --regexp '^\[[0-9]+/[0-9]+\] skipped \(0\.[0-9]s\): not in namespace 3scale$'
	assert_chapter_done system-app system-sphinx apicast-production backend-worker zync system-memcache zync-database
	run bash -c "'$SIM' sim calls --mutating | grep -c '/backend-redis \\|/system-redis \\|system-mysql\\|system-postgresql'"
	assert_output 0
	run upgrade status -n 3scale
	assert_success
}

# the version number in cm/system-environment
amp_release() {
	oc get cm/system-environment -n 3scale -o json | py "d['data']['AMP_RELEASE']"
}

@test "the version number: the guide's patch, read back; --only system leaves it alone" {
	chapter_init
	upgrade run -n 3scale --yes --only system >/dev/null 2>&1
	run amp_release
	assert_output "2.9"
	run upgrade run -n 3scale --yes --only release
	assert_success
	assert_line "      + oc patch cm system-environment --patch '{\"data\": {\"AMP_RELEASE\": \"2.10\"}}' -n 3scale"
	assert_output --partial "read back: AMP_RELEASE is 2.10"
	run amp_release
	assert_output "2.10"
	run upgrade status -n 3scale --only release
	assert_success
}

@test "a version number that is neither --from nor --to: exit 3, nothing changed" {
	chapter_init
	oc patch cm system-environment --patch '{"data": {"AMP_RELEASE": "2.8"}}' -n 3scale >/dev/null
	local before
	before=$(mutating_calls)
	run upgrade run -n 3scale --yes
	assert_failure 3
	assert_output --partial "error: cm/system-environment has AMP_RELEASE '2.8', but the dcs' image triggers say 3scale 2.9 runs (dc/system-app triggers on amp-system:2.9): only 2.9 or 2.10 fit the 2.9 -> 2.10 hop"
	run upgrade run -n 3scale --yes --from 2.9
	assert_failure 3
	assert_output --partial "error: cm/system-environment has AMP_RELEASE '2.8', but this is the 2.9 -> 2.10 hop: refusing to change it"
	# --only system does not touch it, but the detected --from is checked against it all the same
	run upgrade run -n 3scale --yes --only system
	assert_failure 3
	assert_output --partial "AMP_RELEASE '2.8', but the dcs' image triggers say 3scale 2.9 runs"
	[ "$(mutating_calls)" = "$before" ] || fail "a mutating call was made"
}

@test "confirm: a container that does not run its new image is exit 1, naming the dc and the container" {
	chapter_init
	upgrade run -n 3scale --yes >/dev/null 2>&1
	oc patch dc/backend-cron -n 3scale --type=json \
		-p '[{"op": "replace", "path": "/spec/template/spec/initContainers/0/image", "value": "registry.example.com/other@sha256:0000"}]' >/dev/null
	run upgrade run -n 3scale --yes --only confirm
	assert_failure 1
	assert_output --partial "error: 1 dc does not run the new images: dc/backend-cron container backend-redis-svc runs registry.example.com/other@sha256:0000"
	run upgrade status -n 3scale --only confirm
	assert_failure 1
	assert_output --partial "not yet on the new images: dc/backend-cron"
}

@test "SIGKILL after a sample of the whole chapter's oc calls, run after run: each re-run resumes past the cut, the last finishes, each change applied once" {
	# one upgrade, killed after its 3rd oc call, then the first re-run after its 60th (a
	# fresh run's preflight and backup take some 40) and each later one 15 calls later
	# than the one before (a resumed run checks each dc already moved, some 4 calls a
	# dc), until a run finishes: each resumes what the one before left cut (hops.bats
	# cuts the chained run too)
	local cut=3 step=15 walked=0
	make_cutter
	chapter_init
	while :; do
		rm -f "$BATS_TEST_TMPDIR/cut/count"
		CUT=$cut PATH="$BATS_TEST_TMPDIR/cut:$PATH" run "$UPGRADE" run -n 3scale --yes 3>&-
		[ "$status" -eq 0 ] && break
		[ "$status" -eq 137 ] || fail "cut after call $cut of run $((walked + 1)): exit $status, not killed: $output"
		walked=$((walked + 1))
		if [ "$cut" -lt 60 ]; then cut=60; else cut=$((cut + step)); fi
		[ "$walked" -le 20 ] || fail "20 runs cut and the upgrade is not done"
	done
	[ "$walked" -ge 3 ] || fail "only $walked runs cut: the run is shorter than expected"
	assert_chapter_done $DCS
	run bash -c "'$SIM' sim calls --mutating | sort | uniq -d"
	assert_output ""
	run versions system-app backend-cron zync-que system-mysql
	assert_output "system-app=2 backend-cron=2 zync-que=2 system-mysql=1 "
	echo "# $walked runs cut (after call 3, 60, then $step calls later each run)" >&3
}
