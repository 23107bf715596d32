#!/usr/bin/env bats
# test/patch-parity.bats - oc-sim's patch engine held against Kubernetes' own.
#
# For each patch the procedures send (the exact texts, taken from `3scale-upgrade plan`),
# and a few more of the same kinds: take oc-sim's object as it is (`oc get -o json`),
# apply the patch to that file with `kubectl patch --local` (Kubernetes' libraries, no
# server: json-patch for --type=json and merge, strategicpatch for ConfigMaps), apply it
# with oc-sim as the program runs it, read oc-sim's object back, and require the same
# document, once what a server does on its own is accounted for (see parity() below).
# The apiserver applies a JSON or merge patch with the very library kubectl uses
# (k8s.io/apiserver endpoints/handlers/patch.go: jsonpatch.DecodePatch + Apply), so where
# the two differ, oc-sim differs from a real cluster - except for what the server does
# after the patch (image stream tags keyed by name, defaults, generations), which
# oc-reference §3 documents and server_view() models.
#
# Works with kubectl 1.20 (Debian 12's kubernetes-client) and current ones: it only uses
# `patch --local -f FILE --type=T -p PATCH -o json`, and asserts no kubectl error text.
# $KUBECTL picks another kubectl.

load test_helper

KUBECTL=${KUBECTL:-kubectl}
NS=3scale
INVALID='The request is invalid: the server rejected our request due to an error in our request'

setup_file() {
	command -v "$KUBECTL" >/dev/null ||
		{ echo "# kubectl is needed (Debian: kubernetes-client)" >&3; return 1; }
	local d=$BATS_FILE_TMPDIR
	# the patches as the program sends them: `plan --database other` needs no cluster
	# (--oc /bin/false: it must not run oc at all)
	"$UPGRADE" plan --database other --oc /bin/false >"$d/plan.txt"
	# system-postgresql's tag patch is planned only for a project with that dc
	OC_SIM_STATE=$d/sim-pg PATH=/usr/bin:$PATH "$SIM" sim init --system-database postgresql >/dev/null
	OC_SIM_STATE=$d/sim-pg PATH=/usr/bin:$PATH "$UPGRADE" plan -n "$NS" --oc "$SIM" >"$d/plan-pg.txt"
	mkdir -p "$d/p"
	split_plan "$d/plan.txt" "$d/p"
	split_plan "$d/plan-pg.txt" "$d/p"
}

# split_plan PLAN DIR: for each `oc patch` line of PLAN, DIR/NAME.argv (the oc arguments,
# NUL-separated, with -n NS) and DIR/NAME.patch (the text after -p/--patch); DIR/streams
# lists the image streams in the plan's order
split_plan() {
	python3 - "$1" "$2" "$NS" <<'PY'
import os, shlex, sys
plan, out, ns = sys.argv[1:4]
for line in open(plan):
    if not line.startswith("oc patch "):
        continue
    argv = shlex.split(line)[1:]
    target = argv[1]
    kind, name = target.split("/", 1) if "/" in target else (target, argv[2])
    opt = "-p" if "-p" in argv else "--patch"
    if "-n" not in argv:
        argv += ["-n", ns]
    with open(os.path.join(out, name + ".argv"), "w") as f:
        f.write("\0".join(argv) + "\0")
    with open(os.path.join(out, name + ".patch"), "w") as f:
        f.write(argv[argv.index(opt) + 1])
    if kind == "imagestream":
        streams = os.path.join(out, "streams")
        have = open(streams).read().split() if os.path.exists(streams) else []
        if name not in have:
            with open(streams, "a") as f:
                f.write(name + "\n")
PY
}

setup() {
	common_setup
	# kubectl --local reads no cluster; an empty config keeps it off the user's one (and
	# kubectl 1.20 quiet about a missing file)
	export KUBECONFIG=$BATS_TEST_TMPDIR/kubeconfig
	: >"$KUBECONFIG"
	P=$BATS_FILE_TMPDIR/p
	T=$BATS_TEST_TMPDIR
}

