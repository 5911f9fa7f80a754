/*
 * web_calls - the call log in the web API: /api/calls, /api/calls/ID,
 * /api/calls.csv
 *
 * The handlers behind the page's Calls view (docs/web-api.md): a page of
 * call summaries with search and filters, newest first; one call with its
 * T.30 ladder (gateway/intake/calllog's calllog_ladder over t30/ladder) and the
 * raw transcript; the filtered log as CSV. The call log reaches the web
 * server like the queue does, through struct web_sources (calls, call);
 * web_calls_sources() fills them from a struct calllog.
 * Every string goes out through jansson (JSON) or the CSV quoting below,
 * once; far-end text is never interpreted.
 * Errors: JSON {"error": ...} with 400 (bad query), 404, 501 (no call
 * log), 503 (I/O). Threads: any (struct calllog locks).
 */
#ifndef IFAXGW_GATEWAY_WEB_WEB_CALLS_H
#define IFAXGW_GATEWAY_WEB_WEB_CALLS_H

#include "gateway/intake/calllog.h"
#include "gateway/web/web.h"
#include "gateway/web/web_api.h"

#define WEB_CALLS_Q_MAX 100 /* bytes of a search text */

/* Set src->calls_arg, calls and call from cl (borrowed). */
void web_calls_sources(struct calllog *cl, struct web_sources *src);

/* Answer a path that starts with /api/calls. */
void web_calls_handle(const struct web_api_env *env,
                      const struct web_api_request *rq, struct web_reply *out);

#endif
