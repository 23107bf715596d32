#!/usr/bin/env python3
"""oc-sim: a simulator of the OpenShift `oc` CLI and of a template-based 3scale 2.9
project (or 2.8, or 2.10: sim init --version), for testing tools that upgrade 3scale
2.9 -> 2.10 (and 2.8 -> 2.9, 2.10 -> 2.11).

Run it exactly like `oc` (`oc-sim get dc/system-app -o json -n 3scale`); admin
commands live under `oc-sim sim ...`.  See docs/oc-sim.md.

Standard library only.  State lives in $OC_SIM_STATE (default
${TMPDIR:-/tmp}/oc-sim-$UID): state.json (the world), journal.jsonl (every object
change, read by watches), calls.jsonl (the call log) and lock (fcntl.flock).
The world is advanced lazily: every invocation, under the lock, processes the
scheduled controller events whose time has come, so the state is a function of
wall-clock time.
"""

import binascii
import copy
import datetime
import fcntl
import heapq
import io
import json
import os
import random
import re
import shlex
import signal
import sys
import time

# each oc call imports this module: hashlib (OpenSSL) and uuid take a good part of the
# start-up, and the simulator needs only SHA-256 (CPython's own) and uuid-shaped strings
try:
    from _sha256 import sha256
except ImportError:  # Python >= 3.12
    from hashlib import sha256


def uuid_str(h):
    """a UUID's text from 32 hex digits, as str(uuid.UUID(h)) gives it"""
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def uuid4():
    """str(uuid.uuid4()) without the uuid module"""
    h = "%032x" % random.getrandbits(128)
    return uuid_str(h[:12] + "4" + h[13:16] + "89ab"[int(h[16], 16) & 3] + h[17:])


SERVER = "https://api.sim.example.com:6443"
SERVER_HOST = "api.sim.example.com"
INTERNAL_REGISTRY = "image-registry.openshift-image-registry.svc:5000"
DEPLOYER_IMAGE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + \
    sha256(b"origin-deployer").hexdigest()
POD_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# ---------------------------------------------------------------------------
# settings

FLOAT_KEYS = ("rollout_seconds", "terminate_seconds", "trigger_lag_seconds",
              "import_seconds", "hook_timeout_seconds", "watch_max_seconds",
              "slow_seconds")
BOOL_KEYS = ("hook_crash", "logged_in", "unreachable")
LIST_KEYS = ("fail_rollout", "double_trigger", "paused", "never_finish",
             "forbidden_verbs", "image_updates")
DEFAULTS = {
    "rollout_seconds": 1.5,
    "terminate_seconds": 0.6,
    "trigger_lag_seconds": 0.4,
    "import_seconds": 0.5,
    "import_result": "ok",
    "replicas": 1,
    "fail_rollout": "",
    "hook_crash": False,
    "hook_timeout_seconds": 3.0,
    "double_trigger": "",
    "paused": "",
    "never_finish": "",
    "logged_in": True,
    "user": "admin",
    "project": "3scale",
    "forbidden_verbs": "",
    "unreachable": False,
    "reference_policy": "Source",
    "watch_max_seconds": 20.0,
    "fail_call": "",
    "slow_seconds": 0.0,
    "fail_read": "",
    "fail_read_match": "",
    "truncate_json": 0,
    "garbage_json": 0,
    "bad_json_match": "",
    "watch_error": 0,
    "client_version": "4.x",
    "image_updates": "",
}
CLIENT_VERSIONS = ("4.x", "4.2", "3.11")
IMPORT_RESULTS = ("ok", "Unauthorized", "NotFound", "InternalError")


class SimError(Exception):
    """An error of the simulator itself (bad sim command, no state)."""


def coerce_setting(key, value):
    if key not in DEFAULTS and not key.startswith("replicas.") and not key.startswith("import_result."):
        raise SimError("unknown setting %r" % key)
    if key in FLOAT_KEYS:
        try:
            v = float(value)
        except ValueError:
            raise SimError("%s: not a number: %r" % (key, value))
        if v < 0:
            raise SimError("%s: must be >= 0" % key)
        return v
    if key == "replicas" or key.startswith("replicas."):
        try:
            v = int(value)
        except ValueError:
            raise SimError("%s: not an integer: %r" % (key, value))
        if v < 0:
            raise SimError("%s: must be >= 0" % key)
        return v
    if key in BOOL_KEYS:
        low = str(value).lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise SimError("%s: not a boolean: %r" % (key, value))
    if key in LIST_KEYS:
        return ",".join(x.strip() for x in str(value).split(",") if x.strip())
    if key == "import_result" or key.startswith("import_result."):
        if key.startswith("import_result.") and value == "":
            return ""  # back to import_result
        if value not in IMPORT_RESULTS:
            raise SimError("%s must be one of %s" % (key, ", ".join(IMPORT_RESULTS)))
        return value
    if key == "client_version":
        if value not in CLIENT_VERSIONS:
            raise SimError("client_version must be one of %s" % ", ".join(CLIENT_VERSIONS))
        return value
    if key == "reference_policy":
        if value not in ("Source", "Local"):
            raise SimError("reference_policy must be Source or Local")
        return value
    if key == "fail_call":
        value = ",".join(x.strip() for x in str(value).split(",") if x.strip())
        parse_fail_call(value)
        return value
    if key == "fail_read":
        value = ",".join(x.strip() for x in str(value).split(",") if x.strip())
        parse_fail_read(value)
        return value
    if key in ("truncate_json", "garbage_json"):
        try:
            v = int(value or 0)
        except ValueError:
            raise SimError("%s: not an integer: %r" % (key, value))
        if v < 0:
            raise SimError("%s: must be >= 0" % key)
        return v
    if key == "watch_error":
        low = str(value).strip().lower()
        if low in ("true", "yes", "on", "always", "-1"):
            return -1
        if low in ("false", "no", "off", ""):
            return 0
        try:
            v = int(low)
        except ValueError:
            raise SimError("watch_error: COUNT, or true for every watch: %r" % value)
        if v < -1:
            raise SimError("watch_error: COUNT, or true for every watch: %r" % value)
        return v
    return str(value)


# Injected failures of single calls: KIND -> how the call fails.  See fault_text().
READ_KINDS = ("internal", "timeout", "deadline", "429", "500", "503", "504", "refused", "reset",
              "unauthorized", "forbidden", "notfound")
# a mutating call that fails with these kinds may still have been applied by the server
APPLIED_KINDS = ("internal", "timeout", "deadline", "429", "500", "503", "504", "reset")


def parse_fail_call(value):
    """'2,5:applied:timeout' -> [(2, False, 'internal'), (5, True, 'timeout')]."""
    out = []
    for item in [x for x in str(value or "").split(",") if x]:
        parts = item.split(":")
        if not re.fullmatch(r"[1-9][0-9]*", parts[0]):
            raise SimError("fail_call: N[:applied][:KIND],...: bad item %r" % item)
        applied, kind = False, None
        for p in parts[1:]:
            if p == "applied" and not applied:
                applied = True
            elif p in READ_KINDS and kind is None:
                kind = p
            else:
                raise SimError("fail_call: N[:applied][:KIND],...: bad item %r (KIND: %s)"
                               % (item, ", ".join(READ_KINDS)))
        kind = kind or "internal"
        if applied and kind not in APPLIED_KINDS:
            raise SimError("fail_call: a %s failure cannot have been applied (%r)" % (kind, item))
        out.append((int(parts[0]), applied, kind))
    return out


def parse_fail_read(value):
    """'internal:2,503:1' -> [['internal', 2], ['503', 1]]."""
    out = []
    for item in [x for x in str(value or "").split(",") if x]:
        kind, _, count = item.partition(":")
        if kind not in READ_KINDS:
            raise SimError("fail_read: KIND:COUNT,...: unknown KIND %r (one of %s)"
                           % (kind, ", ".join(READ_KINDS)))
        if count == "":
            count = "1"
        if not re.fullmatch(r"[0-9]+", count):
            raise SimError("fail_read: KIND:COUNT,...: bad COUNT in %r" % item)
        if int(count) > 0:
            out.append([kind, int(count)])
    return out


def format_fail_read(lst):
    return ",".join("%s:%d" % (k, n) for k, n in lst if n > 0)


def format_setting(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "%g" % v
    return str(v)


def list_setting(settings, key):
    return [x for x in str(settings.get(key, "")).split(",") if x]


# ---------------------------------------------------------------------------
# small helpers

def ts(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def digest(name):
    return sha256(name.encode()).hexdigest()


def split_image(name):
    """'host:5000/a/b:tag' -> ('host:5000/a/b', 'tag'); digests kept."""
    if "@" in name:
        return name.split("@", 1)[0], None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1:]
    return name, "latest"


def docker_ref(name):
    if "@sha256:" in name:
        return name
    repo, _ = split_image(name)
    return "%s@sha256:%s" % (repo, digest(name))


def pretty(obj):
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def rand_suffix():
    return "".join(random.choice(POD_ALPHABET) for _ in range(5))


def parse_duration(s):
    """'30s', '2m', '1h', '500ms', '10' -> seconds (float); None on error."""
    if s is None:
        return None
    m = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m|h)?\s*", str(s))
    if not m:
        return None
    v = float(m.group(1))
    unit = m.group(2) or "s"
    return v * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


# ---------------------------------------------------------------------------
# resource types

class RType:
    def __init__(self, plural, singular, group, kind, api, aliases):
        self.plural = plural
        self.singular = singular
        self.group = group
        self.kind = kind
        self.api = api
        self.aliases = aliases

    @property
    def qualified(self):  # for error texts: deploymentconfigs.apps.openshift.io
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    @property
    def display(self):  # for success texts: deploymentconfig.apps.openshift.io
        return "%s.%s" % (self.singular, self.group) if self.group else self.singular


RTYPES = [
    RType("deploymentconfigs", "deploymentconfig", "apps.openshift.io", "DeploymentConfig",
          "apps.openshift.io/v1", ["dc", "deploymentconfig", "deploymentconfigs"]),
    RType("imagestreams", "imagestream", "image.openshift.io", "ImageStream",
          "image.openshift.io/v1", ["is", "imagestream", "imagestreams"]),
    RType("replicationcontrollers", "replicationcontroller", "", "ReplicationController", "v1",
          ["rc", "replicationcontroller", "replicationcontrollers"]),
    RType("pods", "pod", "", "Pod", "v1", ["po", "pod", "pods"]),
    RType("configmaps", "configmap", "", "ConfigMap", "v1", ["cm", "configmap", "configmaps"]),
    # the template's other objects: built on read (TEMPLATE_KINDS), stored once changed
    RType("secrets", "secret", "", "Secret", "v1", ["secret", "secrets"]),
    RType("serviceaccounts", "serviceaccount", "", "ServiceAccount", "v1",
          ["sa", "serviceaccount", "serviceaccounts"]),
    RType("services", "service", "", "Service", "v1", ["svc", "service", "services"]),
    RType("persistentvolumeclaims", "persistentvolumeclaim", "", "PersistentVolumeClaim", "v1",
          ["pvc", "persistentvolumeclaim", "persistentvolumeclaims"]),
    RType("routes", "route", "route.openshift.io", "Route", "route.openshift.io/v1", ["route", "routes"]),
    RType("rolebindings", "rolebinding", "rbac.authorization.k8s.io", "RoleBinding",
          "rbac.authorization.k8s.io/v1", ["rolebinding", "rolebindings"]),
    # virtual, read-only: derived from the stored objects
    RType("imagestreamtags", "imagestreamtag", "image.openshift.io", "ImageStreamTag",
          "image.openshift.io/v1", ["istag", "imagestreamtag", "imagestreamtags"]),
    RType("endpoints", "endpoints", "", "Endpoints", "v1", ["ep", "endpoints"]),
    RType("projects", "project", "project.openshift.io", "Project", "project.openshift.io/v1",
          ["project", "projects", "namespace", "namespaces", "ns"]),
    # kinds a template install has none of: always empty
    RType("limitranges", "limitrange", "", "LimitRange", "v1", ["limits", "limitrange", "limitranges"]),
    RType("resourcequotas", "resourcequota", "", "ResourceQuota", "v1",
          ["quota", "resourcequota", "resourcequotas"]),
    RType("rolebindingrestrictions", "rolebindingrestriction", "authorization.openshift.io",
          "RoleBindingRestriction", "authorization.openshift.io/v1",
          ["rolebindingrestriction", "rolebindingrestrictions"]),
    RType("templates", "template", "template.openshift.io", "Template", "template.openshift.io/v1",
          ["template", "templates"]),
    RType("daemonsets", "daemonset", "apps", "DaemonSet", "apps/v1", ["ds", "daemonset", "daemonsets"]),
    RType("deployments", "deployment", "apps", "Deployment", "apps/v1",
          ["deploy", "deployment", "deployments"]),
    RType("replicasets", "replicaset", "apps", "ReplicaSet", "apps/v1", ["rs", "replicaset", "replicasets"]),
    RType("statefulsets", "statefulset", "apps", "StatefulSet", "apps/v1",
          ["sts", "statefulset", "statefulsets"]),
    RType("horizontalpodautoscalers", "horizontalpodautoscaler", "autoscaling", "HorizontalPodAutoscaler",
          "autoscaling/v2", ["hpa", "horizontalpodautoscaler", "horizontalpodautoscalers"]),
    RType("cronjobs", "cronjob", "batch", "CronJob", "batch/v1", ["cj", "cronjob", "cronjobs"]),
    RType("jobs", "job", "batch", "Job", "batch/v1", ["job", "jobs"]),
    RType("poddisruptionbudgets", "poddisruptionbudget", "policy", "PodDisruptionBudget", "policy/v1",
          ["pdb", "poddisruptionbudget", "poddisruptionbudgets"]),
    RType("buildconfigs", "buildconfig", "build.openshift.io", "BuildConfig", "build.openshift.io/v1",
          ["bc", "buildconfig", "buildconfigs"]),
    RType("builds", "build", "build.openshift.io", "Build", "build.openshift.io/v1", ["build", "builds"]),
]
STORED = ("deploymentconfigs", "imagestreams", "replicationcontrollers", "pods", "configmaps")
# objects of the template (amp.yml) and of the project, built from the install's variant when read,
# so that they cost the state nothing; a change (patch, annotate, label) stores the object, and from
# then on the stored one is served.  configmaps: system-environment is stored from the start.
TEMPLATE_KINDS = ("configmaps", "secrets", "serviceaccounts", "services", "persistentvolumeclaims",
                  "routes", "rolebindings")
# read-only, derived on every read from the stored objects: imagestreamtags, endpoints, projects;
# every other kind is empty in a template install
# the "all" category of oc 4.x: the resources whose discovery entry lists the category "all", in
# discovery order (kube-aggregator sorts the API groups by priority, the built-in groups first:
# "" 18000, apps 17800, autoscaling 17500, batch 17400; the OpenShift groups 9900, by name; the
# resources of a group version sorted by name); kubectl's category expander keeps that order
CATEGORY_ALL = ("pods", "replicationcontrollers", "services", "daemonsets", "deployments", "replicasets",
                "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs", "deploymentconfigs",
                "buildconfigs", "builds", "imagestreams", "routes")


def rtype(name):
    low = name.lower()
    for rt in RTYPES:
        if low in rt.aliases or low == rt.qualified or low == rt.display \
                or low == "%s.%s" % (rt.plural, rt.group) or low == "%s.%s" % (rt.singular, rt.group):
            return rt
    return None


def RT(plural):
    for rt in RTYPES:
        if rt.plural == plural:
            return rt
    raise KeyError(plural)


# ---------------------------------------------------------------------------
# errors

class OcError(Exception):
    def __init__(self, msg, code=1):
        Exception.__init__(self, msg)
        self.msg = msg
        self.code = code


def not_found(rt, name):
    return OcError('Error from server (NotFound): %s "%s" not found' % (rt.qualified, name))


def forbidden_error(user, rbac_verb, rt, name, ns):
    what = '%s "%s"' % (rt.qualified, name) if name else rt.qualified
    return ('%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" '
            'in the namespace "%s"' % (what, user, rbac_verb, rt.plural, rt.group, ns))


INVALID = "The request is invalid: the server rejected our request due to an error in our request"
# ---- injected failures (fail_read, fail_call): the texts of oc/kubectl
# A Status returned by the apiserver prints as "Error from server (<Reason>): <message>"
# (kubectl cmdutil.StandardErrorMessage).  A response without a Status body (a proxy, a load
# balancer, a throttling filter) gets client-go's generic message (apimachinery
# errors.NewGenericServerResponse) followed by "(<verb> <resource>[ <name>])".  Errors below
# HTTP (*url.Error) print as "Unable to connect to the server: <cause>", except a refused
# connection.  oc set triggers wraps the error of its PATCH: "error: failed to patch build
# hook: <message>".
STATUS_FAULTS = {
    "internal": ("InternalError", "Internal error occurred: etcdserver: request timed out"),
    "deadline": ("Timeout", "Timeout: request did not complete within requested timeout - "
                 "context deadline exceeded"),
}
GENERIC_FAULTS = {
    "429": ("TooManyRequests", "the server has received too many requests and has asked us to try "
            "again later"),
    "500": ("InternalError", 'an error on the server ("") has prevented the request from succeeding'),
    "503": ("ServiceUnavailable", "the server is currently unable to handle the request"),
    "504": ("Timeout", "the server was unable to return a response in the time allotted, but may "
            "still be processing the request"),
}
RESET_CAUSE = "read tcp 10.0.0.1:51234->10.0.0.2:6443: read: connection reset by peer"
REFUSED_TEXT = ("The connection to the server %s:6443 was refused - did you specify the right host "
                "or port?" % SERVER_HOST)
UNAUTHORIZED_TEXT = "error: You must be logged in to the server (Unauthorized)"
# what the watch stream decoder reports when the server resets the HTTP/2 stream
WATCH_BREAK_CAUSE = ("unable to decode an event from the watch stream: stream error: stream ID 3; "
                     "INTERNAL_ERROR; received from peer")


class CallInfo:
    """What an oc call asks the server: for the texts of injected failures."""

    def __init__(self, ns, http, rt, name, rbac, cluster=False, special=None):
        self.ns = ns
        self.http = http          # get, patch, post, delete
        self.rt = rt
        self.name = name
        self.rbac = rbac          # the RBAC verb in a Forbidden text
        self.cluster = cluster    # cluster-scoped request
        self.special = special    # project, set_triggers


USERS_RT = RType("users", "user", "user.openshift.io", "User", "user.openshift.io/v1", [])
SSAR_RT = RType("selfsubjectaccessreviews", "selfsubjectaccessreview", "authorization.k8s.io",
                "SelfSubjectAccessReview", "authorization.k8s.io/v1", [])
ISIMPORT_RT = RType("imagestreamimports", "imagestreamimport", "image.openshift.io", "ImageStreamImport",
                    "image.openshift.io/v1", [])
READ_ROLLOUT = ("status", "history")


def is_read_call(pos, project):
    """Read-only calls that talk to the server (the ones fail_read may fail)."""
    if not pos:
        return False
    v = pos[0]
    if v in ("get", "whoami", "auth", "logs"):
        return True
    if v == "project":
        return len(pos) == 1 and bool(project)   # oc project [-q] confirms access to the project
    return v == "rollout" and len(pos) > 1 and pos[1] in READ_ROLLOUT


def call_info(pos, ns, project):
    """-> CallInfo, or None when the call would fail in the client before any request."""
    v = pos[0] if pos else ""
    try:
        if v == "get":
            targets, _ = split_targets(pos[1:])
            rt, name = targets[0]
            return CallInfo(ns, "get", rt, name, "get" if name else "list")
        if v == "whoami":
            return CallInfo(ns, "get", USERS_RT, "~", "get", cluster=True)
        if v == "auth":
            return CallInfo(ns, "post", SSAR_RT, None, "create", cluster=True)
        if v == "project":
            return CallInfo(project, "get", RT("projects"), project, "get", special="project")
        if v == "logs":
            tgt = pos[1]
            if "/" in tgt:
                t, _, n = tgt.partition("/")
                rt = rtype(t)
                if rt is None:
                    return None
                return CallInfo(ns, "get", rt, n, "get")
            return CallInfo(ns, "get", RT("pods"), tgt, "get")
        if v == "rollout":
            rt, name, _ = one_target(None, pos[2:])
            if pos[1] in READ_ROLLOUT:
                return CallInfo(ns, "get", rt, name, "get")
            return CallInfo(ns, "post" if pos[1] == "latest" else "patch", rt, name, "patch")
        if v == "set":
            rt, name, _ = one_target(None, pos[2:])
            return CallInfo(ns, "patch", rt, name, "patch",
                            special="set_env" if pos[1] == "env" else "set_triggers")
        if v in ("patch", "scale", "annotate", "label"):
            rt, name, _ = one_target(None, pos[1:])
            return CallInfo(ns, "patch", rt, name, "patch")
        if v == "delete":
            rt, name, _ = one_target(None, pos[1:])
            return CallInfo(ns, "delete", rt, name, "delete")
        if v == "tag":
            dest = pos[1] if len(pos) == 2 else pos[2]
            return CallInfo(ns, "patch", RT("imagestreams"), dest.split(":")[0], "patch")
        if v == "import-image":
            return CallInfo(ns, "post", ISIMPORT_RT, pos[1].split(":")[0], "create")
    except (OcError, IndexError):
        return None
    return None


def fault_text(kind, info, user, mutating):
    """The text oc prints on stderr (exit 1) when the call fails with KIND."""
    if kind == "timeout":
        # a read that times out mostly meets a gateway's 504; a write the apiserver's own deadline
        kind = "deadline" if mutating else "504"
    if kind == "refused":
        return REFUSED_TEXT
    if kind == "unauthorized":
        return UNAUTHORIZED_TEXT
    rt, name = info.rt, info.name
    # oc set triggers and oc set env wrap the error of their PATCH (triggers.go, env.go)
    wrap = {"set_triggers": "error: failed to patch build hook: ",
            "set_env": "error: failed to set env: "}.get(info.special)
    if info.special == "project" and kind in ("forbidden", "notfound"):
        return ("error: you do not have rights to view project \"%s\" specified in your config or the "
                "project doesn't exist" % name)
    if kind == "notfound":
        if name:
            return 'Error from server (NotFound): %s "%s" not found' % (rt.qualified, name)
        return ("Error from server (NotFound): the server could not find the requested resource (%s %s)"
                % (info.http, rt.qualified))
    if kind == "forbidden":
        what = '%s "%s"' % (rt.qualified, name) if name else rt.qualified
        where = "at the cluster scope" if info.cluster else 'in the namespace "%s"' % info.ns
        msg = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
            what, user, info.rbac, rt.plural, rt.group, where)
        reason = "Forbidden"
    elif kind == "reset":
        if wrap:
            url = "%s/apis/%s/namespaces/%s/%s/%s" % (SERVER, rt.api, info.ns, rt.plural, name)
            return '%sPatch "%s": %s' % (wrap, url, RESET_CAUSE)
        return "Unable to connect to the server: " + RESET_CAUSE
    elif kind in STATUS_FAULTS:
        reason, msg = STATUS_FAULTS[kind]
    else:
        reason, msg = GENERIC_FAULTS[kind]
        if name:
            msg += " (%s %s %s)" % (info.http, rt.qualified, name)
        else:
            msg += " (%s %s)" % (info.http, rt.qualified)
    if wrap:
        return wrap + msg
    return "Error from server (%s): %s" % (reason, msg)


# the injected fault of this call, for the call log
FAULT = {"name": None}


# ---------------------------------------------------------------------------
# state directory, lock, world

def state_dir():
    d = os.environ.get("OC_SIM_STATE")
    if not d:
        d = os.path.join(os.environ.get("TMPDIR") or "/tmp", "oc-sim-%d" % os.getuid())
    return d


CRITICAL = {"depth": 0, "pending": None}


def _on_signal(signum, frame):
    if CRITICAL["depth"] > 0:
        CRITICAL["pending"] = signum
        return
    raise SystemExit(128 + signum)


