# dynamo_status: the counters equal the traffic a test sent, as JSON and
# in Prometheus' text format, summed over two workers; the text passes
# promtool's lint (util/setup unpacks promtool into build/tools).

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use POSIX ();
use File::Temp ();

our %tok;

emulator();

@tok{qw(alice expired bob)} = mint_tokens(
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice'} },
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => -60,
      claims => {azp => 'drsa/sa/default/alice'} },
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/bob'} });

sub traffic {
    my @reqs = (
        [alice => 'GetItem', '{"TableName": "orders"}'],
        [alice => 'GetItem', '{"TableName": "orders"}'],
        [alice => 'Query', '{"TableName": "orders"}'],
        [bob => 'GetItem', '{"TableName": "orders"}'],
        [undef, 'GetItem', '{"TableName": "orders"}'],
        [expired => 'GetItem', '{"TableName": "orders"}'],
        [alice => 'DeleteTable', '{"TableName": "orders"}'],
        [alice => 'PutItem', 'not json'],
        [alice => 'NoSuchThing', '{}'],
    );

    require HTTP::Tiny;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;

    for my $r (@reqs) {
        my ($who, $op, $body) = @$r;
        my %h = ('X-Amz-Target' => "DynamoDB_20120810.$op");
        $h{'cyral.token'} = $tok{$who} if $who;
        HTTP::Tiny->new->post("http://127.0.0.1:$port/",
                              { headers => \%h, content => $body });
    }

    counted(scalar @reqs);
}

# waits until the log phase counted $n requests: a client has its answer
# before the request's log phase ran (long before, under valgrind)

sub counted {
    my $n = shift;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;

    for (1 .. 100) {
        my $res = HTTP::Tiny->new->get("http://127.0.0.1:$port/status");
        my $s = json_decode($res->{content})->{identities};
        my $sum = 0;
        $sum += $_->{requests}
            for @{ $s->{top} }, $s->{other}, $s->{unidentified};
        return if $sum >= $n;
        select undef, undef, undef, 0.1;
    }
}

# four clients at once, 50 requests each on a connection of its own:
# both workers count the same role

sub parallel {
    require HTTP::Tiny;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my @pids;

    for my $c (1 .. 4) {
        my $pid = fork // die "fork: $!";

        if ($pid == 0) {
            my $ua = HTTP::Tiny->new(keep_alive => 1);
            for (1 .. 50) {
                $ua->post("http://127.0.0.1:$port/",
                          { headers => {
                                'X-Amz-Target' => 'DynamoDB_20120810.GetItem',
                                'cyral.token' => $tok{alice} },
                            content => '{"TableName": "orders"}' });
            }
            POSIX::_exit(0);
        }

        push @pids, $pid;
    }

    waitpid $_, 0 for @pids;

    counted(200);
}

# promtool's "check metrics" on a text: "rc=<its exit code>" and its
# findings, then what promtool does not check: every family with one
# "# HELP" and one "# TYPE" before its samples, "_total" on the counters
# and on nothing else

sub promtool_check {
    my $text = shift;
    my $promtool = $ENV{TEST_NGINX_PROMTOOL}
                   // 'build/tools/prometheus/usr/bin/promtool';

    return "no promtool at $promtool: run util/setup\n" unless -x $promtool;

    my $in = File::Temp->new;
    print $in $text;
    close $in;

    my $out = `$promtool check metrics < $in 2>&1`;
    my $res = "rc=" . ($? >> 8) . "\n" . $out;
    my (%help, %type, %told);

    for my $line (split /\n/, $text) {
        if ($line =~ /^# (HELP|TYPE) (\S+) (.*)$/) {
            my $seen = $1 eq 'HELP' ? \%help : \%type;
            $res .= "second $1 for $2\n" if $seen->{$2}++;

            if ($1 eq 'TYPE' && ($3 eq 'counter') != ($2 =~ /_total$/)) {
                $res .= "$2 is a $3: \"_total\" wrong\n";
            }

        } elsif ($line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/) {
            next if $told{$1}++;
            $res .= "$1 without HELP\n" unless $help{$1};
            $res .= "$1 without TYPE\n" unless $type{$1};

        } else {
            $res .= "not a sample: $line\n";
        }
    }

    return $res;
}

# a text spoilt in three ways, for the checks to find

sub spoil {
    my $text = shift;
    $text =~ s/^# HELP dynamo_requests_total .*\n//m;
    $text =~ s/^# TYPE dynamo_zone_size_bytes .*\n//m;
    $text =~ s/dynamo_sts_calls_total/dynamo_sts_calls/g;
    return $text;
}

master_on();
workers(2);

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("config", <<'CONF');
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_service_account drsa/sa/default/bob
                               arn:aws:iam::123456789012:role/Billing;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_policy deny op=DeleteTable;
        dynamo_policy allow;
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

