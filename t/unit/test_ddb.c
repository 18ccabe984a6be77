
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Unit tests of the DynamoDB operation table and the request and response
 * readers.  Every body is fed whole, byte by byte and (when short) in two
 * pieces at every split point; the results must be the same.
 *
 *     test_ddb          run the tests
 *     test_ddb bench    measure the request reader on a 1 MB body
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"
#include "ngx_http_dynamo_ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static ngx_uint_t  checks;


#define check(cond, ...)                                                     \
    do {                                                                      \
        checks++;                                                             \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n    ", __FILE__,        \
                    __LINE__, #cond);                                         \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            exit(1);                                                          \
        }                                                                     \
    } while (0)


#define STMT_MAX  8192


static ngx_http_dynamo_ddb_op_t *
op_named(const char *name)
{
    char       buf[128];
    ngx_str_t  target;

    if (name == NULL) {
        return NULL;
    }

    snprintf(buf, sizeof(buf), "DynamoDB_20120810.%s", name);

    target.data = (u_char *) buf;
    target.len = strlen(buf);

    return ngx_http_dynamo_ddb_operation(&target);
}


static ngx_http_dynamo_ddb_op_t *
op_target(const char *target)
{
    ngx_str_t  s;

    s.data = (u_char *) target;
    s.len = strlen(target);

    return ngx_http_dynamo_ddb_operation(&s);
}


static const char  *ops_ddb[] = {
    "BatchExecuteStatement", "BatchGetItem", "BatchWriteItem",
    "CreateBackup", "CreateGlobalTable", "CreateTable", "DeleteBackup",
    "DeleteItem", "DeleteResourcePolicy", "DeleteTable", "DescribeBackup",
    "DescribeContinuousBackups", "DescribeContributorInsights",
    "DescribeEndpoints", "DescribeExport", "DescribeGlobalTable",
    "DescribeGlobalTableSettings", "DescribeImport",
    "DescribeKinesisStreamingDestination", "DescribeLimits",
    "DescribeTable", "DescribeTableReplicaAutoScaling",
    "DescribeTimeToLive", "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination", "ExecuteStatement",
    "ExecuteTransaction", "ExportTableToPointInTime", "GetItem",
    "GetResourcePolicy", "ImportTable", "ListBackups",
    "ListContributorInsights", "ListExports", "ListGlobalTables",
    "ListImports", "ListTables", "ListTagsOfResource", "PutItem",
    "PutResourcePolicy", "Query", "RestoreTableFromBackup",
    "RestoreTableToPointInTime", "Scan", "TagResource", "TransactGetItems",
    "TransactWriteItems", "UntagResource", "UpdateContinuousBackups",
    "UpdateContributorInsights", "UpdateGlobalTable",
    "UpdateGlobalTableSettings", "UpdateItem",
    "UpdateKinesisStreamingDestination", "UpdateTable",
    "UpdateTableReplicaAutoScaling", "UpdateTimeToLive", NULL
};


static const char  *ops_streams[] = {
    "DescribeStream", "GetRecords", "GetShardIterator", "ListStreams", NULL
};


static void
snake(const char *name, char *out)
{
    const char  *p;

    for (p = name; *p; p++) {
        if (p != name && *p >= 'A' && *p <= 'Z') {
            *out++ = '_';
        }

        *out++ = (*p >= 'a' && *p <= 'z') ? *p - 'a' + 'A' : *p;
    }

    *out = '\0';
}


static void
test_operations(void)
{
    char                       buf[128], type[128];
    ngx_uint_t                 i, ids[128], n, j;
    ngx_http_dynamo_ddb_op_t  *op;

    n = 0;

    for (i = 0; ops_ddb[i]; i++) {
        op = op_named(ops_ddb[i]);

        check(op != NULL, "operation %s unknown", ops_ddb[i]);
        check(op->name.len == strlen(ops_ddb[i])
              && memcmp(op->name.data, ops_ddb[i], op->name.len) == 0,
              "operation %s: name %.*s", ops_ddb[i], (int) op->name.len,
              op->name.data);

        snake(ops_ddb[i], type);
        check(op->type.len == strlen(type)
              && memcmp(op->type.data, type, op->type.len) == 0,
              "operation %s: type %.*s", ops_ddb[i], (int) op->type.len,
              op->type.data);
        check(!(op->flags & NGX_HTTP_DYNAMO_DDB_STREAMS), "%s streams",
              ops_ddb[i]);

        ids[n++] = op->id;

        snprintf(buf, sizeof(buf), "DynamoDBStreams_20120810.%s",
                 ops_ddb[i]);
        check(op_target(buf) == NULL, "%s as a streams operation", buf);
    }

    check(i == 57, "%lu DynamoDB operations", (unsigned long) i);

    for (i = 0; ops_streams[i]; i++) {
        snprintf(buf, sizeof(buf), "DynamoDBStreams_20120810.%s",
                 ops_streams[i]);
        op = op_target(buf);

        check(op != NULL, "operation %s unknown", buf);
        check(op->flags & NGX_HTTP_DYNAMO_DDB_STREAMS, "%s not streams", buf);

        ids[n++] = op->id;

        check(op_named(ops_streams[i]) == NULL, "%s as DynamoDB",
              ops_streams[i]);
    }

    /* ids are distinct and known */

    for (i = 0; i < n; i++) {
        check(ids[i] != NGX_HTTP_DYNAMO_OP_UNKNOWN
              && ids[i] < NGX_HTTP_DYNAMO_OP_MAX, "id %lu", ids[i]);

        for (j = i + 1; j < n; j++) {
            check(ids[i] != ids[j], "duplicate id %lu", ids[i]);
        }
    }

    op = op_named("PutItem");
    check(op->id == NGX_HTTP_DYNAMO_OP_PUT_ITEM, "PutItem id");
    check(op->flags == NGX_HTTP_DYNAMO_DDB_WRITE, "PutItem flags %lx",
          op->flags);

    op = op_named("Scan");
    check(op->flags == NGX_HTTP_DYNAMO_DDB_READ, "Scan flags");
    check(op->type.len == 4 && memcmp(op->type.data, "SCAN", 4) == 0,
          "Scan type");

    op = op_named("BatchWriteItem");
    check(op->flags == (NGX_HTTP_DYNAMO_DDB_WRITE | NGX_HTTP_DYNAMO_DDB_BATCH),
          "BatchWriteItem flags");

    op = op_named("TransactGetItems");
    check(op->flags == (NGX_HTTP_DYNAMO_DDB_READ
                        | NGX_HTTP_DYNAMO_DDB_TRANSACTION),
          "TransactGetItems flags");

    op = op_named("ExecuteTransaction");
    check(op->flags == (NGX_HTTP_DYNAMO_DDB_PARTIQL
                        | NGX_HTTP_DYNAMO_DDB_TRANSACTION),
          "ExecuteTransaction flags");

    op = op_named("ExecuteStatement");
    check(op->flags == NGX_HTTP_DYNAMO_DDB_PARTIQL, "ExecuteStatement flags");

    op = op_named("CreateTable");
    check(op->flags == NGX_HTTP_DYNAMO_DDB_ADMIN, "CreateTable flags");

    op = op_target("DynamoDBStreams_20120810.GetRecords");
    check(op->flags == (NGX_HTTP_DYNAMO_DDB_READ
                        | NGX_HTTP_DYNAMO_DDB_STREAMS), "GetRecords flags");

    op = op_target("DynamoDBStreams_20120810.ListStreams");
    check(op->flags == (NGX_HTTP_DYNAMO_DDB_ADMIN
                        | NGX_HTTP_DYNAMO_DDB_STREAMS), "ListStreams flags");

    /* exact and case-sensitive */

    check(op_target("") == NULL, "empty");
    check(op_target("PutItem") == NULL, "no prefix");
    check(op_target("DynamoDB_20120810.") == NULL, "prefix only");
    check(op_target("DynamoDB_20120810") == NULL, "no dot");
    check(op_target("DynamoDB_20120810.putitem") == NULL, "lower case");
    check(op_target("dynamodb_20120810.PutItem") == NULL, "prefix case");
    check(op_target("DynamoDB_20120810.PutItem ") == NULL, "space");
    check(op_target("DynamoDB_20120810.PutItemX") == NULL, "longer");
    check(op_target("DynamoDB_20120810.PutIte") == NULL, "shorter");
    check(op_target("DynamoDB_20111205.PutItem") == NULL, "old version");
    check(op_target("DynamoDB_20120810.Aaa") == NULL, "before all");
    check(op_target("DynamoDB_20120810.Zzz") == NULL, "after all");
    check(op_target("DynamoDBStreams_20120810.") == NULL, "streams prefix");
    check(op_target("DynamoDB_20120810.Query") != NULL, "Query");
}


static void
test_arn(void)
{
    ngx_str_t  arn, name;

#define arn_ok(s, expect)                                                    \
    arn.data = (u_char *) s;                                                  \
    arn.len = strlen(s);                                                      \
    check(ngx_http_dynamo_ddb_table_from_arn(&arn, &name) == NGX_OK           \
          && name.len == strlen(expect)                                       \
          && memcmp(name.data, expect, name.len) == 0, "arn %s", s)

#define arn_no(s)                                                            \
    arn.data = (u_char *) s;                                                  \
    arn.len = strlen(s);                                                      \
    check(ngx_http_dynamo_ddb_table_from_arn(&arn, &name) == NGX_DECLINED,    \
          "arn %s accepted", s)

    arn_ok("arn:aws:dynamodb:us-east-1:123456789012:table/Music", "Music");
    arn_ok("arn:aws:dynamodb:us-east-1:123456789012:table/Music/stream/"
           "2024-01-01T00:00:00.000", "Music");
    arn_ok("arn:aws:dynamodb:eu-west-1:123456789012:table/my.table-1/index/"
           "GSI1", "my.table-1");
    arn_ok("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/T", "T");
    arn_ok("arn:aws:dynamodb:us-east-1:123456789012:table/Music/backup/"
           "01234567890123-abcdefgh", "Music");

    arn_no("Music");
    arn_no("");
    arn_no("arn:aws:dynamodb:us-east-1:123456789012:table/");
    arn_no("arn:aws:dynamodb:us-east-1:123456789012:table");
    arn_no("arn:aws:dynamodb::123456789012:global-table/Music");
    arn_no("arn:aws:s3:::bucket/table/x");
    arn_no("arn:aws:dynamodbx:us-east-1:1:table/T");
    arn_no("arn:aws:dynamodb:us-east-1");

#undef arn_ok
#undef arn_no
}


static void
test_error_name(void)
{
    ngx_str_t    name;
    const char  *t;

    t = "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException";
    ngx_http_dynamo_ddb_error_name((u_char *) t, strlen(t), &name);
    check(name.len == strlen("ConditionalCheckFailedException")
          && memcmp(name.data, "ConditionalCheckFailedException", name.len)
             == 0, "short name %.*s", (int) name.len, name.data);

    t = "ValidationException";
    ngx_http_dynamo_ddb_error_name((u_char *) t, strlen(t), &name);
    check(name.len == strlen(t) && name.data == (u_char *) t, "no #");

    t = "x#";
    ngx_http_dynamo_ddb_error_name((u_char *) t, strlen(t), &name);
    check(name.len == 0, "empty after #");
}


/* the request reader */

typedef struct {
    ngx_int_t                rc;
    char                     tables[NGX_HTTP_DYNAMO_DDB_NAMES_SIZE + 256];
    ngx_uint_t               ntables;
    ngx_uint_t               items;
    ngx_uint_t               statements;
    ngx_uint_t               overflow;
    ngx_uint_t               truncated;
    ngx_uint_t               partiql;     /* 1 read, 2 write, 3 both */
    ngx_uint_t               capacity;    /* capacity_wanted */
    char                     stmt[STMT_MAX + 1];
    size_t                   stmt_len;
    off_t                    stmt_total;
    char                     message[256];
    off_t                    offset;
} rq_result_t;


static void
rq_run(ngx_http_dynamo_ddb_op_t *op, ngx_uint_t mode, size_t max,
    const u_char *body, size_t len, size_t split, rq_result_t *res)
{
    char                           *t;
    size_t                          i, n, from, to;
    u_char                         *copy, *stmt;
    ngx_int_t                       rc, frc;
    ngx_http_dynamo_ddb_request_t  *rq;

    rq = malloc(sizeof(ngx_http_dynamo_ddb_request_t));
    check(rq != NULL, "malloc");

    /*
     * a block kept from an earlier request: init() clears only the fields
     * before "tables", a field read before it is written must be there
     */

    memset(rq, 0xa5, sizeof(ngx_http_dynamo_ddb_request_t));

    /* a buffer exactly max bytes long: writing past it is caught */

    stmt = malloc(max ? max : 1);
    check(stmt != NULL, "malloc");

    ngx_http_dynamo_ddb_request_init(rq, op, mode, stmt, max);

    rc = NGX_OK;

    /* like a body filter: every piece is fed, whatever the reader said */

    if (split == 1) {
        for (i = 0; i < len; i++) {
            copy = malloc(1);
            check(copy != NULL, "malloc");
            copy[0] = body[i];
            frc = ngx_http_dynamo_ddb_request_feed(rq, copy, copy + 1);
            rc = (rc == NGX_OK) ? frc : rc;
            free(copy);
        }

    } else {
        n = (split == 0) ? len : split - 2;

        for (i = 0; i < 2; i++) {
            from = (i == 0) ? 0 : n;
            to = (i == 0) ? n : len;

            copy = malloc(to - from + 1);
            check(copy != NULL, "malloc");
            memcpy(copy, body + from, to - from);
            frc = ngx_http_dynamo_ddb_request_feed(rq, copy,
                                                   copy + (to - from));
            rc = (rc == NGX_OK) ? frc : rc;
            free(copy);
        }
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_ddb_request_finish(rq);
    }

    memset(res, 0, sizeof(rq_result_t));

    res->rc = rc;

    if (rc == NGX_OK) {
        t = res->tables;

        for (i = 0; i < rq->ntables; i++) {
            t += sprintf(t, "%s%.*s", i ? "|" : "", (int) rq->tables[i].len,
                         rq->tables[i].data);
        }

        res->ntables = rq->ntables;
        res->items = rq->items;
        res->statements = rq->statements;
        res->overflow = rq->tables_overflow;
        res->partiql = rq->partiql_read + 2 * rq->partiql_write;
        res->capacity = rq->capacity_wanted;

    } else {
        check(rq->message.len > 0 && rq->message.len < 256, "message");
        memcpy(res->message, rq->message.data, rq->message.len);
        res->offset = rq->offset;
        check(rq->error != NULL, "error");
    }

    check(rq->stmt_len <= max, "statement overrun");
    memcpy(res->stmt, stmt, rq->stmt_len);
    res->stmt_len = rq->stmt_len;
    res->stmt_total = rq->stmt_total;
    res->truncated = rq->stmt_truncated;

    if (rc != NGX_OK) {
        check(ngx_http_dynamo_ddb_request_feed(rq, (u_char *) "{}",
                                               (u_char *) "{}" + 2)
              == NGX_ERROR, "feed after error");
        check(ngx_http_dynamo_ddb_request_finish(rq) == NGX_ERROR,
              "finish after error");
    }

    if (mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF) {
        check(rq->stmt_len == 0 && !rq->stmt_truncated, "OFF wrote");
    }

    free(stmt);
    free(rq);
}


static void
rq_same(rq_result_t *a, rq_result_t *b, size_t split)
{
    check(a->rc == b->rc, "split %lu: rc", (unsigned long) split);
    check(strcmp(a->tables, b->tables) == 0, "split %lu: tables %s vs %s",
          (unsigned long) split, a->tables, b->tables);
    check(a->items == b->items && a->statements == b->statements
          && a->overflow == b->overflow && a->partiql == b->partiql
          && a->capacity == b->capacity,
          "split %lu: counts", (unsigned long) split);
    check(a->stmt_len == b->stmt_len
          && memcmp(a->stmt, b->stmt, a->stmt_len) == 0
          && a->truncated == b->truncated,
          "split %lu: statement\n    %.*s\nvs\n    %.*s",
          (unsigned long) split, (int) a->stmt_len, a->stmt,
          (int) b->stmt_len, b->stmt);
    check(strcmp(a->message, b->message) == 0 && a->offset == b->offset,
          "split %lu: message %s vs %s", (unsigned long) split, a->message,
          b->message);
}


static rq_result_t *
rq_all(const char *opname, ngx_uint_t mode, size_t max, const char *body,
    size_t len)
{
    size_t                     split, last;
    rq_result_t               *res, *r;
    ngx_http_dynamo_ddb_op_t  *op;

    op = op_named(opname);
    check(opname == NULL || op != NULL, "op %s", opname);

    res = malloc(sizeof(rq_result_t));
    r = malloc(sizeof(rq_result_t));
    check(res != NULL && r != NULL, "malloc");

    rq_run(op, mode, max, (u_char *) body, len, 0, res);

    last = (len <= 700) ? len + 2 : 1;

    for (split = 1; split <= last; split++) {
        rq_run(op, mode, max, (u_char *) body, len, split, r);
        rq_same(r, res, split);
    }

    free(r);

    return res;
}


/* runs a body in all three modes; checks tables, items and the rendering */

static void
rq_ok(const char *opname, const char *body, const char *tables,
    ngx_uint_t items, const char *keys)
{
    size_t        len;
    rq_result_t  *r;

    len = strlen(body);

    r = rq_all(opname, NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS, STMT_MAX, body,
               len);

    check(r->rc == NGX_OK, "%s: %s", body, r->message);
    check(strcmp(r->tables, tables) == 0, "%s\n    tables \"%s\", expected "
          "\"%s\"", body, r->tables, tables);
    check(r->items == items, "%s: items %lu, expected %lu", body,
          r->items, items);
    check(!r->truncated, "%s: truncated", body);
    r->stmt[r->stmt_len] = '\0';
    check(keys == NULL || strcmp(r->stmt, keys) == 0,
          "keys rendering of\n    %s\n    got    %s\n    expect %s", body,
          r->stmt, keys);
    free(r);

    r = rq_all(opname, NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL, STMT_MAX, body,
               len);
    check(r->rc == NGX_OK && strcmp(r->tables, tables) == 0
          && r->items == items, "FULL: %s", body);
    check(r->stmt_len == len && memcmp(r->stmt, body, len) == 0
          && r->stmt_total == (off_t) len && !r->truncated, "FULL copy");
    free(r);

    r = rq_all(opname, NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF, STMT_MAX, body,
               len);
    check(r->rc == NGX_OK && strcmp(r->tables, tables) == 0
          && r->items == items, "OFF: %s", body);
    free(r);
}


static void
rq_fail(const char *opname, const char *body, size_t len,
    const char *message)
{
    rq_result_t  *r;
    ngx_uint_t    mode;

    for (mode = 0; mode < 3; mode++) {
        r = rq_all(opname, mode, STMT_MAX, body, len);

        check(r->rc == NGX_ERROR, "accepted: %.*s", (int) ngx_min(len, 200),
              body);
        check(strcmp(r->message, message) == 0, "message \"%s\", expected "
              "\"%s\"", r->message, message);
        free(r);
    }
}


static void
test_request_items(void)
{
    /* single-item operations, as boto3 sends them */

    rq_ok("PutItem",
          "{\"TableName\": \"Music\", \"Item\": {\"Artist\": {\"S\": "
          "\"No One You Know\"}, \"SongTitle\": {\"S\": \"Call Me Today\"},"
          " \"Year\": {\"N\": \"2015\"}, \"Tags\": {\"SS\": [\"a\", \"b\"]}},"
          " \"ConditionExpression\": \"attribute_not_exists(Artist)\", "
          "\"ReturnValues\": \"NONE\", \"ReturnConsumedCapacity\": "
          "\"TOTAL\"}",
          "Music", 1,
          "{\"TableName\":\"Music\",\"Item\":{\"Artist\":{\"S\":\"?\"},"
          "\"SongTitle\":{\"S\":\"?\"},\"Year\":{\"N\":\"?\"},\"Tags\":"
          "{\"SS\":[\"?\",\"?\"]}},\"ConditionExpression\":"
          "\"attribute_not_exists(Artist)\",\"ReturnValues\":\"NONE\","
          "\"ReturnConsumedCapacity\":\"TOTAL\"}");

    rq_ok("GetItem",
          "{\"TableName\":\"Music\",\"Key\":{\"Artist\":{\"S\":\"Acme Band\"}"
          ",\"SongTitle\":{\"S\":\"Happy Day\"}},\"ProjectionExpression\":"
          "\"#a, #y\",\"ExpressionAttributeNames\":{\"#a\":\"AlbumTitle\","
          "\"#y\":\"Year\"},\"ConsistentRead\":true}",
          "Music", 0,
          "{\"TableName\":\"Music\",\"Key\":{\"Artist\":{\"S\":\"?\"},"
          "\"SongTitle\":{\"S\":\"?\"}},\"ProjectionExpression\":\"#a, #y\","
          "\"ExpressionAttributeNames\":{\"#a\":\"AlbumTitle\",\"#y\":"
          "\"Year\"},\"ConsistentRead\":true}");

    rq_ok("UpdateItem",
          "{\"TableName\":\"Music\",\"Key\":{\"Artist\":{\"S\":\"Acme\"}},"
          "\"UpdateExpression\":\"SET #r = :r, Plays = Plays + :one "
          "REMOVE Old\",\"ExpressionAttributeNames\":{\"#r\":\"Rating\"},"
          "\"ExpressionAttributeValues\":{\":r\":{\"M\":{\"score\":{\"N\":"
          "\"4.5\"},\"by\":{\"L\":[{\"S\":\"x\"},{\"BOOL\":true},{\"NULL\":"
          "true},{\"B\":\"AAEC\"},{\"NS\":[\"1\",\"2\"]}]}}},\":one\":"
          "{\"N\":\"1\"}},\"ReturnValues\":\"UPDATED_NEW\"}",
          "Music", 1,
          "{\"TableName\":\"Music\",\"Key\":{\"Artist\":{\"S\":\"?\"}},"
          "\"UpdateExpression\":\"SET #r = :r, Plays = Plays + :one "
          "REMOVE Old\",\"ExpressionAttributeNames\":{\"#r\":\"Rating\"},"
          "\"ExpressionAttributeValues\":{\":r\":{\"M\":{\"score\":{\"N\":"
          "\"?\"},\"by\":{\"L\":[{\"S\":\"?\"},{\"BOOL\":\"?\"},{\"NULL\":"
          "\"?\"},{\"B\":\"?\"},{\"NS\":[\"?\",\"?\"]}]}}},\":one\":"
          "{\"N\":\"?\"}},\"ReturnValues\":\"UPDATED_NEW\"}");

    /* a table ARN as TableName is kept as given */

    rq_ok("DeleteItem",
          "{\"TableName\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
          "Music\",\"Key\":{\"Artist\":{\"S\":\"Acme\"}},"
          "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
          "arn:aws:dynamodb:us-east-1:123456789012:table/Music", 1,
          "{\"TableName\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
          "Music\",\"Key\":{\"Artist\":{\"S\":\"?\"}},"
          "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}");

    rq_ok("Query",
          "{\"TableName\": \"Music\", \"IndexName\": \"ByYear\", "
          "\"KeyConditionExpression\": \"Artist = :a AND #y > :y\", "
          "\"FilterExpression\": \"Plays > :p\", \"ExpressionAttributeNames"
          "\": {\"#y\": \"Year\"}, \"ExpressionAttributeValues\": {\":a\": "
          "{\"S\": \"Acme\"}, \":y\": {\"N\": \"2000\"}, \":p\": {\"N\": "
          "\"10\"}}, \"Limit\": 10, \"ScanIndexForward\": false, "
          "\"ExclusiveStartKey\": {\"Artist\": {\"S\": \"Acme\"}}, "
          "\"Select\": \"ALL_ATTRIBUTES\"}",
          "Music", 0,
          "{\"TableName\":\"Music\",\"IndexName\":\"ByYear\","
          "\"KeyConditionExpression\":\"Artist = :a AND #y > :y\","
          "\"FilterExpression\":\"Plays > :p\",\"ExpressionAttributeNames\":"
          "{\"#y\":\"Year\"},\"ExpressionAttributeValues\":{\":a\":{\"S\":"
          "\"?\"},\":y\":{\"N\":\"?\"},\":p\":{\"N\":\"?\"}},\"Limit\":10,"
          "\"ScanIndexForward\":false,\"ExclusiveStartKey\":{\"Artist\":"
          "{\"S\":\"?\"}},\"Select\":\"ALL_ATTRIBUTES\"}");

    rq_ok("Scan",
          "{\"TableName\":\"Music\",\"Segment\":1,\"TotalSegments\":4,"
          "\"AttributesToGet\":[\"Artist\",\"Year\"],\"ScanFilter\":"
          "{\"Year\":{\"AttributeValueList\":[{\"N\":\"1999\"}],"
          "\"ComparisonOperator\":\"GT\"}},\"ConditionalOperator\":\"AND\"}",
          "Music", 0,
          "{\"TableName\":\"Music\",\"Segment\":1,\"TotalSegments\":4,"
          "\"AttributesToGet\":[\"Artist\",\"Year\"],\"ScanFilter\":"
          "{\"Year\":{\"AttributeValueList\":[{\"N\":\"?\"}],"
          "\"ComparisonOperator\":\"?\"}},\"ConditionalOperator\":\"AND\"}");
}


static void
test_request_batch(void)
{
    /* BatchWriteItem with 3 tables: 2 + 1 + 3 items */

    rq_ok("BatchWriteItem",
          "{\"RequestItems\": {\"Orders\": [{\"PutRequest\": {\"Item\": "
          "{\"id\": {\"S\": \"o1\"}, \"total\": {\"N\": \"12.5\"}}}}, "
          "{\"PutRequest\": {\"Item\": {\"id\": {\"S\": \"o2\"}}}}], "
          "\"Customers\": [{\"DeleteRequest\": {\"Key\": {\"id\": {\"S\": "
          "\"c9\"}}}}], \"Audit\": [{\"PutRequest\": {\"Item\": {\"k\": "
          "{\"S\": \"a\"}}}}, {\"PutRequest\": {\"Item\": {\"k\": {\"S\": "
          "\"b\"}}}}, {\"PutRequest\": {\"Item\": {\"k\": {\"S\": \"c\"}}}}"
          "]}, \"ReturnConsumedCapacity\": \"INDEXES\", "
          "\"ReturnItemCollectionMetrics\": \"SIZE\"}",
          "Orders|Customers|Audit", 6,
          "{\"RequestItems\":{\"Orders\":[{\"PutRequest\":{\"Item\":{\"id\":"
          "{\"S\":\"?\"},\"total\":{\"N\":\"?\"}}}},{\"PutRequest\":{\"Item"
          "\":{\"id\":{\"S\":\"?\"}}}}],\"Customers\":[{\"DeleteRequest\":"
          "{\"Key\":{\"id\":{\"S\":\"?\"}}}}],\"Audit\":[{\"PutRequest\":"
          "{\"Item\":{\"k\":{\"S\":\"?\"}}}},{\"PutRequest\":{\"Item\":"
          "{\"k\":{\"S\":\"?\"}}}},{\"PutRequest\":{\"Item\":{\"k\":{\"S\":"
          "\"?\"}}}}]},\"ReturnConsumedCapacity\":\"INDEXES\","
          "\"ReturnItemCollectionMetrics\":\"SIZE\"}");

    rq_ok("BatchGetItem",
          "{\"RequestItems\":{\"Music\":{\"Keys\":[{\"Artist\":{\"S\":\"A\"}}"
          ",{\"Artist\":{\"S\":\"B\"}}],\"ProjectionExpression\":\"Artist, "
          "#t\",\"ExpressionAttributeNames\":{\"#t\":\"Title\"},"
          "\"ConsistentRead\":true},\"Books\":{\"Keys\":[{\"Isbn\":{\"S\":"
          "\"1\"}}]},\"Music\":{\"Keys\":[]}}}",
          "Music|Books", 0,
          "{\"RequestItems\":{\"Music\":{\"Keys\":[{\"Artist\":{\"S\":\"?\"}}"
          ",{\"Artist\":{\"S\":\"?\"}}],\"ProjectionExpression\":\"Artist, "
          "#t\",\"ExpressionAttributeNames\":{\"#t\":\"Title\"},"
          "\"ConsistentRead\":true},\"Books\":{\"Keys\":[{\"Isbn\":{\"S\":"
          "\"?\"}}]},\"Music\":{\"Keys\":[]}}}");

    /* TransactWriteItems: Put, Update, Delete, ConditionCheck */

    rq_ok("TransactWriteItems",
          "{\"TransactItems\": [{\"Put\": {\"TableName\": \"Orders\", "
          "\"Item\": {\"id\": {\"S\": \"o1\"}}, \"ConditionExpression\": "
          "\"attribute_not_exists(id)\"}}, {\"Update\": {\"TableName\": "
          "\"Stock\", \"Key\": {\"sku\": {\"S\": \"s1\"}}, "
          "\"UpdateExpression\": \"SET n = n - :one\", "
          "\"ExpressionAttributeValues\": {\":one\": {\"N\": \"1\"}}}}, "
          "{\"Delete\": {\"TableName\": \"Carts\", \"Key\": {\"u\": {\"S\": "
          "\"u1\"}}}}, {\"ConditionCheck\": {\"TableName\": \"Users\", "
          "\"Key\": {\"u\": {\"S\": \"u1\"}}, \"ConditionExpression\": "
          "\"attribute_exists(u)\"}}], \"ClientRequestToken\": "
          "\"tok-123\"}",
          "Orders|Stock|Carts|Users", 4,
          "{\"TransactItems\":[{\"Put\":{\"TableName\":\"Orders\",\"Item\":"
          "{\"id\":{\"S\":\"?\"}},\"ConditionExpression\":"
          "\"attribute_not_exists(id)\"}},{\"Update\":{\"TableName\":"
          "\"Stock\",\"Key\":{\"sku\":{\"S\":\"?\"}},\"UpdateExpression\":"
          "\"SET n = n - :one\",\"ExpressionAttributeValues\":{\":one\":"
          "{\"N\":\"?\"}}}},{\"Delete\":{\"TableName\":\"Carts\",\"Key\":"
          "{\"u\":{\"S\":\"?\"}}}},{\"ConditionCheck\":{\"TableName\":"
          "\"Users\",\"Key\":{\"u\":{\"S\":\"?\"}},\"ConditionExpression\":"
          "\"attribute_exists(u)\"}}],\"ClientRequestToken\":\"?\"}");

    rq_ok("TransactGetItems",
          "{\"TransactItems\":[{\"Get\":{\"TableName\":\"A\",\"Key\":{\"k\":"
          "{\"S\":\"1\"}}}},{\"Get\":{\"TableName\":\"B\",\"Key\":{\"k\":"
          "{\"S\":\"2\"}},\"ProjectionExpression\":\"k\"}},{\"Get\":"
          "{\"TableName\":\"A\",\"Key\":{\"k\":{\"S\":\"3\"}}}}]}",
          "A|B", 0, NULL);

    /* item names that look like structure do not confuse the reader */

    rq_ok("PutItem",
          "{\"Item\":{\"TableName\":{\"S\":\"secret\"},\"RequestItems\":"
          "{\"M\":{\"X\":{\"L\":[]}}},\"Statement\":{\"S\":\"SELECT * FROM "
          "\\\"Evil\\\"\"}},\"TableName\":\"Real\"}",
          "Real", 1,
          "{\"Item\":{\"TableName\":{\"S\":\"?\"},\"RequestItems\":{\"M\":"
          "{\"X\":{\"L\":[]}}},\"Statement\":{\"S\":\"?\"}},\"TableName\":"
          "\"Real\"}");

    /* nested TableName elsewhere is not a table this request touches */

    rq_ok("TransactWriteItems",
          "{\"TransactItems\":[{\"Put\":{\"Item\":{\"TableName\":{\"S\":"
          "\"x\"}},\"TableName\":\"T\"}},{\"Other\":{\"TableName\":\"U\"}}]}",
          "T", 2, NULL);
}


static void
test_request_partiql(void)
{
    rq_ok("ExecuteStatement",
          "{\"Statement\": \"SELECT * FROM \\\"Music\\\" WHERE Artist='Acme "
          "Band' AND n=5\", \"Parameters\": [{\"S\": \"x\"}], "
          "\"ConsistentRead\": true}",
          "Music", 0,
          "{\"Statement\":\"SELECT * FROM \\\"Music\\\" WHERE Artist=? AND "
          "n=?\",\"Parameters\":[{\"S\":\"?\"}],\"ConsistentRead\":true}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"SELECT * FROM \\\"t\\\" WHERE pk='a1' AND n=5\"}",
          "t", 0,
          "{\"Statement\":\"SELECT * FROM \\\"t\\\" WHERE pk=? AND n=?\"}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"select \\\"from\\\", a1 from Music.ByYear where "
          "x = 'FROM Evil' and y = 'it''s' and z = 1.5e3\"}",
          "Music", 0,
          "{\"Statement\":\"select \\\"from\\\", a1 from Music.ByYear where "
          "x = ? and y = ? and z = ?\"}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"SELECT Artist FROM \\\"Music\\\".\\\"ByYear\\\" "
          "WHERE Year > ?\",\"Parameters\":[{\"N\":\"2000\"}],\"Limit\":5}",
          "Music", 0,
          "{\"Statement\":\"SELECT Artist FROM \\\"Music\\\".\\\"ByYear\\\" "
          "WHERE Year > ?\",\"Parameters\":[{\"N\":\"?\"}],\"Limit\":5}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"INSERT INTO \\\"Music\\\" VALUE {'Artist' : "
          "'Acme', 'n': 5, 'l': [1, 2]}\"}",
          "Music", 1,
          "{\"Statement\":\"INSERT INTO \\\"Music\\\" VALUE {'Artist' : ?, "
          "'n': ?, 'l': [?, ?]}\"}");

    /* a tuple's names are kept, nested ones too; strings that are values
     * stay masked, whatever follows them outside braces */

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"INSERT INTO t VALUE {'pk' :\\n?, 'm': {'a''b': "
          "'x:y', 'c': `{'ion': 1}`}, 'q': 'v' } -- 'k': 'v'\"}",
          "t", 1,
          "{\"Statement\":\"INSERT INTO t VALUE {'pk' :\\n?, 'm': {'a''b': "
          "?, 'c': ?}, 'q': ? } -- ?: ?\"}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"SELECT * FROM t WHERE a = 'x' AND b IN ['y', "
          "'z']\"}", "t", 0,
          "{\"Statement\":\"SELECT * FROM t WHERE a = ? AND b IN [?, "
          "?]\"}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"UPDATE \\\"Music\\\" SET AwardsWon=1 SET "
          "AwardDetail.Grammys[2]='x' WHERE Artist='Acme'\"}",
          "Music", 1,
          "{\"Statement\":\"UPDATE \\\"Music\\\" SET AwardsWon=? SET "
          "AwardDetail.Grammys[?]=? WHERE Artist=?\"}");

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"update Music remove Old where Artist='UPDATE x'"
          "\"}", "Music", 1, NULL);

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"DELETE FROM Music WHERE Artist = 'DELETE FROM "
          "Evil'\"}", "Music", 1, NULL);

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"  -- FROM Evil\\n  /* INTO Evil */ Select 'x "
          "FROM Evil' FROM \\\"Good\\\"\"}", "Good", 0, NULL);

    rq_ok("ExecuteStatement",
          "{\"Statement\":\"SELECT * FROM `FROM` \"}", "", 0, NULL);

    /* BatchExecuteStatement: Statements[*].Statement */

    rq_ok("BatchExecuteStatement",
          "{\"Statements\": [{\"Statement\": \"SELECT * FROM T1 WHERE "
          "pk=?\", \"Parameters\": [{\"S\": \"a\"}], \"ConsistentRead\": "
          "true}, {\"Statement\": \"UPDATE \\\"T2\\\" SET v=? WHERE pk=?\", "
          "\"Parameters\": [{\"N\": \"1\"}, {\"S\": \"b\"}]}, {\"Statement"
          "\": \"select * from T1 where pk='c'\"}], "
          "\"ReturnConsumedCapacity\": \"TOTAL\"}",
          "T1|T2", 1,
          "{\"Statements\":[{\"Statement\":\"SELECT * FROM T1 WHERE pk=?\","
          "\"Parameters\":[{\"S\":\"?\"}],\"ConsistentRead\":true},"
          "{\"Statement\":\"UPDATE \\\"T2\\\" SET v=? WHERE pk=?\","
          "\"Parameters\":[{\"N\":\"?\"},{\"S\":\"?\"}]},{\"Statement\":"
          "\"select * from T1 where pk=?\"}],\"ReturnConsumedCapacity\":"
          "\"TOTAL\"}");

    /* ExecuteTransaction: TransactStatements[*].Statement, with EXISTS */

    rq_ok("ExecuteTransaction",
          "{\"TransactStatements\":[{\"Statement\":\"INSERT INTO Orders "
          "VALUE {'id':?}\",\"Parameters\":[{\"S\":\"o1\"}]},{\"Statement\":"
          "\"EXISTS(SELECT * FROM \\\"Users\\\" WHERE id='u1')\"},"
          "{\"Statement\":\"DELETE FROM \\\"Carts\\\" WHERE u='u1'\"}],"
          "\"ClientRequestToken\":\"t1\"}",
          "Orders|Users|Carts", 2,
          "{\"TransactStatements\":[{\"Statement\":\"INSERT INTO Orders "
          "VALUE {'id':?}\",\"Parameters\":[{\"S\":\"?\"}]},{\"Statement\":"
          "\"EXISTS(SELECT * FROM \\\"Users\\\" WHERE id=?)\"},"
          "{\"Statement\":\"DELETE FROM \\\"Carts\\\" WHERE u=?\"}],"
          "\"ClientRequestToken\":\"?\"}");
}


