/*
 * unit.c - table-driven tests of the pure decision functions and helpers.
 *
 * usage: unit-tests FIXTURES_DIR
 *
 * Prints "FAIL file:line: expression" for each failed check (followed by an indented
 * line with the case and the values seen), then "N passed, N failed"; exits 1 if any
 * check failed.
 *
 * Fixtures (test/fixtures), a template-based 3scale 2.9 in namespace 3scale, printed as
 * `oc get -o json` prints them (4-space indent, keys sorted):
 *
 *   is-<state>.json         `oc get imagestream/amp-system -o json`:
 *                           before (2.9 and latest only), import-absent (2.10 in spec,
 *                           nothing in status), import-null ("items": null), imported,
 *                           import-failed (ImportSuccess False, Unauthorized), import-retry
 *                           (that failure at generation 5, spec generation 7), readded
 *                           (spec generation 7, items of generation 5), oracle (2.9-oracle
 *                           and 2.10-oracle built by a BuildConfig: status only)
 *   dcs-<state>.json        `oc get dc system-app system-sidekiq system-sphinx -o json`
 *                           (a List): other (2.9 triggers), oracle (2.9-oracle, scaled
 *                           down with the replicas annotation), resumed (system-app without
 *                           image trigger), mixed (system-app Oracle, others not), latest
 *                           (triggers on amp-system:latest), after (2.10 triggers, images
 *                           by digest: Source reference for system-app, internal registry
 *                           for the others), both (system-app with 2.9 and 2.10 triggers,
 *                           system-sidekiq's 2.10 trigger without check-svc, system-sphinx
 *                           never rolled out, image amp-system:latest)
 *   rollout-<scenario>.json one rollout as the tool sees it, as
 *                           {"dc": `oc get dc/NAME -o json`,
 *                            "pods": `oc get pods -l deploymentconfig=NAME -o json`,
 *                            "rcs": `oc get rc -l openshift.io/deployment-config.name=NAME -o json`}
 *                           The rollout before the upgrade is #3 (system-app-3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "assess.h"
#include "edits.h"
#include "jsonstream.h"
#include "objset.h"
#include "ocerror.h"
#include "options.h"
#include "plan.h"
#include "util.h"

/* --- harness ---------------------------------------------------------------------- */

static int npassed, nfailed;
static const char *fixtures_dir = "test/fixtures";

/* the table case being checked, shown with a failure */
static const char *current_case = "";

static int
check(int ok, const char *file, int line, const char *expr, const char *detail)
{
	if (ok) {
		npassed++;
		return 1;
	}
	nfailed++;
	printf("FAIL %s:%d: %s\n", file, line, expr);
	if (*current_case && detail && *detail)
		printf("    case: %s; %s\n", current_case, detail);
	else if (*current_case)
		printf("    case: %s\n", current_case);
	else if (detail && *detail)
		printf("    %s\n", detail);
	return 0;
}

static int
check_str(const char *got, const char *want, const char *file, int line, const char *expr)
{
	char detail[1024];

	snprintf(detail, sizeof(detail), "got \"%s\", want \"%s\"", got ? got : "(null)", want ? want : "(null)");
	return check(got && want && strcmp(got, want) == 0, file, line, expr, detail);
}

static int
check_has(const char *got, const char *sub, const char *file, int line, const char *expr)
{
	char detail[1024];

	snprintf(detail, sizeof(detail), "got \"%s\", want it to contain \"%s\"", got ? got : "(null)",
		 sub ? sub : "(null)");
	return check(got && sub && strstr(got, sub) != NULL, file, line, expr, detail);
}

static int
check_long(long got, long want, const char *file, int line, const char *expr)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "got %ld, want %ld", got, want);
	return check(got == want, file, line, expr, detail);
}

#define CHECK(e) check((e) != 0, __FILE__, __LINE__, #e, NULL)
#define CHECK_STR(got, want) check_str((got), (want), __FILE__, __LINE__, #got " == " #want)
#define CHECK_HAS(got, sub) check_has((got), (sub), __FILE__, __LINE__, #got " contains " #sub)
#define CHECK_LONG(got, want) check_long((long)(got), (long)(want), __FILE__, __LINE__, #got " == " #want)

/* --- fixtures ----------------------------------------------------------------------- */

#define MAX_FIXTURES 64
static struct {
	char name[64];
	json_t *doc;
} cache[MAX_FIXTURES];
static int ncache;

/* the parsed fixture file name (borrowed; freed at exit), NULL with a failure if unreadable */
static json_t *
fixture(const char *name)
{
	char path[1024];
	json_error_t err;
	json_t *doc;
	int i;

	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].name, name) == 0)
			return cache[i].doc;
	snprintf(path, sizeof(path), "%s/%s", fixtures_dir, name);
	doc = json_load_file(path, 0, &err);
	if (!doc) {
		char detail[1400];

		snprintf(detail, sizeof(detail), "%s:%d:%d: %s", path, err.line, err.column, err.text);
		check(0, __FILE__, __LINE__, "fixture loads", detail);
		return NULL;
	}
	if (ncache == MAX_FIXTURES) {
		fputs("unit-tests: too many fixtures\n", stderr);
		exit(2);
	}
	strlcopy(cache[ncache].name, name, sizeof(cache[ncache].name));
	cache[ncache++].doc = doc;
	return doc;
}

static void
fixtures_free(void)
{
	int i;

	for (i = 0; i < ncache; i++)
		json_decref(cache[i].doc);
	ncache = 0;
}

/* dc `name` of fixture file `file` (a List) */
static const json_t *
fixture_dc(const char *file, const char *name)
{
	const json_t *dc = list_item(fixture(file), name);

	check(dc != NULL, __FILE__, __LINE__, "fixture has the dc", name);
	return dc;
}

#define D29 "sha256:2f8a7c6d1e0b9a8f7e6d5c4b3a29180f7e6d5c4b3a2918e7d6c5b4a3f2e1d0c9"
#define D210 "sha256:9c1d0e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f"
#define D210O "sha256:7e3f9b2a5c8d1e4f7a0b3c6d9e2f5a8b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f"
#define SOURCE_REF "registry.redhat.io/3scale-amp2/system-rhel7@"
#define LOCAL_REF "docker-registry.default.svc:5000/3scale/amp-system@"

#define APP_CONTAINERS "system-master,system-developer,system-provider"
#define SIDEKIQ_CONTAINERS "system-sidekiq,check-svc"
#define SPHINX_CONTAINERS "system-sphinx,system-master-svc"

/* the command of the guide, §2.2.3.1 step 1, byte for byte */
#define GUIDE_PATCH "[{\"op\": \"add\", \"path\": \"/spec/tags/-\", \"value\": {\"annotations\": " \
	"{\"openshift.io/display-name\": \"AMP system 2.10\"}, \"from\": { \"kind\": \"DockerImage\", " \
	"\"name\": \"registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10\"}, \"name\": \"2.10\", " \
	"\"referencePolicy\": {\"type\": \"Source\"}}}]"

/* --- rollout_assess ------------------------------------------------------------------- */

#define ANY (-99) /* a long field not checked by the case */

struct rollout_case {
	const char *name;
	const char *fixture;
	long baseline;
	int expect_new;
	enum rollout_state state;
	long latest;
	const char *rc;
	const char *phase;
	const char *reason;       /* NULL: not checked */
	const char *message_has;  /* NULL: not checked */
	const char *waiting_has;  /* NULL: not checked */
	const char *log_pod;      /* NULL: not checked */
	const char *hook_pod;     /* NULL: not checked */
	long desired, ready_new, live_new, old_pods, terminating;
};

static const struct rollout_case rollout_cases[] = {
	{ "a running rollout is still progressing", "rollout-running.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Running", "ReplicationControllerUpdated", NULL,
	  "Running", NULL, NULL, 1, 0, 1, 1, 0 },
	{ "a pending rollout (deployer pod not running yet) is progressing", "rollout-pending.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Pending", NULL, NULL, "Pending", NULL, NULL,
	  1, 0, 0, 1, 0 },
	{ "a new rollout (RC just created) is progressing", "rollout-new.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "New", "NewReplicationControllerCreated", NULL, "New",
	  NULL, NULL, 1, 0, 0, 1, 0 },
	{ "a complete rollout with its pod ready and no old pod is done", "rollout-complete.json", 3, 1,
	  ROLLOUT_DONE, 4, "system-app-4", "Complete", "NewReplicationControllerAvailable", NULL, NULL,
	  NULL, NULL, 1, 1, 1, 0, 0 },
	{ "a complete rollout is done when no new one is expected", "rollout-complete.json", 0, 0,
	  ROLLOUT_DONE, 4, "system-app-4", "Complete", NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 0, 0 },
	{ "a complete rollout is not the one expected after it", "rollout-complete.json", 4, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "", NULL, NULL, "#5", NULL, NULL, ANY, ANY, ANY, ANY, ANY },
	{ "right after the trigger change the previous complete rollout does not count",
	  "rollout-stale-complete.json", 3, 1,
	  ROLLOUT_PROGRESSING, 3, "system-app-3", "", NULL, NULL, "#4", NULL, NULL, 1, ANY, ANY, ANY, ANY },
	{ "the stale complete rollout is done for a plain status check", "rollout-stale-complete.json", 0, 0,
	  ROLLOUT_DONE, 3, "system-app-3", "Complete", NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 0, 0 },
	{ "a failed rollout fails with the deployer and hook pods to read", "rollout-failed.json", 3, 1,
	  ROLLOUT_FAILED, 4, "system-app-4", "Failed", "ProgressDeadlineExceeded", "has failed progressing",
	  NULL, "system-app-4-deploy", "system-app-4-hook-pre", 1, 0, 0, 1, 0 },
	{ "a cancelled rollout fails as cancelled", "rollout-cancelled.json", 3, 1,
	  ROLLOUT_FAILED, 4, "system-sidekiq-4", "Failed", "RolloutCancelled", "cancelled",
	  NULL, "system-sidekiq-4-deploy", "", 1, 0, 0, 1, 0 },
	{ "a double trigger is judged on the newest rollout, still running", "rollout-double-running.json", 3, 1,
	  ROLLOUT_PROGRESSING, 5, "system-app-5", "Running", NULL, NULL, "#5", NULL, NULL, 1, 0, 0, 1, 0 },
	{ "a double trigger is done when the newest rollout is complete", "rollout-double-complete.json", 3, 1,
	  ROLLOUT_DONE, 5, "system-app-5", "Complete", NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 0, 0 },
	{ "a cancelled rollout with a newer generation pending is still progressing",
	  "rollout-double-cancelled.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Failed", NULL, NULL, "cancelled", NULL, NULL,
	  1, 0, 0, 1, 0 },
	{ "a paused dc fails: no rollout will ever start", "rollout-paused.json", 3, 1,
	  ROLLOUT_FAILED, 3, "system-sphinx-3", "", "DeploymentConfigPaused", "paused", NULL, NULL, NULL,
	  1, ANY, ANY, ANY, ANY },
	{ "a dc scaled to zero is done with no pod at all", "rollout-zero-replicas.json", 3, 1,
	  ROLLOUT_DONE, 4, "system-sidekiq-4", "Complete", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0 },
	{ "old pods still terminating after the RC completed keep it progressing",
	  "rollout-old-terminating.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Complete", NULL, NULL, "terminating", NULL, NULL,
	  1, 1, 1, 1, 1 },
	{ "a Progressing condition still about the previous RC keeps it progressing",
	  "rollout-progressing-stale.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Complete", NULL, NULL, "system-app-4", NULL, NULL,
	  1, 1, 1, 0, 0 },
	{ "a generation not yet observed keeps it progressing", "rollout-generation-lag.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Complete", NULL, NULL, "generation 7", NULL, NULL,
	  1, 1, 1, 0, 0 },
	{ "new pods not ready keep it progressing", "rollout-not-ready.json", 3, 1,
	  ROLLOUT_PROGRESSING, 4, "system-app-4", "Complete", NULL, NULL, "0 of 1", NULL, NULL,
	  1, 0, 1, 0, 0 },
	{ "an evicted old pod does not hold the rollout", "rollout-evicted.json", 3, 1,
	  ROLLOUT_DONE, 4, "system-app-4", "Complete", NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 0, 0 },
};

static const char *
state_name(enum rollout_state s)
{
	return s == ROLLOUT_DONE ? "done" : s == ROLLOUT_FAILED ? "failed" : "progressing";
}

static void
test_rollout_assess(void)
{
	size_t i;

	for (i = 0; i < sizeof(rollout_cases) / sizeof(rollout_cases[0]); i++) {
		const struct rollout_case *c = &rollout_cases[i];
		const json_t *doc;
		struct rollout_view v;

		current_case = c->name;
		if (!(doc = fixture(c->fixture)))
			continue;
		memset(&v, 0x5a, sizeof(v));
		rollout_assess(json_object_get(doc, "dc"), json_object_get(doc, "rcs"),
			       json_object_get(doc, "pods"), c->baseline, c->expect_new, &v);
		CHECK_STR(state_name(v.state), state_name(c->state));
		CHECK_LONG(v.latest, c->latest);
		CHECK_STR(v.rc, c->rc);
		CHECK_STR(v.phase, c->phase);
		if (c->reason)
			CHECK_STR(v.reason, c->reason);
		if (c->message_has)
			CHECK_HAS(v.message, c->message_has);
		if (c->waiting_has)
			CHECK_HAS(v.waiting, c->waiting_has);
		if (c->log_pod)
			CHECK_STR(v.log_pod, c->log_pod);
		if (c->hook_pod)
			CHECK_STR(v.hook_pod, c->hook_pod);
		if (c->desired != ANY)
			CHECK_LONG(v.desired, c->desired);
		if (c->ready_new != ANY)
			CHECK_LONG(v.ready_new, c->ready_new);
		if (c->live_new != ANY)
			CHECK_LONG(v.live_new, c->live_new);
		if (c->old_pods != ANY)
			CHECK_LONG(v.old_pods, c->old_pods);
		if (c->terminating != ANY)
			CHECK_LONG(v.terminating, c->terminating);
		/* what the user sees: a progressing rollout says what it waits for, a failed one why */
		if (v.state == ROLLOUT_PROGRESSING)
			CHECK(v.waiting[0] != '\0');
		if (v.state == ROLLOUT_FAILED)
			CHECK(v.message[0] != '\0');
		if (v.state == ROLLOUT_DONE)
			CHECK_STR(v.waiting, "");
	}
	current_case = "";
}

