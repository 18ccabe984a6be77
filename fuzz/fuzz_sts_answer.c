
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The parsers of ngx_http_dynamo_sts_answer.c: every input goes through
 * the STS parser (XML or JSON), the IMDS parser and the ECS parser, each
 * with a pool of its own and a copy of exactly the input's size; inputs
 * of 64 bytes or less through the time parser too.
 *
 * Checked, as the header promises: credentials accepted have an access
 * key id of 16 to 128 [A-Z0-9], a secret and a session token of printable
 * ASCII without spaces within their maxima (a token always but for ECS),
 * an expiration in 1970 .. 9999; an error answer has a code, error texts
 * within their maxima and without control characters; the time parser
 * agrees with timegm() on "YYYY-MM-DDTHH:MM:SSZ".
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_sts_answer.h"
#include "ngx_fuzz.h"

#include <time.h>


#define FUZZ_STS   0
#define FUZZ_IMDS  1
#define FUZZ_ECS   2


static const char  *fuzz_parsers[] = { "STS", "IMDS", "ECS" };


static void
fuzz_check_secret(ngx_uint_t kind, const char *what, ngx_str_t *s,
    size_t max, ngx_uint_t optional)
{
    size_t  i;

    ngx_fuzz_assert((s->len > 0 || optional) && s->len <= max,
                    "%s: %s of %zu bytes", fuzz_parsers[kind], what, s->len);

    for (i = 0; i < s->len; i++) {
        ngx_fuzz_assert(s->data[i] >= 0x21 && s->data[i] <= 0x7e,
                        "%s: %s has byte 0x%02x", fuzz_parsers[kind], what,
                        s->data[i]);
    }
}


static void
fuzz_check_text(ngx_uint_t kind, const char *what, ngx_str_t *s, size_t max)
{
    size_t  i;

    ngx_fuzz_assert(s->len <= max, "%s: %s of %zu bytes",
                    fuzz_parsers[kind], what, s->len);

    for (i = 0; i < s->len; i++) {
        ngx_fuzz_assert(s->data[i] >= 0x20 && s->data[i] != 0x7f,
                        "%s: %s has control byte 0x%02x",
                        fuzz_parsers[kind], what, s->data[i]);
    }
}


static void
fuzz_parse(ngx_uint_t kind, const uint8_t *data, size_t size)
{
    u_char                       *copy;
    size_t                        i;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    ngx_http_dynamo_aws_creds_t   creds;

    copy = ngx_fuzz_copy(data, size);

    pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(pool != NULL, "pool");

    ngx_memset(&creds, 0xa5, sizeof(creds));

    switch (kind) {
    case FUZZ_STS:
        rc = ngx_http_dynamo_sts_answer_parse(pool, ngx_fuzz_log(), copy,
                                              size, &creds);
        break;

    case FUZZ_IMDS:
        rc = ngx_http_dynamo_imds_answer_parse(pool, ngx_fuzz_log(), copy,
                                               size, &creds);
        break;

    default:
        rc = ngx_http_dynamo_ecs_answer_parse(pool, ngx_fuzz_log(), copy,
                                              size, &creds);
        break;
    }

    if (rc == NGX_OK) {
        ngx_fuzz_assert(creds.access_key_id.len >= NGX_HTTP_DYNAMO_AWS_AKID_MIN
                        && creds.access_key_id.len
                           <= NGX_HTTP_DYNAMO_AWS_AKID_MAX,
                        "%s: an access key id of %zu bytes",
                        fuzz_parsers[kind], creds.access_key_id.len);

        for (i = 0; i < creds.access_key_id.len; i++) {
            ngx_fuzz_assert((creds.access_key_id.data[i] >= 'A'
                             && creds.access_key_id.data[i] <= 'Z')
                            || (creds.access_key_id.data[i] >= '0'
                                && creds.access_key_id.data[i] <= '9'),
                            "%s: access key id byte 0x%02x",
                            fuzz_parsers[kind], creds.access_key_id.data[i]);
        }

        fuzz_check_secret(kind, "secret", &creds.secret_access_key,
                          NGX_HTTP_DYNAMO_AWS_SECRET_MAX, 0);
        fuzz_check_secret(kind, "session token", &creds.session_token,
                          NGX_HTTP_DYNAMO_AWS_TOKEN_MAX, kind == FUZZ_ECS);
        fuzz_check_secret(kind, "role ARN", &creds.assumed_role_arn,
                          NGX_HTTP_DYNAMO_AWS_ARN_MAX, 1);

        ngx_fuzz_assert(creds.expiration > 0
                        && creds.expiration <= NGX_HTTP_DYNAMO_AWS_TIME_MAX,
                        "%s: expiration %lld", fuzz_parsers[kind],
                        (long long) creds.expiration);

    } else if (rc == NGX_DECLINED) {
        ngx_fuzz_assert(creds.error_code.len > 0, "%s: an error without code",
                        fuzz_parsers[kind]);

        fuzz_check_text(kind, "error code", &creds.error_code,
                        NGX_HTTP_DYNAMO_AWS_ERROR_CODE_MAX);
        fuzz_check_text(kind, "error type", &creds.error_type,
                        NGX_HTTP_DYNAMO_AWS_ERROR_TYPE_MAX);
        fuzz_check_text(kind, "error message", &creds.error_message,
                        NGX_HTTP_DYNAMO_AWS_ERROR_MSG_MAX);

        ngx_fuzz_assert(creds.access_key_id.len == 0
                        && creds.secret_access_key.len == 0
                        && creds.session_token.len == 0,
                        "%s: an error answer with credentials",
                        fuzz_parsers[kind]);

    } else {
        ngx_fuzz_assert(rc == NGX_ERROR, "%s: answered %ld",
                        fuzz_parsers[kind], (long) rc);
    }

    ngx_destroy_pool(pool);
    free(copy);
}


