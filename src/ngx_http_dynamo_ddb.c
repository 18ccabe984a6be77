
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * DynamoDB's JSON protocol: which operation a request names, what its body
 * touches (tables, items, PartiQL statements), how much of it the activity
 * record may keep, and what the answer says (records, errors, consumed
 * capacity).  The readers are handlers of the streaming tokenizer: they
 * look at events, never at the whole body, and mute the subtrees they have
 * no use for.  See ngx_http_dynamo_ddb.h for the interface.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_ddb.h"


#define NGX_HTTP_DYNAMO_DDB_PREFIX          "DynamoDB_20120810."
#define NGX_HTTP_DYNAMO_DDB_STREAMS_PREFIX  "DynamoDBStreams_20120810."


/* what the values under a container are, for the keys-mode rendering */

#define NGX_HTTP_DYNAMO_DDB_CTX_NORMAL  0  /* request structure */
#define NGX_HTTP_DYNAMO_DDB_CTX_DATA    1  /* items, keys, values: masked */
#define NGX_HTTP_DYNAMO_DDB_CTX_NAMES   2  /* attribute names: kept */


/* member key flags */

#define NGX_HTTP_DYNAMO_DDB_KEEP        1  /* a scalar value is kept */
#define NGX_HTTP_DYNAMO_DDB_DATA        2  /* the value holds item data */
#define NGX_HTTP_DYNAMO_DDB_NAMES       4  /* the value holds attribute names */


/* the member keys the readers know: ids follow the sorted table below */

enum {
    NGX_HTTP_DYNAMO_DDB_K_NONE = 0,
    NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_DEFINITIONS,
    NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_NAME,
    NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_TYPE,
    NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_UPDATES,
    NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_VALUE_LIST,
    NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTES_TO_GET,
    NGX_HTTP_DYNAMO_DDB_K_BACKUP_ARN,
    NGX_HTTP_DYNAMO_DDB_K_BACKUP_NAME,
    NGX_HTTP_DYNAMO_DDB_K_BACKUP_TYPE,
    NGX_HTTP_DYNAMO_DDB_K_BILLING_MODE,
    NGX_HTTP_DYNAMO_DDB_K_COMPARISON_OPERATOR,
    NGX_HTTP_DYNAMO_DDB_K_CONDITION_CHECK,
    NGX_HTTP_DYNAMO_DDB_K_CONDITION_EXPRESSION,
    NGX_HTTP_DYNAMO_DDB_K_CONDITIONAL_OPERATOR,
    NGX_HTTP_DYNAMO_DDB_K_CONSISTENT_READ,
    NGX_HTTP_DYNAMO_DDB_K_CONSUMED_CAPACITY,
    NGX_HTTP_DYNAMO_DDB_K_COUNT,
    NGX_HTTP_DYNAMO_DDB_K_DELETE,
    NGX_HTTP_DYNAMO_DDB_K_DELETE_REQUEST,
    NGX_HTTP_DYNAMO_DDB_K_DELETION_PROTECTION_ENABLED,
    NGX_HTTP_DYNAMO_DDB_K_ENABLED,
    NGX_HTTP_DYNAMO_DDB_K_EXCLUSIVE_START_BACKUP_ARN,
    NGX_HTTP_DYNAMO_DDB_K_EXCLUSIVE_START_KEY,
    NGX_HTTP_DYNAMO_DDB_K_EXCLUSIVE_START_TABLE_NAME,
    NGX_HTTP_DYNAMO_DDB_K_EXPECTED,
    NGX_HTTP_DYNAMO_DDB_K_EXPORT_ARN,
    NGX_HTTP_DYNAMO_DDB_K_EXPRESSION_ATTRIBUTE_NAMES,
    NGX_HTTP_DYNAMO_DDB_K_EXPRESSION_ATTRIBUTE_VALUES,
    NGX_HTTP_DYNAMO_DDB_K_FILTER_EXPRESSION,
    NGX_HTTP_DYNAMO_DDB_K_GET,
    NGX_HTTP_DYNAMO_DDB_K_GLOBAL_TABLE_NAME,
    NGX_HTTP_DYNAMO_DDB_K_IMPORT_ARN,
    NGX_HTTP_DYNAMO_DDB_K_INDEX_NAME,
    NGX_HTTP_DYNAMO_DDB_K_ITEM,
    NGX_HTTP_DYNAMO_DDB_K_ITEMS,
    NGX_HTTP_DYNAMO_DDB_K_KEY,
    NGX_HTTP_DYNAMO_DDB_K_KEY_CONDITION_EXPRESSION,
    NGX_HTTP_DYNAMO_DDB_K_KEY_CONDITIONS,
    NGX_HTTP_DYNAMO_DDB_K_KEY_SCHEMA,
    NGX_HTTP_DYNAMO_DDB_K_KEY_TYPE,
    NGX_HTTP_DYNAMO_DDB_K_KEYS,
    NGX_HTTP_DYNAMO_DDB_K_LAST_EVALUATED_KEY,
    NGX_HTTP_DYNAMO_DDB_K_LIMIT,
    NGX_HTTP_DYNAMO_DDB_K_MESSAGE,
    NGX_HTTP_DYNAMO_DDB_K_NON_KEY_ATTRIBUTES,
    NGX_HTTP_DYNAMO_DDB_K_PARAMETERS,
    NGX_HTTP_DYNAMO_DDB_K_PROJECTION_EXPRESSION,
    NGX_HTTP_DYNAMO_DDB_K_PROJECTION_TYPE,
    NGX_HTTP_DYNAMO_DDB_K_PUT,
    NGX_HTTP_DYNAMO_DDB_K_PUT_REQUEST,
    NGX_HTTP_DYNAMO_DDB_K_QUERY_FILTER,
    NGX_HTTP_DYNAMO_DDB_K_READ_CAPACITY_UNITS,
    NGX_HTTP_DYNAMO_DDB_K_RECORDS,
    NGX_HTTP_DYNAMO_DDB_K_REGION_NAME,
    NGX_HTTP_DYNAMO_DDB_K_REQUEST_ITEMS,
    NGX_HTTP_DYNAMO_DDB_K_RESOURCE_ARN,
    NGX_HTTP_DYNAMO_DDB_K_RESPONSES,
    NGX_HTTP_DYNAMO_DDB_K_RETURN_CONSUMED_CAPACITY,
    NGX_HTTP_DYNAMO_DDB_K_RETURN_ITEM_COLLECTION_METRICS,
    NGX_HTTP_DYNAMO_DDB_K_RETURN_VALUES,
    NGX_HTTP_DYNAMO_DDB_K_RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
    NGX_HTTP_DYNAMO_DDB_K_SCAN_FILTER,
    NGX_HTTP_DYNAMO_DDB_K_SCAN_INDEX_FORWARD,
    NGX_HTTP_DYNAMO_DDB_K_SEGMENT,
    NGX_HTTP_DYNAMO_DDB_K_SELECT,
    NGX_HTTP_DYNAMO_DDB_K_SHARD_ITERATOR_TYPE,
    NGX_HTTP_DYNAMO_DDB_K_SOURCE_TABLE_ARN,
    NGX_HTTP_DYNAMO_DDB_K_SOURCE_TABLE_NAME,
    NGX_HTTP_DYNAMO_DDB_K_STATEMENT,
    NGX_HTTP_DYNAMO_DDB_K_STATEMENTS,
    NGX_HTTP_DYNAMO_DDB_K_STREAM_ARN,
    NGX_HTTP_DYNAMO_DDB_K_STREAM_ENABLED,
    NGX_HTTP_DYNAMO_DDB_K_STREAM_VIEW_TYPE,
    NGX_HTTP_DYNAMO_DDB_K_TABLE_ARN,
    NGX_HTTP_DYNAMO_DDB_K_TABLE_CLASS,
    NGX_HTTP_DYNAMO_DDB_K_TABLE_CREATION_PARAMETERS,
    NGX_HTTP_DYNAMO_DDB_K_TABLE_NAME,
    NGX_HTTP_DYNAMO_DDB_K_TARGET_TABLE_NAME,
    NGX_HTTP_DYNAMO_DDB_K_TOTAL_SEGMENTS,
    NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS,
    NGX_HTTP_DYNAMO_DDB_K_TRANSACT_STATEMENTS,
    NGX_HTTP_DYNAMO_DDB_K_UNPROCESSED_ITEMS,
    NGX_HTTP_DYNAMO_DDB_K_UPDATE,
    NGX_HTTP_DYNAMO_DDB_K_UPDATE_EXPRESSION,
    NGX_HTTP_DYNAMO_DDB_K_WRITE_CAPACITY_UNITS,
    NGX_HTTP_DYNAMO_DDB_K_TYPE_,
    NGX_HTTP_DYNAMO_DDB_K_MESSAGE_LC,
    NGX_HTTP_DYNAMO_DDB_K_MAX
};


typedef struct {
    ngx_str_t                    name;
    u_char                       id;
    u_char                       flags;
} ngx_http_dynamo_ddb_key_t;


/* sorted by name, byte by byte; entry i has id i + 1 */

