# Credentials for the role from STS through subrequests: the AssumeRole
# request (parameters, signature checked by botocore in the emulator),
# both answer forms, every failure mapped to the error contract, and the
# cache: hits, refresh ahead of expiry, serving while STS is down.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

@tok{qw(alice bob odd)} = mint_tokens(
    map { { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
            claims => {azp => $_, sub => "sub-$_", jti => "jti-$_"},
            exp_in => 3600 } }
        'drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b',
        'drsa/sa/default/bob',
        'drsa/sa/default/a+b=c,d.e@f_g:h~i j*k');

add_block_preprocessor(\&aws_block_preprocessor);

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: AssumeRole through the dynamo_sts location; the role's key id in $dynamo_access_key_id
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        add_header X-Role $dynamo_role_arn;
        add_header X-Key $dynamo_access_key_id;
    }
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_headers_like eval
["X-Role: arn:aws:iam::123456789012:role/Orders\nX-Key: ASIA[A-Z0-9]{16}", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/"action": "AssumeRole".*"params": \{"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role\/Orders", "RoleSessionName": "drsa-sa-default-c33c6462-b3e5-4c81-96cf-86fef55c881b", "DurationSeconds": "3600"\}.*"signature_ok": true.*"access_key_id": "AKIAIOSFODNN7EXAMPLE", "signed_headers": \["content-type", "host", "x-amz-date"\]/s]
--- no_error_log
[error]



=== TEST 2: nothing of the client's request reaches STS: its token, its headers, its body
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDCLIENT/x\nX-Client-Secret: s3cr3t", ""]
--- response_body_like eval
[qr/^ok$/, qr/"headers": \[\["Host", "sts.us-east-1.amazonaws.com"\], \["Connection", "close"\], \["Content-Length", "\d+"\], \["Content-Type", "application\/x-www-form-urlencoded; charset=utf-8"\], \["X-Amz-Date", "\d{8}T\d{6}Z"\], \["Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/sts\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}"\], \["Accept", "application\/json"\]\]/]
--- response_body_unlike eval
["eyJ", qr/AKIDCLIENT|s3cr3t|cyral/]



=== TEST 3: ExternalId, SourceIdentity, session tags and duration are sent
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_external_id ext-7731;
        dynamo_source_identity $dynamo_claim_sub;
        dynamo_session_tag identity $dynamo_identity;
        dynamo_session_tag token-id $dynamo_claim_jti;
        dynamo_assume_role_duration 2h;
        dynamo_role_session_name gw-$dynamo_claim_sub;
    }
--- emu_config
{"external_ids": {"arn:aws:iam::123456789012:role/Orders": "ext-7731"}}
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/"params": \{"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role\/Orders", "RoleSessionName": "gw-sub-drsa-sa-default-c33c6462-b3e5-4c81-96cf-86fef55c881b", "DurationSeconds": "7200", "ExternalId": "ext-7731", "SourceIdentity": "sub-drsa-sa-default-c33c6462-b3e5-4c81-96cf-86fef55c881b", "Tags.member.1.Key": "identity", "Tags.member.1.Value": "drsa\/sa\/default\/c33c6462-b3e5-4c81-96cf-86fef55c881b", "Tags.member.2.Key": "token-id", "Tags.member.2.Value": "jti-drsa\/sa\/default\/c33c6462-b3e5-4c81-96cf-86fef55c881b"\}.*"signature_ok": true/s]



=== TEST 4: a wrong ExternalId is refused by STS: AccessDeniedException with STS's code
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_external_id wrong;
    }
--- emu_config
{"external_ids": {"arn:aws:iam::123456789012:role/Orders": "ext-7731"}}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body_like chomp
^\{"__type":"com.amazon.coral.service#AccessDeniedException","message":"STS refused role \\"arn:aws:iam::123456789012:role/Orders\\": AccessDenied: [^"]+"\}$
--- error_log eval
[qr/\[error\] .*dynamo: STS refused "arn:aws:iam::123456789012:role\/Orders": 403 AccessDenied/,
 qr/\[info\] .*dynamo: access denied for identity/]



=== TEST 5: a role STS denies
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Forbidden;
        dynamo_sts /_sts;
    }
--- emu_config
{"denied_roles": ["arn:aws:iam::123456789012:role/Forbidden"]}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 400
--- response_body_like chomp
AccessDeniedException","message":"STS refused role .*Forbidden.*: AccessDenied:



=== TEST 6: the XML answer (no Accept: application/json) is understood too
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts_xml;
        add_header X-Key $dynamo_access_key_id;
    }
    location = /_sts_xml {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
        proxy_set_header Accept "";
    }
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_headers_like eval
["X-Key: ASIA[A-Z0-9]{16}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"accept": null, "json": false/]



=== TEST 7: JSON Expiration as ISO-8601 and as an integer
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        add_header X-Key $dynamo_access_key_id;
    }
