/*
 * engine_int.h - what the engine's files share: the engine, its batches of reads
 * and its rollout waits, and the functions one file calls in another. Everything
 * runs on the one libuv loop of struct engine; nothing here is for outside the
 * engine (engine.h is its interface).
 */
#ifndef ENGINE_INT_H
#define ENGINE_INT_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "args.h"
#include "assess.h"
#include "objset.h"
#include "options.h"
#include "plan.h"
#include "proc.h"
#include "report.h"
#include "watch.h"

#define POLL_MS 500                 /* between two reads of a polled wait (scale-down, replicas) */
#define MAXSLOTS 48                 /* reads of the main batch: status reads two per dc */
#define DCSLOTS 3                   /* reads of a dc wait's batches: the dc, its RCs, its pods */
#define MAXQUEUE 16                /* mutating commands of one step */
#define MAXW 8                     /* sections whose dcs roll out side by side (--parallel) */
#define DCQ 3                      /* a dc step's changes: a trigger's remove and add, or a retry */
#define READ_RETRY_BASE_MS 250      /* first delay before a failed read runs again */
#define READ_RETRY_CAP_MS 8000      /* the longest delay between two tries */
#define READ_RETRY_BUDGET_MS 60000  /* a read is not tried again after this since its first try */
#define CHANGE_ATTEMPTS 4           /* tries of one step's changes, with a read back between */
#define RELIST_MIN_MS 2000          /* a wait that heard nothing for this long reads again */
#define RELIST_MAX_MS 16000         /* ... doubling up to this */
#define WATCH_RESTART_CAP_MS 8000   /* the longest delay before a failed watch starts again */
#define KILL_GRACE_MS 3000          /* after SIGTERM, the time an oc child has before SIGKILL */
#define PLAIN_RESTART_MIN_MS 200    /* a plain watch that ended sooner twice in a row backs off */
#define GONE_FIRST_MS 50            /* plain watches: a terminating pod's news is confirmed by a list this soon */
#define GONE_BASE_MS 250            /* ... then again after this while it is still there, */
#define GONE_CAP_MS 1000            /* ... doubling up to this */

struct engine;
struct batch;
struct objstep;
typedef void (*cont_fn)(struct engine *);
typedef void (*batch_fn)(struct batch *);

/* how a read's output is taken */
enum {
	READ_TEXT, READ_JSON,
	READ_YESNO,  /* oc auth can-i: "no" with exit 1 is an answer */
	READ_SAVE,   /* READ_JSON, and stdout kept as printed (raw); no byte of it in any message */
	READ_OPTIONAL /* READ_JSON, but NotFound is an answer: no document */
};

/* one oc read of a batch that runs concurrently; transient failures run it again */
struct slot {
	struct batch *b;
	struct args cmd;
	int parse;          /* READ_JSON: stdout into doc; READ_TEXT, READ_YESNO: first line into text */
	json_t *doc;
	char *raw;          /* READ_SAVE: stdout as oc printed it (rawlen bytes) */
	size_t rawlen;
	char text[256];     /* else: the first line of stdout */
	int attempt;        /* 1 for the first try */
	uint64_t first;     /* when the first try started */
	uv_timer_t retry;   /* the delay before the next try */
};

/* reads that run together; next(b) when all succeeded, else fail(b) (default: stop) */
struct batch {
	struct engine *e;
	void *ctx;
	struct slot *slots;        /* cap of them */
	int cap, nslots, pending, failed;
	batch_fn next, fail;
};

/* the kinds of object a rollout wait follows */
enum { K_DC, K_RC, K_POD, NKINDS };