/* the latest RC not listed yet (the controller has bumped latestVersion only) */
/* the trigger fired again between the read of the dc and the read of the RCs */
static void
test_rollout_assess_dc_older_than_rcs(void)
{
	json_t *doc, *dc;
	struct rollout_view v;

	current_case = "an RC newer than the dc's latestVersion keeps it progressing";
	if (!(doc = (json_t *)fixture("rollout-double-running.json")))
		return;
	dc = json_deep_copy(json_object_get(doc, "dc"));
	/* the dc as it was before the second firing: the first new rollout is the latest */
	json_object_set_new(json_object_get(dc, "status"), "latestVersion", json_integer(4));
	json_object_set_new(json_object_get(dc, "status"), "observedGeneration",
			    json_deep_copy(json_object_get(json_object_get(dc, "metadata"), "generation")));
	rollout_assess(dc, json_object_get(doc, "rcs"), json_object_get(doc, "pods"), 3, 1, &v);
	CHECK_STR(state_name(v.state), "progressing");
	CHECK_HAS(v.waiting, "rollout #5");
	json_decref(dc);
	current_case = "";
}

/* the first new rollout cancelled for the second, read with a dc from before the second
 * firing: the RC's reason, not the dc's generation, says a newer rollout comes */
static void
test_rollout_assess_cancelled_for_newer(void)
{
	json_t *doc, *dc;
	struct rollout_view v;

	current_case = "a rollout cancelled for a newer one is still progressing, read before the dc shows it";
	if (!(doc = (json_t *)fixture("rollout-double-cancelled.json")))
		return;
	dc = json_deep_copy(json_object_get(doc, "dc"));
	json_object_set_new(json_object_get(dc, "status"), "observedGeneration",
			    json_deep_copy(json_object_get(json_object_get(dc, "metadata"), "generation")));
	rollout_assess(dc, json_object_get(doc, "rcs"), json_object_get(doc, "pods"), 3, 1, &v);
	CHECK_STR(state_name(v.state), "progressing");
	CHECK_STR(v.rc, "system-app-4");
	CHECK_HAS(v.waiting, "newer one");
	json_decref(dc);
	current_case = "";
}

/* the RC failed but the dc's Progressing condition, read apart, still says progressing */
static void
test_rollout_assess_failed_before_dc_reports(void)
{
	json_t *doc, *dc, *c;
	size_t i;
	struct rollout_view v;

	current_case = "a failed RC is a failure even before the dc's condition reports it";
	if (!(doc = (json_t *)fixture("rollout-failed.json")))
		return;
	dc = json_deep_copy(json_object_get(doc, "dc"));
	json_array_foreach(json_object_get(json_object_get(dc, "status"), "conditions"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "type")), "Progressing") == 0) {
			json_object_set_new(c, "status", json_string("True"));
			json_object_set_new(c, "reason", json_string("ReplicationControllerUpdated"));
			json_object_set_new(c, "message", json_string("replication controller \"system-app-4\" is progressing"));
		}
	}
	rollout_assess(dc, json_object_get(doc, "rcs"), json_object_get(doc, "pods"), 3, 1, &v);
	CHECK_STR(state_name(v.state), "failed");
	CHECK_STR(v.reason, "Failed");
	CHECK_HAS(v.message, "system-app-4");
	CHECK_STR(v.log_pod, "system-app-4-deploy");
	json_decref(dc);
	current_case = "";
}

static void
test_rollout_assess_rc_not_listed(void)
{
	const json_t *doc;
	json_t *empty = json_pack("{s:s, s:[], s:s, s:{s:s}}", "apiVersion", "v1", "items", "kind", "List",
				  "metadata", "resourceVersion", "");
	struct rollout_view v;

	current_case = "a latest RC not listed yet keeps it progressing";
	doc = fixture("rollout-new.json");
	if (doc) {
		rollout_assess(json_object_get(doc, "dc"), empty, json_object_get(doc, "pods"), 3, 1, &v);
		CHECK(v.state == ROLLOUT_PROGRESSING);
		CHECK_HAS(v.waiting, "system-app-4");
		CHECK_STR(v.phase, "");
	}
	json_decref(empty);
	current_case = "";
}

/* --- tag_assess --------------------------------------------------------------------- */

struct tag_case {
	const char *name;
	const char *fixture;
	const char *tag;
	enum tag_state state;
	int in_spec;
	long generation;
	const char *from_kind;
	const char *digest;
	const char *reference;
	const char *reason;
	const char *message_has;  /* NULL: not checked */
};

static const struct tag_case tag_cases[] = {
	{ "the new tag before the patch is absent", "is-before.json", "2.10", TAG_ABSENT, 0, 0, "", "", "", "", NULL },
	{ "the installed tag is imported", "is-before.json", "2.9", TAG_IMPORTED, 1, 2, "DockerImage",
	  D29, SOURCE_REF D29, "", NULL },
	{ "the latest tag (an ImageStreamTag alias) is imported", "is-before.json", "latest", TAG_IMPORTED, 1, 2,
	  "ImageStreamTag", D29, SOURCE_REF D29, "", NULL },
	{ "a tag added but absent from status is pending", "is-import-absent.json", "2.10", TAG_PENDING, 1, 5,
	  "DockerImage", "", "", "", NULL },
	{ "a tag with items null is pending", "is-import-null.json", "2.10", TAG_PENDING, 1, 5, "DockerImage",
	  "", "", "", NULL },
	{ "an imported tag has the digest and the reference", "is-imported.json", "2.10", TAG_IMPORTED, 1, 5,
	  "DockerImage", D210, SOURCE_REF D210, "", NULL },
	{ "a failed import gives the reason and the message", "is-import-failed.json", "2.10", TAG_FAILED, 1, 5,
	  "DockerImage", "", "", "Unauthorized", "you may not have access to the container image" },
	{ "a failed import retried at a newer generation is pending", "is-import-retry.json", "2.10", TAG_PENDING,
	  1, 7, "DockerImage", "", "", "", NULL },
	{ "a re-added tag newer than its items is pending", "is-readded.json", "2.10", TAG_PENDING, 1, 7,
	  "DockerImage", "", "", "", NULL },
	{ "a tag built by a BuildConfig (status only) is imported", "is-oracle.json", "2.10-oracle", TAG_IMPORTED,
	  0, 0, "", D210O, LOCAL_REF D210O, "", NULL },
	{ "a tag neither in spec nor in status is absent", "is-oracle.json", "2.11", TAG_ABSENT, 0, 0, "", "",
	  "", "", NULL },
};

static const char *
tag_state_name(enum tag_state s)
{
	switch (s) {
	case TAG_ABSENT: return "absent";
	case TAG_PENDING: return "pending";
	case TAG_IMPORTED: return "imported";
	case TAG_FAILED: return "failed";
	}
	return "?";
}

static void
test_tag_assess(void)
{
	size_t i;
	struct tag_view v;
	json_t *array;

	for (i = 0; i < sizeof(tag_cases) / sizeof(tag_cases[0]); i++) {
		const struct tag_case *c = &tag_cases[i];
		const json_t *is;

		current_case = c->name;
		if (!(is = fixture(c->fixture)))
			continue;
		CHECK(tag_assess(is, c->tag, &v) == 0);
		CHECK_STR(tag_state_name(v.state), tag_state_name(c->state));
		CHECK_LONG(v.in_spec, c->in_spec);
		CHECK_LONG(v.generation, c->generation);
		CHECK_STR(v.from_kind, c->from_kind);
		CHECK_STR(v.digest, c->digest);
		CHECK_STR(v.reference, c->reference);
		CHECK_STR(v.reason, c->reason);
		if (c->message_has)
			CHECK_HAS(v.message, c->message_has);
		else
			CHECK_STR(v.message, "");
	}
	current_case = "the spec tag's source is read";
	if (fixture("is-imported.json")) {
		tag_assess(fixture("is-imported.json"), "2.10", &v);
		CHECK_STR(v.from_name, "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10");
	}
	current_case = "not an image stream";
	array = json_array();
	CHECK(tag_assess(NULL, "2.10", &v) == -1);
	CHECK(tag_assess(array, "2.10", &v) == -1);
	json_decref(array);
	current_case = "";
}

/* --- dc_database, detect_database ------------------------------------------------------- */

struct db_case {
	const char *name;
	const char *fixture;
	const char *dc;      /* one dc's dc_database; NULL: detect_database over the three */
	const char *from, *to;
	int want;
	const char *why_has; /* for -1 */
};

static const struct db_case db_cases[] = {
	{ "2.9 triggers mean the other database", "dcs-other.json", NULL, "2.9", "2.10", DB_OTHER, NULL },
	{ "system-app on 2.9 is the other database", "dcs-other.json", "system-app", "2.9", "2.10", DB_OTHER, NULL },
	{ "system-sidekiq on 2.9 is the other database", "dcs-other.json", "system-sidekiq", "2.9", "2.10",
	  DB_OTHER, NULL },
	{ "2.9-oracle triggers mean Oracle", "dcs-oracle.json", NULL, "2.9", "2.10", DB_ORACLE, NULL },
	{ "system-sphinx on 2.9-oracle is Oracle", "dcs-oracle.json", "system-sphinx", "2.9", "2.10", DB_ORACLE,
	  NULL },
	{ "2.10 triggers (upgrade done) mean the other database", "dcs-after.json", NULL, "2.9", "2.10", DB_OTHER,
	  NULL },
	{ "2.9 and 2.10 triggers on one dc agree", "dcs-both.json", "system-app", "2.9", "2.10", DB_OTHER, NULL },
	{ "a dc without image trigger (resumed run) has no opinion", "dcs-resumed.json", "system-app", "2.9",
	  "2.10", DB_AUTO, NULL },
	{ "a resumed run is decided by the other dcs", "dcs-resumed.json", NULL, "2.9", "2.10", DB_OTHER, NULL },
	{ "contradictory dcs are an error", "dcs-mixed.json", NULL, "2.9", "2.10", -1, "disagree" },
	{ "a trigger on amp-system:latest is an error", "dcs-latest.json", NULL, "2.9", "2.10", -1,
	  "amp-system:latest" },
	{ "a trigger on amp-system:latest names the dc", "dcs-latest.json", "system-sidekiq", "2.9", "2.10", -1,
	  "dc/system-sidekiq" },
	{ "triggers of another version than --from/--to are an error", "dcs-other.json", NULL, "2.10", "2.11", -1,
	  "2.9" },
};

static void
test_database(void)
{
	static const char *const names[3] = { "system-app", "system-sidekiq", "system-sphinx" };
	size_t i;
	int k, got;

	for (i = 0; i < sizeof(db_cases) / sizeof(db_cases[0]); i++) {
		const struct db_case *c = &db_cases[i];
		char why[512] = "";

		current_case = c->name;
		if (!fixture(c->fixture))
			continue;
		if (c->dc) {
			got = dc_database(fixture_dc(c->fixture, c->dc), "amp-system", c->from, c->to, why, sizeof(why));
		} else {
			const json_t *dcs[3];

			for (k = 0; k < 3; k++)
				dcs[k] = fixture_dc(c->fixture, names[k]);
			got = detect_database(dcs, 3, "amp-system", c->from, c->to, why, sizeof(why));
		}
		CHECK_LONG(got, c->want);
		if (c->why_has)
			CHECK_HAS(why, c->why_has);
	}
	current_case = "a trigger neither on the hop's old tag nor on its new one is named";
	if (fixture("dcs-both.json") && fixture("dcs-latest.json")) {
		CHECK(dc_odd_trigger(fixture_dc("dcs-both.json", "system-app"), "amp-system", "2.9", "2.10") == NULL);
		CHECK_STR(dc_odd_trigger(fixture_dc("dcs-both.json", "system-app"), "amp-system", "latest", "2.9"),
			  "2.10");
		CHECK_STR(dc_odd_trigger(fixture_dc("dcs-latest.json", "system-sidekiq"), "amp-system", "2.9", "2.10"),
			  "latest");
		CHECK(dc_odd_trigger(fixture_dc("dcs-latest.json", "system-sidekiq"), "amp-system", "latest", "2.9") ==
		      NULL);
		/* triggers on other streams are not its business */
		CHECK(dc_odd_trigger(fixture_dc("dcs-both.json", "system-app"), "amp-zync", "2.9", "2.10") == NULL);
	}
	current_case = "the mixed dcs are named in the message";
	if (fixture("dcs-mixed.json")) {
		const json_t *dcs[3];
		char why[512] = "";

		for (k = 0; k < 3; k++)
			dcs[k] = fixture_dc("dcs-mixed.json", names[k]);
		CHECK(detect_database(dcs, 3, "amp-system", "2.9", "2.10", why, sizeof(why)) == -1);
		CHECK_HAS(why, "dc/system-app");
		CHECK_HAS(why, "Oracle");
	}
	current_case = "only the dc without trigger: auto";
	if (fixture("dcs-resumed.json")) {
		const json_t *one[1];
		char why[512] = "";

		one[0] = fixture_dc("dcs-resumed.json", "system-app");
		CHECK(detect_database(one, 1, "amp-system", "2.9", "2.10", why, sizeof(why)) == DB_AUTO);
	}
	current_case = "";
}

/* --- tag_release, detect_release ------------------------------------------------------- */

struct release_case {
	const char *name;
	const char *fixture;  /* a List of dcs, or NULL: json */
	const char *json;
	int want;
	const char *release, *dc, *trigger, *why_has;
	int ndcs;
};

#define DC_ON(name, is, tag) \
	"{\"metadata\": {\"name\": \"" name "\"}, \"spec\": {\"triggers\": [{\"type\": \"ImageChange\", " \
	"\"imageChangeParams\": {\"from\": {\"kind\": \"ImageStreamTag\", \"name\": \"" is ":" tag "\"}}}]}}"

