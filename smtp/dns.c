/* dns - MX/address resolution with c-ares; contract in dns.h */
#include "smtp/dns.h"

#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ares.h>

#include "gateway/util/log.h"
#include "gateway/util/xalloc.h"

#define DNS_MX_MAX 64 /* MX records considered; more is a hostile zone */
#define DNS_T_MX   15 /* RFC 1035 3.2.2 */
#define DNS_C_IN   1

struct mx {
    char host[DNS_HOST_MAX + 1];
    int pref;
    uint32_t key; /* random tie-break among equal preferences */
};

struct mx_answer {
    bool done;
    int status;
    size_t n;
    bool null_mx;
    struct mx mx[DNS_MX_MAX];
};

struct addr_answer {
    bool done;
    int status;
    size_t n;
    char addr[DNS_TARGETS_MAX][DNS_ADDR_MAX];
};

struct resolver {
    ares_channel ch;
    const struct dns_opts *o;
    size_t cap;
    int port;
    uint32_t rnd;
};

/* murmur3 finaliser: neighbouring seeds give unrelated sequences */
static uint32_t
mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h ? h : 1;
}

static uint32_t
next_rand(uint32_t *x)
{
    /* xorshift32: enough to spread load among equal MX preferences */
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

int
dns_split_hostport(const char *s, char *host, size_t n, int *port,
                   struct errbuf *why)
{
    const char *end, *colon = NULL;
    size_t hl;

    if (s[0] == '[') {
        end = strchr(s, ']');
        if (end == NULL)
            return errbuf_set(why, ERR_PERM, "5.1.2", "bad host \"%s\"", s);
        s++;
        hl = (size_t)(end - s);
        if (end[1] == ':')
            colon = end + 1;
        else if (end[1] != '\0')
            return errbuf_set(why, ERR_PERM, "5.1.2", "bad host");
    } else {
        colon = strrchr(s, ':');
        if (colon != NULL && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address has no port */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (hl == 0 || hl >= n)
        return errbuf_set(why, ERR_PERM, "5.1.2", "bad host length");
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (colon != NULL) {
        char *e;
        long p = strtol(colon + 1, &e, 10);
        if (*e != '\0' || p < 1 || p > 65535)
            return errbuf_set(why, ERR_PERM, "5.1.2", "bad port");
        *port = (int)p;
    }
    return 0;
}

static bool
is_numeric(const char *h)
{
    unsigned char b[16];

    return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

static void
add_target(struct dns_targets *out, size_t cap, const char *host,
           const char *addr, int port, int pref)
{
    struct dns_target *t;

    if (out->count >= cap)
        return;
    t = &out->t[out->count++];
    snprintf(t->host, sizeof t->host, "%s", host);
    snprintf(t->addr, sizeof t->addr, "%s", addr);
    t->port = port;
    t->pref = pref;
}

/* Drive the channel until every query has called back. */
static void
run(ares_channel ch)
{
    for (;;) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        struct pollfd pf[ARES_GETSOCK_MAXNUM];
        struct timeval tv, *tvp;
        unsigned bm = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        int n = 0, rc;

        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = 0;
            /* ares.h's ARES_GETSOCK_WRITABLE shifts 1 << 31 (signed) */
            if (bm & (1u << i))
                ev |= POLLIN;
            if (bm & (1u << (i + ARES_GETSOCK_MAXNUM)))
                ev |= POLLOUT;
            if (ev == 0)
                continue;
            pf[n].fd = socks[i];
            pf[n].events = ev;
            pf[n++].revents = 0;
        }
        tvp = ares_timeout(ch, NULL, &tv);
        if (n == 0 && tvp == NULL)
            return;
        rc = poll(pf, (nfds_t)n,
                  tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000);
        if (rc <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (int i = 0; i < n; i++) {
            ares_socket_t r = (pf[i].revents & (POLLIN | POLLERR | POLLHUP))
                                  ? pf[i].fd
                                  : ARES_SOCKET_BAD;
            ares_socket_t w =
                (pf[i].revents & POLLOUT) ? pf[i].fd : ARES_SOCKET_BAD;
            if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD)
                ares_process_fd(ch, r, w);
        }
    }
}

static void
mx_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct mx_answer *a = arg;
    struct ares_mx_reply *mx = NULL, *m;
    size_t total = 0;

    (void)timeouts;
    a->done = true;
    a->status = status;
    if (status != ARES_SUCCESS)
        return;
    a->status = ares_parse_mx_reply(abuf, alen, &mx);
    for (m = mx; m != NULL; m = m->next) {
        total++;
        if (m->host[0] == '\0' || strcmp(m->host, ".") == 0)
            continue; /* RFC 7505 "." target */
        if (a->n < DNS_MX_MAX && strlen(m->host) <= DNS_HOST_MAX) {
            snprintf(a->mx[a->n].host, sizeof a->mx[a->n].host, "%s", m->host);
            a->mx[a->n++].pref = m->priority;
        }
    }
    /* RFC 7505 3: a single "." record is a null MX */
    a->null_mx = (total == 1 && a->n == 0 && a->status == ARES_SUCCESS);
    if (mx != NULL)
        ares_free_data(mx);
}

static void
addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct addr_answer *a = arg;

    (void)timeouts;
    a->done = true;
    a->status = status;
    if (res == NULL)
        return;
    for (struct ares_addrinfo_node *n = res->nodes; n != NULL; n = n->ai_next) {
        const void *src = NULL;
        if (n->ai_family == AF_INET)
            src = &((struct sockaddr_in *)(void *)n->ai_addr)->sin_addr;
        else if (n->ai_family == AF_INET6)
            src = &((struct sockaddr_in6 *)(void *)n->ai_addr)->sin6_addr;
        if (src == NULL || a->n >= DNS_TARGETS_MAX)
            continue;
        if (inet_ntop(n->ai_family, src, a->addr[a->n], DNS_ADDR_MAX) != NULL)
            a->n++;
    }
    ares_freeaddrinfo(res);
}

