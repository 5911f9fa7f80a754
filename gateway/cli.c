/* cli - shared subcommand plumbing; contract in cli.h */
#include "gateway/cli.h"

#include <stdio.h>
#include <unistd.h>

#include "gateway/spool/router.h"

struct config *
cli_config_load(const char *path)
{
    struct config_errors errs;
    struct config *cf;

    if (path == NULL && access(CONFIG_DEFAULT_FILE, F_OK) == 0)
        path = CONFIG_DEFAULT_FILE;
    if (path == NULL) {
        fprintf(stderr, "ifaxgw: no %s: using the embedded default "
                        "configuration\n", CONFIG_DEFAULT_FILE);
        return config_default();
    }
    cf = config_load(path, &errs);
    if (cf == NULL) {
        for (int i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.msg[i]);
        if (errs.dropped)
            fprintf(stderr, "(%d more problems)\n", errs.dropped);
    }
    return cf;
}

struct queue *
cli_queue_open(const struct config *cf, const char *spool_override, bool daemon)
{
    struct queue_policy pol = {
        .retry_s = cf->smtp.retry_s,
        .n_retry = (size_t)cf->smtp.n_retry,
        .expiry_s = cf->smtp.expiry_s,
        .retention_s = cf->gateway.retention_s,
    };
    struct queue_opts o = {.policy = &pol, .daemon = daemon,
                           .hostname = cf->smtp.hostname,
                           .router = router_route_job};
    struct errbuf why;
    const char *spool = spool_override ? spool_override : cf->gateway.spool;
    struct queue *q = queue_open(spool, &o, &why);

    if (q == NULL)
        fprintf(stderr, "ifaxgw: %s\n", why.text); /* names the spool */
    return q;
}
