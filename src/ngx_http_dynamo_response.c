
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * DynamoDB's answer, observed on its way to the client for the activity
 * record and dynamo_status: its size, how long it took, and what the
 * streaming reader finds in it (records, error type and message, consumed
 * capacity).  Nothing is buffered or changed: clients check x-amz-crc32.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


static ngx_http_dynamo_ddb_response_t *ngx_http_dynamo_response_capacity(
    ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx);
static ngx_int_t ngx_http_dynamo_response_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_dynamo_response_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_dynamo_response_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_dynamo_response_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_dynamo_response_body_filter;

    return NGX_OK;
}


/*
 * When the request goes upstream: the reader is made ready, if there is
 * an activity record to take the answer's fields, or dynamo_status counts
 * per identity and the client asked for the capacity its request consumed;
 * otherwise the answer is not looked at.
 */

void
ngx_http_dynamo_response_start(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx)
{
    ngx_http_dynamo_ddb_response_t  *rs;

    /* the body's reader made room for it when a record is written */

    rs = ctx->upstream.rs_mem;

    if (rs == NULL) {
        rs = ngx_http_dynamo_response_capacity(r, ctx);

        if (rs == NULL) {
            return;
        }
    }

    ctx->upstream.rs = rs;

    ngx_http_dynamo_ddb_response_init(rs, ctx->body.op, ctx->body.rq->items);

    ctx->upstream.start = ngx_http_dynamo_time_ns();
}


/*
 * Without an activity record, a reader for the answer's ConsumedCapacity
 * alone: only when the request asked for it (ReturnConsumedCapacity, seen
 * by the request's reader) and the identities' table counts it, so that a
 * request that does not ask costs one test.  NULL: not read.
 */

static ngx_http_dynamo_ddb_response_t *
ngx_http_dynamo_response_capacity(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx)
{
    ngx_http_dynamo_zone_t          *zone;
    ngx_http_dynamo_ddb_response_t  *rs;

    if (!ctx->body.rq->capacity_wanted) {
        return NULL;
    }

    zone = ngx_http_dynamo_get_zone(r);

    if (zone == NULL || zone->sh->idents == NULL) {
        return NULL;
    }

    /* a failure costs the count of this answer's capacity, nothing more */

    rs = ngx_palloc(r->pool, sizeof(ngx_http_dynamo_ddb_response_t));
    if (rs == NULL) {
        return NULL;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: the answer is read for its consumed capacity");

    return rs;
}


static ngx_int_t
ngx_http_dynamo_response_header_filter(ngx_http_request_t *r)
{
    ngx_http_dynamo_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || ctx->upstream.rs == NULL) {
        return ngx_http_next_header_filter(r);
    }

    /* a compressed answer is passed on unread */

    if (r->headers_out.content_encoding
        && r->headers_out.content_encoding->value.len)
    {
        ctx->upstream.skip = 1;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_dynamo_response_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t              *b;
    ngx_chain_t            *cl;
    ngx_http_dynamo_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || ctx->upstream.rs == NULL || ctx->upstream.end) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            ctx->upstream.bytes += b->last - b->pos;

            if (!ctx->upstream.skip && b->last > b->pos) {
                (void) ngx_http_dynamo_ddb_response_feed(ctx->upstream.rs,
                                                         b->pos, b->last);
            }

        } else if (b->in_file) {

            /* buffered to a file by the proxy: counted, not read */

            ctx->upstream.bytes += b->file_last - b->file_pos;
            ctx->upstream.skip = 1;
        }

        if (b->last_buf) {
            ctx->upstream.end = ngx_http_dynamo_time_ns();

            if (!ctx->upstream.skip) {
                (void) ngx_http_dynamo_ddb_response_finish(ctx->upstream.rs);
            }
        }
    }

    return ngx_http_next_body_filter(r, in);
}
