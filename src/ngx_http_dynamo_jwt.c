
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Identity tokens: the keys that verify them (JWKS, PEM public keys, HMAC
 * secrets), and verification.  The algorithm always comes from the key,
 * never from the token: a token whose "alg" differs from its key's is
 * refused, "none" is never accepted.  Keys are parsed once, at start, and
 * signatures checked with OpenSSL's EVP interface; HMACs are compared in
 * constant time.  (libjwt 1.10 would parse the PEM key again for every
 * token, some 270 microseconds with OpenSSL 3, and compares HMACs with
 * strcmp().)
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>


#define NGX_HTTP_DYNAMO_KEY_FILE_MAX     (1024 * 1024)
#define NGX_HTTP_DYNAMO_RSA_MIN_BITS     2048
#define NGX_HTTP_DYNAMO_CLAIM_MAX        256
#define NGX_HTTP_DYNAMO_KID_SHOWN        64
#define NGX_HTTP_DYNAMO_KEY_MESSAGE_MAX  1024


/* the EC group of an algorithm is its curve's, in ngx_http_dynamo_curves */

typedef struct {
    ngx_str_t                    name;
    ngx_uint_t                   alg;
    const EVP_MD              *(*digest)(void);  /* the hash */
    int                          pkey_type;   /* EVP_PKEY_RSA, _EC, 0 */
    size_t                       hmac_min;    /* shortest secret */
} ngx_http_dynamo_alg_t;


static ngx_http_dynamo_alg_t  ngx_http_dynamo_algs[] = {
    { ngx_null_string, NGX_HTTP_DYNAMO_ALG_UNSET, NULL, 0, 0 },
    { ngx_string("RS256"), NGX_HTTP_DYNAMO_ALG_RS256, EVP_sha256,
      EVP_PKEY_RSA, 0 },
    { ngx_string("RS384"), NGX_HTTP_DYNAMO_ALG_RS384, EVP_sha384,
      EVP_PKEY_RSA, 0 },
    { ngx_string("RS512"), NGX_HTTP_DYNAMO_ALG_RS512, EVP_sha512,
      EVP_PKEY_RSA, 0 },
    { ngx_string("ES256"), NGX_HTTP_DYNAMO_ALG_ES256, EVP_sha256,
      EVP_PKEY_EC, 0 },
    { ngx_string("ES384"), NGX_HTTP_DYNAMO_ALG_ES384, EVP_sha384,
      EVP_PKEY_EC, 0 },
    { ngx_string("ES512"), NGX_HTTP_DYNAMO_ALG_ES512, EVP_sha512,
      EVP_PKEY_EC, 0 },
    { ngx_string("HS256"), NGX_HTTP_DYNAMO_ALG_HS256, EVP_sha256, 0, 32 },
    { ngx_string("HS384"), NGX_HTTP_DYNAMO_ALG_HS384, EVP_sha384, 0, 48 },
    { ngx_string("HS512"), NGX_HTTP_DYNAMO_ALG_HS512, EVP_sha512, 0, 64 },
    { ngx_null_string, 0, NULL, 0, 0 }
};


/* JWK "crv" names and the EC groups and algorithms they imply */

typedef struct {
    const char                  *crv;
    const char                  *group;
    ngx_uint_t                   alg;
    size_t                       size;        /* coordinate bytes */
} ngx_http_dynamo_curve_t;


static ngx_http_dynamo_curve_t  ngx_http_dynamo_curves[] = {
    { "P-256", "prime256v1", NGX_HTTP_DYNAMO_ALG_ES256, 32 },
    { "P-384", "secp384r1", NGX_HTTP_DYNAMO_ALG_ES384, 48 },
    { "P-521", "secp521r1", NGX_HTTP_DYNAMO_ALG_ES512, 66 },
    { NULL, NULL, 0, 0 }
};


static ngx_int_t ngx_http_dynamo_alg_by_name(ngx_str_t *name);
static char *ngx_http_dynamo_read_key_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content);
static ngx_int_t ngx_http_dynamo_key_desc(ngx_conf_t *cf, ngx_str_t *desc,
    ngx_str_t *file, ngx_str_t *kid, ngx_uint_t index);
static char *ngx_http_dynamo_load_pem(ngx_conf_t *cf, ngx_array_t *keys,
    ngx_str_t *desc, ngx_str_t *file, ngx_str_t *content, ngx_str_t *kid,
    ngx_uint_t alg);
static char *ngx_http_dynamo_load_jwks(ngx_conf_t *cf, ngx_array_t *keys,
    ngx_str_t *file, ngx_str_t *content, ngx_str_t *kid, ngx_uint_t alg);
static EVP_PKEY *ngx_http_dynamo_jwk_rsa(ngx_pool_t *pool, json_t *jwk,
    u_char **pp, u_char *last);
static EVP_PKEY *ngx_http_dynamo_jwk_ec(ngx_pool_t *pool, json_t *jwk,
    ngx_http_dynamo_curve_t *curve, u_char **pp, u_char *last);
static char *ngx_http_dynamo_add_key(ngx_conf_t *cf, ngx_array_t *keys,
    ngx_str_t *desc, ngx_str_t *file, EVP_PKEY *pkey, ngx_str_t *secret,
    ngx_str_t *kid, ngx_uint_t alg);
static u_char *ngx_http_dynamo_rsa_check(EVP_PKEY *pkey, u_char *p,
    u_char *last);
static u_char *ngx_http_dynamo_public_check(EVP_PKEY *pkey, u_char *p,
    u_char *last);
static ngx_int_t ngx_http_dynamo_rsa_roca(const BIGNUM *n);
static ngx_int_t ngx_http_dynamo_b64url_canonical(ngx_str_t *s);
static ngx_uint_t ngx_http_dynamo_b64url_value(u_char ch);
static ngx_int_t ngx_http_dynamo_jwk_b64(ngx_pool_t *pool, json_t *jwk,
    const char *member, ngx_str_t *out);
static u_char *ngx_http_dynamo_openssl_reason(u_char *p, u_char *last,
    const char *what);
static void ngx_http_dynamo_openssl_error(ngx_conf_t *cf, ngx_str_t *desc,
    const char *what);

static ngx_int_t ngx_http_dynamo_jwt_check(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token, ngx_str_t *parts);
static void ngx_http_dynamo_jwt_generation(u_char *p, uint64_t generation);
static ngx_int_t ngx_http_dynamo_jwt_try(ngx_http_request_t *r,
    ngx_array_t *keys, ngx_str_t *kid, ngx_int_t alg, ngx_str_t *token,
    ngx_str_t *parts, ngx_uint_t *tried, ngx_http_dynamo_key_t **mismatch);
static ngx_int_t ngx_http_dynamo_jwt_signature(ngx_http_request_t *r,
    ngx_http_dynamo_key_t *key, ngx_str_t *token, ngx_str_t *parts);
static ngx_int_t ngx_http_dynamo_jwt_claims(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    json_t *claims);
static ngx_int_t ngx_http_dynamo_jwt_times(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_token_t *token);
static json_t *ngx_http_dynamo_jwt_decode_json(ngx_http_request_t *r,
    ngx_str_t *part, ngx_str_t *decoded);
static ngx_int_t ngx_http_dynamo_claim_time(json_t *claims, const char *name,
    time_t *value);
