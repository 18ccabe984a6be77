
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

#define ngx_http_dynamo_log_raw(v, start, end)                               \
    (v)->str.data = start; (v)->str.len = (end) - (start)

/* "2026-11-23 09:30:00.123456789 +0000 UTC", quoted */
#define NGX_HTTP_DYNAMO_LOG_TIME_LEN                                         \
    sizeof("\"2026-11-23 09:30:00.123456789 +0000 UTC\"")

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


/*
 * The record, described once: its fields in the order they are written,
 * each with the JSON text before its value (the names, and the brackets
 * that close what came before), the kind of its value, and where the
 * value is found.  The record's length bound and its writing both walk
 * this table; every string goes through ngx_http_dynamo_json_str().
 *
 *   STR     a string, escaped: invalid UTF-8 is written as U+FFFD
 *   CUT     the statement: a STR, and the truncation marker inside it
 *           when it was cut
 *   RAW     JSON text the module made itself: numbers, times, and the
 *           answer's ConsumedCapacity as the JSON tokenizer checked it
 *   UINT    a number
 *   BOOL    true or false
 *   TABLES  an array of strings, each a STR
 *   END     the record's last bytes
 *
 * Fields marked "conf" are made once, when the configuration is read
 * (ngx_http_dynamo_log_parts()), each run of them kept as a part that the
 * log phase copies (the location's log_repo, log_sidecar and log_region,
 * in this order); an "optional" field is left out, name and all, when its
 * value is not set.
 */

#define NGX_HTTP_DYNAMO_LOG_PARTS      3

#define ngx_http_dynamo_log_part_list(conf, parts)                           \
    parts[0] = &(conf)->log_repo;                                            \
    parts[1] = &(conf)->log_sidecar;                                         \
    parts[2] = &(conf)->log_region

typedef enum {
    NGX_HTTP_DYNAMO_LOG_STR = 0,
    NGX_HTTP_DYNAMO_LOG_CUT,
    NGX_HTTP_DYNAMO_LOG_RAW,
    NGX_HTTP_DYNAMO_LOG_UINT,
    NGX_HTTP_DYNAMO_LOG_BOOL,
    NGX_HTTP_DYNAMO_LOG_TABLES,
    NGX_HTTP_DYNAMO_LOG_END
} ngx_http_dynamo_log_kind_e;


typedef enum {
    NGX_HTTP_DYNAMO_LOG_ACTIVITY_ID = 0,
    NGX_HTTP_DYNAMO_LOG_ACTIVITY_TIME,
    NGX_HTTP_DYNAMO_LOG_ACTIVITY_NANOS,
    NGX_HTTP_DYNAMO_LOG_ACTIVITY_TYPE,
    NGX_HTTP_DYNAMO_LOG_END_USER,
    NGX_HTTP_DYNAMO_LOG_DB_ROLE,
    NGX_HTTP_DYNAMO_LOG_SERVICE_ACCOUNT,
    NGX_HTTP_DYNAMO_LOG_SUBJECT,
    NGX_HTTP_DYNAMO_LOG_TOKEN_ID,
    NGX_HTTP_DYNAMO_LOG_SESSION_NAME,
    NGX_HTTP_DYNAMO_LOG_REPO_NAME,
    NGX_HTTP_DYNAMO_LOG_REPO_HOST,
    NGX_HTTP_DYNAMO_LOG_REPO_PORT,
    NGX_HTTP_DYNAMO_LOG_CONNECTION_ID,
    NGX_HTTP_DYNAMO_LOG_CONNECTION_TIME,
    NGX_HTTP_DYNAMO_LOG_CONNECTION_NANOS,
    NGX_HTTP_DYNAMO_LOG_CLIENT_HOST,
    NGX_HTTP_DYNAMO_LOG_CLIENT_PORT,
    NGX_HTTP_DYNAMO_LOG_APPLICATION,
    NGX_HTTP_DYNAMO_LOG_SIDECAR_NAME,
    NGX_HTTP_DYNAMO_LOG_HOSTNAME,
    NGX_HTTP_DYNAMO_LOG_PID,
    NGX_HTTP_DYNAMO_LOG_STATEMENT,
    NGX_HTTP_DYNAMO_LOG_STATEMENT_CUT,
    NGX_HTTP_DYNAMO_LOG_STATEMENT_TYPE,
    NGX_HTTP_DYNAMO_LOG_TABLE_NAMES,
    NGX_HTTP_DYNAMO_LOG_REGION,
    NGX_HTTP_DYNAMO_LOG_STATUS,
    NGX_HTTP_DYNAMO_LOG_MESSAGE,
    NGX_HTTP_DYNAMO_LOG_IS_ERROR,
    NGX_HTTP_DYNAMO_LOG_ERROR_TYPE,
    NGX_HTTP_DYNAMO_LOG_RECORDS,
    NGX_HTTP_DYNAMO_LOG_BYTES,
    NGX_HTTP_DYNAMO_LOG_EXECUTION_TIME,
    NGX_HTTP_DYNAMO_LOG_EXECUTION_NANOS,
    NGX_HTTP_DYNAMO_LOG_CAPACITY,
    NGX_HTTP_DYNAMO_LOG_POLICY,
    NGX_HTTP_DYNAMO_LOG_NONE,
    NGX_HTTP_DYNAMO_LOG_VALUES
} ngx_http_dynamo_log_value_e;


