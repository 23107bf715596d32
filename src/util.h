/* util.h - small helpers: allocation, strings, time, durations, shell quoting */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

/* allocate or exit with a message; never returns NULL */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* copy src into dst of size n, always NUL-terminated; returns dst */
char *strlcopy(char *dst, const char *src, size_t n);

/* milliseconds from a monotonic clock */
uint64_t now_ms(void);

/* parse "90s", "20m", "1h30m", "1500ms" or plain seconds into ms; -1 if invalid or zero */
int64_t parse_duration(const char *s);

/* format a duration in ms as "2.4s", "3m05s", "1h02m" into buf */
const char *fmt_duration(uint64_t ms, char *buf, size_t n);

/* append s to buf (size n) quoted for a POSIX shell when needed; returns 0, -1 on overflow */
int shell_quote_append(char *buf, size_t n, const char *s);

/* 1 if s is a DNS-1123 label (lower-case alphanumerics and '-', 1-63, alnum at both ends) */
int is_dns1123_label(const char *s);

/* 1 if s is MAJOR.MINOR with decimal numbers */
int is_version(const char *s);
/* two versions (is_version) compared: < 0, 0, > 0 as a is older, the same, newer than b */
int version_cmp(const char *a, const char *b);

/* comma-separated lists: the number of names; the next name into name (0 at the end);
 * 1 if name is one of them */
int csv_count(const char *csv);
int csv_next(const char **p, char *name, size_t n);
int csv_has(const char *csv, const char *name);

#endif
