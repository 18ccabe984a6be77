
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The activity log: one JSON record per request the gateway handled,
 * allowed or refused, written in the log phase.  Files are opened like
 * access_log's (reopened on USR1), optionally buffered and flushed on a
 * timer; "syslog:" sends each record as a message.  Records follow the
 * Cyral data activity log, field for field where the field has a meaning
 * here.  No secret, session token or identity token is ever written.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


#define NGX_HTTP_DYNAMO_STMT_DEFAULT   4096
#define NGX_HTTP_DYNAMO_STMT_LIMIT     (1024 * 1024)
#define NGX_HTTP_DYNAMO_TRUNCATED      "...[truncated]"

#define ngx_http_dynamo_log_lit(p, s)  ngx_cpymem(p, s, sizeof(s) - 1)

/* every string of a record, as ngx_http_dynamo_json_str() writes it */
#define ngx_http_dynamo_log_len(s)     ngx_http_dynamo_json_str_len((s)->len)
#define ngx_http_dynamo_log_str(p, s)                                        \
    ngx_http_dynamo_json_str(p, (s)->data, (s)->len)

/* what ngx_syslog_add_header() writes at most */
#define NGX_HTTP_DYNAMO_SYSLOG_HEADER                                        \
    (sizeof("<255>Jan 01 00:00:00 ") - 1 + NGX_MAXHOSTNAMELEN + 32 + 2)


typedef struct {
    u_char                      *start;
    u_char                      *pos;
    u_char                      *last;
    ngx_event_t                 *event;
    ngx_msec_t                   flush;
} ngx_http_dynamo_log_buf_t;


struct ngx_http_dynamo_activity_log_s {
    ngx_open_file_t             *file;
    ngx_syslog_peer_t           *syslog_peer;
    time_t                       disk_full_time;
    time_t                       error_log_time;
};


static char *ngx_http_dynamo_log_parts(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *conf);
static void ngx_http_dynamo_log_write(ngx_http_request_t *r,
    ngx_http_dynamo_activity_log_t *log, u_char *buf, size_t len);
static void ngx_http_dynamo_log_flush(ngx_open_file_t *file, ngx_log_t *log);
static void ngx_http_dynamo_log_flush_handler(ngx_event_t *ev);
static void ngx_http_dynamo_log_second(ngx_http_dynamo_log_second_t *second,
    uint64_t ns, u_char *fraction);
static u_char *ngx_http_dynamo_log_time(u_char *p,
    ngx_http_dynamo_log_second_t *second, u_char *fraction);
static u_char *ngx_http_dynamo_log_nanos(u_char *p,
    ngx_http_dynamo_log_second_t *second, u_char *fraction);
static u_char *ngx_http_dynamo_log_duration(u_char *p, uint64_t ns);
static u_char *ngx_http_dynamo_log_uint(u_char *p, uint64_t v);
static u_char *ngx_http_dynamo_log_bool(u_char *p, ngx_uint_t v);


static ngx_str_t  ngx_http_dynamo_sidecar_name = ngx_string("ngx_dynamo");


/*
 * dynamo_activity_log path [buffer=size] [flush=time]
 * dynamo_activity_log syslog:server=address[,...]
 * dynamo_activity_log off
 */

