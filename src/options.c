/* options.c - the command line: parse and validate everything before any oc call */
#include "options.h"
#include "procedure.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char usage_text[] =
	"usage: 3scale-upgrade [OPTIONS] COMMAND\n"
	"\n"
	"Upgrade a template-based 3scale on OpenShift as \"Migrating 3scale\" orders it, hop\n"
	"by hop, driving the oc client in the documented order.\n"
	"\n"
	"commands:\n"
	"  plan        print the steps and the exact oc commands `run` would execute; change nothing\n"
	"  run         perform the upgrade; re-running it continues where a previous run stopped\n"
	"  status      show each step as done or pending, from the live cluster state\n"
	"  scale-down  Oracle branch: record the system dcs' replicas, then scale them to 0\n"
	"  backup      save the objects the guide's backup saves, one JSON file each; change nothing\n"
	"  help [COMMAND]  show this help, or the help of COMMAND (also: COMMAND --help)\n"
	"\n"
	"options (also accepted after COMMAND):\n"
	"  -n, --namespace NAME          the 3scale project (default: oc's current project)\n"
	"      --from VERSION            default: what the install runs, read from the dcs'\n"
	"                                image triggers (the lowest release any is on)\n"
	"      --to VERSION              default 2.10; one run does every hop from --from to --to\n"
	"                                (2.8 -> 2.9, 2.9 -> 2.10, 2.10 -> 2.11) in turn\n"
	"      --database auto|oracle|other\n"
	"                                default auto: detected from the dcs' image triggers\n"
	"      --oc PATH                 the oc executable (default: $OC, else oc on PATH);\n"
	"                                the oc of OpenShift 4.x or of 3.11\n"
	"      --timeout DURATION        limit for each wait (import, rollout), e.g. 90s, 20m\n"
	"                                (default 20m)\n"
	"      --call-timeout DURATION   limit for each oc process; one that passes it is killed\n"
	"                                (default 2m)\n"
	"      --retry-failed            retry a rollout that failed in an earlier run\n"
	"                                (oc rollout retry)\n"
	"      --only LIST               only these sections (comma-separated: backup, release,\n"
	"                                base-url (2.8 -> 2.9), backend-route, zync-annotations,\n"
	"                                backend-cron (2.10 -> 2.11), system, apicast, backend,\n"
	"                                zync, memcached, zync-database,\n"
	"                                backend-redis, system-redis, system-database, confirm)\n"
	"      --skip LIST               all sections but these\n"
	"      --backup-dir DIR          where the backup goes: a new or empty directory (default\n"
	"                                ./3scale-backup-NAMESPACE-YYYYMMDDTHHMMSSZ)\n"
	"      --parallel                the system section first, then every other section side\n"
	"                                by side, each section's dcs in the guide's order (the\n"
	"                                guide does them one by one; see plan --parallel)\n"
	"  -o, --output text|json        json: stdout carries only JSON objects, one per line\n"
	"  -v, --verbose                 also show every oc command with its duration and status\n"
	"  -q, --quiet                   show only errors and the summary\n"
	"      --color auto|always|never colour on a terminal (default auto; NO_COLOR turns it off)\n"
	"  -y, --yes                     do not ask for confirmation\n"
	"  -h, --help                    show this help\n"
	"      --version                 show the version\n"
	"\n"
	"`run` and `scale-down` change the cluster: they ask for confirmation on a terminal,\n"
	"and refuse without --yes when standard input is not a terminal.\n"
	"\n"
	"exit status:\n"
	"  0    success (status: the upgrade is complete)\n"
	"  1    a step failed: an oc command, an image import or a rollout failed; in a run\n"
	"       of several hops, also a check of a later hop (status: steps are pending)\n"
	"  2    usage error (also: run or scale-down without --yes and without a terminal)\n"
	"  3    a precondition failed, or the confirmation was declined; nothing was changed\n"
	"  4    timed out waiting (--timeout)\n"
	"  130  interrupted by SIGINT, 143 by SIGTERM\n"
	"\n"
	"environment:\n"
	"  OC        the oc executable, when --oc is not given\n"
	"  NO_COLOR  when set and not empty, no colour (as --color never)\n"
	"\n"
	"See 3scale-upgrade(1) and README.md.\n";

