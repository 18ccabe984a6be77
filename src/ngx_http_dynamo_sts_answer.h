
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Parsers of the answers that carry AWS credentials: STS (XML, or JSON
 * with "Accept: application/json"), EC2 IMDS, and ECS / EKS Pod Identity
 * container credentials; and of the times AWS writes.  A leaf: it calls no
 * nginx function but the pool allocators and the logging macros.
 *
 * Usage:
 *
 *     ngx_http_dynamo_aws_creds_t  creds;
 *
 *     rc = ngx_http_dynamo_sts_answer_parse(r->pool, r->connection->log,
 *                                           body.data, body.len, &creds);
 *
 *     NGX_OK        creds.access_key_id, secret_access_key, session_token
 *                   and expiration are set and valid; assumed_role_arn when
 *                   the answer had one
 *     NGX_DECLINED  an error answer: creds.error_code (never empty),
 *                   error_type and error_message (possibly empty)
 *     NGX_ERROR     malformed, incomplete or invalid; the reason is logged
 *                   at NGX_LOG_ERR, without any secret
 *
 * The strings point into one block of the pool, which a pool cleanup wipes
 * when the pool is destroyed: copy what must outlive the pool.  Strings
 * are not NUL-terminated.  The caller's input still holds the secrets:
 * wipe it when done.
 *
 * Credentials are checked: the access key id is 16 to 128 characters of
 * [A-Z0-9]; the secret key and the session token are printable ASCII
 * without spaces (so they are safe in a header), at most
 * NGX_HTTP_DYNAMO_AWS_SECRET_MAX and NGX_HTTP_DYNAMO_AWS_TOKEN_MAX bytes.
 * Error texts are cut to their maxima, control characters made spaces.
 * ECS answers may lack a session token (long-term credentials served by
 * a custom container endpoint): session_token is then empty, and no
 * X-Amz-Security-Token is to be sent.
 */


#ifndef _NGX_HTTP_DYNAMO_STS_ANSWER_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_STS_ANSWER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_DYNAMO_AWS_ANSWER_MAX      (256 * 1024)
#define NGX_HTTP_DYNAMO_AWS_AKID_MIN        16
#define NGX_HTTP_DYNAMO_AWS_AKID_MAX        128
#define NGX_HTTP_DYNAMO_AWS_SECRET_MAX      256
#define NGX_HTTP_DYNAMO_AWS_TOKEN_MAX       16384
#define NGX_HTTP_DYNAMO_AWS_ARN_MAX         2048
#define NGX_HTTP_DYNAMO_AWS_ERROR_TYPE_MAX  64
#define NGX_HTTP_DYNAMO_AWS_ERROR_CODE_MAX  128
#define NGX_HTTP_DYNAMO_AWS_ERROR_MSG_MAX   1024

/* the largest time accepted: 9999-12-31T23:59:59Z */
#define NGX_HTTP_DYNAMO_AWS_TIME_MAX        253402300799LL


typedef struct {
    ngx_str_t   access_key_id;
    ngx_str_t   secret_access_key;
    ngx_str_t   session_token;
    time_t      expiration;
    ngx_str_t   assumed_role_arn;      /* AssumedRoleUser.Arn, if any */
    ngx_str_t   error_type;            /* Sender / Receiver */
    ngx_str_t   error_code;            /* AccessDenied, ExpiredToken, ... */
    ngx_str_t   error_message;
} ngx_http_dynamo_aws_creds_t;


/*
 * An STS answer to any action answering Credentials (AssumeRole,
 * AssumeRoleWithWebIdentity, GetSessionToken, ...): XML when the first
 * byte that is not white space is "<", JSON when it is "{".
 */
ngx_int_t ngx_http_dynamo_sts_answer_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, size_t len, ngx_http_dynamo_aws_creds_t *creds);

/* EC2 IMDS: {"Code":"Success","AccessKeyId":..,"Token":..,...} */
ngx_int_t ngx_http_dynamo_imds_answer_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, size_t len, ngx_http_dynamo_aws_creds_t *creds);

/* ECS, EKS Pod Identity: {"AccessKeyId":..,"Token":..,"RoleArn":..} */
ngx_int_t ngx_http_dynamo_ecs_answer_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, size_t len, ngx_http_dynamo_aws_creds_t *creds);

/*
 * "2026-11-23T10:00:00Z", with fractional seconds, "+hh:mm", "+hhmm" or
 * "+hh" offsets, "t" or " " for "T", no zone meaning UTC; epoch seconds
 * "1763892345", "1763892345.5", "1.763892345E9" (fractions dropped).
 * Years 1970 to 9999.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_dynamo_parse_aws_time(u_char *p, size_t len, time_t *t);


#endif /* _NGX_HTTP_DYNAMO_STS_ANSWER_H_INCLUDED_ */
