/* edits.c - the decisions of a dc's changes besides its image (2.10 -> 2.11): the pre hook's
 * BACKEND_ROUTE, oc set env, zync's annotations, backend-cron's resources, the redis command */
#include "edits.h"
#include "jsonget.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *
hook_env(const json_t *dc)
{
	return jpath(dc, "spec", "strategy", "rollingParams", "pre", "execNewPod", "env");
}

int
hook_env_index(const json_t *dc, const char *name)
{
	const json_t *env = hook_env(dc), *item;
	size_t i;

	json_array_foreach(env, i, item)
		if (streq(jstr(item, "name"), name))
			return (int)i;
	return -1;
}

/* an env entry that is the literal value: {name, value}, nothing taken from elsewhere */
static int
entry_is_literal(const json_t *entry, const char *value)
{
	return entry && streq(jstr(entry, "value"), value) && !jget(entry, "valueFrom");
}

int
hook_env_done(const json_t *dc, const struct dc_edit *ed)
{
	int i = hook_env_index(dc, ed->key);

	return i >= 0 && entry_is_literal(json_array_get(hook_env(dc), (size_t)i), ed->value);
}

/* s as a JSON string, into buf */
static int
json_quote(const char *s, char *buf, size_t n)
{
	json_t *j = json_string(s ? s : "");
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	int len = t ? snprintf(buf, n, "%s", t) : -1;

	free(t);
	json_decref(j);
	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
hook_env_patch(const json_t *dc, const struct dc_edit *ed, char *buf, size_t n)
{
	char name[256], value[512], *entry;
	int i, len;

	if (dc) {
		i = hook_env_index(dc, ed->key);
		if (i < 0)
			return -1;
		/* the entry exactly as read: a dc changed since is never patched blindly */
		entry = json_dumps(json_array_get(hook_env(dc), (size_t)i), JSON_SORT_KEYS);
	} else {
		i = 3;
		entry = NULL;
	}
	if (json_quote(ed->key, name, sizeof(name)) < 0 || json_quote(ed->value, value, sizeof(value)) < 0) {
		free(entry);
		return -1;
	}
	if (entry)
		len = snprintf(buf, n, "[{\"op\": \"test\", \"path\": \"" HOOK_ENV_POINTER "/%d\", \"value\": %s}, "
			       "{\"op\": \"replace\", \"path\": \"" HOOK_ENV_POINTER "/%d\", \"value\": {\"name\": %s, "
			       "\"value\": %s}}]", i, entry, i, name, value);
	else
		len = snprintf(buf, n, "[{\"op\": \"test\", \"path\": \"" HOOK_ENV_POINTER "/%d\", \"value\": "
			       "{\"name\": %s, \"valueFrom\": {\"secretKeyRef\": {\"key\": \"route_endpoint\", \"name\": "
			       "\"backend-listener\"}}}}, {\"op\": \"replace\", \"path\": \"" HOOK_ENV_POINTER "/%d\", "
			       "\"value\": {\"name\": %s, \"value\": %s}}]", i, name, i, name, value);
	free(entry);
	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
env_done(const json_t *dc, const struct dc_edit *ed)
{
	const json_t *containers = jpath(dc, "spec", "template", "spec", "containers"), *c;
	size_t i;

	if (json_array_size(containers) == 0)
		return 0;
	json_array_foreach(containers, i, c)
		if (!entry_is_literal(find_named(jget(c, "env"), "name", ed->key), ed->value))
			return 0;
	return 1;
}

void
annotations_assess(const json_t *dc, const struct dc_edit *ed, struct annotations_view *v)
{
	const json_t *meta = jpath(dc, "metadata", "annotations");
	const json_t *tmpl = jpath(dc, "spec", "template", "metadata", "annotations");
	char key[128];
	int k;

	memset(v, 0, sizeof(*v));
	v->on_template = 1;
	for (k = 0; procedure_edit_key(ed, k, key, sizeof(key)); k++) {
		const char *mv = jstr(meta, key), *tv = jstr(tmpl, key);

		if (tv)
			v->template_any = 1;
		if (!mv)
			continue;
		v->on_dc |= 1u << k;
		if (!streq(mv, tv))
			v->on_template = 0;
	}
}

int
annotations_patch(const json_t *dc, const struct dc_edit *ed, char *buf, size_t n)
{
	const json_t *meta = jpath(dc, "metadata", "annotations");
	json_t *ann = json_object();
	json_t *doc;
	char key[128], *text;
	int k, len;

	for (k = 0; procedure_edit_key(ed, k, key, sizeof(key)); k++) {
		const char *mv = dc ? jstr(meta, key) : strstr(key, "port") ? "9393" : "true";

		if (mv)
			json_object_set_new(ann, key, json_string(mv));
	}
	/* the guide's text: compact, the keys in order */
	doc = json_pack("{s:{s:{s:{s:o}}}}", "spec", "template", "metadata", "annotations", ann);
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	len = text ? snprintf(buf, n, "%s", text) : -1;
	free(text);
	json_decref(doc);
	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
quantity_parse(const char *s, double *v)
{
	static const struct { const char *suffix; double factor; } units[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
		{ "Pi", 1125899906842624.0 }, { "Ei", 1152921504606846976.0 }, { "n", 1e-9 }, { "u", 1e-6 },
		{ "m", 1e-3 }, { "", 1.0 }, { "k", 1e3 }, { "M", 1e6 }, { "G", 1e9 }, { "T", 1e12 }, { "P", 1e15 },
		{ "E", 1e18 },
	};
	char *end;
	double x;
	size_t i;

	if (!s || !(isdigit((unsigned char)*s) || *s == '.' || *s == '+') || strpbrk(s, "xX"))
		return 0;
	x = strtod(s, &end);
	if (end == s || !isfinite(x))
		return 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].suffix) == 0) {
			*v = x * units[i].factor;
			return 1;
		}
	return 0;
}

