
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Identity to IAM role: exact bindings (dynamo_service_account, and the
 * same from a JSON file with dynamo_service_accounts), then regex rules
 * (dynamo_role_rule), in that order.  An identity may have several roles:
 * the first is its default, "X-Dynamo-Role" picks another of its own, and
 * so does the access key id the client signs with, if allowed.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"

#include <jansson.h>


#define NGX_HTTP_DYNAMO_SESSION_NAME_MAX  64


static ngx_int_t ngx_http_dynamo_bindings_add(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_str_t *identity, ngx_str_t *arn,
    const char *where);
static int ngx_libc_cdecl ngx_http_dynamo_binding_cmp(const void *one,
    const void *two);
static ngx_int_t ngx_http_dynamo_identity_cmp(ngx_str_t *a, ngx_str_t *b);
static ngx_uint_t ngx_http_dynamo_bindings_find(ngx_array_t *bindings,
    ngx_str_t *identity);
static ngx_int_t ngx_http_dynamo_role_find(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *wanted, ngx_uint_t *n);
static ngx_int_t ngx_http_dynamo_role_elsewhere(
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_str_t *name);
static ngx_int_t ngx_http_dynamo_role_matches(ngx_str_t *role,
    ngx_str_t *wanted);
static ngx_int_t ngx_http_dynamo_rule_role(ngx_http_request_t *r,
    ngx_http_dynamo_role_rule_t *rule, ngx_str_t *role);


/*
 * arn:<partition>:iam::<12 digits>:role/<path/><name>; the name is
 * what "X-Dynamo-Role" may give instead of the ARN.
 */

ngx_int_t
ngx_http_dynamo_role_arn_parse(ngx_str_t *arn, ngx_str_t *name)
{
    u_char      *p, *last, *slash;
    ngx_uint_t   n;

    if (arn->len > 2048
        || arn->len < sizeof("arn:a:iam::123456789012:role/x") - 1
        || ngx_strncmp(arn->data, "arn:", 4) != 0)
    {
        return NGX_ERROR;
    }

    p = arn->data + 4;
    last = arn->data + arn->len;

    /* partition: aws, aws-cn, aws-us-gov, ... */

    for (n = 0; p < last && *p != ':'; p++, n++) {
        if (!((*p >= 'a' && *p <= 'z') || *p == '-')) {
            return NGX_ERROR;
        }
    }

    if (n == 0 || last - p < (ssize_t) sizeof(":iam::123456789012:role/x") - 1
        || ngx_strncmp(p, ":iam::", 6) != 0)
    {
        return NGX_ERROR;
    }

    p += 6;

    for (n = 0; n < 12; n++, p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }
    }

    if (last - p < 7 || ngx_strncmp(p, ":role/", 6) != 0) {
        return NGX_ERROR;
    }

    p += 6;
    slash = p - 1;

    for ( /* void */ ; p < last; p++) {

        if (*p == '/') {
            if (p == slash + 1) {
                return NGX_ERROR;
            }

            slash = p;
            continue;
        }

        /* IAM names and paths: [\w+=,.@-] */

        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '+'
              || *p == '=' || *p == ',' || *p == '.' || *p == '@'
              || *p == '-'))
        {
            return NGX_ERROR;
        }
    }

    name->data = slash + 1;
    name->len = last - name->data;

    if (name->len == 0 || name->len > 64) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* dynamo_service_account identity role_arn */

