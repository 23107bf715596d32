/*
 * procedure.c - the documented template-based upgrade procedures as data: one table per
 * hop, each section in the guide's order with its image stream, new image, display
 * name and dcs (the --containers of the guide, init containers included).
 *
 * 2.9 -> 2.10: Red Hat 3scale API Management 2.10, "Migrating 3scale", chapter 2,
 * "Upgrading 3scale images"; the objects of amp/amp.yml (3scale-amp-openshift-templates,
 * tag 3scale-2.10.0-GA).
 */
#include "procedure.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/*
 * 2.8 -> 2.9 (Migrating 3scale 2.9, chapter 2; procedures.md §3): the 2.10 table with 3scale2.9
 * and "... 2.9". After a section's dcs moved, its `latest` tag is deleted: the last two
 * numbers say after which dc (-1: never, amp-system) and 1 where that follows the
 * guide's pattern (P) rather than its text (G: apicast, backend, zync, memcached).
 */
/*      name              image stream               image                                                           display name              tight  db opt pattern  dcs with their --containers, untag after, P */
const struct section procedure_2_9[] = {
	{ "system",          "amp-system",               "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.9",           "AMP system 2.9",          0, 0, 0, 0,
	  { { "system-app", "system-master,system-developer,system-provider" },
	    { "system-sidekiq", "system-sidekiq,check-svc" },
	    { "system-sphinx", "system-sphinx,system-master-svc" } }, 3, -1, 0, NULL },
	{ "apicast",         "amp-apicast",              "registry.redhat.io/3scale-amp2/apicast-gateway-rhel8:3scale2.9",  "AMP APIcast 2.9",         1, 0, 0, 0,
	  { { "apicast-staging", "apicast-staging" },
	    { "apicast-production", "apicast-production,system-master-svc" } }, 2, 1, 0, NULL },
	/* the guide deletes amp-backend:latest after backend-worker, before backend-cron */
	{ "backend",         "amp-backend",              "registry.redhat.io/3scale-amp2/backend-rhel7:3scale2.9",          "AMP Backend 2.9",         1, 0, 0, 0,
	  { { "backend-listener", "backend-listener" },
	    { "backend-worker", "backend-worker,backend-redis-svc" },
	    { "backend-cron", "backend-cron,backend-redis-svc" } }, 3, 1, 0, NULL },
	{ "zync",            "amp-zync",                 "registry.redhat.io/3scale-amp2/zync-rhel7:3scale2.9",             "AMP Zync 2.9",            0, 0, 0, 0,
	  { { "zync", "zync,zync-db-svc" },
	    { "zync-que", "que" } }, 2, 1, 0, NULL },
	{ "memcached",       "system-memcached",         "registry.redhat.io/3scale-amp2/memcached-rhel7:3scale2.9",        "System 2.9 Memcached",    0, 0, 0, 0,
	  { { "system-memcache", "memcache" } }, 1, 0, 0, NULL },
	{ "zync-database",   "zync-database-postgresql", "registry.redhat.io/rhscl/postgresql-10-rhel7",                    "Zync 2.9 PostgreSQL",     0, 1, 0, 0,
	  { { "zync-database", "postgresql" } }, 1, 0, 1, NULL },
	{ "backend-redis",   "backend-redis",            "registry.redhat.io/rhscl/redis-32-rhel7:3.2",                     "Backend 2.9 Redis",       0, 1, 1, 0,
	  { { "backend-redis", "backend-redis" } }, 1, 0, 1, NULL },
	{ "system-redis",    "system-redis",             "registry.redhat.io/rhscl/redis-32-rhel7:3.2",                     "System 2.9 Redis",        0, 1, 1, 0,
	  { { "system-redis", "system-redis" } }, 1, 0, 1, NULL },
	{ "system-database", "system-mysql",             "registry.redhat.io/rhscl/mysql-57-rhel7:5.7",                     "System 2.9 MySQL",        0, 1, 1, 0,
	  { { "system-mysql", "system-mysql" } }, 1, 0, 1, NULL },
	{ "system-database", "system-postgresql",        "registry.redhat.io/rhscl/postgresql-10-rhel7",                    "System 2.9 PostgreSQL",   0, 1, 1, 1,
	  { { "system-postgresql", "system-postgresql" } }, 1, 0, 1, NULL },
};

