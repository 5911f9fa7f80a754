/* config_routes - lines, scan profiles, routes (conf/config_routes.h) */
#include "conf/config_routes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "conf/address.h"
#include "gateway/util/xalloc.h"

#define AT_CMD_MAX 128 /* one AT command line from the config */

static const char *const kind_names[] = {"modem", "audio", "audiosocket"};
static const char *const flow_names[] = {"none", "xonxoff", "rtscts"};
static const char *const scan_mode_names[] = {"lineart", "gray1", "gray8"};
static const char *const source_names[] = {"adf", "flatbed"};
static const char *const paper_names[] = {"a4", "letter", "legal", "b4", "a3"};
static const char *const mode_names[] = {"direct", "relay"};
static const char *const tls_names[] = {"none", "opportunistic", "required"};
static const char *const format_names[] = {"auto", "pdf", "tiff", "tiff-s"};
static const char *const template_vars[] = {"csid", "caller", "called", "pages",
                                            "line", "time",   "source", "job"};

#define NAMES(a) (a), (int)(sizeof(a) / sizeof(a)[0])

#define DEFAULT_SUBJECT "Fax from ${csid} (${pages} pages)"

struct bit_name {
    const char *name;
    unsigned bit;
};

static const struct bit_name modem_bits[] = {{"V27ter", CONFIG_MODEM_V27TER},
                                             {"V29", CONFIG_MODEM_V29},
                                             {"V17", CONFIG_MODEM_V17},
                                             {NULL, 0}};
static const struct bit_name comp_bits[] = {{"T4_1D", CONFIG_COMP_T4_1D},
                                            {"T4_2D", CONFIG_COMP_T4_2D},
                                            {"T6", CONFIG_COMP_T6},
                                            {NULL, 0}};

/* Names of lines, profiles and routes: safe in paths, logs, URLs. */
static bool
name_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= CONFIG_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.-") == n;
}

/* Required "name" of a list entry: 0 and *out set, or -1 reported. */
static int
read_name(struct config_reader *rd, const config_setting_t *g, const char *path,
          char **out)
{
    if (config_read_str(rd, g, path, "name", 200, out) == -1)
        return -1;
    if (*out == NULL) {
        config_read_problem(rd, g, "%s: missing name", path);
        return -1;
    }
    if (!name_ok(*out)) {
        config_read_problem(rd, config_setting_get_member(g, "name"),
                            "%s.name: '%s': use 1..%d of A-Z a-z 0-9 _ . -",
                            path, *out, CONFIG_NAME_MAX);
        return -1;
    }
    return 0;
}

/* A list key of groups: the list, or NULL (absent or reported). */
static config_setting_t *
group_list(struct config_reader *rd, const config_setting_t *root,
           const char *key, int *n)
{
    config_setting_t *l;

    *n = 0;
    l = config_read_member(rd, root, "", key, CONFIG_TYPE_LIST);
    if (l == NULL)
        return NULL;
    *n = config_setting_length(l);
    if (*n > CONFIG_LIST_MAX) {
        config_read_problem(rd, l, "%s: more than %d entries", key,
                            CONFIG_LIST_MAX);
        *n = 0;
        return NULL;
    }
    return l;
}

static int
read_bits(struct config_reader *rd, const config_setting_t *g, const char *path,
          const char *key, const struct bit_name *names, unsigned *out)
{
    char **v = NULL;
    int n = 0, rc = 0;
    unsigned bits = 0;

    if (!config_read_has(g, key))
        return 1; /* absent: caller keeps its default */
    if (config_read_strlist(rd, g, path, key, 20, &v, &n) == -1)
        return -1;
    for (int i = 0; i < n; i++) {
        const struct bit_name *b = names;
        while (b->name != NULL && strcasecmp(b->name, v[i]) != 0)
            b++;
        if (b->name == NULL) {
            config_read_problem(rd, config_setting_get_member(g, key),
                                "%s.%s: unknown '%s' (want %s, %s or %s)", path,
                                key, v[i], names[0].name, names[1].name,
                                names[2].name);
            rc = -1;
        }
        bits |= b->bit;
    }
    config_read_strlist_free(v, n);
    if (rc == 0 && bits == 0) {
        config_read_problem(rd, config_setting_get_member(g, key),
                            "%s.%s: empty", path, key);
        rc = -1;
    }
    if (rc == 0)
        *out = bits;
    return rc;
}

/* ---- lines ------------------------------------------------------------- */

static bool
at_ok(const char *s)
{
    return strncasecmp(s, "AT", 2) == 0 && strlen(s) <= AT_CMD_MAX;
}