static ngx_http_dynamo_ddb_key_t  ngx_http_dynamo_ddb_keys[] = {
    { ngx_string("AttributeDefinitions"),
      NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_DEFINITIONS, 0 },
    { ngx_string("AttributeName"),
      NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("AttributeType"),
      NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_TYPE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("AttributeUpdates"),
      NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_UPDATES, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("AttributeValueList"),
      NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTE_VALUE_LIST, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("AttributesToGet"),
      NGX_HTTP_DYNAMO_DDB_K_ATTRIBUTES_TO_GET, NGX_HTTP_DYNAMO_DDB_NAMES },
    { ngx_string("BackupArn"),
      NGX_HTTP_DYNAMO_DDB_K_BACKUP_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("BackupName"),
      NGX_HTTP_DYNAMO_DDB_K_BACKUP_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("BackupType"),
      NGX_HTTP_DYNAMO_DDB_K_BACKUP_TYPE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("BillingMode"),
      NGX_HTTP_DYNAMO_DDB_K_BILLING_MODE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ComparisonOperator"),
      NGX_HTTP_DYNAMO_DDB_K_COMPARISON_OPERATOR, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ConditionCheck"), NGX_HTTP_DYNAMO_DDB_K_CONDITION_CHECK, 0 },
    { ngx_string("ConditionExpression"),
      NGX_HTTP_DYNAMO_DDB_K_CONDITION_EXPRESSION, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ConditionalOperator"),
      NGX_HTTP_DYNAMO_DDB_K_CONDITIONAL_OPERATOR, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ConsistentRead"),
      NGX_HTTP_DYNAMO_DDB_K_CONSISTENT_READ, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ConsumedCapacity"),
      NGX_HTTP_DYNAMO_DDB_K_CONSUMED_CAPACITY, 0 },
    { ngx_string("Count"), NGX_HTTP_DYNAMO_DDB_K_COUNT, 0 },
    { ngx_string("Delete"), NGX_HTTP_DYNAMO_DDB_K_DELETE, 0 },
    { ngx_string("DeleteRequest"), NGX_HTTP_DYNAMO_DDB_K_DELETE_REQUEST, 0 },
    { ngx_string("DeletionProtectionEnabled"),
      NGX_HTTP_DYNAMO_DDB_K_DELETION_PROTECTION_ENABLED,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Enabled"),
      NGX_HTTP_DYNAMO_DDB_K_ENABLED, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ExclusiveStartBackupArn"),
      NGX_HTTP_DYNAMO_DDB_K_EXCLUSIVE_START_BACKUP_ARN,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ExclusiveStartKey"),
      NGX_HTTP_DYNAMO_DDB_K_EXCLUSIVE_START_KEY, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("ExclusiveStartTableName"),
      NGX_HTTP_DYNAMO_DDB_K_EXCLUSIVE_START_TABLE_NAME,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Expected"),
      NGX_HTTP_DYNAMO_DDB_K_EXPECTED, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("ExportArn"),
      NGX_HTTP_DYNAMO_DDB_K_EXPORT_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ExpressionAttributeNames"),
      NGX_HTTP_DYNAMO_DDB_K_EXPRESSION_ATTRIBUTE_NAMES,
      NGX_HTTP_DYNAMO_DDB_NAMES },
    { ngx_string("ExpressionAttributeValues"),
      NGX_HTTP_DYNAMO_DDB_K_EXPRESSION_ATTRIBUTE_VALUES,
      NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("FilterExpression"),
      NGX_HTTP_DYNAMO_DDB_K_FILTER_EXPRESSION, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Get"), NGX_HTTP_DYNAMO_DDB_K_GET, 0 },
    { ngx_string("GlobalTableName"),
      NGX_HTTP_DYNAMO_DDB_K_GLOBAL_TABLE_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ImportArn"),
      NGX_HTTP_DYNAMO_DDB_K_IMPORT_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("IndexName"),
      NGX_HTTP_DYNAMO_DDB_K_INDEX_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Item"),
      NGX_HTTP_DYNAMO_DDB_K_ITEM, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("Items"),
      NGX_HTTP_DYNAMO_DDB_K_ITEMS, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("Key"), NGX_HTTP_DYNAMO_DDB_K_KEY, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("KeyConditionExpression"),
      NGX_HTTP_DYNAMO_DDB_K_KEY_CONDITION_EXPRESSION,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("KeyConditions"),
      NGX_HTTP_DYNAMO_DDB_K_KEY_CONDITIONS, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("KeySchema"), NGX_HTTP_DYNAMO_DDB_K_KEY_SCHEMA, 0 },
    { ngx_string("KeyType"),
      NGX_HTTP_DYNAMO_DDB_K_KEY_TYPE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Keys"),
      NGX_HTTP_DYNAMO_DDB_K_KEYS, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("LastEvaluatedKey"),
      NGX_HTTP_DYNAMO_DDB_K_LAST_EVALUATED_KEY, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("Limit"),
      NGX_HTTP_DYNAMO_DDB_K_LIMIT, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Message"), NGX_HTTP_DYNAMO_DDB_K_MESSAGE, 0 },
    { ngx_string("NonKeyAttributes"),
      NGX_HTTP_DYNAMO_DDB_K_NON_KEY_ATTRIBUTES, NGX_HTTP_DYNAMO_DDB_NAMES },
    { ngx_string("Parameters"),
      NGX_HTTP_DYNAMO_DDB_K_PARAMETERS, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("ProjectionExpression"),
      NGX_HTTP_DYNAMO_DDB_K_PROJECTION_EXPRESSION, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ProjectionType"),
      NGX_HTTP_DYNAMO_DDB_K_PROJECTION_TYPE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Put"), NGX_HTTP_DYNAMO_DDB_K_PUT, 0 },
    { ngx_string("PutRequest"), NGX_HTTP_DYNAMO_DDB_K_PUT_REQUEST, 0 },
    { ngx_string("QueryFilter"),
      NGX_HTTP_DYNAMO_DDB_K_QUERY_FILTER, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("ReadCapacityUnits"),
      NGX_HTTP_DYNAMO_DDB_K_READ_CAPACITY_UNITS, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Records"), NGX_HTTP_DYNAMO_DDB_K_RECORDS, 0 },
    { ngx_string("RegionName"),
      NGX_HTTP_DYNAMO_DDB_K_REGION_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("RequestItems"), NGX_HTTP_DYNAMO_DDB_K_REQUEST_ITEMS, 0 },
    { ngx_string("ResourceArn"),
      NGX_HTTP_DYNAMO_DDB_K_RESOURCE_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Responses"), NGX_HTTP_DYNAMO_DDB_K_RESPONSES, 0 },
    { ngx_string("ReturnConsumedCapacity"),
      NGX_HTTP_DYNAMO_DDB_K_RETURN_CONSUMED_CAPACITY,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ReturnItemCollectionMetrics"),
      NGX_HTTP_DYNAMO_DDB_K_RETURN_ITEM_COLLECTION_METRICS,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ReturnValues"),
      NGX_HTTP_DYNAMO_DDB_K_RETURN_VALUES, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ReturnValuesOnConditionCheckFailure"),
      NGX_HTTP_DYNAMO_DDB_K_RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
      NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ScanFilter"),
      NGX_HTTP_DYNAMO_DDB_K_SCAN_FILTER, NGX_HTTP_DYNAMO_DDB_DATA },
    { ngx_string("ScanIndexForward"),
      NGX_HTTP_DYNAMO_DDB_K_SCAN_INDEX_FORWARD, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Segment"),
      NGX_HTTP_DYNAMO_DDB_K_SEGMENT, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Select"),
      NGX_HTTP_DYNAMO_DDB_K_SELECT, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("ShardIteratorType"),
      NGX_HTTP_DYNAMO_DDB_K_SHARD_ITERATOR_TYPE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("SourceTableArn"),
      NGX_HTTP_DYNAMO_DDB_K_SOURCE_TABLE_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("SourceTableName"),
      NGX_HTTP_DYNAMO_DDB_K_SOURCE_TABLE_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("Statement"), NGX_HTTP_DYNAMO_DDB_K_STATEMENT, 0 },
    { ngx_string("Statements"), NGX_HTTP_DYNAMO_DDB_K_STATEMENTS, 0 },
    { ngx_string("StreamArn"),
      NGX_HTTP_DYNAMO_DDB_K_STREAM_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("StreamEnabled"),
      NGX_HTTP_DYNAMO_DDB_K_STREAM_ENABLED, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("StreamViewType"),
      NGX_HTTP_DYNAMO_DDB_K_STREAM_VIEW_TYPE, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("TableArn"),
      NGX_HTTP_DYNAMO_DDB_K_TABLE_ARN, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("TableClass"),
      NGX_HTTP_DYNAMO_DDB_K_TABLE_CLASS, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("TableCreationParameters"),
      NGX_HTTP_DYNAMO_DDB_K_TABLE_CREATION_PARAMETERS, 0 },
    { ngx_string("TableName"),
      NGX_HTTP_DYNAMO_DDB_K_TABLE_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("TargetTableName"),
      NGX_HTTP_DYNAMO_DDB_K_TARGET_TABLE_NAME, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("TotalSegments"),
      NGX_HTTP_DYNAMO_DDB_K_TOTAL_SEGMENTS, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("TransactItems"), NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS, 0 },
    { ngx_string("TransactStatements"),
      NGX_HTTP_DYNAMO_DDB_K_TRANSACT_STATEMENTS, 0 },
    { ngx_string("UnprocessedItems"),
      NGX_HTTP_DYNAMO_DDB_K_UNPROCESSED_ITEMS, 0 },
    { ngx_string("Update"), NGX_HTTP_DYNAMO_DDB_K_UPDATE, 0 },
    { ngx_string("UpdateExpression"),
      NGX_HTTP_DYNAMO_DDB_K_UPDATE_EXPRESSION, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("WriteCapacityUnits"),
      NGX_HTTP_DYNAMO_DDB_K_WRITE_CAPACITY_UNITS, NGX_HTTP_DYNAMO_DDB_KEEP },
    { ngx_string("__type"), NGX_HTTP_DYNAMO_DDB_K_TYPE_, 0 },
    { ngx_string("message"), NGX_HTTP_DYNAMO_DDB_K_MESSAGE_LC, 0 },
};


/* sorted by name, byte by byte */

static ngx_http_dynamo_ddb_op_t  ngx_http_dynamo_ddb_ops[] = {
    { ngx_string("BatchExecuteStatement"),
      ngx_string("BATCH_EXECUTE_STATEMENT"),
      NGX_HTTP_DYNAMO_OP_BATCH_EXECUTE_STATEMENT,
      NGX_HTTP_DYNAMO_DDB_PARTIQL | NGX_HTTP_DYNAMO_DDB_BATCH },
    { ngx_string("BatchGetItem"),
      ngx_string("BATCH_GET_ITEM"),
      NGX_HTTP_DYNAMO_OP_BATCH_GET_ITEM,
      NGX_HTTP_DYNAMO_DDB_READ | NGX_HTTP_DYNAMO_DDB_BATCH },
    { ngx_string("BatchWriteItem"),
      ngx_string("BATCH_WRITE_ITEM"),
      NGX_HTTP_DYNAMO_OP_BATCH_WRITE_ITEM,
      NGX_HTTP_DYNAMO_DDB_WRITE | NGX_HTTP_DYNAMO_DDB_BATCH },
    { ngx_string("CreateBackup"),
      ngx_string("CREATE_BACKUP"),
      NGX_HTTP_DYNAMO_OP_CREATE_BACKUP,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("CreateGlobalTable"),
      ngx_string("CREATE_GLOBAL_TABLE"),
      NGX_HTTP_DYNAMO_OP_CREATE_GLOBAL_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("CreateTable"),
      ngx_string("CREATE_TABLE"),
      NGX_HTTP_DYNAMO_OP_CREATE_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DeleteBackup"),
      ngx_string("DELETE_BACKUP"),
      NGX_HTTP_DYNAMO_OP_DELETE_BACKUP,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DeleteItem"),
      ngx_string("DELETE_ITEM"),
      NGX_HTTP_DYNAMO_OP_DELETE_ITEM,
      NGX_HTTP_DYNAMO_DDB_WRITE },
    { ngx_string("DeleteResourcePolicy"),
      ngx_string("DELETE_RESOURCE_POLICY"),
      NGX_HTTP_DYNAMO_OP_DELETE_RESOURCE_POLICY,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DeleteTable"),
      ngx_string("DELETE_TABLE"),
      NGX_HTTP_DYNAMO_OP_DELETE_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeBackup"),
      ngx_string("DESCRIBE_BACKUP"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_BACKUP,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeContinuousBackups"),
      ngx_string("DESCRIBE_CONTINUOUS_BACKUPS"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_CONTINUOUS_BACKUPS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeContributorInsights"),
      ngx_string("DESCRIBE_CONTRIBUTOR_INSIGHTS"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_CONTRIBUTOR_INSIGHTS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeEndpoints"),
      ngx_string("DESCRIBE_ENDPOINTS"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_ENDPOINTS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeExport"),
      ngx_string("DESCRIBE_EXPORT"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_EXPORT,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeGlobalTable"),
      ngx_string("DESCRIBE_GLOBAL_TABLE"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_GLOBAL_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeGlobalTableSettings"),
      ngx_string("DESCRIBE_GLOBAL_TABLE_SETTINGS"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_GLOBAL_TABLE_SETTINGS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeImport"),
      ngx_string("DESCRIBE_IMPORT"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_IMPORT,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeKinesisStreamingDestination"),
      ngx_string("DESCRIBE_KINESIS_STREAMING_DESTINATION"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_KINESIS_STREAMING_DESTINATION,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeLimits"),
      ngx_string("DESCRIBE_LIMITS"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_LIMITS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeStream"),
      ngx_string("DESCRIBE_STREAM"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_STREAM,
      NGX_HTTP_DYNAMO_DDB_STREAMS | NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeTable"),
      ngx_string("DESCRIBE_TABLE"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeTableReplicaAutoScaling"),
      ngx_string("DESCRIBE_TABLE_REPLICA_AUTO_SCALING"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_TABLE_REPLICA_AUTO_SCALING,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DescribeTimeToLive"),
      ngx_string("DESCRIBE_TIME_TO_LIVE"),
      NGX_HTTP_DYNAMO_OP_DESCRIBE_TIME_TO_LIVE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("DisableKinesisStreamingDestination"),
      ngx_string("DISABLE_KINESIS_STREAMING_DESTINATION"),
      NGX_HTTP_DYNAMO_OP_DISABLE_KINESIS_STREAMING_DESTINATION,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("EnableKinesisStreamingDestination"),
      ngx_string("ENABLE_KINESIS_STREAMING_DESTINATION"),
      NGX_HTTP_DYNAMO_OP_ENABLE_KINESIS_STREAMING_DESTINATION,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ExecuteStatement"),
      ngx_string("EXECUTE_STATEMENT"),
      NGX_HTTP_DYNAMO_OP_EXECUTE_STATEMENT,
      NGX_HTTP_DYNAMO_DDB_PARTIQL },
    { ngx_string("ExecuteTransaction"),
      ngx_string("EXECUTE_TRANSACTION"),
      NGX_HTTP_DYNAMO_OP_EXECUTE_TRANSACTION,
      NGX_HTTP_DYNAMO_DDB_PARTIQL | NGX_HTTP_DYNAMO_DDB_TRANSACTION },
    { ngx_string("ExportTableToPointInTime"),
      ngx_string("EXPORT_TABLE_TO_POINT_IN_TIME"),
      NGX_HTTP_DYNAMO_OP_EXPORT_TABLE_TO_POINT_IN_TIME,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("GetItem"),
      ngx_string("GET_ITEM"),
      NGX_HTTP_DYNAMO_OP_GET_ITEM,
      NGX_HTTP_DYNAMO_DDB_READ },
    { ngx_string("GetRecords"),
      ngx_string("GET_RECORDS"),
      NGX_HTTP_DYNAMO_OP_GET_RECORDS,
      NGX_HTTP_DYNAMO_DDB_READ | NGX_HTTP_DYNAMO_DDB_STREAMS },
    { ngx_string("GetResourcePolicy"),
      ngx_string("GET_RESOURCE_POLICY"),
      NGX_HTTP_DYNAMO_OP_GET_RESOURCE_POLICY,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("GetShardIterator"),
      ngx_string("GET_SHARD_ITERATOR"),
      NGX_HTTP_DYNAMO_OP_GET_SHARD_ITERATOR,
      NGX_HTTP_DYNAMO_DDB_READ | NGX_HTTP_DYNAMO_DDB_STREAMS },
    { ngx_string("ImportTable"),
      ngx_string("IMPORT_TABLE"),
      NGX_HTTP_DYNAMO_OP_IMPORT_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListBackups"),
      ngx_string("LIST_BACKUPS"),
      NGX_HTTP_DYNAMO_OP_LIST_BACKUPS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListContributorInsights"),
      ngx_string("LIST_CONTRIBUTOR_INSIGHTS"),
      NGX_HTTP_DYNAMO_OP_LIST_CONTRIBUTOR_INSIGHTS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListExports"),
      ngx_string("LIST_EXPORTS"),
      NGX_HTTP_DYNAMO_OP_LIST_EXPORTS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListGlobalTables"),
      ngx_string("LIST_GLOBAL_TABLES"),
      NGX_HTTP_DYNAMO_OP_LIST_GLOBAL_TABLES,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListImports"),
      ngx_string("LIST_IMPORTS"),
      NGX_HTTP_DYNAMO_OP_LIST_IMPORTS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListStreams"),
      ngx_string("LIST_STREAMS"),
      NGX_HTTP_DYNAMO_OP_LIST_STREAMS,
      NGX_HTTP_DYNAMO_DDB_STREAMS | NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListTables"),
      ngx_string("LIST_TABLES"),
      NGX_HTTP_DYNAMO_OP_LIST_TABLES,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("ListTagsOfResource"),
      ngx_string("LIST_TAGS_OF_RESOURCE"),
      NGX_HTTP_DYNAMO_OP_LIST_TAGS_OF_RESOURCE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("PutItem"),
      ngx_string("PUT_ITEM"),
      NGX_HTTP_DYNAMO_OP_PUT_ITEM,
      NGX_HTTP_DYNAMO_DDB_WRITE },
    { ngx_string("PutResourcePolicy"),
      ngx_string("PUT_RESOURCE_POLICY"),
      NGX_HTTP_DYNAMO_OP_PUT_RESOURCE_POLICY,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("Query"),
      ngx_string("QUERY"),
      NGX_HTTP_DYNAMO_OP_QUERY,
      NGX_HTTP_DYNAMO_DDB_READ },
    { ngx_string("RestoreTableFromBackup"),
      ngx_string("RESTORE_TABLE_FROM_BACKUP"),
      NGX_HTTP_DYNAMO_OP_RESTORE_TABLE_FROM_BACKUP,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("RestoreTableToPointInTime"),
      ngx_string("RESTORE_TABLE_TO_POINT_IN_TIME"),
      NGX_HTTP_DYNAMO_OP_RESTORE_TABLE_TO_POINT_IN_TIME,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("Scan"),
      ngx_string("SCAN"),
      NGX_HTTP_DYNAMO_OP_SCAN,
      NGX_HTTP_DYNAMO_DDB_READ },
    { ngx_string("TagResource"),
      ngx_string("TAG_RESOURCE"),
      NGX_HTTP_DYNAMO_OP_TAG_RESOURCE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("TransactGetItems"),
      ngx_string("TRANSACT_GET_ITEMS"),
      NGX_HTTP_DYNAMO_OP_TRANSACT_GET_ITEMS,
      NGX_HTTP_DYNAMO_DDB_READ | NGX_HTTP_DYNAMO_DDB_TRANSACTION },
    { ngx_string("TransactWriteItems"),
      ngx_string("TRANSACT_WRITE_ITEMS"),
      NGX_HTTP_DYNAMO_OP_TRANSACT_WRITE_ITEMS,
      NGX_HTTP_DYNAMO_DDB_WRITE | NGX_HTTP_DYNAMO_DDB_TRANSACTION },
    { ngx_string("UntagResource"),
      ngx_string("UNTAG_RESOURCE"),
      NGX_HTTP_DYNAMO_OP_UNTAG_RESOURCE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateContinuousBackups"),
      ngx_string("UPDATE_CONTINUOUS_BACKUPS"),
      NGX_HTTP_DYNAMO_OP_UPDATE_CONTINUOUS_BACKUPS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateContributorInsights"),
      ngx_string("UPDATE_CONTRIBUTOR_INSIGHTS"),
      NGX_HTTP_DYNAMO_OP_UPDATE_CONTRIBUTOR_INSIGHTS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateGlobalTable"),
      ngx_string("UPDATE_GLOBAL_TABLE"),
      NGX_HTTP_DYNAMO_OP_UPDATE_GLOBAL_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateGlobalTableSettings"),
      ngx_string("UPDATE_GLOBAL_TABLE_SETTINGS"),
      NGX_HTTP_DYNAMO_OP_UPDATE_GLOBAL_TABLE_SETTINGS,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateItem"),
      ngx_string("UPDATE_ITEM"),
      NGX_HTTP_DYNAMO_OP_UPDATE_ITEM,
      NGX_HTTP_DYNAMO_DDB_WRITE },
    { ngx_string("UpdateKinesisStreamingDestination"),
      ngx_string("UPDATE_KINESIS_STREAMING_DESTINATION"),
      NGX_HTTP_DYNAMO_OP_UPDATE_KINESIS_STREAMING_DESTINATION,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateTable"),
      ngx_string("UPDATE_TABLE"),
      NGX_HTTP_DYNAMO_OP_UPDATE_TABLE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateTableReplicaAutoScaling"),
      ngx_string("UPDATE_TABLE_REPLICA_AUTO_SCALING"),
      NGX_HTTP_DYNAMO_OP_UPDATE_TABLE_REPLICA_AUTO_SCALING,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
    { ngx_string("UpdateTimeToLive"),
      ngx_string("UPDATE_TIME_TO_LIVE"),
      NGX_HTTP_DYNAMO_OP_UPDATE_TIME_TO_LIVE,
      NGX_HTTP_DYNAMO_DDB_ADMIN },
};


#define ngx_http_dynamo_ddb_key_flags(id)                                    \
    ((id) ? ngx_http_dynamo_ddb_keys[(id) - 1].flags : 0)

#define ngx_http_dynamo_ddb_out_literal(rq, s)                               \
    ngx_http_dynamo_ddb_out(rq, (u_char *) s, sizeof(s) - 1)

#define ngx_http_dynamo_ddb_word(c)                                          \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                \
     || ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '$')


/* a PartiQL token */

#define NGX_HTTP_DYNAMO_DDB_TOK_END     0
#define NGX_HTTP_DYNAMO_DDB_TOK_WORD    1  /* bare identifier or keyword */
#define NGX_HTTP_DYNAMO_DDB_TOK_QUOTED  2  /* "identifier" */
#define NGX_HTTP_DYNAMO_DDB_TOK_LITERAL 3  /* 'string', `ion`, number */
#define NGX_HTTP_DYNAMO_DDB_TOK_PUNCT   4
#define NGX_HTTP_DYNAMO_DDB_TOK_CUT     5  /* runs past what was kept */

typedef struct {
    ngx_uint_t                   type;
    u_char                      *start;
    size_t                       len;
} ngx_http_dynamo_ddb_token_t;


static ngx_int_t ngx_http_dynamo_ddb_cmp(u_char *s, size_t len,
    ngx_str_t *name);
static ngx_uint_t ngx_http_dynamo_ddb_key(u_char *s, size_t len);

static ngx_int_t ngx_http_dynamo_ddb_request_event(ngx_http_dynamo_json_t *js,
    ngx_uint_t event);
static ngx_int_t ngx_http_dynamo_ddb_request_start(
    ngx_http_dynamo_ddb_request_t *rq, ngx_uint_t event);
static ngx_uint_t ngx_http_dynamo_ddb_request_wanted(
    ngx_http_dynamo_ddb_request_t *rq, ngx_uint_t d);
static void ngx_http_dynamo_ddb_request_key(ngx_http_dynamo_ddb_request_t *rq);
static ngx_int_t ngx_http_dynamo_ddb_request_scalar(
    ngx_http_dynamo_ddb_request_t *rq, ngx_uint_t event);
static void ngx_http_dynamo_ddb_request_end(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t event);
static void ngx_http_dynamo_ddb_extract(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t d, ngx_uint_t id);
static void ngx_http_dynamo_ddb_render_scalar(
    ngx_http_dynamo_ddb_request_t *rq, ngx_uint_t event, ngx_uint_t id,
    ngx_uint_t ctx);
static ngx_uint_t ngx_http_dynamo_ddb_capture(ngx_uint_t ctx, ngx_uint_t id);
static void ngx_http_dynamo_ddb_add_table(ngx_http_dynamo_ddb_request_t *rq,
    u_char *name, size_t len, ngx_uint_t truncated);
static void ngx_http_dynamo_ddb_statement(ngx_http_dynamo_ddb_request_t *rq);
static void ngx_http_dynamo_ddb_request_failed(
    ngx_http_dynamo_ddb_request_t *rq);

static void ngx_http_dynamo_ddb_out_cut(ngx_http_dynamo_ddb_request_t *rq,
    u_char *s);
static void ngx_http_dynamo_ddb_out_string(ngx_http_dynamo_ddb_request_t *rq,
    u_char *s, size_t len, ngx_uint_t truncated);

static ngx_int_t ngx_http_dynamo_ddb_partiql_table(u_char *s, size_t len,
    ngx_uint_t complete, ngx_str_t *table, ngx_uint_t *write);
static void ngx_http_dynamo_ddb_partiql_token(u_char **pos, u_char *last,
    ngx_uint_t complete, ngx_http_dynamo_ddb_token_t *tok);
static ngx_uint_t ngx_http_dynamo_ddb_partiql_is(
    ngx_http_dynamo_ddb_token_t *tok, char *word);
static size_t ngx_http_dynamo_ddb_partiql_mask(u_char *dst, u_char *s,
    size_t len);

static ngx_int_t ngx_http_dynamo_ddb_response_event(
    ngx_http_dynamo_json_t *js, ngx_uint_t event);
static ngx_int_t ngx_http_dynamo_ddb_response_scalar(
    ngx_http_dynamo_ddb_response_t *rs, ngx_uint_t event);
static void ngx_http_dynamo_ddb_response_failed(
    ngx_http_dynamo_ddb_response_t *rs);
static size_t ngx_http_dynamo_ddb_keep(u_char *dst, size_t size, u_char *s,
    size_t len);


/*
 * The rendering: bounded by stmt_max; when a piece does not fit, what fits
 * is kept, cut back to a character boundary, and the rendering stops.
 * A piece that fits is copied inline, most of them a byte or two long.
 */

static ngx_inline void
ngx_http_dynamo_ddb_out(ngx_http_dynamo_ddb_request_t *rq, u_char *s,
    size_t n)
{
    if (rq->render && n <= rq->stmt_max - rq->stmt_len) {
        ngx_memcpy(rq->stmt + rq->stmt_len, s, n);
        rq->stmt_len += n;
        return;
    }

    ngx_http_dynamo_ddb_out_cut(rq, s);
}


ngx_http_dynamo_ddb_op_t *
ngx_http_dynamo_ddb_operation(ngx_str_t *target)
{
    u_char                    *name;
    size_t                     len;
    ngx_int_t                  rc;
    ngx_uint_t                 lo, hi, mid, streams;
    ngx_http_dynamo_ddb_op_t  *op;

    len = sizeof(NGX_HTTP_DYNAMO_DDB_STREAMS_PREFIX) - 1;

    if (target->len > len
        && ngx_strncmp(target->data, NGX_HTTP_DYNAMO_DDB_STREAMS_PREFIX,
                       len) == 0)
    {
        streams = NGX_HTTP_DYNAMO_DDB_STREAMS;

    } else {
        len = sizeof(NGX_HTTP_DYNAMO_DDB_PREFIX) - 1;

        if (target->len <= len
            || ngx_strncmp(target->data, NGX_HTTP_DYNAMO_DDB_PREFIX, len) != 0)
        {
            return NULL;
        }

        streams = 0;
    }

    name = target->data + len;
    len = target->len - len;

    lo = 0;
    hi = sizeof(ngx_http_dynamo_ddb_ops) / sizeof(ngx_http_dynamo_ddb_op_t);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        op = &ngx_http_dynamo_ddb_ops[mid];

        rc = ngx_http_dynamo_ddb_cmp(name, len, &op->name);

        if (rc == 0) {
            return ((op->flags & NGX_HTTP_DYNAMO_DDB_STREAMS) == streams)
                   ? op : NULL;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


/* arn:partition:dynamodb:region:account:table/Name[/...] */

ngx_int_t
ngx_http_dynamo_ddb_table_from_arn(ngx_str_t *arn, ngx_str_t *name)
{
    u_char      *p, *last, *colon[5];
    ngx_uint_t   n;

    p = arn->data;
    last = p + arn->len;

    if (arn->len < 4 || ngx_strncmp(p, "arn:", 4) != 0) {
        return NGX_DECLINED;
    }

    n = 0;

    for ( /* void */ ; p < last && n < 5; p++) {
        if (*p == ':') {
            colon[n++] = p;
        }
    }

    if (n < 5) {
        return NGX_DECLINED;
    }

    if (colon[2] - colon[1] != sizeof("dynamodb")
        || ngx_strncmp(colon[1] + 1, "dynamodb", sizeof("dynamodb") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p = colon[4] + 1;

    if (last - p < 7 || ngx_strncmp(p, "table/", 6) != 0) {
        return NGX_DECLINED;
    }

    p += 6;
    name->data = p;

    while (p < last && *p != '/') {
        p++;
    }

    name->len = p - name->data;

    return name->len ? NGX_OK : NGX_DECLINED;
}


/* "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" */

void
ngx_http_dynamo_ddb_error_name(u_char *type, size_t len, ngx_str_t *name)
{
    u_char  *p;

    name->data = type;
    name->len = len;

    for (p = type + len; p > type; p--) {
        if (p[-1] == '#') {
            name->data = p;
            name->len = type + len - p;
            break;
        }
    }
}


static ngx_int_t
ngx_http_dynamo_ddb_cmp(u_char *s, size_t len, ngx_str_t *name)
{
    ngx_int_t  rc;

    /* most steps of a bisection are decided by the first byte */

    if (len && s[0] != name->data[0]) {
        return (ngx_int_t) s[0] - (ngx_int_t) name->data[0];
    }

    rc = ngx_memcmp(s, name->data, ngx_min(len, name->len));

    if (rc != 0) {
        return rc;
    }

    return (len < name->len) ? -1 : (len > name->len);
}


static ngx_uint_t
ngx_http_dynamo_ddb_key(u_char *s, size_t len)
{
    ngx_int_t                   rc;
    ngx_uint_t                  lo, hi, mid;
    ngx_http_dynamo_ddb_key_t  *k;

    lo = 0;
    hi = sizeof(ngx_http_dynamo_ddb_keys) / sizeof(ngx_http_dynamo_ddb_key_t);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        k = &ngx_http_dynamo_ddb_keys[mid];

        rc = ngx_http_dynamo_ddb_cmp(s, len, &k->name);

        if (rc == 0) {
            return k->id;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NGX_HTTP_DYNAMO_DDB_K_NONE;
}


void
ngx_http_dynamo_ddb_request_init(ngx_http_dynamo_ddb_request_t *rq,
    ngx_http_dynamo_ddb_op_t *op, ngx_uint_t mode, u_char *stmt_buf,
    size_t stmt_max)
{
    /*
     * The block is reused request after request: only the fields before
     * "tables" are cleared, the 10 KB of arrays after them are read only
     * as far as ntables, the depth and the lengths say.  Clearing all of
     * it and the answer's reader costs 12,300 instructions a request,
     * 12.9% of the gateway's (bench/run --instructions: 108,009 against
     * 95,686).  t/unit/test_ddb.c runs every case on a block of stale
     * bytes: a field moved past the cut fails it.
     */

    ngx_memzero(&rq->op, offsetof(ngx_http_dynamo_ddb_request_t, tables)
                         - offsetof(ngx_http_dynamo_ddb_request_t, op));

    ngx_http_dynamo_json_init(&rq->json, ngx_http_dynamo_ddb_request_event,
                              rq);

    rq->op = op;
    rq->mode = mode;
    rq->stmt = stmt_buf;
    rq->stmt_max = (stmt_buf != NULL) ? stmt_max : 0;
    rq->render = (mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS);
}


ngx_int_t
ngx_http_dynamo_ddb_request_feed(ngx_http_dynamo_ddb_request_t *rq,
    u_char *p, u_char *last)
{
    size_t  n, room;

    /* FULL keeps the body as received, JSON or not */

    if (rq->mode == NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL) {
        n = last - p;
        rq->stmt_total += n;

        if (!rq->stmt_truncated && n) {
            room = rq->stmt_max - rq->stmt_len;

            if (n <= room) {
                ngx_memcpy(rq->stmt + rq->stmt_len, p, n);
                rq->stmt_len += n;

            } else {
                if (room) {
                    ngx_memcpy(rq->stmt + rq->stmt_len, p, room);
                }

                rq->stmt_len = ngx_http_dynamo_utf8_cut(rq->stmt,
                                                        rq->stmt_max);
                rq->stmt_truncated = 1;
            }
        }
    }

    if (rq->failed) {
        return NGX_ERROR;
    }

    if (ngx_http_dynamo_json_feed(&rq->json, p, last) != NGX_OK) {
        ngx_http_dynamo_ddb_request_failed(rq);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_dynamo_ddb_request_finish(ngx_http_dynamo_ddb_request_t *rq)
{
    if (rq->failed) {
        return NGX_ERROR;
    }

    if (ngx_http_dynamo_json_finish(&rq->json) != NGX_OK) {
        ngx_http_dynamo_ddb_request_failed(rq);
        return NGX_ERROR;
    }

    if (rq->op != NULL) {
        switch (rq->op->id) {

        case NGX_HTTP_DYNAMO_OP_PUT_ITEM:
        case NGX_HTTP_DYNAMO_OP_UPDATE_ITEM:
        case NGX_HTTP_DYNAMO_OP_DELETE_ITEM:
            rq->items = 1;
            break;

        default:
            break;
        }
    }

    return NGX_OK;
}


static void
ngx_http_dynamo_ddb_request_failed(ngx_http_dynamo_ddb_request_t *rq)
{
    u_char                  *p, *last;
    size_t                   len;
    off_t                    n;
    u_char                   digits[NGX_OFF_T_LEN];
    ngx_http_dynamo_json_t  *js;

    static const char        prefix[] = "request body is not a JSON object: ";
    static const char        at[] = " at offset ";

    js = &rq->json;

    rq->failed = 1;
    rq->offset = js->offset;

    if (rq->error != NULL) {

        /* refused by the reader itself: a complete message */

        rq->message.data = (u_char *) rq->error;
        rq->message.len = ngx_strlen(rq->error);
        return;
    }

    rq->error = js->error;

    if (!js->started) {
        rq->message.data = (u_char *) "request body is empty";
        rq->message.len = sizeof("request body is empty") - 1;
        return;
    }

    p = rq->reason;
    last = rq->reason + NGX_HTTP_DYNAMO_DDB_REASON_MAX;

    p = ngx_cpymem(p, prefix, sizeof(prefix) - 1);

    len = ngx_min(ngx_strlen(js->error),
                  (size_t) (last - p) - (sizeof(at) - 1) - NGX_OFF_T_LEN);
    p = ngx_cpymem(p, js->error, len);

    p = ngx_cpymem(p, at, sizeof(at) - 1);

    n = js->offset;
    len = 0;

    do {
        digits[len++] = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n && len < NGX_OFF_T_LEN);

    while (len) {
        *p++ = digits[--len];
    }

    rq->message.data = rq->reason;
    rq->message.len = p - rq->reason;
}


static ngx_int_t
ngx_http_dynamo_ddb_request_event(ngx_http_dynamo_json_t *js,
    ngx_uint_t event)
{
    ngx_http_dynamo_ddb_request_t  *rq = js->data;

    switch (event) {

    case NGX_HTTP_DYNAMO_JSON_OBJECT_START:
    case NGX_HTTP_DYNAMO_JSON_ARRAY_START:
        return ngx_http_dynamo_ddb_request_start(rq, event);

    case NGX_HTTP_DYNAMO_JSON_KEY:
        ngx_http_dynamo_ddb_request_key(rq);
        return NGX_OK;

    case NGX_HTTP_DYNAMO_JSON_OBJECT_END:
    case NGX_HTTP_DYNAMO_JSON_ARRAY_END:
        ngx_http_dynamo_ddb_request_end(rq, event);
        return NGX_OK;

    default:
        return ngx_http_dynamo_ddb_request_scalar(rq, event);
    }
}


static ngx_int_t
ngx_http_dynamo_ddb_request_start(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t event)
{
    ngx_uint_t               d, id, ctx, flags;
    ngx_http_dynamo_json_t  *js;

    js = &rq->json;
    d = js->depth;

    if (d == 1) {
        if (event != NGX_HTTP_DYNAMO_JSON_OBJECT_START) {
            rq->error = "request body is not a JSON object";
            return NGX_ERROR;
        }

        rq->ctx[1] = NGX_HTTP_DYNAMO_DDB_CTX_NORMAL;
        rq->key[1] = NGX_HTTP_DYNAMO_DDB_K_NONE;

        if (rq->render) {
            ngx_http_dynamo_ddb_out_literal(rq, "{");
        }

        return NGX_OK;
    }

    /* the member key (or, in an array, the array's key) decides */

    id = rq->key[d - 1];

    if (rq->ctx[d - 1] != NGX_HTTP_DYNAMO_DDB_CTX_NORMAL) {
        ctx = NGX_HTTP_DYNAMO_DDB_CTX_DATA;

    } else {
        flags = ngx_http_dynamo_ddb_key_flags(id);

        if (flags & NGX_HTTP_DYNAMO_DDB_DATA) {
            ctx = NGX_HTTP_DYNAMO_DDB_CTX_DATA;

        } else if (flags & NGX_HTTP_DYNAMO_DDB_NAMES) {
            ctx = NGX_HTTP_DYNAMO_DDB_CTX_NAMES;

        } else {
            ctx = NGX_HTTP_DYNAMO_DDB_CTX_NORMAL;
        }
    }

    rq->ctx[d] = (u_char) ctx;

    if (event == NGX_HTTP_DYNAMO_JSON_ARRAY_START) {
        rq->key[d] = (u_char) id;
        js->capture = ngx_http_dynamo_ddb_capture(ctx, id);

    } else {
        rq->key[d] = NGX_HTTP_DYNAMO_DDB_K_NONE;
    }

    if (rq->render) {
        if (js->kind[d - 1] == '[' && js->index[d - 1]) {
            ngx_http_dynamo_ddb_out_literal(rq, ",");
        }

        if (event == NGX_HTTP_DYNAMO_JSON_OBJECT_START) {
            ngx_http_dynamo_ddb_out_literal(rq, "{");

        } else {
            ngx_http_dynamo_ddb_out_literal(rq, "[");
        }

        return NGX_OK;
    }

    if (!ngx_http_dynamo_ddb_request_wanted(rq, d)) {
        ngx_http_dynamo_json_skip(js);
    }

    return NGX_OK;
}


/*
 * Without a rendering to make, only these containers hold anything the
 * reader extracts; all others are muted.  RequestItems' arrays are muted
 * too: their END still tells how many elements they had.
 */

static ngx_uint_t
ngx_http_dynamo_ddb_request_wanted(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t d)
{
    ngx_uint_t  k1;

    if (rq->ctx[d] != NGX_HTTP_DYNAMO_DDB_CTX_NORMAL) {
        return 0;
    }

    k1 = rq->key[1];

    switch (d) {

    case 2:
        return k1 == NGX_HTTP_DYNAMO_DDB_K_REQUEST_ITEMS
               || k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS
               || k1 == NGX_HTTP_DYNAMO_DDB_K_STATEMENTS
               || k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_STATEMENTS
               || k1 == NGX_HTTP_DYNAMO_DDB_K_TABLE_CREATION_PARAMETERS;

    case 3:
        return k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS
               || k1 == NGX_HTTP_DYNAMO_DDB_K_STATEMENTS
               || k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_STATEMENTS;

    case 4:
        if (k1 != NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS) {
            return 0;
        }

        switch (rq->key[3]) {
        case NGX_HTTP_DYNAMO_DDB_K_GET:
        case NGX_HTTP_DYNAMO_DDB_K_PUT:
        case NGX_HTTP_DYNAMO_DDB_K_UPDATE:
        case NGX_HTTP_DYNAMO_DDB_K_DELETE:
        case NGX_HTTP_DYNAMO_DDB_K_CONDITION_CHECK:
            return 1;
        default:
            return 0;
        }

    default:
        return 0;
    }
}


static void
ngx_http_dynamo_ddb_request_key(ngx_http_dynamo_ddb_request_t *rq)
{
    ngx_uint_t               d, id;
    ngx_http_dynamo_json_t  *js;

    js = &rq->json;
    d = js->depth;

    if (d == 2 && rq->key[1] == NGX_HTTP_DYNAMO_DDB_K_REQUEST_ITEMS
        && js->kind[2] == '{')
    {
        /* RequestItems: keyed by table */

        ngx_http_dynamo_ddb_add_table(rq, js->value, js->len,
                                      js->truncated);
        id = NGX_HTTP_DYNAMO_DDB_K_NONE;

    } else if (rq->ctx[d] == NGX_HTTP_DYNAMO_DDB_CTX_NORMAL && !js->truncated) {
        id = ngx_http_dynamo_ddb_key(js->value, js->len);

    } else {
        id = NGX_HTTP_DYNAMO_DDB_K_NONE;
    }

    rq->key[d] = (u_char) id;
    js->capture = ngx_http_dynamo_ddb_capture(rq->ctx[d], id);

    if (rq->render) {
        if (js->index[d]) {
            ngx_http_dynamo_ddb_out_literal(rq, ",");
        }

        ngx_http_dynamo_ddb_out_string(rq, js->value, js->len,
                                       js->truncated);
        ngx_http_dynamo_ddb_out_literal(rq, ":");
    }
}


static ngx_int_t
ngx_http_dynamo_ddb_request_scalar(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t event)
{
    ngx_uint_t               d, id, ctx;
    ngx_http_dynamo_json_t  *js;

    js = &rq->json;
    d = js->depth;

    if (d == 0) {
        rq->error = "request body is not a JSON object";
        return NGX_ERROR;
    }

    id = rq->key[d];
    ctx = rq->ctx[d];

    if (event == NGX_HTTP_DYNAMO_JSON_STRING
        && ctx == NGX_HTTP_DYNAMO_DDB_CTX_NORMAL
        && js->kind[d] == '{')
    {
        ngx_http_dynamo_ddb_extract(rq, d, id);
    }

    if (rq->render) {
        if (js->kind[d] == '[' && js->index[d]) {
            ngx_http_dynamo_ddb_out_literal(rq, ",");
        }

        ngx_http_dynamo_ddb_render_scalar(rq, event, id, ctx);
    }

    return NGX_OK;
}


static void
ngx_http_dynamo_ddb_request_end(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t event)
{
    ngx_uint_t               d, k1, op;
    ngx_http_dynamo_json_t  *js;

    js = &rq->json;
    d = js->depth;
    k1 = rq->key[1];
    op = (rq->op != NULL) ? rq->op->id : NGX_HTTP_DYNAMO_OP_UNKNOWN;

    if (event == NGX_HTTP_DYNAMO_JSON_ARRAY_END) {

        /* BatchWriteItem: RequestItems.<table>[] */

        if (d == 3 && k1 == NGX_HTTP_DYNAMO_DDB_K_REQUEST_ITEMS
            && js->kind[2] == '{'
            && op == NGX_HTTP_DYNAMO_OP_BATCH_WRITE_ITEM)
        {
            rq->items += js->index[3];
        }

        /* TransactWriteItems: TransactItems[] */

        if (d == 2 && k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS
            && op == NGX_HTTP_DYNAMO_OP_TRANSACT_WRITE_ITEMS)
        {
            rq->items = js->index[2];
        }
    }

    if (rq->render) {
        if (event == NGX_HTTP_DYNAMO_JSON_OBJECT_END) {
            ngx_http_dynamo_ddb_out_literal(rq, "}");

        } else {
            ngx_http_dynamo_ddb_out_literal(rq, "]");
        }
    }

    /* the next element of an enclosing array is captured as the others */

    if (d >= 2 && js->kind[d - 1] == '[') {
        js->capture = ngx_http_dynamo_ddb_capture(rq->ctx[d - 1],
                                                  rq->key[d - 1]);
    }
}


static void
ngx_http_dynamo_ddb_extract(ngx_http_dynamo_ddb_request_t *rq, ngx_uint_t d,
    ngx_uint_t id)
{
    ngx_str_t                arn, name;
    ngx_uint_t               k1;
    ngx_http_dynamo_json_t  *js;

    js = &rq->json;
    k1 = rq->key[1];

    if (d == 1) {
        switch (id) {

        case NGX_HTTP_DYNAMO_DDB_K_TABLE_NAME:
        case NGX_HTTP_DYNAMO_DDB_K_GLOBAL_TABLE_NAME:
        case NGX_HTTP_DYNAMO_DDB_K_SOURCE_TABLE_NAME:
        case NGX_HTTP_DYNAMO_DDB_K_TARGET_TABLE_NAME:
            ngx_http_dynamo_ddb_add_table(rq, js->value, js->len,
                                          js->truncated);
            return;

        case NGX_HTTP_DYNAMO_DDB_K_TABLE_ARN:
        case NGX_HTTP_DYNAMO_DDB_K_RESOURCE_ARN:
        case NGX_HTTP_DYNAMO_DDB_K_STREAM_ARN:
        case NGX_HTTP_DYNAMO_DDB_K_SOURCE_TABLE_ARN:
        case NGX_HTTP_DYNAMO_DDB_K_BACKUP_ARN:
        case NGX_HTTP_DYNAMO_DDB_K_EXPORT_ARN:
        case NGX_HTTP_DYNAMO_DDB_K_IMPORT_ARN:

            if (js->truncated) {
                rq->tables_overflow = 1;
                return;
            }

            arn.data = js->value;
            arn.len = js->len;

            if (ngx_http_dynamo_ddb_table_from_arn(&arn, &name) == NGX_OK) {
                ngx_http_dynamo_ddb_add_table(rq, name.data, name.len, 0);
            }

            return;

        case NGX_HTTP_DYNAMO_DDB_K_STATEMENT:
            ngx_http_dynamo_ddb_statement(rq);
            return;

        case NGX_HTTP_DYNAMO_DDB_K_RETURN_CONSUMED_CAPACITY:

            /*
             * any value but "NONE" (a wrong one is DynamoDB's to refuse);
             * repeated, the last one decides
             */

            rq->capacity_wanted = !(js->len == 4 && !js->truncated
                                    && ngx_strncmp(js->value, "NONE", 4)
                                       == 0);
            return;

        default:
            return;
        }
    }

    /* ImportTable: TableCreationParameters.TableName */

    if (d == 2 && id == NGX_HTTP_DYNAMO_DDB_K_TABLE_NAME
        && k1 == NGX_HTTP_DYNAMO_DDB_K_TABLE_CREATION_PARAMETERS)
    {
        ngx_http_dynamo_ddb_add_table(rq, js->value, js->len, js->truncated);
        return;
    }

    /* TransactItems[*].{Get,Put,Update,Delete,ConditionCheck}.TableName */

    if (d == 4 && id == NGX_HTTP_DYNAMO_DDB_K_TABLE_NAME
        && k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_ITEMS
        && js->kind[2] == '[' && js->kind[3] == '{')
    {
        switch (rq->key[3]) {
        case NGX_HTTP_DYNAMO_DDB_K_GET:
        case NGX_HTTP_DYNAMO_DDB_K_PUT:
        case NGX_HTTP_DYNAMO_DDB_K_UPDATE:
        case NGX_HTTP_DYNAMO_DDB_K_DELETE:
        case NGX_HTTP_DYNAMO_DDB_K_CONDITION_CHECK:
            ngx_http_dynamo_ddb_add_table(rq, js->value, js->len,
                                          js->truncated);
            return;
        default:
            return;
        }
    }

    /* Statements[*].Statement, TransactStatements[*].Statement */

    if (d == 3 && id == NGX_HTTP_DYNAMO_DDB_K_STATEMENT
        && (k1 == NGX_HTTP_DYNAMO_DDB_K_STATEMENTS
            || k1 == NGX_HTTP_DYNAMO_DDB_K_TRANSACT_STATEMENTS)
        && js->kind[2] == '[')
    {
        ngx_http_dynamo_ddb_statement(rq);
    }
}


static void
ngx_http_dynamo_ddb_render_scalar(ngx_http_dynamo_ddb_request_t *rq,
    ngx_uint_t event, ngx_uint_t id, ngx_uint_t ctx)
{
    size_t                   len;
    ngx_http_dynamo_json_t  *js;
    u_char                   masked[NGX_HTTP_DYNAMO_JSON_VALUE_MAX];

    js = &rq->json;

    if (ctx == NGX_HTTP_DYNAMO_DDB_CTX_NAMES
        || (ctx == NGX_HTTP_DYNAMO_DDB_CTX_NORMAL
            && (ngx_http_dynamo_ddb_key_flags(id) & NGX_HTTP_DYNAMO_DDB_KEEP)))
    {
        switch (event) {

        case NGX_HTTP_DYNAMO_JSON_STRING:
            ngx_http_dynamo_ddb_out_string(rq, js->value, js->len,
                                           js->truncated);
            return;

        case NGX_HTTP_DYNAMO_JSON_NUMBER:
            if (!js->truncated) {
                ngx_http_dynamo_ddb_out(rq, js->value, js->len);
                return;
            }

            break;

        case NGX_HTTP_DYNAMO_JSON_TRUE:
            ngx_http_dynamo_ddb_out_literal(rq, "true");
            return;

        case NGX_HTTP_DYNAMO_JSON_FALSE:
            ngx_http_dynamo_ddb_out_literal(rq, "false");
            return;

        default: /* NGX_HTTP_DYNAMO_JSON_NULL */
            ngx_http_dynamo_ddb_out_literal(rq, "null");
            return;
        }

    } else if (ctx == NGX_HTTP_DYNAMO_DDB_CTX_NORMAL
               && id == NGX_HTTP_DYNAMO_DDB_K_STATEMENT
               && event == NGX_HTTP_DYNAMO_JSON_STRING)
    {
        len = ngx_http_dynamo_ddb_partiql_mask(masked, js->value, js->len);
        ngx_http_dynamo_ddb_out_string(rq, masked, len, js->truncated);
        return;
    }

    ngx_http_dynamo_ddb_out_literal(rq, "\"?\"");
}


static ngx_uint_t
ngx_http_dynamo_ddb_capture(ngx_uint_t ctx, ngx_uint_t id)
{
    if (ctx == NGX_HTTP_DYNAMO_DDB_CTX_NAMES) {
        return 1;
    }

    return ctx == NGX_HTTP_DYNAMO_DDB_CTX_NORMAL
           && ((ngx_http_dynamo_ddb_key_flags(id) & NGX_HTTP_DYNAMO_DDB_KEEP)
               || id == NGX_HTTP_DYNAMO_DDB_K_STATEMENT);
}


static void
ngx_http_dynamo_ddb_add_table(ngx_http_dynamo_ddb_request_t *rq,
    u_char *name, size_t len, ngx_uint_t truncated)
{
    ngx_uint_t  i;

    if (truncated) {
        rq->tables_overflow = 1;
        return;
    }

    if (len == 0) {
        return;
    }

    for (i = 0; i < rq->ntables; i++) {
        if (rq->tables[i].len == len
            && ngx_memcmp(rq->tables[i].data, name, len) == 0)
        {
            return;
        }
    }

    if (rq->ntables == NGX_HTTP_DYNAMO_DDB_TABLES_MAX
        || len > NGX_HTTP_DYNAMO_DDB_NAMES_SIZE - rq->names_len)
    {
        rq->tables_overflow = 1;
        return;
    }

    rq->tables[i].data = rq->names + rq->names_len;
    rq->tables[i].len = len;
    rq->ntables++;

    ngx_memcpy(rq->names + rq->names_len, name, len);
    rq->names_len += len;
}


/*
 * a PartiQL statement: the table it names, and whether it writes (an
 * INSERT, UPDATE or DELETE writes one item, counted in rq->items)
 */

static void
ngx_http_dynamo_ddb_statement(ngx_http_dynamo_ddb_request_t *rq)
{
    ngx_str_t                table;
    ngx_uint_t               write;
    ngx_http_dynamo_json_t  *js;

    js = &rq->json;

    rq->statements++;

    write = 0;

    if (ngx_http_dynamo_ddb_partiql_table(js->value, js->len, !js->truncated,
                                          &table, &write)
        != NGX_OK)
    {
        rq->tables_overflow = 1;

        /* INSERT, UPDATE or DELETE with a table not read still writes */

        rq->items += write;
        return;
    }

    /* the items a write statement may write: one each */

    rq->items += write;

    if (write) {
        rq->partiql_write = 1;

    } else {
        rq->partiql_read = 1;
    }

    ngx_http_dynamo_ddb_add_table(rq, table.data, table.len, 0);
}


/* the rendering, when a piece does not fit: what fits of s is kept */

static void
ngx_http_dynamo_ddb_out_cut(ngx_http_dynamo_ddb_request_t *rq, u_char *s)
{
    size_t  room;

    if (!rq->render) {
        return;
    }

    room = rq->stmt_max - rq->stmt_len;

    if (room) {
        ngx_memcpy(rq->stmt + rq->stmt_len, s, room);
    }

    rq->stmt_len = ngx_http_dynamo_utf8_cut(rq->stmt, rq->stmt_max);
    rq->stmt_truncated = 1;
    rq->render = 0;
}


/*
 * A name, or a masked PartiQL statement, in the rendering: quoted and
 * escaped by the record's own escaper, ngx_http_dynamo_json_str(); a
 * value the tokenizer cut short ends with "..." inside the quotes.  Most
 * fit at their longest and are written in place; the others are made
 * aside and kept as far as they fit.
 */

static void
ngx_http_dynamo_ddb_out_string(ngx_http_dynamo_ddb_request_t *rq, u_char *s,
    size_t len, ngx_uint_t truncated)
{
    u_char  *p;
    u_char   buf[ngx_http_dynamo_json_str_len(
                     NGX_HTTP_DYNAMO_JSON_VALUE_MAX)];

    if (!rq->render) {
        return;
    }

    if (!truncated
        && ngx_http_dynamo_json_str_len(len) <= rq->stmt_max - rq->stmt_len)
    {
        p = ngx_http_dynamo_json_str(rq->stmt + rq->stmt_len, s, len);
        rq->stmt_len = p - rq->stmt;
        return;
    }

    /* the tokenizer keeps values up to NGX_HTTP_DYNAMO_JSON_VALUE_MAX */

    p = ngx_http_dynamo_json_str(buf, s,
                                 ngx_min(len, NGX_HTTP_DYNAMO_JSON_VALUE_MAX));

    if (truncated) {
        ngx_http_dynamo_ddb_out(rq, buf, p - 1 - buf);
        ngx_http_dynamo_ddb_out_literal(rq, "...\"");
        return;
    }

    ngx_http_dynamo_ddb_out(rq, buf, p - buf);
}


/*
 * Just enough PartiQL to find the table a statement works on:
 *
 *     SELECT ... FROM table[.index] ...
 *     INSERT INTO table VALUE ...
 *     UPDATE table SET / REMOVE ...
 *     DELETE FROM table WHERE ...
 *     EXISTS(SELECT ... FROM table ...)      (ExecuteTransaction)
 *
 * Keywords in any case, tables as "quoted" or bare identifiers; literals
 * and comments are skipped whole, so what they hold cannot mislead.
 */

static ngx_int_t
ngx_http_dynamo_ddb_partiql_table(u_char *s, size_t len, ngx_uint_t complete,
    ngx_str_t *table, ngx_uint_t *write)
{
    u_char                       *p, *last, *q;
    ngx_http_dynamo_ddb_token_t   tok;

    p = s;
    last = s + len;

    do {
        ngx_http_dynamo_ddb_partiql_token(&p, last, complete, &tok);
    } while ((tok.type == NGX_HTTP_DYNAMO_DDB_TOK_PUNCT && *tok.start == '(')
             || ngx_http_dynamo_ddb_partiql_is(&tok, "exists"));

    if (ngx_http_dynamo_ddb_partiql_is(&tok, "select")) {
        *write = 0;

        do {
            ngx_http_dynamo_ddb_partiql_token(&p, last, complete, &tok);

            if (tok.type == NGX_HTTP_DYNAMO_DDB_TOK_END
                || tok.type == NGX_HTTP_DYNAMO_DDB_TOK_CUT)
            {
                return NGX_DECLINED;
            }

        } while (!ngx_http_dynamo_ddb_partiql_is(&tok, "from"));

    } else if (ngx_http_dynamo_ddb_partiql_is(&tok, "insert")) {
        *write = 1;

        ngx_http_dynamo_ddb_partiql_token(&p, last, complete, &tok);

        if (!ngx_http_dynamo_ddb_partiql_is(&tok, "into")) {
            return NGX_DECLINED;
        }

    } else if (ngx_http_dynamo_ddb_partiql_is(&tok, "delete")) {
        *write = 1;

        ngx_http_dynamo_ddb_partiql_token(&p, last, complete, &tok);

        if (!ngx_http_dynamo_ddb_partiql_is(&tok, "from")) {
            return NGX_DECLINED;
        }

    } else if (ngx_http_dynamo_ddb_partiql_is(&tok, "update")) {
        *write = 1;

    } else {
        return NGX_DECLINED;
    }

    ngx_http_dynamo_ddb_partiql_token(&p, last, complete, &tok);

    switch (tok.type) {

    case NGX_HTTP_DYNAMO_DDB_TOK_WORD:
        table->data = tok.start;
        table->len = tok.len;
        return NGX_OK;

    case NGX_HTTP_DYNAMO_DDB_TOK_QUOTED:

        /* table names have no quotes: "" inside is not one */

        for (q = tok.start + 1; q < tok.start + tok.len - 1; q++) {
            if (*q == '"') {
                return NGX_DECLINED;
            }
        }

        table->data = tok.start + 1;
        table->len = tok.len - 2;

        return table->len ? NGX_OK : NGX_DECLINED;

    default:
        return NGX_DECLINED;
    }
}


static void
ngx_http_dynamo_ddb_partiql_token(u_char **pos, u_char *last,
    ngx_uint_t complete, ngx_http_dynamo_ddb_token_t *tok)
{
    u_char  c, q, *p;

    p = *pos;

    /* whitespace and comments */

    for ( ;; ) {
        while (p < last && (*p == ' ' || *p == '\t' || *p == '\r'
                            || *p == '\n'))
        {
            p++;
        }

        if (last - p >= 2 && p[0] == '-' && p[1] == '-') {
            while (p < last && *p != '\n') {
                p++;
            }

            continue;
        }

        if (last - p >= 2 && p[0] == '/' && p[1] == '*') {
            p += 2;

            while (last - p >= 2 && !(p[0] == '*' && p[1] == '/')) {
                p++;
            }

            p = (last - p >= 2) ? p + 2 : last;
            continue;
        }

        break;
    }

    tok->start = p;

    if (p == last) {
        tok->type = complete ? NGX_HTTP_DYNAMO_DDB_TOK_END
                             : NGX_HTTP_DYNAMO_DDB_TOK_CUT;
        tok->len = 0;
        *pos = p;
        return;
    }

    c = *p++;

    if (c == '\'' || c == '`' || c == '"') {

        /* a quote inside is doubled */

        q = c;
        tok->type = NGX_HTTP_DYNAMO_DDB_TOK_CUT;

        while (p < last) {
            if (*p++ != q) {
                continue;
            }

            if (p < last && *p == q) {
                p++;
                continue;
            }

            if (p == last && !complete) {
                break;
            }

            tok->type = (q == '"') ? NGX_HTTP_DYNAMO_DDB_TOK_QUOTED
                                   : NGX_HTTP_DYNAMO_DDB_TOK_LITERAL;
            break;
        }

    } else if (ngx_http_dynamo_ddb_word(c)) {

        while (p < last && ngx_http_dynamo_ddb_word(*p)) {
            p++;
        }

        if (p == last && !complete) {
            tok->type = NGX_HTTP_DYNAMO_DDB_TOK_CUT;

        } else {
            tok->type = (c >= '0' && c <= '9') ? NGX_HTTP_DYNAMO_DDB_TOK_LITERAL
                                               : NGX_HTTP_DYNAMO_DDB_TOK_WORD;
        }

    } else {
        tok->type = NGX_HTTP_DYNAMO_DDB_TOK_PUNCT;
    }

    tok->len = p - tok->start;
    *pos = p;
}


static ngx_uint_t
ngx_http_dynamo_ddb_partiql_is(ngx_http_dynamo_ddb_token_t *tok, char *word)
{
    size_t  i;

    if (tok->type != NGX_HTTP_DYNAMO_DDB_TOK_WORD
        || tok->len != ngx_strlen(word))
    {
        return 0;
    }

    for (i = 0; i < tok->len; i++) {
        if (ngx_tolower(tok->start[i]) != (u_char) word[i]) {
            return 0;
        }
    }

    return 1;
}


/*
 * Literals out of a statement: 'strings', `ion values` and numbers become
 * ?, "identifiers" stay, and so do the names of a tuple, the 'strings'
 * followed by a colon inside braces (the attribute names of an INSERT's
 * VALUE {'pk': ?, 'name': 'x'}).  The result is never longer than the
 * statement.
 */

static size_t
ngx_http_dynamo_ddb_partiql_mask(u_char *dst, u_char *s, size_t len)
{
    u_char      c, q, *p, *d, *last, *start, *n;
    ngx_uint_t  word, braces;

    p = s;
    last = s + len;
    d = dst;
    word = 0;
    braces = 0;

    while (p < last) {
        c = *p;

        if (c == '\'' || c == '`') {
            q = c;
            start = p;
            p++;

            while (p < last) {
                if (*p++ == q) {
                    if (p < last && *p == q) {
                        p++;
                        continue;
                    }

                    break;
                }
            }

            word = 0;

            /* a name in a tuple, closed, then a colon */

            if (q == '\'' && braces && p - start >= 2 && p[-1] == '\'') {

                for (n = p;
                     n < last && (*n == ' ' || *n == '\t' || *n == '\r'
                                  || *n == '\n');
                     n++)
                {
                    /* void */
                }

                if (n < last && *n == ':') {
                    d = ngx_cpymem(d, start, p - start);
                    continue;
                }
            }

            *d++ = '?';
            continue;
        }

        if (c == '{') {
            braces++;

        } else if (c == '}' && braces) {
            braces--;
        }

        if (c == '"') {
            *d++ = *p++;

            while (p < last) {
                c = *p++;
                *d++ = c;

                if (c == '"') {
                    if (p < last && *p == '"') {
                        *d++ = *p++;
                        continue;
                    }

                    break;
                }
            }

            word = 0;
            continue;
        }

        if (c >= '0' && c <= '9' && !word) {

            /* digits [. digits] [e [+-] digits] */

            while (p < last && ((*p >= '0' && *p <= '9') || *p == '.')) {
                p++;
            }

            if (p < last && (*p == 'e' || *p == 'E')) {
                q = (p + 1 < last && (p[1] == '+' || p[1] == '-')) ? 2 : 1;

                if (p + q < last && p[q] >= '0' && p[q] <= '9') {
                    p += q;

                    while (p < last && *p >= '0' && *p <= '9') {
                        p++;
                    }
                }
            }

            *d++ = '?';
            continue;
        }

        word = ngx_http_dynamo_ddb_word(c);
        *d++ = c;
        p++;
    }

    return d - dst;
}


void
ngx_http_dynamo_ddb_response_init(ngx_http_dynamo_ddb_response_t *rs,
    ngx_http_dynamo_ddb_op_t *op, ngx_uint_t request_items)
{
    /*
     * the fields before "type" only, as in request_init(): the text
     * buffers after them are read as far as their lengths say
     */

    ngx_memzero(&rs->op, offsetof(ngx_http_dynamo_ddb_response_t, type)
                         - offsetof(ngx_http_dynamo_ddb_response_t, op));

    ngx_http_dynamo_json_init(&rs->json, ngx_http_dynamo_ddb_response_event,
                              rs);

    rs->op = op;
    rs->request_items = request_items;
}


ngx_int_t
ngx_http_dynamo_ddb_response_feed(ngx_http_dynamo_ddb_response_t *rs,
    u_char *p, u_char *last)
{
    if (rs->failed) {
        return NGX_ERROR;
    }

    if (ngx_http_dynamo_json_feed(&rs->json, p, last) != NGX_OK) {
        ngx_http_dynamo_ddb_response_failed(rs);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_dynamo_ddb_response_finish(ngx_http_dynamo_ddb_response_t *rs)
{
    ngx_uint_t  op;

    if (!rs->failed && ngx_http_dynamo_json_finish(&rs->json) != NGX_OK) {
        ngx_http_dynamo_ddb_response_failed(rs);
    }

    op = (rs->op != NULL) ? rs->op->id : NGX_HTTP_DYNAMO_OP_UNKNOWN;

    if (rs->type_len == 0) {

        switch (op) {

        case NGX_HTTP_DYNAMO_OP_GET_ITEM:

            /* an Item seen counts even in an answer cut short */

            if (rs->item || !rs->failed) {
                rs->records = rs->item;
                rs->records_set = 1;
            }

            break;

        case NGX_HTTP_DYNAMO_OP_PUT_ITEM:
        case NGX_HTTP_DYNAMO_OP_UPDATE_ITEM:
        case NGX_HTTP_DYNAMO_OP_DELETE_ITEM:

            if (!rs->failed) {
                rs->records = 1;
                rs->records_set = 1;
            }

            break;

        case NGX_HTTP_DYNAMO_OP_BATCH_WRITE_ITEM:

            if (!rs->failed) {
                rs->records = (rs->request_items > rs->unprocessed)
                              ? rs->request_items - rs->unprocessed : 0;
                rs->records_set = 1;
            }

            break;

        case NGX_HTTP_DYNAMO_OP_TRANSACT_WRITE_ITEMS:

            if (!rs->failed) {
                rs->records = rs->request_items;
                rs->records_set = 1;
            }

            break;

        /*
         * PartiQL: request_items counts the write statements.  A write
         * ExecuteStatement wrote its item; a transaction wrote all its
         * writes, and returned the items its reads found; a batch is all
         * reads or all writes, each write done unless its entry has an
         * Error.
         */

        case NGX_HTTP_DYNAMO_OP_EXECUTE_STATEMENT:

            if (rs->request_items && !rs->failed) {
                rs->records = rs->request_items;
                rs->records_set = 1;
            }

            break;

        case NGX_HTTP_DYNAMO_OP_EXECUTE_TRANSACTION:

            if (rs->request_items && !rs->failed) {
                rs->records = rs->counted + rs->request_items;
                rs->records_set = 1;
            }

            break;

        case NGX_HTTP_DYNAMO_OP_BATCH_EXECUTE_STATEMENT:

            if (rs->request_items && !rs->failed) {
                rs->records = (rs->entries > rs->refused)
                              ? rs->entries - rs->refused : 0;
                rs->records_set = 1;
            }

            break;

        default:
            break;
        }
    }

    return rs->failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_dynamo_ddb_response_failed(ngx_http_dynamo_ddb_response_t *rs)
{
    rs->failed = 1;
    rs->offset = rs->json.offset;

    if (rs->error == NULL) {
        rs->error = rs->json.error;
    }
}


static ngx_int_t
ngx_http_dynamo_ddb_response_event(ngx_http_dynamo_json_t *js,
    ngx_uint_t event)
{
    ngx_http_dynamo_ddb_response_t  *rs = js->data;

    ngx_uint_t  d, k1, op;

    if (rs->capacity_pending && js->raw_done) {
        rs->capacity_pending = 0;

        if (js->raw_overflow) {
            rs->capacity_overflow = 1;
            rs->capacity_len = 0;

        } else {
            rs->capacity_len = js->raw_len;
        }
    }

    d = js->depth;
    k1 = rs->key1;

    switch (event) {

    case NGX_HTTP_DYNAMO_JSON_OBJECT_START:
    case NGX_HTTP_DYNAMO_JSON_ARRAY_START:

        if (d == 1) {
            if (event != NGX_HTTP_DYNAMO_JSON_OBJECT_START) {
                rs->error = "response is not a JSON object";
                return NGX_ERROR;
            }

            return NGX_OK;
        }

        /* Responses and UnprocessedItems are looked into, nothing else */

        if (d == 2
            && (k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES
                || k1 == NGX_HTTP_DYNAMO_DDB_K_UNPROCESSED_ITEMS))
        {
            return NGX_OK;
        }

        if (d == 3 && k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES
            && js->kind[2] == '['
            && event == NGX_HTTP_DYNAMO_JSON_OBJECT_START)
        {
            return NGX_OK;
        }

        ngx_http_dynamo_json_skip(js);
        return NGX_OK;

    case NGX_HTTP_DYNAMO_JSON_KEY:

        if (d == 1) {
            k1 = js->truncated ? NGX_HTTP_DYNAMO_DDB_K_NONE
                               : ngx_http_dynamo_ddb_key(js->value, js->len);
            rs->key1 = (u_char) k1;

            js->capture = (k1 == NGX_HTTP_DYNAMO_DDB_K_COUNT
                           || k1 == NGX_HTTP_DYNAMO_DDB_K_TYPE_
                           || k1 == NGX_HTTP_DYNAMO_DDB_K_MESSAGE
                           || k1 == NGX_HTTP_DYNAMO_DDB_K_MESSAGE_LC);

            if (k1 == NGX_HTTP_DYNAMO_DDB_K_CONSUMED_CAPACITY) {
                ngx_http_dynamo_json_raw(js, rs->capacity,
                                         NGX_HTTP_DYNAMO_DDB_CAPACITY_MAX);
                rs->capacity_pending = 1;
                rs->capacity_len = 0;
                rs->capacity_overflow = 0;
            }

            if (k1 == NGX_HTTP_DYNAMO_DDB_K_ITEM) {
                rs->item = 1;
            }

            return NGX_OK;
        }

        /* TransactGetItems, ExecuteTransaction ...: Responses[*].Item */

        if (d == 3 && k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES
            && js->kind[2] == '['
            && js->len == 4 && ngx_strncmp(js->value, "Item", 4) == 0)
        {
            rs->counted++;
        }

        /* BatchExecuteStatement: Responses[*].Error, a statement failed */

        if (d == 3 && k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES
            && js->kind[2] == '['
            && js->len == 5 && ngx_strncmp(js->value, "Error", 5) == 0)
        {
            rs->refused++;
        }

        return NGX_OK;

    case NGX_HTTP_DYNAMO_JSON_OBJECT_END:
    case NGX_HTTP_DYNAMO_JSON_ARRAY_END:

        op = (rs->op != NULL) ? rs->op->id : NGX_HTTP_DYNAMO_OP_UNKNOWN;

        if (d == 3 && event == NGX_HTTP_DYNAMO_JSON_OBJECT_END
            && k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES && js->kind[2] == '[')
        {
            rs->entries++;
        }

        if (d == 3 && event == NGX_HTTP_DYNAMO_JSON_ARRAY_END
            && js->kind[2] == '{')
        {
            /* BatchGetItem: Responses.<table>[] */

            if (k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES) {
                rs->counted += js->index[3];
            }

            /* BatchWriteItem: UnprocessedItems.<table>[] */

            if (k1 == NGX_HTTP_DYNAMO_DDB_K_UNPROCESSED_ITEMS) {
                rs->unprocessed += js->index[3];
            }
        }

        if (d != 2) {
            return NGX_OK;
        }

        if (k1 == NGX_HTTP_DYNAMO_DDB_K_RESPONSES) {
            rs->records = rs->counted;
            rs->records_set = 1;

        } else if (event == NGX_HTTP_DYNAMO_JSON_ARRAY_END
                   && ((k1 == NGX_HTTP_DYNAMO_DDB_K_ITEMS
                        && op == NGX_HTTP_DYNAMO_OP_EXECUTE_STATEMENT)
                       || (k1 == NGX_HTTP_DYNAMO_DDB_K_RECORDS
                           && op == NGX_HTTP_DYNAMO_OP_GET_RECORDS)))
        {
            rs->records = js->index[2];
            rs->records_set = 1;
        }

        return NGX_OK;

    default:
        return ngx_http_dynamo_ddb_response_scalar(rs, event);
    }
}


static ngx_int_t
ngx_http_dynamo_ddb_response_scalar(ngx_http_dynamo_ddb_response_t *rs,
    ngx_uint_t event)
{
    u_char                  *p, *last;
    ngx_uint_t               n;
    ngx_http_dynamo_json_t  *js;

    js = &rs->json;

    if (js->depth == 0) {
        rs->error = "response is not a JSON object";
        return NGX_ERROR;
    }

    if (js->depth != 1) {
        return NGX_OK;
    }

    switch (rs->key1) {

    case NGX_HTTP_DYNAMO_DDB_K_COUNT:

        if (event != NGX_HTTP_DYNAMO_JSON_NUMBER || js->truncated) {
            break;
        }

        n = 0;

        for (p = js->value, last = p + js->len; p < last; p++) {
            if (*p < '0' || *p > '9'
                || n > (NGX_MAX_UINT32_VALUE - 9) / 10)
            {
                return NGX_OK;
            }

            n = n * 10 + (*p - '0');
        }

        rs->records = n;
        rs->records_set = 1;
        break;

    case NGX_HTTP_DYNAMO_DDB_K_TYPE_:

        if (event == NGX_HTTP_DYNAMO_JSON_STRING) {
            rs->type_len = ngx_http_dynamo_ddb_keep(rs->type,
                                                NGX_HTTP_DYNAMO_DDB_TYPE_MAX,
                                                js->value, js->len);
        }

        break;

    case NGX_HTTP_DYNAMO_DDB_K_MESSAGE:
    case NGX_HTTP_DYNAMO_DDB_K_MESSAGE_LC:

        if (event == NGX_HTTP_DYNAMO_JSON_STRING && rs->message_len == 0) {
            rs->message_len = ngx_http_dynamo_ddb_keep(rs->message,
                                              NGX_HTTP_DYNAMO_DDB_MESSAGE_MAX,
                                              js->value, js->len);
        }

        break;

    default:
        break;
    }

    return NGX_OK;
}


/* copies up to size bytes, cut at a character boundary */

static size_t
ngx_http_dynamo_ddb_keep(u_char *dst, size_t size, u_char *s, size_t len)
{
    if (len <= size) {
        ngx_memcpy(dst, s, len);
        return len;
    }

    ngx_memcpy(dst, s, size);

    return ngx_http_dynamo_utf8_cut(dst, size);
}
