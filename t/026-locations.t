# The internal locations the configuration names (dynamo_sts, the base
# credentials' uri=) are looked up when nginx starts, as nginx would find
# them for a request: a name that no location takes, or that the gateway's
# own location takes, stops nginx -t with the file and line, instead of
# failing at the first request; exact, prefix, nested and regex locations
# are found.  An STS location that breaks every signature (another path or
# Host sent to STS) is named in the log with what to check.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         exp_in => 3600,
                         claims => {azp => 'drsa/sa/default/alice'});

add_block_preprocessor(\&aws_block_preprocessor);

no_root_location();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: dynamo_sts naming no location fails at start, with file and line
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_sts /_nosuch;
    }
--- must_die
--- error_log eval
qr{dynamo_sts "/_nosuch" names no location of this server: add "location = /_nosuch" that proxies to the service in \S+/nginx\.conf:\d+$}



=== TEST 2: dynamo_sts caught by the gateway's own location fails at start
--- config
    ignore_invalid_headers off;
    location / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_sts /_nosuch;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_DDB_PORT;
    }
--- must_die
--- error_log eval
qr{dynamo_sts "/_nosuch" is taken by the gateway location "/": add "location = /_nosuch" that proxies to the service in \S+/nginx\.conf:\d+$}



=== TEST 3: a prefix location takes dynamo_sts: served
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /internal/sts;
        add_header X-Role $dynamo_role_arn;
    }
    location /internal/ {
        internal;
        rewrite ^ / break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- response_body
ok
--- response_headers
X-Role: arn:aws:iam::123456789012:role/Orders



=== TEST 4: a location nested in a prefix takes dynamo_sts: served
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /internal/aws/sts;
        add_header X-Role $dynamo_role_arn;
    }
    location /internal/ {
        internal;
        return 404;

        location = /internal/aws/sts {
            proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
            proxy_set_header Host sts.us-east-1.amazonaws.com;
        }
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- response_body
ok
--- response_headers
X-Role: arn:aws:iam::123456789012:role/Orders



=== TEST 5: a regex location takes dynamo_sts, ahead of the gateway's prefix: served
--- config
    ignore_invalid_headers off;
    location / {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /aws-sts;
        add_header X-Role $dynamo_role_arn;
    }
    location ~ ^/aws-sts$ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT;
        rewrite ^ / break;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- response_body
ok
--- response_headers
X-Role: arn:aws:iam::123456789012:role/Orders



=== TEST 6: the base credentials' uri= naming no location fails at start
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials imds uri=/_imds;
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_sts /_sts;
    }
--- must_die
--- error_log eval
qr{dynamo_base_credentials uri= "/_imds/" names no location of this server: add "location = /_imds/" that proxies to the service in \S+/nginx\.conf:\d+$}



=== TEST 7: an STS location that sends another path: STS's SignatureDoesNotMatch, and the log says what to check
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
    location = /_sts {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 400
--- response_body_like eval
qr/^\{"__type":"com\.amazon\.coral\.service#AccessDeniedException","message":"STS refused role \\"arn:aws:iam::123456789012:role\/Orders\\": SignatureDoesNotMatch: [^"]*"\}$/
--- error_log
STS could not verify the gateway's signature: check that location "/_sts" sends STS the path "/" ("proxy_pass https://host/;" in "location = /_sts", or "rewrite ^ / break;") and the Host "sts.us-east-1.amazonaws.com" the calls are signed for (dynamo_sts host=), then the gateway's own secret key
--- no_error_log
[emerg]



=== TEST 8: an STS location that sends another Host: the same hint
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
    location = /_sts {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.eu-west-1.amazonaws.com;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 400
--- error_log
STS could not verify the gateway's signature
--- no_error_log
[emerg]



=== TEST 9: a refusal for another reason gives no such hint
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
    }
--- emu_faults
{"service": "sts", "mode": "error", "status": 403, "code": "AccessDenied"}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 400
--- error_log
AccessDenied
--- no_error_log
STS could not verify the gateway's signature