typedef struct {
    ngx_str_t                    before;
    unsigned                     kind:4;
    unsigned                     conf:1;
    unsigned                     optional:1;
    unsigned                     value:6;
} ngx_http_dynamo_log_field_t;


typedef struct {
    ngx_str_t                    str;        /* STR, CUT, RAW */
    uint64_t                     num;        /* UINT, BOOL; CUT: cut */
    ngx_array_t                 *array;      /* TABLES */
    ngx_uint_t                   set;        /* an optional one */
} ngx_http_dynamo_log_value_t;


#define ngx_http_dynamo_log_field(before, kind, value)                       \
    { ngx_string(before), NGX_HTTP_DYNAMO_LOG_##kind, 0, 0,                  \
      NGX_HTTP_DYNAMO_LOG_##value }
#define ngx_http_dynamo_log_conf(before, kind, value)                        \
    { ngx_string(before), NGX_HTTP_DYNAMO_LOG_##kind, 1, 0,                  \
      NGX_HTTP_DYNAMO_LOG_##value }
#define ngx_http_dynamo_log_optional(before, kind, value)                    \
    { ngx_string(before), NGX_HTTP_DYNAMO_LOG_##kind, 0, 1,                  \
      NGX_HTTP_DYNAMO_LOG_##value }


static ngx_http_dynamo_log_field_t  ngx_http_dynamo_log_fields[] = {

    ngx_http_dynamo_log_field("{\"activityId\":", STR, ACTIVITY_ID),
    ngx_http_dynamo_log_field(",\"activityTime\":", RAW, ACTIVITY_TIME),
    ngx_http_dynamo_log_field(",\"activityTimeNanos\":", RAW,
                              ACTIVITY_NANOS),
    ngx_http_dynamo_log_field(",\"activityTypes\":[", STR, ACTIVITY_TYPE),

    ngx_http_dynamo_log_field("],\"identity\":{\"endUser\":", STR,
                              END_USER),
    ngx_http_dynamo_log_field(",\"repoUser\":", STR, END_USER),
    ngx_http_dynamo_log_field(",\"dbRole\":", STR, DB_ROLE),
    ngx_http_dynamo_log_field(",\"serviceAccount\":", STR, SERVICE_ACCOUNT),
    ngx_http_dynamo_log_field(",\"subject\":", STR, SUBJECT),
    ngx_http_dynamo_log_field(",\"tokenId\":", STR, TOKEN_ID),
    ngx_http_dynamo_log_field(",\"roleSessionName\":", STR, SESSION_NAME),

    ngx_http_dynamo_log_conf("},\"repo\":{\"name\":", STR, REPO_NAME),
    ngx_http_dynamo_log_conf(",\"type\":\"dynamodb\",\"host\":", STR,
                             REPO_HOST),
    ngx_http_dynamo_log_conf(",\"port\":", UINT, REPO_PORT),

    ngx_http_dynamo_log_field("},\"client\":{\"connectionId\":", STR,
                              CONNECTION_ID),
    ngx_http_dynamo_log_field(",\"connectionTime\":", RAW,
                              CONNECTION_TIME),
    ngx_http_dynamo_log_field(",\"connectionTimeNanos\":", RAW,
                              CONNECTION_NANOS),
    ngx_http_dynamo_log_field(",\"host\":", STR, CLIENT_HOST),
    ngx_http_dynamo_log_field(",\"port\":", UINT, CLIENT_PORT),
    ngx_http_dynamo_log_field(",\"applicationName\":", STR, APPLICATION),

    ngx_http_dynamo_log_conf("},\"sidecar\":{\"name\":", STR,
                             SIDECAR_NAME),
    ngx_http_dynamo_log_conf(",\"hostname\":", STR, HOSTNAME),
    ngx_http_dynamo_log_field(",\"pid\":", UINT, PID),

    ngx_http_dynamo_log_field("},\"request\":{\"statement\":", CUT,
                              STATEMENT),
    ngx_http_dynamo_log_field(",\"statementTruncated\":", BOOL,
                              STATEMENT_CUT),
    ngx_http_dynamo_log_field(",\"statementType\":", STR, STATEMENT_TYPE),
    ngx_http_dynamo_log_field(",\"tables\":", TABLES, TABLE_NAMES),
    ngx_http_dynamo_log_conf(",\"statementData\":{\"targetRegion\":", STR,
                             REGION),

    ngx_http_dynamo_log_field("}},\"response\":{\"status\":", UINT, STATUS),
    ngx_http_dynamo_log_field(",\"message\":", STR, MESSAGE),
    ngx_http_dynamo_log_field(",\"isError\":", BOOL, IS_ERROR),
    ngx_http_dynamo_log_field(",\"errorType\":", STR, ERROR_TYPE),
    ngx_http_dynamo_log_optional(",\"records\":", UINT, RECORDS),
    ngx_http_dynamo_log_field(",\"bytes\":", UINT, BYTES),
    ngx_http_dynamo_log_field(",\"executionTime\":", RAW, EXECUTION_TIME),
    ngx_http_dynamo_log_field(",\"executionTimeNanos\":", UINT,
                              EXECUTION_NANOS),
    ngx_http_dynamo_log_optional(",\"consumedCapacity\":", RAW, CAPACITY),
    ngx_http_dynamo_log_field("},\"policyViolated\":", BOOL, POLICY),

    ngx_http_dynamo_log_field("}", END, NONE)
};


/* the text a record's times and ids are made in */

typedef struct {
    u_char                       start_fraction[9];
    u_char                       conn_fraction[9];
    u_char                       start_time[NGX_HTTP_DYNAMO_LOG_TIME_LEN];
    u_char                       conn_time[NGX_HTTP_DYNAMO_LOG_TIME_LEN];
    u_char                       start_nanos[NGX_INT64_LEN];
    u_char                       conn_nanos[NGX_INT64_LEN];
    u_char                       duration[NGX_INT64_LEN + 16];
    u_char                       id[NGX_SOCKADDR_STRLEN
                                    + 3 * NGX_INT64_LEN + 3];
} ngx_http_dynamo_log_text_t;


struct ngx_http_dynamo_activity_log_s {
    ngx_open_file_t             *file;
    ngx_syslog_peer_t           *syslog_peer;
    time_t                       disk_full_time;
    time_t                       error_log_time;
};


static char *ngx_http_dynamo_log_parts(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *conf);
static ngx_int_t ngx_http_dynamo_log_unsent(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t status);
static void ngx_http_dynamo_log_times(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_log_text_t *text,
    ngx_http_dynamo_log_value_t *v);
static void ngx_http_dynamo_log_request(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_log_value_t *v);
static void ngx_http_dynamo_log_response(ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t status, ngx_http_dynamo_log_text_t *text,
    ngx_http_dynamo_log_value_t *v);
static size_t ngx_http_dynamo_log_length(ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_http_dynamo_log_value_t *v);
static u_char *ngx_http_dynamo_log_room(ngx_http_request_t *r,
    ngx_http_dynamo_activity_log_t *log, size_t len,
    ngx_http_dynamo_log_buf_t **buffer);
static u_char *ngx_http_dynamo_log_record(u_char *p,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_log_value_t *v);
static void ngx_http_dynamo_log_out(ngx_http_request_t *r,
    ngx_http_dynamo_activity_log_t *log, ngx_http_dynamo_log_buf_t *buffer,
    u_char *line, u_char *p);
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
static size_t ngx_http_dynamo_log_bound(ngx_http_dynamo_log_field_t *f,
    ngx_http_dynamo_log_value_t *v);
static u_char *ngx_http_dynamo_log_value(u_char *p,
    ngx_http_dynamo_log_field_t *f, ngx_http_dynamo_log_value_t *v);
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
 * The parts of a record that the configuration decides, made once: the
 * runs of "conf" fields of the record's table, "repo", "sidecar" but its
 * pid, and "statementData"
 */

static char *
ngx_http_dynamo_log_parts(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *conf)
{
    u_char                       *p, *colon;
    size_t                        len;
    ngx_str_t                     host;
    ngx_str_t                    *parts[NGX_HTTP_DYNAMO_LOG_PARTS];
    ngx_int_t                     port;
    ngx_uint_t                    n;
    ngx_http_dynamo_log_field_t  *f;
    ngx_http_dynamo_log_value_t   v[NGX_HTTP_DYNAMO_LOG_VALUES];

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

    v[NGX_HTTP_DYNAMO_LOG_REPO_NAME].str = conf->repo_name;
    v[NGX_HTTP_DYNAMO_LOG_REPO_HOST].str = host;
    v[NGX_HTTP_DYNAMO_LOG_REPO_PORT].num = (uint64_t) port;
    v[NGX_HTTP_DYNAMO_LOG_SIDECAR_NAME].str = ngx_http_dynamo_sidecar_name;
    v[NGX_HTTP_DYNAMO_LOG_HOSTNAME].str = cf->cycle->hostname;
    v[NGX_HTTP_DYNAMO_LOG_REGION].str = conf->pass_region;

    len = 0;

    for (f = ngx_http_dynamo_log_fields;
         f->kind != NGX_HTTP_DYNAMO_LOG_END;
         f++)
    {
        if (f->conf) {
            len += ngx_http_dynamo_log_bound(f, &v[f->value]);
        }
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    /* each run of "conf" fields, in turn */

    ngx_http_dynamo_log_part_list(conf, parts);

    n = 0;

    for (f = ngx_http_dynamo_log_fields;
         f->kind != NGX_HTTP_DYNAMO_LOG_END;
         f++)
    {
        if (!f->conf) {
            continue;
        }

        if (f == ngx_http_dynamo_log_fields || !f[-1].conf) {
            parts[n]->data = p;
        }

        p = ngx_http_dynamo_log_value(p, f, &v[f->value]);

        if (!f[1].conf) {
            parts[n]->len = p - parts[n]->data;
            n++;
        }
    }

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
    ctx->body.stmt_mode = NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF;
    ctx->body.stmt_max = 0;

    if (dlcf->activity_log
        && dlcf->stmt_mode != NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF)
    {
        ctx->body.stmt_mode = dlcf->stmt_mode;
        ctx->body.stmt_max = dlcf->stmt_max;
    }
}


/* the log phase: the status page's counts, and the activity record */

ngx_int_t
ngx_http_dynamo_log_handler(ngx_http_request_t *r)
{
    u_char                          *line, *p;
    size_t                           len;
    ngx_uint_t                       status;
    ngx_http_dynamo_ctx_t           *ctx;
    ngx_http_dynamo_log_buf_t       *buffer;
    ngx_http_dynamo_log_text_t       text;
    ngx_http_dynamo_loc_conf_t      *dlcf;
    ngx_http_dynamo_log_value_t      v[NGX_HTTP_DYNAMO_LOG_VALUES];
    ngx_http_dynamo_activity_log_t  *log;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_dynamo_module);

    if (ctx == NULL || !ctx->begun) {
        return NGX_OK;
    }

    ngx_http_dynamo_status_count(r, ctx);

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);

    log = dlcf->activity_log;

    if (log == NULL) {
        return NGX_OK;
    }

    status = r->headers_out.status ? r->headers_out.status : r->err_status;

    if (ngx_http_dynamo_log_unsent(r, dlcf, ctx, status) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_dynamo_log_times(r, ctx, &text, v);
    ngx_http_dynamo_log_request(r, ctx, v);
    ngx_http_dynamo_log_response(ctx, status, &text, v);

    len = ngx_http_dynamo_log_length(dlcf, v);

    if (log->syslog_peer) {
        len += NGX_HTTP_DYNAMO_SYSLOG_HEADER;
    }

    line = ngx_http_dynamo_log_room(r, log, len, &buffer);
    if (line == NULL) {
        return NGX_ERROR;
    }

    p = line;

    if (log->syslog_peer) {
        p = ngx_syslog_add_header(log->syslog_peer, p);
    }

    p = ngx_http_dynamo_log_record(p, dlcf, v);

    ngx_http_dynamo_log_out(r, log, buffer, line, p);

    return NGX_OK;
}


/*
 * An error of nginx's that sent nothing (a body not received in time):
 * recorded as its page would have said it; a client that went away is
 * no error of the request's
 */

static ngx_int_t
ngx_http_dynamo_log_unsent(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t status)
{
    if (ctx->err != NGX_HTTP_DYNAMO_OK || r->header_sent
        || status < NGX_HTTP_BAD_REQUEST
        || status == NGX_HTTP_CLIENT_CLOSED_REQUEST
        || !dlcf->access)
    {
        return NGX_OK;
    }

    if (ngx_http_dynamo_nginx_error(r, ctx, status) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dynamo: %ui recorded as %V", status,
                  ngx_http_dynamo_error_type(ctx->err));

    return NGX_OK;
}


/*
 * The record's times, and its ids.  The connection's id,
 * "address:port:start", is the start of the request's,
 * "address:port:start:number".
 */

static void
ngx_http_dynamo_log_times(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_http_dynamo_log_text_t *text, ngx_http_dynamo_log_value_t *v)
{
    u_char                        *p;
    uint64_t                       conn_ns;
    ngx_uint_t                     port;
    ngx_msec_int_t                 ms;
    ngx_http_dynamo_main_conf_t   *dmcf;
    ngx_http_dynamo_log_second_t  *start_second, *conn_second;

    ms = (ngx_msec_int_t) (ngx_current_msec - r->connection->start_time);
    conn_ns = ctx->start_ns - (ms > 0 ? (uint64_t) ms * 1000000 : 0);

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    start_second = &dmcf->log_seconds[0];
    conn_second = &dmcf->log_seconds[1];

    ngx_http_dynamo_log_second(start_second, ctx->start_ns,
                               text->start_fraction);
    ngx_http_dynamo_log_second(conn_second, conn_ns, text->conn_fraction);

    port = ngx_inet_get_port(r->connection->sockaddr);

    p = ngx_cpymem(text->id, r->connection->addr_text.data,
                   ngx_min(r->connection->addr_text.len,
                           NGX_SOCKADDR_STRLEN));
    *p++ = ':';
    p = ngx_http_dynamo_log_uint(p, port);
    *p++ = ':';
    p = ngx_http_dynamo_log_nanos(p, conn_second, text->conn_fraction);

    v[NGX_HTTP_DYNAMO_LOG_CONNECTION_ID].str.data = text->id;
    v[NGX_HTTP_DYNAMO_LOG_CONNECTION_ID].str.len = p - text->id;

    *p++ = ':';
    p = ngx_http_dynamo_log_uint(p, r->connection->requests);

    v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_ID].str.data = text->id;
    v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_ID].str.len = p - text->id;

    v[NGX_HTTP_DYNAMO_LOG_CLIENT_HOST].str = r->connection->addr_text;
    v[NGX_HTTP_DYNAMO_LOG_CLIENT_PORT].num = port;

    ngx_http_dynamo_log_raw(&v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_TIME],
        text->start_time,
        ngx_http_dynamo_log_time(text->start_time, start_second,
                                 text->start_fraction));
    ngx_http_dynamo_log_raw(&v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_NANOS],
        text->start_nanos,
        ngx_http_dynamo_log_nanos(text->start_nanos, start_second,
                                  text->start_fraction));
    ngx_http_dynamo_log_raw(&v[NGX_HTTP_DYNAMO_LOG_CONNECTION_TIME],
        text->conn_time,
        ngx_http_dynamo_log_time(text->conn_time, conn_second,
                                 text->conn_fraction));
    ngx_http_dynamo_log_raw(&v[NGX_HTTP_DYNAMO_LOG_CONNECTION_NANOS],
        text->conn_nanos,
        ngx_http_dynamo_log_nanos(text->conn_nanos, conn_second,
                                  text->conn_fraction));
}


