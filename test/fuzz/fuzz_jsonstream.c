/*
 * fuzz_jsonstream.c - libFuzzer target for src/jsonstream.c.
 *
 * Input: byte 0 gives k = byte0 % 16 (and nothing else); the next k bytes are chunk
 * sizes (used in a cycle; 0 feeds an empty chunk); the rest is the stream.
 *
 * The stream is fed in those chunks, taking documents after each feed until 0 or -1
 * (after -1 nothing more is fed), and then fed whole to a second jsonstream. Both
 * must give the same documents (json_equal), the same end (error or not; at the same
 * position when the stream has no NUL byte) and the same pending bytes: the way bytes
 * arrive must not change what is read. When jansson parses the whole stream (without
 * NUL bytes) as one document, the splitter must give exactly that document. offset + len always equals
 * the bytes fed.
 */
#include "jsonstream.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                        \
	do {                                                                             \
		fprintf(stderr, "fuzz_jsonstream: invariant violated (line %d): ", __LINE__); \
		fprintf(stderr, __VA_ARGS__);                                            \
		fputc('\n', stderr);                                                     \
		abort();                                                                 \
	} while (0)

#define MAX_DOCS 4096

struct outcome {
	json_t *docs[MAX_DOCS];
	size_t ndocs;
	int error;            /* jsonstream_next returned -1 */
	json_error_t err;
	int pending;          /* at the end, without an error */
};

static void
check_accounting(const struct jsonstream *s, size_t fed)
{
	if (s->offset + s->len != fed)
		FAIL("offset %zu + len %zu != %zu bytes fed", s->offset, s->len, fed);
}

/* take documents until 0 or -1; 1 if it stopped on -1 */
static int
drain(struct jsonstream *s, struct outcome *o, size_t fed)
{
	json_t *doc;
	int r;

	for (;;) {
		json_error_t err;

		memset(&err, 0, sizeof(err));
		r = jsonstream_next(s, &doc, &err);
		check_accounting(s, fed);
		if (r == 1) {
			if (!doc)
				FAIL("1 without a document");
			if (o->ndocs == MAX_DOCS)
				json_decref(doc);
			else
				o->docs[o->ndocs++] = doc;
			continue;
		}
		if (doc)
			FAIL("%d with a document", r);
		if (r == 0)
			return 0;
		if (r != -1)
			FAIL("jsonstream_next returned %d", r);
		if (err.position < 0 || (size_t)err.position > fed)
			FAIL("error position %d outside the %zu bytes fed", err.position, fed);
		if (!memchr(err.text, '\0', sizeof(err.text)))
			FAIL("error text not NUL-terminated");
		o->error = 1;
		o->err = err;
		return 1;
	}
}

static void
run_chunked(const uint8_t *sizes, size_t nsizes, const char *stream, size_t n, struct outcome *o)
{
	struct jsonstream s;
	size_t fed = 0, i = 0;

	jsonstream_init(&s);
	while (fed < n) {
		size_t c = nsizes ? sizes[i++ % nsizes] : n;

		if (c > n - fed)
			c = n - fed;
		jsonstream_feed(&s, stream + fed, c);
		fed += c;
		check_accounting(&s, fed);
		if (drain(&s, o, fed))
			break;
		/* an empty chunk changes nothing: the next one has at least a byte */
		if (c == 0 && fed < n) {
			jsonstream_feed(&s, stream + fed, 1);
			fed++;
			if (drain(&s, o, fed))
				break;
		}
	}
	if (!o->error)
		o->pending = jsonstream_pending(&s);
	jsonstream_free(&s);
}

static void
run_whole(const char *stream, size_t n, struct outcome *o)
{
	struct jsonstream s;

	jsonstream_init(&s);
	jsonstream_feed(&s, stream, n);
	drain(&s, o, n);
	if (!o->error)
		o->pending = jsonstream_pending(&s);
	jsonstream_free(&s);
}

static void
outcome_free(struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->ndocs; i++)
		json_decref(o->docs[i]);
}

static void
dump(const char *what, const struct outcome *o)
{
	size_t i;

	fprintf(stderr, "%s: %zu documents, %s", what, o->ndocs,
		o->error ? "error" : o->pending ? "pending bytes" : "clean end");
	if (o->error)
		fprintf(stderr, " at %d: %s", o->err.position, o->err.text);
	fputc('\n', stderr);
	for (i = 0; i < o->ndocs && i < 8; i++) {
		char *t = json_dumps(o->docs[i], JSON_COMPACT | JSON_ENCODE_ANY);

		fprintf(stderr, "  [%zu] %.200s\n", i, t ? t : "?");
		free(t);
	}
}

static struct outcome chunked, whole;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nsizes, i;
	const char *stream;
	size_t n;
	json_t *one;

	if (size < 1)
		return 0;
	nsizes = data[0] % 16;
	if (1 + nsizes > size)
		nsizes = size - 1;
	stream = (const char *)data + 1 + nsizes;
	n = size - 1 - nsizes;

	memset(&chunked, 0, sizeof(chunked));
	memset(&whole, 0, sizeof(whole));
	run_chunked(data + 1, nsizes, stream, n, &chunked);
	run_whole(stream, n, &whole);

	/* jansson drops a NUL byte that follows a number (its unget of the NUL leaves an
	 * "empty" lookahead), so with NULs in the stream an error's position may depend on
	 * how much of the bad token had arrived: compare positions only without NULs */
	if (chunked.ndocs != whole.ndocs || chunked.error != whole.error ||
	    chunked.pending != whole.pending ||
	    (chunked.error && chunked.err.position != whole.err.position && !memchr(stream, '\0', n))) {
		dump("chunked", &chunked);
		dump("whole", &whole);
		FAIL("the chunks change what is read");
	}
	for (i = 0; i < chunked.ndocs; i++) {
		if (!json_equal(chunked.docs[i], whole.docs[i])) {
			dump("chunked", &chunked);
			dump("whole", &whole);
			FAIL("document %zu differs", i);
		}
	}
	/* one document, as jansson reads it in one go: the splitter agrees (but jansson
	 * reads {"a":1\0} as one document whose position does not count the NUL) */
	one = memchr(stream, '\0', n) ? NULL : json_loadb(stream, n, 0, NULL);
	if (one) {
		if (whole.ndocs != 1 || whole.error || whole.pending || !json_equal(one, whole.docs[0])) {
			dump("whole", &whole);
			FAIL("json_loadb reads one document, the splitter does not");
		}
		json_decref(one);
	}
	outcome_free(&chunked);
	outcome_free(&whole);
	return 0;
}
