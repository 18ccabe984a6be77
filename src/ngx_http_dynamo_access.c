
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The access phase: find the identity token, verify it, and let the
 * request go on or refuse it in DynamoDB's error shape.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


static ngx_int_t ngx_http_dynamo_access_token(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
static ngx_int_t ngx_http_dynamo_find_token(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token);
static ngx_int_t ngx_http_dynamo_header_once(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t err, ngx_str_t *name,
    ngx_uint_t n);
static void ngx_http_dynamo_end_user(ngx_str_t *auth, ngx_str_t *end_user);
static ngx_int_t ngx_http_dynamo_access_refused(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);


#define NGX_HTTP_DYNAMO_SDK_AUTH  "AWS4-HMAC-SHA256 Credential="


/* header names as nginx lowercases them into lowcase_key */

static ngx_str_t  ngx_http_dynamo_session_token_header =
    ngx_string("x-amz-security-token");
static ngx_str_t  ngx_http_dynamo_role_header = ngx_string("x-dynamo-role");
static ngx_str_t  ngx_http_dynamo_target_header = ngx_string("x-amz-target");
static ngx_str_t  ngx_http_dynamo_type_header = ngx_string("content-type");
static ngx_str_t  ngx_http_dynamo_auth_header = ngx_string("authorization");


/* and as messages name them */

static ngx_str_t  ngx_http_dynamo_session_token_name =
    ngx_string("X-Amz-Security-Token");
static ngx_str_t  ngx_http_dynamo_role_name = ngx_string("X-Dynamo-Role");
static ngx_str_t  ngx_http_dynamo_target_name = ngx_string("X-Amz-Target");
static ngx_str_t  ngx_http_dynamo_type_name = ngx_string("Content-Type");


ngx_http_dynamo_ctx_t *
ngx_http_dynamo_get_ctx(ngx_http_request_t *r)
{
    ngx_http_dynamo_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dynamo_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ctx->state = NGX_HTTP_DYNAMO_STATE_START;
     *     ctx->err = NGX_HTTP_DYNAMO_OK;
     *     ctx->caller.token = { 0 };
     *     ctx->caller.claims = NULL;
     */

    ngx_http_set_ctx(r, ctx, ngx_http_dynamo_module);

    return ctx;
}


ngx_int_t
ngx_http_dynamo_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_dynamo_ctx_t       *ctx;
    ngx_http_dynamo_zone_t      *zone;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);

    if (!dlcf->access || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_dynamo_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->state == NGX_HTTP_DYNAMO_STATE_DONE) {
        return ctx->err ? NGX_HTTP_FORBIDDEN : NGX_OK;
    }

    zone = ngx_http_dynamo_get_zone(r);

    if (ctx->state == NGX_HTTP_DYNAMO_STATE_START) {

        /* again after a wait for a key set: the step is tried again */

        rc = ngx_http_dynamo_access_identity(r, dlcf, ctx);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == NGX_OK && dlcf->proxy_handler) {
            ctx->state = NGX_HTTP_DYNAMO_STATE_BODY;

            ngx_http_dynamo_log_prepare(dlcf, ctx);

            rc = ngx_http_dynamo_body_read(r, dlcf, ctx);

            if (rc == NGX_DONE) {
                return NGX_DONE;
            }
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_dynamo_access_refused(r, ctx);
        }

        if (rc != NGX_OK) {
            return (rc >= NGX_HTTP_SPECIAL_RESPONSE)
                   ? rc : NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->state = NGX_HTTP_DYNAMO_STATE_BODY;
    }

    if (ctx->state == NGX_HTTP_DYNAMO_STATE_BODY) {

        rc = dlcf->proxy_handler ? ngx_http_dynamo_body_check(r, ctx)
                                 : NGX_OK;

        if (rc == NGX_OK) {
            rc = ngx_http_dynamo_policy_check(r, dlcf, ctx);
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_dynamo_access_refused(r, ctx);
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->state = NGX_HTTP_DYNAMO_STATE_CREDS;
    }

    if (ctx->state == NGX_HTTP_DYNAMO_STATE_CREDS && dlcf->sts_uri.len) {

        rc = ngx_http_dynamo_credentials(r, dlcf, ctx);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_dynamo_access_refused(r, ctx);
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->state = NGX_HTTP_DYNAMO_STATE_DONE;

    ngx_http_dynamo_count(zone, allowed, 1);

    return NGX_OK;
}


/*
 * The synchronous first step: the token found and verified, the role
 * chosen.  It runs once a request, from the access phase or from an
 * identity variable read before it (limit_req and limit_conn keys), and
 * its outcome, a refusal too, is kept for the access phase to act on;
 * only NGX_AGAIN, a step still waiting, is tried again.
 */

ngx_int_t
ngx_http_dynamo_access_identity(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_int_t                rc;
    ngx_http_dynamo_zone_t  *zone;

    if (ctx->begun) {
        if (ctx->caller.identity_rc != NGX_AGAIN) {
            return ctx->caller.identity_rc;
        }

    } else {
        zone = ngx_http_dynamo_get_zone(r);

        ngx_http_dynamo_count(zone, requests, 1);

        /* the clock is read only for the activity record */

        ctx->begun = 1;

        if (dlcf->activity_log) {
            ctx->start_ns = ngx_http_dynamo_time_ns();
        }
    }

    rc = ngx_http_dynamo_access_token(r, dlcf, ctx);

    if (rc == NGX_OK
        && (dlcf->bindings || dlcf->role_rules || dlcf->sts_uri.len
            || dlcf->proxy_handler))
    {
        rc = ngx_http_dynamo_role_select(r, dlcf, ctx);
    }

    ctx->caller.identity_rc = rc;

    return rc;
}


static ngx_int_t
ngx_http_dynamo_access_token(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_int_t  rc;

    /* the headers are read once: a request that waited has the token */

    if (ctx->jwks.token.data == NULL) {
        rc = ngx_http_dynamo_find_token(r, dlcf, ctx, &ctx->jwks.token);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_dynamo_jwt_verify(r, dlcf, ctx, &ctx->jwks.token);
}


/*
 * The token travels in dynamo_token_header ("cyral.token"), or, when
 * allowed, where unmodified SDKs put a session token.  nginx's own
 * header hash cannot name a header with a dot, so the list is walked.
 *
 * Every header the checks read is taken once: of two copies, the checks
 * could judge one while an upstream that verifies no signature (or a
 * plain proxy_pass after "dynamo_access on") reads the other.  Names are
 * matched in any case, as nginx keeps them lowercased.  Without
 * dynamo_token_in_session_token no X-Amz-Security-Token is read: every
 * copy is stripped before the request goes on, none is refused.
 */

static ngx_int_t
ngx_http_dynamo_find_token(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token)
{
    ngx_int_t          rc;
    ngx_str_t         *session;
    ngx_uint_t         i, n, sessions, roles, targets, types;
    ngx_list_part_t   *part;
    ngx_table_elt_t   *h;

    n = 0;
    sessions = 0;
    roles = 0;
    targets = 0;
    types = 0;
    session = NULL;

    part = &r->headers_in.headers.part;
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

        if (ngx_http_dynamo_header_is(&h[i], &dlcf->token_header_lc)) {
            *token = h[i].value;
            n++;
            continue;
        }

        if (dlcf->token_in_session_token
            && ngx_http_dynamo_header_is(&h[i],
                                         &ngx_http_dynamo_session_token_header))
        {
            session = &h[i].value;
            sessions++;
            continue;
        }

        if (ngx_http_dynamo_header_is(&h[i], &ngx_http_dynamo_role_header)) {
            ctx->caller.role_header = &h[i].value;
            roles++;
            continue;
        }

        if (ngx_http_dynamo_header_is(&h[i], &ngx_http_dynamo_target_header)) {
            ctx->caller.target = &h[i].value;
            targets++;
            continue;
        }

        if (ngx_http_dynamo_header_is(&h[i], &ngx_http_dynamo_type_header)) {
            ctx->caller.content_type = &h[i].value;
            types++;
            continue;
        }

        if (ngx_http_dynamo_header_is(&h[i], &ngx_http_dynamo_auth_header)) {
            ngx_http_dynamo_end_user(&h[i].value, &ctx->caller.end_user);
        }
    }

    if (targets > 1) {
        /* the activity record names no operation of the two */
        ctx->caller.target = NULL;
    }

    rc = ngx_http_dynamo_header_once(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                     &dlcf->token_header, n);

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_header_once(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                         &ngx_http_dynamo_session_token_name,
                                         sessions);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_header_once(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                         &ngx_http_dynamo_target_name,
                                         targets);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_header_once(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                         &ngx_http_dynamo_type_name, types);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_header_once(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_VALIDATION,
                                         &ngx_http_dynamo_role_name, roles);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (n == 1 && token->len) {
        return NGX_OK;
    }

    if (sessions == 1 && ngx_http_dynamo_jwt_is_token(session)) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dynamo: identity token in X-Amz-Security-Token");

        *token = *session;
        return NGX_OK;
    }

    if (dlcf->token_in_session_token) {
        return ngx_http_dynamo_fail(r, ctx,
                                    NGX_HTTP_DYNAMO_ERR_MISSING_TOKEN,
                                    "no identity token: send it in the "
                                    "\"%V\" header or as the session token",
                                    &dlcf->token_header);
    }

    return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_MISSING_TOKEN,
                                "no identity token: send it in the \"%V\" "
                                "header", &dlcf->token_header);
}