static ngx_int_t ngx_http_dynamo_claim_string(ngx_http_request_t *r,
    json_t *claims, const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_dynamo_str_in(ngx_array_t *a, const char *s,
    size_t len);
static void ngx_http_dynamo_pkey_cleanup(void *data);


/* configuration: dynamo_jwt_key file [kid=name] [alg=name] */

char *
ngx_http_dynamo_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    u_char      *p, *last;
    ngx_int_t    alg;
    ngx_str_t   *value, file, content, kid, name, desc;
    ngx_uint_t   i;

    value = cf->args->elts;

    if (dlcf->keys == NGX_CONF_UNSET_PTR) {
        dlcf->keys = ngx_array_create(cf->pool, 2,
                                      sizeof(ngx_http_dynamo_key_t));
        if (dlcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    file = value[1];
    ngx_str_null(&kid);
    alg = NGX_HTTP_DYNAMO_ALG_UNSET;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "kid=", 4) == 0) {
            kid.data = value[i].data + 4;
            kid.len = value[i].len - 4;

            if (kid.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "alg=", 4) == 0) {
            name.data = value[i].data + 4;
            name.len = value[i].len - 4;

            alg = ngx_http_dynamo_alg_by_name(&name);

            if (alg == NGX_HTTP_DYNAMO_ALG_UNSET) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "unsupported algorithm \"%V\", expected "
                                   "RS256, RS384, RS512, ES256, ES384, "
                                   "ES512, HS256, HS384 or HS512", &name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        goto invalid;
    }

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_read_key_file(cf, &file, &content) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /* how messages name a key that is the whole file */

    if (ngx_http_dynamo_key_desc(cf, &desc, &file, &kid, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* an HMAC secret is the file as it is, without a final line break */

    if (ngx_http_dynamo_algs[alg].hmac_min) {
        last = content.data + content.len;

        if (last > content.data && last[-1] == '\n') {
            last--;

            if (last > content.data && last[-1] == '\r') {
                last--;
            }
        }

        content.len = last - content.data;

        if (content.len >= 10
            && ngx_strncmp(content.data, "-----BEGIN", 10) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: the file holds a PEM key, which is not "
                               "an HMAC secret for alg=%V", &desc,
                               &ngx_http_dynamo_algs[alg].name);
            return NGX_CONF_ERROR;
        }

        if (content.len > 0 && content.data[0] == '{') {
            return ngx_http_dynamo_load_jwks(cf, dlcf->keys, &file, &content,
                                             &kid, alg);
        }

        if (content.len < ngx_http_dynamo_algs[alg].hmac_min) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: the %V secret is %uz bytes long, "
                               "at least %uz are needed", &desc,
                               &ngx_http_dynamo_algs[alg].name,
                               content.len,
                               ngx_http_dynamo_algs[alg].hmac_min);
            return NGX_CONF_ERROR;
        }

        return ngx_http_dynamo_add_key(cf, dlcf->keys, &desc, &file, NULL,
                                       &content, &kid, alg);
    }

    for (p = content.data, last = p + content.len; p < last; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            break;
        }
    }

    if (p < last && *p == '{') {
        return ngx_http_dynamo_load_jwks(cf, dlcf->keys, &file, &content,
                                         &kid, alg);
    }

    return ngx_http_dynamo_load_pem(cf, dlcf->keys, &desc, &file, &content,
                                    &kid, alg);

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_dynamo_alg_by_name(ngx_str_t *name)
{
    ngx_http_dynamo_alg_t  *a;

    for (a = &ngx_http_dynamo_algs[1]; a->name.len; a++) {
        if (a->name.len == name->len
            && ngx_strncmp(a->name.data, name->data, name->len) == 0)
        {
            return a->alg;
        }
    }

    return NGX_HTTP_DYNAMO_ALG_UNSET;
}


static char *
ngx_http_dynamo_read_key_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content)
{
    char             *rv;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    rv = NGX_CONF_ERROR;

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", name);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));

    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", name);
        goto failed;
    }

    if (ngx_file_size(&fi) == 0
        || ngx_file_size(&fi) > NGX_HTTP_DYNAMO_KEY_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" is empty or larger than %d bytes",
                           name, NGX_HTTP_DYNAMO_KEY_FILE_MAX);
        goto failed;
    }

    content->len = (size_t) ngx_file_size(&fi);

    /* one more byte: PEM and JSON parsers get a terminated string */

    content->data = ngx_pnalloc(cf->pool, content->len + 1);
    if (content->data == NULL) {
        goto failed;
    }

    n = ngx_read_file(&file, content->data, content->len, 0);

    if (n == NGX_ERROR) {
        goto failed;
    }

    if ((size_t) n != content->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           ngx_read_file_n " \"%V\" returned only %z bytes",
                           name, n);
        goto failed;
    }

    content->data[content->len] = '\0';

    rv = NGX_CONF_OK;

failed:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", name);
    }

    return rv;
}


/*
 * How messages name a key: dynamo_jwt_key "file": key "kid", or key #n
 * (its place in the key set, from 1) when it has no kid, or the file
 * alone when the file is the key
 */

static ngx_int_t
ngx_http_dynamo_key_desc(ngx_conf_t *cf, ngx_str_t *desc, ngx_str_t *file,
    ngx_str_t *kid, ngx_uint_t index)
{
    u_char  *p;
    size_t   len;

    len = sizeof("dynamo_jwt_key \"\": key \"...\"") - 1 + file->len
          + ngx_min(kid->len, NGX_HTTP_DYNAMO_KID_SHOWN) + NGX_INT_T_LEN;

    desc->data = ngx_pnalloc(cf->pool, len);
    if (desc->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(desc->data, "dynamo_jwt_key \"%V\"", file);

    if (kid->len) {
        p = ngx_sprintf(p, ": key \"%*s%s\"",
                        ngx_min(kid->len, NGX_HTTP_DYNAMO_KID_SHOWN),
                        kid->data,
                        kid->len > NGX_HTTP_DYNAMO_KID_SHOWN ? "..." : "");

    } else if (index) {
        p = ngx_sprintf(p, ": key #%ui", index);
    }

    desc->len = p - desc->data;

    return NGX_OK;
}


static char *
ngx_http_dynamo_load_pem(ngx_conf_t *cf, ngx_array_t *keys, ngx_str_t *desc,
    ngx_str_t *file, ngx_str_t *content, ngx_str_t *kid, ngx_uint_t alg)
{
    BIO       *bio;
    X509      *x509;
    char      *rv;
    EVP_PKEY  *pkey;

    if (ngx_strstr(content->data, "PRIVATE KEY-----") != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: the file holds a private key: give the "
                           "gateway only the public key", desc);
        return NGX_CONF_ERROR;
    }

    bio = BIO_new_mem_buf(content->data, (int) content->len);
    if (bio == NULL) {
        ngx_http_dynamo_openssl_error(cf, desc, "BIO_new_mem_buf() failed");
        return NGX_CONF_ERROR;
    }

    if (ngx_strstr(content->data, "-----BEGIN CERTIFICATE-----") != NULL) {
        x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        pkey = (x509 != NULL) ? X509_get_pubkey(x509) : NULL;
        X509_free(x509);

    } else {
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }

    BIO_free(bio);

    if (pkey == NULL) {
        ngx_http_dynamo_openssl_error(cf, desc, "no public key, JWKS or "
                                      "certificate in the file");
        return NGX_CONF_ERROR;
    }

    rv = ngx_http_dynamo_add_key(cf, keys, desc, file, pkey, NULL, kid, alg);

    EVP_PKEY_free(pkey);

    return rv;
}


