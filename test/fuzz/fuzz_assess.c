/*
 * fuzz_assess.c - libFuzzer target for the pure decisions of src/assess.c.
 *
 * Input: 4 header bytes, then pieces separated by NUL bytes:
 *
 *   h0  bit 0: expect_new; bits 1-4: the baseline (from the dc's latestVersion, or an
 *       odd value: 0, -1, LONG_MIN, LONG_MAX, ...)
 *   h1  low nibble: the old tag, high nibble: the new tag (a table of odd tags, or a piece)
 *   h2  low nibble: --from, high nibble: --to (same table)
 *   h3  bits 0-3: the container list (the documented ones, odd ones, or a piece);
 *       bits 4-6: the size of the buffers for why/missing; bit 7: the digest for
 *       dc_runs_digest comes from tag_assess (else from a piece)
 *   piece 0 dc, 1 rcs (List), 2 pods (List), 3 imagestream, 4 and 5 two more dcs,
 *   6 a tag, 7 a container list, 8 a digest (raw strings)
 *
 * A piece that is not JSON is passed as NULL; JSON of any type is passed as is.
 * Every function of assess.h is called; invariants of the views are checked and a
 * violation aborts.
 */
#include "assess.h"
#include "plan.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPIECES 9

#define FAIL(...)                                                                  \
	do {                                                                       \
		fprintf(stderr, "fuzz_assess: invariant violated (line %d): ", __LINE__); \
		fprintf(stderr, __VA_ARGS__);                                      \
		fputc('\n', stderr);                                               \
		abort();                                                           \
	} while (0)
