
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * dynamo_policy allow|deny [op=Name,...] [table=name|~regex]
 *               [role=arn|~regex]
 *
 * Ordered rules; for each table a request touches, the first rule that
 * matches the operation, the role and that table decides.  A request is
 * allowed only if every table it touches is (a batch or a transaction
 * with one forbidden table is refused whole).  A request that names no
 * table is decided by the first rule without table=.  With rules and no
 * match, the request is refused: end with "dynamo_policy allow;" to let
 * the rest through.  No rules at all: allowed.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


/* the longest table name DynamoDB takes: as much is quoted in a refusal */
#define NGX_HTTP_DYNAMO_TABLE_NAME_MAX  255


typedef struct {
    ngx_str_t                    value;
    ngx_regex_t                 *regex;
} ngx_http_dynamo_match_t;


typedef struct {
    ngx_uint_t                   allow;
    uint64_t                     ops;        /* bits of op ids, 0: any */
    ngx_http_dynamo_match_t     *table;
    ngx_http_dynamo_match_t     *role;
    ngx_str_t                    text;       /* the rule, for messages */
} ngx_http_dynamo_rule_t;


static char *ngx_http_dynamo_policy_match(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_dynamo_match_t **match);
static ngx_int_t ngx_http_dynamo_policy_matches(ngx_http_dynamo_match_t *m,
    ngx_str_t *value);
static ngx_http_dynamo_rule_t *ngx_http_dynamo_policy_find(
    ngx_array_t *rules, ngx_uint_t op, ngx_str_t *role, ngx_str_t *table);


static ngx_str_t  ngx_http_dynamo_op_prefixes[] = {
    ngx_string("DynamoDB_20120810."),
    ngx_string("DynamoDBStreams_20120810."),
    ngx_null_string
};


char *
ngx_http_dynamo_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    u_char                    *p, *last, *comma;
    ngx_str_t                 *value, name, target, *prefix;
    ngx_uint_t                 i;
    ngx_http_dynamo_rule_t    *rule;
    ngx_http_dynamo_ddb_op_t  *op;

    value = cf->args->elts;

    if (dlcf->policy == NGX_CONF_UNSET_PTR) {
        dlcf->policy = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_dynamo_rule_t));
        if (dlcf->policy == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(dlcf->policy);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rule, sizeof(ngx_http_dynamo_rule_t));

    if (ngx_strcmp(value[1].data, "allow") == 0) {
        rule->allow = 1;

    } else if (ngx_strcmp(value[1].data, "deny") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\", expected \"allow\" or "
                           "\"deny\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    /* the rule as written, for the messages of refusals */

    rule->text.len = value[1].len;

    for (i = 2; i < cf->args->nelts; i++) {
        rule->text.len += 1 + value[i].len;
    }

    rule->text.data = ngx_pnalloc(cf->pool, rule->text.len);
    if (rule->text.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(rule->text.data, value[1].data, value[1].len);

    for (i = 2; i < cf->args->nelts; i++) {
        *p++ = ' ';
        p = ngx_cpymem(p, value[i].data, value[i].len);
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "op=", 3) == 0) {

            if (rule->ops) {
                goto invalid;
            }

            p = value[i].data + 3;
            last = value[i].data + value[i].len;

            while (p < last) {
                comma = ngx_strlchr(p, last, ',');
                if (comma == NULL) {
                    comma = last;
                }

                name.data = p;
                name.len = comma - p;
                op = NULL;

                for (prefix = ngx_http_dynamo_op_prefixes;
                     prefix->len && name.len;
                     prefix++)
                {
                    target.len = prefix->len + name.len;
                    target.data = ngx_pnalloc(cf->temp_pool, target.len);
                    if (target.data == NULL) {
                        return NGX_CONF_ERROR;
                    }

                    ngx_memcpy(ngx_cpymem(target.data, prefix->data,
                                          prefix->len),
                               name.data, name.len);

                    op = ngx_http_dynamo_ddb_operation(&target);
                    if (op) {
                        break;
                    }
                }

                if (op == NULL) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "unknown DynamoDB operation \"%V\" "
                                       "in \"%V\"", &name, &value[i]);
                    return NGX_CONF_ERROR;
                }

                rule->ops |= (uint64_t) 1 << op->id;

                p = comma + 1;
            }

            if (rule->ops == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "table=", 6) == 0 && !rule->table) {
            name.data = value[i].data + 6;
            name.len = value[i].len - 6;

            if (ngx_http_dynamo_policy_match(cf, &name, &rule->table)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "role=", 5) == 0 && !rule->role) {
            name.data = value[i].data + 5;
            name.len = value[i].len - 5;

            if (ngx_http_dynamo_policy_match(cf, &name, &rule->role)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* an exact value, or "~regex" (nginx's regex engine, PCRE2) */

static char *
ngx_http_dynamo_policy_match(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_dynamo_match_t **match)
{
    ngx_regex_compile_t       rc;
    ngx_http_dynamo_match_t  *m;
    u_char                    errstr[NGX_MAX_CONF_ERRSTR];

    if (value->len == 0 || (value->len == 1 && value->data[0] == '~')) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty match in dynamo_policy");
        return NGX_CONF_ERROR;
    }

    m = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_match_t));
    if (m == NULL) {
        return NGX_CONF_ERROR;
    }

    *match = m;

    if (value->data[0] != '~') {
        m->value = *value;
        return NGX_CONF_OK;
    }

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern.data = value->data + 1;
    rc.pattern.len = value->len - 1;
    rc.pool = cf->pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V", &rc.err);
        return NGX_CONF_ERROR;
    }

    m->value = *value;
    m->regex = rc.regex;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_dynamo_policy_matches(ngx_http_dynamo_match_t *m, ngx_str_t *value)
{
    ngx_int_t  rc;

    if (m->regex == NULL) {
        return m->value.len == value->len
               && ngx_strncmp(m->value.data, value->data, value->len) == 0;
    }

    rc = ngx_regex_exec(m->regex, value, NULL, 0);

    return rc >= 0;
}


