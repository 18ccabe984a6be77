
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Talking to STS and to credential endpoints, always through the
 * module's subrequests to internal locations (ngx_http_dynamo_subrequest.c),
 * so that the operator's proxy_* settings (TLS verification, timeouts,
 * keepalive) apply, and nothing of the client's request reaches STS.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_http_dynamo_sigv4.h"
#include "ngx_http_dynamo_sts_answer.h"


/* 8 named, 10 PolicyArns, 50 tags of two */
#define NGX_HTTP_DYNAMO_STS_PARAMS_MAX   (8 + 10 + 2 * 50)
#define NGX_HTTP_DYNAMO_CHAIN_MAX        3600

/* the kinds of a failed STS call, for dynamo_status */
#define NGX_HTTP_DYNAMO_STS_REFUSED      0    /* an error answer, not 5xx */
#define NGX_HTTP_DYNAMO_STS_UNREACHABLE  1    /* or timed out, or cut */
#define NGX_HTTP_DYNAMO_STS_5XX          2
#define NGX_HTTP_DYNAMO_STS_MALFORMED    3    /* no usable credentials */


static void ngx_http_dynamo_sts_signature_hint(ngx_http_request_t *r,
    ngx_str_t *code);
static ngx_int_t ngx_http_dynamo_unavailable_code(ngx_str_t *code);
static void ngx_http_dynamo_sts_count(ngx_http_dynamo_zone_t *zone,
    ngx_uint_t kind, ngx_uint_t failure);


static ngx_str_t  ngx_http_dynamo_form_type =
    ngx_string("application/x-www-form-urlencoded; charset=utf-8");
static ngx_str_t  ngx_http_dynamo_sts_service = ngx_string("sts");
static ngx_str_t  ngx_http_dynamo_sts_version = ngx_string("2011-06-15");


/* dynamo_sts uri [host=name] [timeout=time] */

