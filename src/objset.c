/* objset.c - objects of one kind, merged from lists and watch events by resourceVersion */
#include "objset.h"

#include <stdlib.h>
#include <string.h>

void
objset_init(struct objset *s)
{
	s->objs = json_object();
	s->gone = json_object();
	s->maxrv = 0;
	s->listed = 0;
}

void
objset_free(struct objset *s)
{
	json_decref(s->objs);
	json_decref(s->gone);
	s->objs = s->gone = NULL;
}

void
objset_clear(struct objset *s)
{
	objset_free(s);
	objset_init(s);
}

uint64_t
objset_rv(const json_t *obj)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	char *end;
	unsigned long long v;

	if (!rv || !*rv)
		return 0;
	v = strtoull(rv, &end, 10);
	return *end ? 0 : (uint64_t)v;
}

static const char *
name_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

/* take obj (added or modified) unless something newer is known; 1 if changed */
static int
put(struct objset *s, const json_t *obj)
{
	const char *name = name_of(obj);
	uint64_t rv = objset_rv(obj);
	const json_t *cur;

	if (!name)
		return 0;
	if (rv > s->maxrv)
		s->maxrv = rv;
	cur = json_object_get(s->objs, name);
	if (cur && rv && objset_rv(cur) > rv)
		return 0;
	if (rv && (uint64_t)json_integer_value(json_object_get(s->gone, name)) >= rv)
		return 0;
	if (cur && json_equal(cur, obj))
		return 0;
	json_object_set_new(s->objs, name, json_deep_copy(obj));
	json_object_del(s->gone, name);
	return 1;
}

/* the object is gone as of version rv; 1 if changed */
static int
drop(struct objset *s, const char *name, uint64_t rv)
{
	const json_t *cur = json_object_get(s->objs, name);

	if (rv > s->maxrv)
		s->maxrv = rv;
	if ((uint64_t)json_integer_value(json_object_get(s->gone, name)) < rv || !json_object_get(s->gone, name))
		json_object_set_new(s->gone, name, json_integer((json_int_t)rv));
	if (!cur || (rv && objset_rv(cur) > rv))
		return 0;
	json_object_del(s->objs, name);
	return 1;
}

int
objset_event(struct objset *s, const char *type, const json_t *obj)
{
	const char *name = name_of(obj);

	if (!type || !name)
		return 0;
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0)
		return put(s, obj);
	if (strcmp(type, "DELETED") == 0)
		return drop(s, name, objset_rv(obj));
	return 0;
}

int
objset_list(struct objset *s, const json_t *list, uint64_t floor)
{
	const json_t *items = json_object_get(list, "items");
	const char *name;
	json_t *obj, *tmp, *seen = json_object();
	int changed = 0;
	size_t i;

	if (!json_is_array(items)) {
		/* a single object */
		if (name_of(list)) {
			changed |= put(s, list);
			json_object_set_new(seen, name_of(list), json_true());
			if (objset_rv(list) > floor)
				floor = objset_rv(list);
		}
	} else {
		json_array_foreach(items, i, obj) {
			if (!name_of(obj))
				continue;
			changed |= put(s, obj);
			json_object_set_new(seen, name_of(obj), json_true());
			if (objset_rv(obj) > floor)
				floor = objset_rv(obj);
		}
	}
	json_object_foreach_safe(s->objs, tmp, name, obj) {
		uint64_t rv = objset_rv(obj);

		if (json_object_get(seen, name) || rv > floor)
			continue;
		/* the list was taken after this version and does not have it: deleted */
		json_object_set_new(s->gone, name, json_integer((json_int_t)rv));
		json_object_del(s->objs, name);
		changed = 1;
	}
	json_decref(seen);
	if (!s->listed)
		changed = 1;
	s->listed = 1;
	return changed;
}

json_t *
objset_as_list(const struct objset *s)
{
	json_t *items = json_array(), *obj;
	const char *name;

	json_object_foreach(s->objs, name, obj)
		json_array_append(items, obj);
	return json_pack("{s:s, s:o, s:s}", "apiVersion", "v1", "items", items, "kind", "List");
}

const json_t *
objset_single(const struct objset *s)
{
	const char *name;
	json_t *obj;

	json_object_foreach(s->objs, name, obj)
		return obj;
	return NULL;
}

int
objset_is_terminating(const json_t *obj)
{
	const json_t *ts = json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp");

	return ts != NULL && !json_is_null(ts);
}

int
objset_count_terminating(const struct objset *s)
{
	const char *name;
	json_t *obj;
	int n = 0;

	json_object_foreach(s->objs, name, obj)
		n += objset_is_terminating(obj);
	return n;
}