static void
rq_partiql(const char *statement, const char *table, ngx_uint_t overflow,
    ngx_uint_t partiql)
{
    char          body[4096];
    rq_result_t  *r;

    snprintf(body, sizeof(body), "{\"Statement\":\"%s\"}", statement);

    r = rq_all("ExecuteStatement", NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF, 0,
               body, strlen(body));

    check(r->rc == NGX_OK, "%s: %s", statement, r->message);
    check(strcmp(r->tables, table) == 0, "%s: table %s, expected %s",
          statement, r->tables, table);
    check(r->overflow == overflow, "%s: overflow %lu", statement,
          r->overflow);
    check(r->partiql == partiql, "%s: partiql %lu", statement, r->partiql);
    check(r->statements == 1, "%s: statements", statement);

    free(r);
}


static void
test_partiql_tables(void)
{
    rq_partiql("SELECT * FROM Music", "Music", 0, 1);
    rq_partiql("SELECT * FROM \\\"my-table.v2\\\" WHERE a=1", "my-table.v2",
               0, 1);
    rq_partiql("sElEcT a, b FrOm tbl_1", "tbl_1", 0, 1);
    rq_partiql("SELECT \\\"FROM\\\" FROM T", "T", 0, 1);
    rq_partiql("SELECT 'FROM x' FROM T", "T", 0, 1);
    rq_partiql("SELECT * FROM\\nT\\tWHERE a=1", "T", 0, 1);
    rq_partiql("(SELECT * FROM T)", "T", 0, 1);
    rq_partiql("EXISTS(SELECT * FROM T WHERE a=1)", "T", 0, 1);
    rq_partiql("INSERT INTO T VALUE {'a':1}", "T", 0, 2);
    rq_partiql("insert into \\\"T\\\" value {'a':'INTO x'}", "T", 0, 2);
    rq_partiql("UPDATE T SET a=1", "T", 0, 2);
    rq_partiql("DELETE FROM T WHERE a='x'", "T", 0, 2);

    /* no table found: reported as overflow */

    rq_partiql("", "", 1, 0);
    rq_partiql("SELECT * WHERE a=1", "", 1, 0);
    rq_partiql("SELECT * FROM 'T'", "", 1, 0);
    rq_partiql("SELECT * FROM", "", 1, 0);
    rq_partiql("INSERT T VALUE {}", "", 1, 0);
    rq_partiql("DELETE T", "", 1, 0);
    rq_partiql("EXPLAIN SELECT * FROM T", "", 1, 0);
    rq_partiql("SELECT * FROM \\\"\\\"", "", 1, 0);
    rq_partiql("SELECT * FROM \\\"a\\\"\\\"b\\\"", "", 1, 0);
    rq_partiql("SELECT 'unterminated FROM T", "", 1, 0);
    rq_partiql("SELECT * FROM \\\"unterminated", "", 1, 0);
}