#define ASSERT(e)                                   \
	do {                                        \
		if (!(e))                           \
			FAIL("%s", #e);             \
	} while (0)

/* a char array of a view is NUL-terminated within its size */
#define TERMINATED(arr) ASSERT(memchr((arr), '\0', sizeof(arr)) != NULL)

static char long_name[300];
/* the input has "(null)" itself: then a message may quote it */
static int input_has_null;

/* tags, versions and container lists worth trying; NULL means "the piece" */
static const char *const tags[16] = {
	"2.9", "2.10", "2.9-oracle", "2.10-oracle", "", "amp-system", "2.9-oracle-oracle",
	"-oracle", ",", "2", "2.1", "2.10 ", "latest", long_name, "2.9,2.10", NULL,
};
static const char *const container_lists[16] = {
	"system-master,system-developer,system-provider",
	"system-sidekiq,check-svc",
	"system-sphinx,system-master-svc",
	"", ",", ",,", "system-master,,system-provider", "system-master,system-master",
	"system-master,", ",system-master", "x", long_name,
	"system-provider,system-developer,system-master", "system-sidekiq",
	"check-svc,check-svc,system-sidekiq", NULL,
};
/* image streams: the ones of the procedure, and odd ones; NULL means "the piece" */
static const char *const streams[8] = {
	"amp-system", "amp-apicast", "amp-backend", "", "amp-system ", "2.9", long_name, NULL,
};
static const size_t buf_sizes[8] = { 1, 2, 8, 16, 64, 200, 256, 1024 };

static const char *
pick_n(const char *const *table, unsigned n, unsigned i, const char *piece)
{
	const char *s = table[i % n];

	return s ? s : piece;
}

static const char *
pick(const char *const table[16], unsigned i, const char *piece)
{
	return pick_n(table, 16, i, piece);
}

static long
sat_add(long a, long b)
{
	long r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? LONG_MAX : LONG_MIN;
	return r;
}

static long
pick_baseline(unsigned sel, const json_t *dc)
{
	long latest = 0;
	const json_t *v = json_object_get(json_object_get(dc, "status"), "latestVersion");

	if (json_is_integer(v))
		latest = (long)json_integer_value(v);
	switch (sel & 15) {
	case 0: return latest;
	case 1: return sat_add(latest, -1);
	case 2: return sat_add(latest, 1);
	case 3: return 0;
	case 4: return -1;
	case 5: return LONG_MIN;
	case 6: return LONG_MAX;
	case 7: return LONG_MAX - 1;
	case 8: return 1;
	case 9: return 2;
	case 10: return 3;
	case 11: return INT_MAX;
	case 12: return INT_MIN;
	default: return latest;
	}
}

static int
is_db(int db)
{
	return db == DB_AUTO || db == DB_OTHER || db == DB_ORACLE;
}

/* a message buffer of exactly n bytes, so that AddressSanitizer sees any overflow */
static char *
msgbuf(size_t n)
{
	char *b = malloc(n);

	if (!b)
		abort();
	memset(b, 'X', n);
	return b;
}

static void
check_message(const char *buf, size_t n, const char *what)
{
	if (!memchr(buf, '\0', n))
		FAIL("%s is not NUL-terminated", what);
	/* a NULL passed for %s would print "(null)" (undefined behaviour in C) */
	if (!input_has_null && strstr(buf, "(null)"))
		FAIL("%s has \"(null)\": %s", what, buf);
}

static void
check_tag(const json_t *is, const char *tag)
{
	struct tag_view v;
	int r;

	memset(&v, 0xa5, sizeof(v));
	r = tag_assess(is, tag, &v);
	ASSERT(r == 0 || r == -1);
	ASSERT((r == -1) == !json_is_object(is));
	ASSERT(v.state == TAG_ABSENT || v.state == TAG_PENDING || v.state == TAG_IMPORTED ||
	       v.state == TAG_FAILED);
	ASSERT(v.in_spec == 0 || v.in_spec == 1);
	TERMINATED(v.from_kind);
	TERMINATED(v.from_name);
	TERMINATED(v.digest);
	TERMINATED(v.reference);
	TERMINATED(v.reason);
	TERMINATED(v.message);
	if (!v.in_spec) {
		ASSERT(v.from_kind[0] == '\0' && v.from_name[0] == '\0' && v.generation == 0);
		ASSERT(v.state != TAG_PENDING && v.state != TAG_FAILED);
	}
	if (v.state != TAG_IMPORTED)
		ASSERT(v.digest[0] == '\0' && v.reference[0] == '\0');
	if (v.state != TAG_FAILED)
		ASSERT(v.reason[0] == '\0' && v.message[0] == '\0');
	if (r == -1)
		ASSERT(v.state == TAG_ABSENT && !v.in_spec);
}

static void
check_triggers(const json_t *dc, const char *is, const char *old_tag, const char *new_tag,
	       const char *containers)
{
	struct trigger_view v;

	memset(&v, 0xa5, sizeof(v));
	trigger_assess(dc, is, old_tag, new_tag, containers, &v);
	ASSERT(v.image_triggers >= 0);
	ASSERT(v.has_old == 0 || v.has_old == 1);
	ASSERT(v.has_new == 0 || v.has_new == 1);
	ASSERT(v.new_containers_ok == 0 || v.new_containers_ok == 1);
	ASSERT(!v.new_containers_ok || v.has_new);
	if (strcmp(old_tag, new_tag) == 0)
		ASSERT(v.has_old == v.has_new);
	else
		ASSERT(v.image_triggers >= v.has_old + v.has_new);
}

static void
check_database(const json_t *const dcs[3], const char *is, const char *from, const char *to, size_t n)
{
	char *why = msgbuf(n);
	int each[3], all, i, want = DB_AUTO, failed = 0;

	for (i = 0; i < 3; i++) {
		memset(why, 'X', n);
		each[i] = dc_database(dcs[i], is, from, to, why, n);
		ASSERT(each[i] == -1 || is_db(each[i]));
		if (each[i] == -1) {
			check_message(why, n, "dc_database's why");
			failed = 1;
		}
	}
	memset(why, 'X', n);
	all = detect_database(dcs, 3, is, from, to, why, n);
	ASSERT(all == -1 || is_db(all));
	if (all == -1)
		check_message(why, n, "detect_database's why");
	/* the combination: -1 if one fails or two disagree, else the one that is not auto */
	for (i = 0; i < 3 && !failed; i++) {
		if (each[i] == DB_AUTO)
			continue;
		if (want != DB_AUTO && want != each[i])
			failed = 1;
		want = each[i];
	}
	if (failed)
		ASSERT(all == -1);
	else if (all != want)
		FAIL("detect_database %d, the dcs say %d %d %d", all, each[0], each[1], each[2]);
	/* no dc at all: auto */
	ASSERT(detect_database(dcs, 0, is, from, to, why, n) == DB_AUTO);
	free(why);
}

static void
check_containers(const json_t *dc, const char *containers, const char *digest, size_t n)
{
	char *missing = msgbuf(n);
	int r;
	long rep;

	r = dc_missing_container(dc, containers, missing, n);
	ASSERT(r == 0 || r == 1);
	if (r == 1)
		ASSERT(memchr(missing, '\0', n) != NULL);
	r = dc_runs_digest(dc, containers, digest);
	ASSERT(r == 0 || r == 1);
	if (!digest || !*digest)
		ASSERT(r == 0);
	ASSERT(dc_runs_digest(dc, containers, NULL) == 0);
	ASSERT(dc_runs_digest(dc, containers, "") == 0);
	(void)dc_replicas(dc);
	rep = dc_recorded_replicas(dc);
	ASSERT(rep == -1 || (rep >= 0 && rep <= 100000));
	free(missing);
}

static void
check_rollout(const json_t *dc, const json_t *rcs, const json_t *pods, long baseline, int expect_new)
{
	struct rollout_view v;

	memset(&v, 0xa5, sizeof(v));
	rollout_assess(dc, rcs, pods, baseline, expect_new, &v);
	ASSERT(v.state == ROLLOUT_PROGRESSING || v.state == ROLLOUT_DONE || v.state == ROLLOUT_FAILED);
	TERMINATED(v.rc);
	TERMINATED(v.phase);
	TERMINATED(v.reason);
	TERMINATED(v.message);
	TERMINATED(v.log_pod);
	TERMINATED(v.hook_pod);
	TERMINATED(v.waiting);
	ASSERT(v.ready_new >= 0 && v.live_new >= 0 && v.old_pods >= 0 && v.terminating >= 0);
	ASSERT(v.ready_new <= v.live_new);
	/* progressing always says what it waits for; done and failed never do */
	if (v.state == ROLLOUT_PROGRESSING)
		ASSERT(v.waiting[0] != '\0');
	else
		ASSERT(v.waiting[0] == '\0');
	if (v.state == ROLLOUT_FAILED)
		ASSERT(v.reason[0] != '\0' && v.message[0] != '\0');
	if (v.state == ROLLOUT_DONE) {
		ASSERT(v.latest > 0 && (!expect_new || v.latest > baseline));
		ASSERT(strcmp(v.phase, "Complete") == 0);
		ASSERT(v.ready_new >= v.desired && v.live_new <= v.desired);
		ASSERT(v.old_pods == 0 && v.terminating == 0);
		ASSERT(v.message[0] == '\0');
	}
	if (!input_has_null && (strstr(v.message, "(null)") || strstr(v.waiting, "(null)")))
		FAIL("rollout_assess printed \"(null)\": %s / %s", v.message, v.waiting);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	const char *piece[NPIECES];
	json_t *doc[6];
	const json_t *dcs[3];
	uint8_t h[4];
	size_t i, k, start;
	const char *old_tag, *new_tag, *from, *to, *containers, *digest, *is;
	const struct section *sys = &procedure_2_10[0];
	size_t n;
	struct tag_view tv;

	if (!long_name[0]) {
		memset(long_name, 'a', sizeof(long_name) - 1);
		long_name[150] = ',';
	}
	if (size < 4)
		return 0;
	input_has_null = 0;
	for (i = 0; i + 6 <= size && !input_has_null; i++)
		input_has_null = memcmp(data + i, "(null)", 6) == 0;
	memcpy(h, data, 4);
	data += 4;
	size -= 4;

	/* NUL-terminated pieces: a copy with the separators as terminators */
	copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (k = 0; k < NPIECES; k++)
		piece[k] = "";
	for (i = 0, k = 0, start = 0; i <= size && k < NPIECES; i++) {
		if (i == size || copy[i] == '\0') {
			piece[k++] = copy + start;
			start = i + 1;
		}
	}
	for (k = 0; k < 6; k++)
		doc[k] = json_loads(piece[k], JSON_DECODE_ANY, NULL);

	old_tag = pick(tags, h[1], piece[6]);
	new_tag = pick(tags, h[1] >> 4, piece[6]);
	from = pick(tags, h[2], piece[6]);
	to = pick(tags, h[2] >> 4, piece[6]);
	containers = pick(container_lists, h[3], piece[7]);
	n = buf_sizes[(h[3] >> 4) & 7];
	is = pick_n(streams, 8, h[0] >> 5, piece[6]);

	/* image stream: the tags the engine asks about, and the odd ones */
	check_tag(doc[3], new_tag);
	check_tag(doc[3], old_tag);
	check_tag(doc[3], to);
	check_tag(doc[0], new_tag);
	tag_assess(doc[3], new_tag, &tv);
	digest = h[3] & 0x80 ? tv.digest : piece[8];

	/* triggers and containers of every dc */
	dcs[0] = doc[0];
	dcs[1] = doc[4];
	dcs[2] = doc[5];
	for (k = 0; k < 3; k++) {
		check_triggers(dcs[k], is, old_tag, new_tag, containers);
		check_triggers(dcs[k], sys->imagestream, new_tag, old_tag, sys->dcs[k].containers);
		check_containers(dcs[k], containers, digest, n);
		check_containers(dcs[k], sys->dcs[k].containers, digest, 128);
	}
	check_database(dcs, is, from, to, n);
	check_database(dcs, sys->imagestream, "2.9", "2.10", 256);

	/* the rollout, as the engine asks it, and with odd baselines */
	check_rollout(doc[0], doc[1], doc[2], pick_baseline(h[0] >> 1, doc[0]), h[0] & 1);
	check_rollout(doc[0], doc[1], doc[2], 0, 0);
	check_rollout(doc[4], doc[1], doc[2], pick_baseline(h[0] >> 1, doc[4]), 1);

	for (k = 0; k < 6; k++)
		json_decref(doc[k]);
	free(copy);
	return 0;
}
