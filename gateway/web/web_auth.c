/* web_auth - token, sessions, CSRF and rate limit; see web_auth.h */
#include "gateway/web/web_auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gateway/util/xalloc.h"

#define CLIENT_KEY_MAX 64    /* "ipv6-literal" fits */
#define RATE_PROBES    4     /* slots tried before evicting the stalest */
#define TOKEN_UNITS    60000 /* one request, in bucket units */

struct session {
    char sid[WEB_AUTH_ID_HEX + 1]; /* "" when the slot is free */
    char csrf[WEB_AUTH_ID_HEX + 1];
    int64_t expires_s;
};

struct bucket {
    char client[CLIENT_KEY_MAX]; /* "" when free */
    int64_t units;               /* tokens x 60000 (one ms of refill at
                                    rate_per_min tokens/min is rate units) */
    int64_t last_ms;
};

struct web_auth {
    pthread_mutex_t lock; /* guards token, sessions and buckets */
    char token[WEB_AUTH_TOKEN_MAX + 1];
    int rate_per_min;
    struct session sessions[WEB_AUTH_SESSIONS];
    struct bucket buckets[WEB_AUTH_CLIENTS];
};

static void
random_hex(char out[WEB_AUTH_ID_HEX + 1])
{
    unsigned char raw[WEB_AUTH_ID_HEX / 2];
    static const char hex[] = "0123456789abcdef";

    if (RAND_bytes(raw, sizeof raw) != 1)
        IFX_BUG("RAND_bytes failed: no entropy for a session id");
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[WEB_AUTH_ID_HEX] = '\0';
}

static bool
token_configured(const struct web_auth *a)
{
    return a->token[0] != '\0';
}

/* The live session with this id, or NULL. Caller holds the lock. */
static struct session *
session_find(struct web_auth *a, const char *sid, int64_t now_s)
{
    if (sid == NULL || strlen(sid) != WEB_AUTH_ID_HEX)
        return NULL;
    for (size_t i = 0; i < WEB_AUTH_SESSIONS; i++) {
        struct session *s = &a->sessions[i];

        if (s->sid[0] == '\0')
            continue;
        if (s->expires_s <= now_s) {
            memset(s, 0, sizeof *s);
            continue;
        }
        if (web_auth_equal(s->sid, sid))
            return s;
    }
    return NULL;
}

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

struct web_auth *
web_auth_init(const char *token, int rate_per_min)
{
    struct web_auth *a = xcalloc(1, sizeof *a);

    pthread_mutex_init(&a->lock, NULL);
    if (token != NULL)
        (void)snprintf(a->token, sizeof a->token, "%s", token);
    a->rate_per_min = rate_per_min > 0 ? rate_per_min : 0;
    return a;
}

void
web_auth_free(struct web_auth *a)
{
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->lock);
    memset(a->token, 0, sizeof a->token);
    free(a);
}

bool
web_auth_set_token(struct web_auth *a, const char *token)
{
    bool changed;

    pthread_mutex_lock(&a->lock);
    changed = !web_auth_equal(a->token, token != NULL ? token : "");
    if (changed) {
        (void)snprintf(a->token, sizeof a->token, "%s",
                       token != NULL ? token : "");
        memset(a->sessions, 0, sizeof a->sessions);
    }
    pthread_mutex_unlock(&a->lock);
    return changed;
}

bool
web_auth_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = (unsigned char)(na != nb);

    /* Walk the longer string whole so the time depends on lengths only. */
    for (size_t i = 0; i < (na > nb ? na : nb); i++) {
        unsigned char ca = i < na ? (unsigned char)a[i] : 0;
        unsigned char cb = i < nb ? (unsigned char)b[i] : 0;

        diff |= ca ^ cb;
    }
    return diff == 0;
}

static bool
id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

bool
web_auth_job_id_ok(const char *id)
{
    size_t n;

    if (id == NULL || id[0] == '\0' || id[0] == '.' || id[0] == '-' ||
        id[0] == '_')
        return false;
    n = strlen(id);
    if (n > WEB_JOB_ID_MAX || strstr(id, "..") != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!id_char_ok(id[i]))
            return false;
    return true;
}

int
web_auth_login(struct web_auth *a, const char *token, int64_t now_s,
               char sid[WEB_AUTH_ID_HEX + 1], char csrf[WEB_AUTH_ID_HEX + 1])
{
    struct session *slot = NULL;

    pthread_mutex_lock(&a->lock);
    if (!token_configured(a) || token == NULL ||
        !web_auth_equal(token, a->token)) {
        pthread_mutex_unlock(&a->lock);
        return -1;
    }
    for (size_t i = 0; i < WEB_AUTH_SESSIONS; i++) {
        struct session *s = &a->sessions[i];

        if (s->sid[0] == '\0' || s->expires_s <= now_s) {
            slot = s;
            break;
        }
        if (slot == NULL || s->expires_s < slot->expires_s)
            slot = s; /* full: evict the one closest to expiry */
    }
    random_hex(slot->sid);
    random_hex(slot->csrf);
    slot->expires_s = now_s + WEB_AUTH_SESSION_S;
    memcpy(sid, slot->sid, WEB_AUTH_ID_HEX + 1);
    memcpy(csrf, slot->csrf, WEB_AUTH_ID_HEX + 1);
    pthread_mutex_unlock(&a->lock);
    return 0;
}