class Locked:
    """Context manager: exclusive flock on $OC_SIM_STATE/lock."""

    def __init__(self, d):
        self.d = d
        self.f = None

    def __enter__(self):
        os.makedirs(self.d, exist_ok=True)
        CRITICAL["depth"] += 1
        self.f = open(os.path.join(self.d, "lock"), "a+")
        fcntl.flock(self.f.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        try:
            fcntl.flock(self.f.fileno(), fcntl.LOCK_UN)
            self.f.close()
        finally:
            CRITICAL["depth"] -= 1
            if CRITICAL["depth"] == 0 and CRITICAL["pending"]:
                sig = CRITICAL["pending"]
                CRITICAL["pending"] = None
                raise SystemExit(128 + sig)
        return False


# The state this process last read or wrote, with the bytes of state.json it came from.  An oc
# call reads the state twice (its settings, then the world, each under the lock); when the
# file still holds the same bytes the second read reuses the parsed state instead of parsing
# it again (parsing is most of the cost of a call).  Only a state whose changes were saved,
# or that was not changed, is kept: a Session that ends in an exception drops it.
STATE_CACHE = {"d": None, "raw": None, "state": None}


def load_state(d):
    p = os.path.join(d, "state.json")
    try:
        with open(p, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise SimError("no simulated cluster in %s (run 'oc-sim sim init')" % d)
    if STATE_CACHE["d"] == d and STATE_CACHE["raw"] == raw:
        return STATE_CACHE["state"]
    state = json.loads(raw)
    STATE_CACHE.update(d=d, raw=raw, state=state)
    return state


def forget_state():
    STATE_CACHE.update(d=None, raw=None, state=None)


def save_state(d, state):
    p = os.path.join(d, "state.json")
    tmp = p + ".tmp.%d" % os.getpid()
    data = json.dumps(state, separators=(",", ":")).encode()  # one write: much faster than json.dump
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, p)
    STATE_CACHE.update(d=d, raw=data, state=state)


def journal_path(d):
    return os.path.join(d, "journal.jsonl")


def journal_size(d):
    try:
        return os.path.getsize(journal_path(d))
    except FileNotFoundError:
        return 0


def read_journal(d, offset):
    try:
        with open(journal_path(d), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < offset:
                offset = 0
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    entries = [json.loads(line) for line in data[:end].split(b"\n") if line.strip()]
    return entries, offset + end


class World:
    def __init__(self, state, t, d=None):
        self.s = state
        self.t = t
        self.d = d
        self.journal = []
        self.dirty = False

    @property
    def settings(self):
        return self.s["settings"]

    @property
    def ns(self):
        return self.s["ns"]

    def setting(self, key):
        return self.s["settings"].get(key, DEFAULTS.get(key))

    def objs(self, plural):
        return self.s["objects"][plural]

    def get(self, plural, name):
        return self.s["objects"][plural].get(name)

    def bump(self):
        self.s["rv"] += 1
        return str(self.s["rv"])

    def record(self, etype, plural, obj):
        self.journal.append({"type": etype, "kind": plural, "name": obj["metadata"]["name"],
                             "ns": obj["metadata"].get("namespace", self.ns), "t": self.t,
                             "object": copy.deepcopy(obj)})
        self.dirty = True

    def create(self, plural, obj, t=None):
        md = obj["metadata"]
        md.setdefault("namespace", self.ns)
        md.setdefault("uid", uuid4())
        md.setdefault("creationTimestamp", ts(self.t if t is None else t))
        md["resourceVersion"] = self.bump()
        self.s["objects"][plural][md["name"]] = obj
        self.record("ADDED", plural, obj)
        return obj

    def touch(self, plural, obj):
        obj["metadata"]["resourceVersion"] = self.bump()
        self.record("MODIFIED", plural, obj)

    def delete(self, plural, name):
        obj = self.s["objects"][plural].pop(name, None)
        if obj is not None:
            self.record("DELETED", plural, obj)
        return obj

    def schedule(self, delay, ev):
        self.s["seq"] += 1
        heapq.heappush(self.s["events"], [self.t + max(0.0, delay), self.s["seq"], ev])
        self.dirty = True

    def reschedule_trigger_check(self, name):
        """A trigger change on dc `name`, or an import of a tag it is triggered on: the
        image change controller looks at it trigger_lag_seconds after the latest such
        event (a pending look is replaced, so the lag counts from the event that causes
        the rollout: the add after a remove, or the import when it finishes later)."""
        evs = self.s["events"]
        keep = [e for e in evs if not (e[2].get("type") == "trigger_check" and e[2].get("dc") == name)]
        if len(keep) != len(evs):
            evs[:] = keep
            heapq.heapify(evs)
        self.schedule(self.setting("trigger_lag_seconds"), {"type": "trigger_check", "dc": name})

    def advance(self, now):
        evs = self.s["events"]
        heapq.heapify(evs)
        while evs and evs[0][0] <= now:
            t, _, ev = heapq.heappop(evs)
            self.t = t
            self.dirty = True
            handle_event(self, ev)
        self.t = now

    def flush(self):
        if not self.dirty or self.d is None:
            return
        if self.journal:
            with open(journal_path(self.d), "a") as f:
                for e in self.journal:
                    e["rv"] = int(e["object"]["metadata"].get("resourceVersion", "0") or 0)
                    f.write(compact(e) + "\n")
            self.journal = []
        save_state(self.d, self.s)
        self.dirty = False


class Session:
    """Lock + load + advance to now + save on exit."""

    def __init__(self, d=None):
        self.d = d or state_dir()
        self.lock = Locked(self.d)
        self.w = None

    def __enter__(self):
        self.lock.__enter__()
        try:
            state = load_state(self.d)
            self.w = World(state, time.time(), self.d)
            self.w.advance(time.time())
        except BaseException:
            self.lock.__exit__(None, None, None)
            raise
        return self.w

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.w is not None:
                self.w.flush()
        finally:
            if exc_type is not None:
                forget_state()  # it may hold changes that were never saved
            self.lock.__exit__(exc_type, exc, tb)
        return False


# ---------------------------------------------------------------------------
# object builders

APP_LABEL = "3scale-api-management"
SUPERDOMAIN = "apps.sim.example.com"  # the template's WILDCARD_DOMAIN


def make_container(name, args, port, portname, image, init=False):
    c = {
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "resources": {"limits": {"cpu": "1", "memory": "800Mi"},
                      "requests": {"cpu": "50m", "memory": "400Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "env": [{"name": "AMP_RELEASE", "value": "2.9"},
                {"name": "RAILS_ENV", "value": "production"}],
    }
    if init:
        c["command"] = args
        c["env"].append({"name": "SLEEP_SECONDS", "value": "1"})
    else:
        c["args"] = args
    if port:
        c["ports"] = [{"containerPort": port, "name": portname, "protocol": "TCP"}]
        c["readinessProbe"] = {"failureThreshold": 3, "httpGet": {
            "path": "/check.txt", "port": port, "scheme": "HTTP"},
            "initialDelaySeconds": 30, "periodSeconds": 10, "successThreshold": 1,
            "timeoutSeconds": 5}
    return c


def _env(name, value=None, secret=None, cm=None, key=None):
    if secret:
        return {"name": name, "valueFrom": {"secretKeyRef": {"key": key, "name": secret}}}
    if cm:
        return {"name": name, "valueFrom": {"configMapKeyRef": {"key": key, "name": cm}}}
    return {"name": name, "value": value}


def _ctr(name, command=None, args=None, env=None, ports=(), limits=None, requests=None, probe=None,
         pull="IfNotPresent"):
    """A container of amp.yml (3scale-2.10.0-GA), abbreviated; the image is set by make_dc."""
    c = {"image": None, "imagePullPolicy": pull, "name": name, "resources": {},
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    if command:
        c["command"] = command
    if args:
        c["args"] = args
    if env:
        c["env"] = env
    if ports:
        c["ports"] = [dict({"containerPort": p, "protocol": "TCP"}, **({"name": n} if n else {}))
                      for p, n in ports]
    if limits:
        c["resources"]["limits"] = limits
    if requests:
        c["resources"]["requests"] = requests
    if probe:
        c["readinessProbe"] = probe
    return c


def _http_probe(path, port, delay):
    return {"failureThreshold": 3, "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
            "initialDelaySeconds": delay, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5}


def _exec_probe(cmd, delay):
    return {"exec": {"command": cmd}, "failureThreshold": 3, "initialDelaySeconds": delay,
            "periodSeconds": 30, "successThreshold": 1, "timeoutSeconds": 5}


def _wait_init(name, command, env=()):
    return _ctr(name, command=command, env=list(env) + [_env("SLEEP_SECONDS", "1")])


_MASTER_SVC = ["sh", "-c", "until $(curl --output /dev/null --silent --fail --head "
               "http://system-master:3000/status); do sleep $SLEEP_SECONDS; done"]
_BACKEND_ENV = [_env("CONFIG_REDIS_PROXY", secret="backend-redis", key="REDIS_STORAGE_URL"),
                _env("CONFIG_QUEUES_MASTER_NAME", secret="backend-redis", key="REDIS_QUEUES_URL"),
                _env("RACK_ENV", cm="backend-environment", key="RACK_ENV")]
_REDIS_CHECK = ["/opt/app/entrypoint.sh", "sh", "-c",
                "until rake connectivity:redis_storage_queue_check; do sleep $SLEEP_SECONDS; done"]
_REDIS_ARGS = ["/etc/redis.d/redis.conf", "--daemonize", "no"]
_REDIS_CMD = ["/opt/rh/rh-redis32/root/usr/bin/redis-server"]
_REDIS_PROBE = _exec_probe(["container-entrypoint", "bash", "-c",
                            "redis-cli set liveness-probe \"`date`\" | grep OK"], 10)


def _apicast_env(env, loader, cache):
    return [_env("THREESCALE_PORTAL_ENDPOINT", secret="system-master-apicast", key="PROXY_CONFIGS_ENDPOINT"),
            _env("BACKEND_ENDPOINT_OVERRIDE", secret="backend-listener", key="service_endpoint"),
            _env("APICAST_MANAGEMENT_API", cm="apicast-environment", key="APICAST_MANAGEMENT_API"),
            _env("APICAST_CONFIGURATION_LOADER", loader), _env("APICAST_CONFIGURATION_CACHE", cache),
            _env("THREESCALE_DEPLOYMENT_ENV", env)]


_ZYNC_ENV = [_env("RAILS_LOG_TO_STDOUT", "true"), _env("RAILS_ENV", "production"),
             _env("DATABASE_URL", secret="zync", key="DATABASE_URL"),
             _env("SECRET_KEY_BASE", secret="zync", key="SECRET_KEY_BASE"),
             _env("ZYNC_AUTHENTICATION_TOKEN", secret="zync", key="ZYNC_AUTHENTICATION_TOKEN")]
_PROMETHEUS = {"prometheus.io/port": "9421", "prometheus.io/scrape": "true"}

# The image streams of the install (procedures.md §1), in the table's order:
# name -> (threescale_component label, stream display name, 2.9 image, 2.9 tag display name).
# The database-type streams keep the same image name from 2.9 to 2.10.
STREAMS = {
    "amp-system": ("system", "AMP System", "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.9",
                   "AMP system 2.9"),
    "amp-apicast": ("apicast", "AMP APIcast",
                    "registry.redhat.io/3scale-amp2/apicast-gateway-rhel8:3scale2.9", "AMP APIcast 2.9"),
    "amp-backend": ("backend", "AMP backend", "registry.redhat.io/3scale-amp2/backend-rhel7:3scale2.9",
                    "AMP Backend 2.9"),
    "amp-zync": ("zync", "AMP Zync", "registry.redhat.io/3scale-amp2/zync-rhel7:3scale2.9", "AMP Zync 2.9"),
    "system-memcached": ("system", "System Memcached",
                         "registry.redhat.io/3scale-amp2/memcached-rhel7:3scale2.9", "System 2.9 Memcached"),
    "zync-database-postgresql": ("system", "Zync database PostgreSQL",
                                 "registry.redhat.io/rhscl/postgresql-10-rhel7", "Zync 2.9 PostgreSQL"),
    "backend-redis": ("backend", "Backend Redis", "registry.redhat.io/rhscl/redis-32-rhel7:3.2",
                      "Backend 2.9 Redis"),
    "system-redis": ("system", "System Redis", "registry.redhat.io/rhscl/redis-32-rhel7:3.2", "System 2.9 Redis"),
    "system-mysql": ("system", "System MySQL", "registry.redhat.io/rhscl/mysql-57-rhel7:5.7", "System 2.9 MySQL"),
    "system-postgresql": ("system", "System PostgreSQL", "registry.redhat.io/rhscl/postgresql-10-rhel7",
                          "System 2.9 PostgreSQL"),
}

# The releases sim init --version installs (procedures.md §1, §3, §4); 2.9 is the default and
# is exactly the install of before --version existed.
VERSIONS = ("2.8", "2.9", "2.10")
DEFAULT_VERSION = "2.9"


def stream_image(name, version):
    """The DockerImage name of a stream's tag VERSION (the 3scale images carry the release in their
    tag; the database-type images keep one name)."""
    return STREAMS[name][2].replace("3scale2.9", "3scale" + version)


def tag_display(name, version):
    return STREAMS[name][3].replace(" 2.9", " " + version)


# The images the simulator knows by name, so that a container running `NAME@sha256:<digest>` can
# tell which image it is (digests are sha256(NAME), or sha256(NAME + "#updated")): every stream's
# image of 2.8 to 2.11 (2.11 moves backend and zync to rhel8, procedures.md §4) and the Redis 5
# image of 2.11.
REDIS_32_IMAGE = "registry.redhat.io/rhscl/redis-32-rhel7:3.2"
REDIS_5_IMAGE = "registry.redhat.io/rhscl/redis-5-rhel7:5"
KNOWN_IMAGES = sorted(set([stream_image(n, v) for n in STREAMS for v in ("2.8", "2.9", "2.10", "2.11")] + [
    "registry.redhat.io/3scale-amp2/backend-rhel8:3scale2.11",
    "registry.redhat.io/3scale-amp2/zync-rhel8:3scale2.11", REDIS_32_IMAGE, REDIS_5_IMAGE]))
# which Redis a repository (an image name without its tag) is, and the binary its image has
REDIS_REPOS = {"registry.redhat.io/rhscl/redis-32-rhel7": "rh-redis32",
               "registry.redhat.io/rhscl/redis-5-rhel7": "rh-redis5"}
_DIGEST_NAMES = {}


def image_name(ref):
    """The DockerImage name behind a container's image (a resolved NAME@sha256:... reference, an
    internal-registry one, or a plain name), or None when it is an image the simulator does not know."""
    if not ref:
        return None
    if "@sha256:" not in ref:
        return ref
    if not _DIGEST_NAMES:
        for n in KNOWN_IMAGES:
            _DIGEST_NAMES[digest(n)] = n
            _DIGEST_NAMES[digest(n + UPDATED_SUFFIX)] = n
    return _DIGEST_NAMES.get(ref.split("@sha256:", 1)[1])


def binary_missing(container):
    """The container's command is a Redis server binary that its image does not have (rh-redis5's
    on the Redis 3.2 image, or rh-redis32's on the Redis 5 image): the text of the start error,
    else None."""
    cmd = container.get("command") or []
    if not cmd or not isinstance(cmd[0], str):
        return None
    name = image_name(container.get("image"))
    has = REDIS_REPOS.get(split_image(name)[0]) if name else None
    m = re.match(r"/opt/rh/(rh-redis[0-9]+)/", cmd[0])
    if has is None or m is None or m.group(1) == has:
        return None
    return ('oci runtime error: container_linux.go:235: starting container process caused "exec: \\"%s\\": '
            'stat %s: no such file or directory"' % (cmd[0], cmd[0]))


def template_crashes(pod_spec):
    """Names of the (app) containers of a pod spec whose binary is missing."""
    return [c["name"] for c in pod_spec.get("containers", []) if binary_missing(c)]


# The dcs of the install (procedures.md §1), modelled on amp/amp.yml of 3scale-2.10.0-GA
# (system-postgresql on amp-postgresql.yml).  trigger: the image trigger's containerNames,
# as the guide's --containers list; element: threescale_component_element (zync and zync-que
# have none); tmpl_component: whether the pod template carries threescale_component
# (zync-que's does not); needs: the variant the dc exists in.
DC_SPECS = {
    "system-app": {
        "stream": "amp-system", "component": "system", "element": "app", "timeout": 1200,
        "trigger": ["system-master", "system-developer", "system-provider"],
        "containers": [
            make_container("system-master", ["env", "TENANT_NAME=master", "PORT=3002", "container-entrypoint",
                                             "bundle", "exec", "unicorn", "-c", "config/unicorn.rb"],
                           3002, "master", None),
            make_container("system-provider", ["env", "TENANT_NAME=provider", "PORT=3000",
                                               "container-entrypoint", "bundle", "exec", "unicorn", "-c",
                                               "config/unicorn.rb"], 3000, "provider", None),
            make_container("system-developer", ["env", "PORT=3001", "container-entrypoint", "bundle", "exec",
                                                "unicorn", "-c", "config/unicorn.rb"], 3001, "developer", None),
        ],
        "init": [],
    },
    "system-sidekiq": {
        "stream": "amp-system", "component": "system", "element": "sidekiq",
        "trigger": ["system-sidekiq", "check-svc"],
        "containers": [make_container("system-sidekiq", ["rake", "sidekiq:worker", "RAILS_MAX_THREADS=25"],
                                      None, None, None)],
        "init": [make_container("check-svc", ["bash", "-c",
                                              "bundle exec sh -c \"until rake boot:redis && curl --output "
                                              "/dev/null --silent --fail --head http://system-master:3000/status; "
                                              "do sleep $SLEEP_SECONDS; done\""], None, None, None, init=True)],
    },
    "system-sphinx": {
        "stream": "amp-system", "component": "system", "element": "sphinx",
        "trigger": ["system-sphinx", "system-master-svc"],
        "containers": [make_container("system-sphinx", ["rake", "openshift:thinking_sphinx:start"], 9306,
                                      "sphinx", None)],
        "init": [make_container("system-master-svc", _MASTER_SVC, None, None, None, init=True)],
    },
    "apicast-staging": {
        "stream": "amp-apicast", "component": "apicast", "element": "staging", "timeout": 1800,
        "trigger": ["apicast-staging"], "tmpl_annotations": _PROMETHEUS,
        "containers": [_ctr("apicast-staging", env=_apicast_env("staging", "lazy", "0"),
                            ports=[(8080, None), (8090, None), (9421, "metrics")],
                            limits={"cpu": "100m", "memory": "128Mi"}, requests={"cpu": "50m", "memory": "64Mi"},
                            probe=_http_probe("/status/ready", 8090, 15))],
        "init": [],
    },
    "apicast-production": {
        "stream": "amp-apicast", "component": "apicast", "element": "production", "timeout": 1800,
        "trigger": ["apicast-production", "system-master-svc"], "tmpl_annotations": _PROMETHEUS,
        "containers": [_ctr("apicast-production", env=_apicast_env("production", "boot", "300"),
                            ports=[(8080, None), (8090, None), (9421, "metrics")],
                            limits={"cpu": "1", "memory": "128Mi"}, requests={"cpu": "500m", "memory": "64Mi"},
                            probe=_http_probe("/status/ready", 8090, 15))],
        "init": [_wait_init("system-master-svc", _MASTER_SVC)],
    },
    "backend-listener": {
        "stream": "amp-backend", "component": "backend", "element": "listener",
        "trigger": ["backend-listener"],
        "containers": [_ctr("backend-listener", args=["bin/3scale_backend", "start", "-e", "production", "-p",
                                                      "3000", "-x", "/dev/stdout"],
                            env=_BACKEND_ENV + [_env("PUMA_WORKERS", "16")], ports=[(3000, None)],
                            limits={"cpu": "1", "memory": "700Mi"}, requests={"cpu": "500m", "memory": "550Mi"},
                            probe=_http_probe("/status", 3000, 30))],
        "init": [],
    },
    "backend-worker": {
        "stream": "amp-backend", "component": "backend", "element": "worker", "timeout": 1200,
        "trigger": ["backend-worker", "backend-redis-svc"],
        "containers": [_ctr("backend-worker", args=["bin/3scale_backend_worker", "run"], env=_BACKEND_ENV,
                            limits={"cpu": "1", "memory": "300Mi"}, requests={"cpu": "150m", "memory": "50Mi"})],
        "init": [_wait_init("backend-redis-svc", _REDIS_CHECK, _BACKEND_ENV)],
    },
    "backend-cron": {
        "stream": "amp-backend", "component": "backend", "element": "cron", "timeout": 1200,
        "trigger": ["backend-cron", "backend-redis-svc"],
        "containers": [_ctr("backend-cron", args=["backend-cron"], env=_BACKEND_ENV,
                            limits={"cpu": "150m", "memory": "80Mi"}, requests={"cpu": "50m", "memory": "40Mi"})],
        "init": [_wait_init("backend-redis-svc", _REDIS_CHECK, _BACKEND_ENV)],
    },
    "zync": {
        "stream": "amp-zync", "component": "zync", "element": None,
        "trigger": ["zync", "zync-db-svc"],
        "annotations": {"prometheus.io/port": "9393", "prometheus.io/scrape": "true"},
        "containers": [_ctr("zync", env=_ZYNC_ENV, ports=[(8080, None)],
                            limits={"cpu": "1", "memory": "512Mi"}, requests={"cpu": "150m", "memory": "250M"},
                            probe=_http_probe("/status/ready", 8080, 100))],
        "init": [_wait_init("zync-db-svc", ["bash", "-c", "bundle exec sh -c \"until rake boot:db; do sleep "
                                            "$SLEEP_SECONDS; done\""],
                            [_env("DATABASE_URL", secret="zync", key="DATABASE_URL")])],
    },
    "zync-que": {
        "stream": "amp-zync", "component": "zync", "element": None, "tmpl_component": False,
        "trigger": ["que"], "service_account": "zync-que-sa",
        "tmpl_annotations": {"prometheus.io/port": "9394", "prometheus.io/scrape": "true"},
        "containers": [_ctr("que", command=["/usr/bin/bash"], args=["-c", "bundle exec rake 'que[--worker-count 10]'"],
                            env=_ZYNC_ENV, ports=[(9394, "metrics")], pull="Always",
                            limits={"cpu": "1", "memory": "512Mi"}, requests={"cpu": "250m", "memory": "250M"})],
        "init": [],
    },
    "system-memcache": {
        "stream": "system-memcached", "component": "system", "element": "memcache",
        "trigger": ["memcache"],
        "containers": [_ctr("memcache", command=["memcached", "-m", "64"], ports=[(11211, None)],
                            limits={"cpu": "250m", "memory": "96Mi"}, requests={"cpu": "50m", "memory": "64Mi"},
                            probe=_exec_probe(["sh", "-c", "echo version | nc $HOSTNAME 11211 | grep VERSION"], 10))],
        "init": [],
    },
    "zync-database": {
        "stream": "zync-database-postgresql", "component": "zync", "element": "database",
        "trigger": ["postgresql"],
        "containers": [_ctr("postgresql", env=[_env("POSTGRESQL_USER", "zync"),
                                               _env("POSTGRESQL_PASSWORD", secret="zync", key="ZYNC_DATABASE_PASSWORD"),
                                               _env("POSTGRESQL_DATABASE", "zync_production")],
                            ports=[(5432, None)], limits={"cpu": "250m", "memory": "2G"},
                            requests={"cpu": "50m", "memory": "250M"},
                            probe=_exec_probe(["/bin/sh", "-i", "-c", "psql -h 127.0.0.1 -U zync -q -d "
                                               "zync_production -c 'SELECT 1'"], 5))],
        "init": [],
    },
    "backend-redis": {
        "stream": "backend-redis", "component": "backend", "element": "redis", "needs": ("redis", "internal"),
        "trigger": ["backend-redis"],
        "containers": [_ctr("backend-redis", command=_REDIS_CMD, args=_REDIS_ARGS, probe=_REDIS_PROBE,
                            limits={"cpu": "2", "memory": "32Gi"}, requests={"cpu": "1", "memory": "1Gi"})],
        "init": [],
    },
    "system-redis": {
        "stream": "system-redis", "component": "system", "element": "redis", "needs": ("redis", "internal"),
        "trigger": ["system-redis"],
        "containers": [_ctr("system-redis", command=_REDIS_CMD, args=_REDIS_ARGS, probe=_REDIS_PROBE,
                            limits={"cpu": "500m", "memory": "32Gi"}, requests={"cpu": "150m", "memory": "256Mi"})],
        "init": [],
    },
    "system-mysql": {
        "stream": "system-mysql", "component": "system", "element": "mysql",
        "needs": ("system_database", "mysql"), "trigger": ["system-mysql"],
        "containers": [_ctr("system-mysql", env=[_env("MYSQL_USER", secret="system-database", key="DB_USER"),
                                                 _env("MYSQL_PASSWORD", secret="system-database", key="DB_PASSWORD"),
                                                 _env("MYSQL_DATABASE", "system"),
                                                 _env("MYSQL_LOWER_CASE_TABLE_NAMES", "1")],
                            ports=[(3306, None)], limits={"memory": "2Gi"}, requests={"cpu": "250m", "memory": "512Mi"},
                            probe=_exec_probe(["/bin/sh", "-i", "-c", "MYSQL_PWD=\"$MYSQL_PASSWORD\" mysql -h "
                                               "127.0.0.1 -u $MYSQL_USER -D $MYSQL_DATABASE -e 'SELECT 1'"], 10))],
        "init": [],
    },
    "system-postgresql": {
        "stream": "system-postgresql", "component": "system", "element": "postgresql",
        "needs": ("system_database", "postgresql"), "trigger": ["system-postgresql"],
        "containers": [_ctr("system-postgresql",
                            env=[_env("POSTGRESQL_USER", secret="system-database", key="DB_USER"),
                                 _env("POSTGRESQL_PASSWORD", secret="system-database", key="DB_PASSWORD"),
                                 _env("POSTGRESQL_DATABASE", "system")],
                            ports=[(5432, None)], limits={"memory": "2Gi"}, requests={"cpu": "250m", "memory": "512Mi"},
                            probe=_exec_probe(["/bin/sh", "-c", "psql -h 127.0.0.1 -U $POSTGRESQL_USER -q -d "
                                               "$POSTGRESQL_DATABASE -c 'SELECT 1'"], 10))],
        "init": [],
    },
}
# the guide's order (procedures.md §1)
DC_ORDER = ["system-app", "system-sidekiq", "system-sphinx", "apicast-staging", "apicast-production",
            "backend-listener", "backend-worker", "backend-cron", "zync", "zync-que", "system-memcache",
            "zync-database", "backend-redis", "system-redis", "system-mysql", "system-postgresql"]
SYSTEM_DATABASES = ("mysql", "postgresql", "external")
REDIS_VARIANTS = ("internal", "external")


def install_dcs(database, system_database, redis):
    """The dcs of a variant, in the guide's order: Oracle has no system database dc."""
    variant = {"system_database": "oracle" if database == "oracle" else system_database, "redis": redis}
    return [n for n in DC_ORDER
            if "needs" not in DC_SPECS[n] or variant[DC_SPECS[n]["needs"][0]] == DC_SPECS[n]["needs"][1]]


# system-app's pre hook env as the templates of 2.8, 2.9 and 2.10 have it: the system env,
# BACKEND_ROUTE among it from the backend-listener secret (the 2.10 -> 2.11 hop replaces it by a
# literal value, procedures.md §4 step 1; a template-based upgrade changes images, not the hook,
# so an install made from an older template still has it when it reaches 2.10)
def hook_env(version):
    return [_env("AMP_RELEASE", version), _env("RAILS_ENV", "production"),
            _env("THREESCALE_SUPERDOMAIN", cm="system-environment", key="THREESCALE_SUPERDOMAIN"),
            _env("BACKEND_ROUTE", secret="backend-listener", key="route_endpoint"),
            _env("MASTER_USER", secret="system-seed", key="MASTER_USER")]


def version_containers(name, containers, version):
    """The containers of DC_SPECS (2.9, less BACKEND_ROUTE) as the VERSION template has them."""
    for c in containers:
        for e in c.get("env") or []:
            if e.get("name") == "AMP_RELEASE" and e.get("value") == "2.9":
                e["value"] = version
        # system-app's and system-sidekiq's containers take BACKEND_ROUTE from the same
        # secret in every template before 2.11 (sidekiq's init container check-svc has no env)
        if name in ("system-app", "system-sidekiq") and c["name"] != "check-svc":
            c["env"].append(_env("BACKEND_ROUTE", secret="backend-listener", key="route_endpoint"))
        if version == "2.10" and c["name"] == "backend-cron":
            c["resources"] = {"limits": {"cpu": "150m", "memory": "150Mi"},
                              "requests": {"cpu": "50m", "memory": "40Mi"}}


def make_dc(w, name, image, tag_name, replicas, t, version="2.9"):
    spec = DC_SPECS[name]
    labels = {"app": APP_LABEL, "threescale_component": spec["component"]}
    if spec.get("element"):
        labels["threescale_component_element"] = spec["element"]
    tlabels = dict(labels)
    if spec.get("tmpl_component") is False:
        tlabels.pop("threescale_component")
    tlabels["deploymentConfig"] = name
    containers = copy.deepcopy(spec["containers"])
    inits = copy.deepcopy(spec["init"])
    for c in containers + inits:
        c["image"] = image
    version_containers(name, containers + inits, version)
    rolling = {"intervalSeconds": 1, "maxSurge": "25%", "maxUnavailable": "25%",
               "timeoutSeconds": spec.get("timeout", 600),
               "updatePeriodSeconds": 1}
    if name == "system-app":
        rolling["pre"] = {"execNewPod": {"command": ["bash", "-c", "bundle exec rake boot openshift:deploy"],
                                         "containerName": "system-master",
                                         "env": hook_env(version),
                                         "volumes": ["system-storage"]},
                          "failurePolicy": "Retry"}
    sa = spec.get("service_account", "amp")
    pod_spec = {"containers": containers, "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                "schedulerName": "default-scheduler", "securityContext": {},
                "serviceAccount": sa, "serviceAccountName": sa,
                "terminationGracePeriodSeconds": 30}
    if inits:
        pod_spec["initContainers"] = inits
    tmeta = {"creationTimestamp": None, "labels": tlabels}
    if spec.get("tmpl_annotations"):
        tmeta["annotations"] = dict(spec["tmpl_annotations"])
    md = {"name": name, "namespace": w.ns, "labels": labels, "generation": 2}
    if spec.get("annotations"):
        md["annotations"] = dict(spec["annotations"])
    dc = {
        "apiVersion": "apps.openshift.io/v1",
        "kind": "DeploymentConfig",
        "metadata": md,
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "selector": {"deploymentConfig": name},
            "strategy": {"activeDeadlineSeconds": 21600, "resources": {},
                         "rollingParams": rolling, "type": "Rolling"},
            "template": {"metadata": tmeta, "spec": pod_spec},
            "test": False,
            "triggers": [
                {"type": "ConfigChange"},
                {"type": "ImageChange",
                 "imageChangeParams": {"automatic": True, "containerNames": list(spec["trigger"]),
                                       "from": {"kind": "ImageStreamTag", "name": tag_name},
                                       "lastTriggeredImage": image}},
            ],
        },
        "status": {"availableReplicas": 0, "latestVersion": 0, "observedGeneration": 2,
                   "replicas": 0, "unavailableReplicas": 0, "updatedReplicas": 0},
    }
    return w.create("deploymentconfigs", dc, t)


def all_container_names(dc):
    ps = dc["spec"]["template"]["spec"]
    return [c["name"] for c in ps.get("containers", [])] + \
        [c["name"] for c in ps.get("initContainers", []) or []]


def pod_ready(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "Ready":
            return c["status"] == "True"
    return False


def set_pod_phase(pod, phase, t, reason=None, crashing=None):
    """reason "crash": the containers (or only those named in crashing, whose binary is missing)
    crash-loop and the pod is not ready."""
    st = pod.setdefault("status", {})
    st["phase"] = phase
    tt = ts(t)
    conds = {"PodScheduled": "True"}
    if phase == "Pending":
        conds.update({"Initialized": "False", "Ready": "False", "ContainersReady": "False"})
    elif phase == "Running":
        ready = reason != "crash"
        conds.update({"Initialized": "True", "Ready": "True" if ready else "False",
                      "ContainersReady": "True" if ready else "False"})
    else:
        conds.update({"Initialized": "True", "Ready": "False", "ContainersReady": "False"})
    old = {c["type"]: c for c in st.get("conditions", [])}
    new = []
    for ctype in ("Initialized", "Ready", "ContainersReady", "PodScheduled"):
        status = conds[ctype]
        prev = old.get(ctype)
        c = {"lastProbeTime": None, "type": ctype, "status": status,
             "lastTransitionTime": prev["lastTransitionTime"] if prev and prev["status"] == status else tt}
        if phase == "Succeeded" and ctype in ("Ready", "ContainersReady"):
            c["reason"] = "PodCompleted"
        new.append(c)
    st["conditions"] = new
    st["hostIP"] = "10.0.1.23"
    if phase != "Pending":
        st.setdefault("podIP", "10.128.%d.%d" % (random.randint(0, 3), random.randint(2, 250)))
        st.setdefault("startTime", tt)
    st.setdefault("qosClass", "Burstable")
    statuses = []
    prevs = {x["name"]: x for x in st.get("containerStatuses", [])}
    for c in pod["spec"]["containers"]:
        prev = prevs.get(c["name"], {})
        cs = {"name": c["name"], "image": c["image"], "imageID": "", "ready": False,
              "restartCount": prev.get("restartCount", 0), "started": False}
        if phase == "Pending":
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif phase == "Running" and reason == "crash" and crashing is not None and c["name"] in crashing:
            # a binary that the image does not have: the runtime cannot start the container
            # (docker's ContainerCannotRun, exit 127, as on OpenShift 3.11), the kubelet backs off
            cs["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message":
                                       "back-off 10s restarting failed container=%s pod=%s_%s(%s)" % (
                                           c["name"], pod["metadata"]["name"], pod["metadata"]["namespace"],
                                           pod["metadata"]["uid"])}}
            prev_last = (prev.get("lastState") or {}).get("terminated") or {}
            cs["lastState"] = {"terminated": {
                "exitCode": 127, "reason": "ContainerCannotRun", "message": binary_missing(c),
                "startedAt": prev_last.get("startedAt", tt), "finishedAt": tt,
                "containerID": "docker://" + digest(pod["metadata"]["uid"] + c["name"])}}
            cs["imageID"] = c["image"]
        elif phase == "Running" and reason == "crash" and crashing is not None:
            cs.update({"ready": False, "started": True, "imageID": c["image"],
                       "containerID": "cri-o://" + digest(pod["metadata"]["uid"] + c["name"]),
                       "state": {"running": {"startedAt": tt}}})
        elif phase == "Running" and reason == "crash":
            cs["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message":
                                       "back-off 10s restarting failed container=%s pod=%s_%s(%s)" % (
                                           c["name"], pod["metadata"]["name"], pod["metadata"]["namespace"],
                                           pod["metadata"]["uid"])}}
            cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": tt,
                                              "finishedAt": tt,
                                              "containerID": "cri-o://" + digest(tt + c["name"])}}
            cs["imageID"] = c["image"]
        elif phase == "Running":
            cs.update({"ready": True, "started": True, "imageID": c["image"],
                       "containerID": "cri-o://" + digest(pod["metadata"]["uid"] + c["name"]),
                       "state": {"running": {"startedAt": tt}}})
        else:
            code = 0 if phase == "Succeeded" else 1
            cs.update({"imageID": c["image"],
                       "containerID": "cri-o://" + digest(pod["metadata"]["uid"] + c["name"]),
                       "state": {"terminated": {"exitCode": code, "finishedAt": tt,
                                                "reason": "Completed" if code == 0 else "Error",
                                                "startedAt": st.get("startTime", tt)}}})
        statuses.append(cs)
    st["containerStatuses"] = statuses
    if pod["spec"].get("initContainers"):
        ist = []
        for c in pod["spec"]["initContainers"]:
            cs = {"name": c["name"], "image": c["image"], "imageID": "", "ready": False,
                  "restartCount": 0}
            if phase == "Pending":
                cs["state"] = {"waiting": {"reason": "PodInitializing"}}
            else:
                cs.update({"ready": True, "imageID": c["image"],
                           "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                    "startedAt": st.get("startTime", tt),
                                                    "finishedAt": tt}}})
            ist.append(cs)
        st["initContainerStatuses"] = ist