/*
 * ReturnConsumedCapacity: the answer is read for its capacity when the
 * request's own member asks, in every statement mode; the same key inside
 * an item, a key, values or a transaction's entries is data, not a request
 */

static void
rq_capacity(const char *opname, const char *body, ngx_uint_t wanted)
{
    ngx_uint_t    mode;
    rq_result_t  *r;

    for (mode = 0; mode < 3; mode++) {
        r = rq_all(opname, mode, STMT_MAX, body, strlen(body));

        check(r->rc == NGX_OK, "%s: %s", body, r->message);
        check(r->capacity == wanted, "mode %lu: %s\n    capacity_wanted "
              "%lu, expected %lu", (unsigned long) mode, body,
              (unsigned long) r->capacity, (unsigned long) wanted);
        free(r);
    }
}


static void
test_request_capacity(void)
{
    rq_capacity("GetItem", "{\"TableName\":\"t\",\"Key\":{\"pk\":"
                "{\"S\":\"a\"}}}", 0);
    rq_capacity("GetItem", "{\"TableName\":\"t\",\"Key\":{\"pk\":"
                "{\"S\":\"a\"}},\"ReturnConsumedCapacity\":\"NONE\"}", 0);
    rq_capacity("GetItem", "{\"ReturnConsumedCapacity\":\"TOTAL\","
                "\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}}}", 1);
    rq_capacity("Query", "{\"TableName\":\"t\",\"ReturnConsumedCapacity\":"
                "\"INDEXES\"}", 1);

    /* any other value is DynamoDB's to refuse: the answer says so */

    rq_capacity("Scan", "{\"TableName\":\"t\",\"ReturnConsumedCapacity\":"
                "\"none\"}", 1);
    rq_capacity("Scan", "{\"TableName\":\"t\",\"ReturnConsumedCapacity\":"
                "\"NONEX\"}", 1);
    rq_capacity("Scan", "{\"TableName\":\"t\",\"ReturnConsumedCapacity\":"
                "true}", 0);

    /* repeated: the last one decides */

    rq_capacity("Scan", "{\"ReturnConsumedCapacity\":\"TOTAL\","
                "\"TableName\":\"t\",\"ReturnConsumedCapacity\":\"NONE\"}",
                0);
    rq_capacity("Scan", "{\"ReturnConsumedCapacity\":\"NONE\","
                "\"TableName\":\"t\",\"ReturnConsumedCapacity\":\"TOTAL\"}",
                1);

    /* the key as data: in an item, its map, a key, values, names */

    rq_capacity("PutItem", "{\"TableName\":\"t\",\"Item\":{\"pk\":"
                "{\"S\":\"a\"},\"ReturnConsumedCapacity\":{\"S\":"
                "\"TOTAL\"}}}", 0);
    rq_capacity("PutItem", "{\"TableName\":\"t\",\"Item\":{\"m\":{\"M\":"
                "{\"ReturnConsumedCapacity\":{\"S\":\"INDEXES\"}}}}}", 0);
    rq_capacity("UpdateItem", "{\"TableName\":\"t\",\"Key\":{"
                "\"ReturnConsumedCapacity\":{\"S\":\"TOTAL\"}},"
                "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"TOTAL\"}},"
                "\"ExpressionAttributeNames\":{\"#r\":"
                "\"ReturnConsumedCapacity\"}}", 0);
    rq_capacity("BatchWriteItem", "{\"RequestItems\":{\"t\":[{"
                "\"PutRequest\":{\"Item\":{\"ReturnConsumedCapacity\":"
                "{\"S\":\"TOTAL\"}}}}]}}", 0);
    rq_capacity("TransactWriteItems", "{\"TransactItems\":[{\"Put\":{"
                "\"TableName\":\"t\",\"ReturnConsumedCapacity\":\"TOTAL\","
                "\"Item\":{\"pk\":{\"S\":\"a\"}}}}]}", 0);
    rq_capacity("TransactWriteItems", "{\"TransactItems\":[{\"Put\":{"
                "\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"}}}}],"
                "\"ReturnConsumedCapacity\":\"INDEXES\"}", 1);

    /* PartiQL: the same member, and the same key as a parameter's data */

    rq_capacity("ExecuteStatement", "{\"Statement\":\"SELECT * FROM t\","
                "\"ReturnConsumedCapacity\":\"TOTAL\"}", 1);
    rq_capacity("ExecuteStatement", "{\"Statement\":\"SELECT * FROM t "
                "WHERE pk=?\",\"Parameters\":[{\"M\":{"
                "\"ReturnConsumedCapacity\":{\"S\":\"TOTAL\"}}}]}", 0);
    rq_capacity("BatchExecuteStatement", "{\"Statements\":[{\"Statement\":"
                "\"SELECT * FROM t\",\"ReturnConsumedCapacity\":\"TOTAL\"}],"
                "\"ReturnConsumedCapacity\":\"NONE\"}", 0);
    rq_capacity("BatchExecuteStatement", "{\"Statements\":[{\"Statement\":"
                "\"SELECT * FROM t\"}],\"ReturnConsumedCapacity\":"
                "\"INDEXES\"}", 1);
    rq_capacity("ExecuteTransaction", "{\"TransactStatements\":[{"
                "\"Statement\":\"DELETE FROM t WHERE pk='a'\"}],"
                "\"ReturnConsumedCapacity\":\"TOTAL\"}", 1);
}