static void
read_line_modem(struct config_reader *rd, const config_setting_t *g,
                const char *path, struct config_line *ln)
{
    static const int bauds[] = {9600, 19200, 38400, 57600, 115200, 230400};
    int v = (int)ln->flow;
    bool baud_ok = false;
    int comp;

    for (int i = 0; i < ln->n_init; i++)
        if (!at_ok(ln->init[i]))
            config_read_problem(rd, config_setting_get_member(g, "init"),
                                "%s.init[%d]: '%s' is not an AT command "
                                "(AT..., at most %d characters)",
                                path, i, ln->init[i], AT_CMD_MAX);
    if (config_read_str(rd, g, path, "cid_enable", AT_CMD_MAX,
                        &ln->cid_enable) == 0 &&
        ln->cid_enable[0] != '\0' && !at_ok(ln->cid_enable))
        config_read_problem(rd, config_setting_get_member(g, "cid_enable"),
                            "%s.cid_enable: '%s' is not an AT command", path,
                            ln->cid_enable);
    if (config_read_enum(rd, g, path, "flow", NAMES(flow_names), &v) == 0)
        ln->flow = (enum config_flow)v;
    if (config_read_int(rd, g, path, "baud", 1, 4000000, &ln->baud) == 0) {
        for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
            baud_ok |= ln->baud == bauds[i];
        if (!baud_ok)
            config_read_problem(rd, config_setting_get_member(g, "baud"),
                                "%s.baud: %d is not one of 9600, 19200, "
                                "38400, 57600, 115200, 230400",
                                path, ln->baud);
    }
    comp = read_bits(rd, g, path, "compressions", comp_bits, &ln->compressions);
    if (!ln->ecm && (ln->compressions & CONFIG_COMP_T6)) {
        if (comp == 1) /* the default list: T.6 simply drops out */
            ln->compressions &= ~CONFIG_COMP_T6;
        else if (comp == 0)
            config_read_problem(rd,
                                config_setting_get_member(g, "compressions"),
                                "%s.compressions: T6 needs ecm = true "
                                "(T.30: T.6 coding only with ECM)",
                                path);
    }
}

/* kind = "audiosocket": a TCP listener for Asterisk's AudioSocket. */
static void
read_line_audiosocket(struct config_reader *rd, const config_setting_t *g,
                      const char *path, struct config_line *ln)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (ln->device != NULL || ln->audio != NULL)
        config_read_problem(rd, g,
                            "%s: an audiosocket line takes listen and port, "
                            "not device or audio",
                            path);
    if (config_read_str(rd, g, path, "listen", 64, &ln->listen) == 0 &&
        ln->listen != NULL && inet_pton(AF_INET, ln->listen, &a4) != 1 &&
        inet_pton(AF_INET6, ln->listen, &a6) != 1)
        config_read_problem(rd, config_setting_get_member(g, "listen"),
                            "%s.listen: '%s' is not a numeric IPv4 or IPv6 "
                            "address",
                            path, ln->listen);
    if (ln->listen == NULL)
        ln->listen = xstrdup("127.0.0.1");
    if (config_setting_get_member(g, "port") == NULL)
        config_read_problem(rd, g, "%s: an audiosocket line needs port",
                            path);
    config_read_int(rd, g, path, "port", 1, 65535, &ln->port);
    config_read_int(rd, g, path, "max_calls", 1, CONFIG_AUDIOSOCKET_CALLS_MAX,
                    &ln->max_calls);
    config_read_int(rd, g, path, "timeout_s", 1, 600, &ln->timeout_s);
}

static void
read_line_kind(struct config_reader *rd, const config_setting_t *g,
               const char *path, struct config_line *ln)
{
    int kind = -1;

    config_read_str(rd, g, path, "device", 4000, &ln->device);
    config_read_str(rd, g, path, "audio", 4000, &ln->audio);
    if (config_read_enum(rd, g, path, "kind", NAMES(kind_names), &kind) == -1)
        return;
    if (kind == -1) /* not given: what names the input decides */
        kind = ln->audio != NULL && ln->device == NULL ? CONFIG_LINE_AUDIO
                                                       : CONFIG_LINE_MODEM;
    ln->kind = (enum config_line_kind)kind;
    if (ln->kind == CONFIG_LINE_MODEM &&
        (ln->device == NULL || ln->audio != NULL))
        config_read_problem(rd, g,
                            "%s: a modem line needs device (and no "
                            "audio)",
                            path);
    if (ln->kind == CONFIG_LINE_AUDIO &&
        (ln->audio == NULL || ln->device != NULL))
        config_read_problem(rd, g,
                            "%s: an audio line needs audio (a file, "
                            "\"-\" or a socket) and no device",
                            path);
    if (ln->kind == CONFIG_LINE_AUDIOSOCKET)
        read_line_audiosocket(rd, g, path, ln);
    else if (config_setting_get_member(g, "port") != NULL ||
             config_setting_get_member(g, "listen") != NULL ||
             config_setting_get_member(g, "max_calls") != NULL ||
             config_setting_get_member(g, "timeout_s") != NULL)
        config_read_problem(rd, g,
                            "%s: listen, port, max_calls and timeout_s are "
                            "for kind = \"audiosocket\" lines",
                            path);
}

