/* plan.c - the steps of a run, from the procedure (procedure.c), the database, the
 * sections asked for and the dcs the namespace has */
#include "plan.h"
#include "edits.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

const char *
database_name(enum database db)
{
	switch (db) {
	case DB_ORACLE: return "oracle";
	case DB_OTHER: return "other";
	default: return "auto";
	}
}

int
plan_section_name(const char *name)
{
	return procedure_section_known(name);
}

const char *
plan_section_names(void)
{
	return procedure_section_names();
}

static struct step *
add_step(struct plan *p, enum step_kind kind, int section, int dc)
{
	struct step *s = &p->steps[p->nsteps++];

	s->kind = kind;
	s->section = section;
	s->dc = dc;
	s->edit = -1;
	return s;
}

/* a step of the dc steps outside the system section */
static int
side_step(const struct plan *p, const struct step *s)
{
	return (s->kind == STEP_DC || s->kind == STEP_ABSENT || s->kind == STEP_UNTAG) && s->section >= 0 &&
	       s->section != p->sys;
}

void
plan_parallel(struct plan *p)
{
	struct step order[PLAN_MAX_STEPS];
	int a, b, i, n = 0;

	for (a = 0; a < p->nsteps && !side_step(p, &p->steps[a]); a++)
		;
	for (b = a; b < p->nsteps && side_step(p, &p->steps[b]); b++)
		;
	for (i = a; i < b; i++)
		if (p->steps[i].kind == STEP_ABSENT)
			order[n++] = p->steps[i];
	for (i = a; i < b; i++)
		if (p->steps[i].kind == STEP_DC) {
			order[n] = p->steps[i];
			order[n++].group = 1;
		}
	/* the old tags go once every lane is done (no trigger names them any more) */
	for (i = a; i < b; i++)
		if (p->steps[i].kind == STEP_UNTAG)
			order[n++] = p->steps[i];
	memcpy(&p->steps[a], order, (size_t)n * sizeof(order[0]));
}

int
plan_whole(const char *only, const char *skip)
{
	const char *names = procedure_section_names(), *c;
	char name[64];
	size_t n;

	for (c = names; *c; c += n + (c[n] == ',')) {
		n = strcspn(c, ",");
		if (n >= sizeof(name))
			continue;
		memcpy(name, c, n);
		name[n] = '\0';
		if (strcmp(name, STEP_NAME_BACKUP) != 0 && !plan_selected(name, only, skip))
			return 0;
	}
	return 1;
}

void
plan_drop_backup(struct plan *p)
{
	if (p->nsteps > 0 && p->steps[0].kind == STEP_BACKUP) {
		memmove(&p->steps[0], &p->steps[1], (size_t)(p->nsteps - 1) * sizeof(p->steps[0]));
		p->nsteps--;
	}
}

int
plan_selected(const char *name, const char *only, const char *skip)
{
	return (!only || csv_has(only, name)) && !(skip && csv_has(skip, name));
}

/* the sections and dcs of the hop that the run does, with their tags and patches */
static void
add_sections(struct plan *p, const char *from, const char *to, const char *only, const char *skip,
	     dc_exists_fn exists, void *ctx)
{
	const char *suffix = p->db == DB_ORACLE ? "-oracle" : "";
	int i, k;

	for (i = 0; i < p->hop->nsections && p->nsections < PLAN_MAX_SECTIONS; i++) {
		const struct section *sec = &p->hop->sections[i];
		struct plan_section *ps = &p->sections[p->nsections];
		int is_system = strcmp(sec->name, "system") == 0;
		int alternative = p->nsections > 0 && strcmp(p->sections[p->nsections - 1].sec->name, sec->name) == 0;

		ps->sec = sec;
		ps->in_run = plan_selected(sec->name, only, skip);
		if (p->hop->old_trigger)
			strlcopy(ps->old_tag, p->hop->old_trigger, sizeof(ps->old_tag));
		else
			snprintf(ps->old_tag, sizeof(ps->old_tag), "%s%s", from, is_system ? suffix : "");
		snprintf(ps->new_tag, sizeof(ps->new_tag), "%s%s", to, is_system ? suffix : "");
		procedure_tag_patch(sec, to, ps->patch, sizeof(ps->patch));
		if (is_system)
			p->sys = p->nsections;
		for (k = 0; k < sec->ndcs && p->ndcs < PLAN_MAX_DCS; k++) {
			struct plan_dc *d = &p->dcs[p->ndcs++];

			d->spec = &sec->dcs[k];
			d->section = p->nsections;
			/* without a cluster, the first of two alternatives stands for both */
			d->present = exists ? exists(ctx, d->spec->name) : !alternative;
			ps->present |= d->present;
		}
		p->nsections++;
	}
}