static void
test_request_admin(void)
{
    rq_ok("CreateTable",
          "{\"TableName\":\"Music\",\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"Artist\",\"AttributeType\":\"S\"},{"
          "\"AttributeName\":\"Year\",\"AttributeType\":\"N\"}],\"KeySchema"
          "\":[{\"AttributeName\":\"Artist\",\"KeyType\":\"HASH\"}],"
          "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByYear\",\"KeySchema"
          "\":[{\"AttributeName\":\"Year\",\"KeyType\":\"HASH\"}],"
          "\"Projection\":{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes"
          "\":[\"Title\"]},\"ProvisionedThroughput\":{\"ReadCapacityUnits\":"
          "5,\"WriteCapacityUnits\":5}}],\"BillingMode\":\"PROVISIONED\","
          "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,"
          "\"WriteCapacityUnits\":5},\"StreamSpecification\":{"
          "\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"},"
          "\"Tags\":[{\"Key\":\"owner\",\"Value\":\"team-a\"}],"
          "\"DeletionProtectionEnabled\":false}",
          "Music", 0,
          "{\"TableName\":\"Music\",\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"Artist\",\"AttributeType\":\"S\"},{"
          "\"AttributeName\":\"Year\",\"AttributeType\":\"N\"}],\"KeySchema"
          "\":[{\"AttributeName\":\"Artist\",\"KeyType\":\"HASH\"}],"
          "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByYear\",\"KeySchema"
          "\":[{\"AttributeName\":\"Year\",\"KeyType\":\"HASH\"}],"
          "\"Projection\":{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes"
          "\":[\"Title\"]},\"ProvisionedThroughput\":{\"ReadCapacityUnits\":"
          "5,\"WriteCapacityUnits\":5}}],\"BillingMode\":\"PROVISIONED\","
          "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,"
          "\"WriteCapacityUnits\":5},\"StreamSpecification\":{"
          "\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"},"
          "\"Tags\":[{\"Key\":\"?\",\"Value\":\"?\"}],"
          "\"DeletionProtectionEnabled\":false}");

    rq_ok("DescribeTable", "{\"TableName\":\"Music\"}", "Music", 0,
          "{\"TableName\":\"Music\"}");
    rq_ok("ListTables", "{}", "", 0, "{}");
    rq_ok("ListTables", "{\"ExclusiveStartTableName\":\"M\",\"Limit\":10}",
          "", 0, "{\"ExclusiveStartTableName\":\"M\",\"Limit\":10}");
    rq_ok("DescribeLimits", " { } ", "", 0, "{}");

    rq_ok("TagResource",
          "{\"ResourceArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
          "Music\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
          "Music", 0,
          "{\"ResourceArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
          "Music\",\"Tags\":[{\"Key\":\"?\",\"Value\":\"?\"}]}");

    rq_ok("ExportTableToPointInTime",
          "{\"TableArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
          "Music\",\"S3Bucket\":\"b\",\"ExportFormat\":\"DYNAMODB_JSON\"}",
          "Music", 0, NULL);

    rq_ok("UpdateTimeToLive",
          "{\"TableName\":\"Sessions\",\"TimeToLiveSpecification\":{"
          "\"Enabled\":true,\"AttributeName\":\"expires\"}}",
          "Sessions", 0,
          "{\"TableName\":\"Sessions\",\"TimeToLiveSpecification\":{"
          "\"Enabled\":true,\"AttributeName\":\"expires\"}}");

    rq_ok("RestoreTableFromBackup",
          "{\"TargetTableName\":\"Music2\",\"BackupArn\":\"arn:aws:dynamodb:"
          "us-east-1:123456789012:table/Music/backup/01700000000000-a1b2c3d4"
          "\"}", "Music2|Music", 0, NULL);

    rq_ok("RestoreTableToPointInTime",
          "{\"SourceTableName\":\"Music\",\"TargetTableName\":\"Music2\","
          "\"UseLatestRestorableTime\":true}", "Music|Music2", 0, NULL);

    rq_ok("ImportTable",
          "{\"S3BucketSource\":{\"S3Bucket\":\"b\"},\"InputFormat\":\"CSV\","
          "\"TableCreationParameters\":{\"TableName\":\"Imported\","
          "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}}",
          "Imported", 0, NULL);

    rq_ok("CreateGlobalTable",
          "{\"GlobalTableName\":\"Music\",\"ReplicationGroup\":[{"
          "\"RegionName\":\"us-east-1\"},{\"RegionName\":\"eu-west-1\"}]}",
          "Music", 0,
          "{\"GlobalTableName\":\"Music\",\"ReplicationGroup\":[{"
          "\"RegionName\":\"us-east-1\"},{\"RegionName\":\"eu-west-1\"}]}");

    rq_ok(NULL, "{\"TableName\":\"X\"}", "X", 0, "{\"TableName\":\"X\"}");
}