static char *
ngx_http_dynamo_load_jwks(ngx_conf_t *cf, ngx_array_t *keys, ngx_str_t *file,
    ngx_str_t *content, ngx_str_t *kid, ngx_uint_t alg)
{
    char                   *rv, *added;
    size_t                  i, n;
    json_t                 *root, *set, *jwk, *v;
    ngx_int_t               rc;
    ngx_str_t               desc, jkid;
    ngx_uint_t              loaded, before, single;
    json_error_t            err;
    ngx_http_dynamo_key_t   key;
    u_char                  buf[NGX_HTTP_DYNAMO_KEY_MESSAGE_MAX];

    root = json_loadb((char *) content->data, content->len,
                      JSON_REJECT_DUPLICATES, &err);

    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_jwt_key \"%V\": invalid JSON at line %d: "
                           "%s", file, err.line, err.text);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;
    before = keys->nelts;
    loaded = 0;
    single = 0;

    set = json_object_get(root, "keys");

    if (set == NULL) {
        /* a single JWK */
        single = 1;
        set = json_array();
        if (set == NULL || json_array_append(set, root) != 0) {
            json_decref(set);
            goto done;
        }

    } else if (json_is_array(set)) {
        json_incref(set);

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_jwt_key \"%V\": \"keys\" is not an array",
                           file);
        goto done;
    }

    n = json_array_size(set);

    for (i = 0; i < n; i++) {
        jwk = json_array_get(set, i);

        ngx_str_null(&jkid);

        v = json_object_get(jwk, "kid");

        if (json_is_string(v)) {
            jkid.data = (u_char *) json_string_value(v);
            jkid.len = json_string_length(v);
        }

        if (kid->len
            && (jkid.len != kid->len
                || ngx_strncmp(jkid.data, kid->data, kid->len) != 0))
        {
            continue;
        }

        if (ngx_http_dynamo_key_desc(cf, &desc, file, &jkid,
                                     single ? 0 : i + 1)
            != NGX_OK)
        {
            goto failed;
        }

        /* checked when added */

        rc = ngx_http_dynamo_jwk_key(cf->pool, jwk, alg, 0, &desc, &key,
                                     buf, sizeof(buf));

        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0, "%s", buf);
            continue;
        }

        if (rc != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", buf);
            goto failed;
        }

        added = ngx_http_dynamo_add_key(cf, keys, &desc, file, key.pkey,
                                        &key.material, &key.kid, key.alg);

        EVP_PKEY_free(key.pkey);

        if (added != NGX_CONF_OK) {
            goto failed;
        }

        loaded++;
    }

    if (loaded == 0) {
        if (kid->len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dynamo_jwt_key \"%V\": no signing key with "
                               "kid \"%V\"", file, kid);

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dynamo_jwt_key \"%V\": no signing key", file);
        }

        goto failed;
    }

    rv = NGX_CONF_OK;

failed:

    if (rv != NGX_CONF_OK) {
        keys->nelts = before;
    }

    json_decref(set);

done:

    json_decref(root);

    return rv;
}


/*
 * A JWK as a key that verifies signatures, whether it comes from a file
 * at start or from an identity provider at run time; never logs.  NGX_OK:
 * key filled (its kid and secret in pool, pkey a new reference the caller
 * frees); NGX_DECLINED: the key is for something else (its "use" is not
 * "sig", its "key_ops" do not include "verify", RFC 7517, 4.2 and 4.3), as
 * JOSE libraries leave such keys out of the ones a signature is checked
 * with; NGX_ERROR: refused.  Both with "desc: reason" in buf.  alg: the
 * directive's, or unset; a symmetric key is taken only with one.  With
 * check, a public key must also pass ngx_http_dynamo_jwt_key_check().
 */

ngx_int_t
ngx_http_dynamo_jwk_key(ngx_pool_t *pool, void *data, ngx_uint_t alg,
    ngx_uint_t check, ngx_str_t *desc, ngx_http_dynamo_key_t *key, u_char *buf,
    size_t size)
{
    u_char                   *p, *last;
    size_t                    i, n;
    json_t                   *jwk, *v, *op;
    EVP_PKEY                 *pkey;
    ngx_str_t                 kty, kid, name, secret;
    ngx_uint_t                jwk_alg;
    ngx_http_dynamo_curve_t  *curve;

    jwk = data;
    curve = NULL;
    last = buf + size - 1;
    p = ngx_slprintf(buf, last, "%V: ", desc);

    ngx_memzero(key, sizeof(ngx_http_dynamo_key_t));

    if (!json_is_object(jwk)) {
        p = ngx_slprintf(p, last, "not a JSON object");
        goto refused;
    }

    v = json_object_get(jwk, "use");

    if (v != NULL) {
        if (!json_is_string(v)) {
            p = ngx_slprintf(p, last, "\"use\" is not a string");
            goto refused;
        }

        if (ngx_strcmp(json_string_value(v), "sig") != 0) {
            p = ngx_slprintf(p, last, "skipped, its \"use\" is not \"sig\"");
            *p = '\0';
            return NGX_DECLINED;
        }
    }

    v = json_object_get(jwk, "key_ops");

    if (v != NULL) {
        if (!json_is_array(v)) {
            p = ngx_slprintf(p, last, "\"key_ops\" is not an array");
            goto refused;
        }

        n = json_array_size(v);

        for (i = 0; i < n; i++) {
            op = json_array_get(v, i);

            if (!json_is_string(op)) {
                p = ngx_slprintf(p, last, "\"key_ops\" holds a value that "
                                 "is not a string");
                goto refused;
            }

            if (ngx_strcmp(json_string_value(op), "verify") == 0) {
                break;
            }
        }

        if (i == n) {
            p = ngx_slprintf(p, last, "skipped, its \"key_ops\" do not "
                             "include \"verify\"");
            *p = '\0';
            return NGX_DECLINED;
        }
    }

    ngx_str_null(&kid);

    v = json_object_get(jwk, "kid");

    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            p = ngx_slprintf(p, last, "\"kid\" is not a non-empty string");
            goto refused;
        }

        kid.len = json_string_length(v);
        kid.data = ngx_pnalloc(pool, kid.len);
        if (kid.data == NULL) {
            goto nomem;
        }

        ngx_memcpy(kid.data, json_string_value(v), kid.len);
    }

    v = json_object_get(jwk, "kty");

    if (!json_is_string(v)) {
        p = ngx_slprintf(p, last, "no \"kty\"");
        goto refused;
    }

    kty.data = (u_char *) json_string_value(v);
    kty.len = json_string_length(v);

    jwk_alg = NGX_HTTP_DYNAMO_ALG_UNSET;

    v = json_object_get(jwk, "alg");

    if (v != NULL) {
        name.data = (u_char *) json_string_value(v);
        name.len = json_is_string(v) ? json_string_length(v) : 0;

        jwk_alg = ngx_http_dynamo_alg_by_name(&name);

        if (jwk_alg == NGX_HTTP_DYNAMO_ALG_UNSET) {
            p = ngx_slprintf(p, last, "unsupported \"alg\"");
            goto refused;
        }

        if (alg != NGX_HTTP_DYNAMO_ALG_UNSET && alg != jwk_alg) {
            p = ngx_slprintf(p, last, "the key is for %V, not alg=%V",
                             &ngx_http_dynamo_algs[jwk_alg].name,
                             &ngx_http_dynamo_algs[alg].name);
            goto refused;
        }
    }

    key->kid = kid;

    if (kty.len == 3 && ngx_strncmp(kty.data, "oct", 3) == 0) {

        /*
         * a symmetric key verifies tokens only when the operator chose
         * its algorithm on the directive, never from the key alone
         */

        if (ngx_http_dynamo_algs[alg].hmac_min == 0) {
            p = ngx_slprintf(p, last, "a symmetric key is used only with "
                             "an explicit alg=HS256, HS384 or HS512");
            goto refused;
        }

        if (ngx_http_dynamo_jwk_b64(pool, jwk, "k", &secret) != NGX_OK) {
            p = ngx_slprintf(p, last, "no valid \"k\" (canonical "
                             "base64url)");
            goto refused;
        }

        if (secret.len < ngx_http_dynamo_algs[alg].hmac_min) {
            p = ngx_slprintf(p, last, "the symmetric key is %uz bytes long, "
                             "%V needs at least %uz", secret.len,
                             &ngx_http_dynamo_algs[alg].name,
                             ngx_http_dynamo_algs[alg].hmac_min);
            goto refused;
        }

        key->alg = alg;
        key->material = secret;

        return NGX_OK;
    }

    if (jwk_alg != NGX_HTTP_DYNAMO_ALG_UNSET) {
        alg = jwk_alg;
    }

    if (kty.len == 3 && ngx_strncmp(kty.data, "RSA", 3) == 0) {
        pkey = ngx_http_dynamo_jwk_rsa(pool, jwk, &p, last);

    } else if (kty.len == 2 && ngx_strncmp(kty.data, "EC", 2) == 0) {

        v = json_object_get(jwk, "crv");

        for (curve = ngx_http_dynamo_curves; curve->crv; curve++) {
            if (json_is_string(v)
                && ngx_strcmp(json_string_value(v), curve->crv) == 0)
            {
                break;
            }
        }

        if (curve->crv == NULL) {
            p = ngx_slprintf(p, last, "unsupported EC curve, expected "
                             "P-256, P-384 or P-521");
            goto refused;
        }

        pkey = ngx_http_dynamo_jwk_ec(pool, jwk, curve, &p, last);

    } else {
        p = ngx_slprintf(p, last, "unsupported \"kty\" \"%*s%s\"",
                         ngx_min(kty.len, 16), kty.data,
                         kty.len > 16 ? "..." : "");
        goto refused;
    }

    if (pkey == NULL) {
        goto refused;
    }

    if (check
        && ngx_http_dynamo_jwt_key_check(pkey, &alg, desc, buf, size) != NULL)
    {
        EVP_PKEY_free(pkey);
        return NGX_ERROR;
    }

    if (alg == NGX_HTTP_DYNAMO_ALG_UNSET) {
        alg = (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
              ? NGX_HTTP_DYNAMO_ALG_RS256 : curve->alg;
    }

    key->alg = alg;
    key->pkey = pkey;

    return NGX_OK;

nomem:

    p = ngx_slprintf(p, last, "out of memory");

refused:

    *p = '\0';

    return NGX_ERROR;
}


