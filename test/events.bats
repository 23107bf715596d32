#!/usr/bin/env bats
# --output json: every line the real program prints, validated against docs/events.md.

load test_helper

setup() {
	common_setup
}

# validate FILE [CHECKS]: every line of FILE is a JSON object that docs/events.md
# describes (known event, known fields, required fields present, documented types);
# then CHECKS, python over `ev` (the events, in order), runs
validate() {
	python3 - "$TOP/docs/events.md" "$1" "${2:-}" <<'PY'
import json, re, sys

doc, path, checks = sys.argv[1], sys.argv[2], sys.argv[3]

# the tables: "### `name`" then | field | type | required | meaning |
tables, name = {}, None
for line in open(doc, encoding="utf-8"):
    m = re.match(r"^### `([a-z_.\[\]]+)`\s*$", line)
    if m:
        name = m.group(1)
        tables[name] = {}
        continue
    if line.startswith("## "):
        name = None
    if name is None or not line.startswith("|"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 4:
        sys.exit("docs/events.md: %s: a row without 4 cells: %s" % (name, line.strip()))
    if cells[0] in ("field", "") or set(cells[0]) <= set("-"):
        continue
    if cells[2] not in ("yes", "no"):
        sys.exit("docs/events.md: %s.%s: required is %r" % (name, cells[0], cells[2]))
    tables[name][cells[0]] = (cells[1], cells[2] == "yes")
assert len(tables) >= 15, "docs/events.md: too few tables: %s" % sorted(tables)

# the step ids: the "- `ID`: ..." lines of the section "## Step ids"
step_ids, in_ids = set(), False
for line in open(doc, encoding="utf-8"):
    if line.startswith("## "):
        in_ids = line.strip() == "## Step ids"
        continue
    # "- `ID`: ..." or "- `ID`, `ID`, ...: ..."
    m = re.match(r"^- ((?:`[^`]+`, )*`[^`]+`):", line)
    if in_ids and m:
        step_ids.update(re.findall(r"`([^`]+)`", m.group(1)))
assert len(step_ids) >= 40, "docs/events.md: too few step ids: %s" % sorted(step_ids)

def check_type(where, v, t):
    if t == "string (step id)":
        if not isinstance(v, str) or v not in step_ids:
            raise ValueError("%s: %r is not a step id of docs/events.md" % (where, v))
        return
    m = re.match(r"^string \((.*)\)$", t)
    if m:
        allowed = [a.strip() for a in m.group(1).split(",")]
        if not isinstance(v, str) or v not in allowed:
            raise ValueError("%s: %r is not one of %s" % (where, v, allowed))
        return
    ok = {
        "string": lambda: isinstance(v, str),
        "string or null": lambda: v is None or isinstance(v, str),
        "integer": lambda: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda: isinstance(v, bool),
        "string[]": lambda: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "string[][]": lambda: isinstance(v, list) and all(isinstance(x, list) and all(isinstance(y, str) for y in x) for x in v),
        "object[]": lambda: isinstance(v, list) and all(isinstance(x, dict) for x in v),
    }
    if t not in ok:
        raise ValueError("%s: docs/events.md has an unknown type %r" % (where, t))
    if not ok[t]():
        raise ValueError("%s: %r is not %s" % (where, v, t))

def check_object(where, obj, table):
    spec = tables[table]
    for k in obj:
        if k not in spec:
            raise ValueError("%s: field %r is not in docs/events.md" % (where, k))
    for k, (t, required) in spec.items():
        if k not in obj:
            if required:
                raise ValueError("%s: required field %r is missing" % (where, k))
            continue
        check_type("%s.%s" % (where, k), obj[k], t)
        if t == "object[]":
            sub = "%s.%s[]" % (table, k)
            if sub not in tables:
                raise ValueError("%s: no table %s in docs/events.md" % (where, sub))
            for i, item in enumerate(obj[k]):
                check_object("%s.%s[%d]" % (where, k, i), item, sub)

ev = []
with open(path, "rb") as f:
    data = f.read()
if data and not data.endswith(b"\n"):
    sys.exit("stdout does not end with a newline")
for n, raw in enumerate(data.decode("utf-8").split("\n")[:-1], 1):
    try:
        obj = json.loads(raw)
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        if raw != raw.strip() or "\r" in raw or "\033" in raw:
            raise ValueError("not a bare JSON line")
        e = obj.get("event")
        if not isinstance(e, str) or e not in tables or "." in e:
            raise ValueError("unknown event %r" % (e,))
        check_object(e, obj, e)
    except ValueError as x:
        sys.exit("stdout line %d: %s\n  %s" % (n, x, raw))
    ev.append(obj)
if not ev:
    sys.exit("no events")
if ev[-1]["event"] != "end":
    sys.exit("the last event is not end: %s" % ev[-1])
if [e["event"] for e in ev].count("end") != 1:
    sys.exit("not exactly one end event")

def kinds(name):
    return [e for e in ev if e["event"] == name]

try:
    exec(checks)
except AssertionError as x:
    sys.exit("check failed: %s\n%s" % (x, "\n".join(json.dumps(e) for e in ev)))
PY
}

# json ARGS: the program with --output json, stdout into $BATS_TEST_TMPDIR/out and
# stderr into .../err; sets $status
json() {
	status=0
	upgrade "$@" --output json >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
}

# checks shared by every run: ends and commands agree
COMMON='
end = ev[-1]
assert end["oc_commands"] == len(kinds("command")), "oc_commands %d, command events %d" % (end["oc_commands"], len(kinds("command")))
assert end["errors"] == len(kinds("error"))
assert end["warnings"] == len(kinds("warning"))
assert end["retries"] == len(kinds("retry"))
for e in kinds("command"):
    assert e["argv"][0] == "oc" and e["duration_ms"] >= 0
'

@test "run: every line is a documented event, from start to end, and the steps are done in order" {
	sim_init
	json run --only system -n 3scale --yes
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
start = kinds("start")
assert len(start) == 1 and start[0]["command"] == "run" and start[0]["namespace"] == "3scale", start
assert start[0]["from"] == "2.9" and start[0]["to"] == "2.10" and start[0]["database"] == "other", start
assert start[0]["database_detected"] is True
assert ev[-1]["exit"] == 0 and ev[-1]["command"] == "run"
ids = ["tag/amp-system", "import/amp-system", "dc/system-app", "dc/system-sidekiq", "dc/system-sphinx", "replicas"]
assert [e["id"] for e in kinds("step_start")] == ids, kinds("step_start")
assert [(e["id"], e["status"]) for e in kinds("step_end")] == [(i, "done") for i in ids[:5]] + [("replicas", "skipped")], kinds("step_end")
assert ev[-1]["steps_done"] == ids[:5] and ev[-1]["steps_skipped"] == ["replicas"] and ev[-1]["steps_failed"] == []
# the seven changes of the plan, each once
mutating = [e["argv"][1:3] for e in kinds("command") if e["mutating"]]
assert mutating == [["patch", "imagestream/amp-system"]] + [["set", "triggers"]] * 6, mutating
# reads end with 0, watches stopped at the end of a wait with SIGTERM (143 from oc, or -15)
assert all(e["exit"] in (0, 143, -15) and not e["timed_out"] for e in kinds("command")), [e for e in kinds("command") if e["exit"]]
'
}

@test "2.10 -> 2.11 run of the hook, the env, zync's annotations and backend-cron: documented events, each change once, in its step" {
	sim_init --version 2.10
	json run -n 3scale --yes --to 2.11 --only backend-route,zync-annotations,backend-cron
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
start = kinds("start")[0]
assert (start["from"], start["to"]) == ("2.10", "2.11"), start
ids = ["hook-env/system-app", "env/system-app", "env/system-sidekiq", "annotations/zync", "resources/backend-cron"]
assert [e["id"] for e in kinds("step_start")] == ids, kinds("step_start")
assert all(e["hop"] == "2.10 -> 2.11" for e in kinds("step_start") + kinds("step_end"))
assert [(e["id"], e["status"]) for e in kinds("step_end")] == [(i, "done") for i in ids], kinds("step_end")
assert kinds("step_end")[0]["detail"] == "read back: BACKEND_ROUTE is http://backend-listener:3000/internal/", kinds("step_end")[0]
assert all(e["detail"].startswith("rollout #2 complete") for e in kinds("step_end")[1:]), kinds("step_end")
# each change once, inside the step it belongs to
step, mutating = None, []
for e in ev:
    if e["event"] == "step_start":
        step = e["id"]
    elif e["event"] == "step_end":
        step = None
    elif e["event"] == "command" and e["mutating"]:
        mutating.append((step, " ".join(e["argv"][1:4])))
assert mutating == [("hook-env/system-app", "patch dc system-app"), ("env/system-app", "set env dc/system-app"),
                    ("env/system-sidekiq", "set env dc/system-sidekiq"), ("annotations/zync", "patch dc zync"),
                    ("annotations/zync", "annotate dc zync"), ("annotations/zync", "annotate dc zync"),
                    ("resources/backend-cron", "patch dc backend-cron")], mutating
'
}

@test "run: a rollout is reported inside its step, only when it changed" {
	# system-app's rollout never finishes: it is seen under way
	sim_init --set rollout_seconds=2 --set terminate_seconds=1 --set never_finish=system-app
	json run --only system -n 3scale --yes --timeout 10s
	[ "$status" = 4 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
step = None
last = {}
for e in ev:
    if e["event"] == "step_start":
        step = e["id"]
    elif e["event"] == "step_end":
        step = None
    elif e["event"] == "rollout":
        assert e["id"] == step == "dc/" + e["dc"] and e["index"] == 3, e
        state = tuple(e[k] for k in ("rollout", "phase", "ready", "desired", "old_pods", "terminating"))
        assert last.get(e["dc"]) != state, "a rollout event repeats the one before: %s" % e
        last[e["dc"]] = state
assert list(last) == ["system-app"], last
r = kinds("rollout")[-1]
assert (r["rollout"], r["phase"], r["ready"], r["desired"], r["old_pods"]) == (2, "Running", 0, 1, 1), r
'
}

@test "a failed run: the step ends as failed with the error, then errors, hints and end with exit 1" {
	sim_init --set fail_rollout=system-app
	json run --only system -n 3scale --yes
	[ "$status" = 1 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
failed = [e for e in kinds("step_end") if e["status"] == "failed"]
assert len(failed) == 1 and failed[0]["id"] == "dc/system-app", failed
assert failed[0]["reason"] == "error"
assert "rollout #2 of dc/system-app failed" in failed[0]["detail"], failed[0]
assert any("rollout #2 of dc/system-app failed" in e["message"] for e in kinds("error"))
assert any("oc rollout retry dc/system-app -n 3scale" in e["message"] for e in kinds("hint"))
assert all("reason" not in e for e in kinds("step_end") if e["status"] != "failed")
end = ev[-1]
assert end["exit"] == 1 and end["steps_failed"] == ["dc/system-app"] and end["steps_done"] == ["tag/amp-system", "import/amp-system"]
'
	# the same errors on stderr, as text
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "error: rollout #2 of dc/system-app failed"
}

@test "a timed out wait ends its step as failed with reason timed_out and exit 4" {
	sim_init --set never_finish=system-app
	json run --only system -n 3scale --yes --timeout 2s
	[ "$status" = 4 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
# the rollout wait times out (or, on a very busy machine, the import wait)
failed = [e for e in kinds("step_end") if e["status"] == "failed"]
assert len(failed) == 1 and failed[0]["reason"] == "timed_out", failed
assert failed[0]["id"] in ("dc/system-app", "import/amp-system"), failed
assert failed[0]["detail"].startswith("timed out after 2.0s waiting for the")
assert ev[-1]["exit"] == 4 and ev[-1]["steps_failed"] == [failed[0]["id"]]
'
}

@test "a failed preflight prints errors and end with exit 3, and no start" {
	sim_init --set forbidden_verbs=patch
	json run --only system -n 3scale --yes
	[ "$status" = 3 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
assert not kinds("start") and not kinds("step_start")
assert kinds("error") and ev[-1]["exit"] == 3
assert not any(e["mutating"] for e in kinds("command"))
'
}

@test "status -o json: one step event per step and status_end say what is left to do" {
	sim_init
	json status --only system -n 3scale
	[ "$status" = 1 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
ids = ["tag/amp-system", "import/amp-system", "dc/system-app", "dc/system-sidekiq", "dc/system-sphinx", "replicas"]
assert ev[0]["event"] != "end" and kinds("start")[0]["command"] == "status"
steps = kinds("step")
assert [e["id"] for e in steps] == ids and [e["index"] for e in steps] == list(range(1, 7))
assert all(e["total"] == 6 for e in steps)
assert [e["state"] for e in steps] == ["pending"] * 5 + ["done"], steps
end = kinds("status_end")[0]
assert end["complete"] is False and end["next"] == "tag/amp-system"
assert end["from"] == "2.9" and end["from_detected"] is True
assert end["done"] == ["replicas"] and end["pending"] == ids[:5] and end["failed"] == []
assert ev[-1]["command"] == "status" and ev[-1]["exit"] == 1
'
	upgrade run --only system -n 3scale --yes >/dev/null
	json status --only system -n 3scale
	[ "$status" = 0 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
assert all(e["state"] == "done" for e in kinds("step"))
end = kinds("status_end")[0]
assert end["complete"] is True and end["next"] is None and len(end["done"]) == 6
assert ev[-1]["exit"] == 0
'
}

@test "status -o json after a failed rollout names the failed step" {
	sim_init --set fail_rollout=system-app
	upgrade run --only system -n 3scale --yes >/dev/null 2>&1 || true
	json status --only system -n 3scale
	[ "$status" = 1 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
end = kinds("status_end")[0]
assert end["failed"] == ["dc/system-app"] and end["next"] == "dc/system-app", end
assert end["done"][:2] == ["tag/amp-system", "import/amp-system"]
step = [e for e in kinds("step") if e["id"] == "dc/system-app"][0]
assert step["state"] == "failed" and "rollout #2" in step["detail"], step
'
}

@test "plan -o json, with and without a cluster" {
	sim_init
	json plan --only system -n 3scale
	[ "$status" = 0 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
plan = kinds("plan")
assert len(plan) == 1 and [e["event"] for e in ev if e["event"] != "command"] == ["plan", "end"]
p = plan[0]
assert p["namespace"] == "3scale" and p["database"] == "other" and p["database_detected"] is True
assert [s["id"] for s in p["steps"]] == ["tag/amp-system", "import/amp-system", "dc/system-app", "dc/system-sidekiq", "dc/system-sphinx", "replicas"]
assert p["steps"][0]["commands"][0][:3] == ["oc", "patch", "imagestream/amp-system"]
assert p["steps"][2]["commands"][0][:3] == ["oc", "set", "triggers"] and "wait" in p["steps"][2]
assert ev[-1]["command"] == "plan" and ev[-1]["exit"] == 0
'
	json plan --only system --database oracle
	[ "$status" = 0 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
assert [e["event"] for e in ev] == ["plan", "end"]
assert ev[0]["namespace"] is None and ev[0]["database"] == "oracle" and ev[0]["database_detected"] is False
assert ev[-1]["oc_commands"] == 0
'
}

@test "plan -o json of the whole chapter: every step id is a documented one, in the documented order" {
	json plan --database other
	[ "$status" = 0 ] || fail "exit $status"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
ids = [s["id"] for s in kinds("plan")[0]["steps"]]
assert len(ids) == 37 and len(set(ids)) == 37, ids
assert ids[:4] == ["backup", "release", "tag/amp-system", "tag/amp-apicast"] and ids[11] == "import/amp-system"
assert ids[20:23] == ["dc/system-app", "dc/system-sidekiq", "dc/system-sphinx"] and ids[-2:] == ["confirm", "replicas"]
'
	json plan --database oracle --skip system-database,backend-redis
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
ids = [s["id"] for s in kinds("plan")[0]["steps"]]
assert "tag/system-mysql" not in ids and "dc/backend-redis" not in ids and "dc/system-redis" in ids, ids
'
}

@test "plan -o json of 2.8 -> 2.9 and of 2.10 -> 2.11: every step id a documented one, each hop named" {
	json plan --database other --from 2.8 --to 2.9
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
ids = [s["id"] for s in kinds("plan")[0]["steps"]]
assert ids[:3] == ["backup", "release", "secret/system-master-apicast"], ids
untag = [i for i in ids if i.startswith("untag/")]
# without a cluster: the mysql variant, so every stream but amp-system and system-postgresql
assert len(untag) == 8 and "untag/amp-system" not in untag, untag
assert ids.index("untag/amp-backend") == ids.index("dc/backend-worker") + 1 == ids.index("dc/backend-cron") - 1, ids
'
	json plan --database other --from 2.10 --to 2.11
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
ids = [s["id"] for s in kinds("plan")[0]["steps"]]
assert ids[:7] == ["backup", "release", "hook-env/system-app", "env/system-app", "env/system-sidekiq",
                   "annotations/zync", "resources/backend-cron"], ids
assert ids[7] == "tag/amp-system" and ids[-2:] == ["confirm", "replicas"], ids
'
}

@test "backup -o json: documented events; what was saved in one info event" {
	sim_init
	json backup -n 3scale --backup-dir "$BATS_TEST_TMPDIR/bk"
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
start = kinds("start")
assert len(start) == 1 and start[0]["command"] == "backup", start
assert ev[-1]["command"] == "backup" and ev[-1]["exit"] == 0 and ev[-1]["steps_done"] == []
assert len(kinds("command")) == 3 + 33, len(kinds("command"))  # whoami, the two lists, the reads
info = [e["message"] for e in kinds("info")]
assert len(info) == 1 and info[0].startswith("backup: 33 files, "), info
'
}

@test "scale-down -o json, then run: replicas recorded, scaled back, warnings counted" {
	sim_init --database oracle --set replicas=2
	oc scale dc/system-sphinx --replicas=0 -n 3scale >/dev/null
	json scale-down -n 3scale --yes
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
assert kinds("start")[0]["command"] == "scale-down" and kinds("start")[0]["database"] == "oracle"
assert [e["message"] for e in kinds("info")] == [
    "dc/system-app: 2 replicas recorded in 3scale-upgrade/replicas, scaling to 0",
    "dc/system-sidekiq: 2 replicas recorded in 3scale-upgrade/replicas, scaling to 0"], kinds("info")
assert len(kinds("warning")) == 1 and "dc/system-sphinx" in kinds("warning")[0]["message"]
assert not kinds("step_start") and not kinds("step_end")
assert all("index" not in e for e in kinds("progress") + kinds("rollout"))
assert sum(1 for e in kinds("command") if e["mutating"]) == 4
assert ev[-1]["command"] == "scale-down" and ev[-1]["exit"] == 0 and ev[-1]["warnings"] == 1
'
	json run --only system -n 3scale --yes
	[ "$status" = 0 ] || fail "exit $status: $(cat "$BATS_TEST_TMPDIR/err")"
	validate "$BATS_TEST_TMPDIR/out" "$COMMON"'
assert [(e["id"], e["status"]) for e in kinds("step_end")][-1] == ("replicas", "done")
assert ev[-1]["exit"] == 0
'
}

@test "stdout carries nothing but JSON even with -v, -q and --color always; stderr has the text" {
	sim_init --set fail_rollout=system-sidekiq
	for opt in -v -q "--color=always"; do
		sim_init --set fail_rollout=system-sidekiq
		json run -n 3scale --yes "$opt"
		[ "$status" = 1 ] || fail "$opt: exit $status"
		validate "$BATS_TEST_TMPDIR/out" "$COMMON" || fail "with $opt"
		grep -q "^error: rollout #2 of dc/system-sidekiq failed" "$BATS_TEST_TMPDIR/err" || fail "$opt: stderr: $(cat "$BATS_TEST_TMPDIR/err")"
	done
}