def owner_ref(api, kind, obj):
    return {"apiVersion": api, "kind": kind, "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def make_app_pod(w, dcname, rc, t):
    rcname = rc["metadata"]["name"]
    tmpl = rc["spec"]["template"]
    name = "%s-%s" % (rcname, rand_suffix())
    while name in w.objs("pods"):
        name = "%s-%s" % (rcname, rand_suffix())
    labels = dict(tmpl["metadata"].get("labels", {}))
    labels["deploymentconfig"] = dcname
    labels["deployment"] = rcname
    annotations = dict(tmpl["metadata"].get("annotations") or {})
    annotations.update({
        "openshift.io/deployment-config.latest-version":
            rc["metadata"]["annotations"]["openshift.io/deployment-config.latest-version"],
        "openshift.io/deployment-config.name": dcname,
        "openshift.io/deployment.name": rcname,
        "openshift.io/scc": "restricted"})
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "generateName": rcname + "-", "namespace": w.ns,
                        "labels": labels,
                        "annotations": annotations,
                        "ownerReferences": [owner_ref("v1", "ReplicationController", rc)],
                        "uid": uuid4()},
           "spec": copy.deepcopy(tmpl["spec"]),
           "status": {}}
    pod["spec"]["nodeName"] = "worker-0.sim.example.com"
    set_pod_phase(pod, "Pending", t)
    return w.create("pods", pod, t)


def make_deployer_pod(w, rc, phase, t):
    rcname = rc["metadata"]["name"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": rcname + "-deploy", "namespace": w.ns,
                        "labels": {"openshift.io/deployer-pod-for.name": rcname},
                        "annotations": {"openshift.io/deployment.name": rcname,
                                        "openshift.io/scc": "restricted"},
                        "ownerReferences": [{"apiVersion": "v1", "kind": "ReplicationController",
                                             "name": rcname, "uid": rc["metadata"]["uid"]}],
                        "uid": uuid4()},
           "spec": {"activeDeadlineSeconds": 21600,
                    "containers": [{"name": "deployment", "image": DEPLOYER_IMAGE,
                                    "imagePullPolicy": "IfNotPresent",
                                    "env": [{"name": "OPENSHIFT_DEPLOYMENT_NAME", "value": rcname},
                                            {"name": "OPENSHIFT_DEPLOYMENT_NAMESPACE", "value": w.ns}],
                                    "resources": {}}],
                    "nodeName": "worker-0.sim.example.com",
                    "restartPolicy": "Never", "serviceAccountName": "deployer",
                    "terminationGracePeriodSeconds": 10},
           "status": {}}
    set_pod_phase(pod, phase, t)
    return w.create("pods", pod, t)


def make_hook_pod(w, rc, phase, t, crash=False):
    rcname = rc["metadata"]["name"]
    dcname = rc["metadata"]["annotations"]["openshift.io/deployment-config.name"]
    dc = w.get("deploymentconfigs", dcname)
    pre = dc["spec"]["strategy"]["rollingParams"]["pre"]["execNewPod"]
    image = None
    for c in rc["spec"]["template"]["spec"]["containers"]:
        if c["name"] == pre["containerName"]:
            image = c["image"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": rcname + "-hook-pre", "namespace": w.ns,
                        "labels": {"openshift.io/deployer-pod-for.name": rcname,
                                   "openshift.io/deployer-pod.type": "hook-pre"},
                        "annotations": {"openshift.io/deployment.name": rcname,
                                        "openshift.io/scc": "restricted"},
                        "ownerReferences": [{"apiVersion": "v1", "kind": "ReplicationController",
                                             "name": rcname, "uid": rc["metadata"]["uid"]}],
                        "uid": uuid4()},
           "spec": {"activeDeadlineSeconds": 21600,
                    "containers": [{"name": "lifecycle", "image": image,
                                    "command": pre["command"], "env": pre.get("env", []),
                                    "imagePullPolicy": "IfNotPresent", "resources": {}}],
                    "nodeName": "worker-0.sim.example.com",
                    "restartPolicy": "OnFailure" if crash else "Never",
                    "serviceAccountName": "amp"},
           "status": {}}
    set_pod_phase(pod, phase, t, "crash" if crash else None)
    return w.create("pods", pod, t)


def template_hash(tmpl):
    """What state.json keeps of the pod template an RC was made from (a copy would be a
    tenth of the state): enough to tell whether the dc's template changed since."""
    return digest(json.dumps(tmpl, sort_keys=True, separators=(",", ":")))


def make_rc(w, dc, version, t, phase="New"):
    name = dc["metadata"]["name"]
    rcname = "%s-%d" % (name, version)
    tmpl = copy.deepcopy(dc["spec"]["template"])
    tmpl["metadata"]["labels"]["deployment"] = rcname
    tmpl["metadata"]["labels"]["deploymentconfig"] = name
    tmpl["metadata"]["annotations"] = dict(tmpl["metadata"].get("annotations") or {}, **{
        "openshift.io/deployment-config.latest-version": str(version),
        "openshift.io/deployment-config.name": name,
        "openshift.io/deployment.name": rcname})
    labels = dict(dc["spec"]["template"]["metadata"].get("labels", {}))
    labels.update(dc["metadata"].get("labels", {}))
    labels["openshift.io/deployment-config.name"] = name
    labels["deploymentconfig"] = name
    labels["deployment"] = rcname
    selector = dict(dc["spec"]["selector"])
    selector["deployment"] = rcname
    selector["deploymentconfig"] = name
    rc = {"apiVersion": "v1", "kind": "ReplicationController",
          "metadata": {"name": rcname, "namespace": w.ns, "generation": 1, "labels": labels,
                       "annotations": {
                           "openshift.io/deployer-pod.name": rcname + "-deploy",
                           "openshift.io/deployment-config.latest-version": str(version),
                           "openshift.io/deployment-config.name": name,
                           "openshift.io/deployment.phase": phase,
                           "openshift.io/deployment.replicas": ""},
                       "ownerReferences": [owner_ref("apps.openshift.io/v1", "DeploymentConfig", dc)],
                       "uid": uuid4()},
          "spec": {"replicas": 0, "selector": selector, "template": tmpl},
          "status": {"replicas": 0, "observedGeneration": 1}}
    w.s["templates"][rcname] = template_hash(dc["spec"]["template"])
    return w.create("replicationcontrollers", rc, t)


def make_imagestream(w, t, name, database, oracle_image, version="2.9"):
    ns = w.ns
    component, display = STREAMS[name][0], STREAMS[name][1]
    src = stream_image(name, version)
    is_ = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
           "metadata": {"name": name, "namespace": ns, "generation": 2,
                        "labels": {"app": APP_LABEL, "threescale_component": component},
                        "annotations": {"openshift.io/display-name": display,
                                        "openshift.io/image.dockerRepositoryCheck": ts(t)}},
           "spec": {"lookupPolicy": {"local": False},
                    "tags": [{"annotations": {"openshift.io/display-name": tag_display(name, version)},
                              "from": {"kind": "DockerImage", "name": src},
                              "generation": 2, "importPolicy": {}, "name": version,
                              "referencePolicy": {"type": "Source"}}]},
           "status": {"dockerImageRepository": "%s/%s/%s" % (INTERNAL_REGISTRY, ns, name),
                      "tags": [{"tag": version, "items": [
                          {"created": ts(t), "dockerImageReference": docker_ref(src),
                           "generation": 2, "image": "sha256:" + digest(src)}]}]}}
    if version == "2.8":
        # the 2.8 templates: a tag `latest` that follows the release's tag (an ImageStreamTag
        # reference within the stream), imported as the same image
        is_["spec"]["tags"].append({"annotations": {"openshift.io/display-name": display + " (latest)"},
                                    "from": {"kind": "ImageStreamTag", "name": version},
                                    "generation": 2, "importPolicy": {}, "name": "latest",
                                    "referencePolicy": {"type": "Source"}})
        is_["status"]["tags"].append({"tag": "latest", "items": [dict(is_["status"]["tags"][0]["items"][0])]})
    if database == "oracle" and name == "amp-system":
        nxt = {"2.9": "2.10", "2.10": "2.11"}[version]
        for tag, present in ((version + "-oracle", True), (nxt + "-oracle", oracle_image)):
            if present:
                is_["status"]["tags"].append({"tag": tag, "items": [built_item(ns, tag, t, 2)]})
        is_["status"]["tags"].sort(key=lambda x: x["tag"])
    return w.create("imagestreams", is_, t)


def make_configmap(w, t, version="2.9"):
    """system-environment, as amp.yml has it, with the release number."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "system-environment", "namespace": w.ns,
                       "labels": {"app": APP_LABEL, "threescale_component": "system"}},
          "data": {"AMP_RELEASE": version, "APICAST_REGISTRY_URL": "http://apicast-staging:8090/policies",
                   "FORCE_SSL": "true", "PROVIDER_PLAN": "enterprise", "RAILS_ENV": "production",
                   "RAILS_LOG_LEVEL": "info", "RAILS_LOG_TO_STDOUT": "true",
                   "SSL_CERT_DIR": "/etc/pki/tls/certs", "THINKING_SPHINX_PORT": "9306",
                   "THREESCALE_SANDBOX_PROXY_OPENSSL_VERIFY_MODE": "VERIFY_NONE",
                   "THREESCALE_SUPERDOMAIN": SUPERDOMAIN}}
    return w.create("configmaps", cm, t)


def built_item(ns, tag, t, gen):
    src = "%s/amp-system:%s" % (ns, tag)
    return {"created": ts(t),
            "dockerImageReference": "%s/%s/amp-system@sha256:%s" % (INTERNAL_REGISTRY, ns, digest(src)),
            "generation": gen, "image": "sha256:" + digest(src)}


# ---------------------------------------------------------------------------
# the install's other objects (TEMPLATE_KINDS), built on read from the variant, and the objects
# derived from the stored ones (endpoints).  Deterministic: the same state gives the same bytes.

TENANT = "3scale"  # the template's TENANT_NAME
# the one value that is obviously a secret: system-seed's MASTER_PASSWORD, for tests that check
# that a program never prints what it read from a secret
CANARY_MASTER_PASSWORD = "ocsim-MASTER-PASSWORD-canary-9fk2"
_ALNUM_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_FAKE_CA = ("-----BEGIN CERTIFICATE-----\n"
            "MIIDMjCCAhqgAwIBAgIIb2Mtc2ltLWNhMA0GCSqGSIb3DQEBCwUAMDYxNDAyBgNV\n"
            "BAMMK29wZW5zaGlmdC1zaWduZXJAMTcwMDAwMDAwMCAob2Mtc2ltIGZha2UgQ0Ep\n"
            "-----END CERTIFICATE-----\n")


def b64(s):
    return binascii.b2a_base64(s.encode(), newline=False).decode()


def _det(w, key, n, alphabet=_ALNUM_LOWER):
    """A generated value (the template's `generate: expression`), fixed for the namespace."""
    h = b""
    seed = ("%s|%s" % (w.ns, key)).encode()
    while len(h) < n:
        seed = sha256(seed).digest()
        h += seed
    return "".join(alphabet[b % len(alphabet)] for b in h[:n])


def _vmeta(w, plural, name, labels=None, annotations=None, age=0):
    """metadata of a built object: uid and resourceVersion fixed per install, created with the
    install (age: seconds earlier, for the objects of the project itself)."""
    key = "%s|%s|%s|%r" % (w.ns, plural, name, w.s.get("initialized"))
    h = sha256(key.encode()).hexdigest()
    md = {"name": name, "namespace": w.ns, "uid": uuid_str(h[:32]),
          "resourceVersion": str(1000 + int(h[32:40], 16) % 90000),
          "creationTimestamp": ts(w.s.get("initialized", 0) - 86400 - age)}
    if labels:
        md["labels"] = labels
    if annotations:
        md["annotations"] = annotations
    return md


def _tlabels(component, element=None):
    la = {"app": APP_LABEL, "threescale_component": component}
    if element:
        la["threescale_component_element"] = element
    return la


SERVICE_ACCOUNTS = ("amp", "builder", "default", "deployer", "zync-que-sa")  # the template's + the project's


def _sa_secret_names(w, sa):
    return ("%s-token-%s" % (sa, _det(w, "token-" + sa, 5, POD_ALPHABET)),
            "%s-dockercfg-%s" % (sa, _det(w, "dockercfg-" + sa, 5, POD_ALPHABET)))


def _sa_token(w, sa, secname):
    hdr = b64('{"alg":"RS256","kid":"oc-sim"}').rstrip("=")
    body = b64(compact({"iss": "kubernetes/serviceaccount",
                        "kubernetes.io/serviceaccount/namespace": w.ns,
                        "kubernetes.io/serviceaccount/secret.name": secname,
                        "kubernetes.io/serviceaccount/service-account.name": sa,
                        "sub": "system:serviceaccount:%s:%s" % (w.ns, sa)})).rstrip("=")
    return "%s.%s.%s" % (hdr.replace("+", "-").replace("/", "_"), body.replace("+", "-").replace("/", "_"),
                         _det(w, "signature-" + sa, 86, _ALNUM + "-_"))


def _secret(w, name, data, labels=None, stype="Opaque", annotations=None, age=0):
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": _vmeta(w, "secrets", name, labels, annotations, age),
            "data": {k: b64(v) for k, v in data.items()}, "type": stype}


def build_secrets(w):
    ns = w.ns
    pw = lambda key, n=8, a=_ALNUM_LOWER: _det(w, key, n, a)  # noqa: E731
    redis_host = "backend-redis" if w.s.get("redis") != "external" else "backend-redis.redis.example.com"
    sys_redis = "system-redis" if w.s.get("redis") != "external" else "system-redis.redis.example.com"
    db = w.s.get("system_database", "mysql")
    if w.s.get("database") == "oracle":
        dbdata = {"DB_PASSWORD": pw("SYSTEM_DATABASE_PASSWORD"), "DB_USER": "threescale",
                  "ORACLE_SYSTEM_PASSWORD": pw("ORACLE_SYSTEM_PASSWORD"),
                  "URL": "oracle-enhanced://threescale:%s@oracle.db.example.com:1521/threescalepdb"
                         % pw("SYSTEM_DATABASE_PASSWORD")}
    elif db == "postgresql":
        dbdata = {"DB_PASSWORD": pw("SYSTEM_DATABASE_PASSWORD"), "DB_USER": "system",
                  "URL": "postgresql://system:%s@system-postgresql/system" % pw("SYSTEM_DATABASE_PASSWORD")}
    elif db == "external":
        dbdata = {"DB_PASSWORD": pw("SYSTEM_DATABASE_PASSWORD"), "DB_USER": "mysql",
                  "URL": "mysql2://root:%s@mysql.db.example.com/system" % pw("SYSTEM_DATABASE_ROOT_PASSWORD")}
    else:
        dbdata = {"DB_PASSWORD": pw("SYSTEM_DATABASE_PASSWORD"), "DB_USER": "mysql",
                  "URL": "mysql2://root:%s@system-mysql/system" % pw("SYSTEM_DATABASE_ROOT_PASSWORD")}
    token = pw("APICAST_ACCESS_TOKEN")
    zync_db = pw("ZYNC_DATABASE_PASSWORD", 16, _ALNUM)
    out_ = [
        _secret(w, "backend-internal-api", {"password": pw("SYSTEM_BACKEND_PASSWORD"),
                                            "username": "3scale_api_user"}, _tlabels("backend")),
        _secret(w, "backend-listener", {"route_endpoint": "https://backend-%s.%s" % (TENANT, SUPERDOMAIN),
                                        "service_endpoint": "http://backend-listener:3000"},
                _tlabels("backend")),
        _secret(w, "backend-redis", {"REDIS_QUEUES_SENTINEL_HOSTS": "", "REDIS_QUEUES_SENTINEL_ROLE": "",
                                     "REDIS_QUEUES_URL": "redis://%s:6379/1" % redis_host,
                                     "REDIS_STORAGE_SENTINEL_HOSTS": "", "REDIS_STORAGE_SENTINEL_ROLE": "",
                                     "REDIS_STORAGE_URL": "redis://%s:6379/0" % redis_host},
                _tlabels("backend")),
        _secret(w, "system-app", {"SECRET_KEY_BASE": pw("SYSTEM_APP_SECRET_KEY_BASE", 128, "0123456789abcdef")},
                _tlabels("system")),
        _secret(w, "system-database", dbdata, _tlabels("system")),
        _secret(w, "system-events-hook", {"PASSWORD": pw("SYSTEM_BACKEND_SHARED_SECRET"),
                                          "URL": "http://system-master:3000/master/events/import"},
                _tlabels("system")),
        _secret(w, "system-master-apicast", dict({
            "ACCESS_TOKEN": token,
            "PROXY_CONFIGS_ENDPOINT": "http://%s@system-master:3000/master/api/proxy/configs" % token},
            # the 2.8 template's BASE_URL, which the 2.9 guide removes (procedures.md §3)
            **({"BASE_URL": "http://%s@system-master:3000" % token} if w.s.get("release") == "2.8" else {})),
            _tlabels("system")),
        _secret(w, "system-memcache", {"SERVERS": "system-memcache:11211"}, _tlabels("system")),
        _secret(w, "system-recaptcha", {"PRIVATE_KEY": "", "PUBLIC_KEY": ""}, _tlabels("system")),
        _secret(w, "system-redis", {"MESSAGE_BUS_NAMESPACE": "", "MESSAGE_BUS_SENTINEL_HOSTS": "",
                                    "MESSAGE_BUS_SENTINEL_ROLE": "", "MESSAGE_BUS_URL": "", "NAMESPACE": "",
                                    "SENTINEL_HOSTS": "", "SENTINEL_ROLE": "",
                                    "URL": "redis://%s:6379/1" % sys_redis}, _tlabels("system")),
        _secret(w, "system-seed", {"ADMIN_ACCESS_TOKEN": pw("ADMIN_ACCESS_TOKEN", 16), "ADMIN_EMAIL": "",
                                   "ADMIN_PASSWORD": pw("ADMIN_PASSWORD"), "ADMIN_USER": "admin",
                                   "MASTER_ACCESS_TOKEN": pw("MASTER_ACCESS_TOKEN"), "MASTER_DOMAIN": "master",
                                   "MASTER_PASSWORD": CANARY_MASTER_PASSWORD, "MASTER_USER": "master",
                                   "TENANT_NAME": TENANT}, _tlabels("system")),
        _secret(w, "system-smtp", {k: "" for k in ("address", "authentication", "domain", "openssl.verify.mode",
                                                   "password", "port", "username")},
                _tlabels("system", "smtp")),
        _secret(w, "zync", {"DATABASE_URL": "postgresql://zync:%s@zync-database:5432/zync_production" % zync_db,
                            "SECRET_KEY_BASE": pw("ZYNC_SECRET_KEY_BASE", 16, _ALNUM),
                            "ZYNC_AUTHENTICATION_TOKEN": pw("ZYNC_AUTHENTICATION_TOKEN", 16, _ALNUM),
                            "ZYNC_DATABASE_PASSWORD": zync_db}, _tlabels("zync")),
    ]
    # made by the administrator before the install: oc create secret docker-registry ...
    user, rpw = "12345678|oc-sim", pw("registry-token", 40, _ALNUM)
    out_.append(_secret(w, "threescale-registry-auth", {".dockerconfigjson": compact(
        {"auths": {"registry.redhat.io": {"auth": b64("%s:%s" % (user, rpw)), "password": rpw,
                                          "username": user}}})},
        stype="kubernetes.io/dockerconfigjson", age=600))
    # the token and dockercfg secrets the project's controllers make for every service account
    sas = build_serviceaccounts(w)
    for sa in SERVICE_ACCOUNTS:
        tname, dname = _sa_secret_names(w, sa)
        said = sas[sa]["metadata"]["uid"]
        tok = _sa_token(w, sa, tname)
        age = 0 if sa in ("amp", "zync-que-sa") else 3600
        out_.append(_secret(w, tname, {"ca.crt": _FAKE_CA, "namespace": ns, "service-ca.crt": _FAKE_CA,
                                       "token": tok},
                            stype="kubernetes.io/service-account-token", age=age,
                            annotations={"kubernetes.io/service-account.name": sa,
                                         "kubernetes.io/service-account.uid": said}))
        regs = {}
        for reg in (INTERNAL_REGISTRY, "image-registry.openshift-image-registry.svc.cluster.local:5000"):
            regs[reg] = {"auth": b64("<token>:" + tok), "password": tok, "username": "<token>"}
        out_.append(_secret(w, dname, {".dockercfg": compact(regs)}, stype="kubernetes.io/dockercfg", age=age,
                            annotations={"kubernetes.io/service-account.name": sa,
                                         "kubernetes.io/service-account.uid": said,
                                         "openshift.io/token-secret.name": tname,
                                         "openshift.io/token-secret.value": tok}))
    return {o["metadata"]["name"]: o for o in out_}


