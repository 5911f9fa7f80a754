/* job.c: skeleton; see the header contract */
#include "gateway/job.h"

#include <stddef.h>

const char *
job_state_name(enum job_state s)
{
    (void)s;
    return NULL;
}

int
job_state_parse(const char *name)
{
    (void)name;
    return -1;
}

const char *
rcpt_state_name(enum rcpt_state s)
{
    (void)s;
    return NULL;
}

int
rcpt_state_parse(const char *name)
{
    (void)name;
    return -1;
}

const char *
rcpt_mode_name(enum rcpt_mode m)
{
    (void)m;
    return NULL;
}

int
rcpt_mode_parse(const char *name)
{
    (void)name;
    return -1;
}

const char *
rcpt_format_name(enum rcpt_format f)
{
    (void)f;
    return NULL;
}

int
rcpt_format_parse(const char *name)
{
    (void)name;
    return -1;
}

const char *
rcpt_tls_name(enum rcpt_tls t)
{
    (void)t;
    return NULL;
}

int
rcpt_tls_parse(const char *name)
{
    (void)name;
    return -1;
}

struct job *
job_free(struct job *j)
{
    (void)j;
    return NULL;
}

const char *
job_path(const struct job *j, const char *file, char *buf, size_t n)
{
    (void)j;
    (void)file;
    (void)buf;
    (void)n;
    return NULL;
}

int
job_set_line(struct job *j, const char *line, struct errbuf *why)
{
    (void)j;
    (void)line;
    (void)why;
    return -1;
}

int
job_set_csid(struct job *j, const char *csid, struct errbuf *why)
{
    (void)j;
    (void)csid;
    (void)why;
    return -1;
}

int
job_set_caller(struct job *j, const char *caller, struct errbuf *why)
{
    (void)j;
    (void)caller;
    (void)why;
    return -1;
}

int
job_set_called(struct job *j, const char *called, struct errbuf *why)
{
    (void)j;
    (void)called;
    (void)why;
    return -1;
}

int
job_set_partial(struct job *j, const char *reason, struct errbuf *why)
{
    (void)j;
    (void)reason;
    (void)why;
    return -1;
}

int
job_set_route(struct job *j, const char *route, const char *subject, const char *notify, struct errbuf *why)
{
    (void)j;
    (void)route;
    (void)subject;
    (void)notify;
    (void)why;
    return -1;
}

void
job_set_record(struct job *j, json_t *record)
{
    (void)j;
    (void)record;
}

int
job_add_rcpt(struct job *j, const struct rcpt_spec *r, struct errbuf *why)
{
    (void)j;
    (void)r;
    (void)why;
    return -1;
}

bool
job_rcpt_due(const struct job *j, size_t i, int64_t now_ms)
{
    (void)j;
    (void)i;
    (void)now_ms;
    return false;
}

int64_t
job_next_due_ms(const struct job *j)
{
    (void)j;
    return -1;
}

bool
job_final(const struct job *j)
{
    (void)j;
    return false;
}

json_t *
job_to_json(const struct job *j)
{
    (void)j;
    return NULL;
}

int
job_from_json(struct job *j, const json_t *meta, struct errbuf *why)
{
    (void)j;
    (void)meta;
    (void)why;
    return -1;
}

int
job_count_pages(const char *path, struct errbuf *why)
{
    (void)path;
    (void)why;
    return -1;
}
