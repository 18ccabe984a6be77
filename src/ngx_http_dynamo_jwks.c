
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Key sets fetched from an identity provider (dynamo_jwt_jwks), through a
 * subrequest to an internal location that proxies to its JWKS URL.
 *
 * The set lives in the shared zone, an expensive entry that tokens never
 * evict, so one fetch serves every worker and outlives a reload.  Each
 * worker keeps the keys parsed, and parses them again only when the
 * zone's generation changes, which only a different set does.  Fetches
 * are single flight across workers (a marker with a deadline, so that a
 * lost fetch never wedges the set) and never closer than cooldown= to
 * each other, whatever asks for them: the first use, a refresh due
 * (refresh=, or the answer's max-age, never below cooldown), a token
 * naming a kid the set lacks.  A failed fetch keeps the last good set
 * until max_stale= after its refresh was due, backs off (cooldown,
 * doubling, up to refresh), and is logged at "error" once per streak of
 * failures.  With no usable set a token whose key could only come from it
 * is answered 503 InternalServerError: the client did nothing wrong.
 *
 * A token verification cached in the zone is keyed by the generations of
 * the location's key sets: once a worker has seen a new set (within a
 * second of its next request), the tokens it meets are verified again,
 * and those of a removed key are refused.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"

#include <jansson.h>
#include <openssl/evp.h>


#define NGX_HTTP_DYNAMO_JWKS_LIMIT       (256 * 1024)
#define NGX_HTTP_DYNAMO_JWKS_LEASE       60000     /* ms */
#define NGX_HTTP_DYNAMO_JWKS_SYNC        1000      /* ms */
#define NGX_HTTP_DYNAMO_JWKS_RESULT_MAX  200
#define NGX_HTTP_DYNAMO_JWKS_REASON_MAX  1024
#define NGX_HTTP_DYNAMO_JWKS_HELP_MAX    64


/*
 * The key set in the zone: the keys verification needs (a JSON key set),
 * its generation (0: none yet), the single-flight marker, when the last
 * fetch began (the cooldown), when the set is due for a refresh, the
 * back-off after failures, and what dynamo_status shows.
 */

typedef struct {
    ngx_http_dynamo_node_t           sh;
    uint64_t                         generation;
    uint64_t                         fetcher;
    ngx_msec_t                       fetch_until;  /* wall clock, ms */
    ngx_msec_t                       last_fetch;
    time_t                           fetched;      /* the last good one */
    time_t                           refresh_at;
    time_t                           retry_at;
    time_t                           backoff;
    ngx_uint_t                       fetches;
    ngx_uint_t                       failures;
    ngx_uint_t                       streak;       /* failures in a row */
    ngx_uint_t                       nkeys;
    u_char                           result_len;
    u_char                           result[NGX_HTTP_DYNAMO_JWKS_RESULT_MAX];
    u_short                          uri_len;
    uint32_t                         set_len;
    u_char                           data[1];      /* uri, set */
} ngx_http_dynamo_jwks_node_t;


/* what a request may do about a key set, as the zone says */

typedef struct {
    uint64_t                         generation;
    ngx_uint_t                       usable;
    ngx_uint_t                       due;
    ngx_uint_t                       in_flight;
    ngx_uint_t                       can_fetch;
    ngx_uint_t                       failing;
    u_char                           result[NGX_HTTP_DYNAMO_JWKS_RESULT_MAX];
    size_t                           result_len;
} ngx_http_dynamo_jwks_state_t;


static ngx_int_t ngx_http_dynamo_jwks_sync(ngx_http_request_t *r,
    ngx_http_dynamo_jwks_t *set, ngx_http_dynamo_jwks_state_t *st);
static ngx_int_t ngx_http_dynamo_jwks_take(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_jwks_t *set);
static ngx_int_t ngx_http_dynamo_jwks_fetch(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_jwks_t *set);
static ngx_int_t ngx_http_dynamo_jwks_done(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_jwks_t *set);
static void ngx_http_dynamo_jwks_store(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_jwks_t *set,
    ngx_str_t *compact, ngx_uint_t nkeys, u_char *reason);
static ngx_http_dynamo_jwks_node_t *ngx_http_dynamo_jwks_node(
    ngx_http_dynamo_zone_t *zone, ngx_http_dynamo_jwks_t *set,
    ngx_http_dynamo_jwks_node_t *old, size_t set_len, ngx_log_t *log);
static void ngx_http_dynamo_jwks_abandoned(void *data);
static void ngx_http_dynamo_jwks_cleanup(void *data);
static ngx_int_t ngx_http_dynamo_jwks_unavailable(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_jwks_t *set,
    ngx_http_dynamo_jwks_state_t *st);


