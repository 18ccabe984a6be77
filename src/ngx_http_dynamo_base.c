
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The gateway's own (base) credentials, which sign its calls to STS:
 *
 *   env                 AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *                       AWS_SESSION_TOKEN, read by each worker
 *   file=path           the shared credentials file, [profile=name]
 *   imds uri=/loc       EC2 instance metadata, IMDSv2
 *   ecs uri=/loc        container credentials (ECS, EKS Pod Identity)
 *   web_identity        AssumeRoleWithWebIdentity with a token file (IRSA)
 *
 * The last three are fetched through subrequests and cached in the zone
 * like the roles' credentials, refreshed ahead of expiry.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_http_dynamo_sigv4.h"

#include <openssl/evp.h>


#define NGX_HTTP_DYNAMO_TOKEN_FILE_MAX   (64 * 1024)
#define NGX_HTTP_DYNAMO_IMDS_TTL         "21600"


static char *ngx_http_dynamo_base_file(ngx_conf_t *cf,
    ngx_http_dynamo_base_t *base);
static ngx_int_t ngx_http_dynamo_read_small_file(ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *name, ngx_str_t *content);
static ngx_int_t ngx_http_dynamo_env_present(ngx_core_conf_t *ccf,
    const char *name);
static ngx_int_t ngx_http_dynamo_env_get(ngx_pool_t *pool,
    const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_dynamo_imds_request(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t step);


static ngx_str_t  ngx_http_dynamo_imds_paths[] = {
    ngx_string("/latest/api/token"),
    ngx_string("/latest/meta-data/iam/security-credentials/"),
};


/*
 * dynamo_base_credentials env
 * dynamo_base_credentials file=path [profile=name]
 * dynamo_base_credentials imds uri=/location
 * dynamo_base_credentials ecs uri=/location [path=/v2/credentials/id]
 *                         [token=value | token_file=path]
 * dynamo_base_credentials web_identity [role_arn=arn] [token_file=path]
 *                         [session_name=name]
 */

char *
ngx_http_dynamo_base_credentials(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dynamo_main_conf_t *dmcf = conf;

    ngx_str_t               *value, *s, name;
    ngx_uint_t               i;
    ngx_http_dynamo_base_t  *base;

    base = &dmcf->base;

    if (base->source != NGX_HTTP_DYNAMO_BASE_NONE) {
        return "is duplicate";
    }

    value = cf->args->elts;
    i = 2;

    if (ngx_strcmp(value[1].data, "env") == 0) {
        base->source = NGX_HTTP_DYNAMO_BASE_ENV;

    } else if (ngx_strncmp(value[1].data, "file=", 5) == 0) {
        base->source = NGX_HTTP_DYNAMO_BASE_FILE;
        base->file.data = value[1].data + 5;
        base->file.len = value[1].len - 5;

    } else if (ngx_strcmp(value[1].data, "imds") == 0) {
        base->source = NGX_HTTP_DYNAMO_BASE_IMDS;

    } else if (ngx_strcmp(value[1].data, "ecs") == 0) {
        base->source = NGX_HTTP_DYNAMO_BASE_ECS;

    } else if (ngx_strcmp(value[1].data, "web_identity") == 0) {
        base->source = NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY;

    } else {
        i = 1;
        goto invalid;
    }

    for ( /* void */ ; i < cf->args->nelts; i++) {

        s = NULL;

        if (ngx_strncmp(value[i].data, "profile=", 8) == 0
            && base->source == NGX_HTTP_DYNAMO_BASE_FILE)
        {
            s = &base->profile;
            name.data = value[i].data + 8;

        } else if (ngx_strncmp(value[i].data, "uri=", 4) == 0
                   && (base->source == NGX_HTTP_DYNAMO_BASE_IMDS
                       || base->source == NGX_HTTP_DYNAMO_BASE_ECS))
        {
            s = &base->uri;
            name.data = value[i].data + 4;

        } else if (ngx_strncmp(value[i].data, "path=", 5) == 0
                   && base->source == NGX_HTTP_DYNAMO_BASE_ECS)
        {
            s = &base->path;
            name.data = value[i].data + 5;

        } else if (ngx_strncmp(value[i].data, "token=", 6) == 0
                   && base->source == NGX_HTTP_DYNAMO_BASE_ECS)
        {
            s = &base->token;
            name.data = value[i].data + 6;

        } else if (ngx_strncmp(value[i].data, "token_file=", 11) == 0
                   && (base->source == NGX_HTTP_DYNAMO_BASE_ECS
                       || base->source
                          == NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY))
        {
            s = &base->token_file;
            name.data = value[i].data + 11;

        } else if (ngx_strncmp(value[i].data, "role_arn=", 9) == 0
                   && base->source == NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY)
        {
            s = &base->role_arn;
            name.data = value[i].data + 9;

        } else if (ngx_strncmp(value[i].data, "session_name=", 13) == 0
                   && base->source == NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY)
        {
            s = &base->session_name;
            name.data = value[i].data + 13;
        }

        if (s == NULL) {
            goto invalid;
        }

        name.len = value[i].data + value[i].len - name.data;

        if (name.len == 0) {
            goto invalid;
        }

        *s = name;
    }

    switch (base->source) {

    case NGX_HTTP_DYNAMO_BASE_FILE:
        return ngx_http_dynamo_base_file(cf, base);

    case NGX_HTTP_DYNAMO_BASE_IMDS:
    case NGX_HTTP_DYNAMO_BASE_ECS:
        if (base->uri.len == 0 || base->uri.data[0] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" needs uri=, the internal location "
                               "that proxies to the credentials endpoint",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        break;

    default:
        break;
    }

    if (base->role_arn.len
        && ngx_http_dynamo_role_arn_parse(&base->role_arn, &name) != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid role ARN \"%V\"", &base->role_arn);
        return NGX_CONF_ERROR;
    }

    if (base->token_file.len
        && ngx_conf_full_name(cf->cycle, &base->token_file, 1) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* the shared credentials file: INI sections of aws_* keys */

static char *
ngx_http_dynamo_base_file(ngx_conf_t *cf, ngx_http_dynamo_base_t *base)
{
    u_char     *p, *last, *eol, *eq, *k, *ke, *v, *ve;
    ngx_str_t   content, *dst, profile;
    ngx_uint_t  in_profile, found;

    if (ngx_conf_full_name(cf->cycle, &base->file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_read_small_file(cf->pool, cf->log, &base->file,
                                        &content)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (base->profile.len) {
        profile = base->profile;

    } else {
        ngx_str_set(&profile, "default");
    }

    in_profile = 0;
    found = 0;

    for (p = content.data, last = p + content.len; p < last; p = eol + 1) {

        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        ve = eol;

        while (p < ve && (*p == ' ' || *p == '\t')) {
            p++;
        }

        while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
        {
            ve--;
        }

        if (p == ve || *p == '#' || *p == ';') {
            continue;
        }

        if (*p == '[') {
            in_profile = (ve[-1] == ']'
                          && (size_t) (ve - p - 2) == profile.len
                          && ngx_strncmp(p + 1, profile.data, profile.len)
                             == 0);
            found |= in_profile;
            continue;
        }

        if (!in_profile) {
            continue;
        }

        eq = ngx_strlchr(p, ve, '=');
        if (eq == NULL) {
            continue;
        }

        k = p;
        ke = eq;

        while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t')) {
            ke--;
        }

        v = eq + 1;

        while (v < ve && (*v == ' ' || *v == '\t')) {
            v++;
        }

        dst = NULL;

        if ((size_t) (ke - k) == sizeof("aws_access_key_id") - 1
            && ngx_strncmp(k, "aws_access_key_id", ke - k) == 0)
        {
            dst = &base->creds.access_key_id;

        } else if ((size_t) (ke - k) == sizeof("aws_secret_access_key") - 1
                   && ngx_strncmp(k, "aws_secret_access_key", ke - k) == 0)
        {
            dst = &base->creds.secret;

        } else if ((size_t) (ke - k) == sizeof("aws_session_token") - 1
                   && ngx_strncmp(k, "aws_session_token", ke - k) == 0)
        {
            dst = &base->creds.session_token;
        }

        if (dst) {
            dst->data = v;
            dst->len = ve - v;
        }
    }

    if (!found || base->creds.access_key_id.len == 0
        || base->creds.secret.len == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no aws_access_key_id and aws_secret_access_key "
                           "in profile \"%V\" of \"%V\"", &profile,
                           &base->file);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_dynamo_read_small_file(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *name, ngx_str_t *content)
{
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_int_t         rc;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      ngx_open_file_n " \"%V\" failed", name);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *name;
    file.log = log;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", name);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_DYNAMO_TOKEN_FILE_MAX) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "\"%V\" is larger than %d bytes", name,
                      NGX_HTTP_DYNAMO_TOKEN_FILE_MAX);
        goto done;
    }

    content->len = (size_t) ngx_file_size(&fi);
    content->data = ngx_pnalloc(pool, content->len + 1);
    if (content->data == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, content->data, content->len, 0);

    if (n == NGX_ERROR || (size_t) n != content->len) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      ngx_read_file_n " \"%V\" read %z of %uz bytes",
                      name, n, content->len);
        goto done;
    }

    content->data[content->len] = '\0';
    rc = NGX_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", name);
    }

    return rc;
}