int
web_auth_session_csrf(struct web_auth *a, const char *sid, int64_t now_s,
                      char csrf[WEB_AUTH_ID_HEX + 1])
{
    struct session *s;
    int rc = -1;

    pthread_mutex_lock(&a->lock);
    s = session_find(a, sid, now_s);
    if (s != NULL) {
        memcpy(csrf, s->csrf, WEB_AUTH_ID_HEX + 1);
        rc = 0;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

void
web_auth_logout(struct web_auth *a, const char *sid)
{
    struct session *s;

    pthread_mutex_lock(&a->lock);
    s = session_find(a, sid, INT64_MIN);
    if (s != NULL)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&a->lock);
}

static enum web_auth_verdict
check_bearer(struct web_auth *a, const char *authorization)
{
    static const char scheme[] = "Bearer ";
    bool ok;

    if (strncmp(authorization, scheme, sizeof scheme - 1) != 0)
        return WEB_AUTH_DENIED;
    pthread_mutex_lock(&a->lock);
    ok = token_configured(a) &&
         web_auth_equal(authorization + sizeof scheme - 1, a->token);
    pthread_mutex_unlock(&a->lock);
    return ok ? WEB_AUTH_OK : WEB_AUTH_DENIED;
}

enum web_auth_verdict
web_auth_check(struct web_auth *a, const struct web_auth_request *rq,
               int64_t now_s)
{
    struct session *s;
    enum web_auth_verdict v = WEB_AUTH_DENIED;

    if (rq->authorization != NULL && rq->authorization[0] != '\0')
        return check_bearer(a, rq->authorization);
    if (rq->session == NULL || rq->session[0] == '\0')
        return WEB_AUTH_MISSING;
    /* A browser attaches the cookie to forged requests too; only our page
     * can read the CSRF token (from the login reply) and send it back. */
    if (rq->csrf == NULL)
        return WEB_AUTH_DENIED;
    pthread_mutex_lock(&a->lock);
    s = token_configured(a) ? session_find(a, rq->session, now_s) : NULL;
    if (s != NULL && web_auth_equal(rq->csrf, s->csrf))
        v = WEB_AUTH_OK;
    pthread_mutex_unlock(&a->lock);
    return v;
}

const char *
web_auth_verdict_name(enum web_auth_verdict v)
{
    switch (v) {
    case WEB_AUTH_OK:
        return "ok";
    case WEB_AUTH_MISSING:
        return "missing";
    case WEB_AUTH_DENIED:
        return "denied";
    }
    return "?";
}

/* Caller holds the lock. */
static struct bucket *
bucket_for(struct web_auth *a, const char *client, int64_t now_ms)
{
    uint32_t h = fnv1a(client);
    struct bucket *stalest = NULL;

    for (uint32_t i = 0; i < RATE_PROBES; i++) {
        struct bucket *b = &a->buckets[(h + i) % WEB_AUTH_CLIENTS];

        if (strcmp(b->client, client) == 0)
            return b;
        if (stalest == NULL || b->last_ms < stalest->last_ms)
            stalest = b;
    }
    (void)snprintf(stalest->client, sizeof stalest->client, "%s", client);
    stalest->units = TOKEN_UNITS * WEB_AUTH_BURST((int64_t)a->rate_per_min);
    stalest->last_ms = now_ms;
    return stalest;
}

bool
web_auth_rate_take(struct web_auth *a, const char *client, int64_t now_ms)
{
    struct bucket *b;
    int64_t cap = TOKEN_UNITS * WEB_AUTH_BURST((int64_t)a->rate_per_min);
    bool ok = false;

    if (a->rate_per_min == 0)
        return true;
    pthread_mutex_lock(&a->lock);
    b = bucket_for(a, client, now_ms);
    if (now_ms > b->last_ms) {
        int64_t dt = now_ms - b->last_ms;

        /* Cap dt first so a long-idle client cannot overflow. */
        b->units += (dt > 60000 ? 60000 : dt) * a->rate_per_min;
        if (b->units > cap)
            b->units = cap;
        b->last_ms = now_ms;
    }
    if (b->units >= TOKEN_UNITS) {
        b->units -= TOKEN_UNITS;
        ok = true;
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}