/* dynamo_jwt_jwks uri [refresh=time] [cooldown=time] [max_stale=time] */

char *
ngx_http_dynamo_jwt_jwks(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    time_t                        t, *slot;
    ngx_str_t                    *value, s;
    ngx_uint_t                    i;
    EVP_MD_CTX                   *md;
    ngx_pool_cleanup_t           *cln;
    ngx_http_dynamo_jwks_t       *set, **sets, **known;
    ngx_http_dynamo_main_conf_t  *dmcf;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_jwt_jwks needs the URI of an internal "
                           "location that proxies to the identity "
                           "provider's JWKS URL, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    /* the uri is a label value of dynamo_status, written as it is */

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < 0x21 || value[1].data[i] > 0x7e
            || value[1].data[i] == '"' || value[1].data[i] == '\\')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dynamo_jwt_jwks \"%V\": a location's URI "
                               "without quotes, backslashes, spaces or "
                               "control characters is needed", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    set = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_jwks_t));
    if (set == NULL) {
        return NGX_CONF_ERROR;
    }

    set->uri = value[1];
    set->refresh = 600;
    set->cooldown = 30;
    set->max_stale = 86400;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "refresh=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;
            slot = &set->refresh;

        } else if (ngx_strncmp(value[i].data, "cooldown=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;
            slot = &set->cooldown;

        } else if (ngx_strncmp(value[i].data, "max_stale=", 10) == 0) {
            s.data = value[i].data + 10;
            s.len = value[i].len - 10;
            slot = &set->max_stale;

        } else {
            goto invalid;
        }

        t = ngx_parse_time(&s, 1);

        if (t == (time_t) NGX_ERROR || t == 0) {
            goto invalid;
        }

        *slot = t;
    }

    if (set->cooldown > set->refresh) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_jwt_jwks \"%V\": cooldown=%T is longer "
                           "than refresh=%T", &set->uri, set->cooldown,
                           set->refresh);
        return NGX_CONF_ERROR;
    }

    /* one key set per location, wherever it is named */

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);

    if (dmcf->jwks == NULL) {
        dmcf->jwks = ngx_array_create(cf->pool, 2,
                                      sizeof(ngx_http_dynamo_jwks_t *));
        if (dmcf->jwks == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    known = dmcf->jwks->elts;

    for (i = 0; i < dmcf->jwks->nelts; i++) {
        if (known[i]->uri.len != set->uri.len
            || ngx_strncmp(known[i]->uri.data, set->uri.data, set->uri.len)
               != 0)
        {
            continue;
        }

        if (known[i]->refresh != set->refresh
            || known[i]->cooldown != set->cooldown
            || known[i]->max_stale != set->max_stale)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dynamo_jwt_jwks \"%V\" is given elsewhere "
                               "with other parameters", &set->uri);
            return NGX_CONF_ERROR;
        }

        set = known[i];
        goto add;
    }

    /* the zone's key: what the set is fetched from */

    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(md, "jwks", sizeof("jwks")) != 1
        || EVP_DigestUpdate(md, set->uri.data, set->uri.len) != 1
        || EVP_DigestFinal_ex(md, set->digest, NULL) != 1)
    {
        EVP_MD_CTX_free(md);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "EVP_Digest*() failed");
        return NGX_CONF_ERROR;
    }

    EVP_MD_CTX_free(md);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dynamo_jwks_cleanup;
    cln->data = set;

    known = ngx_array_push(dmcf->jwks);
    if (known == NULL) {
        return NGX_CONF_ERROR;
    }

    *known = set;