static const struct release_case release_cases[] = {
	{ "2.9 triggers: 2.9 runs", "dcs-other.json", NULL, 1, "2.9", "system-app", "amp-system:2.9", NULL, 3 },
	{ "2.9-oracle triggers: 2.9 runs", "dcs-oracle.json", NULL, 1, "2.9", "system-app", "amp-system:2.9-oracle",
	  NULL, 3 },
	{ "2.10 triggers: 2.10 runs", "dcs-after.json", NULL, 1, "2.10", "system-app", "amp-system:2.10", NULL, 3 },
	{ "old and new trigger on one dc: the old release", "dcs-both.json", NULL, 1, "2.9", NULL, NULL, NULL, 3 },
	{ "a dc without image trigger is not counted", "dcs-resumed.json", NULL, 1, "2.9", "system-sidekiq", NULL,
	  NULL, 2 },
	{ "a trigger on :latest: the 2.8 templates' triggers", "dcs-latest.json", NULL, 1, "2.8", "system-app",
	  "amp-system:latest", NULL, 3 },
	{ "a trigger on another tag names no release", NULL, "{\"items\": [" DC_ON("system-app", "amp-system", "stable") "]}",
	  -1, NULL, NULL, NULL, "amp-system:stable", 0 },
	{ "no dc: nothing to tell", NULL, "{\"kind\": \"List\", \"items\": []}", 0, NULL, NULL, NULL, NULL, 0 },
	{ "the lowest release wins, whatever the order", NULL,
	  "{\"items\": [" DC_ON("system-app", "amp-system", "2.10") ", " DC_ON("apicast-staging", "amp-apicast", "2.9")
	  ", " DC_ON("backend-cron", "amp-backend", "2.10") "]}", 1, "2.9", "apicast-staging", "amp-apicast:2.9",
	  NULL, 3 },
	{ "a half-done hop runs its old release", NULL,
	  "{\"items\": [" DC_ON("system-app", "amp-system", "2.10") ", " DC_ON("zync-que", "amp-zync", "2.9") "]}", 1,
	  "2.9", "zync-que", "amp-zync:2.9", NULL, 2 },
	{ "a trigger on another section's stream is not read", NULL,
	  "{\"items\": [" DC_ON("system-app", "amp-apicast", "2.8") ", " DC_ON("zync", "amp-zync", "2.9") "]}", 1,
	  "2.9", "zync", NULL, NULL, 1 },
	{ "a dc of no section is not read", NULL,
	  "{\"items\": [" DC_ON("my-app", "amp-system", "2.8") ", " DC_ON("zync", "amp-zync", "2.10") "]}", 1,
	  "2.10", "zync", NULL, NULL, 1 },
	{ "a tag with another suffix names no release", NULL,
	  "{\"items\": [" DC_ON("zync", "amp-zync", "2.9-rc1") "]}", -1, NULL, NULL, NULL, "dc/zync", 0 },
};

static void
test_release(void)
{
	static const struct {
		const char *tag, *want;
	} tags[] = {
		{ "2.9", "2.9" }, { "2.10", "2.10" }, { "2.9-oracle", "2.9" }, { "2.11-oracle", "2.11" },
		{ "latest", NULL }, { "", NULL }, { "2", NULL }, { "2.9-", NULL }, { "2.9-oracle-oracle", NULL },
		{ "2.9-rc1", NULL }, { "-oracle", NULL }, { "2.9.1", NULL }, { "12345678901234567.1", NULL },
	};
	const struct hop *h = procedure_hop("2.9", "2.10");
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		char rel[16] = "unchanged";

		current_case = tags[i].tag;
		CHECK_LONG(tag_release(tags[i].tag, rel, sizeof(rel)), tags[i].want ? 0 : -1);
		CHECK_STR(rel, tags[i].want ? tags[i].want : "unchanged");
	}
	current_case = "version_cmp";
	CHECK(version_cmp("2.9", "2.10") < 0);
	CHECK(version_cmp("2.10", "2.9") > 0);
	CHECK(version_cmp("2.10", "2.10") == 0);
	CHECK(version_cmp("2.11", "3.0") < 0);
	for (i = 0; i < sizeof(release_cases) / sizeof(release_cases[0]); i++) {
		const struct release_case *c = &release_cases[i];
		struct release_view v;
		char why[512] = "";
		json_t *own = NULL;
		const json_t *list;

		current_case = c->name;
		if (c->fixture) {
			if (!(list = fixture(c->fixture)))
				continue;
		} else {
			list = own = json_loads(c->json, 0, NULL);
			CHECK(own != NULL);
		}
		CHECK_LONG(detect_release(list, h, &v, why, sizeof(why)), c->want);
		if (c->want == 1) {
			CHECK_STR(v.release, c->release);
			CHECK_LONG(v.ndcs, c->ndcs);
		}
		if (c->dc)
			CHECK_STR(v.dc, c->dc);
		if (c->trigger)
			CHECK_STR(v.trigger, c->trigger);
		if (c->why_has)
			CHECK_HAS(why, c->why_has);
		json_decref(own);
	}
	current_case = "";
}

/* --- trigger_assess ------------------------------------------------------------------- */

struct trigger_case {
	const char *name;
	const char *fixture;
	const char *dc;
	const char *old_tag, *new_tag, *containers;
	int image_triggers, has_old, has_new, new_containers_ok;
};

static const struct trigger_case trigger_cases[] = {
	{ "before the upgrade only the old trigger", "dcs-other.json", "system-app", "2.9", "2.10", APP_CONTAINERS,
	  1, 1, 0, 0 },
	{ "after the upgrade only the new trigger, exact containers", "dcs-after.json", "system-app", "2.9", "2.10",
	  APP_CONTAINERS, 1, 0, 1, 1 },
	{ "new trigger with the init container counts as exact", "dcs-after.json", "system-sidekiq", "2.9", "2.10",
	  SIDEKIQ_CONTAINERS, 1, 0, 1, 1 },
	{ "new trigger of system-sphinx, exact containers", "dcs-after.json", "system-sphinx", "2.9", "2.10",
	  SPHINX_CONTAINERS, 1, 0, 1, 1 },
	{ "new trigger missing a container is not exact", "dcs-both.json", "system-sidekiq", "2.9", "2.10",
	  SIDEKIQ_CONTAINERS, 1, 0, 1, 0 },
	{ "new trigger checked against another dc's containers is not exact", "dcs-after.json", "system-app",
	  "2.9", "2.10", SIDEKIQ_CONTAINERS, 1, 0, 1, 0 },
	{ "old and new trigger both present", "dcs-both.json", "system-app", "2.9", "2.10", APP_CONTAINERS,
	  2, 1, 1, 1 },
	{ "no image trigger (removed, not yet added)", "dcs-resumed.json", "system-app", "2.9", "2.10",
	  APP_CONTAINERS, 0, 0, 0, 0 },
	{ "Oracle tags: old trigger found", "dcs-oracle.json", "system-app", "2.9-oracle", "2.10-oracle",
	  APP_CONTAINERS, 1, 1, 0, 0 },
	{ "Oracle trigger is not the other database's old trigger", "dcs-oracle.json", "system-app", "2.9", "2.10",
	  APP_CONTAINERS, 1, 0, 0, 0 },
};

static void
test_trigger_assess(void)
{
	size_t i;

	for (i = 0; i < sizeof(trigger_cases) / sizeof(trigger_cases[0]); i++) {
		const struct trigger_case *c = &trigger_cases[i];
		struct trigger_view v;

		current_case = c->name;
		if (!fixture(c->fixture))
			continue;
		trigger_assess(fixture_dc(c->fixture, c->dc), "amp-system", c->old_tag, c->new_tag, c->containers, &v);
		CHECK_LONG(v.image_triggers, c->image_triggers);
		CHECK_LONG(v.has_old, c->has_old);
		CHECK_LONG(v.has_new, c->has_new);
		CHECK_LONG(v.new_containers_ok, c->new_containers_ok);
	}

	/*
	 * `oc set triggers --containers=system-master,system-master,system-developer` passes
	 * oc's check (every name exists) and leaves system-provider without trigger: three
	 * names, but not the documented set.
	 */
	current_case = "a new trigger naming a container twice and missing one is not exact";
	if (fixture("dcs-after.json")) {
		json_t *dc = json_deep_copy(fixture_dc("dcs-after.json", "system-app"));
		json_t *trigger = json_array_get(json_object_get(json_object_get(dc, "spec"), "triggers"), 1);
		struct trigger_view v;

		json_object_set_new(json_object_get(trigger, "imageChangeParams"), "containerNames",
				    json_pack("[sss]", "system-master", "system-master", "system-developer"));
		trigger_assess(dc, "amp-system", "2.9", "2.10", APP_CONTAINERS, &v);
		CHECK_LONG(v.has_new, 1);
		CHECK_LONG(v.new_containers_ok, 0);
		json_decref(dc);
	}
	current_case = "";
}

/* --- dc containers, digests, replicas ----------------------------------------------- */

struct missing_case {
	const char *name;
	const char *dc;
	const char *containers;
	int want;
	const char *missing;
};

static const struct missing_case missing_cases[] = {
	{ "system-app has the documented containers", "system-app", APP_CONTAINERS, 0, "" },
	{ "system-sidekiq's init container check-svc counts", "system-sidekiq", SIDEKIQ_CONTAINERS, 0, "" },
	{ "system-sphinx's init container system-master-svc counts", "system-sphinx", SPHINX_CONTAINERS, 0, "" },
	{ "a container of another dc is reported missing", "system-sidekiq", "system-sidekiq,system-master-svc", 1,
	  "system-master-svc" },
	{ "the first missing name is reported", "system-app", "system-master,foo,bar", 1, "foo" },
	{ "a prefix of a container name is missing", "system-app", "system", 1, "system" },
};

static void
test_dc_missing_container(void)
{
	size_t i;

	for (i = 0; i < sizeof(missing_cases) / sizeof(missing_cases[0]); i++) {
		const struct missing_case *c = &missing_cases[i];
		char missing[128] = "";

		current_case = c->name;
		if (!fixture("dcs-other.json"))
			continue;
		CHECK_LONG(dc_missing_container(fixture_dc("dcs-other.json", c->dc), c->containers, missing,
						sizeof(missing)), c->want);
		CHECK_STR(missing, c->missing);
	}
	current_case = "";
}

struct digest_case {
	const char *name;
	const char *fixture, *dc, *containers, *digest;
	int want;
};

static const struct digest_case digest_cases[] = {
	{ "Source reference with the digest matches", "dcs-after.json", "system-app", APP_CONTAINERS, D210, 1 },
	{ "internal registry reference with the same digest matches", "dcs-after.json", "system-sidekiq",
	  SIDEKIQ_CONTAINERS, D210, 1 },
	{ "internal registry reference of system-sphinx matches", "dcs-after.json", "system-sphinx",
	  SPHINX_CONTAINERS, D210, 1 },
	{ "another digest does not match", "dcs-after.json", "system-app", APP_CONTAINERS, D29, 0 },
	{ "the 2.9 image runs the 2.9 digest", "dcs-other.json", "system-app", APP_CONTAINERS, D29, 1 },
	{ "a tag reference without digest does not match", "dcs-both.json", "system-sphinx", SPHINX_CONTAINERS,
	  D210, 0 },
	{ "an empty digest never matches", "dcs-after.json", "system-app", APP_CONTAINERS, "", 0 },
	{ "a missing container does not match", "dcs-after.json", "system-app", "system-master,foo", D210, 0 },
};

static void
test_dc_runs_digest(void)
{
	size_t i;

	for (i = 0; i < sizeof(digest_cases) / sizeof(digest_cases[0]); i++) {
		const struct digest_case *c = &digest_cases[i];

		current_case = c->name;
		if (!fixture(c->fixture))
			continue;
		CHECK_LONG(dc_runs_digest(fixture_dc(c->fixture, c->dc), c->containers, c->digest), c->want);
	}
	current_case = "";
}

static void
test_dc_replicas(void)
{
	static const struct {
		const char *name, *annotation;
		long want;
	} cases[] = {
		{ "a recorded count is read", "3", 3 },
		{ "zero is a valid record", "0", 0 },
		{ "an empty value is no record", "", -1 },
		{ "a word is no record", "two", -1 },
		{ "a negative count is no record", "-1", -1 },
		{ "trailing junk is no record", "3 ", -1 },
	};
	size_t i;

	current_case = "scale-down recorded the replicas of the Oracle install";
	if (fixture("dcs-oracle.json")) {
		CHECK_LONG(dc_recorded_replicas(fixture_dc("dcs-oracle.json", "system-app")), 2);
		CHECK_LONG(dc_recorded_replicas(fixture_dc("dcs-oracle.json", "system-sidekiq")), 1);
		CHECK_LONG(dc_replicas(fixture_dc("dcs-oracle.json", "system-app")), 0);
	}
	current_case = "a dc never scaled down has no record";
	if (fixture("dcs-other.json")) {
		CHECK_LONG(dc_recorded_replicas(fixture_dc("dcs-other.json", "system-app")), -1);
		CHECK_LONG(dc_replicas(fixture_dc("dcs-other.json", "system-app")), 1);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *dc = json_pack("{s:{s:s, s:{s:s}}}", "metadata", "name", "system-app", "annotations",
				       REPLICAS_ANNOTATION, cases[i].annotation);

		current_case = cases[i].name;
		CHECK_LONG(dc_recorded_replicas(dc), cases[i].want);
		json_decref(dc);
	}
	current_case = "";
}

/* --- plan ------------------------------------------------------------------------- */

/* --- procedure: the hops as data --------------------------------------------------------- */

