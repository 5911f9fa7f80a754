/*
 * dns - where to deliver mail for a recipient (RFC 5321 5.1, RFC 7505)
 *
 * Turns a recipient address (or a bare domain) into an ordered list of
 * (host, address, port) targets to try in turn: a pinned host from the
 * config first, else an address literal ([192.0.2.7], [IPv6:2001:db8::1]),
 * else MX records by preference with equal preferences shuffled, else the
 * implicit MX (the domain's own A/AAAA when it has no MX). A null MX
 * ("0 .") fails at once with 5.1.10; NXDOMAIN is permanent (5.1.2); SERVFAIL,
 * refused and timeouts are temporary (4.4.3). c-ares does the queries,
 * against the configured servers (ip[:port], comma separated) or the
 * system's. Owns its c-ares channel for the duration of one call.
 * Errors: -1 with why filled. Threads: any; calls share nothing.
 */
#ifndef IFAXGW_SMTP_DNS_H
#define IFAXGW_SMTP_DNS_H

#include <stddef.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"

#define DNS_TARGETS_MAX     16 /* RFC 5321 5.1: MAY cap; SHOULD try at least 2 */
#define DNS_HOST_MAX        255 /* RFC 5321 4.5.3.1.2 domain, octets */
#define DNS_ADDR_MAX        46  /* INET6_ADDRSTRLEN */
#define DNS_PORT_SMTP       25
#define DNS_QUERY_TIMEOUT_S 5 /* per attempt; the config has no DNS timeout */
#define DNS_QUERY_TRIES     2 /* attempts per server */

/* A pinned route: match is a domain or a full address (case-insensitive);
 * target is "host[:port]", "ip[:port]" or "[ipv6]:port". */
struct dns_pin {
    const char *match;
    const char *target;
};

struct dns_opts {
    const char *servers;        /* "ip[:port],..."; NULL or "": system's */
    const struct dns_pin *pins; /* borrowed; may be NULL */
    size_t npins;
    int port;           /* port for MX/literal targets; 0: 25 */
    int timeout_s;      /* per query attempt, from the config; > 0 */
    int tries;          /* query attempts per server; 0: 2 */
    size_t max_targets; /* 0 or > DNS_TARGETS_MAX: DNS_TARGETS_MAX */
    unsigned seed;      /* shuffle seed for equal preferences; 0: random */
};

struct dns_target {
    char host[DNS_HOST_MAX + 1]; /* MX host, pinned host, or the literal */
    char addr[DNS_ADDR_MAX];     /* numeric IPv4 or IPv6 */
    int port;
    int pref; /* MX preference; 0 for implicit/literal/pin */
};

struct dns_targets {
    size_t count;
    struct dns_target t[DNS_TARGETS_MAX];
};

/*
 * Resolve dest: "user@domain", "user@[literal]", "domain" or "[literal]".
 * Fills out (count >= 1) and returns 0, or returns -1 with why:
 * PERM 5.1.10 null MX, PERM 5.1.2 NXDOMAIN / no usable host / bad literal,
 * TEMP 4.4.3 SERVFAIL, timeout, refused or no answer.
 */
int dns_resolve(const char *dest, const struct dns_opts *o,
                struct dns_targets *out, struct errbuf *why);

/* dns_opts built from the config's smtp section: servers, pins, port. */
struct dns_conf {
    struct dns_opts opts; /* ready for dns_resolve() */
    char *servers;        /* owned */
    struct dns_pin *pins; /* owned, with their strings */
    size_t npins;
};

/* Fill dc from cs (which may be freed afterwards). Release with
 * dns_conf_release(); safe twice. */
void dns_conf_init(struct dns_conf *dc, const struct config_smtp *cs);
void dns_conf_release(struct dns_conf *dc);

/* Parse "host[:port]" / "[v6]:port" into host (size n) and *port (left
 * unchanged when absent). Returns 0 or -1 with why (PERM). */
int dns_split_hostport(const char *s, char *host, size_t n, int *port,
                       struct errbuf *why);

#endif