/* 1 if another section of the same name (the other system database) is present */
static int
alternative_present(const struct plan *p, int s)
{
	int i;

	for (i = 0; i < p->nsections; i++)
		if (i != s && p->sections[i].present && strcmp(p->sections[i].sec->name, p->sections[s].sec->name) == 0)
			return 1;
	return 0;
}

/* the dc steps of section s, in the guide's order; the absent ones skipped */
static void
add_dc_steps(struct plan *p, int s)
{
	const struct plan_section *ps = &p->sections[s];
	struct step *st;
	int i;

	if (!ps->present) {
		if (alternative_present(p, s) || (s > 0 && strcmp(p->sections[s - 1].sec->name, ps->sec->name) == 0))
			return;
		st = add_step(p, STEP_ABSENT, s, -1);
		strlcopy(st->id, ps->sec->name, sizeof(st->id));
		snprintf(st->title, sizeof(st->title), "section %s: dc/%s%s", ps->sec->name, ps->sec->dcs[0].name,
			 ps->sec->ndcs > 1 ? ", ..." : "");
		for (i = s + 1; i < p->nsections && strcmp(p->sections[i].sec->name, ps->sec->name) == 0; i++)
			snprintf(st->title + strlen(st->title), sizeof(st->title) - strlen(st->title), " or dc/%s",
				 p->sections[i].sec->dcs[0].name);
		strlcopy(st->note, "not in the namespace: skipped", sizeof(st->note));
		return;
	}
	for (i = 0; i < p->ndcs; i++) {
		const char *name = PLAN_DC_NAME(p, i);

		if (p->dcs[i].section != s)
			continue;
		st = add_step(p, p->dcs[i].present ? STEP_DC : STEP_ABSENT, s, i);
		snprintf(st->id, sizeof(st->id), "dc/%s", name);
		if (p->dcs[i].present)
			snprintf(st->title, sizeof(st->title), "dc/%s: trigger %s:%s -> %s:%s%s, roll out", name,
				 ps->sec->imagestream, ps->old_tag, ps->sec->imagestream, ps->new_tag,
				 ps->sec->command ? " (the command patched in between)" : "");
		else {
			snprintf(st->title, sizeof(st->title), "dc/%s", name);
			strlcopy(st->note, "not in the namespace: skipped", sizeof(st->note));
		}
		if (p->dcs[i].present && ps->sec->command)
			procedure_command_patch(ps->sec, name, st->patch, sizeof(st->patch));
		if (p->hop->untag && ps->sec->untag_after >= 0 && p->dcs[i].spec == &ps->sec->dcs[ps->sec->untag_after]) {
			st = add_step(p, STEP_UNTAG, s, -1);
			snprintf(st->id, sizeof(st->id), "untag/%s", ps->sec->imagestream);
			snprintf(st->title, sizeof(st->title), "delete image stream tag %s:%s", ps->sec->imagestream,
				 p->hop->untag);
		}
	}
}

/* the index of dc name in p->dcs, -1 if the hop has none */
static int
plan_dc_index(const struct plan *p, const char *name)
{
	int i;

	for (i = 0; i < p->ndcs; i++)
		if (strcmp(PLAN_DC_NAME(p, i), name) == 0)
			return i;
	return -1;
}

static const char *const edit_ids[] = { "hook-env", "env", "annotations", "resources" };

