/*
 * farend - one rule for text from the far end before it is stored
 *
 * CSID, caller ID, caller name and called number come from the line and
 * are hostile: T.30 asks for printable ASCII, real machines send Latin-1,
 * anything may arrive. The rule (docs/spool.md): valid UTF-8 is kept as
 * it is; any other byte string is read as ISO 8859-1, each byte the
 * character U+0000..U+00FF of the same value, so "M\xfcller" is stored as
 * "Müller": readable, never dropped (jansson refuses invalid UTF-8), and
 * the bytes are those characters encoded as Latin-1 again (the call
 * record keeps the raw bytes \xHH-escaped). Control characters are kept
 * here and escaped once at each output (mail headers, HTML, JSON, logs).
 * Callers: gateway/spool/job's far-end setters, gateway/lines (line status).
 * Must not: allocate, log. Errors: none. Threads: any.
 */
#ifndef IFAXGW_GATEWAY_UTIL_FAREND_H
#define IFAXGW_GATEWAY_UTIL_FAREND_H

#include <stdbool.h>
#include <stddef.h>

/* Size of a buffer that holds any input of len bytes converted. */
#define FAREND_UTF8_SIZE(len) (2 * (len) + 1)

/* true when s is valid UTF-8 (no overlong form, surrogate, > U+10FFFF). */
bool farend_is_utf8(const char *s);

/* in as UTF-8 by the rule above into out (n > 0), NUL-terminated; cut at a
 * whole character when it does not fit. Returns out. */
char *farend_utf8(const char *in, char *out, size_t n);

#endif
