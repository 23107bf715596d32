/* preflight.c - the reads and checks before anything changes, and what plan shows from them */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <string.h>

/* --- preflight ------------------------------------------------------------------------- */

static void
start_run(struct engine *e)
{
	if (!e->o->yes) {
		report_plan(&e->plan, e->o->oc, e->ns, e->detected);
		if (!confirm(e, "apply these changes")) {
			report_error("not confirmed: nothing was changed");
			stop(e, 3);
			return;
		}
		/* the image stream may have changed while the prompt waited */
		e->tag_reread = 1;
	}
	e->preflight = 0;
	signals_start(e);
	report_begin("run", e->ns, &e->plan, e->detected);
	e->step = 0;
	step_next(e);
}

/* for `plan`: leave out what the cluster state makes needless, as `run` would */
static void
plan_mark_done(struct engine *e)
{
	int i;

	for (i = 0; i < e->plan.nsteps; i++) {
		struct step *s = &e->plan.steps[i];
		struct trigger_view tv;

		switch (s->kind) {
		case STEP_TAG:
			if (e->tag.in_spec) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, "already there", sizeof(s->note));
			}
			break;
		case STEP_IMPORT:
			if (e->tag.state == TAG_IMPORTED)
				strlcopy(s->note, "already imported", sizeof(s->note));
			break;
		case STEP_DC:
			trigger_assess(e->dcs[s->dc], e->plan.old_tag, e->plan.new_tag, system_dcs[s->dc].containers, &tv);
			s->skip = (tv.has_old ? 0 : SKIP_REMOVE) | (tv.has_new && tv.new_containers_ok ? SKIP_ADD : 0);
			if (s->skip == (SKIP_REMOVE | SKIP_ADD))
				strlcopy(s->note, "trigger already moved: run only checks the rollout", sizeof(s->note));
			else if (s->skip)
				strlcopy(s->note, "partly done", sizeof(s->note));
			break;
		default:
			break;
		}
	}
}