static int
dns_fail(int st, const char *name, struct errbuf *why)
{
    const char *esc = name; /* errbuf_set escapes the text itself */

    if (st == ARES_ENOTFOUND || st == ARES_EBADNAME)
        return errbuf_set(why, ERR_PERM, "5.1.2", "%s: %s", esc,
                          ares_strerror(st));
    if (st == ARES_ENODATA)
        return errbuf_set(why, ERR_PERM, "5.1.2", "%s: no address", esc);
    return errbuf_set(why, ERR_TEMP, "4.4.3", "%s: %s", esc, ares_strerror(st));
}

/* Queue the A/AAAA lookup of host (none for a numeric host). */
static void
lookup_start(struct resolver *r, const char *host, struct addr_answer *a)
{
    struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC,
                                        .ai_flags = ARES_AI_NOSORT};

    memset(a, 0, sizeof *a);
    if (is_numeric(host)) {
        snprintf(a->addr[0], DNS_ADDR_MAX, "%s", host);
        a->n = 1;
        a->done = true;
        return;
    }
    ares_getaddrinfo(r->ch, host, NULL, &hints, addr_cb, a);
}

/* After run(): append the addresses found to out. 0, or -1 with why. */
static int
lookup_collect(struct resolver *r, const char *host, int port, int pref,
               const struct addr_answer *a, struct dns_targets *out,
               struct errbuf *why)
{
    for (size_t i = 0; i < a->n; i++)
        add_target(out, r->cap, host, a->addr[i], port, pref);
    if (a->done && a->n > 0)
        return 0;
    return dns_fail(a->done && a->status != ARES_SUCCESS ? a->status
                                                         : ARES_ENODATA,
                    host, why);
}

/* A/AAAA of host appended to out. 0, or -1 with why. */
static int
resolve_host(struct resolver *r, const char *host, int port, int pref,
             struct dns_targets *out, struct errbuf *why)
{
    struct addr_answer *a = xmalloc(sizeof *a);
    int rc;

    lookup_start(r, host, a);
    run(r->ch);
    rc = lookup_collect(r, host, port, pref, a, out, why);
    free(a);
    return rc;
}

