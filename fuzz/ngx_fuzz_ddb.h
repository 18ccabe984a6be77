
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * What the two DynamoDB harnesses share: the operation named by an input's
 * first line.
 */


#ifndef _NGX_FUZZ_DDB_H_INCLUDED_
#define _NGX_FUZZ_DDB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"
#include "ngx_http_dynamo_ddb.h"


/* the longest X-Amz-Target a harness reads from its input */
#define NGX_FUZZ_TARGET_MAX  128


/*
 * An input of either harness: three bytes of settings, the X-Amz-Target
 * on a line, the body; "split" is bytes 1 and 2, already reduced to
 * 0 .. body length
 */

typedef struct {
    u_char                     settings;
    size_t                     split;
    ngx_http_dynamo_ddb_op_t  *op;
    const uint8_t             *body;
    size_t                     len;
} ngx_fuzz_ddb_input_t;


ngx_int_t ngx_fuzz_ddb_input(const uint8_t *data, size_t size,
    ngx_fuzz_ddb_input_t *in);
ngx_http_dynamo_ddb_op_t *ngx_fuzz_ddb_operation(const uint8_t *p,
    size_t len);


#endif /* _NGX_FUZZ_DDB_H_INCLUDED_ */
