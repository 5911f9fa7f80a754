/* config - load and validate the config file (contract in conf/config.h) */
#include "conf/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf/address.h"
#include "conf/config_read.h"
#include "conf/config_routes.h"
#include "gateway/util/xalloc.h"

/* RFC 5321 4.5.3.2 values, and its advice where it names none (P5). */
static const int step_defaults[SMTP_STEP_COUNT] = {
    [SMTP_STEP_CONNECT] = 120, [SMTP_STEP_GREETING] = 300,
    [SMTP_STEP_EHLO] = 300,    [SMTP_STEP_STARTTLS] = 300,
    [SMTP_STEP_MAIL] = 300,    [SMTP_STEP_RCPT] = 300,
    [SMTP_STEP_DATA] = 120,    [SMTP_STEP_BLOCK] = 180,
    [SMTP_STEP_DOT] = 600,     [SMTP_STEP_RSET] = 300,
    [SMTP_STEP_QUIT] = 30};

static const char *const step_names[SMTP_STEP_COUNT] = {
    "connect", "greeting", "ehlo", "starttls", "mail", "rcpt",
    "data",    "block",    "dot",  "rset",     "quit"};

static const int retry_defaults[] = {300, 900, 1800, 3600, 7200};

static const char *const mode_names[] = {"direct", "relay"};
static const char *const tls_names[] = {"none", "opportunistic", "required"};
static const char *const auth_names[] = {"none", "plain", "login", "xoauth2"};
static const char *const format_names[] = {"auto", "pdf", "tiff", "tiff-s"};
static const char *const paper_names[] = {"a4", "letter", "legal", "b4", "a3"};

#define NAMES(a) (a), (int)(sizeof(a) / sizeof(a)[0])

/* The embedded default: the demo. Loopback only, spool in ./demo/spool, one
 * audio line reading a unix socket, everything delivered to a local
 * Internet fax at [127.0.0.1]. Tested to validate (test_config.c). */
static const char default_text[] =
    "# ifaxgw embedded default configuration: the demo (contrib/demo.sh).\n"
    "# A Class 1 modem on the virtual fax line (contrib/vline) at\n"
    "# ./demo/ttyIFX0; every fax goes, negotiated with CONNEG, to the\n"
    "# Internet fax device simulator on 127.0.0.1:10025; the status page is\n"
    "# on 127.0.0.1:8025 only. Print it: ifaxgw check-config --print-default\n"
    "gateway: {\n"
    "  name = \"ifaxgw-demo\";\n"
    "  spool = \"./demo/spool\";\n"
    "  log_level = \"info\";\n"
    "};\n"
    "lines = (\n"
    "  { name = \"demo\"; device = \"./demo/ttyIFX0\";\n"
    "    station_id = \"+1 555 0100\"; rings = 1; cid_enable = \"AT+VCID=1\"; "
    "}\n"
    ");\n"
    "smtp: {\n"
    "  hostname = \"localhost\";\n"
    "  from = \"ifaxgw@localhost\";\n"
    "  retry = [ 10, 30, 60, 300 ];\n"
    "};\n"
    "routes = (\n"
    "  { name = \"default\";\n"
    "    subject = \"Fax from ${csid} (${pages} pages)\";\n"
    "    recipients = ( { address = \"fax@ifax.demo\";\n"
    "                     host = \"127.0.0.1:10025\"; } ); }\n"
    ");\n"
    "web: {\n"
    "  listen = \"127.0.0.1\";\n"
    "  port = 8025;\n"
    "  token = \"demo-token-0123456789\";\n"
    "};\n";

const char *
config_smtp_step_name(enum smtp_step step)
{
    return (unsigned)step < SMTP_STEP_COUNT ? step_names[step] : "?";
}

const char *
config_paper_name(enum config_paper p)
{
    return (unsigned)p < 5 ? paper_names[p] : "?";
}

const char *
config_smtp_mode_name(enum config_smtp_mode m)
{
    return (unsigned)m < 2 ? mode_names[m] : "?";
}

const char *
config_tls_name(enum config_tls t)
{
    return (unsigned)t < 3 ? tls_names[t] : "?";
}

const char *
config_format_name(enum config_format f)
{
    return (unsigned)f < 4 ? format_names[f] : "?";
}

void
config_errors_clear(struct config_errors *errs)
{
    if (errs != NULL)
        memset(errs, 0, sizeof *errs);
}

