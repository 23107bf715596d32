/* options.h - the command line: parse and validate everything before any oc call */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>

#include "plan.h"

#define DEFAULT_TIMEOUT_MS (20ULL * 60 * 1000)

enum command { CMD_NONE, CMD_PLAN, CMD_RUN, CMD_STATUS, CMD_SCALE_DOWN };

struct options {
	enum command command;
	const char *command_name;
	const char *ns;          /* -n; NULL: oc's current project */
	const char *from, *to;
	enum database database;
	const char *oc;          /* --oc, else $OC, else "oc" (found on PATH) */
	uint64_t timeout_ms;     /* --timeout: limit of each wait */
	int retry_failed;
	int json;
	int yes;
	int help, version;
};

/*
 * Parse argv into o. Returns 0, or -1 with a one-line message in err (usage error,
 * exit status 2). Options may come before or after the command.
 */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

/* the --help text */
extern const char usage_text[];

#endif
