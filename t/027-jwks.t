# Key sets fetched from an identity provider (dynamo_jwt_jwks): the
# emulator serves the keys it is told to at /jwks/<name>, counts the
# fetches and fails on command.  One fetch for many first requests in two
# workers; a new key used with one fetch; a removed key refused after the
# next refresh; random kids cost one fetch per cooldown; the last good set
# serves while the IdP is down, 503 when there never was one; a reload
# makes no fetch; hostile answers are refused, the last good set kept;
# a fetch that times out never wedges the set.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use MIME::Base64 qw(encode_base64url);
use Time::HiRes ();

our (%tok, %jwk, @random_kids);

emulator();

{
    my $dir = keys_dir();
    open my $fh, '<', "$dir/jwks.json" or die "jwks.json: $!\n";
    my $set = json_decode(do { local $/; <$fh> });
    $jwk{$_->{kid}} = $_ for @{$set->{keys}};

    open $fh, '<', "$dir/rsa-e1.json" or die "rsa-e1.json: $!\n";
    $jwk{e1} = json_decode(do { local $/; <$fh> });
}

my @specs;
for my $i (1 .. 12) {
    push @specs, { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                   claims => {azp => "drsa/sa/default/a$i", sub => "a$i"},
                   exp_in => 3600 };
}
for my $i (1 .. 4) {
    push @specs, { key => 'rsa2', alg => 'RS512', kid => 'rsa2',
                   claims => {azp => "drsa/sa/default/b$i", sub => "b$i"},
                   exp_in => 3600 };
}

push @specs, { key => 'rsa2', alg => 'RS512',
               claims => {azp => 'drsa/sa/default/nokid', sub => 'nokid'},
               exp_in => 3600 };

my @minted = mint_tokens(@specs);
$tok{rsa2_nokid} = $minted[16];
$tok{"rsa1_$_"} = $minted[$_ - 1] for 1 .. 12;
$tok{"rsa2_$_"} = $minted[12 + $_ - 1] for 1 .. 4;

# tokens naming kids no set has: a real token's payload and signature
# under a header naming a random kid (never checked: no key is found)
{
    my (undef, $payload, $sig) = split /\./, $tok{rsa1_1};
    for my $i (1 .. 500) {
        my $kid = sprintf 'forged-%08x%04d', int(rand(0xffffffff)), $i;
        push @random_kids, encode_base64url(
            qq({"alg":"RS256","kid":"$kid","typ":"JWT"})) . ".$payload.$sig";
    }
}

sub set_keys {
    my ($name, @kids) = @_;
    emulator()->jwks(name => $name, keys => [map { $jwk{$_} } @kids]);
}

sub get_t {
    my ($token) = @_;
    return Dynamo::Test::nginx_get("/t", "cyral.token" => $token);
}

sub fetches {
    my ($name) = @_;
    return emulator()->count(jwks => $name);
}


sub pause { select undef, undef, undef, $_[0] }

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

=== TEST 1: first use: 200 concurrent requests in 2 workers wait for one fetch
The IdP answers after 1 s: every request arrives while the first fetch is
in flight, and waits for it (no blocking); all are verified.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t1;
        proxy_connect_timeout 1s;
        proxy_read_timeout 3s;
    }
--- emu_faults
{"service": "jwks", "mode": "delay", "ms": 1000}
--- init
main::set_keys('t1', 'rsa1', 'ec256');
my @codes = Dynamo::Test::concurrent_requests(n => 200, timeout => 60,
    request => "GET /t HTTP/1.1\r\nHost: localhost\r\n"
               . "cyral.token: $::tok{rsa1_1}\r\nConnection: close\r\n\r\n");
Test::More::is(scalar(grep { $_ == 200 } @codes), 200,
   "TEST 1: all 200 concurrent first requests are verified");
Test::More::cmp_ok(main::pids_in_log(), '>=', 2,
   "TEST 1: both workers served requests");
--- request
GET /emu/counters
--- response_body_like chomp
"jwks": \{"t1": 1\}
--- error_log
dynamo: waiting
--- no_error_log
[error]
--- timeout: 60



=== TEST 2: a key added at the IdP verifies the token naming it, with one more fetch
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t2;
    }
