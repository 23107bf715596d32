/* util.c - small helpers: allocation, strings, time, durations, shell quoting */
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("3scale-upgrade: error: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("3scale-upgrade: error: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *
strlcopy(char *dst, const char *src, size_t n)
{
	if (n == 0)
		return dst;
	snprintf(dst, n, "%s", src ? src : "");
	return dst;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t
parse_duration(const char *s)
{
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	while (*p) {
		char *end;
		double v;
		int64_t unit;

		char num[32];
		size_t len = strspn(p, "0123456789.");

		/* digits and one optional point only: no sign, exponent or hex */
		if (len == 0 || len >= sizeof(num) || strspn(p, ".") == len)
			return -1;
		memcpy(num, p, len);
		num[len] = '\0';
		v = strtod(num, &end);
		if (*end != '\0' || v > 1e7)
			return -1;
		p += len;
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60 * 1000;
			p++;
		} else if (*p == 'h') {
			unit = 3600 * 1000;
			p++;
		} else if (*p == '\0' && p == s + strlen(s) && total == 0) {
			unit = 1000; /* bare number: seconds */
		} else {
			return -1;
		}
		total += (int64_t)(v * (double)unit + 0.5);
	}
	return total > 0 ? total : -1;
}

const char *
fmt_duration(uint64_t ms, char *buf, size_t n)
{
	if (ms < 60 * 1000)
		snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600 * 1000)
		snprintf(buf, n, "%um%02us", (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60));
	else
		snprintf(buf, n, "%uh%02um", (unsigned)(ms / 3600000), (unsigned)(ms / 60000 % 60));
	return buf;
}

static int
quote_append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(buf);
	const char *p;
	int plain = *s != '\0';

	for (p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("-_./:=,@%+", *p)) {
			plain = 0;
			break;
		}
	}
	if (plain) {
		if (len + strlen(s) + 1 > n)
			return -1;
		memcpy(buf + len, s, strlen(s) + 1);
		return 0;
	}
	if (len + 1 >= n)
		return -1;
	buf[len++] = '\'';
	for (p = s; *p; p++) {
		if (*p == '\'') {
			if (len + 4 >= n)
				return -1;
			memcpy(buf + len, "'\\''", 4);
			len += 4;
		} else {
			if (len + 1 >= n)
				return -1;
			buf[len++] = *p;
		}
	}
	if (len + 2 > n)
		return -1;
	buf[len++] = '\'';
	buf[len] = '\0';
	return 0;
}

int
shell_quote_append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(buf);

	if (quote_append(buf, n, s) < 0) {
		buf[len] = '\0';
		return -1;
	}
	return 0;
}

int
is_dns1123_label(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			return 0;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

int
version_cmp(const char *a, const char *b)
{
	long amaj = strtol(a, NULL, 10), bmaj = strtol(b, NULL, 10);
	long amin = strtol(strchr(a, '.') + 1, NULL, 10), bmin = strtol(strchr(b, '.') + 1, NULL, 10);

	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	return amin < bmin ? -1 : amin > bmin;
}

int
is_version(const char *s)
{
	const char *p = s;
	int dots = 0, digits = 0;

	if (strlen(s) > 15)
		return 0;
	for (; *p; p++) {
		if (*p == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)*p)) {
			digits++;
		} else {
			return 0;
		}
	}
	return dots == 1 && digits > 0;
}

int
csv_count(const char *csv)
{
	int n = *csv ? 1 : 0;

	for (; *csv; csv++)
		n += *csv == ',';
	return n;
}

/* the next comma-separated name of *p into name; 0 when there is none */
int
csv_next(const char **p, char *name, size_t n)
{
	const char *end;
	size_t len;

	if (!**p)
		return 0;
	end = strchr(*p, ',');
	len = end ? (size_t)(end - *p) : strlen(*p);
	snprintf(name, n, "%.*s", (int)len, *p);
	*p += len + (end ? 1 : 0);
	return 1;
}

/* 1 if name is one of the comma-separated names in csv */
int
csv_has(const char *csv, const char *name)
{
	char item[128];

	while (csv_next(&csv, item, sizeof(item)))
		if (strcmp(item, name) == 0)
			return 1;
	return 0;
}
