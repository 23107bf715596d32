#!/usr/bin/env bats
# The backup (the guide's "Creating a backup of the 3scale project"): `3scale-upgrade
# backup`, and the first step of `run`. Files as oc printed them, modes, the refusal of a
# directory in use, and no secret value in anything the program prints.

load test_helper

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"
	"$SIM" sim init --namespace 3scale --set client_version="$OC_SIM_CLIENT" \
		--set rollout_seconds=0.3 --set terminate_seconds=0.2 \
		--set trigger_lag_seconds=0.1 --set import_seconds=0.2 >/dev/null
}

KINDS="all rolebindings serviceaccounts secrets imagestreamtags cm rolebindingrestrictions limitranges resourcequotas pvc templates cronjobs statefulsets hpa deployments replicasets poddisruptionbudget endpoints"
DCS="system-app system-sidekiq system-sphinx apicast-staging apicast-production backend-listener backend-worker backend-cron zync zync-que system-memcache zync-database backend-redis system-redis system-mysql"

# mode_of PATH: its permission bits, e.g. 700
mode_of() {
	stat -c %a "$1"
}

@test "backup: one file per dc and per kind, byte for byte what oc printed; the directory 0700, the files 0600" {
	run upgrade backup -n 3scale --backup-dir "$BATS_TEST_TMPDIR/bk"
	assert_success
	assert_output --partial "backup: 33 files"
	assert_output --partial "in $BATS_TEST_TMPDIR/bk (mode 0700; they hold the secrets)"
	[ "$(mode_of bk)" = 700 ] || fail "directory mode $(mode_of bk)"
	local want="" dc k f
	for dc in $DCS; do want+="dc-$dc.json"$'\n'; done
	for k in $KINDS; do want+="$k.json"$'\n'; done
	run bash -c "ls bk | sort"
	assert_output "$(printf %s "$want" | sort)"
	for f in bk/*; do
		[ "$(mode_of "$f")" = 600 ] || fail "$f: mode $(mode_of "$f")"
		[ -s "$f" ] || fail "$f is empty"
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || fail "$f: not JSON"
	done
	# nothing changed meanwhile: the files are what oc prints now
	oc get dc/system-app -n 3scale -o json >now.json
	cmp now.json bk/dc-system-app.json
	oc get secrets -n 3scale -o json >now.json
	cmp now.json bk/secrets.json
	# and the backup changed nothing
	run mutating_calls
	assert_output ""
}

@test "no secret value in anything the program prints: text, -v, JSON events" {
	oc get secrets -n 3scale -o json >secrets.json
	# what is not secret: the names and settings anyone may read in the dcs and config maps
	{ oc get dc -n 3scale -o json; oc get cm -n 3scale -o json; } >public.json
	upgrade backup -n 3scale --backup-dir bk1 -v >out1 2>&1
	upgrade backup -n 3scale --backup-dir bk2 -o json >out2 2>&1
	upgrade run -n 3scale --yes --backup-dir bk3 -v >out3 2>&1
	run python3 - secrets.json public.json out1 out2 out3 <<'PY'
import base64, json, sys
public = open(sys.argv[2]).read()
values = set()
for s in json.load(open(sys.argv[1]))["items"]:
    for v in (s.get("data") or {}).values():
        if len(v) >= 8:
            values.add(v)
            plain = base64.b64decode(v).decode("utf-8", "replace")
            # a value that is also public (a user name such as the namespace's) proves nothing
            if len(plain) >= 6 and plain not in public:
                values.add(plain)
assert len(values) >= 10, "too few secret values to check: %d" % len(values)
for path in sys.argv[3:]:
    text = open(path, encoding="utf-8", errors="replace").read()
    leaked = [v for v in values if v in text]
    assert not leaked, "%s prints %d secret values, e.g. %r" % (path, len(leaked), leaked[0][:12])
print("ok")
PY
	assert_output "ok"
	# while the files hold them
	cmp secrets.json bk1/secrets.json
}

@test "a backup directory that exists and is not empty is refused: exit 3, nothing changed, nothing written" {
	mkdir used
	echo keep >used/notes
	run upgrade run -n 3scale --yes --backup-dir used
	assert_failure 3
	assert_output --partial "error: --backup-dir used is not empty: refusing to write the backup there"
	run mutating_calls
	assert_output ""
	run ls used
	assert_output "notes"
	run upgrade backup -n 3scale --backup-dir used/notes
	assert_failure 3
	assert_output --partial "exists and is not a directory"
	# an empty one is taken, and made private
	mkdir -m 755 empty
	run upgrade backup -n 3scale --backup-dir empty
	assert_success
	[ "$(mode_of empty)" = 700 ] || fail "mode $(mode_of empty)"
}

@test "run saves the backup before its first change; a re-run of a begun upgrade skips it, --backup-dir saves one all the same" {
	run upgrade run -n 3scale --yes
	assert_success
	assert_line --index 1 "[1/37] backup: the dcs and the kinds the guide saves, one JSON file each"
	assert_line --regexp '^\[1/37\] done \([0-9.]+s\): 33 files, [0-9]+ KiB, in \./3scale-backup-3scale-[0-9]{8}T[0-9]{6}Z '
	assert_line --index 3 "[2/37] cm/system-environment: AMP_RELEASE 2.9 -> 2.10"
	run bash -c "ls -d 3scale-backup-3scale-*"
	assert_success
	[ "${#lines[@]}" = 1 ] || fail "backups: $output"
	# the backup is of the 2.9 state
	run python3 -c 'import json,glob; d=json.load(open(glob.glob("3scale-backup-3scale-*/cm.json")[0])); print([i["data"]["AMP_RELEASE"] for i in d["items"] if i["metadata"]["name"]=="system-environment"][0])'
	assert_output "2.9"
	run upgrade run -n 3scale --yes
	assert_success
	assert_line --regexp '^\[1/37\] already done \([0-9.]+s\): the upgrade has begun: a backup now would not be of the 2\.9 state'

	run bash -c "ls -d 3scale-backup-3scale-* | wc -l"
	assert_output 1
	run upgrade run -n 3scale --yes --backup-dir again
	assert_success
	[ -s again/secrets.json ] || fail "no backup in again/"
}
