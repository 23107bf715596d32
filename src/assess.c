/* assess.c - pure decisions over parsed `oc get -o json` documents */
#include "assess.h"
#include "jsonget.h"
#include "util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- small readers: jsonget.h -------------------------------------------------- */

/* the "sha256:..." part of an image reference "repo@sha256:...", or NULL */
static const char *
image_digest(const char *image)
{
	const char *at = image ? strrchr(image, '@') : NULL;

	return at && strncmp(at + 1, "sha256:", 7) == 0 ? at + 1 : NULL;
}

/* the ImageChange trigger's tag within image stream is, e.g. "2.9" from "amp-system:2.9" */
static const char *
trigger_tag(const json_t *trigger, const char *is)
{
	const json_t *from = jpath(trigger, "imageChangeParams", "from");
	const char *name = jstr(from, "name");
	const char *kind = jstr(from, "kind");

	if (!streq(jstr(trigger, "type"), "ImageChange") || !name)
		return NULL;
	if (kind && strcmp(kind, "ImageStreamTag") != 0)
		return NULL;
	if (strncmp(name, is, strlen(is)) != 0 || name[strlen(is)] != ':')
		return NULL;
	return name + strlen(is) + 1;
}

/* --- image stream tags ---------------------------------------------------------- */

int
is_has_spec_tag(const json_t *is, const char *tag)
{
	return find_named(jpath(is, "spec", "tags"), "name", tag) != NULL;
}

int
tag_assess(const json_t *is, const char *tag, struct tag_view *v)
{
	const json_t *spec, *status, *items, *item0, *cond = NULL, *c;
	long item_gen = -1, cond_gen = -1;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!json_is_object(is))
		return -1;
	spec = find_named(jpath(is, "spec", "tags"), "name", tag);
	status = find_named(jpath(is, "status", "tags"), "tag", tag);
	if (spec) {
		v->in_spec = 1;
		strlcopy(v->from_kind, jstr(jget(spec, "from"), "kind"), sizeof(v->from_kind));
		strlcopy(v->from_name, jstr(jget(spec, "from"), "name"), sizeof(v->from_name));
		v->generation = jlong(spec, "generation", 0);
	}
	items = jget(status, "items");
	item0 = json_is_array(items) ? json_array_get(items, 0) : NULL;
	if (item0)
		item_gen = jlong(item0, "generation", 0);
	json_array_foreach(jget(status, "conditions"), i, c)
		if (streq(jstr(c, "type"), "ImportSuccess"))
			cond = c;
	if (cond && streq(jstr(cond, "status"), "False"))
		cond_gen = jlong(cond, "generation", 0);

	if (cond_gen >= 0 && cond_gen >= v->generation && cond_gen >= item_gen && v->in_spec) {
		v->state = TAG_FAILED;
		strlcopy(v->reason, jstr(cond, "reason"), sizeof(v->reason));
		strlcopy(v->message, jstr(cond, "message"), sizeof(v->message));
	} else if (item0 && item_gen >= v->generation) {
		v->state = TAG_IMPORTED;
		strlcopy(v->digest, jstr(item0, "image"), sizeof(v->digest));
		strlcopy(v->reference, jstr(item0, "dockerImageReference"), sizeof(v->reference));
	} else {
		v->state = v->in_spec ? TAG_PENDING : TAG_ABSENT;
	}
	return 0;
}

/* --- DeploymentConfig triggers and containers ----------------------------------------- */

const char *
dc_odd_trigger(const json_t *dc, const char *is, const char *old_tag, const char *new_tag)
{
	const json_t *t;
	size_t i;

	json_array_foreach(jpath(dc, "spec", "triggers"), i, t) {
		const char *tag = trigger_tag(t, is);

		if (tag && strcmp(tag, old_tag) != 0 && strcmp(tag, new_tag) != 0)
			return tag;
	}
	return NULL;
}