/* the wait for one dc's rollout: watches of the dc, its RCs and its pods */
struct dcwait {
	struct engine *e;
	int step, dc;             /* the plan step and its dc (index into plan.dcs) */
	int active;               /* waiting */
	int done;                 /* its step ended */
	long baseline;            /* latestVersion before the trigger change */
	int expect_new;           /* a new rollout is expected */
	int retried;              /* --retry-failed used */
	uint64_t tstep;           /* when its step started */
	int lane;                 /* --parallel: the section whose dcs it moves, one after another; -1: one step */
	struct args q[DCQ];       /* the step's changes, run one after another */
	int nq, qpos;
	int attempts;             /* tries of the step's changes */
	uv_timer_t later;         /* the delay before reading the dc back after a failed change */
	uv_timer_t deadline;      /* --timeout of the wait */
	char waiting_for[256];    /* what the wait waited for at the last read */
	struct batch pre;         /* the dc of its next step, read while this one waits */
	int pre_state;            /* 0 none, 1 reading, 2 read */
	int pre_step;             /* the step it is for */
	int pre_wanted;           /* that step waits for it */
	int pre_full;             /* read with its RCs and pods (slots 0-2 of pre): a database image */
	struct batch rd;          /* the reads its step decides from */
	struct batch b;           /* the wait's lists */
	struct objset sets[NKINDS];
	uint64_t floors[NKINDS];  /* each set's maxrv when the running list started */
	int listing;              /* a list is running */
	int list_only;            /* no new rollout expected: one list decides, watches only if it is not done */
	int settled;              /* runs the new image and its rollout was done before the change: no wait */
	unsigned gen, list_gen;   /* the wait's number, and that of the wait the running list is for */
	struct watch *watches[NKINDS];
	int wfails[NKINDS];       /* consecutive watches that ended badly */
	uv_timer_t restart[NKINDS];
	uv_timer_t quiet;         /* re-list when nothing was heard for quiet_ms */
	uint64_t quiet_ms;
	uv_timer_t gone;          /* plain watches: list to learn whether terminating pods are gone */
	uint64_t gone_ms;
	int relist;               /* list again when the running list ends */
	struct rollout_view rv;   /* the last assessment */
};

/* what the run knows of one section of the plan */
struct secstate {
	json_t *is;               /* its image stream, read by the preflight */
	struct tag_view tag;      /* the tag <to>, as last read */
	int tag_added;            /* this run added the tag */
	int listed;               /* tag is from the list of the image streams read by the first import step */
	char digest[80];          /* the image its new trigger resolves to */
};

struct engine {
	uv_loop_t loop;
	const struct options *o;
	const char *from;         /* the hop's start: --from, or the release the install runs (preflight) */
	const char *to;           /* the hop's end: --to, or the release a hop on the way to it ends at */
	int hop;                  /* hops of the run done before this one (0: the first) */
	int nhops;                /* hops of the run, this one and those before it included */
	struct release_view rel;  /* what the dcs' image triggers said, when --from was not given */
	struct plan plan;
	const char *ns;
	char nsbuf[64];
	char user[128];           /* oc whoami */
	int detected;             /* the database was detected, not given */
	int status;               /* exit status */
	int finished;
	int preflight;            /* nothing changed yet: failures exit 3 */
	int interrupted;          /* the signal that interrupted the run */
	int changed;              /* a mutating command was started */
	int plain_watch;          /* oc has no --output-watch-events: learnt from the first watch's answer */
	int watch_known;          /* ... or it has: a watch with it delivered */
	struct watch *asking;     /* until then, the one watch that asks */
	uint64_t t0, tstep;
	unsigned rnd;             /* jitter */

	uv_timer_t timer;         /* next poll, or the delay before a read back */
	uv_timer_t deadline;      /* --timeout of the current wait */
	uv_signal_t sigint, sigterm;
	cont_fn timer_fn;
	char wait_what[96];       /* the subject of the current wait */
	char waiting_for[256];    /* what it waited for at the last read */

	struct batch main;        /* the reads of the current step */

	struct args queue[MAXQUEUE];  /* mutating commands, run one after another */
	int nqueue, qpos;
	cont_fn queue_next;
	int attempts;             /* tries of the current step's changes */
	cont_fn redo;             /* reads the state back and decides again */
	char change_hint[256];    /* said when a change of the current step fails for good */
	const struct objstep *obj;  /* the current step's object, when it changes one (objstep.c) */

	json_t *dcs[PLAN_MAX_DCS];            /* read by the preflight (NULL: absent) */
	json_t *cm;                           /* the release ConfigMap, when the release step is in the plan */
	json_t *secret;                       /* the hop's secret, when the secret step is in the plan */
	char backup_dir[4096];                /* where the backup goes */
	int backup_wanted;                    /* the backup step saves one (else: the upgrade has begun) */
	char backup_note[4200];               /* what it saved, for the step's end */
	cont_fn backup_next;
	struct secstate secs[PLAN_MAX_SECTIONS];
	int tag_reread;           /* read the image streams again before the tag steps */
	int status_slot[PLAN_MAX_DCS];  /* status: the first of a dc's two reads in the batch */

