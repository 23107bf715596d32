/* preflight.c - the reads and checks before anything changes, and what plan shows from them */
#include "engine_int.h"
#include "assess.h"
#include "edits.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- preflight ------------------------------------------------------------------------- */

static int
dc_listed(void *ctx, const char *name)
{
	return list_item(ctx, name) != NULL;
}

/* the patches of a later hop's plan p that depend on a dc, from the List dcs as it stands
 * before the hops before it (which change neither the hook nor the annotations) */
static void
plan_patches_from(struct plan *p, const json_t *dcs)
{
	int i;

	for (i = 0; i < p->nsteps; i++) {
		struct step *s = &p->steps[i];
		const struct dc_edit *ed = STEP_EDIT_OF(p, s);
		const json_t *dc = s->dc >= 0 ? list_item(dcs, PLAN_DC_NAME(p, s->dc)) : NULL;

		if (!dc || !ed)
			continue;
		if (s->kind == STEP_HOOK_ENV)
			hook_env_patch(dc, ed, s->patch, sizeof(s->patch));
		else if (ed->kind == EDIT_ANNOTATIONS)
			annotations_patch(dc, ed, s->patch, sizeof(s->patch));
	}
}

/* the plans of the hops after this one, on the way to --to, as they stand before this one
 * (every step to do) */
static void
plans_after(struct engine *e, const json_t *dcs)
{
	struct plan *p = xmalloc(sizeof(*p));
	const struct hop *h = procedure_hop_from(e->plan.to);

	for (; h && version_cmp(h->to, e->o->to) <= 0; h = procedure_hop_from(h->to)) {
		plan_build(p, h->from, h->to, e->plan.db, e->o->only, e->o->skip, dc_listed, (void *)dcs);
		plan_drop_backup(p);
		plan_patches_from(p, dcs);
		if (e->o->parallel)
			plan_parallel(p);
		report_plan(p, e->o->oc, e->ns, e->detected);
	}
	free(p);
}

static void
start_run(struct engine *e, const json_t *dcs)
{
	if (!e->o->yes && e->hop == 0) {
		report_plan(&e->plan, e->o->oc, e->ns, e->detected);
		plans_after(e, dcs);
		if (!confirm(e, "apply these changes")) {
			report_error("not confirmed: nothing was changed");
			stop(e, 3);
			return;
		}
		/* the image stream may have changed while the prompt waited */
		e->tag_reread = 1;
	}
	e->preflight = 0;
	if (e->hop == 0) {
		signals_start(e);
		report_begin("run", e->ns, &e->plan, e->o->to, e->detected);
	}
	if (e->nhops > 1)
		report_hop(&e->plan, e->hop + 1, e->nhops);
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

		switch (s->kind) {
		case STEP_BACKUP:
			if (!e->backup_wanted)
				strlcopy(s->note, "skipped: the upgrade has begun (--backup-dir saves one all the same)",
					 sizeof(s->note));
			break;
		case STEP_RELEASE:
			if (release_done(e)) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, "already done", sizeof(s->note));
			}
			break;
		case STEP_SECRET:
			if (!secret_key_present(e)) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, e->secret ? "already gone" : "the secret is not there", sizeof(s->note));
			}
			break;
		case STEP_UNTAG:
			if (!is_has_spec_tag(e->secs[s->section].is, e->plan.hop->untag)) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, "already gone", sizeof(s->note));
			}
			break;
		case STEP_TAG:
			if (e->secs[s->section].tag.in_spec) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, "already there", sizeof(s->note));
			}
			break;
		case STEP_IMPORT:
			if (e->secs[s->section].tag.state == TAG_IMPORTED)
				strlcopy(s->note, "already imported", sizeof(s->note));
			break;
		case STEP_DC:
		case STEP_EDIT: {
			char why[256];
			int match;

			if (dc_step_decide(e, i, e->dcs[s->dc], &match, why, sizeof(why)) == 0)
				strlcopy(s->note, s->kind == STEP_DC ? "trigger already moved: run only checks the rollout" :
					 "already done: run only checks the rollout", sizeof(s->note));
			else if (s->skip)
				strlcopy(s->note, "partly done", sizeof(s->note));
			break;
		}
		case STEP_HOOK_ENV:
			if (hook_env_done(e->dcs[s->dc], STEP_EDIT_OF(&e->plan, s))) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, "already done", sizeof(s->note));
			} else {
				hook_env_patch(e->dcs[s->dc], STEP_EDIT_OF(&e->plan, s), s->patch, sizeof(s->patch));
			}
			break;
		default:
			break;
		}
	}
}


