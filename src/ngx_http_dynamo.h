
/*
 * Copyright (C) The ngx_dynamo authors
 */


#ifndef _NGX_HTTP_DYNAMO_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_DYNAMO_TOKEN_MAX        8192
#define NGX_HTTP_DYNAMO_DIGEST_LEN       32
#define NGX_HTTP_DYNAMO_IDENTITY_MAX     256
#define NGX_HTTP_DYNAMO_MESSAGE_MAX      512


/* what a refused request is told: SPEC's error contract */

typedef enum {
    NGX_HTTP_DYNAMO_OK = 0,
    NGX_HTTP_DYNAMO_ERR_MISSING_TOKEN,
    NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
    NGX_HTTP_DYNAMO_ERR_EXPIRED,
    NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
    NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
    NGX_HTTP_DYNAMO_ERR_VALIDATION
} ngx_http_dynamo_err_e;


/* JWS algorithms the module accepts; never "none" */

typedef enum {
    NGX_HTTP_DYNAMO_ALG_UNSET = 0,
    NGX_HTTP_DYNAMO_ALG_RS256,
    NGX_HTTP_DYNAMO_ALG_RS384,
    NGX_HTTP_DYNAMO_ALG_RS512,
    NGX_HTTP_DYNAMO_ALG_ES256,
    NGX_HTTP_DYNAMO_ALG_ES384,
    NGX_HTTP_DYNAMO_ALG_ES512,
    NGX_HTTP_DYNAMO_ALG_HS256,
    NGX_HTTP_DYNAMO_ALG_HS384,
    NGX_HTTP_DYNAMO_ALG_HS512
} ngx_http_dynamo_alg_e;


typedef struct {
    ngx_str_t                        kid;        /* empty: no kid */
    ngx_uint_t                       alg;        /* ngx_http_dynamo_alg_e */
    ngx_str_t                        material;   /* PEM, or HMAC secret */
    ngx_str_t                        source;     /* file, for messages */
} ngx_http_dynamo_key_t;


/* counters kept in the shared zone, exact across workers */

typedef struct {
    ngx_atomic_t                     requests;
    ngx_atomic_t                     allowed;
    ngx_atomic_t                     refused_token;
    ngx_atomic_t                     refused_expired;
    ngx_atomic_t                     refused_denied;
    ngx_atomic_t                     refused_policy;
    ngx_atomic_t                     refused_validation;
    ngx_atomic_t                     unavailable;

    ngx_atomic_t                     token_hits;
    ngx_atomic_t                     token_misses;
    ngx_atomic_t                     token_entries;

    ngx_atomic_t                     cred_hits;
    ngx_atomic_t                     cred_misses;
    ngx_atomic_t                     cred_refreshes;
    ngx_atomic_t                     cred_failures;
    ngx_atomic_t                     cred_entries;

    ngx_atomic_t                     sts_calls;
    ngx_atomic_t                     sts_errors;
    ngx_atomic_t                     sts_time_ms;

    ngx_atomic_t                     evictions;
} ngx_http_dynamo_counters_t;


typedef struct {
    ngx_rbtree_t                     rbtree;
    ngx_rbtree_node_t                sentinel;
    ngx_queue_t                      lru;        /* most recent first */
    ngx_http_dynamo_counters_t       counters;
    ngx_uint_t                       nomem_logged;
} ngx_http_dynamo_shctx_t;


typedef struct {
    ngx_http_dynamo_shctx_t         *sh;
    ngx_slab_pool_t                 *shpool;
} ngx_http_dynamo_zone_t;


/* kinds of entries in the zone's tree */

#define NGX_HTTP_DYNAMO_NODE_TOKEN       1
#define NGX_HTTP_DYNAMO_NODE_CREDS       2


/*
 * Every entry starts with this header; the rbtree key is the first
 * machine word of the digest, the digest itself tells entries apart.
 */

typedef struct {
    ngx_rbtree_node_t                node;
    ngx_queue_t                      lru;
    u_char                           kind;
    u_char                           digest[NGX_HTTP_DYNAMO_DIGEST_LEN];
} ngx_http_dynamo_node_t;


/* a verified identity token, as cached and as kept in the request */

typedef struct {
    time_t                           exp;
    time_t                           nbf;        /* 0: none */
    time_t                           iat;        /* 0: none */
    ngx_str_t                        identity;
    ngx_str_t                        subject;
    ngx_str_t                        token_id;
    ngx_str_t                        payload;    /* decoded claims, JSON */
} ngx_http_dynamo_token_t;


