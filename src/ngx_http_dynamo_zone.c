
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The shared zone: one red-black tree of entries (verified tokens,
 * credentials), keyed by a SHA-256 digest, with an LRU queue per class of
 * entries for eviction under memory pressure (cheap tokens, expensive
 * credentials: see ngx_http_dynamo_shctx_t), and the module's counters.
 * It survives "nginx -s reload" like any nginx zone.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


#define NGX_HTTP_DYNAMO_ZONE_VERSION  6


typedef struct {
    ngx_uint_t                   version;
    ngx_http_dynamo_shctx_t      sh;
} ngx_http_dynamo_shm_t;


static ngx_int_t ngx_http_dynamo_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_dynamo_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_queue_t *ngx_http_dynamo_class_lru(ngx_http_dynamo_zone_t *zone,
    ngx_uint_t kind);
static ngx_int_t ngx_http_dynamo_evict_locked(ngx_http_dynamo_zone_t *zone,
    ngx_queue_t *lru);
static size_t ngx_http_dynamo_chunk_size(ngx_http_dynamo_zone_t *zone,
    size_t size);
static void *ngx_http_dynamo_token_alloc_locked(ngx_http_dynamo_zone_t *zone,
    size_t size, ngx_log_t *log);
static ngx_uint_t ngx_http_dynamo_token_slot(u_char *digest);
static size_t ngx_http_dynamo_token_size(ngx_http_dynamo_token_node_t *tn);
static ngx_int_t ngx_http_dynamo_token_copy(ngx_http_request_t *r,
    ngx_http_dynamo_token_node_t *tn, ngx_str_t *raw,
    ngx_http_dynamo_token_t *token);
static void ngx_http_dynamo_token_keep(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_token_node_t *tn, ngx_log_t *log);
static ngx_int_t ngx_http_dynamo_idents_init(ngx_http_dynamo_zone_t *zone,
    ngx_shm_zone_t *shm_zone);
static void ngx_http_dynamo_zone_cleanup(void *data);


char *
ngx_http_dynamo_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_main_conf_t *dmcf = conf;

    u_char                  *p;
    ssize_t                  size;
    ngx_int_t                n;
    ngx_str_t               *value, name, s;
    ngx_uint_t               i;
    ngx_pool_cleanup_t      *cln;
    ngx_http_dynamo_zone_t  *zone;

    if (dmcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\", expected name:size",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dynamo_zone_cleanup;
    cln->data = zone;

    zone->identities = NGX_CONF_UNSET_UINT;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "identities=", 11) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        n = ngx_atoi(value[i].data + 11, value[i].len - 11);

        if (n == NGX_ERROR || n > NGX_HTTP_DYNAMO_IDENTS_MAX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" must be between 0 and %d",
                               &value[i], NGX_HTTP_DYNAMO_IDENTS_MAX);
            return NGX_CONF_ERROR;
        }

        zone->identities = (ngx_uint_t) n;
    }

    dmcf->shm_zone = ngx_shared_memory_add(cf, &name, size,
                                           &ngx_http_dynamo_module);
    if (dmcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (dmcf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", &name);
        return NGX_CONF_ERROR;
    }

    dmcf->shm_zone->init = ngx_http_dynamo_init_zone;
    dmcf->shm_zone->data = zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_dynamo_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_dynamo_zone_t *ozone = data;

    size_t                   len;
    ngx_http_dynamo_shm_t   *shm;
    ngx_http_dynamo_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {

        /* a reload may bring a module of another version, on the same zone */

        shm = ozone->shpool->data;

        if (shm->version != NGX_HTTP_DYNAMO_ZONE_VERSION) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "dynamo_zone \"%V\" was created by another "
                          "version of the module: rename the zone or "
                          "restart nginx", &shm_zone->shm.name);
            return NGX_ERROR;
        }

        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;

        /* the module may have been reloaded at another address */
        zone->sh->rbtree.insert = ngx_http_dynamo_rbtree_insert_value;

        return ngx_http_dynamo_idents_init(zone, shm_zone);
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm = zone->shpool->data;

        if (shm->version != NGX_HTTP_DYNAMO_ZONE_VERSION) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "dynamo_zone \"%V\" was created by another "
                          "version of the module", &shm_zone->shm.name);
            return NGX_ERROR;
        }

        zone->sh = &shm->sh;
        zone->sh->rbtree.insert = ngx_http_dynamo_rbtree_insert_value;

        return ngx_http_dynamo_idents_init(zone, shm_zone);
    }

    shm = ngx_slab_calloc(zone->shpool, sizeof(ngx_http_dynamo_shm_t));
    if (shm == NULL) {
        return NGX_ERROR;
    }

    shm->version = NGX_HTTP_DYNAMO_ZONE_VERSION;
    zone->shpool->data = shm;
    zone->sh = &shm->sh;

    ngx_rbtree_init(&zone->sh->rbtree, &zone->sh->sentinel,
                    ngx_http_dynamo_rbtree_insert_value);

    ngx_queue_init(&zone->sh->lru);
    ngx_queue_init(&zone->sh->tokens);
    ngx_queue_init(&zone->sh->roles);

    len = sizeof(" in dynamo_zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in dynamo_zone \"%V\"%Z",
                &shm_zone->shm.name);

    zone->shpool->log_nomem = 0;

    if (ngx_http_dynamo_idents_init(zone, shm_zone) != NGX_OK) {
        return NGX_ERROR;
    }

    /* tokens may take half of the pages left, the rest is kept for others */

    zone->sh->token_budget = zone->shpool->pfree / 2 * ngx_pagesize;

    return NGX_OK;
}