/* 2.9 -> 2.10 (Migrating 3scale 2.10, chapter 2; procedures.md §2); no tag is deleted */
/*      name              image stream               image                                                           display name              tight  db opt pattern  dcs with their --containers, untag after, P */
const struct section procedure_2_10[] = {
	{ "system",          "amp-system",               "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.10",          "AMP system 2.10",         0, 0, 0, 0,
	  { { "system-app", "system-master,system-developer,system-provider" },
	    { "system-sidekiq", "system-sidekiq,check-svc" },
	    { "system-sphinx", "system-sphinx,system-master-svc" } }, 3, -1, 0, NULL },
	{ "apicast",         "amp-apicast",              "registry.redhat.io/3scale-amp2/apicast-gateway-rhel8:3scale2.10", "AMP APIcast 2.10",        1, 0, 0, 0,
	  { { "apicast-staging", "apicast-staging" },
	    { "apicast-production", "apicast-production,system-master-svc" } }, 2, -1, 0, NULL },
	{ "backend",         "amp-backend",              "registry.redhat.io/3scale-amp2/backend-rhel7:3scale2.10",         "AMP Backend 2.10",        1, 0, 0, 0,
	  { { "backend-listener", "backend-listener" },
	    { "backend-worker", "backend-worker,backend-redis-svc" },
	    { "backend-cron", "backend-cron,backend-redis-svc" } }, 3, -1, 0, NULL },
	{ "zync",            "amp-zync",                 "registry.redhat.io/3scale-amp2/zync-rhel7:3scale2.10",            "AMP Zync 2.10",           0, 0, 0, 0,
	  { { "zync", "zync,zync-db-svc" },
	    { "zync-que", "que" } }, 2, -1, 0, NULL },
	{ "memcached",       "system-memcached",         "registry.redhat.io/3scale-amp2/memcached-rhel7:3scale2.10",       "System 2.10 Memcached",   0, 0, 0, 0,
	  { { "system-memcache", "memcache" } }, 1, -1, 0, NULL },
	{ "zync-database",   "zync-database-postgresql", "registry.redhat.io/rhscl/postgresql-10-rhel7",                    "Zync 2.10 PostgreSQL",    0, 1, 0, 0,
	  { { "zync-database", "postgresql" } }, 1, -1, 0, NULL },
	{ "backend-redis",   "backend-redis",            "registry.redhat.io/rhscl/redis-32-rhel7:3.2",                     "Backend 2.10 Redis",      0, 1, 1, 0,
	  { { "backend-redis", "backend-redis" } }, 1, -1, 0, NULL },
	{ "system-redis",    "system-redis",             "registry.redhat.io/rhscl/redis-32-rhel7:3.2",                     "System 2.10 Redis",       0, 1, 1, 0,
	  { { "system-redis", "system-redis" } }, 1, -1, 0, NULL },
	/* system-database: whichever of the two dcs exists (neither with Oracle or an external database) */
	{ "system-database", "system-mysql",             "registry.redhat.io/rhscl/mysql-57-rhel7:5.7",                     "System 2.10 MySQL",       0, 1, 1, 0,
	  { { "system-mysql", "system-mysql" } }, 1, -1, 0, NULL },
	{ "system-database", "system-postgresql",        "registry.redhat.io/rhscl/postgresql-10-rhel7",                    "System 2.10 PostgreSQL",  0, 1, 1, 1,
	  { { "system-postgresql", "system-postgresql" } }, 1, -1, 0, NULL },
};

/*
 * 2.10 -> 2.11 (Migrating 3scale 2.11, chapter 2; procedures.md §4): the 2.10 table with 3scale2.11
 * and "... 2.11", backend and zync on rhel8, Redis 5 (a new image name, so a rollout always comes)
 * with the guide's command patch between the trigger's remove and add.
 */
