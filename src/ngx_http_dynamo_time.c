
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Clocks and the calendar: what the module reads of the time and the
 * dates it writes and reads.  See ngx_http_dynamo_time.h.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_time.h"


static u_char *ngx_http_dynamo_time_write(u_char *p, time_t t,
    ngx_uint_t extended);
static ngx_int_t ngx_http_dynamo_time_parse_digits(u_char **pp, u_char *last,
    ngx_uint_t n, ngx_int_t *v);
static int64_t ngx_http_dynamo_time_days(int64_t y, int64_t m, int64_t d);


ngx_msec_t
ngx_http_dynamo_time_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (ngx_msec_t) tp->sec * 1000 + tp->msec;
}


uint64_t
ngx_http_dynamo_time_ns(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_REALTIME, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* the n lowest decimal digits of v, zeros in front: dates, log times */

u_char *
ngx_http_dynamo_time_digits(u_char *p, uint64_t v, ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = n; i > 0; i--) {
        p[i - 1] = (u_char) ('0' + v % 10);
        v /= 10;
    }

    return p + n;
}


/* YYYYMMDD'T'HHMMSS'Z' in UTC, the year's four lowest digits */

u_char *
ngx_http_dynamo_time_amz_date(u_char *buf, time_t t)
{
    return ngx_http_dynamo_time_write(buf, t, 0);
}


/* "2026-11-23T09:30:00Z", terminated */

u_char *
ngx_http_dynamo_time_iso8601(u_char *buf, time_t t)
{
    u_char  *p;

    p = ngx_http_dynamo_time_write(buf, t, 1);
    *p = '\0';

    return p;
}


/* the basic form of ISO 8601, or with "extended" its "-" and ":" */

static u_char *
ngx_http_dynamo_time_write(u_char *p, time_t t, ngx_uint_t extended)
{
    ngx_tm_t  tm;

    ngx_gmtime(t, &tm);

    p = ngx_http_dynamo_time_digits(p, tm.ngx_tm_year, 4);

    if (extended) {
        *p++ = '-';
    }

    p = ngx_http_dynamo_time_digits(p, tm.ngx_tm_mon, 2);

    if (extended) {
        *p++ = '-';
    }

    p = ngx_http_dynamo_time_digits(p, tm.ngx_tm_mday, 2);
    *p++ = 'T';
    p = ngx_http_dynamo_time_digits(p, tm.ngx_tm_hour, 2);

    if (extended) {
        *p++ = ':';
    }

    p = ngx_http_dynamo_time_digits(p, tm.ngx_tm_min, 2);

    if (extended) {
        *p++ = ':';
    }

    p = ngx_http_dynamo_time_digits(p, tm.ngx_tm_sec, 2);
    *p++ = 'Z';

    return p;
}


ngx_int_t
ngx_http_dynamo_time_parse_iso8601(u_char *p, u_char *last, int64_t max,
    time_t *t)
{
    int64_t     v;
    ngx_int_t   year, month, day, hour, min, sec, oh, om, sign, mdays;

    if (ngx_http_dynamo_time_parse_digits(&p, last, 4, &year) != NGX_OK
        || p == last || *p++ != '-'
        || ngx_http_dynamo_time_parse_digits(&p, last, 2, &month) != NGX_OK
        || p == last || *p++ != '-'
        || ngx_http_dynamo_time_parse_digits(&p, last, 2, &day) != NGX_OK
        || p == last || (*p != 'T' && *p != 't' && *p != ' '))
    {
        return NGX_ERROR;
    }

    p++;

    if (ngx_http_dynamo_time_parse_digits(&p, last, 2, &hour) != NGX_OK
        || p == last || *p++ != ':'
        || ngx_http_dynamo_time_parse_digits(&p, last, 2, &min) != NGX_OK
        || p == last || *p++ != ':'
        || ngx_http_dynamo_time_parse_digits(&p, last, 2, &sec) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (p < last && (*p == '.' || *p == ',')) {
        p++;

        if (p == last || *p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    sign = 0;
    oh = 0;
    om = 0;

    if (p < last) {

        if (*p == 'Z' || *p == 'z') {
            p++;

        } else if (*p == '+' || *p == '-') {
            sign = (*p++ == '+') ? 1 : -1;

            if (ngx_http_dynamo_time_parse_digits(&p, last, 2, &oh)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (p < last && *p == ':') {
                p++;

                if (ngx_http_dynamo_time_parse_digits(&p, last, 2, &om)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

            } else if (p < last
                       && ngx_http_dynamo_time_parse_digits(&p, last, 2, &om)
                          != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else {
            return NGX_ERROR;
        }
    }

    if (p != last) {
        return NGX_ERROR;
    }

    if (year < 1970 || month < 1 || month > 12 || day < 1
        || hour > 23 || min > 59 || sec > 60 || oh > 23 || om > 59)
    {
        return NGX_ERROR;
    }

    if (month == 2) {
        mdays = ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)
                ? 29 : 28;

    } else if (month == 4 || month == 6 || month == 9 || month == 11) {
        mdays = 30;

    } else {
        mdays = 31;
    }

    if (day > mdays) {
        return NGX_ERROR;
    }

    v = ngx_http_dynamo_time_days(year, month, day) * 86400
        + hour * 3600 + min * 60 + sec - sign * (oh * 3600 + om * 60);

    if (v < 0 || v > max) {
        return NGX_ERROR;
    }

    *t = (time_t) v;

    return NGX_OK;
}


/* exactly n decimal digits at *pp, read into *v; *pp moves past them */

static ngx_int_t
ngx_http_dynamo_time_parse_digits(u_char **pp, u_char *last, ngx_uint_t n,
    ngx_int_t *v)
{
    u_char  *p;

    p = *pp;

    if ((size_t) (last - p) < n) {
        return NGX_ERROR;
    }

    *v = 0;

    while (n--) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        *v = *v * 10 + (*p++ - '0');
    }

    *pp = p;

    return NGX_OK;
}


/*
 * days since 1970-01-01 of a proleptic Gregorian date, year >= 0: the
 * year counted from March, so that February's leap day ends it, in eras
 * of 400 years (146097 days)
 */

static int64_t
ngx_http_dynamo_time_days(int64_t y, int64_t m, int64_t d)
{
    int64_t  era, yoe, doy, doe;

    y -= (m <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + ((m > 2) ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}
