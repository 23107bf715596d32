/*
 * report_int.h - what the files of the report share: its configuration, the colours,
 * the status line and the JSON lines (report.c), used by report_plan.c. Not for
 * outside the report (report.h is its interface).
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include <jansson.h>

#include "args.h"
#include "report.h"

#define SGR_RED "\033[31m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_CYAN "\033[36m"
#define SGR_BOLD "\033[1m"
#define SGR_RESET "\033[0m"

extern struct report_config rcfg;
/* the words of enum step_status: "done", "skipped", ... */
extern const char *const status_names[];

/* the colour code, or "" when colour is off; the code that ends it */
const char *colour_on(const char *code);
const char *colour_off(void);
/* take the status line off the terminal; put it back */
void line_erase(void);
void line_draw(void);
/* a line of text output (not with -q), the status line taken away first */
void text_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* print one JSON event (taken) as a line */
void emit_event(json_t *ev);
/* argv as a JSON array of strings */
json_t *argv_json(const struct args *a);

#endif
