/* plan.c - the documented procedure as data, built from (from, to, database) */
#include "plan.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

const struct dc_spec *const system_dcs = procedure_2_10[0].dcs;

const char *
database_name(enum database db)
{
	switch (db) {
	case DB_ORACLE: return "oracle";
	case DB_OTHER: return "other";
	default: return "auto";
	}
}

static struct step *
add_step(struct plan *p, enum step_kind kind, int dc)
{
	struct step *s = &p->steps[p->nsteps++];

	s->kind = kind;
	s->dc = dc;
	return s;
}

void
plan_build(struct plan *p, const char *from, const char *to, enum database db)
{
	const char *suffix = db == DB_ORACLE ? "-oracle" : "";
	const struct hop *h = procedure_hop(from, to);
	const struct section *sys = h ? procedure_section(h, "system") : NULL;
	struct step *s;
	int i;

	memset(p, 0, sizeof(*p));
	strlcopy(p->from, from, sizeof(p->from));
	strlcopy(p->to, to, sizeof(p->to));
	p->db = db;
	snprintf(p->old_tag, sizeof(p->old_tag), "%s%s", from, suffix);
	snprintf(p->new_tag, sizeof(p->new_tag), "%s%s", to, suffix);
	if (sys) {
		strlcopy(p->image, sys->image, sizeof(p->image));
		procedure_tag_patch(sys, to, p->patch, sizeof(p->patch));
	}

	s = add_step(p, STEP_TAG, -1);
	strlcopy(s->id, "tag", sizeof(s->id));
	snprintf(s->title, sizeof(s->title), "add image stream tag " IMAGESTREAM ":%s", to);
	s = add_step(p, STEP_IMPORT, -1);
	strlcopy(s->id, "import", sizeof(s->id));
	snprintf(s->title, sizeof(s->title), "wait for the import of " IMAGESTREAM ":%s", to);
	for (i = 0; i < NDCS; i++) {
		s = add_step(p, STEP_DC, i);
		snprintf(s->id, sizeof(s->id), "dc/%s", system_dcs[i].name);
		snprintf(s->title, sizeof(s->title), "dc/%s: trigger " IMAGESTREAM ":%s -> " IMAGESTREAM ":%s, roll out",
			 system_dcs[i].name, p->old_tag, p->new_tag);
	}
	s = add_step(p, STEP_REPLICAS, -1);
	strlcopy(s->id, "replicas", sizeof(s->id));
	strlcopy(s->title, "restore replicas recorded by scale-down", sizeof(s->title));
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
	args_init(a, oc);
	args_add(a, "set");
	args_add(a, "triggers");
	args_add(a, "dc/%s", system_dcs[dc].name);
	args_add(a, "--from-image=" IMAGESTREAM ":%s", remove ? p->old_tag : p->new_tag);
	args_add(a, "--containers=%s", system_dcs[dc].containers);
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

int
plan_step_commands(const struct plan *p, const struct step *s, const char *oc,
		   const char *ns, struct args *cmds, int max)
{
	int n = 0;

	switch (s->kind) {
	case STEP_TAG:
		if (max < 1 || (s->skip & SKIP_PATCH))
			return 0;
		args_init(&cmds[0], oc);
		args_add(&cmds[0], "patch");
		args_add(&cmds[0], "imagestream/" IMAGESTREAM);
		args_add(&cmds[0], "--type=json");
		args_add(&cmds[0], "-p");
		args_add(&cmds[0], "%s", p->patch);
		add_ns(&cmds[0], ns);
		return 1;
	case STEP_DC:
		if (max < 2)
			return 0;
		if (!(s->skip & SKIP_REMOVE))
			cmd_trigger(&cmds[n++], p, oc, ns, s->dc, 1);
		if (!(s->skip & SKIP_ADD))
			cmd_trigger(&cmds[n++], p, oc, ns, s->dc, 0);
		return n;
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
