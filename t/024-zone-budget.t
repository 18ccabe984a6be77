# The zone under pressure: tokens are cheap (one lost costs one
# verification), credentials expensive (one lost costs an STS call).
# A stream of distinct valid tokens through a zone far too small for
# them must never evict credentials: every request succeeds, STS is
# called once per session in all, evicted tokens are verified again,
# and reaching the tokens' budget is logged once.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our $n = 400;

emulator();

# identities of their own, bound to one role by a rule; the first set
# shares one session name (one credentials entry), the second has 20
# identities, each its own session (20 credentials entries), 20 tokens
# in a row each: an identity's credentials come back after 380 tokens

our @one_session_ids = map { "drsa/sa/flood/u$_" } 1 .. $n;
our @one_session = mint_tokens(map {
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => $one_session_ids[$_ - 1], jti => "j$_"} }
} 1 .. $n);

our @sessions_ids = map { 'drsa/sa/flood/s' . int(($_ - 1) / 20) } 1 .. $n;
our @sessions = mint_tokens(map {
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => $sessions_ids[$_ - 1], jti => "k$_"} }
} 1 .. $n);

# 30 identities, a session each: more credentials than the smallest zone
# holds

our @many_ids = map { "drsa/sa/flood/m$_" } 1 .. 30;
our @many = mint_tokens(map {
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => $_} }
} @many_ids);

# each token sent twice, all of them in turn: the answers that are 200
# and name the token's identity

sub flood {
    my ($tokens, $ids) = @_;

    require HTTP::Tiny;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my $http = HTTP::Tiny->new(timeout => 30);
    my $right = 0;

    for my $i (0 .. 2 * @$tokens - 1) {
        my $k = $i % @$tokens;
        my $res = $http->get("http://127.0.0.1:$port/t",
                             { headers => {'cyral.token' => $tokens->[$k]} });

        $right++ if $res->{status} == 200
                    && ($res->{headers}{'x-identity'} // '') eq $ids->[$k];
    }

    return $right;
}

sub zone_status {
    require HTTP::Tiny;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my $res = HTTP::Tiny->new(timeout => 30)
                  ->get("http://127.0.0.1:$port/status");

    die "status: $res->{status}\n" if $res->{status} != 200;

    return json_decode($res->{content});
}

master_on();
workers(1);

add_block_preprocessor(sub {
    my $block = shift;

    aws_block_preprocessor($block);
});

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: the smallest zone, 400 identities of one session, each token twice: one AssumeRole
The zone holds a few tokens at most: each new one evicts the least
recently used token, never the credentials; evicted tokens come back and
are verified again, and accepted.
--- http_config
    dynamo_zone dynamo:32k;
    dynamo_base_credentials env;
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        dynamo_role_rule $dynamo_identity ^drsa/sa/flood/
                         arn:aws:iam::123456789012:role/Orders;
        dynamo_role_session_name flood;
        dynamo_sts /_sts;
        add_header X-Identity $dynamo_identity;
    }
    location = /status {
        dynamo_status;
    }
--- init
is(main::flood(\@::one_session, \@::one_session_ids), 2 * $::n,
   "TEST 1: all 800 requests succeed, each naming its identity");
my $s = main::zone_status();
cmp_ok($s->{tokens}{misses}, '>', $::n,
       "TEST 1: evicted tokens were verified again");
is($s->{tokens}{hits} + $s->{tokens}{misses}, 2 * $::n,
   "TEST 1: every request looked its token up");
cmp_ok($s->{zone}{token_evictions}, '>', $::n / 2,
       "TEST 1: tokens were evicted");
is($s->{zone}{credential_evictions}, 0, "TEST 1: credentials never were");
cmp_ok($s->{zone}{token_bytes}, '<=', $s->{zone}{token_budget},
       "TEST 1: tokens stay within their budget");
cmp_ok($s->{tokens}{entries}, '<', 20, "TEST 1: a few tokens in the zone");
is($s->{credentials}{entries}, 1, "TEST 1: one credentials entry");
--- request
GET /emu/counters
--- response_body_like chomp
"sts": \{"AssumeRole": 1\}
--- grep_error_log eval
qr/dynamo: tokens fill their half in dynamo_zone "dynamo"/
--- grep_error_log_out
dynamo: tokens fill their half in dynamo_zone "dynamo"
--- no_error_log
[alert]
credentials evicted
--- timeout: 120



=== TEST 2: 20 identities, a session each, 400 tokens twice in a small zone: 20 AssumeRole calls
The worker keeps 16 role credentials of its own: the others come from
the zone, 380 new tokens after their last use, and the tokens must not
have evicted them.
--- http_config
    dynamo_zone dynamo:128k;
    dynamo_base_credentials env;
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        dynamo_role_rule $dynamo_identity ^drsa/sa/flood/
                         arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        add_header X-Identity $dynamo_identity;
    }
    location = /status {
        dynamo_status;
    }
--- init
is(main::flood(\@::sessions, \@::sessions_ids), 2 * $::n,
   "TEST 2: all 800 requests succeed, each naming its identity");
my $s = main::zone_status();
cmp_ok($s->{zone}{token_evictions}, '>', 0, "TEST 2: tokens were evicted");
is($s->{zone}{credential_evictions}, 0, "TEST 2: credentials never were");
is($s->{credentials}{entries}, 20, "TEST 2: 20 credentials entries");
--- request
GET /emu/counters
--- response_body_like chomp
"sts": \{"AssumeRole": 20\}
--- no_error_log
[alert]
credentials evicted
--- timeout: 120



=== TEST 3: 30 sessions in the smallest zone: credentials evict credentials, logged once, no request fails
When no token is left to evict, the least recently used credentials go:
they are fetched again when their identity comes back.
--- http_config
    dynamo_zone dynamo:32k;
    dynamo_base_credentials env;
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        dynamo_role_rule $dynamo_identity ^drsa/sa/flood/
                         arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        add_header X-Identity $dynamo_identity;
    }
    location = /status {
        dynamo_status;
    }
--- init
is(main::flood(\@::many, \@::many_ids), 60,
   "TEST 3: all 60 requests succeed, each naming its identity");
my $s = main::zone_status();
cmp_ok($s->{zone}{credential_evictions}, '>', 0,
       "TEST 3: credentials were evicted");
cmp_ok($s->{credentials}{entries}, '<', 30,
       "TEST 3: fewer entries than sessions");
--- request eval
["GET /emu/counters", "GET /status?format=prometheus"]
--- response_body_like eval
[qr/"sts": \{"AssumeRole": (?:[4-9]\d|[1-9]\d\d+)\}/,
 qr/(?=.*^dynamo_token_cache_budget_bytes [1-9]\d*$)(?=.*^dynamo_credentials_cache_evictions_total [1-9]\d*$)/ms]
--- grep_error_log eval
qr/dynamo: credentials evicted in dynamo_zone "dynamo", which is too small/
--- grep_error_log_out
dynamo: credentials evicted in dynamo_zone "dynamo", which is too small
--- no_error_log
[alert]
--- timeout: 120
