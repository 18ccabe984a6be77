
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The module's own subrequests, the transport under STS, the credential
 * endpoints and the identity provider's key sets: a subrequest to an
 * internal location, so that the operator's proxy_* settings (TLS
 * verification, timeouts, keepalive) apply.  A subrequest inherits its
 * parent's method, headers and body: here all three are built anew, so
 * nothing of the client's request (its token, its Authorization, its
 * body) ever reaches the location.  The answer is captured, bounded, in
 * the parent's context; what the answer means is its caller's business.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


#define NGX_HTTP_DYNAMO_ANSWER_LIMIT     (64 * 1024)


/*
 * The context of our own subrequests: their answer is captured here by
 * the module's filters, bounded, and never reaches the client.
 */

typedef struct {
    ngx_http_dynamo_ctx_t       *parent;
    ngx_buf_t                   *answer;
    size_t                       limit;
    ngx_uint_t                   overflow;
    ngx_uint_t                   log_level;
    ngx_uint_t                   quiet;
} ngx_http_dynamo_sr_ctx_t;


static ngx_int_t ngx_http_dynamo_subrequest_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static time_t ngx_http_dynamo_subrequest_max_age(ngx_http_request_t *sr);

static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * Starts a subrequest to uri with the given method, headers and body,
 * its answer kept in memory, up to ctx->sub.limit bytes (64 KB when 0,
 * and back to 0 for the next call); the parent runs again when it is
 * done.
 */

ngx_int_t
ngx_http_dynamo_subrequest(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *uri, ngx_uint_t method, void *headers, ngx_uint_t nheaders,
    ngx_str_t *body)
{
    u_char                        *p;
    ngx_buf_t                     *b;
    ngx_uint_t                     i;
    ngx_chain_t                   *cl;
    ngx_table_elt_t               *h;
    ngx_http_request_t            *sr;
    ngx_http_request_body_t       *rb;
    ngx_http_post_subrequest_t    *ps;
    ngx_http_dynamo_sr_ctx_t      *sctx;
    ngx_http_dynamo_aws_header_t  *hd;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dynamo_sr_ctx_t));
    if (sctx == NULL) {
        return NGX_ERROR;
    }

    sctx->parent = ctx;
    sctx->limit = ctx->sub.limit ? ctx->sub.limit
                                 : NGX_HTTP_DYNAMO_ANSWER_LIMIT;

    ctx->sub.limit = 0;

    ps->handler = ngx_http_dynamo_subrequest_done;
    ps->data = sctx;

    ctx->sub.done = 0;
    ctx->sub.rc = NGX_OK;
    ctx->sub.status = 0;
    ctx->sub.answered = 0;
    ctx->sub.overflow = 0;
    ctx->sub.max_age = -1;
    ngx_str_null(&ctx->sub.body);
    ctx->sub.start = ngx_http_dynamo_time_ms();

    if (ngx_http_subrequest(r, uri, NULL, &sr, ps, NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->sub.sr = sr;

    ngx_http_set_ctx(sr, sctx, ngx_http_dynamo_module);

    /* buffers the proxy wrote to a file are read back for the capture */
    sr->filter_need_in_memory = 1;

    sr->method = method;

    switch (method) {

    case NGX_HTTP_POST:
        ngx_str_set(&sr->method_name, "POST");
        break;

    case NGX_HTTP_PUT:
        ngx_str_set(&sr->method_name, "PUT");
        break;

    default: /* NGX_HTTP_GET */
        ngx_str_set(&sr->method_name, "GET");
        break;
    }

    /* nothing of the client's headers, only these */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.content_length_n = body ? (off_t) body->len
                                      : (method == NGX_HTTP_PUT) ? 0 : -1;
    sr->headers_in.keep_alive_n = -1;

    if (ngx_list_init(&sr->headers_in.headers, r->pool, nheaders + 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    hd = headers;

    for (i = 0; i < nheaders; i++) {
        h = ngx_list_push(&sr->headers_in.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->key = hd[i].name;
        h->value = hd[i].value;

        p = ngx_pnalloc(r->pool, h->key.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        h->lowcase_key = p;
        h->hash = ngx_hash_strlow(p, h->key.data, h->key.len);
    }

    /* nor of its body */

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    if (body && body->len) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->pos = body->data;
        b->last = body->data + body->len;
        b->start = b->pos;
        b->end = b->last;
        b->memory = 1;
        b->last_buf = 1;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        cl->next = NULL;

        rb->bufs = cl;
    }

    sr->request_body = rb;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_subrequest_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_dynamo_sr_ctx_t *sctx = data;

    ngx_http_dynamo_ctx_t  *ctx;

    ctx = sctx->parent;

    if (sctx->quiet) {
        sr->connection->log->log_level = sctx->log_level;
        sctx->quiet = 0;
    }

    ctx->sub.done = 1;
    ctx->sub.rc = rc;
    ctx->sub.status = sr->headers_out.status;

    /*
     * a proxied location answers 502 or 504 itself when its upstream
     * cannot be reached or does not answer in time: the upstream's own
     * status line was then never read
     */

    ctx->sub.answered = (sr->upstream == NULL
                        || sr->upstream->headers_in.status_n != 0);

    if (sctx->answer && !sctx->overflow) {
        ctx->sub.body.data = sctx->answer->pos;
        ctx->sub.body.len = sctx->answer->last - sctx->answer->pos;

    } else {
        ngx_str_null(&ctx->sub.body);
    }

    ctx->sub.overflow = sctx->overflow;

    if (sctx->overflow) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "dynamo: the answer of \"%V\" is larger than %uz "
                      "bytes", &sr->uri, sctx->limit);
    }

    if (ctx->sub.answered && sr->upstream) {
        ctx->sub.max_age = ngx_http_dynamo_subrequest_max_age(sr);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "dynamo: subrequest done, rc %i, status %ui, %uz bytes",
                   rc, ctx->sub.status, ctx->sub.body.len);

    return rc;
}


/*
 * The freshness lifetime the answer states, "Cache-Control: max-age=N"
 * as the upstream sent it (s-maxage, for shared caches, is taken alike):
 * -1 when it states none, 0 for no-cache or no-store.
 */

static time_t
ngx_http_dynamo_subrequest_max_age(ngx_http_request_t *sr)
{
    u_char           *p, *last;
    time_t            age, n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    age = -1;

    part = &sr->upstream->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != sizeof("Cache-Control") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               h[i].key.len)
               != 0)
        {
            continue;
        }

        p = h[i].value.data;
        last = p + h[i].value.len;

        if (ngx_strlcasestrn(p, last, (u_char *) "no-cache", 8 - 1) != NULL
            || ngx_strlcasestrn(p, last, (u_char *) "no-store", 8 - 1)
               != NULL)
        {
            return 0;
        }

        p = ngx_strlcasestrn(p, last, (u_char *) "max-age=", 8 - 1);

        if (p == NULL) {
            continue;
        }

        p += 8;
        n = 0;

        while (p < last && *p >= '0' && *p <= '9' && n < 100000000) {
            n = n * 10 + (*p++ - '0');
        }

        if (age == -1 || n < age) {
            age = n;
        }
    }

    return age;
}


