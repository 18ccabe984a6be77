
/*
 * Copyright (C) The ngx_dynamo authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"


static ngx_int_t ngx_http_dynamo_init(ngx_conf_t *cf);
static void *ngx_http_dynamo_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_dynamo_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dynamo_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_dynamo_check_header(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *dlcf);
static char *ngx_http_dynamo_str_array(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_dynamo_session_tag(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_dynamo_merge_sts(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *prev, ngx_http_dynamo_loc_conf_t *conf);
static ngx_int_t ngx_http_dynamo_uri_ref(ngx_conf_t *cf,
    ngx_http_dynamo_loc_conf_t *conf, ngx_str_t *uri, const char *directive);
static ngx_int_t ngx_http_dynamo_check_uris(ngx_conf_t *cf,
    ngx_http_dynamo_main_conf_t *dmcf);
static ngx_http_core_loc_conf_t *ngx_http_dynamo_find_location(
    ngx_http_core_loc_conf_t *pclcf, u_char *uri, size_t len);
static ngx_int_t ngx_http_dynamo_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_dynamo_init_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_dynamo_duration_bounds = {
    ngx_conf_check_num_bounds, 900, 43200
};


static ngx_command_t  ngx_http_dynamo_commands[] = {

    { ngx_string("dynamo_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_dynamo_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_access"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, access),
      NULL },

    { ngx_string("dynamo_jwt_jwks"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_dynamo_jwt_jwks,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_jwt_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_dynamo_jwt_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_dynamo_str_array,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, issuers),
      NULL },

    { ngx_string("dynamo_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_dynamo_str_array,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, audiences),
      NULL },

    { ngx_string("dynamo_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, leeway),
      NULL },

    { ngx_string("dynamo_token_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, token_header),
      NULL },

    { ngx_string("dynamo_token_in_session_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, token_in_session_token),
      NULL },

    { ngx_string("dynamo_identity_claim"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_dynamo_str_array,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, identity_claims),
      NULL },

    { ngx_string("dynamo_service_account"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_dynamo_service_account,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_service_accounts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_dynamo_service_accounts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_role_rule"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_dynamo_role_rule,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_sts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_dynamo_sts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_sts_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, sts_region),
      NULL },

    { ngx_string("dynamo_base_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dynamo_base_credentials,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_assume_role_duration"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, duration),
      &ngx_http_dynamo_duration_bounds },

    { ngx_string("dynamo_credentials_refresh"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, refresh),
      NULL },

    { ngx_string("dynamo_external_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, external_id),
      NULL },

    { ngx_string("dynamo_role_session_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, session_name),
      NULL },

    { ngx_string("dynamo_source_identity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, source_identity),
      NULL },

    { ngx_string("dynamo_role_from_access_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, role_from_access_key),
      NULL },

    { ngx_string("dynamo_session_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_dynamo_session_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_session_policy_arn"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_dynamo_session_policy_arn,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_dynamo_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, region),
      NULL },

    { ngx_string("dynamo_activity_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_dynamo_activity_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_activity_log_statement"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_dynamo_activity_statement,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_repo_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dynamo_loc_conf_t, repo_name),
      NULL },

    { ngx_string("dynamo_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_dynamo_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dynamo_status,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dynamo_session_tag"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_dynamo_session_tag,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dynamo_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dynamo_init,                  /* postconfiguration */

    ngx_http_dynamo_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dynamo_create_loc_conf,       /* create location configuration */
    ngx_http_dynamo_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_dynamo_module = {
    NGX_MODULE_V1,
    &ngx_http_dynamo_module_ctx,           /* module context */
    ngx_http_dynamo_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_dynamo_init_module,           /* init module */
    ngx_http_dynamo_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_dynamo_default_claims[] = {
    ngx_string("azp"),
    ngx_string("clientId")
};


static void *
ngx_http_dynamo_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_main_conf_t));
    if (dmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dmcf->shm_zone = NULL;
     *     dmcf->enabled = 0;
     */

    if (ngx_array_init(&dmcf->uri_refs, cf->pool, 4,
                       sizeof(ngx_http_dynamo_uri_ref_t))
        != NGX_OK)
    {
        return NULL;
    }

    return dmcf;
}


