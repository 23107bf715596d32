/*
 * procedure.h - what the "Migrating 3scale" guides ask to run, hop by hop, as data
 * (one table per hop in procedure.c, to hold line by line against the guide)
 */
#ifndef PROCEDURE_H
#define PROCEDURE_H

#include <stddef.h>

/* a dc with the documented --containers of its image trigger (init containers included) */
struct dc_spec {
	const char *name;
	const char *containers; /* comma-separated, as in the guide */
};

#define SECTION_MAX_DCS 3

/* one "Upgrading 3scale images" section: an image stream, its new tag, its dcs */
struct section {
	const char *name;         /* for --only/--skip: "system", "apicast", ... */
	const char *imagestream;  /* "amp-system" */
	const char *image;        /* the DockerImage the new tag is added from */
	const char *display;      /* the tag's openshift.io/display-name */
	int tight_from;           /* the guide writes "from": {"kind" (else "from": { "kind") */
	int database_image;       /* the same image name as before: a rollout only if the digest differs */
	int optional;             /* skipped, and said so, when its dcs do not exist */
	int pattern;              /* follows the guide's pattern (another release's text), not its print */
	struct dc_spec dcs[SECTION_MAX_DCS];
	int ndcs;
	int untag_after;          /* hops with hop.untag: delete IS:<untag> after this dc (index), -1 never */
	int untag_pattern;        /* that deletion follows the guide's pattern (P) */
	const char *command;      /* 2.11 redis: the container command the guide patches in between the
				   * trigger's remove and add (the dc is broken until the add), NULL: none */
};

/* the changes of a dc besides its image (2.10 -> 2.11, before the images) */
enum edit_kind {
	EDIT_HOOK_ENV,     /* a JSON patch of the pre hook's env entry <key> (found by name, tested) to
			    * the literal <value>: not the pod template, so no rollout */
	EDIT_ENV,          /* oc set env dc/DC <key>=<value> (every container): a rollout */
	EDIT_ANNOTATIONS,  /* the dc's annotations <key> (comma-separated, in the guide's order of
			    * removal) put on its pod template with the dc's values, then removed from
			    * the dc: a rollout */
	EDIT_RESOURCES     /* container <key>'s resources set to the limits and requests below, unless
			    * it has no memory limit or a higher one: a rollout */
};

struct dc_edit {
	const char *name;         /* for --only/--skip: "backend-route", ... */
	enum edit_kind kind;
	const char *dc;           /* the dc it changes (one of the hop's sections) */
	const char *key;
	const char *value;        /* EDIT_HOOK_ENV, EDIT_ENV */
	const char *limits_memory, *limits_cpu, *requests_memory, *requests_cpu;  /* EDIT_RESOURCES */
	int pattern;              /* our command follows the guide's intent, not its text (P) */
};

/* one hop of the procedure: from -> to, its sections in the guide's order */
struct hop {
	const char *from, *to;
	const struct section *sections;
	int nsections;
	const char *release_cm;   /* the version number: this ConfigMap's key ... */
	const char *release_key;  /* ... becomes <to> ("system-environment", "AMP_RELEASE") */
	int release_pattern;      /* that step follows another release's guide (P) */
	const char *old_trigger;  /* the tag the old triggers name, NULL: <from> (2.8: "latest") */
	const char *untag;        /* the tag deleted after a section's dcs moved (oc tag -d), NULL: none */
	const char *secret;       /* a key removed from this secret after the version number ... */
	const char *secret_key;   /* ... (2.8 -> 2.9: BASE_URL of system-master-apicast), NULL: none */
	int oracle;               /* the guide describes the Oracle branch of this hop */
	const struct dc_edit *edits;  /* the dcs' other changes, after the version number and before
				       * the images, in the guide's order (2.10 -> 2.11), NULL: none */
	int nedits;
};

/* the steps of a hop besides its image sections, as --only and --skip name them */
#define STEP_NAME_BACKUP "backup"
#define STEP_NAME_RELEASE "release"
#define STEP_NAME_CONFIRM "confirm"
#define STEP_NAME_SECRET "base-url"

/* the sections of 2.8 -> 2.9, 2.9 -> 2.10 and 2.10 -> 2.11, the system section first */
extern const struct section procedure_2_9[];
extern const struct section procedure_2_10[];
extern const struct section procedure_2_11[];
/* the other changes of 2.10 -> 2.11, in the guide's order */
extern const struct dc_edit procedure_edits_2_11[];

/* the hop from -> to, NULL if no guide describes it */
const struct hop *procedure_hop(const char *from, const char *to);
/* the hop that begins at from, NULL if none */
const struct hop *procedure_hop_from(const char *from);
/* hop number i of the table (in the order of the releases), NULL past the last */
const struct hop *procedure_hop_index(size_t i);
/* the number of hops that lead from from to to, one after another (0: none) */
int procedure_chain(const char *from, const char *to);
/* the hop that ends at to, NULL if none */
const struct hop *procedure_hop_to(const char *to);
/* the release whose triggers name tag (a tag that names no release: "latest" -> "2.8"), or NULL */
const char *procedure_release_of_tag(const char *tag);
/* the hops there are, for messages: "2.9 -> 2.10" (a static buffer) */
const char *procedure_hops(void);
/* the section called name in hop h, NULL if none (the first of two alternatives) */
const struct section *procedure_section(const struct hop *h, const char *name);

/* 1 if some hop has a section called name (what --only and --skip take) */
int procedure_section_known(const char *name);
/* every section name of every hop, in the guide's order, comma-separated, once each */
const char *procedure_section_names(void);

/*
 * What the guide's backup saves besides the dcs (each dc of the procedure that exists,
 * one file each): one file per kind of this list (`all` first), in the guide's order and
 * spelling. NULL-terminated.
 */
extern const char *const procedure_backup_kinds[];

/* the JSON patch that removes hop h's secret key, into buf */
int procedure_secret_patch(const struct hop *h, char *buf, size_t n);

/* the guide's patch of the version number to <to> (a strategic merge patch), into buf */
int procedure_release_patch(const struct hop *h, char *buf, size_t n);

/*
 * The guide's JSON patch that adds tag `tag` to section s's image stream, spacing
 * included, into buf (n bytes). Returns the length, or -1 if it does not fit.
 */
int procedure_tag_patch(const struct section *s, const char *tag, char *buf, size_t n);

/* the guide's strategic patch of dc's container (named as the dc) command to s->command, into buf */
int procedure_command_patch(const struct section *s, const char *dc, char *buf, size_t n);
/* the guide's strategic patch of edit ed's container resources (EDIT_RESOURCES), into buf */
int procedure_resources_patch(const struct dc_edit *ed, char *buf, size_t n);
/* key k of ed's comma-separated keys into buf; 0 past the last */
int procedure_edit_key(const struct dc_edit *ed, int k, char *buf, size_t n);
/* 1 if some hop has an edit called name */
int procedure_edit_known(const char *name);

#endif
