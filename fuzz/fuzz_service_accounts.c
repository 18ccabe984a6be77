
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * ngx_http_dynamo_service_accounts(): the dynamo_service_accounts file,
 * then the bindings' sorting (ngx_http_dynamo_bindings_init()) and the role
 * of each identity (ngx_http_dynamo_role_select()), with and without an
 * X-Dynamo-Role naming one of its roles; and the role ARN parser.
 *
 * Input: a service accounts file (a JSON array of {"clientId", "name"}),
 * read from a memfd through its name; or, when it starts with "arn:", a
 * role ARN for ngx_http_dynamo_role_arn_parse() alone.
 *
 * Checked: a role ARN accepted has a name of 1 to 64 IAM characters that
 * ends it; every binding of a file accepted has a valid ARN; the bindings of
 * an accepted file sort, whatever its identities' length and case; each
 * identity gets its first role, the role its X-Dynamo-Role names by ARN
 * or by name; session names made from identities are 2 to 64 characters
 * of [\w+=,.@-].
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_dynamo.h"
#include "ngx_fuzz_http.h"


#define FUZZ_SELECT_MAX  16


static ngx_pool_t                   *fuzz_pool;
static ngx_http_dynamo_main_conf_t  *fuzz_dmcf;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    ngx_fuzz_init();

    fuzz_pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(fuzz_pool != NULL, "pool");

    fuzz_dmcf = ngx_pcalloc(fuzz_pool,
                            sizeof(ngx_http_dynamo_main_conf_t));
    ngx_fuzz_assert(fuzz_dmcf != NULL, "configuration");

    return 0;
}


static ngx_uint_t
fuzz_iam_char(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '='
           || c == ',' || c == '.' || c == '@' || c == '-';
}


/* an ARN accepted: its role name ends it, 1 to 64 IAM characters */

static void
fuzz_check_arn(ngx_str_t *arn)
{
    size_t      i;
    ngx_int_t   rc;
    ngx_str_t   name;

    rc = ngx_http_dynamo_role_arn_parse(arn, &name);

    if (rc != NGX_OK) {
        ngx_fuzz_assert(rc == NGX_ERROR, "arn_parse() answered %ld",
                        (long) rc);
        return;
    }

    ngx_fuzz_assert(arn->len >= 4 && ngx_strncmp(arn->data, "arn:", 4) == 0,
                    "an ARN without \"arn:\"");

    ngx_fuzz_assert(name.len >= 1 && name.len <= 64
                    && name.data + name.len == arn->data + arn->len
                    && name.data > arn->data && name.data[-1] == '/',
                    "the role name of \"%.*s\" is \"%.*s\"",
                    (int) arn->len, arn->data, (int) name.len, name.data);

    for (i = 0; i < name.len; i++) {
        ngx_fuzz_assert(fuzz_iam_char(name.data[i]),
                        "role name \"%.*s\" has a character not in IAM's",
                        (int) name.len, name.data);
    }
}


static void
fuzz_check_session_name(ngx_http_request_t *r, ngx_str_t *identity)
{
    size_t     i;
    ngx_str_t  out;

    ngx_fuzz_assert(ngx_http_dynamo_sts_name(r, identity, &out) == NGX_OK,
                    "sts_name()");

    ngx_fuzz_assert(out.len >= 2 && out.len <= 64,
                    "a session name of %zu characters", out.len);

    for (i = 0; i < out.len; i++) {
        ngx_fuzz_assert(fuzz_iam_char(out.data[i]),
                        "the session name \"%.*s\" has a character not "
                        "allowed", (int) out.len, out.data);
    }
}


/* the role the identity gets, asked for "wanted" (or nothing) */

static ngx_int_t
fuzz_select(ngx_http_request_t *r, ngx_http_dynamo_loc_conf_t *dlcf,
    ngx_str_t *identity, ngx_str_t *wanted, ngx_str_t *role)
{
    ngx_int_t               rc;
    ngx_http_dynamo_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dynamo_ctx_t));
    ngx_fuzz_assert(ctx != NULL, "ctx");

    ctx->caller.token.identity = *identity;
    ctx->caller.role_header = wanted;

    rc = ngx_http_dynamo_role_select(r, dlcf, ctx);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED,
                    "role_select() answered %ld", (long) rc);

    if (rc == NGX_OK) {
        *role = ctx->assume.role_arn;

    } else {
        ngx_fuzz_assert(ctx->err == NGX_HTTP_DYNAMO_ERR_ACCESS_DENIED
                        && ctx->message.len > 0, "a refusal without reason");
    }

    return rc;
}