/* ---- defaults ---------------------------------------------------------- */

static void
defaults_fill(struct config *cf)
{
    struct config_smtp *s = &cf->smtp;
    char host[256];

    cf->gateway.name = xstrdup("ifaxgw");
    cf->gateway.spool = xstrdup("/var/spool/ifaxgw");
    cf->gateway.retention_s = 7 * 86400;
    cf->gateway.log_level = LOG_LVL_INFO;
    cf->gateway.log_format = LOG_FMT_AUTO;
    cf->gateway.workers = 4;
    cf->scanner_device = xstrdup("");
    cf->scanner_button_poll_ms = 1000;
    cf->scanner_stall_s = 120;
    cf->scanner_close_s = 10;

    /* EHLO name: the host's name when it looks like one (no DNS here). */
    if (gethostname(host, sizeof host) != 0 ||
        (host[sizeof host - 1] = '\0', !address_domain_valid(host)))
        snprintf(host, sizeof host, "localhost");
    s->hostname = xstrdup(host);
    s->from = NULL; /* "fax@" + hostname unless given; set after reading */
    s->mode = CONFIG_SMTP_DIRECT;
    s->port = 25;
    s->auth = CONFIG_AUTH_NONE;
    s->relay_tls = CONFIG_TLS_REQUIRED;
    s->direct_tls = CONFIG_TLS_OPPORTUNISTIC;
    for (int i = 0; i < SMTP_STEP_COUNT; i++)
        s->timeouts.secs[i] = step_defaults[i];
    s->n_retry = (int)(sizeof retry_defaults / sizeof retry_defaults[0]);
    memcpy(s->retry_s, retry_defaults, sizeof retry_defaults);
    s->expiry_s = 4 * 86400;
    s->caps_max_age_s = 86400;
    s->destination_concurrency = 2;
    s->dead_destination_s = 60;

    cf->web.enable = true;
    cf->web.listen = xstrdup("127.0.0.1");
    cf->web.port = 8025;
    cf->web.max_body = 1024 * 1024;
    cf->web.rate_per_min = 600; /* docs/web-api.md: why */
}

/* ---- gateway ----------------------------------------------------------- */

static void
read_gateway(struct config_reader *rd, const config_setting_t *root,
             struct config *cf)
{
    static const char *const keys[] = {"name",      "spool",      "retention_s",
                                       "log_level", "log_format", "user",
                                       "workers",   NULL};
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    static const char *const formats[] = {"auto", "journal", "plain"};
    config_setting_t *g;
    int lvl = (int)cf->gateway.log_level;
    int fmt = (int)cf->gateway.log_format;

    g = config_read_member(rd, root, "", "gateway", CONFIG_TYPE_GROUP);
    if (g == NULL)
        return;
    config_read_keys(rd, g, "gateway", keys);
    config_read_str(rd, g, "gateway", "name", CONFIG_NAME_MAX,
                    &cf->gateway.name);
    config_read_str(rd, g, "gateway", "spool", 4000, &cf->gateway.spool);
    config_read_int(rd, g, "gateway", "retention_s", 0, 10LL * 366 * 86400,
                    &cf->gateway.retention_s);
    if (config_read_enum(rd, g, "gateway", "log_level", NAMES(levels), &lvl) ==
        0)
        cf->gateway.log_level = (enum log_level)lvl;
    if (config_read_enum(rd, g, "gateway", "log_format", NAMES(formats),
                         &fmt) == 0)
        cf->gateway.log_format = (enum log_format)fmt;
    config_read_str(rd, g, "gateway", "user", CONFIG_NAME_MAX,
                    &cf->gateway.user);
    config_read_int(rd, g, "gateway", "workers", 1, 64, &cf->gateway.workers);
    if (cf->gateway.spool[0] == '\0')
        config_read_problem(rd, config_setting_get_member(g, "spool"),
                            "gateway.spool: empty");
}

/* ---- web --------------------------------------------------------------- */

static void
read_web(struct config_reader *rd, const config_setting_t *root,
         struct config *cf)
{
    static const char *const keys[] = {
        "enable", "listen", "port", "token", "max_body", "rate_per_min", NULL};
    config_setting_t *g;

