
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The reader of an identity provider's JWKS answer (RFC 7517, 5), kept
 * apart from the fetching so that a fuzzer reads answers as the module
 * does.  Every key passes the checks of a key read from a file
 * (ngx_http_dynamo_jwk_key()); a key that fails them is left out and
 * named in the log, the others are used.  Keys for something else than
 * signatures (Keycloak lists its RSA-OAEP encryption keys with its
 * signing keys) are left out quietly.  Two keys with one kid are both
 * left out: which of them verifies would be left to their order.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo.h"

#include <jansson.h>
#include <openssl/evp.h>


#define NGX_HTTP_DYNAMO_JWKS_KEYS_MAX    64
#define NGX_HTTP_DYNAMO_JWKS_KID_SHOWN   64
#define NGX_HTTP_DYNAMO_JWKS_MESSAGE     1024


static ngx_int_t ngx_http_dynamo_jwks_desc(ngx_pool_t *pool, ngx_str_t *uri,
    json_t *jwk, ngx_uint_t index, ngx_str_t *desc);
static void ngx_http_dynamo_jwks_printable(u_char *p);


/* the members a kept key needs: the rest (x5c, x5t, ...) is not stored */

static const char  *ngx_http_dynamo_jwks_members[] = {
    "kty", "kid", "alg", "use", "n", "e", "crv", "x", "y", NULL
};


/*
 * Reads a JWKS answer.  NGX_OK: keys holds the usable keys (their pkeys
 * the caller frees with ngx_http_dynamo_jwks_free()), compact the same
 * keys as a JSON key set without what verification does not need, and
 * *refused the number of keys left out for failing the checks;
 * NGX_DECLINED: nothing usable, the reason in buf; NGX_ERROR: no memory.
 * With a log, each key left out is logged at "warn".  kept: the set as
 * the zone keeps it, whose keys were checked when it was fetched, and are
 * not again (OpenSSL's check of a hostile modulus is probabilistic: a
 * worker would not always read what the fetch accepted).
 */