static void
test_request_streams(void)
{
    size_t                     len;
    rq_result_t               *r;
    ngx_http_dynamo_ddb_op_t  *op;
    const char                *body;

    op = op_target("DynamoDBStreams_20120810.DescribeStream");
    check(op != NULL, "DescribeStream");

    body = "{\"StreamArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
           "Music/stream/2024-01-01T00:00:00.000\",\"Limit\":10}";
    len = strlen(body);

    r = malloc(sizeof(rq_result_t));
    check(r != NULL, "malloc");

    rq_run(op, NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS, STMT_MAX, (u_char *) body,
           len, 0, r);
    check(r->rc == NGX_OK && strcmp(r->tables, "Music") == 0,
          "stream arn: %s", r->tables);

    free(r);
}


static void
test_request_render(void)
{
    /* escapes in keys and kept values come out escaped again */

    rq_ok("PutItem",
          "{\"TableName\":\"a\\\"b\\\\c\",\"Item\":{\"we\\\"ird\\n\\u0001\":"
          "{\"S\":\"x\"},\"\\u00e9t\\u00e9\":{\"S\":\"y\"},\"\xe2\x82\xac\":"
          "{\"S\":\"z\"},\"\\ud83d\\ude00\":{\"N\":\"1\"}}}",
          "a\"b\\c", 1,
          "{\"TableName\":\"a\\\"b\\\\c\",\"Item\":{\"we\\\"ird\\n\\u0001\":"
          "{\"S\":\"?\"},\"\xc3\xa9t\xc3\xa9\":{\"S\":\"?\"},\"\xe2\x82\xac\":"
          "{\"S\":\"?\"},\"\xf0\x9f\x98\x80\":{\"N\":\"?\"}}}");

    /* every scalar type masked in data, kept under structural keys */

    rq_ok("Query",
          "{\"TableName\":\"T\",\"Limit\":25,\"ConsistentRead\":false,"
          "\"ScanIndexForward\":true,\"Select\":null,"
          "\"ExpressionAttributeValues\":{\":a\":{\"BOOL\":false},\":b\":"
          "{\"NULL\":true},\":c\":{\"N\":\"-1e3\"}},\"Unknown\":7,"
          "\"Nested\":{\"Limit\":3,\"x\":[1,\"s\",true]}}",
          "T", 0,
          "{\"TableName\":\"T\",\"Limit\":25,\"ConsistentRead\":false,"
          "\"ScanIndexForward\":true,\"Select\":null,"
          "\"ExpressionAttributeValues\":{\":a\":{\"BOOL\":\"?\"},\":b\":"
          "{\"NULL\":\"?\"},\":c\":{\"N\":\"?\"}},\"Unknown\":\"?\","
          "\"Nested\":{\"Limit\":3,\"x\":[\"?\",\"?\",\"?\"]}}");

    /* names lists: kept; anything nested in them is masked */

    rq_ok("GetItem",
          "{\"TableName\":\"T\",\"Key\":{},\"AttributesToGet\":[\"a\",\"b\","
          "{\"c\":\"d\"},[\"e\"],\"f\"],\"ExpressionAttributeNames\":{\"#x\":"
          "\"x\",\"#y\":{\"z\":\"w\"}}}",
          "T", 0,
          "{\"TableName\":\"T\",\"Key\":{},\"AttributesToGet\":[\"a\",\"b\","
          "{\"c\":\"?\"},[\"?\"],\"f\"],\"ExpressionAttributeNames\":{\"#x\":"
          "\"x\",\"#y\":{\"z\":\"?\"}}}");

    /* long kept values and keys end in "..." */

    {
        char    body[4000], expect[4000], *b, *e;
        size_t  i;

        b = body;
        e = expect;

        b += sprintf(b, "{\"TableName\":\"T\",\"FilterExpression\":\"");
        e += sprintf(e, "{\"TableName\":\"T\",\"FilterExpression\":\"");

        for (i = 0; i < 1500; i++) {
            *b++ = 'a' + i % 26;

            if (i < NGX_HTTP_DYNAMO_JSON_VALUE_MAX) {
                *e++ = 'a' + i % 26;
            }
        }

        b += sprintf(b, "\",\"Item\":{\"");
        e += sprintf(e, "...\",\"Item\":{\"");

        for (i = 0; i < 1100; i++) {
            *b++ = 'K';

            if (i < NGX_HTTP_DYNAMO_JSON_VALUE_MAX) {
                *e++ = 'K';
            }
        }

        sprintf(b, "\":{\"S\":\"v\"}}}");
        sprintf(e, "...\":{\"S\":\"?\"}}}");

        rq_ok("PutItem", body, "T", 1, expect);
    }
}