/* the database branch from the system dcs in dcs (a List), or -1 after an error */
static int
preflight_database(struct engine *e, const json_t *dcs)
{
	const struct hop *h = procedure_hop(e->from, e->to);
	const struct section *sys = procedure_section(h, "system");
	const json_t *docs[SECTION_MAX_DCS];
	char why[512];
	int i, n = 0, db;

	for (i = 0; i < sys->ndcs; i++)
		if ((docs[n] = list_item(dcs, sys->dcs[i].name)))
			n++;
	db = detect_database(docs, n, sys->imagestream, e->from, e->to, why, sizeof(why));
	if (db < 0) {
		report_error("%s", why);
		return -1;
	}
	if (e->o->database != DB_AUTO && db != DB_AUTO && db != (int)e->o->database) {
		report_error("--database %s contradicts the image triggers, which are for the %s database",
			     database_name(e->o->database), db == DB_ORACLE ? "Oracle" : "non-Oracle");
		return -1;
	}
	if (e->o->database != DB_AUTO)
		return e->o->database;
	if (db == DB_AUTO && n == 0)
		return DB_OTHER;  /* no system dc: the database does not matter */
	if (db == DB_AUTO) {
		report_error("cannot tell the database: no system dc has an image trigger on %s:%s or :%s "
			     "(with or without -oracle); pass --database oracle or --database other",
			     sys->imagestream, e->from, e->to);
		return -1;
	}
	e->detected = 1;
	return db;
}

/* take the present dcs out of the List dcs, and check their containers */
static int
preflight_dcs(struct engine *e, const json_t *dcs)
{
	char missing[128];
	const struct plan_section *ps;
	const char *odd;
	int i;

	for (i = 0; i < e->plan.ndcs; i++) {
		const struct dc_spec *spec = e->plan.dcs[i].spec;

		if (!e->plan.dcs[i].present)
			continue;
		e->dcs[i] = json_incref(list_item(dcs, spec->name));
		if (dc_missing_container(e->dcs[i], spec->containers, missing, sizeof(missing))) {
			report_error("dc/%s has no container or init container '%s' (the guide expects %s): "
				     "is this a template-based 3scale 2.x?", spec->name, missing, spec->containers);
			return -1;
		}
		ps = PLAN_DC_SECTION(&e->plan, i);
		if (ps->in_run && (odd = dc_odd_trigger(e->dcs[i], ps->sec->imagestream, ps->old_tag, ps->new_tag))) {
			/* the hop's remove would not take it away: the dc would keep two triggers */
			report_error("dc/%s has an image trigger on '%s:%s', which is neither %s nor %s, the "
				     "triggers of the %s -> %s hop", spec->name, ps->sec->imagestream, odd, ps->old_tag,
				     ps->new_tag, e->plan.from, e->plan.to);
			report_hint("check --from and --to against the install; a trigger added by hand can be "
				    "removed with: oc set triggers dc/%s --from-image=%s:%s --remove -n %s (a re-run "
				    "then adds the %s trigger)", spec->name, ps->sec->imagestream, odd, e->ns, ps->new_tag);
			return -1;
		}
	}
	return 0;
}

/* the image stream of every present section, out of the List iss, and its tag <to> */
static int
preflight_streams(struct engine *e, const json_t *iss)
{
	int s;

	for (s = 0; s < e->plan.nsections; s++) {
		const struct section *sec = e->plan.sections[s].sec;
		struct secstate *ss = &e->secs[s];

		if (!e->plan.sections[s].present)
			continue;
		ss->is = json_incref(list_item(iss, sec->imagestream));
		if (!ss->is) {
			report_error("namespace %s has dc/%s but no image stream %s: is this a template-based 3scale 2.x?",
				     e->ns, sec->dcs[0].name, sec->imagestream);
			return -1;
		}
		tag_assess(ss->is, e->plan.to, &ss->tag);
		if (e->plan.sections[s].in_run && ss->tag.in_spec && strcmp(ss->tag.from_name, sec->image) != 0) {
			report_error("image stream tag %s:%s already exists from '%s', not from '%s': refusing "
				     "to replace it", sec->imagestream, e->plan.to, ss->tag.from_name, sec->image);
			return -1;
		}
		if (ss->tag.state == TAG_IMPORTED)
			strlcopy(ss->digest, ss->tag.digest, sizeof(ss->digest));
	}
	return 0;
}