--- init
main::set_keys('t2', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_2}), 200, "TEST 2: rsa1 verifies");
Test::More::is(main::get_t($::tok{rsa2_1}), 400, "TEST 2: rsa2 is unknown");
main::pause(1.2);
main::set_keys('t2', 'rsa1', 'rsa2');
my $before = main::fetches('t2');
Test::More::is(main::get_t($::tok{rsa2_1}), 200, "TEST 2: rsa2 verifies");
Test::More::is(main::fetches('t2') - $before, 1,
   "TEST 2: with one fetch");
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rsa2_1}"
--- response_body
ok
--- timeout: 20



=== TEST 3: a key removed at the IdP stops verifying after the next refresh, cached or not
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks refresh=2s cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t3;
    }
--- init
main::set_keys('t3', 'rsa1', 'rsa2');
Test::More::is(main::get_t($::tok{rsa2_2}), 200, "TEST 3: rsa2 verifies");
Test::More::is(main::get_t($::tok{rsa2_2}), 200, "TEST 3: and again");
main::set_keys('t3', 'rsa1');
main::pause(3.2);
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{rsa2_2}", "cyral.token: $::tok{rsa1_3}"]
--- error_code eval
[400, 200]
--- response_body_like eval
[qr/^\{"__type":"com\.amazon\.coral\.service#UnrecognizedClientException","message":"identity token names an unknown key \(kid \\"rsa2\\"\)"\}$/,
 qr/^ok$/]
--- timeout: 20



=== TEST 4: 500 tokens with random kids make no fetch within the cooldown
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t4;
    }
--- init
main::set_keys('t4', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_4}), 200, "TEST 4: rsa1 verifies");
my $refused = grep { main::get_t($_) == 400 } @::random_kids;
Test::More::is($refused, 500, "TEST 4: 500 random kids are refused");
--- request
GET /emu/counters
--- response_body_like chomp
"jwks": \{"t4": 1\}
--- no_error_log
[error]
--- timeout: 60



=== TEST 5: random kids after the cooldown: at most one fetch per cooldown
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t5;
    }
--- init
main::set_keys('t5', 'rsa1');
my $start = Time::HiRes::time();
Test::More::is(main::get_t($::tok{rsa1_5}), 200, "TEST 5: rsa1 verifies");
for my $i (0 .. 299) {
    main::get_t($::random_kids[$i]);
    main::pause(0.01);
}
my $elapsed = Time::HiRes::time() - $start;
my $fetches = main::fetches('t5');
Test::More::cmp_ok($fetches, '<=', 1 + int($elapsed) + 1,
   "TEST 5: $fetches fetches in $elapsed s with cooldown=1s");
Test::More::cmp_ok($fetches, '>=', 2, "TEST 5: an unknown kid refetches");
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rsa1_5}"
--- response_body
ok
--- timeout: 60



=== TEST 6: the IdP down with a good set: tokens keep verifying, the failure logged once
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks refresh=1s cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t6;
    }
--- init
main::set_keys('t6', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_6}), 200, "TEST 6: rsa1 verifies");
Dynamo::Test::emulator()->fault({service => 'jwks', mode => 'error',
                                 status => 500});
main::pause(1.2);
Test::More::is(main::get_t($::tok{rsa1_7}), 200, "TEST 6: after a failed refresh");
main::pause(2.2);
Test::More::is(main::get_t($::tok{rsa1_8}), 200, "TEST 6: after another");
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_6}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t6": 3\}/]
--- grep_error_log eval
qr/fetch failed(?: again \(\d in a row\))?: answered 500/
--- grep_error_log_out
fetch failed: answered 500
fetch failed again (2 in a row): answered 500
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: answered 500; the last good key set is used for \d+ s more/
--- timeout: 20



=== TEST 7: the IdP down from the start: 503 InternalServerError, and no fetch in the back-off
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t7;
    }
--- emu_faults
{"service": "jwks", "mode": "error", "status": 502}
--- init
main::set_keys('t7', 'rsa1');
--- request eval
["GET /t", "GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_1}", "cyral.token: $::tok{rsa1_2}", ""]
--- error_code eval
[503, 503, 200]
--- response_body_like eval
[qr/^\{"__type":"com\.amazonaws\.dynamodb\.v20120810#InternalServerError","message":"the identity provider's keys \(\\"\/_jwks\\"\) are unavailable: answered 502"\}$/,
 qr/^\{"__type":"com\.amazonaws\.dynamodb\.v20120810#InternalServerError","message":"the identity provider's keys \(\\"\/_jwks\\"\) are unavailable: answered 502"\}$/,
 qr/"jwks": \{"t7": 1\}/]
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: answered 502; no usable key set/



