/* args.c - a fixed-size argument vector for one oc command, and its display forms */
#include "args.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
args_init(struct args *a, const char *prog)
{
	a->n = 0;
	a->used = 0;
	a->v[0] = NULL;
	args_add(a, "%s", prog);
}

void
args_add(struct args *a, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (a->n >= ARGS_MAX)
		abort();
	va_start(ap, fmt);
	len = vsnprintf(a->store + a->used, sizeof(a->store) - a->used, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(a->store) - a->used)
		abort();
	a->v[a->n++] = a->store + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)len + 1;
}

void
args_copy(struct args *dst, const struct args *src)
{
	int i;

	memcpy(dst->store, src->store, src->used);
	dst->used = src->used;
	dst->n = src->n;
	for (i = 0; i < src->n; i++)
		dst->v[i] = dst->store + (src->v[i] - src->store);
	dst->v[dst->n] = NULL;
}

const char *
args_shell(const struct args *a, char *buf, size_t n)
{
	int i;

	buf[0] = '\0';
	strlcopy(buf, "oc", n);
	for (i = 1; i < a->n; i++) {
		size_t len = strlen(buf);

		if (len + 2 >= n)
			break;
		buf[len] = ' ';
		buf[len + 1] = '\0';
		if (shell_quote_append(buf, n, a->v[i]) < 0)
			break;
	}
	return buf;
}

const char *
args_subject(const struct args *a, char *buf, size_t n)
{
	int i;

	strlcopy(buf, "oc", n);
	for (i = 1; i < a->n && a->v[i][0] != '-'; i++) {
		size_t len = strlen(buf);

		snprintf(buf + len, n - len, " %s", a->v[i]);
	}
	return buf;
}

int
args_mutating(const struct args *a)
{
	static const char *const verbs[] = { "patch", "set", "scale", "annotate", "rollout", "label" };
	size_t i;

	if (a->n < 2)
		return 0;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(a->v[1], verbs[i]) == 0)
			return 1;
	return 0;
}
