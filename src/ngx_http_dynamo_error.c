
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Refusals, answered in DynamoDB's own JSON error shape so that SDKs raise
 * a named exception carrying our message.  Nothing is sent upstream.  The
 * kinds include those nginx's own error pages take in a gateway location
 * (ngx_http_dynamo_page.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


typedef struct {
    ngx_uint_t                   status;
    ngx_str_t                    type;
    ngx_str_t                    reason;     /* for the log */
} ngx_http_dynamo_error_kind_t;


static ngx_http_dynamo_error_kind_t  ngx_http_dynamo_errors[] = {

    { NGX_HTTP_OK, ngx_null_string, ngx_null_string },

    { NGX_HTTP_BAD_REQUEST,
      ngx_string("com.amazon.coral.service#"
                 "MissingAuthenticationTokenException"),
      ngx_string("missing token") },

    { NGX_HTTP_BAD_REQUEST,
      ngx_string("com.amazon.coral.service#UnrecognizedClientException"),
      ngx_string("invalid token") },

    { NGX_HTTP_BAD_REQUEST,
      ngx_string("com.amazon.coral.service#ExpiredTokenException"),
      ngx_string("expired token") },

    { NGX_HTTP_BAD_REQUEST,
      ngx_string("com.amazon.coral.service#AccessDeniedException"),
      ngx_string("access denied") },

    { NGX_HTTP_SERVICE_UNAVAILABLE,
      ngx_string("com.amazonaws.dynamodb.v20120810#InternalServerError"),
      ngx_string("credentials unavailable") },

    { NGX_HTTP_BAD_REQUEST,
      ngx_string("com.amazon.coral.validate#ValidationException"),
      ngx_string("invalid request") },

    /* nginx's own errors: the status stays the one nginx chose */

    { NGX_HTTP_REQUEST_TIME_OUT,
      ngx_string("com.amazon.coral.service#RequestTimeoutException"),
      ngx_string("request timed out") },

    { NGX_HTTP_BAD_REQUEST,
      ngx_string("com.amazonaws.dynamodb.v20120810#ThrottlingException"),
      ngx_string("request limited") },

    { NGX_HTTP_INTERNAL_SERVER_ERROR,
      ngx_string("com.amazonaws.dynamodb.v20120810#InternalServerError"),
      ngx_string("internal error") }
};


static ngx_int_t ngx_http_dynamo_record(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t err, const char *fmt,
    va_list args);


static ngx_str_t  ngx_http_dynamo_unprintable = ngx_string("?");

static ngx_str_t  ngx_http_dynamo_json_type =
    ngx_string("application/x-amz-json-1.0");


ngx_str_t *
ngx_http_dynamo_error_type(ngx_uint_t err)
{
    return &ngx_http_dynamo_errors[err].type;
}


/*
 * Records why a request is refused (for $dynamo_error and the activity
 * record) and logs it once at the "info" level; the caller answers with
 * ngx_http_dynamo_send_error().  The message is ours: it never carries
 * the token or any secret, and what it quotes of outside origin the
 * caller has escaped with ngx_http_dynamo_printable().  Were a piece
 * left raw, the whole message is escaped: it reaches the log, the client
 * and the activity record as printable ASCII only.  Returns NGX_DECLINED,
 * or NGX_ERROR.
 */

static ngx_int_t
ngx_http_dynamo_record(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t err, const char *fmt, va_list args)
{
    u_char     *p, *q;
    u_char      buf[NGX_HTTP_DYNAMO_MESSAGE_MAX];
    ngx_str_t   raw;

    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);

    ctx->err = err;

    for (q = buf; q < p; q++) {
        if (*q < 0x20 || *q >= 0x7f) {
            break;
        }
    }

    if (q < p) {
        raw.data = buf;
        raw.len = p - buf;

        ctx->message = *ngx_http_dynamo_printable(r, &raw, raw.len);

        return NGX_DECLINED;
    }

    ctx->message.data = ngx_pnalloc(r->pool, p - buf);
    if (ctx->message.data == NULL) {
        ngx_str_null(&ctx->message);
        return NGX_ERROR;
    }

    ctx->message.len = p - buf;
    ngx_memcpy(ctx->message.data, buf, ctx->message.len);

    return NGX_DECLINED;
}


/* records a reason without logging it: the request may still go on */

ngx_int_t
ngx_http_dynamo_set_error(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t err, const char *fmt, ...)
{
    va_list    args;
    ngx_int_t  rc;

    va_start(args, fmt);
    rc = ngx_http_dynamo_record(r, ctx, err, fmt, args);
    va_end(args);

    return rc;
}