static void
fuzz_check_bindings(ngx_http_request_t *r, ngx_http_dynamo_loc_conf_t *dlcf)
{
    ngx_int_t                   rc;
    ngx_str_t                   role, name, wname;
    ngx_uint_t                  i, j;
    ngx_http_dynamo_binding_t  *b;

    b = dlcf->bindings->elts;

    for (i = 0; i < ngx_min(dlcf->bindings->nelts, FUZZ_SELECT_MAX); i++) {

        /* no role asked: the identity's first */

        for (j = 0; j < i; j++) {
            if (b[j].identity.len == b[i].identity.len
                && ngx_memcmp(b[j].identity.data, b[i].identity.data,
                              b[i].identity.len) == 0)
            {
                break;
            }
        }

        rc = fuzz_select(r, dlcf, &b[i].identity, NULL, &role);

        ngx_fuzz_assert(rc == NGX_OK, "identity \"%.*s\" has no role",
                        (int) b[i].identity.len, b[i].identity.data);

        ngx_fuzz_assert(role.len == b[j].role_arn.len
                        && ngx_memcmp(role.data, b[j].role_arn.data,
                                      role.len) == 0,
                        "identity \"%.*s\" got the role \"%.*s\", not its "
                        "first one", (int) b[i].identity.len,
                        b[i].identity.data, (int) role.len, role.data);

        /* asked by ARN: that one */

        rc = fuzz_select(r, dlcf, &b[i].identity, &b[i].role_arn, &role);

        ngx_fuzz_assert(rc == NGX_OK
                        && role.len == b[i].role_arn.len
                        && ngx_memcmp(role.data, b[i].role_arn.data,
                                      role.len) == 0,
                        "identity \"%.*s\" asking for its role \"%.*s\"",
                        (int) b[i].identity.len, b[i].identity.data,
                        (int) b[i].role_arn.len, b[i].role_arn.data);

        /* asked by name: one of that name */

        ngx_fuzz_assert(ngx_http_dynamo_role_arn_parse(&b[i].role_arn, &name)
                        == NGX_OK, "a binding's ARN does not parse");

        rc = fuzz_select(r, dlcf, &b[i].identity, &name, &role);

        ngx_fuzz_assert(rc == NGX_OK
                        && ngx_http_dynamo_role_arn_parse(&role, &wname)
                           == NGX_OK
                        && wname.len == name.len
                        && ngx_memcmp(wname.data, name.data, name.len) == 0,
                        "identity \"%.*s\" asking for its role named "
                        "\"%.*s\"", (int) b[i].identity.len,
                        b[i].identity.data, (int) name.len, name.data);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                        *rv;
    ngx_int_t                    rc;
    ngx_str_t                    arn, args[2];
    ngx_uint_t                   i;
    ngx_pool_t                  *pool;
    ngx_conf_t                  *cf;
    ngx_http_request_t          *r;
    ngx_http_dynamo_binding_t   *b;
    ngx_http_dynamo_loc_conf_t  *dlcf;

    if (size >= 4 && ngx_strncmp(data, "arn:", 4) == 0) {
        arn.data = malloc(size);
        ngx_fuzz_assert(arn.data != NULL, "malloc");

        ngx_memcpy(arn.data, data, size);
        arn.len = size;

        fuzz_check_arn(&arn);

        free(arn.data);

        return 0;
    }

    pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(pool != NULL, "pool");

    cf = ngx_fuzz_conf(pool, ngx_fuzz_file_dir());
    dlcf = ngx_fuzz_loc_conf(pool);
    r = ngx_fuzz_request(pool, fuzz_dmcf);

    ngx_fuzz_assert(cf && dlcf && r, "configuration");
    ngx_fuzz_assert(ngx_fuzz_zone(cf, fuzz_dmcf, 64 * 1024) == NGX_OK,
                    "zone");

    ngx_str_set(&args[0], "dynamo_service_accounts");
    args[1] = *ngx_fuzz_file((u_char *) data, size);

    ngx_fuzz_assert(ngx_fuzz_conf_args(cf, args, 2) == NGX_OK, "args");

    rv = ngx_http_dynamo_service_accounts(cf, NULL, dlcf);

    if (rv != NGX_CONF_OK || dlcf->bindings == NGX_CONF_UNSET_PTR) {
        goto done;
    }

    /* what was accepted */

    b = dlcf->bindings->elts;

    for (i = 0; i < dlcf->bindings->nelts; i++) {
        fuzz_check_arn(&b[i].role_arn);

        ngx_fuzz_assert(ngx_http_dynamo_role_arn_parse(&b[i].role_arn, &arn)
                        == NGX_OK, "a binding with an invalid role ARN");

        ngx_fuzz_assert(b[i].identity.len > 0
                        && b[i].identity.len <= NGX_HTTP_DYNAMO_IDENTITY_MAX,
                        "an identity of %zu bytes", b[i].identity.len);

        fuzz_check_session_name(r, &b[i].identity);
    }

    /* merged as the module's merge_loc_conf() does */

    rc = ngx_http_dynamo_bindings_init(cf, dlcf);

    ngx_fuzz_assert(rc == NGX_OK,
                    "the bindings of an accepted file do not build");

    dlcf->role_rules = NULL;

    fuzz_check_bindings(r, dlcf);

done:

    ngx_fuzz_assert(ngx_fuzz_locks_held() == 0, "a zone mutex is held");

    ngx_destroy_pool(pool);
    ngx_fuzz_slab_reset();

    return 0;
}
