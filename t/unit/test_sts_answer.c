
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Unit tests of ngx_http_dynamo_sts_answer.c: STS answers in XML and
 * JSON, IMDS and ECS answers, errors, malformed and hostile input, and
 * the time parser (glibc's timegm() is the oracle of the times).
 *
 *   test_sts_answer [corpus-dir]
 *
 * Every file of the corpus (default t/unit/corpus/sts_answer) also goes
 * through the three parsers, which must not fail in any way but refusing.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_sts_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>


#define T_AKID    "ASIAIOSFODNN7EXAMPLE"
#define T_SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
#define T_TOKEN                                                              \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWs" \
    "KWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeh" \
    "M4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q" \
    "6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypN" \
    "C9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define T_ARN     "arn:aws:sts::123456789012:assumed-role/demo/TestAR"
#define T_NS      "https://sts.amazonaws.com/doc/2011-06-15/"


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


#define PARSE_STS   0
#define PARSE_IMDS  1
#define PARSE_ECS   2


typedef struct {
    const char  *name;
    int          parser;
    const char  *input;
    ngx_int_t    rc;
    const char  *akid;          /* expected on NGX_OK, NULL: T_AKID */
    const char  *secret;        /* NULL: T_SECRET */
    const char  *token;         /* NULL: T_TOKEN, "": none */
    const char  *expiration;    /* ISO form, through timegm() */
    const char  *arn;           /* NULL: none expected */
    const char  *code;          /* expected on NGX_DECLINED */
    const char  *type;
    const char  *message;
} test_case_t;


/* a refusal expects nothing else */
#define REFUSED  NGX_ERROR, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL


static const char  xml_assume_role[] =
    "<AssumeRoleResponse xmlns=\"" T_NS "\">\n"
    "  <AssumeRoleResult>\n"
    "  <SourceIdentity>Alice</SourceIdentity>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>" T_ARN "</Arn>\n"
    "      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>" T_AKID "</AccessKeyId>\n"
    "      <SecretAccessKey>" T_SECRET "</SecretAccessKey>\n"
    "      <SessionToken>\n       " T_TOKEN "\n      </SessionToken>\n"
    "      <Expiration>2019-11-09T13:34:41Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleResponse>";

static const char  json_assume_role[] =
    "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"AssumedRoleUser\":{"
    "\"Arn\":\"" T_ARN "\",\"AssumedRoleId\":\"ARO123EXAMPLE123:TestAR\"},"
    "\"Credentials\":{\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":"
    "1.763892345E9,\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":"
    "\"" T_TOKEN "\"},\"PackedPolicySize\":null,\"SourceIdentity\":null},"
    "\"ResponseMetadata\":{\"RequestId\":"
    "\"7a62c49f-347e-4fc4-9331-6e8eEXAMPLE\"}}}";


static test_case_t  cases[] = {

    /* STS, XML */

    { "xml assume role", PARSE_STS, xml_assume_role, NGX_OK,
      NULL, NULL, NULL, "2019-11-09T13:34:41Z", T_ARN, NULL, NULL, NULL },

    { "xml web identity, prefixed namespace, other order", PARSE_STS,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<sts:AssumeRoleWithWebIdentityResponse xmlns:sts=\"" T_NS "\">"
      "<sts:AssumeRoleWithWebIdentityResult>"
      "<sts:SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6"
      "HB56KR2A</sts:SubjectFromWebIdentityToken>"
      "<sts:Audience>client.5498841531868486423.1548@apps.example.com"
      "</sts:Audience>"
      "<sts:Credentials>"
      "<sts:Expiration>2026-11-23T16:00:00.123Z</sts:Expiration>"
      "<sts:SessionToken>" T_TOKEN "</sts:SessionToken>"
      "<sts:SecretAccessKey>" T_SECRET "</sts:SecretAccessKey>"
      "<sts:AccessKeyId>" T_AKID "</sts:AccessKeyId>"
      "</sts:Credentials>"
      "<sts:AssumedRoleUser><sts:AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1"
      "</sts:AssumedRoleId><sts:Arn>arn:aws:sts::123456789012:assumed-role/"
      "FederatedWebIdentityRole/app1</sts:Arn></sts:AssumedRoleUser>"
      "<sts:Provider>www.amazon.com</sts:Provider>"
      "</sts:AssumeRoleWithWebIdentityResult>"
      "<sts:ResponseMetadata><sts:RequestId>ad4156e9-bce1-11e2-82e6-"
      "6b6efEXAMPLE</sts:RequestId></sts:ResponseMetadata>"
      "</sts:AssumeRoleWithWebIdentityResponse>\n",
      NGX_OK, NULL, NULL, NULL, "2026-11-23T16:00:00Z",
      "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1",
      NULL, NULL, NULL },

    { "xml without namespace, BOM, entities, CDATA, comments", PARSE_STS,
      "\xef\xbb\xbf<GetSessionTokenResponse><GetSessionTokenResult>"
      "<!-- a comment --><?pi data?>"
      "<Credentials>\r\n"
      "<AccessKeyId>ASIA&#x31;23456789012345</AccessKeyId>"
      "<SecretAccessKey>a&amp;b&lt;c&gt;d&quot;e&apos;f</SecretAccessKey>"
      "<SessionToken><![CDATA[FwoGZXIvYXdz<&>]]>==</SessionToken>"
      "<Expiration>2026-11-23T17:00:00+01:00</Expiration>"
      "<Unknown><AccessKeyId>ASIAXXXXXXXXXXXXXXXX</AccessKeyId></Unknown>"
      "</Credentials></GetSessionTokenResult></GetSessionTokenResponse>",
      NGX_OK, "ASIA123456789012345", "a&b<c>d\"e'f", "FwoGZXIvYXdz<&>==",
      "2026-11-23T16:00:00Z", NULL, NULL, NULL, NULL },

    { "xml access denied", PARSE_STS,
      "<ErrorResponse xmlns=\"" T_NS "\">\n  <Error>\n    <Type>Sender"
      "</Type>\n    <Code>AccessDenied</Code>\n    <Message>User: arn:aws:"
      "iam::123456789012:user/gw is not authorized to perform: sts:"
      "AssumeRole on resource: arn:aws:iam::123456789012:role/x</Message>\n"
      "  </Error>\n  <RequestId>5fc4a3b9-EXAMPLE</RequestId>\n"
      "</ErrorResponse>\n",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "AccessDenied", "Sender",
      "User: arn:aws:iam::123456789012:user/gw is not authorized to perform:"
      " sts:AssumeRole on resource: arn:aws:iam::123456789012:role/x" },

    { "xml expired token", PARSE_STS,
      "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
      "<Message>The security token included in the request is expired"
      "</Message></Error><RequestId>x</RequestId></ErrorResponse>",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "ExpiredToken", "Sender",
      "The security token included in the request is expired" },

    { "xml invalid client token id", PARSE_STS,
      "<ErrorResponse xmlns=\"" T_NS "\"><Error><Code>InvalidClientTokenId"
      "</Code><Message>The security token included in the request is "
      "invalid.</Message><Type>Sender</Type></Error></ErrorResponse>",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "InvalidClientTokenId",
      "Sender", "The security token included in the request is invalid." },

    { "xml validation error", PARSE_STS,
      "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
      "<Message>1 validation error detected: Value &apos;x&apos; at "
      "&apos;roleSessionName&apos; failed to satisfy constraint: Member "
      "must have length greater than or equal to 2</Message></Error>"
      "</ErrorResponse>",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "ValidationError",
      "Sender", "1 validation error detected: Value 'x' at "
      "'roleSessionName' failed to satisfy constraint: Member must have "
      "length greater than or equal to 2" },

    { "xml internal failure, no message, control characters", PARSE_STS,
      "<ErrorResponse><Error><Type>Receiver</Type><Code>Internal&#9;Failure"
      "</Code></Error></ErrorResponse>",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "Internal Failure",
      "Receiver", "" },

    { "xml bare Error root", PARSE_STS,
      "<Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "Throttling", "",
      "Rate exceeded" },

    { "xml error without code", PARSE_STS,
      "<ErrorResponse><Error><Type>Sender</Type><Message>m</Message></Error>"
      "</ErrorResponse>",
      REFUSED },

    { "xml error without Error", PARSE_STS,
      "<ErrorResponse><RequestId>x</RequestId></ErrorResponse>", REFUSED },

    { "xml missing session token", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml empty session token", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey><SessionToken/>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml missing expiration", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml invalid expiration", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-02-29T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml credentials at the wrong depth", PARSE_STS,
      "<AssumeRoleResponse><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResponse>", REFUSED },

    { "xml duplicate access key id", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<AccessKeyId>ASIAXXXXXXXXXXXXXXXX</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml lower case access key id", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>asiaiosfodnn7example</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml short access key id", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA12345678901</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml space inside the token", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>AQoD YXdz</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml line break inside the secret", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>" T_AKID "</AccessKeyId>"
      "<SecretAccessKey>wJalrXUtnFEMI&#13;&#10;X-Injected: 1</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml element inside a field", PARSE_STS,
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA<b/>IOSFODNN7EXAMPLE</AccessKeyId>"
      "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
      "<SessionToken>" T_TOKEN "</SessionToken>"
      "<Expiration>2019-11-09T13:34:41Z</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>", REFUSED },

    { "xml billion laughs", PARSE_STS,
      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"
      "&lol1;&lol1;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"
      "&lol2;&lol2;\">\n"
      " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"
      "&lol3;&lol3;\">\n"
      " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"
      "&lol4;&lol4;\">\n"
      " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"
      "&lol5;&lol5;\">\n"
      " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"
      "&lol6;&lol6;\">\n"
      " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"
      "&lol7;&lol7;\">\n"
      " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;"
      "&lol8;&lol8;\">\n"
      "]>\n<ErrorResponse><Error><Code>&lol9;</Code></Error></ErrorResponse>",
      REFUSED },

    { "xml external entity", PARSE_STS,
      "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "
      "\"file:///etc/passwd\">]>\n<ErrorResponse><Error><Code>&xxe;</Code>"
      "</Error></ErrorResponse>", REFUSED },

    { "xml plain DOCTYPE", PARSE_STS,
      "<!DOCTYPE ErrorResponse>\n<ErrorResponse><Error><Code>X</Code>"
      "</Error></ErrorResponse>", REFUSED },

    { "xml undefined entity", PARSE_STS,
      "<ErrorResponse><Error><Code>&foo;</Code></Error></ErrorResponse>",
      REFUSED },

    { "xml unexpected root", PARSE_STS,
      "<html><body>502 Bad Gateway</body></html>", REFUSED },

    { "xml junk after the root", PARSE_STS,
      "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse><x/>",
      REFUSED },

    { "xml not well formed", PARSE_STS,
      "<ErrorResponse><Error><Code>X</Error></Code></ErrorResponse>",
      REFUSED },

    { "xml in UTF-16", PARSE_STS,
      "<\0E\0r\0r\0o\0r\0/\0>\0", REFUSED },

    /* STS, JSON */

    { "json assume role, scientific expiration", PARSE_STS, json_assume_role,
      NGX_OK, NULL, NULL, NULL, "2025-11-23T10:05:45Z", T_ARN, NULL, NULL,
      NULL },

    { "json web identity, integer expiration", PARSE_STS,
      "  \r\n{\"AssumeRoleWithWebIdentityResponse\":{"
      "\"AssumeRoleWithWebIdentityResult\":{\"Audience\":\"sts.amazonaws.com\","
      "\"Credentials\":{\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":"
      "1763892345,\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\""
      T_TOKEN "\"},\"Provider\":\"arn:aws:iam::123456789012:oidc-provider/"
      "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE\"},\"ResponseMetadata\":{"
      "\"RequestId\":\"r\"}}}",
      NGX_OK, NULL, NULL, NULL, "2025-11-23T10:05:45Z", NULL, NULL, NULL,
      NULL },

    { "json ISO expiration, escapes", PARSE_STS,
      "{\"GetSessionTokenResponse\":{\"GetSessionTokenResult\":{"
      "\"Credentials\":{\"AccessKeyId\":\"ASIA\\u0031234567890123456\","
      "\"Expiration\":\"2026-11-23T16:00:00Z\",\"SecretAccessKey\":"
      "\"a\\/b\\\"c\",\"SessionToken\":\"" T_TOKEN "\"}}}}",
      NGX_OK, "ASIA1234567890123456", "a/b\"c", NULL, "2026-11-23T16:00:00Z",
      NULL, NULL, NULL, NULL },

    { "json string scientific expiration", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":\"1.7639E9\","
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\"" T_TOKEN "\""
      "}}}}",
      NGX_OK, NULL, NULL, NULL, "2025-11-23T12:13:20Z", NULL, NULL, NULL,
      NULL },

    { "json error", PARSE_STS,
      "{\"Error\":{\"Code\":\"AccessDenied\",\"Message\":\"Not authorized "
      "to perform sts:AssumeRole\",\"Type\":\"Sender\"},\"RequestId\":"
      "\"2b7a3d2e\"}",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "AccessDenied", "Sender",
      "Not authorized to perform sts:AssumeRole" },

    { "json ErrorResponse, null message", PARSE_STS,
      "{\"ErrorResponse\":{\"Error\":{\"Code\":\"ExpiredToken\","
      "\"Message\":null,\"Type\":\"Sender\"},\"RequestId\":\"r\"}}",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "ExpiredToken", "Sender",
      "" },

    { "json error without code", PARSE_STS,
      "{\"Error\":{\"Message\":\"m\"}}", REFUSED },

    { "json error not an object", PARSE_STS, "{\"Error\":\"x\"}", REFUSED },

    { "json no credentials", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{}}}", REFUSED },

    { "json two responses", PARSE_STS,
      "{\"AResponse\":{\"AResult\":{}},\"BResponse\":{}}", REFUSED },

    { "json missing session token", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":1763892345,"
      "\"SecretAccessKey\":\"" T_SECRET "\"}}}}", REFUSED },

    { "json null session token", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":1763892345,"
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":null}}}}",
      REFUSED },

    { "json numeric session token", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":1763892345,"
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":12}}}}",
      REFUSED },

    { "json negative expiration", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":-1.7E9,"
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\"" T_TOKEN "\""
      "}}}}", REFUSED },

    { "json huge expiration", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":1e300,"
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\"" T_TOKEN "\""
      "}}}}", REFUSED },

    { "json boolean expiration", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":true,"
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\"" T_TOKEN "\""
      "}}}}", REFUSED },

    { "json duplicate keys", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"AccessKeyId\":\"" T_AKID "\","
      "\"Expiration\":1763892345,\"SecretAccessKey\":\"" T_SECRET "\","
      "\"SessionToken\":\"" T_TOKEN "\"}}}}", REFUSED },

    { "json NUL in the token", PARSE_STS,
      "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
      "\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":1763892345,"
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\"a\\u0000b\""
      "}}}}", REFUSED },

    { "json trailing garbage", PARSE_STS, "{\"Error\":{\"Code\":\"X\"}} x",
      REFUSED },

    { "json array", PARSE_STS, "[{\"Error\":{\"Code\":\"X\"}}]", REFUSED },

    { "empty", PARSE_STS, "", REFUSED },

    { "white space", PARSE_STS, " \r\n\t ", REFUSED },

    { "plain text", PARSE_STS, "Service Unavailable", REFUSED },

    /* IMDS */

    { "imds", PARSE_IMDS,
      "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : "
      "\"2026-11-23T09:45:12Z\",\n  \"Type\" : \"AWS-HMAC\",\n"
      "  \"AccessKeyId\" : \"" T_AKID "\",\n  \"SecretAccessKey\" : \""
      T_SECRET "\",\n  \"Token\" : \"" T_TOKEN "\",\n  \"Expiration\" : "
      "\"2026-11-23T16:00:00Z\"\n}",
      NGX_OK, NULL, NULL, NULL, "2026-11-23T16:00:00Z", NULL, NULL, NULL,
      NULL },

    { "imds failure", PARSE_IMDS,
      "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"EC2 cannot "
      "assume the role\",\"LastUpdated\":\"2026-11-23T09:45:12Z\"}",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL,
      "AssumeRoleUnauthorizedAccess", "", "EC2 cannot assume the role" },

    { "imds without token", PARSE_IMDS,
      "{\"Code\":\"Success\",\"AccessKeyId\":\"" T_AKID "\","
      "\"SecretAccessKey\":\"" T_SECRET "\",\"Expiration\":"
      "\"2026-11-23T16:00:00Z\"}", REFUSED },

    { "imds session token member is not its name", PARSE_IMDS,
      "{\"Code\":\"Success\",\"AccessKeyId\":\"" T_AKID "\","
      "\"SecretAccessKey\":\"" T_SECRET "\",\"SessionToken\":\"" T_TOKEN "\","
      "\"Expiration\":\"2026-11-23T16:00:00Z\"}", REFUSED },

    { "imds not JSON", PARSE_IMDS, "<html>404</html>", REFUSED },

    /* ECS, EKS Pod Identity */

    { "ecs", PARSE_ECS,
      "{\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":"
      "\"2026-11-23T16:00:00Z\",\"RoleArn\":\"arn:aws:iam::123456789012:"
      "role/task\",\"SecretAccessKey\":\"" T_SECRET "\",\"Token\":\""
      T_TOKEN "\"}",
      NGX_OK, NULL, NULL, NULL, "2026-11-23T16:00:00Z",
      "arn:aws:iam::123456789012:role/task", NULL, NULL, NULL },

    { "ecs without token", PARSE_ECS,
      "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"Expiration\":"
      "\"2026-11-23T16:00:00Z\",\"SecretAccessKey\":\"" T_SECRET "\"}",
      NGX_OK, "AKIAIOSFODNN7EXAMPLE", NULL, "", "2026-11-23T16:00:00Z",
      NULL, NULL, NULL, NULL },

    { "ecs error", PARSE_ECS,
      "{\"code\":\"AccessDeniedException\",\"message\":\"Unable to assume "
      "role\"}",
      NGX_DECLINED, NULL, NULL, NULL, NULL, NULL, "AccessDeniedException",
      "", "Unable to assume role" },

    { "ecs without expiration", PARSE_ECS,
      "{\"AccessKeyId\":\"" T_AKID "\",\"SecretAccessKey\":\"" T_SECRET "\","
      "\"Token\":\"" T_TOKEN "\"}", REFUSED },

    { "ecs nothing", PARSE_ECS, "{}", REFUSED },

    { NULL, 0, NULL, REFUSED }
};


