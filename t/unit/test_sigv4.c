
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Unit tests of ngx_http_dynamo_sigv4.c.  Every signature is compared
 * with botocore's: the cases are written to a JSON file, the oracle
 * (t/unit/sigv4_oracle.py, run with Debian's python3) signs them, and its
 * answers are compared character for character.  AWS's published SigV4
 * test-suite answers are checked as well.
 *
 *   test_sigv4 [corpus]   run the tests (from the repository's top), the
 *                         seeds of t/unit/corpus/sigv4 among them
 *   test_sigv4 --bench    time signatures and key derivations
 *
 * DYNAMO_PYTHON and DYNAMO_SIGV4_ORACLE override the python and the
 * oracle's path.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_sigv4.h"
#include "ngx_http_dynamo_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>


#define TEST_MAX_HEADERS  64
#define TEST_MAX_CASES    64
#define TEST_PYTHON       "/usr/bin/python3"
#define TEST_ORACLE       "t/unit/sigv4_oracle.py"
#define TEST_CORPUS       "t/unit/corpus/sigv4"

/* AWS's test-suite credentials and time */
#define SUITE_AKID        "AKIDEXAMPLE"
#define SUITE_SECRET      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME        "20150830T123600Z"
#define SUITE_HOST        "example.amazonaws.com"
#define SUITE_SCOPE       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" \
                          "us-east-1/service/aws4_request, "

/* ours */
#define T_AKID            "ASIAQNZGKIQY56JQ7WML"
#define T_SECRET          "3lPE4XJMtbSo0ZfhSGUOeJJpRI0Ft2LRixsyNdRq"
#define T_TOKEN                                                              \
    "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6Yq0Kp3nD+1Ux" \
    "ZmB8m3OKD4ZyPGn0JbQe3D4fyy7F5wIgTtVm0ZbC2ZnY8c5Vf6Gq4XzB2yK3bUu0GZ1h" \
    "Qm3P0V0qmgIIUxAAGgw3NDQ2MzY1MTg0NjYiDKg6tB7+cH1mWjT0yCr3AeYqL0b+7c4S" \
    "d5C5H9vR1Qb0f4K0eQ7x8s0F1v/0+g5J3vR9a8c0yH1q3hU5W8i4f2o0Q9p8Xb3T7z1r" \
    "N2k6M4s8Yw0eL5u9Jd3Zc7Vb1Ra2Pq0Ft6Hg4Ki8Lm2Nn0Oo9Pp3Qq5Rr7Ss1Tt4Uu6Vv" \
    "8Ww2Xx0Yy9Zz3Aa5Bb7Cc1Dd4Ee6Ff8Gg2Hh0Ii9Jj3Kk5Ll7Mm1Nn4Oo6Pp8Qq2Rr0S" \
    "s9Tt3Uu5Vv7Ww1Xx4Yy6Zz8Aa2Bb0Cc9Dd3Ee5Ff7Gg1Hh4Ii6Jj8Kk2Ll0Mm9Nn3Oo5" \
    "Pp7Qq1Rr4Ss6Tt8Uu2Vv0Ww9Xx3Yy5Zz7=="
#define T_TIME            "20261123T100000Z"
#define T_DDB             "dynamodb.us-east-1.amazonaws.com"
#define T_JSON            "application/x-amz-json-1.0"
#define T_FORM            "application/x-www-form-urlencoded; charset=utf-8"


typedef struct {
    const char  *name;
    const char  *method;
    const char  *scheme;
    const char  *host;          /* also the Host header */
    const char  *uri;           /* canonical */
    const char  *url_query;     /* as in the URL, for the oracle */
    const char  *query;         /* canonical */
    const char  *headers[TEST_MAX_HEADERS];  /* name, value, ..., NULL */
    const char  *body;
    size_t       body_gen;      /* generate that many bytes instead */
    size_t       token_gen;     /* generate a token that long */
    int          form;          /* body: the STS form below */
    const char  *timestamp;
    const char  *access_key;
    const char  *secret_key;
    const char  *token;
    const char  *region;
    const char  *service;
    const char  *expected;      /* a published answer */
} test_case_t;


typedef struct {
    const char  *name;
    const char  *params[24];    /* key, value, ..., NULL */
} test_form_t;


static test_form_t  forms[] = {

    { "assume-role",
      { "Action", "AssumeRole",
        "Version", "2011-06-15",
        "RoleArn", "arn:aws:iam::123456789012:role/dynamo-readers",
        "RoleSessionName", "drsa-sa-default-2b7c@example.com",
        "DurationSeconds", "3600",
        "ExternalId", "ext id/+=&?#%~*",
        "SourceIdentity", "svc.account,1=2",
        "Tags.member.1.Key", "identity",
        "Tags.member.1.Value", "drsa/sa/default/4f1c2e8a",
        NULL } },

    { "assume-role-policy",
      { "Action", "AssumeRole",
        "Version", "2011-06-15",
        "RoleArn", "arn:aws:iam::210987654321:role/cross account",
        "RoleSessionName", "x",
        "Policy", "{\"Version\": \"2012-10-17\", \"Statement\": [{"
                  "\"Effect\": \"Allow\", \"Action\": \"dynamodb:*\", "
                  "\"Resource\": \"*\", \"Sid\": \"caf\xc3\xa9 \xe2\x82\xac "
                  "\xf0\x9f\x98\x80\"}]}",
        NULL } },

    { "web-identity",
      { "Action", "AssumeRoleWithWebIdentity",
        "Version", "2011-06-15",
        "RoleArn", "arn:aws:iam::123456789012:role/eks-pod",
        "RoleSessionName", "botocore-session-1763892345",
        "WebIdentityToken", "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOi"
                            "JzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAif"
                            "Q.c2lnbmF0dXJlLV9-",
        NULL } },

    { "printable",
      { " !\"#$%&'()*+,-./", "0123456789:;<=>?@",
        "ABCXYZ[\\]^_`", "abcxyz{|}~\x7f",
        "empty", "",
        "", "empty-key",
        NULL } },

    /* the encoder byte by byte: what is kept, what is escaped */

    { "encodes",
      { "kept", "abcXYZ019-_.~",
        "punctuation", " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}",
        "arn", "arn:aws:iam::123456789012:role/a b",
        "utf-8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "controls", "\x01\x1f\x7f",
        NULL } },

    { NULL, { NULL } }
};


static test_case_t  cases[TEST_MAX_CASES] = {

    /* AWS's SigV4 test suite */

    { "get-vanilla", "GET", "https", SUITE_HOST, "/", "", "",
      { "Host", SUITE_HOST, "X-Amz-Date", SUITE_TIME, NULL },
      "", 0, 0, 0, SUITE_TIME, SUITE_AKID, SUITE_SECRET, NULL,
      "us-east-1", "service",
      SUITE_SCOPE "SignedHeaders=host;x-amz-date, Signature="
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "post-vanilla", "POST", "https", SUITE_HOST, "/", "", "",
      { "Host", SUITE_HOST, "X-Amz-Date", SUITE_TIME, NULL },
      "", 0, 0, 0, SUITE_TIME, SUITE_AKID, SUITE_SECRET, NULL,
      "us-east-1", "service",
      SUITE_SCOPE "SignedHeaders=host;x-amz-date, Signature="
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },

    { "get-vanilla-query-order-key-case", "GET", "https", SUITE_HOST, "/",
      "Param2=value2&Param1=value1", "Param1=value1&Param2=value2",
      { "Host", SUITE_HOST, "X-Amz-Date", SUITE_TIME, NULL },
      "", 0, 0, 0, SUITE_TIME, SUITE_AKID, SUITE_SECRET, NULL,
      "us-east-1", "service",
      SUITE_SCOPE "SignedHeaders=host;x-amz-date, Signature="
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },

    { "post-x-www-form-urlencoded", "POST", "https", SUITE_HOST, "/", "", "",
      { "Content-Type", "application/x-www-form-urlencoded",
        "Host", SUITE_HOST, "X-Amz-Date", SUITE_TIME, NULL },
      "Param1=value1", 0, 0, 0, SUITE_TIME, SUITE_AKID, SUITE_SECRET, NULL,
      "us-east-1", "service",
      SUITE_SCOPE "SignedHeaders=content-type;host;x-amz-date, Signature="
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },

    { "get-header-value-trim", "GET", "https", SUITE_HOST, "/", "", "",
      { "Host", SUITE_HOST, "My-Header1", " value1 ",
        "My-Header2", " \"a   b   c\" ", "X-Amz-Date", SUITE_TIME, NULL },
      "", 0, 0, 0, SUITE_TIME, SUITE_AKID, SUITE_SECRET, NULL,
      "us-east-1", "service",
      SUITE_SCOPE "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
      "Signature="
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },

    { "get-header-key-duplicate", "GET", "https", SUITE_HOST, "/", "", "",
      { "Host", SUITE_HOST, "My-Header1", "value2", "My-Header1", "value2",
        "My-Header1", "value1", "X-Amz-Date", SUITE_TIME, NULL },
      "", 0, 0, 0, SUITE_TIME, SUITE_AKID, SUITE_SECRET, NULL,
      "us-east-1", "service",
      SUITE_SCOPE "SignedHeaders=host;my-header1;x-amz-date, Signature="
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },

    /* DynamoDB, as the gateway signs it */

    { "ddb-list-tables", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.ListTables",
        "Content-Type", T_JSON, NULL },
      "{}", 0, 0, 0, T_TIME, "AKIAIOSFODNN7EXAMPLE",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL,
      "us-east-1", "dynamodb", NULL },

    { "ddb-put-item-token", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.PutItem",
        "Content-Type", T_JSON, "X-Amz-Security-Token", T_TOKEN, NULL },
      "{\"TableName\":\"Music\",\"Item\":{\"Artist\":{\"S\":\"No One You "
      "Know\"},\"SongTitle\":{\"S\":\"Call Me Today\"}}}",
      0, 0, 0, T_TIME, T_AKID, T_SECRET, T_TOKEN, "us-east-1", "dynamodb",
      NULL },

    { "ddb-empty-body-token", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.DescribeEndpoints",
        "Content-Type", T_JSON, "X-Amz-Security-Token", T_TOKEN, NULL },
      "", 0, 0, 0, T_TIME, T_AKID, T_SECRET, T_TOKEN, "us-east-1",
      "dynamodb", NULL },

    { "ddb-batch-2mb", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.BatchWriteItem",
        "Content-Type", T_JSON, "X-Amz-Security-Token", T_TOKEN, NULL },
      NULL, 2 * 1024 * 1024 + 13, 0, 0, T_TIME, T_AKID, T_SECRET, T_TOKEN,
      "us-east-1", "dynamodb", NULL },

    { "ddb-unicode-body", "POST", "https", "dynamodb.eu-west-3.amazonaws.com",
      "/", "", "",
      { "Host", "dynamodb.eu-west-3.amazonaws.com", "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.PutItem",
        "Content-Type", T_JSON, "X-Amz-Security-Token", T_TOKEN, NULL },
      "{\"TableName\":\"Caf\xc3\xa9\",\"Item\":{\"k\":{\"S\":\"\xe6\x97\xa5"
      "\xe6\x9c\xac \xf0\x9f\x98\x80 \xe2\x82\xac \\u00e9\"}}}",
      0, 0, 0, T_TIME, T_AKID, T_SECRET, T_TOKEN, "eu-west-3", "dynamodb",
      NULL },

    { "ddb-spaces-and-case", "POST", "https", T_DDB, "/", "", "",
      { "hOST", T_DDB, "x-AMZ-date", T_TIME,
        "X-AMZ-TARGET", "   DynamoDB_20120810.Query  ",
        "content-TYPE", "\tapplication/x-amz-json-1.0;   charset =  utf-8 ",
        "X-Dynamo-Test", "  a  b\t\tc \t d   ",
        "X-Dynamo-Empty", "   ",
        "X-Dynamo-Empty2", "",
        "X-Amz-Security-Token", T_TOKEN, NULL },
      "{\"TableName\":\"t\"}", 0, 0, 0, T_TIME, T_AKID, T_SECRET, T_TOKEN,
      "us-east-1", "dynamodb", NULL },

    { "ddb-unicode-spaces", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.GetItem",
        "Content-Type", T_JSON,
        "X-Dynamo-Test", "\xc2\xa0" "a\xc2\xa0\xc2\xa0" "b\xe3\x80\x80"
                         "c\xe2\x80\x8a" "d\xe2\x80\xaf" "e\x1f" "f\xc2\x85"
                         "g\xe1\x9a\x80" "h\xe2\x81\x9f" "i\xe2\x80\xa8"
                         "\xc3\xa9\xe2\x80\x8b" "j\xc2\xa0",
        NULL },
      "{}", 0, 0, 0, T_TIME, T_AKID, T_SECRET, NULL, "us-east-1",
      "dynamodb", NULL },

    { "ddb-repeated-headers", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Dynamo-B", " second ", "X-Amz-Target",
        "DynamoDB_20120810.Scan", "x-dynamo-a", "1", "X-Dynamo-B", "first",
        "X-DYNAMO-A", " 2  3 ", "Content-Type", T_JSON, "x-dynamo-a", "",
        NULL },
      "{\"TableName\":\"t\"}", 0, 0, 0, T_TIME, T_AKID, T_SECRET, NULL,
      "us-east-1", "dynamodb", NULL },

    { "ddb-local-port", "POST", "http", "localhost:8000", "/", "", "",
      { "Host", "localhost:8000", "X-Amz-Date", "20260101T000000Z",
        "X-Amz-Target", "DynamoDB_20120810.DescribeTable",
        "Content-Type", T_JSON, "X-Amz-Security-Token", T_TOKEN, NULL },
      "{\"TableName\":\"Music\"}", 0, 0, 0, "20260101T000000Z", T_AKID,
      T_SECRET, T_TOKEN, "us-west-2", "dynamodb", NULL },

    { "ddb-long-token", "POST", "https", T_DDB, "/", "", "",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.GetItem",
        "Content-Type", T_JSON, "X-Amz-Security-Token", NULL, NULL },
      "{\"TableName\":\"t\",\"Key\":{\"k\":{\"S\":\"v\"}}}", 0, 6000, 0,
      T_TIME, T_AKID, T_SECRET, NULL, "ap-southeast-2", "dynamodb", NULL },

    { "ddb-many-headers", "POST", "https", T_DDB, "/", "a=1&b=2", "a=1&b=2",
      { "Host", T_DDB, "X-Amz-Date", T_TIME,
        "X-Amz-Target", "DynamoDB_20120810.Scan", "Content-Type", T_JSON,
        "X-H01", "1", "X-H02", "2", "X-H03", "3", "X-H04", "4",
        "X-H05", "5", "X-H06", "6", "X-H07", "7", "X-H08", "8",
        "X-H09", "9", "X-H10", "10", "X-H11", "11", "X-H12", "12",
        "X-H13", "13", "X-H14", "14", "X-H15", "15", "X-H16", "16",
        "X-H17", "17", "X-H18", "18", "X-H19", "19",
        "X-Amz-Security-Token", T_TOKEN, NULL },
      "{}", 0, 0, 0, T_TIME, T_AKID, T_SECRET, T_TOKEN, "us-east-1",
      "dynamodb", NULL },

    /* STS, with the gateway's own base credentials */

    { "sts-assume-role", "POST", "https", "sts.us-east-1.amazonaws.com", "/",
      "", "",
      { "Content-Type", T_FORM, "Host", "sts.us-east-1.amazonaws.com",
        "X-Amz-Date", T_TIME, NULL },
      NULL, 0, 0, 1, T_TIME, "AKIAIOSFODNN7EXAMPLE",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL, "us-east-1", "sts",
      NULL },

    { "sts-assume-role-token", "POST", "https",
      "sts.eu-central-1.amazonaws.com", "/", "", "",
      { "Content-Type", T_FORM, "Host", "sts.eu-central-1.amazonaws.com",
        "X-Amz-Date", "20261231T235959Z", "X-Amz-Security-Token", T_TOKEN,
        NULL },
      NULL, 0, 0, 1, "20261231T235959Z", T_AKID, T_SECRET, T_TOKEN,
      "eu-central-1", "sts", NULL },

    { NULL, NULL, NULL, NULL, NULL, NULL, NULL, { NULL }, NULL, 0, 0, 0,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL }
};


