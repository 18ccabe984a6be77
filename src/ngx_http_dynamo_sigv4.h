
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * AWS Signature Version 4, header form, computed as botocore computes it,
 * and the encoders AWS requests need.  A leaf: it calls no nginx function
 * but the pool allocators, the logging macros and ngx_explicit_memzero().
 *
 * Usage:
 *
 *     u_char  key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
 *     u_char  amz_date[NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN];
 *     u_char  hash[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
 *
 *     ngx_http_dynamo_time_amz_date(amz_date, ngx_time());
 *
 *     -- the signing key depends only on (secret, date, region, service):
 *     -- derive it once a day and keep it next to the credentials
 *     ngx_http_dynamo_sigv4_key(key, &secret, amz_date, &region, &service);
 *
 *     -- the payload hash, incrementally as the body arrives
 *     ngx_http_dynamo_sigv4_payload_hash_init(&ctx->sha);
 *     ngx_http_dynamo_sigv4_payload_hash_update(&ctx->sha, p, n);  ...
 *     ngx_http_dynamo_sigv4_payload_hash_final(&ctx->sha, hash);
 *
 *     -- then one call per request
 *     s.method, s.uri ("/"), s.query (""), s.headers, s.nheaders,
 *     s.payload_hash = hash, s.amz_date = amz_date, s.region, s.service,
 *     s.access_key_id, s.key = key, s.log
 *     s.cache = a worker's ngx_http_dynamo_sigv4_cache_t, zeroed at first
 *     ngx_http_dynamo_sigv4_sign(&s, r->pool, &authorization);
 *
 * All functions returning ngx_int_t answer NGX_OK or NGX_ERROR; sign_buf()
 * returns the end of what it wrote, or NULL.  sigv4_sign() allocates only
 * the Authorization value (and, for a canonical request longer than 4 KB,
 * its buffer) from the pool.
 *
 * The headers are signed exactly as given: the caller lists the ones it
 * sends and wants signed.  For DynamoDB, as the SDKs do: host,
 * x-amz-date, x-amz-target, content-type and, with temporary credentials,
 * x-amz-security-token.  For STS: content-type, host, x-amz-date (and
 * x-amz-security-token).  The values must be the ones sent upstream; the
 * host value is the Host header sent (with ":port" when not the default).
 *
 * Header values are canonicalised as botocore does (Python's str.split()
 * on the value decoded as UTF-8: leading and trailing white space removed,
 * inner runs collapsed to one space), names are lowercased (ASCII), sorted,
 * and repeated names joined with ",".  A caller whose names are already
 * lowercase, distinct and sorted (by bytes) says so with s.sorted, which
 * spares the sort and the comparisons; the signature is then the same.
 *
 * s.debug, when set, receives the canonical request with the value of
 * x-amz-security-token replaced by "<redacted>", and the string to sign.
 * Set it only when the log's level wants debug output: the masked copy
 * costs an allocation.
 */


#ifndef _NGX_HTTP_DYNAMO_SIGV4_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_SIGV4_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

/*
 * the low-level SHA-256 calls, deprecated by OpenSSL 3 but not removed,
 * spare an allocation and a provider dispatch per digest; nginx allows
 * them too (ngx_event_openssl.h)
 */

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif

#include <openssl/sha.h>


#define NGX_HTTP_DYNAMO_SIGV4_KEY_LEN        32
#define NGX_HTTP_DYNAMO_SIGV4_HASH_LEN       64     /* hex SHA-256 */
#define NGX_HTTP_DYNAMO_SIGV4_DATE_LEN       8      /* YYYYMMDD */
#define NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN   16     /* YYYYMMDDTHHMMSSZ */
#define NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS    32
#define NGX_HTTP_DYNAMO_SIGV4_SCOPE_MAX      64     /* region, service */
#define NGX_HTTP_DYNAMO_SIGV4_PREFIX_MAX     2048

#define NGX_HTTP_DYNAMO_SIGV4_EMPTY_HASH                                     \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        value;
} ngx_http_dynamo_aws_header_t;


typedef struct {
    ngx_str_t                        key;
    ngx_str_t                        value;
} ngx_http_dynamo_aws_param_t;


typedef void (*ngx_http_dynamo_sigv4_debug_pt)(void *data,
    ngx_str_t *canonical_request, ngx_str_t *string_to_sign);