    g = config_read_member(rd, root, "", "web", CONFIG_TYPE_GROUP);
    if (g == NULL)
        return;
    config_read_keys(rd, g, "web", keys);
    config_read_bool(rd, g, "web", "enable", &cf->web.enable);
    if (config_read_str(rd, g, "web", "listen", 64, &cf->web.listen) == 0 &&
        !address_is_ip(cf->web.listen))
        config_read_problem(rd, config_setting_get_member(g, "listen"),
                            "web.listen: '%s' is not an IPv4 or IPv6 address",
                            cf->web.listen);
    config_read_int(rd, g, "web", "port", 0, 65535, &cf->web.port);
    if (config_read_str(rd, g, "web", "token", 256, &cf->web.token) == 0 &&
        cf->web.token != NULL && strlen(cf->web.token) < 16)
        config_read_problem(rd, config_setting_get_member(g, "token"),
                            "web.token: shorter than 16 characters");
    config_read_int(rd, g, "web", "max_body", 1024, 64 * 1024 * 1024,
                    &cf->web.max_body);
    config_read_int(rd, g, "web", "rate_per_min", 1, 100000,
                    &cf->web.rate_per_min);
}

/* ---- smtp -------------------------------------------------------------- */

static void
read_timeouts(struct config_reader *rd, const config_setting_t *smtp,
              struct smtp_timeouts *t)
{
    static const char *const keys[] = {
        "connect", "greeting", "ehlo", "starttls", "mail", "rcpt",
        "data",    "block",    "dot",  "rset",     "quit", NULL};
    config_setting_t *g;

    g = config_read_member(rd, smtp, "smtp", "timeouts", CONFIG_TYPE_GROUP);
    if (g == NULL)
        return;
    config_read_keys(rd, g, "smtp.timeouts", keys);
    /* 0 or less would disable a step's deadline: never (P5). */
    for (int i = 0; i < SMTP_STEP_COUNT; i++)
        config_read_int(rd, g, "smtp.timeouts", step_names[i], 1, 86400,
                        &t->secs[i]);
}

static void
read_retry(struct config_reader *rd, const config_setting_t *smtp,
           struct config_smtp *s)
{
    config_setting_t *m = config_setting_get_member(smtp, "retry");
    int n;

    if (m == NULL)
        return;
    if (!config_setting_is_array(m) && !config_setting_is_list(m)) {
        config_read_problem(rd, m,
                            "smtp.retry: expected an array of seconds "
                            "[300, 900, ...], got %s",
                            config_read_type_name(m));
        return;
    }
    n = config_setting_length(m);
    if (n < 1 || n > CONFIG_RETRY_MAX) {
        config_read_problem(rd, m, "smtp.retry: want 1..%d delays, got %d",
                            CONFIG_RETRY_MAX, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
        int t = config_setting_type(e);
        long long v;

        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
            config_read_problem(rd, e,
                                "smtp.retry[%d]: expected an integer, "
                                "got %s",
                                i, config_read_type_name(e));
            return;
        }
        v = config_setting_get_int64(e);
        if (v < 1 || v > 7 * 86400) {
            config_read_problem(rd, e,
                                "smtp.retry[%d]: %lld is out of range "
                                "1..604800",
                                i, v);
            return;
        }
        s->retry_s[i] = (int)v;
    }
    s->n_retry = n;
}

static void
read_dns(struct config_reader *rd, const config_setting_t *smtp,
         struct config_smtp *s)
{
    char **v = NULL;
    int n = 0;
    config_setting_t *m = config_setting_get_member(smtp, "dns_servers");

    if (config_read_strlist(rd, smtp, "smtp", "dns_servers", 100, &v, &n) != 0)
        return;
    s->dns_servers = n > 0 ? xcalloc((size_t)n, sizeof *s->dns_servers) : NULL;
    for (int i = 0; i < n; i++) {
        char host[ADDRESS_HOST_MAX + 1], why[100];
        int port;

        if (address_hostport(v[i], host, sizeof host, &port, why, sizeof why) ==
                -1 ||
            (!address_is_ip(host) &&
             snprintf(why, sizeof why, "not an IP address") > 0)) {
            config_read_problem(rd, m, "smtp.dns_servers[%d]: '%s': %s", i,
                                v[i], why);
            continue;
        }
        s->dns_servers[s->n_dns].host = xstrdup(host);
        s->dns_servers[s->n_dns++].port = port != 0 ? port : 53;
    }
    config_read_strlist_free(v, n);
}