static void
test_procedure(void)
{
	/* procedures.md section 1, in the guide's order */
	static const char *const names[] = { "system", "apicast", "backend", "zync", "memcached", "zync-database",
					     "backend-redis", "system-redis", "system-database", "system-database" };
	static const char *const apicast_patch =
		"[{\"op\": \"add\", \"path\": \"/spec/tags/-\", \"value\": {\"annotations\": {\"openshift.io/display-name\": "
		"\"AMP APIcast 2.10\"}, \"from\": {\"kind\": \"DockerImage\", \"name\": "
		"\"registry.redhat.io/3scale-amp2/apicast-gateway-rhel8:3scale2.10\"}, \"name\": \"2.10\", "
		"\"referencePolicy\": {\"type\": \"Source\"}}}]";
	const struct hop *h = procedure_hop("2.9", "2.10");
	char buf[512];
	int i, k;

	current_case = "procedure: the hops";
	CHECK(h != NULL);
	CHECK(procedure_hop("2.8", "2.10") == NULL && procedure_hop("2.9", "2.11") == NULL);
	CHECK_STR(procedure_hops(), "2.8 -> 2.9, 2.9 -> 2.10, 2.10 -> 2.11");
	CHECK(procedure_hop_from("2.8") == procedure_hop("2.8", "2.9"));
	CHECK(procedure_hop_to("2.9") == procedure_hop("2.8", "2.9"));
	CHECK_STR(procedure_release_of_tag("latest"), "2.8");
	CHECK(procedure_release_of_tag("2.9") == NULL);
	if (!h)
		return;

	current_case = "procedure 2.9 -> 2.10: the sections in the guide's order";
	CHECK_LONG(h->nsections, 10);
	for (i = 0; i < h->nsections && i < 10; i++)
		CHECK_STR(h->sections[i].name, names[i]);
	CHECK(procedure_section(h, "system") == &h->sections[0] && procedure_section(h, "nope") == NULL);
	CHECK_STR(procedure_section(h, "system-database")->imagestream, "system-mysql");
	CHECK_LONG(h->sections[0].ndcs, 3);
	CHECK_STR(h->sections[0].dcs[1].containers, "system-sidekiq,check-svc");
	CHECK_STR(procedure_section(h, "apicast")->dcs[1].containers, "apicast-production,system-master-svc");
	CHECK_STR(procedure_section(h, "backend")->dcs[2].name, "backend-cron");
	CHECK_STR(procedure_section(h, "zync")->dcs[1].containers, "que");
	CHECK_STR(procedure_section(h, "memcached")->dcs[0].name, "system-memcache");

	current_case = "procedure 2.9 -> 2.10: database-type images, optional sections, pattern rows";
	for (i = 0; i < h->nsections; i++) {
		const struct section *c = &h->sections[i];
		int db = i >= 5, opt = i >= 6;

		CHECK(c->database_image == db);
		CHECK(c->optional == opt);
		CHECK(c->pattern == (strcmp(c->imagestream, "system-postgresql") == 0));
		CHECK(c->ndcs >= 1 && c->ndcs <= SECTION_MAX_DCS);
		for (k = 0; k < c->ndcs; k++)
			CHECK(c->dcs[k].name && c->dcs[k].containers && c->dcs[k].containers[0]);
	}

	current_case = "procedure: the tag patch in the guide's spacing, for every section";
	CHECK(procedure_tag_patch(&h->sections[0], "2.10", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, GUIDE_PATCH);
	CHECK(procedure_tag_patch(procedure_section(h, "apicast"), "2.10", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, apicast_patch);
	for (i = 0; i < h->nsections; i++) {
		const struct section *c = &h->sections[i];
		json_t *doc, *v;
		json_error_t je;

		CHECK(procedure_tag_patch(c, "2.10", buf, sizeof(buf)) > 0);
		CHECK_HAS(buf, c->tight_from ? "\"from\": {\"kind\"" : "\"from\": { \"kind\"");
		doc = json_loads(buf, 0, &je);
		v = json_object_get(json_array_get(doc, 0), "value");
		CHECK_STR(json_string_value(json_object_get(json_object_get(v, "from"), "name")), c->image);
		CHECK_STR(json_string_value(json_object_get(json_object_get(v, "annotations"), "openshift.io/display-name")),
			  c->display);
		CHECK_STR(json_string_value(json_object_get(v, "name")), "2.10");
		json_decref(doc);
	}
	CHECK(procedure_tag_patch(&h->sections[0], "2.10", buf, 40) == -1);
}

static void
test_plan_build(void)
{
	static const char *const ids[] = { "tag/amp-system", "import/amp-system", "dc/system-app", "dc/system-sidekiq",
					   "dc/system-sphinx", "replicas" };
	static const enum step_kind kinds[] = { STEP_TAG, STEP_IMPORT, STEP_DC, STEP_DC, STEP_DC, STEP_REPLICAS };
	struct plan p, o;
	json_t *patch;
	json_error_t err;
	int i;

	current_case = "--only system: the system section alone";
	plan_build(&p, "2.9", "2.10", DB_OTHER, "system", NULL, NULL, NULL);
	CHECK_STR(p.from, "2.9");
	CHECK_STR(p.to, "2.10");
	CHECK(p.db == DB_OTHER);
	CHECK_LONG(p.nsections, 10);
	CHECK(p.sections[0].in_run && !p.sections[1].in_run);
	CHECK_LONG(p.sys, 0);
	CHECK_STR(p.sections[0].old_tag, "2.9");
	CHECK_STR(p.sections[0].new_tag, "2.10");
	CHECK_STR(p.sections[0].sec->image, "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10");
	CHECK_STR(p.sections[0].patch, GUIDE_PATCH);
	CHECK_LONG(p.nsteps, 6);
	for (i = 0; i < p.nsteps && i < 6; i++) {
		CHECK_STR(p.steps[i].id, ids[i]);
		CHECK(p.steps[i].kind == kinds[i]);
		CHECK(p.steps[i].title[0] != '\0');
		if (kinds[i] == STEP_DC)
			CHECK_LONG(p.steps[i].dc, i - 2);
	}
	CHECK_HAS(p.steps[2].title, "amp-system:2.9 -> amp-system:2.10");

	current_case = "the patch is valid JSON adding tag 2.10";
	patch = json_loads(p.sections[0].patch, 0, &err);
	CHECK(patch != NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(patch, 0), "value"), "name")),
		  "2.10");
	json_decref(patch);

	current_case = "plan for Oracle: -oracle tags on the system section only";
	plan_build(&o, "2.9", "2.10", DB_ORACLE, NULL, NULL, NULL, NULL);
	CHECK(o.db == DB_ORACLE);
	CHECK_STR(o.sections[0].old_tag, "2.9-oracle");
	CHECK_STR(o.sections[0].new_tag, "2.10-oracle");
	CHECK_STR(o.sections[1].old_tag, "2.9");
	CHECK_STR(o.sections[1].new_tag, "2.10");
	CHECK_STR(o.sections[0].patch, GUIDE_PATCH);

	current_case = "the whole chapter: the version number, every tag, every import, then the dcs in order";
	/* without a cluster: the first system database (mysql) stands for its alternative */
	CHECK_LONG(o.nsections, 10);
	CHECK_LONG(o.ndcs, 16);
	CHECK_LONG(o.nsteps, 1 + 1 + 9 + 9 + 15 + 1 + 1);
	CHECK(o.steps[0].kind == STEP_BACKUP);
	CHECK_STR(o.steps[0].id, "backup");
	CHECK(o.steps[1 + 0].kind == STEP_RELEASE);
	CHECK_STR(o.steps[1 + 0].id, "release");
	CHECK_STR(o.steps[1 + 0].title, "cm/system-environment: AMP_RELEASE 2.9 -> 2.10");
	CHECK_STR(o.release_patch, "{\"data\": {\"AMP_RELEASE\": \"2.10\"}}");
	for (i = 0; i < 9; i++) {
		CHECK(o.steps[1 + 1 + i].kind == STEP_TAG && o.steps[1 + 1 + i].section == i);
		CHECK(o.steps[1 + 10 + i].kind == STEP_IMPORT && o.steps[1 + 10 + i].section == i);
	}
	CHECK_STR(o.steps[1 + 2].id, "tag/amp-apicast");
	CHECK_STR(o.steps[1 + 11].id, "import/amp-apicast");
	CHECK_STR(o.steps[1 + 19].id, "dc/system-app");
	CHECK_STR(o.steps[1 + 22].id, "dc/apicast-staging");
	CHECK_STR(o.steps[1 + 24].id, "dc/backend-listener");
	CHECK_STR(o.steps[1 + 33].id, "dc/system-mysql");
	CHECK_STR(o.steps[1 + 34].id, "confirm");
	CHECK(o.steps[1 + 34].kind == STEP_CONFIRM);
	CHECK_STR(o.steps[1 + 35].id, "replicas");
	CHECK_HAS(o.steps[1 + 22].title, "amp-apicast:2.9 -> amp-apicast:2.10");

	current_case = "the documented dcs and containers";
	CHECK_STR(PLAN_DC_NAME(&o, 0), "system-app");
	CHECK_STR(o.dcs[0].spec->containers, APP_CONTAINERS);
	CHECK_STR(PLAN_DC_NAME(&o, 1), "system-sidekiq");
	CHECK_STR(o.dcs[1].spec->containers, SIDEKIQ_CONTAINERS);
	CHECK_STR(PLAN_DC_NAME(&o, 2), "system-sphinx");
	CHECK_STR(o.dcs[2].spec->containers, SPHINX_CONTAINERS);
	CHECK_STR(database_name(DB_ORACLE), "oracle");
	CHECK_STR(database_name(DB_OTHER), "other");
	CHECK_STR(database_name(DB_AUTO), "auto");
	current_case = "";
}