/*
 * nginx clears the workers' environment but for the variables the main
 * configuration keeps with "env": a missing one is an error at start,
 * with the line to add, rather than a gateway that cannot call STS.
 */

ngx_int_t
ngx_http_dynamo_base_init_module(ngx_cycle_t *cycle)
{
    ngx_uint_t                    i;
    ngx_core_conf_t              *ccf;
    ngx_http_dynamo_base_t       *base;
    ngx_http_dynamo_main_conf_t  *dmcf;

    static const char  *env[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", NULL
    };

    static const char  *web_identity[] = {
        "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", NULL
    };

    if (cycle->conf_ctx[ngx_http_module.index] == NULL) {
        return NGX_OK;
    }

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dynamo_module);
    if (dmcf == NULL) {
        return NGX_OK;
    }

    base = &dmcf->base;
    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    for (i = 0; i < 2; i++) {

        if (base->source == NGX_HTTP_DYNAMO_BASE_ENV
            && !ngx_http_dynamo_env_present(ccf, env[i]))
        {
            goto missing_env;
        }

        if (base->source == NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY
            && ((i == 0 && base->role_arn.len == 0)
                || (i == 1 && base->token_file.len == 0))
            && !ngx_http_dynamo_env_present(ccf, web_identity[i]))
        {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "dynamo_base_credentials web_identity reads %s, "
                          "which nginx removes from the workers' "
                          "environment: add \"env %s;\" to the main "
                          "configuration, or give %s= on the directive",
                          web_identity[i], web_identity[i],
                          i == 0 ? "role_arn" : "token_file");
            return NGX_ERROR;
        }
    }

    return NGX_OK;

