
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * dynamo_status: the gateway's counters and cache state, as JSON, or in
 * Prometheus' text format with "?format=prometheus" or "Accept:
 * text/plain".  The counters live in the shared zone: exact across
 * workers, and kept over reloads.
 *
 * What the page shows of each request is counted here too, from the log
 * phase: its role, and its identity among the most active ones, in a
 * table of a fixed number of slots made with the zone.  When the table is
 * full, a new identity takes the slot of the least active one (the lowest
 * rank: its requests, plus those of the identity whose slot it took in
 * turn, as the space-saving algorithm counts them), whose counts go to
 * "other".  An identity that keeps more than its share of the requests
 * thus keeps its slot; its counts are exact since it took it.  The table
 * is read and written under the zone's lock, taken once a request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


/* the text format's families, and the page's figures but the lists */

#define NGX_HTTP_DYNAMO_STATUS_FIXED     8192

/* a role's ARN is 2048 bytes at most: escaped, and the rest of its line */

#define NGX_HTTP_DYNAMO_ROLE_LINE_MAX    (2 * 2048 + 128)

/*
 * An identity's lines but its name: its JSON object, and each of its
 * lines of the text format (the name escaped twice its length at most)
 */

#define NGX_HTTP_DYNAMO_IDENT_JSON_MAX   1024
#define NGX_HTTP_DYNAMO_IDENT_LINES      16
#define NGX_HTTP_DYNAMO_IDENT_LINE_MAX   160


typedef struct {
    const char                      *name;
    size_t                           offset;     /* in _counters_t */
    size_t                           ident;      /* in _ident_counts_t */
} ngx_http_dynamo_outcome_t;


/* what the page shows of an identity, or of a group of them */

typedef struct {
    ngx_str_t                        identity;
    const char                      *group;      /* NULL: an identity */
    ngx_http_dynamo_ident_counts_t   c;
} ngx_http_dynamo_status_ident_t;


typedef struct {
    u_char                          *role;
    size_t                           len;
    ngx_atomic_uint_t                requests;
} ngx_http_dynamo_status_role_t;


/* the page's figures, read at once before either format is written */

typedef struct {
    ngx_http_dynamo_counters_t       c;          /* the shards summed */
    size_t                           pfree;
    size_t                           token_bytes;
    size_t                           token_budget;
    ngx_http_dynamo_status_role_t   *roles;
    ngx_uint_t                       nroles;
    size_t                           roles_len;  /* their ARNs' */
    ngx_str_t                        jwks;
    ngx_uint_t                       nslots;     /* 0: no identities */
    uint64_t                         folded;
    ngx_http_dynamo_status_ident_t  *idents;     /* tracked, other,
                                                    unidentified */
    ngx_uint_t                       nidents;    /* tracked */
    size_t                           idents_len; /* their names' */
} ngx_http_dynamo_status_t;


static ngx_int_t ngx_http_dynamo_status_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_dynamo_status_prometheus(ngx_http_request_t *r);
static ngx_int_t ngx_http_dynamo_status_read(ngx_http_request_t *r,
    ngx_uint_t prom, ngx_http_dynamo_status_t *st);
static void ngx_http_dynamo_status_sum(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_counters_t *sum);
static ngx_int_t ngx_http_dynamo_status_read_roles(ngx_http_request_t *r,
    ngx_http_dynamo_zone_t *zone, ngx_http_dynamo_status_t *st);
static ngx_int_t ngx_http_dynamo_status_read_idents(ngx_http_request_t *r,
    ngx_http_dynamo_zone_t *zone, ngx_http_dynamo_status_t *st);
static int ngx_libc_cdecl ngx_http_dynamo_status_ident_cmp(const void *one,
    const void *two);
static ngx_buf_t *ngx_http_dynamo_status_json(ngx_http_request_t *r,
    ngx_http_dynamo_status_t *st);
static u_char *ngx_http_dynamo_status_json_idents(u_char *p,
    ngx_http_dynamo_status_t *st);
static u_char *ngx_http_dynamo_status_json_ident(u_char *p,
    ngx_http_dynamo_status_ident_t *id);
static ngx_buf_t *ngx_http_dynamo_status_text(ngx_http_request_t *r,
    ngx_http_dynamo_status_t *st);
