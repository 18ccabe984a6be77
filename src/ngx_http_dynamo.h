
/*
 * Copyright (C) The ngx_dynamo authors
 */


#ifndef _NGX_HTTP_DYNAMO_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dynamo_sigv4.h"
#include "ngx_http_dynamo_time.h"
#include "ngx_http_dynamo_ddb.h"


#define NGX_HTTP_DYNAMO_TOKEN_MAX        8192
#define NGX_HTTP_DYNAMO_TOKEN_HASHED     64    /* the tail the cache hashes */
#define NGX_HTTP_DYNAMO_DIGEST_LEN       32
#define NGX_HTTP_DYNAMO_IDENTITY_MAX     256
#define NGX_HTTP_DYNAMO_MESSAGE_MAX      512
#define NGX_HTTP_DYNAMO_CREDS_MARGIN     5       /* seconds */
#define NGX_HTTP_DYNAMO_CREDS_ERROR_MAX  256


/* what a refused request is told: SPEC's error contract */

typedef enum {
    NGX_HTTP_DYNAMO_OK = 0,
    NGX_HTTP_DYNAMO_ERR_MISSING_TOKEN,
    NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
    NGX_HTTP_DYNAMO_ERR_EXPIRED,
    NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
    NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
    NGX_HTTP_DYNAMO_ERR_VALIDATION,
    NGX_HTTP_DYNAMO_ERR_TIMEOUT,         /* nginx's own errors from here */
    NGX_HTTP_DYNAMO_ERR_THROTTLED,
    NGX_HTTP_DYNAMO_ERR_INTERNAL
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
    void                            *pkey;       /* EVP_PKEY, parsed once */
    ngx_str_t                        source;     /* file, for messages */
} ngx_http_dynamo_key_t;


typedef struct {
    ngx_str_t                        identity;
    ngx_str_t                        role_arn;
    ngx_uint_t                       order;      /* as configured */
} ngx_http_dynamo_binding_t;


/*
 * A key set fetched from an identity provider (dynamo_jwt_jwks), one per
 * location named, and the worker's parsed copy of the zone's set
 */

typedef struct {
    ngx_str_t                        uri;
    time_t                           refresh;
    time_t                           cooldown;
    time_t                           max_stale;
    u_char                           digest[NGX_HTTP_DYNAMO_DIGEST_LEN];

    uint64_t                         generation;  /* the worker's; 0: none */
    ngx_msec_t                       checked;     /* the zone, last seen */
    time_t                           due;         /* as the zone said */
    time_t                           usable_until;
    ngx_pool_t                      *pool;
    ngx_array_t                     *keys;        /* _key_t */
} ngx_http_dynamo_jwks_t;


typedef struct {
    ngx_http_complex_value_t         source;
    ngx_http_regex_t                *regex;
    ngx_http_complex_value_t         role;
    ngx_str_t                        pattern;
} ngx_http_dynamo_role_rule_t;


typedef struct {
    ngx_str_t                        key;
    ngx_http_complex_value_t         value;
} ngx_http_dynamo_tag_t;


/* a piece of a session policy template: text, or a variable's value */

typedef struct {
    ngx_str_t                        text;
    ngx_int_t                        index;      /* NGX_ERROR: text */
} ngx_http_dynamo_session_part_t;


/* temporary or long-term AWS credentials, and a derived signing key */

typedef struct {
    ngx_str_t                        access_key_id;
    ngx_str_t                        secret;
    ngx_str_t                        session_token;
    time_t                           expiration;  /* 0: long-term */

    u_char                           key[32];
    u_char                           key_date[8];
    ngx_uint_t                       key_scope;   /* hash of region, svc */
    ngx_uint_t                       have_key;
} ngx_http_dynamo_creds_t;


/* where the gateway's own credentials come from */

typedef enum {
    NGX_HTTP_DYNAMO_BASE_NONE = 0,
    NGX_HTTP_DYNAMO_BASE_ENV,
    NGX_HTTP_DYNAMO_BASE_FILE,
    NGX_HTTP_DYNAMO_BASE_IMDS,
    NGX_HTTP_DYNAMO_BASE_ECS,
    NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY
} ngx_http_dynamo_base_source_e;


