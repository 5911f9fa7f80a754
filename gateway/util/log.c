/* log - event lines; see log.h */
#include "gateway/util/log.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096 /* one event line; longer ones are cut */

/* The process-wide settings besides the config snapshot; atomic so the
 * main thread may change them on reload while workers log. */
static _Atomic int log_threshold = LOG_LVL_INFO;
/* LOG_FMT_AUTO until the first line or log_set_format() resolves it. */
static _Atomic int log_format = LOG_FMT_AUTO;

void
log_set_level(enum log_level level)
{
    atomic_store(&log_threshold, (int)level);
}

/* stderr is the journal: JOURNAL_STREAM is "device:inode" of the stream
 * systemd connected (it is inherited, so it must match stderr itself). */
static bool
log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
        fstat(STDERR_FILENO, &st) == -1)
        return false;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

void
log_set_format(enum log_format format)
{
    if (format == LOG_FMT_AUTO)
        format = log_stderr_is_journal() ? LOG_FMT_JOURNAL : LOG_FMT_PLAIN;
    atomic_store(&log_format, (int)format);
}

int
log_format_parse(const char *name)
{
    static const char *const names[] = {"auto", "journal", "plain"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

/* The line's start: "<N>ifaxgw: level: " or "TIMESTAMP ifaxgw: level: ". */
static int
log_prefix(char *line, size_t n, enum log_level level)
{
    /* syslog priorities: err=3 warning=4 info=6 debug=7 */
    static const int prio[] = {3, 4, 6, 7};
    static const char *const tag[] = {"error", "warning", "info", "debug"};
    struct timespec ts;
    struct tm tm;
    char stamp[32];

    if (atomic_load(&log_format) == LOG_FMT_AUTO)
        log_set_format(LOG_FMT_AUTO);
    if (atomic_load(&log_format) == LOG_FMT_JOURNAL)
        return snprintf(line, n, "<%d>ifaxgw: %s: ", prio[level], tag[level]);
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        stamp[0] = '\0';
    return snprintf(line, n, "%s.%03dZ ifaxgw: %s: ", stamp,
                    (int)(ts.tv_nsec / 1000000), tag[level]);
}

int
log_level_parse(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

static void log_emit(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int n;

    if ((int)level > atomic_load(&log_threshold))
        return;
    n = log_prefix(line, sizeof line, level);
    if (n < 0)
        return;
    (void)vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    n = (int)strlen(line);
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, (size_t)n);
}

#define LOG_FN(name, level)                                                    \
    void name(const char *fmt, ...)                                            \
    {                                                                          \
        va_list ap;                                                            \
        va_start(ap, fmt);                                                     \
        log_emit(level, fmt, ap);                                              \
        va_end(ap);                                                            \
    }

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

char *
log_esc_mem(char *dst, size_t n, const void *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0;

    if (n == 0)
        return dst;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        size_t need = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? 4 : 1;

        if (o + need + 1 > n) {
            /* cut: end with "..." where it fits, so truncation shows */
            if (n >= 4) {
                o = o + 4 <= n ? o : n - 4;
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    dst[o < n ? o : n - 1] = '\0';
    return dst;
}

char *
log_esc(char *dst, size_t n, const char *src)
{
    return log_esc_mem(dst, n, src ? src : "", src ? strlen(src) : 0);
}
