/* main.c - 3scale-upgrade: options, then the engine */
#include "engine.h"
#include "options.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#ifndef VERSION
#define VERSION "0.1.0"
#endif

int
main(int argc, char **argv)
{
	struct options o;
	char err[512];

	if (options_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "error: %s\n", err);
		return 2;
	}
	if (o.help) {
		fputs(command_help(o.help_command), stdout);
		return 0;
	}
	if (o.version) {
		printf("3scale-upgrade %s\n", VERSION);
		return 0;
	}
	{
		const char *nc = getenv("NO_COLOR");
		struct report_config rc = { 0 };

		rc.json = o.json;
		rc.verbosity = o.verbosity;
		rc.tty = isatty(STDOUT_FILENO);
		rc.color = !o.json && (o.color == COLOR_ALWAYS ||
				       (o.color == COLOR_AUTO && rc.tty && !(nc && *nc)));
		report_init(&rc);
	}
	return engine_run(&o);
}