char *
ngx_http_dynamo_activity_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    ssize_t                          size;
    ngx_str_t                       *value, name, s;
    ngx_msec_t                       flush;
    ngx_uint_t                       i;
    ngx_http_dynamo_log_buf_t       *buffer;
    ngx_http_dynamo_activity_log_t  *log;

    if (dlcf->activity_log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no parameters with \"off\"";
        }

        dlcf->activity_log = NULL;
        return NGX_CONF_OK;
    }

    log = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_activity_log_t));
    if (log == NULL) {
        return NGX_CONF_ERROR;
    }

    dlcf->activity_log = log;

    if (ngx_strncmp(value[1].data, "syslog:", 7) == 0) {

        if (cf->args->nelts != 2) {
            return "takes no buffer with syslog";
        }

        log->syslog_peer = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (log->syslog_peer == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_syslog_process_conf(cf, log->syslog_peer) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    name = value[1];

    log->file = ngx_conf_open_file(cf->cycle, &name);
    if (log->file == NULL) {
        return NGX_CONF_ERROR;
    }

    size = 0;
    flush = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.len = value[i].len - 7;
            s.data = value[i].data + 7;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR || size == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.len = value[i].len - 6;
            s.data = value[i].data + 6;

            flush = ngx_parse_time(&s, 0);

            if (flush == (ngx_msec_t) NGX_ERROR || flush == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (flush && size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no buffer is defined for dynamo_activity_log "
                           "\"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    if (size == 0) {
        return NGX_CONF_OK;
    }

    /* every location writing to one file shares its buffer */

    if (log->file->data) {
        buffer = log->file->data;

        if (buffer->last - buffer->start != size
            || buffer->flush != flush)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dynamo_activity_log \"%V\" already uses "
                               "another buffer or flush", &name);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    buffer = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_log_buf_t));
    if (buffer == NULL) {
        return NGX_CONF_ERROR;
    }

    buffer->start = ngx_pnalloc(cf->pool, size);
    if (buffer->start == NULL) {
        return NGX_CONF_ERROR;
    }

    buffer->pos = buffer->start;
    buffer->last = buffer->start + size;

    if (flush) {
        buffer->event = ngx_pcalloc(cf->pool, sizeof(ngx_event_t));
        if (buffer->event == NULL) {
            return NGX_CONF_ERROR;
        }

        buffer->event->data = log->file;
        buffer->event->handler = ngx_http_dynamo_log_flush_handler;
        buffer->event->log = &cf->cycle->new_log;
        buffer->event->cancelable = 1;

        buffer->flush = flush;
    }

    log->file->data = buffer;
    log->file->flush = ngx_http_dynamo_log_flush;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* dynamo_activity_log_statement full|keys|off [max=size] */

char *
ngx_http_dynamo_activity_statement(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    ssize_t     size;
    ngx_str_t  *value, s;

    if (dlcf->stmt_mode != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "full") == 0) {
        dlcf->stmt_mode = NGX_HTTP_DYNAMO_DDB_STATEMENT_FULL;

    } else if (ngx_strcmp(value[1].data, "keys") == 0) {
        dlcf->stmt_mode = NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS;

    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        dlcf->stmt_mode = NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\", expected \"full\", "
                           "\"keys\" or \"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "max=", 4) != 0) {
            goto invalid;
        }

        s.data = value[2].data + 4;
        s.len = value[2].len - 4;

        size = ngx_parse_size(&s);

        if (size == NGX_ERROR || size < 64
            || size > NGX_HTTP_DYNAMO_STMT_LIMIT)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" must be between 64 and 1m",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        dlcf->stmt_max = (size_t) size;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[2]);

    return NGX_CONF_ERROR;
}


char *
ngx_http_dynamo_log_merge(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *prev,
    ngx_http_dynamo_loc_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->activity_log, prev->activity_log, NULL);
    ngx_conf_merge_uint_value(conf->stmt_mode, prev->stmt_mode,
                              NGX_HTTP_DYNAMO_DDB_STATEMENT_KEYS);
    ngx_conf_merge_size_value(conf->stmt_max, prev->stmt_max,
                              NGX_HTTP_DYNAMO_STMT_DEFAULT);
    ngx_conf_merge_str_value(conf->repo_name, prev->repo_name, "");

    if (conf->activity_log == NULL) {
        return NGX_CONF_OK;
    }

    return ngx_http_dynamo_log_parts(cf, conf);
}


/*
 * The parts of a record that the configuration decides, made once:
 * "repo", "sidecar" up to the worker's pid, and "statementData"
 */

