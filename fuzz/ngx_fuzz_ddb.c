
/*
 * Copyright (C) The ngx_dynamo authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_fuzz.h"
#include "ngx_fuzz_ddb.h"


#define NGX_FUZZ_TARGET_PREFIX  "DynamoDB_20120810."


/* NGX_DECLINED for an input too short or with no target line */

ngx_int_t
ngx_fuzz_ddb_input(const uint8_t *data, size_t size,
    ngx_fuzz_ddb_input_t *in)
{
    const uint8_t  *nl;

    if (size < 3) {
        return NGX_DECLINED;
    }

    in->settings = data[0];
    in->split = (size_t) data[1] | (size_t) data[2] << 8;

    data += 3;
    size -= 3;

    nl = memchr(data, '\n', ngx_min(size, NGX_FUZZ_TARGET_MAX + 1));

    if (nl == NULL) {
        return NGX_DECLINED;
    }

    in->op = ngx_fuzz_ddb_operation(data, nl - data);
    in->body = nl + 1;
    in->len = data + size - in->body;
    in->split %= in->len + 1;

    return NGX_OK;
}


/*
 * The operation of an X-Amz-Target: "PutItem" stands for
 * "DynamoDB_20120810.PutItem", a value with a dot is taken as it is.
 * Looked up in a copy of its exact size; an operation found must be
 * named by the target's last part.
 */

ngx_http_dynamo_ddb_op_t *
ngx_fuzz_ddb_operation(const uint8_t *p, size_t len)
{
    u_char                     buf[NGX_FUZZ_TARGET_MAX
                                   + sizeof(NGX_FUZZ_TARGET_PREFIX)];
    size_t                     n;
    ngx_str_t                  target;
    ngx_http_dynamo_ddb_op_t  *op;

    if (len > NGX_FUZZ_TARGET_MAX) {
        return NULL;
    }

    if (memchr(p, '.', len) == NULL) {
        n = sizeof(NGX_FUZZ_TARGET_PREFIX) - 1;
        ngx_memcpy(buf, NGX_FUZZ_TARGET_PREFIX, n);
        ngx_memcpy(buf + n, p, len);
        target.data = ngx_fuzz_copy(buf, n + len);
        target.len = n + len;

    } else {
        target.data = ngx_fuzz_copy(p, len);
        target.len = len;
    }

    op = ngx_http_dynamo_ddb_operation(&target);

    if (op != NULL) {
        ngx_fuzz_assert(op->id > NGX_HTTP_DYNAMO_OP_UNKNOWN
                        && op->id < NGX_HTTP_DYNAMO_OP_MAX,
                        "operation id %lu", (unsigned long) op->id);

        ngx_fuzz_assert(target.len > op->name.len
                        && ngx_memcmp(target.data + target.len
                                      - op->name.len, op->name.data,
                                      op->name.len) == 0
                        && target.data[target.len - op->name.len - 1] == '.',
                        "\"%.*s\" is the operation %.*s", (int) target.len,
                        target.data, (int) op->name.len, op->name.data);
    }

    free(target.data);

    return op;
}
