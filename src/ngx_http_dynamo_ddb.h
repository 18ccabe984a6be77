
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * DynamoDB's JSON protocol: the operation table, and streaming readers of
 * request and response bodies built on the JSON tokenizer.  They allocate
 * nothing: every bound is a fixed buffer in the structs below, except the
 * statement buffer the caller provides.
 *
 * Operations:
 *
 *     op = ngx_http_dynamo_ddb_operation(&x_amz_target);
 *
 * takes the whole X-Amz-Target value ("DynamoDB_20120810.PutItem",
 * "DynamoDBStreams_20120810.GetRecords"), matched exactly; NULL when it
 * names no known operation.
 *
 * Requests:
 *
 *     ngx_http_dynamo_ddb_request_init(rq, op, mode, buf, size);
 *     for each piece: rc = ngx_http_dynamo_ddb_request_feed(rq, p, last);
 *     rc = ngx_http_dynamo_ddb_request_finish(rq);
 *
 * NGX_OK, or NGX_ERROR when the body is not one JSON object (or empty, or
 * cut short): rq->message then says why, in words fit for a
 * ValidationException, rq->error is the bare static reason and rq->offset
 * the byte offset.  Once an error is reported, further feeds only go on
 * keeping the FULL statement, and return NGX_ERROR.  After a successful
 * finish: rq->tables[0 .. ntables) (deduplicated, in order of first
 * appearance, pointing into rq; tables_overflow when some could not be kept
 * or found, in which case a policy naming tables must refuse), rq->items
 * (the items a write carries, one for each PartiQL INSERT, UPDATE or
 * DELETE), rq->statements (PartiQL statements),
 * rq->partiql_read / partiql_write (a SELECT or EXISTS / another
 * statement), rq->capacity_wanted (the body's own ReturnConsumedCapacity,
 * at its top level, is there and not "NONE": the answer will carry
 * ConsumedCapacity), and the statement for the activity record in
 * buf[0 .. rq->stmt_len):
 *
 *   OFF   nothing;
 *   FULL  the body as received, cut at a UTF-8 boundary, stmt_total the
 *         body's length;
 *   KEYS  the body re-rendered as compact JSON with every object key kept
 *         and the values masked as "?", except the scalars of structural
 *         members (TableName, IndexName, expressions, ...), the attribute
 *         names of ExpressionAttributeNames, AttributesToGet and
 *         NonKeyAttributes, and PartiQL statements with their literals
 *         replaced by ?; a kept value longer than the tokenizer's value
 *         buffer ends in "...".
 *
 * In both FULL and KEYS, stmt_truncated says that size was too small; the
 * text then ends early (never inside a UTF-8 character), need not be valid
 * JSON, and the caller should append a visible marker.  The statement is
 * JSON text: embed it in a JSON string with escaping.
 *
 * Responses (observed only, never altered; op may be NULL):
 *
 *     ngx_http_dynamo_ddb_response_init(rs, op, rq->items);
 *     for each piece: ngx_http_dynamo_ddb_response_feed(rs, p, last);
 *     ngx_http_dynamo_ddb_response_finish(rs);
 *
 * Both return NGX_ERROR for an answer that is not one JSON object; the
 * reader keeps what it found before, and further feeds are ignored.
 * rs->records is valid when rs->records_set; rs->type / rs->message hold
 * an error answer's __type and message; rs->capacity holds the raw
 * ConsumedCapacity when it fitted (capacity_overflow otherwise).
 */


#ifndef _NGX_HTTP_DYNAMO_DDB_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_DDB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"


#define NGX_HTTP_DYNAMO_DDB_TABLES_MAX       128
#define NGX_HTTP_DYNAMO_DDB_NAMES_SIZE       8192
#define NGX_HTTP_DYNAMO_DDB_REASON_MAX       160
#define NGX_HTTP_DYNAMO_DDB_TYPE_MAX         256
#define NGX_HTTP_DYNAMO_DDB_MESSAGE_MAX      512
#define NGX_HTTP_DYNAMO_DDB_CAPACITY_MAX     1024


/* operation flags */

#define NGX_HTTP_DYNAMO_DDB_READ             0x0001
#define NGX_HTTP_DYNAMO_DDB_WRITE            0x0002
#define NGX_HTTP_DYNAMO_DDB_ADMIN            0x0004
#define NGX_HTTP_DYNAMO_DDB_BATCH            0x0008
#define NGX_HTTP_DYNAMO_DDB_TRANSACTION      0x0010
#define NGX_HTTP_DYNAMO_DDB_PARTIQL          0x0020
#define NGX_HTTP_DYNAMO_DDB_STREAMS          0x0040


/* dynamo_activity_log_statement */

#define NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF    0
#define NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL   1
#define NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS   2