ngx_http_dynamo_zone_t *
ngx_http_dynamo_get_zone(ngx_http_request_t *r)
{
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    if (dmcf->shm_zone == NULL) {
        return NULL;
    }

    return dmcf->shm_zone->data;
}


/*
 * dynamo_status' table of identities (ngx_http_dynamo_status_count()),
 * made with the zone; a reload keeps the table of the zone it keeps, and
 * its number of slots: the old workers count into it until they exit
 */

static ngx_int_t
ngx_http_dynamo_idents_init(ngx_http_dynamo_zone_t *zone,
    ngx_shm_zone_t *shm_zone)
{
    size_t                     size;
    ngx_uint_t                 i, n, nbuckets;
    ngx_http_dynamo_idents_t  *t;

    t = zone->sh->idents;
    n = zone->identities;

    if (t) {
        if (n != NGX_CONF_UNSET_UINT && n != t->nslots) {
            ngx_log_error(NGX_LOG_NOTICE, shm_zone->shm.log, 0,
                          "dynamo_zone \"%V\" keeps the %ui identities it "
                          "was made with: identities=%ui takes effect when "
                          "the zone is made anew",
                          &shm_zone->shm.name, t->nslots, n);
        }

        return NGX_OK;
    }

    /* by default 100, or as many as an eighth of the free pages hold */

    if (n == NGX_CONF_UNSET_UINT) {
        n = zone->shpool->pfree * ngx_pagesize / 8
            / sizeof(ngx_http_dynamo_ident_t);
        n = ngx_min(n, NGX_HTTP_DYNAMO_IDENTS_DEFAULT);
    }

    if (n == 0) {
        return NGX_OK;
    }

    for (nbuckets = 1; nbuckets < n; nbuckets <<= 1) { /* void */ }

    size = sizeof(ngx_http_dynamo_idents_t)
           + n * sizeof(ngx_http_dynamo_ident_t)
           + nbuckets * sizeof(int32_t);

    t = ngx_slab_calloc(zone->shpool, size);
    if (t == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "dynamo_zone \"%V\" is too small for %ui identities "
                      "(%uz bytes each)", &shm_zone->shm.name, n,
                      sizeof(ngx_http_dynamo_ident_t));
        return NGX_ERROR;
    }

    t->slots = (ngx_http_dynamo_ident_t *) (t + 1);
    t->buckets = (int32_t *) (t->slots + n);
    t->nslots = n;
    t->nbuckets = nbuckets;

    for (i = 0; i < nbuckets; i++) {
        t->buckets[i] = -1;
    }

    ngx_memory_barrier();

    zone->sh->idents = t;

    return NGX_OK;
}


