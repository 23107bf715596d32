/* plan.h - the steps of a run, built from the procedure (procedure.c), the database,
 * the sections asked for and the dcs the namespace has */
#ifndef PLAN_H
#define PLAN_H

#include "args.h"
#include "procedure.h"

enum database { DB_AUTO, DB_OTHER, DB_ORACLE };

enum step_kind {
	STEP_BACKUP,   /* save the objects the guide's backup saves, one JSON file each */
	STEP_RELEASE,  /* the version number: patch the release ConfigMap's key to <to>, read it back */
	STEP_SECRET,   /* remove a key from a secret (2.8 -> 2.9: BASE_URL), unless it is gone */
	STEP_HOOK_ENV, /* a JSON patch of a dc's pre hook env entry, tested (2.10 -> 2.11: BACKEND_ROUTE) */
	STEP_EDIT,     /* change one dc's pod template (set env, annotations, resources) and wait for its rollout */
	STEP_TAG,      /* add a section's image stream tag <to> */
	STEP_IMPORT,   /* wait for that tag's import */
	STEP_DC,       /* move one dc's image trigger and wait for its rollout */
	STEP_UNTAG,    /* delete a section's old tag (oc tag -d IS:latest), unless it is gone */
	STEP_ABSENT,   /* a section, or one dc of it, that the namespace does not have: skipped */
	STEP_CONFIRM,  /* every dc runs its new tag's image in every container its trigger names */
	STEP_REPLICAS  /* restore replicas recorded by scale-down */
};

#define PLAN_MAX_SECTIONS 12
#define PLAN_MAX_DCS 24
#define PLAN_MAX_STEPS 64

/* one section of the hop, as this run does it */
struct plan_section {
	const struct section *sec;   /* the row of procedure.c */
	char old_tag[32];            /* trigger tag before: "2.9" (system on Oracle: "2.9-oracle") */
	char new_tag[32];            /* trigger tag after:  "2.10" (system on Oracle: "2.10-oracle") */
	char patch[640];             /* the guide's JSON patch that adds tag <to> */
	int present;                 /* at least one of its dcs exists */
	int in_run;                  /* --only/--skip leave it in: its steps are in the plan */
	int checked;                 /* not in the run, but the confirm step checks its dcs */
};

/* one dc of the plan, in the guide's order */
struct plan_dc {
	const struct dc_spec *spec;  /* name and documented --containers */
	int section;                 /* index into plan.sections */
	int present;                 /* the namespace has it */
};

struct step {
	enum step_kind kind;
	int section;         /* index into plan.sections (-1 for STEP_RELEASE) */
	int dc;              /* index into plan.dcs for STEP_DC, STEP_HOOK_ENV, STEP_EDIT and a dc's STEP_ABSENT, else -1 */
	int edit;            /* STEP_HOOK_ENV, STEP_EDIT: index into hop->edits, else -1 */
	char id[48];         /* stable identifier: "tag/amp-system", "import/amp-system", "dc/system-app", ... */
	char title[160];     /* one line for people */
	int group;           /* --parallel: > 0 for the dc steps whose sections run side by side (adjacent) */
	unsigned skip;       /* commands the cluster state makes needless: SKIP_* */
	char note[96];       /* why, for `plan` */
	char patch[640];     /* STEP_HOOK_ENV, STEP_EDIT (annotations), a redis STEP_DC: the patch, as decided from
			      * the dc read (plan without a cluster: from the template's) */
};

/* commands of a step left out of plan_step_commands; SKIP_KEY(k): the removal of annotation k */
enum { SKIP_PATCH = 1, SKIP_REMOVE = 2, SKIP_ADD = 4, SKIP_COMMAND = 8 };
#define SKIP_KEY(k) (16u << (k))
/* the edit of step s, or NULL */
#define STEP_EDIT_OF(p, s) ((s)->edit >= 0 ? &(p)->hop->edits[(s)->edit] : NULL)

