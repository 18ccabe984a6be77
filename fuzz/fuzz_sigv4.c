
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * ngx_http_dynamo_sigv4.c: canonical requests, signatures, the signing
 * key, the payload hash, AWS's URI encoding and form bodies.
 *
 * Input: a request as t/unit/corpus/sigv4 writes them: "METHOD target
 * HTTP/1.1", "Name:value" lines (the value is all after the first
 * colon), an empty line, the body.  Lines starting with "@" set what
 * the request does not say: "@region:", "@service:", "@akid:",
 * "@secret:", "@time:" (epoch seconds, when there is no 16 character
 * X-Amz-Date), "@split:" (where the body is cut for the payload hash).
 *
 * Checked against independent computations (OpenSSL's HMAC(), a plain
 * ASCII canonicalisation, the C library's gmtime_r()):
 *
 *   - sign() succeeds exactly when the request is signable, and writes
 *     auth_len() bytes: the credential scope, the signed headers (the
 *     distinct names, lowercased, sorted) and 64 hex digits;
 *   - the signing key is the HMAC chain of "AWS4" + secret, date, region,
 *     service, "aws4_request";
 *   - the string to sign names the SHA-256 of the canonical request the
 *     debug hook shows, the signature is its HMAC with the key;
 *   - the same headers lowercased and sorted, signed with s.sorted, give
 *     the same Authorization (when the names are distinct); so does
 *     signing with a cache kept from input to input, with the values
 *     that have nothing to trim said to be clean (s.clean);
 *   - the canonical request starts with method, uri and query and ends
 *     with the signed headers and the payload hash; with ASCII values it
 *     is exactly the expected one; x-amz-security-token shows masked;
 *   - the payload hash cut anywhere is the hash of the whole;
 *   - URI and form encodings: announced length, unreserved characters or
 *     upper case %XX only, and decoding gives the input back;
 *   - amz_date() is gmtime_r() in YYYYMMDD'T'HHMMSS'Z'.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_sigv4.h"
#include "ngx_http_dynamo_time.h"
#include "ngx_fuzz.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>


#define FUZZ_HEADERS_MAX  40
#define FUZZ_PARAMS_MAX   16


typedef struct {
    ngx_str_t                     canonical;
    ngx_str_t                     sts;
    ngx_uint_t                    called;
} fuzz_debug_t;


static void
fuzz_debug(void *data, ngx_str_t *canonical, ngx_str_t *sts)
{
    fuzz_debug_t  *d = data;

    d->called++;

    d->canonical.data = malloc(canonical->len + 1);
    d->sts.data = malloc(sts->len + 1);
    ngx_fuzz_assert(d->canonical.data && d->sts.data, "malloc");

    ngx_memcpy(d->canonical.data, canonical->data, canonical->len);
    ngx_memcpy(d->sts.data, sts->data, sts->len);
    d->canonical.len = canonical->len;
    d->sts.len = sts->len;
}


static u_char *
fuzz_hex(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


static ngx_uint_t
fuzz_unreserved(u_char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '~';
}


static ngx_uint_t
fuzz_hexval(u_char c)
{
    return (c >= '0' && c <= '9') ? (ngx_uint_t) (c - '0')
                                  : (ngx_uint_t) (c - 'A' + 10);
}


/* decodes dst in place, checking it is what AWS's encoding writes */

static void
fuzz_decode(ngx_str_t *enc, ngx_uint_t plus, ngx_str_t *src)
{
    u_char  *p, *last, *d, c;

    p = enc->data;
    last = p + enc->len;
    d = p;

    while (p < last) {
        c = *p++;

        if (c == '%') {
            ngx_fuzz_assert(last - p >= 2
                            && ((p[0] >= '0' && p[0] <= '9')
                                || (p[0] >= 'A' && p[0] <= 'F'))
                            && ((p[1] >= '0' && p[1] <= '9')
                                || (p[1] >= 'A' && p[1] <= 'F')),
                            "a bad %% escape in \"%.*s\"",
                            (int) enc->len, enc->data);

            c = (u_char) (fuzz_hexval(p[0]) << 4 | fuzz_hexval(p[1]));
            p += 2;

            ngx_fuzz_assert(!fuzz_unreserved(c) && !(plus && c == ' '),
                            "0x%02x is escaped", c);

        } else if (plus && c == '+') {
            c = ' ';

        } else {
            ngx_fuzz_assert(fuzz_unreserved(c), "0x%02x is not escaped", c);
        }

        *d++ = c;
    }

    ngx_fuzz_assert((size_t) (d - enc->data) == src->len
                    && ngx_memcmp(enc->data, src->data, src->len) == 0,
                    "encoding and decoding changed \"%.*s\"",
                    (int) src->len, src->data);
}


/* any bytes as the one value of a form, encoded, decoded back */

static void
fuzz_form_value(ngx_pool_t *pool, ngx_str_t *src)
{
    ngx_str_t                     form, enc;
    ngx_http_dynamo_aws_param_t   param;

    ngx_str_set(&param.key, "k");
    param.value = *src;

    ngx_fuzz_assert(ngx_http_dynamo_aws_form(pool, &param, 1, &form)
                    == NGX_OK, "aws_form()");

    ngx_fuzz_assert(form.len >= 2 && ngx_memcmp(form.data, "k=", 2) == 0,
                    "the form does not start with \"k=\"");

    enc.data = form.data + 2;
    enc.len = form.len - 2;

    fuzz_decode(&enc, 1, src);
}


/* the body as "k=v&k=v" parameters, encoded, decoded back */

static void
fuzz_form(ngx_pool_t *pool, ngx_str_t *body)
{
    u_char                       *p, *last, *amp, *eq;
    ngx_str_t                     form, part, want;
    ngx_uint_t                    n, i;
    ngx_http_dynamo_aws_param_t   params[FUZZ_PARAMS_MAX];

    n = 0;
    p = body->data;
    last = p + body->len;

    while (p < last && n < FUZZ_PARAMS_MAX) {
        amp = memchr(p, '&', last - p);
        amp = amp ? amp : last;

        eq = memchr(p, '=', amp - p);

        params[n].key.data = p;
        params[n].key.len = (eq ? eq : amp) - p;
        params[n].value.data = eq ? eq + 1 : amp;
        params[n].value.len = eq ? (size_t) (amp - eq - 1) : 0;
        n++;

        p = amp + 1;
    }

    ngx_fuzz_assert(ngx_http_dynamo_aws_form(pool, params, n, &form)
                    == NGX_OK, "aws_form()");

    /* the separators are the form's own: decode between them */

    p = form.data;
    last = p + form.len;
    for (i = 0; i < n; i++) {
        amp = memchr(p, '&', last - p);
        amp = amp ? amp : last;
        eq = memchr(p, '=', amp - p);

        ngx_fuzz_assert(eq != NULL, "parameter %lu without \"=\" in the form",
                        (unsigned long) i);

        part.data = p;
        part.len = eq - p;
        want = params[i].key;
        fuzz_decode(&part, 1, &want);

        part.data = eq + 1;
        part.len = amp - eq - 1;
        want = params[i].value;
        fuzz_decode(&part, 1, &want);

        p = amp + 1;
    }

    ngx_fuzz_assert(n == 0 || p == last + 1, "the form has more parameters");

}


static void
fuzz_amz_date(time_t t)
{
    u_char     buf[NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN + 1], expect[32];
    struct tm  tm;

    ngx_fuzz_assert(ngx_http_dynamo_time_amz_date(buf, t)
                    == buf + NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN,
                    "amz_date() length");

    if (t < 0 || t > 253402300799LL || gmtime_r(&t, &tm) == NULL) {
        return;
    }

    strftime((char *) expect, sizeof(expect), "%Y%m%dT%H%M%SZ", &tm);

    ngx_fuzz_assert(ngx_strncmp(buf, expect, 16) == 0,
                    "amz_date(%lld) is %.16s, not %s", (long long) t, buf,
                    expect);
}


/* HMAC-SHA256 chain with OpenSSL's HMAC() */

static void
fuzz_key(u_char *key, ngx_str_t *secret, u_char *date, ngx_str_t *region,
    ngx_str_t *service)
{
    u_char        *k, a[32], b[32];
    unsigned int   len;

    k = malloc(4 + secret->len);
    ngx_fuzz_assert(k != NULL, "malloc");

    ngx_memcpy(k, "AWS4", 4);
    ngx_memcpy(k + 4, secret->data, secret->len);

    ngx_fuzz_assert(HMAC(EVP_sha256(), k, (int) (4 + secret->len), date, 8,
                         a, &len) != NULL
                    && HMAC(EVP_sha256(), a, 32, region->data, region->len,
                            b, &len) != NULL
                    && HMAC(EVP_sha256(), b, 32, service->data, service->len,
                            a, &len) != NULL
                    && HMAC(EVP_sha256(), a, 32,
                            (u_char *) "aws4_request", 12, key, &len)
                       != NULL,
                    "HMAC()");

    free(k);
}


static int
fuzz_name_cmp(const void *one, const void *two)
{
    size_t           n;
    int              rc;
    const ngx_str_t  *a = one, *b = two;

    n = ngx_min(a->len, b->len);
    rc = (n == 0) ? 0 : memcmp(a->data, b->data, n);

    if (rc != 0) {
        return rc;
    }

    return (a->len == b->len) ? 0 : (a->len < b->len) ? -1 : 1;
}


static ngx_uint_t
fuzz_ascii_space(u_char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}


/*
 * The canonical request of headers whose values are ASCII: names
 * lowercased, sorted (stable), values split on Python's white space and
 * joined by one space, repeated names' values joined by ",".
 */

static ngx_int_t
fuzz_canonical(ngx_http_dynamo_sigv4_t *s, ngx_str_t *lower,
    ngx_str_t *signed_headers, ngx_str_t *out)
{
    u_char      *p, *v, *last;
    size_t       len;
    ngx_uint_t   i, j, started, *order, t;

    len = s->method.len + s->uri.len + s->query.len + 200
          + signed_headers->len;

    for (i = 0; i < s->nheaders; i++) {
        for (v = s->headers[i].value.data, last = v + s->headers[i].value.len;
             v < last; v++)
        {
            if (*v >= 0x80) {
                return NGX_DECLINED;
            }
        }

        len += 2 * s->headers[i].name.len + s->headers[i].value.len + 3;
    }

    order = malloc(sizeof(ngx_uint_t) * (s->nheaders + 1));
    out->data = malloc(len);
    ngx_fuzz_assert(order && out->data, "malloc");

    /* a stable insertion sort, by the lowercased names */

    for (i = 0; i < s->nheaders; i++) {
        t = i;

        for (j = i; j > 0; j--) {
            if (fuzz_name_cmp(&lower[order[j - 1]], &lower[t]) <= 0) {
                break;
            }

            order[j] = order[j - 1];
        }

        order[j] = t;
    }

    p = ngx_cpymem(out->data, s->method.data, s->method.len);
    *p++ = '\n';
    p = ngx_cpymem(p, s->uri.data, s->uri.len);
    *p++ = '\n';
    /* no query is NULL, as in r->args, and memcpy() wants a pointer */

    if (s->query.len) {
        p = ngx_cpymem(p, s->query.data, s->query.len);
    }

    *p++ = '\n';

    for (i = 0; i < s->nheaders; i = j) {
        p = ngx_cpymem(p, lower[order[i]].data, lower[order[i]].len);
        *p++ = ':';

        for (j = i; j < s->nheaders
                    && fuzz_name_cmp(&lower[order[i]], &lower[order[j]]) == 0;
             j++)
        {
            if (j != i) {
                *p++ = ',';
            }

            v = s->headers[order[j]].value.data;
            last = v + s->headers[order[j]].value.len;
            started = 0;

            while (v < last) {
                while (v < last && fuzz_ascii_space(*v)) {
                    v++;
                }

                if (v == last) {
                    break;
                }

                if (started) {
                    *p++ = ' ';
                }

                while (v < last && !fuzz_ascii_space(*v)) {
                    *p++ = *v++;
                }

                started = 1;
            }
        }

        *p++ = '\n';
    }

    *p++ = '\n';
    p = ngx_cpymem(p, signed_headers->data, signed_headers->len);
    *p++ = '\n';
    p = ngx_cpymem(p, s->payload_hash, NGX_HTTP_DYNAMO_SIGV4_HASH_LEN);

    out->len = p - out->data;

    free(order);

    return NGX_OK;
}


static void
fuzz_payload_hash(ngx_pool_t *pool, ngx_str_t *body, size_t split,
    u_char *hash)
{
    size_t                    i;
    u_char                    md[32];
    u_char                    whole[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    u_char                    evp[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    ngx_http_dynamo_sha256_t *h;

    /* zeroed, and as long-lived as the pool, as the header asks */

    h = ngx_pcalloc(pool, sizeof(ngx_http_dynamo_sha256_t));
    ngx_fuzz_assert(h != NULL, "alloc");

    split = ngx_min(split, body->len);

    ngx_fuzz_assert(ngx_http_dynamo_sigv4_payload_hash_init(h) == NGX_OK
                    && ngx_http_dynamo_sigv4_payload_hash_update(h,
                           body->data, split) == NGX_OK
                    && ngx_http_dynamo_sigv4_payload_hash_update(h,
                           body->data + split, body->len - split) == NGX_OK
                    && ngx_http_dynamo_sigv4_payload_hash_final(h, hash)
                       == NGX_OK,
                    "payload hash");

    ngx_fuzz_assert(ngx_http_dynamo_sigv4_sha256_hex(whole, body->data,
                                                     body->len) == NGX_OK
                    && ngx_memcmp(whole, hash, sizeof(whole)) == 0,
                    "the payload hash cut at %zu differs", split);

    /* and OpenSSL's EVP interface agrees with the low-level calls */

    ngx_fuzz_assert(EVP_Digest(body->data, body->len, md, NULL, EVP_sha256(),
                               NULL) == 1, "EVP_Digest()");

    for (i = 0; i < sizeof(md); i++) {
        evp[2 * i] = "0123456789abcdef"[md[i] >> 4];
        evp[2 * i + 1] = "0123456789abcdef"[md[i] & 0x0f];
    }

    ngx_fuzz_assert(ngx_memcmp(evp, whole, sizeof(evp)) == 0,
                    "sha256_hex() is not EVP's SHA-256");
}


static ngx_str_t *
fuzz_line(ngx_str_t *line, const char *name)
{
    size_t  n;

    n = ngx_strlen(name);

    if (line->len >= n && ngx_strncmp(line->data, name, n) == 0) {
        line->data += n;
        line->len -= n;
        return line;
    }

    return NULL;
}


/*
 * With distinct names, the headers lowercased and in sorted order, signed
 * with s.sorted, give the same Authorization.  sorted: the lower names
 * (the same pointers), sorted, repeated ones dropped.
 */

static void
fuzz_sorted(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool, ngx_str_t *lower,
    ngx_str_t *sorted, ngx_uint_t nsorted, ngx_str_t *auth)
{
    ngx_int_t                      rc;
    ngx_str_t                      auth2;
    ngx_uint_t                     i, j;
    ngx_http_dynamo_sigv4_t        s2;
    ngx_http_dynamo_aws_header_t   headers[FUZZ_HEADERS_MAX];

    if (nsorted != s->nheaders) {
        return;
    }

    for (i = 0; i < nsorted; i++) {
        for (j = 0; lower[j].data != sorted[i].data; j++) {
            /* void */
        }

        headers[i].name = sorted[i];
        headers[i].value = s->headers[j].value;
    }

    s2 = *s;
    s2.headers = headers;
    s2.sorted = 1;
    s2.debug = NULL;

    rc = ngx_http_dynamo_sigv4_sign(&s2, pool, &auth2);

    ngx_fuzz_assert(rc == NGX_OK && auth2.len == auth->len
                    && ngx_memcmp(auth2.data, auth->data, auth->len) == 0,
                    "signed as sorted: \"%.*s\", expected \"%.*s\"",
                    (int) (rc == NGX_OK ? auth2.len : 0), auth2.data,
                    (int) auth->len, auth->data);
}


/*
 * Signed with a worker's cache, kept from one input to the next, twice
 * (the second time its entries are this request's): the same
 * Authorization as without it.
 */

static void
fuzz_cached(ngx_http_dynamo_sigv4_t *s, ngx_pool_t *pool, ngx_str_t *auth)
{
    size_t                          j;
    uint32_t                        clean;
    ngx_int_t                       rc;
    ngx_str_t                       auth2;
    ngx_uint_t                      i;
    ngx_http_dynamo_sigv4_t         s2;

    static ngx_http_dynamo_sigv4_cache_t  cache;

    /* and the values with nothing to trim said to be clean */

    clean = 0;

    for (i = 0; i < s->nheaders && i < 32; i++) {
        for (j = 0; j < s->headers[i].value.len; j++) {
            if (s->headers[i].value.data[j] < 0x21
                || s->headers[i].value.data[j] > 0x7e)
            {
                break;
            }
        }

        if (j == s->headers[i].value.len) {
            clean |= 1U << i;
        }
    }

    for (i = 0; i < 2; i++) {
        s2 = *s;
        s2.cache = &cache;
        s2.clean = clean;
        s2.debug = NULL;

        rc = ngx_http_dynamo_sigv4_sign(&s2, pool, &auth2);

        ngx_fuzz_assert(rc == NGX_OK && auth2.len == auth->len
                        && ngx_memcmp(auth2.data, auth->data, auth->len)
                           == 0,
                        "signed with the cache (%s): \"%.*s\", "
                        "expected \"%.*s\"", i ? "used" : "filled",
                        (int) (rc == NGX_OK ? auth2.len : 0), auth2.data,
                        (int) auth->len, auth->data);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                        *copy, *p, *last, *nl, *sp, *q, *colon;
    u_char                         amz_date[NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN];
    u_char                         hash[NGX_HTTP_DYNAMO_SIGV4_HASH_LEN];
    u_char                         key[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char                         key2[NGX_HTTP_DYNAMO_SIGV4_KEY_LEN];
    u_char                         md[32], hex[64];
    size_t                         split, n;
    time_t                         now;
    ngx_int_t                      rc;
    ngx_str_t                      line, region, service, akid, secret;
    ngx_str_t                      target, auth, body, expect, want;
    ngx_str_t                      lower[FUZZ_HEADERS_MAX];
    ngx_str_t                      signed_headers, sorted[FUZZ_HEADERS_MAX];
    ngx_uint_t                     i, nsorted, signable, has_token;
    ngx_pool_t                    *pool;
    fuzz_debug_t                   dbg;
    unsigned int                   mac_len;
    ngx_http_dynamo_sigv4_t        s;
    ngx_http_dynamo_aws_header_t   headers[FUZZ_HEADERS_MAX];

    /* a copy of the input's exact size: the request points into it */

    copy = ngx_fuzz_copy(data, size);

    pool = ngx_create_pool(4096, ngx_fuzz_log());
    ngx_fuzz_assert(pool != NULL, "pool");

    ngx_memzero(&s, sizeof(s));
    ngx_memzero(&dbg, sizeof(dbg));

    ngx_str_set(&region, "us-east-1");
    ngx_str_set(&service, "dynamodb");
    ngx_str_set(&akid, "AKIDEXAMPLE");
    ngx_str_set(&secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    now = NGX_FUZZ_NOW;
    split = size / 2;

    p = copy;
    last = copy + size;

    /* the request line */

    nl = memchr(p, '\n', last - p);
    nl = nl ? nl : last;

    sp = memchr(p, ' ', nl - p);

    s.method.data = p;
    s.method.len = (sp ? sp : nl) - p;

    target.data = nl;
    target.len = 0;

    if (sp) {
        target.data = sp + 1;
        q = memchr(target.data, ' ', nl - target.data);
        target.len = (q ? q : nl) - target.data;
    }

    q = target.len ? memchr(target.data, '?', target.len) : NULL;

    s.uri.data = target.data;
    s.uri.len = (q ? q : target.data + target.len) - target.data;

    if (q) {
        s.query.data = q + 1;
        s.query.len = target.data + target.len - s.query.data;
    }

    p = (nl < last) ? nl + 1 : last;

    /* the headers, and the harness's settings */

    while (p < last && *p != '\n') {
        nl = memchr(p, '\n', last - p);
        nl = nl ? nl : last;

        line.data = p;
        line.len = nl - p;
        p = (nl < last) ? nl + 1 : last;

        if (line.len && line.data[0] == '@') {

            if (fuzz_line(&line, "@region:")) {
                region = line;

            } else if (fuzz_line(&line, "@service:")) {
                service = line;

            } else if (fuzz_line(&line, "@akid:")) {
                akid = line;

            } else if (fuzz_line(&line, "@secret:")) {
                secret = line;

            } else if (fuzz_line(&line, "@time:")) {
                now = 0;

                for (i = 0; i < line.len && i < 18; i++) {
                    if (line.data[i] >= '0' && line.data[i] <= '9') {
                        now = now * 10 + (line.data[i] - '0');
                    }
                }

                if (line.len && line.data[0] == '-') {
                    now = -now;
                }

            } else if (fuzz_line(&line, "@split:")) {
                for (split = 0, i = 0; i < line.len && i < 9; i++) {
                    if (line.data[i] >= '0' && line.data[i] <= '9') {
                        split = split * 10 + (line.data[i] - '0');
                    }
                }
            }

            continue;
        }

        if (s.nheaders == FUZZ_HEADERS_MAX) {
            continue;
        }

        colon = memchr(line.data, ':', line.len);

        headers[s.nheaders].name.data = line.data;
        headers[s.nheaders].name.len = (colon ? colon : nl) - line.data;
        headers[s.nheaders].value.data = colon ? colon + 1 : nl;
        headers[s.nheaders].value.len = colon ? (size_t) (nl - colon - 1) : 0;
        s.nheaders++;
    }

    body.data = (p < last) ? p + 1 : last;
    body.len = last - body.data;

    s.headers = headers;

    /* the date: X-Amz-Date when it has the form's length */

    fuzz_amz_date(now);
    ngx_http_dynamo_time_amz_date(amz_date, now);

    for (i = 0; i < s.nheaders; i++) {
        if (headers[i].name.len == 10
            && ngx_strncasecmp(headers[i].name.data,
                               (u_char *) "x-amz-date", 10) == 0
            && headers[i].value.len == NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN)
        {
            ngx_memcpy(amz_date, headers[i].value.data,
                       NGX_HTTP_DYNAMO_SIGV4_AMZ_DATE_LEN);
        }
    }

    /* the key, and the payload hash */

    ngx_fuzz_assert(ngx_http_dynamo_sigv4_key(key, &secret, amz_date,
                                              &region, &service) == NGX_OK,
                    "sigv4_key()");

    fuzz_key(key2, &secret, amz_date, &region, &service);

    ngx_fuzz_assert(ngx_memcmp(key, key2, sizeof(key)) == 0,
                    "the signing key is not the HMAC chain");

    fuzz_payload_hash(pool, &body, split, hash);

    fuzz_form_value(pool, &s.uri);
    fuzz_form_value(pool, &body);
    fuzz_form(pool, &body);

    /* the signature */

    s.payload_hash = hash;
    s.amz_date = amz_date;
    s.region = region;
    s.service = service;
    s.access_key_id = akid;
    s.key = key;
    s.log = ngx_fuzz_log();
    s.debug = fuzz_debug;
    s.debug_data = &dbg;

    signable = s.nheaders <= NGX_HTTP_DYNAMO_SIGV4_MAX_HEADERS
               && region.len >= 1 && region.len <= 64
               && service.len >= 1 && service.len <= 64
               && s.method.len && s.uri.len && akid.len;

    has_token = 0;

    for (i = 0; i < s.nheaders; i++) {
        if (headers[i].name.len == 0) {
            signable = 0;
        }

        lower[i].len = headers[i].name.len;
        lower[i].data = ngx_pnalloc(pool, lower[i].len + 1);
        ngx_fuzz_assert(lower[i].data != NULL, "alloc");
        ngx_strlow(lower[i].data, headers[i].name.data, lower[i].len);

        if (lower[i].len == 20
            && ngx_strncmp(lower[i].data, "x-amz-security-token", 20) == 0)
        {
            has_token = 1;
        }
    }

    rc = ngx_http_dynamo_sigv4_sign(&s, pool, &auth);

    ngx_fuzz_assert((rc == NGX_OK) == signable,
                    "sign() answered %ld for a request %ssignable",
                    (long) rc, signable ? "" : "not ");

    if (rc != NGX_OK) {
        goto done;
    }

    ngx_fuzz_assert(auth.len == ngx_http_dynamo_sigv4_auth_len(&s),
                    "auth_len() is %zu, sign() wrote %zu",
                    ngx_http_dynamo_sigv4_auth_len(&s), auth.len);

    /* the signed headers: distinct lowercased names, sorted */

    ngx_memcpy(sorted, lower, s.nheaders * sizeof(ngx_str_t));
    qsort(sorted, s.nheaders, sizeof(ngx_str_t), fuzz_name_cmp);

    for (nsorted = 0, i = 0; i < s.nheaders; i++) {
        if (nsorted == 0 || fuzz_name_cmp(&sorted[nsorted - 1], &sorted[i]))
        {
            sorted[nsorted++] = sorted[i];
        }
    }

    for (n = 0, i = 0; i < nsorted; i++) {
        n += sorted[i].len + 1;
    }

    signed_headers.data = ngx_pnalloc(pool, n + 1);
    ngx_fuzz_assert(signed_headers.data != NULL, "alloc");

    for (q = signed_headers.data, i = 0; i < nsorted; i++) {
        if (i) {
            *q++ = ';';
        }

        q = ngx_cpymem(q, sorted[i].data, sorted[i].len);
    }

    signed_headers.len = q - signed_headers.data;

    fuzz_sorted(&s, pool, lower, sorted, nsorted, &auth);
    fuzz_cached(&s, pool, &auth);

    /* the Authorization value */

    want.len = auth.len + 64;
    want.data = ngx_pnalloc(pool, want.len);
    ngx_fuzz_assert(want.data != NULL, "alloc");

    q = ngx_sprintf(want.data, "AWS4-HMAC-SHA256 Credential=%V/%*s/%V/%V/"
                    "aws4_request, SignedHeaders=%V, Signature=",
                    &akid, (size_t) 8, amz_date, &region, &service,
                    &signed_headers);

    n = q - want.data;

    ngx_fuzz_assert(auth.len == n + 64
                    && ngx_memcmp(auth.data, want.data, n) == 0,
                    "Authorization \"%.*s\", expected \"%.*s...\"",
                    (int) auth.len, auth.data, (int) n, want.data);

    /* the debug hook: canonical request, string to sign, signature */

    ngx_fuzz_assert(dbg.called == 1, "the debug hook was called %lu times",
                    (unsigned long) dbg.called);

    ngx_fuzz_assert(HMAC(EVP_sha256(), key, 32, dbg.sts.data, dbg.sts.len,
                         md, &mac_len) != NULL, "HMAC()");

    fuzz_hex(hex, md, 32);

    ngx_fuzz_assert(ngx_memcmp(auth.data + n, hex, 64) == 0,
                    "the signature is not the HMAC of the string to sign");

    q = ngx_sprintf(want.data, "AWS4-HMAC-SHA256\n%*s\n%*s/%V/%V/"
                    "aws4_request\n", (size_t) 16, amz_date, (size_t) 8,
                    amz_date, &region, &service);

    n = q - want.data;

    ngx_fuzz_assert(dbg.sts.len == n + 64
                    && ngx_memcmp(dbg.sts.data, want.data, n) == 0,
                    "string to sign \"%.*s\"", (int) dbg.sts.len,
                    dbg.sts.data);

    /* the canonical request's ends */

    n = s.method.len + s.uri.len + s.query.len + 3;

    ngx_fuzz_assert(dbg.canonical.len > n
                    && ngx_memcmp(dbg.canonical.data, s.method.data,
                                  s.method.len) == 0
                    && dbg.canonical.data[s.method.len] == '\n',
                    "canonical request \"%.*s\"", (int) dbg.canonical.len,
                    dbg.canonical.data);

    n = signed_headers.len + 2 + NGX_HTTP_DYNAMO_SIGV4_HASH_LEN;

    ngx_fuzz_assert(dbg.canonical.len > n
                    && ngx_memcmp(dbg.canonical.data + dbg.canonical.len - n,
                                  "\n", 1) == 0
                    && ngx_memcmp(dbg.canonical.data + dbg.canonical.len
                                  - n + 1, signed_headers.data,
                                  signed_headers.len) == 0
                    && ngx_memcmp(dbg.canonical.data + dbg.canonical.len
                                  - NGX_HTTP_DYNAMO_SIGV4_HASH_LEN, hash,
                                  NGX_HTTP_DYNAMO_SIGV4_HASH_LEN) == 0,
                    "canonical request \"%.*s\"", (int) dbg.canonical.len,
                    dbg.canonical.data);

    if (has_token) {
        ngx_fuzz_assert(memmem(dbg.canonical.data, dbg.canonical.len,
                               "\nx-amz-security-token:<redacted>\n", 33)
                        != NULL,
                        "the session token is not masked: \"%.*s\"",
                        (int) dbg.canonical.len, dbg.canonical.data);
        goto done;
    }

    /* without a token, the canonical request is the one signed */

    ngx_fuzz_assert(EVP_Digest(dbg.canonical.data, dbg.canonical.len, md,
                               NULL, EVP_sha256(), NULL) == 1, "digest");

    fuzz_hex(hex, md, 32);

    ngx_fuzz_assert(ngx_memcmp(dbg.sts.data + dbg.sts.len - 64, hex, 64)
                    == 0, "the string to sign has another hash than the "
                    "canonical request's");

    if (fuzz_canonical(&s, lower, &signed_headers, &expect) == NGX_OK) {
        ngx_fuzz_assert(expect.len == dbg.canonical.len
                        && ngx_memcmp(expect.data, dbg.canonical.data,
                                      expect.len) == 0,
                        "canonical request\n\"%.*s\"\nexpected\n\"%.*s\"",
                        (int) dbg.canonical.len, dbg.canonical.data,
                        (int) expect.len, expect.data);
        free(expect.data);
    }

done:

    free(dbg.canonical.data);
    free(dbg.sts.data);
    ngx_destroy_pool(pool);
    free(copy);

    return 0;
}
