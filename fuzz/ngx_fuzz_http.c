
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The HTTP side of the harnesses of jwt.c and role.c: the module's table
 * (ngx_dynamo_module.c is not linked: a zeroed one, ctx_index 0), and
 * configurations, requests and shared zones made by hand, as nginx's
 * configuration would leave them; the answers error.c sends are recorded
 * by the only output filters.  Everything else is nginx's own.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_fuzz_http.h"


#define NGX_FUZZ_HTTP_MODULES  4


ngx_module_t  ngx_http_dynamo_module;


static ngx_uint_t  ngx_fuzz_status;
static ngx_str_t   ngx_fuzz_body;


static ngx_int_t ngx_fuzz_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_fuzz_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


ngx_conf_t *
ngx_fuzz_conf(ngx_pool_t *pool, ngx_str_t *prefix)
{
    ngx_conf_t   *cf;
    ngx_cycle_t  *cycle;

    cf = ngx_pcalloc(pool, sizeof(ngx_conf_t));
    cycle = ngx_pcalloc(pool, sizeof(ngx_cycle_t));

    if (cf == NULL || cycle == NULL) {
        return NULL;
    }

    cycle->pool = pool;
    cycle->log = ngx_fuzz_log();
    cycle->prefix = *prefix;
    cycle->conf_prefix = *prefix;

    if (ngx_list_init(&cycle->shared_memory, pool, 1, sizeof(ngx_shm_zone_t))
        != NGX_OK)
    {
        return NULL;
    }

    cf->args = ngx_array_create(pool, 4, sizeof(ngx_str_t));
    if (cf->args == NULL) {
        return NULL;
    }

    cf->name = "fuzz";
    cf->cycle = cycle;
    cf->pool = pool;
    cf->temp_pool = pool;
    cf->log = ngx_fuzz_log();

    return cf;
}


ngx_int_t
ngx_fuzz_conf_args(ngx_conf_t *cf, ngx_str_t *argv, ngx_uint_t n)
{
    ngx_str_t   *arg;
    ngx_uint_t   i;

    cf->args->nelts = 0;

    for (i = 0; i < n; i++) {
        arg = ngx_array_push(cf->args);
        if (arg == NULL) {
            return NGX_ERROR;
        }

        arg->len = argv[i].len;
        arg->data = ngx_pnalloc(cf->pool, argv[i].len + 1);
        if (arg->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(arg->data, argv[i].data, argv[i].len);
        arg->data[arg->len] = '\0';
    }

    return NGX_OK;
}


ngx_http_dynamo_loc_conf_t *
ngx_fuzz_loc_conf(ngx_pool_t *pool)
{
    ngx_http_dynamo_loc_conf_t  *dlcf;

    dlcf = ngx_pcalloc(pool, sizeof(ngx_http_dynamo_loc_conf_t));
    if (dlcf == NULL) {
        return NULL;
    }

    dlcf->access = NGX_CONF_UNSET;
    dlcf->keys = NGX_CONF_UNSET_PTR;
    dlcf->issuers = NGX_CONF_UNSET_PTR;
    dlcf->audiences = NGX_CONF_UNSET_PTR;
    dlcf->leeway = NGX_CONF_UNSET;
    dlcf->token_in_session_token = NGX_CONF_UNSET;
    dlcf->identity_claims = NGX_CONF_UNSET_PTR;
    dlcf->bindings = NGX_CONF_UNSET_PTR;
    dlcf->role_rules = NGX_CONF_UNSET_PTR;

    return dlcf;
}


ngx_http_request_t *
ngx_fuzz_request(ngx_pool_t *pool, ngx_http_dynamo_main_conf_t *dmcf)
{
    ngx_event_t         *rev;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));
    c = ngx_pcalloc(pool, sizeof(ngx_connection_t));
    rev = ngx_pcalloc(pool, sizeof(ngx_event_t));

    if (r == NULL || c == NULL || rev == NULL) {
        return NULL;
    }

    c->log = ngx_fuzz_log();
    c->pool = pool;
    c->read = rev;
    rev->log = c->log;

    r->ctx = ngx_pcalloc(pool, sizeof(void *) * NGX_FUZZ_HTTP_MODULES);
    r->main_conf = ngx_pcalloc(pool, sizeof(void *) * NGX_FUZZ_HTTP_MODULES);
    r->srv_conf = ngx_pcalloc(pool, sizeof(void *) * NGX_FUZZ_HTTP_MODULES);
    r->loc_conf = ngx_pcalloc(pool, sizeof(void *) * NGX_FUZZ_HTTP_MODULES);

    if (r->ctx == NULL || r->main_conf == NULL || r->srv_conf == NULL
        || r->loc_conf == NULL)
    {
        return NULL;
    }

    r->main_conf[ngx_http_dynamo_module.ctx_index] = dmcf;

    r->connection = c;
    r->pool = pool;
    r->main = r;
    r->headers_out.content_length_n = -1;

    ngx_http_top_header_filter = ngx_fuzz_header_filter;
    ngx_http_top_body_filter = ngx_fuzz_body_filter;

    ngx_fuzz_status = 0;
    ngx_str_null(&ngx_fuzz_body);

    return r;
}