add:

    if (dlcf->jwks == NGX_CONF_UNSET_PTR) {
        dlcf->jwks = ngx_array_create(cf->pool, 1,
                                      sizeof(ngx_http_dynamo_jwks_t *));
        if (dlcf->jwks == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    sets = dlcf->jwks->elts;

    for (i = 0; i < dlcf->jwks->nelts; i++) {
        if (sets[i] == set) {
            return "is duplicate";
        }
    }

    sets = ngx_array_push(dlcf->jwks);
    if (sets == NULL) {
        return NGX_CONF_ERROR;
    }

    *sets = set;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* the worker's parsed keys go with the configuration */

static void
ngx_http_dynamo_jwks_cleanup(void *data)
{
    ngx_http_dynamo_jwks_t *set = data;

    if (set->keys) {
        ngx_http_dynamo_jwks_free(set->keys);
        set->keys = NULL;
    }

    if (set->pool) {
        ngx_destroy_pool(set->pool);
        set->pool = NULL;
    }
}


/*
 * What the cached verifications of a location depend on beside its
 * configuration: the generations of its key sets, as this worker knows
 * them (looked at in the zone at most once a second), in *generation.
 * A set due for a refresh is fetched first, by the request that finds it
 * due and may take the fetch, which waits for it (NGX_AGAIN), so that a
 * cached verification never hides a refresh; the others go on.
 */

ngx_int_t
ngx_http_dynamo_jwks_generation(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    uint64_t *generation)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, bit;
    ngx_http_dynamo_jwks_t       **sets, *set;
    ngx_http_dynamo_jwks_state_t   st;

    sets = dlcf->jwks->elts;

    for (i = 0; i < dlcf->jwks->nelts; i++) {
        set = sets[i];
        bit = (ngx_uint_t) 1 << (i % 32);

        if (ctx->jwks.fetching == set) {

            if (!ctx->sub.done) {
                return NGX_AGAIN;
            }

            if (ngx_http_dynamo_jwks_done(r, ctx, set) != NGX_OK) {
                return NGX_ERROR;
            }

            set->checked = 0;
        }

        if (ngx_http_dynamo_time_ms() - set->checked
            >= NGX_HTTP_DYNAMO_JWKS_SYNC)
        {
            if (ngx_http_dynamo_jwks_sync(r, set, &st) != NGX_OK) {
                return NGX_ERROR;
            }

            if (st.usable && st.due && st.can_fetch
                && !(ctx->jwks.fetched & bit))
            {
                rc = ngx_http_dynamo_jwks_take(r, ctx, set);

                if (rc == NGX_OK) {
                    ctx->jwks.fetched |= bit;
                    return ngx_http_dynamo_jwks_fetch(r, ctx, set);
                }

                if (rc == NGX_ERROR) {
                    return NGX_ERROR;
                }
            }
        }

    }

    *generation = ngx_http_dynamo_jwks_current(dlcf);

    return NGX_OK;
}


/* the generations of the location's sets this worker holds, as one */

uint64_t
ngx_http_dynamo_jwks_current(ngx_http_dynamo_loc_conf_t *dlcf)
{
    uint64_t                  g;
    ngx_uint_t                i;
    ngx_http_dynamo_jwks_t  **sets;

    g = 0;
    sets = dlcf->jwks->elts;

    for (i = 0; i < dlcf->jwks->nelts; i++) {
        g = g * 31 + sets[i]->generation;
    }

    return g;
}


/*
 * The keys of the location's key sets that may verify a token naming
 * kid (any key, when it names none), appended to out.  NGX_OK: out holds
 * them, maybe none, and ctx->jwks.unavailable says whether a set that
 * could hold the token's key is unusable (the reason in ctx); NGX_AGAIN:
 * the request waits for a fetch, its own or another's; NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_jwks_keys(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *kid, ngx_array_t *out)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, k, found;
    ngx_http_dynamo_key_t         *key, *copy;
    ngx_http_dynamo_jwks_t       **sets, *set;
    ngx_http_dynamo_jwks_state_t   st;

    sets = dlcf->jwks->elts;

    for (i = 0; i < dlcf->jwks->nelts; i++) {
        set = sets[i];

        if (ctx->jwks.fetching == set) {

            if (!ctx->sub.done) {
                return NGX_AGAIN;
            }

            if (ngx_http_dynamo_jwks_done(r, ctx, set) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        /*
         * a kid the worker's set holds, the zone looked at within the
         * second: no lock
         */

        if (kid->len && set->keys
            && ngx_http_dynamo_time_ms() - set->checked
               < NGX_HTTP_DYNAMO_JWKS_SYNC
            && ngx_time() < set->due && ngx_time() < set->usable_until
            && !(ctx->jwks.fetched & ((ngx_uint_t) 1 << (i % 32))))
        {
            key = set->keys->elts;

            for (k = 0; k < set->keys->nelts; k++) {
                if (key[k].kid.len == kid->len
                    && ngx_memcmp(key[k].kid.data, kid->data, kid->len)
                       == 0)
                {
                    break;
                }
            }

            if (k < set->keys->nelts) {
                copy = ngx_array_push(out);
                if (copy == NULL) {
                    return NGX_ERROR;
                }

                *copy = key[k];
                continue;
            }
        }

        rc = ngx_http_dynamo_jwks_sync(r, set, &st);

        if (rc != NGX_OK) {
            return rc;
        }

        found = 0;

        if (st.usable && set->keys) {
            key = set->keys->elts;

            for (k = 0; k < set->keys->nelts; k++) {
                if (kid->len
                    && (key[k].kid.len != kid->len
                        || ngx_memcmp(key[k].kid.data, kid->data, kid->len)
                           != 0))
                {
                    continue;
                }

                copy = ngx_array_push(out);
                if (copy == NULL) {
                    return NGX_ERROR;
                }

                *copy = key[k];
                found++;
            }
        }

        /* this request fetched the set already: what it holds is all */

        if (ctx->jwks.fetched & ((ngx_uint_t) 1 << (i % 32))) {

            if (!found && (!st.usable || st.failing)) {
                (void) ngx_http_dynamo_jwks_unavailable(r, ctx, set, &st);
            }

            continue;
        }

        if (st.usable && (found || !kid->len) && !st.due) {
            continue;
        }

        /* never fetched, stale, due for a refresh, or the kid is unknown */

        if (st.in_flight) {
            if (st.usable && found) {
                continue;
            }

            return ngx_http_dynamo_wait(r, ctx);
        }

        if (st.can_fetch) {
            rc = ngx_http_dynamo_jwks_take(r, ctx, set);

            if (rc == NGX_OK) {
                ctx->jwks.fetched |= (ngx_uint_t) 1 << (i % 32);

                return ngx_http_dynamo_jwks_fetch(r, ctx, set);
            }

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            /* another request took it first */

            if (!(st.usable && found)) {
                return ngx_http_dynamo_wait(r, ctx);
            }

            continue;
        }

        /* no fetch now: cooldown or back-off */

        if (!found && (!st.usable || st.failing)) {
            (void) ngx_http_dynamo_jwks_unavailable(r, ctx, set, &st);
        }
    }

    return NGX_OK;
}