static test_case_t *
test_find(const char *name)
{
    test_case_t  *t;

    for (t = cases; t->name; t++) {
        if (strcmp(t->name, name) == 0) {
            return t;
        }
    }

    abort();
}


static ngx_int_t
test_parse(ngx_pool_t *pool, int parser, u_char *p, size_t len,
    ngx_http_dynamo_aws_creds_t *creds)
{
    switch (parser) {

    case PARSE_IMDS:
        return ngx_http_dynamo_imds_answer_parse(pool, pool->log, p, len,
                                                 creds);

    case PARSE_ECS:
        return ngx_http_dynamo_ecs_answer_parse(pool, pool->log, p, len,
                                                creds);

    default:
        return ngx_http_dynamo_sts_answer_parse(pool, pool->log, p, len,
                                                creds);
    }
}


static time_t
test_time(const char *iso)
{
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));

    if (strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
        fprintf(stderr, "bad test time %s\n", iso);
        exit(2);
    }

    return timegm(&tm);
}


static int
test_str(ngx_str_t *s, const char *want)
{
    return s->len == strlen(want)
           && (s->len == 0 || memcmp(s->data, want, s->len) == 0);
}


/* what every parse result must be, whatever the input */

static void
test_sane(const char *name, ngx_int_t rc, ngx_http_dynamo_aws_creds_t *c)
{
    size_t  i;

    check(rc == NGX_OK || rc == NGX_DECLINED || rc == NGX_ERROR,
          "%s: rc %ld", name, (long) rc);

    if (rc == NGX_OK) {
        check(c->access_key_id.len >= 16 && c->access_key_id.len <= 128
              && c->secret_access_key.len > 0 && c->expiration > 0,
              "%s: incomplete credentials", name);

        for (i = 0; i < c->session_token.len; i++) {
            if (c->session_token.data[i] < 0x21
                || c->session_token.data[i] > 0x7e)
            {
                check(0, "%s: unsafe token", name);
                break;
            }
        }
    }

    if (rc == NGX_DECLINED) {
        check(c->error_code.len > 0
              && c->error_code.len <= NGX_HTTP_DYNAMO_AWS_ERROR_CODE_MAX
              && c->error_message.len <= NGX_HTTP_DYNAMO_AWS_ERROR_MSG_MAX
              && c->access_key_id.len == 0,
              "%s: bad error", name);
    }
}


