/* jsonstream.c - split a stream of concatenated JSON documents with jansson */
#include "jsonstream.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

/* the longest a token cut at the end of the input can be when jansson reports it */
#define TOKEN_TAIL 24

void
jsonstream_init(struct jsonstream *s)
{
	memset(s, 0, sizeof(*s));
}

void
jsonstream_free(struct jsonstream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

void
jsonstream_feed(struct jsonstream *s, const char *data, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (s->len + n + 1 > cap)
			cap *= 2;
		s->buf = xrealloc(s->buf, cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

/* drop n bytes from the front */
static void
consume(struct jsonstream *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	s->offset += n;
}

static size_t
leading_space(const struct jsonstream *s)
{
	size_t i = 0;

	while (i < s->len && isspace((unsigned char)s->buf[i]))
		i++;
	return i;
}

int
jsonstream_pending(const struct jsonstream *s)
{
	return leading_space(s) < s->len;
}

int
jsonstream_next(struct jsonstream *s, json_t **doc, json_error_t *err)
{
	json_error_t je;

	*doc = NULL;
	consume(s, leading_space(s));
	if (s->len == 0)
		return 0;
	*doc = json_loadb(s->buf, s->len, JSON_DISABLE_EOF_CHECK, &je);
	if (*doc) {
		/* with JSON_DISABLE_EOF_CHECK, position is the number of bytes read */
		consume(s, (size_t)je.position <= s->len ? (size_t)je.position : s->len);
		return 1;
	}
	/*
	 * The input may end inside the document, even inside a token ("tr", "-30.",
	 * "\\u00", half a UTF-8 character): jansson then reports the end of input, or an
	 * error a few bytes before it (where the token began). Wait for more bytes; if
	 * the input is really wrong, the error stays where it is once they come, and a
	 * document cut at the end of the stream is left pending.
	 */
	if (json_error_code(&je) == json_error_premature_end_of_input ||
	    (size_t)je.position + TOKEN_TAIL >= s->len)
		return 0;
	if (err) {
		*err = je;
		err->position = (int)(s->offset + (size_t)je.position);
	}
	return -1;
}
