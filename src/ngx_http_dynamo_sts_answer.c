
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The answers that carry AWS credentials: STS in XML (expat) or JSON
 * (jansson), EC2 IMDS and ECS container credentials in JSON; and the
 * times AWS writes.  A leaf: no nginx function is called but the pool
 * allocators and the logging macros, so the file is unit-tested and
 * fuzzed outside nginx.
 *
 * Every kept value is copied into one pool block as large as the answer
 * (decoded text is never longer than its source), which a pool cleanup
 * wipes.  Expat allocates through functions that wipe what they free, so
 * its copies of the answer do not linger in the heap; strings jansson
 * decoded are wiped in place once copied.  Nothing read from the answer
 * is logged but the names of missing or invalid fields.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_sts_answer.h"
#include "ngx_http_dynamo_time.h"

#include <expat.h>
#include <jansson.h>
#include <openssl/crypto.h>


/* elements deeper than this are never of interest */
#define NGX_HTTP_DYNAMO_XML_DEPTH       8

/* the size header of expat's allocations: keeps malloc's alignment */
#define NGX_HTTP_DYNAMO_XML_HEADER      16


/* what an element is, by its place */

#define NGX_HTTP_DYNAMO_XML_OTHER       0
#define NGX_HTTP_DYNAMO_XML_RESPONSE    1
#define NGX_HTTP_DYNAMO_XML_ERRORS      2
#define NGX_HTTP_DYNAMO_XML_RESULT      3
#define NGX_HTTP_DYNAMO_XML_ERROR       4
#define NGX_HTTP_DYNAMO_XML_CREDENTIALS 5
#define NGX_HTTP_DYNAMO_XML_USER        6


/* the values kept, and how each is checked */

#define NGX_HTTP_DYNAMO_FIELD_NONE      0
#define NGX_HTTP_DYNAMO_FIELD_AKID      1
#define NGX_HTTP_DYNAMO_FIELD_SECRET    2
#define NGX_HTTP_DYNAMO_FIELD_TOKEN     3
#define NGX_HTTP_DYNAMO_FIELD_EXPIRES   4
#define NGX_HTTP_DYNAMO_FIELD_ARN       5
#define NGX_HTTP_DYNAMO_FIELD_TYPE      6
#define NGX_HTTP_DYNAMO_FIELD_CODE      7
#define NGX_HTTP_DYNAMO_FIELD_MESSAGE   8

#define NGX_HTTP_DYNAMO_CHECK_KEY_ID    1
#define NGX_HTTP_DYNAMO_CHECK_SECRET    2    /* printable, refused if long */
#define NGX_HTTP_DYNAMO_CHECK_TIME      3
#define NGX_HTTP_DYNAMO_CHECK_TEXT      4    /* cut if long */


typedef struct {
    ngx_str_t                        name;
    size_t                           max;
    ngx_uint_t                       check;
    size_t                           offset;  /* in the creds, of a string */
} ngx_http_dynamo_field_t;


typedef struct {
    u_char                          *data;
    size_t                           size;
} ngx_http_dynamo_wipe_t;


typedef struct {
    ngx_log_t                       *log;
    const char                      *what;        /* "STS answer" */
    ngx_http_dynamo_aws_creds_t     *creds;
    const char                      *reason;      /* why it is refused */
    ngx_uint_t                       reason_field;

    u_char                          *arena;       /* kept text */
    size_t                           used;
    size_t                           size;
    ngx_uint_t                       seen;        /* fields, by bit */
    ngx_uint_t                       error_answer;

    /* XML */
    XML_Parser                       parser;
    ngx_uint_t                       depth;
    ngx_uint_t                       field;       /* collecting its text */
    size_t                           text;        /* where it starts */
    u_char                           kinds[NGX_HTTP_DYNAMO_XML_DEPTH];
} ngx_http_dynamo_answer_t;


static ngx_int_t ngx_http_dynamo_answer_init(ngx_http_dynamo_answer_t *a,
    ngx_pool_t *pool, ngx_log_t *log, const char *what, size_t len,
    ngx_http_dynamo_aws_creds_t *creds);
static ngx_int_t ngx_http_dynamo_answer_set(ngx_http_dynamo_answer_t *a,
    ngx_uint_t field, u_char *p, size_t len);
static ngx_int_t ngx_http_dynamo_answer_done(ngx_http_dynamo_answer_t *a,
    ngx_uint_t token_optional);
static ngx_int_t ngx_http_dynamo_answer_fail(ngx_http_dynamo_answer_t *a,
    const char *reason, ngx_uint_t field);
static void ngx_http_dynamo_answer_log(ngx_http_dynamo_answer_t *a);
static void ngx_http_dynamo_wipe_cleanup(void *data);

static ngx_int_t ngx_http_dynamo_sts_xml(ngx_http_dynamo_answer_t *a,
    ngx_pool_t *pool, u_char *p, size_t len);
static void XMLCALL ngx_http_dynamo_xml_start(void *data,
    const XML_Char *name, const XML_Char **atts);
static void XMLCALL ngx_http_dynamo_xml_end(void *data,
    const XML_Char *name);
static void XMLCALL ngx_http_dynamo_xml_text(void *data, const XML_Char *s,
    int len);
static void XMLCALL ngx_http_dynamo_xml_doctype(void *data,
    const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
    int has_internal_subset);
