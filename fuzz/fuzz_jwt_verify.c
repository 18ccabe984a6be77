
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * ngx_http_dynamo_jwt_verify(): identity tokens against the keys of
 * fuzz/keys, loaded at start by ngx_http_dynamo_jwt_key() as
 * dynamo_jwt_key directives would (a JWKS of RSA and EC keys, PEM keys,
 * HMAC secrets), with the shared zone's token cache (zone.c) and the
 * refusals of error.c linked as they are.
 *
 * Input: three bytes of settings, then the token.
 *
 *   byte 0  bits 0-1  0, 1: the rest is the token, as given;
 *                     2, 3: the rest is "header\0payload": the harness
 *                     encodes both and signs them with HMAC, with the key
 *                     of bits 2-3: hs256, hs384, hs512, or the RSA public
 *                     key's PEM text as an HS256 secret (the algorithm
 *                     confusion attack, which must always fail)
 *           bit 4     dynamo_jwt_issuer https://issuer.example.com
 *           bit 5     dynamo_jwt_audience dynamo gateway
 *           bit 6     a zone too small for the token: the put fails
 *           bit 7     dynamo_jwt_leeway 60s
 *   byte 1  bits 0-5  now: NGX_FUZZ_NOW + (n - 32) * 300 seconds
 *           bits 6-7  the identity claims: azp clientId (the default),
 *                     sub, email azp, clientId
 *   byte 2  0xc0 and above: the (n - 0xbf)-th pool allocation fails
 *
 * Each token is verified twice, the second time from the zone's cache
 * when the first succeeded: both must agree.  Checked besides: a
 * verified token has its identity claim and is canonical base64url (no
 * other spelling of it verifies), a token signed by the harness
 * passes only with the algorithm and kid of the key that signed it, a
 * refusal is answered with valid JSON carrying the message, no zone
 * mutex is left held.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_fuzz_http.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>


#ifndef NGX_FUZZ_KEYS
#define NGX_FUZZ_KEYS  "fuzz/keys"
#endif

#define NGX_FUZZ_SIGNED_MAX  (3 * NGX_HTTP_DYNAMO_TOKEN_MAX)


typedef struct {
    const char                  *args[3];
} fuzz_key_conf_t;


static fuzz_key_conf_t  fuzz_keys[] = {
    { { "jwks.json", NULL, NULL } },
    { { "hs256.secret", "alg=HS256", "kid=hs256" } },
    { { "hs384.secret", "alg=HS384", "kid=hs384" } },
    { { "hs512.secret", "alg=HS512", NULL } },
    { { "rsa1.pub", "kid=pem-rsa1", NULL } },
    { { "ec256.pub", "kid=pem-ec256", NULL } },
    { { "noalg.json", NULL, NULL } },
    { { NULL, NULL, NULL } }
};


/* the signers of the harness: alg, the kid it names, the key's kid */

typedef struct {
    const char                  *alg;
    const char                  *kid;        /* the key's, or NULL */
    const EVP_MD               *(*md)(void);
    ngx_str_t                    secret;
} fuzz_signer_t;


static fuzz_signer_t  fuzz_signers[] = {
    { "HS256", "hs256", EVP_sha256, ngx_null_string },
    { "HS384", "hs384", EVP_sha384, ngx_null_string },
    { "HS512", NULL, EVP_sha512, ngx_null_string },
    { "HS256", "pem-rsa1", EVP_sha256, ngx_null_string }
};


static ngx_str_t  fuzz_claims[4][2] = {
    { ngx_string("azp"), ngx_string("clientId") },
    { ngx_string("sub"), ngx_null_string },
    { ngx_string("email"), ngx_string("azp") },
    { ngx_string("clientId"), ngx_null_string }
};


static ngx_pool_t                   *fuzz_pool;
static ngx_conf_t                   *fuzz_cf;
static ngx_http_dynamo_loc_conf_t   *fuzz_dlcf;
static ngx_http_dynamo_main_conf_t  *fuzz_dmcf;
static ngx_array_t                  *fuzz_issuers;
static ngx_array_t                  *fuzz_audiences;
static ngx_array_t                  *fuzz_claim_lists[4];


