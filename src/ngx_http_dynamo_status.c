
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * dynamo_status: the gateway's counters and cache state, as JSON, or in
 * Prometheus' text format with "?format=prometheus" or "Accept:
 * text/plain".  The counters live in the shared zone: exact across
 * workers, and kept over reloads.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


#define NGX_HTTP_DYNAMO_ROLE_LINE_MAX  (2 * 2048 + 128)


static ngx_int_t ngx_http_dynamo_status_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_dynamo_status_prometheus(ngx_http_request_t *r);
static void ngx_http_dynamo_status_sum(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_counters_t *sum);


typedef struct {
    const char                  *name;
    size_t                       offset;
} ngx_http_dynamo_outcome_t;


static ngx_http_dynamo_outcome_t  ngx_http_dynamo_outcomes[] = {
    { "allowed", offsetof(ngx_http_dynamo_counters_t, allowed) },
    { "refused_token", offsetof(ngx_http_dynamo_counters_t, refused_token) },
    { "refused_expired",
      offsetof(ngx_http_dynamo_counters_t, refused_expired) },
    { "refused_denied",
      offsetof(ngx_http_dynamo_counters_t, refused_denied) },
    { "refused_policy",
      offsetof(ngx_http_dynamo_counters_t, refused_policy) },
    { "refused_validation",
      offsetof(ngx_http_dynamo_counters_t, refused_validation) },
    { "unavailable", offsetof(ngx_http_dynamo_counters_t, unavailable) },
    { NULL, 0 }
};


/* failed STS calls by kind; "errors" is their sum */

static ngx_http_dynamo_outcome_t  ngx_http_dynamo_sts_kinds[] = {
    { "refused", offsetof(ngx_http_dynamo_counters_t, sts_refused) },
    { "unreachable", offsetof(ngx_http_dynamo_counters_t, sts_unreachable) },
    { "5xx", offsetof(ngx_http_dynamo_counters_t, sts_5xx) },
    { "malformed", offsetof(ngx_http_dynamo_counters_t, sts_malformed) },
    { NULL, 0 }
};


char *
ngx_http_dynamo_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);

    if (dmcf->shm_zone == NULL) {
        return "needs \"dynamo_zone\" in the http block, before it";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_dynamo_status_handler;

    return NGX_CONF_OK;
}


#define ngx_http_dynamo_counter(c, offset)                                   \
    (*(ngx_atomic_t *) ((u_char *) (c) + (offset)))


