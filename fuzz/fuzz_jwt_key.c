
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * ngx_http_dynamo_jwt_key(): the dynamo_jwt_key directive on a fuzzed key
 * file (JWKS, one JWK, PEM public key or certificate, HMAC secret), read
 * from a memfd through its name, as nginx reads the file.
 *
 * Input: the directive's parameters on the first line ("kid=a alg=HS256",
 * or nothing), the file after it.  A parameter "@n" is the harness's: the
 * n-th pool allocation fails.
 *
 * Checked: a refused file adds no key; a loaded key has a supported
 * algorithm, the one alg= named if any, the kid kid= named if any; an
 * HMAC key only with alg=HS*; RSA keys of 2048 bits or more with an odd
 * exponent of 3 or more, EC keys on the curve of their algorithm; and
 * each new key works: a token the harness signs with an HMAC key
 * verifies, one with a made-up signature for an RSA or EC key is refused
 * (and the signature check runs on the fuzzed key).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_fuzz_http.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>


#define FUZZ_ARGS_MAX  6
#define FUZZ_KEYS_MAX  4


static const char  *fuzz_alg_names[] = {
    "", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
    "HS256", "HS384", "HS512"
};


static ngx_pool_t                   *fuzz_pool;
static ngx_http_dynamo_main_conf_t  *fuzz_dmcf;
static ngx_array_t                  *fuzz_claims;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ngx_str_t  *s;

    (void) argc;
    (void) argv;

    ngx_fuzz_init();

    fuzz_pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(fuzz_pool != NULL, "pool");

    fuzz_dmcf = ngx_pcalloc(fuzz_pool,
                            sizeof(ngx_http_dynamo_main_conf_t));
    fuzz_claims = ngx_array_create(fuzz_pool, 1, sizeof(ngx_str_t));
    ngx_fuzz_assert(fuzz_dmcf && fuzz_claims, "configuration");

    s = ngx_array_push(fuzz_claims);
    ngx_fuzz_assert(s != NULL, "configuration");
    ngx_str_set(s, "azp");

    return 0;
}


static ngx_uint_t
fuzz_alg(ngx_str_t *name)
{
    ngx_uint_t  i;

    for (i = 1; i < sizeof(fuzz_alg_names) / sizeof(fuzz_alg_names[0]); i++)
    {
        if (name->len == ngx_strlen(fuzz_alg_names[i])
            && ngx_strncmp(name->data, fuzz_alg_names[i], name->len) == 0)
        {
            return i;
        }
    }

    return 0;
}


/* what a loaded key must be */