/* a namespace with some dcs: the names in the NULL-terminated array ctx */
static int
has_dc(void *ctx, const char *name)
{
	const char *const *p;

	for (p = ctx; *p; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

/* an Oracle install with external Redis: the dcs it has */
static const char *const oracle_external_redis[] = {
	"system-app", "system-sidekiq", "system-sphinx", "apicast-staging", "apicast-production",
	"backend-listener", "backend-worker", "backend-cron", "zync", "zync-que", "system-memcache",
	"zync-database", NULL
};

/* the ids of p's steps from index from on, space-separated, each with its group ("dc/zync:2") */
static const char *
step_order(const struct plan *p, int from)
{
	static char buf[2048];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = from; i < p->nsteps && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s:%d", i > from ? " " : "", p->steps[i].id,
					p->steps[i].group);
	return buf;
}

static void
test_plan_parallel(void)
{
	static const char *const no_listener[] = {
		"system-app", "system-sidekiq", "system-sphinx", "apicast-staging", "apicast-production",
		"backend-worker", "backend-cron", "zync", "zync-que", NULL
	};
	struct plan p;

	current_case = "--parallel: the system dcs as built, then the other sections as one group";
	plan_build(&p, "2.9", "2.10", DB_OTHER, NULL, NULL, NULL, NULL);
	plan_parallel(&p);
	CHECK_STR(step_order(&p, 20),
		  "dc/system-app:0 dc/system-sidekiq:0 dc/system-sphinx:0 dc/apicast-staging:1 dc/apicast-production:1 "
		  "dc/backend-listener:1 dc/backend-worker:1 dc/backend-cron:1 dc/zync:1 dc/zync-que:1 "
		  "dc/system-memcache:1 dc/zync-database:1 dc/backend-redis:1 dc/system-redis:1 dc/system-mysql:1 "
		  "confirm:0 replicas:0");

	current_case = "--parallel: the steps of what is not there first";
	plan_build(&p, "2.9", "2.10", DB_ORACLE, NULL, NULL, has_dc, (void *)oracle_external_redis);
	plan_parallel(&p);
	CHECK_STR(step_order(&p, 17), "backend-redis:0 system-redis:0 system-database:0 dc/apicast-staging:1 "
		  "dc/apicast-production:1 dc/backend-listener:1 dc/backend-worker:1 dc/backend-cron:1 dc/zync:1 "
		  "dc/zync-que:1 dc/system-memcache:1 dc/zync-database:1 confirm:0 replicas:0");
	plan_build(&p, "2.9", "2.10", DB_OTHER, "apicast,backend,zync", NULL, has_dc, (void *)no_listener);
	plan_parallel(&p);
	CHECK_STR(step_order(&p, 6), "dc/backend-listener:0 dc/apicast-staging:1 dc/apicast-production:1 "
		  "dc/backend-worker:1 dc/backend-cron:1 dc/zync:1 dc/zync-que:1");

	current_case = "--parallel: --only system is unchanged";
	plan_build(&p, "2.9", "2.10", DB_OTHER, "system", NULL, NULL, NULL);
	plan_parallel(&p);
	CHECK_STR(step_order(&p, 2), "dc/system-app:0 dc/system-sidekiq:0 dc/system-sphinx:0 replicas:0");
	current_case = "";
}

static void
test_plan_2_9(void)
{
	struct plan p;
	struct args cmds[4];
	char b0[1024], b1[1024];
	int i, n;

	current_case = "2.8 -> 2.9: BASE_URL after the version number, old tags deleted at the guide's places";
	plan_build(&p, "2.8", "2.9", DB_OTHER, NULL, NULL, NULL, NULL);
	CHECK_HAS(step_order(&p, 0), "backup:0 release:0 secret/system-master-apicast:0 tag/amp-system:0 ");
	CHECK(strstr(step_order(&p, 0), "backup:0 release:0 secret/") == step_order(&p, 0));
	CHECK_STR(step_order(&p, 21),
		  "dc/system-app:0 dc/system-sidekiq:0 dc/system-sphinx:0 dc/apicast-staging:0 dc/apicast-production:0 "
		  "untag/amp-apicast:0 dc/backend-listener:0 dc/backend-worker:0 untag/amp-backend:0 dc/backend-cron:0 "
		  "dc/zync:0 dc/zync-que:0 untag/amp-zync:0 dc/system-memcache:0 untag/system-memcached:0 "
		  "dc/zync-database:0 untag/zync-database-postgresql:0 dc/backend-redis:0 untag/backend-redis:0 "
		  "dc/system-redis:0 untag/system-redis:0 dc/system-mysql:0 untag/system-mysql:0 confirm:0 replicas:0");
	for (i = 0; i < p.nsteps; i++) {
		const struct step *s = &p.steps[i];

		n = plan_step_commands(&p, s, "oc", "3scale", cmds, 4);
		if (s->kind == STEP_DC && strcmp(s->id, "dc/backend-cron") == 0) {
			CHECK_LONG(n, 2);
			CHECK_STR(args_shell(&cmds[0], b0, sizeof(b0)), "oc set triggers dc/backend-cron --from-image=amp-backend:latest "
				  "--containers=backend-cron,backend-redis-svc --remove -n 3scale");
			CHECK_STR(args_shell(&cmds[1], b1, sizeof(b1)), "oc set triggers dc/backend-cron --from-image=amp-backend:2.9 "
				  "--containers=backend-cron,backend-redis-svc -n 3scale");
		} else if (s->kind == STEP_UNTAG && strcmp(s->id, "untag/amp-backend") == 0) {
			CHECK_LONG(n, 1);
			CHECK_STR(args_shell(&cmds[0], b0, sizeof(b0)), "oc tag -d amp-backend:latest -n 3scale");
		} else if (s->kind == STEP_SECRET) {
			CHECK_LONG(n, 1);
			CHECK_STR(args_shell(&cmds[0], b0, sizeof(b0)), "oc patch secret system-master-apicast --type=json -p "
				  "'[{\"op\": \"remove\", \"path\": \"/data/BASE_URL\"}]' -n 3scale");
		} else if (s->kind == STEP_TAG && strcmp(s->id, "tag/amp-system") == 0) {
			CHECK_HAS(p.sections[s->section].patch, "\"AMP system 2.9\"");
			CHECK_HAS(p.sections[s->section].patch, "system-rhel7:3scale2.9\"}, \"name\": \"2.9\"");
		}
	}

	current_case = "2.8 -> 2.9 --skip base-url: no secret step; --only apicast: its untag only";
	plan_build(&p, "2.8", "2.9", DB_OTHER, NULL, "base-url", NULL, NULL);
	CHECK(strstr(step_order(&p, 0), "backup:0 release:0 tag/amp-system:0 ") == step_order(&p, 0));
	CHECK(strstr(step_order(&p, 0), "secret/") == NULL);
	plan_build(&p, "2.8", "2.9", DB_OTHER, "apicast", NULL, NULL, NULL);
	CHECK_STR(step_order(&p, 0), "tag/amp-apicast:0 import/amp-apicast:0 dc/apicast-staging:0 "
		  "dc/apicast-production:0 untag/amp-apicast:0");

	current_case = "2.8 -> 2.9 --parallel: the old tags go once every lane is done";
	plan_build(&p, "2.8", "2.9", DB_OTHER, NULL, NULL, NULL, NULL);
	plan_parallel(&p);
	CHECK_STR(step_order(&p, 24),
		  "dc/apicast-staging:1 dc/apicast-production:1 dc/backend-listener:1 "
		  "dc/backend-worker:1 dc/backend-cron:1 dc/zync:1 dc/zync-que:1 dc/system-memcache:1 dc/zync-database:1 "
		  "dc/backend-redis:1 dc/system-redis:1 dc/system-mysql:1 untag/amp-apicast:0 untag/amp-backend:0 "
		  "untag/amp-zync:0 untag/system-memcached:0 untag/zync-database-postgresql:0 untag/backend-redis:0 "
		  "untag/system-redis:0 untag/system-mysql:0 confirm:0 replicas:0");

	current_case = "several hops: the chain from a release to --to, a later hop without its backup";
	CHECK_LONG(procedure_chain("2.8", "2.10"), 2);
	CHECK_LONG(procedure_chain("2.8", "2.9"), 1);
	CHECK_LONG(procedure_chain("2.9", "2.10"), 1);
	CHECK_LONG(procedure_chain("2.9", "2.9"), 0);
	CHECK_LONG(procedure_chain("2.7", "2.10"), 0);
	CHECK_LONG(procedure_chain("2.10", "2.9"), 0);
	plan_build(&p, "2.9", "2.10", DB_OTHER, NULL, NULL, NULL, NULL);
	n = p.nsteps;
	plan_drop_backup(&p);
	CHECK_LONG(p.nsteps, n - 1);
	CHECK(strstr(step_order(&p, 0), "release:0 tag/amp-system:0 ") == step_order(&p, 0));
	plan_drop_backup(&p);
	CHECK_LONG(p.nsteps, n - 1);  /* no backup step left to drop */
	CHECK(plan_whole(NULL, NULL));
	CHECK(plan_whole(NULL, "backup"));
	CHECK(!plan_whole(NULL, "base-url"));
	CHECK(!plan_whole("system", NULL));
	CHECK(!plan_whole(NULL, "confirm"));
	current_case = "";
}

static void
test_plan_present(void)
{
	static const char *const postgresql[] = {
		"system-app", "system-sidekiq", "system-sphinx", "apicast-staging", "apicast-production",
		"backend-listener", "backend-worker", "backend-cron", "zync", "zync-que", "system-memcache",
		"zync-database", "backend-redis", "system-redis", "system-postgresql", NULL
	};
	static const char *const no_staging[] = { "system-app", "apicast-production", NULL };
	struct plan p;
	int i, absent = 0;

	current_case = "absent sections: no tag, no import, one skipped step each";
	plan_build(&p, "2.9", "2.10", DB_ORACLE, NULL, NULL, has_dc, (void *)oracle_external_redis);
	CHECK_LONG(p.nsteps, 1 + 1 + 6 + 6 + 12 + 3 + 1 + 1);
	for (i = 0; i < p.nsteps; i++)
		if (p.steps[1 + i].kind == STEP_ABSENT) {
			absent++;
			CHECK_HAS(p.steps[1 + i].note, "skipped");
		}
	CHECK_LONG(absent, 3);
	CHECK_STR(p.steps[1 + 13 + 12].id, "backend-redis");
	CHECK_STR(p.steps[1 + 13 + 13].id, "system-redis");
	CHECK_STR(p.steps[1 + 13 + 14].id, "system-database");
	CHECK_HAS(p.steps[1 + 13 + 14].title, "dc/system-mysql or dc/system-postgresql");

	current_case = "postgresql instead of mysql: no step for the absent alternative";
	plan_build(&p, "2.9", "2.10", DB_OTHER, NULL, NULL, has_dc, (void *)postgresql);
	CHECK_LONG(p.nsteps, 1 + 1 + 9 + 9 + 15 + 1 + 1);
	CHECK_STR(p.steps[1 + 9].id, "tag/system-postgresql");
	CHECK_STR(p.steps[1 + 1 + 9 + 9 + 14].id, "dc/system-postgresql");

	current_case = "a dc missing from a present section is skipped on its own";
	plan_build(&p, "2.9", "2.10", DB_OTHER, "system,apicast", NULL, has_dc, (void *)no_staging);
	CHECK_LONG(p.nsteps, 2 + 2 + 5 + 1);
	CHECK(p.steps[4].kind == STEP_DC && p.steps[5].kind == STEP_ABSENT && p.steps[6].kind == STEP_ABSENT);
	CHECK_STR(p.steps[5].id, "dc/system-sidekiq");
	CHECK_STR(p.steps[7].id, "dc/apicast-staging");
	CHECK_STR(p.steps[8].id, "dc/apicast-production");

	current_case = "--skip leaves a section out, and the replicas with the system section";
	plan_build(&p, "2.9", "2.10", DB_OTHER, NULL, "system,backend-redis,system-redis,system-database", NULL, NULL);
	CHECK_LONG(p.nsections, 10);
	for (i = 0, absent = 0; i < p.nsections; i++)
		absent += p.sections[i].in_run;
	CHECK_LONG(absent, 5);
	CHECK(!p.sections[p.sys].in_run);
	CHECK_STR(p.steps[0].id, "backup");
	CHECK_STR(p.steps[1].id, "release");
	CHECK_STR(p.steps[2].id, "tag/amp-apicast");
	CHECK_STR(p.steps[p.nsteps - 2].id, "dc/zync-database");
	CHECK_STR(p.steps[p.nsteps - 1].id, "confirm");
	plan_build(&p, "2.9", "2.10", DB_OTHER, NULL, "backup,release,confirm", NULL, NULL);
	CHECK_STR(p.steps[0].id, "tag/amp-system");
	CHECK_STR(p.steps[p.nsteps - 2].id, "dc/system-mysql");
	CHECK_STR(p.steps[p.nsteps - 1].id, "replicas");

	current_case = "--only confirm checks every section; with a section, only the sections of the run";
	plan_build(&p, "2.9", "2.10", DB_OTHER, "confirm", NULL, NULL, NULL);
	CHECK_LONG(p.nsteps, 1);
	CHECK(p.steps[0].kind == STEP_CONFIRM);
	CHECK(plan_dc_checked(&p, 0) && plan_dc_checked(&p, 5));
	plan_build(&p, "2.9", "2.10", DB_OTHER, "apicast,confirm", NULL, NULL, NULL);
	CHECK(!plan_dc_checked(&p, 0) && plan_dc_checked(&p, 3) && plan_dc_checked(&p, 4) && !plan_dc_checked(&p, 5));
	plan_build(&p, "2.9", "2.10", DB_OTHER, "release", NULL, NULL, NULL);
	CHECK_LONG(p.nsteps, 1);
	CHECK(p.steps[0].kind == STEP_RELEASE);

	current_case = "the names --only takes";
	CHECK(plan_section_name("zync-database") && plan_section_name("system-database") && !plan_section_name("mysql"));
	CHECK(plan_section_name("release") && plan_section_name("backup") && plan_section_name("confirm"));
	CHECK_STR(plan_section_names(), "backup,release,base-url,backend-route,zync-annotations,backend-cron,system,apicast,backend,zync,memcached,zync-database,backend-redis,system-redis,"
		  "system-database,confirm");
	current_case = "";
}

struct cmd_case {
	const char *name;
	enum database db;
	int step;            /* index into plan.steps */
	const char *ns;
	int n;
	const char *want[2];
};

static const struct cmd_case cmd_cases[] = {
	{ "the tag step is the guide's patch", DB_OTHER, 0, "3scale", 1,
	  { "oc patch imagestream/amp-system --type=json -p '" GUIDE_PATCH "' -n 3scale" } },
	{ "the tag step is the same for Oracle", DB_ORACLE, 0, "3scale", 1,
	  { "oc patch imagestream/amp-system --type=json -p '" GUIDE_PATCH "' -n 3scale" } },
	{ "system-app: remove the old trigger, then add the new one", DB_OTHER, 2, "3scale", 2,
	  { "oc set triggers dc/system-app --from-image=amp-system:2.9 "
	    "--containers=system-master,system-developer,system-provider --remove -n 3scale",
	    "oc set triggers dc/system-app --from-image=amp-system:2.10 "
	    "--containers=system-master,system-developer,system-provider -n 3scale" } },
	{ "system-sidekiq with its init container", DB_OTHER, 3, "3scale", 2,
	  { "oc set triggers dc/system-sidekiq --from-image=amp-system:2.9 --containers=system-sidekiq,check-svc "
	    "--remove -n 3scale",
	    "oc set triggers dc/system-sidekiq --from-image=amp-system:2.10 --containers=system-sidekiq,check-svc "
	    "-n 3scale" } },
	{ "system-sphinx with its init container", DB_OTHER, 4, "3scale", 2,
	  { "oc set triggers dc/system-sphinx --from-image=amp-system:2.9 "
	    "--containers=system-sphinx,system-master-svc --remove -n 3scale",
	    "oc set triggers dc/system-sphinx --from-image=amp-system:2.10 "
	    "--containers=system-sphinx,system-master-svc -n 3scale" } },
	{ "Oracle moves the -oracle triggers", DB_ORACLE, 2, "3scale", 2,
	  { "oc set triggers dc/system-app --from-image=amp-system:2.9-oracle "
	    "--containers=system-master,system-developer,system-provider --remove -n 3scale",
	    "oc set triggers dc/system-app --from-image=amp-system:2.10-oracle "
	    "--containers=system-master,system-developer,system-provider -n 3scale" } },
	{ "without a namespace no -n", DB_OTHER, 3, NULL, 2,
	  { "oc set triggers dc/system-sidekiq --from-image=amp-system:2.9 --containers=system-sidekiq,check-svc "
	    "--remove",
	    "oc set triggers dc/system-sidekiq --from-image=amp-system:2.10 --containers=system-sidekiq,check-svc" } },
	{ "the import step has no fixed command", DB_OTHER, 1, "3scale", 0, { NULL } },
	{ "the replicas step has no fixed command", DB_ORACLE, 5, "3scale", 0, { NULL } },
};

static void
test_plan_step_commands(void)
{
	size_t i;
	struct plan p;
	struct args *cmds = xmalloc(4 * sizeof(*cmds));
	char buf[4096];
	int n, k;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];

		current_case = c->name;
		plan_build(&p, "2.9", "2.10", c->db, "system", NULL, NULL, NULL);
		n = plan_step_commands(&p, &p.steps[c->step], "oc", c->ns, cmds, 4);
		CHECK_LONG(n, c->n);
		for (k = 0; k < n && k < c->n; k++) {
			CHECK_STR(args_shell(&cmds[k], buf, sizeof(buf)), c->want[k]);
			CHECK(cmds[k].v[cmds[k].n] == NULL);
			CHECK(args_mutating(&cmds[k]));
		}
	}

	current_case = "the patch argument is passed unquoted, byte for byte";
	plan_build(&p, "2.9", "2.10", DB_OTHER, "system", NULL, NULL, NULL);
	n = plan_step_commands(&p, &p.steps[0], "/usr/local/bin/oc", "3scale", cmds, 4);
	CHECK_LONG(n, 1);
	CHECK_LONG(cmds[0].n, 8);
	CHECK_STR(cmds[0].v[0], "/usr/local/bin/oc");
	CHECK_STR(cmds[0].v[4], "-p");
	CHECK_STR(cmds[0].v[5], GUIDE_PATCH);
	CHECK_STR(args_subject(&cmds[0], buf, sizeof(buf)), "oc patch imagestream/amp-system");

	current_case = "a command too long for the buffer is cut to a terminated string";
	{
		char region[256];

		memset(region, 'X', sizeof(region));
		region[sizeof(region) - 1] = '\0';
		args_shell(&cmds[0], region, 100);
		CHECK(memchr(region, '\0', 100) != NULL);
		CHECK(strncmp(region, "oc patch imagestream/amp-system --type=json -p", 46) == 0);
	}

	current_case = "a copied command keeps its arguments";
	{
		struct args *copy = xmalloc(sizeof(*copy));

		args_copy(copy, &cmds[0]);
		memset(&cmds[0], 0, sizeof(cmds[0]));
		CHECK_LONG(copy->n, 8);
		CHECK_STR(copy->v[5], GUIDE_PATCH);
		CHECK(copy->v[8] == NULL);
		free(copy);
	}

	current_case = "no room for the two trigger commands";
	CHECK_LONG(plan_step_commands(&p, &p.steps[2], "oc", "3scale", cmds, 1), 0);

	current_case = "a read is not a mutating command";
	cmd_get(&cmds[0], "oc", "3scale", "dc/system-app", NULL);
	CHECK_STR(args_shell(&cmds[0], buf, sizeof(buf)), "oc get dc/system-app -n 3scale -o json");
	CHECK(!args_mutating(&cmds[0]));
	cmd_get(&cmds[0], "oc", "3scale", "rc", "openshift.io/deployment-config.name=system-app");
	CHECK_STR(args_shell(&cmds[0], buf, sizeof(buf)),
		  "oc get rc -l openshift.io/deployment-config.name=system-app -n 3scale -o json");
	free(cmds);
	current_case = "";
}

