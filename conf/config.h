/*
 * config - the validated, immutable configuration snapshot
 *
 * Reads one libconfig file (design.md 7) into a struct config that nobody
 * modifies after config_load*() returns; reload builds a new one and swaps
 * it in (conf/snapshot.h). Every problem is collected, not just the first,
 * as "file:line: problem" in a struct config_errors: syntax errors, unknown
 * keys, wrong types, out-of-range values, duplicate names, malformed
 * addresses, bad regexes, time ranges and host:port. Anything left out gets
 * a default, so a line and one route with one recipient is a whole config.
 * Must not: do I/O beyond reading the file; open devices, resolve names.
 * Errors: NULL with errs filled. Threads: any; a loaded config is read-only
 * and may be shared without locks. Standards: RFC 5321 4.5.3.2 (timeouts),
 * RFC 5321 4.1.2/4.1.3 (addresses), T.30 5.3.6.2.4 (CSI, 20 characters).
 */
#ifndef IFAXGW_CONF_CONFIG_H
#define IFAXGW_CONF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <regex.h>

#include "gateway/util/log.h"

#define CONFIG_ERRORS_MAX     64 /* problems kept; the rest are counted */
#define CONFIG_WARNINGS_MAX   16
#define CONFIG_ERROR_LEN      320           /* one "file:line: problem" */
#define CONFIG_FILE_MAX       (1024 * 1024) /* bytes; a config is small */
#define CONFIG_STATION_ID_MAX 20            /* T.30 CSI/TSI: 20 characters */
#define CONFIG_NAME_MAX       64            /* line, profile, route names */
#define CONFIG_ADDRESS_MAX    254 /* RFC 5321 4.5.3.1.3 path less <> */
#define CONFIG_LIST_MAX       256 /* entries in any one list */
#define CONFIG_RETRY_MAX      32  /* retry schedule steps */
#define CONFIG_SUBJECT_MAX    998 /* RFC 5322 2.1.1 line limit */
#define CONFIG_DEFAULT_FILE   "/etc/ifaxgw/ifaxgw.conf"
#define CONFIG_DEFAULT_ROUTE  "default" /* used when no route matches */

/* Every problem of one load. Threads: owned by the caller. */
struct config_errors {
    int count;   /* problems kept in msg[] */
    int dropped; /* problems beyond CONFIG_ERRORS_MAX, not kept */
    char msg[CONFIG_ERRORS_MAX][CONFIG_ERROR_LEN]; /* "file:line: problem" */
    int nwarn; /* advice that does not stop a load (check-config shows) */
    char warn[CONFIG_WARNINGS_MAX][CONFIG_ERROR_LEN];
};

/* RFC 5321 4.5.3.2 per-command timeouts, indexed by protocol step (P5). */
enum smtp_step {
    SMTP_STEP_CONNECT,  /* TCP connect (advice: 120 s) */
    SMTP_STEP_GREETING, /* initial 220: 4.5.3.2.1, 5 min */
    SMTP_STEP_EHLO,     /* EHLO reply (advice: 5 min) */
    SMTP_STEP_STARTTLS, /* STARTTLS reply and handshake (advice: 5 min) */
    SMTP_STEP_MAIL,     /* MAIL reply: 4.5.3.2.2, 5 min */
    SMTP_STEP_RCPT,     /* RCPT reply: 4.5.3.2.3, 5 min */
    SMTP_STEP_DATA,     /* DATA initiation, the 354: 4.5.3.2.4, 2 min */
    SMTP_STEP_BLOCK,    /* each data block sent: 4.5.3.2.5, 3 min */
    SMTP_STEP_DOT,      /* reply to the final ".": 4.5.3.2.6, 10 min */
    SMTP_STEP_RSET,     /* RSET reply (advice: 5 min) */
    SMTP_STEP_QUIT,     /* QUIT reply (advice: 30 s; the mail is sent) */
    SMTP_STEP_COUNT
};

struct smtp_timeouts {
    int secs[SMTP_STEP_COUNT]; /* conf/ fills every entry; 0 is rejected */
};

/* "connect", "greeting", ... (the config key); "?" when out of range. */
const char *config_smtp_step_name(enum smtp_step step);

enum config_line_kind {
    CONFIG_LINE_MODEM, /* Class 1 modem on a serial port */
    CONFIG_LINE_AUDIO, /* 8 kHz 16-bit audio: file, stdin or unix socket */
    CONFIG_LINE_AUDIOSOCKET /* Asterisk AudioSocket calls over TCP */
};

#define CONFIG_AUDIOSOCKET_CALLS_MAX 256 /* max_calls bound */

enum config_flow { CONFIG_FLOW_NONE, CONFIG_FLOW_XONXOFF, CONFIG_FLOW_RTSCTS };