static void
read_station_id(struct config_reader *rd, const config_setting_t *g,
                const char *path, struct config_line *ln)
{
    char *id = NULL;

    if (config_read_str(rd, g, path, "station_id", 200, &id) != 0 || id == NULL)
        return;
    /* T.30 5.3.6.2.4 and Table 3: digits, '+' and space, 20 at most. */
    if (strlen(id) > CONFIG_STATION_ID_MAX)
        config_read_problem(rd, config_setting_get_member(g, "station_id"),
                            "%s.station_id: longer than %d characters (T.30)",
                            path, CONFIG_STATION_ID_MAX);
    else if (strspn(id, "0123456789+ ") != strlen(id))
        config_read_problem(rd, config_setting_get_member(g, "station_id"),
                            "%s.station_id: '%s': only digits, '+' and space "
                            "(T.30)",
                            path, id);
    else
        snprintf(ln->station_id, sizeof ln->station_id, "%s", id);
    free(id);
}

static void
read_line(struct config_reader *rd, const config_setting_t *g, const char *path,
          struct config_line *ln)
{
    static const char *const keys[] = {
        "name",       "kind",           "device",         "audio",
        "station_id", "rings",          "init",           "cid_enable",
        "ecm",        "modems",         "compressions",   "flow",
        "baud",       "call_timeout_s", "idle_timeout_s", "listen",
        "port",       "max_calls",      "timeout_s",      NULL};

    ln->rings = 2;
    ln->cid_enable = xstrdup("");
    ln->ecm = true;
    ln->modems = CONFIG_MODEM_V27TER | CONFIG_MODEM_V29 | CONFIG_MODEM_V17;
    ln->compressions = CONFIG_COMP_T4_1D | CONFIG_COMP_T4_2D | CONFIG_COMP_T6;
    ln->flow = CONFIG_FLOW_RTSCTS;
    ln->baud = 115200;
    ln->call_timeout_s = 1800;
    ln->idle_timeout_s = 120;
    ln->max_calls = 8;
    ln->timeout_s = 30;
    ln->src_line = (int)config_setting_source_line(g);
    config_read_keys(rd, g, path, keys);
    read_name(rd, g, path, &ln->name);
    read_line_kind(rd, g, path, ln);
    read_station_id(rd, g, path, ln);
    config_read_int(rd, g, path, "rings", 1, 20, &ln->rings);
    config_read_strlist(rd, g, path, "init", AT_CMD_MAX + 1, &ln->init,
                        &ln->n_init);
    config_read_bool(rd, g, path, "ecm", &ln->ecm);
    read_bits(rd, g, path, "modems", modem_bits, &ln->modems);
    read_line_modem(rd, g, path, ln);
    config_read_int(rd, g, path, "call_timeout_s", 60, 86400,
                    &ln->call_timeout_s);
    config_read_int(rd, g, path, "idle_timeout_s", 10, 3600,
                    &ln->idle_timeout_s);
}

void
config_routes_read_lines(struct config_reader *rd, const config_setting_t *root,
                         struct config *cf)
{
    int n;
    config_setting_t *l = group_list(rd, root, "lines", &n);

    if (l == NULL)
        return;
    cf->lines = xcalloc((size_t)n + 1, sizeof *cf->lines);
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct config_line *ln = &cf->lines[cf->n_lines];
        char path[32];

        snprintf(path, sizeof path, "lines[%d]", i);
        if (!config_setting_is_group(g)) {
            config_read_problem(rd, g, "%s: expected a group { }, got %s", path,
                                config_read_type_name(g));
            continue;
        }
        cf->n_lines++;
        read_line(rd, g, path, ln);
        for (int j = 0; j < cf->n_lines - 1 && ln->name != NULL; j++)
            if (cf->lines[j].name != NULL &&
                strcmp(cf->lines[j].name, ln->name) == 0)
                config_read_problem(rd, g,
                                    "%s: duplicate line name '%s' "
                                    "(first at line %d)",
                                    path, ln->name, cf->lines[j].src_line);
        for (int j = 0; j < cf->n_lines - 1 && ln->device != NULL; j++)
            if (cf->lines[j].device != NULL &&
                strcmp(cf->lines[j].device, ln->device) == 0)
                config_read_problem(rd, g,
                                    "%s: device '%s' already used by "
                                    "line at line %d",
                                    path, ln->device, cf->lines[j].src_line);
    }
}