/* NGX_OK when the header came at most once; else refused as "err" */

static ngx_int_t
ngx_http_dynamo_header_once(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t err, ngx_str_t *name, ngx_uint_t n)
{
    if (n <= 1) {
        return NGX_OK;
    }

    return ngx_http_dynamo_fail(r, ctx, err,
                                "the \"%V\" header is sent %ui times, "
                                "once is allowed", name, n);
}


/* the access key id the client signed with: "... Credential=AKID/..." */

static void
ngx_http_dynamo_end_user(ngx_str_t *auth, ngx_str_t *end_user)
{
    u_char  *p, *last, *start;

    last = auth->data + auth->len;

    /* as every SDK writes it, or else anywhere */

    if (auth->len > sizeof(NGX_HTTP_DYNAMO_SDK_AUTH) - 1
        && ngx_strncmp(auth->data, NGX_HTTP_DYNAMO_SDK_AUTH,
                       sizeof(NGX_HTTP_DYNAMO_SDK_AUTH) - 1) == 0)
    {
        p = auth->data + sizeof("AWS4-HMAC-SHA256 ") - 1;

    } else {
        p = ngx_strlcasestrn(auth->data, last, (u_char *) "Credential=",
                             sizeof("Credential=") - 2);
        if (p == NULL) {
            return;
        }
    }

    start = p + sizeof("Credential=") - 1;

    for (p = start; p < last && p - start <= 128; p++) {
        if (*p == '/') {
            end_user->data = start;
            end_user->len = p - start;
            return;
        }

        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || (*p >= 'a' && *p <= 'z')))
        {
            return;
        }
    }
}


/*
 * Answers a refused request from the access phase: the response is sent
 * here, the request finalized, and the phase engine told to stop.
 */

static ngx_int_t
ngx_http_dynamo_access_refused(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx)
{
    ctx->state = NGX_HTTP_DYNAMO_STATE_DONE;

    ngx_http_finalize_request(r, ngx_http_dynamo_send_error(r, ctx));

    return NGX_DONE;
}