static void
fuzz_check_key(ngx_http_dynamo_key_t *key, ngx_str_t *kid, ngx_uint_t alg)
{
    int      type;
    char     group[64];
    size_t   len;
    BIGNUM  *e;

    ngx_fuzz_assert(key->alg >= NGX_HTTP_DYNAMO_ALG_RS256
                    && key->alg <= NGX_HTTP_DYNAMO_ALG_HS512,
                    "a key with algorithm %lu", (unsigned long) key->alg);

    ngx_fuzz_assert(alg == 0 || key->alg == alg,
                    "alg=%s loaded a %s key", fuzz_alg_names[alg],
                    fuzz_alg_names[key->alg]);

    ngx_fuzz_assert(kid->len == 0
                    || (key->kid.len == kid->len
                        && ngx_memcmp(key->kid.data, kid->data, kid->len)
                           == 0),
                    "kid=%.*s loaded the key \"%.*s\"", (int) kid->len,
                    kid->data, (int) key->kid.len, key->kid.data);

    ngx_fuzz_assert(key->material.len > 0, "a key without material");

    if (key->alg >= NGX_HTTP_DYNAMO_ALG_HS256) {
        ngx_fuzz_assert(alg >= NGX_HTTP_DYNAMO_ALG_HS256,
                        "an HMAC key loaded without alg=HS*");
        ngx_fuzz_assert(key->pkey == NULL, "an HMAC key with a public key");

        ngx_fuzz_assert(key->material.len
                        >= (key->alg == NGX_HTTP_DYNAMO_ALG_HS256 ? 32
                            : key->alg == NGX_HTTP_DYNAMO_ALG_HS384 ? 48
                            : 64),
                        "a %s secret of %zu bytes",
                        fuzz_alg_names[key->alg], key->material.len);
        return;
    }

    ngx_fuzz_assert(key->pkey != NULL, "an %s key without a public key",
                    fuzz_alg_names[key->alg]);

    type = EVP_PKEY_get_base_id(key->pkey);

    if (key->alg <= NGX_HTTP_DYNAMO_ALG_RS512) {
        ngx_fuzz_assert(type == EVP_PKEY_RSA, "an %s key of type %d",
                        fuzz_alg_names[key->alg], type);
        ngx_fuzz_assert(EVP_PKEY_get_bits(key->pkey) >= 2048,
                        "an RSA key of %d bits",
                        EVP_PKEY_get_bits(key->pkey));

        e = NULL;

        ngx_fuzz_assert(EVP_PKEY_get_bn_param(key->pkey,
                            OSSL_PKEY_PARAM_RSA_E, &e) == 1
                        && BN_is_odd(e) && !BN_is_one(e),
                        "an RSA key with an even exponent or 1");

        BN_free(e);
        return;
    }

    ngx_fuzz_assert(type == EVP_PKEY_EC, "an %s key of type %d",
                    fuzz_alg_names[key->alg], type);

    ngx_fuzz_assert(EVP_PKEY_get_utf8_string_param(key->pkey,
                        OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                        &len) == 1, "no EC group");

    ngx_fuzz_assert(strcmp(group,
                           key->alg == NGX_HTTP_DYNAMO_ALG_ES256
                           ? "prime256v1"
                           : key->alg == NGX_HTTP_DYNAMO_ALG_ES384
                           ? "secp384r1" : "secp521r1") == 0,
                    "an %s key on %s", fuzz_alg_names[key->alg], group);
}


/* a token for the key: HMAC-signed, or with a made-up signature */