static ngx_array_t *
fuzz_strings(const char *a, const char *b)
{
    ngx_str_t    *s;
    ngx_array_t  *arr;
    const char   *v[2];
    ngx_uint_t    i;

    arr = ngx_array_create(fuzz_pool, 2, sizeof(ngx_str_t));
    if (arr == NULL) {
        return NULL;
    }

    v[0] = a;
    v[1] = b;

    for (i = 0; i < 2 && v[i]; i++) {
        s = ngx_array_push(arr);
        if (s == NULL) {
            return NULL;
        }

        s->data = (u_char *) v[i];
        s->len = ngx_strlen(v[i]);
    }

    return arr;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char                   *dir;
    ngx_str_t               prefix, args[4];
    ngx_uint_t              i, j, n;
    ngx_http_dynamo_key_t  *key;

    (void) argc;
    (void) argv;

    ngx_fuzz_init();

    dir = getenv("NGX_FUZZ_KEYS");
    if (dir == NULL) {
        dir = NGX_FUZZ_KEYS;
    }

    prefix.len = ngx_strlen(dir) + 1;
    prefix.data = malloc(prefix.len);
    ngx_fuzz_assert(prefix.data != NULL, "malloc");
    ngx_memcpy(prefix.data, dir, prefix.len - 1);
    prefix.data[prefix.len - 1] = '/';

    fuzz_pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(fuzz_pool != NULL, "pool");

    fuzz_cf = ngx_fuzz_conf(fuzz_pool, &prefix);
    fuzz_dlcf = ngx_fuzz_loc_conf(fuzz_pool);
    fuzz_dmcf = ngx_pcalloc(fuzz_pool, sizeof(ngx_http_dynamo_main_conf_t));

    ngx_fuzz_assert(fuzz_cf && fuzz_dlcf && fuzz_dmcf, "configuration");

    for (i = 0; fuzz_keys[i].args[0]; i++) {
        ngx_str_set(&args[0], "dynamo_jwt_key");
        n = 1;

        for (j = 0; j < 3 && fuzz_keys[i].args[j]; j++) {
            args[n].data = (u_char *) fuzz_keys[i].args[j];
            args[n].len = ngx_strlen(fuzz_keys[i].args[j]);
            n++;
        }

        ngx_fuzz_assert(ngx_fuzz_conf_args(fuzz_cf, args, n) == NGX_OK,
                        "args");

        ngx_fuzz_assert(ngx_http_dynamo_jwt_key(fuzz_cf, NULL, fuzz_dlcf)
                        == NGX_CONF_OK,
                        "dynamo_jwt_key %s failed (keys from %s; "
                        "NGX_FUZZ_VERBOSE=1 tells why)",
                        fuzz_keys[i].args[0], dir);
    }

    /* the harness's signers use the secrets as the module loaded them */

    key = fuzz_dlcf->keys->elts;

    for (i = 0; i < sizeof(fuzz_signers) / sizeof(fuzz_signers[0]); i++) {
        for (j = 0; j < fuzz_dlcf->keys->nelts; j++) {
            if (fuzz_signers[i].kid == NULL) {
                if (key[j].kid.len == 0
                    && key[j].alg == NGX_HTTP_DYNAMO_ALG_HS512)
                {
                    break;
                }

                continue;
            }

            if (key[j].kid.len == ngx_strlen(fuzz_signers[i].kid)
                && ngx_strncmp(key[j].kid.data, fuzz_signers[i].kid,
                               key[j].kid.len) == 0)
            {
                break;
            }
        }

        ngx_fuzz_assert(j < fuzz_dlcf->keys->nelts, "no key for signer %s",
                        fuzz_signers[i].alg);

        fuzz_signers[i].secret = key[j].material;
    }

    fuzz_issuers = fuzz_strings("https://issuer.example.com", NULL);
    fuzz_audiences = fuzz_strings("dynamo", "gateway");

    for (i = 0; i < 4; i++) {
        fuzz_claim_lists[i] = fuzz_strings((char *) fuzz_claims[i][0].data,
                                           (char *) fuzz_claims[i][1].data);
        ngx_fuzz_assert(fuzz_claim_lists[i] != NULL, "claims");
    }

    ngx_fuzz_assert(fuzz_issuers && fuzz_audiences, "lists");

    return 0;
}


/* "header\0payload" made a token: base64url, dots, an HMAC */

