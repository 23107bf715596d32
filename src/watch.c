/* watch.c - an oc watch process read as a stream of watch events */
#include "watch.h"
#include "ocerror.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void
on_out(const char *data, size_t n, void *arg)
{
	struct watch *w = arg;
	json_t *doc;
	json_error_t je;
	int r;

	if (w->bad[0])
		return;
	jsonstream_feed(&w->js, data, n);
	while ((r = jsonstream_next(&w->js, &doc, &je)) == 1) {
		const char *type = json_string_value(json_object_get(doc, "type"));
		const json_t *obj = json_object_get(doc, "object");

		if (w->plain) {
			/* the object itself; a broken stream prints the server's Status */
			const char *kind = json_string_value(json_object_get(doc, "kind"));

			obj = doc;
			type = kind && strcmp(kind, "Status") == 0 ? "ERROR" : "MODIFIED";
		}
		if (!type || !json_is_object(obj)) {
			snprintf(w->bad, sizeof(w->bad), "%s", w->plain ? "a document that is not an object" :
				 "a document that is not a watch event (no \"type\" and \"object\")");
			json_decref(doc);
			proc_kill(w->proc, SIGTERM);
			return;
		}
		if (strcmp(type, "ERROR") == 0) {
			/* the stream broke: client-go hands the server's Status on as an event, and
			 * oc then exits 0 as if the server had closed the watch */
			const char *msg = json_string_value(json_object_get(obj, "message"));

			snprintf(w->bad, sizeof(w->bad), "an ERROR event (%.250s)", msg ? msg : "no message");
			json_decref(doc);
			proc_kill(w->proc, SIGTERM);
			return;
		}
		w->events++;
		w->on_event(w, type, obj);
		json_decref(doc);
	}
	if (r < 0) {
		snprintf(w->bad, sizeof(w->bad), "output that is not valid JSON: %s (byte %d)", je.text, je.position);
		proc_kill(w->proc, SIGTERM);
	}
}

static void
on_done(struct proc_result *r, void *arg)
{
	struct watch *w = arg;

	if (!w->bad[0] && r->exit_status == 0 && !r->term_signal && jsonstream_pending(&w->js))
		snprintf(w->bad, sizeof(w->bad), "a truncated document at the end of the stream");
	jsonstream_free(&w->js);
	w->proc = NULL;
	w->on_end(w, r);
}

void
watch_args(struct watch *w)
{
	args_add(&w->cmd, "-w");
	if (!w->plain)
		args_add(&w->cmd, "--output-watch-events");
}

int
watch_events_unsupported(const struct proc_result *r)
{
	return oc_error_unknown_flag(r->exit_status, r->term_signal, r->err, "--output-watch-events");
}

void
watch_start(uv_loop_t *loop, struct watch *w, uint64_t timeout_ms)
{
	jsonstream_init(&w->js);
	w->events = 0;
	w->stopping = 0;
	w->bad[0] = '\0';
	w->proc = proc_spawn_stream(loop, w->cmd.v, timeout_ms, on_out, on_done, w);
}

void
watch_stop(struct watch *w)
{
	if (w->proc) {
		w->stopping = 1;
		proc_kill(w->proc, SIGTERM);
	}
}

int
watch_running(const struct watch *w)
{
	return w->proc != NULL;
}
