/* status.c - the status command: every step of the plan judged from the cluster's state */
#include "engine_int.h"
#include "assess.h"
#include "edits.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

/* --- status -------------------------------------------------------------------------- */

/* dc step index from its dc's status reads (e->status_slot[i] in b): done, pending or failed */
static enum step_status
dc_status(const struct engine *e, const struct batch *b, int index, char *detail, size_t n)
{
	int i = e->plan.steps[index].dc;
	const json_t *dc = e->dcs[i];
	const struct plan_section *ps = PLAN_DC_SECTION(&e->plan, i);
	int slot = e->status_slot[i];
	struct trigger_view tv;
	struct rollout_view rv;
	int match = dc_step_applied(e, index, dc);

	dc_triggers(e, i, dc, &tv);
	rollout_assess(dc, b->slots[slot].doc, b->slots[slot + 1].doc, 0, 0, &rv);
	if (!tv.has_old && tv.has_new && tv.new_containers_ok && match && rv.state == ROLLOUT_DONE) {
		snprintf(detail, n, "rollout #%ld complete", rv.latest);
		return STEP_DONE;
	}
	if (rv.state == ROLLOUT_FAILED) {
		snprintf(detail, n, "rollout #%ld: %s: %s", rv.latest, rv.reason, rv.message);
		return STEP_FAILED;
	}
	if (tv.has_old)
		snprintf(detail, n, "trigger still on %s:%s", ps->sec->imagestream, ps->old_tag);
	else if (!tv.has_new)
		snprintf(detail, n, "no image trigger on %s:%s", ps->sec->imagestream, ps->new_tag);
	else if (!dc_runs_new(e, i, dc))
		snprintf(detail, n, "trigger moved; waiting for the new image to roll out");
	else if (!match)
		snprintf(detail, n, "the container command is not yet %s", ps->sec->command);
	else
		snprintf(detail, n, "%s", rv.waiting);
	return STEP_PENDING;
}

/* done when every dc the confirm step checks runs its new image, else the dcs that do not yet */
static enum step_status
confirm_status(const struct engine *e, char *detail, size_t n)
{
	int i, pending = 0;

	for (i = 0; i < e->plan.ndcs; i++) {
		size_t len = strlen(detail);

		if (!plan_dc_checked(&e->plan, i) || dc_runs_new(e, i, e->dcs[i]))
			continue;
		snprintf(detail + len, n - len, "%sdc/%s", pending++ ? ", " : "not yet on the new images: ",
			 PLAN_DC_NAME(&e->plan, i));
	}
	return pending ? STEP_PENDING : STEP_DONE;
}

/* the status reads: the RCs and the pods of every present dc of the run */
void
status_reads(struct engine *e, struct batch *b)
{
	int i;

	for (i = 0; i < e->plan.ndcs; i++) {
		if (!e->plan.dcs[i].present || !PLAN_DC_SECTION(&e->plan, i)->in_run)
			continue;
		e->status_slot[i] = b->nslots;
		batch_add_rcs_pods(b, i);
	}
}

/* done when scale-down recorded no replicas, else pending with what it recorded */
static enum step_status
replicas_status(const struct engine *e, char *detail, size_t n)
{
	int list[PLAN_MAX_DCS], nsys = system_dcs(e, list), k, any = 0;

	for (k = 0; k < nsys; k++) {
		long rec = dc_recorded_replicas(e->dcs[list[k]]);
		size_t len = strlen(detail);

		if (rec >= 0)
			snprintf(detail + len, n - len, "%s%s=%ld", any++ ? ", " : "recorded: ",
				 PLAN_DC_NAME(&e->plan, list[k]), rec);
	}
	return any ? STEP_PENDING : STEP_DONE;
}

/* step s judged from the cluster state: done, pending, failed or not there; why in detail */
static enum step_status
step_status(struct engine *e, const struct batch *b, const struct step *s, char *detail, size_t n)
{
	enum step_status st = STEP_PENDING;

	detail[0] = '\0';
	switch (s->kind) {
	case STEP_BACKUP:
		/* a backup is of the state before the hop: once it has begun, nothing is left to do */
		if (!e->backup_wanted)
			st = STEP_DONE;
		else
			snprintf(detail, n, "the upgrade has not begun: run saves the backup first");
		break;
	case STEP_RELEASE:
		if (release_done(e))
			st = STEP_DONE;
		else
			snprintf(detail, n, "%s is not %s", e->plan.hop->release_key, e->plan.to);
		break;
	case STEP_SECRET:
		if (!secret_key_present(e))
			st = STEP_DONE;
		else
			snprintf(detail, n, "secret/%s has %s", e->plan.hop->secret, e->plan.hop->secret_key);
		break;
	case STEP_UNTAG:
		if (!is_has_spec_tag(e->secs[s->section].is, e->plan.hop->untag))
			st = STEP_DONE;
		else
			snprintf(detail, n, "tag %s is there", e->plan.hop->untag);
		break;
	case STEP_TAG: {
		const struct secstate *ss = &e->secs[s->section];

		if (ss->tag.in_spec && strcmp(ss->tag.from_name, e->plan.sections[s->section].sec->image) == 0)
			st = STEP_DONE;
		else
			snprintf(detail, n, "no tag %s", e->plan.to);
		break;
	}
	case STEP_IMPORT: {
		const struct secstate *ss = &e->secs[s->section];

		if (ss->tag.state == TAG_IMPORTED)
			st = STEP_DONE;
		else if (ss->tag.state == TAG_FAILED) {
			st = STEP_FAILED;
			snprintf(detail, n, "%s: %s", ss->tag.reason, ss->tag.message);
		}
		break;
	}
	case STEP_DC:
		st = dc_status(e, b, (int)(s - e->plan.steps), detail, n);
		break;
	case STEP_HOOK_ENV:
		if (hook_env_done(e->dcs[s->dc], STEP_EDIT_OF(&e->plan, s)))
			st = STEP_DONE;
		else
			snprintf(detail, n, "the pre hook's %s is not yet %s", STEP_EDIT_OF(&e->plan, s)->key,
				 STEP_EDIT_OF(&e->plan, s)->value);
		break;
	case STEP_EDIT: {
		/* the change is in the dc (its rollout: the dc's image step waits for it) */
		char why[256];
		int match;

		if (!dc_step_decide(e, (int)(s - e->plan.steps), e->dcs[s->dc], &match, why, sizeof(why)) && match)
			st = STEP_DONE;
		else
			snprintf(detail, n, "%s", why);
		break;
	}
	case STEP_CONFIRM:
		st = confirm_status(e, detail, n);
		break;
	case STEP_ABSENT:
		st = STEP_NOT_THERE;
		snprintf(detail, n, "not in namespace %s", e->ns);
		break;
	case STEP_REPLICAS:
		st = replicas_status(e, detail, n);
		break;
	}
	return st;
}

void
status_read(struct batch *b)
{
	struct engine *e = b->e;
	int complete = 1, i;
	char detail[1024];

	for (i = 0; i < e->plan.nsteps; i++) {
		enum step_status st = step_status(e, b, &e->plan.steps[i], detail, sizeof(detail));

		if (st != STEP_DONE && st != STEP_NOT_THERE)
			complete = 0;
		report_status_step(&e->plan, i, st, detail);
	}
	report_status_end(e->ns, &e->plan, complete);
	if (report_json())
		summary(e, "status", complete ? 0 : 1);
	finish(e, complete ? 0 : 1);
}