/*      name              image stream               image                                                           display name              tight  db opt pattern  dcs with their --containers, untag after, P, command */
#define REDIS5_SERVER "/opt/rh/rh-redis5/root/usr/bin/redis-server"
const struct section procedure_2_11[] = {
	{ "system",          "amp-system",               "registry.redhat.io/3scale-amp2/system-rhel7:3scale2.11",          "AMP system 2.11",         0, 0, 0, 0,
	  { { "system-app", "system-master,system-developer,system-provider" },
	    { "system-sidekiq", "system-sidekiq,check-svc" },
	    { "system-sphinx", "system-sphinx,system-master-svc" } }, 3, -1, 0, NULL },
	{ "apicast",         "amp-apicast",              "registry.redhat.io/3scale-amp2/apicast-gateway-rhel8:3scale2.11", "AMP APIcast 2.11",        1, 0, 0, 0,
	  { { "apicast-staging", "apicast-staging" },
	    { "apicast-production", "apicast-production,system-master-svc" } }, 2, -1, 0, NULL },
	{ "backend",         "amp-backend",              "registry.redhat.io/3scale-amp2/backend-rhel8:3scale2.11",         "AMP Backend 2.11",        1, 0, 0, 0,
	  { { "backend-listener", "backend-listener" },
	    { "backend-worker", "backend-worker,backend-redis-svc" },
	    { "backend-cron", "backend-cron,backend-redis-svc" } }, 3, -1, 0, NULL },
	{ "zync",            "amp-zync",                 "registry.redhat.io/3scale-amp2/zync-rhel8:3scale2.11",            "AMP Zync 2.11",           0, 0, 0, 0,
	  { { "zync", "zync,zync-db-svc" },
	    { "zync-que", "que" } }, 2, -1, 0, NULL },
	{ "memcached",       "system-memcached",         "registry.redhat.io/3scale-amp2/memcached-rhel7:3scale2.11",       "System 2.11 Memcached",   0, 0, 0, 0,
	  { { "system-memcache", "memcache" } }, 1, -1, 0, NULL },
	{ "zync-database",   "zync-database-postgresql", "registry.redhat.io/rhscl/postgresql-10-rhel7",                    "Zync 2.11 PostgreSQL",    0, 1, 0, 0,
	  { { "zync-database", "postgresql" } }, 1, -1, 0, NULL },
	{ "backend-redis",   "backend-redis",            "registry.redhat.io/rhscl/redis-5-rhel7:5",                        "Backend 2.11 Redis",      0, 0, 1, 0,
	  { { "backend-redis", "backend-redis" } }, 1, -1, 0, REDIS5_SERVER },
	{ "system-redis",    "system-redis",             "registry.redhat.io/rhscl/redis-5-rhel7:5",                        "System 2.11 Redis",       0, 0, 1, 0,
	  { { "system-redis", "system-redis" } }, 1, -1, 0, REDIS5_SERVER },
	{ "system-database", "system-mysql",             "registry.redhat.io/rhscl/mysql-57-rhel7:5.7",                     "System 2.11 MySQL",       0, 1, 1, 0,
	  { { "system-mysql", "system-mysql" } }, 1, -1, 0, NULL },
	{ "system-database", "system-postgresql",        "registry.redhat.io/rhscl/postgresql-10-rhel7",                    "System 2.11 PostgreSQL",  0, 1, 1, 1,
	  { { "system-postgresql", "system-postgresql" } }, 1, -1, 0, NULL },
};

/*
 * 2.10 -> 2.11, after the version number and before the images (G, procedures.md §4 steps 1-3).
 * BACKEND_ROUTE of system-app's pre hook: the guide's interactive `oc edit` as a JSON patch of
 * the entry found by name (P: our form of its edit). Then `oc set env` on system-app and on
 * system-sidekiq, each waited for; zync's monitoring annotations onto its pod template with the
 * dc's values, then off the dc; backend-cron's resources.
 */
