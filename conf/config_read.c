/* config_read - typed libconfig reading (contract in conf/config_read.h) */
#include "conf/config_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "gateway/util/log.h"
#include "gateway/util/xalloc.h"

static void __attribute__((format(printf, 4, 0)))
vproblem(struct config_reader *rd, bool warn, int line, const char *fmt,
         va_list ap)
{
    char text[CONFIG_ERROR_LEN];
    char *slot;
    size_t len = CONFIG_ERROR_LEN;

    if (!warn)
        rd->problems++;
    if (rd->errs == NULL)
        return;
    if (warn) {
        if (rd->errs->nwarn >= CONFIG_WARNINGS_MAX)
            return;
        slot = rd->errs->warn[rd->errs->nwarn++];
    } else if (rd->errs->count >= CONFIG_ERRORS_MAX) {
        rd->errs->dropped++;
        return;
    } else {
        slot = rd->errs->msg[rd->errs->count++];
    }
    vsnprintf(text, sizeof text, fmt, ap);
    /* The text may quote the file (names, values): keep it one line. */
    for (char *p = text; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?';
    snprintf(slot, len, "%s:%d: %s%s", rd->file, line, warn ? "warning: " : "",
             text);
}

void
config_read_problem_at(struct config_reader *rd, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vproblem(rd, false, line, fmt, ap);
    va_end(ap);
}

void
config_read_problem(struct config_reader *rd, const config_setting_t *s,
                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vproblem(rd, false, s != NULL ? (int)config_setting_source_line(s) : 0, fmt,
             ap);
    va_end(ap);
}

void
config_read_warn(struct config_reader *rd, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vproblem(rd, true, line, fmt, ap);
    va_end(ap);
}

const char *
config_read_type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group { }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array [ ]";
    case CONFIG_TYPE_LIST:
        return "a list ( )";
    default:
        return "nothing";
    }
}

static const char *
want_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group { }";
    case CONFIG_TYPE_LIST:
        return "a list ( { }, ... )";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean (true or false)";
    default:
        return "an integer";
    }
}

void
config_read_keys(struct config_reader *rd, const config_setting_t *g,
                 const char *path, const char *const *keys)
{
    int n = config_setting_length(g);

    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, i);
        const char *name = config_setting_name(m);
        bool known = false;

        for (const char *const *k = keys; *k != NULL && !known; k++)
            known = name != NULL && strcmp(name, *k) == 0;
        if (!known)
            config_read_problem(rd, m, "%s: unknown key '%s'", path,
                                name != NULL ? name : "?");
    }
}

bool
config_read_has(const config_setting_t *g, const char *key)
{
    return g != NULL && config_setting_get_member(g, key) != NULL;
}

config_setting_t *
config_read_member(struct config_reader *rd, const config_setting_t *g,
                   const char *path, const char *key, int want)
{
    config_setting_t *m;
    int type;

    if (g == NULL || (m = config_setting_get_member(g, key)) == NULL)
        return NULL;
    type = config_setting_type(m);
    if (want == CONFIG_TYPE_INT && type == CONFIG_TYPE_INT64)
        type = CONFIG_TYPE_INT;
    if (type != want) {
        config_read_problem(rd, m, "%s%s%s: expected %s, got %s", path,
                            *path != '\0' ? "." : "", key, want_name(want),
                            config_read_type_name(m));
        return NULL;
    }
    return m;
}