static int  failures;
static int  checks;


#define check(cond, ...)                                                     \
    do {                                                                      \
        checks++;                                                             \
        if (!(cond)) {                                                        \
            failures++;                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
        }                                                                     \
    } while (0)


typedef struct {
    u_char      *body;
    size_t       body_len;
    char        *token;         /* the token actually used */
    u_char      *file;          /* a corpus file, cut in pieces */
    char        *region;
    char         url[512];
    ngx_str_t    canonical;     /* from the debug hook, masked */
    ngx_str_t    sts;
    int          hooked;
} test_run_t;


static test_run_t  runs[TEST_MAX_CASES];
static ngx_str_t   form_bodies[16];


static void
test_debug_hook(void *data, ngx_str_t *canonical, ngx_str_t *sts)
{
    test_run_t  *run = data;

    run->canonical.data = malloc(canonical->len + 1);
    run->sts.data = malloc(sts->len + 1);

    if (run->canonical.data == NULL || run->sts.data == NULL) {
        abort();
    }

    memcpy(run->canonical.data, canonical->data, canonical->len);
    run->canonical.len = canonical->len;
    memcpy(run->sts.data, sts->data, sts->len);
    run->sts.len = sts->len;
    run->hooked = 1;
}


static void
test_prepare(ngx_pool_t *pool)
{
    size_t        i, j, n;
    uint32_t      x;
    test_run_t   *run;
    test_case_t  *c;
    test_form_t  *f;
    ngx_http_dynamo_aws_param_t  params[16];

    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    for (i = 0; forms[i].name; i++) {
        f = &forms[i];

        for (n = 0; f->params[2 * n]; n++) {
            params[n].key.data = (u_char *) f->params[2 * n];
            params[n].key.len = strlen(f->params[2 * n]);
            params[n].value.data = (u_char *) f->params[2 * n + 1];
            params[n].value.len = strlen(f->params[2 * n + 1]);
        }

        check(ngx_http_dynamo_aws_form(pool, params, n, &form_bodies[i])
              == NGX_OK, "form %s", f->name);
    }

    for (i = 0; cases[i].name; i++) {
        c = &cases[i];
        run = &runs[i];

        if (c->form) {
            run->body = form_bodies[0].data;
            run->body_len = form_bodies[0].len;

        } else if (c->body_gen) {
            run->body = malloc(c->body_gen);
            if (run->body == NULL) {
                abort();
            }

            x = 2463534242u;

            for (j = 0; j < c->body_gen; j++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                run->body[j] = (u_char) x;
            }

            run->body_len = c->body_gen;

        } else if (c->body != NULL) {
            run->body = (u_char *) c->body;
            run->body_len = strlen(c->body);
        }

        /* else: a corpus file's, already there */

        run->token = (char *) c->token;

        if (c->token_gen) {
            run->token = malloc(c->token_gen + 1);
            if (run->token == NULL) {
                abort();
            }

            for (j = 0; j < c->token_gen; j++) {
                run->token[j] = b64[(j * 7 + j / 64) % 64];
            }

            run->token[c->token_gen] = '\0';

            for (j = 0; c->headers[j]; j += 2) {
                if (c->headers[j + 1] == NULL) {
                    c->headers[j + 1] = run->token;
                    break;
                }
            }
        }

        snprintf(run->url, sizeof(run->url), "%s://%s%s%s%s", c->scheme,
                 c->host, c->uri, c->url_query[0] ? "?" : "", c->url_query);
    }
}