/* who asked what: the identity, the client, the statement */

static void
ngx_http_dynamo_log_request(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_http_dynamo_log_value_t *v)
{
    ngx_http_dynamo_ddb_op_t       *op;
    ngx_http_dynamo_ddb_request_t  *rq;

    static ngx_str_t  empty = ngx_null_string;

    rq = ctx->body.rq;

    /* a request refused before its body was read still names its target */

    op = ctx->body.op;

    if (op == NULL && ctx->caller.target) {
        op = ngx_http_dynamo_ddb_operation(ctx->caller.target);
    }

    if (op != NULL && (op->flags & NGX_HTTP_DYNAMO_DDB_ADMIN)) {
        ngx_str_set(&v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_TYPE].str, "ddl");

    } else if (op != NULL && ((op->flags & NGX_HTTP_DYNAMO_DDB_WRITE)
                              || (rq && rq->partiql_write)))
    {
        ngx_str_set(&v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_TYPE].str, "dml");

    } else {
        ngx_str_set(&v[NGX_HTTP_DYNAMO_LOG_ACTIVITY_TYPE].str, "query");
    }

    v[NGX_HTTP_DYNAMO_LOG_END_USER].str = ctx->caller.end_user;
    v[NGX_HTTP_DYNAMO_LOG_DB_ROLE].str = ctx->assume.role_arn;
    v[NGX_HTTP_DYNAMO_LOG_SERVICE_ACCOUNT].str = ctx->caller.token.identity;
    v[NGX_HTTP_DYNAMO_LOG_SUBJECT].str = ctx->caller.token.subject;
    v[NGX_HTTP_DYNAMO_LOG_TOKEN_ID].str = ctx->caller.token.token_id;
    v[NGX_HTTP_DYNAMO_LOG_SESSION_NAME].str = ctx->assume.session_name;

    v[NGX_HTTP_DYNAMO_LOG_APPLICATION].str = r->headers_in.user_agent
                                    ? r->headers_in.user_agent->value : empty;

    v[NGX_HTTP_DYNAMO_LOG_PID].num = (uint64_t) ngx_pid;

    /* the statement, as dynamo_activity_log_statement keeps it */

    v[NGX_HTTP_DYNAMO_LOG_STATEMENT].str = empty;
    v[NGX_HTTP_DYNAMO_LOG_STATEMENT].num = rq && rq->stmt_truncated;
    v[NGX_HTTP_DYNAMO_LOG_STATEMENT_CUT].num = rq && rq->stmt_truncated;

    if (rq && ctx->body.stmt_mode != NGX_HTTP_DYNAMO_DDB_STATEMENT_OFF) {
        v[NGX_HTTP_DYNAMO_LOG_STATEMENT].str.data = rq->stmt;
        v[NGX_HTTP_DYNAMO_LOG_STATEMENT].str.len = rq->stmt_len;
    }

    v[NGX_HTTP_DYNAMO_LOG_STATEMENT_TYPE].str = op ? op->type : empty;
    v[NGX_HTTP_DYNAMO_LOG_TABLE_NAMES].array = &ctx->body.tables;

    v[NGX_HTTP_DYNAMO_LOG_POLICY].num = ctx->policy_violated;
}


