
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * AWS Signature Version 4: the signing key, the canonical request, the
 * string to sign and the Authorization header, as botocore computes them;
 * and the form bodies of STS Query requests.  A leaf:
 * no nginx function is called but the pool allocators, the logging macros
 * and ngx_explicit_memzero(), so the file is unit-tested and fuzzed
 * outside nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_sigv4.h"
#include "ngx_http_dynamo_time.h"

#if (defined __SSE2__)
#include <emmintrin.h>
#endif


/* canonical requests up to this size are built on the stack */
#define NGX_HTTP_DYNAMO_SIGV4_STACK      4096

#define NGX_HTTP_DYNAMO_SIGV4_ALGORITHM  "AWS4-HMAC-SHA256"
#define NGX_HTTP_DYNAMO_SIGV4_TERMINATOR "aws4_request"
#define NGX_HTTP_DYNAMO_SIGV4_TOKEN      "x-amz-security-token"
#define NGX_HTTP_DYNAMO_SIGV4_MASK       "<redacted>"

#define NGX_HTTP_DYNAMO_SHA256_BLOCK     64


/* a canonical request being built, and what the later phases take of it */

typedef struct {
    u_char                          *data;
    size_t                           len;
    u_char                          *signed_headers;  /* within data */
    size_t                           signed_len;
    u_char                          *token;       /* its value, or NULL */
    u_char                          *token_last;
} ngx_http_dynamo_sigv4_canon_t;


static ngx_int_t ngx_http_dynamo_sigv4_check(ngx_http_dynamo_sigv4_t *s);
static ngx_int_t ngx_http_dynamo_sigv4_canonical(ngx_http_dynamo_sigv4_t *s,
    ngx_pool_t *pool, ngx_http_dynamo_sigv4_canon_t *cr);
static u_char *ngx_http_dynamo_sigv4_canonical_headers(
    ngx_http_dynamo_sigv4_t *s, u_char *order, u_char *p,
    ngx_http_dynamo_sigv4_canon_t *cr);
static u_char *ngx_http_dynamo_sigv4_string_to_sign(
    ngx_http_dynamo_sigv4_t *s, u_char *md, u_char *sts);
static u_char *ngx_http_dynamo_sigv4_authorization(
    ngx_http_dynamo_sigv4_t *s, ngx_http_dynamo_sigv4_canon_t *cr,
    u_char *md, u_char *buf);
static void ngx_http_dynamo_sigv4_sort(ngx_http_dynamo_sigv4_t *s,
    u_char *order);
static ngx_int_t ngx_http_dynamo_sigv4_name_cmp(ngx_str_t *a, ngx_str_t *b);
static ngx_uint_t ngx_http_dynamo_sigv4_name_eq(ngx_str_t *a, ngx_str_t *b);
static size_t ngx_http_dynamo_sigv4_space(u_char *p, u_char *last);
static ngx_inline ngx_uint_t ngx_http_dynamo_sigv4_clean(u_char *p);
static u_char *ngx_http_dynamo_sigv4_trimall(u_char *dst, u_char *src,
    size_t len);
static void ngx_http_dynamo_sigv4_debug(ngx_http_dynamo_sigv4_t *s,
    ngx_pool_t *pool, u_char *cr, size_t len, u_char *token,
    u_char *token_last, u_char *sts, size_t sts_len);
static ngx_int_t ngx_http_dynamo_sigv4_digest(ngx_http_dynamo_sigv4_cache_t *c,
    u_char *cr, size_t len, size_t stable, u_char *md);
static ngx_int_t ngx_http_dynamo_sigv4_hmac(ngx_http_dynamo_sigv4_cache_t *c,
    u_char *out, u_char *key, u_char *data, size_t len);
static ngx_int_t ngx_http_dynamo_hmac(u_char *out, u_char *key,
    size_t key_len, u_char *data, size_t len);
static ngx_int_t ngx_http_dynamo_hmac_pads(SHA256_CTX *inner,
    SHA256_CTX *outer, u_char *key, size_t key_len);
static ngx_int_t ngx_http_dynamo_hmac_final(SHA256_CTX *inner,
    SHA256_CTX *outer, u_char *data, size_t len, u_char *out);
static u_char *ngx_http_dynamo_hex(u_char *dst, u_char *src, size_t len);
static uintptr_t ngx_http_dynamo_aws_encode(u_char *dst, u_char *src,
    size_t len);


/* the bytes that may begin white space, as ngx_http_dynamo_sigv4_space() */

static const u_char  ngx_http_dynamo_sigv4_ws[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};


/* kSigning = HMAC chain "AWS4" + secret, date, region, service, request */