	const char *summary_command;  /* the summary is due (see summary()) */
	int summary_status;
	uint64_t summary_ms;
	uv_timer_t ticker;        /* the status line's clock */

	int step, ndone, nskipped, nabsent;
	/* "tag/amp-system, import/amp-system, ..." for the summary: done, already done, not there */
	char done_ids[4096], skipped_ids[4096], absent_ids[1024];
	struct dcwait w[MAXW];    /* dc steps: one, or with --parallel one per section of the group */
	int nw;                   /* dc waits in use: 1, or the group's lanes */
	int group_end;            /* --parallel: the index of the step after the group */
	int lanes_busy;           /* lanes of the group with a step under way */
	unsigned lanes_taken;     /* sections of the group a lane took (1 << section) */
	struct watch *iswatch;    /* the import wait's watch of the image stream */
	unsigned dcset;           /* dcs a multi-dc wait is about */
	cont_fn multi_next;
};

/* the image dc number i of the plan is to run: its section's new tag's digest */
#define DC_DIGEST(e, i) ((e)->secs[(e)->plan.dcs[i].section].digest)
/* the image stream of dc number i's section */
#define DC_IS(e, i) (PLAN_DC_SECTION(&(e)->plan, i)->sec->imagestream)

/* the present dcs of the system section, in the guide's order, into list; how many */
int system_dcs(const struct engine *e, int list[PLAN_MAX_DCS]);

/* --- engine.c: the run ------------------------------------------------------------- */

/* what to do after a mutating command ended */
enum change_result { CHANGE_OK, CHANGE_READ_BACK, CHANGE_STOP };
/* judge cmd's end: CHANGE_READ_BACK (said, *delay set) when it may have passed and
 * ++*attempts allows another try, CHANGE_STOP (said) on any other failure */
enum change_result change_ended(struct engine *e, const struct args *cmd, const struct proc_result *r,
				int can_redo, int *attempts, uint64_t *delay);

/* the next random number for the jitter of retries */
uint32_t jitter(struct engine *e);
/* the run's summary is due: reported once the oc processes still running have ended */
void summary(struct engine *e, const char *command, int status);
/* end the run with status: stop every wait and read, kill the oc children */
void finish(struct engine *e, int status);
/* stop with status, saying what is done and how to continue */
void stop(struct engine *e, int status);
/* run the queued commands in order; next(e) when all succeeded; on a failure that may
 * have passed, redo(e) reads the state back and decides again (NULL: stop) */