/* T.30 modulations a line may use (bitmask in config_line.modems). */
#define CONFIG_MODEM_V27TER 0x1u /* 2400/4800 */
#define CONFIG_MODEM_V29    0x2u /* 7200/9600 */
#define CONFIG_MODEM_V17    0x4u /* 7200..14400 */
/* T.4/T.6 codings a line may accept (bitmask in config_line.compressions). */
#define CONFIG_COMP_T4_1D 0x1u /* MH */
#define CONFIG_COMP_T4_2D 0x2u /* MR */
#define CONFIG_COMP_T6    0x4u /* MMR (needs ECM) */

struct config_line {
    char *name; /* unique; the route source name */
    enum config_line_kind kind;
    char *device; /* modem: serial device path; NULL for audio */
    char *audio;  /* audio: file path, "-" = stdin, or unix socket; NULL for
                     modem */
    char station_id[CONFIG_STATION_ID_MAX + 1]; /* our CSI; may be "" */
    int rings;   /* answer after this many rings (1..20) */
    char **init; /* AT strings sent after ATZ, n_init of them */
    int n_init;
    char *cid_enable;      /* AT string enabling caller ID, "" = none */
    bool ecm;              /* T.30 error correction mode */
    unsigned modems;       /* CONFIG_MODEM_* */
    unsigned compressions; /* CONFIG_COMP_* */
    enum config_flow flow;
    int baud;           /* serial speed */
    int call_timeout_s; /* whole call limit */
    int idle_timeout_s; /* no-progress watchdog */
    /* audiosocket: listen address (numeric, default 127.0.0.1), port,
     * calls at once, seconds without a frame before a call is ended */
    char *listen;
    int port;
    int max_calls;
    int timeout_s;
    int src_line; /* config file line, for messages */
};

struct config_gateway {
    char *name;      /* shown on the status page, used in Message-IDs */
    char *spool;     /* spool directory */
    int retention_s; /* done/ and failed/ jobs kept this long, then purged */
    enum log_level log_level;
    enum log_format log_format; /* LOG_FMT_AUTO: journal when stderr is it */
    char *user;                 /* drop privileges to this user; NULL = stay */
    int workers;                /* delivery worker threads */
};

enum config_scan_mode {
    CONFIG_SCAN_LINEART, /* same order as scan/scan.h enum scan_mode */
    CONFIG_SCAN_GRAY1,
    CONFIG_SCAN_GRAY8
};
enum config_scan_source { CONFIG_SCAN_ADF, CONFIG_SCAN_FLATBED };
enum config_paper {
    CONFIG_PAPER_A4,
    CONFIG_PAPER_LETTER,
    CONFIG_PAPER_LEGAL,
    CONFIG_PAPER_B4,
    CONFIG_PAPER_A3
};
/* "a4", "letter", ...: also the names scan_paper_size() takes. */
const char *config_paper_name(enum config_paper p);

enum config_smtp_mode {
    CONFIG_SMTP_DIRECT, /* our client to the recipient's host, CONNEG */
    CONFIG_SMTP_RELAY   /* libcurl to the smarthost, for people */
};
enum config_tls {
    CONFIG_TLS_NONE,
    CONFIG_TLS_OPPORTUNISTIC,
    CONFIG_TLS_REQUIRED
};
enum config_auth {
    CONFIG_AUTH_NONE,
    CONFIG_AUTH_PLAIN,
    CONFIG_AUTH_LOGIN,
    CONFIG_AUTH_XOAUTH2
};
enum config_format {
    CONFIG_FORMAT_AUTO, /* direct: CONNEG choice; relay: PDF */
    CONFIG_FORMAT_PDF,
    CONFIG_FORMAT_TIFF,  /* TIFF as stored (best coding) */
    CONFIG_FORMAT_TIFF_S /* TIFF profile S (RFC 3949 3): MH 1728 */
};

struct config_recipient {
    char *address;              /* local@domain, validated */
    enum config_smtp_mode mode; /* default smtp.mode */
    enum config_format format;  /* default auto */
    char *host;                 /* pinned host; NULL = resolve */
    int port;                   /* with host; else 0 */
    enum config_tls tls;        /* default smtp.direct_tls / smtp.relay_tls */
    bool mdn;                   /* ask for an RFC 8098 receipt */
};

struct config_route {
    char *name;     /* unique */
    bool has_match; /* false: catch-all */
    char **source;  /* line names or "scan:PROFILE"; n_source = 0: any */
    int n_source;
    char **called; /* fnmatch globs on the called number; 0: any */
    int n_called;
    char **caller; /* fnmatch globs on the caller ID; 0: any */
    int n_caller;
    char *csid;      /* POSIX ERE source; NULL: any */
    regex_t csid_re; /* compiled (REG_EXTENDED | REG_NOSUB) when csid */
    int time_from;   /* minute of day, -1 = any time */
    int time_to;     /* exclusive; from > to wraps midnight */
    bool reject;     /* refuse the call unanswered (caller-ID block list) */
    struct config_recipient *recipients;
    int n_recipients;
    char *notify; /* address told about failures (and successes); NULL */
    bool notify_success;
    char *subject; /* template, ${csid} ${caller} ${called} ${pages}
                      ${line} ${time} ${source} ${job} */
    int src_line;
};