/* how it went: ours, DynamoDB's, or nginx's error, and the answer */

static void
ngx_http_dynamo_log_response(ngx_http_dynamo_ctx_t *ctx, ngx_uint_t status,
    ngx_http_dynamo_log_text_t *text, ngx_http_dynamo_log_value_t *v)
{
    u_char                          *p;
    uint64_t                         exec_ns;
    ngx_str_t                        type, message;
    ngx_uint_t                       is_error;
    ngx_http_dynamo_ddb_response_t  *rs;

    static ngx_str_t  ok = ngx_string("OK");
    static ngx_str_t  empty = ngx_null_string;

    rs = ctx->upstream.rs;

    is_error = ctx->err != NGX_HTTP_DYNAMO_OK || status >= 400;

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

    v[NGX_HTTP_DYNAMO_LOG_STATUS].num = status;
    v[NGX_HTTP_DYNAMO_LOG_MESSAGE].str = message;
    v[NGX_HTTP_DYNAMO_LOG_IS_ERROR].num = is_error;
    v[NGX_HTTP_DYNAMO_LOG_ERROR_TYPE].str = type;

    v[NGX_HTTP_DYNAMO_LOG_RECORDS].set = rs && rs->records_set && !is_error;
    v[NGX_HTTP_DYNAMO_LOG_RECORDS].num = rs ? rs->records : 0;

    v[NGX_HTTP_DYNAMO_LOG_BYTES].num = ctx->upstream.bytes > 0
                                       ? (uint64_t) ctx->upstream.bytes : 0;

    exec_ns = (ctx->upstream.end > ctx->upstream.start)
              ? ctx->upstream.end - ctx->upstream.start : 0;

    p = text->duration;
    *p++ = '"';
    p = ngx_http_dynamo_log_duration(p, exec_ns);
    *p++ = '"';

    ngx_http_dynamo_log_raw(&v[NGX_HTTP_DYNAMO_LOG_EXECUTION_TIME],
                            text->duration, p);

    v[NGX_HTTP_DYNAMO_LOG_EXECUTION_NANOS].num = exec_ns;

    v[NGX_HTTP_DYNAMO_LOG_CAPACITY].set = rs && rs->capacity_len
                                          && !rs->capacity_overflow;

    if (v[NGX_HTTP_DYNAMO_LOG_CAPACITY].set) {
        v[NGX_HTTP_DYNAMO_LOG_CAPACITY].str.data = rs->capacity;
        v[NGX_HTTP_DYNAMO_LOG_CAPACITY].str.len = rs->capacity_len;
    }
}


