
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The role's temporary credentials, from the shared zone or from STS.
 *
 * Entries are keyed by everything that changes the credentials (role,
 * session name, external id, source identity, tags).  Fresh entries are
 * used as they are; within dynamo_credentials_refresh of their expiry one
 * request refreshes them while the others keep using them; when nothing
 * usable is cached, one request in any worker fetches (single flight) and
 * the others poll the zone until it is done.  The fetcher's marker has a
 * deadline, so that a lost fetch never wedges the entry.  After a failure
 * the entry backs off (1 s, doubling up to 30 s), answering waiters with
 * the failure meanwhile; expired credentials are never used.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_http_dynamo_sigv4.h"

#include <openssl/evp.h>


#define NGX_HTTP_DYNAMO_ACQ_HIT       0
#define NGX_HTTP_DYNAMO_ACQ_STALE     1
#define NGX_HTTP_DYNAMO_ACQ_FETCH     2
#define NGX_HTTP_DYNAMO_ACQ_WAIT      3
#define NGX_HTTP_DYNAMO_ACQ_FAILED    4

#define NGX_HTTP_DYNAMO_CRED_START        0
#define NGX_HTTP_DYNAMO_CRED_BASE         1
#define NGX_HTTP_DYNAMO_CRED_BASE_WAIT    2
#define NGX_HTTP_DYNAMO_CRED_ASSUME       3
#define NGX_HTTP_DYNAMO_CRED_ASSUME_WAIT  4

#define NGX_HTTP_DYNAMO_BACKOFF_MAX   30


