/* plan.h - the documented procedure as data, built from (from, to, database) */
#ifndef PLAN_H
#define PLAN_H

#include "args.h"
#include "procedure.h"

enum database { DB_AUTO, DB_OTHER, DB_ORACLE };

enum step_kind {
	STEP_TAG,      /* add the image stream tag <to> */
	STEP_IMPORT,   /* wait for the tag's import */
	STEP_DC,       /* move one dc's image trigger and wait for its rollout */
	STEP_REPLICAS  /* restore replicas recorded by scale-down */
};

/* the three system DeploymentConfigs and their documented --containers, in order: the
 * system section of the procedure (procedure.c), the only one the engine runs so far */
#define NDCS 3
extern const struct dc_spec *const system_dcs;

struct step {
	enum step_kind kind;
	int dc;              /* index into system_dcs for STEP_DC */
	char id[32];         /* stable identifier: "tag", "import", "dc/system-app", "replicas" */
	char title[128];     /* one line for people */
	unsigned skip;       /* commands the cluster state makes needless: SKIP_* */
	char note[96];       /* why, for `plan` */
};

/* commands of a step left out of plan_step_commands */
enum { SKIP_PATCH = 1, SKIP_REMOVE = 2, SKIP_ADD = 4 };

#define PLAN_MAX_STEPS 8
#define IMAGESTREAM "amp-system"
#define REPLICAS_ANNOTATION "3scale-upgrade/replicas"

struct plan {
	char from[16], to[16];
	enum database db;
	char old_tag[32];     /* trigger tag before: "2.9" or "2.9-oracle" */
	char new_tag[32];     /* trigger tag after:  "2.10" or "2.10-oracle" */
	char image[128];      /* the image tag <to> is added from */
	char patch[512];      /* the JSON patch of the guide, byte for byte */
	struct step steps[PLAN_MAX_STEPS];
	int nsteps;
};

/* fill p for from -> to (a hop of procedure.c) on database db (DB_OTHER or DB_ORACLE) */
void plan_build(struct plan *p, const char *from, const char *to, enum database db);
/* "oracle", "other" or "auto" */
const char *database_name(enum database db);

/*
 * The oc commands that apply one step, in order, for namespace ns (NULL: omit -n).
 * Fills at most max commands into cmds and returns how many. STEP_DC gives the
 * documented remove and add commands; STEP_TAG the documented patch; the others none
 * (their commands depend on cluster state). Commands in s->skip are left out.
 */
int plan_step_commands(const struct plan *p, const struct step *s, const char *oc,
		       const char *ns, struct args *cmds, int max);

/* helpers that build single commands, shared by plan and engine */
void cmd_get(struct args *a, const char *oc, const char *ns, const char *what, const char *selector);
void cmd_trigger(struct args *a, const struct plan *p, const char *oc, const char *ns, int dc, int remove);
void cmd_scale(struct args *a, const char *oc, const char *ns, const char *dc, long replicas);
void cmd_annotate_replicas(struct args *a, const char *oc, const char *ns, const char *dc, long replicas);
void cmd_can_i(struct args *a, const char *oc, const char *ns, const char *verb, const char *resource);
void cmd_rollout_retry(struct args *a, const char *oc, const char *ns, const char *dc);

#endif
