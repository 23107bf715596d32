/* options.h - the command line: parse and validate everything before any oc call */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>

#include "plan.h"

#define DEFAULT_TIMEOUT_MS (20ULL * 60 * 1000)
#define DEFAULT_CALL_TIMEOUT_MS (2ULL * 60 * 1000)

enum command { CMD_NONE, CMD_PLAN, CMD_RUN, CMD_STATUS, CMD_SCALE_DOWN, CMD_BACKUP, CMD_HELP };

enum color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct options {
	enum command command;
	const char *command_name;
	const char *ns;          /* -n; NULL: oc's current project */
	const char *from, *to;   /* --from (NULL: detected from the cluster), --to */
	enum database database;
	const char *oc;          /* --oc, else $OC, else "oc" (found on PATH) */
	uint64_t timeout_ms;     /* --timeout: limit of each wait */
	uint64_t call_timeout_ms; /* --call-timeout: limit of each oc process */
	int retry_failed;
	int parallel;            /* --parallel: sidekiq and sphinx together */
	const char *only, *skip; /* --only, --skip: comma-separated section names (checked), or NULL */
	const char *backup_dir;  /* --backup-dir, or NULL: ./3scale-backup-NS-<UTC time> */
	int json;
	int yes;
	int verbosity;           /* -1 with -q, 0, 1 with -v */
	enum color color;        /* --color */
	int help, version;
	enum command help_command; /* `help COMMAND` or `COMMAND --help`: CMD_NONE for the program */
};

/*
 * Parse argv into o. Returns 0, or -1 with a one-line message in err (usage error,
 * exit status 2). Options may come before or after the command.
 */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

/* the --help text */
extern const char usage_text[];

/* the help text of one command (CMD_NONE: usage_text) */
const char *command_help(enum command c);

#endif