/* the hop's changes besides the images, in the guide's order; a dc that is not there: skipped */
static void
add_edit_steps(struct plan *p, const char *only, const char *skip)
{
	int k;

	for (k = 0; k < p->hop->nedits; k++) {
		const struct dc_edit *ed = &p->hop->edits[k];
		int dc = plan_dc_index(p, ed->dc), present = dc >= 0 && p->dcs[dc].present;
		struct step *s;

		if (!plan_selected(ed->name, only, skip) || !plan_any_present(p))
			continue;
		s = add_step(p, !present ? STEP_ABSENT : ed->kind == EDIT_HOOK_ENV ? STEP_HOOK_ENV : STEP_EDIT,
			     present ? p->dcs[dc].section : -1, dc);
		s->edit = k;
		snprintf(s->id, sizeof(s->id), "%s/%s", edit_ids[ed->kind], ed->dc);
		switch (ed->kind) {
		case EDIT_HOOK_ENV:
			snprintf(s->title, sizeof(s->title), "dc/%s: pre hook env %s=%s", ed->dc, ed->key, ed->value);
			break;
		case EDIT_ENV:
			snprintf(s->title, sizeof(s->title), "dc/%s: set env %s=%s, roll out", ed->dc, ed->key, ed->value);
			break;
		case EDIT_ANNOTATIONS:
			snprintf(s->title, sizeof(s->title), "dc/%s: annotations %s onto the pod template, roll out",
				 ed->dc, ed->key);
			break;
		case EDIT_RESOURCES:
			snprintf(s->title, sizeof(s->title), "dc/%s: resources of %s (limits %s/%s, requests %s/%s), roll out",
				 ed->dc, ed->key, ed->limits_memory, ed->limits_cpu, ed->requests_memory, ed->requests_cpu);
			break;
		}
		if (!present)
			strlcopy(s->note, "not in the namespace: skipped", sizeof(s->note));
		/* until a dc is read: the template's (the run decides from the dc it reads) */
		else if (ed->kind == EDIT_HOOK_ENV)
			hook_env_patch(NULL, ed, s->patch, sizeof(s->patch));
		else if (ed->kind == EDIT_ANNOTATIONS)
			annotations_patch(NULL, ed, s->patch, sizeof(s->patch));
	}
}

void
plan_build(struct plan *p, const char *from, const char *to, enum database db,
	   const char *only, const char *skip, dc_exists_fn exists, void *ctx)
{
	struct step *s;
	int i;

	memset(p, 0, sizeof(*p));
	strlcopy(p->from, from, sizeof(p->from));
	strlcopy(p->to, to, sizeof(p->to));
	p->db = db;
	p->sys = -1;
	p->hop = procedure_hop(from, to);
	if (!p->hop)
		return;
	add_sections(p, from, to, only, skip, exists, ctx);
	if (plan_selected(STEP_NAME_BACKUP, only, skip) && plan_any_present(p)) {
		s = add_step(p, STEP_BACKUP, -1, -1);
		strlcopy(s->id, STEP_NAME_BACKUP, sizeof(s->id));
		strlcopy(s->title, "backup: the dcs and the kinds the guide saves, one JSON file each", sizeof(s->title));
	}
	if (plan_selected(STEP_NAME_RELEASE, only, skip) && plan_any_present(p)) {
		procedure_release_patch(p->hop, p->release_patch, sizeof(p->release_patch));
		s = add_step(p, STEP_RELEASE, -1, -1);
		strlcopy(s->id, STEP_NAME_RELEASE, sizeof(s->id));
		snprintf(s->title, sizeof(s->title), "cm/%s: %s %s -> %s", p->hop->release_cm, p->hop->release_key,
			 from, to);
	}

	if (p->hop->secret && plan_selected(STEP_NAME_SECRET, only, skip) && plan_any_present(p)) {
		procedure_secret_patch(p->hop, p->secret_patch, sizeof(p->secret_patch));
		s = add_step(p, STEP_SECRET, -1, -1);
		snprintf(s->id, sizeof(s->id), "secret/%s", p->hop->secret);
		snprintf(s->title, sizeof(s->title), "secret/%s: remove %s", p->hop->secret, p->hop->secret_key);
	}

	add_edit_steps(p, only, skip);

	/* every tag and every import before the first trigger moves */
	for (i = 0; i < p->nsections; i++) {
		if (!p->sections[i].present || !p->sections[i].in_run)
			continue;
		s = add_step(p, STEP_TAG, i, -1);
		snprintf(s->id, sizeof(s->id), "tag/%s", PLAN_IS(p, i));
		snprintf(s->title, sizeof(s->title), "add image stream tag %s:%s", PLAN_IS(p, i), to);
	}
	for (i = 0; i < p->nsections; i++) {
		if (!p->sections[i].present || !p->sections[i].in_run)
			continue;
		s = add_step(p, STEP_IMPORT, i, -1);
		snprintf(s->id, sizeof(s->id), "import/%s", PLAN_IS(p, i));
		snprintf(s->title, sizeof(s->title), "wait for the import of %s:%s", PLAN_IS(p, i), to);
	}
	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].in_run)
			add_dc_steps(p, i);
	if (plan_selected(STEP_NAME_CONFIRM, only, skip) && plan_any_present(p)) {
		/* confirm checks the sections of the run; asked for alone, every section */
		if (!plan_any_in_run(p))
			for (i = 0; i < p->nsections; i++)
				p->sections[i].checked = 1;
		s = add_step(p, STEP_CONFIRM, -1, -1);
		strlcopy(s->id, STEP_NAME_CONFIRM, sizeof(s->id));
		strlcopy(s->title, "confirm: every dc runs the image of its new tag", sizeof(s->title));
	}
	if (p->sys >= 0 && p->sections[p->sys].present && p->sections[p->sys].in_run) {
		s = add_step(p, STEP_REPLICAS, p->sys, -1);
		strlcopy(s->id, "replicas", sizeof(s->id));
		strlcopy(s->title, "restore replicas recorded by scale-down", sizeof(s->title));
	}
}