# a cluster that stands still: no import or rollout finishes during a test, so a
# document read twice differs only by what the patch in between did
init() {
	sim_init --set import_seconds=600 --set rollout_seconds=600 "$@"
}

# snapshot KIND/NAME FILE: oc-sim's object as it is
snapshot() {
	oc get "$1" -n "$NS" -o json >"$2"
}

# kpatch FILE TYPE PATCH OUT: Kubernetes' result of PATCH on FILE into OUT
kpatch() {
	"$KUBECTL" patch --local -f "$1" --type="$2" -p "$3" -o json >"$4"
}

# the oc arguments the program sends for plan line NAME, into the array ARGV
plan_argv() {
	[ -s "$P/$1.argv" ] || fail "no oc patch for $1 in the plan"
	mapfile -d '' -t ARGV <"$P/$1.argv"
}

# the text oc 3.11 prints for a patch that changes nothing
no_change() {
	if [ "$OC_SIM_CLIENT" = 3.11 ]; then echo "$1 not patched"; else echo "$1 patched (no change)"; fi
}

# jf FILE EXPR: EXPR over the JSON document in FILE as d
jf() {
	py "$2" <"$1"
}

# parity ORIG KUBE SIM: SIM (oc-sim's object after the patch) must be KUBE (kubectl's
# result of the patch on ORIG) as the server stores it. Key order does not matter, list
# order does. On a difference, both views are printed as a diff.
#
# Dropped on both sides, as the server sets them by itself:
#  - metadata.resourceVersion: opaque, a new value on every write; kubectl --local keeps
#    the old one. (The tests that expect no write compare it exactly.)
#  - metadata.generation: the server's counter of spec changes, and the DC controller
#    bumps it again when it instantiates a rollout (openshift-apiserver's DC strategy:
#    a new spec or latestVersion means generation+1). The tests of spec changes
#    assert it on their own.
#  - metadata.managedFields: the apiserver's field-manager bookkeeping of every write;
#    kubectl --local does not add it (oc-sim does not model it).
#  - status: a patch of the object itself cannot write it (the strategies keep the old
#    status), and the controllers rewrite it (imports, rollouts).
# Everything else (name, uid, creationTimestamp, labels, annotations, spec, data) is
# compared as is.
#
# server_view: what the server does to an ImageStream's spec.tags on a write (oc-reference
# §3): the tags are a map keyed by name, so of two with one name the last wins, and they
# come back sorted by name; a tag gets the API's defaults (annotations null - a Go field
# without omitempty -, importPolicy {}, referencePolicy Source), and a tag that is new or
# changed is stamped with the stream's new generation (SIM's metadata.generation, which
# the tests assert to be ORIG's + 1); an unchanged tag keeps its own.
parity() {
	python3 - "$@" <<'PY'
import copy, difflib, json, sys

def load(p):
    with open(p) as f:
        return json.load(f)

orig, kube, sim = (load(p) for p in sys.argv[1:4])

def strip(doc):
    doc = copy.deepcopy(doc)
    md = doc.get("metadata") or {}
    for k in ("resourceVersion", "generation", "managedFields"):
        md.pop(k, None)
    doc.pop("status", None)
    return doc

def nogen(t):
    return {k: v for k, v in t.items() if k != "generation"}

def server_view(kube):
    exp = copy.deepcopy(kube)
    if exp.get("kind") == "ImageStream":
        newgen = sim["metadata"].get("generation")
        old = {t["name"]: t for t in orig["spec"].get("tags") or []}
        byname = {}
        for t in exp["spec"].get("tags") or []:
            byname[t["name"]] = t
        tags = []
        for name in sorted(byname):
            t = copy.deepcopy(byname[name])
            t.setdefault("annotations", None)
            t.setdefault("importPolicy", {})
            t.setdefault("referencePolicy", {"type": "Source"})
            o = old.get(name)
            if o is not None and nogen(o) == nogen(t):
                t.pop("generation", None)
                if "generation" in o:
                    t["generation"] = o["generation"]
            else:
                t["generation"] = newgen
            tags.append(t)
        exp["spec"]["tags"] = tags
    return strip(exp)

want, got = server_view(kube), strip(sim)
if want != got:
    a = json.dumps(want, indent=2, sort_keys=True).splitlines()
    b = json.dumps(got, indent=2, sort_keys=True).splitlines()
    print("oc-sim's object differs from kubectl's result (as the server stores it):")
    print("\n".join(difflib.unified_diff(a, b, "kubectl", "oc-sim", lineterm="", n=4)))
    sys.exit(1)
PY
}