int
dc_database(const json_t *dc, const char *is, const char *from, const char *to, char *why, size_t n)
{
	const json_t *t;
	size_t i;
	int db = DB_AUTO;
	const char *name = jstr(jget(dc, "metadata"), "name");

	json_array_foreach(jpath(dc, "spec", "triggers"), i, t) {
		const char *tag = trigger_tag(t, is);
		size_t fl = strlen(from), tl = strlen(to);
		int this;

		if (!tag)
			continue;
		if (strcmp(tag, from) == 0 || strcmp(tag, to) == 0 || streq(procedure_release_of_tag(tag), from))
			this = DB_OTHER;  /* 2.8: IS:latest (the 2.8 -> 2.9 guide gives no Oracle branch) */
		else if ((strncmp(tag, from, fl) == 0 && strcmp(tag + fl, "-oracle") == 0) ||
			 (strncmp(tag, to, tl) == 0 && strcmp(tag + tl, "-oracle") == 0))
			this = DB_ORACLE;
		else {
			snprintf(why, n, "dc/%s has an image trigger on '%s:%s', which is "
				 "neither version %s nor %s (check --from and --to)", name ? name : "?", is, tag, from, to);
			return -1;
		}
		if (db != DB_AUTO && db != this) {
			snprintf(why, n, "dc/%s has image triggers for both the Oracle and the other "
				 "database images", name ? name : "?");
			return -1;
		}
		db = this;
	}
	return db;
}

int
detect_database(const json_t *const dcs[], int ndcs, const char *is, const char *from, const char *to,
		char *why, size_t n)
{
	int db = DB_AUTO, i, first = -1;

	for (i = 0; i < ndcs; i++) {
		int this = dc_database(dcs[i], is, from, to, why, n);

		if (this < 0)
			return -1;
		if (this == DB_AUTO)
			continue;
		if (db != DB_AUTO && this != db) {
			snprintf(why, n, "the system dcs disagree on the database: dc/%s triggers on %s "
				 "images, dc/%s on %s images",
				 jstr(jget(dcs[first], "metadata"), "name") ? jstr(jget(dcs[first], "metadata"), "name") : "?",
				 db == DB_ORACLE ? "Oracle" : "non-Oracle",
				 jstr(jget(dcs[i], "metadata"), "name") ? jstr(jget(dcs[i], "metadata"), "name") : "?",
				 this == DB_ORACLE ? "Oracle" : "non-Oracle");
			return -1;
		}
		db = this;
		first = i;
	}
	return db;
}