typedef struct {
    ngx_uint_t                       source;
    ngx_str_t                        file;        /* file= */
    ngx_str_t                        profile;     /* profile= */
    ngx_str_t                        uri;         /* imds, ecs: location */
    ngx_str_t                        path;        /* ecs: credentials path */
    ngx_str_t                        token;       /* ecs: authorization */
    ngx_str_t                        token_file;  /* ecs, web_identity */
    ngx_str_t                        role_arn;    /* web_identity */
    ngx_str_t                        session_name;

    /* static credentials: env (read by each worker), file= */
    ngx_http_dynamo_creds_t          creds;

    /* the zone entry of fetched ones */
    u_char                           digest[NGX_HTTP_DYNAMO_DIGEST_LEN];
} ngx_http_dynamo_base_t;


/*
 * Counters kept in the shared zone, exact across workers.  Each worker
 * adds to a shard of its own (ngx_worker modulo the number of shards), a
 * cache line apart from the others' so that two workers do not fight
 * over one line on every request; dynamo_status sums the shards.
 */

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
    ngx_atomic_t                     sts_errors;         /* all the kinds */
    ngx_atomic_t                     sts_refused;        /* an error answer */
    ngx_atomic_t                     sts_unreachable;    /* or timed out */
    ngx_atomic_t                     sts_5xx;
    ngx_atomic_t                     sts_malformed;
    ngx_atomic_t                     sts_time_ms;

    ngx_atomic_t                     evictions;         /* of all kinds */
    ngx_atomic_t                     token_evictions;
    ngx_atomic_t                     cred_evictions;    /* and key sets */
    ngx_atomic_t                     chain_clamp_logged;  /* shard 0 */
} ngx_http_dynamo_counters_t;


#define NGX_HTTP_DYNAMO_SHARDS           16

typedef union {
    ngx_http_dynamo_counters_t       c;
    u_char                           pad[(sizeof(ngx_http_dynamo_counters_t)
                                          + 127) & ~127];
} ngx_http_dynamo_shard_t;


/*
 * The entries are of two classes, each with an LRU queue of its own.
 * Tokens are cheap: one lost costs one verification.  Credentials (and
 * any kind but tokens) are expensive: one lost costs an STS call that
 * requests queue behind.  Tokens take at most token_budget bytes of the
 * zone's pages (half of them) and make room by evicting tokens only;
 * expensive entries make room by evicting tokens first and expensive
 * ones last.  A flood of tokens thus never evicts credentials.
 */

typedef struct {
    ngx_rbtree_t                     rbtree;
    ngx_rbtree_node_t                sentinel;
    ngx_queue_t                      lru;        /* expensive, most recent
                                                    first */
    ngx_queue_t                      tokens;     /* most recent first */
    ngx_queue_t                      roles;      /* never evicted */
    ngx_uint_t                       nroles;
    size_t                           token_bytes;   /* slab chunks */
    size_t                           token_budget;
    ngx_http_dynamo_shard_t          shards[NGX_HTTP_DYNAMO_SHARDS];
    struct ngx_http_dynamo_idents_s *idents;     /* dynamo_status' */
    ngx_uint_t                       nomem_logged;
    ngx_uint_t                       token_nomem_logged;
    ngx_uint_t                       token_evict_logged;
    ngx_uint_t                       cred_evict_logged;
} ngx_http_dynamo_shctx_t;


/* kinds of entries in the zone's tree */

#define NGX_HTTP_DYNAMO_NODE_TOKEN       1
#define NGX_HTTP_DYNAMO_NODE_CREDS       2
#define NGX_HTTP_DYNAMO_NODE_BASE        3
#define NGX_HTTP_DYNAMO_NODE_ROLE        4
#define NGX_HTTP_DYNAMO_NODE_JWKS        5

#define NGX_HTTP_DYNAMO_ROLES_MAX        1024


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