static ngx_int_t
fuzz_number(const uint8_t *p, size_t n, int *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_ERROR;
        }

        *v = *v * 10 + (p[i] - '0');
    }

    return NGX_OK;
}


/* "YYYY-MM-DDTHH:MM:SSZ": accepted exactly when valid, as timegm() says */

static void
fuzz_time(const uint8_t *data, size_t size)
{
    int        y, mo, d, h, mi, s, mdays;
    u_char    *copy;
    time_t     t, expect;
    ngx_int_t  rc;
    struct tm  tm;

    static int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    copy = ngx_fuzz_copy(data, size);

    rc = ngx_http_dynamo_parse_aws_time(copy, size, &t);

    free(copy);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_ERROR, "parse_aws_time()");

    if (rc == NGX_OK) {
        ngx_fuzz_assert(t >= 0 && t <= NGX_HTTP_DYNAMO_AWS_TIME_MAX,
                        "time %lld", (long long) t);
    }

    if (size != 20 || data[4] != '-' || data[7] != '-' || data[10] != 'T'
        || data[13] != ':' || data[16] != ':' || data[19] != 'Z'
        || fuzz_number(data, 4, &y) != NGX_OK
        || fuzz_number(data + 5, 2, &mo) != NGX_OK
        || fuzz_number(data + 8, 2, &d) != NGX_OK
        || fuzz_number(data + 11, 2, &h) != NGX_OK
        || fuzz_number(data + 14, 2, &mi) != NGX_OK
        || fuzz_number(data + 17, 2, &s) != NGX_OK
        || s == 60)
    {
        return;
    }

    mdays = 0;

    if (mo >= 1 && mo <= 12) {
        mdays = days[mo - 1];

        if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
            mdays = 29;
        }
    }

    if (y < 1970 || mdays == 0 || d < 1 || d > mdays || h > 23 || mi > 59
        || s > 59)
    {
        ngx_fuzz_assert(rc == NGX_ERROR, "accepted the invalid time %.20s",
                        data);
        return;
    }

    ngx_fuzz_assert(rc == NGX_OK, "refused the valid time %.20s", data);

    ngx_memzero(&tm, sizeof(struct tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;

    expect = timegm(&tm);

    ngx_fuzz_assert(t == expect, "%.20s is %lld, not %lld", data,
                    (long long) t, (long long) expect);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse(FUZZ_STS, data, size);
    fuzz_parse(FUZZ_IMDS, data, size);
    fuzz_parse(FUZZ_ECS, data, size);

    if (size <= 64) {
        fuzz_time(data, size);
    }

    return 0;
}