/*
 * The record's length bound, from the same table as its writing: the
 * parts the configuration made, and each field at its longest
 */

static size_t
ngx_http_dynamo_log_length(ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_http_dynamo_log_value_t *v)
{
    size_t                        len;
    ngx_str_t                    *parts[NGX_HTTP_DYNAMO_LOG_PARTS];
    ngx_uint_t                    n;
    ngx_http_dynamo_log_field_t  *f;

    ngx_http_dynamo_log_part_list(dlcf, parts);

    len = sizeof("\n") - 1;
    n = 0;

    for (f = ngx_http_dynamo_log_fields; /* void */ ; f++) {

        if (f->conf) {
            if (!f[1].conf) {
                len += parts[n++]->len;
            }

            continue;
        }

        len += ngx_http_dynamo_log_bound(f, &v[f->value]);

        if (f->kind == NGX_HTTP_DYNAMO_LOG_END) {
            return len;
        }
    }
}


/*
 * Where the record is made: a buffered file takes it where it is to be
 * written, without a copy (*buffer set); a record larger than the buffer,
 * or one without a buffer or for syslog, is made in the request's pool
 */

static u_char *
ngx_http_dynamo_log_room(ngx_http_request_t *r,
    ngx_http_dynamo_activity_log_t *log, size_t len,
    ngx_http_dynamo_log_buf_t **buffer)
{
    ngx_http_dynamo_log_buf_t  *b;

    *buffer = NULL;

    if (log->file && log->file->data) {
        b = log->file->data;

        if (len > (size_t) (b->last - b->pos)) {
            ngx_http_dynamo_log_flush(log->file, r->connection->log);
        }

        if (len <= (size_t) (b->last - b->pos)) {
            *buffer = b;
            return b->pos;
        }
    }

    return ngx_pnalloc(r->pool, len);
}


