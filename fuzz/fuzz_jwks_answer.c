
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * ngx_http_dynamo_jwks_answer(): an identity provider's JWKS answer, as
 * the fetch of dynamo_jwt_jwks reads it, with its log.
 *
 * Checked: a refused answer leaves no key and says why; an accepted one
 * has 1 to 64 keys, each an RSA or EC public key (never a secret: an IdP
 * does not choose HMAC) with an algorithm of its type, no two with one
 * kid; and the set as the zone keeps it reads again to the same keys,
 * none left out, as every worker reads it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_fuzz_http.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    ngx_fuzz_init();

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                 *copy;
    ngx_int_t               rc;
    ngx_str_t               uri, compact, again;
    ngx_uint_t              i, j, refused, left;
    ngx_pool_t             *pool;
    ngx_array_t            *keys, *keys2;
    ngx_http_dynamo_key_t  *key, *key2;
    u_char                  reason[1024];

    pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(pool != NULL, "pool");

    keys = ngx_array_create(pool, 4, sizeof(ngx_http_dynamo_key_t));
    keys2 = ngx_array_create(pool, 4, sizeof(ngx_http_dynamo_key_t));
    ngx_fuzz_assert(keys != NULL && keys2 != NULL, "arrays");

    /* the answer in a block of its own: a read past it is seen */

    copy = ngx_pnalloc(pool, size ? size : 1);
    ngx_fuzz_assert(copy != NULL, "copy");
    ngx_memcpy(copy, data, size);

    ngx_str_set(&uri, "/_jwks");
    reason[0] = '\0';

    rc = ngx_http_dynamo_jwks_answer(pool, ngx_fuzz_log(), 0, &uri, copy, size,
                                     keys, &compact, &refused, reason,
                                     sizeof(reason));

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED, "rc %d", (int) rc);

    if (rc == NGX_DECLINED) {
        ngx_fuzz_assert(keys->nelts == 0, "a refused answer left keys");
        ngx_fuzz_assert(reason[0] != '\0', "a refusal without a reason");
        ngx_destroy_pool(pool);
        return 0;
    }

    ngx_fuzz_assert(keys->nelts >= 1 && keys->nelts <= 64, "%d keys",
                    (int) keys->nelts);

    key = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        ngx_fuzz_assert(key[i].pkey != NULL, "a key without a public key");
        ngx_fuzz_assert(key[i].alg >= NGX_HTTP_DYNAMO_ALG_RS256
                        && key[i].alg <= NGX_HTTP_DYNAMO_ALG_ES512,
                        "key alg %d", (int) key[i].alg);

        for (j = i + 1; key[i].kid.len && j < keys->nelts; j++) {
            ngx_fuzz_assert(key[j].kid.len != key[i].kid.len
                            || ngx_memcmp(key[j].kid.data, key[i].kid.data,
                                          key[i].kid.len) != 0,
                            "two keys share a kid");
        }
    }

    /* what the zone keeps reads to the same keys, quietly */

    rc = ngx_http_dynamo_jwks_answer(pool, NULL, 1, &uri, compact.data,
                                     compact.len, keys2, &again, &left,
                                     reason, sizeof(reason));

    ngx_fuzz_assert(rc == NGX_OK, "the kept set does not read: %s", reason);
    ngx_fuzz_assert(left == 0 && keys2->nelts == keys->nelts,
                    "the kept set reads to %d keys, %d left out, not %d",
                    (int) keys2->nelts, (int) left, (int) keys->nelts);
    ngx_fuzz_assert(again.len == compact.len
                    && ngx_memcmp(again.data, compact.data, compact.len)
                       == 0, "the kept set is not kept as it is");

    key2 = keys2->elts;

    for (i = 0; i < keys->nelts; i++) {
        ngx_fuzz_assert(key2[i].alg == key[i].alg
                        && key2[i].kid.len == key[i].kid.len
                        && EVP_PKEY_eq(key2[i].pkey, key[i].pkey) == 1,
                        "key %d differs once kept", (int) i);
    }

    ngx_http_dynamo_jwks_free(keys);
    ngx_http_dynamo_jwks_free(keys2);
    ngx_destroy_pool(pool);

    return 0;
}