/* the public key of an RSA JWK, or NULL with the reason written at *pp */

static EVP_PKEY *
ngx_http_dynamo_jwk_rsa(ngx_pool_t *pool, json_t *jwk, u_char **pp,
    u_char *last)
{
    BIGNUM          *n, *e;
    EVP_PKEY        *pkey;
    ngx_str_t        nb, eb;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *pctx;
    OSSL_PARAM_BLD  *bld;

    if (ngx_http_dynamo_jwk_b64(pool, jwk, "n", &nb) != NGX_OK
        || ngx_http_dynamo_jwk_b64(pool, jwk, "e", &eb) != NGX_OK)
    {
        *pp = ngx_slprintf(*pp, last, "no valid \"n\" and \"e\" (canonical "
                           "base64url)");
        return NULL;
    }

    pkey = NULL;
    params = NULL;
    pctx = NULL;

    n = BN_bin2bn(nb.data, (int) nb.len, NULL);
    e = BN_bin2bn(eb.data, (int) eb.len, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (n == NULL || e == NULL || bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
    {
        *pp = ngx_http_dynamo_openssl_reason(*pp, last,
                                        "OSSL_PARAM_BLD_push_BN() failed");
        goto failed;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

    if (params == NULL || pctx == NULL
        || EVP_PKEY_fromdata_init(pctx) <= 0
        || EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        *pp = ngx_http_dynamo_openssl_reason(*pp, last,
                                             "EVP_PKEY_fromdata() failed");
        pkey = NULL;
    }

failed:

    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    return pkey;
}


/* the public key of an EC JWK, or NULL with the reason written at *pp */

static EVP_PKEY *
ngx_http_dynamo_jwk_ec(ngx_pool_t *pool, json_t *jwk,
    ngx_http_dynamo_curve_t *curve, u_char **pp, u_char *last)
{
    u_char          *point;
    EVP_PKEY        *pkey;
    ngx_str_t        x, y;
    OSSL_PARAM       params[3];
    EVP_PKEY_CTX    *pctx;

    if (ngx_http_dynamo_jwk_b64(pool, jwk, "x", &x) != NGX_OK
        || ngx_http_dynamo_jwk_b64(pool, jwk, "y", &y) != NGX_OK
        || x.len != curve->size || y.len != curve->size)
    {
        *pp = ngx_slprintf(*pp, last, "no valid \"x\" and \"y\" for %s "
                           "(canonical base64url)", curve->crv);
        return NULL;
    }

    /* an uncompressed point: 0x04 || x || y */

    point = ngx_pnalloc(pool, 1 + 2 * curve->size);
    if (point == NULL) {
        *pp = ngx_slprintf(*pp, last, "out of memory");
        return NULL;
    }

    point[0] = 0x04;
    ngx_memcpy(point + 1, x.data, x.len);
    ngx_memcpy(point + 1 + x.len, y.data, y.len);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *) curve->group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point,
                                                  1 + 2 * curve->size);
    params[2] = OSSL_PARAM_construct_end();

    pkey = NULL;

    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

    if (pctx == NULL
        || EVP_PKEY_fromdata_init(pctx) <= 0
        || EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        *pp = ngx_http_dynamo_openssl_reason(*pp, last,
                                             "EVP_PKEY_fromdata() failed");
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(pctx);

    return pkey;
}


/*
 * Adds a key: its kid must be new in the context, and an asymmetric key
 * must pass ngx_http_dynamo_jwt_key_check(), which also settles its
 * algorithm; a secret is kept as it is.
 */

static char *
ngx_http_dynamo_add_key(ngx_conf_t *cf, ngx_array_t *keys, ngx_str_t *desc,
    ngx_str_t *file, EVP_PKEY *pkey, ngx_str_t *secret, ngx_str_t *kid,
    ngx_uint_t alg)
{
    BIO                    *bio;
    char                   *data;
    long                    len;
    u_char                 *msg;
    ngx_uint_t              i;
    ngx_pool_cleanup_t     *cln;
    ngx_http_dynamo_key_t  *key;
    u_char                  buf[NGX_HTTP_DYNAMO_KEY_MESSAGE_MAX];

    /*
     * A kid names one key: with two, which one verifies would be left to
     * the order of the lines.  An inner context's dynamo_jwt_key lines
     * replace the outer ones, so only the keys of this context count.
     */

    if (kid->len) {
        key = keys->elts;

        for (i = 0; i < keys->nelts; i++) {
            if (key[i].kid.len == kid->len
                && ngx_strncmp(key[i].kid.data, kid->data, kid->len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: another key of this context, from "
                                   "\"%V\", has the same kid", desc,
                                   &key[i].source);
                return NGX_CONF_ERROR;
            }
        }
    }

    if (pkey != NULL) {
        msg = ngx_http_dynamo_jwt_key_check(pkey, &alg, desc, buf,
                                            sizeof(buf));
        if (msg != NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", msg);
            return NGX_CONF_ERROR;
        }
    }

    key = ngx_array_push(keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    key->kid = *kid;
    key->source = *file;
    key->alg = alg;
    key->pkey = NULL;

    if (pkey == NULL) {
        key->material = *secret;
        return NGX_CONF_OK;
    }

    /* the parsed key verifies; freed with the configuration */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    cln->handler = ngx_http_dynamo_pkey_cleanup;
    cln->data = NULL;

    if (EVP_PKEY_up_ref(pkey) != 1) {
        goto failed;
    }

    key->pkey = pkey;
    cln->data = pkey;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PUBKEY(bio, pkey)) {
        BIO_free(bio);
        ngx_http_dynamo_openssl_error(cf, desc,
                                      "PEM_write_bio_PUBKEY() failed");
        goto failed;
    }

    len = BIO_get_mem_data(bio, &data);

    key->material.len = (size_t) len;
    key->material.data = ngx_pnalloc(cf->pool, (size_t) len + 1);

    if (key->material.data == NULL) {
        BIO_free(bio);
        goto failed;
    }

    ngx_memcpy(key->material.data, data, (size_t) len);
    key->material.data[len] = '\0';

    BIO_free(bio);

    return NGX_CONF_OK;

failed:

    keys->nelts--;

    return NGX_CONF_ERROR;
}


/*
 * Checks a public key before it verifies anything, whether it came from
 * a PEM file or a JWK (or, later, a key set fetched at run time), and
 * settles its algorithm: *alg, when unset, follows from the key (RS256
 * for RSA, the curve's for EC).  Returns NULL when the key is fit, else
 * "desc: reason" written into buf (null-terminated), for the caller to
 * log as it logs.
 */

u_char *
ngx_http_dynamo_jwt_key_check(void *key, ngx_uint_t *alg, ngx_str_t *desc,
    u_char *buf, size_t size)
{
    int                       type;
    char                      group[64];
    u_char                   *p, *last, *end;
    size_t                    glen;
    EVP_PKEY                 *pkey;
    ngx_http_dynamo_curve_t  *curve;

    pkey = key;
    last = buf + size - 1;
    p = ngx_slprintf(buf, last, "%V: ", desc);

    type = EVP_PKEY_get_base_id(pkey);

    if (type == EVP_PKEY_RSA) {

        if (*alg == NGX_HTTP_DYNAMO_ALG_UNSET) {
            *alg = NGX_HTTP_DYNAMO_ALG_RS256;
        }

        end = ngx_http_dynamo_rsa_check(pkey, p, last);

        if (end != NULL) {
            p = end;
            goto refused;
        }

    } else if (type == EVP_PKEY_EC) {

        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), &glen)
            != 1)
        {
            p = ngx_http_dynamo_openssl_reason(p, last, "no EC group");
            goto refused;
        }

        for (curve = ngx_http_dynamo_curves; curve->crv; curve++) {
            if (ngx_strcmp(group, curve->group) == 0) {
                break;
            }
        }

        if (curve->crv == NULL) {
            p = ngx_slprintf(p, last, "an EC key on curve %s; P-256, P-384 "
                             "and P-521 are supported", group);
            goto refused;
        }

        if (*alg == NGX_HTTP_DYNAMO_ALG_UNSET) {
            *alg = curve->alg;
        }

        if (*alg != curve->alg) {
            p = ngx_slprintf(p, last, "an EC key on %s, which signs %V, "
                             "not %V", curve->crv,
                             &ngx_http_dynamo_algs[curve->alg].name,
                             &ngx_http_dynamo_algs[*alg].name);
            goto refused;
        }

        end = ngx_http_dynamo_public_check(pkey, p, last);

        if (end != NULL) {
            p = end;
            goto refused;
        }

    } else {
        p = ngx_slprintf(p, last, "neither an RSA nor an EC key");
        goto refused;
    }

    if (ngx_http_dynamo_algs[*alg].pkey_type != type) {
        p = ngx_slprintf(p, last, "an %s key cannot verify %V",
                         type == EVP_PKEY_RSA ? "RSA" : "EC",
                         &ngx_http_dynamo_algs[*alg].name);
        goto refused;
    }

    return NULL;