#define BACKEND_ROUTE_2_11 "http://backend-listener:3000/internal/"
/*      --only name          kind              dc                key                                        value               limits (memory, cpu), requests       P */
const struct dc_edit procedure_edits_2_11[] = {
	{ "backend-route",    EDIT_HOOK_ENV,    "system-app",     "BACKEND_ROUTE",                           BACKEND_ROUTE_2_11, NULL, NULL, NULL, NULL,              1 },
	{ "backend-route",    EDIT_ENV,         "system-app",     "BACKEND_ROUTE",                           BACKEND_ROUTE_2_11, NULL, NULL, NULL, NULL,              0 },
	{ "backend-route",    EDIT_ENV,         "system-sidekiq", "BACKEND_ROUTE",                           BACKEND_ROUTE_2_11, NULL, NULL, NULL, NULL,              0 },
	{ "zync-annotations", EDIT_ANNOTATIONS, "zync",           "prometheus.io/scrape,prometheus.io/port", NULL,               NULL, NULL, NULL, NULL,              0 },
	{ "backend-cron",     EDIT_RESOURCES,   "backend-cron",   "backend-cron",                            NULL,               "500Mi", "500m", "100Mi", "100m",    0 },
};

/* "Creating a backup of the 3scale project" (G): `oc get all`, then these kinds, one file each */
const char *const procedure_backup_kinds[] = {
	"all", "rolebindings", "serviceaccounts", "secrets", "imagestreamtags", "cm", "rolebindingrestrictions",
	"limitranges", "resourcequotas", "pvc", "templates", "cronjobs", "statefulsets", "hpa", "deployments",
	"replicasets", "poddisruptionbudget", "endpoints", NULL
};

static const struct hop hops[] = {
	/* old triggers on IS:latest; BASE_URL out of system-master-apicast; oc tag -d IS:latest; no Oracle branch given */
	{ "2.8", "2.9", procedure_2_9, (int)(sizeof(procedure_2_9) / sizeof(procedure_2_9[0])),
	  "system-environment", "AMP_RELEASE", 1, "latest", "latest", "system-master-apicast", "BASE_URL", 0, NULL, 0 },
	/* the version number: P (the 2.11 guide prints it; 2.10's follows the same pattern) */
	{ "2.9", "2.10", procedure_2_10, (int)(sizeof(procedure_2_10) / sizeof(procedure_2_10[0])),
	  "system-environment", "AMP_RELEASE", 1, NULL, NULL, NULL, NULL, 1, NULL, 0 },
	/* the version number: G; BACKEND_ROUTE, zync's annotations and backend-cron's resources first */
	{ "2.10", "2.11", procedure_2_11, (int)(sizeof(procedure_2_11) / sizeof(procedure_2_11[0])),
	  "system-environment", "AMP_RELEASE", 0, NULL, NULL, NULL, NULL, 1, procedure_edits_2_11,
	  (int)(sizeof(procedure_edits_2_11) / sizeof(procedure_edits_2_11[0])) },
};

const struct hop *
procedure_hop(const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (strcmp(hops[i].from, from) == 0 && strcmp(hops[i].to, to) == 0)
			return &hops[i];
	return NULL;
}

const struct hop *
procedure_hop_from(const char *from)
{
	size_t i;

	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (strcmp(hops[i].from, from) == 0)
			return &hops[i];
	return NULL;
}

const struct hop *
procedure_hop_index(size_t i)
{
	return i < sizeof(hops) / sizeof(hops[0]) ? &hops[i] : NULL;
}

int
procedure_chain(const char *from, const char *to)
{
	const struct hop *h;
	int n = 0;

	for (h = procedure_hop_from(from); h; h = procedure_hop_from(h->to)) {
		n++;
		if (strcmp(h->to, to) == 0)
			return n;
	}
	return 0;
}

const struct hop *
procedure_hop_to(const char *to)
{
	size_t i;

	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (strcmp(hops[i].to, to) == 0)
			return &hops[i];
	return NULL;
}

const char *
procedure_release_of_tag(const char *tag)
{
	size_t i;

	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (hops[i].old_trigger && strcmp(hops[i].old_trigger, tag) == 0)
			return hops[i].from;
	return NULL;
}

int
procedure_secret_patch(const struct hop *h, char *buf, size_t n)
{
	/* the guide's text, spacing included */
	int len = snprintf(buf, n, "[{\"op\": \"remove\", \"path\": \"/data/%s\"}]", h->secret_key ? h->secret_key : "");

	return len < 0 || (size_t)len >= n ? -1 : len;
}