/* "host[:port]" of key in g into hp (port default_port when absent). */
static int
read_hostport(struct config_reader *rd, const config_setting_t *g,
              const char *path, const char *key, int default_port,
              struct config_hostport *hp)
{
    char *text = NULL, host[ADDRESS_HOST_MAX + 1], why[100];
    int port, rc = -1;

    if (config_read_str(rd, g, path, key, ADDRESS_HOST_MAX + 8, &text) != 0)
        return -1;
    if (text == NULL)
        return 0;
    if (address_hostport(text, host, sizeof host, &port, why, sizeof why) ==
        -1) {
        config_read_problem(rd, config_setting_get_member(g, key),
                            "%s.%s: '%s': %s", path, key, text, why);
    } else {
        free(hp->host);
        hp->host = xstrdup(host);
        hp->port = port != 0 ? port : default_port;
        rc = 0;
    }
    free(text);
    return rc;
}

static void
read_pins(struct config_reader *rd, const config_setting_t *smtp,
          struct config_smtp *s)
{
    static const char *const keys[] = {"domain", "host", NULL};
    config_setting_t *l;
    int n;

    l = config_read_member(rd, smtp, "smtp", "pinned", CONFIG_TYPE_LIST);
    if (l == NULL)
        return;
    n = config_setting_length(l);
    if (n > CONFIG_LIST_MAX) {
        config_read_problem(rd, l, "smtp.pinned: more than %d entries",
                            CONFIG_LIST_MAX);
        return;
    }
    s->pins = xcalloc((size_t)n + 1, sizeof *s->pins);
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct config_pin *p = &s->pins[s->n_pins];
        char path[40], why[100];

        snprintf(path, sizeof path, "smtp.pinned[%d]", i);
        if (!config_setting_is_group(g)) {
            config_read_problem(rd, g,
                                "%s: expected a group { domain; host; "
                                "}, got %s",
                                path, config_read_type_name(g));
            continue;
        }
        config_read_keys(rd, g, path, keys);
        config_read_str(rd, g, path, "domain", ADDRESS_HOST_MAX, &p->domain);
        read_hostport(rd, g, path, "host", s->port, &p->to);
        s->n_pins++; /* freed with the config even when incomplete */
        if (!config_read_has(g, "domain") || !config_read_has(g, "host"))
            config_read_problem(rd, g, "%s: needs both domain and host", path);
        if (p->domain == NULL || p->to.host == NULL)
            continue;
        snprintf(why, sizeof why, "x@%s", p->domain);
        if (!address_valid(why, NULL, 0))
            config_read_problem(rd, g,
                                "%s.domain: '%s' is not a domain or "
                                "address literal",
                                path, p->domain);
    }
}

static void
read_smtp_auth(struct config_reader *rd, const config_setting_t *g,
               struct config_smtp *s)
{
    int v = -1;

    config_read_str(rd, g, "smtp", "user", 256, &s->user);
    config_read_str(rd, g, "smtp", "password", 256, &s->password);
    config_read_str(rd, g, "smtp", "oauth_token", 4096, &s->oauth_token);
    if (config_read_enum(rd, g, "smtp", "auth", NAMES(auth_names), &v) != 0)
        return;
    if (v == -1) /* not given: what the credentials imply */
        v = s->oauth_token != NULL ? CONFIG_AUTH_XOAUTH2
            : s->user != NULL      ? CONFIG_AUTH_PLAIN
                                   : CONFIG_AUTH_NONE;
    s->auth = (enum config_auth)v;
    if ((v == CONFIG_AUTH_PLAIN || v == CONFIG_AUTH_LOGIN) &&
        (s->user == NULL || s->password == NULL))
        config_read_problem(rd, g, "smtp: auth %s needs user and password",
                            auth_names[v]);
    if (v == CONFIG_AUTH_XOAUTH2 && (s->user == NULL || s->oauth_token == NULL))
        config_read_problem(rd, g,
                            "smtp: auth xoauth2 needs user and "
                            "oauth_token");
}

static void
read_smtp(struct config_reader *rd, const config_setting_t *root,
          struct config *cf)
{
    static const char *const keys[] = {
        "hostname",    "from",       "mode",           "port",  "smarthost",
        "user",        "password",   "oauth_token",    "auth",  "relay_tls",
        "ca_file",     "direct_tls", "timeouts",       "retry", "expiry_s",
        "dns_servers", "pinned",     "caps_max_age_s",
        "destination_concurrency",   "dead_destination_s", NULL};
    struct config_smtp *s = &cf->smtp;
    config_setting_t *g;
    char why[100];
    int v;