char *
ngx_http_dynamo_sts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    ngx_str_t   *value, s;
    ngx_uint_t   i;

    if (dlcf->sts_uri.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dynamo_sts needs the URI of an internal "
                           "location, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    dlcf->sts_uri = value[1];

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "host=", 5) == 0) {
            dlcf->sts_host.data = value[i].data + 5;
            dlcf->sts_host.len = value[i].len - 5;

            if (dlcf->sts_host.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            dlcf->sts_timeout = ngx_parse_time(&s, 0);

            if (dlcf->sts_timeout == (ngx_msec_t) NGX_ERROR
                || dlcf->sts_timeout == 0)
            {
                goto invalid;
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


/*
 * A POST of form parameters to the dynamo_sts location; signed with the
 * signer's credentials (AssumeRole), or not (AssumeRoleWithWebIdentity).
 * STS answers JSON when asked, and XML otherwise: both are understood.
 */

ngx_int_t
ngx_http_dynamo_sts_call(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx,
    void *params, ngx_uint_t nparams, ngx_http_dynamo_creds_t *signer)
{
    u_char                        *amz_date;
    ngx_str_t                      body, auth;
    ngx_uint_t                     n;
    ngx_http_dynamo_sigv4_t        sv;
    ngx_http_dynamo_aws_header_t   headers[6];
    u_char                         hash[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];

    if (ngx_http_dynamo_aws_form(r->pool, params, nparams, &body) != NGX_OK) {
        return NGX_ERROR;
    }

    n = 0;

    ngx_str_set(&headers[n].name, "Content-Type");
    headers[n++].value = ngx_http_dynamo_form_type;

    if (signer) {
        amz_date = ngx_pnalloc(r->pool, NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN);
        if (amz_date == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_http_dynamo_time_amz_date(amz_date, ngx_time());

        ngx_str_set(&headers[n].name, "Host");
        headers[n++].value = dlcf->sts_host;

        ngx_str_set(&headers[n].name, "X-Amz-Date");
        headers[n].value.data = amz_date;
        headers[n++].value.len = NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN;

        if (signer->session_token.len) {
            ngx_str_set(&headers[n].name, "X-Amz-Security-Token");
            headers[n++].value = signer->session_token;
        }

        if (ngx_http_dynamo_sigv4_sha256_hex(hash, body.data, body.len)
            != NGX_OK
            || ngx_http_dynamo_signing_key(r, ctx, signer, amz_date,
                                           &dlcf->sts_region,
                                           &ngx_http_dynamo_sts_service,
                                           ngx_http_dynamo_key_scope(
                                               &dlcf->sts_region,
                                               &ngx_http_dynamo_sts_service))
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_memzero(&sv, sizeof(ngx_http_dynamo_sigv4_t));

        ngx_str_set(&sv.method, "POST");
        ngx_str_set(&sv.uri, "/");
        sv.headers = headers;
        sv.nheaders = n;
        sv.payload_hash = hash;
        sv.amz_date = amz_date;
        sv.region = dlcf->sts_region;
        sv.service = ngx_http_dynamo_sts_service;
        sv.access_key_id = signer->access_key_id;
        sv.key = signer->key;
        sv.log = r->connection->log;

        if (ngx_http_dynamo_sigv4_sign(&sv, r->pool, &auth) != NGX_OK) {
            return NGX_ERROR;
        }

        /* Host is what the STS location's proxy sends, not a header here */

        headers[1] = headers[--n];

        ngx_str_set(&headers[n].name, "Authorization");
        headers[n++].value = auth;
    }

    ngx_str_set(&headers[n].name, "Accept");
    ngx_str_set(&headers[n].value, "application/json");
    n++;

    ngx_http_dynamo_count(ngx_http_dynamo_get_zone(r), sts_calls, 1);

    return ngx_http_dynamo_subrequest(r, ctx, &dlcf->sts_uri, NGX_HTTP_POST,
                                      headers, n, &body);
}


/* AssumeRole of the request's role, signed with the base credentials */

ngx_int_t
ngx_http_dynamo_sts_assume_role(ngx_http_request_t *r,
    ngx_http_dynamo_loc_conf_t *dlcf, ngx_http_dynamo_ctx_t *ctx)
{
    u_char                       *p;
    time_t                        duration;
    ngx_str_t                    *arn;
    ngx_uint_t                    n, i;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_aws_param_t  *tag, *params;

    params = ngx_palloc(r->pool, NGX_HTTP_DYNAMO_STS_PARAMS_MAX
                                 * sizeof(ngx_http_dynamo_aws_param_t));
    if (params == NULL) {
        return NGX_ERROR;
    }

    duration = dlcf->duration;

    /*
     * AWS caps role chaining, assuming a role with the credentials of
     * another role's session, at one hour
     */

    if (ctx->cred.base.session_token.len
        && duration > NGX_HTTP_DYNAMO_CHAIN_MAX)
    {
        duration = NGX_HTTP_DYNAMO_CHAIN_MAX;

        zone = ngx_http_dynamo_get_zone(r);

        if (ngx_atomic_cmp_set(&zone->sh->shards[0].c.chain_clamp_logged, 0, 1))
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "dynamo: the gateway's credentials are a role "
                          "session, and AWS limits role chaining to one "
                          "hour: dynamo_assume_role_duration %T is "
                          "lowered to 3600 seconds", dlcf->duration);
        }
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    ngx_str_set(&params[n].key, "Action");
    ngx_str_set(&params[n].value, "AssumeRole");
    n++;
    ngx_str_set(&params[n].key, "Version");
    params[n++].value = ngx_http_dynamo_sts_version;
    ngx_str_set(&params[n].key, "RoleArn");
    params[n++].value = ctx->assume.role_arn;
    ngx_str_set(&params[n].key, "RoleSessionName");
    params[n++].value = ctx->assume.session_name;
    ngx_str_set(&params[n].key, "DurationSeconds");
    params[n].value.data = p;
    params[n++].value.len = ngx_sprintf(p, "%T", duration) - p;

    if (ctx->assume.external_id.len) {
        ngx_str_set(&params[n].key, "ExternalId");
        params[n++].value = ctx->assume.external_id;
    }

    if (ctx->assume.source_identity.len) {
        ngx_str_set(&params[n].key, "SourceIdentity");
        params[n++].value = ctx->assume.source_identity;
    }

    if (ctx->assume.session_policy.len) {
        ngx_str_set(&params[n].key, "Policy");
        params[n++].value = ctx->assume.session_policy;
    }

    if (dlcf->session_policy_arns) {
        arn = dlcf->session_policy_arns->elts;

        for (i = 0; i < dlcf->session_policy_arns->nelts && i < 10; i++) {
            p = ngx_pnalloc(r->pool, sizeof("PolicyArns.member.10.arn"));
            if (p == NULL) {
                return NGX_ERROR;
            }

            params[n].key.data = p;
            params[n].key.len = ngx_sprintf(p, "PolicyArns.member.%ui.arn",
                                            i + 1)
                                - p;
            params[n++].value = arn[i];
        }
    }

    if (ctx->assume.tags) {
        tag = ctx->assume.tags->elts;

        for (i = 0; i < ctx->assume.tags->nelts && i < 50; i++) {
            p = ngx_pnalloc(r->pool, 2 * sizeof("Tags.member.50.Value"));
            if (p == NULL) {
                return NGX_ERROR;
            }

            params[n].key.data = p;
            params[n].key.len = ngx_sprintf(p, "Tags.member.%ui.Key", i + 1)
                                - p;
            params[n++].value = tag[i].key;

            p += sizeof("Tags.member.50.Value");

            params[n].key.data = p;
            params[n].key.len = ngx_sprintf(p, "Tags.member.%ui.Value", i + 1)
                                - p;
            params[n++].value = tag[i].value;
        }
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dynamo: AssumeRole \"%V\" session \"%V\" for %T s",
                   &ctx->assume.role_arn, &ctx->assume.session_name, duration);

    return ngx_http_dynamo_sts_call(r, dlcf, ctx, params, n, &ctx->cred.base);
}


/*
 * STS could not verify the gateway's signature.  Beside a wrong secret,
 * the cause is nearly always the dynamo_sts location: the signature
 * covers the path "/" and the Host "host=", so a location that proxies to
 * another path (proxy_pass without "/" after the host in a prefix or
 * exact location) or sends another Host breaks every call the same way.
 */

static void
ngx_http_dynamo_sts_signature_hint(ngx_http_request_t *r, ngx_str_t *code)
{
    ngx_http_dynamo_loc_conf_t  *dlcf;

    if (code->len != sizeof("SignatureDoesNotMatch") - 1
        || ngx_strncmp(code->data, "SignatureDoesNotMatch", code->len) != 0)
    {
        return;
    }

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dynamo_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "dynamo: STS could not verify the gateway's signature: "
                  "check that location \"%V\" sends STS the path \"/\" "
                  "(\"proxy_pass https://host/;\" in \"location = %V\", or "
                  "\"rewrite ^ / break;\") and the Host \"%V\" the calls "
                  "are signed for (dynamo_sts host=), then the gateway's "
                  "own secret key", &dlcf->sts_uri, &dlcf->sts_uri,
                  &dlcf->sts_host);
}


/*
 * What a finished subrequest answered: NGX_OK with creds filled, or
 * NGX_DECLINED with the reason in ctx (AccessDenied when STS refused,
 * unavailable otherwise), logged at the "error" level.  The answer held
 * secrets: it is wiped once read.
 */

ngx_int_t
ngx_http_dynamo_sts_result(ngx_http_request_t *r, ngx_http_dynamo_ctx_t *ctx,
    ngx_uint_t kind, ngx_str_t *what, ngx_http_dynamo_creds_t *creds)
{
    ngx_int_t                     rc;
    ngx_str_t                    *code, *name, *quoted, *text, *failure;
    ngx_msec_t                    elapsed;
    ngx_http_dynamo_zone_t       *zone;
    ngx_http_dynamo_aws_creds_t   ac;

    static ngx_str_t  names[] = {
        ngx_string("STS"), ngx_string("IMDS"), ngx_string("ECS")
    };

    name = &names[kind];

    elapsed = ngx_http_dynamo_time_ms() - ctx->sub.start;

    zone = ngx_http_dynamo_get_zone(r);

    if (kind == NGX_HTTP_DYNAMO_ANSWER_STS) {
        ngx_http_dynamo_count(zone, sts_time_ms, elapsed);
    }

    ngx_memzero(&ac, sizeof(ngx_http_dynamo_aws_creds_t));

    if (ctx->sub.body.len == 0
        || ctx->sub.status == 0 || ctx->sub.status >= NGX_HTTP_BAD_GATEWAY
        || (ctx->sub.rc != NGX_OK && ctx->sub.rc != NGX_HTTP_OK
            && ctx->sub.status == NGX_HTTP_OK))
    {
        rc = NGX_ERROR;
        goto unavailable;
    }

    switch (kind) {

    case NGX_HTTP_DYNAMO_ANSWER_IMDS:
        rc = ngx_http_dynamo_imds_answer_parse(r->pool, r->connection->log,
                                               ctx->sub.body.data,
                                               ctx->sub.body.len, &ac);
        break;

    case NGX_HTTP_DYNAMO_ANSWER_ECS:
        rc = ngx_http_dynamo_ecs_answer_parse(r->pool, r->connection->log,
                                              ctx->sub.body.data,
                                              ctx->sub.body.len, &ac);
        break;

    default: /* NGX_HTTP_DYNAMO_ANSWER_STS */
        rc = ngx_http_dynamo_sts_answer_parse(r->pool, r->connection->log,
                                              ctx->sub.body.data,
                                              ctx->sub.body.len, &ac);
        break;
    }

    ngx_explicit_memzero(ctx->sub.body.data, ctx->sub.body.len);

    if (rc == NGX_OK && ctx->sub.status == NGX_HTTP_OK) {
        creds->access_key_id = ac.access_key_id;
        creds->secret = ac.secret_access_key;
        creds->session_token = ac.session_token;
        creds->expiration = ac.expiration;
        creds->have_key = 0;

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dynamo: %V gave credentials %V for \"%V\"",
                       name, &ac.access_key_id,
                       ngx_http_dynamo_printable(r, what,
                                                 NGX_HTTP_DYNAMO_AWS_ARN_MAX));

        return NGX_OK;
    }

    if (rc == NGX_DECLINED) {
        code = &ac.error_code;

        if (code->len == sizeof("ExpiredToken") - 1
            && ngx_strncmp(code->data, "ExpiredToken", code->len) == 0)
        {
            ctx->cred.base_expired = 1;
        }

        /*
         * the answer's text, and what was asked for (an IMDS role name is
         * IMDS's text), escaped for the log and the message
         */

        quoted = ngx_http_dynamo_printable(r, what,
                                           NGX_HTTP_DYNAMO_AWS_ARN_MAX);
        text = ngx_http_dynamo_printable(r, &ac.error_message,
                                         NGX_HTTP_DYNAMO_AWS_ERROR_MSG_MAX);
        failure = ngx_http_dynamo_printable(r, code,
                                            NGX_HTTP_DYNAMO_AWS_ERROR_CODE_MAX);

        ngx_http_dynamo_sts_count(zone, kind,
                                  ctx->sub.status
                                  >= NGX_HTTP_INTERNAL_SERVER_ERROR
                                  ? NGX_HTTP_DYNAMO_STS_5XX
                                  : NGX_HTTP_DYNAMO_STS_REFUSED);

        /*
         * a refusal of the role is the client's answer; anything that
         * keeps the gateway from its own credentials is unavailability
         */

        if (kind == NGX_HTTP_DYNAMO_ANSWER_STS) {
            ngx_http_dynamo_sts_signature_hint(r, code);
        }

        if (ctx->sub.status < NGX_HTTP_INTERNAL_SERVER_ERROR
            && !ngx_http_dynamo_unavailable_code(code)
            && !ctx->cred.base_expired
            && !ctx->cred.fetching_base)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dynamo: %V refused \"%V\": %ui %V: %V",
                          name, quoted, ctx->sub.status, failure, text);

            return ngx_http_dynamo_set_error(r, ctx,
                                       NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED,
                                       "%V refused role \"%V\": %V: %V",
                                       name, quoted, failure, text);
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dynamo: %V failed for \"%V\": %ui %V: %V",
                      name, quoted, ctx->sub.status, failure, text);

        return ngx_http_dynamo_set_error(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                         "credentials for \"%V\" are "
                                         "unavailable: %V answered %V",
                                         quoted, name, failure);
    }

unavailable:

    quoted = ngx_http_dynamo_printable(r, what, NGX_HTTP_DYNAMO_AWS_ARN_MAX);

    /* no answer, or one cut short: a transport failure */

    if (ctx->sub.status == 0 || !ctx->sub.answered
        || (ctx->sub.rc != NGX_OK && ctx->sub.rc != NGX_HTTP_OK
            && ctx->sub.status == NGX_HTTP_OK))
    {
        ngx_http_dynamo_sts_count(zone, kind, NGX_HTTP_DYNAMO_STS_UNREACHABLE);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dynamo: %V is unreachable or timed out for \"%V\" "
                      "(%ui after %M ms)", name, quoted, ctx->sub.status,
                      elapsed);

        return ngx_http_dynamo_set_error(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                         "credentials for \"%V\" are "
                                         "unavailable: %V is unreachable",
                                         quoted, name);
    }

    if (ctx->sub.status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_http_dynamo_sts_count(zone, kind, NGX_HTTP_DYNAMO_STS_5XX);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dynamo: %V answered %ui for \"%V\" (after %M ms)",
                      name, ctx->sub.status, quoted, elapsed);

        return ngx_http_dynamo_set_error(r, ctx,
                                         NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                         "credentials for \"%V\" are "
                                         "unavailable: %V answered %ui",
                                         quoted, name, ctx->sub.status);
    }

    ngx_http_dynamo_sts_count(zone, kind, NGX_HTTP_DYNAMO_STS_MALFORMED);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "dynamo: %V answered %ui without usable credentials "
                  "for \"%V\"", name, ctx->sub.status, quoted);

    return ngx_http_dynamo_set_error(r, ctx, NGX_HTTP_DYNAMO_ERR_UNAVAILABLE,
                                     "credentials for \"%V\" are "
                                     "unavailable: %V answered %ui without "
                                     "credentials", quoted, name,
                                     ctx->sub.status);
}