static const char help_plan[] =
	"usage: 3scale-upgrade plan [-n NAME] [--from VERSION] [--to VERSION] [--database auto|oracle|other]\n"
	"                           [--only LIST] [--skip LIST] [--oc PATH] [-o text|json]\n"
	"\n"
	"Print the steps and the exact oc commands `run` would execute, as a script that can\n"
	"be pasted (comments start with '#'). Changes nothing.\n"
	"With --database oracle or other no cluster is needed. Without it the cluster is read\n"
	"(read-only) to detect the database, and commands already done are left out.\n"
	"\n"
	"exit status: 0 printed; 2 usage error; 3 the cluster state does not allow the upgrade.\n";

static const char help_run[] =
	"usage: 3scale-upgrade run [-n NAME] [--from VERSION] [--to VERSION] [--database auto|oracle|other]\n"
	"                          [--oc PATH] [--timeout DURATION] [--call-timeout DURATION]\n"
	"                          [--only LIST] [--skip LIST] [--retry-failed] [--parallel] [-y]\n"
	"                          [-o text|json] [-v|-q] [--color WHEN]\n"
	"\n"
	"Perform the upgrade: set the version number (AMP_RELEASE), add every section's image\n"
	"stream tag, wait for every import, then move each dc's image trigger in the guide's\n"
	"order and wait for its rollout (new pods ready, old pods gone), then confirm that every\n"
	"dc runs its new image. Sections whose dcs the project lacks are skipped.\n"
	"Every step first reads the cluster and skips what is already done, so re-running\n"
	"`run` after any stop (failure, timeout, interruption, kill) continues the upgrade.\n"
	"Read-only oc calls that fail with a transient server error are retried with backoff;\n"
	"a failed change is read back before it is tried again.\n"
	"\n"
	"Asks for confirmation on a terminal; without a terminal --yes is required.\n"
	"\n"
	"exit status: 0 done; 1 a step failed; 2 usage error; 3 precondition failed or not\n"
	"confirmed (nothing changed); 4 a wait timed out; 130/143 interrupted.\n";

static const char help_status[] =
	"usage: 3scale-upgrade status [-n NAME] [--from VERSION] [--to VERSION] [--database auto|oracle|other]\n"
	"                             [--only LIST] [--skip LIST] [--oc PATH] [-o text|json]\n"
	"\n"
	"Show each step as done, pending or failed, from the live cluster state (read-only).\n"
	"With -o json: one step event per step and a final status_end event (docs/events.md).\n"
	"\n"
	"exit status: 0 the upgrade is complete; 1 steps are pending or failed; 2 usage error;\n"
	"3 the cluster could not be read or does not allow the upgrade.\n";

static const char help_backup[] =
	"usage: 3scale-upgrade backup [-n NAME] [--backup-dir DIR] [--oc PATH] [-o text|json]\n"
	"\n"
	"Save what the guide's backup saves (\"Creating a backup of the 3scale project\"): each\n"
	"3scale dc, `oc get all`, and one file per kind (rolebindings, serviceaccounts, secrets,\n"
	"imagestreamtags, cm, ...), each as oc printed it with -o json, into DIR (mode 0700, files\n"
	"0600: they hold the secrets). Every file is checked non-empty and valid JSON. A DIR that\n"
	"exists and is not empty is refused. Reads only. `run` does the same as its first step\n"
	"while the upgrade has not begun (or when --backup-dir is given).\n"
	"\n"
	"exit status: 0 saved; 1 a read or a file failed; 2 usage error; 3 the directory is not\n"
	"empty, or the cluster could not be read.\n";

static const char help_scale_down[] =
	"usage: 3scale-upgrade scale-down [-n NAME] [--oc PATH] [--timeout DURATION] [-y] [-o text|json]\n"
	"\n"
	"Oracle branch, before `run`: record each system dc's replicas in the annotation\n"
	"3scale-upgrade/replicas, scale it to 0 and wait until its pods are gone. `run`\n"
	"restores the recorded replicas in its last step.\n"
	"\n"
	"exit status: 0 done; 1 a command failed; 2 usage error; 3 precondition failed or not\n"
	"confirmed; 4 a wait timed out; 130/143 interrupted.\n";

const char *
command_help(enum command c)
{
	switch (c) {
	case CMD_PLAN: return help_plan;
	case CMD_RUN: return help_run;
	case CMD_STATUS: return help_status;
	case CMD_SCALE_DOWN: return help_scale_down;
	case CMD_BACKUP: return help_backup;
	default: return usage_text;
	}
}

