/* objstep.c - the steps that change one object (the version number, a secret's key, an old
 * tag, the pre hook's env): decide from the object as read, change it, read it back. After
 * a change that failed in a way that may have passed, the object is read again and the step
 * decides again: a change is never repeated blindly. Each step kind gives its reads and
 * decisions as a struct objstep (engine_int.h). */
#include "engine_int.h"
#include "report.h"

#include <stdio.h>

/* read the step's object, then next(b) */
static void
obj_read(struct engine *e, batch_fn next)
{
	char what[160];

	e->obj->what(e, what, sizeof(what));
	read_one(e, e->obj->parse, what, next);
}

/* the object as the batch read it (kept by the step kind when it keeps it) */
static const json_t *
obj_doc(struct engine *e, struct batch *b)
{
	json_t **kept = e->obj->kept ? e->obj->kept(e) : NULL;

	if (!kept)
		return b->slots[0].doc;
	json_decref(*kept);
	*kept = batch_take(b, 0);
	return *kept;
}

/* after the change: the object read back must show it done */
static void
obj_checked(struct batch *b)
{
	struct engine *e = b->e;
	const json_t *doc = obj_doc(e, b);
	char skipped[256], done[256];

	if (e->obj->done(e, doc, skipped, sizeof(skipped), done, sizeof(done))) {
		step_end(e, STEP_DONE, "%s", done);
		return;
	}
	e->obj->unchanged(e, doc);
	stop(e, 1);
}

static void
obj_check(struct engine *e)
{
	obj_read(e, obj_checked);
}

static void obj_decide(struct engine *e, const json_t *doc);

static void
obj_redecided(struct batch *b)
{
	obj_decide(b->e, obj_doc(b->e, b));
}

static void
obj_redo(struct engine *e)
{
	obj_read(e, obj_redecided);
}

/* done already (after a failed change: done by it), or change it */
static void
obj_decide(struct engine *e, const json_t *doc)
{
	struct step *s = &e->plan.steps[e->step];
	char skipped[256], done[256];

	if (e->obj->done(e, doc, skipped, sizeof(skipped), done, sizeof(done))) {
		if (e->attempts > 0)
			step_end(e, STEP_DONE, "%s", done);
		else
			step_end(e, STEP_SKIPPED, "%s", skipped);
		return;
	}
	if (e->obj->prepare && e->obj->prepare(e, doc) < 0) {
		stop(e, 1);
		return;
	}
	s->skip = 0;
	e->nqueue = plan_step_commands(&e->plan, s, e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, obj_check, obj_redo);
}

static void
obj_first(struct batch *b)
{
	obj_decide(b->e, obj_doc(b->e, b));
}

void
objstep_start(struct engine *e, const struct objstep *ops)
{
	e->obj = ops;
	if (ops->kept)
		obj_decide(e, *ops->kept(e));  /* read by the preflight */
	else
		obj_read(e, obj_first);
}
