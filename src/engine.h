/*
 * engine.h - the step engine: one libuv loop runs the preflight, then the plan's
 * steps in order. Each step tells from cluster state whether it is already done,
 * applies itself with the documented oc commands, and waits for its effect.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include "options.h"

/* run the command in o against the cluster oc is logged in to; returns the exit status */
int engine_run(const struct options *o);

#endif
