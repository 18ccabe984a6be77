
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * nginx's own error pages in a gateway location (a body over the limit, a
 * malformed request, DynamoDB unreachable or silent, a limit_req refusal),
 * answered in DynamoDB's JSON error shape instead of HTML, and recorded.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


/*
 * What an error page of nginx's becomes in a gateway location: the type an
 * SDK names its exception after and decides to retry on (5xx, throttling
 * and request timeouts are retried, the rest is not), and our message.
 */

typedef struct {
    ngx_uint_t                   status;
    ngx_uint_t                   err;
    char                        *message;
} ngx_http_dynamo_page_t;


static ngx_http_dynamo_page_t  ngx_http_dynamo_pages[] = {

    { NGX_HTTP_BAD_REQUEST, NGX_HTTP_DYNAMO_ERR_VALIDATION,
      "the request could not be parsed" },

    { NGX_HTTP_FORBIDDEN, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
      "access to this location is denied" },

    { NGX_HTTP_REQUEST_TIME_OUT, NGX_HTTP_DYNAMO_ERR_TIMEOUT,
      "the request was not received in time" },

    { NGX_HTTP_LENGTH_REQUIRED, NGX_HTTP_DYNAMO_ERR_VALIDATION,
      "the request body has no length" },

    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, NGX_HTTP_DYNAMO_ERR_VALIDATION,
      "the request body is larger than the gateway accepts" },

    { NGX_HTTP_REQUEST_URI_TOO_LARGE, NGX_HTTP_DYNAMO_ERR_VALIDATION,
      "the request target is too long" },

    { NGX_HTTP_TOO_MANY_REQUESTS, NGX_HTTP_DYNAMO_ERR_THROTTLED,
      "too many requests" },

    { NGX_HTTP_BAD_GATEWAY, NGX_HTTP_DYNAMO_ERR_INTERNAL,
      "DynamoDB could not be reached" },

    { NGX_HTTP_SERVICE_UNAVAILABLE, NGX_HTTP_DYNAMO_ERR_THROTTLED,
      "too many requests" },

    { NGX_HTTP_GATEWAY_TIME_OUT, NGX_HTTP_DYNAMO_ERR_INTERNAL,
      "DynamoDB did not answer in time" },

    /* any other status: the kind of its class */

    { NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_DYNAMO_ERR_INTERNAL,
      "the gateway failed" },

    { 0, NGX_HTTP_DYNAMO_ERR_VALIDATION, "the request was refused" }
};


static ngx_int_t ngx_http_dynamo_page_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_dynamo_page_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * The kind and message of an error nginx itself raised with this status,
 * for the page and the activity record (a 408 of a body not received in
 * time gets no page: nginx closes the connection, the record still says
 * what happened)
 */

ngx_int_t
ngx_http_dynamo_nginx_error(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t status)
{
    ngx_http_dynamo_page_t  *page;

    for (page = ngx_http_dynamo_pages; page->status; page++) {
        if (page->status == status
            || (page->status == NGX_HTTP_INTERNAL_SERVER_ERROR
                && status > NGX_HTTP_INTERNAL_SERVER_ERROR))
        {
            break;
        }
    }

    if (ngx_http_dynamo_set_error(r, ctx, page->err, "%s", page->message)
        != NGX_DECLINED)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_dynamo_page_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_dynamo_page_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_dynamo_page_body_filter;

    return NGX_OK;
}


/*
 * nginx's own error page (r->err_status is set by the special response
 * handler only; DynamoDB's answers pass through the proxy without it) in a
 * gateway location: its HTML is replaced by DynamoDB's error shape, with
 * the status nginx chose, and the activity record gets the error.  Errors
 * nginx raises before it picks a location (a malformed request line or
 * header) see the server's configuration: they take this shape where the
 * server itself has "dynamo_access on".
 */

static ngx_int_t
ngx_http_dynamo_page_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                   status;
    ngx_http_dynamo_ctx_t       *ctx;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    status = r->err_status;

    if (r != r->main || status < NGX_HTTP_BAD_REQUEST) {
        return ngx_http_next_header_filter(r);
    }

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);

    if (dlcf == NULL || !dlcf->access) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_dynamo_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (!ctx->begun) {

        /* refused before the access phase: a record all the same */

        ctx->begun = 1;
        ctx->start_ns = (uint64_t) r->start_sec * 1000000000
                        + (uint64_t) r->start_msec * 1000000;
    }

    if (ctx->err == NGX_HTTP_DYNAMO_OK
        && ngx_http_dynamo_nginx_error(r, ctx, status) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dynamo: %ui answered as %V", status,
                  ngx_http_dynamo_error_type(ctx->err));

    /* no DynamoDB answer to read: the record's bytes are the page's */

    ctx->upstream.rs = NULL;

    ctx->page = ngx_http_dynamo_error_body(r, ctx);
    if (ctx->page == NULL) {
        return NGX_ERROR;
    }

    if (ctx->err == NGX_HTTP_DYNAMO_ERR_THROTTLED) {

        /* DynamoDB throttles with 400; SDKs retry it by its type */

        r->headers_out.status = NGX_HTTP_BAD_REQUEST;
        r->headers_out.status_line.len = 0;
    }

    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    return ngx_http_next_header_filter(r);
}


/* nginx's HTML is dropped, the JSON made above is sent once in its place */

static ngx_int_t
ngx_http_dynamo_page_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t             *cl, out;
    ngx_http_dynamo_ctx_t   *ctx;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || ctx->page == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->page_sent || r->header_only) {
        return ngx_http_next_body_filter(r, NULL);
    }

    ctx->page_sent = 1;

    out.buf = ctx->page;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}