/* Oracle: the system image is built, not imported: its tag must have an image already */
static int
preflight_oracle(struct engine *e)
{
	const struct plan_section *ps;
	struct secstate *ss;
	struct tag_view ot;

	if (e->plan.db == DB_ORACLE && !e->plan.hop->oracle) {
		report_error("the %s -> %s guide (procedures.md) gives no Oracle branch: its system trigger tags "
			     "are not documented", e->plan.from, e->plan.to);
		report_hint("upgrade this hop by hand, following Red Hat's \"Migrating 3scale %s\" for Oracle",
			    e->plan.to);
		return -1;
	}
	if (e->plan.db != DB_ORACLE || e->plan.sys < 0 || !e->plan.sections[e->plan.sys].present ||
	    !(e->plan.sections[e->plan.sys].in_run || e->plan.sections[e->plan.sys].checked))
		return 0;
	ps = &e->plan.sections[e->plan.sys];
	ss = &e->secs[e->plan.sys];
	tag_assess(ss->is, ps->new_tag, &ot);
	if (ot.state != TAG_IMPORTED) {
		report_error("image stream tag %s:%s has no image: build it first", ps->sec->imagestream, ps->new_tag);
		report_hint("follow \"Upgrading 3scale %s to %s with Oracle 19c\": BuildConfig "
			    "3scale-amp-system-oracle (amp/system-oracle/build.yml), a binary build with the "
			    "Oracle Instant Client zips, output %s:%s", e->plan.from, e->plan.to, ps->sec->imagestream,
			    ps->new_tag);
		return -1;
	}
	strlcopy(ss->digest, ot.digest, sizeof(ss->digest));
	return 0;
}

/* the preflight reads the release ConfigMap: the plan has the version number step */
static int
reads_release(const struct engine *e)
{
	return e->o->command != CMD_SCALE_DOWN && e->o->command != CMD_BACKUP &&
	       plan_selected(STEP_NAME_RELEASE, e->o->only, e->o->skip);
}

/* the version number is read: for the release step, and to check a detected --from */
static int
reads_cm(const struct engine *e)
{
	return reads_release(e) ||
	       (!e->o->from && e->o->command != CMD_SCALE_DOWN && e->o->command != CMD_BACKUP);
}

/* the secret the preflight reads for the hop's secret step (NULL: none); before the
 * release is read off the triggers, that of any hop on the way to --to */
static const char *
secret_read(const struct engine *e)
{
	const struct hop *h;
	size_t i;

	if (e->o->command == CMD_SCALE_DOWN || e->o->command == CMD_BACKUP ||
	    !plan_selected(STEP_NAME_SECRET, e->o->only, e->o->skip))
		return NULL;
	if (e->o->from || e->hop > 0)
		return procedure_hop_from(e->from)->secret;
	for (i = 0; (h = procedure_hop_index(i)); i++)
		if (h->secret && version_cmp(h->to, e->o->to) <= 0)
			return h->secret;
	return NULL;
}

static int
reads_secret(const struct engine *e)
{
	return secret_read(e) != NULL;
}

/* 1 if a dc of one of hop h's sections is in the List dcs */
static int
hop_dc_listed(const struct hop *h, const json_t *dcs)
{
	int i, k;

	for (i = 0; i < h->nsections; i++)
		for (k = 0; k < h->sections[i].ndcs; k++)
			if (list_item(dcs, h->sections[i].dcs[k].name))
				return 1;
	return 0;
}

/*
 * --from not given: the release the install runs is the lowest one the dcs' image
 * triggers name. All on --to: the hop that ends there (done, or left to confirm); else
 * the hop that begins there, the first of those that lead to --to.
 */
