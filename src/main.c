/* main.c - 3scale-upgrade: options, then the engine */
#include "engine.h"
#include "options.h"
#include "report.h"

#include <stdio.h>
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
		fputs(usage_text, stdout);
		return 0;
	}
	if (o.version) {
		printf("3scale-upgrade %s\n", VERSION);
		return 0;
	}
	report_init(o.json);
	return engine_run(&o);
}
