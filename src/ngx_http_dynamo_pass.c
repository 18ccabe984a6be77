
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * dynamo_pass: the content handler.  The location is configured as if it
 * said "proxy_pass URL" (the proxy module's own directive is called), so
 * every proxy_* directive works as nginx users expect; the handler then
 * re-signs the request for the role and hands it to the proxy module.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_http_dynamo_sigv4.h"


static ngx_int_t ngx_http_dynamo_pass_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dynamo_pass_sign(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    u_char **date, ngx_str_t *auth);
static ngx_int_t ngx_http_dynamo_pass_headers(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    u_char *amz_date, ngx_str_t *auth);
static char *ngx_http_dynamo_proxy_directive(ngx_conf_t *cf, char *name,
    ngx_str_t *args, ngx_uint_t n);
static ngx_int_t ngx_http_dynamo_region_from_host(ngx_str_t *host,
    ngx_str_t *region);
static ngx_int_t ngx_http_dynamo_strip_header(ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_table_elt_t *h);
#if (NGX_DEBUG)
static void ngx_http_dynamo_sign_debug(void *data,
    ngx_str_t *canonical_request, ngx_str_t *string_to_sign);
#endif


extern ngx_module_t  ngx_http_proxy_module;


static ngx_str_t  ngx_http_dynamo_service = ngx_string("dynamodb");


/* the headers the gateway adds, in this order, and their lowercase names */

static ngx_str_t  ngx_http_dynamo_added[] = {
    ngx_string("X-Amz-Date"),
    ngx_string("Authorization"),
    ngx_string("X-Amz-Security-Token")
};

static ngx_str_t  ngx_http_dynamo_added_lc[] = {
    ngx_string("x-amz-date"),
    ngx_string("authorization"),
    ngx_string("x-amz-security-token")
};


/* the client's headers that never travel upstream */

static ngx_str_t  ngx_http_dynamo_stripped[] = {
    ngx_string("authorization"),
    ngx_string("x-amz-security-token"),
    ngx_string("x-amz-date"),
    ngx_string("x-amz-content-sha256"),
    ngx_string("x-dynamo-role"),
    ngx_string("expect"),
    ngx_null_string
};


/* dynamo_pass URL [host=name] */

char *
ngx_http_dynamo_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    size_t                        add;
    u_char                       *p;
    ngx_str_t                    *value, host, args[2];
    ngx_url_t                     u;
    ngx_uint_t                    i, https;
    ngx_pool_cleanup_t           *cln;
    ngx_http_core_loc_conf_t     *clcf;

    if (dlcf->proxy_handler) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&host);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "host=", 5) == 0
            && value[i].len > 5)
        {
            host.data = value[i].data + 5;
            host.len = value[i].len - 5;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (ngx_strncasecmp(value[1].data, (u_char *) "http://", 7) == 0) {
        add = 7;
        https = 0;

    } else if (ngx_strncasecmp(value[1].data, (u_char *) "https://", 8)
               == 0)
    {
        add = 8;
        https = 1;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_pass needs an http:// or https:// URL, "
                           "not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url.data = value[1].data + add;
    u.url.len = value[1].len - add;
    u.default_port = https ? 443 : 80;
    u.uri_part = 1;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in dynamo_pass \"%V\"", u.err, &value[1]);
        }

        return NGX_CONF_ERROR;
    }

    if (u.uri.len > 1 || (u.uri.len == 1 && u.uri.data[0] != '/')) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_pass \"%V\" must not have a URI part: "
                           "DynamoDB requests are made to \"/\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    /*
     * the Host the proxy sends, and the request is signed for: the
     * URL's host, with the port when it is not the scheme's default;
     * or host=, for an upstream{} group, sent with proxy_set_header
     */

    if (host.len) {
        dlcf->pass_host = host;

        args[0].len = sizeof("Host") - 1;
        args[0].data = (u_char *) "Host";
        args[1] = host;

        if (ngx_http_dynamo_proxy_directive(cf, "proxy_set_header", args, 2)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else if (u.no_port || u.port == u.default_port) {
        dlcf->pass_host = u.host;

    } else {
        dlcf->pass_host.len = u.host.len + 1 + NGX_INT_T_LEN;
        dlcf->pass_host.data = ngx_pnalloc(cf->pool, dlcf->pass_host.len);
        if (dlcf->pass_host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_sprintf(dlcf->pass_host.data, "%V:%d", &u.host, u.port);
        dlcf->pass_host.len = p - dlcf->pass_host.data;
    }

    (void) ngx_http_dynamo_region_from_host(&dlcf->pass_host,
                                            &dlcf->pass_region);

    if (ngx_http_dynamo_proxy_directive(cf, "proxy_pass", &value[1], 1)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* each worker's copy of it, written as the worker signs */

    dlcf->sign_cache = ngx_pcalloc(cf->pool,
                                   sizeof(ngx_http_dynamo_sigv4_cache_t));
    if (dlcf->sign_cache == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dynamo_sigv4_cache_cleanup;
    cln->data = dlcf->sign_cache;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    dlcf->proxy_handler = clcf->handler;
    clcf->handler = ngx_http_dynamo_pass_handler;

    /* dynamo_pass implies the access checks */

    if (dlcf->access == NGX_CONF_UNSET) {
        dlcf->access = 1;
    }

    return NGX_CONF_OK;
}


/* calls one of the proxy module's directives as if it were in the file */

static char *
ngx_http_dynamo_proxy_directive(ngx_conf_t *cf, char *name, ngx_str_t *args,
    ngx_uint_t n)
{
    char           *rv;
    void           *conf;
    ngx_str_t      *v;
    ngx_uint_t      i;
    ngx_array_t     a, *saved;
    ngx_command_t  *cmd;

    for (cmd = ngx_http_proxy_module.commands; cmd->name.len; cmd++) {
        if (ngx_strcmp(cmd->name.data, name) == 0) {
            break;
        }
    }

    if (cmd->name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_pass needs the proxy module's \"%s\"",
                           name);
        return NGX_CONF_ERROR;
    }

    if (ngx_array_init(&a, cf->temp_pool, n + 1, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    v = ngx_array_push_n(&a, n + 1);
    if (v == NULL) {
        return NGX_CONF_ERROR;
    }

    v[0].data = (u_char *) name;
    v[0].len = ngx_strlen(name);

    for (i = 0; i < n; i++) {
        v[i + 1] = args[i];
    }

    conf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_proxy_module);

    saved = cf->args;
    cf->args = &a;

    rv = cmd->set(cf, cmd, conf);

    cf->args = saved;

    if (rv != NGX_CONF_OK && rv != NGX_CONF_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" set by dynamo_pass %s", name, rv);
        return NGX_CONF_ERROR;
    }

    return rv;
}


/*
 * dynamodb.<region>.amazonaws.com[.cn], dynamodb-fips.<region>...,
 * streams.dynamodb.<region>..., <account>.ddb.<region>..., and
 * dynamodb.<region>.api.aws: the region is the label before the domain.
 */

static ngx_int_t
ngx_http_dynamo_region_from_host(ngx_str_t *host, ngx_str_t *region)
{
    u_char  *p, *last, *dot;

    last = host->data + host->len;

    p = ngx_strlchr(host->data, last, ':');
    if (p) {
        last = p;
    }

    if (last - host->data > 14
        && ngx_strncasecmp(last - 14, (u_char *) ".amazonaws.com", 14) == 0)
    {
        last -= 14;

    } else if (last - host->data > 17
               && ngx_strncasecmp(last - 17,
                                  (u_char *) ".amazonaws.com.cn", 17) == 0)
    {
        last -= 17;

    } else if (last - host->data > 8
               && ngx_strncasecmp(last - 8, (u_char *) ".api.aws", 8) == 0)
    {
        last -= 8;

    } else {
        return NGX_DECLINED;
    }

    for (dot = last - 1; dot > host->data && *dot != '.'; dot--) {
        /* void */
    }

    if (dot <= host->data) {
        return NGX_DECLINED;
    }

    p = dot;

    /* the service label before the region */

    while (p > host->data && p[-1] != '.') {
        p--;
    }

    if (!((dot - p == 8 && ngx_strncasecmp(p, (u_char *) "dynamodb", 8) == 0)
          || (dot - p == 13
              && ngx_strncasecmp(p, (u_char *) "dynamodb-fips", 13) == 0)
          || (dot - p == 3 && ngx_strncasecmp(p, (u_char *) "ddb", 3) == 0)))
    {
        return NGX_DECLINED;
    }

    region->data = dot + 1;
    region->len = last - region->data;

    return region->len ? NGX_OK : NGX_DECLINED;
}


/* once, after the configuration: the hashes of the added headers' names */

void
ngx_http_dynamo_pass_init(ngx_conf_t *cf)
{
    ngx_uint_t                    i;
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);

    for (i = 0; i < NGX_HTTP_DYNAMO_ADDED; i++) {
        dmcf->added_hash[i] = ngx_hash_key(ngx_http_dynamo_added_lc[i].data,
                                           ngx_http_dynamo_added_lc[i].len);
    }
}


ngx_int_t
ngx_http_dynamo_pass_merge(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *prev,
    ngx_http_dynamo_loc_conf_t *conf)
{
    size_t  i;

    ngx_conf_merge_str_value(conf->region, prev->region, "");

    if (conf->proxy_handler == NULL) {
        return NGX_OK;
    }

    if (conf->region.len) {
        conf->pass_region = conf->region;
    }

    if (conf->pass_region.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "dynamo_pass to \"%V\": the signing region cannot be "
                      "told from the host, add \"dynamo_region\"",
                      &conf->pass_host);
        return NGX_ERROR;
    }

    conf->pass_scope = ngx_http_dynamo_key_scope(&conf->pass_region,
                                                 &ngx_http_dynamo_service);

    for (i = 0; i < conf->pass_host.len; i++) {
        if (conf->pass_host.data[i] < 0x21 || conf->pass_host.data[i] > 0x7e)
        {
            break;
        }
    }

    conf->pass_host_clean = (i == conf->pass_host.len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_pass_handler(ngx_http_request_t *r)
{
    u_char                      *amz_date;
    ngx_int_t                    rc;
    ngx_str_t                    auth;
    ngx_log_t                   *log;
    ngx_uint_t                   level;
    ngx_http_dynamo_ctx_t       *ctx;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (r != r->main || ctx == NULL || !ctx->body.checked
        || ctx->cred.role.access_key_id.len == 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dynamo_pass reached without the access checks "
                      "(a subrequest, or \"satisfy any\")");
        return NGX_HTTP_FORBIDDEN;
    }

    if (ngx_http_dynamo_pass_sign(r, dlcf, ctx, &amz_date, &auth) != NGX_OK
        || ngx_http_dynamo_pass_headers(r, dlcf, ctx, amz_date, &auth)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_dynamo_response_start(r, ctx);

    /*
     * the proxy module writes the request it sends to the debug log, the
     * session token included: its HTTP debug output is held back while
     * it builds the request
     */

    log = r->connection->log;
    level = log->log_level;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "dynamo: %V signed for \"%V\" with %V, the proxy's "
                   "debug log of it is held back",
                   &ctx->body.op->name, &ctx->assume.role_arn,
                   &ctx->cred.role.access_key_id);

    log->log_level &= ~NGX_LOG_DEBUG_HTTP;

    rc = dlcf->proxy_handler(r);

    log->log_level = level;

    return rc;
}


/*
 * Signs the request with the role's credentials, over what the proxy
 * sends: *date and *auth, the X-Amz-Date and Authorization values
 */

static ngx_int_t
ngx_http_dynamo_pass_sign(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    u_char **date, ngx_str_t *auth)
{
    u_char                        *amz_date;
    uint32_t                       clean;
    ngx_uint_t                     n;
    ngx_http_dynamo_sigv4_t        sv;
    ngx_http_dynamo_aws_header_t   signed_headers[5];

    amz_date = ngx_pnalloc(r->pool, NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN);
    if (amz_date == NULL) {
        return NGX_ERROR;
    }

    *date = amz_date;

    (void) ngx_http_dynamo_sigv4_cached_date(dlcf->sign_cache, amz_date,
                                             ngx_time());

    if (ngx_http_dynamo_signing_key(r, ctx, &ctx->cred.role, amz_date,
                                    &dlcf->pass_region,
                                    &ngx_http_dynamo_service,
                                    dlcf->pass_scope)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* lowercase, distinct and sorted, as sv.sorted says: no sort needed */

    n = 0;

    if (ctx->caller.content_type) {
        ngx_str_set(&signed_headers[n].name, "content-type");
        signed_headers[n].value = *ctx->caller.content_type;
        n++;
    }

    /*
     * what needs no trimming: the host when the configuration says so,
     * the date (ours), the session token (STS answers were refused unless
     * it is all printable, sts_answer.c), the target (one of the names
     * ngx_http_dynamo_ddb_operation() knows, byte for byte)
     */

    clean = 0;

    ngx_str_set(&signed_headers[n].name, "host");
    signed_headers[n].value = dlcf->pass_host;

    if (dlcf->pass_host_clean) {
        clean |= 1U << n;
    }

    n++;

    ngx_str_set(&signed_headers[n].name, "x-amz-date");
    signed_headers[n].value.data = amz_date;
    signed_headers[n].value.len = NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN;
    clean |= 1U << n;
    n++;

    if (ctx->cred.role.session_token.len) {
        ngx_str_set(&signed_headers[n].name, "x-amz-security-token");
        signed_headers[n].value = ctx->cred.role.session_token;
        clean |= 1U << n;
        n++;
    }

    ngx_str_set(&signed_headers[n].name, "x-amz-target");
    signed_headers[n].value = *ctx->caller.target;
    clean |= 1U << n;
    n++;

    ngx_memzero(&sv, sizeof(ngx_http_dynamo_sigv4_t));

    ngx_str_set(&sv.method, "POST");
    ngx_str_set(&sv.uri, "/");
    sv.headers = signed_headers;
    sv.nheaders = n;
    sv.payload_hash = ctx->body.payload_hash;
    sv.amz_date = amz_date;
    sv.region = dlcf->pass_region;
    sv.service = ngx_http_dynamo_service;
    sv.access_key_id = ctx->cred.role.access_key_id;
    sv.key = ctx->cred.role.key;
    sv.log = r->connection->log;
    sv.cache = dlcf->sign_cache;
    sv.clean = clean;
    sv.sorted = 1;

#if (NGX_DEBUG)
    if (r->connection->log->log_level & NGX_LOG_DEBUG_HTTP) {
        sv.debug = ngx_http_dynamo_sign_debug;
        sv.debug_data = r;
    }
#endif

    return ngx_http_dynamo_sigv4_sign(&sv, r->pool, auth);
}


/*
 * The headers the proxy passes: the client's, less its token and its
 * Authorization, date and session token; the role's added in their place
 */

static ngx_int_t
ngx_http_dynamo_pass_headers(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    u_char *amz_date, ngx_str_t *auth)
{
    ngx_uint_t                     i;
    ngx_list_t                     headers;
    ngx_table_elt_t               *h, *nh;
    ngx_list_part_t               *part;
    ngx_http_dynamo_main_conf_t   *dmcf;

    if (ngx_list_init(&headers, r->pool, 20, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

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

        if (ngx_http_dynamo_strip_header(ctx, dlcf, &h[i])) {
            continue;
        }

        nh = ngx_list_push(&headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    for (i = 0; i < NGX_HTTP_DYNAMO_ADDED; i++) {

        if (i == 2 && ctx->cred.role.session_token.len == 0) {
            break;
        }

        nh = ngx_list_push(&headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(nh, sizeof(ngx_table_elt_t));

        nh->key = ngx_http_dynamo_added[i];
        nh->lowcase_key = ngx_http_dynamo_added_lc[i].data;

        /* the proxy finds its proxy_set_header names by this hash */
        nh->hash = dmcf->added_hash[i];

        switch (i) {

        case 0:
            nh->value.data = amz_date;
            nh->value.len = NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN;
            break;

        case 1:
            nh->value = *auth;
            break;

        default:
            nh->value = ctx->cred.role.session_token;
            break;
        }
    }

    r->headers_in.headers = headers;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_strip_header(ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_table_elt_t *h)
{
    ngx_str_t  *s;

    if (ngx_http_dynamo_header_is(h, &dlcf->token_header_lc)) {
        return 1;
    }

    for (s = ngx_http_dynamo_stripped; s->len; s++) {
        if (ngx_http_dynamo_header_is(h, s)) {
            return 1;
        }
    }

    return 0;
}


#if (NGX_DEBUG)

/*
 * The sigv4 debug hook: the canonical request holds the client's own
 * header values, so it is escaped like anything of outside origin, its
 * lines joined into one line of the log
 */

static void
ngx_http_dynamo_sign_debug(void *data, ngx_str_t *canonical_request,
    ngx_str_t *string_to_sign)
{
    ngx_http_request_t *r = data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo sigv4 canonical request: \"%V\", "
                   "string to sign: \"%V\"",
                   ngx_http_dynamo_printable(r, canonical_request, 16384),
                   ngx_http_dynamo_printable(r, string_to_sign, 1024));
}

#endif