static void
test_cases(void)
{
    size_t                        len;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    test_case_t                  *t;
    ngx_http_dynamo_aws_creds_t   c;

    for (t = cases; t->name; t++) {
        pool = ngx_create_pool(1024, NULL);

        /* UTF-16 input holds NULs: its length is written out */
        len = (strcmp(t->name, "xml in UTF-16") == 0) ? 16 : strlen(t->input);

        rc = test_parse(pool, t->parser, (u_char *) t->input, len, &c);

        check(rc == t->rc, "%s: rc %ld, expected %ld", t->name, (long) rc,
              (long) t->rc);

        test_sane(t->name, rc, &c);

        if (rc == NGX_OK && t->rc == NGX_OK) {
            check(test_str(&c.access_key_id, t->akid ? t->akid : T_AKID),
                  "%s: access key id %.*s", t->name,
                  (int) c.access_key_id.len, c.access_key_id.data);
            check(test_str(&c.secret_access_key,
                           t->secret ? t->secret : T_SECRET),
                  "%s: secret", t->name);
            check(test_str(&c.session_token, t->token ? t->token : T_TOKEN),
                  "%s: token", t->name);
            check(c.expiration == test_time(t->expiration),
                  "%s: expiration %ld, expected %ld", t->name,
                  (long) c.expiration, (long) test_time(t->expiration));
            check(test_str(&c.assumed_role_arn, t->arn ? t->arn : ""),
                  "%s: arn %.*s", t->name, (int) c.assumed_role_arn.len,
                  c.assumed_role_arn.data);
        }

        if (rc == NGX_DECLINED && t->rc == NGX_DECLINED) {
            check(test_str(&c.error_code, t->code), "%s: code %.*s",
                  t->name, (int) c.error_code.len, c.error_code.data);
            check(test_str(&c.error_type, t->type), "%s: type %.*s",
                  t->name, (int) c.error_type.len, c.error_type.data);
            check(test_str(&c.error_message, t->message),
                  "%s: message %.*s", t->name, (int) c.error_message.len,
                  c.error_message.data);
        }

        ngx_destroy_pool(pool);
    }
}