/* a bounded rendering is a prefix of the full one, cut at a character */

static void
rq_truncation(const char *opname, ngx_uint_t mode, const char *body)
{
    size_t        max, len, full_len;
    rq_result_t  *full, *r;

    len = strlen(body);

    full = rq_all(opname, mode, STMT_MAX, body, len);
    check(full->rc == NGX_OK && !full->truncated, "full rendering");

    full_len = full->stmt_len;

    for (max = 0; max <= full_len + 1; max++) {
        r = rq_all(opname, mode, max, body, len);

        check(r->rc == NGX_OK, "max %lu: %s", (unsigned long) max,
              r->message);
        check(strcmp(r->tables, full->tables) == 0, "max %lu: tables",
              (unsigned long) max);
        check(r->truncated == (max < full_len), "max %lu: truncated %lu",
              (unsigned long) max, r->truncated);
        check(r->stmt_len <= max && r->stmt_len + 3 >= ngx_min(max, full_len)
              && memcmp(r->stmt, full->stmt, r->stmt_len) == 0,
              "max %lu: prefix %.*s", (unsigned long) max,
              (int) r->stmt_len, r->stmt);

        /* never a split character: the next byte starts one */

        if (r->stmt_len < full_len) {
            check((((u_char) full->stmt[r->stmt_len]) & 0xc0) != 0x80,
                  "max %lu: split character", (unsigned long) max);
        }

        if (mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL) {
            check(r->stmt_total == (off_t) len, "total");
        }

        free(r);
    }

    free(full);
}


static void
test_request_truncation(void)
{
    const char  *body;

    body = "{\"TableName\":\"Mus\xc3\xaf" "c\",\"Item\":{\"\xe2\x82\xac"
           "uro\":{\"S\":\"\xf0\x9f\x98\x80 smile\"},\"\\u00e9\":{\"S\":"
           "\"caf\xc3\xa9\"}},\"ConditionExpression\":\"#\xe2\x82\xac > "
           ":v\"}";

    rq_truncation("PutItem", NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS, body);
    rq_truncation("PutItem", NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL, body);

    body = "{\"Statement\":\"SELECT * FROM \\\"T\\u00e9\\\" WHERE "
           "a='\xf0\x9f\x98\x80' AND b=\xe2\x82\xac\"}";

    rq_truncation("ExecuteStatement", NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS,
                  body);
    rq_truncation("ExecuteStatement", NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL,
                  body);
}


static void
test_request_bounds(void)
{
    char          *body, *b, expect[256];
    size_t         i;
    rq_result_t   *r;

    body = malloc(1024 * 1024);
    check(body != NULL, "malloc");

    /* 129 distinct tables: 128 kept, overflow */

    b = body;
    b += sprintf(b, "{\"RequestItems\":{");

    for (i = 0; i < 129; i++) {
        b += sprintf(b, "%s\"Table%03lu\":{\"Keys\":[{\"k\":{\"S\":\"v\"}}]}",
                     i ? "," : "", (unsigned long) i);
    }

    b += sprintf(b, "}}");

    r = rq_all("BatchGetItem", NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF, 0, body,
               b - body);
    check(r->rc == NGX_OK && r->ntables == 128 && r->overflow,
          "129 tables: %lu", r->ntables);
    check(strncmp(r->tables, "Table000|Table001|", 18) == 0, "order");
    free(r);

    /* the same table 300 times: one, no overflow */

    b = body;
    b += sprintf(b, "{\"RequestItems\":{");

    for (i = 0; i < 300; i++) {
        b += sprintf(b, "%s\"Same\":{\"Keys\":[]}", i ? "," : "");
    }

    b += sprintf(b, "}}");

    r = rq_all("BatchGetItem", NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF, 0, body,
               b - body);
    check(r->rc == NGX_OK && r->ntables == 1 && !r->overflow, "dedup");
    free(r);

    /* a name longer than a value: not kept, overflow */

    b = body;
    b += sprintf(b, "{\"TableName\":\"");

    for (i = 0; i < 2000; i++) {
        *b++ = 'n';
    }

    b += sprintf(b, "\"}");

    r = rq_all("DescribeTable", NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF, 0, body,
               b - body);
    check(r->rc == NGX_OK && r->ntables == 0 && r->overflow, "long name");
    free(r);

    /* 10000 nested arrays: refused, no recursion */

    b = body;
    b += sprintf(b, "{\"Item\":");

    for (i = 0; i < 10000; i++) {
        *b++ = '[';
    }

    for (i = 0; i < 10000; i++) {
        *b++ = ']';
    }

    *b++ = '}';

    snprintf(expect, sizeof(expect), "request body is not a JSON object: "
             "nesting too deep at offset %d", 8 + 127);
    rq_fail("PutItem", body, b - body, expect);

    /* 30 levels of maps, as DynamoDB allows: fine */

    b = body;
    b += sprintf(b, "{\"TableName\":\"T\",\"Item\":{\"a\":");

    for (i = 0; i < 30; i++) {
        b += sprintf(b, "{\"M\":{\"a\":");
    }

    b += sprintf(b, "{\"S\":\"x\"}");

    for (i = 0; i < 30; i++) {
        b += sprintf(b, "}}");
    }

    b += sprintf(b, "}}");
    *b = '\0';

    r = rq_all("PutItem", NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS, STMT_MAX, body,
               b - body);
    check(r->rc == NGX_OK && strcmp(r->tables, "T") == 0, "deep maps");
    free(r);

    free(body);
}


static void
test_request_errors(void)
{
    rq_fail("PutItem", "", 0, "request body is empty");
    rq_fail("PutItem", " \r\n", 3, "request body is empty");
    rq_fail("PutItem", "[1]", 3, "request body is not a JSON object");
    rq_fail("PutItem", "\"x\"", 3, "request body is not a JSON object");
    rq_fail("PutItem", "12", 2, "request body is not a JSON object");
    rq_fail("PutItem", "null", 4, "request body is not a JSON object");
    rq_fail("PutItem", "{\"TableName\": }", 15,
            "request body is not a JSON object: unexpected character at "
            "offset 14");
    rq_fail("PutItem", "{\"TableName\":\"x\"", 16,
            "request body is not a JSON object: truncated JSON at offset 16");
    rq_fail("PutItem", "{} x", 4,
            "request body is not a JSON object: trailing characters at "
            "offset 3");
    rq_fail("PutItem", "{\"a\":\"\xff\"}", 9,
            "request body is not a JSON object: invalid UTF-8 at offset 6");
    rq_fail("PutItem", "TableName=x&Item=y", 18,
            "request body is not a JSON object: unexpected character at "
            "offset 0");
}


/* the response reader */

typedef struct {
    ngx_int_t                rc;
    ngx_uint_t               records;
    ngx_uint_t               records_set;
    char                     type[NGX_HTTP_DYNAMO_DDB_TYPE_MAX + 1];
    char                     message[NGX_HTTP_DYNAMO_DDB_MESSAGE_MAX + 1];
    char                     capacity[NGX_HTTP_DYNAMO_DDB_CAPACITY_MAX + 1];
    ngx_uint_t               capacity_overflow;
} rs_result_t;


static void
rs_run(ngx_http_dynamo_ddb_op_t *op, ngx_uint_t items, const u_char *body,
    size_t len, size_t split, rs_result_t *res)
{
    size_t                           i, n, from, to;
    u_char                          *copy;
    ngx_int_t                        rc, frc;
    ngx_http_dynamo_ddb_response_t  *rs;

    rs = malloc(sizeof(ngx_http_dynamo_ddb_response_t));
    check(rs != NULL, "malloc");

    /* stale bytes, as in rq_run(): init() clears the fields before "type" */

    memset(rs, 0xa5, sizeof(ngx_http_dynamo_ddb_response_t));

    ngx_http_dynamo_ddb_response_init(rs, op, items);

    rc = NGX_OK;

    /* like the body filter: feeds go on whatever the reader said */

    if (split == 1) {
        for (i = 0; i < len; i++) {
            copy = malloc(1);
            check(copy != NULL, "malloc");
            copy[0] = body[i];
            frc = ngx_http_dynamo_ddb_response_feed(rs, copy, copy + 1);
            rc = (frc != NGX_OK) ? frc : rc;
            free(copy);
        }

    } else {
        n = (split == 0) ? len : split - 2;

        for (i = 0; i < 2; i++) {
            from = (i == 0) ? 0 : n;
            to = (i == 0) ? n : len;

            copy = malloc(to - from + 1);
            check(copy != NULL, "malloc");
            memcpy(copy, body + from, to - from);
            frc = ngx_http_dynamo_ddb_response_feed(rs, copy,
                                                    copy + (to - from));
            rc = (frc != NGX_OK) ? frc : rc;
            free(copy);
        }
    }

    frc = ngx_http_dynamo_ddb_response_finish(rs);

    check(rc == NGX_OK || frc == NGX_ERROR, "finish after a failed feed");

    memset(res, 0, sizeof(rs_result_t));

    res->rc = frc;
    res->records = rs->records;
    res->records_set = rs->records_set;

    check(rs->type_len <= NGX_HTTP_DYNAMO_DDB_TYPE_MAX, "type length");
    check(rs->message_len <= NGX_HTTP_DYNAMO_DDB_MESSAGE_MAX,
          "message length");
    check(rs->capacity_len <= NGX_HTTP_DYNAMO_DDB_CAPACITY_MAX,
          "capacity length");

    memcpy(res->type, rs->type, rs->type_len);
    memcpy(res->message, rs->message, rs->message_len);
    memcpy(res->capacity, rs->capacity, rs->capacity_len);
    res->capacity_overflow = rs->capacity_overflow;

    if (frc == NGX_ERROR) {
        check(rs->error != NULL, "response error");
    }

    free(rs);
}


