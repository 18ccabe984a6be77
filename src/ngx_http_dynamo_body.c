
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The client's DynamoDB request body, read whole in the access phase so
 * that the operation, the tables and the policy are known before any
 * credentials are fetched.  A request body filter sees each piece as it
 * arrives, before nginx writes it to a temp file: it hashes it for the
 * signature and feeds the streaming request reader, so a body of many
 * megabytes is never read twice nor held in memory.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_http_dynamo_sigv4.h"
#include "ngx_http_dynamo_ddb.h"

#if (NGX_HTTP_DYNAMO_VALGRIND)
#include <valgrind/memcheck.h>
#endif


/* blocks a worker keeps: how many, and up to which size */
#define NGX_HTTP_DYNAMO_SPARE_MAX      16
#define NGX_HTTP_DYNAMO_SPARE_SIZE     (64 * 1024)

#define NGX_HTTP_DYNAMO_SPARE_HEADER                                         \
    ngx_align(sizeof(ngx_http_dynamo_spare_t), 16)


static void *ngx_http_dynamo_readers_alloc(ngx_http_request_t *r,
    size_t size);
static void ngx_http_dynamo_readers_free(void *data);
static void ngx_http_dynamo_readers_cleanup(void *data);
static void ngx_http_dynamo_body_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_dynamo_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;


ngx_int_t
ngx_http_dynamo_body_init(ngx_conf_t *cf)
{
    ngx_pool_cleanup_t  *cln;

    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_dynamo_request_body_filter;

    /* the blocks a process kept are freed with its configuration */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_dynamo_readers_cleanup;
    cln->data = ngx_http_conf_get_module_main_conf(cf,
                                                   ngx_http_dynamo_module);

    return NGX_OK;
}


/*
 * Starts reading the body: NGX_OK when it is complete already, NGX_DONE
 * when the phases resume once it is, NGX_DECLINED when the request is
 * refused (reason in ctx), an HTTP status (413) or NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_body_read(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    u_char     *p;
    size_t      size, rs, stmt;
    ngx_int_t   rc;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                    "DynamoDB requests are POST, not %V",
                                    ngx_http_dynamo_printable(r,
                                                        &r->method_name, 32));
    }

    if (ctx->caller.target == NULL) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                    "the X-Amz-Target header is missing");
    }

    ctx->body.op = ngx_http_dynamo_ddb_operation(ctx->caller.target);

    if (ctx->body.op == NULL) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                    "unknown operation \"%V\" in "
                                    "X-Amz-Target",
                                    ngx_http_dynamo_printable(r,
                                                    ctx->caller.target, 128));
    }

    /*
     * The request is signed for "/", and the target the proxy sends must
     * be just that: the client's own, byte for byte, unless a rewrite
     * replaced it.  "/%2F" or "/./" are "/" once nginx has normalised
     * them, yet would be forwarded raw.
     */

    if (r->uri.len != 1
        || r->args.len
        || (r->valid_unparsed_uri
            && (r->unparsed_uri.len != 1 || r->unparsed_uri.data[0] != '/')))
    {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                    "DynamoDB requests are made to \"/\", "
                                    "not \"%V\"",
                                    ngx_http_dynamo_printable(r,
                                                              &r->unparsed_uri,
                                                              64));
    }

    /*
     * The request's reader, and with an activity record the answer's
     * reader and the statement's buffer after it, in one allocation
     */

    size = ngx_align(sizeof(ngx_http_dynamo_ddb_request_t), NGX_ALIGNMENT);
    rs = size;

    if (dlcf->activity_log) {
        size += sizeof(ngx_http_dynamo_ddb_response_t);
    }

    stmt = size;
    size += ctx->body.stmt_max;

    p = ngx_http_dynamo_readers_alloc(r, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->body.rq = (ngx_http_dynamo_ddb_request_t *) p;

    if (dlcf->activity_log) {
        ctx->upstream.rs_mem = (ngx_http_dynamo_ddb_response_t *) (p + rs);
    }

    ngx_http_dynamo_ddb_request_init(ctx->body.rq, ctx->body.op,
                                     ctx->body.stmt_mode,
                                     ctx->body.stmt_max ? p + stmt : NULL,
                                     ctx->body.stmt_max);

    if (ngx_http_dynamo_sigv4_payload_hash_init(&ctx->body.sha) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->body.reading = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_dynamo_body_done);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ctx->body.read) {
        /* the body was all there: read_client_request_body() counted */
        r->main->count--;
        return ngx_http_dynamo_body_check(r, ctx);
    }

    ctx->body.async = 1;

    /* the phases resume in ngx_http_dynamo_body_done() */

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/*
 * The readers' block: the worker's last one of the same size when it has
 * one, and given back to it when the request ends.  Only what the readers'
 * init functions clear is read, as from a new allocation.  Under valgrind
 * a kept block may not be touched, and one handed out again is undefined:
 * memcheck sees a use after the request, or a read of what the last
 * request left, as it would with malloc() and free().
 */