/* every proper prefix of a good answer is refused */

static void
test_truncated(const char *name, int parser, const char *input,
    size_t complete)
{
    size_t                        len, n;
    u_char                       *copy;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    ngx_http_dynamo_aws_creds_t   c;

    len = strlen(input);

    for (n = 0; n < len; n++) {

        /* an exact copy, so that ASan sees reads past the end */

        copy = malloc(n + 1);
        memcpy(copy, input, n);

        pool = ngx_create_pool(1024, NULL);
        rc = test_parse(pool, parser, copy, n, &c);

        check(rc == NGX_ERROR || n >= complete,
              "%s cut at %zu: rc %ld", name, n, (long) rc);
        test_sane(name, rc, &c);

        ngx_destroy_pool(pool);
        free(copy);
    }
}


static void
test_garbage(void)
{
    int                           parser;
    size_t                        i, j, len;
    u_char                        buf[600];
    uint32_t                      x;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    ngx_http_dynamo_aws_creds_t   c;

    x = 88172645;

    for (i = 0; i < 3000; i++) {
        len = i % sizeof(buf);

        for (j = 0; j < len; j++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[j] = (u_char) x;
        }

        /* steer some of it into the parsers */

        if (i % 3 == 1 && len) {
            buf[0] = '<';

        } else if (i % 3 == 2 && len) {
            buf[0] = '{';
        }

        for (parser = PARSE_STS; parser <= PARSE_ECS; parser++) {
            pool = ngx_create_pool(1024, NULL);
            rc = test_parse(pool, parser, buf, len, &c);

            check(rc == NGX_ERROR || rc == NGX_DECLINED,
                  "garbage %zu: rc %ld", i, (long) rc);
            test_sane("garbage", rc, &c);

            ngx_destroy_pool(pool);
        }
    }
}