def build_serviceaccounts(w):
    res = {}
    for sa in SERVICE_ACCOUNTS:
        tname, dname = _sa_secret_names(w, sa)
        pulls = [{"name": dname}]
        if sa in ("amp", "zync-que-sa"):  # the template's: pull from registry.redhat.io
            pulls.insert(0, {"name": "threescale-registry-auth"})
        res[sa] = {"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": _vmeta(w, "serviceaccounts", sa, age=0 if sa in ("amp", "zync-que-sa") else 3600),
                   "imagePullSecrets": pulls, "secrets": [{"name": tname}, {"name": dname}]}
    return res


def build_rolebindings(w):
    ns = w.ns
    rbac = "rbac.authorization.k8s.io"
    auto = "  It is auto-managed by a controller; remove subjects to disable."
    specs = [
        ("admin", "ClusterRole", "admin", [{"apiGroup": rbac, "kind": "User", "name": "admin"}], None, 3600),
        ("system:deployers", "ClusterRole", "system:deployer",
         [{"kind": "ServiceAccount", "name": "deployer", "namespace": ns}],
         "Allows deploymentconfigs in this namespace to rollout pods in this namespace." + auto, 3600),
        ("system:image-builders", "ClusterRole", "system:image-builder",
         [{"kind": "ServiceAccount", "name": "builder", "namespace": ns}],
         "Allows builds in this namespace to push images to this namespace." + auto, 3600),
        ("system:image-pullers", "ClusterRole", "system:image-puller",
         [{"apiGroup": rbac, "kind": "Group", "name": "system:serviceaccounts:" + ns}],
         "Allows all pods in this namespace to pull images from this namespace." + auto, 3600),
        # oc policy add-role-to-user view -z amp (system's service discovery reads the project)
        ("view", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "amp", "namespace": ns}], None, 0),
        ("zync-que-rolebinding", "Role", "zync-que-role",
         [{"kind": "ServiceAccount", "name": "zync-que-sa", "namespace": ns}], None, 0),
    ]
    res = {}
    for name, rkind, rname, subjects, desc, age in specs:
        res[name] = {"apiVersion": rbac + "/v1", "kind": "RoleBinding",
                     "metadata": _vmeta(w, "rolebindings", name,
                                        annotations={"openshift.io/description": desc} if desc else None, age=age),
                     "roleRef": {"apiGroup": rbac, "kind": rkind, "name": rname}, "subjects": subjects}
    return res


# the template's services: (name, dc behind it, component, element, [(port name, port, targetPort)])
SERVICE_SPECS = (
    ("apicast-production", "apicast-production", "apicast", "production",
     (("gateway", 8080, 8080), ("management", 8090, 8090))),
    ("apicast-staging", "apicast-staging", "apicast", "staging",
     (("gateway", 8080, 8080), ("management", 8090, 8090))),
    ("backend-listener", "backend-listener", "backend", "listener", (("http", 3000, 3000),)),
    ("backend-redis", "backend-redis", "backend", "redis", ((None, 6379, 6379),)),
    ("system-developer", "system-app", "system", "developer-ui", (("http", 3000, "developer"),)),
    ("system-master", "system-app", "system", "master-ui", (("http", 3000, "master"),)),
    ("system-memcache", "system-memcache", "system", "memcache", (("memcache", 11211, 11211),)),
    ("system-mysql", "system-mysql", "system", "mysql", (("system-mysql", 3306, 3306),)),
    ("system-postgresql", "system-postgresql", "system", "postgresql", (("system-postgresql", 5432, 5432),)),
    ("system-provider", "system-app", "system", "provider-ui", (("http", 3000, "provider"),)),
    ("system-redis", "system-redis", "system", "redis", (("redis", 6379, 6379),)),
    ("system-sphinx", "system-sphinx", "system", "sphinx", (("sphinx", 9306, 9306),)),
    ("zync", "zync", "zync", None, (("8080-tcp", 8080, 8080),)),
    ("zync-database", "zync-database", "zync", "database", (("postgresql", 5432, 5432),)),
)


def build_services(w):
    dcs = w.objs("deploymentconfigs")
    res = {}
    for name, dc, comp, elem, ports in SERVICE_SPECS:
        if dc not in dcs:
            continue
        h = sha256(("%s/%s" % (w.ns, name)).encode()).digest()
        ip = "172.30.%d.%d" % (h[0], 2 + h[1] % 250)
        plist = []
        for pname, port, target in ports:
            p = {"port": port, "protocol": "TCP", "targetPort": target}
            if pname:
                p["name"] = pname
            plist.append(p)
        res[name] = {"apiVersion": "v1", "kind": "Service",
                     "metadata": _vmeta(w, "services", name, _tlabels(comp, elem)),
                     "spec": {"clusterIP": ip, "ports": plist, "selector": {"deploymentConfig": dc},
                              "sessionAffinity": "None", "type": "ClusterIP"},
                     "status": {"loadBalancer": {}}}
    return res


def build_endpoints(w):
    """The endpoints controller's view: per service, the active pods its selector matches, ready
    ones in addresses and the others in notReadyAddresses, with the ports resolved."""
    pods = [p for p in w.objs("pods").values()
            if not p["metadata"].get("deletionTimestamp") and (p.get("status") or {}).get("podIP")]
    res = {}
    for name, svc in build_services(w).items():
        sel = svc["spec"]["selector"]
        members = [p for p in pods
                   if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())]
        ready, unready = [], []
        ports = []
        for sp in svc["spec"]["ports"]:
            target = sp["targetPort"]
            if isinstance(target, str):  # a named container port
                for p in members[:1]:
                    for c in p["spec"].get("containers", []):
                        for cp in c.get("ports", []) or []:
                            if cp.get("name") == target:
                                target = cp["containerPort"]
                if isinstance(target, str):
                    continue
            ep = {"port": target, "protocol": sp.get("protocol", "TCP")}
            if sp.get("name"):
                ep["name"] = sp["name"]
            ports.append(ep)
        for p in sorted(members, key=lambda x: x["status"]["podIP"]):
            addr = {"ip": p["status"]["podIP"], "nodeName": p["spec"].get("nodeName"),
                    "targetRef": {"kind": "Pod", "name": p["metadata"]["name"], "namespace": w.ns,
                                  "uid": p["metadata"]["uid"]}}
            (ready if pod_ready(p) else unready).append(addr)
        md = _vmeta(w, "endpoints", name, svc["metadata"].get("labels"))
        md["creationTimestamp"] = svc["metadata"]["creationTimestamp"]
        rvs = [int(p["metadata"].get("resourceVersion") or 0) for p in members]
        if rvs:
            md["resourceVersion"] = str(max(rvs))
        o = {"apiVersion": "v1", "kind": "Endpoints", "metadata": md}
        if (ready or unready) and ports:
            sub = {"ports": ports}
            if ready:
                sub["addresses"] = ready
            if unready:
                sub["notReadyAddresses"] = unready
            o["subsets"] = [sub]
        res[name] = o
    return res


def _route(w, name, host, svc, port, labels, tls, annotations=None):
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": _vmeta(w, "routes", name, labels, annotations),
            "spec": {"host": host, "port": {"targetPort": port}, "tls": tls,
                     "to": {"kind": "Service", "name": svc, "weight": 100}, "wildcardPolicy": "None"},
            "status": {"ingress": [{"conditions": [{"lastTransitionTime": ts(w.s.get("initialized", 0) - 86000),
                                                    "status": "True", "type": "Admitted"}],
                                    "host": host, "routerCanonicalHostname": "router-default." + SUPERDOMAIN,
                                    "routerName": "default", "wildcardPolicy": "None"}]}}


def build_routes(w):
    """The template's route (backend) and the ones zync made for the master, the tenant's admin
    portal and developer portal, and its staging and production APIcast."""
    res = {}
    r = _route(w, "backend", "backend-%s.%s" % (TENANT, SUPERDOMAIN), "backend-listener", "http",
               _tlabels("backend"), {"insecureEdgeTerminationPolicy": "Allow", "termination": "edge"})
    res["backend"] = r
    zync = (("master", "master", "system-master", "http", "1"),
            ("provider", "%s-admin" % TENANT, "system-provider", "http", "2"),
            ("provider", TENANT, "system-developer", "http", "2"),
            ("api", "api-%s-apicast-staging" % TENANT, "apicast-staging", "gateway", "2"),
            ("api", "api-%s-apicast-production" % TENANT, "apicast-production", "gateway", "2"))
    for i, (what, host, svc, port, tenant) in enumerate(zync):
        name = "zync-%s-%s-%s" % (TENANT, what, _det(w, "route-%d" % i, 5, POD_ALPHABET))
        labels = {"3scale.net/created-by": "zync", "3scale.net/tenant_id": tenant,
                  "zync.3scale.net/record": b64("gid://zync/%s/%d" % ("Proxy" if what == "api" else "Provider", i)),
                  "zync.3scale.net/route-to": svc}
        res[name] = _route(w, name, "%s.%s" % (host, SUPERDOMAIN), svc, port, labels,
                           {"insecureEdgeTerminationPolicy": "Redirect", "termination": "edge"})
    return res


def build_pvcs(w):
    specs = [("system-storage", "ReadWriteMany", "100Mi", "system", "app")]
    db = w.s.get("system_database")
    if w.s.get("database") != "oracle" and db == "mysql":
        specs.append(("mysql-storage", "ReadWriteOnce", "1Gi", "system", "mysql"))
    elif w.s.get("database") != "oracle" and db == "postgresql":
        specs.append(("postgresql-data", "ReadWriteOnce", "1Gi", "system", "postgresql"))
    if w.s.get("redis") != "external":
        specs += [("backend-redis-storage", "ReadWriteOnce", "1Gi", "backend", "redis"),
                  ("system-redis-storage", "ReadWriteOnce", "1Gi", "system", "redis")]
    res = {}
    for name, mode, size, comp, elem in specs:
        md = _vmeta(w, "persistentvolumeclaims", name, _tlabels(comp, elem),
                    {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes"})
        md["finalizers"] = ["kubernetes.io/pvc-protection"]
        res[name] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": md,
                     "spec": {"accessModes": [mode], "resources": {"requests": {"storage": size}},
                              "storageClassName": "shared-rwx" if mode == "ReadWriteMany" else "standard",
                              "volumeMode": "Filesystem", "volumeName": "pvc-" + md["uid"]},
                     "status": {"accessModes": [mode], "capacity": {"storage": size}, "phase": "Bound"}}
    return res


_REDIS_CONF = ("protected-mode no\n\nport 6379\n\ntimeout 0\ntcp-keepalive 300\n\ndaemonize no\nsupervised no\n\n"
               "loglevel notice\n\ndatabases 16\n\nsave 900 1\nsave 300 10\nsave 60 10000\n\n"
               "stop-writes-on-bgsave-error yes\n\nrdbcompression yes\nrdbchecksum yes\n\ndbfilename dump.rdb\n\n"
               "slave-serve-stale-data yes\nslave-read-only yes\n\nrepl-diskless-sync no\n"
               "repl-disable-tcp-nodelay no\n\nappendonly yes\nappendfilename \"appendonly.aof\"\n"
               "appendfsync everysec\nno-appendfsync-on-rewrite no\nauto-aof-rewrite-percentage 100\n"
               "auto-aof-rewrite-min-size 64mb\naof-load-truncated yes\n\nlua-time-limit 5000\n\n"
               "activerehashing no\n\naof-rewrite-incremental-fsync yes\ndir /var/lib/redis/data\n")
_SYSTEM_CM = {
    "rolling_updates.yml": "production: {}\n",
    "service_discovery.yml": (
        "production:\n  enabled: <%= cluster_token_file_exists = File.exists?(cluster_token_file_path = "
        "'/var/run/secrets/kubernetes.io/serviceaccount/token') %>\n  server_scheme: 'https'\n"
        "  server_host: 'kubernetes.default.svc.cluster.local'\n  server_port: 443\n"
        "  bearer_token: \"<%= File.read(cluster_token_file_path) if cluster_token_file_exists %>\"\n"
        "  authentication_method: service_account # can be service_account|oauth\n"
        "  oauth_server_type: builtin # can be builtin|rh_sso\n  client_id:\n  client_secret:\n  timeout: 1\n"
        "  open_timeout: 1\n  max_retry: 5\n  verify_ssl: <%= OpenSSL::SSL::VERIFY_NONE %> # 0\n"),
    "zync.yml": ("production:\n  endpoint: 'http://zync:8080'\n  authentication:\n"
                 "    token: \"<%= ENV.fetch('ZYNC_AUTHENTICATION_TOKEN') %>\"\n  connect_timeout: 5\n"
                 "  send_timeout: 5\n  receive_timeout: 10\n  root_url:\n"),
}


def build_configmaps(w):
    """The template's ConfigMaps other than system-environment (which is stored)."""
    specs = [("apicast-environment", {"APICAST_MANAGEMENT_API": "status", "APICAST_RESPONSE_CODES": "true",
                                      "OPENSSL_VERIFY": "false"}, _tlabels("apicast")),
             ("backend-environment", {"RACK_ENV": "production"}, _tlabels("backend")),
             ("system", dict(_SYSTEM_CM), _tlabels("system"))]
    if w.s.get("database") != "oracle" and w.s.get("system_database") == "mysql":
        specs += [("mysql-extra-conf", {"mysql-charset.cnf": "[client]\ndefault-character-set = utf8\n\n[mysql]\n"
                                        "default-character-set = utf8\n\n[mysqld]\ncharacter-set-server = utf8\n"
                                        "collation-server = utf8_unicode_ci\n"}, _tlabels("system", "mysql")),
                  ("mysql-main-conf", {"my.cnf": "!include /etc/my.cnf\n!includedir /etc/my-extra.d\n"},
                   _tlabels("system", "mysql"))]
    if w.s.get("redis") != "external":
        specs.append(("redis-config", {"redis.conf": _REDIS_CONF}, _tlabels("system", "redis")))
    return {name: {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
                   "metadata": _vmeta(w, "configmaps", name, labels)} for name, data, labels in specs}


TEMPLATE_BUILDERS = {"configmaps": build_configmaps, "secrets": build_secrets,
                     "serviceaccounts": build_serviceaccounts, "services": build_services,
                     "persistentvolumeclaims": build_pvcs, "routes": build_routes,
                     "rolebindings": build_rolebindings}


def template_pool(w, plural):
    """name -> object of a TEMPLATE_KINDS kind: the built ones, where a stored one (changed since, or
    stored from the start) wins.  Fresh objects: the caller may keep them."""
    pool = TEMPLATE_BUILDERS[plural](w)
    for n, o in (w.s["objects"].get(plural) or {}).items():
        pool[n] = copy.deepcopy(o)
    return pool


def init_world(d, ns, database, oracle_image, overrides, system_database="mysql", redis="internal",
               version="2.9"):
    now = time.time()
    settings = dict(DEFAULTS)
    settings["project"] = ns
    for k, v in overrides:
        settings[k] = coerce_setting(k, v)
    dcs = install_dcs(database, system_database, redis)
    state = {"version": 1, "ns": ns, "database": database, "settings": settings,
             "system_database": "none" if database == "oracle" else system_database, "redis": redis,
             "rv": 100000, "seq": 0, "run_seq": 0, "mut_count": 0, "initialized": now,
             "timeline": {"imports": {}, "dcs": {}}, "trig_changed": {},
             "objects": {k: {} for k in STORED}, "events": [], "runs": {}, "templates": {}}
    if version != "2.9":
        state["release"] = version  # absent: 2.9, so the default state stays as it was
    w = World(state, now, d)
    base = now - 86400
    w.t = base
    streams = {}
    for name in STREAMS:
        if name == "amp-system" or any(DC_SPECS[n]["stream"] == name for n in dcs):
            streams[name] = make_imagestream(w, base, name, database, oracle_image, version)
    make_configmap(w, base, version)
    paused = list_setting(settings, "paused")
    for name in dcs:
        stream = DC_SPECS[name]["stream"]
        tagname = version + "-oracle" if database == "oracle" and stream == "amp-system" else version
        if version == "2.8":
            tagname = "latest"  # the 2.8 templates trigger every dc on IS:latest
        ref = resolve_tag(w, streams[stream], tagname)
        reps = settings.get("replicas." + name, settings["replicas"])
        dc = make_dc(w, name, ref, "%s:%s" % (stream, tagname), reps, base, version)
        if name in paused:
            dc["spec"]["paused"] = True
        rc = make_rc(w, dc, 1, base + 1, phase="Complete")
        rc["spec"]["replicas"] = reps
        rc["metadata"]["annotations"]["openshift.io/deployment.replicas"] = str(reps)
        dc["status"]["latestVersion"] = 1
        dc["status"]["details"] = {"message": "config change", "causes": [{"type": "ConfigChange"}]}
        make_deployer_pod(w, rc, "Succeeded", base + 1)
        if name == "system-app":
            make_hook_pod(w, rc, "Succeeded", base + 2)
        for _ in range(reps):
            p = make_app_pod(w, name, rc, base + 5)
            set_pod_phase(p, "Running", base + 30)
        recompute_dc(w, name, base + 60)
    w.t = now
    w.journal = []  # the initial objects are the starting point, not changes
    return state


# ---------------------------------------------------------------------------
# timeline (oc-sim sim timeline): the scheduled times of what the controllers did

def tl(w):
    return w.s.setdefault("timeline", {"imports": {}, "dcs": {}})


def tl_import_key(isname, tag):
    """amp-system's imports are keyed by the tag alone (as before the other streams were
    simulated), every other stream's by STREAM:TAG."""
    return tag if isname == "amp-system" else "%s:%s" % (isname, tag)


def tl_import_start(w, isname, tag, gen):
    tl(w)["imports"][tl_import_key(isname, tag)] = {"generation": gen, "started": w.t, "finished": None,
                                                     "result": None}


def tl_import_end(w, isname, tag, gen, result):
    key = tl_import_key(isname, tag)
    e = tl(w)["imports"].get(key)
    if e is None or e.get("generation") != gen:
        e = tl(w)["imports"][key] = {"generation": gen, "started": w.t}
    e["finished"] = w.t
    e["result"] = result


def tl_rollout(w, dcname, version):
    for e in reversed(tl(w)["dcs"].get(dcname, [])):
        if e["rollout"] == version:
            return e
    return {}  # a rollout from before sim init


def tl_trigger_changed(w, dcname):
    w.s.setdefault("trig_changed", {})[dcname] = w.t


def tl_rollout_started(w, dcname, version, details, triggered):
    entries = tl(w)["dcs"].setdefault(dcname, [])
    cause = ((details.get("causes") or [{}])[0]).get("type", "")
    if triggered is None and cause != "Manual":
        tc = w.s.get("trig_changed", {}).get(dcname)
        prev = entries[-1]["started"] if entries else w.s.get("initialized", 0)
        if tc is not None and tc >= prev:
            triggered = tc
    entries.append({"rollout": version, "cause": cause, "triggered": triggered, "started": w.t,
                    "complete": None, "failed": None, "cancelled": False, "old_pods_gone": None})
    tl_old_pods(w, dcname)


def tl_old_pods(w, dcname):
    """Stamp old_pods_gone on the rollouts whose older pods (any phase, terminating too) are gone."""
    entries = tl(w)["dcs"].get(dcname)
    if not entries:
        return
    versions = []
    for p in w.objs("pods").values():
        lab = p["metadata"].get("labels", {})
        if lab.get("deploymentconfig") == dcname and lab.get("deployment", "").startswith(dcname + "-"):
            try:
                versions.append(int(lab["deployment"][len(dcname) + 1:]))
            except ValueError:
                pass
    for e in entries:
        if e["old_pods_gone"] is None and e["failed"] is None and not any(v < e["rollout"] for v in versions):
            e["old_pods_gone"] = w.t


# ---------------------------------------------------------------------------
# controllers

def dc_rcs(w, dcname):
    out = []
    for rc in w.objs("replicationcontrollers").values():
        if rc["metadata"].get("annotations", {}).get("openshift.io/deployment-config.name") == dcname:
            out.append(rc)
    out.sort(key=rc_version)
    return out


def rc_phase(rc):
    return rc["metadata"]["annotations"].get("openshift.io/deployment.phase", "New")


def rc_version(rc):
    return int(rc["metadata"]["annotations"]["openshift.io/deployment-config.latest-version"])


def rc_pods(w, rcname, active_only=True):
    out = []
    for p in w.objs("pods").values():
        if p["metadata"].get("labels", {}).get("deployment") == rcname:
            if active_only and p["metadata"].get("deletionTimestamp"):
                continue
            out.append(p)
    out.sort(key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))
    return out


def terminate_pod(w, pod):
    if pod["metadata"].get("deletionTimestamp"):
        return
    pod["metadata"]["deletionTimestamp"] = ts(w.t + 30)
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    w.touch("pods", pod)
    w.schedule(w.setting("terminate_seconds"),
               {"type": "pod_gone", "pod": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]})


def reconcile_rc(w, rc, ready_delay, make_ready=True):
    """Bring the RC's active pods to spec.replicas."""
    dcname = rc["metadata"]["annotations"]["openshift.io/deployment-config.name"]
    pods = rc_pods(w, rc["metadata"]["name"])
    want = rc["spec"]["replicas"]
    if len(pods) < want:
        for _ in range(want - len(pods)):
            p = make_app_pod(w, dcname, rc, w.t)
            if make_ready:
                w.schedule(ready_delay, {"type": "pod_ready", "pod": p["metadata"]["name"],
                                         "uid": p["metadata"]["uid"]})
    elif len(pods) > want:
        # not-ready pods first, then the newest
        victims = [p for p in pods if not pod_ready(p)] + \
            list(reversed([p for p in pods if pod_ready(p)]))
        for p in victims[:len(pods) - want]:
            terminate_pod(w, p)


def set_rc_replicas(w, rc, n, ready_delay, make_ready=True):
    if rc["spec"]["replicas"] != n:
        rc["spec"]["replicas"] = n
        rc["metadata"]["generation"] = rc["metadata"].get("generation", 1) + 1
        if n > 0:
            rc["metadata"]["annotations"]["openshift.io/deployment.replicas"] = str(n)
        w.touch("replicationcontrollers", rc)
    reconcile_rc(w, rc, ready_delay, make_ready)


def set_rc_phase(w, rc, phase):
    rc["metadata"]["annotations"]["openshift.io/deployment.phase"] = phase
    w.touch("replicationcontrollers", rc)


def set_cond(conds, ctype, status, reason, message, t):
    old = None
    for c in conds:
        if c["type"] == ctype:
            old = c
    new = {"type": ctype, "status": status, "message": message,
           "lastUpdateTime": ts(t), "lastTransitionTime": ts(t)}
    if reason:
        new["reason"] = reason
    if old is not None:
        if old["status"] == status:
            new["lastTransitionTime"] = old["lastTransitionTime"]
        if old["status"] == status and old.get("reason") == reason and old.get("message") == message:
            new["lastUpdateTime"] = old["lastUpdateTime"]
    return new