/* written field by field: ngx_sprintf() would be most of the cost */

static u_char *
ngx_http_dynamo_log_record(u_char *p, ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_http_dynamo_log_value_t *v)
{
    ngx_str_t                    *parts[NGX_HTTP_DYNAMO_LOG_PARTS];
    ngx_uint_t                    n;
    ngx_http_dynamo_log_field_t  *f;

    ngx_http_dynamo_log_part_list(dlcf, parts);

    n = 0;

    for (f = ngx_http_dynamo_log_fields; /* void */ ; f++) {

        if (f->conf) {
            if (!f[1].conf) {
                p = ngx_cpymem(p, parts[n]->data, parts[n]->len);
                n++;
            }

            continue;
        }

        p = ngx_http_dynamo_log_value(p, f, &v[f->value]);

        if (f->kind == NGX_HTTP_DYNAMO_LOG_END) {
            return p;
        }
    }
}


/* the record made, from line to p: sent, kept in the buffer, or written */

static void
ngx_http_dynamo_log_out(ngx_http_request_t *r,
    ngx_http_dynamo_activity_log_t *log, ngx_http_dynamo_log_buf_t *buffer,
    u_char *line, u_char *p)
{
    if (log->syslog_peer) {
        if (ngx_syslog_send(log->syslog_peer, line, p - line) < 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "send() of an activity record to syslog failed");
        }

        return;
    }

    ngx_linefeed(p);

    if (buffer) {
        if (buffer->event && buffer->pos == buffer->start) {
            ngx_add_timer(buffer->event, buffer->flush);
        }

        buffer->pos = p;

        return;
    }

    ngx_http_dynamo_log_write(r, log, line, p - line);
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