static void XMLCALL ngx_http_dynamo_xml_entity(void *data,
    const XML_Char *name, int is_parameter_entity, const XML_Char *value,
    int value_length, const XML_Char *base, const XML_Char *system_id,
    const XML_Char *public_id, const XML_Char *notation);
static void ngx_http_dynamo_xml_stop(ngx_http_dynamo_answer_t *a,
    const char *reason);
static void *ngx_http_dynamo_xml_malloc(size_t size);
static void *ngx_http_dynamo_xml_realloc(void *ptr, size_t size);
static void ngx_http_dynamo_xml_free(void *ptr);
static void ngx_http_dynamo_xml_cleanup(void *data);

static json_t *ngx_http_dynamo_json_load(ngx_http_dynamo_answer_t *a,
    ngx_pool_t *pool, u_char *p, size_t len, ngx_pool_cleanup_t **cln);
static ngx_int_t ngx_http_dynamo_sts_json(ngx_http_dynamo_answer_t *a,
    json_t *root);
static ngx_int_t ngx_http_dynamo_json_error(ngx_http_dynamo_answer_t *a,
    json_t *error, const char *type, const char *code, const char *message);
static ngx_int_t ngx_http_dynamo_json_creds(ngx_http_dynamo_answer_t *a,
    json_t *obj, const char *token, const char *arn);
static ngx_int_t ngx_http_dynamo_json_field(ngx_http_dynamo_answer_t *a,
    json_t *obj, const char *name, ngx_uint_t field);
static json_t *ngx_http_dynamo_json_member(json_t *obj, const char *suffix,
    ngx_uint_t *n);
static void ngx_http_dynamo_sts_answer_json_cleanup(void *data);

static ngx_int_t ngx_http_dynamo_ends_with(const char *s, size_t len,
    const char *suffix);
static ngx_int_t ngx_http_dynamo_parse_epoch(u_char *p, u_char *last,
    time_t *t);


static ngx_http_dynamo_field_t  ngx_http_dynamo_fields[] = {
    { ngx_null_string, 0, 0, 0 },
    { ngx_string("AccessKeyId"), NGX_HTTP_DYNAMO_AWS_AKID_MAX,
      NGX_HTTP_DYNAMO_CHECK_KEY_ID,
      offsetof(ngx_http_dynamo_aws_creds_t, access_key_id) },
    { ngx_string("SecretAccessKey"), NGX_HTTP_DYNAMO_AWS_SECRET_MAX,
      NGX_HTTP_DYNAMO_CHECK_SECRET,
      offsetof(ngx_http_dynamo_aws_creds_t, secret_access_key) },
    { ngx_string("SessionToken"), NGX_HTTP_DYNAMO_AWS_TOKEN_MAX,
      NGX_HTTP_DYNAMO_CHECK_SECRET,
      offsetof(ngx_http_dynamo_aws_creds_t, session_token) },
    { ngx_string("Expiration"), 64, NGX_HTTP_DYNAMO_CHECK_TIME, 0 },
    { ngx_string("Arn"), NGX_HTTP_DYNAMO_AWS_ARN_MAX,
      NGX_HTTP_DYNAMO_CHECK_SECRET,
      offsetof(ngx_http_dynamo_aws_creds_t, assumed_role_arn) },
    { ngx_string("Type"), NGX_HTTP_DYNAMO_AWS_ERROR_TYPE_MAX,
      NGX_HTTP_DYNAMO_CHECK_TEXT,
      offsetof(ngx_http_dynamo_aws_creds_t, error_type) },
    { ngx_string("Code"), NGX_HTTP_DYNAMO_AWS_ERROR_CODE_MAX,
      NGX_HTTP_DYNAMO_CHECK_TEXT,
      offsetof(ngx_http_dynamo_aws_creds_t, error_code) },
    { ngx_string("Message"), NGX_HTTP_DYNAMO_AWS_ERROR_MSG_MAX,
      NGX_HTTP_DYNAMO_CHECK_TEXT,
      offsetof(ngx_http_dynamo_aws_creds_t, error_message) }
};


static const XML_Memory_Handling_Suite  ngx_http_dynamo_xml_memory = {
    ngx_http_dynamo_xml_malloc,
    ngx_http_dynamo_xml_realloc,
    ngx_http_dynamo_xml_free
};