/* the set could not be had: why, for the 503 and the log */

static ngx_int_t
ngx_http_dynamo_jwks_unavailable(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_jwks_t *set,
    ngx_http_dynamo_jwks_state_t *st)
{
    u_char  *p;
    size_t   len;

    len = sizeof("the identity provider's keys (\"\") are unavailable: ")
          - 1 + set->uri.len + ngx_max(st->result_len,
                                       sizeof("not fetched yet"));

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->jwks.reason.data = p;

    p = ngx_sprintf(p, "the identity provider's keys (\"%V\") are "
                    "unavailable: ", &set->uri);

    if (st->result_len) {
        p = ngx_cpymem(p, st->result, st->result_len);

    } else {
        p = ngx_cpymem(p, "not fetched yet", sizeof("not fetched yet") - 1);
    }

    ctx->jwks.reason.len = p - ctx->jwks.reason.data;
    ctx->jwks.unavailable = 1;

    return NGX_OK;
}


/*
 * Reads the set's state in the zone, and brings the worker's parsed keys
 * up to the zone's generation.
 */

static ngx_int_t
ngx_http_dynamo_jwks_sync(ngx_http_request_t *r, ngx_http_dynamo_jwks_t *set,
    ngx_http_dynamo_jwks_state_t *st)
{
    u_char                       *copy;
    time_t                        now;
    size_t                        len;
    ngx_int_t                     rc;
    ngx_msec_t                    now_ms;
    ngx_uint_t                    refused;
    ngx_str_t                     compact, text;
    ngx_pool_t                   *pool;
    ngx_array_t                  *keys;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_jwks_node_t  *jn;
    u_char                        reason[NGX_HTTP_DYNAMO_JWKS_REASON_MAX];

    ngx_memzero(st, sizeof(ngx_http_dynamo_jwks_state_t));

    zone = ngx_http_dynamo_get_zone(r);
    now = ngx_time();
    now_ms = ngx_http_dynamo_time_ms();
    copy = NULL;
    len = 0;

    set->checked = now_ms;

    ngx_shmtx_lock(&zone->shpool->mutex);

    jn = (ngx_http_dynamo_jwks_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_JWKS,
                                                set->digest);

    if (jn == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);

        set->usable_until = 0;
        st->can_fetch = 1;
        goto worker;
    }

    st->generation = jn->generation;

    set->due = jn->refresh_at;
    set->usable_until = jn->generation ? jn->refresh_at + set->max_stale : 0;
    st->usable = jn->generation
                 && now < jn->refresh_at + set->max_stale;
    st->due = (now >= jn->refresh_at);
    st->in_flight = (jn->fetch_until > now_ms);
    st->failing = (jn->streak > 0);
    st->can_fetch = !st->in_flight
                    && (jn->last_fetch == 0
                        || now_ms - jn->last_fetch
                           >= (ngx_msec_t) set->cooldown * 1000)
                    && now >= jn->retry_at;

    st->result_len = jn->result_len;
    ngx_memcpy(st->result, jn->result, jn->result_len);

    if (jn->generation != set->generation && jn->set_len) {
        len = jn->set_len;
        copy = ngx_pnalloc(r->pool, len);

        if (copy == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }

        ngx_memcpy(copy, jn->data + jn->uri_len, len);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

worker:

    if (copy == NULL) {
        if (st->generation == 0 && set->generation) {
            /* the zone lost the set: so does the worker */
            ngx_http_dynamo_jwks_cleanup(set);
            set->generation = 0;
        }

        return NGX_OK;
    }

    /* a new set: parsed once in each worker, quietly */

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    keys = ngx_array_create(pool, 4, sizeof(ngx_http_dynamo_key_t));
    if (keys == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    text.data = copy;
    text.len = len;

    rc = ngx_http_dynamo_jwks_answer(pool, NULL, 1, &set->uri, text.data,
                                     text.len, keys, &compact, &refused,
                                     reason, sizeof(reason));

    if (rc != NGX_OK) {
        ngx_destroy_pool(pool);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dynamo_jwt_jwks \"%V\": the zone's key set does "
                      "not read: %s", &set->uri, reason);
        return NGX_OK;
    }

    ngx_http_dynamo_jwks_cleanup(set);

    set->pool = pool;
    set->keys = keys;
    set->generation = st->generation;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: key set \"%V\" now has %ui keys in this worker",
                   &set->uri, keys->nelts);

    return NGX_OK;
}