ngx_int_t
ngx_http_dynamo_jwks_answer(ngx_pool_t *pool, ngx_log_t *log,
    ngx_uint_t kept, ngx_str_t *uri, u_char *data, size_t len,
    ngx_array_t *keys, ngx_str_t *compact, ngx_uint_t *refused, u_char *buf,
    size_t size)
{
    char                   *text;
    u_char                 *last;
    size_t                  i, j, n;
    json_t                 *root, *set, *jwk, *chosen, *out, *v;
    ngx_int_t               rc;
    ngx_str_t               desc;
    ngx_uint_t              k, m;
    json_error_t            err;
    ngx_http_dynamo_key_t  *key, *other;
    u_char                  msg[NGX_HTTP_DYNAMO_JWKS_MESSAGE];

    last = buf + size - 1;
    *refused = 0;
    rc = NGX_DECLINED;
    chosen = NULL;
    out = NULL;

    root = json_loadb((char *) data, len, JSON_REJECT_DUPLICATES, &err);

    if (root == NULL) {
        *ngx_slprintf(buf, last, "not JSON (line %d: %s)", err.line,
                      err.text) = '\0';
        ngx_http_dynamo_jwks_printable(buf);
        return NGX_DECLINED;
    }

    set = json_object_get(root, "keys");

    if (!json_is_array(set)) {
        *ngx_slprintf(buf, last, "no \"keys\" array") = '\0';
        goto done;
    }

    n = json_array_size(set);

    if (n > NGX_HTTP_DYNAMO_JWKS_KEYS_MAX) {
        *ngx_slprintf(buf, last, "%uz keys, more than %d",
                      n, NGX_HTTP_DYNAMO_JWKS_KEYS_MAX) = '\0';
        goto done;
    }

    chosen = json_array();
    if (chosen == NULL) {
        goto nomem;
    }

    for (i = 0; i < n; i++) {
        jwk = json_array_get(set, i);

        if (ngx_http_dynamo_jwks_desc(pool, uri, jwk, i + 1, &desc)
            != NGX_OK)
        {
            goto nomem;
        }

        key = ngx_array_push(keys);
        if (key == NULL) {
            goto nomem;
        }

        rc = ngx_http_dynamo_jwk_key(pool, jwk, NGX_HTTP_DYNAMO_ALG_UNSET,
                                     !kept, &desc, key, msg, sizeof(msg));

        if (rc == NGX_DECLINED) {
            keys->nelts--;
            continue;
        }

        if (rc != NGX_OK) {
            keys->nelts--;
            (*refused)++;

            if (log) {
                ngx_http_dynamo_jwks_printable(msg);
                ngx_log_error(NGX_LOG_WARN, log, 0, "%s, the key is left "
                              "out", msg);
            }

            continue;
        }

        key->source = *uri;

        /* what verification needs of the key, for the zone */

        v = json_object();
        if (v == NULL || json_array_append_new(chosen, v) != 0) {
            EVP_PKEY_free(key->pkey);
            keys->nelts--;
            goto nomem;
        }

        for (j = 0; ngx_http_dynamo_jwks_members[j]; j++) {
            if (json_object_set(v, ngx_http_dynamo_jwks_members[j],
                                json_object_get(jwk,
                                            ngx_http_dynamo_jwks_members[j]))
                != 0
                && json_object_get(jwk, ngx_http_dynamo_jwks_members[j]))
            {
                EVP_PKEY_free(key->pkey);
                keys->nelts--;
                goto nomem;
            }
        }
    }

    /* keys sharing a kid are all left out, and their JWKs with them */

    key = keys->elts;

    k = 0;

    while (k < keys->nelts) {
        if (key[k].kid.len == 0) {
            k++;
            continue;
        }

        for (m = k + 1; m < keys->nelts; m++) {
            other = &key[m];

            if (other->kid.len == key[k].kid.len
                && ngx_memcmp(other->kid.data, key[k].kid.data,
                              key[k].kid.len)
                   == 0)
            {
                break;
            }
        }

        if (m == keys->nelts) {
            k++;
            continue;
        }

        if (log) {
            ngx_memcpy(msg, key[k].kid.data,
                       ngx_min(key[k].kid.len,
                               NGX_HTTP_DYNAMO_JWKS_KID_SHOWN));
            msg[ngx_min(key[k].kid.len, NGX_HTTP_DYNAMO_JWKS_KID_SHOWN)] =
                '\0';
            ngx_http_dynamo_jwks_printable(msg);

            ngx_log_error(NGX_LOG_WARN, log, 0, "dynamo_jwt_jwks \"%V\": "
                          "keys share the kid \"%s\", all of them are left "
                          "out", uri, msg);
        }

        /* from the last: key[k], compared with, goes last */

        for (m = keys->nelts; m-- > k; /* void */) {
            if (key[m].kid.len != key[k].kid.len
                || ngx_memcmp(key[m].kid.data, key[k].kid.data,
                              key[k].kid.len)
                   != 0)
            {
                continue;
            }

            (*refused)++;
            EVP_PKEY_free(key[m].pkey);

            if (json_array_remove(chosen, m) != 0) {
                goto nomem;
            }

            ngx_memmove(&key[m], &key[m + 1],
                        (keys->nelts - m - 1) * sizeof(ngx_http_dynamo_key_t));
            keys->nelts--;
        }
    }

    if (keys->nelts == 0) {
        *ngx_slprintf(buf, last, "no usable key (%ui left out)",
                      *refused) = '\0';
        rc = NGX_DECLINED;
        goto done;
    }

    out = json_pack("{s:O}", "keys", chosen);
    text = (out != NULL) ? json_dumps(out, JSON_COMPACT) : NULL;

    if (text == NULL) {
        goto nomem;
    }

    compact->len = ngx_strlen(text);
    compact->data = ngx_pnalloc(pool, compact->len);

    if (compact->data == NULL) {
        free(text);
        goto nomem;
    }

    ngx_memcpy(compact->data, text, compact->len);
    free(text);

    rc = NGX_OK;
    goto done;

nomem:

    *ngx_slprintf(buf, last, "out of memory") = '\0';
    rc = NGX_ERROR;

done:

    if (rc != NGX_OK) {
        ngx_http_dynamo_jwks_free(keys);
    }

    json_decref(out);
    json_decref(chosen);
    json_decref(root);

    return rc;
}


/* frees the parsed keys of a key set */

void
ngx_http_dynamo_jwks_free(ngx_array_t *keys)
{
    ngx_uint_t              i;
    ngx_http_dynamo_key_t  *key;

    key = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        EVP_PKEY_free(key[i].pkey);
        key[i].pkey = NULL;
    }

    keys->nelts = 0;
}


/* how messages name a fetched key: by its kid, or its place in the set */

static ngx_int_t
ngx_http_dynamo_jwks_desc(ngx_pool_t *pool, ngx_str_t *uri, json_t *jwk,
    ngx_uint_t index, ngx_str_t *desc)
{
    u_char  *p;
    size_t   len;
    json_t  *v;

    v = json_object_get(jwk, "kid");

    len = sizeof("dynamo_jwt_jwks \"\": key \"...\"") - 1 + uri->len
          + NGX_HTTP_DYNAMO_JWKS_KID_SHOWN + NGX_INT_T_LEN;

    desc->data = ngx_pnalloc(pool, len);
    if (desc->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(desc->data, "dynamo_jwt_jwks \"%V\"", uri);

    if (json_is_string(v) && json_string_length(v)) {
        len = json_string_length(v);

        p = ngx_sprintf(p, ": key \"%*s%s\"",
                        ngx_min(len, NGX_HTTP_DYNAMO_JWKS_KID_SHOWN),
                        json_string_value(v),
                        len > NGX_HTTP_DYNAMO_JWKS_KID_SHOWN ? "..." : "");

    } else {
        p = ngx_sprintf(p, ": key #%ui", index);
    }

    desc->len = p - desc->data;

    return NGX_OK;
}


/* what the identity provider wrote goes to the log without control bytes */

static void
ngx_http_dynamo_jwks_printable(u_char *p)
{
    for ( /* void */ ; *p; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            *p = '?';
        }
    }
}