static char *
ngx_http_dynamo_log_parts(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *conf)
{
    u_char     *p, *colon;
    size_t      len;
    ngx_str_t   host;
    ngx_int_t   port;

    /* "host[:port]", "[v6]:port": the port is 443 when it is not given */

    host = conf->pass_host;
    port = host.len ? 443 : 0;

    colon = NULL;

    for (p = host.data + host.len; p > host.data; p--) {
        if (p[-1] == ']') {
            break;
        }

        if (p[-1] == ':') {
            colon = p - 1;
            break;
        }
    }

    if (colon) {
        host.len = colon - host.data;
        port = ngx_atoi(colon + 1, conf->pass_host.data + conf->pass_host.len
                                   - colon - 1);
        if (port == NGX_ERROR) {
            port = 0;
        }
    }

    len = sizeof("\"repo\":{\"name\":,\"type\":\"dynamodb\",\"host\":,"
                 "\"port\":},\"sidecar\":{\"name\":,\"hostname\":,\"pid\":"
                 "\"statementData\":{\"targetRegion\":}},")
          + NGX_INT_T_LEN
          + ngx_http_dynamo_log_len(&conf->repo_name)
          + ngx_http_dynamo_log_len(&host)
          + ngx_http_dynamo_log_len(&ngx_http_dynamo_sidecar_name)
          + ngx_http_dynamo_log_len(&cf->cycle->hostname)
          + ngx_http_dynamo_log_len(&conf->pass_region);

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->log_repo.data = p;

    p = ngx_http_dynamo_log_lit(p, "\"repo\":{\"name\":");
    p = ngx_http_dynamo_log_str(p, &conf->repo_name);
    p = ngx_http_dynamo_log_lit(p, ",\"type\":\"dynamodb\",\"host\":");
    p = ngx_http_dynamo_log_str(p, &host);
    p = ngx_http_dynamo_log_lit(p, ",\"port\":");
    p = ngx_http_dynamo_log_uint(p, (uint64_t) port);
    p = ngx_http_dynamo_log_lit(p, "},");

    conf->log_repo.len = p - conf->log_repo.data;
    conf->log_sidecar.data = p;

    p = ngx_http_dynamo_log_lit(p, "\"sidecar\":{\"name\":");
    p = ngx_http_dynamo_log_str(p, &ngx_http_dynamo_sidecar_name);
    p = ngx_http_dynamo_log_lit(p, ",\"hostname\":");
    p = ngx_http_dynamo_log_str(p, &cf->cycle->hostname);
    p = ngx_http_dynamo_log_lit(p, ",\"pid\":");

    conf->log_sidecar.len = p - conf->log_sidecar.data;
    conf->log_region.data = p;

    p = ngx_http_dynamo_log_lit(p, "\"statementData\":{\"targetRegion\":");
    p = ngx_http_dynamo_log_str(p, &conf->pass_region);
    p = ngx_http_dynamo_log_lit(p, "}},");

    conf->log_region.len = p - conf->log_region.data;

    return NGX_CONF_OK;
}


/*
 * What the request's reader keeps for a record: the body reader makes
 * room for the statement and for the answer's reader (the readers are
 * allocated at once).
 */

void
ngx_http_dynamo_log_prepare(ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_http_dynamo_ctx_t *ctx)
{
    ctx->stmt_mode = NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF;
    ctx->stmt_max = 0;

    if (dlcf->activity_log
        && dlcf->stmt_mode != NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF)
    {
        ctx->stmt_mode = dlcf->stmt_mode;
        ctx->stmt_max = dlcf->stmt_max;
    }
}


/* the log phase */