# same_doc A B: the two documents are equal (key order aside), resourceVersion included
same_doc() {
	python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:3]); sys.exit(a!=b)' "$1" "$2" ||
		fail "$(diff "$1" "$2")"
}

# tag_first_add IS: the program's tag patch of IS, on a stream without that tag
tag_first_add() {
	local is=$1
	plan_argv "$is"
	snapshot "imagestream/$is" "$T/orig.json"
	[ "$(jf "$T/orig.json" "[t['name'] for t in d['spec']['tags'] if t['name']=='2.10']")" = "[]" ] ||
		fail "$is has a tag 2.10 already"
	kpatch "$T/orig.json" json "$(cat "$P/$is.patch")" "$T/kube.json"
	run oc "${ARGV[@]}"
	assert_success
	assert_output "imagestream.image.openshift.io/$is patched"
	snapshot "imagestream/$is" "$T/sim.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
	assert_success
	# a spec change: the stream's generation + 1, which the new tag carries
	[ "$(jf "$T/sim.json" "d['metadata']['generation']")" = $(($(jf "$T/orig.json" "d['metadata']['generation']") + 1)) ]
}

# refused KIND/NAME PATCH: kubectl and oc-sim both refuse the JSON patch
refused() {
	snapshot "$1" "$T/orig.json"
	run --separate-stderr "$KUBECTL" patch --local -f "$T/orig.json" --type=json -p "$2" -o json
	assert_failure
	assert_output ''
	run --separate-stderr oc patch "$1" --type=json -p "$2" -n "$NS"
	[ "$status" -eq 1 ] || fail "oc-sim: exit $status, stdout: $output"
	assert_output ''
	# shellcheck disable=SC2154 # $stderr: set by run --separate-stderr
	[ "$stderr" = "$INVALID" ] || fail "oc-sim's stderr: $stderr"
	snapshot "$1" "$T/after.json"
	same_doc "$T/orig.json" "$T/after.json"
}

# --- 1. the tag patches ------------------------------------------------------------

@test "the plan's tag patches are the ones this suite covers" {
	run cat "$P/streams"
	assert_output "$(printf '%s\n' amp-system amp-apicast amp-backend amp-zync system-memcached \
		zync-database-postgresql backend-redis system-redis system-mysql system-postgresql)"
}

@test "tag patch amp-system: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add amp-system
}

@test "tag patch amp-apicast: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add amp-apicast
}

@test "tag patch amp-backend: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add amp-backend
}

@test "tag patch amp-zync: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add amp-zync
}

@test "tag patch system-memcached: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add system-memcached
}

@test "tag patch zync-database-postgresql: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add zync-database-postgresql
}

@test "tag patch backend-redis: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add backend-redis
}

@test "tag patch system-redis: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add system-redis
}

@test "tag patch system-mysql: first add of 2.10 as kubectl applies it" {
	init
	tag_first_add system-mysql
}

@test "tag patch system-postgresql: first add of 2.10 as kubectl applies it" {
	init --system-database postgresql
	tag_first_add system-postgresql
}