/* the longest that field f can be with value v, its name included */

static size_t
ngx_http_dynamo_log_bound(ngx_http_dynamo_log_field_t *f,
    ngx_http_dynamo_log_value_t *v)
{
    size_t       len;
    ngx_str_t   *t;
    ngx_uint_t   i;

    if (f->optional && !v->set) {
        return 0;
    }

    len = f->before.len;

    switch (f->kind) {

    case NGX_HTTP_DYNAMO_LOG_STR:
        return len + ngx_http_dynamo_json_str_len(v->str.len);

    case NGX_HTTP_DYNAMO_LOG_CUT:
        return len + ngx_http_dynamo_json_str_len(v->str.len)
               + sizeof(NGX_HTTP_DYNAMO_TRUNCATED) - 1;

    case NGX_HTTP_DYNAMO_LOG_RAW:
        return len + v->str.len;

    case NGX_HTTP_DYNAMO_LOG_UINT:
        return len + NGX_INT64_LEN;

    case NGX_HTTP_DYNAMO_LOG_BOOL:
        return len + sizeof("false") - 1;

    case NGX_HTTP_DYNAMO_LOG_TABLES:
        len += sizeof("[]") - 1;
        t = v->array->elts;

        for (i = 0; i < v->array->nelts; i++) {
            len += sizeof(",") - 1 + ngx_http_dynamo_json_str_len(t[i].len);
        }

        return len;

    default: /* NGX_HTTP_DYNAMO_LOG_END */
        return len;
    }
}