    g = config_read_member(rd, root, "", "smtp", CONFIG_TYPE_GROUP);
    if (g == NULL)
        return;
    config_read_keys(rd, g, "smtp", keys);
    if (config_read_str(rd, g, "smtp", "hostname", ADDRESS_HOST_MAX,
                        &s->hostname) == 0 &&
        !address_domain_valid(s->hostname))
        config_read_problem(rd, config_setting_get_member(g, "hostname"),
                            "smtp.hostname: '%s' is not a host name",
                            s->hostname);
    if (config_read_str(rd, g, "smtp", "from", ADDRESS_MAX, &s->from) == 0 &&
        s->from != NULL && !address_valid(s->from, why, sizeof why))
        config_read_problem(rd, config_setting_get_member(g, "from"),
                            "smtp.from: '%s': %s", s->from, why);
    v = (int)s->mode;
    if (config_read_enum(rd, g, "smtp", "mode", NAMES(mode_names), &v) == 0)
        s->mode = (enum config_smtp_mode)v;
    config_read_int(rd, g, "smtp", "port", 1, 65535, &s->port);
    read_hostport(rd, g, "smtp", "smarthost", 587, &s->smarthost);
    read_smtp_auth(rd, g, s);
    v = (int)s->relay_tls;
    if (config_read_enum(rd, g, "smtp", "relay_tls", NAMES(tls_names), &v) == 0)
        s->relay_tls = (enum config_tls)v;
    v = (int)s->direct_tls;
    if (config_read_enum(rd, g, "smtp", "direct_tls", NAMES(tls_names), &v) ==
        0)
        s->direct_tls = (enum config_tls)v;
    config_read_str(rd, g, "smtp", "ca_file", 4000, &s->ca_file);
    read_timeouts(rd, g, &s->timeouts);
    read_retry(rd, g, s);
    config_read_int(rd, g, "smtp", "expiry_s", 60, 60 * 86400, &s->expiry_s);
    read_dns(rd, g, s);
    read_pins(rd, g, s);
    config_read_int(rd, g, "smtp", "caps_max_age_s", 0, 365 * 86400,
                    &s->caps_max_age_s);
    config_read_int(rd, g, "smtp", "destination_concurrency", 1, 64,
                    &s->destination_concurrency);
    config_read_int(rd, g, "smtp", "dead_destination_s", 0, 86400,
                    &s->dead_destination_s);
    if (s->user != NULL && s->auth != CONFIG_AUTH_NONE &&
        s->relay_tls != CONFIG_TLS_REQUIRED)
        config_read_warn(rd, config_setting_source_line(g),
                         "smtp: credentials may cross the network in clear "
                         "(relay_tls is not \"required\")");
}

/* ---- the whole file ---------------------------------------------------- */

/* libconfig would open any path an @include names, relative to the current
 * directory: a config is one file here (and the fuzzer must not read
 * files). Its lexer takes @include only at the start of a line. */