refused:

    *p = '\0';

    return buf;
}


/*
 * An RSA key as OpenSSL's public key check takes it, with our floor on
 * the size: an odd exponent of 3 or more (with e = 1 a "signature" is
 * the padded hash, made from the public key alone), a modulus of 2048
 * bits or more, odd, with no small factor, not a prime power; and no
 * ROCA fingerprint.  NULL: fit; else the end of the reason written at p.
 */

static u_char *
ngx_http_dynamo_rsa_check(EVP_PKEY *pkey, u_char *p, u_char *last)
{
    int        bits;
    u_char    *end;
    BIGNUM    *n, *e;
    ngx_int_t  roca;

    n = NULL;
    e = NULL;

    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1
        || EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
    {
        p = ngx_http_dynamo_openssl_reason(p, last,
                                           "no RSA modulus or exponent");
        goto done;
    }

    if (!BN_is_odd(e) || BN_is_one(e)) {

        if (BN_num_bits(e) <= 32) {
            p = ngx_slprintf(p, last, "RSA exponent %uL is not allowed "
                             "(odd, >= 3)", (uint64_t) BN_get_word(e));

        } else {
            p = ngx_slprintf(p, last, "an even RSA exponent of %d bits is "
                             "not allowed (odd, >= 3)", BN_num_bits(e));
        }

        goto done;
    }

    bits = BN_num_bits(n);

    if (bits < NGX_HTTP_DYNAMO_RSA_MIN_BITS) {
        p = ngx_slprintf(p, last, "the RSA modulus has %d bits, at least %d "
                         "are needed", bits, NGX_HTTP_DYNAMO_RSA_MIN_BITS);
        goto done;
    }

    end = ngx_http_dynamo_public_check(pkey, p, last);

    if (end != NULL) {
        p = end;
        goto done;
    }

    roca = ngx_http_dynamo_rsa_roca(n);

    if (roca == NGX_ERROR) {
        p = ngx_http_dynamo_openssl_reason(p, last, "BN_mod_word() failed");
        goto done;
    }

    if (roca) {
        p = ngx_slprintf(p, last, "the RSA modulus has the ROCA fingerprint "
                         "(CVE-2017-15361): its factors can be recovered, "
                         "make a new key");
        goto done;
    }

    p = NULL;

done:

    BN_free(n);
    BN_free(e);

    return p;
}


/* OpenSSL's own check of a public key; NULL: passed */

static u_char *
ngx_http_dynamo_public_check(EVP_PKEY *pkey, u_char *p, u_char *last)
{
    int            rc;
    EVP_PKEY_CTX  *ctx;

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    rc = (ctx != NULL) ? EVP_PKEY_public_check(ctx) : 0;

    EVP_PKEY_CTX_free(ctx);

    if (rc == 1) {
        return NULL;
    }

    return ngx_http_dynamo_openssl_reason(p, last,
                                          "not a valid public key");
}


/*
 * The ROCA fingerprint (Nemec et al., "The Return of Coppersmith's
 * Attack", CCS 2017).  The primes that Infineon's RSA library made are
 * k * M + (65537^a mod M), M the product of the first primes, so that
 * modulo each small prime p the modulus lies in the subgroup generated
 * by 65537.  A modulus for which this holds for every prime below is
 * fingerprinted; one of other origin passes for them all only with a
 * negligible probability.  1: fingerprinted, 0: not, or NGX_ERROR.
 */

static ngx_int_t
ngx_http_dynamo_rsa_roca(const BIGNUM *n)
{
    BN_ULONG    r;
    ngx_uint_t  i, p, g, x;

    static const u_char  primes[] = {
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61,
        67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131,
        137, 139, 149, 151, 157, 163, 167
    };

    for (i = 0; i < sizeof(primes); i++) {
        p = primes[i];

        r = BN_mod_word(n, p);

        if (r == (BN_ULONG) -1) {
            return NGX_ERROR;
        }

        /* the powers of 65537 modulo p, until they come back to 1 */

        g = 65537 % p;
        x = 1;

        while (x != r) {
            x = x * g % p;

            if (x == 1) {
                return 0;
            }
        }
    }

    return 1;
}


/*
 * Base64url as JWS and JWK spell it (RFC 7515, 2): the URL-safe alphabet,
 * no padding, no lone last character, and zeros in the bits of the last
 * character that carry no data, so that a value has one spelling only
 */

static ngx_int_t
ngx_http_dynamo_b64url_canonical(ngx_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (ngx_http_dynamo_b64url_value(s->data[i]) > 63) {
            return NGX_ERROR;
        }
    }

    switch (s->len % 4) {

    case 1:
        return NGX_ERROR;

    case 2:
        /* one byte: 8 of the 12 bits */
        return (ngx_http_dynamo_b64url_value(s->data[s->len - 1]) & 0x0f)
               ? NGX_ERROR : NGX_OK;

    case 3:
        /* two bytes: 16 of the 18 bits */
        return (ngx_http_dynamo_b64url_value(s->data[s->len - 1]) & 0x03)
               ? NGX_ERROR : NGX_OK;

    default:
        return NGX_OK;
    }
}


/* the value of a base64url character, or 64 for any other byte */

static ngx_uint_t
ngx_http_dynamo_b64url_value(u_char ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }

    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }

    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }

    if (ch == '-') {
        return 62;
    }

    if (ch == '_') {
        return 63;
    }

    return 64;
}


static ngx_int_t
ngx_http_dynamo_jwk_b64(ngx_pool_t *pool, json_t *jwk, const char *member,
    ngx_str_t *out)
{
    json_t     *v;
    ngx_str_t   src;

    v = json_object_get(jwk, member);

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return NGX_ERROR;
    }

    src.data = (u_char *) json_string_value(v);
    src.len = json_string_length(v);

    if (ngx_http_dynamo_b64url_canonical(&src) != NGX_OK) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, ngx_base64_decoded_length(src.len));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(out, &src) != NGX_OK || out->len == 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "what (OpenSSL's reason)", written at p */