/*
 * A failed STS call, counted in all and by its kind; the gateway's calls
 * to IMDS or ECS are not STS's
 */

static void
ngx_http_dynamo_sts_count(ngx_http_dynamo_zone_t *zone, ngx_uint_t kind,
    ngx_uint_t failure)
{
    if (kind != NGX_HTTP_DYNAMO_ANSWER_STS) {
        return;
    }

    ngx_http_dynamo_count(zone, sts_errors, 1);

    switch (failure) {

    case NGX_HTTP_DYNAMO_STS_REFUSED:
        ngx_http_dynamo_count(zone, sts_refused, 1);
        break;

    case NGX_HTTP_DYNAMO_STS_UNREACHABLE:
        ngx_http_dynamo_count(zone, sts_unreachable, 1);
        break;

    case NGX_HTTP_DYNAMO_STS_5XX:
        ngx_http_dynamo_count(zone, sts_5xx, 1);
        break;

    default: /* NGX_HTTP_DYNAMO_STS_MALFORMED */
        ngx_http_dynamo_count(zone, sts_malformed, 1);
        break;
    }
}


/* STS errors a retry may cure, as the SDKs treat them */

static ngx_int_t
ngx_http_dynamo_unavailable_code(ngx_str_t *code)
{
    ngx_uint_t  i;

    static ngx_str_t  codes[] = {
        ngx_string("Throttling"),
        ngx_string("ThrottlingException"),
        ngx_string("RequestLimitExceeded"),
        ngx_string("RequestThrottled"),
        ngx_string("InternalFailure"),
        ngx_string("InternalError"),
        ngx_string("ServiceUnavailable"),
        ngx_string("IDPCommunicationError"),
        ngx_null_string
    };

    for (i = 0; codes[i].len; i++) {
        if (codes[i].len == code->len
            && ngx_strncmp(codes[i].data, code->data, code->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}