/* ---- recipients -------------------------------------------------------- */

static void
recipient_defaults(const struct config *cf, struct config_recipient *r)
{
    r->mode = cf->smtp.mode;
    r->format = CONFIG_FORMAT_AUTO;
    r->tls =
        r->mode == CONFIG_SMTP_RELAY ? cf->smtp.relay_tls : cf->smtp.direct_tls;
}

static void
check_recipient(struct config_reader *rd, const config_setting_t *e,
                const char *path, const struct config *cf,
                const struct config_recipient *r)
{
    char why[120];

    if (r->address == NULL)
        config_read_problem(rd, e, "%s: missing address", path);
    else if (!address_valid(r->address, why, sizeof why))
        config_read_problem(rd, e, "%s.address: '%s': %s", path, r->address,
                            why);
    if (r->mode == CONFIG_SMTP_RELAY && cf->smtp.smarthost.host == NULL)
        config_read_problem(rd, e, "%s: mode relay needs smtp.smarthost", path);
    if (r->mode == CONFIG_SMTP_RELAY && r->host != NULL)
        config_read_problem(rd, e,
                            "%s.host: a pinned host is for direct "
                            "mode (relay goes to smtp.smarthost)",
                            path);
}

static void
read_recipient_group(struct config_reader *rd, const config_setting_t *e,
                     const char *path, const struct config *cf,
                     struct config_recipient *r)
{
    static const char *const keys[] = {"address", "mode", "format", "host",
                                       "tls",     "mdn",  NULL};
    int v = (int)r->mode;
    char *hp = NULL, host[ADDRESS_HOST_MAX + 1], why[100];

    config_read_keys(rd, e, path, keys);
    config_read_str(rd, e, path, "address", ADDRESS_MAX + 10, &r->address);
    if (config_read_enum(rd, e, path, "mode", NAMES(mode_names), &v) == 0)
        r->mode = (enum config_smtp_mode)v;
    r->tls =
        r->mode == CONFIG_SMTP_RELAY ? cf->smtp.relay_tls : cf->smtp.direct_tls;
    v = (int)r->format;
    if (config_read_enum(rd, e, path, "format", NAMES(format_names), &v) == 0)
        r->format = (enum config_format)v;
    v = (int)r->tls;
    if (config_read_enum(rd, e, path, "tls", NAMES(tls_names), &v) == 0)
        r->tls = (enum config_tls)v;
    config_read_bool(rd, e, path, "mdn", &r->mdn);
    if (config_read_str(rd, e, path, "host", ADDRESS_HOST_MAX + 8, &hp) == 0 &&
        hp != NULL) {
        if (address_hostport(hp, host, sizeof host, &r->port, why,
                             sizeof why) == -1) {
            config_read_problem(rd, config_setting_get_member(e, "host"),
                                "%s.host: '%s': %s", path, hp, why);
        } else {
            r->host = xstrdup(host);
            if (r->port == 0)
                r->port = cf->smtp.port;
        }
    }
    free(hp);
}

/* recipients = ( "a@b", { address = "c@d"; format = "pdf"; } ) */
static void
read_recipients(struct config_reader *rd, const config_setting_t *g,
                const char *path, const struct config *cf,
                struct config_route *rt)
{
    config_setting_t *l = config_setting_get_member(g, "recipients");
    int n;

    if (l == NULL)
        return;
    if (config_setting_type(l) == CONFIG_TYPE_STRING) {
        n = 1;
    } else if (config_setting_is_list(l) || config_setting_is_array(l)) {
        n = config_setting_length(l);
    } else {
        config_read_problem(rd, l, "%s.recipients: expected a list, got %s",
                            path, config_read_type_name(l));
        return;
    }
    if (n > CONFIG_LIST_MAX) {
        config_read_problem(rd, l, "%s.recipients: more than %d", path,
                            CONFIG_LIST_MAX);
        return;
    }
    rt->recipients = xcalloc((size_t)n + 1, sizeof *rt->recipients);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e =
            config_setting_type(l) == CONFIG_TYPE_STRING
                ? l
                : config_setting_get_elem(l, (unsigned)i);
        struct config_recipient *r = &rt->recipients[rt->n_recipients++];
        char rpath[80];