missing_env:

    ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                  "dynamo_base_credentials env reads %s, which nginx "
                  "removes from the workers' environment: add "
                  "\"env %s;\" to the main configuration (and "
                  "\"env AWS_SESSION_TOKEN;\" for temporary credentials)",
                  env[i], env[i]);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_dynamo_env_present(ngx_core_conf_t *ccf, const char *name)
{
    size_t      len;
    ngx_str_t  *var;
    ngx_uint_t  i;

    len = ngx_strlen(name);
    var = ccf->env.elts;

    for (i = 0; i < ccf->env.nelts; i++) {
        if (var[i].len >= len
            && ngx_strncmp(var[i].data, name, len) == 0
            && (var[i].len == len || var[i].data[len] == '='))
        {
            return 1;
        }
    }

    return 0;
}


/* each worker reads its environment, and names the fetched credentials */

ngx_int_t
ngx_http_dynamo_base_init_process(ngx_cycle_t *cycle)
{
    u_char                       *p;
    u_char                        buf[4096];
    ngx_http_dynamo_base_t       *base;
    ngx_http_dynamo_main_conf_t  *dmcf;

    if (cycle->conf_ctx[ngx_http_module.index] == NULL) {
        return NGX_OK;
    }

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dynamo_module);
    if (dmcf == NULL) {
        return NGX_OK;
    }

    base = &dmcf->base;

    switch (base->source) {

    case NGX_HTTP_DYNAMO_BASE_ENV:
        if (ngx_http_dynamo_env_get(cycle->pool, "AWS_ACCESS_KEY_ID",
                                    &base->creds.access_key_id) != NGX_OK
            || ngx_http_dynamo_env_get(cycle->pool, "AWS_SECRET_ACCESS_KEY",
                                       &base->creds.secret) != NGX_OK
            || ngx_http_dynamo_env_get(cycle->pool, "AWS_SESSION_TOKEN",
                                       &base->creds.session_token) != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (base->creds.access_key_id.len == 0
            || base->creds.secret.len == 0)
        {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                          "dynamo_base_credentials env: AWS_ACCESS_KEY_ID "
                          "or AWS_SECRET_ACCESS_KEY is empty");
        }

        break;

    case NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY:
        if ((base->role_arn.len == 0
             && ngx_http_dynamo_env_get(cycle->pool, "AWS_ROLE_ARN",
                                        &base->role_arn) != NGX_OK)
            || (base->token_file.len == 0
                && ngx_http_dynamo_env_get(cycle->pool,
                                           "AWS_WEB_IDENTITY_TOKEN_FILE",
                                           &base->token_file) != NGX_OK)
            || (base->session_name.len == 0
                && ngx_http_dynamo_env_get(cycle->pool,
                                           "AWS_ROLE_SESSION_NAME",
                                           &base->session_name) != NGX_OK))
        {
            return NGX_ERROR;
        }

        if (base->session_name.len == 0) {
            ngx_str_set(&base->session_name, "ngx-dynamo");
        }

        break;

    default:
        break;
    }

    /* what identifies the fetched credentials in the zone */

    p = ngx_snprintf(buf, sizeof(buf), "base\n%ui\n%V\n%V\n%V\n%V",
                     base->source, &base->uri, &base->path, &base->role_arn,
                     &base->token_file);

    if (ngx_http_dynamo_sha256(base->digest, buf, p - buf) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "SHA-256 of the base credentials' key failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_env_get(ngx_pool_t *pool, const char *name, ngx_str_t *value)
{
    char  *v;

    v = getenv(name);

    if (v == NULL) {
        ngx_str_null(value);
        return NGX_OK;
    }

    value->len = ngx_strlen(v);
    value->data = ngx_pnalloc(pool, value->len);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, v, value->len);

    return NGX_OK;
}