static int
cmp_mx(const void *x, const void *y)
{
    const struct mx *a = x, *b = y;

    if (a->pref != b->pref)
        return a->pref < b->pref ? -1 : 1;
    return a->key < b->key ? -1 : a->key > b->key;
}

static int
resolve_mx(struct resolver *r, const char *domain, struct dns_targets *out,
           struct errbuf *why)
{
    struct mx_answer *a = xcalloc(1, sizeof *a);
    struct addr_answer *addrs = NULL;
    bool any_temp = false;
    int rc = -1;

    ares_query(r->ch, domain, DNS_C_IN, DNS_T_MX, mx_cb, a);
    run(r->ch);
    if (a->null_mx) {
        errbuf_set(why, ERR_PERM, "5.1.10", "%s: null MX, accepts no mail",
                   domain);
        goto out;
    }
    if (a->status == ARES_ENODATA || (a->status == ARES_SUCCESS && a->n == 0)) {
        /* RFC 5321 5.1: no MX at all, the domain is its own implicit MX */
        rc = resolve_host(r, domain, r->port, 0, out, why);
        goto out;
    }
    if (a->status != ARES_SUCCESS) {
        dns_fail(a->status, domain, why);
        goto out;
    }
    for (size_t i = 0; i < a->n; i++)
        a->mx[i].key = next_rand(&r->rnd);
    qsort(a->mx, a->n, sizeof a->mx[0], cmp_mx);
    /* every MX host's lookup at once: a slow zone costs one timeout */
    addrs = xcalloc(a->n, sizeof *addrs);
    for (size_t i = 0; i < a->n; i++)
        lookup_start(r, a->mx[i].host, &addrs[i]);
    run(r->ch);
    for (size_t i = 0; i < a->n && out->count < r->cap; i++) {
        struct errbuf e;
        errbuf_clear(&e);
        if (lookup_collect(r, a->mx[i].host, r->port, a->mx[i].pref, &addrs[i],
                           out, &e) == -1) {
            *why = e;
            any_temp |= (e.cls == ERR_TEMP);
        }
    }
    free(addrs);
    if (out->count > 0) {
        rc = 0;
    } else if (!any_temp) {
        errbuf_set(why, ERR_PERM, "5.1.2", "%s: no MX host has an address",
                   domain);
    }
out:
    free(a);
    return rc;
}

/* "[192.0.2.7]" or "[IPv6:2001:db8::1]" (RFC 5321 4.1.3). */
static int
resolve_literal(struct resolver *r, const char *lit, struct dns_targets *out,
                struct errbuf *why)
{
    char ip[DNS_ADDR_MAX + 8];
    unsigned char b[16];
    size_t n = strlen(lit);
    int af = AF_INET;

    if (n < 3 || lit[n - 1] != ']' || n - 2 >= sizeof ip)
        return errbuf_set(why, ERR_PERM, "5.1.2", "bad address literal");
    memcpy(ip, lit + 1, n - 2);
    ip[n - 2] = '\0';
    if (strncasecmp(ip, "IPv6:", 5) == 0) {
        memmove(ip, ip + 5, strlen(ip + 5) + 1);
        af = AF_INET6;
    }
    if (inet_pton(af, ip, b) != 1 ||
        inet_ntop(af, b, ip, sizeof ip) == NULL) /* canonical form */
        return errbuf_set(why, ERR_PERM, "5.1.2",
                          "unsupported address literal");
    add_target(out, r->cap, lit, ip, r->port, 0);
    return 0;
}

static const struct dns_pin *
find_pin(const struct dns_opts *o, const char *dest, const char *domain)
{
    for (size_t i = 0; i < o->npins; i++) /* the full address first */
        if (strcasecmp(o->pins[i].match, dest) == 0)
            return &o->pins[i];
    for (size_t i = 0; i < o->npins; i++)
        if (strcasecmp(o->pins[i].match, domain) == 0)
            return &o->pins[i];
    return NULL;
}