char *
ngx_http_dynamo_service_account(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (ngx_http_dynamo_bindings_add(cf, dlcf, &value[1], &value[2], NULL)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * dynamo_service_accounts file: a JSON array of service accounts as the
 * control plane describes them, {"clientId": "...", "name": "<role ARN>"}
 */

char *
ngx_http_dynamo_service_accounts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    char          *rv;
    size_t         i, n;
    json_t        *root, *sa, *id, *arn;
    ngx_str_t     *value, file, identity, role;
    json_error_t   err;

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    root = json_load_file((char *) file.data, JSON_REJECT_DUPLICATES, &err);

    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot read service accounts from \"%V\": "
                           "%s (line %d, column %d)", &file, err.text,
                           err.line, err.column);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;

    if (!json_is_array(root)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "service accounts file \"%V\" must hold a JSON "
                           "array of {\"clientId\", \"name\"} objects",
                           &file);
        goto done;
    }

    n = json_array_size(root);

    for (i = 0; i < n; i++) {
        sa = json_array_get(root, i);

        id = json_object_get(sa, "clientId");
        if (id == NULL) {
            id = json_object_get(sa, "clientID");
        }

        arn = json_object_get(sa, "name");

        if (!json_is_object(sa) || !json_is_string(id)
            || json_string_length(id) == 0 || !json_is_string(arn))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "service account %uz in \"%V\" needs string "
                               "\"clientId\" and \"name\" (the role ARN)",
                               i, &file);
            goto done;
        }

        identity.len = json_string_length(id);
        identity.data = ngx_pnalloc(cf->pool, identity.len);
        role.len = json_string_length(arn);
        role.data = ngx_pnalloc(cf->pool, role.len);

        if (identity.data == NULL || role.data == NULL) {
            goto done;
        }

        ngx_memcpy(identity.data, json_string_value(id), identity.len);
        ngx_memcpy(role.data, json_string_value(arn), role.len);

        if (ngx_http_dynamo_bindings_add(cf, dlcf, &identity, &role,
                                         (char *) file.data)
            != NGX_OK)
        {
            goto done;
        }
    }

    rv = NGX_CONF_OK;

done:

    json_decref(root);

    return rv;
}


static ngx_int_t
ngx_http_dynamo_bindings_add(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_str_t *identity, ngx_str_t *arn, const char *where)
{
    ngx_str_t                   name;
    ngx_http_dynamo_binding_t  *b;

    if (ngx_http_dynamo_role_arn_parse(arn, &name) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid role ARN \"%V\"%s%s, expected "
                           "arn:<partition>:iam::<account>:role/<name>",
                           arn, where ? " in " : "", where ? where : "");
        return NGX_ERROR;
    }

    if (identity->len > NGX_HTTP_DYNAMO_IDENTITY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "service account identity is longer than %d "
                           "bytes", NGX_HTTP_DYNAMO_IDENTITY_MAX);
        return NGX_ERROR;
    }

    if (dlcf->bindings == NGX_CONF_UNSET_PTR) {
        dlcf->bindings = ngx_array_create(cf->pool, 4,
                                          sizeof(ngx_http_dynamo_binding_t));
        if (dlcf->bindings == NULL) {
            return NGX_ERROR;
        }
    }

    b = ngx_array_push(dlcf->bindings);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->identity = *identity;
    b->role_arn = *arn;
    b->order = dlcf->bindings->nelts - 1;

    return NGX_OK;
}


/*
 * The exact bindings of one level, sorted by identity and, for one
 * identity, in the order they were given: its roles stand together, its
 * default first.  Identities are matched byte for byte: nginx's hashes
 * keep their keys in lower case, and "App" and "app" are two service
 * accounts.
 */