/* values at and beyond their bounds */

static void
test_bounds(void)
{
    char                         *doc, *v;
    size_t                        n;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    ngx_http_dynamo_aws_creds_t   c;

    static struct {
        const char  *name;
        size_t       len;
        ngx_int_t    rc;
    } tokens[] = {
        { "token of 16384", NGX_HTTP_DYNAMO_AWS_TOKEN_MAX, NGX_OK },
        { "token of 16385", NGX_HTTP_DYNAMO_AWS_TOKEN_MAX + 1, NGX_ERROR },
        { "token of 200000", 200000, NGX_ERROR },
        { "token of 300000", 300000, NGX_ERROR },
        { NULL, 0, 0 }
    };

    for (n = 0; tokens[n].name; n++) {
        v = malloc(tokens[n].len + 1);
        doc = malloc(tokens[n].len + 1024);
        memset(v, 'A', tokens[n].len);
        v[tokens[n].len] = '\0';

        sprintf(doc, "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                "<AccessKeyId>" T_AKID "</AccessKeyId>"
                "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
                "<SessionToken>%s</SessionToken>"
                "<Expiration>2019-11-09T13:34:41Z</Expiration>"
                "</Credentials></AssumeRoleResult></AssumeRoleResponse>", v);

        pool = ngx_create_pool(1024, NULL);
        rc = ngx_http_dynamo_sts_answer_parse(pool, pool->log, (u_char *) doc,
                                              strlen(doc), &c);
        check(rc == tokens[n].rc, "xml %s: rc %ld", tokens[n].name,
              (long) rc);
        ngx_destroy_pool(pool);

        sprintf(doc, "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{"
                "\"Credentials\":{\"AccessKeyId\":\"" T_AKID "\","
                "\"Expiration\":1763892345,\"SecretAccessKey\":\"" T_SECRET
                "\",\"SessionToken\":\"%s\"}}}}", v);

        pool = ngx_create_pool(1024, NULL);
        rc = ngx_http_dynamo_sts_answer_parse(pool, pool->log, (u_char *) doc,
                                              strlen(doc), &c);
        check(rc == tokens[n].rc, "json %s: rc %ld", tokens[n].name,
              (long) rc);
        ngx_destroy_pool(pool);

        free(v);
        free(doc);
    }

    /* access key ids of 128 and 129, secret of 257, long error texts */

    doc = malloc(8192);
    v = malloc(4096);

    memset(v, 'A', 128);
    v[128] = '\0';
    sprintf(doc, "{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"s\","
            "\"Expiration\":\"2026-11-23T16:00:00Z\"}", v);
    pool = ngx_create_pool(1024, NULL);
    rc = ngx_http_dynamo_ecs_answer_parse(pool, pool->log, (u_char *) doc,
                                          strlen(doc), &c);
    check(rc == NGX_OK, "access key id of 128: rc %ld", (long) rc);
    ngx_destroy_pool(pool);

    memset(v, 'A', 129);
    v[129] = '\0';
    sprintf(doc, "{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"s\","
            "\"Expiration\":\"2026-11-23T16:00:00Z\"}", v);
    pool = ngx_create_pool(1024, NULL);
    rc = ngx_http_dynamo_ecs_answer_parse(pool, pool->log, (u_char *) doc,
                                          strlen(doc), &c);
    check(rc == NGX_ERROR, "access key id of 129: rc %ld", (long) rc);
    ngx_destroy_pool(pool);

    memset(v, 's', 257);
    v[257] = '\0';
    sprintf(doc, "{\"AccessKeyId\":\"" T_AKID "\",\"SecretAccessKey\":\"%s\","
            "\"Expiration\":\"2026-11-23T16:00:00Z\"}", v);
    pool = ngx_create_pool(1024, NULL);
    rc = ngx_http_dynamo_ecs_answer_parse(pool, pool->log, (u_char *) doc,
                                          strlen(doc), &c);
    check(rc == NGX_ERROR, "secret of 257: rc %ld", (long) rc);
    ngx_destroy_pool(pool);

    /* a message cut at 1024 bytes, not inside a UTF-8 sequence */

    v[0] = 'x';

    for (n = 1; n < 2000; n += 2) {
        v[n] = '\xc3';
        v[n + 1] = '\xa9';
    }

    v[n] = '\0';

    sprintf(doc, "<ErrorResponse><Error><Code>%.300s</Code><Message>%s"
            "</Message></Error></ErrorResponse>", v + 1, v);
    pool = ngx_create_pool(1024, NULL);
    rc = ngx_http_dynamo_sts_answer_parse(pool, pool->log, (u_char *) doc,
                                          strlen(doc), &c);
    check(rc == NGX_DECLINED
          && c.error_message.len == NGX_HTTP_DYNAMO_AWS_ERROR_MSG_MAX - 1
          && c.error_code.len == NGX_HTTP_DYNAMO_AWS_ERROR_CODE_MAX,
          "long error texts: rc %ld, %zu, %zu", (long) rc,
          c.error_code.len, c.error_message.len);
    ngx_destroy_pool(pool);

    free(v);
    free(doc);

    /* an answer over the limit is not even read */

    n = NGX_HTTP_DYNAMO_AWS_ANSWER_MAX + 1;
    doc = malloc(n);
    memset(doc, ' ', n);
    doc[0] = '{';

    pool = ngx_create_pool(1024, NULL);
    rc = ngx_http_dynamo_sts_answer_parse(pool, pool->log, (u_char *) doc, n,
                                          &c);
    check(rc == NGX_ERROR, "oversized answer: rc %ld", (long) rc);
    ngx_destroy_pool(pool);

    free(doc);
}