ngx_int_t
ngx_http_dynamo_sts_answer_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, size_t len, ngx_http_dynamo_aws_creds_t *creds)
{
    u_char                    *s, *last;
    json_t                    *root;
    ngx_int_t                  rc;
    ngx_pool_cleanup_t        *cln;
    ngx_http_dynamo_answer_t   a;

    if (ngx_http_dynamo_answer_init(&a, pool, log, "STS answer", len, creds)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    last = p + len;

    for (s = p; s < last; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            break;
        }
    }

    /* a byte order mark */

    if (last - s >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
        s += 3;
    }

    if (s < last && *s == '<') {
        return ngx_http_dynamo_sts_xml(&a, pool, p, len);
    }

    if (s == last || *s != '{') {
        ngx_http_dynamo_answer_fail(&a, (s == last) ? "empty"
                                                    : "neither XML nor JSON",
                                    0);
        ngx_http_dynamo_answer_log(&a);
        return NGX_ERROR;
    }

    root = ngx_http_dynamo_json_load(&a, pool, s, last - s, &cln);
    if (root == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_dynamo_sts_json(&a, root);

    json_decref(root);
    cln->data = NULL;

    if (rc == NGX_ERROR) {
        ngx_http_dynamo_answer_log(&a);
    }

    return rc;
}


ngx_int_t
ngx_http_dynamo_imds_answer_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, size_t len, ngx_http_dynamo_aws_creds_t *creds)
{
    json_t                    *root, *code;
    ngx_int_t                  rc;
    ngx_pool_cleanup_t        *cln;
    ngx_http_dynamo_answer_t   a;

    if (ngx_http_dynamo_answer_init(&a, pool, log, "IMDS answer", len, creds)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    root = ngx_http_dynamo_json_load(&a, pool, p, len, &cln);
    if (root == NULL) {
        return NGX_ERROR;
    }

    code = json_object_get(root, "Code");

    if (code != NULL
        && (!json_is_string(code)
            || ngx_strcmp(json_string_value(code), "Success") != 0))
    {
        rc = ngx_http_dynamo_json_error(&a, root, NULL, "Code", "Message");

    } else {
        rc = ngx_http_dynamo_json_creds(&a, root, "Token", NULL);
    }

    json_decref(root);
    cln->data = NULL;

    if (rc == NGX_ERROR) {
        ngx_http_dynamo_answer_log(&a);
    }

    return rc;
}


ngx_int_t
ngx_http_dynamo_ecs_answer_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, size_t len, ngx_http_dynamo_aws_creds_t *creds)
{
    json_t                    *root;
    ngx_int_t                  rc;
    ngx_pool_cleanup_t        *cln;
    ngx_http_dynamo_answer_t   a;

    if (ngx_http_dynamo_answer_init(&a, pool, log, "ECS answer", len, creds)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    root = ngx_http_dynamo_json_load(&a, pool, p, len, &cln);
    if (root == NULL) {
        return NGX_ERROR;
    }

    if (json_object_get(root, "AccessKeyId") != NULL) {
        rc = ngx_http_dynamo_json_creds(&a, root, NULL, "RoleArn");

    } else if (json_object_get(root, "code") != NULL) {
        rc = ngx_http_dynamo_json_error(&a, root, NULL, "code", "message");

    } else if (json_object_get(root, "Code") != NULL) {
        rc = ngx_http_dynamo_json_error(&a, root, NULL, "Code", "Message");

    } else {
        rc = ngx_http_dynamo_answer_fail(&a, "no AccessKeyId",
                                         NGX_HTTP_DYNAMO_FIELD_NONE);
    }

    json_decref(root);
    cln->data = NULL;

    if (rc == NGX_ERROR) {
        ngx_http_dynamo_answer_log(&a);
    }

    return rc;
}


static ngx_int_t
ngx_http_dynamo_answer_init(ngx_http_dynamo_answer_t *a, ngx_pool_t *pool,
    ngx_log_t *log, const char *what, size_t len,
    ngx_http_dynamo_aws_creds_t *creds)
{
    ngx_pool_cleanup_t      *cln;
    ngx_http_dynamo_wipe_t  *wipe;

    ngx_memzero(a, sizeof(ngx_http_dynamo_answer_t));
    ngx_memzero(creds, sizeof(ngx_http_dynamo_aws_creds_t));

    a->log = (log != NULL) ? log : pool->log;
    a->what = what;
    a->creds = creds;

    if (len > NGX_HTTP_DYNAMO_AWS_ANSWER_MAX) {
        ngx_log_error(NGX_LOG_ERR, a->log, 0,
                      "invalid %s: %uz bytes, more than %d", what, len,
                      NGX_HTTP_DYNAMO_AWS_ANSWER_MAX);
        return NGX_ERROR;
    }

    /* the kept text, wiped when the pool goes */

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_http_dynamo_wipe_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    wipe = cln->data;
    wipe->data = NULL;
    wipe->size = 0;
    cln->handler = ngx_http_dynamo_wipe_cleanup;

    a->arena = ngx_pnalloc(pool, len + 1);
    if (a->arena == NULL) {
        return NGX_ERROR;
    }

    a->size = len + 1;

    wipe->data = a->arena;
    wipe->size = a->size;

    return NGX_OK;
}


static void
ngx_http_dynamo_wipe_cleanup(void *data)
{
    ngx_http_dynamo_wipe_t  *wipe = data;

    if (wipe->data) {
        OPENSSL_cleanse(wipe->data, wipe->size);
    }
}


/* checks and keeps a value that is already in the arena */

static ngx_int_t
ngx_http_dynamo_answer_set(ngx_http_dynamo_answer_t *a, ngx_uint_t field,
    u_char *p, size_t len)
{
    u_char                   *last;
    time_t                    t;
    ngx_str_t                *s;
    ngx_http_dynamo_field_t  *f;

    f = &ngx_http_dynamo_fields[field];

    if (a->seen & (1 << field)) {
        return ngx_http_dynamo_answer_fail(a, "more than one", field);
    }

    a->seen |= 1 << field;

    last = p + len;

    switch (f->check) {

    case NGX_HTTP_DYNAMO_CHECK_KEY_ID:

        if (len < NGX_HTTP_DYNAMO_AWS_AKID_MIN
            || len > NGX_HTTP_DYNAMO_AWS_AKID_MAX)
        {
            return ngx_http_dynamo_answer_fail(a, "invalid length of", field);
        }

        for ( /* void */ ; p < last; p++) {
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) {
                return ngx_http_dynamo_answer_fail(a, "invalid characters in",
                                                   field);
            }
        }

        p = last - len;
        break;

    case NGX_HTTP_DYNAMO_CHECK_SECRET:

        if (len == 0) {
            return ngx_http_dynamo_answer_fail(a, "empty", field);
        }

        if (len > f->max) {
            return ngx_http_dynamo_answer_fail(a, "too long", field);
        }

        for ( /* void */ ; p < last; p++) {
            if (*p < 0x21 || *p > 0x7e) {
                return ngx_http_dynamo_answer_fail(a, "invalid characters in",
                                                   field);
            }
        }

        p = last - len;
        break;

    case NGX_HTTP_DYNAMO_CHECK_TIME:

        if (len > f->max
            || ngx_http_dynamo_parse_aws_time(p, len, &t) != NGX_OK)
        {
            return ngx_http_dynamo_answer_fail(a, "invalid", field);
        }

        a->creds->expiration = t;
        return NGX_OK;

    default: /* NGX_HTTP_DYNAMO_CHECK_TEXT */

        if (len > f->max) {
            len = f->max;

            /* not in the middle of a UTF-8 sequence */

            while (len > 0 && (p[len] & 0xc0) == 0x80) {
                len--;
            }
        }

        for (last = p + len; p < last; p++) {
            if (*p < 0x20 || *p == 0x7f) {
                *p = ' ';
            }
        }

        p = last - len;
        break;
    }

    s = (ngx_str_t *) ((u_char *) a->creds + f->offset);

    s->data = p;
    s->len = len;

    return NGX_OK;
}