enum { OPT_FROM = 256, OPT_TO, OPT_DATABASE, OPT_OC, OPT_TIMEOUT, OPT_CALL_TIMEOUT, OPT_RETRY_FAILED,
       OPT_PARALLEL, OPT_COLOR, OPT_VERSION, OPT_ONLY, OPT_SKIP, OPT_BACKUP_DIR };

static const struct option longopts[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "database", required_argument, NULL, OPT_DATABASE },
	{ "oc", required_argument, NULL, OPT_OC },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "call-timeout", required_argument, NULL, OPT_CALL_TIMEOUT },
	{ "retry-failed", no_argument, NULL, OPT_RETRY_FAILED },
	{ "parallel", no_argument, NULL, OPT_PARALLEL },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "skip", required_argument, NULL, OPT_SKIP },
	{ "backup-dir", required_argument, NULL, OPT_BACKUP_DIR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "color", required_argument, NULL, OPT_COLOR },
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
	{ "backup", CMD_BACKUP },
	{ "help", CMD_HELP },
};

/* 1 if name (no '/') is an executable file in a directory of $PATH */
static int
on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];

	for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", end == p ? 1 : (int)(end - p), end == p ? "." : p, name);
		if (access(buf, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* a duration option into *ms; -1 and a message if it is not one */
static int
duration_option(const char *name, const char *text, uint64_t *ms, char *err, size_t errlen)
{
	int64_t v = parse_duration(text);

	if (v <= 0) {
		snprintf(err, errlen, "invalid --%s '%s': expected a duration such as 90s, 20m or 1h", name, text);
		return -1;
	}
	*ms = (uint64_t)v;
	return 0;
}

/* a --only or --skip list: 0, or -1 and a message naming the first unknown section */
static int
sections_option(const char *opt, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	char name[64];

	if (!list)
		return 0;
	if (!*list) {
		snprintf(err, errlen, "--%s needs a comma-separated list of sections (%s)", opt, procedure_section_names());
		return -1;
	}
	while (csv_next(&p, name, sizeof(name)))
		if (!procedure_section_known(name)) {
			snprintf(err, errlen, "--%s: unknown section '%s' (sections: %s)", opt, name,
				 procedure_section_names());
			return -1;
		}
	return 0;
}

int
options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	const char *timeout = NULL, *call_timeout = NULL, *output = "text", *database = "auto", *env_oc;
	const char *color = "auto";
	int c, oc_given = 0, verbose = 0, quiet = 0, help_subject = 0;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->to = "2.10";
	env_oc = getenv("OC");
	o->oc = env_oc && *env_oc ? env_oc : "oc";
	oc_given = env_oc && *env_oc;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->call_timeout_ms = DEFAULT_CALL_TIMEOUT_MS;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:n:o:yhvq", longopts, NULL)) != -1 ||
	       (optind < argc && (o->command == CMD_NONE || (o->command == CMD_HELP && !help_subject)))) {
		if (c == -1) {
			/* a non-option: the command (or help's subject); options may follow it */
			const char *word = argv[optind++];
			enum command found = CMD_NONE;

			for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (strcmp(word, commands[i].name) == 0)
					found = commands[i].cmd;
			if (found == CMD_NONE) {
				snprintf(err, errlen, "unknown command '%s' (commands: plan, run, status, scale-down, backup, help)",
					 word);
				return -1;
			}
			if (o->command == CMD_HELP) {
				/* `help help` is the program's help */
				o->help_command = found == CMD_HELP ? CMD_NONE : found;
				help_subject = 1;
				continue;
			}
			o->command = found;
			o->command_name = word;
			continue;
		}
		switch (c) {
		case 'n': o->ns = optarg; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_TO: o->to = optarg; break;
		case OPT_DATABASE: database = optarg; break;
		case OPT_OC: o->oc = optarg; oc_given = 1; break;
		case OPT_TIMEOUT: timeout = optarg; break;
		case OPT_CALL_TIMEOUT: call_timeout = optarg; break;
		case OPT_RETRY_FAILED: o->retry_failed = 1; break;
		case OPT_PARALLEL: o->parallel = 1; break;
		case OPT_ONLY: o->only = optarg; break;
		case OPT_SKIP: o->skip = optarg; break;
		case OPT_BACKUP_DIR: o->backup_dir = optarg; break;
		case OPT_COLOR: color = optarg; break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
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
	if (o->command == CMD_HELP) {
		o->help = 1;
		return 0;
	}
	if (o->help) {
		o->help_command = o->command;
		return 0;
	}
	if (o->version)
		return 0;
	if (o->command == CMD_NONE) {
		snprintf(err, errlen, "no command given (commands: plan, run, status, scale-down, backup; see --help)");
		return -1;
	}
	if (o->ns && !is_dns1123_label(o->ns)) {
		snprintf(err, errlen, "invalid namespace '%s': expected a DNS-1123 label (lower-case letters, "
			 "digits and '-', at most 63)", o->ns);
		return -1;
	}
	if ((o->from && !is_version(o->from)) || !is_version(o->to)) {
		snprintf(err, errlen, "invalid version '%s': expected MAJOR.MINOR, e.g. 2.10",
			 o->from && !is_version(o->from) ? o->from : o->to);
		return -1;
	}
	if (!o->from && !procedure_hop_to(o->to)) {
		snprintf(err, errlen, "no documented procedure ends at %s (supported: %s)", o->to, procedure_hops());
		return -1;
	}
	if (o->from && version_cmp(o->from, o->to) >= 0) {
		snprintf(err, errlen, "--to %s is not newer than --from %s", o->to, o->from);
		return -1;
	}
	if (o->from && !procedure_chain(o->from, o->to)) {
		snprintf(err, errlen, "no documented procedure for %s -> %s (supported: %s)", o->from, o->to,
			 procedure_hops());
		return -1;
	}
	if (o->backup_dir && !*o->backup_dir) {
		snprintf(err, errlen, "--backup-dir needs a directory");
		return -1;
	}
	if (sections_option("only", o->only, err, errlen) < 0 || sections_option("skip", o->skip, err, errlen) < 0)
		return -1;
	/* run and plan walk every hop (status looks at one) */
	if ((o->command == CMD_RUN || o->command == CMD_PLAN) && o->from && procedure_chain(o->from, o->to) > 1 &&
	    !plan_whole(o->only, o->skip)) {
		snprintf(err, errlen, "--only and --skip leave part of the %s -> %s hop undone, and --to %s needs the "
			 "hops after it: each hop must be whole before the next begins", o->from,
			 procedure_hop_from(o->from)->to, o->to);
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
	if (o->database == DB_ORACLE) {
		/* every hop of the run, when --from says where it begins; else the last */
		const struct hop *h = o->from ? procedure_hop_from(o->from) : procedure_hop_to(o->to);

		for (; h; h = strcmp(h->to, o->to) != 0 ? procedure_hop_from(h->to) : NULL) {
			if (!h->oracle) {
				snprintf(err, errlen, "the %s -> %s procedure has no documented Oracle branch", h->from,
					 h->to);
				return -1;
			}
		}
	}
	if (strcmp(output, "json") == 0)
		o->json = 1;
	else if (strcmp(output, "text") != 0) {
		snprintf(err, errlen, "invalid --output '%s': expected text or json", output);
		return -1;
	}
	if (timeout && duration_option("timeout", timeout, &o->timeout_ms, err, errlen) < 0)
		return -1;
	if (call_timeout && duration_option("call-timeout", call_timeout, &o->call_timeout_ms, err, errlen) < 0)
		return -1;
	if (verbose && quiet) {
		snprintf(err, errlen, "-v and -q cannot be used together");
		return -1;
	}
	o->verbosity = verbose ? 1 : quiet ? -1 : 0;
	if (strcmp(color, "auto") == 0)
		o->color = COLOR_AUTO;
	else if (strcmp(color, "always") == 0)
		o->color = COLOR_ALWAYS;
	else if (strcmp(color, "never") == 0)
		o->color = COLOR_NEVER;
	else {
		snprintf(err, errlen, "invalid --color '%s': expected auto, always or never", color);
		return -1;
	}
	if (!*o->oc || o->oc[0] == '-') {
		snprintf(err, errlen, "invalid --oc '%s': expected the path of the oc executable", o->oc);
		return -1;
	}
	if (strchr(o->oc, '/') && access(o->oc, X_OK) != 0) {
		snprintf(err, errlen, "--oc '%s' is not an executable file", o->oc);
		return -1;
	}
	/* a name given on purpose must be found; the default oc missing is a failed check (3) */
	if (!strchr(o->oc, '/') && oc_given && !on_path(o->oc)) {
		snprintf(err, errlen, "--oc '%s': no executable of that name on PATH", o->oc);
		return -1;
	}
	return 0;
}
