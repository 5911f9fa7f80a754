/* queue.c: skeleton; see the header contract */
#include "gateway/queue.h"

#include <stddef.h>

const char *
queue_recovery_name(enum queue_recovery what)
{
    (void)what;
    return NULL;
}

struct queue *
queue_open(const char *spool_dir, const struct queue_opts *o, struct errbuf *why)
{
    (void)spool_dir;
    (void)o;
    (void)why;
    return NULL;
}

void
queue_close(struct queue *q)
{
    (void)q;
}

void
queue_set_router(struct queue *q, queue_router_fn fn, void *arg)
{
    (void)q;
    (void)fn;
    (void)arg;
}

void
queue_set_policy(struct queue *q, const struct queue_policy *p)
{
    (void)q;
    (void)p;
}

struct job *
queue_create(struct queue *q, const char *source, struct errbuf *why)
{
    (void)q;
    (void)source;
    (void)why;
    return NULL;
}

int
queue_commit(struct queue *q, struct job *j, struct errbuf *why)
{
    (void)q;
    (void)j;
    (void)why;
    return -1;
}

int
queue_abort(struct queue *q, struct job *j, struct errbuf *why)
{
    (void)q;
    (void)j;
    (void)why;
    return -1;
}

struct job *
queue_claim(struct queue *q, int64_t now_ms, struct errbuf *why)
{
    (void)q;
    (void)now_ms;
    (void)why;
    return NULL;
}

int64_t
queue_wait(struct queue *q, int64_t deadline_ms)
{
    (void)q;
    (void)deadline_ms;
    return -1;
}

int
queue_record(struct queue *q, struct job *j, size_t rcpt, const struct rcpt_outcome *o, struct errbuf *why)
{
    (void)q;
    (void)j;
    (void)rcpt;
    (void)o;
    (void)why;
    return -1;
}

int
queue_release(struct queue *q, struct job *j, struct errbuf *why)
{
    (void)q;
    (void)j;
    (void)why;
    return -1;
}

int64_t
queue_next_try_ms(const struct queue_policy *p, int attempts, int64_t created_ms, int64_t now_ms)
{
    (void)p;
    (void)attempts;
    (void)created_ms;
    (void)now_ms;
    return -1;
}

int
queue_list(struct queue *q, enum job_state state, queue_list_fn fn, void *arg, struct errbuf *why)
{
    (void)q;
    (void)state;
    (void)fn;
    (void)arg;
    (void)why;
    return -1;
}

struct job *
queue_load(struct queue *q, const char *id, struct errbuf *why)
{
    (void)q;
    (void)id;
    (void)why;
    return NULL;
}

int
queue_retry(struct queue *q, const char *id, int64_t now_ms, struct errbuf *why)
{
    (void)q;
    (void)id;
    (void)now_ms;
    (void)why;
    return -1;
}

int
queue_delete(struct queue *q, const char *id, struct errbuf *why)
{
    (void)q;
    (void)id;
    (void)why;
    return -1;
}

int
queue_purge(struct queue *q, int64_t now_ms, struct errbuf *why)
{
    (void)q;
    (void)now_ms;
    (void)why;
    return -1;
}

void
queue_counts(struct queue *q, int64_t now_ms, struct queue_counts *c)
{
    (void)q;
    (void)now_ms;
    (void)c;
}

int
queue_rescan(struct queue *q, bool force, struct errbuf *why)
{
    (void)q;
    (void)force;
    (void)why;
    return -1;
}

const char *
queue_spool_dir(const struct queue *q)
{
    (void)q;
    return NULL;
}