/* Text in the config is one line of printable characters (8-bit allowed). */
static bool
printable(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

static int
check_str(struct config_reader *rd, const config_setting_t *s, const char *path,
          const char *key, const char *v, size_t max)
{
    if (strlen(v) > max) {
        config_read_problem(rd, s, "%s.%s: longer than %zu bytes", path, key,
                            max);
        return -1;
    }
    if (!printable(v)) {
        config_read_problem(rd, s, "%s.%s: control characters not allowed",
                            path, key);
        return -1;
    }
    return 0;
}

int
config_read_str(struct config_reader *rd, const config_setting_t *g,
                const char *path, const char *key, size_t max, char **out)
{
    config_setting_t *m;
    const char *v;

    if (!config_read_has(g, key))
        return 0;
    m = config_read_member(rd, g, path, key, CONFIG_TYPE_STRING);
    if (m == NULL)
        return -1;
    v = config_setting_get_string(m);
    if (check_str(rd, m, path, key, v, max) == -1)
        return -1;
    free(*out);
    *out = xstrdup(v);
    return 0;
}

int
config_read_int(struct config_reader *rd, const config_setting_t *g,
                const char *path, const char *key, long long min, long long max,
                int *out)
{
    config_setting_t *m;
    long long v;

    if (!config_read_has(g, key))
        return 0;
    m = config_read_member(rd, g, path, key, CONFIG_TYPE_INT);
    if (m == NULL)
        return -1;
    v = config_setting_get_int64(m);
    if (v < min || v > max) {
        config_read_problem(rd, m, "%s.%s: %lld is out of range %lld..%lld",
                            path, key, v, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int
config_read_bool(struct config_reader *rd, const config_setting_t *g,
                 const char *path, const char *key, bool *out)
{
    config_setting_t *m;

    if (!config_read_has(g, key))
        return 0;
    m = config_read_member(rd, g, path, key, CONFIG_TYPE_BOOL);
    if (m == NULL)
        return -1;
    *out = config_setting_get_bool(m) != 0;
    return 0;
}

int
config_read_enum(struct config_reader *rd, const config_setting_t *g,
                 const char *path, const char *key, const char *const *names,
                 int n, int *out)
{
    config_setting_t *m;
    const char *v;
    char list[200] = "";
    size_t used = 0;

    if (!config_read_has(g, key))
        return 0;
    m = config_read_member(rd, g, path, key, CONFIG_TYPE_STRING);
    if (m == NULL)
        return -1;
    v = config_setting_get_string(m);
    for (int i = 0; i < n; i++) {
        if (strcasecmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
        if (used < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     i > 0 ? ", " : "", names[i]);
    }
    config_read_problem(rd, m, "%s.%s: '%.60s' is not one of: %s", path, key, v,
                        list);
    return -1;
}

void
config_read_strlist_free(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int
config_read_strlist(struct config_reader *rd, const config_setting_t *g,
                    const char *path, const char *key, size_t max, char ***out,
                    int *n)
{
    config_setting_t *m;
    char **v;
    int len, got = 0, rc = 0;

    if (!config_read_has(g, key))
        return 0;
    m = config_setting_get_member(g, key);
    if (config_setting_type(m) == CONFIG_TYPE_STRING) {
        len = 1;
    } else if (config_setting_is_array(m) || config_setting_is_list(m)) {
        len = config_setting_length(m);
    } else {
        config_read_problem(rd, m, "%s.%s: expected a list of strings, got %s",
                            path, key, config_read_type_name(m));
        return -1;
    }
    if (len > CONFIG_LIST_MAX) {
        config_read_problem(rd, m, "%s.%s: more than %d entries", path, key,
                            CONFIG_LIST_MAX);
        return -1;
    }
    v = xcalloc((size_t)len + 1, sizeof *v);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e =
            len == 1 && config_setting_type(m) == CONFIG_TYPE_STRING
                ? m
                : config_setting_get_elem(m, (unsigned)i);
        const char *s;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            config_read_problem(rd, e, "%s.%s[%d]: expected a string, got %s",
                                path, key, i, config_read_type_name(e));
            rc = -1;
            continue;
        }
        s = config_setting_get_string(e);
        if (*s == '\0') {
            config_read_problem(rd, e, "%s.%s[%d]: empty string", path, key, i);
            rc = -1;
        } else if (check_str(rd, e, path, key, s, max) == -1) {
            rc = -1;
        } else {
            v[got++] = xstrdup(s);
        }
    }
    if (rc == -1) {
        config_read_strlist_free(v, got);
        return -1;
    }
    config_read_strlist_free(*out, *n);
    *out = v;
    *n = got;
    return 0;
}