static rs_result_t *
rs_all(ngx_http_dynamo_ddb_op_t *op, ngx_uint_t items, const char *body,
    size_t len)
{
    size_t        split, last;
    rs_result_t  *res, *r;

    res = malloc(sizeof(rs_result_t));
    r = malloc(sizeof(rs_result_t));
    check(res != NULL && r != NULL, "malloc");

    rs_run(op, items, (u_char *) body, len, 0, res);

    last = (len <= 700) ? len + 2 : 1;

    for (split = 1; split <= last; split++) {
        rs_run(op, items, (u_char *) body, len, split, r);

        check(memcmp(r, res, sizeof(rs_result_t)) == 0,
              "split %lu differs for %.*s", (unsigned long) split,
              (int) ngx_min(len, 200), body);
    }

    free(r);

    return res;
}


static void
rs_ok(const char *opname, ngx_uint_t items, const char *body,
    ngx_int_t rc, ngx_int_t records, const char *capacity)
{
    rs_result_t  *r;

    r = rs_all(op_named(opname), items, body, strlen(body));

    check(r->rc == rc, "%s: rc %ld", body, (long) r->rc);

    if (records < 0) {
        check(!r->records_set, "%s: records set to %lu", body, r->records);

    } else {
        check(r->records_set && r->records == (ngx_uint_t) records,
              "%s: records %lu (set %lu), expected %ld", body, r->records,
              r->records_set, (long) records);
    }

    check(strcmp(r->capacity, capacity) == 0, "%s\n    capacity %s, "
          "expected %s", body, r->capacity, capacity);

    free(r);
}


static void
test_response_records(void)
{
    rs_ok("Query", 0,
          "{\"Count\":2,\"Items\":[{\"Artist\":{\"S\":\"A\"},\"Count\":{\"N\":"
          "\"7\"}},{\"Artist\":{\"S\":\"B\"}}],\"ScannedCount\":5,"
          "\"ConsumedCapacity\":{\"TableName\":\"Music\",\"CapacityUnits\":"
          "0.5}}", NGX_OK, 2,
          "{\"TableName\":\"Music\",\"CapacityUnits\":0.5}");

    rs_ok("Scan", 0,
          "{\"Items\": [], \"Count\": 0, \"ScannedCount\": 100, "
          "\"LastEvaluatedKey\": {\"k\": {\"S\": \"x\"}}}", NGX_OK, 0, "");

    rs_ok("Scan", 0,
          "{\"Count\":12345,\"Items\":[]}", NGX_OK, 12345, "");

    rs_ok("GetItem", 0,
          "{\"Item\":{\"Artist\":{\"S\":\"Acme\"}},\"ConsumedCapacity\":{"
          "\"TableName\":\"Music\",\"CapacityUnits\":1.0,\"Table\":{"
          "\"CapacityUnits\":1.0}}}", NGX_OK, 1,
          "{\"TableName\":\"Music\",\"CapacityUnits\":1.0,\"Table\":{"
          "\"CapacityUnits\":1.0}}");
    rs_ok("GetItem", 0, "{}", NGX_OK, 0, "");
    rs_ok("GetItem", 0,
          "{\"ConsumedCapacity\":{\"TableName\":\"Music\","
          "\"CapacityUnits\":0.5}}", NGX_OK, 0,
          "{\"TableName\":\"Music\",\"CapacityUnits\":0.5}");

    rs_ok("BatchGetItem", 0,
          "{\"Responses\":{\"Music\":[{\"a\":{\"S\":\"1\"}},{\"a\":{\"S\":"
          "\"2\"}}],\"Books\":[{\"i\":{\"S\":\"3\"}}],\"Empty\":[]},"
          "\"UnprocessedKeys\":{\"Music\":{\"Keys\":[{\"a\":{\"S\":\"9\"}}]}}"
          ",\"ConsumedCapacity\":[{\"TableName\":\"Music\",\"CapacityUnits\":"
          "1},{\"TableName\":\"Books\",\"CapacityUnits\":0.5}]}", NGX_OK, 3,
          "[{\"TableName\":\"Music\",\"CapacityUnits\":1},{\"TableName\":"
          "\"Books\",\"CapacityUnits\":0.5}]");

    rs_ok("TransactGetItems", 0,
          "{\"Responses\":[{\"Item\":{\"k\":{\"S\":\"1\"}}},{},{\"Item\":{"
          "\"k\":{\"S\":\"3\"}}}],\"ConsumedCapacity\":[{\"TableName\":\"A\","
          "\"CapacityUnits\":4}]}", NGX_OK, 2,
          "[{\"TableName\":\"A\",\"CapacityUnits\":4}]");

    rs_ok("ExecuteStatement", 0,
          "{\"Items\":[{\"a\":{\"S\":\"1\"}},{},{\"b\":{\"N\":\"2\"}}],"
          "\"NextToken\":\"abc\"}", NGX_OK, 3, "");
    rs_ok("ExecuteStatement", 0, "{\"Items\":[]}", NGX_OK, 0, "");

    rs_ok("BatchExecuteStatement", 0,
          "{\"Responses\":[{\"TableName\":\"T\",\"Item\":{\"a\":{\"S\":\"1\"}"
          "}},{\"Error\":{\"Code\":\"ConditionalCheckFailed\",\"Message\":"
          "\"no\",\"Item\":{}},\"TableName\":\"T\"},{\"TableName\":\"T\"}]}",
          NGX_OK, 1, "");

    rs_ok("ExecuteTransaction", 0,
          "{\"Responses\":[{\"Item\":{}},{\"Item\":{\"x\":{\"S\":\"y\"}}}]}",
          NGX_OK, 2, "");

    /* PartiQL writes: items is the number of write statements */

    rs_ok("ExecuteStatement", 1, "{}", NGX_OK, 1, "");
    rs_ok("ExecuteStatement", 1, "{\"Items\":[]}", NGX_OK, 1, "");
    rs_ok("ExecuteStatement", 1,
          "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
          "ConditionalCheckFailedException\",\"message\":\"no\"}",
          NGX_OK, -1, "");
    rs_ok("BatchExecuteStatement", 3,
          "{\"Responses\":[{\"TableName\":\"T\"},{\"Error\":{\"Code\":"
          "\"ConditionalCheckFailed\",\"Message\":\"no\"},\"TableName\":"
          "\"T\"},{\"TableName\":\"T\"}]}", NGX_OK, 2, "");
    rs_ok("BatchExecuteStatement", 2,
          "{\"Responses\":[{\"Error\":{\"Code\":\"X\"}},{\"Error\":{"
          "\"Code\":\"Y\"}}]}", NGX_OK, 0, "");
    rs_ok("ExecuteTransaction", 2, "{}", NGX_OK, 2, "");
    rs_ok("ExecuteTransaction", 3, "{\"Responses\":[{},{},{}]}", NGX_OK, 3,
          "");

    rs_ok("PutItem", 0, "{}", NGX_OK, 1, "");
    rs_ok("UpdateItem", 0,
          "{\"Attributes\":{\"n\":{\"N\":\"2\"}},\"ConsumedCapacity\":{"
          "\"TableName\":\"T\",\"CapacityUnits\":1}}", NGX_OK, 1,
          "{\"TableName\":\"T\",\"CapacityUnits\":1}");
    rs_ok("DeleteItem", 0, "{}", NGX_OK, 1, "");

    rs_ok("BatchWriteItem", 6,
          "{\"UnprocessedItems\":{\"Orders\":[{\"PutRequest\":{\"Item\":{"
          "\"id\":{\"S\":\"o2\"}}}}],\"Audit\":[]},\"ItemCollectionMetrics\":"
          "{}}", NGX_OK, 5, "");
    rs_ok("BatchWriteItem", 6, "{\"UnprocessedItems\":{}}", NGX_OK, 6, "");
    rs_ok("BatchWriteItem", 1,
          "{\"UnprocessedItems\":{\"a\":[{},{}]}}", NGX_OK, 0, "");

    rs_ok("TransactWriteItems", 4, "{}", NGX_OK, 4, "");

    rs_ok("DescribeTable", 0, "{\"Table\":{\"TableName\":\"T\",\"ItemCount\":"
          "5}}", NGX_OK, -1, "");

    {
        rs_result_t  *r;

        const char   *body;

        body = "{\"Records\":[{\"eventName\":\"INSERT\"},{}],"
               "\"NextShardIterator\":\"x\"}";

        r = rs_all(op_target("DynamoDBStreams_20120810.GetRecords"), 0,
                   body, strlen(body));
        check(r->rc == NGX_OK && r->records_set && r->records == 2,
              "GetRecords %lu", r->records);
        free(r);
    }
}


static void
test_response_errors(void)
{
    char         *body, *b;
    size_t        i;
    rs_result_t  *r;
    ngx_str_t     name;

    body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
           "ConditionalCheckFailedException\",\"message\":\"The conditional "
           "request failed\"}";

    r = rs_all(op_named("PutItem"), 0, body, strlen(body));
    check(r->rc == NGX_OK && !r->records_set, "error answer: no records");
    check(strcmp(r->type, "com.amazonaws.dynamodb.v20120810#"
                 "ConditionalCheckFailedException") == 0, "type %s",
          r->type);
    check(strcmp(r->message, "The conditional request failed") == 0,
          "message %s", r->message);

    ngx_http_dynamo_ddb_error_name((u_char *) r->type, strlen(r->type),
                                   &name);
    check(name.len == 31 && memcmp(name.data,
                                   "ConditionalCheckFailedException", 31)
          == 0, "short name");
    free(r);

    body = "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
           "\"Message\":\"1 validation error detected\"}";

    r = rs_all(op_named("Query"), 0, body, strlen(body));
    check(strcmp(r->type, "com.amazon.coral.validate#ValidationException")
          == 0 && strcmp(r->message, "1 validation error detected") == 0,
          "Message");
    check(!r->records_set, "no records");
    free(r);

    /* message cut at 512 bytes, never inside a character */

    body = malloc(8192);
    check(body != NULL, "malloc");

    b = body;
    b += sprintf(b, "{\"message\":\"x");

    for (i = 0; i < 1000; i++) {
        b += sprintf(b, "\xe2\x82\xac");
    }

    b += sprintf(b, "\",\"__type\":\"T\"}");

    r = rs_all(op_named("GetItem"), 0, body, b - body);
    check(strlen(r->message) == 511, "message length %lu",
          (unsigned long) strlen(r->message));
    check(r->message[0] == 'x' && memcmp(r->message + 508, "\xe2\x82\xac", 3)
          == 0, "message end");
    check(strcmp(r->type, "T") == 0, "type after message");
    check(!r->records_set, "GetItem error: no records");
    free(r);

    /* ConsumedCapacity too big: dropped, flagged */

    b = body;
    b += sprintf(b, "{\"Count\":1,\"ConsumedCapacity\":[");

    for (i = 0; i < 40; i++) {
        b += sprintf(b, "%s{\"TableName\":\"Table%02lu\",\"CapacityUnits\":"
                     "1.0}", i ? "," : "", (unsigned long) i);
    }

    b += sprintf(b, "],\"Items\":[]}");

    r = rs_all(op_named("Query"), 0, body, b - body);
    check(r->rc == NGX_OK && r->records == 1, "big capacity");
    check(r->capacity[0] == '\0' && r->capacity_overflow, "overflow");
    free(r);

    free(body);

    /* whitespace is dropped from the capture */

    body = "{ \"ConsumedCapacity\" : { \"TableName\" : \"T x\" ,\n"
           "  \"CapacityUnits\" : 2 } , \"Count\" : 3 }";

    r = rs_all(op_named("Query"), 0, body, strlen(body));
    check(strcmp(r->capacity, "{\"TableName\":\"T x\",\"CapacityUnits\":2}")
          == 0 && r->records == 3, "compact capacity %s", r->capacity);
    free(r);

}