--- emu_config
{"json_expiration": "iso"}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- response_headers_like
X-Key: ASIA[A-Z0-9]{16}



=== TEST 8: cached credentials: two identities, one role, one call each; repeats are hits
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_role_rule $dynamo_identity ^drsa/ arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}",
 "cyral.token: $::tok{bob}", "cyral.token: $::tok{bob}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/^ok$/, qr/^ok$/, qr/"sts": \{"AssumeRole": 2\}/]



=== TEST 9: STS answering 500 with nothing cached: 503 InternalServerError
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- emu_faults
{"service": "sts", "mode": "error", "status": 500, "code": "InternalFailure", "message": "boom"}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body chomp
{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"credentials for \"arn:aws:iam::123456789012:role/Orders\" are unavailable: STS answered InternalFailure"}



=== TEST 10: STS unreachable, timing out, closing, answering garbage, or too much: 503
--- config
    ignore_invalid_headers off;
    location = /t/down {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts_down;
        dynamo_role_session_name down;
        alias html/t;
    }
    location = /t/hang {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts_hang;
        dynamo_role_session_name hang;
        alias html/t;
    }
    location = /t/garbage {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts_garbage;
        dynamo_role_session_name garbage;
        alias html/t;
    }
    location = /t/huge {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts_huge;
        dynamo_role_session_name huge;
        alias html/t;
    }
    location = /_sts_down {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
    location = /_sts_hang {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
        proxy_read_timeout 500ms;
    }
    location = /_sts_garbage {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
    }
    location = /_sts_huge {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
    }
--- emu_faults
[{"service": "sts", "mode": "hang", "role_arn": "arn:aws:iam::123456789012:role/Orders", "count": 1},
 {"service": "sts", "mode": "malformed", "count": 1},
 {"service": "sts", "mode": "oversized", "size": 100000, "count": 1}]
--- request eval
["GET /t/down", "GET /t/hang", "GET /t/garbage", "GET /t/huge"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}",
 "cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}"]
--- error_code eval
[503, 503, 503, 503]
--- response_body_like eval
[qr/InternalServerError","message":"credentials for .* are unavailable: STS is unreachable/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS is unreachable/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS answered 200 without credentials/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS answered 200 without credentials/]
--- timeout: 10



=== TEST 11: an answer larger than 64 KB is refused, and said so
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- emu_faults
{"service": "sts", "mode": "oversized", "size": 100000}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- error_log
dynamo: the answer of "/_sts" is larger than 65536 bytes



=== TEST 12: throttling is unavailability, not a refusal
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- emu_faults
{"service": "sts", "mode": "error", "status": 400, "code": "Throttling", "message": "Rate exceeded"}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- response_body_like chomp
InternalServerError","message":"credentials for .* are unavailable: STS answered Throttling"



=== TEST 13: the gateway's own credentials expired: 503, so SDKs retry
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- emu_faults
{"service": "sts", "mode": "error", "status": 403, "code": "ExpiredToken", "message": "The security token included in the request is expired"}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- response_body_like chomp
InternalServerError","message":"credentials for .* are unavailable: STS answered ExpiredToken"



=== TEST 14: after a failure the entry backs off: the next request is answered without a call
The requests share a connection so that the second follows the first at
once, well inside the first backoff (1 s), even under valgrind.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- emu_faults
{"service": "sts", "mode": "error", "status": 500, "code": "InternalFailure", "count": 1}
--- pipelined_requests eval
["GET /t", "GET /t", "GET /emu/counters"]
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code eval
[503, 503, 200]
--- response_body_like eval
[qr/unavailable/, qr/unavailable/, qr/"sts": \{"AssumeRole": 1\}/]



=== TEST 15: refresh ahead of expiry: short-lived credentials are fetched again before they expire
The first request (in init) gets credentials for 20 s; 4 s later they are
due (dynamo_credentials_refresh 17s) and still usable for 11 s more (the
5 s margin), room enough under valgrind: the next request refreshes them,
the one after uses the new ones.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_credentials_refresh 17s;
    }
--- emu_config
{"credential_lifetime": 20}
--- init
Dynamo::Test::nginx_get("/t", "cyral.token" => $::tok{alice}) == 200 or die "first request failed\n";
sleep 4;
--- request eval
["GET /t", "GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/"sts": \{"AssumeRole": 2\}/]
--- error_log
dynamo: refreshing credentials ahead of expiry
--- timeout: 10



=== TEST 16: cached credentials keep serving while STS is down
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_credentials_refresh 17s;
    }
--- emu_config
{"credential_lifetime": 20}
--- init
Dynamo::Test::nginx_get("/t", "cyral.token" => $::tok{alice}) == 200 or die "first request failed\n";
Dynamo::Test::emulator()->fault({service => "sts", mode => "error", status => 500, code => "InternalFailure"});
sleep 4;
--- pipelined_requests eval
["GET /t", "GET /t", "GET /emu/counters"]
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/"sts": \{"AssumeRole": 2\}/]
--- error_log eval
[qr/\[error\] .*dynamo: STS failed for "arn:aws:iam::123456789012:role\/Orders": 500 InternalFailure/,
 qr/\[warn\] .*dynamo: using cached credentials of role "arn:aws:iam::123456789012:role\/Orders", valid until /]