/* the kept secrets are wiped by the pool's cleanups */

static void
test_wipe(void)
{
    size_t                        i;
    u_char                       *secret, *token;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    ngx_pool_cleanup_t           *cln;
    ngx_http_dynamo_aws_creds_t   c;

    static const char  *docs[] = { xml_assume_role, json_assume_role, NULL };

    for (i = 0; docs[i]; i++) {
        pool = ngx_create_pool(1024, NULL);

        rc = ngx_http_dynamo_sts_answer_parse(pool, pool->log,
                                              (u_char *) docs[i],
                                              strlen(docs[i]), &c);
        check(rc == NGX_OK, "wipe %zu: rc %ld", i, (long) rc);

        secret = c.secret_access_key.data;
        token = c.session_token.data;

        /* what ngx_destroy_pool() does first; the cleanups run twice */

        for (cln = pool->cleanup; cln; cln = cln->next) {
            if (cln->handler) {
                cln->handler(cln->data);
            }
        }

        check(rc == NGX_OK && secret[0] == 0 && token[0] == 0
              && memcmp(secret, secret + 1, c.secret_access_key.len - 1) == 0
              && memcmp(token, token + 1, c.session_token.len - 1) == 0,
              "wipe %zu: secrets still in the pool", i);

        ngx_destroy_pool(pool);
    }
}