static void
ngx_http_dynamo_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t       **p;
    ngx_http_dynamo_node_t   *n, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            n = (ngx_http_dynamo_node_t *) node;
            t = (ngx_http_dynamo_node_t *) temp;

            p = (ngx_memcmp(n->digest, t->digest, NGX_HTTP_DYNAMO_DIGEST_LEN)
                 < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_rbtree_key_t
ngx_http_dynamo_digest_key(u_char *digest)
{
    ngx_rbtree_key_t  key;

    ngx_memcpy(&key, digest, sizeof(ngx_rbtree_key_t));

    return key;
}


/* the caller holds the zone's mutex */

ngx_http_dynamo_node_t *
ngx_http_dynamo_node_lookup_locked(ngx_http_dynamo_zone_t *zone,
    ngx_uint_t kind, u_char *digest)
{
    ngx_int_t                rc;
    ngx_rbtree_key_t         key;
    ngx_rbtree_node_t       *node, *sentinel;
    ngx_http_dynamo_node_t  *dn;

    key = ngx_http_dynamo_digest_key(digest);

    node = zone->sh->rbtree.root;
    sentinel = zone->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        dn = (ngx_http_dynamo_node_t *) node;

        rc = ngx_memcmp(digest, dn->digest, NGX_HTTP_DYNAMO_DIGEST_LEN);

        if (rc == 0) {
            if (dn->kind != kind) {
                return NULL;
            }

            if (kind != NGX_HTTP_DYNAMO_NODE_ROLE) {
                ngx_queue_remove(&dn->lru);
                ngx_queue_insert_head(ngx_http_dynamo_class_lru(zone, kind),
                                      &dn->lru);
            }

            return dn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


void
ngx_http_dynamo_node_free_locked(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_node_t *dn)
{
    ngx_queue_remove(&dn->lru);
    ngx_rbtree_delete(&zone->sh->rbtree, &dn->node);

    switch (dn->kind) {

    case NGX_HTTP_DYNAMO_NODE_TOKEN:
        zone->sh->token_bytes -= ngx_http_dynamo_chunk_size(zone,
                      ngx_http_dynamo_token_size(
                          (ngx_http_dynamo_token_node_t *) dn));
        ngx_http_dynamo_count(zone, token_entries, -1);
        break;

    case NGX_HTTP_DYNAMO_NODE_CREDS:
        ngx_http_dynamo_count(zone, cred_entries, -1);
        break;
    }

    ngx_slab_free_locked(zone->shpool, dn);
}


/*
 * The LRU queue of an entry's class: tokens are cheap, every other kind
 * (credentials, the gateway's own, key sets) is expensive.
 */

static ngx_queue_t *
ngx_http_dynamo_class_lru(ngx_http_dynamo_zone_t *zone, ngx_uint_t kind)
{
    return (kind == NGX_HTTP_DYNAMO_NODE_TOKEN) ? &zone->sh->tokens
                                                : &zone->sh->lru;
}


/* frees the least recently used entry of a class: NGX_DECLINED if none */

static ngx_int_t
ngx_http_dynamo_evict_locked(ngx_http_dynamo_zone_t *zone, ngx_queue_t *lru)
{
    ngx_queue_t             *q;
    ngx_http_dynamo_node_t  *dn;

    if (ngx_queue_empty(lru)) {
        return NGX_DECLINED;
    }

    q = ngx_queue_last(lru);
    dn = ngx_queue_data(q, ngx_http_dynamo_node_t, lru);

    if (dn->kind == NGX_HTTP_DYNAMO_NODE_TOKEN) {
        ngx_http_dynamo_count(zone, token_evictions, 1);

    } else {
        ngx_http_dynamo_count(zone, cred_evictions, 1);
    }

    ngx_http_dynamo_count(zone, evictions, 1);

    ngx_http_dynamo_node_free_locked(zone, dn);

    return NGX_OK;
}


/*
 * What an allocation of "size" takes of the zone: a chunk of a power of
 * two in a page of such chunks, or whole pages, as ngx_slab_alloc() does.
 */

static size_t
ngx_http_dynamo_chunk_size(ngx_http_dynamo_zone_t *zone, size_t size)
{
    size_t  chunk;

    if (size > ngx_pagesize / 2) {
        return ngx_align(size, ngx_pagesize);
    }

    chunk = (size_t) 1 << zone->shpool->min_shift;

    while (chunk < size) {
        chunk <<= 1;
    }

    return chunk;
}


/*
 * Allocates an expensive entry (credentials, any kind but tokens).  When
 * the zone is full, tokens go first, as many as it takes: each costs one
 * verification, where an entry of this class costs an STS call; then the
 * least recently used entries of this class, 64 at most, which is logged
 * once.  Failing is logged once until an allocation succeeds again.
 */

void *
ngx_http_dynamo_alloc_locked(ngx_http_dynamo_zone_t *zone, size_t size,
    ngx_log_t *log)
{
    void        *p;
    ngx_uint_t   n;

    for ( ;; ) {

        p = ngx_slab_alloc_locked(zone->shpool, size);

        if (p) {
            zone->sh->nomem_logged = 0;
            return p;
        }

        if (ngx_http_dynamo_evict_locked(zone, &zone->sh->tokens)
            != NGX_OK)
        {
            break;
        }
    }

    for (n = 0; n < 64; n++) {

        if (ngx_http_dynamo_evict_locked(zone, &zone->sh->lru) != NGX_OK) {
            break;
        }

        if (!zone->sh->cred_evict_logged) {
            zone->sh->cred_evict_logged = 1;
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "dynamo: credentials evicted%s, which is too "
                          "small for the credentials in use: each one "
                          "evicted costs an STS call again",
                          zone->shpool->log_ctx);
        }

        p = ngx_slab_alloc_locked(zone->shpool, size);

        if (p) {
            zone->sh->nomem_logged = 0;
            return p;
        }
    }

    if (!zone->sh->nomem_logged) {
        zone->sh->nomem_logged = 1;
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "dynamo_zone is full: could not allocate %uz bytes "
                      "even after evicting old entries", size);
    }

    return NULL;
}


/*
 * Allocates a token's entry within the tokens' budget, evicting tokens
 * only, never an expensive entry.  Reaching the budget is logged once:
 * from then on each new token evicts the least recently used.  Failing
 * only means the token is verified again when it comes back.
 */

static void *
ngx_http_dynamo_token_alloc_locked(ngx_http_dynamo_zone_t *zone, size_t size,
    ngx_log_t *log)
{
    void                     *p;
    size_t                    chunk;
    ngx_uint_t                n;
    ngx_http_dynamo_shctx_t  *sh;

    sh = zone->sh;
    chunk = ngx_http_dynamo_chunk_size(zone, size);

    if (chunk > sh->token_budget) {
        goto failed;
    }

    if (sh->token_bytes + chunk > sh->token_budget
        && !sh->token_evict_logged)
    {
        sh->token_evict_logged = 1;
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "dynamo: tokens fill their half%s, %uz bytes: the "
                      "least recently used are evicted from now on, and "
                      "verified again if they come back",
                      zone->shpool->log_ctx, sh->token_budget);
    }

    while (sh->token_bytes + chunk > sh->token_budget) {
        if (ngx_http_dynamo_evict_locked(zone, &sh->tokens) != NGX_OK) {
            return NULL;
        }
    }

    for (n = 0; n < 64; n++) {

        p = ngx_slab_alloc_locked(zone->shpool, size);

        if (p) {
            sh->token_bytes += chunk;
            return p;
        }

        if (ngx_http_dynamo_evict_locked(zone, &sh->tokens) != NGX_OK) {
            break;
        }
    }

failed:

    if (!sh->token_nomem_logged) {
        sh->token_nomem_logged = 1;
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "dynamo: no room for a token of %uz bytes%s: it is "
                      "verified on every use", size, zone->shpool->log_ctx);
    }

    return NULL;
}