static u_char *
ngx_http_dynamo_openssl_reason(u_char *p, u_char *last, const char *what)
{
    u_long  n;
    char    buf[256];

    n = ERR_get_error();
    ERR_clear_error();

    if (n == 0) {
        return ngx_slprintf(p, last, "%s", what);
    }

    ERR_error_string_n(n, buf, sizeof(buf));

    return ngx_slprintf(p, last, "%s (%s)", what, buf);
}


static void
ngx_http_dynamo_openssl_error(ngx_conf_t *cf, ngx_str_t *desc,
    const char *what)
{
    u_char  *p;
    u_char   buf[NGX_HTTP_DYNAMO_KEY_MESSAGE_MAX];

    p = ngx_http_dynamo_openssl_reason(buf, buf + sizeof(buf), what);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V: %*s", desc,
                       (size_t) (p - buf), buf);
}


/*
 * A digest of everything a verification result depends on, so that a
 * token verified under one location's keys and rules is never taken as
 * verified under another's, nor after a reload changed them.
 */

ngx_int_t
ngx_http_dynamo_jwt_fingerprint(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf)
{
    ngx_str_t              *s;
    ngx_uint_t              i, j;
    EVP_MD_CTX             *md;
    ngx_array_t            *lists[3];
    ngx_http_dynamo_key_t  *key;
    u_char                  sep[2];

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_ERROR;
    }

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        goto failed;
    }

    key = dlcf->keys->elts;

    for (i = 0; i < dlcf->keys->nelts; i++) {
        sep[0] = 'k';
        sep[1] = (u_char) key[i].alg;

        if (EVP_DigestUpdate(md, sep, 2) != 1
            || EVP_DigestUpdate(md, key[i].kid.data, key[i].kid.len) != 1
            || EVP_DigestUpdate(md, "\0", 1) != 1
            || EVP_DigestUpdate(md, key[i].material.data,
                                key[i].material.len) != 1
            || EVP_DigestUpdate(md, "\0", 1) != 1)
        {
            goto failed;
        }
    }

    lists[0] = dlcf->issuers;
    lists[1] = dlcf->audiences;
    lists[2] = dlcf->identity_claims;

    for (j = 0; j < 3; j++) {
        sep[0] = 'l';
        sep[1] = (u_char) j;

        if (EVP_DigestUpdate(md, sep, 2) != 1) {
            goto failed;
        }

        if (lists[j] == NULL) {
            continue;
        }

        s = lists[j]->elts;

        for (i = 0; i < lists[j]->nelts; i++) {
            if (EVP_DigestUpdate(md, s[i].data, s[i].len) != 1
                || EVP_DigestUpdate(md, "\0", 1) != 1)
            {
                goto failed;
            }
        }
    }

    if (EVP_DigestFinal_ex(md, dlcf->fingerprint, NULL) != 1) {
        goto failed;
    }

    EVP_MD_CTX_free(md);

    dlcf->fingerprinted = 1;

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "EVP_Digest*() failed");
    EVP_MD_CTX_free(md);

    return NGX_ERROR;
}


/* does a header value look like a JWS in compact form */

ngx_int_t
ngx_http_dynamo_jwt_is_token(ngx_str_t *value)
{
    u_char      ch;
    ngx_uint_t  i, dots;

    if (value->len < 3 || ngx_strncmp(value->data, "eyJ", 3) != 0) {
        return 0;
    }

    dots = 0;

    for (i = 0; i < value->len; i++) {
        ch = value->data[i];

        if (ch == '.') {
            dots++;
            continue;
        }

        if (ngx_http_dynamo_b64url_value(ch) > 63) {
            return 0;
        }
    }

    return dots == 2;
}


/*
 * Verifies the token and fills ctx->caller.token.  NGX_DECLINED: refused, with
 * the reason recorded in ctx; NGX_ERROR: an internal failure.
 */

ngx_int_t
ngx_http_dynamo_jwt_verify(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token)
{
    u_char                  *p, *last, ch;
    uint32_t                 hash;
    uint64_t                 generation;
    ngx_int_t                rc;
    ngx_str_t                parts[3];
    ngx_uint_t               n;
    ngx_http_dynamo_zone_t  *zone;
    u_char                   digest[NGX_HTTP_DYNAMO_DIGEST_LEN];

    if (token->len > NGX_HTTP_DYNAMO_TOKEN_MAX) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token is too large: %uz bytes, "
                                    "the limit is %d", token->len,
                                    NGX_HTTP_DYNAMO_TOKEN_MAX);
    }

    /*
     * The cache first: entries are found by a fast hash of the token and
     * the location's verification settings, and hold the whole token,
     * which must match byte for byte.  A token found there was checked
     * when it was put there.  The hash covers the token's last bytes, its
     * signature, which differ from one token to the next as much as the
     * whole does: a token made to share them with a cached one only
     * meets that entry, fails the comparison, and is verified.
     */

    n = ngx_min(token->len, NGX_HTTP_DYNAMO_TOKEN_HASHED);
    hash = ngx_murmur_hash2(token->data + token->len - n, n);

    ngx_memcpy(digest, &hash, sizeof(hash));
    ngx_memcpy(digest + sizeof(hash), dlcf->fingerprint,
               NGX_HTTP_DYNAMO_DIGEST_LEN - sizeof(hash));

    /*
     * with key sets, what they held when the token was verified: a new
     * set, one without the token's key maybe, verifies it again
     */

    if (dlcf->jwks) {
        rc = ngx_http_dynamo_jwks_generation(r, dlcf, ctx, &generation);

        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_dynamo_jwt_generation(digest + sizeof(hash), generation);
    }

    zone = ngx_http_dynamo_get_zone(r);

    rc = ngx_http_dynamo_token_cache_get(r, digest, token, &ctx->caller.token);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dynamo: token cache hit, identity \"%V\"",
                       ngx_http_dynamo_printable(r, &ctx->caller.token.identity,
                                                 NGX_HTTP_DYNAMO_IDENTITY_MAX));

        ngx_http_dynamo_count(zone, token_hits, 1);
        ctx->caller.token_cached = 1;

        return ngx_http_dynamo_jwt_times(r, dlcf, ctx, &ctx->caller.token);
    }

    ngx_http_dynamo_count(zone, token_misses, 1);

    /* header.payload.signature, each in the base64url alphabet */

    n = 0;
    parts[0].data = token->data;
    last = token->data + token->len;

    for (p = token->data; p < last; p++) {
        ch = *p;

        if (ch == '.') {
            if (n == 2) {
                goto malformed;
            }

            parts[n].len = p - parts[n].data;
            parts[++n].data = p + 1;
            continue;
        }

        if (ngx_http_dynamo_b64url_value(ch) > 63) {
            goto malformed;
        }
    }

    if (n != 2) {
        goto malformed;
    }

    parts[2].len = last - parts[2].data;

    if (parts[0].len == 0 || parts[1].len == 0) {
        goto malformed;
    }

    /* one spelling per token: another one of the same bytes is refused */

    for (n = 0; n < 3; n++) {
        if (ngx_http_dynamo_b64url_canonical(&parts[n]) != NGX_OK) {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                        "malformed identity token: the %s "
                                        "is not canonical base64url",
                                        n == 0 ? "header"
                                        : n == 1 ? "payload" : "signature");
        }
    }

    rc = ngx_http_dynamo_jwt_check(r, dlcf, ctx, token, parts);

    if (rc != NGX_OK) {
        return rc;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: token verified, identity \"%V\"",
                   ngx_http_dynamo_printable(r, &ctx->caller.token.identity,
                                             NGX_HTTP_DYNAMO_IDENTITY_MAX));

    /* the sets this verification used: maybe newer than at the start */

    if (dlcf->jwks) {
        ngx_memcpy(digest + sizeof(hash), dlcf->fingerprint,
                   NGX_HTTP_DYNAMO_DIGEST_LEN - sizeof(hash));

        ngx_http_dynamo_jwt_generation(digest + sizeof(hash),
                                       ngx_http_dynamo_jwks_current(dlcf));
    }

    ngx_http_dynamo_token_cache_put(r, digest, token, &ctx->caller.token);

    return NGX_OK;