static void
test_times(void)
{
    time_t      t;
    ngx_int_t   rc;
    ngx_uint_t  i;

    static struct {
        const char  *s;
        ngx_int_t    rc;
        const char  *iso;      /* expected, through timegm() */
        time_t       epoch;    /* or this, when iso is NULL */
    } times[] = {
        { "2026-11-23T10:00:00Z", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T10:00:00.123Z", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T10:00:00,5Z", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T10:00:00.123456789Z", NGX_OK, "2026-11-23T10:00:00Z",
          0 },
        { "2026-11-23t10:00:00z", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23 10:00:00Z", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T10:00:00", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T10:00:00+00:00", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T10:00:00-00:00", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T12:30:00+02:30", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T12:30:00+0230", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T12:00:00+02", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-23T05:00:00-05:00", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2026-11-22T23:00:00-11:00", NGX_OK, "2026-11-23T10:00:00Z", 0 },
        { "2024-02-29T00:00:00Z", NGX_OK, "2024-02-29T00:00:00Z", 0 },
        { "2000-02-29T23:59:59Z", NGX_OK, "2000-02-29T23:59:59Z", 0 },
        { "1970-01-01T00:00:00Z", NGX_OK, NULL, 0 },
        { "2038-01-19T03:14:08Z", NGX_OK, NULL, 2147483648LL },
        { "2100-03-01T00:00:00Z", NGX_OK, "2100-03-01T00:00:00Z", 0 },
        { "9999-12-31T23:59:59Z", NGX_OK, NULL, 253402300799LL },
        { "2016-12-31T23:59:60Z", NGX_OK, "2017-01-01T00:00:00Z", 0 },
        { "1763892345", NGX_OK, NULL, 1763892345 },
        { "1763892345.999", NGX_OK, NULL, 1763892345 },
        { "1.763892345E9", NGX_OK, NULL, 1763892345 },
        { "1.763892345e9", NGX_OK, NULL, 1763892345 },
        { "1.763892345E+9", NGX_OK, NULL, 1763892345 },
        { "1.7639E9", NGX_OK, NULL, 1763900000 },
        { "17639E5", NGX_OK, NULL, 1763900000 },
        { "0.0017639E12", NGX_OK, NULL, 1763900000 },
        { "17639000000000E-4", NGX_OK, NULL, 1763900000 },
        { "0001763892345", NGX_OK, NULL, 1763892345 },
        { ".5E1", NGX_OK, NULL, 5 },
        { "5e-3", NGX_OK, NULL, 0 },
        { "0e999999999", NGX_OK, NULL, 0 },
        { "253402300799", NGX_OK, NULL, 253402300799LL },
        { "253402300800", NGX_ERROR, NULL, 0 },
        { "1e300", NGX_ERROR, NULL, 0 },
        { "1e99999999999999999999", NGX_ERROR, NULL, 0 },
        { "-1763892345", NGX_ERROR, NULL, 0 },
        { "+1763892345", NGX_ERROR, NULL, 0 },
        { "1.7.6", NGX_ERROR, NULL, 0 },
        { "1e", NGX_ERROR, NULL, 0 },
        { "1e+", NGX_ERROR, NULL, 0 },
        { "e9", NGX_ERROR, NULL, 0 },
        { ".", NGX_ERROR, NULL, 0 },
        { "", NGX_ERROR, NULL, 0 },
        { "1763892345 ", NGX_ERROR, NULL, 0 },
        { " 1763892345", NGX_ERROR, NULL, 0 },
        { "0x10", NGX_ERROR, NULL, 0 },
        { "2026-11-23", NGX_ERROR, NULL, 0 },
        { "2026-11-23T", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:00.Z", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:00ZZ", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:00+5", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:00+05:0", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:00+24:00", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:00 UTC", NGX_ERROR, NULL, 0 },
        { "2026-13-01T00:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026-00-01T00:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026-11-31T00:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026-02-29T00:00:00Z", NGX_ERROR, NULL, 0 },
        { "2100-02-29T00:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026-11-23T24:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:60:00Z", NGX_ERROR, NULL, 0 },
        { "2026-11-23T10:00:61Z", NGX_ERROR, NULL, 0 },
        { "1969-12-31T23:59:59Z", NGX_ERROR, NULL, 0 },
        { "1970-01-01T00:30:00+01:00", NGX_ERROR, NULL, 0 },
        { "26-11-23T10:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026/11/23T10:00:00Z", NGX_ERROR, NULL, 0 },
        { "2026-1a-23T10:00:00Z", NGX_ERROR, NULL, 0 },
        { NULL, 0, NULL, 0 }
    };

    for (i = 0; times[i].s; i++) {
        t = -7;
        rc = ngx_http_dynamo_parse_aws_time((u_char *) times[i].s,
                                            strlen(times[i].s), &t);

        check(rc == times[i].rc, "time \"%s\": rc %ld", times[i].s,
              (long) rc);

        if (rc == NGX_OK && times[i].rc == NGX_OK) {
            check(t == (times[i].iso ? test_time(times[i].iso)
                                     : times[i].epoch),
                  "time \"%s\": %lld", times[i].s, (long long) t);
        }
    }

    /* timegm() as the oracle over two centuries */

    for (t = 0; t < 4102444800LL; t += 86400 * 13 + 3607) {
        char       buf[32];
        time_t     got;
        struct tm  tm;

        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);

        rc = ngx_http_dynamo_parse_aws_time((u_char *) buf, strlen(buf),
                                            &got);

        check(rc == NGX_OK && got == t, "time %s: %lld, expected %lld",
              buf, (long long) got, (long long) t);

        sprintf(buf, "%lld", (long long) t);

        rc = ngx_http_dynamo_parse_aws_time((u_char *) buf, strlen(buf),
                                            &got);

        check(rc == NGX_OK && got == t, "epoch %s", buf);
    }
}