ngx_int_t
ngx_http_dynamo_log_handler(ngx_http_request_t *r)
{
    u_char                          *line, *p, *client;
    u_char                           start_fraction[9], conn_fraction[9];
    size_t                           len, client_len;
    ngx_str_t                       *t, stmt, type, message, ua;
    uint64_t                         conn_ns, exec_ns;
    ngx_uint_t                       i, status, is_error, port;
    ngx_msec_int_t                   ms;
    ngx_http_dynamo_ctx_t           *ctx;
    ngx_http_dynamo_log_buf_t       *buffer;
    ngx_http_dynamo_ddb_op_t        *op;
    ngx_http_dynamo_loc_conf_t      *dlcf;
    ngx_http_dynamo_main_conf_t     *dmcf;
    ngx_http_dynamo_log_second_t    *start_second, *conn_second;
    ngx_http_dynamo_activity_log_t  *log;
    ngx_http_dynamo_ddb_request_t   *rq;
    ngx_http_dynamo_ddb_response_t  *rs;

    static ngx_str_t  ok = ngx_string("OK");
    static ngx_str_t  empty = ngx_null_string;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || !ctx->begun) {
        return NGX_OK;
    }

    if (ctx->role_arn.len) {
        ngx_http_dynamo_role_count(r, &ctx->role_arn);
    }

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);

    log = dlcf->activity_log;

    if (log == NULL) {
        return NGX_OK;
    }

    rq = ctx->rq;
    rs = ctx->rs;

    /* a request refused before its body was read still names its target */

    op = ctx->op;

    if (op == NULL && ctx->target) {
        op = ngx_http_dynamo_ddb_operation(ctx->target);
    }

    status = r->headers_out.status ? r->headers_out.status : r->err_status;
    is_error = ctx->err != NGX_HTTP_DYNAMO_OK || status >= 400;

    /* what went wrong: ours, DynamoDB's, or nginx's */

    type = empty;
    message = ok;

    if (ctx->err != NGX_HTTP_DYNAMO_OK) {
        ngx_http_dynamo_ddb_error_name(
            ngx_http_dynamo_error_type(ctx->err)->data,
            ngx_http_dynamo_error_type(ctx->err)->len, &type);
        message = ctx->message;

    } else if (rs && rs->type_len) {
        ngx_http_dynamo_ddb_error_name(rs->type, rs->type_len, &type);
        message.data = rs->message;
        message.len = rs->message_len;

    } else if (is_error) {
        message.len = 0;
    }

    /* the statement, as dynamo_activity_log_statement keeps it */

    stmt = empty;

    if (rq && ctx->stmt_mode != NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF) {
        stmt.data = rq->stmt;
        stmt.len = rq->stmt_len;
    }

    ua = r->headers_in.user_agent ? r->headers_in.user_agent->value : empty;

    ms = (ngx_msec_int_t) (ngx_current_msec - r->connection->start_time);
    conn_ns = ctx->start_ns - (ms > 0 ? (uint64_t) ms * 1000000 : 0);

    exec_ns = (ctx->upstream_end > ctx->upstream_start)
              ? ctx->upstream_end - ctx->upstream_start : 0;

    /*
     * An upper bound of the record's length: the fields and numbers, the
     * parts made when the configuration was read, and every string as if
     * each of its bytes were escaped as \uXXXX.
     */

    len = sizeof("{\"activityId\":\"\",\"activityTime\":\"\","
                 "\"activityTimeNanos\":,\"activityTypes\":[\"\"],"
                 "\"identity\":{\"endUser\":\"\",\"repoUser\":\"\","
                 "\"dbRole\":\"\",\"serviceAccount\":\"\",\"subject\":\"\","
                 "\"tokenId\":\"\",\"roleSessionName\":\"\"},"
                 "\"repo\":{\"name\":\"\",\"type\":\"dynamodb\","
                 "\"host\":\"\",\"port\":},"
                 "\"client\":{\"connectionId\":\"\",\"connectionTime\":\"\","
                 "\"connectionTimeNanos\":,\"host\":\"\",\"port\":,"
                 "\"applicationName\":\"\"},"
                 "\"sidecar\":{\"name\":\"\",\"hostname\":\"\",\"pid\":},"
                 "\"request\":{\"statement\":\"\",\"statementTruncated\":"
                 "false,\"statementType\":\"\",\"tables\":[],"
                 "\"statementData\":{\"targetRegion\":\"\"}},"
                 "\"response\":{\"status\":,\"message\":\"\","
                 "\"isError\":false,\"errorType\":\"\",\"records\":,"
                 "\"bytes\":,\"executionTime\":\"\","
                 "\"executionTimeNanos\":,\"consumedCapacity\":},"
                 "\"policyViolated\":false}\n")
          + dlcf->log_repo.len + dlcf->log_sidecar.len
          + dlcf->log_region.len
          + 3 * (NGX_SOCKADDR_STRLEN + NGX_INT64_LEN * 2)
          + 2 * sizeof("2026-11-23 09:30:00.123456789 +0000 UTC")
          + 8 * NGX_INT64_LEN + sizeof(NGX_HTTP_DYNAMO_TRUNCATED)
          + ngx_http_dynamo_log_len(&ctx->end_user) * 2
          + ngx_http_dynamo_log_len(&ctx->role_arn)
          + ngx_http_dynamo_log_len(&ctx->token.identity)
          + ngx_http_dynamo_log_len(&ctx->token.subject)
          + ngx_http_dynamo_log_len(&ctx->token.token_id)
          + ngx_http_dynamo_log_len(&ctx->session_name)
          + ngx_http_dynamo_log_len(&ua)
          + ngx_http_dynamo_log_len(&stmt)
          + 32
          + ngx_http_dynamo_log_len(&message)
          + ngx_http_dynamo_log_len(&type)
          + (rs ? rs->capacity_len : 0);

    t = ctx->tables.elts;

    for (i = 0; i < ctx->tables.nelts; i++) {
        len += ngx_http_dynamo_log_len(&t[i]) + 1;
    }

    /*
     * A buffered file takes the record where it is to be written, without
     * a copy; a record larger than the buffer, or one without a buffer or
     * for syslog, is made in the request's pool
     */

    buffer = NULL;
    line = NULL;

    if (log->syslog_peer) {
        len += NGX_HTTP_DYNAMO_SYSLOG_HEADER;

    } else if (log->file->data) {
        buffer = log->file->data;

        if (len > (size_t) (buffer->last - buffer->pos)) {
            ngx_http_dynamo_log_flush(log->file, r->connection->log);
        }

        if (len <= (size_t) (buffer->last - buffer->pos)) {
            line = buffer->pos;

        } else {
            buffer = NULL;
        }
    }

    if (line == NULL) {
        line = ngx_pnalloc(r->pool, len);
        if (line == NULL) {
            return NGX_ERROR;
        }
    }

    p = line;

    if (log->syslog_peer) {
        p = ngx_syslog_add_header(log->syslog_peer, p);
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    start_second = &dmcf->log_seconds[0];
    conn_second = &dmcf->log_seconds[1];

    ngx_http_dynamo_log_second(start_second, ctx->start_ns, start_fraction);
    ngx_http_dynamo_log_second(conn_second, conn_ns, conn_fraction);

    /* written piece by piece: ngx_sprintf() is most of a record's cost */

    p = ngx_http_dynamo_log_lit(p, "{\"activityId\":\"");

    /* the connection's id, "address:port:start", written once */

    port = ngx_inet_get_port(r->connection->sockaddr);
    client = p;

    p = ngx_cpymem(p, r->connection->addr_text.data,
                   r->connection->addr_text.len);
    *p++ = ':';
    p = ngx_http_dynamo_log_uint(p, port);
    *p++ = ':';
    p = ngx_http_dynamo_log_nanos(p, conn_second, conn_fraction);

    client_len = p - client;

    *p++ = ':';
    p = ngx_http_dynamo_log_uint(p, r->connection->requests);
    p = ngx_http_dynamo_log_lit(p, "\",");

    p = ngx_http_dynamo_log_lit(p, "\"activityTime\":");
    p = ngx_http_dynamo_log_time(p, start_second, start_fraction);

    p = ngx_http_dynamo_log_lit(p, ",\"activityTimeNanos\":");
    p = ngx_http_dynamo_log_nanos(p, start_second, start_fraction);
    p = ngx_http_dynamo_log_lit(p, ",\"activityTypes\":[\"");

    if (op != NULL && (op->flags & NGX_HTTP_DYNAMO_DDB_ADMIN)) {
        p = ngx_http_dynamo_log_lit(p, "ddl");

    } else if (op != NULL && ((op->flags & NGX_HTTP_DYNAMO_DDB_WRITE)
                              || (rq && rq->partiql_write)))
    {
        p = ngx_http_dynamo_log_lit(p, "dml");

    } else {
        p = ngx_http_dynamo_log_lit(p, "query");
    }

    p = ngx_http_dynamo_log_lit(p, "\"],");

    p = ngx_http_dynamo_log_lit(p, "\"identity\":{\"endUser\":");
    p = ngx_http_dynamo_log_str(p, &ctx->end_user);
    p = ngx_http_dynamo_log_lit(p, ",\"repoUser\":");
    p = ngx_http_dynamo_log_str(p, &ctx->end_user);
    p = ngx_http_dynamo_log_lit(p, ",\"dbRole\":");
    p = ngx_http_dynamo_log_str(p, &ctx->role_arn);
    p = ngx_http_dynamo_log_lit(p, ",\"serviceAccount\":");
    p = ngx_http_dynamo_log_str(p, &ctx->token.identity);
    p = ngx_http_dynamo_log_lit(p, ",\"subject\":");
    p = ngx_http_dynamo_log_str(p, &ctx->token.subject);
    p = ngx_http_dynamo_log_lit(p, ",\"tokenId\":");
    p = ngx_http_dynamo_log_str(p, &ctx->token.token_id);
    p = ngx_http_dynamo_log_lit(p, ",\"roleSessionName\":");
    p = ngx_http_dynamo_log_str(p, &ctx->session_name);
    p = ngx_http_dynamo_log_lit(p, "},");

    p = ngx_cpymem(p, dlcf->log_repo.data, dlcf->log_repo.len);

    p = ngx_http_dynamo_log_lit(p, "\"client\":{\"connectionId\":\"");
    p = ngx_cpymem(p, client, client_len);
    p = ngx_http_dynamo_log_lit(p, "\",\"connectionTime\":");
    p = ngx_http_dynamo_log_time(p, conn_second, conn_fraction);
    p = ngx_http_dynamo_log_lit(p, ",\"connectionTimeNanos\":");
    p = ngx_http_dynamo_log_nanos(p, conn_second, conn_fraction);
    p = ngx_http_dynamo_log_lit(p, ",\"host\":");
    p = ngx_http_dynamo_log_str(p, &r->connection->addr_text);
    p = ngx_http_dynamo_log_lit(p, ",\"port\":");
    p = ngx_http_dynamo_log_uint(p, port);
    p = ngx_http_dynamo_log_lit(p, ",\"applicationName\":");
    p = ngx_http_dynamo_log_str(p, &ua);
    p = ngx_http_dynamo_log_lit(p, "},");

    p = ngx_cpymem(p, dlcf->log_sidecar.data, dlcf->log_sidecar.len);
    p = ngx_http_dynamo_log_uint(p, (uint64_t) ngx_pid);
    p = ngx_http_dynamo_log_lit(p, "},");

    p = ngx_http_dynamo_log_lit(p, "\"request\":{\"statement\":");

    if (rq && rq->stmt_truncated) {
        /* the marker inside the string, where a reader sees it */
        p = ngx_http_dynamo_log_str(p, &stmt) - 1;
        p = ngx_cpymem(p, NGX_HTTP_DYNAMO_TRUNCATED "\"",
                       sizeof(NGX_HTTP_DYNAMO_TRUNCATED));

    } else {
        p = ngx_http_dynamo_log_str(p, &stmt);
    }

    p = ngx_http_dynamo_log_lit(p, ",\"statementTruncated\":");
    p = ngx_http_dynamo_log_bool(p, rq && rq->stmt_truncated);
    p = ngx_http_dynamo_log_lit(p, ",\"statementType\":");
    p = ngx_http_dynamo_log_str(p, op ? &op->type : &empty);
    p = ngx_http_dynamo_log_lit(p, ",\"tables\":[");

    for (i = 0; i < ctx->tables.nelts; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_http_dynamo_log_str(p, &t[i]);
    }

    p = ngx_http_dynamo_log_lit(p, "],");
    p = ngx_cpymem(p, dlcf->log_region.data, dlcf->log_region.len);

    p = ngx_http_dynamo_log_lit(p, "\"response\":{\"status\":");
    p = ngx_http_dynamo_log_uint(p, status);
    p = ngx_http_dynamo_log_lit(p, ",\"message\":");
    p = ngx_http_dynamo_log_str(p, &message);
    p = ngx_http_dynamo_log_lit(p, ",\"isError\":");
    p = ngx_http_dynamo_log_bool(p, is_error);
    p = ngx_http_dynamo_log_lit(p, ",\"errorType\":");
    p = ngx_http_dynamo_log_str(p, &type);

    if (rs && rs->records_set && !is_error) {
        p = ngx_http_dynamo_log_lit(p, ",\"records\":");
        p = ngx_http_dynamo_log_uint(p, rs->records);
    }

    p = ngx_http_dynamo_log_lit(p, ",\"bytes\":");
    p = ngx_http_dynamo_log_uint(p, ctx->response_bytes > 0
                                    ? (uint64_t) ctx->response_bytes : 0);
    p = ngx_http_dynamo_log_lit(p, ",\"executionTime\":\"");
    p = ngx_http_dynamo_log_duration(p, exec_ns);
    p = ngx_http_dynamo_log_lit(p, "\",\"executionTimeNanos\":");
    p = ngx_http_dynamo_log_uint(p, exec_ns);

    if (rs && rs->capacity_len && !rs->capacity_overflow) {
        p = ngx_http_dynamo_log_lit(p, ",\"consumedCapacity\":");
        p = ngx_cpymem(p, rs->capacity, rs->capacity_len);
    }

    p = ngx_http_dynamo_log_lit(p, "},\"policyViolated\":");
    p = ngx_http_dynamo_log_bool(p, ctx->policy_violated);
    *p++ = '}';

    if (log->syslog_peer) {
        if (ngx_syslog_send(log->syslog_peer, line, p - line) < 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "send() of an activity record to syslog failed");
        }

        return NGX_OK;
    }

    ngx_linefeed(p);

    if (buffer) {
        if (buffer->event && buffer->pos == buffer->start) {
            ngx_add_timer(buffer->event, buffer->flush);
        }

        buffer->pos = p;

        return NGX_OK;
    }

    ngx_http_dynamo_log_write(r, log, line, p - line);

    return NGX_OK;
}