static void *
ngx_http_dynamo_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_dynamo_loc_conf_t  *dlcf;

    dlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dynamo_loc_conf_t));
    if (dlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dlcf->token_header = { 0, NULL };
     *     dlcf->token_header_lc = { 0, NULL };
     *     dlcf->fingerprinted = 0;
     *     dlcf->bindings_sorted = 0;
     *     dlcf->sts_uri = { 0, NULL };
     *     dlcf->sts_host = { 0, NULL };
     *     dlcf->sts_region = { 0, NULL };
     */

    if (cf->conf_file != NULL && cf->conf_file->file.name.data != NULL) {
        dlcf->conf_file = cf->conf_file->file.name.data;
        dlcf->conf_line = cf->conf_file->line;
    }

    dlcf->access = NGX_CONF_UNSET;
    dlcf->keys = NGX_CONF_UNSET_PTR;
    dlcf->jwks = NGX_CONF_UNSET_PTR;
    dlcf->issuers = NGX_CONF_UNSET_PTR;
    dlcf->audiences = NGX_CONF_UNSET_PTR;
    dlcf->leeway = NGX_CONF_UNSET;
    dlcf->token_in_session_token = NGX_CONF_UNSET;
    dlcf->identity_claims = NGX_CONF_UNSET_PTR;
    dlcf->bindings = NGX_CONF_UNSET_PTR;
    dlcf->role_rules = NGX_CONF_UNSET_PTR;
    dlcf->role_from_access_key = NGX_CONF_UNSET;
    dlcf->sts_timeout = NGX_CONF_UNSET_MSEC;
    dlcf->duration = NGX_CONF_UNSET;
    dlcf->refresh = NGX_CONF_UNSET;
    dlcf->external_id = NGX_CONF_UNSET_PTR;
    dlcf->session_name = NGX_CONF_UNSET_PTR;
    dlcf->source_identity = NGX_CONF_UNSET_PTR;
    dlcf->session_tags = NGX_CONF_UNSET_PTR;
    dlcf->session_policy = NGX_CONF_UNSET_PTR;
    dlcf->session_policy_arns = NGX_CONF_UNSET_PTR;
    dlcf->activity_log = NGX_CONF_UNSET_PTR;
    dlcf->stmt_mode = NGX_CONF_UNSET_UINT;
    dlcf->stmt_max = NGX_CONF_UNSET_SIZE;
    dlcf->policy = NGX_CONF_UNSET_PTR;

    return dlcf;
}