/*
 * Requests per role, for dynamo_status.  The count is kept in a line of
 * its own per worker (modulo NGX_HTTP_DYNAMO_ROLE_SHARDS), away from the
 * name every request compares: two workers counting the same role do
 * not take the line from each other.  Never written but the counts.
 */

#define NGX_HTTP_DYNAMO_ROLE_SHARDS      4

typedef union {
    ngx_atomic_t                     n;
    u_char                           pad[NGX_CPU_CACHE_LINE];
} ngx_http_dynamo_line_t;


typedef struct {
    ngx_http_dynamo_node_t           sh;
    ngx_http_dynamo_line_t          *requests;   /* _ROLE_SHARDS */
    u_short                          len;
    u_char                           role[1];
} ngx_http_dynamo_role_node_t;

/* this worker's count of the role */
#define ngx_http_dynamo_role_requests(rn)                                    \
    (&(rn)->requests[ngx_worker % NGX_HTTP_DYNAMO_ROLE_SHARDS].n)


/*
 * dynamo_status' counts of one identity, of those folded into "other",
 * or of the requests without an identity.  Kept under the zone's lock,
 * so plain numbers.
 */

typedef struct {
    uint64_t                         requests;
    uint64_t                         allowed;
    uint64_t                         refused_token;
    uint64_t                         refused_expired;
    uint64_t                         refused_denied;
    uint64_t                         refused_policy;
    uint64_t                         refused_validation;
    uint64_t                         unavailable;
    uint64_t                         throttled;
    uint64_t                         request_bytes;
    uint64_t                         response_bytes;
    uint64_t                         capacity;   /* thousandths of a unit */
} ngx_http_dynamo_ident_counts_t;


typedef struct {
    ngx_http_dynamo_ident_counts_t   c;
    uint64_t                         rank;       /* c.requests, plus those
                                                    of the one replaced */
    uint32_t                         hash;
    int32_t                          next;       /* in its bucket; -1: none */
    u_short                          len;
    u_char                           identity[NGX_HTTP_DYNAMO_IDENTITY_MAX];
} ngx_http_dynamo_ident_t;


/*
 * The most active identities, in a fixed number of slots made with the
 * zone (dynamo_zone identities=); see ngx_http_dynamo_status_count()
 */

typedef struct ngx_http_dynamo_idents_s {
    ngx_uint_t                       nslots;
    ngx_uint_t                       used;
    ngx_uint_t                       nbuckets;   /* a power of two */
    uint64_t                         folded;     /* identities replaced */
    ngx_http_dynamo_ident_counts_t   other;
    ngx_http_dynamo_ident_counts_t   unidentified;
    int32_t                         *buckets;
    ngx_http_dynamo_ident_t         *slots;
} ngx_http_dynamo_idents_t;

#define NGX_HTTP_DYNAMO_IDENTS_DEFAULT   100
#define NGX_HTTP_DYNAMO_IDENTS_MAX       10000


typedef struct ngx_http_dynamo_activity_log_s  ngx_http_dynamo_activity_log_t;


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
    uint32_t                         token_len;
    u_char                           data[1];   /* ..., the token itself */
} ngx_http_dynamo_token_node_t;




/*
 * Credentials in the zone, for a role (and session) or the gateway's own:
 * the credentials, a single-flight marker with a deadline so that a lost
 * fetch never wedges the entry, the back-off after failures and what
 * waiters are told meanwhile, and the last derived signing key.
 */

typedef struct {
    ngx_http_dynamo_node_t           sh;
    time_t                           expiration;  /* 0: none yet */
    ngx_msec_t                       fetch_until; /* wall clock, ms */
    uint64_t                         fetcher;
    time_t                           retry_at;
    ngx_uint_t                       failures;
    u_char                           err;
    u_char                           error_len;
    u_char                           error[NGX_HTTP_DYNAMO_CREDS_ERROR_MAX];
    u_char                           key[32];
    u_char                           key_date[8];
    ngx_uint_t                       key_scope;
    u_short                          access_key_id_len;
    u_short                          secret_len;
    u_short                          session_token_len;
    u_char                           data[1];
} ngx_http_dynamo_creds_node_t;