static ngx_int_t
ngx_http_dynamo_status_handler(ngx_http_request_t *r)
{
    u_char                        *p;
    size_t                         size;
    ngx_int_t                      rc;
    ngx_str_t                      roles, jwks;
    ngx_buf_t                     *b;
    size_t                         token_bytes, token_budget;
    ngx_uint_t                     i, prom, pfree;
    ngx_chain_t                    out;
    ngx_queue_t                   *q;
    ngx_atomic_uint_t              calls, total_ms, requests;
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_outcome_t     *o;
    ngx_http_dynamo_role_node_t   *rn;
    ngx_http_dynamo_counters_t    *c, sum;
    ngx_http_dynamo_main_conf_t   *dmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);
    zone = ngx_http_dynamo_get_zone(r);
    ngx_http_dynamo_status_sum(zone, &sum);
    c = &sum;

    prom = ngx_http_dynamo_status_prometheus(r);

    /* the roles, read under the zone's lock */

    ngx_shmtx_lock(&zone->shpool->mutex);

    pfree = zone->shpool->pfree;
    token_bytes = zone->sh->token_bytes;
    token_budget = zone->sh->token_budget;

    roles.data = ngx_pnalloc(r->pool,
                             zone->sh->nroles * NGX_HTTP_DYNAMO_ROLE_LINE_MAX
                             + 1);
    if (roles.data == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = roles.data;

    for (q = ngx_queue_head(&zone->sh->roles);
         q != ngx_queue_sentinel(&zone->sh->roles);
         q = ngx_queue_next(q))
    {
        rn = ngx_queue_data(q, ngx_http_dynamo_role_node_t, sh.lru);

        requests = 0;

        for (i = 0; i < NGX_HTTP_DYNAMO_ROLE_SHARDS; i++) {
            requests += rn->requests[i].n;
        }

        if (prom) {
            p = ngx_sprintf(p, "dynamo_role_requests_total{role=\"%*s\"} "
                            "%uA\n", (size_t) rn->len, rn->role, requests);

        } else {
            p = ngx_sprintf(p, "%s\"%*s\":{\"requests\":%uA}",
                            p == roles.data ? "" : ",", (size_t) rn->len,
                            rn->role, requests);
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    roles.len = p - roles.data;

    if (ngx_http_dynamo_jwks_status(r, prom, &jwks) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    size = 4096 + roles.len + jwks.len;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;

    calls = c->sts_calls;
    total_ms = c->sts_time_ms;

    if (prom) {
        p = ngx_cpymem(p, "# HELP dynamo_requests_total Requests the "
                          "gateway handled, by outcome.\n"
                          "# TYPE dynamo_requests_total counter\n",
                       sizeof("# HELP dynamo_requests_total Requests the "
                              "gateway handled, by outcome.\n"
                              "# TYPE dynamo_requests_total counter\n") - 1);

        for (o = ngx_http_dynamo_outcomes; o->name; o++) {
            p = ngx_sprintf(p, "dynamo_requests_total{outcome=\"%s\"} %uA\n",
                            o->name, ngx_http_dynamo_counter(c, o->offset));
        }

        p = ngx_sprintf(p,
            "# TYPE dynamo_token_cache_hits_total counter\n"
            "dynamo_token_cache_hits_total %uA\n"
            "# TYPE dynamo_token_cache_misses_total counter\n"
            "dynamo_token_cache_misses_total %uA\n"
            "# TYPE dynamo_token_cache_entries gauge\n"
            "dynamo_token_cache_entries %uA\n"
            "# TYPE dynamo_credentials_cache_hits_total counter\n"
            "dynamo_credentials_cache_hits_total %uA\n"
            "# TYPE dynamo_credentials_cache_misses_total counter\n"
            "dynamo_credentials_cache_misses_total %uA\n"
            "# TYPE dynamo_credentials_refreshes_total counter\n"
            "dynamo_credentials_refreshes_total %uA\n"
            "# TYPE dynamo_credentials_failures_total counter\n"
            "dynamo_credentials_failures_total %uA\n"
            "# TYPE dynamo_credentials_cache_entries gauge\n"
            "dynamo_credentials_cache_entries %uA\n"
            "# TYPE dynamo_sts_calls_total counter\n"
            "dynamo_sts_calls_total %uA\n"
            "# TYPE dynamo_sts_errors_total counter\n"
            "dynamo_sts_errors_total %uA\n"
            "# HELP dynamo_sts_seconds_total Time spent waiting for STS.\n"
            "# TYPE dynamo_sts_seconds_total counter\n"
            "dynamo_sts_seconds_total %uA.%03uA\n",
            c->token_hits, c->token_misses, c->token_entries,
            c->cred_hits, c->cred_misses, c->cred_refreshes,
            c->cred_failures, c->cred_entries,
            calls, c->sts_errors, total_ms / 1000, total_ms % 1000);

        p = ngx_cpymem(p, "# HELP dynamo_sts_errors_by_kind_total Failed "
                          "STS calls, by kind.\n"
                          "# TYPE dynamo_sts_errors_by_kind_total counter\n",
                       sizeof("# HELP dynamo_sts_errors_by_kind_total Failed "
                              "STS calls, by kind.\n"
                              "# TYPE dynamo_sts_errors_by_kind_total "
                              "counter\n") - 1);

        for (o = ngx_http_dynamo_sts_kinds; o->name; o++) {
            p = ngx_sprintf(p, "dynamo_sts_errors_by_kind_total{kind=\"%s\"} "
                            "%uA\n",
                            o->name, ngx_http_dynamo_counter(c, o->offset));
        }

        p = ngx_sprintf(p,
            "# TYPE dynamo_zone_bytes gauge\n"
            "dynamo_zone_bytes{state=\"size\"} %uz\n"
            "dynamo_zone_bytes{state=\"free\"} %uz\n"
            "dynamo_zone_bytes{state=\"used\"} %uz\n"
            "# TYPE dynamo_zone_evictions_total counter\n"
            "dynamo_zone_evictions_total %uA\n"
            "# HELP dynamo_token_cache_bytes The tokens' share of the "
            "zone: used, and at most.\n"
            "# TYPE dynamo_token_cache_bytes gauge\n"
            "dynamo_token_cache_bytes{state=\"used\"} %uz\n"
            "dynamo_token_cache_bytes{state=\"budget\"} %uz\n"
            "# TYPE dynamo_token_cache_evictions_total counter\n"
            "dynamo_token_cache_evictions_total %uA\n"
            "# TYPE dynamo_credentials_cache_evictions_total counter\n"
            "dynamo_credentials_cache_evictions_total %uA\n"
            "# HELP dynamo_role_requests_total Requests made with each "
            "role.\n"
            "# TYPE dynamo_role_requests_total counter\n",
            dmcf->shm_zone->shm.size, pfree * ngx_pagesize,
            dmcf->shm_zone->shm.size - pfree * ngx_pagesize,
            c->evictions, token_bytes, token_budget, c->token_evictions,
            c->cred_evictions);

        p = ngx_cpymem(p, roles.data, roles.len);
        p = ngx_cpymem(p, jwks.data, jwks.len);

        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        p = ngx_sprintf(p, "{\"requests\":{\"total\":%uA", c->requests);

        for (o = ngx_http_dynamo_outcomes; o->name; o++) {
            p = ngx_sprintf(p, ",\"%s\":%uA", o->name,
                            ngx_http_dynamo_counter(c, o->offset));
        }

        p = ngx_sprintf(p,
            "},\"tokens\":{\"hits\":%uA,\"misses\":%uA,\"entries\":%uA},"
            "\"credentials\":{\"hits\":%uA,\"misses\":%uA,"
            "\"refreshes\":%uA,\"failures\":%uA,\"entries\":%uA},"
            "\"sts\":{\"calls\":%uA,\"errors\":%uA,\"time_ms\":%uA,"
            "\"average_ms\":%uA,\"errors_by_kind\":{",
            c->token_hits, c->token_misses, c->token_entries,
            c->cred_hits, c->cred_misses, c->cred_refreshes,
            c->cred_failures, c->cred_entries,
            calls, c->sts_errors, total_ms, calls ? total_ms / calls : 0);

        for (o = ngx_http_dynamo_sts_kinds; o->name; o++) {
            p = ngx_sprintf(p, "%s\"%s\":%uA",
                            o == ngx_http_dynamo_sts_kinds ? "" : ",",
                            o->name, ngx_http_dynamo_counter(c, o->offset));
        }

        p = ngx_sprintf(p,
            "}},"
            "\"zone\":{\"name\":\"%V\",\"size\":%uz,\"free\":%uz,"
            "\"used\":%uz,\"evictions\":%uA,\"token_bytes\":%uz,"
            "\"token_budget\":%uz,\"token_evictions\":%uA,"
            "\"credential_evictions\":%uA},"
            "\"roles\":{",
            &dmcf->shm_zone->shm.name, dmcf->shm_zone->shm.size,
            pfree * ngx_pagesize,
            dmcf->shm_zone->shm.size - pfree * ngx_pagesize,
            c->evictions, token_bytes, token_budget, c->token_evictions,
            c->cred_evictions);

        p = ngx_cpymem(p, roles.data, roles.len);
        p = ngx_cpymem(p, "}", 1);
        p = ngx_cpymem(p, jwks.data, jwks.len);      /* ,"key_sets":[] */
        p = ngx_cpymem(p, "}\n", 2);

        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* Prometheus scrapes with "Accept: text/plain;version=0.0.4;..." */

/* the workers' shards added up; each read is atomic */

static void
ngx_http_dynamo_status_sum(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_counters_t *sum)
{
    ngx_uint_t     i, j, n;
    ngx_atomic_t  *from, *to;

    ngx_memzero(sum, sizeof(ngx_http_dynamo_counters_t));

    n = sizeof(ngx_http_dynamo_counters_t) / sizeof(ngx_atomic_t);
    to = (ngx_atomic_t *) sum;

    for (i = 0; i < NGX_HTTP_DYNAMO_SHARDS; i++) {
        from = (ngx_atomic_t *) &zone->sh->shards[i].c;

        for (j = 0; j < n; j++) {
            to[j] += from[j];
        }
    }
}


static ngx_uint_t
ngx_http_dynamo_status_prometheus(ngx_http_request_t *r)
{
    ngx_str_t         value;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_http_arg(r, (u_char *) "format", 6, &value) == NGX_OK) {
        return value.len == 10
               && ngx_strncmp(value.data, "prometheus", 10) == 0;
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

        if (h[i].key.len == 6
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept", 6) == 0)
        {
            return ngx_strlcasestrn(h[i].value.data,
                                    h[i].value.data + h[i].value.len,
                                    (u_char *) "text/plain", 10 - 1)
                   != NULL
                   && ngx_strlcasestrn(h[i].value.data,
                                       h[i].value.data + h[i].value.len,
                                       (u_char *) "application/json", 16 - 1)
                      == NULL;
        }
    }

    return 0;
}