def recompute_dc(w, dcname, t=None, force=False):
    t = w.t if t is None else t
    dc = w.get("deploymentconfigs", dcname)
    if dc is None:
        return
    rcs = dc_rcs(w, dcname)
    tot_rep = tot_avail = 0
    for rc in rcs:
        pods = rc_pods(w, rc["metadata"]["name"])
        ready = len([p for p in pods if pod_ready(p)])
        st = {"replicas": len(pods), "observedGeneration": rc["metadata"].get("generation", 1)}
        if pods:
            st["fullyLabeledReplicas"] = len(pods)
        if ready:
            st["readyReplicas"] = ready
            st["availableReplicas"] = ready
        if st != rc["status"]:
            rc["status"] = st
            w.touch("replicationcontrollers", rc)
        tot_rep += len(pods)
        tot_avail += ready
    old = copy.deepcopy(dc["status"])
    st = dc["status"]
    lv = st.get("latestVersion", 0)
    latest = w.get("replicationcontrollers", "%s-%d" % (dcname, lv)) if lv else None
    desired = dc["spec"].get("replicas", 0)
    st["replicas"] = tot_rep
    st["updatedReplicas"] = latest["status"]["replicas"] if latest else 0
    st["availableReplicas"] = tot_avail
    if tot_avail:
        st["readyReplicas"] = tot_avail
    else:
        st.pop("readyReplicas", None)  # omitempty, as in the real API
    st["unavailableReplicas"] = max(0, desired - tot_avail)
    paused = bool(dc["spec"].get("paused"))
    phase = rc_phase(latest) if latest else None
    if latest is None or phase in ("Complete", "Failed") or paused:
        st["observedGeneration"] = dc["metadata"]["generation"]
    conds = st.get("conditions", [])
    min_avail = desired - (desired * 25 // 100)
    if tot_avail >= min_avail:
        avail = set_cond(conds, "Available", "True", None, "Deployment config has minimum availability.", t)
    else:
        avail = set_cond(conds, "Available", "False", None,
                         "Deployment config does not have minimum availability.", t)
    new_conds = [avail]
    if paused:
        new_conds.append(set_cond(conds, "Progressing", "Unknown", "DeploymentConfigPaused",
                                  "deployment config is paused", t))
    elif latest is not None:
        rcn = latest["metadata"]["name"]
        if phase == "New":
            p = ("True", "NewReplicationControllerCreated",
                 'Created new replication controller "%s" for version %d' % (rcn, lv))
        elif phase == "Pending":
            p = ("Unknown", None, 'replication controller "%s" is waiting for pod "%s-deploy" to run'
                 % (rcn, rcn))
        elif phase == "Running":
            p = ("True", "ReplicationControllerUpdated", 'replication controller "%s" is progressing' % rcn)
        elif phase == "Complete":
            p = ("True", "NewReplicationControllerAvailable",
                 'replication controller "%s" successfully rolled out' % rcn)
        elif latest["metadata"]["annotations"].get("openshift.io/deployment.cancelled") == "true":
            p = ("False", "RolloutCancelled", 'rollout of replication controller "%s" was cancelled' % rcn)
        else:
            p = ("False", "ProgressDeadlineExceeded",
                 'replication controller "%s" has failed progressing' % rcn)
        new_conds.append(set_cond(conds, "Progressing", p[0], p[1], p[2], t))
    st["conditions"] = new_conds
    if st != old or force:
        w.touch("deploymentconfigs", dc)


def reconcile_deployments(w, dcname, ready_delay):
    """Once the latest rollout is terminal: the newest Complete RC runs spec.replicas, others 0."""
    dc = w.get("deploymentconfigs", dcname)
    rcs = dc_rcs(w, dcname)
    active = None
    for rc in rcs:
        if rc_phase(rc) == "Complete":
            active = rc
    for rc in rcs:
        if rc is active:
            set_rc_replicas(w, rc, dc["spec"]["replicas"], ready_delay)
        elif rc["spec"]["replicas"] != 0 or rc_pods(w, rc["metadata"]["name"]):
            set_rc_replicas(w, rc, 0, ready_delay)


def latest_version(w, dcname):
    dc = w.get("deploymentconfigs", dcname)
    return dc["status"].get("latestVersion", 0) if dc else 0


def latest_rc(w, dc):
    lv = dc["status"].get("latestVersion", 0)
    return w.get("replicationcontrollers", "%s-%d" % (dc["metadata"]["name"], lv)) if lv else None


def in_progress(rc):
    return rc is not None and rc_phase(rc) in ("New", "Pending", "Running")


def new_run(w, rcname, dcname):
    st = w.settings
    mode = "ok"
    for key, m in (("fail_rollout", "fail"), ("never_finish", "never")):
        lst = list_setting(st, key)
        if dcname in lst:
            mode = m
            lst.remove(dcname)
            st[key] = ",".join(lst)
            break
    rc = w.get("replicationcontrollers", rcname)
    if mode == "ok" and rc is not None and template_crashes(rc["spec"]["template"]["spec"]):
        mode = "crash"  # a container whose binary its image lacks: its pods never become ready
    w.s["run_seq"] += 1
    run = {"id": w.s["run_seq"], "mode": mode, "start": w.t}
    w.s["runs"][rcname] = run
    return run


def D(w):
    return w.setting("rollout_seconds")


def step(w, rcname, run, name, delay):
    w.schedule(delay, {"type": "step", "rc": rcname, "run": run["id"], "step": name})


def start_rollout(w, dcname, details, triggered=None):
    dc = w.get("deploymentconfigs", dcname)
    if dc is None or dc["spec"].get("paused"):
        return None
    older = [rc for rc in dc_rcs(w, dcname) if in_progress(rc)]
    st = dc["status"]
    st["latestVersion"] = st.get("latestVersion", 0) + 1
    dc["metadata"]["generation"] += 1
    st["details"] = details
    st["observedGeneration"] = dc["metadata"]["generation"]
    rc = make_rc(w, dc, st["latestVersion"], w.t)
    # the DC controller cancels older rollouts that are still running
    for old in older:
        fail_rc(w, old, "cancelled as a newer deployment was found running", cancelled=True)
    run = new_run(w, rc["metadata"]["name"], dcname)
    step(w, rc["metadata"]["name"], run, "pending", 0.1 * D(w))
    tl_rollout_started(w, dcname, st["latestVersion"], details, triggered)
    # one published change: the new version together with its Progressing condition
    # (a watcher never sees latestVersion N+1 beside the condition of rollout N)
    recompute_dc(w, dcname, force=True)
    return rc


def fail_rc(w, rc, reason, cancelled=False):
    rcname = rc["metadata"]["name"]
    ann = rc["metadata"]["annotations"]
    ann["openshift.io/deployment.phase"] = "Failed"
    ann["openshift.io/deployment.status-reason"] = reason
    if cancelled:
        ann["openshift.io/deployment.cancelled"] = "true"
    w.touch("replicationcontrollers", rc)
    w.s["runs"].pop(rcname, None)
    e = tl_rollout(w, ann["openshift.io/deployment-config.name"], rc_version(rc))
    if e:
        e["failed"] = w.t
        e["cancelled"] = cancelled
    for pname in (rcname + "-deploy", rcname + "-hook-pre"):
        p = w.get("pods", pname)
        if p is not None and p["status"].get("phase") in ("Pending", "Running"):
            set_pod_phase(p, "Failed", w.t)
            w.touch("pods", p)
    set_rc_replicas(w, rc, 0, 0)
    dcname = ann["openshift.io/deployment-config.name"]
    dc = w.get("deploymentconfigs", dcname)
    if dc is not None and latest_rc(w, dc) is rc:
        reconcile_deployments(w, dcname, 0.2 * D(w))
    recompute_dc(w, dcname)


def handle_step(w, ev):
    rcname = ev["rc"]
    run = w.s["runs"].get(rcname)
    rc = w.get("replicationcontrollers", rcname)
    if run is None or run["id"] != ev["run"] or rc is None or not in_progress(rc):
        return
    dcname = rc["metadata"]["annotations"]["openshift.io/deployment-config.name"]
    dc = w.get("deploymentconfigs", dcname)
    if dc is None:
        return
    d = D(w)
    s = ev["step"]
    if s == "pending":
        set_rc_phase(w, rc, "Pending")
        if w.get("pods", rcname + "-deploy") is not None:
            w.delete("pods", rcname + "-deploy")
        make_deployer_pod(w, rc, "Pending", w.t)
        step(w, rcname, run, "running", 0.1 * d)
    elif s == "running":
        set_rc_phase(w, rc, "Running")
        p = w.get("pods", rcname + "-deploy")
        if p is not None:
            set_pod_phase(p, "Running", w.t)
            w.touch("pods", p)
        if dc["spec"]["strategy"].get("rollingParams", {}).get("pre"):
            crash = bool(w.setting("hook_crash"))
            if w.get("pods", rcname + "-hook-pre") is not None:
                w.delete("pods", rcname + "-hook-pre")
            make_hook_pod(w, rc, "Running", w.t, crash=crash)
            if crash:
                step(w, rcname, run, "hook_tick", 0.3)
                step(w, rcname, run, "hook_fail", w.setting("hook_timeout_seconds"))
            else:
                step(w, rcname, run, "hook_done", 0.2 * d)
        else:
            step(w, rcname, run, "scale_up", 0.3 * d)
    elif s == "hook_done":
        p = w.get("pods", rcname + "-hook-pre")
        if p is not None:
            set_pod_phase(p, "Succeeded", w.t)
            w.touch("pods", p)
        step(w, rcname, run, "scale_up", 0.1 * d)
    elif s == "hook_tick":
        p = w.get("pods", rcname + "-hook-pre")
        if p is not None and p["status"].get("phase") == "Running":
            for cs in p["status"].get("containerStatuses", []):
                cs["restartCount"] = cs.get("restartCount", 0) + 1
                cs["lastState"]["terminated"]["finishedAt"] = ts(w.t)
            w.touch("pods", p)
            step(w, rcname, run, "hook_tick", 0.3)
    elif s == "hook_fail":
        fail_rc(w, rc, "config change")
        return
    elif s in ("crash", "crash_tick"):
        for p in rc_pods(w, rcname):
            crash_pod(w, p, s == "crash_tick")
        step(w, rcname, run, "crash_tick", 0.3)
    elif s == "scale_up":
        mode = run["mode"]
        set_rc_replicas(w, rc, dc["spec"]["replicas"], 0.2 * d, make_ready=(mode == "ok"))
        if mode == "fail":
            step(w, rcname, run, "fail", 0.5 * d)
        elif mode == "crash":
            step(w, rcname, run, "crash", 0.2 * d)
            step(w, rcname, run, "fail", 0.5 * d)
        elif mode == "ok":
            step(w, rcname, run, "scale_down", 0.2 * d)
    elif s == "scale_down":
        for other in dc_rcs(w, dcname):
            if other is not rc and (other["spec"]["replicas"] or rc_pods(w, other["metadata"]["name"])):
                set_rc_replicas(w, other, 0, 0)
        step(w, rcname, run, "complete", 0.3 * d)
    elif s == "complete":
        set_rc_phase(w, rc, "Complete")
        w.s["runs"].pop(rcname, None)
        e = tl_rollout(w, dcname, rc_version(rc))
        if e:
            e["complete"] = w.t
        p = w.get("pods", rcname + "-deploy")
        if p is not None:
            set_pod_phase(p, "Succeeded", w.t)
            w.touch("pods", p)
        reconcile_deployments(w, dcname, 0.2 * d)
    elif s == "fail":
        fail_rc(w, rc, "config change")
        return
    recompute_dc(w, dcname)


def resolve_tag(w, is_, tag):
    """Resolved image reference of IS:tag as the trigger would write it, or None."""
    for st in is_["status"].get("tags", []) or []:
        if st["tag"] == tag and st.get("items"):
            ref = st["items"][0]["dockerImageReference"]
            if w.setting("reference_policy") == "Local":
                ref = "%s/%s/%s@%s" % (INTERNAL_REGISTRY, is_["metadata"]["namespace"],
                                       is_["metadata"]["name"], st["items"][0]["image"])
            return ref
    return None


def resolve_istag(w, name):
    if ":" not in name:
        return None
    isname, tag = name.split(":", 1)
    is_ = w.get("imagestreams", isname)
    if is_ is None:
        return None
    return resolve_tag(w, is_, tag)


def image_details(ref, message="image change"):
    return {"message": message,
            "causes": [{"type": "ImageChange",
                        "imageTrigger": {"from": {"kind": "DockerImage", "name": ref}}}]}


def trigger_check(w, dcname):
    dc = w.get("deploymentconfigs", dcname)
    if dc is None:
        return
    spec_changed = False
    template_changed = False
    last_ref = None
    ps = dc["spec"]["template"]["spec"]
    for trig in dc["spec"].get("triggers", []) or []:
        if trig.get("type") != "ImageChange":
            continue
        p = trig.get("imageChangeParams") or {}
        if not p.get("automatic"):
            continue
        frm = p.get("from") or {}
        if frm.get("kind") != "ImageStreamTag":
            continue
        ref = resolve_istag(w, frm.get("name", ""))
        if ref is None or p.get("lastTriggeredImage") == ref:
            continue
        p["lastTriggeredImage"] = ref
        spec_changed = True
        for c in ps.get("containers", []) + (ps.get("initContainers") or []):
            if c["name"] in (p.get("containerNames") or []) and c.get("image") != ref:
                c["image"] = ref
                template_changed = True
                last_ref = ref
    if not spec_changed:
        return
    if not template_changed or dc["spec"].get("paused"):
        # only lastTriggeredImage changed (or no rollout may start): one spec update
        dc["metadata"]["generation"] += 1
        w.touch("deploymentconfigs", dc)
    else:
        # the instantiate call bumps generation once, with latestVersion (start_rollout)
        details = image_details(last_ref)
        start_rollout(w, dcname, details)
        lst = list_setting(w.settings, "double_trigger")
        if dcname in lst:
            lst.remove(dcname)
            w.settings["double_trigger"] = ",".join(lst)
            w.schedule(0.2, {"type": "refire", "dc": dcname, "details": details,
                             "triggered": tl_rollout(w, dcname, latest_version(w, dcname)).get("triggered")})
    recompute_dc(w, dcname)


def schedule_trigger_checks(w, is_name, tag):
    """An import of is_name:tag finished: every dc with a trigger on it gets its look
    trigger_lag_seconds from now (replacing a pending one), so a rollout starts exactly
    trigger_lag_seconds after the later of its trigger change and the import."""
    full = "%s:%s" % (is_name, tag)
    for dc in w.objs("deploymentconfigs").values():
        for trig in dc["spec"].get("triggers", []) or []:
            p = trig.get("imageChangeParams") or {}
            if trig.get("type") == "ImageChange" and (p.get("from") or {}).get("name") == full:
                w.reschedule_trigger_check(dc["metadata"]["name"])
                break


IMPORT_MESSAGES = {
    "Unauthorized": 'you may not have access to the container image "%s"',
    "NotFound": 'dockerimage.image.openshift.io "%s" not found',
    "InternalError": 'Internal error occurred: [%s: Get "https://registry.redhat.io/v2/": dial tcp: i/o timeout]',
}


def status_tag(is_, tag, create=True):
    tags = is_["status"].get("tags")
    if tags is None:
        tags = is_["status"]["tags"] = []
    for st in tags:
        if st["tag"] == tag:
            return st
    if not create:
        return None
    st = {"tag": tag, "items": None}
    tags.append(st)
    tags.sort(key=lambda x: x["tag"])
    return st


UPDATED_SUFFIX = "#updated"


def import_result_for(w, isname):
    """The outcome of an import of stream isname scheduled now: import_result.<stream>,
    else import_result."""
    return w.settings.get("import_result." + isname) or w.setting("import_result")


def do_import(w, is_, tag, gen, result):
    spec = None
    for t in is_["spec"].get("tags", []) or []:
        if t.get("name") == tag:
            spec = t
    if spec is None or spec.get("generation") != gen:
        return None
    frm = spec.get("from") or {}
    src = frm.get("name", "")
    item = None
    if result == "ok":
        if frm.get("kind") == "DockerImage":
            if "@sha256:" in src:
                dig = src.split("@sha256:", 1)[1]
            elif is_["metadata"]["name"] in list_setting(w.settings, "image_updates"):
                dig = digest(src + UPDATED_SUFFIX)  # the registry has a newer image under that name
            else:
                dig = digest(src)
            item = {"created": ts(w.t), "dockerImageReference": "%s@sha256:%s" % (split_image(src)[0], dig),
                    "generation": gen, "image": "sha256:" + dig}
        elif frm.get("kind") == "ImageStreamTag":
            other = src if ":" in src else "%s:%s" % (is_["metadata"]["name"], src)
            oname, otag = other.split(":", 1)
            ois = w.get("imagestreams", oname)
            ost = status_tag(ois, otag, create=False) if ois else None
            if ost and ost.get("items"):
                item = dict(ost["items"][0])
                item["generation"] = gen
                item["created"] = ts(w.t)
            else:
                result = "NotFound"
                src = "%s/%s" % (is_["metadata"]["namespace"], other)
        else:
            return None
    st = status_tag(is_, tag)
    if item is not None:
        old = [i for i in (st.get("items") or []) if i.get("image") != item["image"]]
        st["items"] = [item] + old
        st.pop("conditions", None)
    else:
        st["conditions"] = [{"type": "ImportSuccess", "status": "False", "reason": result,
                             "message": IMPORT_MESSAGES.get(result, "%s") % src,
                             "generation": gen, "lastTransitionTime": ts(w.t)}]
    w.touch("imagestreams", is_)
    tl_import_end(w, is_["metadata"]["name"], tag, gen, "ok" if item is not None else result)
    if item is not None:
        schedule_trigger_checks(w, is_["metadata"]["name"], tag)
    return st


def crash_pod(w, p, again):
    """A pod with a container whose binary is missing: Running, not ready, that container in
    CrashLoopBackOff; `again` counts one more restart.  False when the pod is terminating."""
    if p["metadata"].get("deletionTimestamp"):
        return False
    names = template_crashes(p["spec"])
    if again:
        for cs in p["status"].get("containerStatuses", []):
            if cs["name"] in names:
                cs["restartCount"] = cs.get("restartCount", 0) + 1
    set_pod_phase(p, "Running", w.t, "crash", crashing=names)
    w.touch("pods", p)
    return True


def handle_event(w, ev):
    typ = ev["type"]
    if typ == "step":
        handle_step(w, ev)
    elif typ == "pod_ready":
        p = w.get("pods", ev["pod"])
        if p is not None and p["metadata"]["uid"] == ev["uid"] and not p["metadata"].get("deletionTimestamp"):
            if template_crashes(p["spec"]):
                crash_pod(w, p, False)  # outside a rollout: not ready, no restart ticks (sim settle ends)
            else:
                set_pod_phase(p, "Running", w.t)
                w.touch("pods", p)
            recompute_dc(w, p["metadata"]["labels"].get("deploymentconfig", ""))
    elif typ == "pod_gone":
        p = w.get("pods", ev["pod"])
        if p is not None and p["metadata"]["uid"] == ev["uid"]:
            w.delete("pods", ev["pod"])
            dcname = p["metadata"].get("labels", {}).get("deploymentconfig")
            if dcname:
                recompute_dc(w, dcname)
                tl_old_pods(w, dcname)
    elif typ == "import":
        is_ = w.get("imagestreams", ev["is"])
        if is_ is not None:
            do_import(w, is_, ev["tag"], ev["gen"], ev["result"])
    elif typ == "trigger_check":
        trigger_check(w, ev["dc"])
    elif typ == "refire":
        start_rollout(w, ev["dc"], ev["details"], ev.get("triggered"))


def maybe_resume_rollout(w, dcname):
    """After un-pausing: roll out if the template differs from the latest RC's."""
    dc = w.get("deploymentconfigs", dcname)
    rc = latest_rc(w, dc)
    if rc is None or in_progress(rc):
        return
    if w.s["templates"].get(rc["metadata"]["name"]) != template_hash(dc["spec"]["template"]):
        start_rollout(w, dcname, {"message": "config change", "causes": [{"type": "ConfigChange"}]})


def apply_paused_setting(w):
    paused = list_setting(w.settings, "paused")
    for name, dc in w.objs("deploymentconfigs").items():
        want = name in paused
        if bool(dc["spec"].get("paused")) != want:
            set_dc_paused(w, dc, want)


def set_dc_paused(w, dc, want):
    if want:
        dc["spec"]["paused"] = True
    else:
        dc["spec"].pop("paused", None)
    dc["metadata"]["generation"] += 1
    w.touch("deploymentconfigs", dc)
    name = dc["metadata"]["name"]
    if not want:
        maybe_resume_rollout(w, name)
    recompute_dc(w, name)


# ---------------------------------------------------------------------------
# JSON patch / merge patch

class PatchError(Exception):
    pass


def _ptr(path):
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise PatchError("bad path")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, dict):
            if p not in cur:
                raise PatchError("missing")
            cur = cur[p]
        elif isinstance(cur, list):
            if not re.fullmatch(r"0|[1-9][0-9]*", p) or int(p) >= len(cur):
                raise PatchError("index")
            cur = cur[int(p)]
        else:
            raise PatchError("not a container")
    return cur


def _add(doc, parts, value):
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif re.fullmatch(r"0|[1-9][0-9]*", last) and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise PatchError("index")
    else:
        raise PatchError("not a container")
    return doc


def _remove(doc, parts):
    if not parts:
        raise PatchError("cannot remove root")
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("missing")
        return parent.pop(last)
    if isinstance(parent, list):
        if not re.fullmatch(r"0|[1-9][0-9]*", last) or int(last) >= len(parent):
            raise PatchError("index")
        return parent.pop(int(last))
    raise PatchError("not a container")


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError("bad op")
        kind = op["op"]
        parts = _ptr(op["path"])
        if kind == "add":
            if "value" not in op:
                raise PatchError("no value")
            doc = _add(doc, parts, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, parts)
        elif kind == "replace":
            if "value" not in op:
                raise PatchError("no value")
            _walk(doc, parts)
            if not parts:
                doc = copy.deepcopy(op["value"])
            else:
                _remove(doc, parts)
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
        elif kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError("test failed")
        elif kind in ("move", "copy"):
            src = _ptr(op.get("from", ""))
            val = copy.deepcopy(_walk(doc, src))
            if kind == "move":
                _remove(doc, src)
            doc = _add(doc, parts, val)
        else:
            raise PatchError("unknown op")
    return doc


def merge_patch(doc, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# strategic merge patch (oc patch without --type): maps merge as in a merge patch; the list
# fields that have a patchMergeKey merge item by item on that key (the original's order, new
# items appended; {"$patch": "delete"} drops one, {"$patch": "replace"} replaces the list);
# every other list is replaced.  The keys: k8s.io/api PodSpec and Container, openshift/api
# ImageStreamSpec.tags.
POD_SPEC_MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name",
                       "imagePullSecrets": "name"}
CONTAINER_MERGE_KEYS = {"env": "name", "volumeMounts": "mountPath", "ports": "containerPort"}


def go_fmt(v):
    """A decoded JSON value as Go's %v prints it (for the texts of strategic merge errors)."""
    if isinstance(v, dict):
        return "map[%s]" % " ".join("%s:%s" % (k, go_fmt(v[k])) for k in sorted(v))
    if isinstance(v, list):
        return "[%s]" % " ".join(go_fmt(x) for x in v)
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def _merge_key(kind, path, key):
    parent = path[-1] if path else None
    if parent == "spec" and key in POD_SPEC_MERGE_KEYS:
        return POD_SPEC_MERGE_KEYS[key]
    if parent in ("containers", "initContainers") and key in CONTAINER_MERGE_KEYS:
        return CONTAINER_MERGE_KEYS[key]
    if kind == "ImageStream" and path == ("spec",) and key == "tags":
        return "name"
    return None


def strategic_merge(doc, patch, kind, path=()):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return dict((k, copy.deepcopy(v)) for k, v in patch.items() if k != "$patch")
    out = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue  # $setElementOrder, $retainKeys: not modelled
        mk = _merge_key(kind, path, k)
        if v is None or (isinstance(v, dict) and v.get("$patch") == "delete"):
            out.pop(k, None)
        elif mk and isinstance(v, list):
            out[k] = _merge_list(out.get(k), v, mk, kind, path + (k,))
        else:
            out[k] = strategic_merge(out.get(k), v, kind, path + (k,))
    return out


def _merge_list(cur, items, key, kind, path):
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in items):
        return [strategic_merge({}, i, kind, path) for i in items
                if not (isinstance(i, dict) and "$patch" in i)]
    cur = copy.deepcopy(cur) if isinstance(cur, list) else []
    for it in items:
        if not isinstance(it, dict) or key not in it:
            raise PatchError("map: %s does not contain declared merge key: %s" % (go_fmt(it), key))
        idx = [n for n, c in enumerate(cur) if isinstance(c, dict) and c.get(key) == it[key]]
        if it.get("$patch") == "delete":
            cur = [c for n, c in enumerate(cur) if n not in idx]
        elif idx:
            cur[idx[0]] = strategic_merge(cur[idx[0]], it, kind, path)
        else:
            cur.append(strategic_merge({}, it, kind, path))
    return cur


# ---------------------------------------------------------------------------
# label selectors and jsonpath

def parse_selector(sel):
    reqs = []
    for part in [p.strip() for p in sel.split(",") if p.strip()]:
        m = re.fullmatch(r"([^!=\s]+)\s*(==|=|!=)\s*(\S*)", part)
        if m:
            reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", m.group(3)))
        elif part.startswith("!"):
            reqs.append((part[1:].strip(), "!", None))
        elif re.fullmatch(r"[^!=\s]+", part):
            reqs.append((part, "exists", None))
        else:
            raise OcError("error: unable to parse requirement: found '%s', expected: identifier" % part)
    return reqs


def selector_matches(reqs, labels):
    labels = labels or {}
    for k, op, v in reqs:
        if op == "=" and labels.get(k) != v:
            return False
        if op == "!=" and labels.get(k) == v:
            return False
        if op == "exists" and k not in labels:
            return False
        if op == "!" and k in labels:
            return False
    return True


def _jp_split(tpl):
    toks = []
    i = 0
    while i < len(tpl):
        j = tpl.find("{", i)
        if j < 0:
            toks.append(("text", tpl[i:]))
            break
        if j > i:
            toks.append(("text", tpl[i:j]))
        k = j + 1
        quote = None
        while k < len(tpl):
            ch = tpl[k]
            if quote:
                if ch == "\\":
                    k += 1
                elif ch == quote:
                    quote = None
            elif ch in "\"'":
                quote = ch
            elif ch == "}":
                break
            k += 1
        if k >= len(tpl):
            raise OcError("error: error parsing jsonpath %s, unclosed action" % tpl)
        inner = tpl[j + 1:k].strip()
        i = k + 1
        if inner.startswith("range "):
            toks.append(("range", inner[6:].strip()))
        elif inner == "end":
            toks.append(("end", None))
        elif inner.startswith('"'):
            toks.append(("text", json.loads(inner)))
        elif inner.startswith("'"):
            toks.append(("text", json.loads('"' + inner[1:-1].replace('"', '\\"') + '"')))
        else:
            toks.append(("expr", inner))
    return toks


def _jp_eval(expr, data):
    e = expr.strip()
    if e[:1] in ("$", "@"):
        e = e[1:]
    cur = [data]
    i = 0
    while i < len(e):
        ch = e[i]
        if ch == ".":
            i += 1
            name = ""
            while i < len(e) and e[i] not in ".[":
                if e[i] == "\\" and i + 1 < len(e):
                    i += 1
                name += e[i]
                i += 1
            if name == "":
                continue
            nxt = []
            for c in cur:
                if name == "*":
                    if isinstance(c, dict):
                        nxt.extend(c[k] for k in sorted(c))
                    elif isinstance(c, list):
                        nxt.extend(c)
                elif isinstance(c, dict) and name in c:
                    nxt.append(c[name])
            cur = nxt
        elif ch == "[":
            if e[i + 1:i + 2] == "?":
                k = e.find(")]", i) + 1
            else:
                k = e.find("]", i)
            if k <= i:
                raise OcError("error: error parsing jsonpath %s" % expr)
            inner = e[i + 1:k]
            i = k + 1
            nxt = []
            if inner == "*":
                for c in cur:
                    if isinstance(c, list):
                        nxt.extend(c)
                    elif isinstance(c, dict):
                        nxt.extend(c[x] for x in sorted(c))
            elif inner.startswith("?("):
                m = re.fullmatch(r"\?\(\s*(@[^=!<>]*?)\s*(==|!=)\s*(.+?)\s*\)", inner)
                if not m:
                    raise OcError("error: oc-sim: unsupported jsonpath filter %s" % inner)
                lit = m.group(3)
                if lit[:1] in "\"'":
                    val = lit[1:-1]
                else:
                    try:
                        val = json.loads(lit)
                    except ValueError:
                        val = lit
                for c in cur:
                    for item in (c if isinstance(c, list) else []):
                        got = _jp_eval(m.group(1), item)
                        hit = bool(got) and got[0] == val
                        if (m.group(2) == "==" and hit) or (m.group(2) == "!=" and not hit):
                            nxt.append(item)
            elif inner[:1] in "\"'":
                key = inner[1:-1]
                nxt = [c[key] for c in cur if isinstance(c, dict) and key in c]
            elif re.fullmatch(r"-?[0-9]+", inner):
                n = int(inner)
                for c in cur:
                    if isinstance(c, list) and -len(c) <= n < len(c):
                        nxt.append(c[n])
            elif re.fullmatch(r"-?[0-9]*:-?[0-9]*", inner):
                a, b = inner.split(":")
                for c in cur:
                    if isinstance(c, list):
                        nxt.extend(c[int(a) if a else None:int(b) if b else None])
            else:
                raise OcError("error: oc-sim: unsupported jsonpath %s" % expr)
            cur = nxt
        else:
            raise OcError("error: oc-sim: unsupported jsonpath %s" % expr)
    return cur


def _jp_str(v):
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return json.dumps(v)