/* data: the access key id, the secret, the session token */
#define ngx_http_dynamo_creds_data_len(cn)                                   \
    ((size_t) (cn)->access_key_id_len + (cn)->secret_len                      \
     + (cn)->session_token_len)

#define ngx_http_dynamo_creds_node_size(cn)                                  \
    (offsetof(ngx_http_dynamo_creds_node_t, data)                             \
     + ngx_http_dynamo_creds_data_len(cn))


/*
 * The zone as a worker sees it.  Besides the shared part, what the worker
 * keeps of it to spare the zone's lock on every request: the counters of
 * the roles it counted (role entries are never freed), copies of the
 * tokens it verified or found in the zone lately, whole, found by digest
 * and compared byte for byte like the zone's, and copies of the
 * credentials it used, until they are due for a refresh.
 */

#define NGX_HTTP_DYNAMO_ROLE_SLOTS       64
#define NGX_HTTP_DYNAMO_TOKEN_SLOTS      256
#define NGX_HTTP_DYNAMO_TOKEN_SLOT_MAX   4096
#define NGX_HTTP_DYNAMO_CREDS_SLOTS      16

/* X-Amz-Date, Authorization, X-Amz-Security-Token: dynamo_pass adds them */
#define NGX_HTTP_DYNAMO_ADDED            3

typedef struct {
    ngx_http_dynamo_shctx_t         *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_http_dynamo_role_node_t     *roles[NGX_HTTP_DYNAMO_ROLE_SLOTS];
    ngx_http_dynamo_token_node_t    *tokens[NGX_HTTP_DYNAMO_TOKEN_SLOTS];
    ngx_http_dynamo_creds_node_t    *creds[NGX_HTTP_DYNAMO_CREDS_SLOTS];
    ngx_uint_t                       identities;  /* identities=, or unset */
} ngx_http_dynamo_zone_t;


/*
 * The block holding a request's readers, kept by the worker for the next
 * request when the request ends: malloc() and free() of some 13 KB per
 * request cost more than the rest of the allocations of the request
 */

typedef struct ngx_http_dynamo_spare_s  ngx_http_dynamo_spare_t;

struct ngx_http_dynamo_spare_s {
    ngx_http_dynamo_spare_t         *next;
    size_t                           size;
    void                            *conf;       /* main_conf_t */
};


/*
 * A second as activity records write it, "2026-11-23 09:30:00." and in
 * decimal, kept by a worker for the record's time and its connection's
 */

typedef struct {
    time_t                           sec;
    u_char                           text[20];
    u_char                           decimal[NGX_INT64_LEN];
    size_t                           decimal_len;  /* 0: not made yet */
} ngx_http_dynamo_log_second_t;


/* an internal location a directive names, checked once all are known */

typedef struct {
    ngx_str_t                        uri;
    const char                      *directive;
    ngx_http_core_loc_conf_t        *server;     /* the server's root */
    void                            *conf;       /* loc_conf_t naming it */
} ngx_http_dynamo_uri_ref_t;


typedef struct {
    ngx_shm_zone_t                  *shm_zone;
    ngx_flag_t                       enabled;    /* some location uses us */
    ngx_array_t                      uri_refs;   /* _uri_ref_t */
    ngx_array_t                     *jwks;       /* _jwks_t *, all */
    ngx_http_dynamo_base_t           base;
    ngx_uint_t                       fetch_ids;
    ngx_uint_t                       added_hash[NGX_HTTP_DYNAMO_ADDED];
    ngx_http_dynamo_log_second_t     log_seconds[2]; /* the worker's */
    ngx_http_dynamo_spare_t         *spare;          /* the worker's */
    ngx_uint_t                       nspare;
} ngx_http_dynamo_main_conf_t;