# kubectl's JSON patch appends a second "2.10" to the list; the server keeps tags keyed by
# name (oc-reference §3), so the same tag again is no change at all. oc-sim must follow the
# server, not kubectl's list.
@test "tag patch sent twice: kubectl appends a duplicate, the server keeps one (no change)" {
	init
	tag_first_add amp-system
	cp "$T/sim.json" "$T/once.json"
	kpatch "$T/once.json" json "$(cat "$P/amp-system.patch")" "$T/kube2.json"
	[ "$(jf "$T/kube2.json" "[t['name'] for t in d['spec']['tags']]")" = '["2.10", "2.9", "2.10"]' ]
	run oc "${ARGV[@]}"
	assert_success
	assert_output "$(no_change imagestream.image.openshift.io/amp-system)"
	snapshot imagestream/amp-system "$T/twice.json"
	same_doc "$T/once.json" "$T/twice.json"
	run parity "$T/once.json" "$T/kube2.json" "$T/twice.json"
	assert_success
}

# re-adding an existing name with other content: kubectl has two "2.9", the server
# replaces the one it has (last wins) and stamps it with the new generation
@test "re-adding tag 2.9 with another image: kubectl appends, the server replaces it" {
	init
	snapshot imagestream/amp-system "$T/orig.json"
	local patch='[{"op": "add", "path": "/spec/tags/-", "value": {"annotations": {"openshift.io/display-name": "AMP system 2.9"}, "from": { "kind": "DockerImage", "name": "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.9.1"}, "name": "2.9", "referencePolicy": {"type": "Source"}}}]'
	kpatch "$T/orig.json" json "$patch" "$T/kube.json"
	[ "$(jf "$T/kube.json" "[t['from']['name'] for t in d['spec']['tags'] if t['name']=='2.9']")" = \
		'["registry.redhat.io/3scale-amp2/system-rhel7:3scale2.9", "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.9.1"]' ]
	run oc patch imagestream/amp-system --type=json -p "$patch" -n "$NS"
	assert_success
	assert_output "imagestream.image.openshift.io/amp-system patched"
	snapshot imagestream/amp-system "$T/sim.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
	assert_success
	run jf "$T/sim.json" "[(t['name'], t['from']['name'], t['generation'] == d['metadata']['generation']) for t in d['spec']['tags']]"
	assert_output '[["2.9", "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.9.1", true]]'
	[ "$(jf "$T/sim.json" "d['metadata']['generation']")" = $(($(jf "$T/orig.json" "d['metadata']['generation']") + 1)) ]
}

# the comparison is not vacuous: a wrong result of the same patch fails it
@test "parity fails on a wrong patch result and ignores key order" {
	init
	tag_first_add amp-system
	local bad
	for bad in \
		"d['spec']['tags'].append(dict(d['spec']['tags'][0]))" \
		"d['spec']['tags'].reverse()" \
		"d['spec']['tags'][0]['annotations']['openshift.io/display-name'] = 'AMP system 2.1'" \
		"d['spec']['tags'][1]['generation'] = d['metadata']['generation']" \
		"d['spec']['tags'][0].pop('importPolicy')" \
		"d['metadata']['labels']['x'] = 'y'"; do
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $bad; json.dump(d, open(sys.argv[2], 'w'))" \
			"$T/sim.json" "$T/bad.json"
		run parity "$T/orig.json" "$T/kube.json" "$T/bad.json"
		assert_failure
	done
	# keys in another order, and what the server changes by itself: still the same
	python3 -c "
import json, sys
def rev(x):
    if isinstance(x, dict):
        return {k: rev(x[k]) for k in reversed(list(x))}
    if isinstance(x, list):
        return [rev(i) for i in x]
    return x
d = rev(json.load(open(sys.argv[1])))
d['metadata']['resourceVersion'] = '1'
d['status'] = {}
json.dump(d, open(sys.argv[2], 'w'))" "$T/sim.json" "$T/reordered.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/reordered.json"
	assert_success
}

# --- 2. the version number ---------------------------------------------------------

