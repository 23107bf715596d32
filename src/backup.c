/* backup.c - the backup: each 3scale dc that exists and the kinds the guide saves
 * ("Creating a backup of the 3scale project"), each read with `oc get ... -o json` and
 * written as oc printed it, one file each, into a new directory only its owner can read
 * (the files hold the secrets). Used by the backup step of `run` and by `backup`. */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 1 if dir holds anything but . and .. */
static int
dir_has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int any = 0;

	if (!d)
		return 1;
	while (!any && (de = readdir(d)))
		any = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return any;
}

int
backup_prepare(struct engine *e)
{
	struct stat st;

	if (e->o->backup_dir) {
		strlcopy(e->backup_dir, e->o->backup_dir, sizeof(e->backup_dir));
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(e->backup_dir, sizeof(e->backup_dir), "./3scale-backup-%s-%s", e->ns, stamp);
	}
	if (stat(e->backup_dir, &st) == 0 && (!S_ISDIR(st.st_mode) || dir_has_entries(e->backup_dir))) {
		report_error("--backup-dir %s %s: refusing to write the backup there", e->backup_dir,
			     S_ISDIR(st.st_mode) ? "is not empty" : "exists and is not a directory");
		report_hint("name a new or empty directory with --backup-dir");
		return -1;
	}
	return 0;
}

/* the file of the read of `what` ("dc/system-app" -> "dc-system-app.json") */
static void
file_name(const char *what, char *buf, size_t n)
{
	char *p;

	snprintf(buf, n, "%s.json", what);
	for (p = buf; *p; p++)
		if (*p == '/')
			*p = '-';
}

/* write data (len bytes) to dir/name, mode 0600, never over an existing file; 0 or -1 */
static int
write_file(const char *dir, const char *name, const char *data, size_t len, char *why, size_t n)
{
	char path[4400];
	int fd;
	size_t off = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, n, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(why, n, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		snprintf(why, n, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* what the guide asks: the file is not empty; and it holds the one JSON document */
static int
check_file(const char *dir, const char *name, char *why, size_t n)
{
	char path[4400];
	struct stat st;
	json_error_t je;
	json_t *doc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) != 0 || st.st_size == 0) {
		snprintf(why, n, "%s is empty or missing", path);
		return -1;
	}
	doc = json_load_file(path, 0, &je);
	if (!doc) {
		/* no text of jansson's: it would quote the file, secrets included */
		snprintf(why, n, "%s does not hold valid JSON (line %d)", path, je.line);
		return -1;
	}
	json_decref(doc);
	return 0;
}

static void
backup_written(struct batch *b)
{
	struct engine *e = b->e;
	char name[256], why[4800];
	size_t bytes = 0;
	int i;

	if (mkdir(e->backup_dir, 0700) != 0 && !(errno == EEXIST && !dir_has_entries(e->backup_dir))) {
		report_error("cannot create the backup directory %s: %s", e->backup_dir, strerror(errno));
		stop(e, 1);
		return;
	}
	if (chmod(e->backup_dir, 0700) != 0) {
		report_error("cannot make %s private (mode 0700): %s", e->backup_dir, strerror(errno));
		stop(e, 1);
		return;
	}
	for (i = 0; i < b->nslots; i++) {
		file_name(b->slots[i].cmd.v[2], name, sizeof(name));
		if (write_file(e->backup_dir, name, b->slots[i].raw, b->slots[i].rawlen, why, sizeof(why)) < 0 ||
		    check_file(e->backup_dir, name, why, sizeof(why)) < 0) {
			report_error("backup: %s", why);
			report_hint("nothing in the cluster was changed; fix it, then re-run with a new --backup-dir");
			stop(e, 1);
			return;
		}
		bytes += b->slots[i].rawlen;
	}
	snprintf(e->backup_note, sizeof(e->backup_note), "%d files, %zu KiB, in %s (mode 0700; they hold the secrets)",
		 b->nslots, (bytes + 1023) / 1024, e->backup_dir);
	batch_clear(b);
	e->backup_next(e);
}

void
backup_start(struct engine *e, cont_fn next)
{
	const char *const *k;
	char what[96];
	int i;

	e->backup_next = next;
	batch_clear(&e->main);
	for (i = 0; i < e->plan.ndcs; i++) {
		if (!e->plan.dcs[i].present)
			continue;
		snprintf(what, sizeof(what), "dc/%s", PLAN_DC_NAME(&e->plan, i));
		cmd_get(batch_add(&e->main, READ_SAVE), e->o->oc, e->ns, what, NULL);
	}
	for (k = procedure_backup_kinds; *k; k++)
		cmd_get(batch_add(&e->main, READ_SAVE), e->o->oc, e->ns, *k, NULL);
	batch_start(&e->main, backup_written);
}

/* --- the step of run ----------------------------------------------------------------- */

static void
backup_step_done(struct engine *e)
{
	step_end(e, STEP_DONE, "%s", e->backup_note);
}

void
backup_step(struct engine *e)
{
	if (!e->backup_wanted) {
		step_end(e, STEP_SKIPPED, "the upgrade has begun: a backup now would not be of the %s state "
			 "(--backup-dir DIR saves one all the same)", e->plan.from);
		return;
	}
	backup_start(e, backup_step_done);
}

/* --- the backup command ---------------------------------------------------------------- */

static void
backup_command_done(struct engine *e)
{
	report_info("backup: %s", e->backup_note);
	summary(e, "backup", 0);
	finish(e, 0);
}

void
backup_command(struct engine *e)
{
	report_begin("backup", e->ns, &e->plan, e->plan.to, e->detected);
	backup_start(e, backup_command_done);
}