typedef struct {
    /* where the block of this configuration starts, for merge errors */
    u_char                          *conf_file;
    ngx_uint_t                       conf_line;

    ngx_flag_t                       access;

    ngx_array_t                     *keys;       /* ngx_http_dynamo_key_t */
    ngx_array_t                     *jwks;       /* _jwks_t * */
    ngx_array_t                     *issuers;    /* ngx_str_t */
    ngx_array_t                     *audiences;  /* ngx_str_t */
    time_t                           leeway;
    ngx_str_t                        token_header;
    ngx_str_t                        token_header_lc;  /* lowercased */
    ngx_flag_t                       token_in_session_token;
    ngx_array_t                     *identity_claims;  /* ngx_str_t */

    /* what a cached verification depends on: keys, iss, aud, claims */
    u_char                           fingerprint[NGX_HTTP_DYNAMO_DIGEST_LEN];
    ngx_uint_t                       fingerprinted;

    ngx_array_t                     *bindings;   /* _binding_t */
    ngx_uint_t                       bindings_sorted;
    ngx_array_t                     *role_rules; /* _role_rule_t */
    ngx_flag_t                       role_from_access_key;

    ngx_str_t                        sts_uri;
    ngx_str_t                        sts_host;
    ngx_msec_t                       sts_timeout;
    ngx_str_t                        sts_region;
    time_t                           duration;
    time_t                           refresh;
    ngx_http_complex_value_t        *external_id;
    ngx_http_complex_value_t        *session_name;
    ngx_http_complex_value_t        *source_identity;
    ngx_array_t                     *session_tags;  /* _tag_t */
    ngx_array_t                     *session_policy; /* _session_part_t */
    ngx_array_t                     *session_policy_arns; /* ngx_str_t */

    ngx_http_handler_pt              proxy_handler;  /* dynamo_pass */
    ngx_http_dynamo_sigv4_cache_t   *sign_cache;     /* the worker's */
    ngx_str_t                        pass_host;
    ngx_str_t                        pass_region;
    ngx_uint_t                       pass_scope;     /* of pass_region */
    ngx_flag_t                       pass_host_clean; /* 0x21..0x7e */
    ngx_str_t                        region;         /* dynamo_region */

    ngx_http_dynamo_activity_log_t  *activity_log;
    ngx_uint_t                       stmt_mode;
    size_t                           stmt_max;
    ngx_str_t                        repo_name;
    ngx_str_t                        log_repo;       /* record parts */
    ngx_str_t                        log_sidecar;
    ngx_str_t                        log_region;

    ngx_array_t                     *policy;
} ngx_http_dynamo_loc_conf_t;


/*
 * Per-request state, grouped by phase: who calls (access), what the body
 * asks (access, as it arrives), what AssumeRole is asked (access), the
 * credentials it gave and their fetching (access), key sets waited for,
 * the subrequest in flight, and what DynamoDB answered (the response
 * filters, for the record).  The outcome stays at the top.
 */

typedef struct {
    ngx_http_dynamo_token_t          token;
    ngx_uint_t                       token_cached;
    ngx_int_t                        identity_rc; /* access_identity() */
    void                            *claims;     /* json_t *, lazily */
    ngx_str_t                       *role_header;
    ngx_str_t                       *target;     /* X-Amz-Target */
    ngx_str_t                       *content_type;
    ngx_str_t                        end_user;   /* the client's key id */
} ngx_http_dynamo_caller_t;


typedef struct {
    ngx_http_dynamo_ddb_op_t        *op;
    ngx_http_dynamo_ddb_request_t   *rq;
    ngx_array_t                      tables;     /* ngx_str_t */
    ngx_http_dynamo_sha256_t         sha;
    u_char                           payload_hash[64];
    off_t                            bytes;
    ngx_uint_t                       stmt_mode;
    size_t                           stmt_max;
    unsigned                         reading:1;
    unsigned                         read:1;
    unsigned                         async:1;
    unsigned                         checked:1;
    unsigned                         hashed:1;
} ngx_http_dynamo_body_t;