static void
preflight_read(struct batch *b)
{
	struct engine *e = b->e;
	char why[512], missing[128];
	int i, db, first = 0;

	if (b->slots[0].parse == READ_TEXT) {
		/* -n given: whoami ran in this batch (slot 0) */
		strlcopy(e->user, b->slots[0].text, sizeof(e->user));
		first = 1;
	}
	e->is = batch_take(b, first);
	for (i = 0; i < NDCS; i++)
		e->dcs[i] = batch_take(b, first + i + 1);
	for (i = first + 4; i < b->nslots; i++) {
		if (strcmp(b->slots[i].text, "yes") != 0) {
			report_error("user '%s' may not %s %s in namespace %s (oc auth can-i says %s)", e->user,
				     b->slots[i].cmd.v[3], b->slots[i].cmd.v[4], e->ns, b->slots[i].text);
			report_hint("ask for edit rights on project %s", e->ns);
			stop(e, 3);
			return;
		}
	}
	for (i = 0; i < NDCS; i++) {
		if (dc_missing_container(e->dcs[i], system_dcs[i].containers, missing, sizeof(missing))) {
			report_error("dc/%s has no container or init container '%s' (the guide expects %s): "
				     "is this a template-based 3scale 2.x?", system_dcs[i].name, missing,
				     system_dcs[i].containers);
			stop(e, 3);
			return;
		}
	}
	db = detect_database((const json_t *const *)e->dcs, NDCS, e->o->from, e->o->to, why, sizeof(why));
	if (db < 0) {
		report_error("%s", why);
		stop(e, 3);
		return;
	}
	if (e->o->database != DB_AUTO && db != DB_AUTO && db != (int)e->o->database) {
		report_error("--database %s contradicts the image triggers, which are for the %s database",
			     database_name(e->o->database), db == DB_ORACLE ? "Oracle" : "non-Oracle");
		stop(e, 3);
		return;
	}
	if (e->o->database != DB_AUTO)
		db = e->o->database;
	else if (db == DB_AUTO) {
		report_error("cannot tell the database: no system dc has an image trigger on " IMAGESTREAM
			     ":%s or :%s (with or without -oracle); pass --database oracle or --database other",
			     e->o->from, e->o->to);
		stop(e, 3);
		return;
	} else
		e->detected = 1;
	plan_build(&e->plan, e->o->from, e->o->to, (enum database)db);

	if (tag_assess(e->is, e->plan.to, &e->tag) < 0) {
		report_error("imagestream/" IMAGESTREAM " is not an object");
		stop(e, 3);
		return;
	}
	if (e->tag.in_spec && strcmp(e->tag.from_name, e->plan.image) != 0) {
		report_error("image stream tag " IMAGESTREAM ":%s already exists from '%s', not from '%s': refusing "
			     "to replace it", e->plan.to, e->tag.from_name, e->plan.image);
		stop(e, 3);
		return;
	}
	if (db == DB_ORACLE) {
		struct tag_view ot;

		tag_assess(e->is, e->plan.new_tag, &ot);
		if (ot.state != TAG_IMPORTED) {
			report_error("image stream tag " IMAGESTREAM ":%s has no image: build it first", e->plan.new_tag);
			report_hint("follow \"Upgrading 3scale 2.9 to 2.10 with Oracle 19c\": BuildConfig "
				    "3scale-amp-system-oracle (amp/system-oracle/build.yml), a binary build with the "
				    "Oracle Instant Client zips, output " IMAGESTREAM ":%s", e->plan.new_tag);
			stop(e, 3);
			return;
		}
		strlcopy(e->digest, ot.digest, sizeof(e->digest));
	} else if (e->tag.state == TAG_IMPORTED) {
		strlcopy(e->digest, e->tag.digest, sizeof(e->digest));
	}

	switch (e->o->command) {
	case CMD_PLAN:
		plan_mark_done(e);
		report_plan(&e->plan, e->o->oc, e->ns, e->detected);
		if (report_json())
			summary(e, "plan", 0);
		finish(e, 0);
		return;
	case CMD_STATUS:
		batch_clear(b);
		for (i = 0; i < NDCS; i++)
			batch_add_rcs_pods(b, i);
		report_begin("status", e->ns, &e->plan, e->detected);
		batch_start(b, status_read);
		return;
	case CMD_SCALE_DOWN:
		scale_down(e);
		return;
	default:
		break;
	}
	for (i = 0; i < NDCS; i++) {
		if (json_is_true(json_object_get(json_object_get(e->dcs[i], "spec"), "paused"))) {
			report_error("dc/%s is paused: its rollout would never start", system_dcs[i].name);
			report_hint("resume it with: oc rollout resume dc/%s -n %s", system_dcs[i].name, e->ns);
			stop(e, 3);
			return;
		}
	}
	start_run(e);
}

/* the reads of the preflight: the image stream, the dcs, and the rights to change them */
void
preflight_reads(struct engine *e)
{
	struct batch *b = &e->main;

	cmd_get(batch_add(b, READ_JSON), e->o->oc, e->ns, "imagestream/" IMAGESTREAM, NULL);
	batch_add_dcs(b);
	/* the commands that change something need these rights */
	if (e->o->command == CMD_RUN || e->o->command == CMD_SCALE_DOWN) {
		cmd_can_i(batch_add(b, READ_YESNO), e->o->oc, e->ns, "patch", "deploymentconfigs");
		cmd_can_i(batch_add(b, READ_YESNO), e->o->oc, e->ns, "patch",
			  e->o->command == CMD_RUN ? "imagestreams" : "deploymentconfigs/scale");
	}
	batch_start(b, preflight_read);
}

void
preflight_identity(struct batch *b)
{
	struct engine *e = b->e;

	strlcopy(e->user, b->slots[0].text, sizeof(e->user));
	strlcopy(e->nsbuf, b->slots[1].text, sizeof(e->nsbuf));
	if (!is_dns1123_label(e->nsbuf)) {
		report_error("oc's current project '%s' is not a valid namespace", b->slots[1].text);
		stop(e, 3);
		return;
	}
	e->ns = e->nsbuf;
	batch_clear(b);
	preflight_reads(e);
}
