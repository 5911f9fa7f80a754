/*
 * config_read - typed reading of libconfig settings, with every problem
 * reported as "file:line: path: problem" into a struct config_errors
 *
 * Private to conf/: config.c and config_routes.c walk the sections with
 * these. A getter leaves *out untouched when the key is absent (the
 * default stays), checks the type apart from presence (libconfig's own
 * lookups say "false" for both) and the range, and returns 0 when the key
 * is absent or good, -1 after reporting a problem. Threads: a reader
 * belongs to one load.
 */
#ifndef IFAXGW_CONF_CONFIG_READ_H
#define IFAXGW_CONF_CONFIG_READ_H

#include <stdbool.h>

#include <libconfig.h>

#include "conf/config.h"

struct config_reader {
    const char *file;           /* name used in messages */
    struct config_errors *errs; /* may be NULL */
    int problems;               /* counted even when errs is NULL */
};

/* Record "file:line: problem" at setting s (line 0 when s is NULL). */
void config_read_problem(struct config_reader *rd, const config_setting_t *s,
                         const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void config_read_problem_at(struct config_reader *rd, int line, const char *fmt,
                            ...) __attribute__((format(printf, 3, 4)));
void config_read_warn(struct config_reader *rd, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "integer", "string", "group", ... for messages. */
const char *config_read_type_name(const config_setting_t *s);

/* Report every member of group g whose name is not in keys (NULL-ended).
 * path names g in messages ("smtp", "routes[2]"). */
void config_read_keys(struct config_reader *rd, const config_setting_t *g,
                      const char *path, const char *const *keys);

/* The member key of g if it has type want (CONFIG_TYPE_GROUP, _LIST, ...);
 * NULL when absent or (reported) of another type. */
config_setting_t *config_read_member(struct config_reader *rd,
                                     const config_setting_t *g,
                                     const char *path, const char *key,
                                     int want);

/* String: replaces *out (freed) with a copy. Printable text only: control
 * bytes are a problem. max: length limit in bytes. */
int config_read_str(struct config_reader *rd, const config_setting_t *g,
                    const char *path, const char *key, size_t max, char **out);
int config_read_int(struct config_reader *rd, const config_setting_t *g,
                    const char *path, const char *key, long long min,
                    long long max, int *out);
int config_read_bool(struct config_reader *rd, const config_setting_t *g,
                     const char *path, const char *key, bool *out);
/* One of names[0..n-1] (case-insensitive); *out gets its index. */
int config_read_enum(struct config_reader *rd, const config_setting_t *g,
                     const char *path, const char *key,
                     const char *const *names, int n, int *out);
/* List or array of strings (a single string counts as one); replaces *out
 * and *n. Empty strings are a problem. */
int config_read_strlist(struct config_reader *rd, const config_setting_t *g,
                        const char *path, const char *key, size_t max,
                        char ***out, int *n);
/* Was key given (of any type)? */
bool config_read_has(const config_setting_t *g, const char *key);

void config_read_strlist_free(char **v, int n);

#endif