/*
 * Takes the set's fetch, when nobody holds it and cooldown and back-off
 * allow it: NGX_OK, or NGX_DECLINED when another request was first.
 */

static ngx_int_t
ngx_http_dynamo_jwks_take(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_jwks_t *set)
{
    ngx_int_t                     rc;
    ngx_msec_t                    now_ms;
    ngx_pool_cleanup_t           *cln;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_main_conf_t  *dmcf;
    ngx_http_dynamo_jwks_node_t  *jn;

    zone = ngx_http_dynamo_get_zone(r);
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    if (ctx->cred.fetch_id == 0) {
        ctx->cred.fetch_id = ((uint64_t) ngx_pid << 32) | ++dmcf->fetch_ids;
    }

    if (!ctx->jwks.guarded) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_dynamo_jwks_abandoned;
        cln->data = r;

        ctx->jwks.guarded = 1;
    }

    now_ms = ngx_http_dynamo_time_ms();
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&zone->shpool->mutex);

    jn = (ngx_http_dynamo_jwks_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_JWKS,
                                                set->digest);

    if (jn == NULL) {
        jn = ngx_http_dynamo_jwks_node(zone, set, NULL, 0,
                                       r->connection->log);

        if (jn == NULL) {
            /* no single flight without memory: the zone logged it */
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }
    }

    if (jn->fetch_until <= now_ms
        && (jn->last_fetch == 0
            || now_ms - jn->last_fetch >= (ngx_msec_t) set->cooldown * 1000)
        && ngx_time() >= jn->retry_at)
    {
        jn->fetch_until = now_ms + NGX_HTTP_DYNAMO_JWKS_LEASE;
        jn->fetcher = ctx->cred.fetch_id;
        jn->last_fetch = now_ms;
        jn->fetches++;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/* a GET of the set's location, its answer bounded */

static ngx_int_t
ngx_http_dynamo_jwks_fetch(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_jwks_t *set)
{
    ngx_http_dynamo_aws_header_t  *h;

    h = ngx_palloc(r->pool, sizeof(ngx_http_dynamo_aws_header_t));
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->name, "Accept");
    ngx_str_set(&h->value, "application/json");

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: fetching key set \"%V\"", &set->uri);

    ctx->sub.limit = NGX_HTTP_DYNAMO_JWKS_LIMIT;

    if (ngx_http_dynamo_subrequest(r, ctx, &set->uri, NGX_HTTP_GET, h, 1,
                                   NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->jwks.fetching = set;

    return NGX_AGAIN;
}


/* what the fetch answered, into the zone */

static ngx_int_t
ngx_http_dynamo_jwks_done(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_jwks_t *set)
{
    ngx_int_t     rc;
    ngx_str_t     compact;
    ngx_uint_t    refused;
    ngx_array_t  *keys;
    ngx_msec_t    elapsed;
    u_char        reason[NGX_HTTP_DYNAMO_JWKS_REASON_MAX];

    ctx->jwks.fetching = NULL;

    elapsed = ngx_http_dynamo_time_ms() - ctx->sub.start;

    if (ctx->sub.overflow) {
        ngx_sprintf(reason, "the answer is larger than %d bytes%Z",
                    NGX_HTTP_DYNAMO_JWKS_LIMIT);
        goto failed;
    }

    if (ctx->sub.status == 0 || !ctx->sub.answered
        || (ctx->sub.rc != NGX_OK && ctx->sub.rc != NGX_HTTP_OK
            && ctx->sub.status == NGX_HTTP_OK))
    {
        ngx_sprintf(reason, "unreachable or timed out (%ui after %M ms)%Z",
                    ctx->sub.status, elapsed);
        goto failed;
    }

    if (ctx->sub.status != NGX_HTTP_OK) {
        ngx_sprintf(reason, "answered %ui%Z", ctx->sub.status);
        goto failed;
    }

    keys = ngx_array_create(r->pool, 4, sizeof(ngx_http_dynamo_key_t));
    if (keys == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_dynamo_jwks_answer(r->pool, r->connection->log, 0,
                                     &set->uri, ctx->sub.body.data,
                                     ctx->sub.body.len, keys, &compact,
                                     &refused, reason, sizeof(reason));

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        goto failed;
    }

    ngx_sprintf(reason, "ok, %ui keys, %ui left out%Z", keys->nelts,
                refused);

    ngx_http_dynamo_jwks_store(r, ctx, set, &compact, keys->nelts, reason);

    ngx_http_dynamo_jwks_free(keys);

    return NGX_OK;

failed:

    ngx_http_dynamo_jwks_store(r, ctx, set, NULL, 0, reason);

    return NGX_OK;
}


/*
 * Ends a fetch: a new set replaces the zone's (a new entry when it is
 * another), the same set only makes it fresh again; a failure backs off,
 * logged at "error" when it starts a streak.
 */

static void
ngx_http_dynamo_jwks_store(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_jwks_t *set, ngx_str_t *compact, ngx_uint_t nkeys,
    u_char *reason)
{
    time_t                        now, interval, stale_until;
    size_t                        len;
    uint64_t                      generation;
    ngx_msec_t                    now_ms;
    ngx_uint_t                    streak, failures;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_jwks_node_t  *jn, *nn;

    zone = ngx_http_dynamo_get_zone(r);
    now = ngx_time();
    now_ms = ngx_http_dynamo_time_ms();
    stale_until = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    jn = (ngx_http_dynamo_jwks_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_JWKS,
                                                set->digest);

    if (jn == NULL) {
        /* evicted meanwhile */
        jn = ngx_http_dynamo_jwks_node(zone, set, NULL, 0,
                                       r->connection->log);
        if (jn == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        jn->last_fetch = now_ms;
        jn->fetches = 1;
    }

    if (jn->fetcher == ctx->cred.fetch_id) {
        jn->fetch_until = 0;
        jn->fetcher = 0;
    }

    len = ngx_min(ngx_strlen(reason), NGX_HTTP_DYNAMO_JWKS_RESULT_MAX);
    ngx_memcpy(jn->result, reason, len);
    jn->result_len = (u_char) len;

    if (compact == NULL) {
        jn->failures++;
        jn->streak++;
        jn->backoff = jn->backoff ? ngx_min(jn->backoff * 2, set->refresh)
                                  : set->cooldown;
        jn->retry_at = now + jn->backoff;

        streak = jn->streak;
        stale_until = jn->generation ? jn->refresh_at + set->max_stale : 0;

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (streak == 1) {
            if (stale_until > now) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "dynamo_jwt_jwks \"%V\": fetch failed: %s; "
                              "the last good key set is used for %T s more",
                              &set->uri, reason, stale_until - now);

            } else {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "dynamo_jwt_jwks \"%V\": fetch failed: %s; "
                              "no usable key set, tokens of its keys are "
                              "answered 503", &set->uri, reason);
            }

        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dynamo_jwt_jwks \"%V\": fetch failed again "
                          "(%ui in a row): %s", &set->uri, streak, reason);
        }

        return;
    }

    interval = set->refresh;

    if (ctx->sub.max_age >= 0 && ctx->sub.max_age < interval) {
        interval = ngx_max(ctx->sub.max_age, set->cooldown);
    }

    if (jn->set_len != compact->len
        || ngx_memcmp(jn->data + jn->uri_len, compact->data, compact->len)
           != 0)
    {
        generation = ngx_max((uint64_t) now_ms, jn->generation + 1);

        /* jn is gone after this */

        nn = ngx_http_dynamo_jwks_node(zone, set, jn, compact->len,
                                       r->connection->log);
        if (nn == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        ngx_memcpy(nn->data + nn->uri_len, compact->data, compact->len);
        nn->generation = generation;

        jn = nn;
    }

    failures = jn->streak;

    jn->fetched = now;
    jn->refresh_at = now + interval;
    jn->streak = 0;
    jn->backoff = 0;
    jn->retry_at = 0;
    jn->nkeys = nkeys;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (failures) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "dynamo_jwt_jwks \"%V\": fetched again after %ui "
                      "failures: %s", &set->uri, failures, reason);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: key set \"%V\" fetched: %s, next in %T s",
                   &set->uri, reason, interval);
}


