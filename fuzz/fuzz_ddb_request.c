
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The DynamoDB request reader (ngx_http_dynamo_ddb.c on the tokenizer of
 * ngx_http_dynamo_json.c), for every operation and statement mode.
 *
 * Input: three bytes of settings, the X-Amz-Target on a line
 * ("PutItem" stands for "DynamoDB_20120810.PutItem"; a value with a dot
 * is taken as it is, an unknown one reads with no operation), the body.
 *
 *   byte 0  bits 0-1  the statement mode: OFF, FULL, KEYS, KEYS
 *           bits 2-5  the statement buffer: 0, 1, 2, 3, 5, 8, 16, 32, 64,
 *                     128, 256, 512, 1024, 4096, 8192 or 65536 bytes
 *   byte 1, 2         where the body is cut in two: (n mod length + 1)
 *
 * The body is fed whole, in two pieces, and byte by byte when short (each
 * piece in a buffer of its exact size, the statement buffer too): the
 * results must be the same.  Checked besides: tables within bounds,
 * distinct, not empty; FULL keeps a prefix of the body cut at a UTF-8
 * boundary; KEYS writes valid JSON when it was not truncated; a refusal
 * has a message and an offset within the body.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"
#include "ngx_http_dynamo_ddb.h"
#include "ngx_fuzz.h"
#include "ngx_fuzz_ddb.h"

#include <jansson.h>


static size_t  fuzz_sizes[] = {
    0, 1, 2, 3, 5, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 8192, 65536
};


typedef struct {
    ngx_int_t                        rc;
    ngx_http_dynamo_ddb_request_t   *rq;
    u_char                          *stmt;
} fuzz_result_t;


static ngx_int_t
fuzz_feed(ngx_http_dynamo_ddb_request_t *rq, const uint8_t *p, size_t len)
{
    u_char     *copy;
    ngx_int_t   rc;

    copy = ngx_fuzz_copy(p, len);

    rc = ngx_http_dynamo_ddb_request_feed(rq, copy, copy + len);

    free(copy);

    return rc;
}


/* like a body filter: every piece is fed, whatever the reader said */

static void
fuzz_run(ngx_http_dynamo_ddb_op_t *op, ngx_uint_t mode, size_t max,
    const uint8_t *body, size_t len, size_t split, fuzz_result_t *res)
{
    size_t      i;
    ngx_int_t   rc, frc;

    res->rq = malloc(sizeof(ngx_http_dynamo_ddb_request_t));
    res->stmt = malloc(max ? max : 1);
    ngx_fuzz_assert(res->rq && res->stmt, "malloc");

    ngx_http_dynamo_ddb_request_init(res->rq, op, mode, res->stmt, max);

    rc = NGX_OK;

    if (split == 1) {
        for (i = 0; i < len; i++) {
            frc = fuzz_feed(res->rq, body + i, 1);
            rc = (rc == NGX_OK) ? frc : rc;
        }

    } else {
        split = (split == 0) ? len : split - 2;

        frc = fuzz_feed(res->rq, body, split);
        rc = frc;

        frc = fuzz_feed(res->rq, body + split, len - split);
        rc = (rc == NGX_OK) ? frc : rc;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_ddb_request_finish(res->rq);
    }

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_ERROR, "answered %ld",
                    (long) rc);

    res->rc = rc;
}


static void
fuzz_free(fuzz_result_t *res)
{
    free(res->rq);
    free(res->stmt);
}


static void
fuzz_same(fuzz_result_t *a, fuzz_result_t *b, const char *how)
{
    ngx_uint_t                      i;
    ngx_http_dynamo_ddb_request_t  *x, *y;

    x = a->rq;
    y = b->rq;

    ngx_fuzz_assert(a->rc == b->rc, "fed %s: %ld, whole: %ld", how,
                    (long) b->rc, (long) a->rc);

    ngx_fuzz_assert(x->stmt_len == y->stmt_len
                    && x->stmt_truncated == y->stmt_truncated
                    && x->stmt_total == y->stmt_total
                    && (x->stmt_len == 0
                        || ngx_memcmp(a->stmt, b->stmt, x->stmt_len) == 0),
                    "fed %s: statement \"%.*s\", whole: \"%.*s\"", how,
                    (int) y->stmt_len, b->stmt, (int) x->stmt_len, a->stmt);

    if (a->rc != NGX_OK) {
        ngx_fuzz_assert(x->offset == y->offset
                        && x->message.len == y->message.len
                        && ngx_memcmp(x->message.data, y->message.data,
                                      x->message.len) == 0,
                        "fed %s: \"%.*s\" at %lld, whole: \"%.*s\" at %lld",
                        how, (int) y->message.len, y->message.data,
                        (long long) y->offset, (int) x->message.len,
                        x->message.data, (long long) x->offset);
        return;
    }

    ngx_fuzz_assert(x->ntables == y->ntables
                    && x->tables_overflow == y->tables_overflow
                    && x->items == y->items
                    && x->statements == y->statements
                    && x->partiql_read == y->partiql_read
                    && x->partiql_write == y->partiql_write
                    && x->capacity_wanted == y->capacity_wanted,
                    "fed %s: %lu tables, %lu items, %lu statements, "
                    "capacity %u; whole: %lu, %lu, %lu, %u", how,
                    (unsigned long) y->ntables, (unsigned long) y->items,
                    (unsigned long) y->statements, y->capacity_wanted,
                    (unsigned long) x->ntables, (unsigned long) x->items,
                    (unsigned long) x->statements, x->capacity_wanted);

    for (i = 0; i < x->ntables; i++) {
        ngx_fuzz_assert(x->tables[i].len == y->tables[i].len
                        && ngx_memcmp(x->tables[i].data, y->tables[i].data,
                                      x->tables[i].len) == 0,
                        "fed %s: table %lu is \"%.*s\", whole: \"%.*s\"",
                        how, (unsigned long) i, (int) y->tables[i].len,
                        y->tables[i].data, (int) x->tables[i].len,
                        x->tables[i].data);
    }
}


