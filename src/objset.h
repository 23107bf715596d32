/*
 * objset.h - the objects of one kind as last seen, from a list call and a watch
 * stream (pure: no process, no output).
 *
 * A list and a stream race: a list's result may arrive after events that are newer
 * than its snapshot. Every object carries metadata.resourceVersion; the set keeps,
 * per name, the newest version seen, remembers deletions, and takes from a list
 * only what is not older than what it already knows.
 */
#ifndef OBJSET_H
#define OBJSET_H

#include <jansson.h>
#include <stdint.h>

struct objset {
	json_t *objs;     /* name -> object */
	json_t *gone;     /* name -> resourceVersion of its deletion */
	uint64_t maxrv;   /* the newest resourceVersion seen */
	int listed;       /* a list (or the first document of a single-object watch) was applied */
};

void objset_init(struct objset *s);
void objset_free(struct objset *s);
/* forget everything */
void objset_clear(struct objset *s);

/* metadata.resourceVersion as a number (0 if absent or not a number) */
uint64_t objset_rv(const json_t *obj);

/*
 * Apply a watch event ("ADDED", "MODIFIED", "DELETED"; others are ignored).
 * Returns 1 if the set changed.
 */
int objset_event(struct objset *s, const char *type, const json_t *obj);

/*
 * Apply the items of a List document (or a single object) read by a list call that
 * was started when the set's maxrv was floor: objects the list lacks are dropped when
 * the list's snapshot is known to be newer than them (rv <= floor, or <= the newest
 * item of the list). Returns 1 if the set changed.
 */
int objset_list(struct objset *s, const json_t *list, uint64_t floor);

/* 1 if obj has metadata.deletionTimestamp (deleted, or being deleted) */
int objset_is_terminating(const json_t *obj);

/* how many objects of the set have metadata.deletionTimestamp */
int objset_count_terminating(const struct objset *s);

/* the objects as a List document {"items": [...]} (new reference) */
json_t *objset_as_list(const struct objset *s);

/* the single object of a one-object set (borrowed), NULL if none */
const json_t *objset_single(const struct objset *s);

#endif
