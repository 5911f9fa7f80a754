/*
 * log - event lines for the daemon's thread owners
 *
 * Only thread owners (line thread, scan worker, delivery worker, main, web)
 * log, once per outcome; modules hand back an errbuf instead. Lines go to
 * stderr, built whole before one write(2), so threads never interleave, in
 * one of two formats (gateway.log_format):
 *   journal  "<N>ifaxgw: level: text" (journald reads the <N> priority and
 *            adds its own timestamp);
 *   plain    "2026-12-03T14:10:00.123Z ifaxgw: level: text" (UTC), for a
 *            terminal or a file.
 * "auto" (the default) picks journal when stderr is the journal (systemd's
 * JOURNAL_STREAM names stderr's device and inode), else plain.
 * Hostile text (CSID, caller ID, SMTP replies, web input) goes through
 * log_esc() first. Threads: any. The level is part of the config snapshot's
 * life: set once at start and on reload.
 */
#ifndef IFAXGW_GATEWAY_UTIL_LOG_H
#define IFAXGW_GATEWAY_UTIL_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

enum log_format { LOG_FMT_AUTO, LOG_FMT_JOURNAL, LOG_FMT_PLAIN };

void log_set_level(enum log_level level);
/* AUTO is resolved here, against stderr as it is now. */
void log_set_format(enum log_format format);
/* Parse "auto", "journal", "plain"; -1 when unknown. */
int log_format_parse(const char *name);
/* Parse "error", "warn", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy src into dst (size n > 0, always NUL-terminated) with every byte
 * outside printable ASCII, and '"' and '\\', written as \xHH, so hostile text
 * can neither forge a log line nor break a key="value" field. Truncates with
 * "..." when dst is too small. Returns dst.
 */
char *log_esc(char *dst, size_t n, const char *src);
/* The same for (ptr, len) wire data that may contain NULs. */
char *log_esc_mem(char *dst, size_t n, const void *src, size_t len);

#endif