/* --- util ------------------------------------------------------------------------- */

static void
test_parse_duration(void)
{
	static const struct {
		const char *in;
		long long want;
	} cases[] = {
		{ "90s", 90000 }, { "20m", 1200000 }, { "1h30m", 5400000 }, { "1500ms", 1500 },
		{ "45", 45000 }, { "1h", 3600000 }, { "2m30s", 150000 },
		{ "", -1 }, { "0", -1 }, { "0s", -1 }, { "10x", -1 }, { "-5s", -1 }, { "s", -1 },
		{ "5m30", -1 }, { " 5s", -1 }, { "5s ", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		current_case = cases[i].in;
		CHECK_LONG(parse_duration(cases[i].in), cases[i].want);
	}
	current_case = "NULL";
	CHECK_LONG(parse_duration(NULL), -1);
	current_case = "";
}

static void
test_fmt_duration(void)
{
	char buf[32];

	CHECK_STR(fmt_duration(2400, buf, sizeof(buf)), "2.4s");
	CHECK_STR(fmt_duration(185000, buf, sizeof(buf)), "3m05s");
	CHECK_STR(fmt_duration(3720000, buf, sizeof(buf)), "1h02m");
}

static void
test_is_dns1123_label(void)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "3scale", 1 }, { "a", 1 }, { "my-3scale-project", 1 },
		{ "", 0 }, { "--all-namespaces", 0 }, { "3Scale", 0 }, { "-3scale", 0 }, { "3scale-", 0 },
		{ "my.project", 0 }, { "my_project", 0 }, { "3scale project", 0 },
		/* 63 characters, then 64 */
		{ "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh", 1 },
		{ "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi", 0 },
	};
	size_t i;

	CHECK_LONG(strlen(cases[11].in), 63);
	CHECK_LONG(strlen(cases[12].in), 64);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		current_case = cases[i].in;
		CHECK_LONG(is_dns1123_label(cases[i].in), cases[i].want);
	}
	current_case = "";
}

static void
test_is_version(void)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "2.9", 1 }, { "2.10", 1 }, { "10.0", 1 },
		{ "", 0 }, { "2", 0 }, { "2.", 0 }, { ".9", 0 }, { "2.10.1", 0 }, { "v2.10", 0 }, { "2.x", 0 },
		{ "2..10", 0 }, { "2.10 ", 0 }, { "2.9-oracle", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		current_case = cases[i].in;
		CHECK_LONG(is_version(cases[i].in), cases[i].want);
	}
	current_case = "";
}

static void
test_shell_quote_append(void)
{
	static const struct {
		const char *prefix, *in, *want;
	} cases[] = {
		{ "", "dc/system-app", "dc/system-app" },
		{ "oc ", "--containers=system-sidekiq,check-svc", "oc --containers=system-sidekiq,check-svc" },
		{ "", "amp-system:2.10", "amp-system:2.10" },
		{ "", "", "''" },
		{ "", "a b", "'a b'" },
		{ "", "it's", "'it'\\''s'" },
		{ "", "$HOME", "'$HOME'" },
		{ "", "~", "'~'" },
		{ "", "a;rm -rf /", "'a;rm -rf /'" },
		{ "", "{\"type\": \"Source\"}", "'{\"type\": \"Source\"}'" },
	};
	size_t i;
	char buf[128], small[8], region[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		current_case = cases[i].in;
		strlcopy(buf, cases[i].prefix, sizeof(buf));
		CHECK(shell_quote_append(buf, sizeof(buf), cases[i].in) == 0);
		CHECK_STR(buf, cases[i].want);
	}
	/*
	 * On overflow the buffer must still hold a string: args_shell returns it as is.
	 * The buffers sit inside a larger region ending in NUL, so a missing terminator
	 * is seen without reading past the array.
	 */
	current_case = "overflow of a plain word leaves the buffer as it was";
	memset(region, 'X', sizeof(region));
	region[sizeof(region) - 1] = '\0';
	strlcopy(region, "oc ", 8);
	CHECK(shell_quote_append(region, 8, "patch") == -1);
	CHECK(memchr(region, '\0', 8) != NULL);
	CHECK_STR(region, "oc ");
	current_case = "overflow while quoting leaves a terminated buffer";
	memset(region, 'X', sizeof(region));
	region[sizeof(region) - 1] = '\0';
	strlcopy(region, "oc ", 8);
	CHECK(shell_quote_append(region, 8, "a b c") == -1);
	CHECK(memchr(region, '\0', 8) != NULL);
	current_case = "a word that just fits";
	strlcopy(small, "oc ", sizeof(small));
	CHECK(shell_quote_append(small, sizeof(small), "get") == 0);
	CHECK_STR(small, "oc get");
	strlcopy(small, "oc ", sizeof(small));
	CHECK(shell_quote_append(small, sizeof(small), "'x'") == -1);

	current_case = "strlcopy truncates and terminates";
	CHECK_STR(strlcopy(small, "0123456789", sizeof(small)), "0123456");
	CHECK_STR(strlcopy(small, NULL, sizeof(small)), "");
	current_case = "";
}

/* --- options_parse ---------------------------------------------------------------- */

#define MAXARGV 16

struct opt_case {
	const char *name;
	const char *argv[MAXARGV];
	int rc;
	const char *err_has;     /* rc -1 */
	enum command command;    /* rc 0 */
	const char *ns;
	const char *from, *to;
	enum database db;
	unsigned long long timeout_ms;
	int json, yes, help;
};

#define DEF_TIMEOUT (20ULL * 60 * 1000)
/* a usage error: rc -1 and a message containing msg */
#define USAGE_ERROR(msg) -1, msg, CMD_NONE, NULL, NULL, NULL, DB_AUTO, 0, 0, 0, 0

static const struct opt_case opt_cases[] = {
	{ "defaults", { "3scale-upgrade", "plan" }, 0, NULL, CMD_PLAN, NULL, NULL, "2.10", DB_AUTO,
	  DEF_TIMEOUT, 0, 0, 0 },
	{ "options after the command", { "3scale-upgrade", "run", "-n", "3scale", "--timeout", "90s", "-o", "json",
	  "-y", "--database", "oracle" }, 0, NULL, CMD_RUN, "3scale", NULL, "2.10", DB_ORACLE, 90000, 1, 1, 0 },
	{ "options before the command", { "3scale-upgrade", "--namespace=3scale", "--from", "2.9", "--to=2.10",
	  "--database=other", "status" }, 0, NULL, CMD_STATUS, "3scale", "2.9", "2.10", DB_OTHER, DEF_TIMEOUT,
	  0, 0, 0 },
	{ "scale-down with --yes", { "3scale-upgrade", "--yes", "scale-down", "--output=text" }, 0, NULL,
	  CMD_SCALE_DOWN, NULL, NULL, "2.10", DB_AUTO, DEF_TIMEOUT, 0, 1, 0 },
	{ "--help needs no command", { "3scale-upgrade", "--help" }, 0, NULL, CMD_NONE, NULL, NULL, "2.10",
	  DB_AUTO, DEF_TIMEOUT, 0, 0, 1 },
	{ "unknown long option", { "3scale-upgrade", "plan", "--frobnicate" }, USAGE_ERROR("--frobnicate") },
	{ "unknown short option", { "3scale-upgrade", "-z", "plan" }, USAGE_ERROR("-z") },
	{ "unknown command", { "3scale-upgrade", "upgrade" }, USAGE_ERROR("upgrade") },
	{ "no command", { "3scale-upgrade", "-n", "3scale" }, USAGE_ERROR("no command") },
	{ "an extra argument", { "3scale-upgrade", "plan", "extra" }, USAGE_ERROR("extra") },
	{ "an option without its value", { "3scale-upgrade", "run", "--timeout" }, USAGE_ERROR("--timeout") },
	{ "a namespace that is an option", { "3scale-upgrade", "plan", "-n", "--all-namespaces" },
	  USAGE_ERROR("--all-namespaces") },
	{ "an upper-case namespace", { "3scale-upgrade", "plan", "-n", "3Scale" }, USAGE_ERROR("3Scale") },
	{ "a namespace of 64 characters", { "3scale-upgrade", "plan", "-n",
	  "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi" }, USAGE_ERROR("namespace") },
	{ "an invalid --to", { "3scale-upgrade", "plan", "--to", "2.10.1" }, USAGE_ERROR("2.10.1") },
	{ "an invalid --from", { "3scale-upgrade", "plan", "--from", "v2.9" }, USAGE_ERROR("v2.9") },
	{ "an invalid database", { "3scale-upgrade", "plan", "--database", "mysql" }, USAGE_ERROR("mysql") },
	{ "an invalid output", { "3scale-upgrade", "plan", "-o", "yaml" }, USAGE_ERROR("yaml") },
	{ "a timeout with a bad unit", { "3scale-upgrade", "run", "--timeout", "10x" }, USAGE_ERROR("10x") },
	{ "a zero timeout", { "3scale-upgrade", "run", "--timeout", "0" }, USAGE_ERROR("timeout") },
	{ "a negative timeout", { "3scale-upgrade", "run", "--timeout", "-5s" }, USAGE_ERROR("-5s") },
	{ "--to older than --from", { "3scale-upgrade", "plan", "--from", "2.10", "--to", "2.9" },
	  USAGE_ERROR("not newer") },
	{ "--to equal to --from", { "3scale-upgrade", "plan", "--from", "2.9", "--to", "2.9" },
	  USAGE_ERROR("not newer") },
	{ "a --to no hop ends at, --from detected", { "3scale-upgrade", "plan", "--to", "2.12" },
	  USAGE_ERROR("no documented procedure ends at 2.12 (supported: 2.8 -> 2.9, 2.9 -> 2.10, 2.10 -> 2.11)") },
	{ "a hop no guide describes", { "3scale-upgrade", "plan", "--from", "2.11", "--to", "2.12" },
	  USAGE_ERROR("no documented procedure for 2.11 -> 2.12 (supported: 2.8 -> 2.9, 2.9 -> 2.10, 2.10 -> 2.11)") },
	{ "Oracle on a hop whose guide has no Oracle branch", { "3scale-upgrade", "plan", "--to", "2.9", "--database", "oracle" },
	  USAGE_ERROR("the 2.8 -> 2.9 procedure has no documented Oracle branch") },
	{ "an --oc path that is not executable", { "3scale-upgrade", "plan", "--oc", "/nonexistent/bin/oc" },
	  USAGE_ERROR("/nonexistent/bin/oc") },
	{ "-v with -q", { "3scale-upgrade", "run", "-v", "-q" }, USAGE_ERROR("-v and -q") },
	{ "an invalid --color", { "3scale-upgrade", "run", "--color", "sometimes" }, USAGE_ERROR("sometimes") },
	{ "an invalid --call-timeout", { "3scale-upgrade", "run", "--call-timeout", "soon" }, USAGE_ERROR("soon") },
	{ "help with an unknown command", { "3scale-upgrade", "help", "upgrade" }, USAGE_ERROR("upgrade") },
	{ "help help is the program's help", { "3scale-upgrade", "help", "help" }, 0, NULL, CMD_HELP, NULL, NULL,
	  "2.10", DB_AUTO, DEF_TIMEOUT, 0, 0, 1 },
	{ "help takes one command", { "3scale-upgrade", "help", "run", "status" }, USAGE_ERROR("status") },
	{ "help COMMAND", { "3scale-upgrade", "help", "run" }, 0, NULL, CMD_HELP, NULL, NULL, "2.10", DB_AUTO,
	  DEF_TIMEOUT, 0, 0, 1 },
	{ "COMMAND --help", { "3scale-upgrade", "status", "--help" }, 0, NULL, CMD_STATUS, NULL, NULL, "2.10",
	  DB_AUTO, DEF_TIMEOUT, 0, 0, 1 },
};