static char *
test_write_spec(void)
{
    int           fd;
    char         *path;
    char         *b64;
    size_t        i, j;
    json_t       *root, *list, *o, *hs, *ps;
    const char   *tmp;
    test_run_t   *run;
    test_case_t  *c;

    tmp = getenv("TMPDIR");
    if (tmp == NULL) {
        tmp = "/tmp";
    }

    path = malloc(strlen(tmp) + 32);
    if (path == NULL) {
        abort();
    }

    sprintf(path, "%s/test_sigv4.XXXXXX", tmp);

    fd = mkstemp(path);
    if (fd == -1) {
        perror("mkstemp");
        exit(2);
    }

    close(fd);

    root = json_object();
    list = json_array();
    json_object_set_new(root, "cases", list);

    for (i = 0; cases[i].name; i++) {
        c = &cases[i];
        run = &runs[i];

        b64 = malloc(4 * (run->body_len / 3 + 1) + 1);
        if (b64 == NULL) {
            abort();
        }

        EVP_EncodeBlock((u_char *) b64, run->body, (int) run->body_len);

        hs = json_array();

        for (j = 0; c->headers[j]; j += 2) {
            json_array_append_new(hs, json_pack("[ss]", c->headers[j],
                                                c->headers[j + 1]));
        }

        o = json_pack("{ss ss ss so ss ss ss ss ss ss}",
                      "name", c->name, "method", c->method,
                      "url", run->url, "headers", hs, "body_b64", b64,
                      "timestamp", c->timestamp, "access_key", c->access_key,
                      "secret_key", c->secret_key, "region", c->region,
                      "service", c->service);
        if (o == NULL) {
            fprintf(stderr, "json_pack() failed for %s\n", c->name);
            exit(2);
        }

        if (run->token) {
            json_object_set_new(o, "token", json_string(run->token));
        }

        json_array_append_new(list, o);

        free(b64);
    }

    list = json_array();
    json_object_set_new(root, "forms", list);

    for (i = 0; forms[i].name; i++) {
        ps = json_array();

        for (j = 0; forms[i].params[j]; j += 2) {
            json_array_append_new(ps, json_pack("[ss]", forms[i].params[j],
                                                forms[i].params[j + 1]));
        }

        json_array_append_new(list, json_pack("{ss so}", "name",
                                              forms[i].name, "params", ps));
    }

    if (json_dump_file(root, path, JSON_COMPACT) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }

    json_decref(root);

    return path;
}