ngx_int_t
ngx_http_dynamo_bindings_init(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf)
{
    ngx_qsort(dlcf->bindings->elts, dlcf->bindings->nelts,
              sizeof(ngx_http_dynamo_binding_t),
              ngx_http_dynamo_binding_cmp);

    dlcf->bindings_sorted = 1;

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_dynamo_binding_cmp(const void *one, const void *two)
{
    ngx_int_t                   rc;
    ngx_http_dynamo_binding_t  *a, *b;

    a = (ngx_http_dynamo_binding_t *) one;
    b = (ngx_http_dynamo_binding_t *) two;

    rc = ngx_http_dynamo_identity_cmp(&a->identity, &b->identity);

    if (rc != 0) {
        return (int) rc;
    }

    return (a->order < b->order) ? -1 : (a->order > b->order);
}


/* shorter first, then byte by byte: an order, not a collation */

static ngx_int_t
ngx_http_dynamo_identity_cmp(ngx_str_t *a, ngx_str_t *b)
{
    if (a->len != b->len) {
        return (a->len < b->len) ? -1 : 1;
    }

    return ngx_memcmp(a->data, b->data, a->len);
}


/* where the identity's bindings start, or would: the first not before it */

static ngx_uint_t
ngx_http_dynamo_bindings_find(ngx_array_t *bindings, ngx_str_t *identity)
{
    ngx_uint_t                  lo, hi, mid;
    ngx_http_dynamo_binding_t  *b;

    b = bindings->elts;
    lo = 0;
    hi = bindings->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (ngx_http_dynamo_identity_cmp(&b[mid].identity, identity) < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


/* dynamo_role_rule $var regex role_template */

char *
ngx_http_dynamo_role_rule(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    ngx_str_t                         *value, name;
    ngx_regex_compile_t                rc;
    ngx_http_dynamo_role_rule_t       *rule;
    ngx_http_compile_complex_value_t   ccv;
    u_char                             errstr[NGX_MAX_CONF_ERRSTR];

    value = cf->args->elts;

    if (dlcf->role_rules == NGX_CONF_UNSET_PTR) {
        dlcf->role_rules = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_dynamo_role_rule_t));
        if (dlcf->role_rules == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(dlcf->role_rules);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &rule->source;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern = value[2];
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    rule->regex = ngx_http_regex_compile(cf, &rc);
    if (rule->regex == NULL) {
        return NGX_CONF_ERROR;
    }

    rule->pattern = value[2];

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[3];
    ccv.complex_value = &rule->role;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* a template without variables is checked now */

    if (rule->role.lengths == NULL
        && ngx_http_dynamo_role_arn_parse(&value[3], &name) != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid role ARN \"%V\"", &value[3]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Chooses the request's role: the identity's first one, or the one
 * "X-Dynamo-Role" names if it is among the identity's roles, or, with
 * dynamo_role_from_access_key and no such header, the one the access key
 * id the client signed with names.  NGX_OK, NGX_DECLINED (refused, reason
 * in ctx) or NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_role_select(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_str_t   *wanted;
    ngx_uint_t   n;

    wanted = ctx->caller.role_header;

    if (wanted == NULL && dlcf->role_from_access_key
        && ctx->caller.end_user.len)
    {

        /*
         * the aws CLI and the SDKs cannot add a header, but sign with any
         * access key id they are given: one of the identity's own roles
         * by its name, another identity's role refused, anything else
         * (a real key id, a placeholder) the default role
         */

        rc = ngx_http_dynamo_role_find(r, dlcf, ctx, &ctx->caller.end_user, &n);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        if (n && ngx_http_dynamo_role_elsewhere(dlcf, &ctx->caller.end_user)) {
            wanted = &ctx->caller.end_user;
            goto refused;
        }
    }

    rc = ngx_http_dynamo_role_find(r, dlcf, ctx, wanted, &n);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (wanted && n) {
        goto refused;
    }

    return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                "no role for identity \"%V\"",
                                ngx_http_dynamo_printable(r,
                                                   &ctx->caller.token.identity,
                                                   128));

refused:

    return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                "role \"%V\" is not bound to identity "
                                "\"%V\"",
                                ngx_http_dynamo_printable(r, wanted, 128),
                                ngx_http_dynamo_printable(r,
                                                   &ctx->caller.token.identity,
                                                   128));
}


/*
 * The identity's role "wanted" names, or its first with no "wanted":
 * NGX_OK with it in ctx, NGX_DECLINED with the identity's number of roles
 * in "n", or NGX_ERROR.
 */

static ngx_int_t
ngx_http_dynamo_role_find(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    ngx_str_t *wanted, ngx_uint_t *n)
{
    ngx_int_t                     rc;
    ngx_str_t                     role;
    ngx_uint_t                    i;
    ngx_http_dynamo_binding_t    *b;
    ngx_http_dynamo_role_rule_t  *rule;

    *n = 0;

    if (dlcf->bindings != NULL) {
        b = dlcf->bindings->elts;

        i = ngx_http_dynamo_bindings_find(dlcf->bindings,
                                          &ctx->caller.token.identity);

        /* the identity's roles, if any, from there on */

        while (i < dlcf->bindings->nelts
               && ngx_http_dynamo_identity_cmp(&b[i].identity,
                                               &ctx->caller.token.identity)
                  == 0)
        {
            (*n)++;

            if (wanted == NULL
                || ngx_http_dynamo_role_matches(&b[i].role_arn, wanted))
            {
                ctx->assume.role_arn = b[i].role_arn;
                return NGX_OK;
            }

            i++;
        }
    }

    if (dlcf->role_rules != NULL) {
        rule = dlcf->role_rules->elts;

        for (i = 0; i < dlcf->role_rules->nelts; i++) {

            rc = ngx_http_dynamo_rule_role(r, &rule[i], &role);

            if (rc == NGX_DECLINED) {
                continue;
            }

            if (rc != NGX_OK) {
                return rc;
            }

            (*n)++;

            if (wanted == NULL
                || ngx_http_dynamo_role_matches(&role, wanted))
            {
                ctx->assume.role_arn = role;
                return NGX_OK;
            }
        }
    }

    return NGX_DECLINED;
}


/* whether a name is that of a role bound to anyone: to another identity */

static ngx_int_t
ngx_http_dynamo_role_elsewhere(ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_str_t *name)
{
    ngx_uint_t                    i;
    ngx_http_dynamo_binding_t    *b;
    ngx_http_dynamo_role_rule_t  *rule;

    if (dlcf->bindings != NULL) {
        b = dlcf->bindings->elts;

        for (i = 0; i < dlcf->bindings->nelts; i++) {
            if (ngx_http_dynamo_role_matches(&b[i].role_arn, name)) {
                return 1;
            }
        }
    }

    if (dlcf->role_rules != NULL) {
        rule = dlcf->role_rules->elts;

        /* the rules' roles that do not depend on the request */

        for (i = 0; i < dlcf->role_rules->nelts; i++) {
            if (rule[i].role.lengths == NULL
                && ngx_http_dynamo_role_matches(&rule[i].role.value, name))
            {
                return 1;
            }
        }
    }

    return 0;
}


/* X-Dynamo-Role: the full ARN, or the role's name */

static ngx_int_t
ngx_http_dynamo_role_matches(ngx_str_t *role, ngx_str_t *wanted)
{
    ngx_str_t  name;

    if (wanted->len == role->len
        && ngx_strncmp(wanted->data, role->data, role->len) == 0)
    {
        return 1;
    }

    if (ngx_http_dynamo_role_arn_parse(role, &name) != NGX_OK) {
        return 0;
    }

    return wanted->len == name.len
           && ngx_strncmp(wanted->data, name.data, name.len) == 0;
}


static ngx_int_t
ngx_http_dynamo_rule_role(ngx_http_request_t *r,
    ngx_http_dynamo_role_rule_t *rule, ngx_str_t *role)
{
    ngx_int_t  rc;
    ngx_str_t  value, name;

    if (ngx_http_complex_value(r, &rule->source, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_regex_exec(r, rule->regex, &value);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_complex_value(r, &rule->role, role) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_dynamo_role_arn_parse(role, &name) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dynamo_role_rule \"%V\" made an invalid role ARN "
                      "\"%V\"", &rule->pattern,
                      ngx_http_dynamo_printable(r, role, 256));
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * A value fit for RoleSessionName or SourceIdentity: [\w+=,.@-]{2,64}.
 * Other characters become "-"; a value too long keeps its head and ends
 * with a hash of the whole, so that two long identities do not share
 * one session name; a value too short is padded.
 */

ngx_int_t
ngx_http_dynamo_sts_name(ngx_http_request_t *r, ngx_str_t *in,
    ngx_str_t *out)
{
    u_char      *p, *src, ch;
    size_t       n;
    uint32_t     crc;
    ngx_uint_t   i;

    /* what STS takes in a name: letters, digits and "_+=,.@-" */

    static uint32_t  allowed[] = {
        0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                    /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
        0x23ff7800, /* 0010 0011 1111 1111  0111 1000 0000 0000 */

                    /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
        0x87ffffff, /* 1000 0111 1111 1111  1111 1111 1111 1111 */

                    /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
        0x07fffffe, /* 0000 0111 1111 1111  1111 1111 1111 1110 */

        0x00000000, 0x00000000, 0x00000000, 0x00000000
    };

    out->data = ngx_pnalloc(r->pool, NGX_HTTP_DYNAMO_SESSION_NAME_MAX);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;
    src = in->data;
    n = ngx_min(in->len, NGX_HTTP_DYNAMO_SESSION_NAME_MAX);

    for (i = 0; i < n; i++) {
        ch = src[i];
        p[i] = (allowed[ch >> 5] & (1U << (ch & 0x1f))) ? ch : '-';
    }

    p += n;

    if (in->len > NGX_HTTP_DYNAMO_SESSION_NAME_MAX) {
        crc = ngx_crc32_long(in->data, in->len);
        p = out->data + NGX_HTTP_DYNAMO_SESSION_NAME_MAX - 9;
        p = ngx_sprintf(p, "-%08xD", crc);
    }

    while (p - out->data < 2) {
        *p++ = '-';
    }

    out->len = p - out->data;

    return NGX_OK;
}