static void
test_options_parse(void)
{
	size_t i;
	char *saved_oc = getenv("OC") ? xstrdup(getenv("OC")) : NULL;
	struct options o;
	char err[512];

	unsetenv("OC");
	for (i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *c = &opt_cases[i];
		char *argv[MAXARGV + 1];
		int argc, rc;

		current_case = c->name;
		for (argc = 0; argc < MAXARGV && c->argv[argc]; argc++)
			argv[argc] = (char *)c->argv[argc];
		argv[argc] = NULL;
		err[0] = '\0';
		rc = options_parse(argc, argv, &o, err, sizeof(err));
		CHECK_LONG(rc, c->rc);
		if (c->rc < 0) {
			CHECK_HAS(err, c->err_has);
			continue;
		}
		CHECK(o.command == c->command);
		if (c->ns)
			CHECK_STR(o.ns, c->ns);
		else
			CHECK(o.ns == NULL);
		/* no --from: NULL, detected from the cluster */
		if (c->from)
			CHECK_STR(o.from, c->from);
		else
			CHECK(o.from == NULL);
		CHECK_STR(o.to, c->to);
		CHECK(o.database == c->db);
		CHECK(o.timeout_ms == c->timeout_ms);
		CHECK_LONG(o.json, c->json);
		CHECK_LONG(o.yes, c->yes);
		CHECK_LONG(o.help, c->help);
		CHECK_STR(o.oc, "oc");
	}

	current_case = "the options of issue 3-5: --call-timeout, --parallel, -v, -q, --color";
	{
		char *a1[] = { "3scale-upgrade", "run", "--call-timeout", "5s", "--parallel", "-v", "--color=never", NULL };
		char *a2[] = { "3scale-upgrade", "-q", "run", NULL };
		char *a3[] = { "3scale-upgrade", "help", "scale-down", NULL };

		CHECK(options_parse(7, a1, &o, err, sizeof(err)) == 0);
		CHECK(o.call_timeout_ms == 5000);
		CHECK_LONG(o.parallel, 1);
		CHECK_LONG(o.verbosity, 1);
		CHECK(o.color == COLOR_NEVER);
		CHECK(options_parse(3, a2, &o, err, sizeof(err)) == 0);
		CHECK_LONG(o.verbosity, -1);
		CHECK(o.call_timeout_ms == DEFAULT_CALL_TIMEOUT_MS);
		CHECK(o.color == COLOR_AUTO);
		CHECK(options_parse(3, a3, &o, err, sizeof(err)) == 0);
		CHECK(o.help_command == CMD_SCALE_DOWN);
		CHECK_HAS(command_help(o.help_command), "3scale-upgrade/replicas");
	}

	current_case = "$OC names the oc executable, --oc overrides it";
	{
		char *argv1[] = { "3scale-upgrade", "plan", NULL };
		char *argv2[] = { "3scale-upgrade", "plan", "--oc", "true", NULL };
		char *argv3[] = { "3scale-upgrade", "plan", "--oc", "no-such-oc-4.6", NULL };

		setenv("OC", "sh", 1);
		CHECK(options_parse(2, argv1, &o, err, sizeof(err)) == 0);
		CHECK_STR(o.oc, "sh");
		CHECK(options_parse(4, argv2, &o, err, sizeof(err)) == 0);
		CHECK_STR(o.oc, "true");
		CHECK_STR(o.command_name, "plan");
		CHECK(options_parse(4, argv3, &o, err, sizeof(err)) == -1);
		CHECK_STR(err, "--oc 'no-such-oc-4.6': no executable of that name on PATH");
	}
	if (saved_oc)
		setenv("OC", saved_oc, 1);
	else
		unsetenv("OC");
	free(saved_oc);
	current_case = "";
}

/* --- ocerror: what kind of failure, and backoff ------------------------------------- */

static const struct {
	const char *err;
	int exit_status, timed_out, term_signal;
	enum oc_error want;
} oce_cases[] = {
	{ "", 0, 0, 0, OCE_NONE },
	{ "Error from server (InternalError): Internal error occurred: etcdserver: request timed out", 1, 0, 0,
	  OCE_TRANSIENT },
	{ "Error from server (Timeout): the server was unable to return a response in the time allotted, but may "
	  "still be processing the request (get deploymentconfigs.apps.openshift.io system-app)", 1, 0, 0, OCE_TRANSIENT },
	{ "Error from server (TooManyRequests): the server has received too many requests and has asked us to try "
	  "again later", 1, 0, 0, OCE_TRANSIENT },
	{ "Error from server (ServiceUnavailable): the server is currently unable to handle the request", 1, 0, 0,
	  OCE_TRANSIENT },
	{ "The connection to the server api.x:6443 was refused - did you specify the right host or port?", 1, 0, 0,
	  OCE_TRANSIENT },
	{ "Unable to connect to the server: read tcp 10.0.0.1:51234->10.0.0.2:6443: read: connection reset by peer",
	  1, 0, 0, OCE_TRANSIENT },
	{ "error: You must be logged in to the server (Unauthorized)", 1, 0, 0, OCE_UNAUTHORIZED },
	{ "Error from server (Forbidden): deploymentconfigs.apps.openshift.io \"system-app\" is forbidden: User \"x\" "
	  "cannot patch resource", 1, 0, 0, OCE_FORBIDDEN },
	{ "Error from server (NotFound): deploymentconfigs.apps.openshift.io \"system-app\" not found", 1, 0, 0,
	  OCE_NOTFOUND },
	{ "The request is invalid: the server rejected our request due to an error in our request", 1, 0, 0,
	  OCE_INVALID },
	{ "Error from server (Conflict): Operation cannot be fulfilled on deploymentconfigs.apps.openshift.io "
	  "\"system-app\": the object has been modified; please apply your changes to the latest version and try "
	  "again", 1, 0, 0, OCE_CONFLICT },
	{ "", 0, 1, 9, OCE_TRANSIENT },   /* killed at --call-timeout */
	{ "error: something no one expected", 1, 0, 0, OCE_OTHER },
};

static void
test_ocerror(void)
{
	size_t i;
	int a;

	current_case = "oc_error_classify";
	for (i = 0; i < sizeof(oce_cases) / sizeof(oce_cases[0]); i++)
		CHECK_STR(oc_error_name(oc_error_classify(0, oce_cases[i].exit_status, oce_cases[i].term_signal,
							  oce_cases[i].timed_out, oce_cases[i].err)),
			  oc_error_name(oce_cases[i].want));
	CHECK(oc_error_classify(-2, 0, 0, 0, "") == OCE_SPAWN);
	CHECK(oc_error_retryable(OCE_TRANSIENT) && oc_error_retryable(OCE_CONFLICT));
	CHECK(!oc_error_retryable(OCE_FORBIDDEN) && !oc_error_retryable(OCE_UNAUTHORIZED) &&
	      !oc_error_retryable(OCE_NOTFOUND) && !oc_error_retryable(OCE_INVALID));

	current_case = "oc_error_unknown_flag: an old client's answer to --output-watch-events";
	{
		/* oc 3.11 (cobra): the error, then the command's usage, on stderr */
		const char *oc311 = "Error: unknown flag: --output-watch-events\n\n\nUsage:\n  oc get [(-o|--output=)json|yaml"
				    "] (TYPE [NAME | -l label] | TYPE/NAME ...) [flags] [options]\n";
		const char *kubectl = "error: unknown flag: --output-watch-events\nSee 'kubectl get --help' for usage.\n";

		CHECK(oc_error_unknown_flag(1, 0, oc311, "--output-watch-events"));
		CHECK(oc_error_unknown_flag(1, 0, kubectl, "--output-watch-events"));
		CHECK(!oc_error_unknown_flag(1, 0, "Error: unknown flag: --output-watch-events-x\n", "--output-watch-events"));
		CHECK(!oc_error_unknown_flag(1, 0, "Error: unknown flag: --watch-only\n", "--output-watch-events"));
		CHECK(!oc_error_unknown_flag(0, 0, oc311, "--output-watch-events"));   /* it ran */
		CHECK(!oc_error_unknown_flag(-1, 15, oc311, "--output-watch-events")); /* killed */
		CHECK(!oc_error_unknown_flag(1, 0, NULL, "--output-watch-events"));
		CHECK(!oc_error_unknown_flag(1, 0, "Error from server (NotFound): deploymentconfigs.apps.openshift.io "
					     "\"unknown flag: --output-watch-events\" not found", "--output-watch-events"));
	}

	current_case = "backoff_ms: exponential, capped, jittered within [step/2, step]";
	for (a = 2; a < 20; a++) {
		uint64_t step = 250;
		int k;

		for (k = 2; k < a && step < 8000; k++)
			step *= 2;
		if (step > 8000)
			step = 8000;
		CHECK(backoff_ms(a, 250, 8000, 0) == step / 2);
		CHECK(backoff_ms(a, 250, 8000, 0xffffffffu) <= step);
		CHECK(backoff_ms(a, 250, 8000, 12345) >= step / 2);
	}
	CHECK(backoff_ms(2, 250, 8000, 0) == 125);
	CHECK(backoff_ms(30, 250, 8000, 4000) == 8000);
}

/* --- objset: lists and watch events merged by resourceVersion ------------------------- */

static json_t *
pod(const char *name, const char *rv)
{
	return json_pack("{s:{s:s, s:s}}", "metadata", "name", name, "resourceVersion", rv);
}

static long
objset_count(const struct objset *s)
{
	return (long)json_object_size(s->objs);
}

static void
test_objset(void)
{
	struct objset s;
	json_t *a1 = pod("a", "10"), *a2 = pod("a", "12"), *b1 = pod("b", "11"), *list, *l;

	current_case = "objset: events, stale events, deletions";
	objset_init(&s);
	CHECK(objset_event(&s, "ADDED", a1) == 1);
	CHECK(objset_event(&s, "MODIFIED", a2) == 1);
	CHECK(objset_event(&s, "MODIFIED", a1) == 0);        /* older than what we have */
	CHECK(objset_event(&s, "ADDED", b1) == 1);
	CHECK_LONG(objset_count(&s), 2);
	CHECK(objset_event(&s, "DELETED", a2) == 1);
	CHECK(objset_event(&s, "ADDED", a1) == 0);           /* a late copy of a deleted pod */
	CHECK_LONG(objset_count(&s), 1);
	CHECK(s.maxrv == 12);
	CHECK(objset_event(&s, "BOOKMARK", b1) == 0);

	current_case = "objset: a list older than the events does not bring back a deleted pod";
	list = json_pack("{s:[O, O]}", "items", a1, b1);
	objset_list(&s, list, 0);
	CHECK_LONG(objset_count(&s), 1);
	CHECK(json_object_get(s.objs, "b") != NULL);
	CHECK(s.listed == 1);
	json_decref(list);

	current_case = "objset: a list drops what it lacks when it is newer";
	objset_clear(&s);
	objset_event(&s, "ADDED", a1);
	objset_event(&s, "ADDED", b1);
	list = json_pack("{s:[O]}", "items", b1);
	CHECK(objset_list(&s, list, 10) == 1);    /* started after a@10 was seen: a is gone */
	CHECK_LONG(objset_count(&s), 1);
	json_decref(list);

	current_case = "objset: an empty list started before an event keeps the newer object";
	objset_clear(&s);
	objset_event(&s, "ADDED", a2);
	list = json_pack("{s:[]}", "items");
	objset_list(&s, list, 5);                 /* the list started when maxrv was 5 */
	CHECK_LONG(objset_count(&s), 1);
	objset_list(&s, list, 12);                /* a later list without it: gone */
	CHECK_LONG(objset_count(&s), 0);
	json_decref(list);

	current_case = "objset: terminating objects (metadata.deletionTimestamp)";
	{
		json_t *t = json_pack("{s:{s:s, s:s, s:s}}", "metadata", "name", "c", "resourceVersion", "13",
				      "deletionTimestamp", "2026-12-01T10:00:30Z");
		json_t *n = json_pack("{s:{s:s, s:s, s:n}}", "metadata", "name", "d", "resourceVersion", "14",
				      "deletionTimestamp");

		objset_clear(&s);
		CHECK(objset_is_terminating(t) && !objset_is_terminating(a1) && !objset_is_terminating(n));
		CHECK(!objset_is_terminating(NULL));
		objset_event(&s, "MODIFIED", a1);
		objset_event(&s, "MODIFIED", n);
		CHECK_LONG(objset_count_terminating(&s), 0);
		/* a plain stream hands on a deleted pod as its last state: still counted */
		objset_event(&s, "MODIFIED", t);
		CHECK_LONG(objset_count_terminating(&s), 1);
		list = json_pack("{s:[O, O]}", "items", a1, n);
		objset_list(&s, list, 14);            /* listed after it was seen: gone */
		CHECK_LONG(objset_count_terminating(&s), 0);
		json_decref(list);
		json_decref(t);
		json_decref(n);
	}

	current_case = "objset: as a List document; a single object";
	objset_clear(&s);
	objset_list(&s, a2, 0);
	l = objset_as_list(&s);
	CHECK_LONG(json_array_size(json_object_get(l, "items")), 1);
	CHECK(objset_single(&s) != NULL);
	json_decref(l);

	objset_free(&s);
	json_decref(a1);
	json_decref(a2);
	json_decref(b1);
}

/* --- jsonstream: concatenated documents in arbitrary chunks ---------------------------- */

static void
test_jsonstream(void)
{
	const char *in = "{\n    \"type\": \"ADDED\",\n    \"object\": {\"n\": -3e2, \"s\": \"x\\u00e9\", \"t\": true}\n}\n"
			 "{\"type\":\"DELETED\",\"object\":{\"n\":null}}\n";
	size_t n = strlen(in), chunk;
	struct jsonstream js;
	json_t *doc;
	json_error_t je;

	for (chunk = 1; chunk <= n; chunk++) {
		size_t off = 0;
		int docs = 0, r = 0;

		current_case = "jsonstream: two documents fed in chunks of every size";
		jsonstream_init(&js);
		while (off < n) {
			size_t k = n - off < chunk ? n - off : chunk;

			jsonstream_feed(&js, in + off, k);
			off += k;
			while ((r = jsonstream_next(&js, &doc, &je)) == 1) {
				docs++;
				json_decref(doc);
			}
			CHECK(r == 0);
		}
		CHECK_LONG(docs, 2);
		CHECK(!jsonstream_pending(&js));
		jsonstream_free(&js);
	}

	current_case = "jsonstream: a chunk boundary inside a multi-byte UTF-8 character (found by fuzz_jsonstream)";
	jsonstream_init(&js);
	jsonstream_feed(&js, "{\"a\":\"\xc3", 7);
	CHECK(jsonstream_next(&js, &doc, &je) == 0);
	jsonstream_feed(&js, "\xa9\"}\n", 4);
	CHECK(jsonstream_next(&js, &doc, &je) == 1);
	CHECK_STR(json_string_value(json_object_get(doc, "a")), "\xc3\xa9");
	json_decref(doc);
	jsonstream_free(&js);

	current_case = "jsonstream: a cut document is pending at the end; garbage is an error with its position";
	jsonstream_init(&js);
	jsonstream_feed(&js, in, 20);
	CHECK(jsonstream_next(&js, &doc, &je) == 0);
	CHECK(jsonstream_pending(&js));
	jsonstream_free(&js);
	jsonstream_init(&js);
	jsonstream_feed(&js, "{\"a\":1}\n<html>502 Bad Gateway</html>\n", 37);
	CHECK(jsonstream_next(&js, &doc, &je) == 1);
	json_decref(doc);
	CHECK(jsonstream_next(&js, &doc, &je) == -1);
	CHECK(je.position >= 8);
	jsonstream_free(&js);
}