=== TEST 8: the IdP unreachable from the start: 503, not UnrecognizedClientException
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:1/jwks;
        proxy_connect_timeout 1s;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rsa1_1}"
--- error_code: 503
--- response_body_like eval
qr/^\{"__type":"com\.amazonaws\.dynamodb\.v20120810#InternalServerError","message":"the identity provider's keys \(\\"\/_jwks\\"\) are unavailable: unreachable or timed out \(502 after \d+ ms\)"\}$/
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: unreachable or timed out/



=== TEST 9: a reload makes no fetch while the set is fresh
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t9;
    }
--- init
main::set_keys('t9', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_9}), 200, "TEST 9: rsa1 verifies");
main::reload_nginx();
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_10}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t9": 1\}/]
--- error_log
reconfiguring
--- timeout: 20



=== TEST 10: a 10 MB answer is refused, the last good set kept
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t10;
    }
--- init
main::set_keys('t10', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 10: rsa1 verifies");
Dynamo::Test::emulator()->fault({service => 'jwks', mode => 'oversized',
                                 size => 10 * 1024 * 1024});
main::pause(1.2);
Test::More::is(main::get_t($::random_kids[0]), 503,
   "TEST 10: an unknown kid after a failed fetch is 503");
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_2}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t10": 2\}/]
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: the answer is larger than 262144 bytes; the last good key set is used/
--- timeout: 30



=== TEST 11: an answer that is not JSON is refused, the last good set kept
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t11;
    }
--- init
main::set_keys('t11', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 11: rsa1 verifies");
Dynamo::Test::emulator()->jwks(name => 't11', body => '<html>login</html>');
main::pause(1.2);
main::get_t($::random_kids[0]);
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_2}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t11": 2\}/]
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: not JSON \(line 1: /
--- timeout: 20



=== TEST 12: a set whose only key has e=1, or an "alg": "none" key, or two keys of one kid: refused, the last good set kept
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t12;
    }
--- init
main::set_keys('t12', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 12: rsa1 verifies");
my %none = (%{$::jwk{rsa2}}, alg => 'none', kid => 'none');
my %twin = (%{$::jwk{ec256}}, kid => 'rsa2');
# the back-off doubles: 1 s after the first failure, 2 s after the second
for my $step ([1.1, [$::jwk{e1}]], [1.1, [\%none]],
              [2.2, [$::jwk{rsa2}, \%twin]])
{
    Dynamo::Test::emulator()->jwks(name => 't12', keys => $step->[1]);
    main::pause($step->[0]);
    Test::More::is(main::get_t($::tok{rsa2_3}), 503,
       "TEST 12: the kid a refused set would hold is 503");
}
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_2}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t12": 4\}/]
--- error_log eval
[qr/\[warn\] .*dynamo_jwt_jwks "\/_jwks": key "e1": RSA exponent 1 is not allowed/,
 qr/\[warn\] .*dynamo_jwt_jwks "\/_jwks": key "none": unsupported "alg"/,
 qr/\[warn\] .*dynamo_jwt_jwks "\/_jwks": keys share the kid "rsa2", all of them are left out/,
 qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: no usable key \(1 left out\); the last good key set is used/,
 qr/\[info\] .*dynamo_jwt_jwks "\/_jwks": fetch failed again \(3 in a row\): no usable key \(2 left out\)/]
--- timeout: 30



=== TEST 13: a set partly bad is partly used: the good keys in, the bad one named (key validation applies to fetched keys)
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t13;
    }
--- init
main::set_keys('t13', 'e1', 'rsa1', 'rsa2');
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{rsa1_1}", "cyral.token: $::tok{rsa2_1}"]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/]
--- error_log eval
qr/\[warn\] .*dynamo_jwt_jwks "\/_jwks": key "e1": RSA exponent 1 is not allowed \(odd, >= 3\), the key is left out/
--- no_error_log
[error]



=== TEST 14: a fetch that times out never wedges the set: 503, then the next fetch after the back-off
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t14;
        proxy_read_timeout 1s;
    }
--- emu_faults
{"service": "jwks", "mode": "hang", "ms": 3000, "count": 1}
--- init
main::set_keys('t14', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_1}), 503, "TEST 14: the fetch timed out");
main::pause(1.2);
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_2}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t14": 2\}/]
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: unreachable or timed out \(504 after \d+ ms\); no usable key set/
--- timeout: 20