static ngx_int_t
fuzz_sign(fuzz_signer_t *signer, const u_char *data, size_t size,
    ngx_str_t *token)
{
    u_char        *p, *nul;
    ngx_str_t      src, dst;
    unsigned int   mac_len;
    u_char         mac[EVP_MAX_MD_SIZE];

    nul = memchr(data, '\0', size);

    if (nul == NULL) {
        nul = (u_char *) data + size;
    }

    token->data = malloc(ngx_base64_encoded_length(size) + 2
                         + ngx_base64_encoded_length(EVP_MAX_MD_SIZE));
    if (token->data == NULL) {
        return NGX_ERROR;
    }

    src.data = (u_char *) data;
    src.len = nul - data;
    dst.data = token->data;
    ngx_encode_base64url(&dst, &src);

    p = dst.data + dst.len;
    *p++ = '.';

    src.data = (nul < data + size) ? nul + 1 : nul;
    src.len = data + size - src.data;
    dst.data = p;
    ngx_encode_base64url(&dst, &src);

    p = dst.data + dst.len;

    if (HMAC(signer->md(), signer->secret.data, (int) signer->secret.len,
             token->data, p - token->data, mac, &mac_len)
        == NULL)
    {
        return NGX_ERROR;
    }

    *p++ = '.';

    src.data = mac;
    src.len = mac_len;
    dst.data = p;
    ngx_encode_base64url(&dst, &src);

    token->len = dst.data + dst.len - token->data;

    return NGX_OK;
}


/* the header the harness signed, as jansson reads it */

static void
fuzz_check_signed(fuzz_signer_t *signer, ngx_uint_t which,
    const u_char *data, size_t size)
{
    u_char       *nul;
    json_t       *header, *v;
    const char   *kid;

    nul = memchr(data, '\0', size);
    size = (nul != NULL) ? (size_t) (nul - data) : size;

    ngx_fuzz_assert(which != 3,
                    "a token signed with the RSA public key as an HMAC "
                    "secret was accepted");

    header = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES,
                        NULL);

    ngx_fuzz_assert(json_is_object(header),
                    "accepted a token whose header is not a JSON object");

    v = json_object_get(header, "alg");

    ngx_fuzz_assert(json_is_string(v)
                    && strcmp(json_string_value(v), signer->alg) == 0,
                    "accepted a token signed with %s whose header names "
                    "another algorithm", signer->alg);

    v = json_object_get(header, "kid");

    if (v != NULL) {
        kid = json_string_value(v);

        ngx_fuzz_assert(kid != NULL && signer->kid != NULL
                        && json_string_length(v) == strlen(signer->kid)
                        && strcmp(kid, signer->kid) == 0,
                        "accepted a token signed by key \"%s\" naming "
                        "another kid", signer->kid ? signer->kid : "");
    }

    json_decref(header);
}


/* what a verified token must be: its identity is its first claim there */

static void
fuzz_check_token(ngx_http_dynamo_ctx_t *ctx)
{
    json_t      *claims, *v;
    ngx_str_t   *name;
    ngx_uint_t   i;

    ngx_fuzz_assert(ctx->caller.token.identity.len > 0
                    && ctx->caller.token.identity.len
                       <= NGX_HTTP_DYNAMO_IDENTITY_MAX,
                    "identity of %zu bytes", ctx->caller.token.identity.len);

    claims = json_loadb((const char *) ctx->caller.token.payload.data,
                        ctx->caller.token.payload.len, JSON_REJECT_DUPLICATES,
                        NULL);

    ngx_fuzz_assert(json_is_object(claims),
                    "a verified token's payload is not a JSON object");

    name = fuzz_dlcf->identity_claims->elts;
    v = NULL;

    for (i = 0; i < fuzz_dlcf->identity_claims->nelts; i++) {
        v = json_object_getn(claims, (const char *) name[i].data,
                             name[i].len);

        if (json_is_string(v) && json_string_length(v) > 0) {
            break;
        }
    }

    ngx_fuzz_assert(i < fuzz_dlcf->identity_claims->nelts,
                    "a verified token has no identity claim");

    ngx_fuzz_assert(json_string_length(v) == ctx->caller.token.identity.len
                    && ngx_memcmp(json_string_value(v),
                                  ctx->caller.token.identity.data,
                                  ctx->caller.token.identity.len) == 0,
                    "the identity is not the token's claim \"%.*s\"",
                    (int) name[i].len, name[i].data);

    ngx_fuzz_assert(ctx->caller.token.exp > 0
                    && ngx_time() < ctx->caller.token.exp + fuzz_dlcf->leeway,
                    "a verified token is expired: exp %ld",
                    (long) ctx->caller.token.exp);

    json_decref(claims);
}