/*
 * A record written at once: the file has no buffer, or the record is
 * larger than the buffer, which the handler has flushed before it
 */

static void
ngx_http_dynamo_log_write(ngx_http_request_t *r,
    ngx_http_dynamo_activity_log_t *log, u_char *buf, size_t len)
{
    time_t     now;
    ssize_t    n;
    ngx_err_t  err;

    now = ngx_time();

    if (now - log->disk_full_time < 60) {
        return;
    }

    n = ngx_write_fd(log->file->fd, buf, len);

    if ((size_t) n == len) {
        return;
    }

    err = (n == -1) ? ngx_errno : 0;

    if (err == NGX_ENOSPC) {
        log->disk_full_time = now;
    }

    /* reported once a minute at most */

    if (now - log->error_log_time > 59) {
        if (n == -1) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, err,
                          ngx_write_fd_n " to \"%V\" failed",
                          &log->file->name);

        } else {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          ngx_write_fd_n " to \"%V\" was incomplete: "
                          "%z of %uz", &log->file->name, n, len);
        }

        log->error_log_time = now;
    }
}


static void
ngx_http_dynamo_log_flush(ngx_open_file_t *file, ngx_log_t *log)
{
    size_t                      len;
    ssize_t                     n;
    ngx_http_dynamo_log_buf_t  *buffer;

    buffer = file->data;

    len = buffer->pos - buffer->start;

    if (len == 0) {
        return;
    }

    n = ngx_write_fd(file->fd, buffer->start, len);

    if (n == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_write_fd_n " to \"%V\" failed", &file->name);

    } else if ((size_t) n != len) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      ngx_write_fd_n " to \"%V\" was incomplete: %z of %uz",
                      &file->name, n, len);
    }

    buffer->pos = buffer->start;

    if (buffer->event && buffer->event->timer_set) {
        ngx_del_timer(buffer->event);
    }
}


