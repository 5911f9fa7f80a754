/* capcache - learned CONNEG capabilities; see capcache.h */
#include "smtp/capcache.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gateway/util/xalloc.h"

#define CAPCACHE_VERSION 1

struct capcache {
    pthread_mutex_t lock; /* guards map */
    char *path;
    json_t *map; /* { key: { "caps": s, "learned_ms": i } } */
};

/* Address with the domain lower-cased (RFC 5321 2.4: local parts may be
 * case-sensitive, domains are not). Caller frees. */
static char *
cache_key(const char *rcpt)
{
    char *k = xstrdup(rcpt), *at = strrchr(k, '@');

    for (; at != NULL && *at != '\0'; at++)
        *at = (char)tolower((unsigned char)*at);
    return k;
}

static bool
printable(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1), i;

    if (n == 0 || n > max)
        return false;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return true;
}

static int
fsync_dir_of(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

    if (fd != -1) {
        rc = fsync(fd);
        close(fd);
    }
    free(copy);
    return rc;
}

/* Write the map to path.tmp, fsync, rename, fsync the directory. */
static int
save_locked(struct capcache *c, struct errbuf *why)
{
    json_t *doc =
        json_pack("{s:i, s:O}", "version", CAPCACHE_VERSION, "caps", c->map);
    char *tmp = xasprintf("%s.tmp", c->path);
    int fd = -1;

    if (doc == NULL)
        goto fail_nomem;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1 || json_dumpfd(doc, fd, JSON_COMPACT | JSON_SORT_KEYS) != 0 ||
        fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, c->path) != 0 || fsync_dir_of(c->path) != 0)
        goto fail;
    json_decref(doc);
    free(tmp);
    return 0;
fail:
    errbuf_errno(why, "capability cache %s", c->path);
    if (fd != -1)
        close(fd);
    (void)unlink(tmp);
    json_decref(doc);
    free(tmp);
    return -1;
fail_nomem:
    free(tmp);
    return errbuf_set(why, ERR_TEMP, "", "capability cache: out of memory");
}

/* Keep only well-formed entries of a loaded file. */
static json_t *
load_map(const json_t *doc)
{
    json_t *in = json_object_get(doc, "caps"), *out = json_object(), *v;
    const char *k;

    if (!json_is_object(in))
        return out;
    json_object_foreach((json_t *)in, k, v)
    {
        json_t *caps = json_object_get(v, "caps");
        json_t *when = json_object_get(v, "learned_ms");

        if (json_is_string(caps) && json_is_integer(when) &&
            printable(json_string_value(caps), CAPCACHE_CAPS_MAX) &&
            printable(k, 320))
            json_object_set(out, k, v);
    }
    return out;
}

struct capcache *
capcache_open(const char *path, struct errbuf *why)
{
    struct capcache *c;
    json_error_t jerr;
    json_t *doc;

    if (path == NULL || path[0] == '\0') {
        errbuf_set(why, ERR_PERM, "", "capability cache: no path");
        return NULL;
    }
    c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->path = xstrdup(path);
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc != NULL && json_is_object(doc)) {
        c->map = load_map(doc);
    } else {
        c->map = json_object();
        if (access(path, F_OK) == 0) {
            char *bad = xasprintf("%s.bad", path);

            (void)rename(path, bad);
            errbuf_set(why, ERR_TEMP, "",
                       "capability cache %s unreadable "
                       "(line %d: %s), set aside as %s",
                       path, jerr.line, jerr.text, bad);
            free(bad);
        }
    }
    json_decref(doc);
    return c;
}

void
capcache_free(struct capcache *c)
{
    if (c == NULL)
        return;
    json_decref(c->map);
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c);
}

/* Over the limit: drop the oldest entry. */
static void
trim_locked(struct capcache *c)
{
    const char *k, *oldest = NULL;
    json_int_t min = 0;
    json_t *v;

    if (json_object_size(c->map) <= CAPCACHE_ENTRIES_MAX)
        return;
    json_object_foreach(c->map, k, v)
    {
        json_int_t t = json_integer_value(json_object_get(v, "learned_ms"));

        if (oldest == NULL || t < min)
            oldest = k, min = t;
    }
    if (oldest != NULL)
        json_object_del(c->map, oldest);
}

int
capcache_put(struct capcache *c, const char *rcpt, const char *caps,
             int64_t now_ms, struct errbuf *why)
{
    char *key;
    json_t *v;
    int rc;

    if (!printable(caps, CAPCACHE_CAPS_MAX) || !printable(rcpt, 320))
        return errbuf_set(why, ERR_PERM, "", "capability not cacheable");
    key = cache_key(rcpt);
    v = json_pack("{s:s, s:I}", "caps", caps, "learned_ms", (json_int_t)now_ms);
    pthread_mutex_lock(&c->lock);
    json_object_set_new(c->map, key, v);
    trim_locked(c);
    rc = save_locked(c, why);
    pthread_mutex_unlock(&c->lock);
    free(key);
    return rc;
}

int
capcache_get(struct capcache *c, const char *rcpt, int64_t now_ms,
             int max_age_s, char *buf, size_t n, int64_t *learned_ms)
{
    char *key = cache_key(rcpt);
    int found = 0;
    json_t *v;

    pthread_mutex_lock(&c->lock);
    v = json_object_get(c->map, key);
    if (v != NULL) {
        const char *caps = json_string_value(json_object_get(v, "caps"));
        int64_t t = json_integer_value(json_object_get(v, "learned_ms"));

        if (caps != NULL && now_ms - t < (int64_t)max_age_s * 1000 &&
            now_ms >= t && strlen(caps) < n) {
            memcpy(buf, caps, strlen(caps) + 1);
            if (learned_ms != NULL)
                *learned_ms = t;
            found = 1;
        }
    }
    pthread_mutex_unlock(&c->lock);
    free(key);
    return found;
}

int
capcache_forget(struct capcache *c, const char *rcpt, struct errbuf *why)
{
    char *key = cache_key(rcpt);
    int rc = 0;

    pthread_mutex_lock(&c->lock);
    if (json_object_del(c->map, key) == 0)
        rc = save_locked(c, why);
    pthread_mutex_unlock(&c->lock);
    free(key);
    return rc;
}

void
capcache_walk(struct capcache *c, capcache_walk_fn fn, void *arg)
{
    const char *k;
    json_t *v, *copy;

    pthread_mutex_lock(&c->lock);
    copy = json_deep_copy(c->map);
    pthread_mutex_unlock(&c->lock);
    json_object_foreach(copy, k, v)
    {
        if (fn(arg, k, json_string_value(json_object_get(v, "caps")),
               json_integer_value(json_object_get(v, "learned_ms"))) != 0)
            break;
    }
    json_decref(copy);
}