void queue_start(struct engine *e, cont_fn next, cont_fn redo);
/* fn(e) after ms, on the engine's timer */
void schedule(struct engine *e, uint64_t ms, cont_fn fn);
/* a wait for what begins: arm its deadline (--timeout) */
void wait_begin(struct engine *e, const char *what);
/* report what the wait of step index waits for, when it changed */
void progress_at(struct engine *e, int index, const char *what);
/* report what the current step's wait waits for, when it changed */
void progress(struct engine *e, const char *what);
/* record the end of step index */
void record_step(struct engine *e, int index, enum step_status st, uint64_t ms, const char *detail);
/* end the current step with st (and a detail), then start the next */
void step_end(struct engine *e, enum step_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* start step e->step, or end the run after the last */
void step_next(struct engine *e);
/* after confirmation: from now on a signal stops the run cleanly */
void signals_start(struct engine *e);
/* 1 if --yes, or the user answered y to "what in namespace NS?" */
int confirm(struct engine *e, const char *what);

/* --- batch.c: batches of reads, and oc failures ---------------------------------------- */

/* what went wrong with the oc process, in words (without the command) */
const char *oc_why(const struct engine *e, const struct proc_result *r, char *buf, size_t n);
/* an oc process's status for reports: exit status, minus its signal, or 127 (not started) */
int64_t oc_status(const struct proc_result *r);
/* 1 and a message if the oc command did not succeed */
int oc_failed(const struct engine *e, const struct args *cmd, const struct proc_result *r, char *msg, size_t n);
/* a hint for a failed oc command, from what it printed */
void hint_for(struct engine *e, const struct proc_result *r);
/* set up b for at most cap reads (their retry timers) for e; ctx is the owner's */
void batch_init(struct engine *e, struct batch *b, void *ctx, int cap);
/* close b's timers */
void batch_close(struct batch *b);
/* after the timers closed: drop b's reads and free it */
void batch_free(struct batch *b);
/* empty b: drop its reads and their documents */
void batch_clear(struct batch *b);
/* the run ends: no read of this batch runs again */
void batch_cancel(struct batch *b);
/* a read to add to the next batch; the caller fills the command */
struct args *batch_add(struct batch *b, int parse);
/* run the batch's reads concurrently; next(b) when all succeeded */
void batch_start(struct batch *b, batch_fn next);
/* the step's one read: empty e->main, read what (kind/name, or a kind's list) as parse, then next */
void read_one(struct engine *e, int parse, const char *what, batch_fn next);
/* take the parsed document of slot i out of the batch */
json_t *batch_take(struct batch *b, int i);
/* add a read of dc number dc of the plan to the batch */
void batch_add_dc(struct batch *b, int dc);
/* add reads of the system section's present dcs, in order */
void batch_add_system_dcs(struct batch *b);
/* add reads of the RCs and the pods of dc number dc of the plan to the batch */
void batch_add_rcs_pods(struct batch *b, int dc);
/* add reads of dc, its RCs and its pods to the batch (slots 3k, 3k+1, 3k+2) */
void batch_add_rollout(struct batch *b, int dc);

/* --- rolloutwait.c: the wait for one dc's rollout ---------------------------------------- */

/* a watch ended early or broke: 0 and the delay before starting it again, or -1 (stopped) */
int64_t watch_ended(struct engine *e, struct watch *wt, struct proc_result *r, int *fails);
/* the run knows whether oc has --output-watch-events (until then one watch at a time asks) */
#define WATCH_KNOWN(e) ((e)->plain_watch || (e)->watch_known)
/* a wait may start its dc's watch: the answer is known, or no other watch is asking */
#define MAY_ASK(e) (WATCH_KNOWN(e) || !(e)->asking)
/* it is known now (or the watch that asked ended): start the watches the waits left for then */
void watch_capability_known(struct engine *e);
/* stop following w's dc: watches, timers */
void dcwait_end(struct dcwait *w);
/* w's changes are made: arm its deadline and wait for its rollout */
void dcwait_begin(struct dcwait *w);
/* a failed rollout: 1 if a retry was queued (--retry-failed, earlier run), else stopped */
int rollout_failed(struct dcwait *w, const struct rollout_view *rv, int earlier);
/* a dcwait's batch failed: stop */
void dcwait_list_failed(struct batch *b);

/* --- objstep.c: the steps that change one object ------------------------------------------ */

/* a step kind that changes one object: how to read it and decide from it */
struct objstep {
	int parse;                    /* how the object is read: READ_JSON, READ_OPTIONAL */
	/* the object to read, "kind/name", into buf */
	void (*what)(const struct engine *e, char *buf, size_t n);
	/* where the engine keeps the object, read by the preflight (NULL there: absent), and
	 * where each read of it goes; NULL: the step reads it first and keeps no copy */
	json_t **(*kept)(struct engine *e);
	/* 1 if doc shows the step done; what to say if it was so before (skipped) or after
	 * the change (done) */
	int (*done)(struct engine *e, const json_t *doc, char *skipped, size_t n, char *done, size_t m);
	/* before the change: fill the step's patch from doc; -1 to stop (said) */
	int (*prepare)(struct engine *e, const json_t *doc);
	/* the read back shows the change not made: say so (the step stops with exit 1) */
	void (*unchanged)(struct engine *e, const json_t *doc);
};
/* the current step changes the object of ops: decide, change, read back */
void objstep_start(struct engine *e, const struct objstep *ops);

/* --- backup.c, tagstep.c, release.c, confirm.c, replicas.c: the other steps -------------------------------------------------- */

/* add the current step's section's tag <to> unless it is there */
void tag_step(struct engine *e);
/* wait for the import of the current step's section's tag <to> */
void import_step(struct engine *e);
/* the backup directory: --backup-dir or the default; -1 (said) if it exists and is not empty */
int backup_prepare(struct engine *e);
/* save the backup, then next(e) (stops on a failure) */
void backup_start(struct engine *e, cont_fn next);
/* the backup step of run: save it unless the upgrade has begun (and no --backup-dir) */
void backup_step(struct engine *e);
/* the backup command, after the preflight */
void backup_command(struct engine *e);
/* the version number: patch it to <to> unless it is, then read it back */
void release_step(struct engine *e);
/* 1 if e->cm has the version number <to> */
int release_done(const struct engine *e);
/* remove the hop's secret key unless it is gone, then read it back */
void secret_step(struct engine *e);
/* 1 if e->secret has the hop's secret key */
int secret_key_present(const struct engine *e);
/* the pre hook env step: patch the entry (tested) unless it is the value, then read it back */
void hook_step(struct engine *e);
/* delete the current step's section's old tag unless it is gone */
void untag_step(struct engine *e);
/* check that every present dc runs its new image in every container its trigger names */
void confirm_step(struct engine *e);
/* restore the replicas scale-down recorded */
void replicas_step(struct engine *e);

/* --- dcstep.c: the dc steps --------------------------------------------------------------- */

/* dc number i's image triggers (document dc) against its section's tags and its --containers */
void dc_triggers(const struct engine *e, int i, const json_t *dc, struct trigger_view *tv);
/* 1 if document dc of dc number i runs its section's new image in every listed container */
int dc_runs_new(const struct engine *e, int i, const json_t *dc);
/* decide dc step index (STEP_DC, STEP_EDIT) on document dc: which of its commands are left
 * (its skip and patch), *match when its pod template has what the step brings, and why in
 * words; 1 if a command is left */
int dc_step_decide(struct engine *e, int index, const json_t *dc, int *match, char *why, size_t n);
/* 1 if document dc has in its pod template what dc step index (STEP_DC, STEP_EDIT) brings */
int dc_step_applied(const struct engine *e, int index, const json_t *dc);
/* 1 if the wait of dc step index may see a failed rollout before its own (2.11 redis: the
 * command patched before the trigger that brings the image with it) */
int dc_step_interim(const struct engine *e, int index);
/* forget what w read ahead */
void pre_clear(struct dcwait *w);
/* while this step waits, read the dcs of the step at index next, if it is a dc step (of
 * a group: the first dc of each of its sections) */
void pre_start(struct engine *e, int next);
/* the dc step at e->step (with --parallel, its group): decide, change, wait */
void dc_step(struct engine *e);
/* w's step ended: its lane's next step, or the run's */
void dc_step_over(struct dcwait *w);
/* --parallel: the steps of the lanes under way, as "20, 24" into steps and
 * "dc/backend-worker, dc/zync-que" into what; how many */
int dc_steps_under_way(const struct engine *e, char *steps, size_t n, char *what, size_t m);
/* w's wait began: read the dc of the step after it */
void dc_read_ahead(struct dcwait *w);

/* --- scaledown.c ------------------------------------------------------------------------ */

/* wait until the dcs in e->dcset are done rolling out, then e->multi_next(e) */
void multi_wait(struct engine *e);
/* the scale-down command, after the preflight */
void scale_down(struct engine *e);

/* --- status.c --------------------------------------------------------------------------- */

/* add the reads the status command needs to b: the RCs and the pods of every present dc */
void status_reads(struct engine *e, struct batch *b);
/* the status command, from the reads of status_reads (b) and the preflight's reads */
void status_read(struct batch *b);

/* --- preflight.c ------------------------------------------------------------------------ */

/* the reads of the preflight: the image stream, the dcs, and the rights to change them */
void preflight_reads(struct engine *e);
/* the hop ended and --to is further on: the next hop, read and checked afresh (the run is
 * confirmed and has its backup) */
void hop_next(struct engine *e);
/* oc whoami and oc project -q read (no -n): take the namespace, then the preflight's reads */
void preflight_identity(struct batch *b);

#endif
