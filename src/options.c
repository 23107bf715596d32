/* options.c - the command line: parse and validate everything before any oc call */
#include "options.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char usage_text[] =
	"usage: 3scale-upgrade [OPTIONS] COMMAND\n"
	"\n"
	"Patch the 3scale system image (Migrating 3scale 2.10, \"Patching the system image\")\n"
	"on a template-based 3scale on OpenShift, driving the oc client in the documented order.\n"
	"\n"
	"commands:\n"
	"  plan        print the steps and the exact oc commands `run` would execute; change nothing\n"
	"  run         perform the upgrade; re-running it continues where a previous run stopped\n"
	"  status      show each step as done or pending, from the live cluster state\n"
	"  scale-down  Oracle branch: record the system dcs' replicas, then scale them to 0\n"
	"\n"
	"options (also accepted after COMMAND):\n"
	"  -n, --namespace NAME          the 3scale project (default: oc's current project)\n"
	"      --from VERSION            default 2.9\n"
	"      --to VERSION              default 2.10\n"
	"      --database auto|oracle|other\n"
	"                                default auto: detected from the dcs' image triggers\n"
	"      --oc PATH                 the oc executable (default: $OC, else oc on PATH)\n"
	"      --timeout DURATION        limit for each wait (import, rollout), e.g. 90s, 20m\n"
	"                                (default 20m)\n"
	"      --retry-failed            retry a rollout that failed in an earlier run\n"
	"                                (oc rollout retry)\n"
	"  -o, --output text|json        json: stdout carries only JSON objects, one per line\n"
	"  -y, --yes                     do not ask for confirmation\n"
	"  -h, --help                    show this help\n"
	"      --version                 show the version\n"
	"\n"
	"`run` and `scale-down` change the cluster: they ask for confirmation on a terminal,\n"
	"and refuse without --yes when standard input is not a terminal.\n"
	"\n"
	"exit status:\n"
	"  0    success (status: the upgrade is complete)\n"
	"  1    a step failed: an oc command, an image import or a rollout failed\n"
	"       (status: steps are pending)\n"
	"  2    usage error (also: run or scale-down without --yes and without a terminal)\n"
	"  3    a precondition failed, or the confirmation was declined; nothing was changed\n"
	"  4    timed out waiting (--timeout)\n"
	"  130  interrupted by SIGINT, 143 by SIGTERM\n"
	"\n"
	"environment:\n"
	"  OC   the oc executable, when --oc is not given\n"
	"\n"
	"See 3scale-upgrade(1) and README.md.\n";

enum { OPT_FROM = 256, OPT_TO, OPT_DATABASE, OPT_OC, OPT_TIMEOUT, OPT_RETRY_FAILED, OPT_VERSION };

static const struct option longopts[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "database", required_argument, NULL, OPT_DATABASE },
	{ "oc", required_argument, NULL, OPT_OC },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retry-failed", no_argument, NULL, OPT_RETRY_FAILED },
	{ "output", required_argument, NULL, 'o' },
	{ "yes", no_argument, NULL, 'y' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	enum command cmd;
} commands[] = {
	{ "plan", CMD_PLAN },
	{ "run", CMD_RUN },
	{ "status", CMD_STATUS },
	{ "scale-down", CMD_SCALE_DOWN },
};

/* 1 if it compares as a newer MAJOR.MINOR */
static int
version_less(const char *a, const char *b)
{
	long amaj = strtol(a, NULL, 10), bmaj = strtol(b, NULL, 10);
	long amin = strtol(strchr(a, '.') + 1, NULL, 10), bmin = strtol(strchr(b, '.') + 1, NULL, 10);

	return amaj < bmaj || (amaj == bmaj && amin < bmin);
}

int
options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	const char *timeout = NULL, *output = "text", *database = "auto", *env_oc;
	int c;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->from = "2.9";
	o->to = "2.10";
	env_oc = getenv("OC");
	o->oc = env_oc && *env_oc ? env_oc : "oc";
	o->timeout_ms = DEFAULT_TIMEOUT_MS;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:n:o:yh", longopts, NULL)) != -1 ||
	       (optind < argc && o->command == CMD_NONE)) {
		if (c == -1) {
			/* a non-option: the command; options may follow it */
			const char *word = argv[optind++];

			for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (strcmp(word, commands[i].name) == 0) {
					o->command = commands[i].cmd;
					o->command_name = commands[i].name;
				}
			if (o->command == CMD_NONE) {
				snprintf(err, errlen, "unknown command '%s' (commands: plan, run, status, scale-down)", word);
				return -1;
			}
			continue;
		}
		switch (c) {
		case 'n': o->ns = optarg; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_TO: o->to = optarg; break;
		case OPT_DATABASE: database = optarg; break;
		case OPT_OC: o->oc = optarg; break;
		case OPT_TIMEOUT: timeout = optarg; break;
		case OPT_RETRY_FAILED: o->retry_failed = 1; break;
		case 'o': output = optarg; break;
		case 'y': o->yes = 1; break;
		case 'h': o->help = 1; break;
		case OPT_VERSION: o->version = 1; break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt && optopt < 256)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->help || o->version)
		return 0;
	if (o->command == CMD_NONE) {
		snprintf(err, errlen, "no command given (commands: plan, run, status, scale-down; see --help)");
		return -1;
	}
	if (o->ns && !is_dns1123_label(o->ns)) {
		snprintf(err, errlen, "invalid namespace '%s': expected a DNS-1123 label (lower-case letters, "
			 "digits and '-', at most 63)", o->ns);
		return -1;
	}
	if (!is_version(o->from) || !is_version(o->to)) {
		snprintf(err, errlen, "invalid version '%s': expected MAJOR.MINOR, e.g. 2.10",
			 is_version(o->from) ? o->to : o->from);
		return -1;
	}
	if (!version_less(o->from, o->to)) {
		snprintf(err, errlen, "--to %s is not newer than --from %s", o->to, o->from);
		return -1;
	}
	if (strcmp(database, "auto") == 0)
		o->database = DB_AUTO;
	else if (strcmp(database, "oracle") == 0)
		o->database = DB_ORACLE;
	else if (strcmp(database, "other") == 0)
		o->database = DB_OTHER;
	else {
		snprintf(err, errlen, "invalid --database '%s': expected auto, oracle or other", database);
		return -1;
	}
	if (strcmp(output, "json") == 0)
		o->json = 1;
	else if (strcmp(output, "text") != 0) {
		snprintf(err, errlen, "invalid --output '%s': expected text or json", output);
		return -1;
	}
	if (timeout) {
		int64_t ms = parse_duration(timeout);

		if (ms <= 0) {
			snprintf(err, errlen, "invalid --timeout '%s': expected a duration such as 90s, 20m or 1h",
				 timeout);
			return -1;
		}
		o->timeout_ms = (uint64_t)ms;
	}
	if (!*o->oc || o->oc[0] == '-') {
		snprintf(err, errlen, "invalid --oc '%s': expected the path of the oc executable", o->oc);
		return -1;
	}
	if (strchr(o->oc, '/') && access(o->oc, X_OK) != 0) {
		snprintf(err, errlen, "--oc '%s' is not an executable file", o->oc);
		return -1;
	}
	return 0;
}
