/*
 * jsonstream.h - split a byte stream of concatenated JSON documents, as printed by
 * `oc get … -o json -w` (pretty documents one after another) or with
 * --output-watch-events (one compact document per line).
 *
 * Feed bytes as they arrive, then take complete documents with jsonstream_next()
 * until it returns 0. The stream owns its buffer; jsonstream_free() releases it.
 */
#ifndef JSONSTREAM_H
#define JSONSTREAM_H

#include <jansson.h>
#include <stddef.h>

struct jsonstream {
	char *buf;        /* bytes not yet taken as documents */
	size_t len, cap;
	size_t offset;    /* bytes of the stream taken so far (for error positions) */
};

void jsonstream_init(struct jsonstream *s);
void jsonstream_free(struct jsonstream *s);

/* append n bytes of the stream */
void jsonstream_feed(struct jsonstream *s, const char *data, size_t n);

/*
 * The next complete document: 1 with *doc a new reference; 0 when the buffer holds
 * only whitespace or the start of a document (feed more); -1 when the input is not
 * JSON, with err filled (err->position is the offset in the whole stream). After -1
 * the stream is unusable until jsonstream_free().
 */
int jsonstream_next(struct jsonstream *s, json_t **doc, json_error_t *err);

/* 1 if bytes other than whitespace wait in the buffer (at the end of the stream: a
 * truncated document) */
int jsonstream_pending(const struct jsonstream *s);

#endif