/*
 * Starts fetching the base credentials: NGX_OK with a subrequest in
 * flight, NGX_DECLINED with the reason in ctx, NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_base_fetch(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    u_char                        *p;
    ngx_str_t                      uri, token;
    ngx_uint_t                     n;
    ngx_http_dynamo_base_t        *base;
    ngx_http_dynamo_main_conf_t   *dmcf;
    ngx_http_dynamo_aws_param_t    params[8];
    ngx_http_dynamo_aws_header_t   header;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);
    base = &dmcf->base;

    switch (base->source) {

    case NGX_HTTP_DYNAMO_BASE_IMDS:
        ngx_str_null(&ctx->cred.imds_token);
        ngx_str_null(&ctx->cred.imds_role);
        return ngx_http_dynamo_imds_request(r, ctx, 0);

    case NGX_HTTP_DYNAMO_BASE_ECS:

        uri.len = base->uri.len + base->path.len;
        uri.data = ngx_pnalloc(r->pool, uri.len);
        if (uri.data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(uri.data, base->uri.data, base->uri.len);
        ngx_memcpy(p, base->path.data, base->path.len);

        n = 0;
        token = base->token;

        /* the token file is rotated by the platform: read it each time */

        if (base->token_file.len) {
            if (ngx_http_dynamo_read_small_file(r->pool, r->connection->log,
                                                &base->token_file, &token)
                != NGX_OK)
            {
                return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                       "cannot read the container "
                                       "credentials token file");
            }

            while (token.len && (token.data[token.len - 1] == '\n'
                                 || token.data[token.len - 1] == '\r'))
            {
                token.len--;
            }
        }

        if (token.len) {
            ngx_str_set(&header.name, "Authorization");
            header.value = token;
            n = 1;
        }

        return ngx_http_dynamo_subrequest(r, ctx, &uri, NGX_HTTP_GET,
                                          &header, n, NULL);

    case NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY:

        if (dlcf->sts_uri.len == 0) {
            return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                       "no dynamo_sts location to fetch the "
                                       "gateway's credentials through");
        }

        if (base->token_file.len == 0 || base->role_arn.len == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dynamo: web_identity needs a role ARN and a "
                          "token file (AWS_ROLE_ARN, "
                          "AWS_WEB_IDENTITY_TOKEN_FILE)");

            return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                       "the gateway has no web identity "
                                       "to call STS with");
        }

        /* kubelet rotates the token: read it afresh for every call */

        if (ngx_http_dynamo_read_small_file(r->pool, r->connection->log,
                                            &base->token_file, &token)
            != NGX_OK)
        {
            return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                       "cannot read the web identity "
                                       "token file");
        }

        while (token.len && (token.data[token.len - 1] == '\n'
                             || token.data[token.len - 1] == '\r'
                             || token.data[token.len - 1] == ' '))
        {
            token.len--;
        }

        n = 0;

        ngx_str_set(&params[n].key, "Action");
        ngx_str_set(&params[n].value, "AssumeRoleWithWebIdentity");
        n++;
        ngx_str_set(&params[n].key, "Version");
        ngx_str_set(&params[n].value, "2011-06-15");
        n++;
        ngx_str_set(&params[n].key, "RoleArn");
        params[n++].value = base->role_arn;
        ngx_str_set(&params[n].key, "RoleSessionName");
        params[n++].value = base->session_name;
        ngx_str_set(&params[n].key, "WebIdentityToken");
        params[n++].value = token;

        if (ngx_http_dynamo_sts_call(r, dlcf, ctx, params, n, NULL)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_explicit_memzero(token.data, token.len);

        return NGX_OK;

    default:
        return ngx_http_dynamo_set_error(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                         "no dynamo_base_credentials are "
                                         "configured");
    }
}