=== TEST 1: JSON: requests by outcome, caches, STS, zone, roles, identities
--- init
main::traffic();
--- request
GET /status
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"requests":\{"total":9,"allowed":4,"refused_token":1,"refused_expired":1,"refused_denied":0,"refused_policy":1,"refused_validation":2,"unavailable":0\},"tokens":\{"hits":5,"misses":3,"entries":2\},"credentials":\{"hits":2,"misses":2,"refreshes":0,"failures":0,"entries":2\},"sts":\{"calls":2,"errors":0,"time_ms":\d+,"average_ms":\d+,"errors_by_kind":\{"refused":0,"unreachable":0,"5xx":0,"malformed":0\}\},"zone":\{"name":"dynamo","size":1048576,"free":\d+,"used":\d+,"evictions":0,"token_bytes":\d+,"token_budget":\d+,"token_evictions":0,"credential_evictions":0\},"roles":\{"arn:aws:iam::123456789012:role/Orders":\{"requests":6\},"arn:aws:iam::123456789012:role/Billing":\{"requests":1\}\},"identities":\{"slots":100,"tracked":2,"folded":0,"top":\[\{"identity":"drsa/sa/default/alice","requests":6,"throttled":0,"request_bytes":[1-9]\d*,"response_bytes":[1-9]\d*,"allowed":3,"refused_token":0,"refused_expired":0,"refused_denied":0,"refused_policy":1,"refused_validation":2,"unavailable":0,"consumed_capacity":0\.000\},\{"identity":"drsa/sa/default/bob","requests":1,"throttled":0,"request_bytes":[1-9]\d*,"response_bytes":[1-9]\d*,"allowed":1,"refused_token":0,"refused_expired":0,"refused_denied":0,"refused_policy":0,"refused_validation":0,"unavailable":0,"consumed_capacity":0\.000\}\],"other":\{"requests":0,"throttled":0,"request_bytes":0,"response_bytes":0,"allowed":0,"refused_token":0,"refused_expired":0,"refused_denied":0,"refused_policy":0,"refused_validation":0,"unavailable":0,"consumed_capacity":0\.000\},"unidentified":\{"requests":2,"throttled":0,"request_bytes":[1-9]\d*,"response_bytes":[1-9]\d*,"allowed":0,"refused_token":1,"refused_expired":1,"refused_denied":0,"refused_policy":0,"refused_validation":0,"unavailable":0,"consumed_capacity":0\.000\}\}\}$



=== TEST 2: Prometheus text format, with ?format=prometheus or Accept: text/plain
--- init
main::traffic();
--- request eval
["GET /status?format=prometheus", "GET /status"]
--- more_headers eval
["", "Accept: text/plain;version=0.0.4;q=0.3,*/*;q=0.1"]
--- response_headers eval
["Content-Type: text/plain; version=0.0.4; charset=utf-8",
 "Content-Type: text/plain; version=0.0.4; charset=utf-8"]
--- response_body_like eval
[qr/^# HELP dynamo_requests_total .*
dynamo_requests_total\{outcome="allowed"\} 4
dynamo_requests_total\{outcome="refused_token"\} 1
dynamo_requests_total\{outcome="refused_expired"\} 1
dynamo_requests_total\{outcome="refused_denied"\} 0
dynamo_requests_total\{outcome="refused_policy"\} 1
dynamo_requests_total\{outcome="refused_validation"\} 2
dynamo_requests_total\{outcome="unavailable"\} 0
.*dynamo_token_cache_hits_total 5
.*dynamo_credentials_cache_misses_total 2
.*dynamo_sts_calls_total 2
.*dynamo_sts_seconds_total \d+\.\d{3}
.*dynamo_zone_size_bytes 1048576
.*dynamo_role_requests_total\{role="arn:aws:iam::123456789012:role\/Billing"\} 1
/s,
 qr/^# HELP dynamo_requests_total/]



=== TEST 3: only GET and HEAD
--- request
POST /status
--- error_code: 405



=== TEST 4: dynamo_status needs the zone
--- http_config
--- config
    location = /status {
        dynamo_status;
    }
--- must_die
--- error_log
"dynamo_status" directive needs "dynamo_zone" in the http block, before it



=== TEST 5: one role, four clients at once over two workers: every request counted
Each worker counts in a cache line of its own; the status sums them.
--- init
main::parallel();
--- request
GET /status
--- response_body_like chomp
^\{"requests":\{"total":200,"allowed":200,.*"roles":\{"arn:aws:iam::123456789012:role/Orders":\{"requests":200\}\},"identities":\{"slots":100,"tracked":1,"folded":0,"top":\[\{"identity":"drsa/sa/default/alice","requests":200,"throttled":0,"request_bytes":[1-9]\d*,"response_bytes":[1-9]\d*,"allowed":200,.*\}$



=== TEST 6: the Prometheus text after traffic passes promtool's lint
Requests of every outcome, two roles, STS calls: no finding at all.
--- init
main::traffic();
--- request
GET /status?format=prometheus
--- response_body_filters eval
[\&main::promtool_check]
--- response_body
rc=0



=== TEST 7: the checks find a spoilt text
Without a HELP, without a TYPE, a counter without "_total": promtool
reports the first and the third, the test's own check the second.
--- init
main::traffic();
--- request
GET /status?format=prometheus
--- response_body_filters eval
[\&main::spoil, \&main::promtool_check]
--- response_body_like chomp
(?m)^rc=3
(?=.*^dynamo_requests_total no help text$)(?=.*^dynamo_sts_calls counter metrics should have "_total" suffix$)(?=.*^dynamo_sts_calls is a counter: "_total" wrong$)(?=.*^dynamo_zone_size_bytes without TYPE$)