static int
preflight_from(struct engine *e, const json_t *dcs)
{
	const struct hop *h = procedure_hop_to(e->o->to), *hop;
	struct release_view *v = &e->rel;
	char why[512];
	int r;

	if (e->o->from || e->hop > 0)
		return 0;
	r = detect_release(dcs, h, v, why, sizeof(why));
	if (r == 0 && !hop_dc_listed(h, dcs))
		return 0;  /* no 3scale here at all: the check of the dcs says so */
	if (r <= 0) {
		if (r < 0)
			report_error("%s", why);
		else
			report_error("cannot tell which release runs: no dc of a template-based 3scale in "
				     "namespace %s has an image trigger on its image stream", e->ns);
		report_hint("pass --from VERSION (the release the install runs)");
		return -1;
	}
	if (strcmp(v->release, e->o->to) == 0) {
		e->from = h->from;
		e->to = h->to;
		return 0;
	}
	if (version_cmp(v->release, e->o->to) > 0) {
		report_error("3scale %s runs (dc/%s triggers on %s), which is newer than --to %s", v->release,
			     v->dc, v->trigger, e->o->to);
		return -1;
	}
	if (!procedure_chain(v->release, e->o->to)) {
		report_error("3scale %s runs (dc/%s triggers on %s): no documented procedure for %s -> %s "
			     "(supported: %s)", v->release, v->dc, v->trigger, v->release, e->o->to,
			     procedure_hops());
		return -1;
	}
	hop = procedure_hop_from(v->release);
	e->from = hop->from;
	e->to = hop->to;
	return 0;
}

/* the version number is <from> or <to> (the release step comes before the images) */
static int
preflight_release(struct engine *e)
{
	const struct hop *h = e->plan.hop;
	const char *v;

	if (!e->cm)
		return 0;
	v = json_string_value(json_object_get(json_object_get(e->cm, "data"), h->release_key));
	if (v && (strcmp(v, e->plan.from) == 0 || strcmp(v, e->plan.to) == 0))
		return 0;
	if (e->plan.from_detected)
		report_error("cm/%s has %s '%s', but the dcs' image triggers say 3scale %s runs (dc/%s "
			     "triggers on %s): only %s or %s fit the %s -> %s hop", h->release_cm, h->release_key,
			     v ? v : "(none)", e->rel.release, e->rel.dc, e->rel.trigger, e->plan.from,
			     e->plan.to, e->plan.from, e->plan.to);
	else
		report_error("cm/%s has %s '%s', but this is the %s -> %s hop: refusing to change it",
			     h->release_cm, h->release_key, v ? v : "(none)", e->plan.from, e->plan.to);
	report_hint("check --from and --to against the install (the dcs' image triggers say which release runs)");
	return -1;
}

/* 0 if no dc the run changes is paused */
static int
preflight_paused(struct engine *e)
{
	int i;

	for (i = 0; i < e->plan.nsteps; i++) {
		const struct step *s = &e->plan.steps[i];
		const char *name;

		if (s->kind != STEP_DC && s->kind != STEP_EDIT)
			continue;
		name = PLAN_DC_NAME(&e->plan, s->dc);
		if (json_is_true(json_object_get(json_object_get(e->dcs[s->dc], "spec"), "paused"))) {
			report_error("dc/%s is paused: its rollout would never start", name);
			report_hint("resume it with: oc rollout resume dc/%s -n %s", name, e->ns);
			return -1;
		}
	}
	return 0;
}

/* the pre hook env entry a STEP_HOOK_ENV changes is there (or has its value already) */
static int
preflight_hook(struct engine *e)
{
	int i;

	for (i = 0; i < e->plan.nsteps; i++) {
		const struct step *s = &e->plan.steps[i];
		const struct dc_edit *ed = STEP_EDIT_OF(&e->plan, s);

		if (s->kind != STEP_HOOK_ENV || hook_env_index(e->dcs[s->dc], ed->key) >= 0)
			continue;
		report_error("dc/%s's pre hook has no env entry %s (spec.strategy.rollingParams.pre.execNewPod.env), "
			     "which the %s -> %s guide changes: is this a template-based 3scale %s?", ed->dc, ed->key,
			     e->plan.from, e->plan.to, e->plan.from);
		report_hint("compare dc/%s with the %s template; --skip %s leaves this part of the hop out", ed->dc,
			    e->plan.from, ed->name);
		return -1;
	}
	return 0;
}