static ngx_int_t ngx_http_dynamo_role_key(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
static ngx_int_t ngx_http_dynamo_acquire(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t kind, u_char *digest,
    time_t refresh, ngx_msec_t timeout, ngx_http_dynamo_creds_t *creds);
static void ngx_http_dynamo_store(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t kind, u_char *digest,
    ngx_http_dynamo_creds_t *creds);
static ngx_int_t ngx_http_dynamo_creds_copy(ngx_http_request_t *r,
    ngx_http_dynamo_creds_node_t *cn, ngx_http_dynamo_creds_t *creds);
static ngx_http_dynamo_creds_node_t **ngx_http_dynamo_creds_slot(
    ngx_http_dynamo_zone_t *zone, u_char *digest);
static void ngx_http_dynamo_creds_keep(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_creds_node_t *cn, ngx_log_t *log);
static void ngx_http_dynamo_key_keep(ngx_http_dynamo_creds_node_t *cn,
    ngx_http_dynamo_creds_t *creds);
static ngx_int_t ngx_http_dynamo_base_failed(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);
static ngx_int_t ngx_http_dynamo_role_failed(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);
static void ngx_http_dynamo_wait_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dynamo_fetch_guard(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);
static void ngx_http_dynamo_fetch_abandoned(void *data);


/*
 * NGX_OK: ctx->cred.role holds usable credentials; NGX_AGAIN: waiting for a
 * subrequest or for another request's fetch; NGX_DECLINED: refused, the
 * reason in ctx; NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_credentials(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    for ( ;; ) {

        switch (ctx->cred.state) {

        case NGX_HTTP_DYNAMO_CRED_START:

            if (ctx->assume.session_name.len == 0) {
                rc = ngx_http_dynamo_role_key(r, dlcf, ctx);

                if (rc != NGX_OK) {
                    return rc;
                }
            }

            rc = ngx_http_dynamo_acquire(r, ctx, NGX_HTTP_DYNAMO_NODE_CREDS,
                                         ctx->assume.digest, dlcf->refresh,
                                         dlcf->sts_timeout, &ctx->cred.role);

            switch (rc) {

            case NGX_HTTP_DYNAMO_ACQ_HIT:
                return NGX_OK;

            case NGX_HTTP_DYNAMO_ACQ_WAIT:
                return ngx_http_dynamo_wait(r, ctx);

            case NGX_HTTP_DYNAMO_ACQ_FAILED:
                return ngx_http_dynamo_fail(r, ctx, ctx->err, "%V",
                                            &ctx->message);

            case NGX_HTTP_DYNAMO_ACQ_STALE:
                ctx->cred.stale = ctx->cred.role;
                ctx->cred.has_stale = 1;
                ngx_memzero(&ctx->cred.role, sizeof(ngx_http_dynamo_creds_t));

                /* fall through */

            case NGX_HTTP_DYNAMO_ACQ_FETCH:
                if (ngx_http_dynamo_fetch_guard(r, ctx) != NGX_OK) {
                    return NGX_ERROR;
                }

                ctx->cred.fetching_role = 1;
                ctx->cred.state = NGX_HTTP_DYNAMO_CRED_BASE;
                break;

            default:
                return NGX_ERROR;
            }

            break;

        case NGX_HTTP_DYNAMO_CRED_BASE:

            if (dmcf->base.source == NGX_HTTP_DYNAMO_BASE_ENV
                || dmcf->base.source == NGX_HTTP_DYNAMO_BASE_FILE)
            {
                if (dmcf->base.creds.access_key_id.len == 0) {
                    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                                  "dynamo: the gateway has no base "
                                  "credentials to call STS with");

                    (void) ngx_http_dynamo_set_error(r, ctx,
                                              NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                              "the gateway has no "
                                              "credentials to call STS");
                    return ngx_http_dynamo_role_failed(r, ctx);
                }

                ctx->cred.base = dmcf->base.creds;
                ctx->cred.state = NGX_HTTP_DYNAMO_CRED_ASSUME;
                break;
            }

            rc = ngx_http_dynamo_acquire(r, ctx, NGX_HTTP_DYNAMO_NODE_BASE,
                                         dmcf->base.digest, dlcf->refresh,
                                         dlcf->sts_timeout, &ctx->cred.base);

            switch (rc) {

            case NGX_HTTP_DYNAMO_ACQ_HIT:
                ctx->cred.state = NGX_HTTP_DYNAMO_CRED_ASSUME;
                break;

            case NGX_HTTP_DYNAMO_ACQ_WAIT:
                return ngx_http_dynamo_wait(r, ctx);

            case NGX_HTTP_DYNAMO_ACQ_FAILED:
                return ngx_http_dynamo_role_failed(r, ctx);

            case NGX_HTTP_DYNAMO_ACQ_STALE:
                ctx->cred.base_stale = ctx->cred.base;
                ctx->cred.has_base_stale = 1;

                /* fall through */

            case NGX_HTTP_DYNAMO_ACQ_FETCH:
                if (ngx_http_dynamo_fetch_guard(r, ctx) != NGX_OK) {
                    return NGX_ERROR;
                }

                ctx->cred.fetching_base = 1;

                rc = ngx_http_dynamo_base_fetch(r, dlcf, ctx);

                if (rc == NGX_ERROR) {
                    return NGX_ERROR;
                }

                if (rc == NGX_DECLINED) {
                    return ngx_http_dynamo_base_failed(r, ctx);
                }

                ctx->cred.state = NGX_HTTP_DYNAMO_CRED_BASE_WAIT;
                return NGX_AGAIN;

            default:
                return NGX_ERROR;
            }

            break;

        case NGX_HTTP_DYNAMO_CRED_BASE_WAIT:

            if (!ctx->sub.done) {
                return NGX_AGAIN;
            }

            rc = ngx_http_dynamo_base_answer(r, dlcf, ctx);

            if (rc == NGX_AGAIN || rc == NGX_ERROR) {
                return rc;
            }

            if (rc == NGX_DECLINED) {
                if (ngx_http_dynamo_base_failed(r, ctx) != NGX_OK) {
                    return NGX_DECLINED;
                }

                break;
            }

            ngx_http_dynamo_store(r, ctx, NGX_HTTP_DYNAMO_NODE_BASE,
                                  dmcf->base.digest, &ctx->cred.base);
            ctx->cred.fetching_base = 0;

            ctx->cred.state = NGX_HTTP_DYNAMO_CRED_ASSUME;
            break;

        case NGX_HTTP_DYNAMO_CRED_ASSUME:

            if (ngx_http_dynamo_sts_assume_role(r, dlcf, ctx) != NGX_OK) {
                return NGX_ERROR;
            }

            ctx->cred.state = NGX_HTTP_DYNAMO_CRED_ASSUME_WAIT;
            return NGX_AGAIN;

        case NGX_HTTP_DYNAMO_CRED_ASSUME_WAIT:

            if (!ctx->sub.done) {
                return NGX_AGAIN;
            }

            rc = ngx_http_dynamo_sts_result(r, ctx, NGX_HTTP_DYNAMO_ANSWER_STS,
                                            &ctx->assume.role_arn,
                                            &ctx->cred.role);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_DECLINED) {

                if (ctx->cred.base_expired
                    && dmcf->base.source != NGX_HTTP_DYNAMO_BASE_ENV
                    && dmcf->base.source != NGX_HTTP_DYNAMO_BASE_FILE)
                {
                    /* fetched again by the next request */
                    ngx_http_dynamo_base_invalidate(r);
                }

                return ngx_http_dynamo_role_failed(r, ctx);
            }

            ngx_http_dynamo_store(r, ctx, NGX_HTTP_DYNAMO_NODE_CREDS,
                                  ctx->assume.digest, &ctx->cred.role);
            ctx->cred.fetching_role = 0;

            return NGX_OK;

        default:
            return NGX_ERROR;
        }
    }
}