static char *
ngx_http_dynamo_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_dynamo_loc_conf_t *prev = parent;
    ngx_http_dynamo_loc_conf_t *conf = child;

    ngx_str_t                    *claim, base_uri;
    ngx_uint_t                    i;
    ngx_http_dynamo_jwks_t      **sets;
    ngx_http_dynamo_main_conf_t  *dmcf;

    ngx_conf_merge_value(conf->access, prev->access, 0);
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_ptr_value(conf->jwks, prev->jwks, NULL);
    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_str_value(conf->token_header, prev->token_header,
                             "cyral.token");

    if (conf->token_header.data == prev->token_header.data
        && prev->token_header_lc.data != NULL)
    {
        conf->token_header_lc = prev->token_header_lc;

    } else {
        conf->token_header_lc.len = conf->token_header.len;
        conf->token_header_lc.data = ngx_pnalloc(cf->pool,
                                                 conf->token_header.len);
        if (conf->token_header_lc.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(conf->token_header_lc.data, conf->token_header.data,
                   conf->token_header.len);
    }
    ngx_conf_merge_value(conf->token_in_session_token,
                         prev->token_in_session_token, 0);

    if (conf->identity_claims == NGX_CONF_UNSET_PTR) {

        if (prev->identity_claims == NGX_CONF_UNSET_PTR) {
            prev->identity_claims = ngx_array_create(cf->pool, 2,
                                                     sizeof(ngx_str_t));
            if (prev->identity_claims == NULL) {
                return NGX_CONF_ERROR;
            }

            for (i = 0; i < 2; i++) {
                claim = ngx_array_push(prev->identity_claims);
                if (claim == NULL) {
                    return NGX_CONF_ERROR;
                }

                *claim = ngx_http_dynamo_default_claims[i];
            }
        }

        conf->identity_claims = prev->identity_claims;
    }

    /* exact bindings: a level's own replace its parent's */

    if (prev->bindings != NGX_CONF_UNSET_PTR && prev->bindings != NULL
        && !prev->bindings_sorted
        && ngx_http_dynamo_bindings_init(cf, prev) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->bindings == NGX_CONF_UNSET_PTR) {
        conf->bindings = (prev->bindings == NGX_CONF_UNSET_PTR)
                         ? NULL : prev->bindings;
        conf->bindings_sorted = prev->bindings_sorted;

    } else if (!conf->bindings_sorted
               && ngx_http_dynamo_bindings_init(cf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->role_rules, prev->role_rules, NULL);
    ngx_conf_merge_value(conf->role_from_access_key,
                         prev->role_from_access_key, 0);

    if (ngx_http_dynamo_merge_sts(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_pass_merge(cf, prev, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_log_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->policy, prev->policy, NULL);

    if (!conf->access) {
        return NGX_CONF_OK;
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);
    dmcf->enabled = 1;

    if (dmcf->shm_zone == NULL) {
        ngx_http_dynamo_conf_emerg(cf, conf,
                      "dynamo_access needs a shared zone: "
                      "add \"dynamo_zone name:size;\" to the http block");
        return NGX_CONF_ERROR;
    }

    if ((conf->keys == NULL || conf->keys->nelts == 0)
        && conf->jwks == NULL)
    {
        ngx_http_dynamo_conf_emerg(cf, conf,
                      "dynamo_access is on but no \"dynamo_jwt_key\" "
                      "is configured to verify identity tokens");
        return NGX_CONF_ERROR;
    }

    if (conf->keys == NULL) {
        conf->keys = ngx_array_create(cf->pool, 1,
                                      sizeof(ngx_http_dynamo_key_t));
        if (conf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->jwks) {
        sets = conf->jwks->elts;

        for (i = 0; i < conf->jwks->nelts; i++) {
            if (ngx_http_dynamo_uri_ref(cf, conf, &sets[i]->uri,
                                        "dynamo_jwt_jwks")
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }
        }
    }

    if (ngx_http_dynamo_check_header(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_jwt_fingerprint(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->proxy_handler && conf->sts_uri.len == 0) {
        ngx_http_dynamo_conf_emerg(cf, conf,
                      "dynamo_pass to \"%V\" signs with the role's "
                      "credentials: add \"dynamo_sts\" to fetch them",
                      &conf->pass_host);
        return NGX_CONF_ERROR;
    }

    if (conf->sts_uri.len
        && ngx_http_dynamo_uri_ref(cf, conf, &conf->sts_uri, "dynamo_sts")
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (dmcf->base.uri.len) {

        /* the credentials' paths follow the prefix: "<uri>/latest/..." */

        base_uri.len = dmcf->base.uri.len + 1;
        base_uri.data = ngx_pnalloc(cf->pool, base_uri.len);
        if (base_uri.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(base_uri.data, dmcf->base.uri.data, dmcf->base.uri.len);
        base_uri.data[dmcf->base.uri.len] = '/';

        if (ngx_http_dynamo_uri_ref(cf, conf, &base_uri,
                                    "dynamo_base_credentials uri=")
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->sts_uri.len && dmcf->base.source == NGX_HTTP_DYNAMO_BASE_NONE)
    {
        ngx_http_dynamo_conf_emerg(cf, conf,
                      "dynamo_sts \"%V\" needs the gateway's own "
                      "credentials to sign its calls: add "
                      "\"dynamo_base_credentials\" to the http block",
                      &conf->sts_uri);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_dynamo_merge_sts(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *prev,
    ngx_http_dynamo_loc_conf_t *conf)
{
    u_char  *p;

    if (conf->sts_uri.data == NULL) {
        conf->sts_uri = prev->sts_uri;
        conf->sts_host = prev->sts_host;
        conf->sts_timeout = prev->sts_timeout;
    }

    ngx_conf_merge_msec_value(conf->sts_timeout, prev->sts_timeout, 10000);
    ngx_conf_merge_str_value(conf->sts_region, prev->sts_region, "us-east-1");
    ngx_conf_merge_sec_value(conf->duration, prev->duration, 3600);
    ngx_conf_merge_sec_value(conf->refresh, prev->refresh, 300);
    ngx_conf_merge_ptr_value(conf->external_id, prev->external_id, NULL);
    ngx_conf_merge_ptr_value(conf->session_name, prev->session_name, NULL);
    ngx_conf_merge_ptr_value(conf->source_identity, prev->source_identity,
                             NULL);
    ngx_conf_merge_ptr_value(conf->session_tags, prev->session_tags, NULL);
    ngx_conf_merge_ptr_value(conf->session_policy, prev->session_policy,
                             NULL);
    ngx_conf_merge_ptr_value(conf->session_policy_arns,
                             prev->session_policy_arns, NULL);

    if (conf->sts_uri.len && conf->sts_host.len == 0) {

        /* the regional endpoint of the signing region */

        conf->sts_host.len = sizeof("sts..amazonaws.com") - 1
                             + conf->sts_region.len;
        conf->sts_host.data = ngx_pnalloc(cf->pool, conf->sts_host.len);
        if (conf->sts_host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_cpymem(conf->sts_host.data, "sts.", 4);
        p = ngx_cpymem(p, conf->sts_region.data, conf->sts_region.len);
        ngx_memcpy(p, ".amazonaws.com", sizeof(".amazonaws.com") - 1);
    }

    return NGX_CONF_OK;
}


/*
 * nginx drops request headers with names it considers invalid (a dot, any
 * character but letters, digits and "-", and "_" unless allowed), before
 * any module sees them: a token header like "cyral.token" never arrives
 * unless the server says "ignore_invalid_headers off".
 */

static char *
ngx_http_dynamo_check_header(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *dlcf)
{
    u_char                     ch, bad;
    ngx_uint_t                 i;
    ngx_http_core_srv_conf_t  *cscf;

    if (dlcf->token_header.len == 0) {
        ngx_http_dynamo_conf_emerg(cf, dlcf,
                      "dynamo_token_header must not be empty");
        return NGX_CONF_ERROR;
    }

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (!cscf->ignore_invalid_headers) {
        return NGX_CONF_OK;
    }

    bad = 0;

    for (i = 0; i < dlcf->token_header.len; i++) {
        ch = dlcf->token_header.data[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9') || ch == '-')
        {
            continue;
        }

        if (ch == '_' && cscf->underscores_in_headers) {
            continue;
        }

        bad = ch;
        break;
    }

    if (bad == 0) {
        return NGX_CONF_OK;
    }

    ngx_http_dynamo_conf_emerg(cf, dlcf,
                  "the identity token header \"%V\" contains \"%c\", "
                  "which nginx drops as an invalid header: add "
                  "\"ignore_invalid_headers off;\" to the server block "
                  "of this location", &dlcf->token_header, bad);

    return NGX_CONF_ERROR;
}


/*
 * An error found when configurations are merged, after parsing: nginx no
 * longer knows the line then, so the message names where the block of
 * the configuration in question starts ("location", "server" or "http"),
 * as nginx's own messages name a directive's line.
 */

void ngx_cdecl
ngx_http_dynamo_conf_emerg(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *dlcf,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    buf[NGX_MAX_CONF_ERRSTR];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    if (dlcf->conf_file == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "%*s", p - buf, buf);
        return;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "%*s in %s:%ui",
                  p - buf, buf, dlcf->conf_file, dlcf->conf_line);
}


/*
 * An internal location named by a directive (dynamo_sts, and the base
 * credentials' uri=) is looked up when every location is known, in the
 * server whose requests will make the subrequests: a name that no
 * location takes would send STS's call to whatever location catches it,
 * the gateway's own at worst, and fail only at the first request.
 */

static ngx_int_t
ngx_http_dynamo_uri_ref(ngx_conf_t *cf, ngx_http_dynamo_loc_conf_t *conf,
    ngx_str_t *uri, const char *directive)
{
    ngx_http_core_srv_conf_t     *cscf;
    ngx_http_dynamo_uri_ref_t    *ref;
    ngx_http_dynamo_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);

    ref = ngx_array_push(&dmcf->uri_refs);
    if (ref == NULL) {
        return NGX_ERROR;
    }

    /* while merging, cf->ctx is the server's: the root of its locations */

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    ref->uri = *uri;
    ref->directive = directive;
    ref->server = cscf->ctx->loc_conf[ngx_http_core_module.ctx_index];
    ref->conf = conf;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dynamo_check_uris(ngx_conf_t *cf, ngx_http_dynamo_main_conf_t *dmcf)
{
    ngx_uint_t                   i;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_dynamo_uri_ref_t   *ref;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    ref = dmcf->uri_refs.elts;

    for (i = 0; i < dmcf->uri_refs.nelts; i++) {

        clcf = ngx_http_dynamo_find_location(ref[i].server, ref[i].uri.data,
                                             ref[i].uri.len);

        if (clcf == NULL) {
            ngx_http_dynamo_conf_emerg(cf, ref[i].conf,
                          "%s \"%V\" names no location of this server: "
                          "add \"location = %V\" that proxies to the "
                          "service", ref[i].directive, &ref[i].uri,
                          &ref[i].uri);
            return NGX_ERROR;
        }

        dlcf = clcf->loc_conf[ngx_http_dynamo_module.ctx_index];

        if (dlcf->proxy_handler != NULL) {
            ngx_http_dynamo_conf_emerg(cf, ref[i].conf,
                          "%s \"%V\" is taken by the gateway location "
                          "\"%V\": add \"location = %V\" that proxies to "
                          "the service", ref[i].directive, &ref[i].uri,
                          &clcf->name, &ref[i].uri);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The location a request for "uri" would be given, found as nginx finds
 * it: exact and prefix locations in the tree of each level, the nested
 * ones of the longest prefix, then, unless that prefix says "^~", the
 * regular expressions of the level in their order.  Named locations are
 * never found by a URI.
 */

static ngx_http_core_loc_conf_t *
ngx_http_dynamo_find_location(ngx_http_core_loc_conf_t *pclcf, u_char *uri,
    size_t len)
{
    size_t                          n, left;
    u_char                         *p;
    ngx_int_t                       rc;
    ngx_str_t                       s;
    ngx_http_core_loc_conf_t       *found, *nested, **rclcf;
    ngx_http_location_tree_node_t  *node;

    found = NULL;
    node = pclcf->static_locations;
    p = uri;
    left = len;

    while (node) {
        n = ngx_min(left, (size_t) node->len);

        rc = ngx_filename_cmp(p, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (left > (size_t) node->len) {

            if (node->inclusive) {
                found = node->inclusive;
                node = node->tree;
                p += n;
                left -= n;
                continue;
            }

            node = node->right;
            continue;
        }

        if (left == (size_t) node->len) {

            if (node->exact) {
                return node->exact;
            }

            found = node->inclusive;
            break;
        }

        node = node->left;
    }

    if (found != NULL && found->static_locations != NULL) {
        nested = ngx_http_dynamo_find_location(found, uri, len);
        if (nested != NULL) {
            return nested;
        }
    }

#if (NGX_PCRE)

    if ((found == NULL || !found->noregex) && pclcf->regex_locations) {

        s.data = uri;
        s.len = len;

        for (rclcf = pclcf->regex_locations; *rclcf; rclcf++) {
            if (ngx_regex_exec((*rclcf)->regex->regex, &s, NULL, 0) >= 0) {
                return *rclcf;
            }
        }
    }

#endif

    return found;
}


/* a directive taking one or more strings, repeatable: values accumulate */

static char *
ngx_http_dynamo_str_array(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid empty value in \"%V\"",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


/* dynamo_session_tag key value */

static char *
ngx_http_dynamo_session_tag(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dynamo_loc_conf_t *dlcf = conf;

    u_char                            *p;
    ngx_str_t                         *value;
    ngx_http_dynamo_tag_t             *tag;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (dlcf->session_tags == NGX_CONF_UNSET_PTR) {
        dlcf->session_tags = ngx_array_create(cf->pool, 2,
                                              sizeof(ngx_http_dynamo_tag_t));
        if (dlcf->session_tags == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (dlcf->session_tags->nelts == 50) {
        return "allows 50 session tags at most";
    }

    /* STS tag keys: 1 to 128 of letters, digits, spaces and _.:/=+-@ */

    if (value[1].len == 0 || value[1].len > 128) {
        goto invalid;
    }

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p >= 0x80
              || ngx_strchr(" _.:/=+-@", *p) != NULL))
        {
            goto invalid;
        }
    }

    tag = ngx_array_push(dlcf->session_tags);
    if (tag == NULL) {
        return NGX_CONF_ERROR;
    }

    tag->key = value[1];

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &tag->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid session tag key \"%V\"", &value[1]);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_dynamo_init_module(ngx_cycle_t *cycle)
{
    return ngx_http_dynamo_base_init_module(cycle);
}


static ngx_int_t
ngx_http_dynamo_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_dynamo_base_init_process(cycle);
}


static ngx_int_t
ngx_http_dynamo_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_dynamo_main_conf_t  *dmcf;

    if (ngx_http_dynamo_add_variables(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);

    if (!dmcf->enabled) {
        return NGX_OK;
    }

    if (ngx_http_dynamo_check_uris(cf, dmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dynamo_access_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dynamo_quiet_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dynamo_log_handler;

    ngx_http_dynamo_pass_init(cf);

    if (ngx_http_dynamo_body_init(cf) != NGX_OK
        || ngx_http_dynamo_response_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_dynamo_capture_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the first filter: it sees nginx's own error pages before the others */

    return ngx_http_dynamo_page_init(cf);
}
