/* errbuf - outcomes as values; see errbuf.h */
#include "gateway/util/errbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gateway/util/log.h"

void
errbuf_clear(struct errbuf *why)
{
    if (why == NULL)
        return;
    why->cls = ERR_NONE;
    why->status[0] = '\0';
    why->text[0] = '\0';
}

static void errbuf_vfill(struct errbuf *why, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
errbuf_vfill(struct errbuf *why, const char *fmt, va_list ap)
{
    char raw[ERRBUF_TEXT_MAX];

    (void)vsnprintf(raw, sizeof raw, fmt, ap);
    log_esc(why->text, sizeof why->text, raw);
}

int
errbuf_set(struct errbuf *why, enum err_class cls, const char *status,
           const char *fmt, ...)
{
    va_list ap;

    if (why == NULL)
        return -1;
    why->cls = cls;
    (void)snprintf(why->status, sizeof why->status, "%s",
                   status ? status : "");
    va_start(ap, fmt);
    errbuf_vfill(why, fmt, ap);
    va_end(ap);
    return -1;
}

static enum err_class
errno_class(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
    case EAGAIN:
    case EINTR:
    case ENOMEM:
    case EIO:
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPIPE:
    case EMFILE:
    case ENFILE:
        return ERR_TEMP;
    default:
        return ERR_PERM;
    }
}

int
errbuf_errno(struct errbuf *why, const char *fmt, ...)
{
    int saved = errno;
    char what[ERRBUF_TEXT_MAX];
    va_list ap;

    if (why == NULL)
        return -1;
    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    (void)errbuf_set(why, errno_class(saved), saved == ENOSPC ? "4.3.1" : "",
                     "%s: %s", what, strerror(saved));
    errno = saved;
    return -1;
}

int
errbuf_prefix(struct errbuf *why, const char *fmt, ...)
{
    char head[ERRBUF_TEXT_MAX], old[ERRBUF_TEXT_MAX];
    va_list ap;

    if (why == NULL)
        return -1;
    va_start(ap, fmt);
    (void)vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, why->text, sizeof old);
    (void)snprintf(why->text, sizeof why->text, "%s: %s", head, old);
    return -1;
}

const char *
err_class_name(enum err_class cls)
{
    switch (cls) {
    case ERR_NONE:
        return "none";
    case ERR_TEMP:
        return "temporary";
    case ERR_PERM:
        return "permanent";
    }
    return "?";
}