static void
test_corpus(const char *dir)
{
    int                           parser;
    char                          path[1024];
    long                          size;
    FILE                         *f;
    DIR                          *d;
    u_char                       *buf;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    ngx_int_t                     want;
    ngx_uint_t                    seeds;
    struct dirent                *e;
    ngx_http_dynamo_aws_creds_t   c;

    seeds = 0;

    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "no corpus at %s, skipped\n", dir);
        return;
    }

    while ((e = readdir(d)) != NULL) {
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

        buf = malloc(size + 1);
        if (fread(buf, 1, size, f) != (size_t) size) {
            size = 0;
        }

        fclose(f);

        for (parser = PARSE_STS; parser <= PARSE_ECS; parser++) {
            pool = ngx_create_pool(1024, NULL);
            rc = test_parse(pool, parser, buf, size, &c);
            test_sane(e->d_name, rc, &c);

            /* ok-<parser>-*, err-<parser>-*, bad-<parser>-*: the outcome */

            if ((parser == PARSE_STS && strstr(e->d_name, "-sts-"))
                || (parser == PARSE_IMDS && strstr(e->d_name, "-imds-"))
                || (parser == PARSE_ECS && strstr(e->d_name, "-ecs-")))
            {
                want = (strncmp(e->d_name, "ok-", 3) == 0) ? NGX_OK
                       : (strncmp(e->d_name, "err-", 4) == 0) ? NGX_DECLINED
                       : NGX_ERROR;

                check(rc == want, "corpus %s: rc %ld", e->d_name, (long) rc);
                seeds++;
            }

            ngx_destroy_pool(pool);
        }

        free(buf);
    }

    closedir(d);

    check(seeds >= 12, "only %lu seeds in %s", (unsigned long) seeds, dir);
}


int
main(int argc, char **argv)
{
    test_cases();
    test_truncated("xml assume role", PARSE_STS, xml_assume_role,
                   sizeof(xml_assume_role) - 1);
    test_truncated("json assume role", PARSE_STS, json_assume_role,
                   sizeof(json_assume_role) - 1);
    test_truncated("imds", PARSE_IMDS, test_find("imds")->input,
                   strlen(test_find("imds")->input));
    test_garbage();
    test_bounds();
    test_wipe();
    test_times();
    test_corpus(argc > 1 ? argv[1] : "t/unit/corpus/sts_answer");

    printf("%s: %d checks, %d failed\n", argv[0], checks, failures);

    return failures ? 1 : 0;
}