typedef struct {
    ngx_str_t                        role_arn;
    ngx_str_t                        session_name;
    ngx_str_t                        external_id;
    ngx_str_t                        source_identity;
    ngx_array_t                     *tags;       /* _aws_param_t */
    ngx_str_t                        session_policy;  /* rendered */
    u_char                           digest[NGX_HTTP_DYNAMO_DIGEST_LEN];
} ngx_http_dynamo_assume_t;


typedef struct {
    ngx_http_dynamo_creds_t          role;
    ngx_http_dynamo_creds_t          base;
    ngx_http_dynamo_creds_t          stale;      /* usable while refreshing */
    ngx_http_dynamo_creds_t          base_stale;
    ngx_uint_t                       has_base_stale;
    ngx_uint_t                       base_expired;
    ngx_uint_t                       state;
    uint64_t                         fetch_id;
    ngx_uint_t                       fetching_role;
    ngx_uint_t                       fetching_base;
    ngx_uint_t                       fetch_guarded;
    ngx_uint_t                       has_stale;
    ngx_uint_t                       waits;
    ngx_str_t                        imds_token;
    ngx_str_t                        imds_role;
} ngx_http_dynamo_cred_state_t;


/* key sets: the token, kept while the request waits for one */

typedef struct {
    ngx_str_t                        token;
    ngx_str_t                        reason;     /* of the 503 */
    ngx_http_dynamo_jwks_t          *fetching;
    ngx_uint_t                       fetched;    /* bits: sets fetched */
    unsigned                         unavailable:1;
    unsigned                         guarded:1;
} ngx_http_dynamo_jwks_wait_t;


/* the subrequest in flight, and what it answered */

typedef struct {
    ngx_http_request_t              *sr;
    ngx_uint_t                       done;
    ngx_int_t                        rc;
    ngx_uint_t                       status;
    ngx_uint_t                       answered;   /* not nginx's 502/504 */
    ngx_uint_t                       overflow;   /* over the limit */
    size_t                           limit;      /* 0: 64 KB */
    time_t                           max_age;    /* -1: none stated */
    ngx_str_t                        body;
    ngx_msec_t                       start;
} ngx_http_dynamo_sub_t;


/* DynamoDB's answer, for the record */

typedef struct {
    ngx_http_dynamo_ddb_response_t  *rs;
    ngx_http_dynamo_ddb_response_t  *rs_mem;     /* with rq, for a record */
    uint64_t                         start;
    uint64_t                         end;
    off_t                            bytes;
    unsigned                         skip:1;
} ngx_http_dynamo_upstream_t;


typedef struct {
    ngx_uint_t                       state;
    uint64_t                         start_ns;   /* with an activity log */
    unsigned                         begun:1;    /* the access checks ran */
    unsigned                         page_sent:1;

    ngx_http_dynamo_caller_t         caller;
    ngx_http_dynamo_body_t           body;
    ngx_http_dynamo_assume_t         assume;
    ngx_http_dynamo_cred_state_t     cred;
    ngx_http_dynamo_jwks_wait_t      jwks;
    ngx_http_dynamo_sub_t            sub;
    ngx_http_dynamo_upstream_t       upstream;

    ngx_uint_t                       err;        /* ngx_http_dynamo_err_e */
    ngx_str_t                        message;
    ngx_uint_t                       policy_violated;
    ngx_buf_t                       *page;       /* for nginx's own error */
} ngx_http_dynamo_ctx_t;


#define NGX_HTTP_DYNAMO_STATE_START      0
#define NGX_HTTP_DYNAMO_STATE_BODY       1
#define NGX_HTTP_DYNAMO_STATE_CREDS      2
#define NGX_HTTP_DYNAMO_STATE_DONE       3


/* what an answer was: credentials, a refusal, or nothing usable */

#define NGX_HTTP_DYNAMO_ANSWER_STS       0
#define NGX_HTTP_DYNAMO_ANSWER_IMDS      1
#define NGX_HTTP_DYNAMO_ANSWER_ECS       2


/* page: nginx's own error pages in a gateway location */

