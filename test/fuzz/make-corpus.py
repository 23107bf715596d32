#!/usr/bin/env python3
"""make-corpus.py - write the seed corpora of the fuzz targets from test/fixtures.

Each seed keeps only the fields that src/assess.c reads, so that the seeds stay
small (a few hundred bytes to a few KiB) and mutations hit what matters. Run it from
anywhere; it rewrites test/fuzz/corpus/fuzz_assess and test/fuzz/corpus/fuzz_jsonstream.
"""
import glob
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
CORPUS = os.path.join(HERE, "corpus")

ANNOTATIONS = ("openshift.io/deployment", "openshift.io/deployer-pod.name", "3scale-upgrade/")


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def pick(d, *keys):
    return {k: d[k] for k in keys if isinstance(d, dict) and k in d}


def annotations(meta):
    a = meta.get("annotations") or {}
    return {k: v for k, v in a.items() if k.startswith(ANNOTATIONS)}


def trim_meta(meta, labels=False):
    m = pick(meta, "name", "generation", "deletionTimestamp")
    a = annotations(meta)
    if a:
        m["annotations"] = a
    if labels and "labels" in meta:
        m["labels"] = pick(meta["labels"], "deployment", "deploymentconfig")
    return m


def trim_dc(dc):
    spec = dc.get("spec", {})
    s = pick(spec, "replicas", "paused")
    s["triggers"] = spec.get("triggers", [])
    strat = spec.get("strategy", {})
    s["strategy"] = {"type": strat.get("type", "Rolling")}
    for p in ("rollingParams", "recreateParams"):
        if p in strat and "pre" in strat[p]:
            s["strategy"][p] = {"pre": {"failurePolicy": strat[p]["pre"].get("failurePolicy", "Retry")}}
    tspec = spec.get("template", {}).get("spec", {})
    s["template"] = {"spec": {k: [pick(c, "name", "image") for c in tspec[k]]
                              for k in ("containers", "initContainers") if k in tspec}}
    st = dc.get("status", {})
    status = pick(st, "latestVersion", "observedGeneration", "availableReplicas")
    status["conditions"] = [pick(c, "type", "status", "reason", "message") for c in st.get("conditions", [])]
    return {"kind": "DeploymentConfig", "metadata": trim_meta(dc.get("metadata", {})), "spec": s, "status": status}


def trim_list(lst, item):
    return {"kind": "List", "items": [item(i) for i in lst.get("items", [])]}


def trim_rc(rc):
    return {"metadata": trim_meta(rc.get("metadata", {}))}


def trim_pod(pod):
    st = pod.get("status", {})
    status = pick(st, "phase")
    status["conditions"] = [pick(c, "type", "status") for c in st.get("conditions", [])]
    return {"metadata": trim_meta(pod.get("metadata", {}), labels=True), "status": status}


def trim_is(doc):
    spec = {"tags": [pick(t, "name", "from", "generation") for t in doc.get("spec", {}).get("tags", [])]}
    tags = []
    for t in doc.get("status", {}).get("tags", []):
        o = pick(t, "tag", "conditions")
        if "items" in t:
            o["items"] = [pick(i, "generation", "image", "dockerImageReference") for i in (t["items"] or [])[:2]] \
                if t["items"] is not None else None
        tags.append(o)
    return {"kind": "ImageStream", "metadata": {"name": doc.get("metadata", {}).get("name")},
            "spec": spec, "status": {"tags": tags}}


def compact(doc):
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    iss = sorted(glob.glob(os.path.join(FIXTURES, "is-*.json")))
    dcss = sorted(glob.glob(os.path.join(FIXTURES, "dcs-*.json")))
    dc_lists = [trim_list(load(os.path.basename(f)), trim_dc) for f in dcss]
    # header bytes: h0 expect_new + baseline, h1 old/new tag, h2 from/to, h3 containers...
    headers = [bytes([0x01, 0x10, 0x10, 0x80]), bytes([0x00, 0x32, 0x10, 0x81]),
               bytes([0x0d, 0x10, 0x10, 0x52]), bytes([0x05, 0x10, 0x10, 0xe0])]
    # fuzz_assess: one seed per rollout fixture, with an image stream and two more dcs
    for n, f in enumerate(sorted(glob.glob(os.path.join(FIXTURES, "rollout-*.json")))):
        r = load(os.path.basename(f))
        others = dc_lists[n % len(dc_lists)]["items"]
        pieces = [compact(trim_dc(r["dc"])), compact(trim_list(r["rcs"], trim_rc)),
                  compact(trim_list(r["pods"], trim_pod)),
                  compact(trim_is(load(os.path.basename(iss[n % len(iss)])))),
                  compact(others[1]), compact(others[2]), b"2.10", b"system-master", b""]
        write("fuzz_assess", os.path.basename(f)[:-5], headers[n % len(headers)] + b"\0".join(pieces))
    # and one per dcs fixture: the three system dcs, their database
    for n, (f, lst) in enumerate(zip(dcss, dc_lists)):
        items = lst["items"]
        pieces = [compact(items[0]), b"{}", b"{}", compact(trim_is(load(os.path.basename(iss[n % len(iss)])))),
                  compact(items[1]), compact(items[2]), b"2.9-oracle", b"", b""]
        write("fuzz_assess", os.path.basename(f)[:-5], bytes([0x00, 0x10, 0x10, 0x50]) + b"\0".join(pieces))

    # fuzz_jsonstream: oc get -w prints pretty documents one after another, or with
    # --output-watch-events one compact event per line
    small = [trim_is(load(os.path.basename(f))) for f in iss[:3]]
    pretty = b"".join(json.dumps(d, indent=4).encode() + b"\n" for d in small)
    write("fuzz_jsonstream", "pretty-watch", bytes([3, 7, 64, 200]) + pretty)
    events = b"".join(compact({"type": t, "object": d}) + b"\n" for t, d in zip(("ADDED", "MODIFIED", "DELETED"), small))
    write("fuzz_jsonstream", "watch-events", bytes([2, 1, 13]) + events)
    write("fuzz_jsonstream", "one-dc", bytes([0]) + json.dumps(dc_lists[0]["items"][0], indent=4).encode())
    write("fuzz_jsonstream", "tokens", bytes([1, 1]) + b'[true,false,null,-3e+10,0.5,"\\u00e9\\ud83d\\ude00",{}] {"a":[]}\n[]')
    write("fuzz_jsonstream", "utf8", bytes([2, 5, 1]) + '{"message":"rollout «system-app-2» failed…","ok":"ünïcödé 🚀"}'.encode())
    write("fuzz_jsonstream", "truncated", bytes([1, 9]) + b'{"a": 1}\n{"b": [1, 2')
    write("fuzz_jsonstream", "garbage", bytes([1, 4]) + b'{"a": 1}\nerror: the server doesn\'t have a resource type\n')


if __name__ == "__main__":
    main()