static ngx_http_dynamo_rule_t *
ngx_http_dynamo_policy_find(ngx_array_t *rules, ngx_uint_t op,
    ngx_str_t *role, ngx_str_t *table)
{
    ngx_uint_t               i;
    ngx_http_dynamo_rule_t  *rule;

    rule = rules->elts;

    for (i = 0; i < rules->nelts; i++) {

        if (rule[i].ops && (op == NGX_HTTP_DYNAMO_OP_UNKNOWN
                            || !(rule[i].ops & ((uint64_t) 1 << op))))
        {
            continue;
        }

        if (rule[i].role
            && !ngx_http_dynamo_policy_matches(rule[i].role, role))
        {
            continue;
        }

        if (rule[i].table
            && (table == NULL
                || !ngx_http_dynamo_policy_matches(rule[i].table, table)))
        {
            continue;
        }

        return &rule[i];
    }

    return NULL;
}


/*
 * NGX_OK: allowed; NGX_DECLINED: refused, the reason in ctx and
 * policyViolated set.
 */

ngx_int_t
ngx_http_dynamo_policy_check(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    ngx_str_t               *tables, name, *op, *quoted;
    ngx_uint_t               i, id, with_tables;
    ngx_http_dynamo_rule_t  *rule, *rules;

    static ngx_str_t  unknown = ngx_string("the request");

    if (dlcf->policy == NULL || dlcf->policy->nelts == 0) {
        return NGX_OK;
    }

    id = ctx->body.op ? ctx->body.op->id : NGX_HTTP_DYNAMO_OP_UNKNOWN;
    op = ctx->body.op ? &ctx->body.op->name : &unknown;

    rules = dlcf->policy->elts;
    with_tables = 0;

    for (i = 0; i < dlcf->policy->nelts; i++) {
        with_tables |= (rules[i].table != NULL);
    }

    /* a statement whose table could not be read passes no table rule */

    if (with_tables && ctx->body.rq && ctx->body.rq->tables_overflow) {
        ctx->policy_violated = 1;

        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                    "policy refuses %V: not every table it "
                                    "touches could be read", op);
    }

    if (ctx->body.tables.nelts == 0) {
        rule = ngx_http_dynamo_policy_find(dlcf->policy, id,
                                           &ctx->assume.role_arn, NULL);

        if (rule && rule->allow) {
            return NGX_OK;
        }

        ctx->policy_violated = 1;

        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                    "policy refuses %V for role \"%V\"%s%V%s",
                                    op, &ctx->assume.role_arn,
                                    rule ? " (" : ", no rule allows it",
                                    rule ? &rule->text : &unknown,
                                    rule ? ")" : "");
    }

    tables = ctx->body.tables.elts;

    for (i = 0; i < ctx->body.tables.nelts; i++) {

        /* a table given as its ARN is matched by its name */

        if (ngx_http_dynamo_ddb_table_from_arn(&tables[i], &name) != NGX_OK) {
            name = tables[i];
        }

        rule = ngx_http_dynamo_policy_find(dlcf->policy, id,
                                           &ctx->assume.role_arn, &name);

        if (rule && rule->allow) {
            continue;
        }

        ctx->policy_violated = 1;

        /* the name is the client's: escaped, the role's ARN was checked */

        quoted = ngx_http_dynamo_printable(r, &name,
                                           NGX_HTTP_DYNAMO_TABLE_NAME_MAX);

        if (rule) {
            return ngx_http_dynamo_fail(r, ctx,
                                        NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                        "policy refuses %V on table \"%V\" "
                                        "for role \"%V\" (%V)", op, quoted,
                                        &ctx->assume.role_arn, &rule->text);
        }

        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                    "policy refuses %V on table \"%V\" for "
                                    "role \"%V\": no rule allows it", op,
                                    quoted, &ctx->assume.role_arn);
    }

    return NGX_OK;
}
