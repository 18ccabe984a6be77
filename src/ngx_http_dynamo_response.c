
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * DynamoDB's answer, observed on its way to the client for the activity
 * record: its size, how long it took, and what the streaming reader finds
 * in it (records, error type and message, consumed capacity).  Nothing is
 * buffered or changed: clients check x-amz-crc32.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


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
 * an activity record to take the answer's fields; without one the answer
 * is not looked at.
 */

void
ngx_http_dynamo_response_start(ngx_http_dynamo_ctx_t *ctx)
{
    /* the body's reader made room for it when a record is written */

    if (ctx->upstream.rs_mem == NULL) {
        return;
    }

    ctx->upstream.rs = ctx->upstream.rs_mem;

    ngx_http_dynamo_ddb_response_init(ctx->upstream.rs, ctx->body.op,
                                      ctx->body.rq->items);

    ctx->upstream.start = ngx_http_dynamo_time_ns();
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