static void
fuzz_check(fuzz_result_t *res, ngx_uint_t mode, size_t max,
    const uint8_t *body, size_t len)
{
    json_t                         *j;
    ngx_uint_t                      i, k;
    json_error_t                    err;
    ngx_http_dynamo_ddb_request_t  *rq;

    rq = res->rq;

    ngx_fuzz_assert(rq->stmt_len <= max, "a statement of %zu bytes in %zu",
                    rq->stmt_len, max);

    if (mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF) {
        ngx_fuzz_assert(rq->stmt_len == 0, "a statement with mode OFF");
    }

    if (mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL) {
        ngx_fuzz_assert(rq->stmt_len <= len
                        && (rq->stmt_len == 0
                            || ngx_memcmp(res->stmt, body, rq->stmt_len)
                               == 0),
                        "FULL: the statement is not the body's start");

        ngx_fuzz_assert(rq->stmt_truncated || rq->stmt_len == len,
                        "FULL: %zu bytes of %zu kept, not truncated",
                        rq->stmt_len, len);

        ngx_fuzz_assert(rq->stmt_total == (off_t) len,
                        "FULL: a total of %lld for %zu bytes",
                        (long long) rq->stmt_total, len);

        if (res->rc == NGX_OK && rq->stmt_len < len) {
            ngx_fuzz_assert((body[rq->stmt_len] & 0xc0) != 0x80,
                            "FULL: cut inside a UTF-8 character");
        }
    }

    if (res->rc != NGX_OK) {
        ngx_fuzz_assert(rq->message.len > 0 && rq->error != NULL,
                        "a refusal without a message");
        ngx_fuzz_assert(rq->offset >= 0 && rq->offset <= (off_t) len,
                        "a refusal at offset %lld of %zu",
                        (long long) rq->offset, len);
        return;
    }

    ngx_fuzz_assert(rq->ntables <= NGX_HTTP_DYNAMO_DDB_TABLES_MAX,
                    "%lu tables", (unsigned long) rq->ntables);

    for (i = 0; i < rq->ntables; i++) {
        ngx_fuzz_assert(rq->tables[i].len > 0, "an empty table name");

        for (k = 0; k < i; k++) {
            ngx_fuzz_assert(rq->tables[i].len != rq->tables[k].len
                            || ngx_memcmp(rq->tables[i].data,
                                          rq->tables[k].data,
                                          rq->tables[i].len) != 0,
                            "table \"%.*s\" twice", (int) rq->tables[i].len,
                            rq->tables[i].data);
        }
    }

    if (mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS && !rq->stmt_truncated) {
        j = json_loadb((const char *) res->stmt, rq->stmt_len,
                       JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &err);

        /* jansson cannot hold a key with "\u0000" in it, JSON can */

        ngx_fuzz_assert(j != NULL || strstr(err.text, "overflow") != NULL
                        || strstr(err.text, "NUL byte in object key")
                           != NULL,
                        "KEYS: the statement is not valid JSON (%s, column "
                        "%d): %.*s", err.text, err.column,
                        (int) rq->stmt_len, res->stmt);

        json_decref(j);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                     max, split;
    const uint8_t             *body;
    ngx_uint_t                 mode;
    fuzz_result_t              whole, cut, bytes;
    ngx_fuzz_ddb_input_t       in;
    ngx_http_dynamo_ddb_op_t  *op;

    if (ngx_fuzz_ddb_input(data, size, &in) != NGX_OK) {
        return -1;
    }

    mode = in.settings & 3;
    mode = (mode == 3) ? NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS : mode;
    max = fuzz_sizes[(in.settings >> 2) & 15];

    op = in.op;
    body = in.body;
    size = in.len;
    split = in.split;

    fuzz_run(op, mode, max, body, size, 0, &whole);
    fuzz_check(&whole, mode, max, body, size);

    fuzz_run(op, mode, max, body, size, split + 2, &cut);
    fuzz_same(&whole, &cut, "in two pieces");
    fuzz_free(&cut);

    if (size <= 128) {
        fuzz_run(op, mode, max, body, size, 1, &bytes);
        fuzz_same(&whole, &bytes, "byte by byte");
        fuzz_free(&bytes);
    }

    fuzz_free(&whole);

    return 0;
}