/* 1 if a change of the hop is there already: the version number, a tag, a trigger */
static int
hop_begun(const struct engine *e)
{
	struct trigger_view tv;
	int i;

	if (e->cm && release_done(e))
		return 1;
	for (i = 0; i < e->plan.nsections; i++)
		if (e->plan.sections[i].in_run && e->plan.sections[i].present && e->secs[i].tag.in_spec)
			return 1;
	for (i = 0; i < e->plan.ndcs; i++) {
		if (!e->plan.dcs[i].present || !PLAN_DC_SECTION(&e->plan, i)->in_run)
			continue;
		dc_triggers(e, i, e->dcs[i], &tv);
		if (tv.has_new)
			return 1;
	}
	return 0;
}

/* the preflight passed: the command it leads to */
static void
preflight_done(struct engine *e, struct batch *b, const json_t *dcs)
{
	e->backup_wanted = e->plan.nsteps > 0 && e->plan.steps[0].kind == STEP_BACKUP &&
			   (e->o->backup_dir || !hop_begun(e));
	switch (e->o->command) {
	case CMD_PLAN:
		plan_mark_done(e);
		report_plan(&e->plan, e->o->oc, e->ns, e->detected);
		plans_after(e, dcs);
		if (report_json())
			summary(e, "plan", 0);
		finish(e, 0);
		return;
	case CMD_STATUS:
		batch_clear(b);
		status_reads(e, b);
		report_begin("status", e->ns, &e->plan, e->plan.to, e->detected);
		batch_start(b, status_read);
		return;
	case CMD_SCALE_DOWN:
		scale_down(e);
		return;
	case CMD_BACKUP:
		if (backup_prepare(e) < 0) {
			stop(e, 3);
			return;
		}
		backup_command(e);
		return;
	default:
		break;
	}
	if (e->backup_wanted && backup_prepare(e) < 0) {
		stop(e, 3);
		return;
	}
	if (preflight_paused(e) < 0) {
		stop(e, 3);
		return;
	}
	start_run(e, dcs);
}

static void
preflight_read(struct batch *b)
{
	struct engine *e = b->e;
	const json_t *iss, *dcs;
	int i, db, first = 0;

	if (b->slots[0].parse == READ_TEXT) {
		/* -n given: whoami ran in this batch (slot 0) */
		strlcopy(e->user, b->slots[0].text, sizeof(e->user));
		first = 1;
	}
	iss = b->slots[first].doc;
	dcs = b->slots[first + 1].doc;
	if (reads_cm(e))
		e->cm = batch_take(b, first + 2);  /* NULL if absent and only read for the check */
	if (reads_secret(e))
		e->secret = batch_take(b, first + 2 + reads_cm(e));  /* NULL if absent */
	for (i = first + 2 + reads_cm(e) + reads_secret(e); i < b->nslots; i++) {
		if (strcmp(b->slots[i].text, "yes") != 0) {
			report_error("user '%s' may not %s %s in namespace %s (oc auth can-i says %s)", e->user,
				     b->slots[i].cmd.v[3], b->slots[i].cmd.v[4], e->ns, b->slots[i].text);
			report_hint("ask for edit rights on project %s", e->ns);
			stop(e, 3);
			return;
		}
	}
	if (preflight_from(e, dcs) < 0 || (db = preflight_database(e, dcs)) < 0) {
		stop(e, 3);
		return;
	}
	plan_build(&e->plan, e->from, e->to, (enum database)db, e->o->only, e->o->skip, dc_listed, (void *)dcs);
	e->plan.from_detected = !e->o->from && e->hop == 0;
	e->nhops = e->hop + procedure_chain(e->from, e->o->to);
	if (e->nhops > 1 && (e->o->command == CMD_RUN || e->o->command == CMD_PLAN) &&
	    !plan_whole(e->o->only, e->o->skip)) {
		report_error("--only and --skip leave part of the %s -> %s hop undone, and --to %s needs the hops "
			     "after it: each hop must be whole before the next begins", e->from, e->to, e->o->to);
		report_hint("do this hop alone: add --to %s", e->to);
		stop(e, 3);
		return;
	}
	if (e->hop > 0)
		plan_drop_backup(&e->plan);
	if (!e->plan.hop->secret) {
		/* read before the hop was known: not this hop's */
		json_decref(e->secret);
		e->secret = NULL;
	}
	if (e->o->parallel)
		plan_parallel(&e->plan);
	if (!plan_any_present(&e->plan)) {
		report_error("namespace %s has none of the dcs of %s (dc/%s, ...)", e->ns,
			     e->o->only || e->o->skip ? "the sections asked for" : "a template-based 3scale",
			     PLAN_DC_NAME(&e->plan, 0));
		report_hint("check the namespace: oc get dc -n %s", e->ns);
		stop(e, 3);
		return;
	}
	if (preflight_dcs(e, dcs) < 0 || preflight_streams(e, iss) < 0 || preflight_oracle(e) < 0 ||
	    preflight_release(e) < 0 || preflight_hook(e) < 0) {
		stop(e, 3);
		return;
	}

	preflight_done(e, b, dcs);
}