static u_char *ngx_http_dynamo_status_text_idents(u_char *p,
    ngx_http_dynamo_status_t *st);
static u_char *ngx_http_dynamo_status_text_ident(u_char *p, const char *name,
    ngx_http_dynamo_status_ident_t *id);
static u_char *ngx_http_dynamo_status_family(u_char *p, const char *name,
    const char *type, const char *help);
static u_char *ngx_http_dynamo_status_gauge(u_char *p, const char *name,
    const char *help, size_t value);
static u_char *ngx_http_dynamo_status_label(u_char *p, u_char *value,
    size_t len);
static u_char *ngx_http_dynamo_status_units(u_char *p, uint64_t units);
static size_t ngx_http_dynamo_status_outcome(ngx_http_dynamo_ctx_t *ctx);
static ngx_http_dynamo_ident_t *ngx_http_dynamo_status_ident_locked(
    ngx_http_dynamo_idents_t *t, ngx_str_t *identity, uint32_t hash);
static uint64_t ngx_http_dynamo_status_capacity(u_char *p, size_t len);
static u_char *ngx_http_dynamo_status_capacity_units(u_char *p,
    u_char *last, uint64_t *sum);


#define ngx_http_dynamo_outcome(name)                                        \
    { #name, offsetof(ngx_http_dynamo_counters_t, name),                     \
      offsetof(ngx_http_dynamo_ident_counts_t, name) }

static ngx_http_dynamo_outcome_t  ngx_http_dynamo_outcomes[] = {
    ngx_http_dynamo_outcome(allowed),
    ngx_http_dynamo_outcome(refused_token),
    ngx_http_dynamo_outcome(refused_expired),
    ngx_http_dynamo_outcome(refused_denied),
    ngx_http_dynamo_outcome(refused_policy),
    ngx_http_dynamo_outcome(refused_validation),
    ngx_http_dynamo_outcome(unavailable),
    { NULL, 0, 0 }
};


/* failed STS calls by kind; "errors" is their sum */