/*
 * What a worker keeps from one signature to the next, so that requests
 * signed for the same role within the same second share work: the
 * X-Amz-Date of the second; the SHA-256 states of HMAC with the last
 * signing key after its two pad blocks; the state after the canonical
 * request's whole blocks up to the end of the x-amz-security-token line
 * (everything there but the token is the method, the path and the few
 * headers sorted before it, x-amz-date among them).  The last two are
 * found by comparing bytes: an entry that no longer matches is a miss
 * and is replaced, never a wrong answer.
 * It holds the session token: zero it when it is freed.
 */

typedef struct {
    time_t                           date_time;     /* of date, or 0 */
    u_char                           date[NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN];
    u_char                           key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    SHA256_CTX                       inner;
    SHA256_CTX                       outer;
    SHA256_CTX                       prefix_sha;
    size_t                           prefix_len;
    unsigned                         key_set:1;
    u_char                           prefix[NGX_HTTP_DYNAMO_SIGV4_PREFIX_MAX];
} ngx_http_dynamo_sigv4_cache_t;


typedef struct {
    ngx_str_t                        method;
    ngx_str_t                        uri;           /* canonical, encoded */
    ngx_str_t                        query;         /* canonical, or empty */
    ngx_http_dynamo_aws_header_t    *headers;
    ngx_uint_t                       nheaders;
    u_char                          *payload_hash;  /* 64 lowercase hex */
    u_char                          *amz_date;      /* 16 characters */
    ngx_str_t                        region;
    ngx_str_t                        service;
    ngx_str_t                        access_key_id;
    u_char                          *key;           /* 32 bytes */
    ngx_log_t                       *log;           /* errors; may be NULL */
    ngx_http_dynamo_sigv4_debug_pt   debug;         /* may be NULL */
    void                            *debug_data;
    ngx_http_dynamo_sigv4_cache_t   *cache;         /* may be NULL */

    /*
     * bit i: the value of headers[i] has no white space to trim (only
     * bytes 0x21..0x7e), it is copied as it is
     */
    uint32_t                         clean;

    /* the names are lowercase, distinct and sorted: taken as they are */
    unsigned                         sorted:1;
} ngx_http_dynamo_sigv4_t;


/* an incremental SHA-256; zero it before the first init */

typedef struct {
    SHA256_CTX                       sha;
    unsigned                         started:1;
} ngx_http_dynamo_sha256_t;


/* key: 32 bytes out; date: "YYYYMMDD" (an amz date will do) */
ngx_int_t ngx_http_dynamo_sigv4_key(u_char *key, ngx_str_t *secret,
    u_char *date, ngx_str_t *region, ngx_str_t *service);

/* ngx_http_dynamo_time_amz_date(), written once a second in the cache */
u_char *ngx_http_dynamo_sigv4_cached_date(ngx_http_dynamo_sigv4_cache_t *c,
    u_char *buf, time_t now);

size_t ngx_http_dynamo_sigv4_auth_len(ngx_http_dynamo_sigv4_t *s);
u_char *ngx_http_dynamo_sigv4_sign_buf(ngx_http_dynamo_sigv4_t *s,
    ngx_pool_t *pool, u_char *buf);
ngx_int_t ngx_http_dynamo_sigv4_sign(ngx_http_dynamo_sigv4_t *s,
    ngx_pool_t *pool, ngx_str_t *auth);
void ngx_http_dynamo_sigv4_cache_cleanup(void *data);

/* md: 32 bytes */
ngx_int_t ngx_http_dynamo_sha256(u_char *md, u_char *p, size_t len);
ngx_int_t ngx_http_dynamo_sigv4_sha256_hex(u_char *out, u_char *p,
    size_t len);
ngx_int_t ngx_http_dynamo_sigv4_payload_hash_init(
    ngx_http_dynamo_sha256_t *h);
ngx_int_t ngx_http_dynamo_sigv4_payload_hash_update(
    ngx_http_dynamo_sha256_t *h, u_char *p, size_t len);
ngx_int_t ngx_http_dynamo_sigv4_payload_hash_final(
    ngx_http_dynamo_sha256_t *h, u_char *out);

/*
 * "k=v&k=v" in the given order, as botocore's Query serializer sends it
 * (a space is "+"); Content-Type "application/x-www-form-urlencoded;
 * charset=utf-8"
 */
ngx_int_t ngx_http_dynamo_aws_form(ngx_pool_t *pool,
    ngx_http_dynamo_aws_param_t *params, ngx_uint_t n, ngx_str_t *body);


#endif /* _NGX_HTTP_DYNAMO_SIGV4_H_INCLUDED_ */