static void *
ngx_http_dynamo_readers_alloc(ngx_http_request_t *r, size_t size)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_dynamo_spare_t      *s;
    ngx_http_dynamo_main_conf_t  *dmcf;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    s = dmcf->spare;

    if (s != NULL && s->size == size) {
        dmcf->spare = s->next;
        dmcf->nspare--;

#if (NGX_HTTP_DYNAMO_VALGRIND)
        VALGRIND_MAKE_MEM_UNDEFINED((u_char *) s
                                    + NGX_HTTP_DYNAMO_SPARE_HEADER, size);
#endif

    } else {
        s = ngx_alloc(NGX_HTTP_DYNAMO_SPARE_HEADER + size,
                      r->connection->log);
        if (s == NULL) {
            return NULL;
        }

        s->size = size;
        s->conf = dmcf;
    }

    cln->handler = ngx_http_dynamo_readers_free;
    cln->data = s;

    return (u_char *) s + NGX_HTTP_DYNAMO_SPARE_HEADER;
}


static void
ngx_http_dynamo_readers_free(void *data)
{
    ngx_http_dynamo_spare_t *s = data;

#if !(defined __SANITIZE_ADDRESS__)

    /* with AddressSanitizer none is kept: a use after the request shows */

    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = s->conf;

    if (dmcf->nspare < NGX_HTTP_DYNAMO_SPARE_MAX
        && s->size <= NGX_HTTP_DYNAMO_SPARE_SIZE)
    {
        s->next = dmcf->spare;
        dmcf->spare = s;
        dmcf->nspare++;

#if (NGX_HTTP_DYNAMO_VALGRIND)
        VALGRIND_MAKE_MEM_NOACCESS((u_char *) s
                                   + NGX_HTTP_DYNAMO_SPARE_HEADER, s->size);
#endif

        return;
    }

#endif

    ngx_free(s);
}


static void
ngx_http_dynamo_readers_cleanup(void *data)
{
    ngx_http_dynamo_main_conf_t *dmcf = data;

    ngx_http_dynamo_spare_t  *s;

    while (dmcf->spare) {
        s = dmcf->spare;
        dmcf->spare = s->next;
        ngx_free(s);
    }

    dmcf->nspare = 0;
}


static void
ngx_http_dynamo_body_done(ngx_http_request_t *r)
{
    ngx_http_dynamo_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    ctx->body.read = 1;

    /*
     * reading may have left the empty handler in place, even when it
     * ended at once: the phases resume here, or after a subrequest
     */

    r->write_event_handler = ngx_http_core_run_phases;

    if (ctx->body.async) {
        ngx_http_core_run_phases(r);
    }
}


/*
 * The body has been read: is it a DynamoDB request (one JSON object),
 * and what does it touch.  NGX_OK, NGX_DECLINED or NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_body_check(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_uint_t  i;

    if (ctx->body.checked) {
        return ctx->err ? NGX_DECLINED : NGX_OK;
    }

    ctx->body.checked = 1;
    ctx->body.reading = 0;

    /* an empty body never passed the filter */

    if (!ctx->body.hashed) {
        if (ngx_http_dynamo_sigv4_payload_hash_final(&ctx->body.sha,
                                                     ctx->body.payload_hash)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->body.hashed = 1;
    }

    if (ngx_http_dynamo_ddb_request_finish(ctx->body.rq) != NGX_OK) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                    "%V", &ctx->body.rq->message);
    }

    ctx->body.tables.nelts = ctx->body.rq->ntables;
    ctx->body.tables.elts = ctx->body.rq->tables;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: %V on %ui tables, %O bytes",
                   &ctx->body.op->name, ctx->body.rq->ntables, ctx->body.bytes);

    for (i = 0; i < ctx->body.rq->ntables; i++) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dynamo: table \"%V\"",
                       ngx_http_dynamo_printable(r, &ctx->body.rq->tables[i],
                                                 256));
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_request_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                  len;
    ngx_buf_t              *b;
    ngx_chain_t            *cl;
    ngx_http_dynamo_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_request_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || !ctx->body.reading) {
        return ngx_http_next_request_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        len = ngx_buf_in_memory(b) ? (size_t) (b->last - b->pos) : 0;

        if (len) {
            ctx->body.bytes += len;

            if (ngx_http_dynamo_sigv4_payload_hash_update(&ctx->body.sha,
                                                          b->pos, len)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            /* after an error, the reader only keeps the statement */

            (void) ngx_http_dynamo_ddb_request_feed(ctx->body.rq, b->pos,
                                                    b->last);
        }

        if (b->last_buf && !ctx->body.hashed) {
            if (ngx_http_dynamo_sigv4_payload_hash_final(&ctx->body.sha,
                                                         ctx->body.payload_hash)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ctx->body.hashed = 1;
        }
    }

    return ngx_http_next_request_body_filter(r, in);
}