/* a verified token has one spelling: each part decodes and encodes back */

static void
fuzz_check_canonical(ngx_pool_t *pool, ngx_str_t *token)
{
    u_char      *p, *last, *dot;
    ngx_str_t    part, bytes, again;
    ngx_uint_t   n;

    last = token->data + token->len;

    for (p = token->data, n = 0; n < 3; p = dot + 1, n++) {
        dot = memchr(p, '.', last - p);

        if (dot == NULL) {
            dot = last;
        }

        part.data = p;
        part.len = dot - p;

        bytes.data = ngx_pnalloc(pool, ngx_base64_decoded_length(part.len));
        again.data = ngx_pnalloc(pool, part.len + 4);

        ngx_fuzz_assert(bytes.data && again.data, "pool");
        ngx_fuzz_assert(ngx_decode_base64url(&bytes, &part) == NGX_OK,
                        "a verified token's part %lu does not decode",
                        (unsigned long) n);

        ngx_encode_base64url(&again, &bytes);

        ngx_fuzz_assert(again.len == part.len
                        && ngx_memcmp(again.data, part.data, part.len) == 0,
                        "a verified token's part %lu is not canonical "
                        "base64url: %.*s", (unsigned long) n,
                        (int) part.len, part.data);

        if (dot == last) {
            break;
        }
    }
}


/* a refusal: DynamoDB's error shape, in valid JSON, with the message */

static void
fuzz_check_refusal(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx)
{
    json_t       *body, *type, *message;
    ngx_int_t     rc;
    ngx_str_t    *out;
    json_error_t  err;

    ngx_fuzz_assert(ctx->err == NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED
                    || ctx->err == NGX_HTTP_DYNAMO_ERR_EXPIRED,
                    "refused with error %lu", (unsigned long) ctx->err);

    ngx_fuzz_assert(ctx->message.len > 0
                    && ctx->message.len < NGX_HTTP_DYNAMO_MESSAGE_MAX,
                    "a message of %zu bytes", ctx->message.len);

    rc = ngx_http_dynamo_send_error(r, ctx);

    if (ngx_fuzz_alloc_failed()) {
        return;
    }

    ngx_fuzz_assert(rc == NGX_OK, "send_error() answered %ld", (long) rc);
    ngx_fuzz_assert(ngx_fuzz_http_status() == NGX_HTTP_BAD_REQUEST,
                    "status %lu", (unsigned long) ngx_fuzz_http_status());

    out = ngx_fuzz_http_body();

    body = json_loadb((const char *) out->data, out->len, JSON_ALLOW_NUL,
                      &err);

    ngx_fuzz_assert(body != NULL, "the refusal is not valid JSON (%s): %.*s",
                    err.text, (int) out->len, out->data);

    type = json_object_get(body, "__type");
    message = json_object_get(body, "message");

    ngx_fuzz_assert(json_is_string(type) && json_is_string(message)
                    && json_string_length(message) == ctx->message.len
                    && ngx_memcmp(json_string_value(message),
                                  ctx->message.data, ctx->message.len) == 0,
                    "the refusal does not carry the message: %.*s",
                    (int) out->len, out->data);

    json_decref(body);
}


