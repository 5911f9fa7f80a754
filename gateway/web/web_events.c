/* web_events - server-sent events for the status page; see web_events.h */
#include "gateway/web/web_events.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/xalloc.h"

struct stream {
    struct web_events *ev;
    struct MHD_Connection *conn;
    bool used;
    bool suspended;
    uint64_t seq; /* of the event last copied into out */
    char *out;    /* bytes still to send, or NULL */
    size_t len, off;
};

struct web_events {
    web_events_builder build;
    void *arg;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t wake;
    bool stopping;
    pthread_t ticker;
    bool ticker_live;
    char *event; /* the current event, framed; NULL before the first */
    size_t event_len;
    uint64_t seq; /* bumped with every new event */
    size_t nopen;
    struct stream streams[WEB_EVENTS_MAX];
};

/* "retry" first, so a browser reconnects soon after a restart. */
static const char hello[] = "retry: 2000\n\n";

/* Frame a JSON text as an SSE "status" event (JSON has no newlines). */
static char *
frame(const char *json, size_t *len)
{
    size_t n = strlen(json) + 32;
    char *s = xmalloc(n);

    *len = (size_t)snprintf(s, n, "event: status\ndata: %s\n\n", json);
    return s;
}

static void
resume_all(struct web_events *ev)
{
    for (size_t i = 0; i < WEB_EVENTS_MAX; i++) {
        struct stream *s = &ev->streams[i];

        if (s->used && s->suspended) {
            s->suspended = false;
            MHD_resume_connection(s->conn);
        }
    }
}

static void
tick_wait(struct web_events *ev)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WEB_EVENTS_TICK_MS / 1000;
    until.tv_nsec += (long)(WEB_EVENTS_TICK_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&ev->wake, &ev->mu, &until);
}

/* One status build per tick while anyone listens, shared by all streams. */
static void *
ticker(void *arg)
{
    struct web_events *ev = arg;

    pthread_mutex_lock(&ev->mu);
    while (!ev->stopping) {
        if (ev->nopen > 0) {
            char *json, *framed = NULL;
            size_t len = 0;

            pthread_mutex_unlock(&ev->mu);
            json = ev->build(ev->arg);
            if (json != NULL)
                framed = frame(json, &len);
            free(json);
            pthread_mutex_lock(&ev->mu);
            if (framed != NULL) {
                free(ev->event);
                ev->event = framed;
                ev->event_len = len;
                ev->seq++;
            }
            resume_all(ev);
        }
        tick_wait(ev);
    }
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

/* Under ev->mu: copy from s->out into buf. */
static ssize_t
drain(struct stream *s, char *buf, size_t max)
{
    size_t n = s->len - s->off;

    if (n > max)
        n = max;
    memcpy(buf, s->out + s->off, n);
    s->off += n;
    if (s->off == s->len) {
        free(s->out);
        s->out = NULL;
        s->len = s->off = 0;
    }
    return (ssize_t)n;
}

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    struct web_events *ev = s->ev;
    ssize_t r;

    (void)pos;
    pthread_mutex_lock(&ev->mu);
    if (s->out == NULL && ev->stopping) {
        pthread_mutex_unlock(&ev->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (s->out == NULL && ev->event != NULL && s->seq != ev->seq) {
        s->out = xmalloc(ev->event_len);
        memcpy(s->out, ev->event, ev->event_len);
        s->len = ev->event_len;
        s->off = 0;
        s->seq = ev->seq;
    }
    if (s->out != NULL) {
        r = drain(s, buf, max);
    } else {
        /* nothing new: sleep until the ticker resumes us */
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        r = 0;
    }
    pthread_mutex_unlock(&ev->mu);
    return r;
}

static void
stream_free(void *cls)
{
    struct stream *s = cls;
    struct web_events *ev = s->ev;

    pthread_mutex_lock(&ev->mu);
    free(s->out);
    memset(s, 0, sizeof *s);
    ev->nopen--;
    pthread_mutex_unlock(&ev->mu);
}

struct web_events *
web_events_init(web_events_builder build, void *arg)
{
    struct web_events *ev = xcalloc(1, sizeof *ev);

    ev->build = build;
    ev->arg = arg;
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->wake, NULL);
    ev->ticker_live = pthread_create(&ev->ticker, NULL, ticker, ev) == 0;
    return ev;
}

struct MHD_Response *
web_events_response(struct web_events *ev, struct MHD_Connection *c)
{
    struct stream *s = NULL;
    struct MHD_Response *r;

    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < WEB_EVENTS_MAX && s == NULL && !ev->stopping; i++)
        if (!ev->streams[i].used)
            s = &ev->streams[i];
    if (s != NULL) {
        memset(s, 0, sizeof *s);
        s->used = true;
        s->ev = ev;
        s->conn = c;
        /* the latest status at once, after the retry hint */
        s->len = sizeof hello - 1 + ev->event_len;
        s->out = xmalloc(s->len + 1);
        memcpy(s->out, hello, sizeof hello - 1);
        if (ev->event != NULL)
            memcpy(s->out + sizeof hello - 1, ev->event, ev->event_len);
        s->seq = ev->seq;
        ev->nopen++;
        pthread_cond_signal(&ev->wake); /* first listener: build now */
    }
    pthread_mutex_unlock(&ev->mu);
    if (s == NULL)
        return NULL;
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s,
                                          stream_free);
    if (r == NULL)
        stream_free(s);
    return r;
}

void
web_events_stop(struct web_events *ev)
{
    if (ev == NULL)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->stopping = true;
    resume_all(ev);
    pthread_cond_broadcast(&ev->wake);
    pthread_mutex_unlock(&ev->mu);
    if (ev->ticker_live)
        pthread_join(ev->ticker, NULL);
    ev->ticker_live = false;
}

void
web_events_free(struct web_events *ev)
{
    if (ev == NULL)
        return;
    web_events_stop(ev);
    free(ev->event);
    pthread_cond_destroy(&ev->wake);
    pthread_mutex_destroy(&ev->mu);
    free(ev);
}