def jsonpath(tpl, data):
    toks = _jp_split(tpl)

    def render_toks(toks, data):
        out = []
        i = 0
        while i < len(toks):
            kind, val = toks[i]
            if kind == "text":
                out.append(val)
            elif kind == "expr":
                out.append(" ".join(_jp_str(v) for v in _jp_eval(val, data)))
            elif kind == "range":
                depth = 1
                j = i + 1
                while j < len(toks):
                    if toks[j][0] == "range":
                        depth += 1
                    elif toks[j][0] == "end":
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                body = toks[i + 1:j]
                items = _jp_eval(val, data)
                if len(items) == 1 and isinstance(items[0], list) and not val.rstrip().endswith("]"):
                    items = items[0]
                for it in items:
                    out.append(render_toks(body, it))
                i = j
            i += 1
        return "".join(out)

    return render_toks(toks, data)


# ---------------------------------------------------------------------------
# argument parsing

VALUE_FLAGS = {
    "-n": "namespace", "--namespace": "namespace", "-o": "output", "--output": "output",
    "-l": "selector", "--selector": "selector", "-p": "patch", "--patch": "patch",
    "--type": "type", "--replicas": "replicas", "--from-image": "from-image",
    "--containers": "containers", "-c": "containers", "--timeout": "timeout",
    "--request-timeout": "request-timeout", "--kubeconfig": "kubeconfig", "--context": "context",
    "--server": "server", "-s": "server", "--token": "token", "--loglevel": "loglevel",
    "-v": "loglevel", "--v": "loglevel", "--source": "source", "--reference-policy": "reference-policy",
    "--field-selector": "field-selector", "--template": "template", "--revision": "revision",
    "--tail": "tail", "--since": "since", "--grace-period": "grace-period",
    "--resource-version": "resource-version", "--current-replicas": "current-replicas",
    "--cluster": "cluster", "--user": "user-flag", "--as": "as", "--sort-by": "sort-by",
    "--chunk-size": "chunk-size", "--container": "container", "--cascade": "cascade",
    "--from": "from", "--subresource": "subresource", "--field-manager": "field-manager",
}
BOOL_FLAGS = {
    "-w": "watch", "--watch": "watch", "--output-watch-events": "output-watch-events",
    "--watch-only": "watch-only", "--remove": "remove", "--overwrite": "overwrite",
    "--all": "all", "-q": "quiet", "--short": "short", "--ignore-not-found": "ignore-not-found",
    "--confirm": "confirm", "--client": "client", "--remove-all": "remove-all", "--auto": "auto",
    "--manual": "manual", "-A": "all-namespaces", "--all-namespaces": "all-namespaces",
    "--show-server": "show-server", "-t": "show-token", "--show-token": "show-token",
    "--insecure-skip-tls-verify": "insecure", "--local": "local", "--dry-run": "dry-run",
    "-f": "follow", "--follow": "follow", "--wait": "wait", "--now": "now", "--force": "force",
    "-d": "delete", "--delete": "delete", "--from-config": "from-config", "-h": "help",
    "--help": "help", "--show-labels": "show-labels", "--no-headers": "no-headers",
    "--scheduled": "scheduled", "--all-tags": "all-tags", "--record": "record",
    "--allow-missing-template-keys": "allow-missing", "--list": "list", "--previous": "previous",
    "--insecure": "insecure",
}
SHORT_VALUE = {"-n", "-o", "-l", "-p", "-c", "-s", "-v"}


def parse_args(argv):
    opts = {}
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            pos.extend(argv[i + 1:])
            break
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            if name in VALUE_FLAGS:
                if not eq:
                    if i + 1 >= len(argv):
                        raise OcError("error: flag needs an argument: %s" % name)
                    i += 1
                    val = argv[i]
                opts[VALUE_FLAGS[name]] = val
            elif name in BOOL_FLAGS:
                if eq:
                    low = val.lower()
                    if low in ("true", "1", "t", "yes"):
                        opts[BOOL_FLAGS[name]] = True
                    elif low in ("false", "0", "f", "no"):
                        opts[BOOL_FLAGS[name]] = False
                    else:
                        opts[BOOL_FLAGS[name]] = val  # e.g. --dry-run=client
                else:
                    opts[BOOL_FLAGS[name]] = True
            else:
                raise OcError("error: unknown flag: %s" % name)
        elif a.startswith("-") and len(a) > 1 and not re.fullmatch(r"-[0-9.]+", a):
            short = a[:2]
            if short in SHORT_VALUE:
                if len(a) > 2:
                    val = a[2:]
                    if val.startswith("="):
                        val = val[1:]
                else:
                    if i + 1 >= len(argv):
                        raise OcError("error: flag needs an argument: '%s' in %s" % (short[1], a))
                    i += 1
                    val = argv[i]
                opts[VALUE_FLAGS[short]] = val
            elif a in BOOL_FLAGS:
                opts[BOOL_FLAGS[a]] = True
            elif all(("-" + ch) in BOOL_FLAGS for ch in a[1:]):
                for ch in a[1:]:
                    opts[BOOL_FLAGS["-" + ch]] = True
            else:
                raise OcError("error: unknown shorthand flag: '%s' in %s" % (a[1], a))
        else:
            pos.append(a)
        i += 1
    return opts, pos


MUTATING = {"patch", "set", "scale", "annotate", "label", "delete", "apply", "create", "tag",
            "import-image", "replace", "edit"}
ROLLOUT_MUTATING = {"retry", "latest", "cancel", "pause", "resume", "undo", "restart"}
SUPPORTED = {"get", "patch", "set", "scale", "annotate", "label", "rollout", "whoami", "project",
             "auth", "version", "delete", "apply", "create", "tag", "import-image", "logs", "help"}
REAL_VERBS = {"describe", "edit", "exec", "rsh", "explain", "expose", "new-app", "new-build",
              "process", "start-build", "cp", "port-forward", "adm", "login", "logout", "config",
              "api-resources", "api-versions", "replace", "run", "debug", "wait", "status",
              "projects", "new-project", "policy", "secrets", "serviceaccounts", "extract",
              "image", "observe", "rsync", "cancel-build", "attach", "autoscale", "idle",
              "kustomize", "plugin", "registry", "completion", "diff", "top", "cluster-info",
              "options"}
RBAC_VERB = {"patch": "patch", "set": "patch", "scale": "patch", "annotate": "patch",
             "label": "patch", "rollout": "patch", "delete": "delete", "apply": "create",
             "create": "create", "tag": "patch", "import-image": "create", "get": "get",
             "logs": "get"}


def is_mutating(pos):
    if not pos:
        return False
    v = pos[0]
    if v in MUTATING:
        return True
    return v == "rollout" and len(pos) > 1 and pos[1] in ROLLOUT_MUTATING


def split_targets(args):
    """['dc/x', ...] or ['dc', 'x', ...] or ['dc'] -> ([(rtype, name|None)], rest)."""
    if not args:
        raise OcError("error: you must specify the type of resource to get. Use \"oc api-resources\" "
                      "for a complete list of supported resources.")
    first = args[0]
    if "/" in first:
        targets = []
        rest = []
        for a in args:
            if "/" in a and not rest:
                t, _, n = a.partition("/")
                rt = rtype(t)
                if rt is None:
                    raise OcError('error: the server doesn\'t have a resource type "%s"' % t)
                targets.append((rt, n))
            else:
                rest.append(a)
        return targets, rest
    types = []
    for t in first.split(","):
        if t.lower() == "all":  # the category (CATEGORY_ALL), in its order; repeats dropped
            types.extend(RT(p) for p in CATEGORY_ALL if RT(p) not in types)
            continue
        rt = rtype(t)
        if rt is None:
            raise OcError('error: the server doesn\'t have a resource type "%s"' % t)
        if rt not in types:
            types.append(rt)
    if len(args) == 1:
        return [(rt, None) for rt in types], []
    return [(types[0], n) for n in args[1:]], []


# ---------------------------------------------------------------------------
# output

def out(s):
    sys.stdout.write(s)


def err(s):
    sys.stderr.write(s if s.endswith("\n") else s + "\n")
    sys.stderr.flush()