static void
ngx_http_dynamo_log_flush_handler(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, ev->log, 0,
                   "dynamo: activity log buffer flush");

    ngx_http_dynamo_log_flush(ev->data, ev->log);
}


/*
 * A time in a record, from nanoseconds: the second's part, both as
 * "2026-11-23 09:30:00." and in decimal, is kept by the worker and made
 * again when the second changes; the nine digits of the fraction are
 * made once for the two forms the record writes.
 */

static void
ngx_http_dynamo_log_second(ngx_http_dynamo_log_second_t *second,
    uint64_t ns, u_char *fraction)
{
    u_char    *s;
    time_t     sec;
    ngx_tm_t   tm;

    sec = (time_t) (ns / 1000000000);

    if (second->sec != sec || second->decimal_len == 0) {
        ngx_gmtime(sec, &tm);

        s = ngx_http_dynamo_digits(second->text, tm.ngx_tm_year, 4);
        *s++ = '-';
        s = ngx_http_dynamo_digits(s, tm.ngx_tm_mon, 2);
        *s++ = '-';
        s = ngx_http_dynamo_digits(s, tm.ngx_tm_mday, 2);
        *s++ = ' ';
        s = ngx_http_dynamo_digits(s, tm.ngx_tm_hour, 2);
        *s++ = ':';
        s = ngx_http_dynamo_digits(s, tm.ngx_tm_min, 2);
        *s++ = ':';
        s = ngx_http_dynamo_digits(s, tm.ngx_tm_sec, 2);
        *s = '.';

        second->decimal_len = ngx_http_dynamo_log_uint(second->decimal,
                                                       (uint64_t) sec)
                              - second->decimal;
        second->sec = sec;
    }

    (void) ngx_http_dynamo_digits(fraction, ns % 1000000000, 9);
}


