/* confirm.c - the confirm step: every dc of the run runs, in every container its trigger
 * names (init containers included), the image its section's new tag resolves to */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* append to buf (n bytes) each listed container of dc number i that does not run its
 * section's new image; the number of them */
static int
confirm_dc(const struct engine *e, int i, const json_t *dc, char *buf, size_t n)
{
	const char *p = e->plan.dcs[i].spec->containers;
	char name[128];
	int bad = 0;

	while (csv_next(&p, name, sizeof(name))) {
		const char *image = dc_container_image(dc, name);
		size_t len = strlen(buf);

		if (image && image_has_digest(image, DC_DIGEST(e, i)))
			continue;
		bad++;
		snprintf(buf + len, n - len, "%sdc/%s container %s runs %s", len ? "; " : "", PLAN_DC_NAME(&e->plan, i),
			 name, image ? image : "(no such container)");
	}
	return bad;
}

static void
confirm_read(struct batch *b)
{
	struct engine *e = b->e;
	char bad[2048] = "";
	int i, nbad = 0, nok = 0;

	for (i = 0; i < e->plan.ndcs; i++) {
		const json_t *dc;

		if (!plan_dc_checked(&e->plan, i))
			continue;
		dc = list_item(b->slots[0].doc, PLAN_DC_NAME(&e->plan, i));
		if (!dc) {
			size_t len = strlen(bad);

			snprintf(bad + len, sizeof(bad) - len, "%sdc/%s is gone", len ? "; " : "", PLAN_DC_NAME(&e->plan, i));
			nbad++;
			continue;
		}
		if (confirm_dc(e, i, dc, bad, sizeof(bad)))
			nbad++;
		else
			nok++;
	}
	if (nbad) {
		report_error("%d dc%s not run the new images: %s", nbad, nbad == 1 ? " does" : "s do", bad);
		report_hint("someone may have changed them meanwhile: re-run to check every dc's trigger and rollout again");
		stop(e, 1);
		return;
	}
	step_end(e, STEP_DONE, "%d dcs run the images of their new tags in every container the trigger names", nok);
}

void
confirm_step(struct engine *e)
{
	read_one(e, READ_JSON, "dc", confirm_read);
}