        snprintf(rpath, sizeof rpath, "%s.recipients[%d]", path, i);
        recipient_defaults(cf, r);
        if (config_setting_type(e) == CONFIG_TYPE_STRING) {
            r->address = xstrdup(config_setting_get_string(e));
        } else if (config_setting_is_group(e)) {
            read_recipient_group(rd, e, rpath, cf, r);
        } else {
            config_read_problem(rd, e,
                                "%s: expected an address or a group, "
                                "got %s",
                                rpath, config_read_type_name(e));
            continue;
        }
        check_recipient(rd, e, rpath, cf, r);
    }
    if (n == 0)
        config_read_problem(rd, l, "%s.recipients: empty", path);
}

/* ---- templates --------------------------------------------------------- */

int
config_routes_check_template(const char *tmpl, char *why, size_t why_len)
{
    for (const char *p = tmpl; (p = strstr(p, "${")) != NULL;) {
        const char *end = strchr(p, '}');
        size_t len;
        bool known = false;

        if (end == NULL) {
            snprintf(why, why_len, "unterminated ${");
            return -1;
        }
        len = (size_t)(end - p - 2);
        for (size_t i = 0; i < sizeof template_vars / sizeof *template_vars;
             i++)
            known |= strlen(template_vars[i]) == len &&
                     strncmp(template_vars[i], p + 2, len) == 0;
        if (!known) {
            snprintf(why, why_len,
                     "unknown variable ${%.*s} (known: csid caller called "
                     "pages line time source job)",
                     (int)(len < 40 ? len : 40), p + 2);
            return -1;
        }
        p = end + 1;
    }
    return 0;
}

static void
read_subject(struct config_reader *rd, const config_setting_t *g,
             const char *path, struct config_route *rt)
{
    char why[160];

    rt->subject = xstrdup(DEFAULT_SUBJECT);
    if (config_read_str(rd, g, path, "subject", CONFIG_SUBJECT_MAX,
                        &rt->subject) != 0)
        return;
    if (config_routes_check_template(rt->subject, why, sizeof why) == -1)
        config_read_problem(rd, config_setting_get_member(g, "subject"),
                            "%s.subject: %s", path, why);
}

/* ---- scanner and profiles ---------------------------------------------- */

static void
read_profile(struct config_reader *rd, const config_setting_t *g,
             const char *path, struct config *cf, struct config_scan_profile *p)
{
    static const char *const keys[] = {
        "name",  "device",     "mode",    "resolution", "source",
        "paper", "threshold",  "dither",  "skip_blank", "duplex",
        "route", "recipients", "subject", "notify",     NULL};
    int v;

    p->device = xstrdup("");
    p->resolution = 200;
    p->threshold = 128;
    p->src_line = (int)config_setting_source_line(g);
    config_read_keys(rd, g, path, keys);
    read_name(rd, g, path, &p->name);
    config_read_str(rd, g, path, "device", 256, &p->device);
    v = (int)p->mode;
    if (config_read_enum(rd, g, path, "mode", NAMES(scan_mode_names), &v) == 0)
        p->mode = (enum config_scan_mode)v;
    config_read_int(rd, g, path, "resolution", 50, 1200, &p->resolution);
    v = (int)p->source;
    if (config_read_enum(rd, g, path, "source", NAMES(source_names), &v) == 0)
        p->source = (enum config_scan_source)v;
    v = (int)p->paper;
    if (config_read_enum(rd, g, path, "paper", NAMES(paper_names), &v) == 0)
        p->paper = (enum config_paper)v;
    config_read_int(rd, g, path, "threshold", 0, 255, &p->threshold);
    config_read_bool(rd, g, path, "dither", &p->dither);
    config_read_bool(rd, g, path, "skip_blank", &p->skip_blank);
    config_read_bool(rd, g, path, "duplex", &p->duplex);
    config_read_str(rd, g, path, "route", 200, &p->route_name);
    if (config_read_has(g, "recipients")) {
        struct config_route *rt = xcalloc(1, sizeof *rt);

        p->own_route = rt;
        rt->time_from = rt->time_to = -1;
        rt->src_line = p->src_line;
        rt->name = xasprintf("scan:%s", p->name != NULL ? p->name : "?");
        read_recipients(rd, g, path, cf, rt);
        read_subject(rd, g, path, rt);
        if (config_read_str(rd, g, path, "notify", ADDRESS_MAX + 10,
                            &rt->notify) == 0 &&
            rt->notify != NULL && !address_valid(rt->notify, NULL, 0))
            config_read_problem(rd, config_setting_get_member(g, "notify"),
                                "%s.notify: '%s' is not an address", path,
                                rt->notify);
        if (p->route_name != NULL)
            config_read_problem(rd, g,
                                "%s: give route or recipients, not "
                                "both",
                                path);
    } else if (config_read_has(g, "subject") || config_read_has(g, "notify")) {
        config_read_problem(rd, g,
                            "%s: subject and notify go with "
                            "recipients (or into the route)",
                            path);
    }
}

