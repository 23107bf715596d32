/*
 * edits.h - pure decisions over a dc document for the changes of a dc besides its image
 * (procedure.h's struct dc_edit, 2.10 -> 2.11): is it done, what does it still need, and
 * the patches the commands send. Nothing here runs a process, prints or keeps state.
 */
#ifndef EDITS_H
#define EDITS_H

#include <jansson.h>
#include <stddef.h>

#include "procedure.h"

/* the path of the pre hook's env, as a JSON pointer and as keys */
#define HOOK_ENV_POINTER "/spec/strategy/rollingParams/pre/execNewPod/env"

/* the index of dc's pre hook env entry called name, -1 if none */
int hook_env_index(const json_t *dc, const char *name);
/* 1 if that entry is the literal value of ed (and takes nothing from elsewhere) */
int hook_env_done(const json_t *dc, const struct dc_edit *ed);
/*
 * The JSON patch that tests dc's entry, found by name, exactly as read and replaces it by
 * the literal {name, value}, into buf. dc NULL: the entry of the 2.10 template (the fourth,
 * from secret backend-listener's route_endpoint), for plan without a cluster. -1 if the dc
 * has no such entry or buf is too small.
 */
int hook_env_patch(const json_t *dc, const struct dc_edit *ed, char *buf, size_t n);

/* 1 if every container of dc's pod template (not the init containers: oc set env leaves
 * them) has the env entry key = value, with no valueFrom */
int env_done(const json_t *dc, const struct dc_edit *ed);

/* where the annotations of an EDIT_ANNOTATIONS are */
struct annotations_view {
	unsigned on_dc;        /* bit k: key k (of ed->key) is still in the dc's metadata */
	int on_template;       /* the pod template has every key still on the dc, with its value */
	int template_any;      /* the pod template has one of the keys at least */
};
void annotations_assess(const json_t *dc, const struct dc_edit *ed, struct annotations_view *v);
/* the guide's strategic patch that puts the dc's values of the keys on its pod template
 * (dc NULL: the template's 9393 and true), into buf; -1 if it does not fit */
int annotations_patch(const json_t *dc, const struct dc_edit *ed, char *buf, size_t n);

enum resources_state {
	RES_CHANGE,     /* lower than the guide's: the patch applies */
	RES_DONE,       /* the guide's limits and requests */
	RES_NO_LIMIT,   /* no memory limit: left as it is (the guide's "unless") */
	RES_HIGHER,     /* a higher memory limit: left as it is */
	RES_NO_CONTAINER
};
/* container ed->key's resources against ed's limits and requests */
enum resources_state resources_assess(const json_t *dc, const struct dc_edit *ed);
/* the memory limit of container name of dc, or NULL */
const char *resources_memory_limit(const json_t *dc, const char *name);

/* a Kubernetes quantity ("500Mi", "0.5", "100m", "1e3", "2G") in its base unit; 0 if it
 * is not one */
int quantity_parse(const char *s, double *v);

/* 1 if container name of dc's pod template runs exactly the command [cmd] */
int container_command_is(const json_t *dc, const char *name, const char *cmd);

#endif