ngx_int_t
ngx_http_dynamo_fail(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t err, const char *fmt, ...)
{
    va_list                  args;
    ngx_int_t                rc;
    ngx_http_dynamo_zone_t  *zone;

    va_start(args, fmt);
    rc = ngx_http_dynamo_record(r, ctx, err, fmt, args);
    va_end(args);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ctx->caller.token.identity.len) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dynamo: %V for identity \"%V\": %V",
                      &ngx_http_dynamo_errors[err].reason,
                      ngx_http_dynamo_printable(r, &ctx->caller.token.identity,
                                                NGX_HTTP_DYNAMO_IDENTITY_MAX),
                      &ctx->message);

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dynamo: %V: %V",
                      &ngx_http_dynamo_errors[err].reason, &ctx->message);
    }

    zone = ngx_http_dynamo_get_zone(r);

    switch (err) {

    case NGX_HTTP_DYNAMO_ERR_MISSING_TOKEN:
    case NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED:
        ngx_http_dynamo_count(zone, refused_token, 1);
        break;

    case NGX_HTTP_DYNAMO_ERR_EXPIRED:
        ngx_http_dynamo_count(zone, refused_expired, 1);
        break;

    case NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED:
        if (ctx->policy_violated) {
            ngx_http_dynamo_count(zone, refused_policy, 1);

        } else {
            ngx_http_dynamo_count(zone, refused_denied, 1);
        }
        break;

    case NGX_HTTP_DYNAMO_ERR_UNAVAILABLE:
        ngx_http_dynamo_count(zone, unavailable, 1);
        break;

    default: /* NGX_HTTP_DYNAMO_ERR_VALIDATION */
        ngx_http_dynamo_count(zone, refused_validation, 1);
        break;
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_dynamo_send_error(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    b = ngx_http_dynamo_error_body(r, ctx);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = ngx_http_dynamo_errors[ctx->err].status;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * {"__type":"...","message":"..."} for ctx->err and ctx->message, and the
 * headers that describe it
 */

ngx_buf_t *
ngx_http_dynamo_error_body(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    size_t                         len;
    ngx_buf_t                     *b;
    ngx_http_dynamo_error_kind_t  *kind;

    kind = &ngx_http_dynamo_errors[ctx->err];

    len = sizeof("{\"__type\":\"\",\"message\":}") - 1
          + kind->type.len + ngx_http_dynamo_json_str_len(ctx->message.len);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_cpymem(b->last, "{\"__type\":\"", 11);
    b->last = ngx_cpymem(b->last, kind->type.data, kind->type.len);
    b->last = ngx_cpymem(b->last, "\",\"message\":", 12);
    b->last = ngx_http_dynamo_json_str(b->last, ctx->message.data,
                                       ctx->message.len);
    b->last = ngx_cpymem(b->last, "}", 1);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.content_type = ngx_http_dynamo_json_type;
    r->headers_out.content_type_len = ngx_http_dynamo_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = b->last - b->pos;
    ctx->upstream.bytes = b->last - b->pos;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return b;
}


/*
 * The one escaper for whatever of outside origin the module writes to the
 * error log (claims, identities, key ids, table names, headers, the text
 * of STS, IMDS and ECS answers), and puts in a refusal's message: printable
 * ASCII stays as it is; a backslash or a double quote is preceded by a
 * backslash, so that a quoted value cannot be closed early; any other byte
 * (a control character such as LF, CR or ESC, DEL, a byte of 0x80 and
 * above) is written "\xNN".  A line of the log holds one event whatever
 * the string holds.  At most "max" bytes of the string are taken, "..."
 * marks a cut.
 */

ngx_str_t *
ngx_http_dynamo_printable(ngx_http_request_t *r, ngx_str_t *s, size_t max)
{
    u_char      *p, ch;
    size_t       i, len;
    ngx_str_t   *out;

    static u_char  hex[] = "0123456789abcdef";

    len = ngx_min(s->len, max);

    out = ngx_palloc(r->pool, sizeof(ngx_str_t) + 4 * len + 3);
    if (out == NULL) {
        return &ngx_http_dynamo_unprintable;
    }

    p = (u_char *) (out + 1);

    out->data = p;

    for (i = 0; i < len; i++) {
        ch = s->data[i];

        if (ch == '\\' || ch == '"') {
            *p++ = '\\';
            *p++ = ch;

        } else if (ch >= 0x20 && ch < 0x7f) {
            *p++ = ch;

        } else {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 0xf];
        }
    }

    if (len < s->len) {
        *p++ = '.';
        *p++ = '.';
        *p++ = '.';
    }

    out->len = p - out->data;

    return out;
}
