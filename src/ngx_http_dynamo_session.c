
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Session policies: a JSON IAM policy template (dynamo_session_policy)
 * rendered for each caller and sent as "Policy" with AssumeRole, and
 * managed policies (dynamo_session_policy_arn) sent as "PolicyArns", so
 * that the role's credentials are narrowed to the caller.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_http_dynamo_json.h"

#include <jansson.h>


/* AWS's limit on an inline session policy, in characters */
#define NGX_HTTP_DYNAMO_SESSION_POLICY_MAX  2048

/* managed session policies AssumeRole takes */
#define NGX_HTTP_DYNAMO_SESSION_ARNS_MAX    10


static ngx_int_t ngx_http_dynamo_session_split(ngx_conf_t *cf,
    ngx_array_t *parts, u_char *text, size_t len);
static ngx_int_t ngx_http_dynamo_session_text(ngx_array_t *parts,
    u_char *start, u_char *end);


/* dynamo_session_policy file */

char *
ngx_http_dynamo_session_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    char          *text, *rv;
    json_t        *root;
    ngx_str_t     *value, file;
    json_error_t   err;

    if (dlcf->session_policy != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    root = json_load_file((char *) file.data, JSON_REJECT_DUPLICATES, &err);

    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot read the session policy \"%V\": %s "
                           "(line %d, column %d)", &file, err.text,
                           err.line, err.column);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;
    text = NULL;

    if (!json_is_object(root) || json_object_get(root, "Statement") == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the session policy \"%V\" must be a JSON IAM "
                           "policy: an object with a \"Statement\"", &file);
        goto done;
    }

    /*
     * sent compact, in the file's order: AWS counts the policy's
     * characters, white space included
     */

    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        goto done;
    }

    dlcf->session_policy = ngx_array_create(cf->pool, 4,
                                    sizeof(ngx_http_dynamo_session_part_t));
    if (dlcf->session_policy == NULL) {
        goto done;
    }

    if (ngx_http_dynamo_session_split(cf, dlcf->session_policy,
                                      (u_char *) text, ngx_strlen(text))
        != NGX_OK)
    {
        goto done;
    }

    rv = NGX_CONF_OK;

done:

    if (text) {
        ngx_free(text);
    }

    json_decref(root);

    return rv;
}


/*
 * The template's text and its variables: $dynamo_identity,
 * $dynamo_role_arn and $dynamo_claim_<name>, or the same in "${...}".
 * Any other "$" is the policy's own, such as "${aws:username}".
 */

