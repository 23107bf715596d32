/* jsonstream.c - split a stream of concatenated JSON documents with jansson */
#include "jsonstream.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

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

/* 1 if the bytes from p to end are the start of a UTF-8 character cut short */
static int
utf8_cut(const unsigned char *p, const unsigned char *end)
{
	size_t need, have = (size_t)(end - p), i;

	if (have == 0)
		return 0;
	if (*p >= 0xC2 && *p <= 0xDF)
		need = 2;
	else if (*p >= 0xE0 && *p <= 0xEF)
		need = 3;
	else if (*p >= 0xF0 && *p <= 0xF4)
		need = 4;
	else
		return 0;
	if (have >= need)
		return 0;
	for (i = 1; i < have; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return 1;
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
	/* the input ended inside the document, perhaps inside a token ("tr", "-3e",
	 * "\u00"): more bytes may complete it */
	if (json_error_code(&je) == json_error_premature_end_of_input || (size_t)je.position >= s->len)
		return 0;
	/* ... or inside a multi-byte character, which jansson reports where it starts */
	if (json_error_code(&je) == json_error_invalid_utf8 && (size_t)je.position < s->len &&
	    utf8_cut((const unsigned char *)s->buf + je.position, (const unsigned char *)s->buf + s->len))
		return 0;
	if (err) {
		*err = je;
		err->position = (int)(s->offset + (size_t)je.position);
	}
	return -1;
}