@test "release patch: the plan's strategic merge patch of cm/system-environment as kubectl" {
	init
	plan_argv system-environment
	[ "${ARGV[*]:0:3}" = "patch cm system-environment" ] && [[ " ${ARGV[*]} " != *" --type"* ]] ||
		fail "not a strategic merge patch of the cm: ${ARGV[*]}"
	snapshot cm/system-environment "$T/orig.json"
	kpatch "$T/orig.json" strategic "$(cat "$P/system-environment.patch")" "$T/kube.json"
	run oc "${ARGV[@]}"
	assert_success
	assert_output "configmap/system-environment patched"
	snapshot cm/system-environment "$T/sim.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
	assert_success
	[ "$(jf "$T/sim.json" "d['data']['AMP_RELEASE']")" = 2.10 ]
	# sent again: the same document, no write
	run oc "${ARGV[@]}"
	assert_success
	assert_output "$(no_change configmap/system-environment)"
	snapshot cm/system-environment "$T/again.json"
	same_doc "$T/sim.json" "$T/again.json"
}

@test "release patch as --type=merge of cm/system-environment as kubectl" {
	init
	local patch='{"data": {"AMP_RELEASE": "2.10"}}'
	snapshot cm/system-environment "$T/orig.json"
	kpatch "$T/orig.json" merge "$patch" "$T/kube.json"
	run oc patch cm/system-environment --type=merge -p "$patch" -n "$NS"
	assert_success
	assert_output "configmap/system-environment patched"
	snapshot cm/system-environment "$T/sim.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
	assert_success
}

@test "a null in a strategic or merge patch of the cm removes the key, as kubectl" {
	local type
	for type in strategic merge; do
		init
		local patch='{"data": {"FORCE_SSL": null, "AMP_RELEASE": "2.10", "PARITY": "x"}}'
		snapshot cm/system-environment "$T/orig.json"
		kpatch "$T/orig.json" "$type" "$patch" "$T/kube.json"
		run oc patch cm system-environment --type="$type" -p "$patch" -n "$NS"
		assert_success
		snapshot cm/system-environment "$T/sim.json"
		run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
		assert_success
		[ "$(jf "$T/sim.json" "'FORCE_SSL' in d['data']")" = false ]
	done
}

# --- 3. dcs (strategic merge of a DeploymentConfig is server-side only: kubectl --local
# has no schema for that kind, so only json and merge are compared) -------------------

# the container's image trigger is removed first, as the procedure does: a container an
# automatic image trigger owns gets the tag's image from the trigger, which is not the
# patch engine's business
@test "json patch of a dc's container (test, replace image, env inserted and appended) as kubectl" {
	init
	run oc set triggers dc/zync-que --from-image=amp-zync:2.9 --containers=que --remove -n "$NS"
	assert_success
	snapshot dc/zync-que "$T/orig.json"
	local patch='[{"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "que"}, {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "registry.redhat.io/3scale-amp2/zync-rhel7:3scale2.10"}, {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "PARITY_LAST", "value": "1"}}, {"op": "add", "path": "/spec/template/spec/containers/0/env/0", "value": {"name": "PARITY_FIRST", "value": "0"}}]'
	kpatch "$T/orig.json" json "$patch" "$T/kube.json"
	run oc patch dc/zync-que --type=json -p "$patch" -n "$NS"
	assert_success
	assert_output "deploymentconfig.apps.openshift.io/zync-que patched"
	snapshot dc/zync-que "$T/sim.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
	assert_success
	# +2: the spec change, then the config-change rollout's latestVersion bump
	[ "$(jf "$T/sim.json" "d['metadata']['generation']")" = $(($(jf "$T/orig.json" "d['metadata']['generation']") + 2)) ]
}

@test "merge patch of a dc's annotations (set one, null removes one) as kubectl" {
	init
	snapshot dc/zync "$T/orig.json"
	local patch='{"metadata": {"annotations": {"3scale-upgrade/replicas": "2", "prometheus.io/scrape": null}}}'
	kpatch "$T/orig.json" merge "$patch" "$T/kube.json"
	run oc patch dc/zync --type=merge -p "$patch" -n "$NS"
	assert_success
	assert_output "deploymentconfig.apps.openshift.io/zync patched"
	snapshot dc/zync "$T/sim.json"
	run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
	assert_success
	# metadata only: no new generation, no rollout
	[ "$(jf "$T/sim.json" "[d['metadata']['generation'], d['status']['latestVersion']]")" = \
		"$(jf "$T/orig.json" "[d['metadata']['generation'], d['status']['latestVersion']]")" ]
}

