/*
 * assess.h - pure decisions over parsed `oc get -o json` documents.
 *
 * Nothing here runs a process, prints, or keeps state: each function reads the
 * documents it is given and fills a view. The strings in a view are copies, so a
 * view outlives the documents.
 */
#ifndef ASSESS_H
#define ASSESS_H

#include <jansson.h>

#include "procedure.h"

#include "plan.h"

/* --- image stream tags ------------------------------------------------------ */

enum tag_state {
	TAG_ABSENT,    /* neither in spec.tags nor with an image in status.tags */
	TAG_PENDING,   /* in spec.tags, import not finished for its generation */
	TAG_IMPORTED,  /* has an image for the current generation (or was built/pushed) */
	TAG_FAILED     /* ImportSuccess False for the current generation */
};

struct tag_view {
	enum tag_state state;
	int in_spec;              /* spec.tags has an entry of that name */
	char from_kind[32];       /* spec tag's from.kind, "" if none */
	char from_name[256];      /* spec tag's from.name, "" if none */
	long generation;          /* spec tag's generation, 0 if none */
	char digest[80];          /* "sha256:..." of items[0].image when imported */
	char reference[320];      /* items[0].dockerImageReference */
	char reason[64];          /* failed import: condition reason */
	char message[512];        /* failed import: condition message */
};

/* judge tag `tag` of ImageStream `is`; -1 if `is` is not an object */
int tag_assess(const json_t *is, const char *tag, struct tag_view *v);

/* --- DeploymentConfig triggers and containers --------------------------------- */

/* the tag of the dc's first image trigger on stream `is` that is on neither old_tag nor
 * new_tag (a trigger the hop's remove and add would leave behind), or NULL */
const char *dc_odd_trigger(const json_t *dc, const char *is, const char *old_tag, const char *new_tag);

/*
 * Which database branch the dc's image triggers on stream `is` (amp-system) belong to: DB_ORACLE for
 * a trigger on <from>-oracle or <to>-oracle, DB_OTHER for <from> or <to>, DB_AUTO when
 * the dc has no image trigger on `is` (a run stopped between remove and add).
 * -1 with why filled for a trigger on any other tag of `is` or for a mix.
 */
int dc_database(const json_t *dc, const char *is, const char *from, const char *to, char *why, size_t n);

/* combine the dcs' answers of dc_database: -1 (why filled) if they contradict */
int detect_database(const json_t *const dcs[], int ndcs, const char *is, const char *from, const char *to,
		    char *why, size_t n);

struct trigger_view {
	int image_triggers;     /* ImageChange triggers on the image stream */
	int has_old;            /* one from IS:<old tag> */
	int has_new;            /* one from IS:<new tag> */
	int new_containers_ok;  /* and its containerNames are exactly the documented set */
};

/* the release an image trigger's tag names: "2.9" from "2.9" or "2.9-oracle"; 0, or -1 if none */
int tag_release(const char *tag, char *release, size_t n);

/* what the image triggers of an install say about the release it runs */
struct release_view {
	char release[16];    /* the lowest release a trigger names */
	char dc[64];         /* the first dc (in the guide's order) on it ... */
	char trigger[160];   /* ... and its trigger, "amp-system:2.9" */
	int ndcs;            /* dcs with an image trigger on their section's stream */
};

/*
 * The release that runs, from the dcs of hop h's sections in list (a List of dcs): the
 * lowest release any of their image triggers (on its section's stream) names. 1 and v
 * filled; 0 if no dc has such a trigger; -1 and why if one names a tag that is no release.
 */
int detect_release(const json_t *list, const struct hop *h, struct release_view *v, char *why, size_t n);

/* 1 if image stream is (NULL: none) has tag `tag` in its spec */
int is_has_spec_tag(const json_t *is, const char *tag);

/* read dc's triggers on image stream `is` against the old and new tags and the
 * documented containers */
void trigger_assess(const json_t *dc, const char *is, const char *old_tag, const char *new_tag,
		    const char *containers, struct trigger_view *v);

/* 0 if every comma-separated name is a container or init container of dc; else 1 and
 * the first missing one is copied to missing */
int dc_missing_container(const json_t *dc, const char *containers, char *missing, size_t n);

/* the image of dc's container or init container called name, or NULL */
const char *dc_container_image(const json_t *dc, const char *name);
/* 1 if image ("repo@sha256:...") has this digest ("sha256:...") */
int image_has_digest(const char *image, const char *digest);
/* the item of List document list whose metadata.name is name, or NULL */
json_t *list_item(const json_t *list, const char *name);

/* 1 if every listed container of dc runs an image with this digest ("sha256:...") */
int dc_runs_digest(const json_t *dc, const char *containers, const char *digest);

/* spec.replicas (0 if absent) */
long dc_replicas(const json_t *dc);

/* replicas recorded by scale-down in the REPLICAS_ANNOTATION, -1 if none or invalid */
long dc_recorded_replicas(const json_t *dc);

/* --- rollouts ----------------------------------------------------------------- */

enum rollout_state { ROLLOUT_PROGRESSING, ROLLOUT_DONE, ROLLOUT_FAILED };

struct rollout_view {
	enum rollout_state state;
	long latest;            /* status.latestVersion */
	char rc[128];           /* the latest ReplicationController, NAME-latest */
	char phase[24];         /* its openshift.io/deployment.phase, "" if not seen */
	char reason[64];        /* failure reason, or the Progressing reason */
	char message[512];      /* failure message */
	char log_pod[160];      /* deployer pod to read logs from, on failure */
	char hook_pod[160];     /* pre-hook pod, if the strategy has a pre hook */
	long desired;           /* spec.replicas */
	long ready_new;         /* ready pods of the latest rollout */
	long live_new;          /* pods of the latest rollout, not terminating */
	long old_pods;          /* pods of older rollouts, terminating included */
	long terminating;       /* pods with a deletionTimestamp */
	char waiting[200];      /* what it is still waiting for, when progressing */
};

/*
 * Is dc's rollout done, failed or still going? rcs and pods are the List documents
 * of `oc get rc -l openshift.io/deployment-config.name=NAME` and `oc get pods -l
 * deploymentconfig=NAME`. When expect_new is set, only a rollout newer than baseline
 * counts. Done means: the latest RC is Complete, Progressing says
 * NewReplicationControllerAvailable for it, the controller has observed the current
 * generation, the desired pods of the latest rollout are ready, and no other pod
 * remains (terminating included). A cancelled latest rollout with a newer generation
 * pending, or cancelled because "newer deployment was found running", is still
 * progressing (the trigger fired twice).
 */
void rollout_assess(const json_t *dc, const json_t *rcs, const json_t *pods, long baseline,
		    int expect_new, struct rollout_view *v);

#endif