def age(obj, now):
    try:
        created = datetime.datetime.strptime(obj["metadata"]["creationTimestamp"],
                                             "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (KeyError, ValueError, TypeError):
        return "<unknown>"
    s = max(0, int(now - created))
    if s < 120:
        return "%ds" % s
    if s < 7200:
        return "%dm" % (s // 60)
    if s < 172800:
        return "%dh" % (s // 3600)
    return "%dd" % (s // 86400)


def table_row(rt, obj, now):
    md = obj.get("metadata", {})
    name = md.get("name", "")
    if rt.plural == "deploymentconfigs":
        trig = []
        for t in obj["spec"].get("triggers", []) or []:
            if t.get("type") == "ConfigChange":
                trig.append("config")
            elif t.get("type") == "ImageChange":
                trig.append("image(%s)" % ((t.get("imageChangeParams") or {}).get("from") or {}).get("name", ""))
        return [name, str(obj["status"].get("latestVersion", 0)), str(obj["spec"].get("replicas", 0)),
                str(obj["status"].get("replicas", 0)), ",".join(trig)]
    if rt.plural == "imagestreams":
        tags = ",".join(t["tag"] for t in obj["status"].get("tags", []) or [])
        return [name, obj["status"].get("dockerImageRepository", ""), tags, age(obj, now)]
    if rt.plural == "replicationcontrollers":
        st = obj["status"]
        return [name, str(obj["spec"].get("replicas", 0)), str(st.get("replicas", 0)),
                str(st.get("readyReplicas", 0)), age(obj, now)]
    if rt.plural == "pods":
        st = obj.get("status", {})
        cs = st.get("containerStatuses", [])
        ready = "%d/%d" % (len([c for c in cs if c.get("ready")]), len(obj["spec"].get("containers", [])))
        status = st.get("phase", "Unknown")
        if status == "Succeeded":
            status = "Completed"
        if status == "Failed":
            status = "Error"
        for c in cs:
            wt = (c.get("state") or {}).get("waiting")
            if wt and wt.get("reason"):
                status = wt["reason"]
        if md.get("deletionTimestamp"):
            status = "Terminating"
        restarts = sum(c.get("restartCount", 0) for c in cs)
        return [name, ready, status, str(restarts), age(obj, now)]
    if rt.plural == "imagestreamtags":
        return [name, obj.get("image", {}).get("dockerImageReference", ""), age(obj, now)]
    if rt.plural == "configmaps":
        return [name, str(len(obj.get("data") or {}) + len(obj.get("binaryData") or {})), age(obj, now)]
    if rt.plural == "projects":
        return [name, "Active", age(obj, now)]
    if rt.plural == "secrets":
        return [name, obj.get("type", "Opaque"), str(len(obj.get("data") or {})), age(obj, now)]
    if rt.plural == "serviceaccounts":
        return [name, str(len(obj.get("secrets") or [])), age(obj, now)]
    if rt.plural == "services":
        sp = obj.get("spec", {})
        ports = ",".join("%s/%s" % (p.get("port"), p.get("protocol", "TCP")) for p in sp.get("ports", []))
        return [name, sp.get("type", "ClusterIP"), sp.get("clusterIP", ""), "<none>", ports or "<none>",
                age(obj, now)]
    if rt.plural == "endpoints":
        eps = ["%s:%s" % (a["ip"], p["port"]) for sub in obj.get("subsets") or []
               for a in sub.get("addresses") or [] for p in sub.get("ports") or []]
        text = ",".join(eps[:3]) + (" + %d more..." % (len(eps) - 3) if len(eps) > 3 else "")
        return [name, text or "<none>", age(obj, now)]
    if rt.plural == "persistentvolumeclaims":
        modes = {"ReadWriteOnce": "RWO", "ReadWriteMany": "RWX", "ReadOnlyMany": "ROX"}
        st = obj.get("status", {})
        return [name, st.get("phase", "Pending"), obj["spec"].get("volumeName", ""),
                (st.get("capacity") or {}).get("storage", ""),
                ",".join(modes.get(m, m) for m in st.get("accessModes") or []),
                obj["spec"].get("storageClassName") or "", age(obj, now)]
    if rt.plural == "routes":
        sp = obj.get("spec", {})
        tls = sp.get("tls") or {}
        term = tls.get("termination", "")
        if term and tls.get("insecureEdgeTerminationPolicy"):
            term += "/" + tls["insecureEdgeTerminationPolicy"]
        return [name, sp.get("host", ""), sp.get("path", ""), (sp.get("to") or {}).get("name", ""),
                str((sp.get("port") or {}).get("targetPort", "<all>")), term, sp.get("wildcardPolicy", "None")]
    if rt.plural == "rolebindings":
        ref = obj.get("roleRef", {})
        return [name, "%s/%s" % (ref.get("kind", ""), ref.get("name", "")), age(obj, now)]
    return [name, age(obj, now)]


TABLE_HEADERS = {
    "deploymentconfigs": ["NAME", "REVISION", "DESIRED", "CURRENT", "TRIGGERED BY"],
    "imagestreams": ["NAME", "IMAGE REPOSITORY", "TAGS", "UPDATED"],
    "replicationcontrollers": ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
    "pods": ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
    "imagestreamtags": ["NAME", "IMAGE REFERENCE", "UPDATED"],
    "configmaps": ["NAME", "DATA", "AGE"],
    "projects": ["NAME", "STATUS", "AGE"],
    "secrets": ["NAME", "TYPE", "DATA", "AGE"],
    "serviceaccounts": ["NAME", "SECRETS", "AGE"],
    "services": ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
    "endpoints": ["NAME", "ENDPOINTS", "AGE"],
    "persistentvolumeclaims": ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "AGE"],
    "routes": ["NAME", "HOST/PORT", "PATH", "SERVICES", "PORT", "TERMINATION", "WILDCARD"],
    "rolebindings": ["NAME", "ROLE", "AGE"],
}


def format_table(rt, objs, now, headers=True, with_kind=False):
    """with_kind: names as KIND.GROUP/NAME, as kubectl prints them when several kinds are asked for."""
    rows = [table_row(rt, o, now) for o in objs]
    if with_kind:
        for r in rows:
            r[0] = "%s/%s" % (rt.display, r[0])
    if headers:
        rows.insert(0, TABLE_HEADERS.get(rt.plural, ["NAME", "AGE"]))
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["   ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def as_list(docs):
    """The List a selector query prints; an older client's also has selfLink."""
    md = {"resourceVersion": ""}
    if CLIENT["version"] in ("3.11", "4.2"):
        md["selfLink"] = ""
    return {"apiVersion": "v1", "items": docs, "kind": "List", "metadata": md}


def render(opts, rt, docs, single, now, headers=True):
    """docs: objects; single: print the object itself instead of a List."""
    fmt = opts.get("output", "")
    if fmt == "json":
        return pretty(docs[0] if single else as_list(docs))
    if fmt == "name":
        return "".join("%s/%s\n" % (rt.display, d["metadata"]["name"]) for d in docs)
    if fmt.startswith("jsonpath=") or fmt.startswith("jsonpath-as-json="):
        tpl = fmt.split("=", 1)[1]
        return jsonpath(tpl, docs[0] if single else as_list(docs))
    if fmt in ("", "wide"):
        return format_table(rt, docs, now, headers and not opts.get("no-headers"))
    raise OcError('error: unable to match a printer suitable for the output format "%s", allowed formats '
                  'are: json,jsonpath,name (oc-sim)' % fmt)


# ---------------------------------------------------------------------------
# commands

class Ctx:
    def __init__(self, d, opts, pos):
        self.d = d
        self.opts = opts
        self.pos = pos
        self.settings = None
        self.ns = None
        self.world_ns = None
        self.argv = []
        self.user = "admin"

    def check_forbidden(self, ocverb, rt, name, rbac=None):
        if ocverb in list_setting(self.settings, "forbidden_verbs"):
            raise OcError("Error from server (Forbidden): " +
                          forbidden_error(self.user, rbac or RBAC_VERB.get(ocverb, ocverb), rt, name, self.ns))


def virtual_get(w, ctx, rt, name):
    """Read-only virtual kinds: imagestreamtags and projects."""
    if rt.plural == "projects":
        if name != w.ns:
            return None
        return {"apiVersion": "project.openshift.io/v1", "kind": "Project",
                "metadata": {"name": w.ns, "uid": uuid_str(digest(w.ns)[:32]),
                             "resourceVersion": "1000",
                             "creationTimestamp": ts(w.t - 86400 * 2),
                             "annotations": {"openshift.io/display-name": "3scale"}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    if ctx.ns != w.ns or ":" not in name:
        return None
    isname, tag = name.split(":", 1)
    is_ = w.get("imagestreams", isname)
    if is_ is None:
        return None
    st = status_tag(is_, tag, create=False)
    if not st or not st.get("items"):
        return None
    # as openshift-apiserver's newISTag: the stream's labels, uid and resourceVersion, the spec tag's
    # annotations, the latest event's time, generation and image
    item = st["items"][0]
    spec = None
    for t in is_["spec"].get("tags", []) or []:
        if t.get("name") == tag:
            spec = t
    md = {"name": name, "namespace": w.ns, "creationTimestamp": item["created"],
          "resourceVersion": is_["metadata"]["resourceVersion"], "uid": is_["metadata"]["uid"]}
    if is_["metadata"].get("labels"):
        md["labels"] = dict(is_["metadata"]["labels"])
    if spec and spec.get("annotations"):
        md["annotations"] = dict(spec["annotations"])
    o = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "metadata": md,
         "generation": item.get("generation", 0), "lookupPolicy": dict(is_["spec"].get("lookupPolicy") or
                                                                       {"local": False}),
         "tag": spec,
         "image": {"metadata": {"name": item["image"]},
                   "dockerImageReference": item["dockerImageReference"],
                   "dockerImageMetadataVersion": "1.0"}}
    if st.get("conditions"):
        o["conditions"] = copy.deepcopy(st["conditions"])
    return o


def kind_pool(w, ctx, rt):
    """name -> object (fresh) of a kind that is not simply stored: the TEMPLATE_KINDS, the endpoints,
    and the kinds a template install has none of (empty)."""
    if ctx.ns != w.ns:
        return {}
    if rt.plural in TEMPLATE_KINDS:
        return template_pool(w, rt.plural)
    if rt.plural == "endpoints":
        return build_endpoints(w)
    return {}


def fetch(w, ctx, rt, name, selector):
    """-> list of objects (copies)."""
    reqs = parse_selector(selector) if selector else []
    if rt.plural in ("imagestreamtags", "projects"):
        if name is None:
            if rt.plural == "projects":
                return [virtual_get(w, ctx, rt, w.ns)]
            objs = []
            if ctx.ns == w.ns:
                for isname in sorted(w.objs("imagestreams")):
                    for st in w.objs("imagestreams")[isname]["status"].get("tags", []) or []:
                        o = virtual_get(w, ctx, rt, "%s:%s" % (isname, st["tag"]))
                        if o and selector_matches(reqs, o["metadata"].get("labels")):
                            objs.append(o)
            return objs
        o = virtual_get(w, ctx, rt, name)
        if o is None:
            raise not_found(rt, name)
        return [o]
    if rt.plural in STORED and rt.plural not in TEMPLATE_KINDS:
        pool = w.objs(rt.plural) if ctx.ns == w.ns else {}
        if name is not None:
            o = pool.get(name)
            if o is None:
                raise not_found(rt, name)
            return [copy.deepcopy(o)]
        return [copy.deepcopy(pool[n]) for n in sorted(pool)
                if selector_matches(reqs, pool[n]["metadata"].get("labels"))]
    pool = kind_pool(w, ctx, rt)
    if name is not None:
        o = pool.get(name)
        if o is None:
            raise not_found(rt, name)
        return [o]
    return [pool[n] for n in sorted(pool) if selector_matches(reqs, pool[n]["metadata"].get("labels"))]


def cmd_get(ctx):
    opts = ctx.opts
    targets, rest = split_targets(ctx.pos[1:])
    if rest:
        raise OcError("error: there is no need to specify a resource type as a separate argument "
                      "when passing arguments in resource/name form (e.g. 'oc get resource/<resource_name>' "
                      "instead of 'oc get resource resource/<resource_name>'")
    selector = opts.get("selector")
    watch = opts.get("watch") is True or opts.get("watch-only") is True
    for rt, name in targets:
        ctx.check_forbidden("get", rt, name, rbac="get" if name else "list")
    errors = []
    docs = []
    bad_json = None
    watch_break = False
    with Session(ctx.d) as w:
        now = w.t
        for rt, name in targets:
            try:
                docs.append((rt, name, fetch(w, ctx, rt, name, selector)))
            except OcError as e:
                if opts.get("ignore-not-found") and "(NotFound)" in e.msg:
                    continue
                errors.append(e.msg)
        offset = journal_size(ctx.d)
        if not errors:
            if not watch and opts.get("output") == "json":
                bad_json = take_bad_json(w, ctx)
            elif watch:
                watch_break = take_watch_error(w)
    if bad_json:
        FAULT["name"] = bad_json
        text = render(opts, docs[0][0], docs[0][2], True, now) \
            if len(targets) == 1 and targets[0][1] is not None and docs else \
            render(opts, docs[0][0] if docs else targets[0][0],
                   [o for _, _, objs in docs for o in objs], False, now)
        out(garble_json(text, bad_json))
        return 0
    if not watch:
        if len(targets) == 1 and targets[0][1] is not None and docs:
            out(render(opts, docs[0][0], docs[0][2], True, now))
        elif docs:
            fmt = opts.get("output", "")
            if fmt in ("", "wide"):
                printed = False
                # kubectl's MultipleTypesRequested: "all", or more than one type
                with_kind = len({r.plural for r, _ in targets}) > 1
                for rt in {r.plural: r for r, _, _ in docs}.values():
                    objs = [o for r, _, os_ in docs if r is rt for o in os_]
                    if objs:
                        if printed:
                            out("\n")  # kubectl's separator between the tables of two kinds
                        out(format_table(rt, objs, now, not opts.get("no-headers"), with_kind))
                        printed = True
                if not printed and not errors:
                    err("No resources found in %s namespace." % ctx.ns)
            else:
                everything = [o for _, _, objs in docs for o in objs]
                out(render(opts, docs[0][0], everything, False, now))
        for e in errors:
            err(e)
        return 1 if errors else 0
    # ---- watch
    if errors:
        for e in errors:
            err(e)
        return 1
    if len(targets) != 1:
        raise OcError("error: you may only specify a single resource type")
    rt, name = targets[0]
    events = opts.get("output-watch-events") is True
    fmt = opts.get("output", "")
    # kubectl 1.11 (oc 3.11) converts every watch event to an internal object, which its
    # JSON printer refuses; get ignores that error: at the first change oc ends, exit 0,
    # printing nothing of it (kubernetes#66554, fixed in 1.12)
    ends_at_first_change = CLIENT["version"] == "3.11" and fmt == "json"
    reqs = parse_selector(selector) if selector else []

    def emit(etype, obj):
        if fmt == "json":
            if events:
                # kubectl's WatchEvent: "type" first, then "object"
                out('{"type":%s,"object":%s}\n' % (json.dumps(etype), compact(obj)))
            else:
                out(pretty(obj))
        elif fmt.startswith("jsonpath"):
            out(render(opts, rt, [obj], True, time.time()))
        elif fmt == "name":
            out("%s/%s\n" % (rt.display, obj["metadata"]["name"]))
        else:
            row = format_table(rt, [obj], time.time(), headers=False)
            out(("%s   %s" % (etype, row)) if events else row)
        sys.stdout.flush()

    initial = docs[0][2] if docs else []
    if not opts.get("watch-only"):
        if fmt in ("", "wide") and initial and not events:
            out(format_table(rt, initial, now, headers=True))
            sys.stdout.flush()
        else:
            for o in initial:
                emit("ADDED", o)
    deadline = time.time() + float(ctx.settings.get("watch_max_seconds", 20))
    if rt.plural not in STORED:
        while time.time() < deadline:
            time.sleep(min(0.2, max(0, deadline - time.time())))
        if watch_break:
            emit_watch_break(fmt, events)
        return 0
    while True:
        with Session(ctx.d) as w:
            w.flush()
            entries, offset = read_journal(ctx.d, offset)
            wns = w.ns
            nxt = min(e[0] for e in w.s["events"]) if w.s["events"] else None
            seen = world_stamp(ctx.d)
        if ctx.ns == wns:
            for e in entries:
                if e["kind"] != rt.plural:
                    continue
                if name is not None and e["name"] != name:
                    continue
                if reqs and not selector_matches(reqs, e["object"]["metadata"].get("labels")):
                    continue
                if ends_at_first_change:
                    return 0
                emit(e["type"], e["object"])
        now = time.time()
        if now >= deadline:
            break
        wait_for_change(ctx.d, seen, min(deadline, now + WATCH_POLL_SECONDS, nxt or deadline))
    if watch_break:
        emit_watch_break(fmt, events)
    return 0


# A watch sleeps until the next scheduled world event is due (it then advances the world
# itself) or until another process changes the world: every change rewrites state.json
# and most append to the journal, so a stat() of both every CHANGE_CHECK_SECONDS, without
# the lock, notices it.  WATCH_POLL_SECONDS is only a safety net.
WATCH_POLL_SECONDS = 0.5
CHANGE_CHECK_SECONDS = 0.01


def world_stamp(d):
    """What changes when any process changes the world; take it under the lock."""
    stamp = []
    for path in (os.path.join(d, "state.json"), journal_path(d)):
        try:
            st = os.stat(path)
            stamp.append((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            stamp.append(None)
    return stamp


def wait_for_change(d, seen, until):
    while True:
        left = until - time.time()
        if left <= 0:
            return
        if world_stamp(d) != seen:
            return
        time.sleep(min(CHANGE_CHECK_SECONDS, left))


def take_watch_error(w):
    """Consume one watch_error: this watch ends with a broken stream."""
    n = int(w.setting("watch_error") or 0)
    if n == 0:
        return False
    if n > 0:
        w.settings["watch_error"] = n - 1
        w.dirty = True
    FAULT["name"] = "watch_error"
    return True


def watch_break_status():
    """The v1 Status client-go's StreamWatcher hands to the printer when the stream breaks
    (watch.Error event; errors.NewClientErrorReporter(500, "GET", "ClientWatchDecoding")),
    in the field order of the Go struct, as kubectl's JSON printer writes it."""
    msg = 'an error on the server ("%s") has prevented the request from succeeding' % WATCH_BREAK_CAUSE
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": msg, "reason": "InternalError",
            "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": WATCH_BREAK_CAUSE},
                                   {"reason": "ClientWatchDecoding", "message": WATCH_BREAK_CAUSE}]},
            "code": 500}


def emit_watch_break(fmt, events):
    """kubectl get -w prints the error event like any other and then ends: the error of
    its watch loop is discarded (interrupt.Run's result is ignored), so oc exits 0.  The
    table printer refuses a Status (nothing printed); -o json prints the Status."""
    st = watch_break_status()
    if fmt == "json":
        if events:
            # metav1.WatchEvent: the embedded Status has no kind/apiVersion
            inner = dict((k, v) for k, v in st.items() if k not in ("kind", "apiVersion"))
            out('{"type":"ERROR","object":%s}\n' % json.dumps(inner, separators=(",", ":"),
                                                              ensure_ascii=False))
        else:
            out(json.dumps(st, indent=4, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def take_bad_json(w, ctx):
    """Consume one truncate_json / garbage_json fault for this -o json read, if it applies."""
    match = w.setting("bad_json_match") or ""
    if match and match not in " ".join(ctx.argv):
        return None
    for key in ("truncate_json", "garbage_json"):
        n = int(w.setting(key) or 0)
        if n > 0:
            w.settings[key] = n - 1
            w.dirty = True
            return key
    return None


GARBAGE_PAGE = ("<html><body><h1>502 Bad Gateway</h1>\n"
                "The server returned an invalid or incomplete response.\n"
                "</body></html>\n")


def garble_json(text, how):
    if how == "truncate_json":
        # cut in the middle, inside the document: what a proxy that drops the connection leaves
        return text[:max(1, len(text) // 2)]
    return GARBAGE_PAGE


def server_patch(w, ctx, rt, old, new):
    """Apply server-side semantics. Returns (changed, final_object)."""
    new = copy.deepcopy(new)
    if not isinstance(new, dict):
        raise OcError(INVALID)
    md = new.setdefault("metadata", {})
    if not isinstance(md, dict):
        raise OcError(INVALID)
    for k in ("name", "namespace", "uid", "creationTimestamp", "resourceVersion", "generation",
              "deletionTimestamp", "ownerReferences", "generateName"):
        if k in old["metadata"]:
            md[k] = old["metadata"][k]
        else:
            md.pop(k, None)
    new["apiVersion"] = old["apiVersion"]
    new["kind"] = old["kind"]
    if "status" in old:
        new["status"] = copy.deepcopy(old["status"])
    else:
        new.pop("status", None)  # a ConfigMap has none
    for k in ("labels", "annotations"):
        if k in md and md[k] is None:
            md.pop(k)
        if k in md and (not isinstance(md[k], dict) or
                        not all(isinstance(v, str) for v in md[k].values())):
            raise OcError(INVALID)
    post = []
    if rt.plural == "imagestreams":
        spec = new.get("spec")
        if not isinstance(spec, dict):
            raise OcError(INVALID)
        tags = spec.get("tags") or []
        if not isinstance(tags, list):
            raise OcError(INVALID)
        bynames = {}
        for t in tags:
            if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"]:
                raise OcError(INVALID)
            frm = t.get("from")
            if frm is not None and (not isinstance(frm, dict) or frm.get("kind") not in
                                    ("DockerImage", "ImageStreamTag", "ImageStreamImage")
                                    or not frm.get("name")):
                raise OcError(INVALID)
            bynames[t["name"]] = t
        oldtags = {t["name"]: t for t in old["spec"].get("tags", []) or []}
        newgen = old["metadata"]["generation"] + 1
        result = []
        changed_tags = []

        def strip_gen(x):
            x = dict(x)
            x.pop("generation", None)
            return x

        for tname in sorted(bynames):
            t = copy.deepcopy(bynames[tname])
            t.setdefault("annotations", None)
            t.setdefault("importPolicy", {})
            t.setdefault("referencePolicy", {"type": "Source"})
            o = oldtags.get(tname)
            if o is not None and strip_gen(o) == strip_gen(t):
                if o.get("generation") is None:
                    t.pop("generation", None)
                else:
                    t["generation"] = o["generation"]
            else:
                t["generation"] = newgen
                changed_tags.append(tname)
            result.append(t)
        spec["tags"] = result
        if spec != old["spec"]:
            md["generation"] = newgen
            removed = [n for n in oldtags if n not in bynames]
            if removed and new["status"].get("tags"):
                new["status"]["tags"] = [s for s in new["status"]["tags"] if s["tag"] not in removed]
            for n in changed_tags:
                if (bynames[n].get("from") or {}).get("kind") in ("DockerImage", "ImageStreamTag"):
                    post.append(("import", n, newgen))
    elif rt.plural == "deploymentconfigs":
        spec = new.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("template"), dict) \
                or not isinstance(spec.get("replicas", 0), int):
            raise OcError(INVALID)
        if spec != old["spec"]:
            md["generation"] = old["metadata"]["generation"] + 1
            if spec.get("template") != old["spec"].get("template"):
                post.append(("config_change",))
                tl_trigger_changed(w, old["metadata"]["name"])
            if spec.get("triggers") != old["spec"].get("triggers"):
                post.append(("trigger_check",))
                tl_trigger_changed(w, old["metadata"]["name"])
            if spec.get("replicas") != old["spec"].get("replicas"):
                post.append(("scale",))
            if bool(spec.get("paused")) != bool(old["spec"].get("paused")):
                post.append(("paused", bool(spec.get("paused"))))
    elif rt.plural == "replicationcontrollers":
        if not isinstance(new.get("spec"), dict) or not isinstance(new["spec"].get("replicas", 0), int):
            raise OcError(INVALID)
        if new["spec"].get("replicas") != old["spec"].get("replicas"):
            post.append(("rc_scale",))
            md["generation"] = old["metadata"].get("generation", 1) + 1
    elif rt.plural == "configmaps":
        for k in ("data", "binaryData"):
            if k in new and new[k] is None:
                new.pop(k)
            if k in new and (not isinstance(new[k], dict) or
                             not all(isinstance(v, str) for v in new[k].values())):
                raise OcError(INVALID)
    elif rt.plural == "secrets":
        sd = new.pop("stringData", None)  # the server folds stringData into data, base64-encoded
        if sd is not None:
            if not isinstance(sd, dict) or not all(isinstance(v, str) for v in sd.values()):
                raise OcError(INVALID)
            new["data"] = dict(new.get("data") or {}, **{k: b64(v) for k, v in sd.items()})
        if "data" in new and new["data"] is None:
            new.pop("data")
        if "data" in new:
            if not isinstance(new["data"], dict) or not all(isinstance(v, str) for v in new["data"].values()):
                raise OcError(INVALID)
            for v in new["data"].values():
                bad = re.search(r"[^A-Za-z0-9+/=]|=[^=]", v)
                if bad or len(v) % 4:
                    at = bad.start() if bad else len(v) - len(v) % 4
                    raise OcError('Error from server (BadRequest): Secret in version "v1" cannot be handled '
                                  'as a Secret: illegal base64 data at input byte %d' % at)
        if new.get("type", "Opaque") != old.get("type", "Opaque"):
            raise OcError('The Secret "%s" is invalid: type: Invalid value: "%s": field is immutable'
                          % (old["metadata"]["name"], new.get("type")))
    elif rt.plural == "pods":
        if new.get("spec") != old.get("spec"):
            raise OcError('The Pod "%s" is invalid: spec: Forbidden: pod updates may not change fields '
                          'other than `spec.containers[*].image`, `spec.initContainers[*].image`, '
                          '`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing '
                          'tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 '
                          'if it was previously negative)' % old["metadata"]["name"])
    if new == old:
        return False, old
    name = old["metadata"]["name"]
    w.objs(rt.plural)[name] = new
    w.touch(rt.plural, new)
    for p in post:
        if p[0] == "import":
            w.schedule(w.setting("import_seconds"),
                       {"type": "import", "is": name, "tag": p[1], "gen": p[2],
                        "result": import_result_for(w, name)})
            tl_import_start(w, name, p[1], p[2])
        elif p[0] == "config_change":
            has_cc = any(t.get("type") == "ConfigChange" for t in new["spec"].get("triggers", []) or [])
            if has_cc and not new["spec"].get("paused"):
                start_rollout(w, name, {"message": "config change", "causes": [{"type": "ConfigChange"}]})
        elif p[0] == "trigger_check":
            w.reschedule_trigger_check(name)
        elif p[0] == "scale":
            dc_scaled(w, new)
        elif p[0] == "paused":
            if not p[1]:
                maybe_resume_rollout(w, name)
        elif p[0] == "rc_scale":
            reconcile_rc(w, new, 0.25)
    if rt.plural == "deploymentconfigs":
        recompute_dc(w, name)
    elif rt.plural == "replicationcontrollers":
        recompute_dc(w, new["metadata"]["annotations"].get("openshift.io/deployment-config.name", ""))
    return True, new


def dc_scaled(w, dc):
    name = dc["metadata"]["name"]
    rc = latest_rc(w, dc)
    if rc is not None and in_progress(rc):
        if rc["spec"]["replicas"] > 0:
            set_rc_replicas(w, rc, dc["spec"]["replicas"], 0.25)
    else:
        reconcile_deployments(w, name, 0.25)
    recompute_dc(w, name)


def one_target(ctx, args):
    if not args:
        raise OcError("error: you must specify a resource (e.g. dc/NAME)")
    slash = "/" in args[0]
    targets, _ = split_targets(args[:1] if slash else args[:2])
    if not targets or targets[0][1] is None:
        raise OcError("error: resource(s) were provided, but no name was specified")
    return targets[0][0], targets[0][1], args[1 if slash else 2:]


def get_obj(w, ctx, rt, name):
    if rt.plural in TEMPLATE_KINDS and ctx.ns == w.ns:
        # a built object is stored when it is first changed (not yet: w is not dirty)
        stored = w.s["objects"].setdefault(rt.plural, {})
        if name not in stored:
            o = TEMPLATE_BUILDERS[rt.plural](w).get(name)
            if o is not None:
                stored[name] = o
    elif rt.plural not in STORED:
        raise OcError("error: oc-sim: %s are read-only" % rt.plural)
    o = w.get(rt.plural, name) if ctx.ns == w.ns else None
    if o is None:
        raise not_found(rt, name)
    return o


def go_quote(s):
    return json.dumps(s, ensure_ascii=False)


def cmd_patch(ctx):
    opts = ctx.opts
    rt, name, _ = one_target(ctx, ctx.pos[1:])
    if "patch" not in opts:
        raise OcError("error: must specify -p to patch")
    ptype = opts.get("type", "strategic")
    if ptype not in ("json", "merge", "strategic"):
        raise OcError('error: --type must be one of [json merge strategic], not "%s"' % ptype)
    text = opts["patch"]
    try:
        patch = json.loads(text)
    except ValueError as e:
        raise OcError("error: unable to parse %s: yaml: %s" % (go_quote(text), str(e).split(":")[0].lower()))
    ctx.check_forbidden("patch", rt, name)
    with Session(ctx.d) as w:
        old = get_obj(w, ctx, rt, name)
        if ptype == "json":
            if not isinstance(patch, list):
                raise OcError("Error from server (BadRequest): json: cannot unmarshal object into Go "
                              "value of type jsonpatch.Patch")
            try:
                new = json_patch(old, patch)
            except PatchError:
                raise OcError(INVALID)
        else:
            if not isinstance(patch, dict):
                raise OcError("Error from server (BadRequest): json: cannot unmarshal array into Go "
                              "value of type map[string]interface {}")
            if ptype == "merge":
                new = merge_patch(old, patch)
            else:
                try:
                    new = strategic_merge(old, patch, old.get("kind"))
                except PatchError as e:
                    # the apiserver's error without a Status reason (mergepatch.ErrNoMergeKey)
                    raise OcError("Error from server: %s" % e)
        changed, _ = server_patch(w, ctx, rt, old, new)
    if changed:
        out("%s/%s patched\n" % (rt.display, name))
    elif CLIENT["version"] == "3.11":
        # kubectl 1.11 with origin#20456 (exit 0); "(no change)" is kubernetes#67385, 1.12
        out("%s/%s not patched\n" % (rt.display, name))
    else:
        out("%s/%s patched (no change)\n" % (rt.display, name))
    return 0


def select_string(s, spec):
    """kubectl's/oc's selectString (pkg/cli/set/helper.go): `--containers` is one name or a pattern
    with '*' wildcards, never a comma list."""
    if spec == "*":
        return True
    if "*" not in spec:
        return s == spec
    pos, match = 0, True
    parts = spec.split("*")
    for i, part in enumerate(parts):
        if not part:
            continue
        nxt = s[pos:].find(part)
        if nxt < pos or (i == 0 and pos != 0) or (i == len(parts) - 1 and len(s) != len(part) + nxt):
            match = False
        else:
            pos = nxt
    return match


def update_env(existing, env, remove):
    """oc's updateEnv: replace an entry by name in place (valueFrom and all), drop the removed
    ones, append the new ones."""
    out_, covered = [], set(remove)
    for e in existing:
        if e.get("name") in covered:
            continue
        newer = next((x for x in env if x["name"] == e.get("name")), None)
        if newer is not None:
            covered.add(e["name"])
            out_.append(dict(newer))
            continue
        out_.append(e)
    for e in env:
        if e["name"] not in covered:
            covered.add(e["name"])
            out_.append(dict(e))
    return out_


def cmd_set_env(ctx):
    """oc set env RESOURCE/NAME KEY=VALUE ... KEY- ... (openshift/oc pkg/cli/set/env.go)."""
    opts = ctx.opts
    args = ctx.pos[2:]
    resources, envargs = [], []
    for a in args:
        is_env = "=" in a or a.endswith("-")
        if is_env:
            envargs.append(a)
        elif envargs:
            raise OcError("error: all resources must be specified before environment changes: %s"
                          % " ".join(args))
        else:
            resources.append(a)
    if not resources:
        raise OcError("error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
    env, remove = [], []
    for a in envargs:
        if "=" in a:
            k, _, v = a.partition("=")
            if not re.fullmatch(r"[-._a-zA-Z][-._a-zA-Z0-9]*", k):
                raise OcError('error: "%s" is not a valid key name: a valid environment variable name must '
                              'consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not '
                              'start with a digit (e.g. \'my.env-name\',  or \'MY_ENV.NAME\',  or \'MyEnv1\', regex used '
                              'for validation is \'[-._a-zA-Z][-._a-zA-Z0-9]*\')' % k)
            env.append({"name": k, "value": v})
        else:
            remove.append(a[:-1])
    rt, name, rest = one_target(ctx, resources)
    if rest:
        raise OcError('error: oc-sim: set env is simulated for one resource')
    if rt.plural != "deploymentconfigs":
        raise OcError("error: oc-sim: set env is only simulated for deploymentconfigs")
    spec = opts.get("containers", "*")
    label = "%s/%s" % (rt.plural, name)
    with Session(ctx.d) as w:
        dc = get_obj(w, ctx, rt, name)
        new = copy.deepcopy(dc)
        # UpdatePodSpecForObject + selectContainers(spec.Containers, ...): init containers are
        # never touched
        cs = [c for c in new["spec"]["template"]["spec"].get("containers", []) if select_string(c["name"], spec)]
        if not cs:
            err('warning: %s does not have any containers matching "%s"' % (label, spec))
        for c in cs:
            if opts.get("overwrite") is False:
                for e in env:
                    cur = next((x for x in c.get("env") or [] if x.get("name") == e["name"]), None)
                    if cur is not None and cur.get("value", "") != e["value"]:
                        err("error: %s '%s' already has a value (%s), and --overwrite is false"
                            % (label, cur["name"], cur.get("value", "")))
                        return 1
            newenv = update_env(c.get("env") or [], env, remove)
            if newenv:
                c["env"] = newenv
            else:
                c.pop("env", None)
        # the PATCH is sent even when nothing changed (an empty patch)
        if "set" in list_setting(ctx.settings, "forbidden_verbs"):
            raise OcError("error: failed to set env: " + forbidden_error(ctx.user, "patch", rt, name, ctx.ns))
        server_patch(w, ctx, rt, dc, new)
    if not env and not remove:
        raise OcError("error: at least one environment variable must be provided")
    out("%s/%s updated\n" % (rt.display, name))
    return 0


def cmd_set(ctx):
    opts = ctx.opts
    args = ctx.pos[1:]
    if args and args[0] == "env":
        return cmd_set_env(ctx)
    if not args or args[0] != "triggers":
        if not args:
            raise OcError("error: oc-sim: 'set' needs a sub-command (only 'set triggers' and 'set env' are "
                          "simulated)")
        raise OcError('error: oc-sim does not simulate "set %s"' % args[0])
    rt, name, _ = one_target(ctx, args[1:])
    if rt.plural != "deploymentconfigs":
        raise OcError("error: oc-sim: set triggers is only simulated for deploymentconfigs")
    frm = opts.get("from-image")
    remove = opts.get("remove") is True
    remove_all = opts.get("remove-all") is True
    from_config = opts.get("from-config") is True
    with Session(ctx.d) as w:
        dc = get_obj(w, ctx, rt, name)
        old = copy.deepcopy(dc["spec"].get("triggers") or [])
        if not frm and not remove_all and not from_config:
            if remove:
                raise OcError("error: deploymentconfigs/%s you must specify --from-image, --from-config "
                              "or --remove-all with --remove" % name)
            out("NAME                         TYPE    VALUE  AUTO\n")
            for t in old:
                if t.get("type") == "ConfigChange":
                    out("deploymentconfigs/%s  config         true\n" % name)
                else:
                    p = t.get("imageChangeParams", {})
                    out("deploymentconfigs/%s  image   %s (%s)  %s\n" % (
                        name, p.get("from", {}).get("name", ""), ",".join(p.get("containerNames", [])),
                        "true" if p.get("automatic") else "false"))
            return 0
        cc = [t for t in old if t.get("type") == "ConfigChange"]
        images = [copy.deepcopy(t) for t in old if t.get("type") == "ImageChange"]
        if remove_all:
            cc, images = [], []
        if from_config:
            cc = [] if remove else [{"type": "ConfigChange"}]
        if frm:
            full = frm if ":" in frm else frm + ":latest"
            if remove:
                images = [t for t in images
                          if ((t.get("imageChangeParams") or {}).get("from") or {}).get("name") != full]
            else:
                cs = [c for c in (opts.get("containers") or "").split(",") if c]
                if not cs:
                    raise OcError("error: deploymentconfigs/%s you must specify --containers when setting "
                                  "--from-image" % name)
                names = all_container_names(dc)
                missing = [c for c in cs if c not in names]
                if missing:
                    raise OcError("error: deploymentconfigs/%s not all container names exist: %s (accepts: %s)"
                                  % (name, ", ".join(missing), ", ".join(sorted(names))))
                trig = {"type": "ImageChange",
                        "imageChangeParams": {"automatic": opts.get("manual") is not True,
                                              "containerNames": cs,
                                              "from": {"kind": "ImageStreamTag", "name": full}}}
                for i, t in enumerate(images):
                    if ((t.get("imageChangeParams") or {}).get("from") or {}).get("name") == full:
                        images[i] = trig
                        break
                else:
                    images.append(trig)
        for t in images:
            (t.get("imageChangeParams") or {}).pop("lastTriggeredImage", None)
        new = cc + images
        if new == old:
            return 0
        if "set" in list_setting(ctx.settings, "forbidden_verbs"):
            raise OcError("error: failed to patch build hook: " +
                          forbidden_error(ctx.user, "patch", rt, name, ctx.ns))
        dc["spec"]["triggers"] = new
        dc["metadata"]["generation"] += 1
        w.touch("deploymentconfigs", dc)
        tl_trigger_changed(w, name)
        recompute_dc(w, name)
        w.reschedule_trigger_check(name)
    out("deploymentconfig.apps.openshift.io/%s triggers updated\n" % name)
    return 0


def cmd_scale(ctx):
    opts = ctx.opts
    rt, name, _ = one_target(ctx, ctx.pos[1:])
    if "replicas" not in opts:
        raise OcError('error: required flag(s) "replicas" not set')
    try:
        n = int(opts["replicas"])
        if n < 0:
            raise ValueError
    except ValueError:
        raise OcError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or "
                      "equal to 0")
    if rt.plural not in ("deploymentconfigs", "replicationcontrollers"):
        raise OcError('error: no scaler has been implemented for "%s"' % rt.kind)
    ctx.check_forbidden("scale", rt, name)
    with Session(ctx.d) as w:
        o = get_obj(w, ctx, rt, name)
        if "current-replicas" in opts and str(o["spec"]["replicas"]) != opts["current-replicas"]:
            raise OcError("error: Expected replicas to be %s, was %d" % (opts["current-replicas"],
                                                                          o["spec"]["replicas"]))
        if o["spec"]["replicas"] != n:
            o["spec"]["replicas"] = n
            o["metadata"]["generation"] = o["metadata"].get("generation", 1) + 1
            w.touch(rt.plural, o)
            if rt.plural == "deploymentconfigs":
                dc_scaled(w, o)
            else:
                reconcile_rc(w, o, 0.25)
                recompute_dc(w, o["metadata"]["annotations"].get("openshift.io/deployment-config.name", ""))
    out("%s/%s scaled\n" % (rt.display, name))
    return 0


def cmd_annotate(ctx, label=False):
    opts = ctx.opts
    verb = "label" if label else "annotate"
    rt, name, rest = one_target(ctx, ctx.pos[1:])
    sets = {}
    removes = []
    for a in rest:
        if a.endswith("-") and "=" not in a:
            removes.append(a[:-1])
        elif "=" in a:
            k, _, v = a.partition("=")
            sets[k] = v
        else:
            raise OcError("error: all resources must be specified before %s changes: %s" % (
                "label" if label else "annotation", a))
    if not sets and not removes:
        raise OcError("error: at least one %s update is required" % ("label" if label else "annotation"))
    field = "labels" if label else "annotations"
    ctx.check_forbidden(verb, rt, name)
    with Session(ctx.d) as w:
        o = get_obj(w, ctx, rt, name)
        cur = o["metadata"].get(field) or {}
        if not opts.get("overwrite"):
            bad = ["'%s' already has a value (%s)" % (k, cur[k]) for k in sets if k in cur and cur[k] != sets[k]]
            if bad:
                if label:
                    raise OcError("error: %s, and --overwrite is false" % "; ".join(bad))
                raise OcError("error: --overwrite is false but found the following declared annotation(s): "
                              + "; ".join(bad))
        new = dict(cur)
        new.update(sets)
        for k in removes:
            new.pop(k, None)
        if new != cur:
            o["metadata"][field] = new
            w.touch(rt.plural, o)
    out("%s/%s %s\n" % (rt.display, name, "labeled" if label else "annotated"))
    return 0


def rollout_status_text(dc, name):
    """(message, done, error) per openshift/oc's DeploymentConfig status viewer."""
    st = dc.get("status", {})
    lv = st.get("latestVersion", 0)
    rcname = "%s-%d" % (name, lv)
    if dc["spec"].get("paused"):
        return ('Deployment config "%s" is paused. Resume to continue watching the status of the rollout.\n'
                % name, True, None)
    if lv == 0:
        return ('Deployment config "%s" waiting on image update\n' % name, False, None)
    cond = None
    for c in st.get("conditions", []) or []:
        if c["type"] == "Progressing":
            cond = c
    if dc["metadata"].get("generation", 0) <= st.get("observedGeneration", 0):
        reason = (cond or {}).get("reason")
        spec_rep = dc["spec"].get("replicas", 0)
        if reason == "NewReplicationControllerAvailable":
            return ('replication controller "%s" successfully rolled out\n' % rcname, True, None)
        if reason == "ProgressDeadlineExceeded":
            return (None, True, 'replication controller "%s" has failed progressing' % rcname)
        if reason == "RolloutCancelled":
            return (None, True, 'rollout of replication controller "%s" was cancelled' % rcname)
        if spec_rep > st.get("updatedReplicas", 0):
            return ("Waiting for rollout to finish: %d out of %d new replicas have been updated...\n"
                    % (st.get("updatedReplicas", 0), spec_rep), False, None)
        if st.get("replicas", 0) > st.get("updatedReplicas", 0):
            return ("Waiting for rollout to finish: %d old replicas are pending termination...\n"
                    % (st.get("replicas", 0) - st.get("updatedReplicas", 0)), False, None)
        if st.get("availableReplicas", 0) < st.get("updatedReplicas", 0):
            return ("Waiting for rollout to finish: %d of %d updated replicas are available...\n"
                    % (st.get("availableReplicas", 0), st.get("updatedReplicas", 0)), False, None)
    return ("Waiting for latest deployment config spec to be observed by the controller loop...\n",
            False, None)


def cmd_rollout(ctx):
    opts = ctx.opts
    args = ctx.pos[1:]
    if not args:
        raise OcError("error: oc-sim: rollout needs a sub-command")
    sub = args[0]
    if sub not in ("status", "retry", "latest", "cancel", "pause", "resume", "history"):
        raise OcError('error: oc-sim does not simulate "rollout %s"' % sub)
    rt, name, _ = one_target(ctx, args[1:])
    if rt.plural != "deploymentconfigs":
        raise OcError("error: oc-sim: rollout is only simulated for deploymentconfigs")
    disp = "deploymentconfig.apps.openshift.io/%s" % name
    if sub == "status":
        ctx.check_forbidden("get", rt, name)
        watch = opts.get("watch", True) is not False
        timeout = parse_duration(opts.get("timeout")) if opts.get("timeout") else None
        if opts.get("timeout") and timeout is None:
            raise OcError("error: invalid argument %s for \"--timeout\" flag" % go_quote(opts["timeout"]))
        deadline = time.time() + timeout if timeout else None
        last = None
        while True:
            with Session(ctx.d) as w:
                dc = get_obj(w, ctx, rt, name)
                msg, done, error = rollout_status_text(dc, name)
                nxt = min(e[0] for e in w.s["events"]) if w.s["events"] else None
                w.flush()
                seen = world_stamp(ctx.d)
            if error:
                raise OcError("error: " + error)
            if msg != last:
                out(msg)
                sys.stdout.flush()
                last = msg
            if done or not watch:
                return 0
            if deadline and time.time() >= deadline:
                raise OcError("error: timed out waiting for the condition")
            # a watch, as in oc: wake when the world changes
            wait_for_change(ctx.d, seen, min(time.time() + WATCH_POLL_SECONDS, nxt or float("inf"),
                                             deadline or float("inf")))
    if sub == "history":
        with Session(ctx.d) as w:
            get_obj(w, ctx, rt, name)
            rows = ["REVISION\tSTATUS\t\tCAUSE"]
            for rc in dc_rcs(w, name):
                rows.append("%d\t\t%s\t%s" % (rc_version(rc), rc_phase(rc), "image change"))
        out("deploymentconfigs \"%s\"\n" % name + "\n".join(rows) + "\n\n")
        return 0
    ctx.check_forbidden("rollout", rt, name)
    with Session(ctx.d) as w:
        dc = get_obj(w, ctx, rt, name)
        lv = dc["status"].get("latestVersion", 0)
        rc = latest_rc(w, dc)
        if sub == "retry":
            if dc["spec"].get("paused"):
                raise OcError('error: unable to retry paused deployment config "%s"' % name)
            if lv == 0:
                raise OcError("error: no rollouts found for %s" % name)
            if rc is None:
                raise OcError("error: unable to find the latest rollout (#%d).\nYou can start a new rollout "
                              "with 'oc rollout latest dc/%s'." % (lv, name))
            phase = rc_phase(rc)
            if phase != "Failed":
                msg = "rollout #%d is %s; only failed deployments can be retried.\n" % (lv, phase.lower())
                if phase == "Complete":
                    msg += "You can start a new deployment with 'oc rollout latest dc/%s'." % name
                else:
                    msg += "Optionally, you can cancel this deployment with 'oc rollout cancel dc/%s'." % name
                raise OcError("error: " + msg)
            rcname = rc["metadata"]["name"]
            for pn in [p for p, po in list(w.objs("pods").items())
                       if po["metadata"].get("labels", {}).get("openshift.io/deployer-pod-for.name") == rcname]:
                w.delete("pods", pn)
            ann = rc["metadata"]["annotations"]
            ann["openshift.io/deployment.phase"] = "New"
            ann.pop("openshift.io/deployment.status-reason", None)
            ann.pop("openshift.io/deployment.cancelled", None)
            w.touch("replicationcontrollers", rc)
            e = tl_rollout(w, name, lv)
            if e:
                e.update({"retried": w.t, "failed": None, "cancelled": False, "complete": None})
            run = new_run(w, rcname, name)
            step(w, rcname, run, "pending", 0.1 * D(w))
            recompute_dc(w, name)
            out("%s retried rollout #%d\n" % (disp, lv))
            return 0
        if sub == "latest":
            if dc["spec"].get("paused"):
                raise OcError("error: cannot deploy a paused deployment config")
            if in_progress(rc):
                raise OcError("error: #%d is already in progress (%s)." % (lv, rc_phase(rc)))
            start_rollout(w, name, {"message": "manual change", "causes": [{"type": "Manual"}]})
            out("%s rolled out\n" % disp)
            return 0
        if sub == "cancel":
            if not in_progress(rc):
                out("No rollout is in progress (latest rollout #%d %s)\n" % (
                    lv, rc_phase(rc).lower() if rc else "none"))
                return 0
            fail_rc(w, rc, "cancelled by the user", cancelled=True)
            out("%s cancelling\n" % disp)
            return 0
        # pause / resume
        want = sub == "pause"
        if bool(dc["spec"].get("paused")) == want:
            raise OcError('error: %s is %s' % (disp, "already paused" if want else "not paused"))
        set_dc_paused(w, dc, want)
        out("%s %s\n" % (disp, "paused" if want else "resumed"))
        return 0


def cmd_delete(ctx):
    rt, name, _ = one_target(ctx, ctx.pos[1:])
    if rt.plural != "pods":
        raise OcError('error: oc-sim only simulates deleting pods, not %s' % rt.plural)
    ctx.check_forbidden("delete", rt, name)
    with Session(ctx.d) as w:
        p = get_obj(w, ctx, rt, name)
        uid = p["metadata"]["uid"]
        terminate_pod(w, p)
        rcname = p["metadata"].get("labels", {}).get("deployment")
        rc = w.get("replicationcontrollers", rcname) if rcname else None
        if rc is not None:
            reconcile_rc(w, rc, 0.25)
            recompute_dc(w, p["metadata"]["labels"].get("deploymentconfig", ""))
    out('pod "%s" deleted\n' % name)
    if ctx.opts.get("wait", True) is not False:
        sys.stdout.flush()
        while True:
            with Session(ctx.d) as w:
                p = w.get("pods", name)
                if p is None or p["metadata"]["uid"] != uid:
                    break
            time.sleep(0.05)
    return 0


def cmd_tag(ctx):
    opts = ctx.opts
    args = ctx.pos[1:]
    delete = opts.get("delete") is True
    if delete:
        if not args:
            raise OcError("error: you must specify at least one image stream tag to remove")
        src, dest = None, args
    else:
        if len(args) < 2:
            raise OcError("error: you must specify a source and at least one destination or one or more "
                          "destinations with --delete")
        src, dest = args[0], args[1:]
    ctx.check_forbidden("tag", RT("imagestreams"), dest[0].split(":")[0])
    msgs = []
    with Session(ctx.d) as w:
        for dname in dest:
            if ":" not in dname:
                raise OcError("error: destination must be of the form <stream>:<tag>: %s" % dname)
            isname, tag = dname.split(":", 1)
            is_ = get_obj(w, ctx, RT("imagestreams"), isname)
            tags = copy.deepcopy(is_["spec"].get("tags") or [])
            if delete:
                if not any(t["name"] == tag for t in tags):
                    raise OcError('Error from server (NotFound): imagestreamtags.image.openshift.io "%s" not found'
                                  % dname)
                tags = [t for t in tags if t["name"] != tag]
                msgs.append("Deleted tag %s/%s.\n" % (ctx.ns, dname))
            else:
                docker = opts.get("source") == "docker" or ("/" in src and opts.get("source") != "istag")
                frm = {"kind": "DockerImage" if docker else "ImageStreamTag", "name": src}
                t = {"name": tag, "from": frm, "importPolicy": {},
                     "referencePolicy": {"type": "Local" if opts.get("reference-policy") == "local" else "Source"}}
                old = {x["name"]: x for x in tags}.get(tag)
                t["annotations"] = old.get("annotations") if old else None
                tags = [x for x in tags if x["name"] != tag] + [t]
                msgs.append("Tag %s set to %s.\n" % (dname, src))
            new = copy.deepcopy(is_)
            new["spec"]["tags"] = tags
            server_patch(w, ctx, RT("imagestreams"), is_, new)
    out("".join(msgs))
    return 0


def cmd_import_image(ctx):
    args = ctx.pos[1:]
    if not args:
        raise OcError("error: you must specify the name of an image stream")
    isname, _, tag = args[0].partition(":")
    tag = tag or "latest"
    ctx.check_forbidden("import-image", RT("imagestreams"), isname)
    with Session(ctx.d) as w:
        is_ = get_obj(w, ctx, RT("imagestreams"), isname)
        spec = None
        for t in is_["spec"].get("tags", []) or []:
            if t["name"] == tag:
                spec = t
        if spec is None:
            raise OcError('error: tag "%s" does not exist on the image stream - choose an existing tag to '
                          'import' % tag)
        gen = is_["metadata"]["generation"] + 1
        is_["metadata"]["generation"] = gen
        spec["generation"] = gen
        st = do_import(w, is_, tag, gen, import_result_for(w, isname))
        cond = (st or {}).get("conditions")
    if cond:
        raise OcError("error: tag %s failed: %s" % (tag, cond[0]["message"]))
    out("imagestream.image.openshift.io/%s imported\n\nName:\t\t\t%s\nNamespace:\t\t%s\nTag:\t\t\t%s\n"
        % (isname, isname, ctx.ns, tag))
    return 0


def cmd_logs(ctx):
    args = ctx.pos[1:]
    if not args:
        raise OcError("error: expected POD or TYPE/NAME is a required argument for the logs command")
    tgt = args[0]
    with Session(ctx.d) as w:
        if "/" in tgt:
            t, _, n = tgt.partition("/")
            rt = rtype(t)
            if rt is None:
                raise OcError('error: the server doesn\'t have a resource type "%s"' % t)
            if rt.plural == "deploymentconfigs":
                dc = get_obj(w, ctx, rt, n)
                n = "%s-%d-deploy" % (n, dc["status"].get("latestVersion", 0))
            elif rt.plural != "pods":
                raise OcError("error: oc-sim: logs only for pods and dcs")
        else:
            n = tgt
        p = copy.deepcopy(get_obj(w, ctx, RT("pods"), n))
    labels = p["metadata"].get("labels", {})
    phase = p["status"].get("phase")
    if labels.get("openshift.io/deployer-pod.type") == "hook-pre":
        crashing = any((c.get("state") or {}).get("waiting") for c in p["status"].get("containerStatuses", []))
        if crashing or phase == "Failed":
            out("rake aborted!\nActiveRecord::StatementInvalid: Mysql2::Error: Table 'system.accounts' "
                "is marked as crashed\n/opt/system/lib/tasks/openshift.rake:34:in `block (2 levels) in "
                "<top (required)>'\nTasks: TOP => openshift:deploy\n")
        else:
            out("== Migrations: up to date\nDone.\n")
    elif "openshift.io/deployer-pod-for.name" in labels:
        rcname = labels["openshift.io/deployer-pod-for.name"]
        out("--> Scaling up %s from 0 to 1, scaling down others (keep 1 pods available, don't exceed 2 "
            "pods)\n" % rcname)
        if phase == "Succeeded":
            out("--> Success\n")
        elif phase == "Failed":
            out("error: update acceptor rejected %s: pods for rc '%s/%s' took longer than 600 seconds to "
                "become available\n" % (rcname, ctx.ns, rcname))
    else:
        out("I, [%s] INFO -- : listening on addr=0.0.0.0:3000\n" % p["metadata"]["creationTimestamp"])
    return 0


def cmd_auth(ctx):
    args = ctx.pos[1:]
    if not args or args[0] != "can-i":
        raise OcError('error: oc-sim only simulates "auth can-i"')
    if len(args) < 3:
        raise OcError("error: you must specify two or three arguments: verb, resource, and optional "
                      "resourceName")
    verb = args[1]
    forb = list_setting(ctx.settings, "forbidden_verbs")
    denied = verb in forb or (verb == "*" and bool(forb)) or any(RBAC_VERB.get(v) == verb for v in forb)
    if not ctx.opts.get("quiet"):
        out("no\n" if denied else "yes\n")
    return 1 if denied else 0


def cmd_whoami(ctx):
    if ctx.opts.get("show-server"):
        out(SERVER + "\n")
    elif ctx.opts.get("show-token"):
        out("sha256~oc-sim-token\n")
    else:
        out(ctx.user + "\n")
    return 0


def cmd_project(ctx, fault_err=None):
    args = ctx.pos[1:]
    proj = ctx.settings.get("project") or ""
    if args:
        if ctx.settings.get("unreachable"):
            raise OcError(unreachable_msg())
        if not ctx.settings.get("logged_in", True):
            raise OcError("error: You must be logged in to the server (Unauthorized)")
        with Session(ctx.d) as w:
            if args[0] != w.ns:
                raise OcError('error: A project named "%s" does not exist on "%s".' % (args[0], SERVER))
            w.settings["project"] = args[0]
            w.dirty = True
        if not ctx.opts.get("quiet"):
            out('Now using project "%s" on server "%s".\n' % (args[0], SERVER))
        return 0
    if not proj:
        raise OcError("error: no project has been set")
    # oc confirms access to the current project on the server before it prints it
    if ctx.settings.get("unreachable"):
        raise OcError(unreachable_msg())
    if not ctx.settings.get("logged_in", True):
        raise OcError(UNAUTHORIZED_TEXT)
    if fault_err is not None:
        raise fault_err
    if proj != ctx.world_ns:
        raise OcError("error: you do not have rights to view project \"%s\" specified in your config or "
                      "the project doesn't exist" % proj)
    if ctx.opts.get("quiet"):
        out(proj + "\n")
    else:
        out('Using project "%s" on server "%s".\n' % (proj, SERVER))
    return 0


def cmd_version(ctx, server):
    client = (ctx.settings or {}).get("client_version")
    if client == "4.2":
        out("Client Version: v4.2.0-oc-sim\n")
        if server:
            out("Server Version: 4.12.0\nKubernetes Version: v1.25.0+oc-sim\n")
        return 0
    if client == "3.11":
        out("oc v3.11.0+oc-sim\nkubernetes v1.11.0+d4cacc0\nfeatures: Basic-Auth GSSAPI Kerberos SPNEGO\n")
        if server:
            out("\nServer https://%s:8443\nopenshift v3.11.0+oc-sim\nkubernetes v1.11.0+d4cacc0\n" % SERVER_HOST)
        return 0
    out("Client Version: 4.12.0-oc-sim\nKustomize Version: v4.5.7\n")
    if server:
        out("Server Version: 4.12.0\nKubernetes Version: v1.25.0+oc-sim\n")
    return 0


def unreachable_msg():
    return "Unable to connect to the server: dial tcp: lookup %s: no such host" % SERVER_HOST


HELP = """OpenShift Client (oc-sim: a simulator, see docs/oc-sim.md)

Simulated commands: get, patch, set triggers, scale, annotate, label, rollout
(status|retry|latest|cancel|pause|resume|history), delete pod, tag, import-image,
logs, whoami, project, auth can-i, version.  Admin: oc-sim sim ...
"""


# Flags an old client does not have: oc 3.11 is built on the Kubernetes 1.11 client, oc
# 4.1/4.2 on 1.13/1.14, and kubectl gained --output-watch-events in 1.16
# (kubernetes/kubernetes#72416), oc in 4.3. Both print cobra's full usage after the error
# (the short "See 'oc get --help'" form is kubernetes#82423, oc 4.3).
CLIENT = {"version": "4.x"}  # this call's client_version setting
CLIENT_MISSING_FLAGS = {"3.11": ("output-watch-events",), "4.2": ("output-watch-events",)}
USAGE_OLD = {
    "get": "oc get [(-o|--output=)json|yaml|wide|custom-columns=...|custom-columns-file=...|"
           "go-template=...|go-template-file=...|jsonpath=...|jsonpath-file=...] "
           "(TYPE [NAME | -l label] | TYPE/NAME ...) [flags] [options]",
}


def client_flags(client, verb, opts):
    """The client's answer to a flag it does not know, before it talks to the server:
    cobra's "Error: unknown flag: --NAME" and the command's usage on stderr, exit 1."""
    for flag in CLIENT_MISSING_FLAGS.get(client, ()):
        if flag in opts:
            usage = USAGE_OLD.get(verb, "oc %s [flags] [options]" % verb)
            raise OcError('Error: unknown flag: --%s\n\n\nUsage:\n  %s\n\nUse "oc options" for a list of '
                          'global command-line options (applies to all commands).\n' % (flag, usage))


def oc_main(argv, d):
    opts, pos = parse_args(argv)
    if opts.get("help") or not pos or pos[0] == "help":
        out(HELP)
        return 0
    verb = pos[0]
    if verb not in SUPPORTED:
        if verb in REAL_VERBS:
            raise OcError('error: oc-sim does not simulate "oc %s"' % verb)
        raise OcError('error: unknown command "%s" for "oc"' % verb)
    ctx = Ctx(d, opts, pos)
    ctx.argv = argv
    if verb == "version" and opts.get("client"):
        return cmd_version(ctx, False)
    # read the settings; count mutating calls for fail_call; take this call's fail_read fault
    mutating = is_mutating(pos)
    fault = None  # (kind, applied)
    with Locked(d):
        state = load_state(d)
        settings = state["settings"]
        CLIENT["version"] = settings.get("client_version") or "4.x"
        client_flags(CLIENT["version"], verb, opts)
        project = settings.get("project") or ""
        ns = opts.get("namespace") or project or "default"
        live = not settings.get("unreachable") and settings.get("logged_in", True)
        changed = False
        if mutating:
            state["mut_count"] = state.get("mut_count", 0) + 1
            changed = True
            for n, applied, kind in parse_fail_call(settings.get("fail_call")):
                if n == state["mut_count"]:
                    fault = (kind, applied)
                    break
        elif live and settings.get("fail_read") and is_read_call(pos, project):
            match = settings.get("fail_read_match") or ""
            lst = parse_fail_read(settings.get("fail_read"))
            if lst and (not match or match in " ".join(argv)) and call_info(pos, ns, project):
                fault = (lst[0][0], False)
                lst[0][1] -= 1
                settings["fail_read"] = format_fail_read(lst)
                changed = True
        if changed:
            save_state(d, state)
    ctx.settings = settings
    ctx.user = settings.get("user", "admin")
    ctx.ns = ns
    ctx.world_ns = state.get("ns")
    info = call_info(pos, ns, project)
    fault_err = None
    if fault is not None and info is not None:
        FAULT["name"] = "%s:%s%s" % ("fail_call" if mutating else "fail_read", fault[0],
                                     ":applied" if fault[1] else "")
        fault_err = OcError(fault_text(fault[0], info, ctx.user, mutating))
    slow = float(settings.get("slow_seconds", 0) or 0)
    if slow > 0:
        time.sleep(slow)
    if verb == "project":
        return cmd_project(ctx, fault_err)
    if settings.get("unreachable"):
        raise OcError(unreachable_msg())
    if not settings.get("logged_in", True):
        raise OcError(UNAUTHORIZED_TEXT)
    if fault_err is not None and not fault[1]:
        raise fault_err
    if verb in ("apply", "create"):
        raise OcError('error: oc-sim does not simulate "oc %s"' % verb)
    handlers = {
        "get": cmd_get, "patch": cmd_patch, "set": cmd_set, "scale": cmd_scale,
        "annotate": cmd_annotate, "label": lambda c: cmd_annotate(c, label=True),
        "rollout": cmd_rollout, "whoami": cmd_whoami, "auth": cmd_auth,
        "version": lambda c: cmd_version(c, True), "delete": cmd_delete, "tag": cmd_tag,
        "import-image": cmd_import_image, "logs": cmd_logs,
    }
    if fault_err is not None:
        # the server applied the change, but the answer never reached oc
        saved = sys.stdout
        sys.stdout = io.StringIO()
        try:
            handlers[verb](ctx)
        except OcError:
            pass
        finally:
            sys.stdout = saved
        raise fault_err
    return handlers[verb](ctx)


def log_call(d, t0, argv, mutating, code):
    try:
        os.makedirs(d, exist_ok=True)
        rec = {"t": t0, "t_end": time.time(), "argv": argv, "mutating": mutating, "exit": code}
        if FAULT["name"]:
            rec["fault"] = FAULT["name"]
        line = json.dumps(rec) + "\n"
        fd = os.open(os.path.join(d, "calls.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def _devnull_stdout():
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:
        pass


def run_oc(argv):
    d = state_dir()
    t0 = time.time()
    code = 1
    try:
        code = oc_main(argv, d)
        sys.stdout.flush()
    except OcError as e:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _devnull_stdout()
        err(e.msg)
        code = e.code
    except SimError as e:
        err("error: oc-sim: %s" % e)
        code = 1
    except BrokenPipeError:
        _devnull_stdout()
        code = 141
    except KeyboardInterrupt:
        code = 130
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        try:
            mut = is_mutating(parse_args(argv)[1])
        except OcError:
            mut = False
        log_call(d, t0, argv, mut, code)
    return code


# ---------------------------------------------------------------------------
# sim admin commands

SIM_USAGE = """usage: oc-sim sim init [--namespace NS] [--database oracle|other] [--oracle-image yes|no]
                    [--system-database mysql|postgresql|external] [--redis internal|external]
                    [--version 2.8|2.9|2.10] [--set K=V ...]
       oc-sim sim set KEY=VALUE ...
       oc-sim sim get KEY
       oc-sim sim calls [--mutating]
       oc-sim sim settle [--timeout S]
       oc-sim sim dump
       oc-sim sim timeline         (when imports and rollouts happened, as one JSON object)
       oc-sim sim build TAG        (simulate a finished binary build into amp-system:TAG)

settings (sim init --set K=V, sim set K=V; docs/oc-sim.md has the details):
  rollout_seconds terminate_seconds trigger_lag_seconds import_seconds   timings (seconds)
  import_result=ok|Unauthorized|NotFound|InternalError   import_result.<stream>=...   replicas=N replicas.<dc>=N
  image_updates=STREAM,...   new imports of these streams resolve to a newer image (another digest)
  fail_rollout never_finish double_trigger paused   comma lists of dcs
  hook_crash=BOOL hook_timeout_seconds   logged_in=BOOL unreachable=BOOL user project
  forbidden_verbs=VERB,...   reference_policy=Source|Local   slow_seconds
  watch_max_seconds   watch_error=COUNT|true     a watch ends (exit 0) with a broken stream
  fail_call=N[:applied][:KIND],...               the Nth mutating call fails
  fail_read=KIND[:COUNT],...  fail_read_match=S  the next matching read calls fail
  truncate_json=COUNT garbage_json=COUNT bad_json_match=S   broken -o json answers (exit 0)
  KIND: internal timeout deadline 429 500 503 504 refused reset unauthorized forbidden notfound
"""


def sim_init(d, rest):
    ns, database, oracle_image, overrides = "3scale", "other", "yes", []
    system_database, redis, version = None, "internal", DEFAULT_VERSION
    i = 0
    while i < len(rest):
        a = rest[i]
        name, eq, val = a.partition("=")
        if name not in ("--namespace", "-n", "--database", "--oracle-image", "--set", "--system-database",
                        "--redis", "--version"):
            raise SimError("unknown option %r" % a)
        if not eq:
            i += 1
            if i >= len(rest):
                raise SimError("%s needs a value" % name)
            val = rest[i]
        if name in ("--namespace", "-n"):
            ns = val
        elif name == "--database":
            if val not in ("oracle", "other"):
                raise SimError("--database must be oracle or other")
            database = val
        elif name == "--oracle-image":
            if val not in ("yes", "no"):
                raise SimError("--oracle-image must be yes or no")
            oracle_image = val
        elif name == "--system-database":
            if val not in SYSTEM_DATABASES:
                raise SimError("--system-database must be one of %s" % ", ".join(SYSTEM_DATABASES))
            system_database = val
        elif name == "--redis":
            if val not in REDIS_VARIANTS:
                raise SimError("--redis must be internal or external")
            redis = val
        elif name == "--version":
            if val not in VERSIONS:
                raise SimError("--version must be one of %s" % ", ".join(VERSIONS))
            version = val
        else:
            k, eq2, v = val.partition("=")
            if not eq2:
                raise SimError("--set needs KEY=VALUE")
            coerce_setting(k, v)
            overrides.append((k, v))
        i += 1
    if database == "oracle" and system_database is not None:
        raise SimError("--system-database does not apply to --database oracle (Oracle is the system database)")
    if database == "oracle" and version == "2.8":
        raise SimError("2.8 with the Oracle database is not simulated")
    with Locked(d):
        for f in ("state.json", "calls.jsonl", "journal.jsonl"):
            try:
                os.unlink(os.path.join(d, f))
            except FileNotFoundError:
                pass
        state = init_world(d, ns, database, oracle_image == "yes", overrides,
                           system_database or "mysql", redis, version)
        save_state(d, state)
    return 0


def sim_settle(d, rest):
    timeout = 60.0
    if rest:
        name, eq, val = rest[0].partition("=")
        if name != "--timeout":
            raise SimError("unknown option %r" % rest[0])
        if not eq:
            if len(rest) < 2:
                raise SimError("--timeout needs a value")
            val = rest[1]
        timeout = parse_duration(val)
        if timeout is None:
            raise SimError("bad --timeout %r" % val)
    deadline = time.time() + timeout
    while True:
        with Session(d) as w:
            pending = len(w.s["events"])
            nxt = min(e[0] for e in w.s["events"]) if pending else None
        if not pending:
            return 0
        if time.time() >= deadline:
            err("oc-sim: settle timed out after %gs (%d events pending)" % (timeout, pending))
            return 1
        time.sleep(max(0.01, min(0.05, nxt - time.time(), deadline - time.time())))


def sim_main(args):
    d = state_dir()
    if not args or args[0] in ("-h", "--help", "help"):
        out(SIM_USAGE)
        return 0 if args else 2
    cmd, rest = args[0], args[1:]
    try:
        if cmd == "init":
            return sim_init(d, rest)
        if cmd == "set":
            if not rest:
                raise SimError("sim set needs KEY=VALUE")
            pairs = []
            for a in rest:
                k, eq, v = a.partition("=")
                if not eq:
                    raise SimError("expected KEY=VALUE, got %r" % a)
                pairs.append((k, coerce_setting(k, v)))
            with Session(d) as w:
                for k, v in pairs:
                    w.settings[k] = v
                    if k == "fail_call":
                        w.s["mut_count"] = 0
                w.dirty = True
                if any(k == "paused" for k, _ in pairs):
                    apply_paused_setting(w)
            return 0
        if cmd == "get":
            if len(rest) != 1:
                raise SimError("sim get needs KEY")
            k = rest[0]
            if k not in DEFAULTS and not k.startswith("replicas.") and not k.startswith("import_result."):
                raise SimError("unknown setting %r" % k)
            with Locked(d):
                state = load_state(d)
            s = state["settings"]
            if s.get(k) not in (None, ""):
                v = s[k]
            elif k.startswith("replicas."):
                v = s.get("replicas", 1)
            elif k.startswith("import_result."):
                v = s.get("import_result", "ok")
            elif k in s:
                v = s[k]
            else:
                v = DEFAULTS[k]
            if k == "watch_error" and v == -1:
                v = "true"
            out(format_setting(v) + "\n")
            return 0
        if cmd == "calls":
            only_mut = "--mutating" in rest
            try:
                with open(os.path.join(d, "calls.jsonl")) as f:
                    lines = f.readlines()
            except FileNotFoundError:
                lines = []
            for line in lines:
                try:
                    c = json.loads(line)
                except ValueError:
                    continue
                if only_mut and not c.get("mutating"):
                    continue
                out(shlex.join(c["argv"]) + "\n")
            return 0
        if cmd == "settle":
            return sim_settle(d, rest)
        if cmd == "dump":
            with Session(d) as w:
                out(pretty(w.s))
            return 0
        if cmd == "timeline":
            if rest:
                raise SimError("sim timeline takes no arguments")
            with Session(d) as w:
                t = tl(w)
                doc = {"initialized": w.s.get("initialized"), "now": w.t,
                       "imports": t.get("imports", {}),
                       "dcs": dict((n, t["dcs"].get(n, [])) for n in sorted(w.objs("deploymentconfigs")))}
            out(pretty(doc))
            return 0
        if cmd == "build":
            if len(rest) != 1:
                raise SimError("sim build needs TAG")
            with Session(d) as w:
                is_ = w.get("imagestreams", "amp-system")
                st = status_tag(is_, rest[0])
                item = built_item(w.ns, rest[0], w.t, is_["metadata"]["generation"])
                st["items"] = [item] + [i for i in (st.get("items") or []) if i["image"] != item["image"]]
                st.pop("conditions", None)
                w.touch("imagestreams", is_)
                tl_import_end(w, "amp-system", rest[0], is_["metadata"]["generation"], "build")
                schedule_trigger_checks(w, "amp-system", rest[0])
            return 0
        raise SimError("unknown sim command %r\n%s" % (cmd, SIM_USAGE))
    except SimError as e:
        err("oc-sim: %s" % e)
        return 2


def main():
    signal.signal(signal.SIGTERM, _on_signal)
    argv = sys.argv[1:]
    if argv and argv[0] == "sim":
        try:
            return sim_main(argv[1:])
        except BrokenPipeError:
            _devnull_stdout()
            return 141
    return run_oc(argv)


def run():
    """The command line: run main(), flush, and exit with its status (the launcher
    scripts/oc-sim calls this, so that python caches this module's bytecode)."""
    os._exit(run_status())


def fresh_call():
    """Put back the module state that a call starts from: an oc-sim process starts with
    it, and the suite's fork server (test/forkserver) calls this before each call of a
    worker that has run calls before.  Every module-level value a call changes is here."""
    FAULT["name"] = None
    CRITICAL.update(depth=0, pending=None)
    CLIENT["version"] = "4.x"
    forget_state()


def run_status():
    """Run main() with sys.argv, flush, and return the exit status (the suite's fork
    server, test/forkserver, calls this for each call)."""
    try:
        rc = main()
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    try:
        sys.stderr.flush()
    except OSError:
        pass
    return rc if isinstance(rc, int) else 1


if __name__ == "__main__":
    run()
