/* tagstep.c - the tag steps (add a section's tag <to> with the guide's patch unless it is
 * there) and the import steps (watch the image stream until the tag has an image) */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the tag step: add tag <to> with the guide's patch unless it is there */
static void tag_reread(struct engine *e);

/* the section of the current step, and what the run knows of it */
static const struct section *
cur_section(const struct engine *e)
{
	return e->plan.sections[e->plan.steps[e->step].section].sec;
}

static struct secstate *
cur_state(struct engine *e)
{
	return &e->secs[e->plan.steps[e->step].section];
}

static void
tag_added(struct engine *e)
{
	cur_state(e)->tag_added = 1;
	step_end(e, STEP_DONE, NULL);
}

static void
tag_decide(struct engine *e)
{
	const struct section *sec = cur_section(e);
	struct secstate *ss = cur_state(e);

	if (ss->tag.in_spec && strcmp(ss->tag.from_name, sec->image) == 0) {
		if (e->attempts > 0) {
			/* our patch took effect although oc reported a failure */
			ss->tag_added = 1;
			step_end(e, STEP_DONE, "read back: tag %s is there, from %s", e->plan.to, sec->image);
		} else
			step_end(e, STEP_SKIPPED, "tag %s is already there, from %s", e->plan.to, sec->image);
		return;
	}
	e->nqueue = plan_step_commands(&e->plan, &e->plan.steps[e->step], e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, tag_added, tag_reread);
}

static void
tag_read(struct batch *b)
{
	struct engine *e = b->e;

	if (tag_assess(b->slots[0].doc, e->plan.to, &cur_state(e)->tag) < 0) {
		report_error("imagestream/%s is not an object", cur_section(e)->imagestream);
		stop(e, 1);
		return;
	}
	tag_decide(e);
}

static void
tag_reread(struct engine *e)
{
	char what[96];

	snprintf(what, sizeof(what), "imagestream/%s", cur_section(e)->imagestream);
	read_one(e, READ_JSON, what, tag_read);
}

void
tag_step(struct engine *e)
{
	if (e->tag_reread)
		tag_reread(e);
	else
		tag_decide(e);
}

/* the import step: watch the image stream until tag <to> has an image for its generation */
static void import_watch_start(struct engine *e);

/* the digest the new trigger of section i resolves to, from its tag <to> (the Oracle
 * system image is the one built, read by the preflight) */
static void
take_digest(struct engine *e, int i, const struct tag_view *tv)
{
	if (e->plan.db != DB_ORACLE || i != e->plan.sys)
		strlcopy(e->secs[i].digest, tv->digest, sizeof(e->secs[i].digest));
}

static void
import_failed(struct engine *e, const struct tag_view *tv)
{
	const char *is = cur_section(e)->imagestream;

	report_error("the import of %s:%s failed (%s): %s", is, e->plan.to,
		     tv->reason[0] ? tv->reason : "unknown reason", tv->message);
	report_hint("no trigger was changed. The usual cause is missing registry.redhat.io credentials: check the "
		    "secret threescale-registry-auth in %s, then re-import with: oc import-image %s:%s -n %s",
		    e->ns, is, e->plan.to, e->ns);
	stop(e, 1);
}

static void
import_stop_watch(struct engine *e)
{
	if (e->iswatch) {
		e->iswatch->data = NULL;
		watch_stop(e->iswatch);
		e->iswatch = NULL;
	}
}

static void
on_is_event(struct watch *wt, const char *type, const json_t *obj)
{
	struct engine *e = wt->data;
	struct tag_view tv;
	const char *is;

	if (!e || e->finished || strcmp(type, "DELETED") == 0 || tag_assess(obj, e->plan.to, &tv) < 0)
		return;
	if (!wt->plain)
		e->watch_known = 1;  /* --output-watch-events works */
	e->attempts = 0;  /* a watch that delivers is healthy */
	switch (tv.state) {
	case TAG_IMPORTED:
		import_stop_watch(e);
		cur_state(e)->tag = tv;
		take_digest(e, e->plan.steps[e->step].section, &tv);
		step_end(e, STEP_DONE, "imported %s", tv.reference);
		return;
	case TAG_FAILED:
		import_stop_watch(e);
		import_failed(e, &tv);
		return;
	case TAG_ABSENT:
		/* it was added before this wait began: someone removed it since */
		import_stop_watch(e);
		is = cur_section(e)->imagestream;
		report_error("image stream tag %s:%s is gone from the image stream while waiting for its "
			     "import", is, e->plan.to);
		report_hint("check who changed imagestream/%s (oc get imagestream/%s -n %s -o "
			    "json); re-running adds the tag again", is, is, e->ns);
		stop(e, 1);
		return;
	default:
		progress(e, "waiting for the image import");
	}
}

static void
on_is_end(struct watch *wt, struct proc_result *r)
{
	struct engine *e = wt->data;
	int64_t delay;

	report_command_end(&wt->cmd, 0, oc_status(r), r->timed_out, r->elapsed_ms);
	if (e && !e->finished && e->iswatch == wt) {
		e->iswatch = NULL;
		delay = watch_ended(e, wt, r, &e->attempts);
		if (delay >= 0)
			schedule(e, (uint64_t)delay, import_watch_start);
	}
	free(wt);
}

static void
import_watch_start(struct engine *e)
{
	struct watch *wt = xmalloc(sizeof(*wt));
	char what[96];

	memset(wt, 0, sizeof(*wt));
	snprintf(what, sizeof(what), "imagestream/%s", cur_section(e)->imagestream);
	cmd_get(&wt->cmd, e->o->oc, e->ns, what, NULL);
	wt->plain = e->plain_watch;
	watch_args(wt);
	wt->on_event = on_is_event;
	wt->on_end = on_is_end;
	wt->data = e;
	e->iswatch = wt;
	watch_start(&e->loop, wt, e->o->call_timeout_ms);
}

/* every section's tag from one list of the image streams: the imports that are over
 * need no watch */
static void
imports_listed(struct batch *b)
{
	struct engine *e = b->e;
	int i;

	for (i = 0; i < e->plan.nsections; i++) {
		struct secstate *ss = &e->secs[i];
		const json_t *is = list_item(b->slots[0].doc, PLAN_IS(&e->plan, i));

		if (!e->plan.sections[i].in_run || !e->plan.sections[i].present || !is ||
		    tag_assess(is, e->plan.to, &ss->tag) < 0)
			continue;
		ss->listed = 1;
		if (ss->tag.state == TAG_IMPORTED)
			take_digest(e, i, &ss->tag);
	}
	/* not in the list (gone since the preflight): its watch says so */
	cur_state(e)->listed = 1;
	import_step(e);
}

void
import_step(struct engine *e)
{
	char what[96];
	struct secstate *ss = cur_state(e);

	if (ss->tag.state == TAG_IMPORTED && (!ss->tag_added || ss->listed)) {
		step_end(e, ss->tag_added ? STEP_DONE : STEP_SKIPPED, "imported %s", ss->tag.reference);
		return;
	}
	if (ss->tag.state == TAG_FAILED && (!ss->tag_added || ss->listed)) {
		import_failed(e, &ss->tag);
		return;
	}
	if (!ss->listed) {
		/* one list tells every import that is over since the tags were added */
		read_one(e, READ_JSON, "imagestream", imports_listed);
		return;
	}
	snprintf(what, sizeof(what), "the import of %s:%s", cur_section(e)->imagestream, e->plan.to);
	wait_begin(e, what);
	e->attempts = 0;
	/* a watch of one object starts with the object itself: no list call needed */
	import_watch_start(e);
	pre_start(e, e->step + 1);
}
