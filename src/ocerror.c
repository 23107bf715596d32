/* ocerror.c - classify an oc failure; backoff with jitter */
#include "ocerror.h"

#include <stddef.h>
#include <string.h>

static int
has_any(const char *s, const char *const *needles)
{
	for (; *needles; needles++)
		if (strstr(s, *needles))
			return 1;
	return 0;
}

/* the texts of kubectl/oc for each kind (k8s.io/apimachinery StatusReason, client-go, net) */
static const char *const unauthorized[] = { "(Unauthorized)", "must be logged in", NULL };
static const char *const forbidden[] = { "(Forbidden)", " is forbidden", NULL };
static const char *const notfound[] = { "(NotFound)", NULL };
static const char *const invalid[] = { "(Invalid)", "(BadRequest)", "The request is invalid", "(MethodNotAllowed)",
				       "(UnsupportedMediaType)", "unknown flag", "unknown command", NULL };
static const char *const conflict[] = { "(Conflict)", "the object has been modified", NULL };
static const char *const transient[] = {
	"(InternalError)", "(Timeout)", "(ServerTimeout)", "(TooManyRequests)", "(ServiceUnavailable)",
	"Internal error occurred", "etcdserver", "the server is currently unable", "too many requests",
	"Gateway Timeout", "the server was unable to return a response", "request did not complete",
	"Unable to connect to the server", "connection refused", "was refused", "connection reset",
	"i/o timeout", "TLS handshake timeout", "unexpected EOF", "http2:", "stream error", "broken pipe",
	"an error on the server", "no route to host", "network is unreachable", "context deadline exceeded",
	"net/http:", "no such host", NULL
};

enum oc_error
oc_error_classify(int spawn_error, int64_t exit_status, int term_signal, int timed_out, const char *err)
{
	if (spawn_error)
		return OCE_SPAWN;
	if (timed_out)
		return OCE_TRANSIENT;
	if (term_signal)
		return OCE_TRANSIENT;
	if (exit_status == 0)
		return OCE_NONE;
	if (!err)
		err = "";
	if (has_any(err, unauthorized))
		return OCE_UNAUTHORIZED;
	if (has_any(err, forbidden))
		return OCE_FORBIDDEN;
	if (has_any(err, notfound))
		return OCE_NOTFOUND;
	if (has_any(err, conflict))
		return OCE_CONFLICT;
	if (has_any(err, invalid))
		return OCE_INVALID;
	if (has_any(err, transient))
		return OCE_TRANSIENT;
	return OCE_OTHER;
}

int
oc_error_unknown_flag(int64_t exit_status, int term_signal, const char *err, const char *flag)
{
	const char *p;
	size_t n = strlen(flag);

	/* cobra: "Error: unknown flag: --NAME" (oc 3.11, with the usage after it) or
	 * "error: unknown flag: --NAME" (kubectl's own error handler) */
	if (exit_status != 1 || term_signal || !err)
		return 0;
	for (p = strstr(err, "unknown flag: "); p; p = strstr(p + 1, "unknown flag: ")) {
		const char *f = p + strlen("unknown flag: ");

		if (strncmp(f, flag, n) == 0 && (f[n] == '\0' || f[n] == '\n' || f[n] == ' ' || f[n] == '\r'))
			return 1;
	}
	return 0;
}

int
oc_error_retryable(enum oc_error k)
{
	return k == OCE_TRANSIENT || k == OCE_CONFLICT;
}

const char *
oc_error_name(enum oc_error k)
{
	static const char *const names[] = { "none", "transient", "unauthorized", "forbidden", "notfound",
					     "invalid", "conflict", "spawn", "other" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "other";
}

uint64_t
backoff_ms(int attempt, uint64_t base_ms, uint64_t cap_ms, uint32_t rnd)
{
	uint64_t step = base_ms;
	int i;

	for (i = 2; i < attempt && step < cap_ms; i++)
		step *= 2;
	if (step > cap_ms)
		step = cap_ms;
	if (step < 2)
		return step;
	return step / 2 + rnd % (step / 2 + 1);
}