static void
test_response_broken(void)
{
    /* cut short: what was seen is kept */

    rs_ok("Query", 0, "{\"Count\":2,\"Items\":[{\"a\"", NGX_ERROR, 2, "");
    rs_ok("Query", 0, "{\"Items\":[{\"a\":1}],\"Cou", NGX_ERROR, -1, "");
    rs_ok("GetItem", 0, "{\"Item\":{\"a\":{\"S\":\"x", NGX_ERROR, 1, "");
    rs_ok("GetItem", 0, "{\"ConsumedCap", NGX_ERROR, -1, "");
    rs_ok("PutItem", 0, "{\"Attributes\":{", NGX_ERROR, -1, "");
    rs_ok("BatchWriteItem", 3, "{\"UnprocessedItems\":{\"a\":[", NGX_ERROR,
          -1, "");
    rs_ok("Query", 0, "{\"ConsumedCapacity\":{\"TableName\":\"T\"",
          NGX_ERROR, -1, "");

    /* not JSON, or not an object */

    rs_ok("Query", 0, "", NGX_ERROR, -1, "");
    rs_ok("Query", 0, "<html><body>502 Bad Gateway</body></html>",
          NGX_ERROR, -1, "");
    rs_ok("GetItem", 0, "[{\"Item\":{}}]", NGX_ERROR, -1, "");
    rs_ok("PutItem", 0, "\"ok\"", NGX_ERROR, -1, "");
    rs_ok("PutItem", 0, "{} trailing", NGX_ERROR, -1, "");
    rs_ok("Query", 0, "{\"Count\":\"2\"}", NGX_OK, -1, "");
    rs_ok("Query", 0, "{\"Count\":-1}", NGX_OK, -1, "");
    rs_ok("Query", 0, "{\"Count\":99999999999999999999}", NGX_OK, -1, "");
    rs_ok(NULL, 0, "{\"Count\":4}", NGX_OK, 4, "");
}


static void
test_response_large(void)
{
    char                            *body, *b;
    size_t                           i, pos, piece;
    unsigned                         seed;
    ngx_http_dynamo_ddb_response_t  *rs;

    body = malloc(4 * 1024 * 1024);
    check(body != NULL, "malloc");

    b = body;
    b += sprintf(b, "{\"Items\":[");

    for (i = 0; i < 10000; i++) {
        b += sprintf(b, "%s{\"pk\":{\"S\":\"item-%lu\"},\"data\":{\"S\":"
                     "\"%0200lu\"},\"n\":{\"N\":\"%lu\"}}", i ? "," : "",
                     (unsigned long) i, (unsigned long) i,
                     (unsigned long) i);
    }

    b += sprintf(b, "],\"Count\":10000,\"ScannedCount\":10000,"
                 "\"ConsumedCapacity\":{\"TableName\":\"Big\","
                 "\"CapacityUnits\":128.5}}");

    rs = malloc(sizeof(ngx_http_dynamo_ddb_response_t));
    check(rs != NULL, "malloc");

    /* stale bytes, as in rq_run(): init() clears the fields before "type" */

    memset(rs, 0xa5, sizeof(ngx_http_dynamo_ddb_response_t));

    seed = 42;

    ngx_http_dynamo_ddb_response_init(rs, op_named("Scan"), 0);

    for (pos = 0; pos < (size_t) (b - body); pos += piece) {
        seed = seed * 1103515245 + 12345;
        piece = 1 + (seed >> 16) % 8000;
        piece = ngx_min(piece, (size_t) (b - body) - pos);

        check(ngx_http_dynamo_ddb_response_feed(rs, (u_char *) body + pos,
                                                (u_char *) body + pos + piece)
              == NGX_OK, "large feed");
    }

    check(ngx_http_dynamo_ddb_response_finish(rs) == NGX_OK, "large finish");
    check(rs->records_set && rs->records == 10000, "large records");
#define BIG_CAPACITY  "{\"TableName\":\"Big\",\"CapacityUnits\":128.5}"

    check(rs->capacity_len == sizeof(BIG_CAPACITY) - 1
          && memcmp(rs->capacity, BIG_CAPACITY, rs->capacity_len) == 0,
          "large capacity");

    free(rs);
    free(body);
}


/*
 * A 1 MB BatchWriteItem-like body through the request reader: "long" has
 * 200 attributes of ~180 bytes per item, "dense" many short attributes,
 * the worst case for a reader that works per event.
 */

static size_t
bench_body(char *body, size_t size, ngx_uint_t dense)
{
    char    *b;
    size_t   i, j, n;

    b = body;
    b += sprintf(b, "{\"RequestItems\": {");

    n = dense ? 1800 : 200;

    for (i = 0; i < 25; i++) {
        b += sprintf(b, "%s\"Table%lu\": [{\"PutRequest\": {\"Item\": {",
                     i ? ", " : "", (unsigned long) i % 3);

        for (j = 0; j < n; j++) {
            if (dense) {
                b += sprintf(b, "%s\"a%lu\": {\"S\": \"v%lu\"}", j ? ", " : "",
                             (unsigned long) j, (unsigned long) i);
                continue;
            }

            b += sprintf(b, "%s\"attr_%03lu\": {\"S\": \"value %lu of item "
                         "%lu: some text with \\\"escapes\\\" \\u00e9 and "
                         "caf\xc3\xa9 \xe2\x82\xac %0100lu\"}", j ? ", " : "",
                         (unsigned long) j, (unsigned long) j,
                         (unsigned long) i, (unsigned long) j);

            if (j % 10 == 0) {
                b += sprintf(b, ", \"num_%03lu\": {\"N\": \"%lu.5\"}, "
                             "\"list_%03lu\": {\"L\": [{\"N\": \"1\"}, "
                             "{\"BOOL\": true}, {\"NULL\": true}]}",
                             (unsigned long) j, (unsigned long) j * 31,
                             (unsigned long) j);
            }
        }

        b += sprintf(b, "}}}]");
    }

    b += sprintf(b, "}, \"ReturnConsumedCapacity\": \"TOTAL\"}");

    check((size_t) (b - body) < size, "bench body size");

    return b - body;
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static double
bench_run(char *body, size_t len, ngx_uint_t mode, u_char *stmt,
    size_t max, ngx_uint_t rounds, size_t *rendered)
{
    size_t                          pos, piece;
    double                          t0;
    ngx_uint_t                      i;
    ngx_http_dynamo_json_t          js;
    ngx_http_dynamo_ddb_request_t  *rq;

    rq = malloc(sizeof(ngx_http_dynamo_ddb_request_t));
    check(rq != NULL, "malloc");

    /*
     * a block kept from an earlier request: init() clears only the fields
     * before "tables", a field read before it is written must be there
     */

    memset(rq, 0xa5, sizeof(ngx_http_dynamo_ddb_request_t));

    piece = 16384;
    *rendered = 0;

    t0 = now();

    for (i = 0; i < rounds; i++) {

        if (mode == 3) {

            /* the tokenizer alone, no handler */

            ngx_http_dynamo_json_init(&js, NULL, NULL);

            for (pos = 0; pos < len; pos += piece) {
                ngx_http_dynamo_json_feed(&js, (u_char *) body + pos,
                                          (u_char *) body
                                          + ngx_min(pos + piece, len));
            }

            check(ngx_http_dynamo_json_finish(&js) == NGX_OK, "bench json");
            continue;
        }

        ngx_http_dynamo_ddb_request_init(rq, op_named("BatchWriteItem"),
                                         mode, stmt, max);

        for (pos = 0; pos < len; pos += piece) {
            ngx_http_dynamo_ddb_request_feed(rq, (u_char *) body + pos,
                                             (u_char *) body
                                             + ngx_min(pos + piece, len));
        }

        check(ngx_http_dynamo_ddb_request_finish(rq) == NGX_OK,
              "bench finish");
        check(rq->items == 25 && rq->ntables == 3, "bench result");

        *rendered = rq->stmt_len;
    }

    free(rq);

    return (len / (1024.0 * 1024.0)) * rounds / (now() - t0);
}


static void
bench(void)
{
    char        *body;
    u_char      *stmt;
    size_t       len, rendered;
    double       t0, mb;
    ngx_uint_t   dense, rounds, i;

    body = malloc(2 * 1024 * 1024);
    stmt = malloc(2 * 1024 * 1024);
    check(body != NULL && stmt != NULL, "malloc");

    rounds = 200;

    for (dense = 0; dense < 2; dense++) {
        len = bench_body(body, 2 * 1024 * 1024, dense);

        printf("%s body: %lu bytes in 16384-byte pieces, %lu rounds\n",
               dense ? "dense" : "long", (unsigned long) len,
               (unsigned long) rounds);

        printf("  tokenizer alone              %7.0f MB/s\n",
               bench_run(body, len, 3, NULL, 0, rounds, &rendered));
        printf("  reader OFF                   %7.0f MB/s\n",
               bench_run(body, len, NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF,
                         stmt, 4096, rounds, &rendered));
        printf("  reader FULL (4 KB kept)      %7.0f MB/s\n",
               bench_run(body, len, NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL,
                         stmt, 4096, rounds, &rendered));
        printf("  reader KEYS (4 KB kept)      %7.0f MB/s\n",
               bench_run(body, len, NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS,
                         stmt, 4096, rounds, &rendered));
        mb = bench_run(body, len, NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS, stmt,
                       2 * 1024 * 1024, rounds, &rendered);
        printf("  reader KEYS (all rendered)   %7.0f MB/s, %lu bytes\n", mb,
               (unsigned long) rendered);

        mb = len / (1024.0 * 1024.0);
        t0 = now();

        for (i = 0; i < rounds; i++) {
            memcpy(stmt, body, len);
            body[i % len] ^= stmt[(i * 7) % len] & 0;
        }

        printf("  memcpy                       %7.0f MB/s\n",
               mb * rounds / (now() - t0));
    }

    free(stmt);
    free(body);
}


int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "bench") == 0) {
        bench();
        return 0;
    }

    test_operations();
    test_arn();
    test_error_name();
    test_request_items();
    test_request_batch();
    test_request_partiql();
    test_partiql_tables();
    test_request_admin();
    test_request_capacity();
    test_request_streams();
    test_request_render();
    test_request_truncation();
    test_request_bounds();
    test_request_errors();
    test_response_records();
    test_response_errors();
    test_response_broken();
    test_response_large();

    printf("test_ddb: %lu checks passed\n", (unsigned long) checks);

    return 0;
}
