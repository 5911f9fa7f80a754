/* route - route matching and subject templates (contract in conf/route.h) */
#include "conf/route.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Appends to a bounded why buffer; truncation is harmless there. */
struct why {
    char *buf;
    size_t len, used;
};

static void __attribute__((format(printf, 2, 3)))
why_add(struct why *w, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (w->buf == NULL || w->used + 1 >= w->len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(w->buf + w->used, w->len - w->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        w->used +=
            (size_t)n < w->len - w->used ? (size_t)n : w->len - w->used - 1;
}

static const char *
nz(const char *s)
{
    return s != NULL ? s : "";
}

/* Printable copy of hostile text for why (CSID, caller ID). */
static const char *
esc(char *dst, size_t n, const char *src)
{
    size_t j = 0;

    for (const char *p = nz(src); *p != '\0' && j + 5 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            j += (size_t)snprintf(dst + j, n - j, "\\x%02x", c);
        else
            dst[j++] = (char)c;
    }
    dst[j] = '\0';
    return dst;
}

/* Index of the first pattern matching v, -1 if none. */
static int
glob_hit(char *const *pats, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (fnmatch(pats[i], v, 0) == 0)
            return i;
    return -1;
}

static bool
time_in(const struct config_route *rt, int minute)
{
    if (minute < 0 || minute >= 24 * 60)
        return false;
    if (rt->time_from < rt->time_to)
        return minute >= rt->time_from && minute < rt->time_to;
    return minute >= rt->time_from || minute < rt->time_to; /* wraps */
}

static int
source_hit(const struct config_route *rt, const char *src)
{
    for (int i = 0; i < rt->n_source; i++)
        if (strcmp(rt->source[i], src) == 0)
            return i;
    return -1;
}

/* Do all of rt's criteria hold? On a match w gets the criteria; on a miss
 * *failed names the first one that did not hold. */
static bool
route_try(const struct config_route *rt, const struct route_query *q,
          struct why *w, const char **failed)
{
    const char *src = q->source != NULL ? q->source : nz(q->line);
    char e[100];
    int i;

    if (rt->n_source > 0 && (i = source_hit(rt, src)) < 0)
        return *failed = "source", false;
    if (rt->n_called > 0 &&
        glob_hit(rt->called, rt->n_called, nz(q->called)) < 0)
        return *failed = "called", false;
    if (rt->n_caller > 0 &&
        glob_hit(rt->caller, rt->n_caller, nz(q->caller)) < 0)
        return *failed = "caller", false;
    if (rt->csid != NULL && regexec(&rt->csid_re, nz(q->csid), 0, NULL, 0) != 0)
        return *failed = "csid", false;
    if (rt->time_from >= 0 && !time_in(rt, q->minute_of_day))
        return *failed = "time", false;
    if (!rt->has_match) {
        why_add(w, "route '%s' matches everything (no match group)", rt->name);
        return true;
    }
    why_add(w, "route '%s' matched:", rt->name);
    if (rt->n_source > 0)
        why_add(w, " source '%s'", esc(e, sizeof e, src));
    if (rt->n_called > 0)
        why_add(w, " called '%s' ~ '%s'", esc(e, sizeof e, q->called),
                rt->called[glob_hit(rt->called, rt->n_called, nz(q->called))]);
    if (rt->n_caller > 0)
        why_add(w, " caller '%s' ~ '%s'", esc(e, sizeof e, q->caller),
                rt->caller[glob_hit(rt->caller, rt->n_caller, nz(q->caller))]);
    if (rt->csid != NULL)
        why_add(w, " csid '%s' ~ /%s/", esc(e, sizeof e, q->csid), rt->csid);
    if (rt->time_from >= 0)
        why_add(w, " time %02d:%02d in %02d:%02d-%02d:%02d",
                q->minute_of_day / 60, q->minute_of_day % 60,
                rt->time_from / 60, rt->time_from % 60, rt->time_to / 60,
                rt->time_to % 60);
    return true;
}

/* A scan profile that names a route or has recipients skips the walk. */
static const struct config_route *
profile_route(const struct config *cf, const char *src, struct why *w)
{
    const struct config_scan_profile *p;

    if (strncmp(src, "scan:", 5) != 0 ||
        (p = config_profile_find(cf, src + 5)) == NULL || p->route == NULL)
        return NULL;
    if (p->own_route != NULL)
        why_add(w, "scan profile '%s' has its own recipients", p->name);
    else
        why_add(w, "scan profile '%s' names route '%s'", p->name,
                p->route->name);
    return p->route;
}

const struct config_route *
route_match(const struct config *cf, const struct route_query *q, char *why,
            size_t why_len)
{
    struct why w = {why, why_len, 0};
    char missed[ROUTE_WHY_MAX / 2] = ""; /* "name (criterion), ..." */
    struct why miss = {missed, sizeof missed, 0};
    const struct config_route *rt;
    const char *src = q->source != NULL ? q->source : nz(q->line);

    if (why != NULL && why_len > 0)
        why[0] = '\0';
    if ((rt = profile_route(cf, src, &w)) != NULL)
        return rt;
    for (int i = 0; i < cf->n_routes; i++) {
        const char *failed = "";

        if (route_try(&cf->routes[i], q, &w, &failed))
            return &cf->routes[i];
        why_add(&miss, "%s%s (%s)", i > 0 ? ", " : "", cf->routes[i].name,
                failed);
    }
    rt = config_route_find(cf, CONFIG_DEFAULT_ROUTE);
    if (rt != NULL) {
        why_add(&w, "no route matched [%s]; taking route '%s'", missed,
                rt->name);
        return rt;
    }
    why_add(&w, "no route matched [%s] and there is no route named \"%s\"",
            missed, CONFIG_DEFAULT_ROUTE);
    return NULL;
}

/* The value of variable name[0..len), or NULL when unknown. */
static const char *
var_value(const struct route_vars *v, const char *name, size_t len, char *num,
          size_t numlen)
{
    static const struct {
        const char *name;
        size_t off;
    } vars[] = {
        {"csid", offsetof(struct route_vars, csid)},
        {"caller", offsetof(struct route_vars, caller)},
        {"called", offsetof(struct route_vars, called)},
        {"line", offsetof(struct route_vars, line)},
        {"source", offsetof(struct route_vars, source)},
        {"job", offsetof(struct route_vars, job)},
        {"time", offsetof(struct route_vars, time)},
    };

    if (len == 5 && strncmp(name, "pages", 5) == 0) {
        snprintf(num, numlen, "%d", v->pages);
        return num;
    }
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (strlen(vars[i].name) == len &&
            strncmp(vars[i].name, name, len) == 0)
            return nz(*(const char *const *)((const char *)v + vars[i].off));
    return NULL;
}

/* Copy len bytes of s to out, every control byte made a space. */
static void
put(char *out, size_t n, size_t *used, const char *s, size_t len)
{
    for (size_t i = 0; i < len && *used + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[(*used)++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
}

size_t
route_expand(const char *tmpl, const struct route_vars *v, char *out, size_t n)
{
    size_t used = 0;
    char num[24];

    if (n == 0)
        return 0;
    for (const char *p = nz(tmpl); *p != '\0';) {
        const char *end = strncmp(p, "${", 2) == 0 ? strchr(p, '}') : NULL;
        const char *val =
            end != NULL
                ? var_value(v, p + 2, (size_t)(end - p - 2), num, sizeof num)
                : NULL;

        if (val != NULL) {
            put(out, n, &used, val, strlen(val));
            p = end + 1;
        } else {
            put(out, n, &used, p, 1);
            p++;
        }
    }
    out[used] = '\0';
    return used;
}

size_t
route_subject(const struct config_route *r, const struct route_vars *v,
              char *out, size_t n)
{
    return route_expand(r->subject, v, out, n);
}
