/*
 * xalloc - allocation that succeeds or never returns
 *
 * Out of memory in a daemon this small is a broken host, not an input error:
 * log and abort for a core dump (Postfix mymalloc). Sizes derived from far-end
 * input must be bounded by a named limit before they reach these.
 * IFX_BUG() is for broken invariants in our own code only.
 * Threads: any.
 */
#ifndef IFAXGW_GATEWAY_UTIL_XALLOC_H
#define IFAXGW_GATEWAY_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that aborts on failure; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

_Noreturn void ifx_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define IFX_BUG(...) ifx_bug(__FILE__, __LINE__, __VA_ARGS__)

#endif