#define REPLICAS_ANNOTATION "3scale-upgrade/replicas"

struct plan {
	char from[16], to[16];
	int from_detected;        /* from was read from the dcs' image triggers */
	enum database db;
	const struct hop *hop;
	struct plan_section sections[PLAN_MAX_SECTIONS];
	int nsections;
	struct plan_dc dcs[PLAN_MAX_DCS];
	int ndcs;
	int sys;              /* the system section's index (-1: the hop has none) */
	char release_patch[128];  /* the guide's patch of the version number */
	char secret_patch[128];   /* the JSON patch that removes the hop's secret key */
	struct step steps[PLAN_MAX_STEPS];
	int nsteps;
};

/* does the namespace have dc `name`? (for plan_build; ctx is the caller's) */
typedef int (*dc_exists_fn)(void *ctx, const char *name);

/*
 * Fill p for from -> to (a hop of procedure.c) on database db (DB_OTHER or DB_ORACLE),
 * with the sections that only and skip (comma-separated section names, NULL: all,
 * none) leave. exists tells which dcs the namespace has (NULL: all of them). The
 * steps: every present section's tag, then every import, then the dcs in the guide's
 * order (absent ones as STEP_ABSENT), then the replicas (with the system section).
 */
void plan_build(struct plan *p, const char *from, const char *to, enum database db,
		const char *only, const char *skip, dc_exists_fn exists, void *ctx);
/*
 * --parallel: the system section first, as built (system-app's pre hook migrates the
 * database), then every other section side by side: the steps of the sections not there
 * first, then the other sections' dc steps in the guide's order, as one group (group 1).
 * The engine runs the group's sections side by side, each section's dcs one after
 * another.
 */
void plan_parallel(struct plan *p);
/* 1 if only and skip leave every step of a hop in the run (the backup aside) */
int plan_whole(const char *only, const char *skip);
/* a hop after the first: the run's backup was taken before the first; no backup step */
void plan_drop_backup(struct plan *p);
/* 1 if section or step name is in the run: in only (when given), not in skip */
int plan_selected(const char *name, const char *only, const char *skip);
/* 1 if some image section is in the run */
int plan_any_in_run(const struct plan *p);
/* 1 if the confirm step checks dc i: present, and its section in the run or checked */
int plan_dc_checked(const struct plan *p, int i);
/* 1 if the namespace has any dc of the hop */
int plan_any_present(const struct plan *p);
/* 1 if name is one of the names --only and --skip take */
int plan_section_name(const char *name);
/* the names --only and --skip take, comma-separated (for messages) */
const char *plan_section_names(void);
/* the dc of index i and its section */
#define PLAN_DC_NAME(p, i) ((p)->dcs[i].spec->name)
#define PLAN_DC_SECTION(p, i) (&(p)->sections[(p)->dcs[i].section])
/* the image stream of section index s */
#define PLAN_IS(p, s) ((p)->sections[s].sec->imagestream)

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
/* oc patch KIND NAME --patch PATCH (a strategic merge), or --type=TYPE -p PATCH */
void cmd_patch(struct args *a, const char *oc, const char *ns, const char *kind, const char *name, const char *type,
	       const char *patch);
void cmd_trigger(struct args *a, const struct plan *p, const char *oc, const char *ns, int dc, int remove);
/* the label selectors of dc i's RCs and pods, into buf */
const char *rc_selector(const struct plan *p, int dc, char *buf, size_t n);
const char *pod_selector(const struct plan *p, int dc, char *buf, size_t n);
void cmd_scale(struct args *a, const char *oc, const char *ns, const char *dc, long replicas);
void cmd_annotate_replicas(struct args *a, const char *oc, const char *ns, const char *dc, long replicas);
void cmd_can_i(struct args *a, const char *oc, const char *ns, const char *verb, const char *resource);
void cmd_rollout_retry(struct args *a, const char *oc, const char *ns, const char *dc);

#endif