static void
add_ns(struct args *a, const char *ns)
{
	if (ns) {
		args_add(a, "-n");
		args_add(a, "%s", ns);
	}
}

void
cmd_get(struct args *a, const char *oc, const char *ns, const char *what, const char *selector)
{
	args_init(a, oc);
	args_add(a, "get");
	args_add(a, "%s", what);
	if (selector) {
		args_add(a, "-l");
		args_add(a, "%s", selector);
	}
	add_ns(a, ns);
	args_add(a, "-o");
	args_add(a, "json");
}

void
cmd_trigger(struct args *a, const struct plan *p, const char *oc, const char *ns, int dc, int remove)
{
	const struct plan_section *ps = PLAN_DC_SECTION(p, dc);

	args_init(a, oc);
	args_add(a, "set");
	args_add(a, "triggers");
	args_add(a, "dc/%s", PLAN_DC_NAME(p, dc));
	args_add(a, "--from-image=%s:%s", ps->sec->imagestream, remove ? ps->old_tag : ps->new_tag);
	args_add(a, "--containers=%s", p->dcs[dc].spec->containers);
	if (remove)
		args_add(a, "--remove");
	add_ns(a, ns);
}

void
cmd_scale(struct args *a, const char *oc, const char *ns, const char *dc, long replicas)
{
	args_init(a, oc);
	args_add(a, "scale");
	args_add(a, "dc/%s", dc);
	args_add(a, "--replicas=%ld", replicas);
	add_ns(a, ns);
}

void
cmd_annotate_replicas(struct args *a, const char *oc, const char *ns, const char *dc, long replicas)
{
	args_init(a, oc);
	args_add(a, "annotate");
	args_add(a, "dc/%s", dc);
	if (replicas < 0) {
		args_add(a, REPLICAS_ANNOTATION "-");
	} else {
		args_add(a, REPLICAS_ANNOTATION "=%ld", replicas);
		args_add(a, "--overwrite");
	}
	add_ns(a, ns);
}

void
cmd_rollout_retry(struct args *a, const char *oc, const char *ns, const char *dc)
{
	args_init(a, oc);
	args_add(a, "rollout");
	args_add(a, "retry");
	args_add(a, "dc/%s", dc);
	add_ns(a, ns);
}

void
cmd_patch(struct args *a, const char *oc, const char *ns, const char *kind, const char *name, const char *type,
	  const char *patch)
{
	args_init(a, oc);
	args_add(a, "patch");
	args_add(a, "%s", kind);
	args_add(a, "%s", name);
	if (type) {
		args_add(a, "--type=%s", type);
		args_add(a, "-p");
	} else {
		args_add(a, "--patch");
	}
	args_add(a, "%s", patch);
	add_ns(a, ns);
}

