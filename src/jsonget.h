/*
 * jsonget.h - small readers of parsed `oc get -o json` documents, shared by the pure
 * decision files (assess.c, edits.c): a missing key, or a value of another type, reads
 * as NULL (or the default), never as an error.
 */
#ifndef JSONGET_H
#define JSONGET_H

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

static inline const json_t *
jget(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

/* follow a chain of keys: jpath(o, "a", "b") is o.a.b, or NULL */
#define jpath(...) jpath_chain(__VA_ARGS__, (const char *)NULL)

static inline const json_t *
jpath_chain(const json_t *o, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, o);
	while (o && (key = va_arg(ap, const char *)) != NULL)
		o = jget(o, key);
	va_end(ap);
	return o;
}

static inline const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = jget(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static inline long
jlong(const json_t *o, const char *key, long def)
{
	const json_t *v = jget(o, key);

	return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

static inline int
streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* the item of array whose string field is value, or NULL */
static inline const json_t *
find_named(const json_t *array, const char *field, const char *value)
{
	size_t i;
	const json_t *item;

	if (!json_is_array(array))
		return NULL;
	json_array_foreach(array, i, item)
		if (streq(jstr(item, field), value))
			return item;
	return NULL;
}

#endif