typedef enum {
    NGX_HTTP_DYNAMO_OP_UNKNOWN = 0,
    NGX_HTTP_DYNAMO_OP_BATCH_EXECUTE_STATEMENT,
    NGX_HTTP_DYNAMO_OP_BATCH_GET_ITEM,
    NGX_HTTP_DYNAMO_OP_BATCH_WRITE_ITEM,
    NGX_HTTP_DYNAMO_OP_CREATE_BACKUP,
    NGX_HTTP_DYNAMO_OP_CREATE_GLOBAL_TABLE,
    NGX_HTTP_DYNAMO_OP_CREATE_TABLE,
    NGX_HTTP_DYNAMO_OP_DELETE_BACKUP,
    NGX_HTTP_DYNAMO_OP_DELETE_ITEM,
    NGX_HTTP_DYNAMO_OP_DELETE_RESOURCE_POLICY,
    NGX_HTTP_DYNAMO_OP_DELETE_TABLE,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_BACKUP,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_CONTINUOUS_BACKUPS,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_CONTRIBUTOR_INSIGHTS,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_ENDPOINTS,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_EXPORT,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_GLOBAL_TABLE,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_GLOBAL_TABLE_SETTINGS,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_IMPORT,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_KINESIS_STREAMING_DESTINATION,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_LIMITS,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_STREAM,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_TABLE,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_TABLE_REPLICA_AUTO_SCALING,
    NGX_HTTP_DYNAMO_OP_DESCRIBE_TIME_TO_LIVE,
    NGX_HTTP_DYNAMO_OP_DISABLE_KINESIS_STREAMING_DESTINATION,
    NGX_HTTP_DYNAMO_OP_ENABLE_KINESIS_STREAMING_DESTINATION,
    NGX_HTTP_DYNAMO_OP_EXECUTE_STATEMENT,
    NGX_HTTP_DYNAMO_OP_EXECUTE_TRANSACTION,
    NGX_HTTP_DYNAMO_OP_EXPORT_TABLE_TO_POINT_IN_TIME,
    NGX_HTTP_DYNAMO_OP_GET_ITEM,
    NGX_HTTP_DYNAMO_OP_GET_RECORDS,
    NGX_HTTP_DYNAMO_OP_GET_RESOURCE_POLICY,
    NGX_HTTP_DYNAMO_OP_GET_SHARD_ITERATOR,
    NGX_HTTP_DYNAMO_OP_IMPORT_TABLE,
    NGX_HTTP_DYNAMO_OP_LIST_BACKUPS,
    NGX_HTTP_DYNAMO_OP_LIST_CONTRIBUTOR_INSIGHTS,
    NGX_HTTP_DYNAMO_OP_LIST_EXPORTS,
    NGX_HTTP_DYNAMO_OP_LIST_GLOBAL_TABLES,
    NGX_HTTP_DYNAMO_OP_LIST_IMPORTS,
    NGX_HTTP_DYNAMO_OP_LIST_STREAMS,
    NGX_HTTP_DYNAMO_OP_LIST_TABLES,
    NGX_HTTP_DYNAMO_OP_LIST_TAGS_OF_RESOURCE,
    NGX_HTTP_DYNAMO_OP_PUT_ITEM,
    NGX_HTTP_DYNAMO_OP_PUT_RESOURCE_POLICY,
    NGX_HTTP_DYNAMO_OP_QUERY,
    NGX_HTTP_DYNAMO_OP_RESTORE_TABLE_FROM_BACKUP,
    NGX_HTTP_DYNAMO_OP_RESTORE_TABLE_TO_POINT_IN_TIME,
    NGX_HTTP_DYNAMO_OP_SCAN,
    NGX_HTTP_DYNAMO_OP_TAG_RESOURCE,
    NGX_HTTP_DYNAMO_OP_TRANSACT_GET_ITEMS,
    NGX_HTTP_DYNAMO_OP_TRANSACT_WRITE_ITEMS,
    NGX_HTTP_DYNAMO_OP_UNTAG_RESOURCE,
    NGX_HTTP_DYNAMO_OP_UPDATE_CONTINUOUS_BACKUPS,
    NGX_HTTP_DYNAMO_OP_UPDATE_CONTRIBUTOR_INSIGHTS,
    NGX_HTTP_DYNAMO_OP_UPDATE_GLOBAL_TABLE,
    NGX_HTTP_DYNAMO_OP_UPDATE_GLOBAL_TABLE_SETTINGS,
    NGX_HTTP_DYNAMO_OP_UPDATE_ITEM,
    NGX_HTTP_DYNAMO_OP_UPDATE_KINESIS_STREAMING_DESTINATION,
    NGX_HTTP_DYNAMO_OP_UPDATE_TABLE,
    NGX_HTTP_DYNAMO_OP_UPDATE_TABLE_REPLICA_AUTO_SCALING,
    NGX_HTTP_DYNAMO_OP_UPDATE_TIME_TO_LIVE,
    NGX_HTTP_DYNAMO_OP_MAX
} ngx_http_dynamo_ddb_op_e;


