/* report_plan.c - what plan and status print: the steps with their commands, each step's state */
#include "report.h"
#include "report_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* --- plan ---------------------------------------------------------------------- */

static const char *
wait_note(const struct plan *p, const struct step *s, char *buf, size_t n)
{
	switch (s->kind) {
	case STEP_BACKUP:
		return "each dc, then each kind (all, rolebindings, serviceaccounts, secrets, ...) with oc get -o json, "
		       "one file each, into a new directory of mode 0700 (3scale-upgrade backup does this alone)";
	case STEP_RELEASE:
		snprintf(buf, n, "then check: oc get cm/%s -o json has .data.%s = \"%s\"", p->hop->release_cm,
			 p->hop->release_key, p->to);
		return buf;
	case STEP_SECRET:
		snprintf(buf, n, "unless the key is gone (oc get secret/%s -o json; no value is printed), then check it is",
			 p->hop->secret);
		return buf;
	case STEP_UNTAG:
		return "unless the tag is gone (oc get imagestream -o json), then check it is";
	case STEP_HOOK_ENV:
		snprintf(buf, n, "the guide's oc edit as a JSON patch: the entry's index read first (oc get dc/%s -o json), "
			 "the entry as read tested; then check it (the hook is not the pod template: no rollout)",
			 PLAN_DC_NAME(p, s->dc));
		return buf;
	case STEP_EDIT:
		return "then wait: new rollout complete, new pods ready, old pods gone";
	case STEP_CONFIRM:
		return "check each dc's containers (oc get dc -o json): the image of its new tag, by digest";
	case STEP_IMPORT:
		snprintf(buf, n, "then wait until the tag has an image (oc get imagestream/%s -o json)", PLAN_IS(p, s->section));
		return buf;
	case STEP_DC:
		if (s->group) {
			/* --parallel: the group's sections side by side */
			int i = (int)(s - p->steps), first = i, last = i;

			while (first > 0 && p->steps[first - 1].group == s->group)
				first--;
			while (last + 1 < p->nsteps && p->steps[last + 1].group == s->group)
				last++;
			snprintf(buf, n, "then wait: new rollout complete, new pods ready, old pods gone (--parallel: "
				 "beside the other sections of steps %d-%d; its section's next dc waits for it)", first + 1,
				 last + 1);
			return buf;
		}
		if (s->patch[0])
			return "no wait between the patch and the new trigger (the dc is broken until it lands); then "
			       "wait: new rollout complete, new pods ready, old pods gone";
		return "then wait: new rollout complete, new pods ready, old pods gone";
	case STEP_REPLICAS: return "for each system dc annotated " REPLICAS_ANNOTATION "=N: oc scale dc/NAME --replicas=N, "
				   "remove the annotation, wait for the pods";
	default: return NULL;
	}
}

void
report_plan(const struct plan *p, const char *oc, const char *ns, int detected)
{
	struct args cmds[4];
	char buf[2048];
	json_t *steps = NULL;
	int i, j, n;

	line_erase();
	if (rcfg.json)
		steps = json_array();
	else
		printf("# 3scale %s%s -> %s in %s, database %s%s\n", p->from, p->from_detected ? " (detected)" : "",
		       p->to, ns ? ns : "oc's current project", database_name(p->db), detected ? " (detected)" : "");
	for (i = 0; i < p->nsteps; i++) {
		const struct step *s = &p->steps[i];
		char nbuf[256];
		const char *note = wait_note(p, s, nbuf, sizeof(nbuf));

		n = plan_step_commands(p, s, oc, ns, cmds, 4);
		if (rcfg.json) {
			json_t *c = json_array();

			for (j = 0; j < n; j++)
				json_array_append_new(c, argv_json(&cmds[j]));
			json_array_append_new(steps, json_pack("{s:i, s:s, s:s, s:o, s:s*, s:s*}", "index", i + 1,
							       "id", s->id, "title", s->title, "commands", c,
							       "wait", note, "note", s->note[0] ? s->note : NULL));
			continue;
		}
		printf("# %d. %s%s%s\n", i + 1, s->title, s->note[0] ? " -- " : "", s->note);
		for (j = 0; j < n; j++) {
			args_shell(&cmds[j], buf, sizeof(buf));
			printf("%s\n", buf);
		}
		if (note)
			printf("#    %s\n", note);
	}
	if (rcfg.json)
		emit_event(json_pack("{s:s, s:s?, s:s, s:b, s:s, s:s, s:b, s:o}", "event", "plan", "namespace", ns,
			       "from", p->from, "from_detected", p->from_detected, "to", p->to, "database", database_name(p->db),
			       "database_detected", detected, "steps", steps));
	fflush(stdout);
	line_draw();
}

/* --- status -------------------------------------------------------------------- */

static json_t *status_ids[4];           /* status: ids done, pending, failed, not there */

void
report_status_step(const struct plan *p, int index, enum step_status st, const char *detail)
{
	const char *colour = st == STEP_DONE ? SGR_GREEN : st == STEP_FAILED ? SGR_RED :
			     st == STEP_NOT_THERE ? SGR_CYAN : SGR_YELLOW;
	int k = st == STEP_DONE ? 0 : st == STEP_FAILED ? 2 : st == STEP_NOT_THERE ? 3 : 1;

	if (!status_ids[k])
		status_ids[k] = json_array();
	json_array_append_new(status_ids[k], json_string(p->steps[index].id));
	if (rcfg.json) {
		char hop[40];

		snprintf(hop, sizeof(hop), "%s -> %s", p->from, p->to);
		emit_event(json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s}", "event", "step", "hop", hop, "index",
			       index + 1, "total", p->nsteps, "id", p->steps[index].id, "title", p->steps[index].title,
			       "state", status_names[st], "detail", detail ? detail : ""));
		return;
	}
	text_out("[%d/%d] %s%-8s%s %s%s%s\n", index + 1, p->nsteps, colour_on(colour), status_names[st], colour_off(),
	    p->steps[index].title, detail && *detail ? ": " : "", detail ? detail : "");
}

static json_t *
take_ids(int k)
{
	json_t *a = status_ids[k] ? status_ids[k] : json_array();

	status_ids[k] = NULL;
	return a;
}

void
report_status_end(const char *ns, const struct plan *p, int complete)
{
	if (rcfg.json) {
		json_t *done = take_ids(0), *pending = take_ids(1), *failed = take_ids(2), *skipped = take_ids(3);
		const char *next = NULL;
		int i;

		for (i = 0; i < p->nsteps && !next; i++) {
			size_t j;
			json_t *v;
			int isdone = 0;

			json_array_foreach(done, j, v)
				if (strcmp(json_string_value(v), p->steps[i].id) == 0)
					isdone = 1;
			json_array_foreach(skipped, j, v)
				if (strcmp(json_string_value(v), p->steps[i].id) == 0)
					isdone = 1;
			if (!isdone)
				next = p->steps[i].id;
		}
		emit_event(json_pack("{s:s, s:s?, s:s, s:b, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:s?}", "event", "status_end",
			       "namespace", ns, "from", p->from, "from_detected", p->from_detected, "to", p->to,
			       "database", database_name(p->db),
			       "complete", complete, "done", done, "pending", pending, "failed", failed,
			       "skipped", skipped, "next", next));
		return;
	}
	json_decref(take_ids(3));
	json_decref(take_ids(0));
	json_decref(take_ids(1));
	json_decref(take_ids(2));
	if (complete)
		text_out("%supgrade complete%s\n", colour_on(SGR_GREEN), colour_off());
	else
		text_out("upgrade not complete: run '3scale-upgrade run' to finish it\n");
}
