# dynamo_status counts every failed STS call in sts.errors, and in one of
# its kinds: refused (an error answer below 500), unreachable (no answer:
# refused connection, timeout, connection closed), 5xx, malformed (an
# answer without usable credentials).  Each location has a session name
# of its own, so that each request calls STS.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         claims => {azp => 'drsa/sa/default/alice'},
                         exp_in => 3600);

add_block_preprocessor(sub {
    my $block = shift;

    my $config = "    ignore_invalid_headers off;\n";

    for my $t (qw(a b c)) {
        for my $sts (qw(sts sts_down sts_hang)) {
            $config .= <<CONF;
    location = /$sts/$t {
        dynamo_access on;
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_$sts;
        dynamo_role_session_name $sts-$t;
        alias html/t;
    }
CONF
        }
    }

    $block->set_value("config", $config . <<'CONF');
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
    location = /status {
        dynamo_status;
    }
CONF

    aws_block_preprocessor($block);
});

no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: unreachable: a closed port, a timeout, a closed connection
--- emu_faults
[{"service": "sts", "mode": "hang", "count": 1},
 {"service": "sts", "mode": "close", "count": 1}]
--- request eval
["GET /sts_down/a", "GET /sts_hang/a", "GET /sts/a", "GET /status",
 "GET /status?format=prometheus"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}",
 "cyral.token: $::tok{alice}", "", ""]
--- error_code eval
[503, 503, 503, 200, 200]
--- response_body_like eval
[qr/InternalServerError","message":"credentials for .* are unavailable: STS is unreachable"/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS is unreachable"/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS is unreachable"/,
 qr/"sts":\{"calls":3,"errors":3,"time_ms":\d+,"average_ms":\d+,"errors_by_kind":\{"refused":0,"unreachable":3,"5xx":0,"malformed":0\}\}/,
 qr/\ndynamo_sts_calls_total 3\n.*\ndynamo_sts_errors_total 3\n.*\ndynamo_sts_errors_by_kind_total\{kind="refused"\} 0\ndynamo_sts_errors_by_kind_total\{kind="unreachable"\} 3\ndynamo_sts_errors_by_kind_total\{kind="5xx"\} 0\ndynamo_sts_errors_by_kind_total\{kind="malformed"\} 0\n/s]
--- timeout: 10



=== TEST 2: 5xx: STS answers 503 (not read) and 500 (read, InternalFailure)
--- emu_faults
[{"service": "sts", "mode": "error", "status": 503, "code": "ServiceUnavailable", "count": 1},
 {"service": "sts", "mode": "error", "status": 500, "code": "InternalFailure", "count": 1}]
--- request eval
["GET /sts/a", "GET /sts/b", "GET /status", "GET /status?format=prometheus"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", "", ""]
--- error_code eval
[503, 503, 200, 200]
--- response_body_like eval
[qr/InternalServerError","message":"credentials for .* are unavailable: STS answered 503"/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS answered InternalFailure"/,
 qr/"sts":\{"calls":2,"errors":2,"time_ms":\d+,"average_ms":\d+,"errors_by_kind":\{"refused":0,"unreachable":0,"5xx":2,"malformed":0\}\}/,
 qr/\ndynamo_sts_errors_total 2\n.*\ndynamo_sts_errors_by_kind_total\{kind="refused"\} 0\ndynamo_sts_errors_by_kind_total\{kind="unreachable"\} 0\ndynamo_sts_errors_by_kind_total\{kind="5xx"\} 2\ndynamo_sts_errors_by_kind_total\{kind="malformed"\} 0\n/s]



=== TEST 3: refused: AccessDenied, and a 400 Throttling answer
--- emu_faults
[{"service": "sts", "mode": "error", "status": 403, "code": "AccessDenied", "count": 1},
 {"service": "sts", "mode": "error", "status": 400, "code": "Throttling", "count": 1}]
--- request eval
["GET /sts/a", "GET /sts/b", "GET /sts/c", "GET /status",
 "GET /status?format=prometheus"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}",
 "cyral.token: $::tok{alice}", "", ""]
--- error_code eval
[400, 503, 200, 200, 200]
--- response_body_like eval
[qr/AccessDeniedException","message":"STS refused role .*: AccessDenied: /,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS answered Throttling"/,
 qr/^ok$/,
 qr/"sts":\{"calls":3,"errors":2,"time_ms":\d+,"average_ms":\d+,"errors_by_kind":\{"refused":2,"unreachable":0,"5xx":0,"malformed":0\}\}/,
 qr/\ndynamo_sts_errors_total 2\n.*\ndynamo_sts_errors_by_kind_total\{kind="refused"\} 2\ndynamo_sts_errors_by_kind_total\{kind="unreachable"\} 0\ndynamo_sts_errors_by_kind_total\{kind="5xx"\} 0\ndynamo_sts_errors_by_kind_total\{kind="malformed"\} 0\n/s]



=== TEST 4: malformed: garbage, an answer too large, an empty one
--- emu_faults
[{"service": "sts", "mode": "malformed", "count": 1},
 {"service": "sts", "mode": "oversized", "size": 100000, "count": 1},
 {"service": "sts", "mode": "empty", "count": 1}]
--- request eval
["GET /sts/a", "GET /sts/b", "GET /sts/c", "GET /status",
 "GET /status?format=prometheus"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}",
 "cyral.token: $::tok{alice}", "", ""]
--- error_code eval
[503, 503, 503, 200, 200]
--- response_body_like eval
[qr/InternalServerError","message":"credentials for .* are unavailable: STS answered 200 without credentials"/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS answered 200 without credentials"/,
 qr/InternalServerError","message":"credentials for .* are unavailable: STS answered 200 without credentials"/,
 qr/"sts":\{"calls":3,"errors":3,"time_ms":\d+,"average_ms":\d+,"errors_by_kind":\{"refused":0,"unreachable":0,"5xx":0,"malformed":3\}\}/,
 qr/\ndynamo_sts_errors_total 3\n.*\ndynamo_sts_errors_by_kind_total\{kind="refused"\} 0\ndynamo_sts_errors_by_kind_total\{kind="unreachable"\} 0\ndynamo_sts_errors_by_kind_total\{kind="5xx"\} 0\ndynamo_sts_errors_by_kind_total\{kind="malformed"\} 3\n/s]



=== TEST 5: a failure of each kind in one run: each counted once, the total their sum
--- emu_faults
[{"service": "sts", "mode": "error", "status": 403, "code": "AccessDenied", "count": 1},
 {"service": "sts", "mode": "error", "status": 502, "code": "InternalFailure", "count": 1},
 {"service": "sts", "mode": "malformed", "count": 1}]
--- request eval
["GET /sts/a", "GET /sts/b", "GET /sts/c", "GET /sts_down/a", "GET /status"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}",
 "cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", ""]
--- error_code eval
[400, 503, 503, 503, 200]
--- response_body_like eval
[qr/AccessDenied/, qr/STS answered 502"/, qr/without credentials/,
 qr/STS is unreachable/,
 qr/"sts":\{"calls":4,"errors":4,"time_ms":\d+,"average_ms":\d+,"errors_by_kind":\{"refused":1,"unreachable":1,"5xx":1,"malformed":1\}\}/]