const char *
procedure_hops(void)
{
	static char buf[128];
	size_t i, len = 0;

	if (!buf[0])
		for (i = 0; i < sizeof(hops) / sizeof(hops[0]) && len < sizeof(buf); i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s -> %s", i ? ", " : "",
						hops[i].from, hops[i].to);
	return buf;
}

const struct section *
procedure_section(const struct hop *h, const char *name)
{
	int i;

	for (i = 0; i < h->nsections; i++)
		if (strcmp(h->sections[i].name, name) == 0)
			return &h->sections[i];
	return NULL;
}

int
procedure_tag_patch(const struct section *s, const char *tag, char *buf, size_t n)
{
	/* the guide's text, spacing included: `"from": { "kind"` or `"from": {"kind"` */
	int len = snprintf(buf, n,
			   "[{\"op\": \"add\", \"path\": \"/spec/tags/-\", \"value\": {\"annotations\": "
			   "{\"openshift.io/display-name\": \"%s\"}, \"from\": {%s\"kind\": "
			   "\"DockerImage\", \"name\": \"%s\"}, \"name\": \"%s\", \"referencePolicy\": "
			   "{\"type\": \"Source\"}}}]",
			   s->display, s->tight_from ? "" : " ", s->image, tag);

	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
procedure_section_known(const char *name)
{
	size_t i;

	if (strcmp(name, STEP_NAME_BACKUP) == 0 || strcmp(name, STEP_NAME_RELEASE) == 0 ||
	    strcmp(name, STEP_NAME_SECRET) == 0 || strcmp(name, STEP_NAME_CONFIRM) == 0)
		return 1;
	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (procedure_section(&hops[i], name))
			return 1;
	return procedure_edit_known(name);
}

int
procedure_edit_known(const char *name)
{
	size_t i;
	int k;

	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		for (k = 0; k < hops[i].nedits; k++)
			if (strcmp(hops[i].edits[k].name, name) == 0)
				return 1;
	return 0;
}

const char *
procedure_section_names(void)
{
	static char buf[512];
	size_t i, len = 0;
	int k;

	if (buf[0])
		return buf;
	len = (size_t)snprintf(buf, sizeof(buf), "%s,%s,%s", STEP_NAME_BACKUP, STEP_NAME_RELEASE, STEP_NAME_SECRET);
	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		for (k = 0; k < hops[i].nedits; k++) {
			const char *name = hops[i].edits[k].name;

			if (csv_has(buf, name) || len >= sizeof(buf))
				continue;
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, ",%s", name);
		}
	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		for (k = 0; k < hops[i].nsections; k++) {
			const char *name = hops[i].sections[k].name;

			if (csv_has(buf, name) || len >= sizeof(buf))
				continue;
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "", name);
		}
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, ",%s", STEP_NAME_CONFIRM);
	return buf;
}

int
procedure_release_patch(const struct hop *h, char *buf, size_t n)
{
	/* the guide's text, spacing included */
	int len = snprintf(buf, n, "{\"data\": {\"%s\": \"%s\"}}", h->release_key, h->to);

	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
procedure_command_patch(const struct section *s, const char *dc, char *buf, size_t n)
{
	/* the guide's text, spacing included */
	int len = snprintf(buf, n, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"%s\","
			   "\"command\":[\"%s\"]}]}}}}", dc, s->command ? s->command : "");

	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
procedure_resources_patch(const struct dc_edit *ed, char *buf, size_t n)
{
	/* the guide's text, its uneven spacing included */
	int len = snprintf(buf, n, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"%s\","
			   "\"resources\":{\"limits\":{\"memory\":\"%s\", \"cpu\": \"%s\"}, \"requests\":"
			   "{\"memory\":\"%s\", \"cpu\": \"%s\"}}}]}}}}", ed->key, ed->limits_memory,
			   ed->limits_cpu, ed->requests_memory, ed->requests_cpu);

	return len < 0 || (size_t)len >= n ? -1 : len;
}

int
procedure_edit_key(const struct dc_edit *ed, int k, char *buf, size_t n)
{
	const char *p = ed->key;
	int i;

	for (i = 0; csv_next(&p, buf, n); i++)
		if (i == k)
			return 1;
	return 0;
}
