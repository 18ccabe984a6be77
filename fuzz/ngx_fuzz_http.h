
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Fake HTTP requests, configurations and shared zones for the harnesses
 * of the files that need them (jwt, role, error, zone), in
 * ngx_fuzz_http.c.
 */


#ifndef _NGX_FUZZ_HTTP_H_INCLUDED_
#define _NGX_FUZZ_HTTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_fuzz.h"


/* a configuration being read: cf->cycle->conf_prefix is "prefix" */
ngx_conf_t *ngx_fuzz_conf(ngx_pool_t *pool, ngx_str_t *prefix);

/* sets cf->args to the n arguments, copied and NUL-terminated */
ngx_int_t ngx_fuzz_conf_args(ngx_conf_t *cf, ngx_str_t *argv, ngx_uint_t n);

/* a loc conf as the module's create_loc_conf() leaves it */
ngx_http_dynamo_loc_conf_t *ngx_fuzz_loc_conf(ngx_pool_t *pool);

/* a request of the location, with the module's main conf */
ngx_http_request_t *ngx_fuzz_request(ngx_pool_t *pool,
    ngx_http_dynamo_main_conf_t *dmcf);

/* "dynamo_zone fuzz:1m", initialized in a fresh slab of "budget" bytes */
ngx_int_t ngx_fuzz_zone(ngx_conf_t *cf, ngx_http_dynamo_main_conf_t *dmcf,
    size_t budget);

/* the status and body the last request was answered with */
ngx_uint_t ngx_fuzz_http_status(void);
ngx_str_t *ngx_fuzz_http_body(void);


#endif /* _NGX_FUZZ_HTTP_H_INCLUDED_ */