void
config_routes_read_scanner(struct config_reader *rd,
                           const config_setting_t *root, struct config *cf)
{
    static const char *const keys[] = {"device",          "button_profile",
                                       "button_poll_ms",  "stall_timeout_s",
                                       "close_timeout_s", NULL};
    config_setting_t *g, *l;
    int n;

    g = config_read_member(rd, root, "", "scanner", CONFIG_TYPE_GROUP);
    if (g != NULL) {
        config_read_keys(rd, g, "scanner", keys);
        config_read_str(rd, g, "scanner", "device", 256, &cf->scanner_device);
        config_read_str(rd, g, "scanner", "button_profile", CONFIG_NAME_MAX,
                        &cf->scanner_button_profile);
        config_read_int(rd, g, "scanner", "button_poll_ms", 100, 60000,
                        &cf->scanner_button_poll_ms);
        config_read_int(rd, g, "scanner", "stall_timeout_s", 5, 3600,
                        &cf->scanner_stall_s);
        config_read_int(rd, g, "scanner", "close_timeout_s", 1, 600,
                        &cf->scanner_close_s);
    }
    l = group_list(rd, root, "scan_profiles", &n);
    if (l == NULL)
        return;
    cf->profiles = xcalloc((size_t)n + 1, sizeof *cf->profiles);
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        struct config_scan_profile *p = &cf->profiles[cf->n_profiles];
        char path[40];

        snprintf(path, sizeof path, "scan_profiles[%d]", i);
        if (!config_setting_is_group(e)) {
            config_read_problem(rd, e, "%s: expected a group { }, got %s", path,
                                config_read_type_name(e));
            continue;
        }
        cf->n_profiles++;
        read_profile(rd, e, path, cf, p);
        for (int j = 0; j < cf->n_profiles - 1 && p->name != NULL; j++)
            if (cf->profiles[j].name != NULL &&
                strcmp(cf->profiles[j].name, p->name) == 0)
                config_read_problem(rd, e,
                                    "%s: duplicate profile name '%s' "
                                    "(first at line %d)",
                                    path, p->name, cf->profiles[j].src_line);
    }
}

/* ---- routes ------------------------------------------------------------ */