ngx_int_t
ngx_http_dynamo_sigv4_key(u_char *key, ngx_str_t *secret, u_char *date,
    ngx_str_t *region, ngx_str_t *service)
{
    u_char      *k;
    u_char       buf[NGX_HTTP_DYNAMO_SHA256_BLOCK];
    u_char       a[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char       b[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    size_t       k_len;
    ngx_int_t    rc;
    SHA256_CTX   sha;

    rc = NGX_ERROR;

    if (4 + secret->len <= sizeof(buf)) {
        k = ngx_cpymem(buf, "AWS4", 4);

        if (secret->len) {
            k = ngx_cpymem(k, secret->data, secret->len);
        }

        k_len = k - buf;

    } else {

        /* HMAC replaces a key longer than a block with the key's hash */

        if (SHA256_Init(&sha) != 1
            || SHA256_Update(&sha, "AWS4", 4) != 1
            || SHA256_Update(&sha, secret->data, secret->len) != 1
            || SHA256_Final(buf, &sha) != 1)
        {
            goto failed;
        }

        k_len = NGX_HTTP_DYNAMO_SIGV4_KEY_LEN;
    }

    if (ngx_http_dynamo_hmac(a, buf, k_len, date,
                             NGX_HTTP_DYNAMO_SIGV4_DATE_LEN)
        != NGX_OK
        || ngx_http_dynamo_hmac(b, a, sizeof(a), region->data, region->len)
           != NGX_OK
        || ngx_http_dynamo_hmac(a, b, sizeof(b), service->data,
                                service->len)
           != NGX_OK
        || ngx_http_dynamo_hmac(key, a, sizeof(a),
                                (u_char *) NGX_HTTP_DYNAMO_SIGV4_TERMINATOR,
                                sizeof(NGX_HTTP_DYNAMO_SIGV4_TERMINATOR) - 1)
           != NGX_OK)
    {
        goto failed;
    }

    rc = NGX_OK;

failed:

    ngx_explicit_memzero(&sha, sizeof(SHA256_CTX));
    ngx_explicit_memzero(buf, sizeof(buf));
    ngx_explicit_memzero(a, sizeof(a));
    ngx_explicit_memzero(b, sizeof(b));

    return rc;
}


u_char *
ngx_http_dynamo_sigv4_cached_date(ngx_http_dynamo_sigv4_cache_t *c,
    u_char *buf, time_t now)
{
    if (c->date_time != now || now == 0) {
        (void) ngx_http_dynamo_time_amz_date(c->date, now);
        c->date_time = now;
    }

    return ngx_cpymem(buf, c->date, NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN);
}


/* the length of the Authorization value that sign_buf() writes */

size_t
ngx_http_dynamo_sigv4_auth_len(ngx_http_dynamo_sigv4_t *s)
{
    size_t       len;
    ngx_uint_t   i, j, distinct;

    len = 0;
    distinct = 0;

    for (i = 0; i < s->nheaders; i++) {

        if (!s->sorted) {
            for (j = 0; j < i; j++) {
                if (ngx_http_dynamo_sigv4_name_eq(&s->headers[i].name,
                                                  &s->headers[j].name))
                {
                    break;
                }
            }

            if (j != i) {
                continue;
            }
        }

        len += s->headers[i].name.len;
        distinct++;
    }

    if (distinct > 1) {
        len += distinct - 1;
    }

    return sizeof(NGX_HTTP_DYNAMO_SIGV4_ALGORITHM " Credential=") - 1
           + s->access_key_id.len + 1 + NGX_HTTP_DYNAMO_SIGV4_DATE_LEN + 1
           + s->region.len + 1 + s->service.len + 1
           + sizeof(NGX_HTTP_DYNAMO_SIGV4_TERMINATOR ", SignedHeaders=") - 1
           + len
           + sizeof(", Signature=") - 1 + NGX_HTTP_DYNAMO_SIGV4_HASH_LEN;
}


/*
 * Writes the Authorization value into buf, which has
 * ngx_http_dynamo_sigv4_auth_len() bytes, and returns its end, or NULL.
 * The pool is used only for a canonical request longer than
 * NGX_HTTP_DYNAMO_SIGV4_STACK bytes, and for the debug hook.  Four
 * phases: the canonical request, its digest, the string to sign and its
 * HMAC, the Authorization value.
 */

u_char *
ngx_http_dynamo_sigv4_sign_buf(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool,
    u_char *buf)
{
    u_char                          *p;
    u_char                           md[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char                           sts[256];
    u_char                           stack[NGX_HTTP_DYNAMO_SIGV4_STACK];
    size_t                           sts_len;
    ngx_http_dynamo_sigv4_canon_t    cr;

    if (ngx_http_dynamo_sigv4_check(s) != NGX_OK) {
        return NULL;
    }

    cr.data = stack;

    if (ngx_http_dynamo_sigv4_canonical(s, pool, &cr) != NGX_OK) {
        return NULL;
    }

    p = NULL;

    if (ngx_http_dynamo_sigv4_digest(s->cache, cr.data, cr.len,
                                     cr.token_last
                                     ? cr.token_last + 1 - cr.data : 0,
                                     md)
        != NGX_OK)
    {
        if (s->log) {
            ngx_log_error(NGX_LOG_ALERT, s->log, 0,
                          "SHA-256 of the canonical request failed");
        }

        goto done;
    }

    sts_len = ngx_http_dynamo_sigv4_string_to_sign(s, md, sts) - sts;

    if (ngx_http_dynamo_sigv4_hmac(s->cache, md, s->key, sts, sts_len)
        != NGX_OK)
    {
        if (s->log) {
            ngx_log_error(NGX_LOG_ALERT, s->log, 0,
                          "HMAC-SHA256 of the string to sign failed");
        }

        goto done;
    }

    p = ngx_http_dynamo_sigv4_authorization(s, &cr, md, buf);

    if (s->debug) {
        ngx_http_dynamo_sigv4_debug(s, pool, cr.data, cr.len, cr.token,
                                    cr.token_last, sts, sts_len);
    }

done:

    /* the canonical request holds the session token */

    if (cr.data == stack) {
        ngx_explicit_memzero(stack, cr.len);
    }

    return p;
}


/*
 * The canonical request, in cr->data (NGX_HTTP_DYNAMO_SIGV4_STACK bytes)
 * when it fits, else in the pool
 */

static ngx_int_t
ngx_http_dynamo_sigv4_canonical(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool,
    ngx_http_dynamo_sigv4_canon_t *cr)
{
    u_char      *p;
    u_char       order[NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS];
    size_t       len;
    ngx_uint_t   i;

    if (s->sorted) {
        for (i = 0; i < s->nheaders; i++) {
            order[i] = (u_char) i;
        }

    } else {
        ngx_http_dynamo_sigv4_sort(s, order);
    }

    /* trimmed values are never longer than the values */

    len = s->method.len + 1 + s->uri.len + 1 + s->query.len + 1
          + 2 + NGX_HTTP_DYNAMO_SIGV4_HASH_LEN;

    for (i = 0; i < s->nheaders; i++) {
        len += s->headers[i].name.len * 2 + s->headers[i].value.len + 3;
    }

    if (len > NGX_HTTP_DYNAMO_SIGV4_STACK) {
        cr->data = ngx_pnalloc(pool, len);
        if (cr->data == NULL) {
            return NGX_ERROR;
        }
    }

    p = ngx_cpymem(cr->data, s->method.data, s->method.len);
    *p++ = '\n';
    p = ngx_cpymem(p, s->uri.data, s->uri.len);
    *p++ = '\n';

    if (s->query.len) {
        p = ngx_cpymem(p, s->query.data, s->query.len);
    }

    *p++ = '\n';

    p = ngx_http_dynamo_sigv4_canonical_headers(s, order, p, cr);

    *p++ = '\n';
    p = ngx_cpymem(p, s->payload_hash, NGX_HTTP_DYNAMO_SIGV4_HASH_LEN);

    cr->len = p - cr->data;

    return NGX_OK;
}


/*
 * The canonical headers, then the signed headers: each name lowercased
 * once, here, and the signed headers copied from these copies; notes
 * where the session token's value is, for the debug hook's mask and for
 * the digest's cache of what comes before it
 */

static u_char *
ngx_http_dynamo_sigv4_canonical_headers(ngx_http_dynamo_sigv4_t *s,
    u_char *order, u_char *p, ngx_http_dynamo_sigv4_canon_t *cr)
{
    ngx_str_t                      names[NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS];
    ngx_uint_t                     i, j, n;
    ngx_http_dynamo_aws_header_t  *h;

    cr->token = NULL;
    cr->token_last = NULL;
    n = 0;

    for (i = 0; i < s->nheaders; i = j) {
        h = &s->headers[order[i]];

        names[n].data = p;
        names[n].len = h->name.len;

        if (s->sorted) {
            p = ngx_cpymem(p, h->name.data, h->name.len);

        } else {
            for (j = 0; j < h->name.len; j++) {
                *p++ = ngx_tolower(h->name.data[j]);
            }
        }

        *p++ = ':';

        if (names[n].len == sizeof(NGX_HTTP_DYNAMO_SIGV4_TOKEN) - 1
            && ngx_memcmp(names[n].data, NGX_HTTP_DYNAMO_SIGV4_TOKEN,
                          sizeof(NGX_HTTP_DYNAMO_SIGV4_TOKEN) - 1)
               == 0)
        {
            cr->token = p;
        }

        if (s->clean & (1U << order[i])) {
            p = ngx_cpymem(p, h->value.data, h->value.len);

        } else {
            p = ngx_http_dynamo_sigv4_trimall(p, h->value.data,
                                              h->value.len);
        }

        /* repeated names, next to each other once sorted: one line */

        for (j = i + 1; j < s->nheaders && !s->sorted; j++) {
            if (!ngx_http_dynamo_sigv4_name_eq(&names[n],
                                               &s->headers[order[j]].name))
            {
                break;
            }

            *p++ = ',';
            p = ngx_http_dynamo_sigv4_trimall(p,
                                          s->headers[order[j]].value.data,
                                          s->headers[order[j]].value.len);
        }

        if (cr->token != NULL && cr->token_last == NULL) {
            cr->token_last = p;
        }

        *p++ = '\n';
        n++;
    }

    *p++ = '\n';

    cr->signed_headers = p;

    for (i = 0; i < n; i++) {
        if (i != 0) {
            *p++ = ';';
        }

        p = ngx_cpymem(p, names[i].data, names[i].len);
    }

    cr->signed_len = p - cr->signed_headers;

    return p;
}


/* the string to sign, of the canonical request's digest md, into sts */

static u_char *
ngx_http_dynamo_sigv4_string_to_sign(ngx_http_dynamo_sigv4_t *s, u_char *md,
    u_char *sts)
{
    u_char  *last;

    last = ngx_cpymem(sts, NGX_HTTP_DYNAMO_SIGV4_ALGORITHM "\n",
                      sizeof(NGX_HTTP_DYNAMO_SIGV4_ALGORITHM "\n") - 1);
    last = ngx_cpymem(last, s->amz_date, NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN);
    *last++ = '\n';
    last = ngx_cpymem(last, s->amz_date, NGX_HTTP_DYNAMO_SIGV4_DATE_LEN);
    *last++ = '/';
    last = ngx_cpymem(last, s->region.data, s->region.len);
    *last++ = '/';
    last = ngx_cpymem(last, s->service.data, s->service.len);
    last = ngx_cpymem(last, "/" NGX_HTTP_DYNAMO_SIGV4_TERMINATOR "\n",
                      sizeof("/" NGX_HTTP_DYNAMO_SIGV4_TERMINATOR "\n") - 1);

    return ngx_http_dynamo_hex(last, md, NGX_HTTP_DYNAMO_SIGV4_KEY_LEN);
}


/* the Authorization value, of the signature md, into buf */

static u_char *
ngx_http_dynamo_sigv4_authorization(ngx_http_dynamo_sigv4_t *s,
    ngx_http_dynamo_sigv4_canon_t *cr, u_char *md, u_char *buf)
{
    u_char  *p;

    p = ngx_cpymem(buf, NGX_HTTP_DYNAMO_SIGV4_ALGORITHM " Credential=",
                   sizeof(NGX_HTTP_DYNAMO_SIGV4_ALGORITHM " Credential=") - 1);
    p = ngx_cpymem(p, s->access_key_id.data, s->access_key_id.len);
    *p++ = '/';
    p = ngx_cpymem(p, s->amz_date, NGX_HTTP_DYNAMO_SIGV4_DATE_LEN);
    *p++ = '/';
    p = ngx_cpymem(p, s->region.data, s->region.len);
    *p++ = '/';
    p = ngx_cpymem(p, s->service.data, s->service.len);
    p = ngx_cpymem(p, "/" NGX_HTTP_DYNAMO_SIGV4_TERMINATOR ", SignedHeaders=",
                   sizeof("/" NGX_HTTP_DYNAMO_SIGV4_TERMINATOR
                          ", SignedHeaders=") - 1);
    p = ngx_cpymem(p, cr->signed_headers, cr->signed_len);
    p = ngx_cpymem(p, ", Signature=", sizeof(", Signature=") - 1);

    return ngx_http_dynamo_hex(p, md, NGX_HTTP_DYNAMO_SIGV4_KEY_LEN);
}


ngx_int_t
ngx_http_dynamo_sigv4_sign(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool,
    ngx_str_t *auth)
{
    u_char  *p;
    size_t   len;

    len = ngx_http_dynamo_sigv4_auth_len(s);

    auth->data = ngx_pnalloc(pool, len);
    if (auth->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_http_dynamo_sigv4_sign_buf(s, pool, auth->data);
    if (p == NULL) {
        return NGX_ERROR;
    }

    auth->len = p - auth->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_sigv4_check(ngx_http_dynamo_sigv4_t *s)
{
    const char  *what;
    ngx_uint_t   i;

    what = NULL;

    if (s->nheaders > NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS) {
        what = "too many headers to sign";

    } else if (s->key == NULL || s->amz_date == NULL
               || s->payload_hash == NULL)
    {
        what = "no key, date or payload hash";

    } else if (s->region.len == 0
               || s->region.len > NGX_HTTP_DYNAMO_SIGV4_SCOPE_MAX
               || s->service.len == 0
               || s->service.len > NGX_HTTP_DYNAMO_SIGV4_SCOPE_MAX)
    {
        what = "invalid region or service";

    } else if (s->method.len == 0 || s->uri.len == 0
               || s->access_key_id.len == 0)
    {
        what = "no method, uri or access key id";

    } else {
        for (i = 0; i < s->nheaders; i++) {
            if (s->headers[i].name.len == 0) {
                what = "empty header name";
                break;
            }
        }
    }

    if (what == NULL) {
        return NGX_OK;
    }

    if (s->log) {
        ngx_log_error(NGX_LOG_ALERT, s->log, 0,
                      "dynamo sigv4 cannot sign: %s", what);
    }

    return NGX_ERROR;
}


/* a stable insertion sort of the header indexes by lowercased name */

static void
ngx_http_dynamo_sigv4_sort(ngx_http_dynamo_sigv4_t *s, u_char *order)
{
    u_char      t;
    ngx_uint_t  i, j;

    for (i = 0; i < s->nheaders; i++) {
        t = (u_char) i;

        for (j = i; j > 0; j--) {
            if (ngx_http_dynamo_sigv4_name_cmp(&s->headers[order[j - 1]].name,
                                               &s->headers[t].name)
                <= 0)
            {
                break;
            }

            order[j] = order[j - 1];
        }

        order[j] = t;
    }
}


static ngx_int_t
ngx_http_dynamo_sigv4_name_cmp(ngx_str_t *a, ngx_str_t *b)
{
    u_char      ca, cb;
    size_t      i, n;

    n = ngx_min(a->len, b->len);

    for (i = 0; i < n; i++) {
        ca = ngx_tolower(a->data[i]);
        cb = ngx_tolower(b->data[i]);

        if (ca != cb) {
            return (ngx_int_t) ca - (ngx_int_t) cb;
        }
    }

    if (a->len == b->len) {
        return 0;
    }

    return (a->len < b->len) ? -1 : 1;
}


/* whether the names are equal, ignoring ASCII case */

static ngx_uint_t
ngx_http_dynamo_sigv4_name_eq(ngx_str_t *a, ngx_str_t *b)
{
    size_t  i;

    if (a->len != b->len) {
        return 0;
    }

    for (i = 0; i < a->len; i++) {
        if (a->data[i] != b->data[i]
            && ngx_tolower(a->data[i]) != ngx_tolower(b->data[i]))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * The length of the white space character at p, or 0: what Python's
 * str.split() splits on, in UTF-8, as botocore trims header values.
 */

static size_t
ngx_http_dynamo_sigv4_space(u_char *p, u_char *last)
{
    u_char  c;

    c = *p;

    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) {
        return 1;
    }

    if (c < 0xc2 || c > 0xe3) {
        return 0;
    }

    if (c == 0xc2) {
        /* U+0085, U+00A0 */
        return (last - p >= 2 && (p[1] == 0x85 || p[1] == 0xa0)) ? 2 : 0;
    }

    if (last - p < 3) {
        return 0;
    }

    switch (c) {

    case 0xe1:
        /* U+1680 */
        return (p[1] == 0x9a && p[2] == 0x80) ? 3 : 0;

    case 0xe2:
        /* U+2000..U+200A, U+2028, U+2029, U+202F, U+205F */
        if (p[1] == 0x80
            && ((p[2] >= 0x80 && p[2] <= 0x8a)
                || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
        {
            return 3;
        }

        return (p[1] == 0x81 && p[2] == 0x9f) ? 3 : 0;

    case 0xe3:
        /* U+3000 */
        return (p[1] == 0x80 && p[2] == 0x80) ? 3 : 0;

    default:
        return 0;
    }
}


/*
 * Whether none of the 8 bytes at p may begin white space: all are in
 * 0x21..0x7f (ngx_http_dynamo_sigv4_ws has entries only below 0x21 and
 * above 0x7f).  In v - 0x2121..21 the lowest byte below 0x21 sets its top
 * bit, and only such a byte borrows from the next; v itself has the top
 * bit of each byte from 0x80 up.  Portable: a copy, in any byte order.
 */

static ngx_inline ngx_uint_t
ngx_http_dynamo_sigv4_clean(u_char *p)
{
    uint64_t  v;

    ngx_memcpy(&v, p, sizeof(uint64_t));

    return (((v - 0x2121212121212121ULL) | v) & 0x8080808080808080ULL) == 0;
}


/*
 * The value without white space around it, inner runs made one space.
 * Runs of anything but white space are scanned 8 bytes at a time while
 * no byte may begin white space (tokens, dates, names: the whole value),
 * then copied at once.
 */

static u_char *
ngx_http_dynamo_sigv4_trimall(u_char *dst, u_char *src, size_t len)
{
    u_char      *last, *run;
    size_t       n;
    ngx_uint_t   started, pending;

    last = src + len;
    started = 0;
    pending = 0;

    while (src < last) {

        /* a run of anything but white space */

        run = src;

        while (src < last) {

            if (last - src >= 8 && ngx_http_dynamo_sigv4_clean(src)) {
                src += 8;
                continue;
            }

            if (ngx_http_dynamo_sigv4_ws[*src]
                && ngx_http_dynamo_sigv4_space(src, last))
            {
                break;
            }

            src++;
        }

        if (src > run) {
            if (pending) {
                *dst++ = ' ';
            }

            dst = ngx_cpymem(dst, run, src - run);
            started = 1;
        }

        pending = 0;

        while (src < last) {
            n = ngx_http_dynamo_sigv4_space(src, last);
            if (n == 0) {
                break;
            }

            src += n;
            pending = started;
        }
    }

    return dst;
}


static void
ngx_http_dynamo_sigv4_debug(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool,
    u_char *cr, size_t len, u_char *token, u_char *token_last, u_char *sts,
    size_t sts_len)
{
    u_char     *p;
    ngx_str_t   canonical, string_to_sign;

    if (token == NULL) {
        token = cr + len;
        token_last = token;
    }

    canonical.data = ngx_pnalloc(pool, len - (token_last - token)
                                       + sizeof(NGX_HTTP_DYNAMO_SIGV4_MASK));
    if (canonical.data == NULL) {
        return;
    }

    p = ngx_cpymem(canonical.data, cr, token - cr);

    if (token != cr + len) {
        p = ngx_cpymem(p, NGX_HTTP_DYNAMO_SIGV4_MASK,
                       sizeof(NGX_HTTP_DYNAMO_SIGV4_MASK) - 1);
        p = ngx_cpymem(p, token_last, cr + len - token_last);
    }

    canonical.len = p - canonical.data;

    string_to_sign.data = sts;
    string_to_sign.len = sts_len;

    s->debug(s->debug_data, &canonical, &string_to_sign);
}


/*
 * The SHA-256 of the canonical request, len bytes at cr, of which the
 * first "stable" bytes are likely to be those of the request signed
 * before: their whole blocks are hashed once and the state kept.
 */

static ngx_int_t
ngx_http_dynamo_sigv4_digest(ngx_http_dynamo_sigv4_cache_t *c, u_char *cr,
    size_t len, size_t stable, u_char *md)
{
    size_t      n;
    ngx_int_t   rc;
    SHA256_CTX  sha;

    n = 0;

    if (c != NULL) {
        n = ngx_min(stable, NGX_HTTP_DYNAMO_SIGV4_PREFIX_MAX);
        n -= n % NGX_HTTP_DYNAMO_SHA256_BLOCK;
    }

    rc = NGX_ERROR;

    if (n && c->prefix_len == n && ngx_memcmp(c->prefix, cr, n) == 0) {
        sha = c->prefix_sha;

    } else {
        if (SHA256_Init(&sha) != 1 || SHA256_Update(&sha, cr, n) != 1) {
            goto failed;
        }

        if (n) {
            c->prefix_sha = sha;
            ngx_memcpy(c->prefix, cr, n);
            c->prefix_len = n;
        }
    }

    if (SHA256_Update(&sha, cr + n, len - n) != 1
        || SHA256_Final(md, &sha) != 1)
    {
        goto failed;
    }

    rc = NGX_OK;

failed:

    ngx_explicit_memzero(&sha, sizeof(SHA256_CTX));

    return rc;
}


/* HMAC-SHA256 with a signing key, its pad blocks hashed once per key */

static ngx_int_t
ngx_http_dynamo_sigv4_hmac(ngx_http_dynamo_sigv4_cache_t *c, u_char *out,
    u_char *key, u_char *data, size_t len)
{
    if (c == NULL) {
        return ngx_http_dynamo_hmac(out, key, NGX_HTTP_DYNAMO_SIGV4_KEY_LEN,
                                    data, len);
    }

    if (!c->key_set
        || ngx_memcmp(c->key, key, NGX_HTTP_DYNAMO_SIGV4_KEY_LEN) != 0)
    {
        c->key_set = 0;

        if (ngx_http_dynamo_hmac_pads(&c->inner, &c->outer, key,
                                      NGX_HTTP_DYNAMO_SIGV4_KEY_LEN)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_memcpy(c->key, key, NGX_HTTP_DYNAMO_SIGV4_KEY_LEN);
        c->key_set = 1;
    }

    return ngx_http_dynamo_hmac_final(&c->inner, &c->outer, data, len, out);
}


/* a pool cleanup: a cache holds a session token and a signing key */

void
ngx_http_dynamo_sigv4_cache_cleanup(void *data)
{
    ngx_explicit_memzero(data, sizeof(ngx_http_dynamo_sigv4_cache_t));
}


/*
 * HMAC-SHA256 (RFC 2104) with the low-level SHA-256 calls on the stack:
 * no allocation, none of OpenSSL 3's fetches and dispatch; keys are at
 * most a block long
 */

static ngx_int_t
ngx_http_dynamo_hmac(u_char *out, u_char *key, size_t key_len, u_char *data,
    size_t len)
{
    ngx_int_t   rc;
    SHA256_CTX  inner, outer;

    rc = ngx_http_dynamo_hmac_pads(&inner, &outer, key, key_len);

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_hmac_final(&inner, &outer, data, len, out);
    }

    ngx_explicit_memzero(&inner, sizeof(SHA256_CTX));
    ngx_explicit_memzero(&outer, sizeof(SHA256_CTX));

    return rc;
}


/* the states after the key, zero-padded to a block, xor'ed with the pads */

static ngx_int_t
ngx_http_dynamo_hmac_pads(SHA256_CTX *inner, SHA256_CTX *outer, u_char *key,
    size_t key_len)
{
    u_char      pad[NGX_HTTP_DYNAMO_SHA256_BLOCK];
    size_t      i;
    ngx_int_t   rc;

    if (key_len > sizeof(pad)) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    ngx_memcpy(pad, key, key_len);
    ngx_memzero(pad + key_len, sizeof(pad) - key_len);

    for (i = 0; i < sizeof(pad); i++) {
        pad[i] ^= 0x36;
    }

    if (SHA256_Init(inner) != 1
        || SHA256_Update(inner, pad, sizeof(pad)) != 1)
    {
        goto failed;
    }

    for (i = 0; i < sizeof(pad); i++) {
        pad[i] ^= 0x36 ^ 0x5c;
    }

    if (SHA256_Init(outer) != 1
        || SHA256_Update(outer, pad, sizeof(pad)) != 1)
    {
        goto failed;
    }

    rc = NGX_OK;

failed:

    ngx_explicit_memzero(pad, sizeof(pad));

    return rc;
}


/* the HMAC of data from the pad states, which are left as they were */

static ngx_int_t
ngx_http_dynamo_hmac_final(SHA256_CTX *inner, SHA256_CTX *outer,
    u_char *data, size_t len, u_char *out)
{
    u_char      md[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    ngx_int_t   rc;
    SHA256_CTX  sha;

    rc = NGX_ERROR;

    sha = *inner;

    if (SHA256_Update(&sha, data, len) != 1 || SHA256_Final(md, &sha) != 1) {
        goto failed;
    }

    sha = *outer;

    if (SHA256_Update(&sha, md, sizeof(md)) != 1
        || SHA256_Final(out, &sha) != 1)
    {
        goto failed;
    }

    rc = NGX_OK;

failed:

    ngx_explicit_memzero(md, sizeof(md));
    ngx_explicit_memzero(&sha, sizeof(SHA256_CTX));

    return rc;
}


/*
 * SHA-256 at once, with the low-level calls: no EVP_MD_CTX to allocate,
 * no provider dispatch (cache keys are digested on every request)
 */

ngx_int_t
ngx_http_dynamo_sha256(u_char *md, u_char *p, size_t len)
{
    ngx_int_t   rc;
    SHA256_CTX  sha;

    rc = (SHA256_Init(&sha) == 1 && SHA256_Update(&sha, p, len) == 1
          && SHA256_Final(md, &sha) == 1)
         ? NGX_OK : NGX_ERROR;

    ngx_explicit_memzero(&sha, sizeof(SHA256_CTX));

    return rc;
}


ngx_int_t
ngx_http_dynamo_sigv4_sha256_hex(u_char *out, u_char *p, size_t len)
{
    u_char  md[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];

    if (ngx_http_dynamo_sha256(md, p, len) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_dynamo_hex(out, md, sizeof(md));

    return NGX_OK;
}


/*
 * An incremental SHA-256 over a request body, with the low-level calls:
 * the state is in h itself, nothing to allocate or free.  A second init
 * restarts the hash.
 */

ngx_int_t
ngx_http_dynamo_sigv4_payload_hash_init(ngx_http_dynamo_sha256_t *h)
{
    if (SHA256_Init(&h->sha) != 1) {
        h->started = 0;
        return NGX_ERROR;
    }

    h->started = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_dynamo_sigv4_payload_hash_update(ngx_http_dynamo_sha256_t *h,
    u_char *p, size_t len)
{
    if (!h->started) {
        return NGX_ERROR;
    }

    if (len == 0) {
        return NGX_OK;
    }

    if (SHA256_Update(&h->sha, p, len) != 1) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* writes 64 lowercase hex characters into out */

ngx_int_t
ngx_http_dynamo_sigv4_payload_hash_final(ngx_http_dynamo_sha256_t *h,
    u_char *out)
{
    u_char  md[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];

    if (!h->started) {
        return NGX_ERROR;
    }

    h->started = 0;

    if (SHA256_Final(md, &h->sha) != 1) {
        return NGX_ERROR;
    }

    ngx_http_dynamo_hex(out, md, sizeof(md));

    return NGX_OK;
}


/*
 * key=value&key=value, in the order given, encoded as botocore sends STS
 * Query bodies (Python's urlencode(): AWS's encoding, but a space is "+");
 * sent with Content-Type "application/x-www-form-urlencoded; charset=utf-8".
 */

ngx_int_t
ngx_http_dynamo_aws_form(ngx_pool_t *pool, ngx_http_dynamo_aws_param_t *params,
    ngx_uint_t n, ngx_str_t *body)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = 0;

    for (i = 0; i < n; i++) {
        len += ngx_http_dynamo_aws_encode(NULL, params[i].key.data,
                                          params[i].key.len)
               + 1
               + ngx_http_dynamo_aws_encode(NULL, params[i].value.data,
                                            params[i].value.len)
               + (i ? 1 : 0);
    }

    body->data = ngx_pnalloc(pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = '&';
        }

        p = (u_char *) ngx_http_dynamo_aws_encode(p, params[i].key.data,
                                                  params[i].key.len);
        *p++ = '=';
        p = (u_char *) ngx_http_dynamo_aws_encode(p, params[i].value.data,
                                                  params[i].value.len);
    }

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * a form's key or value: A-Z a-z 0-9 - _ . ~ as they are, a space "+",
 * every other byte %XX, upper case; with dst == NULL the encoded length,
 * otherwise the end of what was written
 */

static uintptr_t
ngx_http_dynamo_aws_encode(u_char *dst, u_char *src, size_t len)
{
    u_char         c, *last;
    size_t         n;

    static u_char  hex[] = "0123456789ABCDEF";

    if (len == 0) {
        return (dst == NULL) ? 0 : (uintptr_t) dst;
    }

    last = src + len;

    if (dst == NULL) {
        n = 0;

        while (src < last) {
            c = *src++;

            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9') || c == '-' || c == '_'
                || c == '.' || c == '~' || c == ' ')
            {
                n++;

            } else {
                n += 3;
            }
        }

        return (uintptr_t) n;
    }

    while (src < last) {
        c = *src++;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_'
            || c == '.' || c == '~')
        {
            *dst++ = c;

        } else if (c == ' ') {
            *dst++ = '+';

        } else {
            *dst++ = '%';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];
        }
    }

    return (uintptr_t) dst;
}


static u_char *
ngx_http_dynamo_hex(u_char *dst, u_char *src, size_t len)
{
    u_char   c;

    static const u_char  hex[] = "0123456789abcdef";

#if (defined __SSE2__)
    __m128i  v, hi, lo, nine, a, b;

    /*
     * sixteen bytes at a time: the high and the low nibbles interleaved,
     * each made '0' + n, and 'a' - 10 + n from 10 on
     */

    nine = _mm_set1_epi8(9);

    for ( /* void */ ; len >= 16; len -= 16) {
        v = _mm_loadu_si128((const __m128i *) src);
        src += 16;

        hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0f));
        lo = _mm_and_si128(v, _mm_set1_epi8(0x0f));

        a = _mm_unpacklo_epi8(hi, lo);
        b = _mm_unpackhi_epi8(hi, lo);

        a = _mm_add_epi8(_mm_add_epi8(a, _mm_set1_epi8('0')),
                         _mm_and_si128(_mm_cmpgt_epi8(a, nine),
                                       _mm_set1_epi8('a' - '0' - 10)));
        b = _mm_add_epi8(_mm_add_epi8(b, _mm_set1_epi8('0')),
                         _mm_and_si128(_mm_cmpgt_epi8(b, nine),
                                       _mm_set1_epi8('a' - '0' - 10)));

        _mm_storeu_si128((__m128i *) dst, a);
        _mm_storeu_si128((__m128i *) (dst + 16), b);
        dst += 32;
    }
#endif

    /* one load a byte: the stores could alias src */

    while (len--) {
        c = *src++;
        dst[0] = hex[c >> 4];
        dst[1] = hex[c & 0xf];
        dst += 2;
    }

    return dst;
}