struct config_scan_profile {
    char *name;
    char *device; /* SANE name; "" = scanner.device */
    enum config_scan_mode mode;
    int resolution; /* dpi */
    enum config_scan_source source;
    enum config_paper paper;
    int threshold; /* 0..255 */
    bool dither;
    bool skip_blank;
    bool duplex;
    char *route_name; /* route the profile feeds; NULL if own recipients */
    /* The route a scan with this profile takes: the named one, or one built
     * from the profile's own recipients (named "scan:NAME"); NULL when the
     * routes decide (source "scan:NAME"). Borrowed from the config. */
    const struct config_route *route;
    struct config_route *own_route; /* owned; NULL unless recipients given */
    int src_line;
};

struct config_hostport {
    char *host; /* name, IPv4, or IPv6 without brackets */
    int port;
};

struct config_pin {
    char *domain; /* recipient domain or address literal ("[1.2.3.4]") */
    struct config_hostport to;
};

struct config_smtp {
    char *hostname;                   /* EHLO name */
    char *from;                       /* envelope and From: address */
    enum config_smtp_mode mode;       /* recipients' default */
    int port;                         /* direct delivery port (25) */
    struct config_hostport smarthost; /* relay; host NULL if none */
    char *user;                       /* relay AUTH; NULL = none */
    char *password;
    char *oauth_token;
    enum config_auth auth;
    enum config_tls relay_tls;  /* default required */
    enum config_tls direct_tls; /* default opportunistic */
    char *ca_file;              /* NULL = system store */
    struct smtp_timeouts timeouts;
    int retry_s[CONFIG_RETRY_MAX]; /* delays; the last one repeats */
    int n_retry;
    int expiry_s; /* give up (fail) after this long in the queue */
    struct config_hostport *dns_servers; /* n_dns; 0 = /etc/resolv.conf */
    int n_dns;
    struct config_pin *pins;
    int n_pins;
    int caps_max_age_s; /* learned CONNEG capabilities kept this long */
    int destination_concurrency; /* sessions at once to one destination */
    int dead_destination_s; /* a destination that did not answer is not
                               tried again for this long; 0 = off */
};

struct config_web {
    bool enable;      /* default true */
    char *listen;     /* address, default 127.0.0.1 */
    int port;         /* default 8025; 0 = any free port (tests) */
    char *token;      /* needed for actions (POST); NULL = actions refused */
    int max_body;     /* bytes of a request body */
    int rate_per_min; /* requests per minute per client */
};

struct config {
    char *file; /* where it came from, for messages */
    struct config_gateway gateway;
    struct config_line *lines;
    int n_lines;
    char *scanner_device; /* scanner.device: SANE name, "" = first found */
    /* scanner.button_profile: the profile a press of the scanner's own
     * button scans with (NULL: buttons ignored); polled every
     * scanner.button_poll_ms while no scan runs. */
    char *scanner_button_profile;
    int scanner_button_poll_ms;
    /* scanner.stall_timeout_s: a scan whose reader sends nothing this long
     * is stopped; scanner.close_timeout_s: a reader still alive this long
     * after its outcome (hung in the backend) is killed. */
    int scanner_stall_s;
    int scanner_close_s;
    struct config_scan_profile *profiles;
    int n_profiles;
    struct config_smtp smtp;
    struct config_route *routes; /* in file order: first match wins */
    int n_routes;
    struct config_web web;
    int snapshot_refs; /* conf/snapshot.c only, under its mutex */
};

/* Empty errs; call before a load (loads also clear it). */
void config_errors_clear(struct config_errors *errs);

/*
 * Load and validate a file. Returns a config the caller frees with
 * config_free(), or NULL with every problem in errs (errs may be NULL).
 * Warnings (errs->nwarn) never make it fail.
 */
struct config *config_load(const char *path, struct config_errors *errs);

/* The same for text in memory; name stands for the file in messages. */
struct config *config_load_string(const char *text, const char *name,
                                  struct config_errors *errs);

/* The embedded default configuration (config_default_text()), loaded.
 * Never NULL: it is tested to validate. Caller frees. */
struct config *config_default(void);
const char *config_default_text(void);

/* NULL-safe. Returns NULL so callers can write cf = config_free(cf). */
struct config *config_free(struct config *cf);

/* Lookups by name; NULL when absent. Borrowed from cf. */
const struct config_line *config_line_find(const struct config *cf,
                                           const char *name);
const struct config_scan_profile *config_profile_find(const struct config *cf,
                                                      const char *name);
const struct config_route *config_route_find(const struct config *cf,
                                             const char *name);

/* Enum names as written in the file. */
const char *config_smtp_mode_name(enum config_smtp_mode m);
const char *config_tls_name(enum config_tls t);
const char *config_format_name(enum config_format f);

#endif