static int
reject_includes(struct config_reader *rd, const char *text)
{
    int line = 1, rc = 0;

    for (const char *p = text; *p != '\0'; line++) {
        const char *q = p + strspn(p, " \t");
        const char *nl = strchr(p, '\n');

        if (strncmp(q, "@include", 8) == 0) {
            config_read_problem_at(rd, line,
                                   "@include is not supported: "
                                   "one config is one file");
            rc = -1;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return rc;
}

static void
read_all(struct config_reader *rd, const config_setting_t *root,
         struct config *cf)
{
    static const char *const keys[] = {"gateway",       "lines", "scanner",
                                       "scan_profiles", "smtp",  "routes",
                                       "web",           NULL};

    config_read_keys(rd, root, "top level", keys);
    read_gateway(rd, root, cf);
    read_smtp(rd, root, cf);
    read_web(rd, root, cf);
    config_routes_read_lines(rd, root, cf);
    config_routes_read_scanner(rd, root, cf);
    config_routes_read_routes(rd, root, cf);
    config_routes_link(rd, root, cf);
    if (cf->smtp.from == NULL)
        cf->smtp.from = xasprintf("fax@%s", cf->smtp.hostname);
}

/* Problems in file order (sections are read in a fixed order). Stable:
 * a line's problems keep the order they were found in. */
static void
sort_by_line(struct config_errors *errs, size_t prefix)
{
    char tmp[CONFIG_ERROR_LEN];

    for (int i = 1; i < errs->count; i++) {
        long li = strtol(errs->msg[i] + prefix, NULL, 10);
        int j = i;

        while (j > 0 && strtol(errs->msg[j - 1] + prefix, NULL, 10) > li)
            j--;
        if (j == i)
            continue;
        memcpy(tmp, errs->msg[i], sizeof tmp);
        memmove(errs->msg[j + 1], errs->msg[j],
                (size_t)(i - j) * sizeof errs->msg[0]);
        memcpy(errs->msg[j], tmp, sizeof tmp);
    }
}

struct config *
config_load_string(const char *text, const char *name,
                   struct config_errors *errs)
{
    struct config_reader rd = {.file = name, .errs = errs};
    struct config *cf;
    config_t lc;

    config_errors_clear(errs);
    if (reject_includes(&rd, text) == -1)
        return NULL;
    config_init(&lc);
    if (config_read_string(&lc, text) != CONFIG_TRUE) {
        config_read_problem_at(&rd, config_error_line(&lc), "%s",
                               config_error_text(&lc) != NULL
                                   ? config_error_text(&lc)
                                   : "syntax error");
        config_destroy(&lc);
        return NULL;
    }
    cf = xcalloc(1, sizeof *cf);
    cf->file = xstrdup(name);
    defaults_fill(cf);
    read_all(&rd, config_root_setting(&lc), cf);
    config_destroy(&lc);
    if (errs != NULL)
        sort_by_line(errs, strlen(name) + 1);
    if (rd.problems > 0)
        return config_free(cf);
    return cf;
}

/* Read at most CONFIG_FILE_MAX bytes; NUL bytes are a problem. */
static char *
slurp(struct config_reader *rd, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    ssize_t got;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        config_read_problem_at(rd, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    buf = xmalloc(CONFIG_FILE_MAX + 1);
    while ((got = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len)) > 0)
        if ((len += (size_t)got) > CONFIG_FILE_MAX)
            break;
    if (got == -1)
        config_read_problem_at(rd, 0, "cannot read: %s", strerror(errno));
    else if (len > CONFIG_FILE_MAX)
        config_read_problem_at(rd, 0, "larger than %d bytes", CONFIG_FILE_MAX);
    else if (memchr(buf, '\0', len) != NULL)
        config_read_problem_at(rd, 0, "contains a NUL byte: not a text file");
    close(fd);
    if (rd->problems > 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

struct config *
config_load(const char *path, struct config_errors *errs)
{
    struct config_reader rd = {.file = path, .errs = errs};
    struct config *cf;
    char *text;

    config_errors_clear(errs);
    text = slurp(&rd, path);
    if (text == NULL)
        return NULL;
    cf = config_load_string(text, path, errs);
    free(text);
    return cf;
}

const char *
config_default_text(void)
{
    return default_text;
}

struct config *
config_default(void)
{
    struct config_errors errs;
    struct config *cf = config_load_string(default_text, "<default>", &errs);

    if (cf == NULL)
        IFX_BUG("embedded default config: %s", errs.msg[0]);
    return cf;
}

/* ---- free and find ----------------------------------------------------- */

static void
smtp_release(struct config_smtp *s)
{
    free(s->hostname);
    free(s->from);
    free(s->smarthost.host);
    free(s->user);
    free(s->password);
    free(s->oauth_token);
    free(s->ca_file);
    for (int i = 0; i < s->n_dns; i++)
        free(s->dns_servers[i].host);
    free(s->dns_servers);
    for (int i = 0; i < s->n_pins; i++) {
        free(s->pins[i].domain);
        free(s->pins[i].to.host);
    }
    free(s->pins);
}

struct config *
config_free(struct config *cf)
{
    if (cf == NULL)
        return NULL;
    free(cf->file);
    free(cf->gateway.name);
    free(cf->gateway.spool);
    free(cf->gateway.user);
    free(cf->scanner_device);
    free(cf->scanner_button_profile);
    smtp_release(&cf->smtp);
    free(cf->web.listen);
    free(cf->web.token);
    config_routes_free(cf);
    free(cf);
    return NULL;
}