static ngx_int_t
ngx_http_dynamo_session_split(ngx_conf_t *cf, ngx_array_t *parts,
    u_char *text, size_t len)
{
    u_char                          *p, *last, *start, *name, *end;
    ngx_str_t                        var;
    ngx_uint_t                       braced;
    ngx_http_dynamo_session_part_t  *part;

    p = text;
    last = text + len;
    start = text;

    while (p < last) {

        if (*p != '$') {
            p++;
            continue;
        }

        braced = (p + 1 < last && p[1] == '{');
        name = p + 1 + braced;

        for (end = name; end < last; end++) {
            if (!((*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z')
                  || (*end >= '0' && *end <= '9') || *end == '_'))
            {
                break;
            }
        }

        var.data = name;
        var.len = end - name;

        if ((braced && (end == last || *end != '}'))
            || !((var.len == sizeof("dynamo_identity") - 1
                  && ngx_strncmp(name, "dynamo_identity", var.len) == 0)
                 || (var.len == sizeof("dynamo_role_arn") - 1
                     && ngx_strncmp(name, "dynamo_role_arn", var.len) == 0)
                 || (var.len > sizeof("dynamo_claim_") - 1
                     && ngx_strncmp(name, "dynamo_claim_",
                                    sizeof("dynamo_claim_") - 1) == 0)))
        {
            p++;
            continue;
        }

        if (ngx_http_dynamo_session_text(parts, start, p) != NGX_OK) {
            return NGX_ERROR;
        }

        part = ngx_array_push(parts);
        if (part == NULL) {
            return NGX_ERROR;
        }

        ngx_str_null(&part->text);

        var.data = ngx_pstrdup(cf->pool, &var);
        if (var.data == NULL) {
            return NGX_ERROR;
        }

        part->index = ngx_http_get_variable_index(cf, &var);
        if (part->index == NGX_ERROR) {
            return NGX_ERROR;
        }

        p = end + braced;
        start = p;
    }

    return ngx_http_dynamo_session_text(parts, start, last);
}


static ngx_int_t
ngx_http_dynamo_session_text(ngx_array_t *parts, u_char *start, u_char *end)
{
    ngx_http_dynamo_session_part_t  *part;

    if (start == end) {
        return NGX_OK;
    }

    part = ngx_array_push(parts);
    if (part == NULL) {
        return NGX_ERROR;
    }

    part->index = NGX_ERROR;
    part->text.len = end - start;
    part->text.data = ngx_pnalloc(parts->pool, part->text.len);
    if (part->text.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(part->text.data, start, part->text.len);

    return NGX_OK;
}


/* dynamo_session_policy_arn arn */

char *
ngx_http_dynamo_session_policy_arn(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    ngx_str_t  *value, *arn;

    value = cf->args->elts;

    if (value[1].len < sizeof("arn:aws:iam::aws:policy/x") - 1
        || ngx_strncmp(value[1].data, "arn:", 4) != 0
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, ':')
           == NULL
        || ngx_strnstr(value[1].data, ":policy/", value[1].len) == NULL)
    {
        return "needs a managed policy's ARN, "
               "arn:<partition>:iam::<account>:policy/<name>";
    }

    if (dlcf->session_policy_arns == NGX_CONF_UNSET_PTR) {
        dlcf->session_policy_arns = ngx_array_create(cf->pool, 2,
                                                     sizeof(ngx_str_t));
        if (dlcf->session_policy_arns == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (dlcf->session_policy_arns->nelts
        == NGX_HTTP_DYNAMO_SESSION_ARNS_MAX)
    {
        return "is given more than 10 times, AWS's limit";
    }

    arn = ngx_array_push(dlcf->session_policy_arns);
    if (arn == NULL) {
        return NGX_CONF_ERROR;
    }

    *arn = value[1];

    return NGX_CONF_OK;
}


/*
 * The request's session policy, into ctx->assume.session_policy: the template
 * with each variable's value escaped for JSON.  NGX_OK, NGX_DECLINED (too
 * long for AWS, the reason in ctx) or NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_session_policy_render(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    u_char                          *p, *q;
    size_t                           len, n;
    ngx_uint_t                       i;
    ngx_http_variable_value_t       *vv;
    ngx_http_dynamo_session_part_t  *part;

    if (dlcf->session_policy == NULL) {
        return NGX_OK;
    }

    part = dlcf->session_policy->elts;
    len = 0;

    for (i = 0; i < dlcf->session_policy->nelts; i++) {

        if (part[i].index == NGX_ERROR) {
            len += part[i].text.len;
            continue;
        }

        vv = ngx_http_get_flushed_variable(r, part[i].index);

        if (vv == NULL) {
            return NGX_ERROR;
        }

        /* "\u00XX" for a byte at worst, and the quotes */

        if (!vv->not_found) {
            len += 6 * vv->len + 2;
        }
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->assume.session_policy.data = p;

    for (i = 0; i < dlcf->session_policy->nelts; i++) {

        if (part[i].index == NGX_ERROR) {
            p = ngx_cpymem(p, part[i].text.data, part[i].text.len);
            continue;
        }

        /* the values were evaluated above: these are cached */

        vv = ngx_http_get_indexed_variable(r, part[i].index);

        if (vv == NULL || vv->not_found) {
            continue;
        }

        /* written quoted, inside the template's own string */

        q = p;
        p = ngx_http_dynamo_json_str(p, vv->data, vv->len);
        n = p - q - 2;
        ngx_memmove(q, q + 1, n);
        p = q + n;
    }

    ctx->assume.session_policy.len = p - ctx->assume.session_policy.data;

    n = ngx_utf8_length(ctx->assume.session_policy.data,
                        ctx->assume.session_policy.len);

    if (n > NGX_HTTP_DYNAMO_SESSION_POLICY_MAX) {
        return ngx_http_dynamo_fail(r, ctx, NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                    "the session policy for identity \"%V\" "
                                    "is %uz characters, over AWS's limit of "
                                    "%d",
                                    ngx_http_dynamo_printable(r,
                                                   &ctx->caller.token.identity,
                                                   128),
                                    n, NGX_HTTP_DYNAMO_SESSION_POLICY_MAX);
    }

    return NGX_OK;
}
