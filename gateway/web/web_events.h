/*
 * web_events - server-sent events: /api/events pushes the status to pages
 *
 * Owns one ticker thread and the open event streams (at most
 * WEB_EVENTS_MAX). Every WEB_EVENTS_TICK_MS, while a stream is open, the
 * ticker asks the builder for the status text once (shared by every tab,
 * so many tabs cost one status build, not one request each against the
 * rate limit) and wakes the streams. A stream with nothing to send is
 * suspended (libmicrohttpd's suspend/resume), never busy-waits and holds
 * no server thread. Callers: gateway/web only.
 * Must not: call the builder under its lock; keep a connection suspended
 * when the daemon stops (web_events_stop() resumes them all: MHD forbids
 * stopping with suspended connections).
 * Errors: web_events_response() returns NULL when the limit is reached (the
 * caller answers 503). Threads: the reader and free callbacks run in MHD's
 * threads, the ticker in its own; one mutex inside.
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_EVENTS_H
#define IFAXGW_GATEWAY_WEB_WEB_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#define WEB_EVENTS_MAX     64   /* streams open at once (one per tab) */
#define WEB_EVENTS_TICK_MS 1000 /* how often the status is pushed */
#define WEB_EVENTS_RETRY_MS 2000 /* the browser's reconnect delay */

/* The status as one JSON text (malloc'ed), or NULL when it failed. */
typedef char *(*web_events_builder)(void *arg);

struct web_events;

/* Starts the ticker. build(arg) is called from the ticker thread. */
struct web_events *web_events_init(web_events_builder build, void *arg);

/* A response streaming text/event-stream to connection c, or NULL when
 * WEB_EVENTS_MAX streams are open. The daemon must run with
 * MHD_ALLOW_SUSPEND_RESUME. */
struct MHD_Response *web_events_response(struct web_events *ev,
                                         struct MHD_Connection *c);

/* End every stream (resumed, told end of stream) and the ticker; call
 * before MHD_stop_daemon(). */
void web_events_stop(struct web_events *ev);

/* Free after MHD_stop_daemon() (its free callbacks touch ev). NULL ok. */
void web_events_free(struct web_events *ev);

#endif