/*
 * A zone entry for the set, holding set_len bytes of keys.  With old, it
 * takes old's state and old is freed (making room may have evicted it
 * already: its state is kept aside first).
 */

static ngx_http_dynamo_jwks_node_t *
ngx_http_dynamo_jwks_node(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_jwks_t *set, ngx_http_dynamo_jwks_node_t *old,
    size_t set_len, ngx_log_t *log)
{
    ngx_http_dynamo_node_t       *dn;
    ngx_http_dynamo_jwks_node_t  *jn, state;

    if (old) {
        ngx_memcpy(&state, old, offsetof(ngx_http_dynamo_jwks_node_t, data));
    }

    jn = ngx_http_dynamo_alloc_locked(zone,
                            offsetof(ngx_http_dynamo_jwks_node_t, data)
                            + set->uri.len + set_len, log);
    if (jn == NULL) {
        return NULL;
    }

    if (old) {
        /* old leaves the tree first: both have the same digest */

        dn = ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_JWKS,
                                                set->digest);
        if (dn) {
            ngx_http_dynamo_node_free_locked(zone, dn);
        }

        ngx_memcpy(jn, &state, offsetof(ngx_http_dynamo_jwks_node_t, data));

    } else {
        ngx_memzero(jn, offsetof(ngx_http_dynamo_jwks_node_t, data));
    }

    jn->uri_len = (u_short) set->uri.len;
    jn->set_len = (uint32_t) set_len;
    ngx_memcpy(jn->data, set->uri.data, set->uri.len);

    ngx_http_dynamo_node_insert_locked(zone, &jn->sh,
                                       NGX_HTTP_DYNAMO_NODE_JWKS,
                                       set->digest);

    return jn;
}