malformed:

    return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                "malformed identity token: expected three "
                                "base64url parts separated by dots");
}


static ngx_int_t
ngx_http_dynamo_jwt_check(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *token, ngx_str_t *parts)
{
    json_t                 *header, *claims, *v;
    ngx_int_t               rc, alg;
    ngx_str_t               name, kid, decoded;
    ngx_uint_t              tried;
    ngx_array_t            *fetched;
    ngx_http_dynamo_key_t  *mismatch;

    header = ngx_http_dynamo_jwt_decode_json(r, &parts[0], &decoded);

    if (header == NULL) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "malformed identity token: the header "
                                    "is not a JSON object");
    }

    if (header == NGX_CONF_ERROR) {
        return NGX_ERROR;
    }

    v = json_object_get(header, "alg");

    if (!json_is_string(v)) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "malformed identity token: no \"alg\" "
                                    "in the header");
    }

    name.data = (u_char *) json_string_value(v);
    name.len = json_string_length(v);

    if (name.len == 4 && ngx_strncasecmp(name.data, (u_char *) "none", 4)
                         == 0)
    {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "unsigned identity tokens (alg \"none\") "
                                    "are not accepted");
    }

    alg = ngx_http_dynamo_alg_by_name(&name);

    if (alg == NGX_HTTP_DYNAMO_ALG_UNSET) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token algorithm is not "
                                    "supported");
    }

    if (json_object_get(header, "crit") != NULL) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token header has \"crit\" "
                                    "extensions, which are not supported");
    }

    if (parts[2].len == 0) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token has no signature");
    }

    ngx_str_null(&kid);

    v = json_object_get(header, "kid");

    if (v != NULL) {
        if (!json_is_string(v)) {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                        "malformed identity token: \"kid\" "
                                        "is not a string");
        }

        kid.data = (u_char *) json_string_value(v);
        kid.len = json_string_length(v);

        /* an empty kid names no key, and is not taken for no kid at all */

        if (kid.len == 0) {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                        "identity token names an unknown "
                                        "key (kid \"\")");
        }
    }

    claims = ngx_http_dynamo_jwt_decode_json(r, &parts[1],
                                             &ctx->caller.token.payload);

    if (claims == NULL) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "malformed identity token: the payload "
                                    "is not a JSON object");
    }

    if (claims == NGX_CONF_ERROR) {
        return NGX_ERROR;
    }

    /*
     * the key: by kid when the token names one, else any of its alg;
     * from the files first, then from the key sets fetched, when the
     * files have no key for the token
     */

    tried = 0;
    mismatch = NULL;

    rc = ngx_http_dynamo_jwt_try(r, dlcf->keys, &kid, alg, token, parts,
                                 &tried, &mismatch);

    if (rc == NGX_DECLINED && (tried == 0 || kid.len == 0)
        && !(mismatch && kid.len) && dlcf->jwks)
    {
        fetched = ngx_array_create(r->pool, 2,
                                   sizeof(ngx_http_dynamo_key_t));
        if (fetched == NULL) {
            return NGX_ERROR;
        }

        rc = ngx_http_dynamo_jwks_keys(r, dlcf, ctx, &kid, fetched);

        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_dynamo_jwt_try(r, fetched, &kid, alg, token, parts,
                                     &tried, &mismatch);

        if (rc == NGX_DECLINED && tried == 0 && !(mismatch && kid.len)
            && ctx->jwks.unavailable)
        {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                        "%V", &ctx->jwks.reason);
        }
    }

    if (rc == NGX_OK) {
        return ngx_http_dynamo_jwt_claims(r, dlcf, ctx, claims);
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (tried) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token signature is invalid");
    }

    if (mismatch && kid.len) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token algorithm %V does not "
                                    "match its key \"%V\", which is for %V",
                                    &ngx_http_dynamo_algs[alg].name,
                                    &mismatch->kid,
                                    &ngx_http_dynamo_algs[mismatch->alg].name);
    }

    if (kid.len) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token names an unknown key "
                                    "(kid \"%V\")",
                                    ngx_http_dynamo_printable(r, &kid, 64));
    }

    return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                "no key verifies %V identity tokens",
                                &ngx_http_dynamo_algs[alg].name);
}


/* the generations of the key sets, mixed into a cache digest */

static void
ngx_http_dynamo_jwt_generation(u_char *p, uint64_t generation)
{
    ngx_uint_t  n;

    for (n = 0; n < sizeof(uint64_t); n++) {
        p[n] ^= (u_char) (generation >> (8 * n));
    }
}


/*
 * Tries the keys that may have signed the token: NGX_OK: one verifies;
 * NGX_DECLINED: none, *tried counts the keys tried, *mismatch is a key
 * of the token's kid for another algorithm; NGX_ERROR.
 */