static json_t *
test_run_oracle(const char *spec)
{
    FILE        *f;
    char        *line, *cmd;
    size_t       size;
    json_t      *answers, *a;
    ssize_t      n;
    const char  *python, *oracle;

    python = getenv("DYNAMO_PYTHON");
    if (python == NULL) {
        python = TEST_PYTHON;
    }

    oracle = getenv("DYNAMO_SIGV4_ORACLE");
    if (oracle == NULL) {
        oracle = TEST_ORACLE;
    }

    cmd = malloc(strlen(python) + strlen(oracle) + strlen(spec) + 8);
    if (cmd == NULL) {
        abort();
    }

    sprintf(cmd, "%s %s %s", python, oracle, spec);

    f = popen(cmd, "r");
    if (f == NULL) {
        perror("popen");
        exit(2);
    }

    answers = json_object();
    line = NULL;
    size = 0;

    while ((n = getline(&line, &size, f)) > 0) {
        a = json_loads(line, 0, NULL);
        if (a == NULL || !json_is_string(json_object_get(a, "name"))) {
            fprintf(stderr, "oracle said: %s", line);
            exit(2);
        }

        json_object_set_new(answers,
                            json_string_value(json_object_get(a, "name")), a);
    }

    free(line);

    if (pclose(f) != 0) {
        fprintf(stderr, "the oracle \"%s\" failed\n", cmd);
        exit(2);
    }

    free(cmd);

    return answers;
}


/*
 * The seeds in t/unit/corpus/sigv4 are requests as they go on the wire:
 * "METHOD target HTTP/1.1", "Name:value" lines (the value is everything
 * after the colon, white space included), an empty line, the body.  The
 * query must already be canonical.  Each is signed with the test's
 * credentials at its X-Amz-Date, its X-Amz-Security-Token as the token,
 * for the region and service its Host names.
 */

static void
test_load_corpus(const char *dir)
{
    char           path[1024];
    long           size;
    FILE          *f;
    DIR           *d;
    char          *p, *line, *next, *colon, *q;
    size_t         n, h;
    test_run_t    *run;
    test_case_t   *c;
    struct dirent *e;

    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "no corpus at %s, skipped\n", dir);
        return;
    }

    for (n = 0; cases[n].name; n++) { /* void */ }

    while ((e = readdir(d)) != NULL && n < TEST_MAX_CASES - 1) {
        if (e->d_name[0] == '.') {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);

        f = fopen(path, "rb");
        if (f == NULL) {
            continue;
        }

        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fseek(f, 0, SEEK_SET);

        c = &cases[n];
        run = &runs[n];

        run->file = malloc(size + 1 + strlen(e->d_name) + 1);
        if (run->file == NULL || fread(run->file, 1, size, f) != (size_t) size)
        {
            fprintf(stderr, "cannot read %s\n", path);
            exit(2);
        }

        fclose(f);

        run->file[size] = '\0';
        p = (char *) run->file;

        c->name = strcpy(p + size + 1, e->d_name);
        c->timestamp = NULL;
        c->token = NULL;
        c->access_key = T_AKID;
        c->secret_key = T_SECRET;
        c->region = "us-east-1";
        c->service = "dynamodb";
        c->scheme = "https";
        c->url_query = "";
        c->query = "";

        /* the request line */

        next = strchr(p, '\n');
        if (next == NULL) {
            fprintf(stderr, "%s: no request line\n", path);
            exit(2);
        }

        *next++ = '\0';

        c->method = p;
        p = strchr(p, ' ');
        *p++ = '\0';
        c->uri = p;
        p = strchr(p, ' ');
        *p = '\0';

        q = strchr(c->uri, '?');
        if (q != NULL) {
            *q++ = '\0';
            c->url_query = q;
            c->query = q;
        }

        /* the headers */

        h = 0;

        for (line = next; line != NULL && *line != '\n'; line = next) {
            next = strchr(line, '\n');
            if (next != NULL) {
                *next++ = '\0';
            }

            colon = strchr(line, ':');
            if (colon == NULL || h + 2 >= TEST_MAX_HEADERS) {
                fprintf(stderr, "%s: bad header line\n", path);
                exit(2);
            }

            *colon++ = '\0';
            c->headers[h++] = line;
            c->headers[h++] = colon;

            /* Host, and the two botocore sets itself, bare */

            while (*colon == ' ' || *colon == '\t') {
                colon++;
            }

            if (strcasecmp(line, "host") == 0) {
                c->host = colon;

                if (strncmp(colon, "sts.", 4) == 0) {
                    c->service = "sts";
                }

                if (strstr(colon, "localhost") != NULL) {
                    c->scheme = "http";
                }

                q = strchr(colon, '.');

                if (q != NULL && strncmp(q, ".amazonaws.com", 14) != 0
                    && strstr(colon, ".amazonaws.com") != NULL
                    && strchr(q + 1, '.') != NULL)
                {
                    /* dynamodb.<region>.amazonaws.com: the region */
                    c->region = strndup(q + 1, strchr(q + 1, '.') - q - 1);
                    run->region = (char *) c->region;
                }
            }

            if (strcasecmp(line, "x-amz-date") == 0) {
                c->timestamp = colon;
            }

            if (strcasecmp(line, "x-amz-security-token") == 0) {
                c->token = colon;
            }
        }

        c->headers[h] = NULL;

        if (c->timestamp == NULL || c->host == NULL) {
            fprintf(stderr, "%s: no X-Amz-Date or Host\n", path);
            exit(2);
        }

        /* the body */

        c->body = NULL;
        run->body = (u_char *) ((line != NULL) ? line + 1 : "");
        run->body_len = (u_char *) run->file + size - run->body;

        if (line == NULL) {
            run->body_len = 0;
        }

        n++;
    }

    closedir(d);
}