static ngx_int_t
fuzz_token(ngx_pool_t *pool, ngx_http_dynamo_key_t *key, ngx_str_t *token)
{
    char          *h;
    u_char        *p;
    json_t        *header, *kid;
    size_t         hlen, siglen;
    ngx_str_t      src, dst;
    const EVP_MD  *md;
    unsigned int   mac_len;
    u_char         sig[EVP_MAX_MD_SIZE + 512];

    static char    payload[] = "{\"azp\":\"fuzz\",\"exp\":1767229200}";

    /* a kid jansson cannot write (not UTF-8), or no token can name: none */

    kid = NULL;

    if (key->kid.len) {
        if (memchr(key->kid.data, '\0', key->kid.len) != NULL) {
            return NGX_DECLINED;
        }

        kid = json_stringn((char *) key->kid.data, key->kid.len);
        if (kid == NULL) {
            return NGX_DECLINED;
        }
    }

    header = json_object();
    if (header == NULL) {
        json_decref(kid);
        return NGX_ERROR;
    }

    if (json_object_set_new(header, "alg",
                            json_string(fuzz_alg_names[key->alg])) != 0
        || (kid && json_object_set_new(header, "kid", kid) != 0))
    {
        json_decref(header);
        return NGX_ERROR;
    }

    h = json_dumps(header, JSON_COMPACT);
    json_decref(header);

    if (h == NULL) {
        return NGX_ERROR;
    }

    hlen = strlen(h);

    token->data = ngx_pnalloc(pool, ngx_base64_encoded_length(hlen) + 2
                                    + ngx_base64_encoded_length(
                                          sizeof(payload))
                                    + ngx_base64_encoded_length(
                                          sizeof(sig)));
    if (token->data == NULL) {
        free(h);
        return NGX_ERROR;
    }

    src.data = (u_char *) h;
    src.len = hlen;
    dst.data = token->data;
    ngx_encode_base64url(&dst, &src);
    free(h);

    p = dst.data + dst.len;
    *p++ = '.';

    src.data = (u_char *) payload;
    src.len = sizeof(payload) - 1;
    dst.data = p;
    ngx_encode_base64url(&dst, &src);

    p = dst.data + dst.len;

    switch (key->alg) {
    case NGX_HTTP_DYNAMO_ALG_HS256:
    case NGX_HTTP_DYNAMO_ALG_HS384:
    case NGX_HTTP_DYNAMO_ALG_HS512:
        md = (key->alg == NGX_HTTP_DYNAMO_ALG_HS256) ? EVP_sha256()
             : (key->alg == NGX_HTTP_DYNAMO_ALG_HS384) ? EVP_sha384()
             : EVP_sha512();

        if (HMAC(md, key->material.data, (int) key->material.len,
                 token->data, p - token->data, sig, &mac_len)
            == NULL)
        {
            return NGX_ERROR;
        }

        siglen = mac_len;
        break;

    case NGX_HTTP_DYNAMO_ALG_ES256:
        siglen = 64;
        break;

    case NGX_HTTP_DYNAMO_ALG_ES384:
        siglen = 96;
        break;

    case NGX_HTTP_DYNAMO_ALG_ES512:
        siglen = 132;
        break;

    default:
        siglen = (size_t) (EVP_PKEY_get_bits(key->pkey) + 7) / 8;
        siglen = ngx_min(siglen, sizeof(sig));
        break;
    }

    if (key->alg < NGX_HTTP_DYNAMO_ALG_HS256) {
        ngx_memset(sig, 0x5a, siglen);
    }

    *p++ = '.';

    src.data = sig;
    src.len = siglen;
    dst.data = p;
    ngx_encode_base64url(&dst, &src);

    token->len = dst.data + dst.len - token->data;

    return NGX_OK;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                      *nl, *p, *last, *word;
    char                        *rv;
    ngx_int_t                    rc;
    ngx_str_t                    args[FUZZ_ARGS_MAX], kid, token, name;
    ngx_str_t                   *file;
    ngx_uint_t                   n, i, alg, fail, before;
    ngx_pool_t                  *pool;
    ngx_conf_t                  *cf;
    ngx_http_request_t          *r;
    ngx_http_dynamo_key_t       *key;
    ngx_http_dynamo_ctx_t       *ctx;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    nl = memchr(data, '\n', ngx_min(size, 256));

    if (nl == NULL) {
        nl = (u_char *) data;
        p = nl;

    } else {
        p = nl + 1;
    }

    pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(pool != NULL, "pool");

    /* the directive: dynamo_jwt_key <the memfd> [parameters] */

    file = ngx_fuzz_file(p, (u_char *) data + size - p);

    ngx_str_set(&args[0], "dynamo_jwt_key");
    args[1] = *file;
    n = 2;

    ngx_str_null(&kid);
    alg = 0;
    fail = 0;

    for (p = (u_char *) data, last = nl; p < last; p++) {

        for (word = p; p < last && *p != ' '; p++) { /* void */ }

        if (p == word) {
            continue;
        }

        if (*word == '@') {
            for (fail = 0, word++; word < p && fail < 1000; word++) {
                if (*word >= '0' && *word <= '9') {
                    fail = fail * 10 + (*word - '0');
                }
            }

            continue;
        }

        if (n == FUZZ_ARGS_MAX) {
            break;
        }

        args[n].data = word;
        args[n].len = p - word;

        /* the last kid= and alg= win, as in the directive */

        if (args[n].len > 4 && ngx_strncmp(word, "kid=", 4) == 0) {
            kid.data = word + 4;
            kid.len = args[n].len - 4;
        }

        if (args[n].len > 4 && ngx_strncmp(word, "alg=", 4) == 0) {
            name.data = word + 4;
            name.len = args[n].len - 4;
            alg = fuzz_alg(&name);
        }

        n++;
    }

    cf = ngx_fuzz_conf(pool, ngx_fuzz_file_dir());
    dlcf = ngx_fuzz_loc_conf(pool);

    ngx_fuzz_assert(cf != NULL && dlcf != NULL, "configuration");
    ngx_fuzz_assert(ngx_fuzz_conf_args(cf, args, n) == NGX_OK, "args");

    dlcf->keys = ngx_array_create(pool, 2, sizeof(ngx_http_dynamo_key_t));
    ngx_fuzz_assert(dlcf->keys != NULL, "keys");

    before = dlcf->keys->nelts;

    ngx_fuzz_fail_alloc(fail);

    rv = ngx_http_dynamo_jwt_key(cf, NULL, dlcf);

    if (ngx_fuzz_alloc_failed()) {
        ngx_fuzz_fail_alloc(0);
        goto done;
    }

    ngx_fuzz_fail_alloc(0);

    if (rv != NGX_CONF_OK) {
        ngx_fuzz_assert(dlcf->keys->nelts == before,
                        "a refused key file left %lu keys",
                        (unsigned long) (dlcf->keys->nelts - before));
        goto done;
    }

    ngx_fuzz_assert(dlcf->keys->nelts > before, "no key, and no error");

    key = dlcf->keys->elts;

    for (i = 0; i < dlcf->keys->nelts; i++) {
        fuzz_check_key(&key[i], &kid, alg);
    }

    /* the keys at work */

    dlcf->leeway = 0;
    dlcf->issuers = NULL;
    dlcf->audiences = NULL;
    dlcf->identity_claims = fuzz_claims;

    ngx_fuzz_assert(ngx_http_dynamo_jwt_fingerprint(cf, dlcf) == NGX_OK,
                    "fingerprint");

    ngx_fuzz_set_time(NGX_FUZZ_NOW);

    r = ngx_fuzz_request(pool, fuzz_dmcf);
    ngx_fuzz_assert(r != NULL, "request");
    ngx_fuzz_assert(ngx_fuzz_zone(cf, fuzz_dmcf, 64 * 1024) == NGX_OK,
                    "zone");

    for (i = 0; i < ngx_min(dlcf->keys->nelts, FUZZ_KEYS_MAX); i++) {

        rc = fuzz_token(pool, &key[i], &token);

        if (rc == NGX_DECLINED) {
            continue;
        }

        ngx_fuzz_assert(rc == NGX_OK, "token");

        ctx = ngx_pcalloc(pool, sizeof(ngx_http_dynamo_ctx_t));
        ngx_fuzz_assert(ctx != NULL, "ctx");

        rc = ngx_http_dynamo_jwt_verify(r, dlcf, ctx, &token);

        ngx_fuzz_assert(ngx_fuzz_locks_held() == 0, "a zone mutex is held");

        if (token.len > NGX_HTTP_DYNAMO_TOKEN_MAX) {
            ngx_fuzz_assert(rc == NGX_DECLINED, "a token too large");

        } else if (key[i].alg >= NGX_HTTP_DYNAMO_ALG_HS256) {
            ngx_fuzz_assert(rc == NGX_OK,
                            "a token signed with %s key \"%.*s\" is refused:"
                            " %.*s", fuzz_alg_names[key[i].alg],
                            (int) key[i].kid.len, key[i].kid.data,
                            (int) ctx->message.len, ctx->message.data);

        } else {
            ngx_fuzz_assert(rc == NGX_DECLINED,
                            "a made-up %s signature: verify() answered %ld",
                            fuzz_alg_names[key[i].alg], (long) rc);
        }
    }

done:

    ngx_destroy_pool(pool);
    ngx_fuzz_slab_reset();

    return 0;
}
