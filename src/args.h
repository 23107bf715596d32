/* args.h - a fixed-size argument vector for one oc command, and its display forms */
#ifndef ARGS_H
#define ARGS_H

#include <stddef.h>

#define ARGS_MAX 24
#define ARGS_STORE 3072

/*
 * An argv array whose strings live inside the struct: copying the struct copies
 * the command, and nothing needs freeing. v[0] is the oc program; v[n] is NULL.
 */
struct args {
	char *v[ARGS_MAX + 1];
	int n;
	size_t used;
	char store[ARGS_STORE];
};

/* start a command with program name prog */
void args_init(struct args *a, const char *prog);
/* append one argument, printf-style; aborts on overflow (a programming error) */
void args_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* deep copy src into dst (fixes the internal pointers) */
void args_copy(struct args *dst, const struct args *src);
/* the whole command, shell-quoted so it can be pasted: "oc patch imagestream/amp-system ..." */
const char *args_shell(const struct args *a, char *buf, size_t n);
/* the command's subject for messages: "oc" and the arguments before the first option,
 * e.g. "oc set triggers dc/system-app" */
const char *args_subject(const struct args *a, char *buf, size_t n);
/* 1 if the command changes the cluster (patch, set, scale, annotate, rollout retry) */
int args_mutating(const struct args *a);

#endif