/*
 * The proxy module writes the whole request it sends upstream to the
 * debug log, X-Amz-Security-Token included: while the module's own
 * subrequests run, the connection's HTTP debug output is held back, and
 * a summary without secrets is logged instead.
 */

ngx_int_t
ngx_http_dynamo_quiet_handler(ngx_http_request_t *r)
{
    ngx_log_t                 *log;
    ngx_http_dynamo_sr_ctx_t  *sctx;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    sctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (sctx == NULL || sctx->quiet) {
        return NGX_DECLINED;
    }

    log = r->connection->log;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "dynamo: %V \"%V\", its debug log is held back until it "
                   "is done: it carries credentials",
                   &r->method_name, &r->uri);

    sctx->log_level = log->log_level;
    sctx->quiet = 1;

    log->log_level &= ~NGX_LOG_DEBUG_HTTP;

    return NGX_DECLINED;
}


/*
 * Output filters: the answers of the module's own subrequests are taken
 * here, and go no further.
 */

ngx_int_t
ngx_http_dynamo_capture_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_dynamo_capture_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_dynamo_capture_body_filter;

    return NGX_OK;
}


ngx_int_t
ngx_http_dynamo_capture_header_filter(ngx_http_request_t *r)
{
    if (r == r->main
        || ngx_http_get_module_ctx(r, ngx_http_dynamo_module) == NULL)
    {
        return ngx_http_next_header_filter(r);
    }

    r->header_sent = 1;
    r->filter_need_in_memory = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_dynamo_capture_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                     len, size;
    ngx_buf_t                 *b, *nb;
    ngx_chain_t               *cl;
    ngx_http_dynamo_sr_ctx_t  *sctx;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    sctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (sctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        len = ngx_buf_in_memory(b) ? (size_t) (b->last - b->pos) : 0;

        if (len && !sctx->overflow) {

            if (sctx->answer == NULL
                || (size_t) (sctx->answer->end - sctx->answer->last) < len)
            {
                size = (sctx->answer ? (size_t) (sctx->answer->last
                                                 - sctx->answer->pos) : 0)
                       + len;

                if (size > sctx->limit) {
                    sctx->overflow = 1;
                    goto consumed;
                }

                size = ngx_max(size * 2, 4096);
                size = ngx_min(size, sctx->limit);

                nb = ngx_create_temp_buf(r->pool, size);
                if (nb == NULL) {
                    return NGX_ERROR;
                }

                if (sctx->answer) {
                    nb->last = ngx_cpymem(nb->pos, sctx->answer->pos,
                                          sctx->answer->last
                                          - sctx->answer->pos);
                    ngx_explicit_memzero(sctx->answer->pos,
                                         sctx->answer->last
                                         - sctx->answer->pos);
                }

                sctx->answer = nb;
            }

            sctx->answer->last = ngx_cpymem(sctx->answer->last, b->pos, len);
        }

    consumed:

        b->pos = b->last;

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}