/* "x-amz-security-token:<token>" in botocore's request, masked as ours */

static char *
test_mask(const char *canonical, const char *token)
{
    char        *out, *p;
    size_t       tlen;
    const char  *t;

    out = malloc(strlen(canonical) + 16);
    if (out == NULL) {
        abort();
    }

    if (token == NULL) {
        strcpy(out, canonical);
        return out;
    }

    tlen = strlen(token);
    t = strstr(canonical, "\nx-amz-security-token:");

    if (t == NULL || strncmp(t + 22, token, tlen) != 0) {
        strcpy(out, canonical);
        return out;
    }

    t += 22;
    p = out;
    memcpy(p, canonical, t - canonical);
    p += t - canonical;
    p = stpcpy(p, "<redacted>");
    strcpy(p, t + tlen);

    return out;
}


static int
test_name_cmp(ngx_str_t *a, ngx_str_t *b)
{
    int  rc;

    rc = memcmp(a->data, b->data, ngx_min(a->len, b->len));

    if (rc != 0 || a->len == b->len) {
        return rc;
    }

    return (a->len < b->len) ? -1 : 1;
}


/*
 * The headers of s lowercased and sorted, signed with s.sorted, must give
 * auth.  Only when the names are distinct, as s.sorted requires: returns
 * whether it checked.
 */

static int
test_sorted(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool, ngx_str_t *auth,
    const char *name)
{
    int                            rc;
    size_t                         i, j, k;
    ngx_str_t                      auth2;
    ngx_http_dynamo_sigv4_t        s2;
    ngx_http_dynamo_aws_header_t   h[TEST_MAX_HEADERS / 2], t;

    for (i = 0; i < s->nheaders; i++) {
        t = s->headers[i];
        t.name.data = ngx_pnalloc(pool, t.name.len);
        if (t.name.data == NULL) {
            abort();
        }

        for (k = 0; k < t.name.len; k++) {
            t.name.data[k] = ngx_tolower(s->headers[i].name.data[k]);
        }

        for (j = i; j > 0; j--) {
            rc = test_name_cmp(&h[j - 1].name, &t.name);

            if (rc == 0) {
                return 0;
            }

            if (rc < 0) {
                break;
            }

            h[j] = h[j - 1];
        }

        h[j] = t;
    }

    s2 = *s;
    s2.headers = h;
    s2.sorted = 1;
    s2.debug = NULL;

    check(ngx_http_dynamo_sigv4_auth_len(&s2) == auth->len
          && ngx_http_dynamo_sigv4_sign(&s2, pool, &auth2) == NGX_OK
          && auth2.len == auth->len
          && memcmp(auth2.data, auth->data, auth->len) == 0,
          "%s: signed as sorted, another Authorization", name);

    return 1;
}