typedef struct {
    ngx_str_t                        name;       /* "PutItem" */
    ngx_str_t                        type;       /* "PUT_ITEM" */
    ngx_uint_t                       id;         /* ngx_http_dynamo_ddb_op_e */
    ngx_uint_t                       flags;
} ngx_http_dynamo_ddb_op_t;


typedef struct {
    ngx_http_dynamo_json_t           json;
    ngx_http_dynamo_ddb_op_t        *op;
    ngx_uint_t                       mode;

    u_char                          *stmt;
    size_t                           stmt_max;
    size_t                           stmt_len;
    off_t                            stmt_total; /* FULL: the body length */

    unsigned                         stmt_truncated:1;
    unsigned                         tables_overflow:1;
    unsigned                         partiql_read:1;   /* a SELECT */
    unsigned                         partiql_write:1;  /* other statements */
    unsigned                         capacity_wanted:1;

    /* private */
    unsigned                         render:1;
    unsigned                         failed:1;

    ngx_uint_t                       items;
    ngx_uint_t                       statements;

    ngx_uint_t                       ntables;

    const char                      *error;
    off_t                            offset;
    ngx_str_t                        message;

    /* private */
    size_t                           names_len;

    /* from here on not cleared: only what ntables and depth say is read */

    ngx_str_t                        tables[NGX_HTTP_DYNAMO_DDB_TABLES_MAX];
    u_char                           ctx[NGX_HTTP_DYNAMO_JSON_MAX_DEPTH + 1];
    u_char                           key[NGX_HTTP_DYNAMO_JSON_MAX_DEPTH + 1];
    u_char                           reason[NGX_HTTP_DYNAMO_DDB_REASON_MAX];
    u_char                           names[NGX_HTTP_DYNAMO_DDB_NAMES_SIZE];
} ngx_http_dynamo_ddb_request_t;


typedef struct {
    ngx_http_dynamo_json_t           json;
    ngx_http_dynamo_ddb_op_t        *op;
    ngx_uint_t                       request_items;

    ngx_uint_t                       records;

    unsigned                         records_set:1;
    unsigned                         capacity_overflow:1;

    /* private */
    unsigned                         item:1;
    unsigned                         capacity_pending:1;
    unsigned                         failed:1;

    ngx_uint_t                       counted;
    ngx_uint_t                       unprocessed;
    ngx_uint_t                       entries;    /* Responses[*] */
    ngx_uint_t                       refused;    /* Responses[*].Error */

    const char                      *error;
    off_t                            offset;

    size_t                           type_len;
    size_t                           message_len;
    size_t                           capacity_len;

    u_char                           key1;       /* private */

    /* from here on not cleared: read as far as the lengths say */

    u_char                           type[NGX_HTTP_DYNAMO_DDB_TYPE_MAX];
    u_char                           message[NGX_HTTP_DYNAMO_DDB_MESSAGE_MAX];
    u_char                           capacity[
                                         NGX_HTTP_DYNAMO_DDB_CAPACITY_MAX];
} ngx_http_dynamo_ddb_response_t;


ngx_http_dynamo_ddb_op_t *ngx_http_dynamo_ddb_operation(ngx_str_t *target);
ngx_int_t ngx_http_dynamo_ddb_table_from_arn(ngx_str_t *arn,
    ngx_str_t *name);
void ngx_http_dynamo_ddb_error_name(u_char *type, size_t len,
    ngx_str_t *name);

void ngx_http_dynamo_ddb_request_init(ngx_http_dynamo_ddb_request_t *rq,
    ngx_http_dynamo_ddb_op_t *op, ngx_uint_t mode, u_char *stmt_buf,
    size_t stmt_max);
ngx_int_t ngx_http_dynamo_ddb_request_feed(ngx_http_dynamo_ddb_request_t *rq,
    u_char *p, u_char *last);
ngx_int_t ngx_http_dynamo_ddb_request_finish(
    ngx_http_dynamo_ddb_request_t *rq);

void ngx_http_dynamo_ddb_response_init(ngx_http_dynamo_ddb_response_t *rs,
    ngx_http_dynamo_ddb_op_t *op, ngx_uint_t request_items);
ngx_int_t ngx_http_dynamo_ddb_response_feed(
    ngx_http_dynamo_ddb_response_t *rs, u_char *p, u_char *last);
ngx_int_t ngx_http_dynamo_ddb_response_finish(
    ngx_http_dynamo_ddb_response_t *rs);


#endif /* _NGX_HTTP_DYNAMO_DDB_H_INCLUDED_ */
