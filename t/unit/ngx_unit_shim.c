
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The few nginx core functions the module's leaf parsers and encoders may
 * call, so that they can be unit-tested and fuzzed outside nginx: pool
 * allocation (every block is freed with the pool), logging, zeroing
 * secrets, and the time: nginx's cached time (never updated here) and its
 * calendar, ngx_gmtime(), given by the C library's gmtime_r() in the
 * fields and the counting nginx uses (months from 1, the full year).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>


typedef struct ngx_unit_block_s  ngx_unit_block_t;

struct ngx_unit_block_s {
    ngx_unit_block_t  *next;
};


/* a log for pools created without one: everything reaches the shim */

static ngx_log_t  ngx_unit_log = { NGX_LOG_DEBUG_ALL, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0 };


/* the shim's pool keeps its blocks on a list hung off pool->d.last */

ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *pool;

    (void) size;

    pool = calloc(1, sizeof(ngx_pool_t));
    if (pool == NULL) {
        return NULL;
    }

    pool->log = (log != NULL) ? log : &ngx_unit_log;

    return pool;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_unit_block_t    *b, *next;
    ngx_pool_cleanup_t  *c, *cn;

    for (c = pool->cleanup; c; c = cn) {
        cn = c->next;

        if (c->handler) {
            c->handler(c->data);
        }

        free(c);
    }

    for (b = (ngx_unit_block_t *) pool->d.last; b; b = next) {
        next = b->next;
        free(b);
    }

    free(pool);
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    ngx_unit_block_t  *b;

    b = malloc(sizeof(ngx_unit_block_t) + NGX_ALIGNMENT + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = (ngx_unit_block_t *) pool->d.last;
    pool->d.last = (u_char *) b;

    return (u_char *) b + ngx_align(sizeof(ngx_unit_block_t), NGX_ALIGNMENT);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_palloc(pool, size);

    if (p) {
        memset(p, 0, size);
    }

    return p;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = calloc(1, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = ngx_palloc(p, size);
        if (c->data == NULL) {
            free(c);
            return NULL;
        }
    }

    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


/* a zeroing the compiler may not drop, as the C library's */

void
ngx_explicit_memzero(void *buf, size_t n)
{
    explicit_bzero(buf, n);
}


volatile ngx_time_t  *ngx_cached_time;


void
ngx_gmtime(time_t t, ngx_tm_t *tp)
{
    (void) gmtime_r(&t, tp);

    tp->ngx_tm_mon++;
    tp->ngx_tm_year += 1900;
}


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    (void) log;
    (void) err;

    /* nginx's formats are not printf's: the format alone is shown */

    if (getenv("NGX_UNIT_VERBOSE") != NULL) {
        fprintf(stderr, "[%lu] %s\n", (unsigned long) level, fmt);
    }
}
