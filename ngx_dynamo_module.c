
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


static ngx_command_t  ngx_http_dynamo_commands[] = {

    { ngx_string("dynamo_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
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
    NULL,                                  /* init module */
    NULL,                                  /* init process */
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
     *     dlcf->fingerprinted = 0;
     */

    dlcf->access = NGX_CONF_UNSET;
    dlcf->keys = NGX_CONF_UNSET_PTR;
    dlcf->issuers = NGX_CONF_UNSET_PTR;
    dlcf->audiences = NGX_CONF_UNSET_PTR;
    dlcf->leeway = NGX_CONF_UNSET;
    dlcf->token_in_session_token = NGX_CONF_UNSET;
    dlcf->identity_claims = NGX_CONF_UNSET_PTR;

    return dlcf;
}


static char *
ngx_http_dynamo_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_dynamo_loc_conf_t *prev = parent;
    ngx_http_dynamo_loc_conf_t *conf = child;

    ngx_str_t                    *claim;
    ngx_uint_t                    i;
    ngx_http_dynamo_main_conf_t  *dmcf;

    ngx_conf_merge_value(conf->access, prev->access, 0);
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_str_value(conf->token_header, prev->token_header,
                             "cyral.token");
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

    if (!conf->access) {
        return NGX_CONF_OK;
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dynamo_module);
    dmcf->enabled = 1;

    if (dmcf->shm_zone == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "dynamo_access needs a shared zone: "
                      "add \"dynamo_zone name:size;\" to the http block");
        return NGX_CONF_ERROR;
    }

    if (conf->keys == NULL || conf->keys->nelts == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "dynamo_access is on but no \"dynamo_jwt_key\" "
                      "is configured to verify identity tokens");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_check_header(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dynamo_jwt_fingerprint(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
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
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
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

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "the identity token header \"%V\" contains \"%c\", "
                  "which nginx drops as an invalid header: add "
                  "\"ignore_invalid_headers off;\" to server \"%V\"",
                  &dlcf->token_header, bad, &cscf->server_name);

    return NGX_CONF_ERROR;
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

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dynamo_access_handler;

    return NGX_OK;
}
