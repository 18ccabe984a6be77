
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


/* a role's line: its ARN (2048 bytes at most), escaped, and the rest */

#define NGX_HTTP_DYNAMO_ROLE_LINE_MAX  (2 * 2048 + 128)


static ngx_int_t ngx_http_dynamo_status_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_dynamo_status_prometheus(ngx_http_request_t *r);
static void ngx_http_dynamo_status_sum(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_counters_t *sum);
static u_char *ngx_http_dynamo_status_family(u_char *p, const char *name,
    const char *type, const char *help);
static u_char *ngx_http_dynamo_status_gauge(u_char *p, const char *name,
    const char *help, size_t value);
static u_char *ngx_http_dynamo_status_label(u_char *p, u_char *value,
    size_t len);


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


/* the counters that are each a metric family of their own, unlabelled */

typedef struct {
    const char                  *name;
    const char                  *type;
    const char                  *help;
    size_t                       offset;
} ngx_http_dynamo_family_t;


static ngx_http_dynamo_family_t  ngx_http_dynamo_families[] = {
    { "dynamo_token_cache_hits_total", "counter",
      "Tokens found already verified in the token cache.",
      offsetof(ngx_http_dynamo_counters_t, token_hits) },
    { "dynamo_token_cache_misses_total", "counter",
      "Tokens not found in the token cache.",
      offsetof(ngx_http_dynamo_counters_t, token_misses) },
    { "dynamo_token_cache_entries", "gauge",
      "Tokens in the token cache.",
      offsetof(ngx_http_dynamo_counters_t, token_entries) },
    { "dynamo_token_cache_evictions_total", "counter",
      "Tokens evicted from the zone to make room.",
      offsetof(ngx_http_dynamo_counters_t, token_evictions) },
    { "dynamo_credentials_cache_hits_total", "counter",
      "Requests that found usable role credentials in the cache.",
      offsetof(ngx_http_dynamo_counters_t, cred_hits) },
    { "dynamo_credentials_cache_misses_total", "counter",
      "Requests that found no usable role credentials in the cache.",
      offsetof(ngx_http_dynamo_counters_t, cred_misses) },
    { "dynamo_credentials_cache_entries", "gauge",
      "Role credentials in the cache.",
      offsetof(ngx_http_dynamo_counters_t, cred_entries) },
    { "dynamo_credentials_cache_evictions_total", "counter",
      "Role credentials and key sets evicted from the zone to make room.",
      offsetof(ngx_http_dynamo_counters_t, cred_evictions) },
    { "dynamo_credentials_refreshes_total", "counter",
      "Role credentials renewed ahead of their expiry.",
      offsetof(ngx_http_dynamo_counters_t, cred_refreshes) },
    { "dynamo_credentials_failures_total", "counter",
      "Attempts to obtain role credentials that failed.",
      offsetof(ngx_http_dynamo_counters_t, cred_failures) },
    { "dynamo_sts_calls_total", "counter",
      "Calls made to STS.",
      offsetof(ngx_http_dynamo_counters_t, sts_calls) },
    { "dynamo_sts_errors_total", "counter",
      "Failed STS calls, of all kinds.",
      offsetof(ngx_http_dynamo_counters_t, sts_errors) },
    { "dynamo_zone_evictions_total", "counter",
      "Entries of any kind evicted from the zone to make room.",
      offsetof(ngx_http_dynamo_counters_t, evictions) },
    { NULL, NULL, NULL, 0 }
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
    ngx_http_dynamo_family_t      *f;
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
            p = ngx_cpymem(p, "dynamo_role_requests_total{role=\"",
                           sizeof("dynamo_role_requests_total{role=\"") - 1);
            p = ngx_http_dynamo_status_label(p, rn->role, rn->len);
            p = ngx_sprintf(p, "\"} %uA\n", requests);

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

    /* roles and key sets aside, the JSON and the text take under 5 KB */

    size = 8192 + roles.len + jwks.len;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;

    calls = c->sts_calls;
    total_ms = c->sts_time_ms;

    if (prom) {
        p = ngx_http_dynamo_status_family(p, "dynamo_requests_total",
                                          "counter", "Requests the gateway "
                                          "answered, by outcome.");

        for (o = ngx_http_dynamo_outcomes; o->name; o++) {
            p = ngx_sprintf(p, "dynamo_requests_total{outcome=\"%s\"} %uA\n",
                            o->name, ngx_http_dynamo_counter(c, o->offset));
        }

        for (f = ngx_http_dynamo_families; f->name; f++) {
            p = ngx_http_dynamo_status_family(p, f->name, f->type, f->help);
            p = ngx_sprintf(p, "%s %uA\n", f->name,
                            ngx_http_dynamo_counter(c, f->offset));
        }

        /* STS time is counted in milliseconds, and shown in seconds */

        p = ngx_http_dynamo_status_family(p, "dynamo_sts_seconds_total",
                                          "counter", "Time spent waiting "
                                          "for STS.");
        p = ngx_sprintf(p, "dynamo_sts_seconds_total %uA.%03uA\n",
                        total_ms / 1000, total_ms % 1000);

        p = ngx_http_dynamo_status_family(p,
                                          "dynamo_sts_errors_by_kind_total",
                                          "counter", "Failed STS calls, "
                                          "by kind.");

        for (o = ngx_http_dynamo_sts_kinds; o->name; o++) {
            p = ngx_sprintf(p, "dynamo_sts_errors_by_kind_total{kind=\"%s\"} "
                            "%uA\n",
                            o->name, ngx_http_dynamo_counter(c, o->offset));
        }

        p = ngx_http_dynamo_status_gauge(p, "dynamo_zone_size_bytes",
                                         "Size of the shared zone.",
                                         dmcf->shm_zone->shm.size);
        p = ngx_http_dynamo_status_gauge(p, "dynamo_zone_free_bytes",
                                         "Free pages of the shared zone.",
                                         pfree * ngx_pagesize);
        p = ngx_http_dynamo_status_gauge(p, "dynamo_zone_used_bytes",
                                         "The shared zone less its free "
                                         "pages.",
                                         dmcf->shm_zone->shm.size
                                         - pfree * ngx_pagesize);
        p = ngx_http_dynamo_status_gauge(p, "dynamo_token_cache_bytes",
                                         "Bytes of the zone the cached "
                                         "tokens use.", token_bytes);
        p = ngx_http_dynamo_status_gauge(p, "dynamo_token_cache_budget_bytes",
                                         "Bytes of the zone the cached "
                                         "tokens may use at most.",
                                         token_budget);

        p = ngx_http_dynamo_status_family(p, "dynamo_role_requests_total",
                                          "counter", "Requests made with "
                                          "each role.");

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


/* Prometheus scrapes with "Accept: text/plain;version=0.0.4;..." */

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


/* "# HELP" and "# TYPE" of one metric family */

static u_char *
ngx_http_dynamo_status_family(u_char *p, const char *name, const char *type,
    const char *help)
{
    return ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                       name, help, name, type);
}


static u_char *
ngx_http_dynamo_status_gauge(u_char *p, const char *name, const char *help,
    size_t value)
{
    p = ngx_http_dynamo_status_family(p, name, "gauge", help);

    return ngx_sprintf(p, "%s %uz\n", name, value);
}


/*
 * A label value as the text format wants it: backslash, double quote and
 * newline escaped.  Role ARNs have none of them today; at most twice the
 * length.
 */

static u_char *
ngx_http_dynamo_status_label(u_char *p, u_char *value, size_t len)
{
    u_char  *last;

    for (last = value + len; value < last; value++) {

        switch (*value) {

        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = *value;
            break;

        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;

        default:
            *p++ = *value;
        }
    }

    return p;
}