/*
 * Fetching the gateway's own credentials failed, the reason in ctx: go on
 * with the ones still valid, if any, or fail the role's fetch too.
 */

static ngx_int_t
ngx_http_dynamo_base_failed(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    ngx_http_dynamo_store(r, ctx, NGX_HTTP_DYNAMO_NODE_BASE,
                          dmcf->base.digest, NULL);
    ctx->cred.fetching_base = 0;

    if (ctx->cred.has_base_stale
        && ctx->cred.base_stale.expiration
           > ngx_time() + NGX_HTTP_DYNAMO_CREDS_MARGIN)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dynamo: using the gateway's cached credentials "
                      "after: %V", &ctx->message);

        ctx->cred.base = ctx->cred.base_stale;
        ctx->err = NGX_HTTP_DYNAMO_OK;
        ngx_str_null(&ctx->message);
        ctx->cred.state = NGX_HTTP_DYNAMO_CRED_ASSUME;

        return NGX_OK;
    }

    return ngx_http_dynamo_role_failed(r, ctx);
}


/*
 * The role's fetch failed with the reason in ctx: the entry backs off and
 * remembers why; the request goes on with credentials that are still
 * valid, if it had any, or is refused.
 */

static ngx_int_t
ngx_http_dynamo_role_failed(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    u_char  when[sizeof("1970-01-01T00:00:00Z")];

    if (ctx->cred.fetching_role) {
        ngx_http_dynamo_store(r, ctx, NGX_HTTP_DYNAMO_NODE_CREDS,
                              ctx->assume.digest, NULL);
        ctx->cred.fetching_role = 0;
    }

    if (ctx->cred.has_stale
        && ctx->cred.stale.expiration
           > ngx_time() + NGX_HTTP_DYNAMO_CREDS_MARGIN)
    {
        ngx_http_dynamo_time_iso8601(when, ctx->cred.stale.expiration);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dynamo: using cached credentials of role \"%V\", "
                      "valid until %s, after: %V",
                      &ctx->assume.role_arn, when, &ctx->message);

        ctx->cred.role = ctx->cred.stale;
        ctx->err = NGX_HTTP_DYNAMO_OK;
        ngx_str_null(&ctx->message);

        return NGX_OK;
    }

    return ngx_http_dynamo_fail(r, ctx, ctx->err, "%V", &ctx->message);
}