# --- 4. refused patches: both refuse, oc-sim with oc-reference's text, nothing written ----

@test "json patch removing a missing key is refused whole (an add before it included)" {
	init
	refused imagestream/amp-system '[{"op": "add", "path": "/metadata/annotations/parity", "value": "x"}, {"op": "remove", "path": "/metadata/annotations/missing"}]'
}

@test "json patch removing a missing list index is refused" {
	init
	refused dc/zync '[{"op": "remove", "path": "/spec/template/spec/containers/0/env/99"}]'
}

@test "json patch replacing a missing list index is refused" {
	init
	refused imagestream/amp-system '[{"op": "replace", "path": "/spec/tags/5", "value": {"name": "x"}}]'
}

@test "the program's tag patch behind a failing test op is refused whole" {
	init
	local patch
	patch=$(python3 -c 'import json,sys; print(json.dumps([{"op": "test", "path": "/spec/tags/0/name", "value": "2.8"}] + json.loads(sys.argv[1])))' \
		"$(cat "$P/amp-system.patch")")
	refused imagestream/amp-system "$patch"
}

# --- 5. the 2.10 -> 2.11 procedure's dc patches (procedures.md §4), on a 2.10 install ------

# kubectl refuses a strategic merge patch of a DeploymentConfig locally ("strategic merge
# patch is not supported for apps.openshift.io/v1, Kind=DeploymentConfig locally"): it has
# the patchMergeKeys of the built-in kinds only. So the dc's pod template is wrapped in a
# ReplicationController, a built-in kind with the same spec.template shape (a PodTemplateSpec),
# kubectl applies the patch to that, and its spec.template must be oc-sim's dc's spec.template.
#
# strategic_template DC PATCH: that comparison, for `oc patch dc DC --patch PATCH`
strategic_template() {
	local dc=$1 patch=$2
	snapshot "dc/$dc" "$T/orig.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": d["metadata"]["name"], "namespace": d["metadata"]["namespace"]}, "spec": {"replicas": 1, "selector": d["spec"]["selector"], "template": d["spec"]["template"]}}, open(sys.argv[2], "w"))' \
		"$T/orig.json" "$T/rc.json"
	kpatch "$T/rc.json" strategic "$patch" "$T/kube.json"
	run oc patch dc "$dc" --patch "$patch" -n "$NS"
	assert_success
	assert_output "deploymentconfig.apps.openshift.io/$dc patched"
	snapshot "dc/$dc" "$T/sim.json"
	python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["spec"]["template"], open(sys.argv[2], "w"), sort_keys=True, indent=1)' "$T/kube.json" "$T/kube-t.json"
	python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["spec"]["template"], open(sys.argv[2], "w"), sort_keys=True, indent=1)' "$T/sim.json" "$T/sim-t.json"
	diff -u "$T/kube-t.json" "$T/sim-t.json" || fail "oc-sim's pod template differs from kubectl's"
	# the rest of the dc is untouched but for the controllers' fields
	python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:3]); [x["spec"].pop("template") for x in (a,b)]; [x.pop("status") for x in (a,b)]; [x["metadata"].pop(k, None) for x in (a,b) for k in ("resourceVersion", "generation")]; sys.exit(a!=b)' \
		"$T/orig.json" "$T/sim.json" || fail "oc-sim changed more than the pod template"
}

@test "strategic patch of backend-cron's resources (a container merged by name) as kubectl" {
	init --version 2.10
	strategic_template backend-cron '{"spec":{"template":{"spec":{"containers":[{"name":"backend-cron","resources":{"limits":{"memory":"500Mi", "cpu": "500m"}, "requests":{"memory":"100Mi", "cpu": "100m"}}}]}}}}'
	# the init container is still there, unchanged
	[ "$(jf "$T/sim.json" "[c['name'] for c in d['spec']['template']['spec']['initContainers']]")" = '["backend-redis-svc"]' ]
}

