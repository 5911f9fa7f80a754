/* tifflog - libtiff messages through gateway/util/log; contract in tifflog.h */
#include "gateway/tifflog.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "gateway/spool/spool.h"
#include "gateway/util/log.h"

#define TIFFLOG_TEXT_MAX 512

char *
tifflog_job_of(const char *path, char *buf, size_t n)
{
    const char *file = strrchr(path, '/'), *dir = NULL;

    buf[0] = '\0';
    if (file == NULL || file == path)
        return buf;
    for (dir = file - 1; dir > path && *dir != '/'; dir--)
        ;
    if (*dir != '/' || (size_t)(file - dir - 1) >= n)
        return buf;
    (void)snprintf(buf, n, "%.*s", (int)(file - dir - 1), dir + 1);
    if (!spool_id_ok(buf))
        buf[0] = '\0';
    return buf;
}

/* The job of the TIFF whose client handle is fd, or "". */
static void
tifflog_job(thandle_t h, char *job, size_t n)
{
    char link[64], path[4096];
    intptr_t fd = (intptr_t)h;
    ssize_t len;

    job[0] = '\0';
    if (fd <= 2) /* no TIFF yet (TIFFOpen failing), or not a file of ours */
        return;
    (void)snprintf(link, sizeof link, "/proc/self/fd/%ld", (long)fd);
    len = readlink(link, path, sizeof path - 1);
    if (len <= 0)
        return;
    path[len] = '\0';
    tifflog_job_of(path, job, n);
}

static void tifflog_emit(const char *kind, thandle_t h, const char *module,
                         const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
tifflog_emit(const char *kind, thandle_t h, const char *module, const char *fmt,
             va_list ap)
{
    char text[TIFFLOG_TEXT_MAX], esc[4 * TIFFLOG_TEXT_MAX], mod[128];
    char job[64];

    (void)vsnprintf(text, sizeof text, fmt, ap);
    tifflog_job(h, job, sizeof job);
    log_esc(mod, sizeof mod, module ? module : "");
    log_esc(esc, sizeof esc, text);
    /* warnings (unknown tags and the like) were silenced where they are
     * expected (smtp/deliver): debug only; errors always show */
    bool error = strcmp(kind, "error") == 0;
    const char *sep = job[0] != '\0' ? " " : "";

    if (error)
        log_warn("%s%s%slibtiff %s: %s: %s", job[0] ? "job=" : "", job, sep,
                 kind, mod, esc);
    else
        log_debug("%s%s%slibtiff %s: %s: %s", job[0] ? "job=" : "", job, sep,
                  kind, mod, esc);
}

static void tifflog_error(thandle_t h, const char *module, const char *fmt,
                          va_list ap) __attribute__((format(printf, 3, 0)));

static void
tifflog_error(thandle_t h, const char *module, const char *fmt, va_list ap)
{
    tifflog_emit("error", h, module, fmt, ap);
}

static void tifflog_warning(thandle_t h, const char *module, const char *fmt,
                            va_list ap) __attribute__((format(printf, 3, 0)));

static void
tifflog_warning(thandle_t h, const char *module, const char *fmt, va_list ap)
{
    tifflog_emit("warning", h, module, fmt, ap);
}

void
tifflog_install(void)
{
    /* the plain handlers would print to stderr as well */
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
    TIFFSetErrorHandlerExt(tifflog_error);
    TIFFSetWarningHandlerExt(tifflog_warning);
}