static int
channel_open(struct resolver *r, struct errbuf *why)
{
    struct ares_options ao;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
    int st;

    memset(&ao, 0, sizeof ao);
    ao.timeout = 1000 * r->o->timeout_s;
    ao.tries = r->o->tries > 0 ? r->o->tries : 2;
    ao.flags = ARES_FLAG_NOSEARCH;
    st = ares_init_options(&r->ch, &ao, mask);
    if (st != ARES_SUCCESS)
        return errbuf_set(why, ERR_TEMP, "4.4.3", "c-ares init: %s",
                          ares_strerror(st));
    if (r->o->servers != NULL && r->o->servers[0] != '\0') {
        st = ares_set_servers_ports_csv(r->ch, r->o->servers);
        if (st != ARES_SUCCESS) {
            ares_destroy(r->ch);
            return errbuf_set(why, ERR_PERM, "5.3.5", "dns servers \"%s\": %s",
                              r->o->servers, ares_strerror(st));
        }
    }
    return 0;
}

int
dns_resolve(const char *dest, const struct dns_opts *o, struct dns_targets *out,
            struct errbuf *why)
{
    struct resolver r = {.o = o};
    const char *at = strrchr(dest, '@');
    const char *domain = at ? at + 1 : dest;
    const struct dns_pin *pin;
    int rc;

    out->count = 0;
    if (o->timeout_s <= 0)
        IFX_BUG("dns timeout %d", o->timeout_s);
    r.cap = (o->max_targets == 0 || o->max_targets > DNS_TARGETS_MAX)
                ? DNS_TARGETS_MAX
                : o->max_targets;
    r.port = o->port > 0 ? o->port : DNS_PORT_SMTP;
    r.rnd = o->seed ? o->seed
                    : (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^
                          (uint32_t)(uintptr_t)&r;
    r.rnd = mix(r.rnd);
    if (domain[0] == '\0' || strlen(domain) > DNS_HOST_MAX)
        return errbuf_set(why, ERR_PERM, "5.1.2", "bad domain");
    pin = find_pin(o, dest, domain);
    if (pin == NULL && domain[0] == '[')
        return resolve_literal(&r, domain, out, why);
    if (channel_open(&r, why) == -1)
        return -1;
    if (pin != NULL) {
        char host[DNS_HOST_MAX + 1];
        int port = r.port;
        rc = dns_split_hostport(pin->target, host, sizeof host, &port, why);
        if (rc == 0)
            rc = resolve_host(&r, host, port, 0, out, why);
    } else {
        rc = resolve_mx(&r, domain, out, why);
    }
    ares_destroy(r.ch);
    return rc;
}

static char *
hostport_text(const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;

    if (port <= 0)
        return xasprintf(v6 ? "[%s]" : "%s", host);
    return xasprintf(v6 ? "[%s]:%d" : "%s:%d", host, port);
}

void
dns_conf_init(struct dns_conf *dc, const struct config_smtp *cs)
{
    size_t len = 0;

    memset(dc, 0, sizeof *dc);
    for (int i = 0; i < cs->n_dns; i++) {
        char *one =
            hostport_text(cs->dns_servers[i].host, cs->dns_servers[i].port);
        char *all = xasprintf("%s%s%s", dc->servers ? dc->servers : "",
                              len ? "," : "", one);
        free(dc->servers);
        free(one);
        dc->servers = all;
        len = strlen(all);
    }
    if (cs->n_pins > 0)
        dc->pins = xcalloc((size_t)cs->n_pins, sizeof *dc->pins);
    for (int i = 0; i < cs->n_pins; i++) {
        dc->pins[i].match = xstrdup(cs->pins[i].domain);
        dc->pins[i].target =
            hostport_text(cs->pins[i].to.host, cs->pins[i].to.port);
    }
    dc->npins = (size_t)cs->n_pins;
    dc->opts.servers = dc->servers;
    dc->opts.pins = dc->pins;
    dc->opts.npins = dc->npins;
    dc->opts.port = cs->port;
    dc->opts.timeout_s = DNS_QUERY_TIMEOUT_S;
    dc->opts.tries = DNS_QUERY_TRIES;
}

void
dns_conf_release(struct dns_conf *dc)
{
    for (size_t i = 0; i < dc->npins; i++) {
        free((char *)dc->pins[i].match);
        free((char *)dc->pins[i].target);
    }
    free(dc->pins);
    free(dc->servers);
    memset(dc, 0, sizeof *dc);
}