static void
fuzz_same(ngx_str_t *a, ngx_str_t *b, const char *what)
{
    ngx_fuzz_assert(a->len == b->len
                    && (a->len == 0
                        || ngx_memcmp(a->data, b->data, a->len) == 0),
                    "the cached %s differs: \"%.*s\" and \"%.*s\"", what,
                    (int) a->len, a->data, (int) b->len, b->data);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                  flags, when, fail;
    size_t                  budget;
    ngx_int_t               rc, rc2;
    ngx_str_t               token;
    ngx_uint_t              mode, which;
    ngx_pool_t             *pool;
    ngx_conf_t             *cf;
    ngx_http_request_t     *r;
    ngx_http_dynamo_ctx_t  *ctx, *ctx2;

    if (size < 3) {
        return -1;
    }

    flags = data[0];
    when = data[1];
    fail = data[2];
    data += 3;
    size -= 3;

    mode = flags & 3;
    which = (flags >> 2) & 3;

    if (mode >= 2) {
        if (size > NGX_FUZZ_SIGNED_MAX) {
            return -1;
        }

        ngx_fuzz_assert(fuzz_sign(&fuzz_signers[which], data, size, &token)
                        == NGX_OK, "signing failed");

    } else {
        token.data = ngx_fuzz_copy(data, size);

        token.len = size;
    }

    /* the location's settings */

    fuzz_dlcf->issuers = (flags & 0x10) ? fuzz_issuers : NULL;
    fuzz_dlcf->audiences = (flags & 0x20) ? fuzz_audiences : NULL;
    fuzz_dlcf->leeway = (flags & 0x80) ? 60 : 0;
    fuzz_dlcf->identity_claims = fuzz_claim_lists[when >> 6];

    ngx_fuzz_assert(ngx_http_dynamo_jwt_fingerprint(fuzz_cf, fuzz_dlcf)
                    == NGX_OK, "fingerprint");

    ngx_fuzz_set_time(NGX_FUZZ_NOW + ((time_t) (when & 0x3f) - 32) * 300);

    /* a zone with about 1 KB left after its own state, or a roomy one */

    budget = (flags & 0x40) ? sizeof(ngx_http_dynamo_shctx_t) + 1024
                            : 1024 * 1024;

    pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(pool != NULL, "pool");

    cf = ngx_fuzz_conf(pool, ngx_fuzz_file_dir());
    r = ngx_fuzz_request(pool, fuzz_dmcf);
    ctx = ngx_pcalloc(pool, sizeof(ngx_http_dynamo_ctx_t));
    ctx2 = ngx_pcalloc(pool, sizeof(ngx_http_dynamo_ctx_t));

    ngx_fuzz_assert(cf && r && ctx && ctx2, "request");
    ngx_fuzz_assert(ngx_fuzz_zone(cf, fuzz_dmcf, budget) == NGX_OK, "zone");

    /* the token, once, with allocations failing if asked */

    ngx_fuzz_fail_alloc((fail >= 0xc0) ? (ngx_uint_t) fail - 0xbf : 0);

    rc = ngx_http_dynamo_jwt_verify(r, fuzz_dlcf, ctx, &token);

    ngx_fuzz_assert(ngx_fuzz_locks_held() == 0, "a zone mutex is held");

    if (ngx_fuzz_alloc_failed()) {
        ngx_fuzz_fail_alloc(0);
        goto done;
    }

    ngx_fuzz_fail_alloc(0);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED,
                    "verify() answered %ld", (long) rc);

    if (rc == NGX_OK) {
        fuzz_check_token(ctx);
        fuzz_check_canonical(pool, &token);

        if (mode >= 2) {
            fuzz_check_signed(&fuzz_signers[which], which, data, size);
        }

    }

    /* twice: from the cache, when the token was put there */

    rc2 = ngx_http_dynamo_jwt_verify(r, fuzz_dlcf, ctx2, &token);

    ngx_fuzz_assert(ngx_fuzz_locks_held() == 0, "a zone mutex is held");
    ngx_fuzz_assert(rc2 == rc, "verified %ld, then %ld", (long) rc,
                    (long) rc2);

    if (rc == NGX_OK) {
        ngx_fuzz_assert(ctx2->caller.token_cached || (flags & 0x40),
                        "a verified token was not cached");

        fuzz_same(&ctx->caller.token.identity, &ctx2->caller.token.identity,
                  "identity");
        fuzz_same(&ctx->caller.token.subject, &ctx2->caller.token.subject,
                  "subject");
        fuzz_same(&ctx->caller.token.token_id, &ctx2->caller.token.token_id,
                  "token id");
        fuzz_same(&ctx->caller.token.payload, &ctx2->caller.token.payload,
                  "payload");

        ngx_fuzz_assert(ctx->caller.token.exp == ctx2->caller.token.exp
                        && ctx->caller.token.nbf == ctx2->caller.token.nbf
                        && ctx->caller.token.iat == ctx2->caller.token.iat,
                        "the cached times differ");

    } else {
        ngx_fuzz_assert(ctx->err == ctx2->err, "refused twice differently");
        fuzz_same(&ctx->message, &ctx2->message, "refusal");

        fuzz_check_refusal(r, ctx);
    }

    (void) ngx_http_dynamo_jwt_is_token(&token);

done:

    ngx_destroy_pool(pool);
    ngx_fuzz_slab_reset();
    free(token.data);

    return 0;
}