typedef struct {
    ngx_http_dynamo_node_t           sh;
    time_t                           exp;
    time_t                           nbf;
    time_t                           iat;
    u_short                          identity_len;
    u_short                          subject_len;
    u_short                          token_id_len;
    uint32_t                         payload_len;
    u_char                           data[1];
} ngx_http_dynamo_token_node_t;


typedef struct {
    ngx_shm_zone_t                  *shm_zone;
    ngx_flag_t                       enabled;    /* some location uses us */
} ngx_http_dynamo_main_conf_t;


typedef struct {
    ngx_flag_t                       access;

    ngx_array_t                     *keys;       /* ngx_http_dynamo_key_t */
    ngx_array_t                     *issuers;    /* ngx_str_t */
    ngx_array_t                     *audiences;  /* ngx_str_t */
    time_t                           leeway;
    ngx_str_t                        token_header;
    ngx_flag_t                       token_in_session_token;
    ngx_array_t                     *identity_claims;  /* ngx_str_t */

    /* what a cached verification depends on: keys, iss, aud, claims */
    u_char                           fingerprint[NGX_HTTP_DYNAMO_DIGEST_LEN];
    ngx_uint_t                       fingerprinted;
} ngx_http_dynamo_loc_conf_t;


/* per-request state */

typedef struct {
    ngx_uint_t                       state;

    ngx_http_dynamo_token_t          token;
    ngx_uint_t                       token_cached;
    void                            *claims;     /* json_t *, lazily */

    ngx_uint_t                       err;        /* ngx_http_dynamo_err_e */
    ngx_str_t                        message;
    ngx_uint_t                       policy_violated;
} ngx_http_dynamo_ctx_t;


#define NGX_HTTP_DYNAMO_STATE_START      0
#define NGX_HTTP_DYNAMO_STATE_DONE       1


/* access: the access-phase handler */

ngx_int_t ngx_http_dynamo_access_handler(ngx_http_request_t *r);
ngx_http_dynamo_ctx_t *ngx_http_dynamo_get_ctx(ngx_http_request_t *r);

/* error: refusals in DynamoDB's own error shape */

ngx_int_t ngx_http_dynamo_fail(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t err, const char *fmt, ...);
ngx_int_t ngx_http_dynamo_send_error(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);
ngx_str_t *ngx_http_dynamo_error_type(ngx_uint_t err);
u_char *ngx_http_dynamo_iso8601(u_char *buf, time_t t);
ngx_str_t *ngx_http_dynamo_printable(ngx_http_request_t *r, ngx_str_t *s,
    size_t max);

/* jwt: keys and token verification */

char *ngx_http_dynamo_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_dynamo_jwt_fingerprint(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf);
ngx_int_t ngx_http_dynamo_jwt_verify(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token);
ngx_int_t ngx_http_dynamo_jwt_is_token(ngx_str_t *value);

/* zone: the shared cache */

char *ngx_http_dynamo_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_http_dynamo_zone_t *ngx_http_dynamo_get_zone(ngx_http_request_t *r);
ngx_http_dynamo_node_t *ngx_http_dynamo_node_lookup_locked(
    ngx_http_dynamo_zone_t *zone, ngx_uint_t kind, u_char *digest);
void ngx_http_dynamo_node_insert_locked(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_node_t *dn, ngx_uint_t kind, u_char *digest);
void ngx_http_dynamo_node_free_locked(ngx_http_dynamo_zone_t *zone,
    ngx_http_dynamo_node_t *dn);
void *ngx_http_dynamo_alloc_locked(ngx_http_dynamo_zone_t *zone, size_t size,
    ngx_log_t *log);
ngx_int_t ngx_http_dynamo_token_cache_get(ngx_http_request_t *r,
    u_char *digest, ngx_http_dynamo_token_t *token);
void ngx_http_dynamo_token_cache_put(ngx_http_request_t *r,
    u_char *digest, ngx_http_dynamo_token_t *token);

#define ngx_http_dynamo_count(zone, name, n)                                 \
    if ((zone) != NULL) {                                                     \
        (void) ngx_atomic_fetch_add(&(zone)->sh->counters.name, n);          \
    }

/* variables */

ngx_int_t ngx_http_dynamo_add_variables(ngx_conf_t *cf);


extern ngx_module_t  ngx_http_dynamo_module;


#endif /* _NGX_HTTP_DYNAMO_H_INCLUDED_ */