static int
containers_exactly(const json_t *names, const char *csv)
{
	size_t i;
	const json_t *nm;

	const char *p = csv;
	char name[128];

	if (!json_is_array(names) || (int)json_array_size(names) != csv_count(csv))
		return 0;
	json_array_foreach(names, i, nm)
		if (!json_is_string(nm) || !csv_has(csv, json_string_value(nm)))
			return 0;
	/* and every documented name is there (a duplicate must not hide a missing one) */
	while (csv_next(&p, name, sizeof(name))) {
		int found = 0;

		json_array_foreach(names, i, nm)
			found |= strcmp(json_string_value(nm), name) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

void
trigger_assess(const json_t *dc, const char *is, const char *old_tag, const char *new_tag,
	       const char *containers, struct trigger_view *v)
{
	const json_t *t;
	size_t i;

	memset(v, 0, sizeof(*v));
	json_array_foreach(jpath(dc, "spec", "triggers"), i, t) {
		const char *tag = trigger_tag(t, is);

		if (!tag)
			continue;
		v->image_triggers++;
		if (strcmp(tag, old_tag) == 0)
			v->has_old = 1;
		if (strcmp(tag, new_tag) == 0) {
			v->has_new = 1;
			if (containers_exactly(jpath(t, "imageChangeParams", "containerNames"), containers))
				v->new_containers_ok = 1;
		}
	}
}

int
tag_release(const char *tag, char *release, size_t n)
{
	size_t len = strcspn(tag, "-");
	char v[16];

	if (len >= sizeof(v) || (tag[len] && strcmp(tag + len, "-oracle") != 0))
		return -1;
	memcpy(v, tag, len);
	v[len] = '\0';
	if (!is_version(v))
		return -1;
	strlcopy(release, v, n);
	return 0;
}

/* fold the image triggers of dc (named name, in section s) into v; -1 and why on a bad tag */
static int
release_of_dc(const json_t *dc, const char *name, const struct section *s, struct release_view *v,
	      char *why, size_t n)
{
	const json_t *t;
	size_t i;
	int counted = 0;

	json_array_foreach(jpath(dc, "spec", "triggers"), i, t) {
		const char *tag = trigger_tag(t, s->imagestream);
		char rel[16];

		if (!tag)
			continue;
		if (procedure_release_of_tag(tag))
			strlcopy(rel, procedure_release_of_tag(tag), sizeof(rel));  /* 2.8: IS:latest */
		else if (tag_release(tag, rel, sizeof(rel)) < 0) {
			snprintf(why, n, "dc/%s has an image trigger on '%s:%s', which names no release "
				 "(MAJOR.MINOR, or MAJOR.MINOR-oracle)", name, s->imagestream, tag);
			return -1;
		}
		v->ndcs += !counted;
		counted = 1;
		if (!v->release[0] || version_cmp(rel, v->release) < 0) {
			strlcopy(v->release, rel, sizeof(v->release));
			strlcopy(v->dc, name, sizeof(v->dc));
			snprintf(v->trigger, sizeof(v->trigger), "%s:%s", s->imagestream, tag);
		}
	}
	return 0;
}

int
detect_release(const json_t *list, const struct hop *h, struct release_view *v, char *why, size_t n)
{
	int i, k;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < h->nsections; i++) {
		const struct section *s = &h->sections[i];

		for (k = 0; k < s->ndcs; k++) {
			const json_t *dc = list_item(list, s->dcs[k].name);

			if (dc && release_of_dc(dc, s->dcs[k].name, s, v, why, n) < 0)
				return -1;
		}
	}
	return v->ndcs > 0;
}

/* the container or init container of dc's pod template called name */
static const json_t *
find_container(const json_t *dc, const char *name)
{
	const json_t *spec = jpath(dc, "spec", "template", "spec");
	const json_t *c = find_named(jget(spec, "containers"), "name", name);

	return c ? c : find_named(jget(spec, "initContainers"), "name", name);
}

int
dc_missing_container(const json_t *dc, const char *containers, char *missing, size_t n)
{
	const char *p = containers;
	char name[128];

	while (csv_next(&p, name, sizeof(name))) {
		if (!find_container(dc, name)) {
			strlcopy(missing, name, n);
			return 1;
		}
	}
	return 0;
}

const char *
dc_container_image(const json_t *dc, const char *name)
{
	return jstr(find_container(dc, name), "image");
}

int
image_has_digest(const char *image, const char *digest)
{
	const char *d = image_digest(image);

	return d && digest && *digest && strcmp(d, digest) == 0;
}

json_t *
list_item(const json_t *list, const char *name)
{
	size_t i;
	json_t *item;

	json_array_foreach(json_object_get(list, "items"), i, item)
		if (streq(jstr(jget(item, "metadata"), "name"), name))
			return item;
	return NULL;
}

int
dc_runs_digest(const json_t *dc, const char *containers, const char *digest)
{
	const char *p = containers;
	char name[128];

	if (!digest || !*digest)
		return 0;
	while (csv_next(&p, name, sizeof(name))) {
		const char *d = image_digest(jstr(find_container(dc, name), "image"));

		if (!d || strcmp(d, digest) != 0)
			return 0;
	}
	return 1;
}

long
dc_replicas(const json_t *dc)
{
	return jlong(jget(dc, "spec"), "replicas", 0);
}

long
dc_recorded_replicas(const json_t *dc)
{
	const char *s = jstr(jpath(dc, "metadata", "annotations"), REPLICAS_ANNOTATION);
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 0 && v <= 100000 ? v : -1;
}

/* --- rollouts ------------------------------------------------------------------- */

static int
pod_ready(const json_t *pod)
{
	const json_t *c;
	size_t i;

	json_array_foreach(jpath(pod, "status", "conditions"), i, c)
		if (streq(jstr(c, "type"), "Ready"))
			return streq(jstr(c, "status"), "True");
	return 0;
}

static void
count_pods(const json_t *pods, const char *dc, const char *rc, struct rollout_view *v)
{
	const json_t *pod;
	size_t i;

	json_array_foreach(jget(pods, "items"), i, pod) {
		const json_t *labels = jpath(pod, "metadata", "labels");
		const char *phase = jstr(jget(pod, "status"), "phase");
		int terminating = jpath(pod, "metadata", "deletionTimestamp") != NULL;
		int latest = streq(jstr(labels, "deployment"), rc);

		if (!streq(jstr(labels, "deploymentconfig"), dc))
			continue;
		/* pods that have run to an end (evicted, completed) hold no container */
		if (!terminating && (streq(phase, "Succeeded") || streq(phase, "Failed")))
			continue;
		if (terminating)
			v->terminating++;
		if (!latest)
			v->old_pods++;
		else if (!terminating) {
			v->live_new++;
			v->ready_new += pod_ready(pod);
		}
	}
}

/* the highest rollout number among dc's RCs (annotation, else the "-N" suffix), 0 if none */
static long
newest_rc_version(const json_t *rcs, const char *dc)
{
	const json_t *rc;
	size_t i, len = strlen(dc);
	long newest = 0;

	json_array_foreach(jget(rcs, "items"), i, rc) {
		const char *rcname = jstr(jget(rc, "metadata"), "name");
		const char *ann = jstr(jpath(rc, "metadata", "annotations"), "openshift.io/deployment-config.latest-version");
		char *end;
		long n;

		if (!rcname || strncmp(rcname, dc, len) != 0 || rcname[len] != '-')
			continue;
		n = strtol(ann ? ann : rcname + len + 1, &end, 10);
		if (*end == '\0' && n > newest)
			newest = n;
	}
	return newest;
}

static const json_t *
condition(const json_t *dc, const char *type)
{
	return find_named(jpath(dc, "status", "conditions"), "type", type);
}

void
rollout_assess(const json_t *dc, const json_t *rcs, const json_t *pods, long baseline,
	       int expect_new, struct rollout_view *v)
{
	const char *name = jstr(jget(dc, "metadata"), "name");
	const json_t *status = jget(dc, "status");
	const json_t *rc, *annotations, *progressing = condition(dc, "Progressing");
	const char *preason = jstr(progressing, "reason"), *pmessage = jstr(progressing, "message");
	long generation = jlong(jget(dc, "metadata"), "generation", 0);
	long observed = jlong(status, "observedGeneration", 0);
	long available = jlong(status, "availableReplicas", 0);
	const json_t *item;
	size_t i;
	char quoted[160];
	int cancelled;
	long newest;

	memset(v, 0, sizeof(*v));
	v->state = ROLLOUT_PROGRESSING;
	if (!name)
		name = "?";
	v->latest = jlong(status, "latestVersion", 0);
	v->desired = dc_replicas(dc);
	snprintf(v->rc, sizeof(v->rc), "%s-%ld", name, v->latest);
	strlcopy(v->reason, preason, sizeof(v->reason));
	count_pods(pods, name, v->rc, v);

	if (json_is_true(jpath(dc, "spec", "paused")) || streq(preason, "DeploymentConfigPaused")) {
		v->state = ROLLOUT_FAILED;
		strlcopy(v->reason, "DeploymentConfigPaused", sizeof(v->reason));
		snprintf(v->message, sizeof(v->message), "dc/%s is paused: no rollout will start "
			 "until it is resumed (oc rollout resume dc/%s)", name, name);
		return;
	}
	if (expect_new && v->latest <= baseline) {
		snprintf(v->waiting, sizeof(v->waiting), "waiting for the image trigger to start rollout #%ld",
			 baseline < LONG_MAX ? baseline + 1 : baseline);
		return;
	}
	if (v->latest == 0) {
		strlcopy(v->waiting, "waiting for the first rollout", sizeof(v->waiting));
		return;
	}
	/* the dc and the RCs are read apart: an RC newer than latestVersion means the dc
	 * document is older than the RC list (e.g. the trigger fired again meanwhile) */
	newest = newest_rc_version(rcs, name);
	if (newest > v->latest) {
		snprintf(v->waiting, sizeof(v->waiting), "rollout #%ld has started", newest);
		return;
	}
	rc = NULL;
	json_array_foreach(jget(rcs, "items"), i, item)
		if (streq(jstr(jget(item, "metadata"), "name"), v->rc))
			rc = item;
	if (!rc) {
		snprintf(v->waiting, sizeof(v->waiting), "waiting for replication controller %s", v->rc);
		return;
	}
	annotations = jpath(rc, "metadata", "annotations");
	strlcopy(v->phase, jstr(annotations, "openshift.io/deployment.phase"), sizeof(v->phase));
	cancelled = streq(jstr(annotations, "openshift.io/deployment.cancelled"), "true");
	snprintf(v->log_pod, sizeof(v->log_pod), "%s", jstr(annotations, "openshift.io/deployer-pod.name") ?
		 jstr(annotations, "openshift.io/deployer-pod.name") : "");
	if (!v->log_pod[0])
		snprintf(v->log_pod, sizeof(v->log_pod), "%s-deploy", v->rc);
	if (jpath(dc, "spec", "strategy", "rollingParams", "pre") ||
	    jpath(dc, "spec", "strategy", "recreateParams", "pre"))
		snprintf(v->hook_pod, sizeof(v->hook_pod), "%s-hook-pre", v->rc);
	snprintf(quoted, sizeof(quoted), "\"%s\"", v->rc);

	if (strcmp(v->phase, "Failed") == 0) {
		const char *sreason = jstr(annotations, "openshift.io/deployment.status-reason");

		/* cancelled for a newer rollout (the trigger fired again): that one is judged,
		 * even when the dc read here is older than its RC (the controller's reason says
		 * so: "newer deployment was found running") */
		if (cancelled && (generation > observed ||
				  (sreason && strstr(sreason, "newer deployment was found running")))) {
			snprintf(v->waiting, sizeof(v->waiting), "rollout #%ld was cancelled; waiting for "
				 "the newer one", v->latest);
			return;
		}
		/* the dc's Progressing condition may lag behind the RC (they are read apart):
		 * quote it only when it already reports this failure */
		int reported = pmessage && strstr(pmessage, quoted) &&
			       (streq(preason, "ProgressDeadlineExceeded") || streq(preason, "RolloutCancelled"));

		v->state = ROLLOUT_FAILED;
		if (cancelled)
			strlcopy(v->reason, "RolloutCancelled", sizeof(v->reason));
		else if (reported)
			strlcopy(v->reason, preason, sizeof(v->reason));
		else
			strlcopy(v->reason, "Failed", sizeof(v->reason));
		if (reported && sreason)
			snprintf(v->message, sizeof(v->message), "%s (%s)", pmessage, sreason);
		else if (reported)
			strlcopy(v->message, pmessage, sizeof(v->message));
		else if (sreason)
			snprintf(v->message, sizeof(v->message), "replication controller \"%s\" failed: %s",
				 v->rc, sreason);
		else
			snprintf(v->message, sizeof(v->message), "replication controller \"%s\" failed", v->rc);
		return;
	}
	if (strcmp(v->phase, "Complete") != 0) {
		snprintf(v->waiting, sizeof(v->waiting), "rollout #%ld is %s", v->latest,
			 v->phase[0] ? v->phase : "starting");
		return;
	}
	if (generation > observed) {
		snprintf(v->waiting, sizeof(v->waiting), "waiting for the controller to observe "
			 "generation %ld", generation);
		return;
	}
	if (!streq(preason, "NewReplicationControllerAvailable") || !pmessage || !strstr(pmessage, quoted)) {
		snprintf(v->waiting, sizeof(v->waiting), "waiting for Progressing to report %s available",
			 v->rc);
		return;
	}
	if (v->ready_new < v->desired || available < v->desired) {
		snprintf(v->waiting, sizeof(v->waiting), "%ld of %ld new pods ready", v->ready_new, v->desired);
		return;
	}
	if (v->live_new > v->desired) {
		snprintf(v->waiting, sizeof(v->waiting), "%ld pods running, %ld desired", v->live_new, v->desired);
		return;
	}
	if (v->old_pods > 0 || v->terminating > 0) {
		long n = v->old_pods > v->terminating ? v->old_pods : v->terminating;

		snprintf(v->waiting, sizeof(v->waiting), "%ld old pod%s still terminating", n, n == 1 ? "" : "s");
		return;
	}
	v->state = ROLLOUT_DONE;
}