/* a STEP_EDIT's commands: the guide's, less those s->skip leaves out */
static int
edit_commands(const struct plan *p, const struct step *s, const char *oc, const char *ns, struct args *cmds, int max)
{
	const struct dc_edit *ed = STEP_EDIT_OF(p, s);
	const char *dc = PLAN_DC_NAME(p, s->dc);
	char key[128], patch[640];
	int n = 0, k;

	switch (ed->kind) {
	case EDIT_ENV:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		args_init(&cmds[0], oc);
		args_add(&cmds[0], "set");
		args_add(&cmds[0], "env");
		args_add(&cmds[0], "dc/%s", dc);
		args_add(&cmds[0], "%s=%s", ed->key, ed->value);
		add_ns(&cmds[0], ns);
		return 1;
	case EDIT_ANNOTATIONS:
		if (!(s->skip & SKIP_PATCH) && n < max)
			cmd_patch(&cmds[n++], oc, ns, "dc", dc, NULL, s->patch);
		for (k = 0; procedure_edit_key(ed, k, key, sizeof(key)) && n < max; k++) {
			if (s->skip & SKIP_KEY(k))
				continue;
			args_init(&cmds[n], oc);
			args_add(&cmds[n], "annotate");
			args_add(&cmds[n], "dc");
			args_add(&cmds[n], "%s", dc);
			args_add(&cmds[n], "%s-", key);
			add_ns(&cmds[n++], ns);
		}
		return n;
	case EDIT_RESOURCES:
		if (max < 1 || (s->skip & SKIP_PATCH) || procedure_resources_patch(ed, patch, sizeof(patch)) < 0)
			return 0;
		cmd_patch(&cmds[0], oc, ns, "dc", dc, NULL, patch);
		return 1;
	default:
		return 0;
	}
}

int
plan_step_commands(const struct plan *p, const struct step *s, const char *oc,
		   const char *ns, struct args *cmds, int max)
{
	int n = 0;

	switch (s->kind) {
	case STEP_RELEASE:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		cmd_patch(&cmds[0], oc, ns, "cm", p->hop->release_cm, NULL, p->release_patch);
		return 1;
	case STEP_SECRET:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		cmd_patch(&cmds[0], oc, ns, "secret", p->hop->secret, "json", p->secret_patch);
		return 1;
	case STEP_UNTAG:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		args_init(&cmds[0], oc);
		args_add(&cmds[0], "tag");
		args_add(&cmds[0], "-d");
		args_add(&cmds[0], "%s:%s", PLAN_IS(p, s->section), p->hop->untag);
		add_ns(&cmds[0], ns);
		return 1;
	case STEP_TAG:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		args_init(&cmds[0], oc);
		args_add(&cmds[0], "patch");
		args_add(&cmds[0], "imagestream/%s", PLAN_IS(p, s->section));
		args_add(&cmds[0], "--type=json");
		args_add(&cmds[0], "-p");
		args_add(&cmds[0], "%s", p->sections[s->section].patch);
		add_ns(&cmds[0], ns);
		return 1;
	case STEP_DC:
		if (max < 3)
			return 0;
		if (!(s->skip & SKIP_REMOVE))
			cmd_trigger(&cmds[n++], p, oc, ns, s->dc, 1);
		/* 2.11 redis: the command the new image has, before the trigger that brings it */
		if (s->patch[0] && !(s->skip & SKIP_COMMAND))
			cmd_patch(&cmds[n++], oc, ns, "dc", PLAN_DC_NAME(p, s->dc), NULL, s->patch);
		if (!(s->skip & SKIP_ADD))
			cmd_trigger(&cmds[n++], p, oc, ns, s->dc, 0);
		return n;
	case STEP_HOOK_ENV:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		cmd_patch(&cmds[0], oc, ns, "dc", PLAN_DC_NAME(p, s->dc), "json", s->patch);
		return 1;
	case STEP_EDIT:
		return edit_commands(p, s, oc, ns, cmds, max);
	default:
		return 0;
	}
}

void
cmd_can_i(struct args *a, const char *oc, const char *ns, const char *verb, const char *resource)
{
	args_init(a, oc);
	args_add(a, "auth");
	args_add(a, "can-i");
	args_add(a, "%s", verb);
	args_add(a, "%s", resource);
	add_ns(a, ns);
}

const char *
rc_selector(const struct plan *p, int dc, char *buf, size_t n)
{
	snprintf(buf, n, "openshift.io/deployment-config.name=%s", PLAN_DC_NAME(p, dc));
	return buf;
}

const char *
pod_selector(const struct plan *p, int dc, char *buf, size_t n)
{
	snprintf(buf, n, "deploymentconfig=%s", PLAN_DC_NAME(p, dc));
	return buf;
}

int
plan_any_in_run(const struct plan *p)
{
	int i;

	for (i = 0; i < p->nsections; i++)
		if (p->sections[i].in_run)
			return 1;
	return 0;
}

int
plan_dc_checked(const struct plan *p, int i)
{
	const struct plan_section *ps = PLAN_DC_SECTION(p, i);

	return p->dcs[i].present && (ps->in_run || ps->checked);
}

int
plan_any_present(const struct plan *p)
{
	int i;

	for (i = 0; i < p->ndcs; i++)
		if (p->dcs[i].present)
			return 1;
	return 0;
}