ngx_int_t ngx_http_dynamo_page_init(ngx_conf_t *cf);
ngx_int_t ngx_http_dynamo_nginx_error(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t status);


/* access: the access-phase handler */

ngx_int_t ngx_http_dynamo_access_handler(ngx_http_request_t *r);
ngx_http_dynamo_ctx_t *ngx_http_dynamo_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_dynamo_access_identity(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);

/* error: refusals in DynamoDB's own error shape */

ngx_int_t ngx_http_dynamo_fail(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t err, const char *fmt, ...);
ngx_int_t ngx_http_dynamo_set_error(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t err, const char *fmt, ...);
ngx_int_t ngx_http_dynamo_send_error(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);
ngx_str_t *ngx_http_dynamo_error_type(ngx_uint_t err);
ngx_buf_t *ngx_http_dynamo_error_body(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);
ngx_str_t *ngx_http_dynamo_printable(ngx_http_request_t *r, ngx_str_t *s,
    size_t max);

/* module: configuration */

void ngx_cdecl ngx_http_dynamo_conf_emerg(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf, const char *fmt, ...);

/* jwt: keys and token verification */

char *ngx_http_dynamo_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_dynamo_jwt_fingerprint(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf);
ngx_int_t ngx_http_dynamo_jwt_verify(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token);
ngx_int_t ngx_http_dynamo_jwt_is_token(ngx_str_t *value);
void ngx_http_dynamo_jwt_json_cleanup(void *data);
u_char *ngx_http_dynamo_jwt_key_check(void *pkey, ngx_uint_t *alg,
    ngx_str_t *desc, u_char *buf, size_t size);
ngx_int_t ngx_http_dynamo_jwk_key(ngx_pool_t *pool, void *jwk,
    ngx_uint_t alg, ngx_uint_t check, ngx_str_t *desc,
    ngx_http_dynamo_key_t *key, u_char *buf, size_t size);

/* jwks: key sets fetched from identity providers */

