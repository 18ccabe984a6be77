
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Variables: $dynamo_identity, $dynamo_claim_<name>, $dynamo_role_arn,
 * $dynamo_access_key_id (never the secret), $dynamo_end_user,
 * $dynamo_operation, $dynamo_table, $dynamo_error.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"

#include <jansson.h>


static ngx_int_t ngx_http_dynamo_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dynamo_variable_identity(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dynamo_variable_ctx_str(ngx_http_dynamo_ctx_t *ctx,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dynamo_identity_ctx(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t **ctxp);
static ngx_int_t ngx_http_dynamo_variable_operation(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dynamo_variable_table(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dynamo_variable_claim(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static json_t *ngx_http_dynamo_claims(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);


static ngx_http_variable_t  ngx_http_dynamo_vars[] = {

    { ngx_string("dynamo_identity"), NULL,
      ngx_http_dynamo_variable_identity,
      offsetof(ngx_http_dynamo_ctx_t, caller.token.identity),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_role_arn"), NULL,
      ngx_http_dynamo_variable_identity,
      offsetof(ngx_http_dynamo_ctx_t, assume.role_arn),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_access_key_id"), NULL,
      ngx_http_dynamo_variable_str,
      offsetof(ngx_http_dynamo_ctx_t, cred.role.access_key_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_end_user"), NULL,
      ngx_http_dynamo_variable_str,
      offsetof(ngx_http_dynamo_ctx_t, caller.end_user),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_operation"), NULL,
      ngx_http_dynamo_variable_operation, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_table"), NULL,
      ngx_http_dynamo_variable_table, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_error"), NULL,
      ngx_http_dynamo_variable_str,
      offsetof(ngx_http_dynamo_ctx_t, message),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dynamo_claim_"), NULL,
      ngx_http_dynamo_variable_claim,
      0, NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_dynamo_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_dynamo_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_dynamo_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_dynamo_module);

    return ngx_http_dynamo_variable_ctx_str(ctx, v, data);
}


/* $dynamo_identity and $dynamo_role_arn, known in any phase */

static ngx_int_t
ngx_http_dynamo_variable_identity(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t               rc;
    ngx_http_dynamo_ctx_t  *ctx;

    rc = ngx_http_dynamo_identity_ctx(r, &ctx);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_dynamo_variable_ctx_str(ctx, v, data);
}


/*
 * An identity variable read before the access phase, as a limit_req or
 * limit_conn key is, runs the phase's first step now: the token found
 * and verified, the role chosen, once a request.  A request refused
 * there (no token, a token that does not verify) has no identity: its
 * empty key limits nothing, and the access phase refuses it as ever.
 * Once the response has begun, nothing is verified any more.
 */

static ngx_int_t
ngx_http_dynamo_identity_ctx(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t **ctxp)
{
    ngx_int_t                    rc;
    ngx_http_dynamo_ctx_t       *ctx;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_dynamo_module);

    *ctxp = ctx;

    if (ctx == NULL || !ctx->begun) {

        if (r != r->main || r->header_sent) {
            return NGX_OK;
        }

        dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);

        if (!dlcf->access) {
            return NGX_OK;
        }

        ctx = ngx_http_dynamo_get_ctx(r);
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        *ctxp = ctx;

        rc = ngx_http_dynamo_access_identity(r, dlcf, ctx);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dynamo: identity checked for a variable: %i", rc);
    }

    /* refused, and not yet answered: no identity to limit */

    if (ctx->state == NGX_HTTP_DYNAMO_STATE_START && ctx->caller.identity_rc) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_variable_ctx_str(ngx_http_dynamo_ctx_t *ctx,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *s;

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_variable_operation(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_dynamo_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_dynamo_module);

    if (ctx == NULL || ctx->body.op == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ctx->body.op->name.data;
    v->len = ctx->body.op->name.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* every table the request touches, separated by commas */

static ngx_int_t
ngx_http_dynamo_variable_table(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                 *p;
    size_t                  len;
    ngx_str_t              *t;
    ngx_uint_t              i;
    ngx_http_dynamo_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_dynamo_module);

    if (ctx == NULL || ctx->body.tables.nelts == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    t = ctx->body.tables.elts;
    len = 0;

    for (i = 0; i < ctx->body.tables.nelts; i++) {
        len += t[i].len + 1;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    for (i = 0; i < ctx->body.tables.nelts; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, t[i].data, t[i].len);
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * $dynamo_claim_<name>: a claim of the verified token.  nginx lower-cases
 * variable names, so claims are matched without regard to case.  Strings
 * as they are, numbers and booleans as JSON writes them, objects and
 * arrays as compact JSON.
 */

static ngx_int_t
ngx_http_dynamo_variable_claim(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *var = (ngx_str_t *) data;

    char                   *text;
    size_t                  len;
    json_t                 *claims, *value;
    ngx_int_t               rc;
    ngx_str_t               name;
    const char             *key;
    ngx_http_dynamo_ctx_t  *ctx;

    v->not_found = 1;

    rc = ngx_http_dynamo_identity_ctx(r, &ctx);

    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
    }

    if (ctx == NULL || ctx->caller.token.identity.len == 0) {
        return NGX_OK;
    }

    claims = ngx_http_dynamo_claims(r, ctx);
    if (claims == NULL) {
        return NGX_OK;
    }

    name.data = var->data + sizeof("dynamo_claim_") - 1;
    name.len = var->len - (sizeof("dynamo_claim_") - 1);

    json_object_foreach(claims, key, value) {

        if (ngx_strlen(key) != name.len
            || ngx_strncasecmp((u_char *) key, name.data, name.len) != 0)
        {
            continue;
        }

        if (json_is_string(value)) {
            v->data = (u_char *) json_string_value(value);
            v->len = json_string_length(value);

        } else {
            text = json_dumps(value, JSON_COMPACT|JSON_ENCODE_ANY);
            if (text == NULL) {
                return NGX_ERROR;
            }

            len = ngx_strlen(text);

            v->data = ngx_pnalloc(r->pool, len);
            if (v->data == NULL) {
                free(text);
                return NGX_ERROR;
            }

            ngx_memcpy(v->data, text, len);
            v->len = len;

            free(text);
        }

        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;

        return NGX_OK;
    }

    return NGX_OK;
}


/* the verified claims: parsed on a cache miss, or now from the payload */

static json_t *
ngx_http_dynamo_claims(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    json_t              *claims;
    ngx_pool_cleanup_t  *cln;

    if (ctx->caller.claims) {
        return ctx->caller.claims;
    }

    if (ctx->caller.token.payload.len == 0) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_dynamo_jwt_json_cleanup;
    cln->data = NULL;

    claims = json_loadb((char *) ctx->caller.token.payload.data,
                        ctx->caller.token.payload.len, 0, NULL);

    if (claims == NULL) {
        return NULL;
    }

    cln->data = claims;

    if (!json_is_object(claims)) {
        return NULL;
    }

    ctx->caller.claims = claims;

    return claims;
}