=== TEST 15: Keycloak's JWKS as it is: x5c, x5t, "use", an RSA-OAEP encryption key
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/realms/demo/protocol/openid-connect/certs;
    }
--- init
my %sig = (%{$::jwk{rsa1}}, x5c => ['MIICnTCCAYUCBgGJ'], x5t => 'q1-x5t',
           'x5t#S256' => 'q1-x5t-256');
my %enc = (%{$::jwk{rsa2}}, kid => 'enc-1', alg => 'RSA-OAEP', use => 'enc',
           x5c => ['MIICnTCCAYUCBgGK']);
Dynamo::Test::emulator()->jwks(
    name => 'realms/demo/protocol/openid-connect/certs',
    keys => [\%enc, \%sig]);
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rsa1_1}"
--- response_body
ok
--- no_error_log
[warn]



=== TEST 16: file keys and fetched keys together: a token's key may come from either
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/ec256.pub kid=ec256;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t16;
    }
--- init
main::set_keys('t16', 'rsa1');
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_1}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t16": 1\}/]



=== TEST 17: invalid parameters are refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks refresh=1m cooldown=5m;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t18;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*dynamo_jwt_jwks "\/_jwks": cooldown=300 is longer than refresh=60/



=== TEST 18: dynamo_status shows each key set: uri, kids, age, last result, fetches and failures
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t18;
    }
    location = /status {
        dynamo_status;
    }
--- init
main::set_keys('t18', 'rsa1', 'ec256', 'e1');
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 18: rsa1 verifies");
--- request eval
["GET /status", "GET /status?format=prometheus"]
--- response_body_like eval
[qr/,"key_sets":\[\{"kids":\["rsa1","ec256"\],"uri":"\/_jwks","keys":2,"usable":true,"age":\d+,"refresh_in":(?:59\d|600),"last_result":"ok, 2 keys, 1 left out","fetches":1,"failures":0,"failing":0\}\][,}]/,
 qr/\n# HELP dynamo_jwks_keys [^\n]+\n# TYPE dynamo_jwks_keys gauge\ndynamo_jwks_keys\{uri="\/_jwks"\} 2\n.*dynamo_jwks_usable\{uri="\/_jwks"\} 1\n.*dynamo_jwks_fetches_total\{uri="\/_jwks"\} 1\n.*dynamo_jwks_failures_total\{uri="\/_jwks"\} 0\n/s]



=== TEST 19: the answer's Cache-Control max-age shortens the refresh, never below cooldown
max-age=1 with cooldown=4s: the set is due after 4 s, not 1 s, not 10 min.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks cooldown=4s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t19;
    }
--- init
Dynamo::Test::emulator()->jwks(name => 't19', keys => [$::jwk{rsa1}],
                               max_age => 1);
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 19: rsa1 verifies");
main::pause(1.5);
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 19: after 1.5 s");
Test::More::is(main::fetches('t19'), 1, "TEST 19: no fetch before cooldown");
main::pause(3);
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa1_1}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t19": 2\}/]
--- timeout: 20



=== TEST 20: past max_stale the last good set stops serving: 503 while the IdP fails
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_jwks /_jwks refresh=1s cooldown=1s max_stale=1s;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t20;
    }
--- init
main::set_keys('t20', 'rsa1');
Test::More::is(main::get_t($::tok{rsa1_1}), 200, "TEST 20: rsa1 verifies");
Dynamo::Test::emulator()->fault({service => 'jwks', mode => 'error',
                                 status => 500});
main::pause(2.5);
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rsa1_2}"
--- error_code: 503
--- response_body_like eval
qr/^\{"__type":"com\.amazonaws\.dynamodb\.v20120810#InternalServerError","message":"the identity provider's keys \(\\"\/_jwks\\"\) are unavailable: answered 500"\}$/
--- error_log eval
qr/\[error\] .*dynamo_jwt_jwks "\/_jwks": fetch failed: answered 500; no usable key set/
--- timeout: 20



=== TEST 21: a token without a kid is tried with the files' keys of its algorithm, then with the sets'
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.pub alg=RS512;
        dynamo_jwt_jwks /_jwks;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/jwks/t21;
    }
--- init
main::set_keys('t21', 'rsa1', 'rsa2');
--- request eval
["GET /t", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{rsa2_nokid}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"jwks": \{"t21": 1\}/]
