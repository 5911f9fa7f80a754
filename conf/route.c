/* route - route matching and subject templates (contract in conf/route.h) */
#include "conf/route.h"

#include <stdio.h>

const struct config_route *
route_match(const struct config *cf, const struct route_query *q, char *why,
            size_t why_len)
{
    (void)cf;
    (void)q;
    if (why != NULL && why_len > 0)
        snprintf(why, why_len, "route matching not built yet");
    return NULL;
}

size_t
route_expand(const char *tmpl, const struct route_vars *v, char *out, size_t n)
{
    (void)tmpl;
    (void)v;
    if (n > 0)
        out[0] = '\0';
    return 0;
}

size_t
route_subject(const struct config_route *r, const struct route_vars *v,
              char *out, size_t n)
{
    return route_expand(r->subject, v, out, n);
}
