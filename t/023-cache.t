# The shared caches across workers and reloads: 200 concurrent first
# requests for one identity in 2 workers make one AssumeRole call, and
# after "nginx -s reload" verified tokens and credentials are still there.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

$tok{alice} = mint_token(key => 'ec256', alg => 'ES256', kid => 'ec256',
                         claims => {azp => 'drsa/sa/default/alice'},
                         exp_in => 3600);

# more tokens than a worker has slots for, for two workers
our @many = slot_tokens();

master_on();
workers(2);
worker_connections(1024);

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'CONF');
    dynamo_zone dynamo:4m;
    dynamo_base_credentials env;
    log_format pid '$pid $status';
    access_log logs/pid.log pid;
CONF

    aws_block_preprocessor($block);
});

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: single flight: 200 concurrent first requests in 2 workers, one AssumeRole
STS answers after 1 s, so every request arrives while the first fetch is
in flight; all succeed, in both workers.
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
{"service": "sts", "mode": "delay", "ms": 1000}
--- init
my @codes = Dynamo::Test::concurrent_requests(n => 200, timeout => 60,
    request => "GET /t HTTP/1.1\r\nHost: localhost\r\n"
               . "cyral.token: $::tok{alice}\r\nConnection: close\r\n\r\n");
Test::More::is(scalar(grep { $_ == 200 } @codes), 200,
   "TEST 1: all 200 concurrent first requests succeed");
Test::More::cmp_ok(main::pids_in_log(), '>=', 2, "TEST 1: both workers served requests");
--- request
GET /emu/counters
--- response_body_like chomp
"sts": \{"AssumeRole": 1\}
--- error_log
dynamo: waiting
--- timeout: 60



=== TEST 2: after a reload, cached tokens and credentials are used: no new STS call
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        add_header X-Key $dynamo_access_key_id;
    }
--- init
Dynamo::Test::nginx_get("/t", "cyral.token" => $::tok{alice}) == 200 or die "first request failed\n";
main::reload_nginx();
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"sts": \{"AssumeRole": 1\}/]
--- grep_error_log eval
qr/dynamo: token (?:verified|cache hit)/
--- grep_error_log_out
dynamo: token verified
dynamo: token cache hit
--- error_log
reconfiguring
--- timeout: 20



=== TEST 3: two workers, 300 tokens sent twice: each verified once in all, never mixed up
A worker that has not seen a token finds it in the zone, where the other
put it; every answer names the identity of the token it was sent with.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        add_header X-Identity "$dynamo_identity $dynamo_claim_jti";
    }
    location = /status {
        dynamo_status;
    }
--- init
Test::More::is(Dynamo::Test::slot_answers_right(@::many), 600,
   "TEST 3: each of 600 answers names its token's identity");
--- request
GET /status
--- response_body_like eval
qr/"tokens":\{"hits":300,"misses":300,"entries":300\}/
--- timeout: 60