/* "2026-11-23 09:30:00.123456789 +0000 UTC", quoted */

static u_char *
ngx_http_dynamo_log_time(u_char *p, ngx_http_dynamo_log_second_t *second,
    u_char *fraction)
{
    *p++ = '"';
    p = ngx_cpymem(p, second->text, sizeof(second->text));
    p = ngx_cpymem(p, fraction, 9);

    return ngx_http_dynamo_log_lit(p, " +0000 UTC\"");
}


/* the nanoseconds as a number */

static u_char *
ngx_http_dynamo_log_nanos(u_char *p, ngx_http_dynamo_log_second_t *second,
    u_char *fraction)
{
    u_char  *f;

    if (second->sec) {
        p = ngx_cpymem(p, second->decimal, second->decimal_len);
        return ngx_cpymem(p, fraction, 9);
    }

    /* within the first second of 1970: no zeros in front */

    for (f = fraction; f < fraction + 8 && *f == '0'; f++) {
        /* void */
    }

    return ngx_cpymem(p, f, fraction + 9 - f);
}


/* a duration as Go prints one: "93.136µs", "1.5ms", "2.000001s" */

static u_char *
ngx_http_dynamo_log_duration(u_char *p, uint64_t ns)
{
    uint64_t      unit, frac;
    ngx_uint_t    digits;
    const char   *name;

    if (ns < 1000) {
        p = ngx_http_dynamo_log_uint(p, ns);
        return ngx_http_dynamo_log_lit(p, "ns");
    }

    if (ns < 1000000) {
        unit = 1000;
        name = "\xc2\xb5s";
        digits = 3;

    } else if (ns < 1000000000) {
        unit = 1000000;
        name = "ms";
        digits = 6;

    } else {
        unit = 1000000000;
        name = "s";
        digits = 9;
    }

    p = ngx_http_dynamo_log_uint(p, ns / unit);

    frac = ns % unit;

    if (frac) {
        /* the fraction without its trailing zeros */

        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }

        *p++ = '.';
        p = ngx_http_dynamo_digits(p, frac, digits);
    }

    return ngx_cpymem(p, name, ngx_strlen(name));
}


/* v in decimal */

static u_char *
ngx_http_dynamo_log_uint(u_char *p, uint64_t v)
{
    uint64_t    t;
    ngx_uint_t  n;

    n = 1;

    for (t = v; t >= 10; t /= 10) {
        n++;
    }

    return ngx_http_dynamo_digits(p, v, n);
}


static u_char *
ngx_http_dynamo_log_bool(u_char *p, ngx_uint_t v)
{
    if (v) {
        return ngx_http_dynamo_log_lit(p, "true");
    }

    return ngx_http_dynamo_log_lit(p, "false");
}