static ngx_int_t
ngx_http_dynamo_jwt_try(ngx_http_request_t *r, ngx_array_t *keys,
    ngx_str_t *kid, ngx_int_t alg, ngx_str_t *token, ngx_str_t *parts,
    ngx_uint_t *tried, ngx_http_dynamo_key_t **mismatch)
{
    ngx_int_t               rc;
    ngx_uint_t              i;
    ngx_http_dynamo_key_t  *key;

    key = keys->elts;

    for (i = 0; i < keys->nelts; i++) {

        if (kid->len) {
            if (key[i].kid.len != kid->len
                || ngx_strncmp(key[i].kid.data, kid->data, kid->len) != 0)
            {
                continue;
            }
        }

        if ((ngx_int_t) key[i].alg != alg) {
            *mismatch = &key[i];
            continue;
        }

        (*tried)++;

        rc = ngx_http_dynamo_jwt_signature(r, &key[i], token, parts);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_dynamo_jwt_signature(ngx_http_request_t *r,
    ngx_http_dynamo_key_t *key, ngx_str_t *token, ngx_str_t *parts)
{
    int            rc;
    u_char        *der, *p;
    size_t         len, n;
    BIGNUM        *br, *bs;
    ngx_str_t      sig;
    ECDSA_SIG     *es;
    EVP_MD_CTX    *md;
    const EVP_MD  *evp;
    unsigned int   mac_len;
    u_char         mac[EVP_MAX_MD_SIZE];

    evp = ngx_http_dynamo_algs[key->alg].digest();

    sig.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(parts[2].len));
    if (sig.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(&sig, &parts[2]) != NGX_OK || sig.len == 0) {
        return NGX_DECLINED;
    }

    /* what is signed: "header.payload" */

    len = parts[0].len + 1 + parts[1].len;

    if (ngx_http_dynamo_algs[key->alg].hmac_min) {
        mac_len = 0;

        if (HMAC(evp, key->material.data, (int) key->material.len,
                 token->data, len, mac, &mac_len)
            == NULL)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "HMAC() failed");
            return NGX_ERROR;
        }

        if (sig.len != mac_len || CRYPTO_memcmp(sig.data, mac, mac_len) != 0)
        {
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    /* ECDSA signatures are r || s in JWS, DER for OpenSSL */

    if (ngx_http_dynamo_algs[key->alg].pkey_type == EVP_PKEY_EC) {
        n = (key->alg == NGX_HTTP_DYNAMO_ALG_ES256) ? 32
            : (key->alg == NGX_HTTP_DYNAMO_ALG_ES384) ? 48 : 66;

        if (sig.len != 2 * n) {
            return NGX_DECLINED;
        }

        es = ECDSA_SIG_new();
        br = BN_bin2bn(sig.data, (int) n, NULL);
        bs = BN_bin2bn(sig.data + n, (int) n, NULL);

        if (es == NULL || br == NULL || bs == NULL
            || ECDSA_SIG_set0(es, br, bs) != 1)
        {
            ECDSA_SIG_free(es);
            BN_free(br);
            BN_free(bs);
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "ECDSA_SIG_set0() failed");
            return NGX_ERROR;
        }

        rc = i2d_ECDSA_SIG(es, NULL);

        der = (rc > 0) ? ngx_pnalloc(r->pool, rc) : NULL;

        if (der == NULL) {
            ECDSA_SIG_free(es);
            return NGX_ERROR;
        }

        p = der;
        sig.len = i2d_ECDSA_SIG(es, &p);
        sig.data = der;

        ECDSA_SIG_free(es);
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "EVP_MD_CTX_new() failed");
        return NGX_ERROR;
    }

    rc = EVP_DigestVerifyInit(md, NULL, evp, NULL, key->pkey);

    if (rc == 1) {
        rc = EVP_DigestVerify(md, sig.data, sig.len, token->data, len);
    }

    EVP_MD_CTX_free(md);

    if (rc != 1) {
        ERR_clear_error();
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: signature with key \"%V\": %d", &key->kid, rc);

    return (rc == 1) ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_dynamo_jwt_claims(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    json_t *claims)
{
    size_t                    i, n;
    json_t                   *v, *a;
    ngx_str_t                *name;
    ngx_uint_t                k, found;
    ngx_http_dynamo_token_t  *token;

    token = &ctx->caller.token;

    if (ngx_http_dynamo_claim_time(claims, "exp", &token->exp) != NGX_OK) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token has no valid \"exp\" "
                                    "claim");
    }

    if (ngx_http_dynamo_claim_time(claims, "nbf", &token->nbf) == NGX_ERROR
        || ngx_http_dynamo_claim_time(claims, "iat", &token->iat)
           == NGX_ERROR)
    {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token has an invalid \"nbf\" "
                                    "or \"iat\" claim");
    }

    if (ngx_http_dynamo_jwt_times(r, dlcf, ctx, token) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (dlcf->issuers) {
        v = json_object_get(claims, "iss");

        if (!json_is_string(v)
            || !ngx_http_dynamo_str_in(dlcf->issuers, json_string_value(v),
                                       json_string_length(v)))
        {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                        "identity token issuer is not "
                                        "accepted");
        }
    }

    if (dlcf->audiences) {
        a = json_object_get(claims, "aud");
        found = 0;

        if (json_is_string(a)) {
            found = ngx_http_dynamo_str_in(dlcf->audiences,
                                           json_string_value(a),
                                           json_string_length(a));

        } else if (json_is_array(a)) {
            n = json_array_size(a);

            for (i = 0; i < n && !found; i++) {
                v = json_array_get(a, i);

                found = json_is_string(v)
                        && ngx_http_dynamo_str_in(dlcf->audiences,
                                                  json_string_value(v),
                                                  json_string_length(v));
            }
        }

        if (!found) {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                        "identity token audience is not "
                                        "accepted");
        }
    }

    name = dlcf->identity_claims->elts;
    v = NULL;

    for (k = 0; k < dlcf->identity_claims->nelts; k++) {
        v = json_object_getn(claims, (char *) name[k].data, name[k].len);

        if (json_is_string(v) && json_string_length(v) > 0) {
            break;
        }
    }

    if (k == dlcf->identity_claims->nelts) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity token has no identity claim "
                                    "(looked for %V%s)", &name[0],
                                    dlcf->identity_claims->nelts > 1
                                    ? " and others" : "");
    }

    if (json_string_length(v) > NGX_HTTP_DYNAMO_IDENTITY_MAX) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_UNRECOGNIZED,
                                    "identity claim \"%V\" is longer than %d "
                                    "bytes", &name[k],
                                    NGX_HTTP_DYNAMO_IDENTITY_MAX);
    }

    token->identity.len = json_string_length(v);
    token->identity.data = ngx_pnalloc(r->pool, token->identity.len);
    if (token->identity.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(token->identity.data, json_string_value(v),
               token->identity.len);

    if (ngx_http_dynamo_claim_string(r, claims, "sub", &token->subject)
        != NGX_OK
        || ngx_http_dynamo_claim_string(r, claims, "jti", &token->token_id)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->caller.claims = claims;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_jwt_times(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_token_t *token)
{
    time_t  now;
    u_char  when[sizeof("1970-01-01T00:00:00Z")];

    now = ngx_time();

    if (now >= token->exp + dlcf->leeway) {
        ngx_http_dynamo_time_iso8601(when, token->exp);

        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_EXPIRED,
                                    "identity token expired at %s", when);
    }

    if (token->nbf && now + dlcf->leeway < token->nbf) {
        ngx_http_dynamo_time_iso8601(when, token->nbf);

        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_EXPIRED,
                                    "identity token is not valid before %s",
                                    when);
    }

    if (token->iat && now + dlcf->leeway < token->iat) {
        ngx_http_dynamo_time_iso8601(when, token->iat);

        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_EXPIRED,
                                    "identity token is issued in the future, "
                                    "at %s", when);
    }

    return NGX_OK;
}


/*
 * Decodes one base64url part and parses it as a JSON object, freed with
 * the request's pool.  NULL: not a JSON object; NGX_CONF_ERROR: no memory.
 */

static json_t *
ngx_http_dynamo_jwt_decode_json(ngx_http_request_t *r, ngx_str_t *part,
    ngx_str_t *decoded)
{
    json_t              *json;
    ngx_pool_cleanup_t  *cln;

    decoded->data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(part->len));
    if (decoded->data == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_decode_base64url(decoded, part) != NGX_OK) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dynamo_jwt_json_cleanup;
    cln->data = NULL;

    json = json_loadb((char *) decoded->data, decoded->len,
                      JSON_REJECT_DUPLICATES, NULL);

    if (json == NULL) {
        return NULL;
    }

    cln->data = json;

    if (!json_is_object(json)) {
        return NULL;
    }

    return json;
}


/* NGX_OK: a number; NGX_DECLINED: absent; NGX_ERROR: not a number */

static ngx_int_t
ngx_http_dynamo_claim_time(json_t *claims, const char *name, time_t *value)
{
    double   d;
    json_t  *v;

    v = json_object_get(claims, name);

    if (v == NULL) {
        *value = 0;
        return NGX_DECLINED;
    }

    if (json_is_integer(v)) {
        if (json_integer_value(v) <= 0
            || json_integer_value(v) > NGX_MAX_INT32_VALUE * 4LL)
        {
            return NGX_ERROR;
        }

        *value = (time_t) json_integer_value(v);
        return NGX_OK;
    }

    if (json_is_real(v)) {
        d = json_real_value(v);

        if (!(d > 0 && d < NGX_MAX_INT32_VALUE * 4.0)) {
            return NGX_ERROR;
        }

        *value = (time_t) d;
        return NGX_OK;
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_dynamo_claim_string(ngx_http_request_t *r, json_t *claims,
    const char *name, ngx_str_t *value)
{
    json_t  *v;

    v = json_object_get(claims, name);

    if (!json_is_string(v)
        || json_string_length(v) > NGX_HTTP_DYNAMO_CLAIM_MAX)
    {
        ngx_str_null(value);
        return NGX_OK;
    }

    value->len = json_string_length(v);
    value->data = ngx_pnalloc(r->pool, value->len);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, json_string_value(v), value->len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_str_in(ngx_array_t *a, const char *s, size_t len)
{
    ngx_str_t   *v;
    ngx_uint_t   i;

    v = a->elts;

    for (i = 0; i < a->nelts; i++) {
        if (v[i].len == len && ngx_strncmp(v[i].data, s, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/* a pool cleanup: the JSON of a token's part, when one was decoded */

void
ngx_http_dynamo_jwt_json_cleanup(void *data)
{
    json_t  *json = data;

    if (json) {
        json_decref(json);
    }
}


static void
ngx_http_dynamo_pkey_cleanup(void *data)
{
    EVP_PKEY  *pkey = data;

    if (pkey) {
        EVP_PKEY_free(pkey);
    }
}