void
ngx_http_dynamo_node_insert_locked(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_node_t *dn, ngx_uint_t kind, u_char *digest)
{
    dn->kind = (u_char) kind;
    ngx_memcpy(dn->digest, digest, NGX_HTTP_DYNAMO_DIGEST_LEN);
    dn->node.key = ngx_http_dynamo_digest_key(digest);

    ngx_rbtree_insert(&zone->sh->rbtree, &dn->node);
    ngx_queue_insert_head(ngx_http_dynamo_class_lru(zone, kind), &dn->lru);
}


/*
 * Verified tokens.  A worker looks in its own slots first, then in the
 * zone; what it finds in the zone, or verifies, it keeps a copy of in a
 * slot, so that a token a client sends again costs no lock.  A slot holds
 * an entry laid out as the zone's, copied whole.
 */

ngx_int_t
ngx_http_dynamo_token_cache_get(ngx_http_request_t *r, u_char *digest,
    ngx_str_t *raw, ngx_http_dynamo_token_t *token)
{
    ngx_int_t                      rc;
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_token_node_t  *tn;

    zone = ngx_http_dynamo_get_zone(r);

    tn = zone->tokens[ngx_http_dynamo_token_slot(digest)];

    if (tn != NULL
        && ngx_memcmp(tn->sh.digest, digest, NGX_HTTP_DYNAMO_DIGEST_LEN) == 0)
    {
        rc = ngx_http_dynamo_token_copy(r, tn, raw, token);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    tn = (ngx_http_dynamo_token_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_TOKEN,
                                                digest);
    if (tn == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    rc = ngx_http_dynamo_token_copy(r, tn, raw, token);

    if (rc == NGX_OK) {
        ngx_http_dynamo_token_keep(zone, tn, r->connection->log);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


void
ngx_http_dynamo_token_cache_put(ngx_http_request_t *r, u_char *digest,
    ngx_str_t *raw, ngx_http_dynamo_token_t *token)
{
    u_char                        *p;
    size_t                         size;
    ngx_http_dynamo_zone_t        *zone;
    ngx_http_dynamo_token_node_t  *tn;

    if (token->identity.len > 0xffff || token->subject.len > 0xffff
        || token->token_id.len > 0xffff)
    {
        return;
    }

    zone = ngx_http_dynamo_get_zone(r);

    size = offsetof(ngx_http_dynamo_token_node_t, data)
           + token->identity.len + token->subject.len
           + token->token_id.len + token->payload.len + raw->len;

    ngx_shmtx_lock(&zone->shpool->mutex);

    tn = (ngx_http_dynamo_token_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_TOKEN,
                                                digest);
    if (tn != NULL) {
        /* another worker verified the same token meanwhile */
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    tn = ngx_http_dynamo_token_alloc_locked(zone, size, r->connection->log);
    if (tn == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    tn->exp = token->exp;
    tn->nbf = token->nbf;
    tn->iat = token->iat;
    tn->identity_len = (u_short) token->identity.len;
    tn->subject_len = (u_short) token->subject.len;
    tn->token_id_len = (u_short) token->token_id.len;
    tn->payload_len = (uint32_t) token->payload.len;
    tn->token_len = (uint32_t) raw->len;

    /* an absent claim is an empty string with no data: not copied */

    p = tn->data;

    if (token->identity.len) {
        p = ngx_cpymem(p, token->identity.data, token->identity.len);
    }

    if (token->subject.len) {
        p = ngx_cpymem(p, token->subject.data, token->subject.len);
    }

    if (token->token_id.len) {
        p = ngx_cpymem(p, token->token_id.data, token->token_id.len);
    }

    p = ngx_cpymem(p, token->payload.data, token->payload.len);
    ngx_memcpy(p, raw->data, raw->len);

    ngx_http_dynamo_node_insert_locked(zone, &tn->sh,
                                       NGX_HTTP_DYNAMO_NODE_TOKEN, digest);

    ngx_http_dynamo_token_keep(zone, tn, r->connection->log);

    ngx_http_dynamo_count(zone, token_entries, 1);

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


static ngx_uint_t
ngx_http_dynamo_token_slot(u_char *digest)
{
    uint32_t  hash;

    /* the digest starts with the token's hash */

    ngx_memcpy(&hash, digest, sizeof(uint32_t));

    return hash % NGX_HTTP_DYNAMO_TOKEN_SLOTS;
}


static size_t
ngx_http_dynamo_token_size(ngx_http_dynamo_token_node_t *tn)
{
    return offsetof(ngx_http_dynamo_token_node_t, data)
           + tn->identity_len + tn->subject_len + tn->token_id_len
           + tn->payload_len + tn->token_len;
}


/*
 * Fills token from an entry whose digest matched, in the request's pool,
 * if the entry holds this very token: NGX_DECLINED when it does not.
 */

static ngx_int_t
ngx_http_dynamo_token_copy(ngx_http_request_t *r,
    ngx_http_dynamo_token_node_t *tn, ngx_str_t *raw,
    ngx_http_dynamo_token_t *token)
{
    u_char  *p, *data;
    size_t   len;

    len = tn->identity_len + tn->subject_len + tn->token_id_len
          + tn->payload_len;

    /* the same hash is not the same token: the token itself must match */

    if (tn->token_len != raw->len
        || ngx_memcmp(tn->data + len, raw->data, raw->len) != 0)
    {
        return NGX_DECLINED;
    }

    data = ngx_pnalloc(r->pool, len);
    if (data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(data, tn->data, len);

    token->exp = tn->exp;
    token->nbf = tn->nbf;
    token->iat = tn->iat;

    p = data;

    token->identity.data = p;
    token->identity.len = tn->identity_len;
    p += tn->identity_len;

    token->subject.data = p;
    token->subject.len = tn->subject_len;
    p += tn->subject_len;

    token->token_id.data = p;
    token->token_id.len = tn->token_id_len;
    p += tn->token_id_len;

    token->payload.data = p;
    token->payload.len = tn->payload_len;

    return NGX_OK;
}


/*
 * Keeps a worker's copy of a zone entry in its slot, in place of the
 * token there; a large entry is not kept.  Failing to allocate only
 * means the next request takes the lock.
 */

static void
ngx_http_dynamo_token_keep(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_token_node_t *tn, ngx_log_t *log)
{
    size_t                          size;
    ngx_uint_t                      slot;
    ngx_http_dynamo_token_node_t   *copy;

    size = ngx_http_dynamo_token_size(tn);

    if (size > NGX_HTTP_DYNAMO_TOKEN_SLOT_MAX) {
        return;
    }

    slot = ngx_http_dynamo_token_slot(tn->sh.digest);
    copy = zone->tokens[slot];

    if (copy != NULL && ngx_http_dynamo_token_size(copy) < size) {
        ngx_free(copy);
        copy = NULL;
        zone->tokens[slot] = NULL;
    }

    if (copy == NULL) {
        copy = ngx_alloc(size, log);
        if (copy == NULL) {
            return;
        }

        zone->tokens[slot] = copy;
    }

    ngx_memcpy(copy, tn, size);
}


/* the secrets of a worker's copy, zeroed before it is freed */

void
ngx_http_dynamo_creds_wipe(ngx_http_dynamo_creds_node_t *cn)
{
    ngx_explicit_memzero(cn, ngx_http_dynamo_creds_node_size(cn));
}


static void
ngx_http_dynamo_zone_cleanup(void *data)
{
    ngx_http_dynamo_zone_t *zone = data;

    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_DYNAMO_TOKEN_SLOTS; i++) {
        if (zone->tokens[i]) {
            ngx_free(zone->tokens[i]);
            zone->tokens[i] = NULL;
        }
    }

    for (i = 0; i < NGX_HTTP_DYNAMO_CREDS_SLOTS; i++) {
        if (zone->creds[i]) {
            ngx_http_dynamo_creds_wipe(zone->creds[i]);
            ngx_free(zone->creds[i]);
            zone->creds[i] = NULL;
        }
    }
}


/*
 * Requests per role, for dynamo_status: entries outside the LRU, never
 * evicted, 1024 roles at most.
 */

void
ngx_http_dynamo_role_count(ngx_http_request_t *r, ngx_str_t *role)
{
    uint32_t                      hash[2];
    ngx_uint_t                    slot;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_role_node_t  *rn;
    u_char                        digest[NGX_HTTP_DYNAMO_DIGEST_LEN];

    if (role->len > 2048) {
        return;
    }

    zone = ngx_http_dynamo_get_zone(r);

    /* the worker's own slots first: no lock for a role seen before */

    hash[0] = ngx_murmur_hash2(role->data, role->len);
    slot = hash[0] % NGX_HTTP_DYNAMO_ROLE_SLOTS;

    rn = zone->roles[slot];

    if (rn && rn->len == role->len
        && ngx_memcmp(rn->role, role->data, role->len) == 0)
    {
        (void) ngx_atomic_fetch_add(ngx_http_dynamo_role_requests(rn), 1);
        return;
    }

    /* statistics need no cryptographic digest: the ARN is compared too */

    ngx_memzero(digest, sizeof(digest));
    hash[1] = ngx_crc32_long(role->data, role->len);
    ngx_memcpy(digest, "role", 4);
    ngx_memcpy(digest + 4, hash, sizeof(hash));
    ngx_memcpy(digest + 12, role->data, ngx_min(role->len, 20));

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = (ngx_http_dynamo_role_node_t *)
             ngx_http_dynamo_node_lookup_locked(zone,
                                                NGX_HTTP_DYNAMO_NODE_ROLE,
                                                digest);

    if (rn && (rn->len != role->len
               || ngx_memcmp(rn->role, role->data, role->len) != 0))
    {
        /* another role with the same hash: not counted */
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    if (rn == NULL) {

        if (zone->sh->nroles >= NGX_HTTP_DYNAMO_ROLES_MAX) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        rn = ngx_slab_alloc_locked(zone->shpool,
                                   offsetof(ngx_http_dynamo_role_node_t, role)
                                   + role->len);
        if (rn == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        /* a slab chunk of a power of two is aligned to its size */

        rn->requests = ngx_slab_calloc_locked(zone->shpool,
                                              NGX_HTTP_DYNAMO_ROLE_SHARDS
                                              * sizeof(ngx_http_dynamo_line_t));
        if (rn->requests == NULL) {
            ngx_slab_free_locked(zone->shpool, rn);
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return;
        }

        rn->len = (u_short) role->len;
        ngx_memcpy(rn->role, role->data, role->len);

        rn->sh.kind = NGX_HTTP_DYNAMO_NODE_ROLE;
        ngx_memcpy(rn->sh.digest, digest, NGX_HTTP_DYNAMO_DIGEST_LEN);
        rn->sh.node.key = ngx_http_dynamo_digest_key(digest);

        ngx_rbtree_insert(&zone->sh->rbtree, &rn->sh.node);
        ngx_queue_insert_tail(&zone->sh->roles, &rn->sh.lru);
        zone->sh->nroles++;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    zone->roles[slot] = rn;

    (void) ngx_atomic_fetch_add(ngx_http_dynamo_role_requests(rn), 1);
}