/*
 * A request that took a fetch and ends before it is done gives the fetch
 * up: waiters then fetch at once (when cooldown allows) rather than when
 * the marker runs out.  Not a failure of the identity provider: no
 * back-off.
 */

static void
ngx_http_dynamo_jwks_abandoned(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_dynamo_ctx_t        *ctx;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_jwks_t       *set;
    ngx_http_dynamo_jwks_node_t  *jn;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || ctx->jwks.fetching == NULL) {
        return;
    }

    set = ctx->jwks.fetching;
    ctx->jwks.fetching = NULL;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dynamo_jwt_jwks \"%V\": fetch given up: the request "
                  "ended first", &set->uri);

    zone = ngx_http_dynamo_get_zone(r);

    ngx_shmtx_lock(&zone->shpool->mutex);

    jn = (ngx_http_dynamo_jwks_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_JWKS,
                                                set->digest);

    if (jn && jn->fetcher == ctx->cred.fetch_id) {
        jn->fetch_until = 0;
        jn->fetcher = 0;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * dynamo_status's part: each key set, its uri, kids, age, last fetch
 * result, fetch and failure counts; as ',"key_sets":[...]' for the JSON
 * document, or as Prometheus lines.  The kids are the identity
 * provider's text: written by jansson, escaped.
 */

ngx_int_t
ngx_http_dynamo_jwks_status(ngx_http_request_t *r, ngx_uint_t prom,
    ngx_str_t *out)
{
    char                         *text;
    u_char                       *p, *copy;
    size_t                        len, i, n;
    time_t                        now, age;
    json_t                       *sets, *o, *kids, *set, *keys, *v;
    ngx_uint_t                    k, usable;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_jwks_t      **all;
    ngx_http_dynamo_jwks_node_t  *jn, state;
    ngx_http_dynamo_main_conf_t  *dmcf;

    ngx_str_null(out);

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    if (dmcf->jwks == NULL || dmcf->jwks->nelts == 0) {
        return NGX_OK;
    }

    zone = ngx_http_dynamo_get_zone(r);
    all = dmcf->jwks->elts;
    now = ngx_time();

    sets = json_array();
    if (sets == NULL) {
        return NGX_ERROR;
    }

    for (k = 0; k < dmcf->jwks->nelts; k++) {
        copy = NULL;
        len = 0;

        ngx_memzero(&state, sizeof(ngx_http_dynamo_jwks_node_t));

        ngx_shmtx_lock(&zone->shpool->mutex);

        jn = (ngx_http_dynamo_jwks_node_t *)
                 ngx_http_dynamo_node_lookup_locked(zone,
                                                  NGX_HTTP_DYNAMO_NODE_JWKS,
                                                  all[k]->digest);
        if (jn) {
            ngx_memcpy(&state, jn, offsetof(ngx_http_dynamo_jwks_node_t,
                                            data));
            len = jn->set_len;
            copy = ngx_pnalloc(r->pool, len + 1);

            if (copy) {
                ngx_memcpy(copy, jn->data + jn->uri_len, len);
            }
        }

        ngx_shmtx_unlock(&zone->shpool->mutex);

        kids = json_array();
        o = json_object();

        if (kids == NULL || o == NULL || json_array_append_new(sets, o)) {
            json_decref(kids);
            json_decref(o);
            goto failed;
        }

        if (json_object_set_new(o, "kids", kids) != 0) {
            goto failed;
        }

        /* the kids of the set, from what the zone keeps */

        set = copy ? json_loadb((char *) copy, len, 0, NULL) : NULL;
        keys = json_object_get(set, "keys");
        n = json_array_size(keys);

        for (i = 0; i < n; i++) {
            v = json_object_get(json_array_get(keys, i), "kid");

            if (json_is_string(v) && json_array_append(kids, v) != 0) {
                json_decref(set);
                goto failed;
            }
        }

        json_decref(set);

        usable = state.generation
                 && now < state.refresh_at + all[k]->max_stale;
        age = state.generation ? now - state.fetched : -1;

        if (json_object_set_new(o, "uri",
                                json_stringn((char *) all[k]->uri.data,
                                             all[k]->uri.len))
            || json_object_set_new(o, "keys", json_integer(n))
            || json_object_set_new(o, "usable", json_boolean(usable))
            || json_object_set_new(o, "age",
                                   age >= 0 ? json_integer(age)
                                            : json_null())
            || json_object_set_new(o, "refresh_in",
                                   state.generation
                                   ? json_integer(state.refresh_at - now)
                                   : json_null())
            || json_object_set_new(o, "last_result",
                                   state.result_len
                                   ? json_stringn((char *) state.result,
                                                  state.result_len)
                                   : json_null())
            || json_object_set_new(o, "fetches",
                                   json_integer(state.fetches))
            || json_object_set_new(o, "failures",
                                   json_integer(state.failures))
            || json_object_set_new(o, "failing",
                                   json_integer(state.streak)))
        {
            goto failed;
        }
    }

    if (!prom) {
        text = json_dumps(sets, JSON_COMPACT);
        if (text == NULL) {
            goto failed;
        }

        len = ngx_strlen(text);

        out->data = ngx_pnalloc(r->pool, sizeof(",\"key_sets\":") + len);
        if (out->data == NULL) {
            free(text);
            goto failed;
        }

        p = ngx_cpymem(out->data, ",\"key_sets\":",
                       sizeof(",\"key_sets\":") - 1);
        p = ngx_cpymem(p, text, len);
        out->len = p - out->data;

        free(text);
        json_decref(sets);

        return NGX_OK;
    }

    /* Prometheus: the uri is the operator's, kept to what labels allow */

    n = json_array_size(sets);

    len = 5 * (sizeof("# HELP dynamo_jwks_failures_total \n"
                      "# TYPE dynamo_jwks_failures_total counter\n")
               + NGX_HTTP_DYNAMO_JWKS_HELP_MAX);

    for (i = 0; i < n; i++) {
        len += 5 * (sizeof("dynamo_jwks_failures_total{uri=\"\"} \n")
                    + all[i]->uri.len + NGX_TIME_T_LEN);
    }

    out->data = ngx_pnalloc(r->pool, len);
    if (out->data == NULL) {
        goto failed;
    }

    p = out->data;

    for (k = 0; k < 5; k++) {
        static const char  *names[] = {
            "keys", "usable", "age_seconds", "fetches_total",
            "failures_total"
        };

        static const char  *helps[] = {
            "Keys of each key set fetched from an identity provider.",
            "Whether each key set may verify tokens (1) or not (0).",
            "Seconds since each key set was last fetched good.",
            "Fetches of each key set.",
            "Failed fetches of each key set."
        };

        p = ngx_sprintf(p, "# HELP dynamo_jwks_%s %s\n"
                        "# TYPE dynamo_jwks_%s %s\n", names[k], helps[k],
                        names[k], k < 3 ? "gauge" : "counter");

        for (i = 0; i < n; i++) {
            o = json_array_get(sets, i);
            v = json_object_get(o, k == 0 ? "keys"
                                   : k == 1 ? "usable"
                                   : k == 2 ? "age"
                                   : k == 3 ? "fetches" : "failures");

            if (k == 2 && json_is_null(v)) {
                continue;
            }

            p = ngx_sprintf(p, "dynamo_jwks_%s{uri=\"%V\"} %L\n", names[k],
                            &all[i]->uri,
                            json_is_boolean(v) ? (int64_t) json_is_true(v)
                                               : (int64_t)
                                                 json_integer_value(v));
        }
    }

    out->len = p - out->data;

    json_decref(sets);

    return NGX_OK;

failed:

    json_decref(sets);

    return NGX_ERROR;
}