@test "strategic patch of the redis command (backend-redis, system-redis) as kubectl" {
	init --version 2.10
	strategic_template backend-redis '{"spec":{"template":{"spec":{"containers":[{"name":"backend-redis","command":["/opt/rh/rh-redis5/root/usr/bin/redis-server"]}]}}}}'
	[ "$(jf "$T/sim.json" "d['spec']['template']['spec']['containers'][0]['args']")" = '["/etc/redis.d/redis.conf", "--daemonize", "no"]' ]
	strategic_template system-redis '{"spec":{"template":{"spec":{"containers":[{"name":"system-redis","command":["/opt/rh/rh-redis5/root/usr/bin/redis-server"]}]}}}}'
}

@test "strategic patch adding the zync template annotations as kubectl" {
	init --version 2.10
	strategic_template zync '{"spec":{"template":{"metadata":{"annotations":{"prometheus.io/port":"9393","prometheus.io/scrape":"true"}}}}}'
}

# the BACKEND_ROUTE patch: the hook env entry found by name, tested, then replaced (or removed
# and added again); kubectl applies a JSON patch to any kind locally
hook_patch() {
	local i=$1 how=$2 name=${3:-BACKEND_ROUTE}
	local p=/spec/strategy/rollingParams/pre/execNewPod/env/$i
	local v='{"name": "BACKEND_ROUTE", "value": "http://backend-listener:3000/internal/"}'
	if [ "$how" = replace ]; then
		echo '[{"op": "test", "path": "'"$p"'/name", "value": "'"$name"'"}, {"op": "replace", "path": "'"$p"'", "value": '"$v"'}]'
	else
		echo '[{"op": "test", "path": "'"$p"'/name", "value": "'"$name"'"}, {"op": "remove", "path": "'"$p"'"}, {"op": "add", "path": "'"$p"'", "value": '"$v"'}]'
	fi
}

@test "json patch of the hook's BACKEND_ROUTE (test, then replace or remove+add) as kubectl" {
	init --version 2.10
	snapshot dc/system-app "$T/orig.json"
	local i
	i=$(jf "$T/orig.json" "[e['name'] for e in d['spec']['strategy']['rollingParams']['pre']['execNewPod']['env']].index('BACKEND_ROUTE')")
	[ "$i" -gt 0 ] || fail "BACKEND_ROUTE is the hook's first env entry"
	for how in replace remove-add; do
		init --version 2.10
		snapshot dc/system-app "$T/orig.json"
		kpatch "$T/orig.json" json "$(hook_patch "$i" $how)" "$T/kube.json"
		run oc patch dc/system-app --type=json -p "$(hook_patch "$i" $how)" -n "$NS"
		assert_success
		assert_output "deploymentconfig.apps.openshift.io/system-app patched"
		snapshot dc/system-app "$T/sim.json"
		run parity "$T/orig.json" "$T/kube.json" "$T/sim.json"
		assert_success
		# a spec change (generation + 1) that is not a pod template change: no rollout
		[ "$(jf "$T/sim.json" "[d['metadata']['generation'], d['status']['latestVersion']]")" = \
			"[$(($(jf "$T/orig.json" "d['metadata']['generation']") + 1)), 1]" ]
	done
}

@test "json patch of the hook's env behind a failing test op is refused whole, as kubectl" {
	init --version 2.10
	local i
	i=$(oc get dc/system-app -n "$NS" -o json | py "[e['name'] for e in d['spec']['strategy']['rollingParams']['pre']['execNewPod']['env']].index('BACKEND_ROUTE')")
	# the entry at i is not the one the test names (the env moved since it was read)
	refused dc/system-app "$(hook_patch "$i" replace AMP_RELEASE)"
	refused dc/system-app "$(hook_patch "$i" remove-add AMP_RELEASE)"
	refused dc/system-app "$(hook_patch 99 replace)"
}