/* all credentials there: NGX_OK; an error answer: NGX_DECLINED */

static ngx_int_t
ngx_http_dynamo_answer_done(ngx_http_dynamo_answer_t *a,
    ngx_uint_t token_optional)
{
    ngx_uint_t  field;

    if (a->error_answer) {
        if (a->creds->error_code.len == 0) {
            return ngx_http_dynamo_answer_fail(a, "an error without a Code",
                                               NGX_HTTP_DYNAMO_FIELD_NONE);
        }

        ngx_str_null(&a->creds->access_key_id);
        ngx_str_null(&a->creds->secret_access_key);
        ngx_str_null(&a->creds->session_token);
        a->creds->expiration = 0;

        return NGX_DECLINED;
    }

    for (field = NGX_HTTP_DYNAMO_FIELD_AKID;
         field <= NGX_HTTP_DYNAMO_FIELD_EXPIRES;
         field++)
    {
        if (field == NGX_HTTP_DYNAMO_FIELD_TOKEN && token_optional) {
            continue;
        }

        if (!(a->seen & (1 << field))) {
            return ngx_http_dynamo_answer_fail(a, "no", field);
        }
    }

    if (a->creds->expiration <= 0) {
        return ngx_http_dynamo_answer_fail(a, "invalid",
                                           NGX_HTTP_DYNAMO_FIELD_EXPIRES);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_answer_fail(ngx_http_dynamo_answer_t *a, const char *reason,
    ngx_uint_t field)
{
    if (a->reason == NULL) {
        a->reason = reason;
        a->reason_field = field;
    }

    return NGX_ERROR;
}


static void
ngx_http_dynamo_answer_log(ngx_http_dynamo_answer_t *a)
{
    ngx_str_t  *name;

    if (a->reason == NULL) {
        return;
    }

    name = &ngx_http_dynamo_fields[a->reason_field].name;

    if (name->len) {
        ngx_log_error(NGX_LOG_ERR, a->log, 0, "invalid %s: %s %V",
                      a->what, a->reason, name);

    } else {
        ngx_log_error(NGX_LOG_ERR, a->log, 0, "invalid %s: %s",
                      a->what, a->reason);
    }
}


/* XML, with expat */

static ngx_int_t
ngx_http_dynamo_sts_xml(ngx_http_dynamo_answer_t *a, ngx_pool_t *pool,
    u_char *p, size_t len)
{
    ngx_int_t            rc;
    enum XML_Error       err;
    enum XML_Status      status;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_dynamo_xml_cleanup;
    cln->data = NULL;

    /* UTF-8 whatever the document says; namespaces, "\n" before names */

    a->parser = XML_ParserCreate_MM("UTF-8", &ngx_http_dynamo_xml_memory,
                                    "\n");
    if (a->parser == NULL) {
        ngx_log_error(NGX_LOG_ALERT, a->log, 0, "XML_ParserCreate_MM() failed");
        return NGX_ERROR;
    }

    cln->data = a->parser;

    XML_SetUserData(a->parser, a);
    XML_SetElementHandler(a->parser, ngx_http_dynamo_xml_start,
                          ngx_http_dynamo_xml_end);
    XML_SetCharacterDataHandler(a->parser, ngx_http_dynamo_xml_text);

    /* no DTD: nothing to expand, no entity to declare */

    XML_SetStartDoctypeDeclHandler(a->parser, ngx_http_dynamo_xml_doctype);
    XML_SetEntityDeclHandler(a->parser, ngx_http_dynamo_xml_entity);
    XML_SetParamEntityParsing(a->parser, XML_PARAM_ENTITY_PARSING_NEVER);

    status = XML_Parse(a->parser, (const char *) p, (int) len, XML_TRUE);

    if (status != XML_STATUS_OK) {
        err = XML_GetErrorCode(a->parser);

        if (a->reason == NULL) {
            ngx_log_error(NGX_LOG_ERR, a->log, 0,
                          "invalid %s: %s at line %ui, column %ui", a->what,
                          XML_ErrorString(err),
                          (ngx_uint_t) XML_GetCurrentLineNumber(a->parser),
                          (ngx_uint_t) XML_GetCurrentColumnNumber(a->parser));
        }

        rc = NGX_ERROR;

    } else {
        rc = ngx_http_dynamo_answer_done(a, 0);
    }

    XML_ParserFree(a->parser);
    cln->data = NULL;

    if (rc == NGX_ERROR) {
        ngx_http_dynamo_answer_log(a);
    }

    return rc;
}


static void XMLCALL
ngx_http_dynamo_xml_start(void *data, const XML_Char *name,
    const XML_Char **atts)
{
    ngx_http_dynamo_answer_t *a = data;

    size_t       len;
    ngx_uint_t   kind, parent, field;
    const char  *local;

    (void) atts;

    if (a->reason) {
        return;
    }

    if (a->field != NGX_HTTP_DYNAMO_FIELD_NONE) {
        ngx_http_dynamo_xml_stop(a, "an element inside");
        return;
    }

    local = strrchr(name, '\n');
    local = (local != NULL) ? local + 1 : name;
    len = ngx_strlen(local);

    parent = (a->depth > 0 && a->depth <= NGX_HTTP_DYNAMO_XML_DEPTH)
             ? a->kinds[a->depth - 1] : NGX_HTTP_DYNAMO_XML_OTHER;

    a->depth++;

    kind = NGX_HTTP_DYNAMO_XML_OTHER;
    field = NGX_HTTP_DYNAMO_FIELD_NONE;

    if (a->depth == 1) {

        if (ngx_strcmp(local, "ErrorResponse") == 0) {
            kind = NGX_HTTP_DYNAMO_XML_ERRORS;
            a->error_answer = 1;

        } else if (ngx_strcmp(local, "Error") == 0) {
            kind = NGX_HTTP_DYNAMO_XML_ERROR;
            a->error_answer = 1;

        } else if (ngx_http_dynamo_ends_with(local, len, "Response")) {
            kind = NGX_HTTP_DYNAMO_XML_RESPONSE;

        } else {
            ngx_http_dynamo_xml_stop(a, "unexpected root element");
            return;
        }

    } else {

        switch (parent) {

        case NGX_HTTP_DYNAMO_XML_RESPONSE:
            if (ngx_http_dynamo_ends_with(local, len, "Result")) {
                kind = NGX_HTTP_DYNAMO_XML_RESULT;
            }
            break;

        case NGX_HTTP_DYNAMO_XML_ERRORS:
            if (ngx_strcmp(local, "Error") == 0) {
                kind = NGX_HTTP_DYNAMO_XML_ERROR;
            }
            break;

        case NGX_HTTP_DYNAMO_XML_RESULT:
            if (ngx_strcmp(local, "Credentials") == 0) {
                kind = NGX_HTTP_DYNAMO_XML_CREDENTIALS;

            } else if (ngx_strcmp(local, "AssumedRoleUser") == 0) {
                kind = NGX_HTTP_DYNAMO_XML_USER;
            }
            break;

        case NGX_HTTP_DYNAMO_XML_CREDENTIALS:
            for (field = NGX_HTTP_DYNAMO_FIELD_AKID;
                 field <= NGX_HTTP_DYNAMO_FIELD_EXPIRES;
                 field++)
            {
                if (ngx_strcmp(local, ngx_http_dynamo_fields[field].name.data)
                    == 0)
                {
                    break;
                }
            }

            if (field > NGX_HTTP_DYNAMO_FIELD_EXPIRES) {
                field = NGX_HTTP_DYNAMO_FIELD_NONE;
            }
            break;

        case NGX_HTTP_DYNAMO_XML_USER:
            if (ngx_strcmp(local, "Arn") == 0) {
                field = NGX_HTTP_DYNAMO_FIELD_ARN;
            }
            break;

        case NGX_HTTP_DYNAMO_XML_ERROR:
            if (ngx_strcmp(local, "Type") == 0) {
                field = NGX_HTTP_DYNAMO_FIELD_TYPE;

            } else if (ngx_strcmp(local, "Code") == 0) {
                field = NGX_HTTP_DYNAMO_FIELD_CODE;

            } else if (ngx_strcmp(local, "Message") == 0) {
                field = NGX_HTTP_DYNAMO_FIELD_MESSAGE;
            }
            break;

        default:
            break;
        }
    }

    if (a->depth <= NGX_HTTP_DYNAMO_XML_DEPTH) {
        a->kinds[a->depth - 1] = (u_char) kind;
    }

    if (field != NGX_HTTP_DYNAMO_FIELD_NONE) {
        a->field = field;
        a->text = a->used;
    }
}


static void XMLCALL
ngx_http_dynamo_xml_end(void *data, const XML_Char *name)
{
    ngx_http_dynamo_answer_t *a = data;

    u_char  *p, *last;

    (void) name;

    if (a->reason) {
        return;
    }

    a->depth--;

    if (a->field == NGX_HTTP_DYNAMO_FIELD_NONE) {
        return;
    }

    /* the text without the white space around it */

    p = a->arena + a->text;
    last = a->arena + a->used;

    while (p < last
           && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'
               || last[-1] == '\n'))
    {
        last--;
    }

    if (ngx_http_dynamo_answer_set(a, a->field, p, last - p) != NGX_OK) {
        XML_StopParser(a->parser, XML_FALSE);
    }

    a->field = NGX_HTTP_DYNAMO_FIELD_NONE;
}


static void XMLCALL
ngx_http_dynamo_xml_text(void *data, const XML_Char *s, int len)
{
    ngx_http_dynamo_answer_t *a = data;

    if (a->reason || a->field == NGX_HTTP_DYNAMO_FIELD_NONE || len <= 0) {
        return;
    }

    if ((size_t) len > a->size - a->used) {
        ngx_http_dynamo_xml_stop(a, "text longer than the answer in");
        a->reason_field = a->field;
        return;
    }

    ngx_memcpy(a->arena + a->used, s, len);
    a->used += len;
}


static void XMLCALL
ngx_http_dynamo_xml_doctype(void *data, const XML_Char *name,
    const XML_Char *sysid, const XML_Char *pubid, int has_internal_subset)
{
    (void) name;
    (void) sysid;
    (void) pubid;
    (void) has_internal_subset;

    ngx_http_dynamo_xml_stop(data, "a DOCTYPE declaration");
}


static void XMLCALL
ngx_http_dynamo_xml_entity(void *data, const XML_Char *name,
    int is_parameter_entity, const XML_Char *value, int value_length,
    const XML_Char *base, const XML_Char *system_id,
    const XML_Char *public_id, const XML_Char *notation)
{
    (void) name;
    (void) is_parameter_entity;
    (void) value;
    (void) value_length;
    (void) base;
    (void) system_id;
    (void) public_id;
    (void) notation;

    ngx_http_dynamo_xml_stop(data, "an entity declaration");
}


static void
ngx_http_dynamo_xml_stop(ngx_http_dynamo_answer_t *a, const char *reason)
{
    if (a->reason == NULL) {
        ngx_http_dynamo_answer_fail(a, reason, a->field);
        XML_StopParser(a->parser, XML_FALSE);
    }
}


/*
 * Expat's allocator: each block is prefixed with its size, so that it is
 * wiped when freed, the answer's secrets with it
 */

static void *
ngx_http_dynamo_xml_malloc(size_t size)
{
    u_char  *p;

    if (size > (size_t) -1 - NGX_HTTP_DYNAMO_XML_HEADER) {
        return NULL;
    }

    p = malloc(NGX_HTTP_DYNAMO_XML_HEADER + size);
    if (p == NULL) {
        return NULL;
    }

    *(size_t *) p = size;

    return p + NGX_HTTP_DYNAMO_XML_HEADER;
}


static void *
ngx_http_dynamo_xml_realloc(void *ptr, size_t size)
{
    void    *p;
    size_t   old;

    if (ptr == NULL) {
        return ngx_http_dynamo_xml_malloc(size);
    }

    p = ngx_http_dynamo_xml_malloc(size);
    if (p == NULL) {
        return NULL;
    }

    old = *(size_t *) ((u_char *) ptr - NGX_HTTP_DYNAMO_XML_HEADER);

    ngx_memcpy(p, ptr, ngx_min(old, size));

    ngx_http_dynamo_xml_free(ptr);

    return p;
}


static void
ngx_http_dynamo_xml_free(void *ptr)
{
    u_char  *p;

    if (ptr == NULL) {
        return;
    }

    p = (u_char *) ptr - NGX_HTTP_DYNAMO_XML_HEADER;

    OPENSSL_cleanse(p, NGX_HTTP_DYNAMO_XML_HEADER + *(size_t *) p);

    free(p);
}


static void
ngx_http_dynamo_xml_cleanup(void *data)
{
    XML_Parser  parser = data;

    if (parser) {
        XML_ParserFree(parser);
    }
}


/* JSON, with jansson */

static json_t *
ngx_http_dynamo_json_load(ngx_http_dynamo_answer_t *a, ngx_pool_t *pool,
    u_char *p, size_t len, ngx_pool_cleanup_t **cln)
{
    json_t        *root;
    json_error_t   err;

    *cln = ngx_pool_cleanup_add(pool, 0);
    if (*cln == NULL) {
        return NULL;
    }

    (*cln)->handler = ngx_http_dynamo_sts_answer_json_cleanup;
    (*cln)->data = NULL;

    root = json_loadb((const char *) p, len, JSON_REJECT_DUPLICATES, &err);

    if (root == NULL) {

        /* err.text quotes the input, which may be a secret: not logged */

        ngx_log_error(NGX_LOG_ERR, a->log, 0,
                      "invalid %s: not JSON, at line %d, column %d",
                      a->what, err.line, err.column);
        return NULL;
    }

    (*cln)->data = root;

    if (!json_is_object(root)) {
        ngx_log_error(NGX_LOG_ERR, a->log, 0,
                      "invalid %s: not a JSON object", a->what);
        return NULL;
    }

    return root;
}


static ngx_int_t
ngx_http_dynamo_sts_json(ngx_http_dynamo_answer_t *a, json_t *root)
{
    json_t      *error, *response, *result, *creds, *user;
    ngx_uint_t   n;

    error = json_object_get(root, "Error");

    if (error == NULL) {
        response = json_object_get(root, "ErrorResponse");

        if (json_is_object(response)) {
            error = json_object_get(response, "Error");
        }
    }

    if (error != NULL) {
        return ngx_http_dynamo_json_error(a, error, "Type", "Code",
                                          "Message");
    }

    /* {"AssumeRoleResponse": {"AssumeRoleResult": {"Credentials": ..}}} */

    response = ngx_http_dynamo_json_member(root, "Response", &n);

    if (n != 1) {
        return ngx_http_dynamo_answer_fail(a, (n == 0)
                                              ? "no ...Response object"
                                              : "more than one ...Response",
                                           NGX_HTTP_DYNAMO_FIELD_NONE);
    }

    result = ngx_http_dynamo_json_member(response, "Result", &n);

    if (n != 1) {
        return ngx_http_dynamo_answer_fail(a, (n == 0)
                                              ? "no ...Result object"
                                              : "more than one ...Result",
                                           NGX_HTTP_DYNAMO_FIELD_NONE);
    }

    creds = json_object_get(result, "Credentials");

    if (!json_is_object(creds)) {
        return ngx_http_dynamo_answer_fail(a, "no Credentials object",
                                           NGX_HTTP_DYNAMO_FIELD_NONE);
    }

    user = json_object_get(result, "AssumedRoleUser");

    if (json_is_object(user)
        && ngx_http_dynamo_json_field(a, user, "Arn",
                                      NGX_HTTP_DYNAMO_FIELD_ARN)
           == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return ngx_http_dynamo_json_creds(a, creds, "SessionToken", NULL);
}


static ngx_int_t
ngx_http_dynamo_json_error(ngx_http_dynamo_answer_t *a, json_t *error,
    const char *type, const char *code, const char *message)
{
    if (!json_is_object(error)) {
        return ngx_http_dynamo_answer_fail(a, "an error that is not an object",
                                           NGX_HTTP_DYNAMO_FIELD_NONE);
    }

    a->error_answer = 1;

    if ((type != NULL
         && ngx_http_dynamo_json_field(a, error, type,
                                       NGX_HTTP_DYNAMO_FIELD_TYPE)
            == NGX_ERROR)
        || ngx_http_dynamo_json_field(a, error, code,
                                      NGX_HTTP_DYNAMO_FIELD_CODE)
           == NGX_ERROR
        || ngx_http_dynamo_json_field(a, error, message,
                                      NGX_HTTP_DYNAMO_FIELD_MESSAGE)
           == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return ngx_http_dynamo_answer_done(a, 0);
}


/* token: its member's name, NULL when optional and named "Token" */

static ngx_int_t
ngx_http_dynamo_json_creds(ngx_http_dynamo_answer_t *a, json_t *obj,
    const char *token, const char *arn)
{
    if (ngx_http_dynamo_json_field(a, obj, "AccessKeyId",
                                   NGX_HTTP_DYNAMO_FIELD_AKID)
        == NGX_ERROR
        || ngx_http_dynamo_json_field(a, obj, "SecretAccessKey",
                                      NGX_HTTP_DYNAMO_FIELD_SECRET)
           == NGX_ERROR
        || ngx_http_dynamo_json_field(a, obj, token ? token : "Token",
                                      NGX_HTTP_DYNAMO_FIELD_TOKEN)
           == NGX_ERROR
        || ngx_http_dynamo_json_field(a, obj, "Expiration",
                                      NGX_HTTP_DYNAMO_FIELD_EXPIRES)
           == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    if (arn != NULL
        && ngx_http_dynamo_json_field(a, obj, arn, NGX_HTTP_DYNAMO_FIELD_ARN)
           == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return ngx_http_dynamo_answer_done(a, token == NULL);
}


/* NGX_OK: kept; NGX_DECLINED: absent or null; NGX_ERROR: invalid */

static ngx_int_t
ngx_http_dynamo_json_field(ngx_http_dynamo_answer_t *a, json_t *obj,
    const char *name, ngx_uint_t field)
{
    u_char      *p;
    size_t       len;
    double       d;
    json_t      *v;
    ngx_int_t    rc;
    json_int_t   i;

    v = json_object_get(obj, name);

    if (v == NULL || json_is_null(v)) {
        return NGX_DECLINED;
    }

    if (field == NGX_HTTP_DYNAMO_FIELD_EXPIRES && json_is_number(v)) {

        if (a->seen & (1 << field)) {
            return ngx_http_dynamo_answer_fail(a, "more than one", field);
        }

        a->seen |= 1 << field;

        /* epoch seconds, 1763892345 or 1.763892345E9 */

        if (json_is_integer(v)) {
            i = json_integer_value(v);

            if (i <= 0 || i > NGX_HTTP_DYNAMO_AWS_TIME_MAX) {
                return ngx_http_dynamo_answer_fail(a, "invalid", field);
            }

            a->creds->expiration = (time_t) i;
            return NGX_OK;
        }

        d = json_real_value(v);

        if (!(d >= 1.0 && d < NGX_HTTP_DYNAMO_AWS_TIME_MAX + 1.0)) {
            return ngx_http_dynamo_answer_fail(a, "invalid", field);
        }

        a->creds->expiration = (time_t) d;
        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return ngx_http_dynamo_answer_fail(a, "a non-string", field);
    }

    len = json_string_length(v);

    if (len > a->size - a->used) {
        return ngx_http_dynamo_answer_fail(a, "too long", field);
    }

    p = a->arena + a->used;
    ngx_memcpy(p, json_string_value(v), len);
    a->used += len;

    if (ngx_http_dynamo_fields[field].check == NGX_HTTP_DYNAMO_CHECK_SECRET) {
        /* jansson's copy is not needed any more */
        OPENSSL_cleanse((void *) json_string_value(v), len);
    }

    rc = ngx_http_dynamo_answer_set(a, field, p, len);

    return (rc == NGX_OK) ? NGX_OK : NGX_ERROR;
}


/* the only object member whose name ends with suffix; n: how many */

static json_t *
ngx_http_dynamo_json_member(json_t *obj, const char *suffix, ngx_uint_t *n)
{
    json_t      *v, *found;
    const char  *key;

    *n = 0;
    found = NULL;

    json_object_foreach(obj, key, v) {
        if (json_is_object(v)
            && ngx_http_dynamo_ends_with(key, ngx_strlen(key), suffix))
        {
            found = v;
            (*n)++;
        }
    }

    return found;
}


/*
 * a pool cleanup: an answer's document when a failure left it held;
 * jwt.c has the same for a token's parts, but this leaf is built, tested
 * and fuzzed without jwt.c
 */

static void
ngx_http_dynamo_sts_answer_json_cleanup(void *data)
{
    json_t  *json = data;

    if (json) {
        json_decref(json);
    }
}


static ngx_int_t
ngx_http_dynamo_ends_with(const char *s, size_t len, const char *suffix)
{
    size_t  n;

    n = ngx_strlen(suffix);

    return len >= n && ngx_strcmp(s + len - n, suffix) == 0;
}


/* times */

ngx_int_t
ngx_http_dynamo_parse_aws_time(u_char *p, size_t len, time_t *t)
{
    if (len == 0) {
        return NGX_ERROR;
    }

    if (len >= 10 && p[4] == '-') {
        return ngx_http_dynamo_time_parse_iso8601(p, p + len,
                                        NGX_HTTP_DYNAMO_AWS_TIME_MAX, t);
    }

    return ngx_http_dynamo_parse_epoch(p, p + len, t);
}


/*
 * digits[.digits][(e|E)[+|-]digits], the fraction dropped; computed on
 * the decimal digits, so 1.763892345E9 is exactly 1763892345
 */

static ngx_int_t
ngx_http_dynamo_parse_epoch(u_char *p, u_char *last, time_t *t)
{
    u_char      digits[64];
    int64_t     v;
    ngx_int_t   n, nd, point, exp, esign, i;
    ngx_uint_t  any;

    nd = 0;
    point = -1;
    any = 0;

    /* the significant digits, and where the point is among them */

    for ( /* void */ ; p < last; p++) {

        if (*p == '.') {
            if (point != -1) {
                return NGX_ERROR;
            }

            point = nd;
            continue;
        }

        if (*p < '0' || *p > '9') {
            break;
        }

        any = 1;

        if (nd == 0 && *p == '0') {
            /* a leading zero: before the point it is nothing */
            if (point == -1) {
                continue;
            }
        }

        if (nd == (ngx_int_t) sizeof(digits)) {
            return NGX_ERROR;
        }

        digits[nd++] = *p - '0';
    }

    if (!any) {
        return NGX_ERROR;
    }

    if (point == -1) {
        point = nd;
    }

    exp = 0;

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;
        esign = 1;

        if (p < last && (*p == '+' || *p == '-')) {
            esign = (*p++ == '+') ? 1 : -1;
        }

        if (p == last) {
            return NGX_ERROR;
        }

        for ( /* void */ ; p < last && *p >= '0' && *p <= '9'; p++) {
            if (exp < 100000) {
                exp = exp * 10 + (*p - '0');
            }
        }

        exp *= esign;
    }

    if (p != last) {
        return NGX_ERROR;
    }

    /* the integer part has n digits */

    n = point + exp;

    v = 0;

    if (n > 0) {

        /* leading zeros after the point, as in 0.0017E6 */

        for (i = 0; i < nd && i < n && digits[i] == 0; i++) {
            /* void */
        }

        if (n - i > 12) {
            for ( /* void */ ; i < nd; i++) {
                if (digits[i] != 0) {
                    return NGX_ERROR;
                }
            }

            /* all zeros */
            n = 0;
        }

        for ( /* void */ ; i < n; i++) {
            v = v * 10 + ((i < nd) ? digits[i] : 0);
        }
    }

    if (v > NGX_HTTP_DYNAMO_AWS_TIME_MAX) {
        return NGX_ERROR;
    }

    *t = (time_t) v;

    return NGX_OK;
}