char *ngx_http_dynamo_jwt_jwks(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_dynamo_jwks_generation(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    uint64_t *generation);
uint64_t ngx_http_dynamo_jwks_current(ngx_http_dynamo_loc_conf_t *dlcf);
ngx_int_t ngx_http_dynamo_jwks_keys(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *kid, ngx_array_t *out);
ngx_int_t ngx_http_dynamo_jwks_answer(ngx_pool_t *pool, ngx_log_t *log,
    ngx_uint_t kept, ngx_str_t *uri, u_char *data, size_t len,
    ngx_array_t *keys, ngx_str_t *compact, ngx_uint_t *refused, u_char *buf,
    size_t size);
void ngx_http_dynamo_jwks_free(ngx_array_t *keys);
ngx_int_t ngx_http_dynamo_jwks_status(ngx_http_request_t *r, ngx_uint_t prom,
    ngx_str_t *out);

/* role: identity to role */

char *ngx_http_dynamo_service_account(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dynamo_service_accounts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dynamo_role_rule(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_dynamo_bindings_init(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf);
ngx_int_t ngx_http_dynamo_role_arn_parse(ngx_str_t *arn, ngx_str_t *name);
ngx_int_t ngx_http_dynamo_role_select(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
ngx_int_t ngx_http_dynamo_sts_name(ngx_http_request_t *r, ngx_str_t *in,
    ngx_str_t *out);

/* session: per-identity session policies */

char *ngx_http_dynamo_session_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dynamo_session_policy_arn(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_dynamo_session_policy_render(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);

/* credentials: the role's credentials, cached, fetched once */

ngx_int_t ngx_http_dynamo_credentials(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
void ngx_http_dynamo_base_invalidate(ngx_http_request_t *r);
ngx_int_t ngx_http_dynamo_signing_key(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_creds_t *creds,
    u_char *amz_date, ngx_str_t *region, ngx_str_t *service,
    ngx_uint_t scope);
ngx_uint_t ngx_http_dynamo_key_scope(ngx_str_t *region, ngx_str_t *service);
ngx_int_t ngx_http_dynamo_wait(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);

/* base: the gateway's own credentials */

char *ngx_http_dynamo_base_credentials(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_dynamo_base_init_module(ngx_cycle_t *cycle);
ngx_int_t ngx_http_dynamo_base_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_dynamo_base_fetch(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
ngx_int_t ngx_http_dynamo_base_answer(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);

/* subrequest: the module's own subrequests, their answers captured */

ngx_int_t ngx_http_dynamo_subrequest(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_str_t *uri, ngx_uint_t method,
    void *headers, ngx_uint_t nheaders, ngx_str_t *body);
ngx_int_t ngx_http_dynamo_capture_init(ngx_conf_t *cf);
ngx_int_t ngx_http_dynamo_quiet_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dynamo_capture_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_dynamo_capture_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

/* sts: calls to STS and credential endpoints */

char *ngx_http_dynamo_sts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_dynamo_sts_assume_role(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
ngx_int_t ngx_http_dynamo_sts_call(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    void *params, ngx_uint_t nparams, ngx_http_dynamo_creds_t *signer);
ngx_int_t ngx_http_dynamo_sts_result(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t kind, ngx_str_t *what,
    ngx_http_dynamo_creds_t *creds);

/* body: the client's request body */

ngx_int_t ngx_http_dynamo_body_init(ngx_conf_t *cf);
ngx_int_t ngx_http_dynamo_body_read(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);
ngx_int_t ngx_http_dynamo_body_check(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);

/* pass: the content handler */

char *ngx_http_dynamo_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
void ngx_http_dynamo_pass_init(ngx_conf_t *cf);
ngx_int_t ngx_http_dynamo_pass_merge(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *prev, ngx_http_dynamo_loc_conf_t *conf);

/* policy */

char *ngx_http_dynamo_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_dynamo_policy_check(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx);

/* response: observing DynamoDB's answer */

ngx_int_t ngx_http_dynamo_response_init(ngx_conf_t *cf);
void ngx_http_dynamo_response_start(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);

/* log: the activity log */

char *ngx_http_dynamo_activity_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dynamo_activity_statement(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dynamo_log_merge(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *prev, ngx_http_dynamo_loc_conf_t *conf);
void ngx_http_dynamo_log_prepare(ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_http_dynamo_ctx_t *ctx);
ngx_int_t ngx_http_dynamo_log_handler(ngx_http_request_t *r);

/* status */

char *ngx_http_dynamo_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
void ngx_http_dynamo_status_count(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx);

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
void ngx_http_dynamo_creds_wipe(ngx_http_dynamo_creds_node_t *cn);
ngx_int_t ngx_http_dynamo_token_cache_get(ngx_http_request_t *r,
    u_char *digest, ngx_str_t *raw, ngx_http_dynamo_token_t *token);
void ngx_http_dynamo_token_cache_put(ngx_http_request_t *r,
    u_char *digest, ngx_str_t *raw, ngx_http_dynamo_token_t *token);
void ngx_http_dynamo_role_count(ngx_http_request_t *r, ngx_str_t *role);

#define ngx_http_dynamo_counters(zone)                                       \
    (&(zone)->sh->shards[ngx_worker % NGX_HTTP_DYNAMO_SHARDS].c)

#define ngx_http_dynamo_count(zone, name, n)                                 \
    if ((zone) != NULL) {                                                     \
        (void) ngx_atomic_fetch_add(&ngx_http_dynamo_counters(zone)->name, n); \
    }

/*
 * a request header by its name, given in lowercase: nginx keeps every
 * header's name lowercased in lowcase_key, so one memcmp() decides
 */

#define ngx_http_dynamo_header_is(h, lc)                                     \
    ((h)->key.len == (lc)->len                                                \
     && ngx_memcmp((h)->lowcase_key, (lc)->data, (lc)->len) == 0)

/* variables */

ngx_int_t ngx_http_dynamo_add_variables(ngx_conf_t *cf);


extern ngx_module_t  ngx_http_dynamo_module;


#endif /* _NGX_HTTP_DYNAMO_H_INCLUDED_ */