static void
test_sign_cases(json_t *answers)
{
    int                            sorted, hits;
    u_char                        *end;
    size_t                         i, j, n, chunk;
    char                          *masked;
    json_t                        *a;
    ngx_str_t                      auth, secret, region, service;
    ngx_pool_t                    *pool;
    test_run_t                    *run;
    test_case_t                   *c;
    const char                    *want;
    ngx_http_dynamo_sigv4_t        s;
    ngx_http_dynamo_sha256_t       sha;
    ngx_http_dynamo_aws_header_t   headers[TEST_MAX_HEADERS / 2];
    ngx_http_dynamo_sigv4_cache_t  cache;
    u_char                         key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char                         hash[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    u_char                         hash1[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    u_char                         buf[1024];

    sorted = 0;
    hits = 0;

    /* one worker's cache for all the cases, as they come */

    memset(&cache, 0, sizeof(cache));

    for (i = 0; cases[i].name; i++) {
        c = &cases[i];
        run = &runs[i];

        /* a pool a request, as the digest context lives with it */

        pool = ngx_create_pool(4096, NULL);
        if (pool == NULL) {
            abort();
        }

        secret.data = (u_char *) c->secret_key;
        secret.len = strlen(c->secret_key);
        region.data = (u_char *) c->region;
        region.len = strlen(c->region);
        service.data = (u_char *) c->service;
        service.len = strlen(c->service);

        check(ngx_http_dynamo_sigv4_key(key, &secret, (u_char *) c->timestamp,
                                        &region, &service)
              == NGX_OK, "%s: key", c->name);

        /* the payload hash, in uneven chunks, and at once */

        memset(&sha, 0, sizeof(sha));

        check(ngx_http_dynamo_sigv4_payload_hash_init(&sha) == NGX_OK,
              "%s: hash init", c->name);

        for (j = 0, chunk = 1; j < run->body_len; j += n, chunk = chunk * 3 + 1)
        {
            n = ngx_min(chunk % 70001 + 1, run->body_len - j);
            check(ngx_http_dynamo_sigv4_payload_hash_update(&sha,
                                                            run->body + j, n)
                  == NGX_OK, "%s: hash update", c->name);
        }

        check(ngx_http_dynamo_sigv4_payload_hash_final(&sha, hash) == NGX_OK,
              "%s: hash final", c->name);

        check(ngx_http_dynamo_sigv4_sha256_hex(hash1, run->body,
                                               run->body_len)
              == NGX_OK, "%s: sha256", c->name);

        check(memcmp(hash, hash1, sizeof(hash)) == 0,
              "%s: incremental and one-shot hashes differ", c->name);

        for (n = 0; c->headers[2 * n]; n++) {
            headers[n].name.data = (u_char *) c->headers[2 * n];
            headers[n].name.len = strlen(c->headers[2 * n]);
            headers[n].value.data = (u_char *) c->headers[2 * n + 1];
            headers[n].value.len = strlen(c->headers[2 * n + 1]);
        }

        memset(&s, 0, sizeof(s));

        s.method.data = (u_char *) c->method;
        s.method.len = strlen(c->method);
        s.uri.data = (u_char *) c->uri;
        s.uri.len = strlen(c->uri);
        s.query.data = (u_char *) c->query;
        s.query.len = strlen(c->query);
        s.headers = headers;
        s.nheaders = n;
        s.payload_hash = hash;
        s.amz_date = (u_char *) c->timestamp;
        s.region = region;
        s.service = service;
        s.access_key_id.data = (u_char *) c->access_key;
        s.access_key_id.len = strlen(c->access_key);
        s.key = key;
        s.log = pool->log;
        s.debug = test_debug_hook;
        s.debug_data = run;

        check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_OK,
              "%s: sign", c->name);

        /* the buffer form agrees, and writes exactly auth_len() bytes */

        s.debug = NULL;
        memset(buf, 0xa5, sizeof(buf));
        end = ngx_http_dynamo_sigv4_sign_buf(&s, pool, buf);

        check(end != NULL
              && (size_t) (end - buf) == ngx_http_dynamo_sigv4_auth_len(&s)
              && (size_t) (end - buf) == auth.len
              && memcmp(buf, auth.data, auth.len) == 0
              && buf[auth.len] == 0xa5,
              "%s: sign_buf differs from sign", c->name);

        sorted += test_sorted(&s, pool, &auth, c->name);

        a = json_object_get(answers, c->name);
        want = json_string_value(json_object_get(a, "authorization"));

        check(want != NULL && strlen(want) == auth.len
              && memcmp(want, auth.data, auth.len) == 0,
              "%s: authorization\n  ours:     %.*s\n  botocore: %s",
              c->name, (int) auth.len, auth.data, want);

        /*
         * with the cache: the case before it left its entry, this one
         * replaces it (or, with the same prefix, uses it), then uses it
         */

        s.cache = &cache;

        for (j = 0; j < 2; j++) {
            end = ngx_http_dynamo_sigv4_sign_buf(&s, pool, buf);

            check(want != NULL && end != NULL
                  && (size_t) (end - buf) == strlen(want)
                  && memcmp(buf, want, end - buf) == 0,
                  "%s: signed with the cache (%s), not as botocore",
                  c->name, j ? "used" : "filled");

            hits += (cache.prefix_len != 0);
        }

        s.cache = NULL;

        if (c->expected) {
            check(strlen(c->expected) == auth.len
                  && memcmp(c->expected, auth.data, auth.len) == 0,
                  "%s: published answer\n  ours:      %.*s\n  published: %s",
                  c->name, (int) auth.len, auth.data, c->expected);
        }

        /* what the debug hook saw: botocore's, the token masked */

        check(run->hooked, "%s: no debug call", c->name);

        masked = test_mask(json_string_value(json_object_get(a,
                                                   "canonical_request")),
                           run->token);

        check(run->canonical.len == strlen(masked)
              && memcmp(run->canonical.data, masked, run->canonical.len)
                 == 0,
              "%s: canonical request\n--- ours:\n%.*s\n--- botocore:\n%s",
              c->name, (int) run->canonical.len, run->canonical.data,
              masked);

        if (run->token) {
            check(memmem(run->canonical.data, run->canonical.len,
                         run->token, strlen(run->token)) == NULL
                  && memmem(run->canonical.data, run->canonical.len,
                            "<redacted>", 10) != NULL,
                  "%s: the token is not masked", c->name);
        }

        want = json_string_value(json_object_get(a, "string_to_sign"));

        check(want != NULL && run->sts.len == strlen(want)
              && memcmp(run->sts.data, want, run->sts.len) == 0,
              "%s: string to sign\n--- ours:\n%.*s\n--- botocore:\n%s",
              c->name, (int) run->sts.len, run->sts.data, want);

        free(masked);

        ngx_destroy_pool(pool);
    }

    check(sorted > 0, "no case signed as sorted");
    check(hits > 0, "no case kept a canonical request's blocks");
}


/*
 * A PutItem to DynamoDB as the gateway signs it: names lowercase and
 * sorted, the date and the session token where the caller keeps them.
 */

static void
test_put_item(ngx_http_dynamo_sigv4_t *s,
    ngx_http_dynamo_aws_header_t *headers, u_char *date, u_char *token,
    size_t token_len, u_char *hash, u_char *key)
{
    headers[0].name = (ngx_str_t) ngx_string("content-type");
    headers[0].value = (ngx_str_t) ngx_string(T_JSON);
    headers[1].name = (ngx_str_t) ngx_string("host");
    headers[1].value = (ngx_str_t) ngx_string(T_DDB);
    headers[2].name = (ngx_str_t) ngx_string("x-amz-date");
    headers[2].value.data = date;
    headers[2].value.len = NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN;
    headers[3].name = (ngx_str_t) ngx_string("x-amz-security-token");
    headers[3].value.data = token;
    headers[3].value.len = token_len;
    headers[4].name = (ngx_str_t) ngx_string("x-amz-target");
    headers[4].value = (ngx_str_t) ngx_string("DynamoDB_20120810.PutItem");

    memset(s, 0, sizeof(ngx_http_dynamo_sigv4_t));

    s->method = (ngx_str_t) ngx_string("POST");
    s->uri = (ngx_str_t) ngx_string("/");
    s->headers = headers;
    s->nheaders = 5;
    s->payload_hash = hash;
    s->amz_date = date;
    s->region = (ngx_str_t) ngx_string("us-east-1");
    s->service = (ngx_str_t) ngx_string("dynamodb");
    s->access_key_id = (ngx_str_t) ngx_string(T_AKID);
    s->key = key;
    s->sorted = 1;
}


/*
 * The cache against signing without it, request after request, as what
 * its entries were made from changes: the session token (one byte of
 * it, the length kept), the date, the key, the target after the token.
 */

static void
test_cache(void)
{
    u_char                        *end, *token;
    size_t                         i, len;
    ngx_str_t                      secret;
    ngx_pool_t                    *pool;
    ngx_http_dynamo_sigv4_t        s;
    ngx_http_dynamo_aws_header_t   headers[5];
    ngx_http_dynamo_sigv4_cache_t  cache;
    u_char                         key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char                         hash[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    u_char                         date[NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN];
    u_char                         buf[512], plain[512];

    static const char  *steps[] = {
        "first", "again", "token byte", "token back", "next second",
        "target", "key", "key back", "no token", "token again", NULL
    };

    pool = ngx_create_pool(4096, NULL);
    if (pool == NULL) {
        abort();
    }

    len = sizeof(T_TOKEN) - 1;
    token = ngx_pnalloc(pool, len);
    if (token == NULL) {
        abort();
    }

    memcpy(token, T_TOKEN, len);
    memcpy(date, T_TIME, sizeof(date));

    secret.len = sizeof(T_SECRET) - 1;
    secret.data = ngx_pnalloc(pool, secret.len);
    if (secret.data == NULL) {
        abort();
    }

    memcpy(secret.data, T_SECRET, secret.len);

    memset(hash, 'a', sizeof(hash));
    memset(&cache, 0, sizeof(cache));

    test_put_item(&s, headers, date, token, len, hash, key);

    for (i = 0; steps[i]; i++) {

        switch (i) {
        case 2:
            token[len / 2] ^= 0x01;
            break;
        case 3:
            token[len / 2] ^= 0x01;
            break;
        case 4:
            date[15 - 1] = '1';
            break;
        case 5:
            headers[4].value = (ngx_str_t) ngx_string(
                                             "DynamoDB_20120810.GetItem");
            break;
        case 6:
            secret.data[0] ^= 0x01;
            break;
        case 7:
            secret.data[0] ^= 0x01;
            break;
        case 8:
            headers[3] = headers[4];
            s.nheaders = 4;
            break;
        case 9:
            headers[4] = headers[3];
            headers[3].name = (ngx_str_t) ngx_string("x-amz-security-token");
            headers[3].value.data = token;
            headers[3].value.len = len;
            s.nheaders = 5;
            break;
        }

        check(ngx_http_dynamo_sigv4_key(key, &secret, date, &s.region,
                                        &s.service)
              == NGX_OK, "cache, %s: key", steps[i]);

        s.cache = NULL;
        s.clean = 0;
        end = ngx_http_dynamo_sigv4_sign_buf(&s, pool, plain);
        check(end != NULL, "cache, %s: sign", steps[i]);

        /* and as the gateway signs: the date and the token not trimmed */

        s.cache = &cache;
        s.clean = (s.nheaders == 5) ? 0x0c : 0x04;
        check(end != NULL
              && ngx_http_dynamo_sigv4_sign_buf(&s, pool, buf)
                 == buf + (end - plain)
              && memcmp(buf, plain, end - plain) == 0,
              "cache, %s: differs from signing without it\n"
              "  with:    %.*s\n  without: %.*s", steps[i],
              (int) (end - plain), buf, (int) (end - plain), plain);

        /*
         * the token's line ends at 8 + 40 + 38 + 28 + 21 + len + 1 bytes:
         * its whole blocks are kept
         */

        check(s.nheaders == 4
              || cache.prefix_len == (136 + len + 1) / 64 * 64,
              "cache, %s: %zu bytes kept", steps[i], cache.prefix_len);
    }

    ngx_destroy_pool(pool);
}


static void
test_forms(json_t *answers)
{
    size_t       i;
    json_t      *a;
    const char  *want;

    for (i = 0; forms[i].name; i++) {
        a = json_object_get(answers, forms[i].name);
        want = json_string_value(json_object_get(a, "body"));

        check(want != NULL && strlen(want) == form_bodies[i].len
              && memcmp(want, form_bodies[i].data, form_bodies[i].len) == 0,
              "form %s\n  ours:     %.*s\n  botocore: %s", forms[i].name,
              (int) form_bodies[i].len, form_bodies[i].data, want);
    }
}


/* known answers, and gmtime_r() as the oracle of the date */

static void
test_dates(void)
{
    int                             i;
    time_t                          t;
    u_char                          buf[NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN + 1];
    u_char                         *end;
    char                            want[32];
    char                            fmt[32];
    u_char                          out[24];
    uint64_t                        v;
    struct tm                       tm;
    ngx_http_dynamo_sigv4_cache_t   cache;

    static struct {
        time_t       t;
        const char  *s;
    } known[] = {
        { 0, "19700101T000000Z" },
        { 1440938160, "20150830T123600Z" },
        { 951782400, "20000229T000000Z" },
        { 951868799, "20000229T235959Z" },
        { 1763892345, "20251123T100545Z" },
        { 4102444799, "20991231T235959Z" },
        { 253402300799, "99991231T235959Z" },
        { 0, NULL }
    };

    for (i = 0; known[i].s; i++) {
        end = ngx_http_dynamo_time_amz_date(buf, known[i].t);
        *end = '\0';

        check(end - buf == NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN
              && strcmp((char *) buf, known[i].s) == 0,
              "amz_date(%lld) = %s, expected %s", (long long) known[i].t,
              buf, known[i].s);
    }

    for (t = 0; t < 4102444800; t += 86399 * 3 + 7777) {
        gmtime_r(&t, &tm);
        strftime(want, sizeof(want), "%Y%m%dT%H%M%SZ", &tm);

        end = ngx_http_dynamo_time_amz_date(buf, t);
        *end = '\0';

        check(strcmp((char *) buf, want) == 0, "amz_date(%lld) = %s, "
              "gmtime %s", (long long) t, buf, want);
    }

    /* the digits behind it (and the record's times): every width */

    for (i = 1; i <= 20; i++) {
        for (t = 0; t < 64; t++) {
            v = (t < 32) ? (uint64_t) t * 7919 * t * t
                         : 18446744073709551615ULL - (uint64_t) t * 104729;

            end = ngx_http_dynamo_time_digits(out, v, i);
            *end = '\0';

            /* the i lowest digits, zeros in front */

            snprintf(fmt, sizeof(fmt), "%020llu", (unsigned long long) v);

            check(end - out == i && strcmp((char *) out, fmt + 20 - i) == 0,
                  "digits(%llu, %d) = %s", (unsigned long long) v, i, out);
        }
    }

    /* kept a second: the same second twice, the next, one back, 0 */

    memset(&cache, 0, sizeof(cache));

    for (i = 0; i < 6; i++) {
        t = (i == 5) ? 0 : 1763892345 + (time_t[]) { 0, 0, 1, 0, 86400 }[i];

        end = ngx_http_dynamo_sigv4_cached_date(&cache, buf, t);
        *end = '\0';

        gmtime_r(&t, &tm);
        strftime(want, sizeof(want), "%Y%m%dT%H%M%SZ", &tm);

        check(end - buf == NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN
              && strcmp((char *) buf, want) == 0,
              "cached_date(%lld) = %s, gmtime %s", (long long) t, buf, want);
    }
}


static void
test_keys(void)
{
    u_char       *p;
    u_char        key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char        k1[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char        k2[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char        hex[65];
    u_char        long_secret[1000];
    u_char        concat[1004];
    size_t        len;
    unsigned int  n;
    ngx_str_t     secret, region, service;

    /* AWS's published example of a derived key */

    secret.data = (u_char *) SUITE_SECRET;
    secret.len = sizeof(SUITE_SECRET) - 1;
    region.data = (u_char *) "us-east-1";
    region.len = 9;
    service.data = (u_char *) "iam";
    service.len = 3;

    check(ngx_http_dynamo_sigv4_key(key, &secret, (u_char *) "20120215",
                                    &region, &service)
          == NGX_OK, "key");

    for (n = 0; n < 32; n++) {
        sprintf((char *) hex + 2 * n, "%02x", key[n]);
    }

    check(strcmp((char *) hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a4350"
                 "5a000a1a9e090d414db404d") == 0,
          "published signing key, got %s", hex);

    /* a secret longer than the stack buffer: the plain HMAC chain */

    memset(long_secret, 'k', sizeof(long_secret));
    secret.data = long_secret;
    secret.len = sizeof(long_secret);

    check(ngx_http_dynamo_sigv4_key(key, &secret, (u_char *) "20261123",
                                    &region, &service)
          == NGX_OK, "long key");

    p = concat;
    memcpy(p, "AWS4", 4);
    memcpy(p + 4, long_secret, sizeof(long_secret));

    HMAC(EVP_sha256(), concat, sizeof(concat), (u_char *) "20261123", 8,
         k1, &n);
    HMAC(EVP_sha256(), k1, 32, (u_char *) "us-east-1", 9, k2, &n);
    HMAC(EVP_sha256(), k2, 32, (u_char *) "iam", 3, k1, &n);
    HMAC(EVP_sha256(), k1, 32, (u_char *) "aws4_request", 12, k2, &n);

    check(memcmp(key, k2, 32) == 0, "long secret key");

    /* around the HMAC block size: "AWS4" + 60 fits, + 61 is hashed */

    for (len = 0; len <= 100; len++) {
        secret.len = len;
        secret.data = (len == 0) ? NULL : long_secret;

        check(ngx_http_dynamo_sigv4_key(key, &secret, (u_char *) "20261123",
                                        &region, &service)
              == NGX_OK, "key of %zu", len);

        HMAC(EVP_sha256(), concat, (int) (4 + len), (u_char *) "20261123", 8,
             k1, &n);
        HMAC(EVP_sha256(), k1, 32, (u_char *) "us-east-1", 9, k2, &n);
        HMAC(EVP_sha256(), k2, 32, (u_char *) "iam", 3, k1, &n);
        HMAC(EVP_sha256(), k1, 32, (u_char *) "aws4_request", 12, k2, &n);

        check(memcmp(key, k2, 32) == 0, "secret of %zu bytes", len);
    }
}


static void
test_errors(ngx_pool_t *pool)
{
    u_char                        key[32];
    ngx_str_t                     auth;
    ngx_uint_t                    i;
    ngx_http_dynamo_sigv4_t       s;
    ngx_http_dynamo_aws_header_t  headers[NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS
                                          + 1];

    memset(key, 0, sizeof(key));

    for (i = 0; i < NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS + 1; i++) {
        headers[i].name.data = (u_char *) "X-A";
        headers[i].name.len = 3;
        headers[i].value.data = (u_char *) "v";
        headers[i].value.len = 1;
    }

    memset(&s, 0, sizeof(s));

    s.method.data = (u_char *) "POST";
    s.method.len = 4;
    s.uri.data = (u_char *) "/";
    s.uri.len = 1;
    s.headers = headers;
    s.nheaders = NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS;
    s.payload_hash = (u_char *) NGX_HTTP_DYNAMO_SIGV4_EMPTY_HASH;
    s.amz_date = (u_char *) T_TIME;
    s.region.data = (u_char *) "us-east-1";
    s.region.len = 9;
    s.service.data = (u_char *) "dynamodb";
    s.service.len = 8;
    s.access_key_id.data = (u_char *) T_AKID;
    s.access_key_id.len = sizeof(T_AKID) - 1;
    s.key = key;
    s.log = pool->log;

    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_OK,
          "32 headers");
    check(auth.len == ngx_http_dynamo_sigv4_auth_len(&s)
          && memmem(auth.data, auth.len, "SignedHeaders=x-a, ", 19) != NULL,
          "32 headers of one name: %.*s", (int) auth.len, auth.data);

    s.nheaders++;
    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_ERROR,
          "33 headers refused");
    s.nheaders = 1;

    s.region.len = 0;
    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_ERROR,
          "empty region refused");
    s.region.len = 9;

    s.key = NULL;
    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_ERROR,
          "no key refused");
    s.key = key;

    headers[0].name.len = 0;
    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_ERROR,
          "empty header name refused");
    headers[0].name.len = 3;

    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_OK
          && auth.len == ngx_http_dynamo_sigv4_auth_len(&s),
          "one header");

    s.nheaders = 0;
    check(ngx_http_dynamo_sigv4_sign(&s, pool, &auth) == NGX_OK
          && auth.len == ngx_http_dynamo_sigv4_auth_len(&s)
          && memmem(auth.data, auth.len, "SignedHeaders=, ", 16) != NULL,
          "no header");
}