/* field f with value v, its name first */

static u_char *
ngx_http_dynamo_log_value(u_char *p, ngx_http_dynamo_log_field_t *f,
    ngx_http_dynamo_log_value_t *v)
{
    ngx_str_t   *t;
    ngx_uint_t   i;

    if (f->optional && !v->set) {
        return p;
    }

    p = ngx_cpymem(p, f->before.data, f->before.len);

    switch (f->kind) {

    case NGX_HTTP_DYNAMO_LOG_STR:
        return ngx_http_dynamo_json_str(p, v->str.data, v->str.len);

    case NGX_HTTP_DYNAMO_LOG_CUT:
        p = ngx_http_dynamo_json_str(p, v->str.data, v->str.len);

        if (v->num) {
            /* the marker inside the string, where a reader sees it */
            p = ngx_cpymem(p - 1, NGX_HTTP_DYNAMO_TRUNCATED "\"",
                           sizeof(NGX_HTTP_DYNAMO_TRUNCATED));
        }

        return p;

    case NGX_HTTP_DYNAMO_LOG_RAW:
        return ngx_cpymem(p, v->str.data, v->str.len);

    case NGX_HTTP_DYNAMO_LOG_UINT:
        return ngx_http_dynamo_log_uint(p, v->num);

    case NGX_HTTP_DYNAMO_LOG_BOOL:
        return ngx_http_dynamo_log_bool(p, v->num);

    case NGX_HTTP_DYNAMO_LOG_TABLES:
        *p++ = '[';
        t = v->array->elts;

        for (i = 0; i < v->array->nelts; i++) {
            if (i) {
                *p++ = ',';
            }

            p = ngx_http_dynamo_json_str(p, t[i].data, t[i].len);
        }

        *p++ = ']';

        return p;

    default: /* NGX_HTTP_DYNAMO_LOG_END */
        return p;
    }
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

        s = ngx_http_dynamo_time_digits(second->text, tm.ngx_tm_year, 4);
        *s++ = '-';
        s = ngx_http_dynamo_time_digits(s, tm.ngx_tm_mon, 2);
        *s++ = '-';
        s = ngx_http_dynamo_time_digits(s, tm.ngx_tm_mday, 2);
        *s++ = ' ';
        s = ngx_http_dynamo_time_digits(s, tm.ngx_tm_hour, 2);
        *s++ = ':';
        s = ngx_http_dynamo_time_digits(s, tm.ngx_tm_min, 2);
        *s++ = ':';
        s = ngx_http_dynamo_time_digits(s, tm.ngx_tm_sec, 2);
        *s = '.';

        second->decimal_len = ngx_http_dynamo_log_uint(second->decimal,
                                                       (uint64_t) sec)
                              - second->decimal;
        second->sec = sec;
    }

    (void) ngx_http_dynamo_time_digits(fraction, ns % 1000000000, 9);
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
        p = ngx_http_dynamo_time_digits(p, frac, digits);
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

    return ngx_http_dynamo_time_digits(p, v, n);
}


static u_char *
ngx_http_dynamo_log_bool(u_char *p, ngx_uint_t v)
{
    if (v) {
        return ngx_http_dynamo_log_lit(p, "true");
    }

    return ngx_http_dynamo_log_lit(p, "false");
}