/* the reads of the preflight: the image streams, the dcs, and the rights to change them */
void
preflight_reads(struct engine *e)
{
	struct batch *b = &e->main;

	/* two lists, whatever the number of sections: absent objects are simply not there */
	cmd_get(batch_add(b, READ_JSON), e->o->oc, e->ns, "imagestream", NULL);
	cmd_get(batch_add(b, READ_JSON), e->o->oc, e->ns, "dc", NULL);
	if (reads_cm(e)) {
		char what[96];

		snprintf(what, sizeof(what), "cm/%s", procedure_hop_from(e->from)->release_cm);
		/* only to check a detected --from against: it may be absent */
		cmd_get(batch_add(b, reads_release(e) ? READ_JSON : READ_OPTIONAL), e->o->oc, e->ns, what, NULL);
	}
	if (reads_secret(e)) {
		char what[96];

		snprintf(what, sizeof(what), "secret/%s", secret_read(e));
		cmd_get(batch_add(b, READ_OPTIONAL), e->o->oc, e->ns, what, NULL);
	}
	/* the commands that change something need these rights (a later hop: they were there) */
	if ((e->o->command == CMD_RUN || e->o->command == CMD_SCALE_DOWN) && e->hop == 0) {
		cmd_can_i(batch_add(b, READ_YESNO), e->o->oc, e->ns, "patch", "deploymentconfigs");
		cmd_can_i(batch_add(b, READ_YESNO), e->o->oc, e->ns, "patch",
			  e->o->command == CMD_RUN ? "imagestreams" : "deploymentconfigs/scale");
	}
	batch_start(b, preflight_read);
}

void
hop_next(struct engine *e)
{
	const struct hop *h = procedure_hop_from(e->plan.to);
	int i;

	e->hop++;
	e->from = h->from;
	e->to = h->to;
	/* what the last hop read and learnt is of no use to this one */
	json_decref(e->cm);
	json_decref(e->secret);
	e->cm = e->secret = NULL;
	for (i = 0; i < PLAN_MAX_DCS; i++) {
		json_decref(e->dcs[i]);
		e->dcs[i] = NULL;
	}
	for (i = 0; i < PLAN_MAX_SECTIONS; i++) {
		json_decref(e->secs[i].is);
		memset(&e->secs[i], 0, sizeof(e->secs[i]));
	}
	for (i = 0; i < MAXW; i++) {
		dcwait_end(&e->w[i]);
		pre_clear(&e->w[i]);
		e->w[i].pre_step = -1;
	}
	e->tag_reread = 0;
	e->step = 0;
	e->preflight = 1;
	/* the hop's plan until the preflight reads the namespace: what a stop says */
	plan_build(&e->plan, e->from, e->to, e->plan.db, e->o->only, e->o->skip, NULL, NULL);
	plan_drop_backup(&e->plan);
	batch_clear(&e->main);
	preflight_reads(e);
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