/*
 * IMDSv2, in three steps: a session token (PUT), the instance role's
 * name, its credentials.
 */

static ngx_int_t
ngx_http_dynamo_imds_request(ngx_http_request_t *r,
    ngx_http_dynamo_ctx_t *ctx, ngx_uint_t step)
{
    u_char                        *p;
    ngx_str_t                      uri, *path;
    ngx_http_dynamo_main_conf_t   *dmcf;
    ngx_http_dynamo_aws_header_t   header;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);

    path = &ngx_http_dynamo_imds_paths[step == 0 ? 0 : 1];

    uri.len = dmcf->base.uri.len + path->len + ctx->cred.imds_role.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(uri.data, dmcf->base.uri.data, dmcf->base.uri.len);
    p = ngx_cpymem(p, path->data, path->len);

    if (step == 2) {
        ngx_memcpy(p, ctx->cred.imds_role.data, ctx->cred.imds_role.len);

    } else {
        uri.len -= ctx->cred.imds_role.len;
    }

    if (step == 0) {
        ngx_str_set(&header.name, "X-aws-ec2-metadata-token-ttl-seconds");
        ngx_str_set(&header.value, NGX_HTTP_DYNAMO_IMDS_TTL);

        return ngx_http_dynamo_subrequest(r, ctx, &uri, NGX_HTTP_PUT,
                                          &header, 1, NULL);
    }

    ngx_str_set(&header.name, "X-aws-ec2-metadata-token");
    header.value = ctx->cred.imds_token;

    return ngx_http_dynamo_subrequest(r, ctx, &uri, NGX_HTTP_GET, &header, 1,
                                      NULL);
}


/*
 * A base-credentials subrequest is done: NGX_OK with ctx->cred.base filled,
 * NGX_AGAIN with the next step in flight, NGX_DECLINED with the reason
 * in ctx, NGX_ERROR.
 */

ngx_int_t
ngx_http_dynamo_base_answer(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    u_char                       *p, *last;
    ngx_str_t                    *what, *body;
    ngx_uint_t                    step;
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dynamo_module);
    body = &ctx->sub.body;

    switch (dmcf->base.source) {

    case NGX_HTTP_DYNAMO_BASE_IMDS:

        step = (ctx->cred.imds_token.len == 0) ? 0
               : (ctx->cred.imds_role.len == 0) ? 1 : 2;

        if (step == 2) {
            what = &ctx->cred.imds_role;
            return ngx_http_dynamo_sts_result(r, ctx,
                                              NGX_HTTP_DYNAMO_ANSWER_IMDS,
                                              what, &ctx->cred.base);
        }

        if (ctx->sub.status != NGX_HTTP_OK || body->len == 0
            || body->len > 1024)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dynamo: IMDS answered %ui to the %s request",
                          ctx->sub.status,
                          step == 0 ? "session token" : "role name");

            return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                       "the gateway's instance credentials "
                                       "are unavailable: IMDS answered %ui",
                                       ctx->sub.status);
        }

        /* a token, or role names one per line: the first is taken */

        p = body->data;
        last = ngx_strlchr(p, p + body->len, '\n');
        if (last == NULL) {
            last = p + body->len;
        }

        while (last > p && (last[-1] == '\r' || last[-1] == ' ')) {
            last--;
        }

        if (last == p) {
            return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                       "the gateway's instance has no "
                                       "role");
        }

        if (step == 0) {
            ctx->cred.imds_token.data = p;
            ctx->cred.imds_token.len = last - p;

        } else {
            ctx->cred.imds_role.data = p;
            ctx->cred.imds_role.len = last - p;
        }

        if (ngx_http_dynamo_imds_request(r, ctx, step + 1) != NGX_OK) {
            return NGX_ERROR;
        }

        return NGX_AGAIN;

    case NGX_HTTP_DYNAMO_BASE_ECS:
        return ngx_http_dynamo_sts_result(r, ctx, NGX_HTTP_DYNAMO_ANSWER_ECS,
                                          &dmcf->base.uri, &ctx->cred.base);

    default: /* NGX_HTTP_DYNAMO_BASE_WEB_IDENTITY */
        return ngx_http_dynamo_sts_result(r, ctx, NGX_HTTP_DYNAMO_ANSWER_STS,
                                          &dmcf->base.role_arn,
                                          &ctx->cred.base);
    }
}