static ngx_http_dynamo_outcome_t  ngx_http_dynamo_sts_kinds[] = {
    { "refused", offsetof(ngx_http_dynamo_counters_t, sts_refused), 0 },
    { "unreachable", offsetof(ngx_http_dynamo_counters_t, sts_unreachable),
      0 },
    { "5xx", offsetof(ngx_http_dynamo_counters_t, sts_5xx), 0 },
    { "malformed", offsetof(ngx_http_dynamo_counters_t, sts_malformed), 0 },
    { NULL, 0, 0 }
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


/* an identity's figures but its outcomes and its consumed capacity */

typedef struct {
    const char                  *json;
    const char                  *name;
    const char                  *help;
    size_t                       offset;     /* in _ident_counts_t */
} ngx_http_dynamo_ident_figure_t;


static ngx_http_dynamo_ident_figure_t  ngx_http_dynamo_ident_figures[] = {
    { "requests", "dynamo_identity_requests_total",
      "Requests of each identity, of any outcome.",
      offsetof(ngx_http_dynamo_ident_counts_t, requests) },
    { "throttled", "dynamo_identity_throttled_total",
      "Requests of each identity refused by limit_req or limit_conn.",
      offsetof(ngx_http_dynamo_ident_counts_t, throttled) },
    { "request_bytes", "dynamo_identity_request_bytes_total",
      "Bytes of the requests of each identity, headers included.",
      offsetof(ngx_http_dynamo_ident_counts_t, request_bytes) },
    { "response_bytes", "dynamo_identity_response_bytes_total",
      "Bytes sent to each identity, headers included.",
      offsetof(ngx_http_dynamo_ident_counts_t, response_bytes) },
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

#define ngx_http_dynamo_ident_counter(c, offset)                             \
    (*(uint64_t *) ((u_char *) (c) + (offset)))


static ngx_int_t
ngx_http_dynamo_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_uint_t                prom;
    ngx_chain_t               out;
    ngx_http_dynamo_status_t  st;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    prom = ngx_http_dynamo_status_prometheus(r);

    if (ngx_http_dynamo_status_read(r, prom, &st) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (prom) {
        b = ngx_http_dynamo_status_text(r, &st);
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        b = ngx_http_dynamo_status_json(r, &st);
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

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


/* the page's figures: counters, zone, roles, key sets, identities */

static ngx_int_t
ngx_http_dynamo_status_read(ngx_http_request_t *r, ngx_uint_t prom,
    ngx_http_dynamo_status_t *st)
{
    ngx_http_dynamo_zone_t  *zone;

    zone = ngx_http_dynamo_get_zone(r);

    ngx_http_dynamo_status_sum(zone, &st->c);

    if (ngx_http_dynamo_status_read_roles(r, zone, st) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the key sets' part is made in the format asked for */

    if (ngx_http_dynamo_jwks_status(r, prom, &st->jwks) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_dynamo_status_read_idents(r, zone, st);
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


/* the roles and the zone's figures, read under the zone's lock */

static ngx_int_t
ngx_http_dynamo_status_read_roles(ngx_http_request_t *r,
    ngx_http_dynamo_zone_t *zone, ngx_http_dynamo_status_t *st)
{
    u_char                         *names;
    ngx_uint_t                      i;
    ngx_queue_t                    *q;
    ngx_http_dynamo_role_node_t    *rn;
    ngx_http_dynamo_status_role_t  *role;

    ngx_shmtx_lock(&zone->shpool->mutex);

    st->pfree = zone->shpool->pfree;
    st->token_bytes = zone->sh->token_bytes;
    st->token_budget = zone->sh->token_budget;
    st->nroles = 0;
    st->roles_len = 0;

    st->roles = ngx_palloc(r->pool, zone->sh->nroles
                                    * sizeof(ngx_http_dynamo_status_role_t));
    names = ngx_pnalloc(r->pool, zone->sh->nroles * 2048);

    if (st->roles == NULL || names == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_ERROR;
    }

    for (q = ngx_queue_head(&zone->sh->roles);
         q != ngx_queue_sentinel(&zone->sh->roles)
         && st->nroles < zone->sh->nroles;
         q = ngx_queue_next(q))
    {
        rn = ngx_queue_data(q, ngx_http_dynamo_role_node_t, sh.lru);
        role = &st->roles[st->nroles++];

        role->requests = 0;

        for (i = 0; i < NGX_HTTP_DYNAMO_ROLE_SHARDS; i++) {
            role->requests += rn->requests[i].n;
        }

        role->role = names;
        role->len = rn->len;
        names = ngx_cpymem(names, rn->role, rn->len);

        st->roles_len += rn->len;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/*
 * The identities, copied under their table's lock, and then put in order:
 * the most active first (those with as many requests, by name), "other"
 * and "unidentified" after them
 */

static ngx_int_t
ngx_http_dynamo_status_read_idents(ngx_http_request_t *r,
    ngx_http_dynamo_zone_t *zone, ngx_http_dynamo_status_t *st)
{
    u_char                          *names;
    ngx_uint_t                       i;
    ngx_http_dynamo_ident_t         *slot;
    ngx_http_dynamo_idents_t        *t;
    ngx_http_dynamo_status_ident_t  *id;

    st->nslots = 0;
    st->nidents = 0;
    st->idents_len = 0;
    st->folded = 0;
    st->idents = NULL;

    t = zone->sh->idents;

    if (t == NULL) {
        return NGX_OK;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    st->idents = ngx_palloc(r->pool, (t->used + 2)
                                     * sizeof(ngx_http_dynamo_status_ident_t));
    names = ngx_pnalloc(r->pool, t->used * NGX_HTTP_DYNAMO_IDENTITY_MAX);

    if (st->idents == NULL || names == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_ERROR;
    }

    st->nslots = t->nslots;
    st->nidents = t->used;
    st->folded = t->folded;

    for (i = 0; i < t->used; i++) {
        slot = &t->slots[i];
        id = &st->idents[i];

        id->identity.data = names;
        id->identity.len = slot->len;
        id->group = NULL;
        id->c = slot->c;

        names = ngx_cpymem(names, slot->identity, slot->len);
        st->idents_len += slot->len;
    }

    id = &st->idents[t->used];

    ngx_str_null(&id[0].identity);
    id[0].group = "other";
    id[0].c = t->other;

    ngx_str_null(&id[1].identity);
    id[1].group = "unidentified";
    id[1].c = t->unidentified;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    ngx_qsort(st->idents, st->nidents, sizeof(ngx_http_dynamo_status_ident_t),
              ngx_http_dynamo_status_ident_cmp);

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_dynamo_status_ident_cmp(const void *one, const void *two)
{
    size_t                           len;
    ngx_int_t                        rc;
    ngx_http_dynamo_status_ident_t  *a, *b;

    a = (ngx_http_dynamo_status_ident_t *) one;
    b = (ngx_http_dynamo_status_ident_t *) two;

    if (a->c.requests != b->c.requests) {
        return (a->c.requests > b->c.requests) ? -1 : 1;
    }

    len = ngx_min(a->identity.len, b->identity.len);
    rc = ngx_memcmp(a->identity.data, b->identity.data, len);

    if (rc != 0) {
        return (int) rc;
    }

    return (int) a->identity.len - (int) b->identity.len;
}


/* the page as JSON */

static ngx_buf_t *
ngx_http_dynamo_status_json(ngx_http_request_t *r,
    ngx_http_dynamo_status_t *st)
{
    u_char                         *p;
    size_t                          size;
    ngx_buf_t                      *b;
    ngx_uint_t                      i;
    ngx_atomic_uint_t               calls, total_ms;
    ngx_http_dynamo_outcome_t      *o;
    ngx_http_dynamo_counters_t     *c;
    ngx_http_dynamo_main_conf_t    *dmcf;
    ngx_http_dynamo_status_role_t  *role;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);
    c = &st->c;

    size = NGX_HTTP_DYNAMO_STATUS_FIXED
           + st->roles_len + st->nroles * NGX_INT64_LEN * 2
           + st->jwks.len
           + ngx_http_dynamo_json_str_len(st->idents_len)
           + (st->nidents + 2) * NGX_HTTP_DYNAMO_IDENT_JSON_MAX;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NULL;
    }

    p = b->last;

    calls = c->sts_calls;
    total_ms = c->sts_time_ms;

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
        st->pfree * ngx_pagesize,
        dmcf->shm_zone->shm.size - st->pfree * ngx_pagesize,
        c->evictions, st->token_bytes, st->token_budget, c->token_evictions,
        c->cred_evictions);

    /*
     * role ARNs are checked when configured and when a rule makes one
     * (ngx_http_dynamo_role_arn_parse()): nothing in them to escape
     */

    for (i = 0; i < st->nroles; i++) {
        role = &st->roles[i];

        p = ngx_sprintf(p, "%s\"%*s\":{\"requests\":%uA}", i ? "," : "",
                        role->len, role->role, role->requests);
    }

    p = ngx_cpymem(p, "}", 1);
    p = ngx_cpymem(p, st->jwks.data, st->jwks.len);    /* ,"key_sets":[] */
    p = ngx_http_dynamo_status_json_idents(p, st);
    p = ngx_cpymem(p, "}\n", 2);

    b->last = p;

    return b;
}


/*
 * ,"identities":{"slots":100,"tracked":2,"folded":0,"top":[{...},{...}],
 * "other":{...},"unidentified":{...}}
 */

static u_char *
ngx_http_dynamo_status_json_idents(u_char *p, ngx_http_dynamo_status_t *st)
{
    ngx_uint_t  i;

    if (st->idents == NULL) {
        return p;
    }

    p = ngx_sprintf(p, ",\"identities\":{\"slots\":%ui,\"tracked\":%ui,"
                    "\"folded\":%uL,\"top\":[",
                    st->nslots, st->nidents, st->folded);

    for (i = 0; i < st->nidents; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_http_dynamo_status_json_ident(p, &st->idents[i]);
    }

    p = ngx_cpymem(p, "],\"other\":", sizeof("],\"other\":") - 1);
    p = ngx_http_dynamo_status_json_ident(p, &st->idents[st->nidents]);
    p = ngx_cpymem(p, ",\"unidentified\":", sizeof(",\"unidentified\":") - 1);
    p = ngx_http_dynamo_status_json_ident(p, &st->idents[st->nidents + 1]);

    return ngx_cpymem(p, "}", 1);
}


/* an identity's object, its name escaped as JSON; a group's, without */

static u_char *
ngx_http_dynamo_status_json_ident(u_char *p,
    ngx_http_dynamo_status_ident_t *id)
{
    ngx_http_dynamo_outcome_t       *o;
    ngx_http_dynamo_ident_figure_t  *f;

    *p++ = '{';

    if (id->group == NULL) {
        p = ngx_cpymem(p, "\"identity\":", sizeof("\"identity\":") - 1);
        p = ngx_http_dynamo_json_str(p, id->identity.data, id->identity.len);
        *p++ = ',';
    }

    for (f = ngx_http_dynamo_ident_figures; f->name; f++) {
        p = ngx_sprintf(p, "\"%s\":%uL,", f->json,
                        ngx_http_dynamo_ident_counter(&id->c, f->offset));
    }

    for (o = ngx_http_dynamo_outcomes; o->name; o++) {
        p = ngx_sprintf(p, "\"%s\":%uL,", o->name,
                        ngx_http_dynamo_ident_counter(&id->c, o->ident));
    }

    p = ngx_cpymem(p, "\"consumed_capacity\":",
                   sizeof("\"consumed_capacity\":") - 1);
    p = ngx_http_dynamo_status_units(p, id->c.capacity);

    *p++ = '}';

    return p;
}


/* the page in Prometheus' text format */

static ngx_buf_t *
ngx_http_dynamo_status_text(ngx_http_request_t *r,
    ngx_http_dynamo_status_t *st)
{
    u_char                         *p;
    size_t                          size;
    ngx_buf_t                      *b;
    ngx_uint_t                      i;
    ngx_atomic_uint_t               total_ms;
    ngx_http_dynamo_family_t       *f;
    ngx_http_dynamo_outcome_t      *o;
    ngx_http_dynamo_counters_t     *c;
    ngx_http_dynamo_main_conf_t    *dmcf;
    ngx_http_dynamo_status_role_t  *role;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);
    c = &st->c;

    size = NGX_HTTP_DYNAMO_STATUS_FIXED
           + st->nroles * NGX_HTTP_DYNAMO_ROLE_LINE_MAX
           + st->jwks.len
           + NGX_HTTP_DYNAMO_IDENT_LINES
             * (2 * st->idents_len
                + (st->nidents + 2) * NGX_HTTP_DYNAMO_IDENT_LINE_MAX);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NULL;
    }

    p = b->last;

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

    total_ms = c->sts_time_ms;

    p = ngx_http_dynamo_status_family(p, "dynamo_sts_seconds_total",
                                      "counter", "Time spent waiting "
                                      "for STS.");
    p = ngx_sprintf(p, "dynamo_sts_seconds_total %uA.%03uA\n",
                    total_ms / 1000, total_ms % 1000);

    p = ngx_http_dynamo_status_family(p, "dynamo_sts_errors_by_kind_total",
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
                                     st->pfree * ngx_pagesize);
    p = ngx_http_dynamo_status_gauge(p, "dynamo_zone_used_bytes",
                                     "The shared zone less its free "
                                     "pages.",
                                     dmcf->shm_zone->shm.size
                                     - st->pfree * ngx_pagesize);
    p = ngx_http_dynamo_status_gauge(p, "dynamo_token_cache_bytes",
                                     "Bytes of the zone the cached "
                                     "tokens use.", st->token_bytes);
    p = ngx_http_dynamo_status_gauge(p, "dynamo_token_cache_budget_bytes",
                                     "Bytes of the zone the cached "
                                     "tokens may use at most.",
                                     st->token_budget);

    p = ngx_http_dynamo_status_family(p, "dynamo_role_requests_total",
                                      "counter", "Requests made with "
                                      "each role.");

    for (i = 0; i < st->nroles; i++) {
        role = &st->roles[i];

        p = ngx_cpymem(p, "dynamo_role_requests_total{role=\"",
                       sizeof("dynamo_role_requests_total{role=\"") - 1);
        p = ngx_http_dynamo_status_label(p, role->role, role->len);
        p = ngx_sprintf(p, "\"} %uA\n", role->requests);
    }

    p = ngx_cpymem(p, st->jwks.data, st->jwks.len);
    p = ngx_http_dynamo_status_text_idents(p, st);

    b->last = p;

    return b;
}


/*
 * The identities' families, a line for each identity, then for "other"
 * and "unidentified": dynamo_identity_requests_total{identity="..."},
 * dynamo_identity_requests_total{group="other"} ...
 */

static u_char *
ngx_http_dynamo_status_text_idents(u_char *p, ngx_http_dynamo_status_t *st)
{
    ngx_uint_t                       i;
    ngx_http_dynamo_outcome_t       *o;
    ngx_http_dynamo_status_ident_t  *id;
    ngx_http_dynamo_ident_figure_t  *f;

    if (st->idents == NULL) {
        return p;
    }

    p = ngx_http_dynamo_status_gauge(p, "dynamo_identity_slots",
                                     "Identities dynamo_status counts "
                                     "each on its own at most.",
                                     st->nslots);

    p = ngx_http_dynamo_status_family(p, "dynamo_identity_folded_total",
                                      "counter", "Identities whose slot "
                                      "went to another, their counts to "
                                      "group \"other\".");
    p = ngx_sprintf(p, "dynamo_identity_folded_total %uL\n", st->folded);

    for (f = ngx_http_dynamo_ident_figures; f->name; f++) {
        p = ngx_http_dynamo_status_family(p, f->name, "counter", f->help);

        for (i = 0; i < st->nidents + 2; i++) {
            id = &st->idents[i];
            p = ngx_http_dynamo_status_text_ident(p, f->name, id);
            p = ngx_sprintf(p, "} %uL\n",
                            ngx_http_dynamo_ident_counter(&id->c, f->offset));
        }
    }

    p = ngx_http_dynamo_status_family(p,
                                      "dynamo_identity_outcomes_total",
                                      "counter", "Requests of each "
                                      "identity, by outcome.");

    for (i = 0; i < st->nidents + 2; i++) {
        id = &st->idents[i];

        for (o = ngx_http_dynamo_outcomes; o->name; o++) {
            p = ngx_http_dynamo_status_text_ident(p,
                                              "dynamo_identity_outcomes_total",
                                              id);
            p = ngx_sprintf(p, ",outcome=\"%s\"} %uL\n", o->name,
                            ngx_http_dynamo_ident_counter(&id->c, o->ident));
        }
    }

    p = ngx_http_dynamo_status_family(p,
                                      "dynamo_identity_capacity_units_total",
                                      "counter", "DynamoDB's capacity "
                                      "units consumed by each identity, as "
                                      "its answers said.");

    for (i = 0; i < st->nidents + 2; i++) {
        id = &st->idents[i];
        p = ngx_http_dynamo_status_text_ident(p,
                                        "dynamo_identity_capacity_units_total",
                                        id);
        p = ngx_cpymem(p, "} ", 2);
        p = ngx_http_dynamo_status_units(p, id->c.capacity);
        *p++ = '\n';
    }

    return p;
}


/* a line's name and its label, the braces left open */

static u_char *
ngx_http_dynamo_status_text_ident(u_char *p, const char *name,
    ngx_http_dynamo_status_ident_t *id)
{
    p = ngx_sprintf(p, "%s{", name);

    if (id->group) {
        return ngx_sprintf(p, "group=\"%s\"", id->group);
    }

    p = ngx_cpymem(p, "identity=\"", sizeof("identity=\"") - 1);
    p = ngx_http_dynamo_status_label(p, id->identity.data, id->identity.len);

    *p++ = '"';

    return p;
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
 * newline escaped.  Role ARNs have none of them today, identities (valid
 * UTF-8, as the JSON parser of the token's claims leaves them) may have
 * any; at most twice the length.
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


/* capacity units from thousandths: "1.500" */

static u_char *
ngx_http_dynamo_status_units(u_char *p, uint64_t units)
{
    return ngx_sprintf(p, "%uL.%03uL", units / 1000, units % 1000);
}


/*
 * The log phase: what the page shows of a request of a gateway location,
 * allowed or refused.  Its role, and its identity, or the group of the
 * requests without one: their counts, the bytes nginx's $request_length
 * and $bytes_sent say, and the capacity the answer consumed.
 */

void
ngx_http_dynamo_status_count(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx)
{
    size_t                           outcome;
    uint32_t                         hash;
    uint64_t                         capacity;
    ngx_http_dynamo_zone_t          *zone;
    ngx_http_dynamo_ident_t         *id;
    ngx_http_dynamo_idents_t        *t;
    ngx_http_dynamo_ident_counts_t  *c;
    ngx_http_dynamo_ddb_response_t  *rs;

    if (ctx->assume.role_arn.len) {
        ngx_http_dynamo_role_count(r, &ctx->assume.role_arn);
    }

    zone = ngx_http_dynamo_get_zone(r);

    if (zone == NULL || zone->sh->idents == NULL) {
        return;
    }

    t = zone->sh->idents;

    outcome = ngx_http_dynamo_status_outcome(ctx);

    /*
     * read with an activity log, or without one when the request asked for
     * it (ngx_http_dynamo_response_start())
     */

    rs = ctx->upstream.rs;

    capacity = (rs && rs->capacity_len && !rs->capacity_overflow)
               ? ngx_http_dynamo_status_capacity(rs->capacity,
                                                 rs->capacity_len)
               : 0;

    hash = ngx_murmur_hash2(ctx->caller.token.identity.data,
                            ctx->caller.token.identity.len);

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (ctx->caller.token.identity.len) {
        id = ngx_http_dynamo_status_ident_locked(t, &ctx->caller.token.identity,
                                                 hash);
        id->rank++;
        c = &id->c;

    } else {
        c = &t->unidentified;
    }

    c->requests++;

    if (outcome) {
        ngx_http_dynamo_ident_counter(c, outcome)++;
    }

    c->request_bytes += (r->request_length > 0) ? r->request_length : 0;
    c->response_bytes += (r->connection->sent > 0) ? r->connection->sent : 0;
    c->capacity += capacity;

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * The counter of a request's outcome, as the outcomes of the page say
 * (a refusal: by the kind of its error; allowed: it passed the access
 * checks, whatever came of it next), or of a throttled one; 0: none (a
 * request nginx gave up before it was allowed)
 */

static size_t
ngx_http_dynamo_status_outcome(ngx_http_dynamo_ctx_t *ctx)
{
    switch (ctx->err) {

    case NGX_HTTP_DYNAMO_ERR_MISSING_TOKEN:
    case NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED:
        return offsetof(ngx_http_dynamo_ident_counts_t, refused_token);

    case NGX_HTTP_DYNAMO_ERR_EXPIRED:
        return offsetof(ngx_http_dynamo_ident_counts_t, refused_expired);

    case NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED:
        return ctx->policy_violated
               ? offsetof(ngx_http_dynamo_ident_counts_t, refused_policy)
               : offsetof(ngx_http_dynamo_ident_counts_t, refused_denied);

    case NGX_HTTP_DYNAMO_ERR_UNAVAILABLE:
        return offsetof(ngx_http_dynamo_ident_counts_t, unavailable);

    case NGX_HTTP_DYNAMO_ERR_VALIDATION:
        return offsetof(ngx_http_dynamo_ident_counts_t, refused_validation);

    case NGX_HTTP_DYNAMO_ERR_THROTTLED:
        return offsetof(ngx_http_dynamo_ident_counts_t, throttled);

    default:
        return (ctx->state == NGX_HTTP_DYNAMO_STATE_DONE)
               ? offsetof(ngx_http_dynamo_ident_counts_t, allowed) : 0;
    }
}


/*
 * An identity's slot, found by its hash's bucket; a new one takes a free
 * slot, or the slot of the lowest rank, whose counts go to "other"
 */

static ngx_http_dynamo_ident_t *
ngx_http_dynamo_status_ident_locked(ngx_http_dynamo_idents_t *t,
    ngx_str_t *identity, uint32_t hash)
{
    int32_t                   *link;
    uint64_t                   rank, *from, *to;
    ngx_int_t                  k;
    ngx_uint_t                 i, n, bucket;
    ngx_http_dynamo_ident_t   *id, *min;

    bucket = hash & (t->nbuckets - 1);

    for (k = t->buckets[bucket]; k != -1; k = id->next) {
        id = &t->slots[k];

        if (id->hash == hash && id->len == identity->len
            && ngx_memcmp(id->identity, identity->data, identity->len) == 0)
        {
            return id;
        }
    }

    if (t->used < t->nslots) {
        id = &t->slots[t->used++];
        rank = 0;

    } else {
        min = &t->slots[0];

        for (i = 1; i < t->nslots; i++) {
            if (t->slots[i].rank < min->rank) {
                min = &t->slots[i];
            }
        }

        id = min;
        rank = id->rank;

        from = (uint64_t *) &id->c;
        to = (uint64_t *) &t->other;
        n = sizeof(ngx_http_dynamo_ident_counts_t) / sizeof(uint64_t);

        for (i = 0; i < n; i++) {
            to[i] += from[i];
        }

        t->folded++;

        /* out of its bucket's chain */

        for (link = &t->buckets[id->hash & (t->nbuckets - 1)];
             *link != id - t->slots;
             link = &t->slots[*link].next)
        {
            /* void */
        }

        *link = id->next;
    }

    ngx_memzero(&id->c, sizeof(ngx_http_dynamo_ident_counts_t));

    id->rank = rank;
    id->hash = hash;
    id->len = (u_short) identity->len;
    ngx_memcpy(id->identity, identity->data, identity->len);

    id->next = t->buckets[bucket];
    t->buckets[bucket] = (int32_t) (id - t->slots);

    return id;
}


/*
 * The capacity units an answer consumed, in thousandths, from its
 * ConsumedCapacity as the activity record's reader kept it (JSON the
 * tokenizer checked, scanned here for one name): the "CapacityUnits" of
 * the object, or of each object of the array (BatchGetItem,
 * TransactWriteItems ...).  Those of its tables and indexes, deeper, are
 * parts of it and not added.
 */

static uint64_t
ngx_http_dynamo_status_capacity(u_char *p, size_t len)
{
    u_char      *last, *name;
    uint64_t     sum;
    ngx_uint_t   depth, entry;

    static u_char  units[] = "\"CapacityUnits\"";

    last = p + len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    entry = (p < last && *p == '[') ? 2 : 1;
    depth = 0;
    sum = 0;

    while (p < last) {

        switch (*p) {

        case '{':
        case '[':
            depth++;
            p++;
            break;

        case '}':
        case ']':
            depth -= depth ? 1 : 0;
            p++;
            break;

        case '"':
            name = p++;

            while (p < last && *p != '"') {
                p += (*p == '\\' && p + 1 < last) ? 2 : 1;
            }

            p += (p < last) ? 1 : 0;

            if (depth != entry
                || (size_t) (p - name) != sizeof(units) - 1
                || ngx_memcmp(name, units, sizeof(units) - 1) != 0)
            {
                break;
            }

            while (p < last && (*p == ' ' || *p == ':' || *p == '\t'
                                || *p == '\r' || *p == '\n'))
            {
                p++;
            }

            p = ngx_http_dynamo_status_capacity_units(p, last, &sum);
            break;

        default:
            p++;
        }
    }

    return sum;
}


/* a JSON number, 12.5 or 1.25E1, added to the sum in thousandths */

static u_char *
ngx_http_dynamo_status_capacity_units(u_char *p, u_char *last,
    uint64_t *sum)
{
    uint64_t    n;
    ngx_int_t   scale, exp, sign;
    ngx_uint_t  digits, point;

    n = 0;
    scale = 3;
    digits = 0;
    point = 0;

    if (p < last && *p == '-') {
        return p;       /* no answer consumes less than nothing */
    }

    for ( /* void */ ; p < last; p++) {

        if (*p == '.' && !point) {
            point = 1;
            continue;
        }

        if (*p < '0' || *p > '9') {
            break;
        }

        /* 18 digits are kept, the others only scale */

        if (digits < 18) {
            n = n * 10 + (*p - '0');
            digits += (n != 0);
            scale -= point;

        } else {
            scale += !point;
        }
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;
        sign = 1;
        exp = 0;

        if (p < last && (*p == '+' || *p == '-')) {
            sign = (*p == '-') ? -1 : 1;
            p++;
        }

        for ( /* void */ ; p < last && *p >= '0' && *p <= '9'; p++) {
            exp = (exp < 1000) ? exp * 10 + (*p - '0') : exp;
        }

        scale += sign * exp;
    }

    for ( /* void */ ; scale < 0 && n; scale++) {
        n /= 10;
    }

    for ( /* void */ ; scale > 0 && n; scale--) {
        if (n > NGX_MAX_UINT32_VALUE * (uint64_t) 1000) {
            return p;   /* more than any answer consumes: left out */
        }

        n *= 10;
    }

    *sum += n;

    return p;
}