--- timeout: 10



=== TEST 17: credentials about to expire are never used: STS down then means 503
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_credentials_refresh 7s;
    }
--- emu_config
{"credential_lifetime": 8}
--- init
Dynamo::Test::nginx_get("/t", "cyral.token" => $::tok{alice}) == 200 or die "first request failed\n";
Dynamo::Test::emulator()->fault({service => "sts", mode => "close"});
sleep 4;
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- response_body_like chomp
InternalServerError","message":"credentials for .* are unavailable: STS is unreachable"
--- timeout: 10



=== TEST 18: a fetch whose client left is given up: the next request fetches at once
The first client leaves while STS holds its AssumeRole; without the
release, the next request would wait for the lease (timeout=20s) and
this block would time out.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts timeout=20s;
    }
    location = /_sts {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
        proxy_read_timeout 20s;
    }
--- emu_faults
{"service": "sts", "mode": "hang", "count": 1}
--- init
my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT};
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die "connect: $!\n";
print $s "GET /t HTTP/1.1\r\nHost: localhost\r\ncyral.token: $::tok{alice}\r\n\r\n";
# leave once STS holds the call (a few seconds at most under valgrind)
my $emu = Dynamo::Test::emulator();
for (1 .. 200) {
    last if $emu->count(sts => "AssumeRole") >= 1;
    select undef, undef, undef, 0.05;
}
close $s;
select undef, undef, undef, 0.5;
--- pipelined_requests eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^ok$/, qr/"sts": \{"AssumeRole": 2\}/]
--- error_log
dynamo: credentials fetch for "arn:aws:iam::123456789012:role/Orders" given up: the request ended first
--- timeout: 8



=== TEST 19: no secret and no session token in the error log, even at debug level
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        add_header X-Key $dynamo_access_key_id;
    }
--- emu_config
{"secret_prefix": "SECRETMARKER"}
--- request eval
["GET /t", "GET /t", "GET /emu/credentials"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/SECRETMARKER/]
--- no_error_log eval
["SECRETMARKER", "IQoJb3JpZ2luX2VjE", "wJalrXUtnFEMI", "bPxRfiCYEXAMPLEKEY"]



=== TEST 20: dynamo_sts without base credentials fails at start
--- http_config
    dynamo_zone dynamo:1m;
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_sts /_sts;
    }
--- must_die
--- error_log
dynamo_sts "/_sts" needs the gateway's own credentials to sign its calls: add "dynamo_base_credentials" to the http block



=== TEST 21: dynamo_assume_role_duration is bounded by what STS accepts
--- config
    location = /t {
        dynamo_assume_role_duration 5m;
    }
--- must_die
--- error_log
value must be between 900 and 43200



=== TEST 22: more roles than a worker has credential slots: each signs as itself, one AssumeRole each
20 roles (a worker keeps 16 credentials): twice round them all, each
request carries its own role's keys, the same both times.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_role_rule $http_x_team ^(r\d+)$
                         arn:aws:iam::123456789012:role/$1;
        dynamo_sts /_sts;
        add_header X-Key $dynamo_access_key_id;
        add_header X-Role $dynamo_role_arn;
    }
--- init
require HTTP::Tiny;
my $http = HTTP::Tiny->new(timeout => 30);
my (%key, $same, $ok);
for my $round (1, 2) {
    for my $n (1 .. 20) {
        my $res = $http->get("http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/t",
            { headers => {'cyral.token' => $::tok{alice}, 'X-Team' => "r$n"} });
        $ok++ if $res->{status} == 200
                 && $res->{headers}{'x-role'} eq "arn:aws:iam::123456789012:role/r$n";
        my $k = $res->{headers}{'x-key'} // '';
        if ($round == 1) { $key{$n} = $k } elsif ($key{$n} eq $k) { $same++ }
    }
}
my %distinct = map { $_ => 1 } grep { /^ASIA/ } values %key;
Test::More::is($ok, 40, "TEST 22: 40 requests signed for their own role");
Test::More::is(scalar keys %distinct, 20, "TEST 22: 20 roles, 20 access keys");
Test::More::is($same, 20, "TEST 22: each role's second request uses its first keys");
--- request
GET /emu/counters
--- response_body_like chomp
"sts": \{"AssumeRole": 20\}



=== TEST 23: the session name keeps what STS takes, letters, digits and "_+=,.@-"; the rest becomes "-"
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account "drsa/sa/default/a+b=c,d.e@f_g:h~i j*k"
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{odd}", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/"RoleSessionName": "\Qdrsa-sa-default-a+b=c,d.e\E\@\Qf_g-h-i-j-k\E"/]
--- no_error_log
[error]