/* --- main ------------------------------------------------------------------------- */


/* --- the 2.10 -> 2.11 edits (edits.c) ------------------------------------------------- */

static json_t *
dc_doc(const char *text)
{
	json_error_t err;
	json_t *d = json_loads(text, 0, &err);

	if (!d)
		check(0, __FILE__, __LINE__, "inline dc parses", err.text);
	return d;
}

static void
test_edits(void)
{
	const struct dc_edit *hook = &procedure_edits_2_11[0], *env = &procedure_edits_2_11[1];
	const struct dc_edit *ann = &procedure_edits_2_11[3], *res = &procedure_edits_2_11[4];
	struct annotations_view av;
	char buf[1024];
	double q;
	json_t *d;

	/* quantities, in their base unit */
	CHECK(quantity_parse("500Mi", &q) && q == 500.0 * 1048576);
	CHECK(quantity_parse("0.5Gi", &q) && q == 512.0 * 1048576);
	CHECK(quantity_parse("100m", &q) && q > 0.0999 && q < 0.1001);
	CHECK(quantity_parse("2", &q) && q == 2.0);
	CHECK(quantity_parse("1e3", &q) && q == 1000.0);
	CHECK(quantity_parse("1E", &q) && q == 1e18);
	CHECK(quantity_parse("3G", &q) && q == 3e9);
	CHECK(quantity_parse("1Pi", &q) && q == 1125899906842624.0);
	CHECK(!quantity_parse("", &q));
	CHECK(!quantity_parse("Mi", &q));
	CHECK(!quantity_parse("5 Mi", &q));
	CHECK(!quantity_parse("-1", &q));
	CHECK(!quantity_parse("0x10", &q));
	CHECK(!quantity_parse("12Qi", &q));
	CHECK(!quantity_parse(NULL, &q));

	/* backend-cron's resources: the guide's "unless" */
	CHECK_STR(res->key, "backend-cron");
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"backend-cron\", \"resources\": "
		   "{\"limits\": {\"cpu\": \"150m\", \"memory\": \"150Mi\"}, \"requests\": {\"cpu\": \"50m\", \"memory\": \"40Mi\"}}}]}}}}");
	CHECK(resources_assess(d, res) == RES_CHANGE);
	json_decref(d);
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"backend-cron\", \"resources\": "
		   "{\"limits\": {\"cpu\": \"0.5\", \"memory\": \"500Mi\"}, \"requests\": {\"cpu\": \"100m\", \"memory\": \"100Mi\"}}}]}}}}");
	CHECK(resources_assess(d, res) == RES_DONE);
	json_decref(d);
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"backend-cron\", \"resources\": "
		   "{\"limits\": {\"cpu\": \"100m\"}}}]}}}}");
	CHECK(resources_assess(d, res) == RES_NO_LIMIT);
	json_decref(d);
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"backend-cron\", \"resources\": "
		   "{\"limits\": {\"memory\": \"1Gi\"}}}]}}}}");
	CHECK(resources_assess(d, res) == RES_HIGHER);
	CHECK_STR(resources_memory_limit(d, "backend-cron"), "1Gi");
	json_decref(d);
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"other\"}]}}}}");
	CHECK(resources_assess(d, res) == RES_NO_CONTAINER);
	json_decref(d);
	CHECK(procedure_resources_patch(res, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"backend-cron\",\"resources\":{\"limits\":"
		  "{\"memory\":\"500Mi\", \"cpu\": \"500m\"}, \"requests\":{\"memory\":\"100Mi\", \"cpu\": \"100m\"}}}]}}}}");

	/* the pre hook's entry, found by name, tested as read */
	d = dc_doc("{\"spec\": {\"strategy\": {\"rollingParams\": {\"pre\": {\"execNewPod\": {\"env\": [{\"name\": \"A\", "
		   "\"value\": \"1\"}, {\"name\": \"BACKEND_ROUTE\", \"valueFrom\": {\"secretKeyRef\": {\"name\": \"b\", "
		   "\"key\": \"k\"}}}]}}}}}}");
	CHECK_LONG(hook_env_index(d, "BACKEND_ROUTE"), 1);
	CHECK_LONG(hook_env_index(d, "NONE"), -1);
	CHECK(!hook_env_done(d, hook));
	CHECK(hook_env_patch(d, hook, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "[{\"op\": \"test\", \"path\": \"/spec/strategy/rollingParams/pre/execNewPod/env/1\", \"value\": "
		  "{\"name\": \"BACKEND_ROUTE\", \"valueFrom\": {\"secretKeyRef\": {\"key\": \"k\", \"name\": \"b\"}}}}, "
		  "{\"op\": \"replace\", \"path\": \"/spec/strategy/rollingParams/pre/execNewPod/env/1\", \"value\": "
		  "{\"name\": \"BACKEND_ROUTE\", \"value\": \"http://backend-listener:3000/internal/\"}}]");
	CHECK(hook_env_patch(d, hook, buf, 40) == -1);
	json_decref(d);
	d = dc_doc("{\"spec\": {\"strategy\": {\"rollingParams\": {\"pre\": {\"execNewPod\": {\"env\": [{\"name\": "
		   "\"BACKEND_ROUTE\", \"value\": \"http://backend-listener:3000/internal/\"}]}}}}}}");
	CHECK(hook_env_done(d, hook));
	json_decref(d);
	d = dc_doc("{\"spec\": {\"strategy\": {\"type\": \"Rolling\"}}}");
	CHECK(hook_env_patch(d, hook, buf, sizeof(buf)) == -1);
	CHECK(!hook_env_done(d, hook));
	json_decref(d);
	CHECK(hook_env_patch(NULL, hook, buf, sizeof(buf)) > 0);
	CHECK_HAS(buf, "/execNewPod/env/3\", \"value\": {\"name\": \"BACKEND_ROUTE\", \"valueFrom\": {\"secretKeyRef\": "
		  "{\"key\": \"route_endpoint\", \"name\": \"backend-listener\"}}}}");

	/* oc set env: every container (init containers aside) has the literal */
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"initContainers\": [{\"name\": \"i\"}], \"containers\": ["
		   "{\"name\": \"a\", \"env\": [{\"name\": \"BACKEND_ROUTE\", \"value\": \"http://backend-listener:3000/internal/\"}]}, "
		   "{\"name\": \"b\", \"env\": [{\"name\": \"BACKEND_ROUTE\", \"valueFrom\": {}}]}]}}}}");
	CHECK(!env_done(d, env));
	json_array_remove(json_object_get(json_object_get(json_object_get(json_object_get(d, "spec"), "template"), "spec"),
					  "containers"), 1);
	CHECK(env_done(d, env));
	json_decref(d);

	/* zync's annotations: on the dc, on the pod template */
	d = dc_doc("{\"metadata\": {\"annotations\": {\"prometheus.io/port\": \"9999\", \"prometheus.io/scrape\": \"true\", "
		   "\"x\": \"y\"}}, \"spec\": {\"template\": {\"metadata\": {}}}}");
	annotations_assess(d, ann, &av);
	CHECK_LONG(av.on_dc, 3);
	CHECK(!av.on_template && !av.template_any);
	CHECK(annotations_patch(d, ann, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"prometheus.io/port\":\"9999\","
		  "\"prometheus.io/scrape\":\"true\"}}}}}");
	json_decref(d);
	d = dc_doc("{\"metadata\": {\"annotations\": {\"prometheus.io/port\": \"9393\"}}, \"spec\": {\"template\": "
		   "{\"metadata\": {\"annotations\": {\"prometheus.io/port\": \"9393\", \"prometheus.io/scrape\": \"true\"}}}}}");
	annotations_assess(d, ann, &av);
	CHECK_LONG(av.on_dc, 2);  /* prometheus.io/port, the second key of the guide's removals */
	CHECK(av.on_template && av.template_any);
	json_decref(d);
	d = dc_doc("{\"metadata\": {}, \"spec\": {\"template\": {\"metadata\": {}}}}");
	annotations_assess(d, ann, &av);
	CHECK_LONG(av.on_dc, 0);
	CHECK(av.on_template && !av.template_any);
	json_decref(d);
	CHECK(annotations_patch(NULL, ann, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"prometheus.io/port\":\"9393\","
		  "\"prometheus.io/scrape\":\"true\"}}}}}");

	/* the redis command */
	d = dc_doc("{\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"backend-redis\", \"command\": "
		   "[\"/opt/rh/rh-redis5/root/usr/bin/redis-server\"]}]}}}}");
	CHECK(container_command_is(d, "backend-redis", "/opt/rh/rh-redis5/root/usr/bin/redis-server"));
	CHECK(!container_command_is(d, "backend-redis", "/opt/rh/rh-redis32/root/usr/bin/redis-server"));
	CHECK(!container_command_is(d, "system-redis", "/opt/rh/rh-redis5/root/usr/bin/redis-server"));
	json_decref(d);
}

static void
test_plan_2_11(void)
{
	struct plan p;
	struct args cmds[4];
	char buf[2048];
	int i, n, redis = -1;

	plan_build(&p, "2.10", "2.11", DB_OTHER, NULL, NULL, NULL, NULL);
	CHECK_STR(p.steps[0].id, "backup");
	CHECK_STR(p.steps[1].id, "release");
	CHECK_STR(p.steps[2].id, "hook-env/system-app");
	CHECK_STR(p.steps[3].id, "env/system-app");
	CHECK_STR(p.steps[4].id, "env/system-sidekiq");
	CHECK_STR(p.steps[5].id, "annotations/zync");
	CHECK_STR(p.steps[6].id, "resources/backend-cron");
	CHECK_STR(p.steps[7].id, "tag/amp-system");
	CHECK(p.steps[3].kind == STEP_EDIT && p.steps[2].kind == STEP_HOOK_ENV);
	n = plan_step_commands(&p, &p.steps[5], "oc", "3scale", cmds, 4);
	CHECK_LONG(n, 3);
	args_shell(&cmds[1], buf, sizeof(buf));
	CHECK_STR(buf, "oc annotate dc zync prometheus.io/scrape- -n 3scale");
	args_shell(&cmds[2], buf, sizeof(buf));
	CHECK_STR(buf, "oc annotate dc zync prometheus.io/port- -n 3scale");
	p.steps[5].skip = SKIP_PATCH | SKIP_KEY(0);
	CHECK_LONG(plan_step_commands(&p, &p.steps[5], "oc", "3scale", cmds, 4), 1);
	args_shell(&cmds[0], buf, sizeof(buf));
	CHECK_STR(buf, "oc annotate dc zync prometheus.io/port- -n 3scale");
	n = plan_step_commands(&p, &p.steps[3], "oc", NULL, cmds, 4);
	CHECK_LONG(n, 1);
	args_shell(&cmds[0], buf, sizeof(buf));
	CHECK_STR(buf, "oc set env dc/system-app BACKEND_ROUTE=http://backend-listener:3000/internal/");
	for (i = 0; i < p.nsteps; i++)
		if (strcmp(p.steps[i].id, "dc/backend-redis") == 0)
			redis = i;
	CHECK(redis > 0);
	if (redis > 0) {
		CHECK_LONG(plan_step_commands(&p, &p.steps[redis], "oc", NULL, cmds, 4), 3);
		args_shell(&cmds[1], buf, sizeof(buf));
		CHECK_HAS(buf, "oc patch dc backend-redis --patch '{\"spec\":{\"template\":{\"spec\":{\"containers\":"
			  "[{\"name\":\"backend-redis\",\"command\":[\"/opt/rh/rh-redis5/root/usr/bin/redis-server\"]}]}}}}'");
		p.steps[redis].skip = SKIP_REMOVE | SKIP_COMMAND;
		CHECK_LONG(plan_step_commands(&p, &p.steps[redis], "oc", NULL, cmds, 4), 1);
	}
	/* --only leaves the edits out; their names are --only names of their own */
	plan_build(&p, "2.10", "2.11", DB_OTHER, "system", NULL, NULL, NULL);
	for (i = 0; i < p.nsteps; i++)
		CHECK(p.steps[i].kind != STEP_EDIT && p.steps[i].kind != STEP_HOOK_ENV);
	plan_build(&p, "2.10", "2.11", DB_OTHER, "zync-annotations", NULL, NULL, NULL);
	CHECK_LONG(p.nsteps, 1);
	CHECK_STR(p.steps[0].id, "annotations/zync");
	CHECK(plan_section_name("backend-route") && plan_section_name("backend-cron"));
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		fixtures_dir = argv[1];

	test_rollout_assess();
	test_rollout_assess_rc_not_listed();
	test_rollout_assess_failed_before_dc_reports();
	test_rollout_assess_dc_older_than_rcs();
	test_rollout_assess_cancelled_for_newer();
	test_tag_assess();
	test_database();
	test_release();
	test_trigger_assess();
	test_dc_missing_container();
	test_dc_runs_digest();
	test_dc_replicas();
	test_procedure();
	test_plan_build();
	test_plan_present();
	test_plan_parallel();
	test_plan_2_9();
	test_plan_2_11();
	test_edits();
	test_plan_step_commands();
	test_parse_duration();
	test_fmt_duration();
	test_is_dns1123_label();
	test_is_version();
	test_shell_quote_append();
	test_options_parse();
	test_ocerror();
	test_objset();
	test_jsonstream();

	fixtures_free();
	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed ? 1 : 0;
}