static void
test_bench(void)
{
    int                            i, iterations;
    double                         t0, t1, t2, t3;
    u_char                         body[1024];
    ngx_str_t                      auth, secret;
    ngx_pool_t                    *pool;
    struct timespec                ts;
    ngx_http_dynamo_sigv4_t        s;
    ngx_http_dynamo_sha256_t       sha;
    ngx_http_dynamo_aws_header_t   headers[5];
    ngx_http_dynamo_sigv4_cache_t  cache;
    u_char                         key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char                         hash[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    u_char                         buf[512];

    iterations = 200000;

    pool = ngx_create_pool(4096, NULL);
    if (pool == NULL) {
        abort();
    }

    memset(body, 'x', sizeof(body));

    secret.data = (u_char *) T_SECRET;
    secret.len = sizeof(T_SECRET) - 1;

    /* as the gateway signs: the worker's cache, the clean values marked */

    memset(&cache, 0, sizeof(cache));

    test_put_item(&s, headers, (u_char *) T_TIME, (u_char *) T_TOKEN,
                  sizeof(T_TOKEN) - 1, hash, key);

    s.cache = &cache;
    s.clean = 0x1e;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = ts.tv_sec + ts.tv_nsec / 1e9;

    for (i = 0; i < iterations; i++) {
        ngx_http_dynamo_sigv4_key(key, &secret, (u_char *) T_TIME,
                                  &s.region, &s.service);
    }

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t1 = ts.tv_sec + ts.tv_nsec / 1e9;

    ngx_http_dynamo_sigv4_sha256_hex(hash, body, sizeof(body));

    for (i = 0; i < iterations; i++) {
        if (ngx_http_dynamo_sigv4_sign_buf(&s, pool, buf) == NULL) {
            abort();
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t2 = ts.tv_sec + ts.tv_nsec / 1e9;

    memset(&sha, 0, sizeof(sha));

    for (i = 0; i < iterations; i++) {
        ngx_http_dynamo_sigv4_payload_hash_init(&sha);
        ngx_http_dynamo_sigv4_payload_hash_update(&sha, body, sizeof(body));
        ngx_http_dynamo_sigv4_payload_hash_final(&sha, hash);

        if (ngx_http_dynamo_sigv4_sign(&s, pool, &auth) != NGX_OK) {
            abort();
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t3 = ts.tv_sec + ts.tv_nsec / 1e9;

    printf("key derivation:                     %.2f us\n",
           (t1 - t0) * 1e6 / iterations);
    printf("signature, cached key, worker cache: %.2f us\n",
           (t2 - t1) * 1e6 / iterations);
    printf("payload hash 1 KB + signature:       %.2f us\n",
           (t3 - t2) * 1e6 / iterations);

    ngx_destroy_pool(pool);
}


int
main(int argc, char **argv)
{
    char        *spec;
    size_t       i;
    json_t      *answers;
    ngx_pool_t  *pool;

    pool = ngx_create_pool(4096, NULL);
    if (pool == NULL) {
        return 2;
    }

    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        test_bench();
        ngx_destroy_pool(pool);
        return 0;
    }

    test_load_corpus(argc > 1 ? argv[1] : TEST_CORPUS);
    test_prepare(pool);

    spec = test_write_spec();
    answers = test_run_oracle(spec);

    test_sign_cases(answers);
    test_cache();
    test_forms(answers);
    test_dates();
    test_keys();
    test_errors(pool);

    unlink(spec);
    free(spec);
    json_decref(answers);

    for (i = 0; cases[i].name; i++) {
        free(runs[i].canonical.data);
        free(runs[i].sts.data);

        if (cases[i].body_gen) {
            free(runs[i].body);
        }

        if (cases[i].token_gen) {
            free(runs[i].token);
        }

        free(runs[i].file);
        free(runs[i].region);
    }

    ngx_destroy_pool(pool);

    printf("%s: %d checks, %d failed\n", argv[0], checks, failures);

    return failures ? 1 : 0;
}