/*
 * The session attributes of this request, and the digest of everything
 * that changes the credentials STS gives for them: the session policy
 * too, so that two callers never share credentials narrowed to one of
 * them.  NGX_OK, NGX_DECLINED (refused, the reason in ctx) or NGX_ERROR.
 */

static ngx_int_t
ngx_http_dynamo_role_key(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    u_char                       *p, *buf;
    size_t                        len;
    ngx_int_t                     rc;
    ngx_str_t                     value, *parts[4], *arn;
    ngx_uint_t                    i;
    ngx_http_dynamo_tag_t        *tag;
    ngx_http_dynamo_aws_param_t  *kv;

    if (dlcf->session_name) {
        if (ngx_http_complex_value(r, dlcf->session_name, &value) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        value = ctx->caller.token.identity;
    }

    if (ngx_http_dynamo_sts_name(r, &value, &ctx->assume.session_name)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (dlcf->external_id
        && ngx_http_complex_value(r, dlcf->external_id,
                                  &ctx->assume.external_id)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (dlcf->source_identity) {
        if (ngx_http_complex_value(r, dlcf->source_identity, &value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (value.len
            && ngx_http_dynamo_sts_name(r, &value, &ctx->assume.source_identity)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    arn = NULL;

    rc = ngx_http_dynamo_session_policy_render(r, dlcf, ctx);

    if (rc != NGX_OK) {
        return rc;
    }

    len = ctx->assume.role_arn.len + ctx->assume.session_name.len
          + ctx->assume.external_id.len + ctx->assume.source_identity.len
          + ctx->assume.session_policy.len + 10;

    if (dlcf->session_policy_arns) {
        arn = dlcf->session_policy_arns->elts;

        for (i = 0; i < dlcf->session_policy_arns->nelts; i++) {
            len += arn[i].len + 1;
        }
    }

    if (dlcf->session_tags) {
        ctx->assume.tags = ngx_array_create(r->pool, dlcf->session_tags->nelts,
                                     sizeof(ngx_http_dynamo_aws_param_t));
        if (ctx->assume.tags == NULL) {
            return NGX_ERROR;
        }

        tag = dlcf->session_tags->elts;

        for (i = 0; i < dlcf->session_tags->nelts; i++) {
            kv = ngx_array_push(ctx->assume.tags);
            if (kv == NULL) {
                return NGX_ERROR;
            }

            kv->key = tag[i].key;

            if (ngx_http_complex_value(r, &tag[i].value, &kv->value)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            /* STS takes tag values of 256 characters at most */

            if (kv->value.len > 256) {
                kv->value.len = 256;
            }

            len += kv->key.len + kv->value.len + 2;
        }
    }

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    parts[0] = &ctx->assume.role_arn;
    parts[1] = &ctx->assume.session_name;
    parts[2] = &ctx->assume.external_id;
    parts[3] = &ctx->assume.source_identity;

    p = buf;

    for (i = 0; i < 4; i++) {
        p = ngx_cpymem(p, parts[i]->data, parts[i]->len);
        *p++ = '\0';
    }

    if (ctx->assume.tags) {
        kv = ctx->assume.tags->elts;

        for (i = 0; i < ctx->assume.tags->nelts; i++) {
            p = ngx_cpymem(p, kv[i].key.data, kv[i].key.len);
            *p++ = '\0';
            p = ngx_cpymem(p, kv[i].value.data, kv[i].value.len);
            *p++ = '\0';
        }
    }

    /* tags and policies apart: a tag cannot end where a policy starts */

    *p++ = '\1';
    p = ngx_cpymem(p, ctx->assume.session_policy.data,
                   ctx->assume.session_policy.len);
    *p++ = '\0';

    if (dlcf->session_policy_arns) {
        for (i = 0; i < dlcf->session_policy_arns->nelts; i++) {
            p = ngx_cpymem(p, arn[i].data, arn[i].len);
            *p++ = '\0';
        }
    }

    if (ngx_http_dynamo_sha256(ctx->assume.digest, buf, p - buf) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "SHA-256 of the credentials' key failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Looks the entry up, and decides what this request does: use it, use it
 * and refresh it, fetch, wait, or fail as the last fetch did.
 */

static ngx_int_t
ngx_http_dynamo_acquire(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t kind, u_char *digest, time_t refresh, ngx_msec_t timeout,
    ngx_http_dynamo_creds_t *creds)
{
    time_t                         now, ahead;
    ngx_int_t                      rc;
    ngx_msec_t                     now_ms;
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_main_conf_t   *dmcf;
    ngx_http_dynamo_creds_node_t  *cn;

    zone = ngx_http_dynamo_get_zone(r);
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    if (ctx->cred.fetch_id == 0) {
        ctx->cred.fetch_id = ((uint64_t) ngx_pid << 32) | ++dmcf->fetch_ids;
    }

    now = ngx_time();

    /*
     * a role's credentials this worker used, while they are not due for
     * a refresh, are used again without the zone's lock; from then on
     * the zone decides, as it always did
     */

    ahead = ngx_max(refresh, NGX_HTTP_DYNAMO_CREDS_MARGIN);

    if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
        cn = *ngx_http_dynamo_creds_slot(zone, digest);

        if (cn != NULL && cn->expiration > now + ahead
            && ngx_memcmp(cn->sh.digest, digest, NGX_HTTP_DYNAMO_DIGEST_LEN)
               == 0)
        {
            if (ngx_http_dynamo_creds_copy(r, cn, creds) != NGX_OK) {
                return NGX_ERROR;
            }

            ngx_http_dynamo_count(zone, cred_hits, 1);

            return NGX_HTTP_DYNAMO_ACQ_HIT;
        }
    }

    now_ms = ngx_http_dynamo_time_ms();

    ngx_shmtx_lock(&zone->shpool->mutex);

    cn = (ngx_http_dynamo_creds_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone, kind, digest);

    if (cn && cn->expiration > now + NGX_HTTP_DYNAMO_CREDS_MARGIN) {

        if (ngx_http_dynamo_creds_copy(r, cn, creds) != NGX_OK) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }

        if (cn->expiration > now + refresh
            || (cn->fetch_until && cn->fetch_until > now_ms)
            || cn->retry_at > now)
        {
            if (kind == NGX_HTTP_DYNAMO_NODE_CREDS
                && cn->expiration > now + ahead)
            {
                ngx_http_dynamo_creds_keep(zone, cn, r->connection->log);
            }

            ngx_shmtx_unlock(&zone->shpool->mutex);

            if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
                ngx_http_dynamo_count(zone, cred_hits, 1);
            }

            return NGX_HTTP_DYNAMO_ACQ_HIT;
        }

        /* usable, but due for a refresh, and nobody is on it */

        cn->fetch_until = now_ms + timeout;
        cn->fetcher = ctx->cred.fetch_id;

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
            ngx_http_dynamo_count(zone, cred_hits, 1);
            ngx_http_dynamo_count(zone, cred_refreshes, 1);
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dynamo: refreshing credentials ahead of expiry, "
                       "kind %ui", kind);

        return NGX_HTTP_DYNAMO_ACQ_STALE;
    }

    if (cn && cn->fetch_until > now_ms && cn->fetcher != ctx->cred.fetch_id) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_HTTP_DYNAMO_ACQ_WAIT;
    }

    if (cn && cn->retry_at > now && cn->err != NGX_HTTP_DYNAMO_OK) {
        rc = ngx_http_dynamo_set_error(r, ctx, cn->err, "%*s",
                                       (size_t) cn->error_len, cn->error);
        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
            ngx_http_dynamo_count(zone, cred_misses, 1);
        }

        return (rc == NGX_DECLINED) ? NGX_HTTP_DYNAMO_ACQ_FAILED : NGX_ERROR;
    }

    if (cn == NULL) {
        cn = ngx_http_dynamo_alloc_locked(zone,
                           offsetof(ngx_http_dynamo_creds_node_t, data),
                           r->connection->log);

        if (cn == NULL) {
            /* no single flight without memory: fetch anyway */
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_HTTP_DYNAMO_ACQ_FETCH;
        }

        ngx_memzero(cn, offsetof(ngx_http_dynamo_creds_node_t, data));

        ngx_http_dynamo_node_insert_locked(zone, &cn->sh, kind, digest);

        if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
            ngx_http_dynamo_count(zone, cred_entries, 1);
        }
    }

    cn->fetch_until = now_ms + timeout;
    cn->fetcher = ctx->cred.fetch_id;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
        ngx_http_dynamo_count(zone, cred_misses, 1);
    }

    return NGX_HTTP_DYNAMO_ACQ_FETCH;
}


/*
 * A request that took the fetch of an entry and ends before the fetch
 * does (the client left, the subrequest was cut short) gives the fetch
 * up when its pool goes: the requests waiting for it then fetch at once
 * rather than when the lease runs out (dynamo_sts timeout).
 */

static ngx_int_t
ngx_http_dynamo_fetch_guard(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    if (ctx->cred.fetch_guarded) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_dynamo_fetch_abandoned;
    cln->data = r;

    ctx->cred.fetch_guarded = 1;

    return NGX_OK;
}


static void
ngx_http_dynamo_fetch_abandoned(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_dynamo_ctx_t        *ctx;
    ngx_http_dynamo_main_conf_t  *dmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || !(ctx->cred.fetching_role || ctx->cred.fetching_base)) {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dynamo: credentials fetch for \"%V\" given up: "
                  "the request ended first", &ctx->assume.role_arn);

    /* not a failure of STS: no backoff */

    ctx->err = NGX_HTTP_DYNAMO_OK;

    if (ctx->cred.fetching_role) {
        ngx_http_dynamo_store(r, ctx, NGX_HTTP_DYNAMO_NODE_CREDS,
                              ctx->assume.digest, NULL);
        ctx->cred.fetching_role = 0;
    }

    if (ctx->cred.fetching_base) {
        dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

        ngx_http_dynamo_store(r, ctx, NGX_HTTP_DYNAMO_NODE_BASE,
                              dmcf->base.digest, NULL);
        ctx->cred.fetching_base = 0;
    }
}


/*
 * Ends a fetch: new credentials replace the entry's (a new allocation when
 * their sizes differ); a failure, with its reason in ctx, backs it off.
 */

static void
ngx_http_dynamo_store(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t kind, u_char *digest, ngx_http_dynamo_creds_t *creds)
{
    u_char                        *p;
    size_t                         size;
    time_t                         backoff;
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_creds_node_t  *cn, *old;

    zone = ngx_http_dynamo_get_zone(r);

    ngx_shmtx_lock(&zone->shpool->mutex);

    old = (ngx_http_dynamo_creds_node_t *)
              ngx_http_dynamo_node_lookup_locked(zone, kind, digest);

    if (creds == NULL) {

        if (old == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        if (old->fetcher == ctx->cred.fetch_id) {
            old->fetch_until = 0;
            old->fetcher = 0;
        }

        if (ctx->err == NGX_HTTP_DYNAMO_OK) {
            /* a refresh given up on: not a failure */
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        old->failures++;

        backoff = (time_t) 1 << ngx_min(old->failures - 1, 5);
        old->retry_at = ngx_time()
                        + ngx_min(backoff, NGX_HTTP_DYNAMO_BACKOFF_MAX);
        old->err = (u_char) ctx->err;
        old->error_len = (u_char) ngx_min(ctx->message.len,
                                          NGX_HTTP_DYNAMO_CREDS_ERROR_MAX - 1);
        ngx_memcpy(old->error, ctx->message.data, old->error_len);

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
            ngx_http_dynamo_count(zone, cred_failures, 1);
        }

        return;
    }

    size = offsetof(ngx_http_dynamo_creds_node_t, data)
           + creds->access_key_id.len + creds->secret.len
           + creds->session_token.len;

    cn = old;

    if (old == NULL
        || ngx_http_dynamo_creds_data_len(old)
           != creds->access_key_id.len + creds->secret.len
              + creds->session_token.len)
    {
        cn = ngx_http_dynamo_alloc_locked(zone, size, r->connection->log);

        if (cn == NULL) {
            if (old) {
                old->fetch_until = 0;
                old->fetcher = 0;
            }

            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        /* the allocation may have evicted the old entry */

        old = (ngx_http_dynamo_creds_node_t *)
                  ngx_http_dynamo_node_lookup_locked(zone, kind, digest);

        if (old) {
            ngx_explicit_memzero(old->data, old->access_key_id_len
                                 + old->secret_len + old->session_token_len);
            ngx_http_dynamo_node_free_locked(zone, &old->sh);
        }

        ngx_memzero(cn, offsetof(ngx_http_dynamo_creds_node_t, data));

        ngx_http_dynamo_node_insert_locked(zone, &cn->sh, kind, digest);

        if (kind == NGX_HTTP_DYNAMO_NODE_CREDS) {
            ngx_http_dynamo_count(zone, cred_entries, 1);
        }
    }

    cn->expiration = creds->expiration;
    cn->fetch_until = 0;
    cn->fetcher = 0;
    cn->retry_at = 0;
    cn->failures = 0;
    cn->err = NGX_HTTP_DYNAMO_OK;
    cn->error_len = 0;
    cn->key_scope = 0;

    cn->access_key_id_len = (u_short) creds->access_key_id.len;
    cn->secret_len = (u_short) creds->secret.len;
    cn->session_token_len = (u_short) creds->session_token.len;

    p = ngx_cpymem(cn->data, creds->access_key_id.data,
                   creds->access_key_id.len);
    p = ngx_cpymem(p, creds->secret.data, creds->secret.len);
    ngx_memcpy(p, creds->session_token.data, creds->session_token.len);

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* the caller holds the zone's mutex */

static ngx_int_t
ngx_http_dynamo_creds_copy(ngx_http_request_t *r,
    ngx_http_dynamo_creds_node_t *cn, ngx_http_dynamo_creds_t *creds)
{
    u_char  *p;
    size_t   len;

    len = ngx_http_dynamo_creds_data_len(cn);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, cn->data, len);

    creds->access_key_id.data = p;
    creds->access_key_id.len = cn->access_key_id_len;
    p += cn->access_key_id_len;

    creds->secret.data = p;
    creds->secret.len = cn->secret_len;
    p += cn->secret_len;

    creds->session_token.data = p;
    creds->session_token.len = cn->session_token_len;

    creds->expiration = cn->expiration;

    creds->have_key = (cn->key_scope != 0);

    if (creds->have_key) {
        ngx_memcpy(creds->key, cn->key, sizeof(cn->key));
        ngx_memcpy(creds->key_date, cn->key_date, sizeof(cn->key_date));
        creds->key_scope = cn->key_scope;
    }

    return NGX_OK;
}


static ngx_http_dynamo_creds_node_t **
ngx_http_dynamo_creds_slot(ngx_http_dynamo_zone_t *zone, u_char *digest)
{
    /* the digest is a SHA-256: any of its bytes will do */

    return &zone->creds[digest[0] % NGX_HTTP_DYNAMO_CREDS_SLOTS];
}


/*
 * Keeps a worker's copy of a zone entry, in place of the credentials in
 * its slot, which are wiped.  Called with the zone locked; failing to
 * allocate only means the next request takes the lock.
 */

static void
ngx_http_dynamo_creds_keep(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_creds_node_t *cn, ngx_log_t *log)
{
    size_t                          size;
    ngx_http_dynamo_creds_node_t  **slot, *copy;

    size = ngx_http_dynamo_creds_node_size(cn);

    slot = ngx_http_dynamo_creds_slot(zone, cn->sh.digest);

    if (*slot != NULL) {
        ngx_http_dynamo_creds_wipe(*slot);
        ngx_free(*slot);
        *slot = NULL;
    }

    copy = ngx_alloc(size, log);
    if (copy == NULL) {
        return;
    }

    ngx_memcpy(copy, cn, size);

    *slot = copy;
}


/* fetched base credentials are fetched anew by the next request */

void
ngx_http_dynamo_base_invalidate(ngx_http_request_t *r)
{
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_main_conf_t   *dmcf;
    ngx_http_dynamo_creds_node_t  *cn;

    zone = ngx_http_dynamo_get_zone(r);
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    ngx_shmtx_lock(&zone->shpool->mutex);

    cn = (ngx_http_dynamo_creds_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_BASE,
                                                dmcf->base.digest);
    if (cn) {
        cn->expiration = 0;
        cn->retry_at = 0;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * The SigV4 signing key of the credentials for today, region and service:
 * derived once and kept with the cached credentials.
 */

ngx_int_t
ngx_http_dynamo_signing_key(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_creds_t *creds, u_char *amz_date, ngx_str_t *region,
    ngx_str_t *service, ngx_uint_t scope)
{
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_creds_node_t  *cn;

    if (creds->have_key && creds->key_scope == scope
        && ngx_memcmp(creds->key_date, amz_date, 8) == 0)
    {
        return NGX_OK;
    }

    if (ngx_http_dynamo_sigv4_key(creds->key, &creds->secret, amz_date,
                                  region, service)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(creds->key_date, amz_date, 8);
    creds->key_scope = scope;
    creds->have_key = 1;

    if (creds != &ctx->cred.role) {
        return NGX_OK;
    }

    zone = ngx_http_dynamo_get_zone(r);

    ngx_shmtx_lock(&zone->shpool->mutex);

    cn = (ngx_http_dynamo_creds_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_CREDS,
                                                ctx->assume.digest);

    ngx_http_dynamo_key_keep(cn, creds);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    /* and in the worker's copy, if it holds these credentials */

    cn = *ngx_http_dynamo_creds_slot(zone, ctx->assume.digest);

    if (cn && ngx_memcmp(cn->sh.digest, ctx->assume.digest,
                         NGX_HTTP_DYNAMO_DIGEST_LEN) == 0)
    {
        ngx_http_dynamo_key_keep(cn, creds);
    }

    return NGX_OK;
}


/*
 * What tells the keys of one region and service from others' next to the
 * credentials; never 0, which is "no key".  Computed where the region is
 * known, at configuration time for dynamo_pass.
 */

ngx_uint_t
ngx_http_dynamo_key_scope(ngx_str_t *region, ngx_str_t *service)
{
    ngx_uint_t  scope;

    scope = ngx_hash_key(region->data, region->len)
            ^ (ngx_hash_key(service->data, service->len) << 1);

    return scope ? scope : 1;
}


/* the derived key, kept with the entry if it still holds these keys */

static void
ngx_http_dynamo_key_keep(ngx_http_dynamo_creds_node_t *cn,
    ngx_http_dynamo_creds_t *creds)
{
    if (cn == NULL
        || cn->access_key_id_len != creds->access_key_id.len
        || ngx_memcmp(cn->data, creds->access_key_id.data,
                      creds->access_key_id.len) != 0)
    {
        return;
    }

    ngx_memcpy(cn->key, creds->key, sizeof(cn->key));
    ngx_memcpy(cn->key_date, creds->key_date, sizeof(cn->key_date));
    cn->key_scope = creds->key_scope;
}


/*
 * Another request, maybe in another worker, is fetching credentials or a
 * key set: look again shortly.  The write event's timer carries the wait,
 * as limit_req's delay does, so a client that goes away ends it.
 */

ngx_int_t
ngx_http_dynamo_wait(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_msec_t  delay;

    delay = (ctx->cred.waits < 10) ? 5 : (ctx->cred.waits < 50) ? 20 : 50;
    ctx->cred.waits++;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: waiting %M ms for what another request fetches",
                   delay);

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_dynamo_wait_handler;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, delay);

    return NGX_AGAIN;
}


static void
ngx_http_dynamo_wait_handler(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}