static const json_t *
template_container(const json_t *dc, const char *name)
{
	return find_named(jpath(dc, "spec", "template", "spec", "containers"), "name", name);
}

const char *
resources_memory_limit(const json_t *dc, const char *name)
{
	return jstr(jpath(template_container(dc, name), "resources", "limits"), "memory");
}

/* 1 if quantity a (a string of the dc) equals quantity b (the guide's) */
static int
quantity_eq(const char *a, const char *b)
{
	double x, y;

	return quantity_parse(a, &x) && quantity_parse(b, &y) && fabs(x - y) <= 1e-9 * (fabs(y) + 1.0);
}

enum resources_state
resources_assess(const json_t *dc, const struct dc_edit *ed)
{
	const json_t *c = template_container(dc, ed->key);
	const json_t *limits = jpath(c, "resources", "limits"), *requests = jpath(c, "resources", "requests");
	const char *mem = jstr(limits, "memory");
	double have, want;

	if (!c)
		return RES_NO_CONTAINER;
	if (!mem)
		return RES_NO_LIMIT;
	if (quantity_parse(mem, &have) && quantity_parse(ed->limits_memory, &want) && have > want)
		return RES_HIGHER;
	if (quantity_eq(mem, ed->limits_memory) && quantity_eq(jstr(limits, "cpu"), ed->limits_cpu) &&
	    quantity_eq(jstr(requests, "memory"), ed->requests_memory) &&
	    quantity_eq(jstr(requests, "cpu"), ed->requests_cpu))
		return RES_DONE;
	return RES_CHANGE;
}

int
container_command_is(const json_t *dc, const char *name, const char *cmd)
{
	const json_t *command = jget(template_container(dc, name), "command");

	return json_array_size(command) == 1 && streq(json_string_value(json_array_get(command, 0)), cmd);
}
