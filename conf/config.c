/* config - load and validate the config file (contract in conf/config.h) */
#include "conf/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/xalloc.h"

static const char *const step_names[SMTP_STEP_COUNT] = {
    "connect", "greeting", "ehlo", "starttls", "mail", "rcpt",
    "data",    "block",    "dot",  "rset",     "quit"};

const char *
config_smtp_step_name(enum smtp_step step)
{
    return (unsigned)step < SMTP_STEP_COUNT ? step_names[step] : "?";
}

const char *
config_paper_name(enum config_paper p)
{
    static const char *const names[] = {"a4", "letter", "legal", "b4", "a3"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

const char *
config_smtp_mode_name(enum config_smtp_mode m)
{
    return m == CONFIG_SMTP_RELAY ? "relay" : "direct";
}

const char *
config_tls_name(enum config_tls t)
{
    static const char *const names[] = {"none", "opportunistic", "required"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const char *
config_format_name(enum config_format f)
{
    static const char *const names[] = {"auto", "pdf", "tiff", "tiff-s"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

void
config_errors_clear(struct config_errors *errs)
{
    if (errs != NULL)
        memset(errs, 0, sizeof *errs);
}

struct config *
config_load_string(const char *text, const char *name,
                   struct config_errors *errs)
{
    (void)text;
    config_errors_clear(errs);
    if (errs != NULL) {
        snprintf(errs->msg[0], sizeof errs->msg[0],
                 "%s:0: config parser not built yet", name);
        errs->count = 1;
    }
    return NULL;
}

struct config *
config_load(const char *path, struct config_errors *errs)
{
    return config_load_string("", path, errs);
}

const char *
config_default_text(void)
{
    return "";
}

struct config *
config_default(void)
{
    struct config *cf = xcalloc(1, sizeof *cf);

    cf->file = xstrdup("<default>");
    return cf;
}

struct config *
config_free(struct config *cf)
{
    if (cf == NULL)
        return NULL;
    free(cf->file);
    free(cf);
    return NULL;
}

const struct config_line *
config_line_find(const struct config *cf, const char *name)
{
    for (int i = 0; i < cf->n_lines; i++)
        if (strcmp(cf->lines[i].name, name) == 0)
            return &cf->lines[i];
    return NULL;
}

const struct config_scan_profile *
config_profile_find(const struct config *cf, const char *name)
{
    for (int i = 0; i < cf->n_profiles; i++)
        if (strcmp(cf->profiles[i].name, name) == 0)
            return &cf->profiles[i];
    return NULL;
}

const struct config_route *
config_route_find(const struct config *cf, const char *name)
{
    for (int i = 0; i < cf->n_routes; i++)
        if (strcmp(cf->routes[i].name, name) == 0)
            return &cf->routes[i];
    return NULL;
}
