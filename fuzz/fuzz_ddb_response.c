
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The DynamoDB response reader (ngx_http_dynamo_ddb.c on the tokenizer of
 * ngx_http_dynamo_json.c), for every operation and none.
 *
 * Input: three bytes of settings, the X-Amz-Target on a line (as
 * fuzz_ddb_request takes it), the answer's body.
 *
 *   byte 0     the number of items the request carried
 *   byte 1, 2  where the body is cut in two: (n mod length + 1)
 *
 * The body is fed whole, in two pieces, and byte by byte when short:
 * what the reader found (records, error type and message, consumed
 * capacity) must be the same, and within its bounds.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"
#include "ngx_http_dynamo_ddb.h"
#include "ngx_fuzz.h"
#include "ngx_fuzz_ddb.h"


typedef struct {
    ngx_int_t                         rc;
    ngx_http_dynamo_ddb_response_t   *rs;
} fuzz_result_t;


static void
fuzz_feed(ngx_http_dynamo_ddb_response_t *rs, const uint8_t *p, size_t len,
    ngx_int_t *rc)
{
    u_char     *copy;
    ngx_int_t   frc;

    copy = ngx_fuzz_copy(p, len);

    frc = ngx_http_dynamo_ddb_response_feed(rs, copy, copy + len);

    ngx_fuzz_assert(frc == NGX_OK || frc == NGX_ERROR, "feed() answered %ld",
                    (long) frc);

    *rc = (*rc == NGX_OK) ? frc : *rc;

    free(copy);
}


static void
fuzz_run(ngx_http_dynamo_ddb_op_t *op, ngx_uint_t items, const uint8_t *body,
    size_t len, size_t split, fuzz_result_t *res)
{
    size_t      i;
    ngx_int_t   rc;

    res->rs = malloc(sizeof(ngx_http_dynamo_ddb_response_t));
    ngx_fuzz_assert(res->rs != NULL, "malloc");

    ngx_http_dynamo_ddb_response_init(res->rs, op, items);

    rc = NGX_OK;

    if (split == 1) {
        for (i = 0; i < len; i++) {
            fuzz_feed(res->rs, body + i, 1, &rc);
        }

    } else {
        split = (split == 0) ? len : split - 2;

        fuzz_feed(res->rs, body, split, &rc);
        fuzz_feed(res->rs, body + split, len - split, &rc);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_ddb_response_finish(res->rs);
    }

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_ERROR, "finish() answered %ld",
                    (long) rc);

    res->rc = rc;

    ngx_fuzz_assert(res->rs->type_len <= NGX_HTTP_DYNAMO_DDB_TYPE_MAX
                    && res->rs->message_len <= NGX_HTTP_DYNAMO_DDB_MESSAGE_MAX
                    && res->rs->capacity_len
                       <= NGX_HTTP_DYNAMO_DDB_CAPACITY_MAX,
                    "type %zu, message %zu, capacity %zu bytes",
                    res->rs->type_len, res->rs->message_len,
                    res->rs->capacity_len);
}


static void
fuzz_same(fuzz_result_t *a, fuzz_result_t *b, const char *how)
{
    ngx_http_dynamo_ddb_response_t  *x, *y;

    x = a->rs;
    y = b->rs;

    ngx_fuzz_assert(a->rc == b->rc, "fed %s: %ld, whole: %ld", how,
                    (long) b->rc, (long) a->rc);

    ngx_fuzz_assert(x->records_set == y->records_set
                    && (!x->records_set || x->records == y->records),
                    "fed %s: %lu records (set %u), whole: %lu (set %u)", how,
                    (unsigned long) y->records, (unsigned) y->records_set,
                    (unsigned long) x->records, (unsigned) x->records_set);

    ngx_fuzz_assert(x->type_len == y->type_len
                    && ngx_memcmp(x->type, y->type, x->type_len) == 0
                    && x->message_len == y->message_len
                    && ngx_memcmp(x->message, y->message, x->message_len)
                       == 0,
                    "fed %s: error \"%.*s\" \"%.*s\", whole: \"%.*s\" "
                    "\"%.*s\"", how, (int) y->type_len, y->type,
                    (int) y->message_len, y->message, (int) x->type_len,
                    x->type, (int) x->message_len, x->message);

    ngx_fuzz_assert(x->capacity_overflow == y->capacity_overflow
                    && x->capacity_len == y->capacity_len
                    && ngx_memcmp(x->capacity, y->capacity, x->capacity_len)
                       == 0,
                    "fed %s: capacity \"%.*s\", whole: \"%.*s\"", how,
                    (int) y->capacity_len, y->capacity,
                    (int) x->capacity_len, x->capacity);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                     split;
    const uint8_t             *body;
    ngx_uint_t                 items;
    fuzz_result_t              whole, cut, bytes;
    ngx_fuzz_ddb_input_t       in;
    ngx_http_dynamo_ddb_op_t  *op;

    if (ngx_fuzz_ddb_input(data, size, &in) != NGX_OK) {
        return -1;
    }

    items = in.settings;
    op = in.op;
    body = in.body;
    size = in.len;
    split = in.split;

    fuzz_run(op, items, body, size, 0, &whole);

    fuzz_run(op, items, body, size, split + 2, &cut);
    fuzz_same(&whole, &cut, "in two pieces");
    free(cut.rs);

    if (size <= 128) {
        fuzz_run(op, items, body, size, 1, &bytes);
        fuzz_same(&whole, &bytes, "byte by byte");
        free(bytes.rs);
    }

    free(whole.rs);

    return 0;
}