/* "HH:MM" -> minute of day, or -1 */
static int
parse_hhmm(const char *s, size_t len)
{
    if (len != 5 || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    /* "24:00" ends a range at midnight */
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static void
read_time(struct config_reader *rd, const config_setting_t *m, const char *path,
          struct config_route *rt)
{
    char *t = NULL;
    const char *dash;

    if (config_read_str(rd, m, path, "time", 40, &t) != 0 || t == NULL)
        return;
    dash = strchr(t, '-');
    if (dash == NULL ||
        (rt->time_from = parse_hhmm(t, (size_t)(dash - t))) == -1 ||
        (rt->time_to = parse_hhmm(dash + 1, strlen(dash + 1))) == -1 ||
        rt->time_from == 24 * 60 || rt->time_from == rt->time_to) {
        config_read_problem(rd, config_setting_get_member(m, "time"),
                            "%s.time: '%s': want \"HH:MM-HH:MM\" (00:00..24:00"
                            ", from != to; may wrap midnight)",
                            path, t);
        rt->time_from = rt->time_to = -1;
    }
    free(t);
}

static void
check_sources(struct config_reader *rd, const config_setting_t *m,
              const char *path, const struct config *cf,
              const struct config_route *rt)
{
    for (int i = 0; i < rt->n_source; i++) {
        const char *s = rt->source[i];

        if (strncmp(s, "scan:", 5) == 0 ? config_profile_find(cf, s + 5) != NULL
                                        : config_line_find(cf, s) != NULL)
            continue;
        config_read_problem(rd, config_setting_get_member(m, "source"),
                            "%s.source[%d]: '%s' names no %s", path, i, s,
                            strncmp(s, "scan:", 5) == 0 ? "scan profile"
                                                        : "line");
    }
}

static void
read_match(struct config_reader *rd, const config_setting_t *g,
           const char *path, const struct config *cf, struct config_route *rt)
{
    static const char *const keys[] = {"source", "called", "caller",
                                       "csid",   "time",   NULL};
    config_setting_t *m;
    char mpath[48];
    int rc;

    m = config_read_member(rd, g, path, "match", CONFIG_TYPE_GROUP);
    if (m == NULL)
        return;
    rt->has_match = true;
    snprintf(mpath, sizeof mpath, "%s.match", path);
    config_read_keys(rd, m, mpath, keys);
    if (config_read_strlist(rd, m, mpath, "source", 200, &rt->source,
                            &rt->n_source) == 0)
        check_sources(rd, m, mpath, cf, rt);
    config_read_strlist(rd, m, mpath, "called", 100, &rt->called,
                        &rt->n_called);
    config_read_strlist(rd, m, mpath, "caller", 100, &rt->caller,
                        &rt->n_caller);
    if (config_read_str(rd, m, mpath, "csid", 500, &rt->csid) == 0 &&
        rt->csid != NULL &&
        (rc = regcomp(&rt->csid_re, rt->csid, REG_EXTENDED | REG_NOSUB)) != 0) {
        char err[160];

        regerror(rc, &rt->csid_re, err, sizeof err);
        config_read_problem(rd, config_setting_get_member(m, "csid"),
                            "%s.csid: bad regular expression '%s': %s", mpath,
                            rt->csid, err);
        free(rt->csid); /* NULL csid: nothing compiled to free */
        rt->csid = NULL;
    }
    read_time(rd, m, mpath, rt);
}

static void
read_route(struct config_reader *rd, const config_setting_t *g,
           const char *path, const struct config *cf, struct config_route *rt)
{
    static const char *const keys[] = {"name",       "match",  "reject",
                                       "recipients", "notify", "notify_success",
                                       "subject",    NULL};
    char why[120];

    rt->time_from = rt->time_to = -1;
    rt->src_line = (int)config_setting_source_line(g);
    config_read_keys(rd, g, path, keys);
    read_name(rd, g, path, &rt->name);
    read_match(rd, g, path, cf, rt);
    config_read_bool(rd, g, path, "reject", &rt->reject);
    read_recipients(rd, g, path, cf, rt);
    if (config_read_str(rd, g, path, "notify", ADDRESS_MAX + 10, &rt->notify) ==
            0 &&
        rt->notify != NULL && !address_valid(rt->notify, why, sizeof why))
        config_read_problem(rd, config_setting_get_member(g, "notify"),
                            "%s.notify: '%s': %s", path, rt->notify, why);
    config_read_bool(rd, g, path, "notify_success", &rt->notify_success);
    read_subject(rd, g, path, rt);
    if (rt->reject && config_read_has(g, "recipients"))
        config_read_problem(rd, g, "%s: a reject route has no recipients",
                            path);
    if (!rt->reject && !config_read_has(g, "recipients"))
        config_read_problem(rd, g, "%s: needs recipients (or reject = true)",
                            path);
}

void
config_routes_read_routes(struct config_reader *rd,
                          const config_setting_t *root, struct config *cf)
{
    int n;
    config_setting_t *l = group_list(rd, root, "routes", &n);

    if (l == NULL)
        return;
    cf->routes = xcalloc((size_t)n + 1, sizeof *cf->routes);
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct config_route *rt = &cf->routes[cf->n_routes];
        char path[32];

        snprintf(path, sizeof path, "routes[%d]", i);
        if (!config_setting_is_group(g)) {
            config_read_problem(rd, g, "%s: expected a group { }, got %s", path,
                                config_read_type_name(g));
            continue;
        }
        cf->n_routes++;
        read_route(rd, g, path, cf, rt);
        for (int j = 0; j < cf->n_routes - 1 && rt->name != NULL; j++)
            if (cf->routes[j].name != NULL &&
                strcmp(cf->routes[j].name, rt->name) == 0)
                config_read_problem(rd, g,
                                    "%s: duplicate route name '%s' "
                                    "(first at line %d)",
                                    path, rt->name, cf->routes[j].src_line);
    }
}

/* ---- links and advice -------------------------------------------------- */

void
config_routes_link(struct config_reader *rd, const config_setting_t *root,
                   struct config *cf)
{
    int catch_all = -1;

    if (cf->scanner_button_profile != NULL &&
        config_profile_find(cf, cf->scanner_button_profile) == NULL) {
        const config_setting_t *g = config_setting_get_member(root, "scanner");
        const config_setting_t *at =
            g ? config_setting_get_member(g, "button_profile") : NULL;

        config_read_problem_at(
            rd, at != NULL ? (int)config_setting_source_line(at) : 0,
            "scanner.button_profile: no scan profile named '%s'",
            cf->scanner_button_profile);
    }
    for (int i = 0; i < cf->n_profiles; i++) {
        struct config_scan_profile *p = &cf->profiles[i];
        const config_setting_t *l, *at = NULL;

        if (p->own_route != NULL) {
            p->route = p->own_route;
            continue;
        }
        if (p->route_name == NULL ||
            (p->route = config_route_find(cf, p->route_name)) != NULL)
            continue;
        /* Blame the route key itself (profile i is list element i: only
         * groups were kept, and a non-group entry fails the load anyway). */
        l = config_setting_get_member(root, "scan_profiles");
        if (l != NULL && config_setting_get_elem(l, (unsigned)i) != NULL)
            at = config_setting_get_member(
                config_setting_get_elem(l, (unsigned)i), "route");
        config_read_problem_at(
            rd, at != NULL ? (int)config_setting_source_line(at) : p->src_line,
            "scan_profiles[%d].route: no route named '%s'", i, p->route_name);
    }
    for (int i = 0; i < cf->n_routes; i++) {
        if (catch_all >= 0 && cf->routes[i].name != NULL)
            config_read_warn(rd, cf->routes[i].src_line,
                             "route '%s' is never reached: route '%s' at "
                             "line %d matches everything first",
                             cf->routes[i].name, cf->routes[catch_all].name,
                             cf->routes[catch_all].src_line);
        if (catch_all < 0 && !cf->routes[i].has_match)
            catch_all = i;
    }
    if (catch_all < 0 && config_route_find(cf, CONFIG_DEFAULT_ROUTE) == NULL &&
        (cf->n_lines > 0 || cf->n_profiles > 0))
        config_read_warn(rd, 1,
                         "no catch-all route and no route named \"default\": "
                         "a call no route matches is answered and its job "
                         "kept in failed/ (retry it once a route takes it)");
    if (cf->n_lines == 0 && cf->n_profiles == 0)
        config_read_warn(rd, 1,
                         "no lines and no scan_profiles: nothing to receive");
}

/* ---- free -------------------------------------------------------------- */

static void
route_release(struct config_route *rt)
{
    free(rt->name);
    config_read_strlist_free(rt->source, rt->n_source);
    config_read_strlist_free(rt->called, rt->n_called);
    config_read_strlist_free(rt->caller, rt->n_caller);
    if (rt->csid != NULL)
        regfree(&rt->csid_re);
    free(rt->csid);
    for (int i = 0; i < rt->n_recipients; i++) {
        free(rt->recipients[i].address);
        free(rt->recipients[i].host);
    }
    free(rt->recipients);
    free(rt->notify);
    free(rt->subject);
}

void
config_routes_free(struct config *cf)
{
    for (int i = 0; i < cf->n_lines; i++) {
        free(cf->lines[i].name);
        free(cf->lines[i].device);
        free(cf->lines[i].audio);
        free(cf->lines[i].listen);
        config_read_strlist_free(cf->lines[i].init, cf->lines[i].n_init);
        free(cf->lines[i].cid_enable);
    }
    free(cf->lines);
    for (int i = 0; i < cf->n_profiles; i++) {
        free(cf->profiles[i].name);
        free(cf->profiles[i].device);
        free(cf->profiles[i].route_name);
        if (cf->profiles[i].own_route != NULL)
            route_release(cf->profiles[i].own_route);
        free(cf->profiles[i].own_route);
    }
    free(cf->profiles);
    for (int i = 0; i < cf->n_routes; i++)
        route_release(&cf->routes[i]);
    free(cf->routes);
}

/* ---- lookups (config.h) ---- */

const struct config_line *
config_line_find(const struct config *cf, const char *name)
{
    for (int i = 0; i < cf->n_lines; i++)
        if (cf->lines[i].name != NULL && strcmp(cf->lines[i].name, name) == 0)
            return &cf->lines[i];
    return NULL;
}

const struct config_scan_profile *
config_profile_find(const struct config *cf, const char *name)
{
    for (int i = 0; i < cf->n_profiles; i++)
        if (cf->profiles[i].name != NULL &&
            strcmp(cf->profiles[i].name, name) == 0)
            return &cf->profiles[i];
    return NULL;
}

const struct config_route *
config_route_find(const struct config *cf, const char *name)
{
    for (int i = 0; i < cf->n_routes; i++)
        if (cf->routes[i].name != NULL && strcmp(cf->routes[i].name, name) == 0)
            return &cf->routes[i];
    return NULL;
}