ngx_int_t
ngx_fuzz_zone(ngx_conf_t *cf, ngx_http_dynamo_main_conf_t *dmcf,
    size_t budget)
{
    ngx_str_t        args[2];
    ngx_shm_zone_t  *shm_zone;

    ngx_str_set(&args[0], "dynamo_zone");
    ngx_str_set(&args[1], "fuzz:1m");

    if (ngx_fuzz_conf_args(cf, args, 2) != NGX_OK) {
        return NGX_ERROR;
    }

    dmcf->shm_zone = NULL;

    if (ngx_http_dynamo_zone(cf, NULL, dmcf) != NGX_CONF_OK) {
        return NGX_ERROR;
    }

    shm_zone = dmcf->shm_zone;

    shm_zone->shm.addr = (u_char *) ngx_fuzz_slab_pool(budget);
    if (shm_zone->shm.addr == NULL) {
        return NGX_ERROR;
    }

    shm_zone->shm.exists = 0;

    return shm_zone->init(shm_zone, NULL);
}


ngx_uint_t
ngx_fuzz_http_status(void)
{
    return ngx_fuzz_status;
}


ngx_str_t *
ngx_fuzz_http_body(void)
{
    return &ngx_fuzz_body;
}


/*
 * The answer error.c sends goes through nginx's ngx_http_send_header()
 * and ngx_http_output_filter() to these, the only filters: they record
 * it instead of sending it.
 */

static ngx_int_t
ngx_fuzz_header_filter(ngx_http_request_t *r)
{
    r->header_sent = 1;
    ngx_fuzz_status = r->headers_out.status;

    return NGX_OK;
}


static ngx_int_t
ngx_fuzz_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    u_char       *p;
    size_t        len;
    ngx_chain_t  *cl;

    len = ngx_fuzz_body.len;

    for (cl = in; cl; cl = cl->next) {
        len += cl->buf->last - cl->buf->pos;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ngx_fuzz_body.len) {
        ngx_memcpy(p, ngx_fuzz_body.data, ngx_fuzz_body.len);
    }

    ngx_fuzz_body.data = p;
    p += ngx_fuzz_body.len;

    for (cl = in; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    *p = '\0';
    ngx_fuzz_body.len = len;

    return NGX_OK;
}


/*
 * The key sets of dynamo_jwt_jwks (jwks.c, not linked): the harnesses
 * configure none, so jwt.c never asks for them, and a call aborts.
 */

ngx_int_t
ngx_http_dynamo_jwks_generation(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    uint64_t *generation)
{
    (void) r;
    (void) dlcf;
    (void) ctx;
    (void) generation;

    ngx_fuzz_fail(__FILE__, __LINE__, "not faked",
                  "ngx_http_dynamo_jwks_generation()");
}


uint64_t
ngx_http_dynamo_jwks_current(ngx_http_dynamo_loc_conf_t *dlcf)
{
    (void) dlcf;

    ngx_fuzz_fail(__FILE__, __LINE__, "not faked",
                  "ngx_http_dynamo_jwks_current()");
}


ngx_int_t
ngx_http_dynamo_jwks_keys(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *kid, ngx_array_t *out)
{
    (void) r;
    (void) dlcf;
    (void) ctx;
    (void) kid;
    (void) out;

    ngx_fuzz_fail(__FILE__, __LINE__, "not faked",
                  "ngx_http_dynamo_jwks_keys()");
}
