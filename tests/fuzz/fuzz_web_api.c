/* fuzz_web_api - gateway/web/web_api request routing, query and body parsing.
 * Input: method byte, then "path?query", a newline, then the body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/web/web_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    char query[512];
};

static const char *
fz_query(void *ctx, const char *name)
{
    struct fz *f = ctx;
    size_t n = strlen(name);
    char *p = f->query;

    while (p != NULL && *p) {
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            return p + n + 1;
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return NULL;
}

static int
fz_show(void *arg, const char *id, json_t **job, struct errbuf *why)
{
    (void)arg;
    (void)why;
    *job = json_pack("{s:s}", "id", id);
    return 0;
}

static int
fz_ok(void *arg, const char *id, struct errbuf *why)
{
    (void)arg;
    (void)id;
    (void)why;
    return 0;
}

static int
fz_resend(void *arg, const char *id, const char *to, char *new_id,
          struct errbuf *why)
{
    (void)arg;
    (void)id;
    (void)to;
    (void)new_id;
    return errbuf_set(why, ERR_PERM, "", "refused");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE"};
    struct web_sources src = {0};
    struct web_api_env env = {&src, NULL, NULL};
    struct web_api_request rq = {0};
    struct web_reply out = {0};
    struct fz f = {{0}};
    char path[1024], *q, *body;
    const uint8_t *nl;
    size_t plen;

    if (size < 1)
        return 0;
    src.show = fz_show;
    src.retry = fz_ok;
    src.remove = fz_ok;
    src.resend = fz_resend;
    rq.method = methods[data[0] & 3];
    data++;
    size--;
    nl = memchr(data, '\n', size);
    plen = nl ? (size_t)(nl - data) : size;
    if (plen >= sizeof path)
        return 0;
    memcpy(path, data, plen);
    path[plen] = '\0';
    if (strlen(path) != plen)
        return 0; /* libmicrohttpd never passes a NUL in the path */
    if ((q = strchr(path, '?')) != NULL) {
        *q++ = '\0';
        strncpy(f.query, q, sizeof f.query - 1);
    }
    body = malloc(size - plen + 1);
    memcpy(body, data + plen, size - plen);
    body[size - plen] = '\0';
    rq.path = path;
    rq.query = fz_query;
    rq.ctx = &f;
    rq.body = nl ? body + 1 : NULL;
    rq.body_len = nl ? size - plen - 1 : 0;
    web_api_handle(&env, &rq, &out);
    if (out.status < 200 || out.status > 599)
        abort();
    free(out.body);
    free(body);
    return 0;
}
