# dynamo_status per identity: each identity's counts equal the traffic it
# sent (outcomes of every kind, a throttled request, the bytes each way,
# the capacity DynamoDB's answers said they consumed); more identities
# than slots keep the most active exactly and sum the rest in "other";
# a reload keeps them; names are escaped in JSON and in the text format,
# which passes promtool's lint.  Without an activity log, the capacity is
# still counted for the requests that ask for it (ReturnConsumedCapacity),
# and only their answers are read.  Two workers count into one table.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use IO::Socket::INET;
use File::Temp ();

our (%tok, %bytes);

emulator();

our $hostile = "drsa/sa/x\"y\\z\n\xc3\xa9nd";

my @who = qw(alice bob carol expired a b c d e f hostile);
my @claims = (
    {azp => 'drsa/sa/default/alice'}, {azp => 'drsa/sa/default/bob'},
    {azp => 'drsa/sa/default/carol'}, {azp => 'drsa/sa/default/alice'},
    (map { {azp => "drsa/sa/bound/$_"} } qw(a b c d e f)),
    {azp => $hostile},
);

@tok{@who} = mint_tokens(map {
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
      exp_in => ($who[$_] eq 'expired' ? -60 : 3600),
      claims => $claims[$_] }
} 0 .. $#who);

# one request on a connection of its own ($path may start with a port,
# "29705/", for another server than the test's); the bytes each way are added to
# those of $key (the identity, or "unidentified"): what the client sent
# and received, which the gateway must count alike, as $request_length
# and $bytes_sent do: a body refused unread (the request refused before
# its body was needed: "unread" in $key) is not counted

sub send_request {
    my ($key, $who, $path, $op, $body) = @_;
    my $unread = $key =~ s/ unread$//;

    my $port = $path =~ s/^(\d+)// ? $1
               : $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my $req = (defined $op ? "POST" : "GET") . " $path HTTP/1.1\r\n"
              . "Host: localhost\r\nConnection: close\r\n"
              . (defined $who ? "cyral.token: $tok{$who}\r\n" : '');

    if (defined $op) {
        $req .= "X-Amz-Target: DynamoDB_20120810.$op\r\n"
                . "Content-Type: application/x-amz-json-1.0\r\n"
                . "Content-Length: " . length($body) . "\r\n\r\n$body";
    } else {
        $req .= "\r\n";
    }

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp')
        or die "connect: $!\n";
    print $s $req;

    my $res = '';
    while (sysread($s, my $chunk, 65536)) {
        $res .= $chunk;
    }
    close $s;

    $bytes{$key}{in} += length($req) - ($unread ? length $body : 0);
    $bytes{$key}{out} += length $res;

    return $res =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
}

sub traffic {
    my $q = '{"TableName": "orders", "ReturnConsumedCapacity": "TOTAL"}';
    my $b = '{"RequestItems": {"orders": {"Keys": [{"pk": {"S": "a"}}]}, '
            . '"users": {"Keys": [{"id": {"S": "u"}}]}}, '
            . '"ReturnConsumedCapacity": "INDEXES"}';
    my $alice = 'drsa/sa/default/alice';
    my $carol = 'drsa/sa/default/carol';

    %bytes = ();

    send_request($alice, alice => '/', Query => $q);
    send_request($alice, alice => '/', BatchGetItem => $b);
    send_request($alice, alice => '/', GetItem => '{"TableName": "orders"}');
    send_request($alice, alice => '/', DeleteTable => '{"TableName": "o"}');
    send_request($alice, alice => '/', PutItem => 'not json');
    send_request('drsa/sa/default/bob', bob => '/', GetItem => $q);
    send_request("$carol unread", carol => '/',
                 GetItem => '{"TableName": "orders"}');
    send_request($carol, carol => '/limited');
    send_request($carol, carol => '/limited');
    send_request('unidentified unread', undef, '/', GetItem => '{}');
    send_request('unidentified unread', expired => '/', GetItem => '{}');

    counted(11);
}

# without an activity log: the answers of the requests that asked with
# ReturnConsumedCapacity are read for it, the others are not (every
# answer the echo upstream gives carries a capacity; those not asked for
# are 7, 9 and 5, which no sum below can hide)

sub capacity_traffic {
    my $alice = 'drsa/sa/default/alice';
    my $bob = 'drsa/sa/default/bob';
    my $rcc = sub { qq(, "ReturnConsumedCapacity": "$_[0]"}) };
    my $get = '{"TableName": "orders", "Key": {"pk": {"S": "a"}}';
    my $sel = '{"Statement": "SELECT * FROM orders"';
    my $nolog = $ENV{TEST_NGINX_NOLOG_PORT};

    %bytes = ();

    send_request($alice, alice => "$nolog/", Query =>
                 '{"TableName": "orders"' . $rcc->('TOTAL'));
    send_request($alice, alice => "$nolog/", BatchGetItem =>
                 '{"RequestItems": {"orders": {"Keys": [{"pk": {"S": "a"}}]}, '
                 . '"users": {"Keys": [{"id": {"S": "u"}}]}}'
                 . $rcc->('INDEXES'));
    send_request($alice, alice => "$nolog/", GetItem => "$get}");
    send_request($alice, alice => "$nolog/", GetItem => $get . $rcc->('NONE'));
    send_request($alice, alice => "$nolog/", PutItem =>
                 '{"TableName": "orders", "Item": {"pk": {"S": "a"}, '
                 . '"ReturnConsumedCapacity": {"S": "TOTAL"}}}');
    send_request($alice, alice => "$nolog/", ExecuteStatement =>
                 $sel . $rcc->('TOTAL'));
    send_request($alice, alice => "$nolog/", BatchExecuteStatement =>
                 '{"Statements": [' . $sel . '}]' . $rcc->('TOTAL'));
    send_request($alice, alice => "$nolog/", ExecuteTransaction =>
                 '{"TransactStatements": [' . $sel . '}]'
                 . $rcc->('INDEXES'));
    send_request($bob, bob => "$nolog/", ExecuteStatement => "$sel}");

    counted(9);
}

# the same through boto3 to dynalite, which answers ConsumedCapacity
# only when asked: a put (1 unit), an eventually consistent get (0.5)
# and a consistent one (1), each asking; a get and a query not asking

sub capacity_boto3 {
    local $ENV{CAPACITY_TOKEN} = $tok{alice};
    local $ENV{CAPACITY_ENDPOINT} =
        "http://127.0.0.1:$ENV{TEST_NGINX_DYNALITE_GW_PORT}";

    my $out = `/usr/bin/python3 - <<'PY' 2>&1
import os, boto3
from botocore.config import Config

c = boto3.client("dynamodb", endpoint_url=os.environ["CAPACITY_ENDPOINT"],
                 region_name="us-east-1", aws_access_key_id="AKIDDUMMY",
                 aws_secret_access_key="x",
                 config=Config(retries={"max_attempts": 1}))

def token(request, **kwargs):
    request.headers["cyral.token"] = os.environ["CAPACITY_TOKEN"]

c.meta.events.register("before-sign.dynamodb.*", token)

c.create_table(TableName="capacity", BillingMode="PAY_PER_REQUEST",
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "pk",
                                      "AttributeType": "S"}])
key = {"pk": {"S": "a"}}
seen = []
r = c.put_item(TableName="capacity", Item={"pk": {"S": "a"}, "v": {"N": "1"}},
               ReturnConsumedCapacity="TOTAL")
seen.append(r["ConsumedCapacity"]["CapacityUnits"])
r = c.get_item(TableName="capacity", Key=key, ReturnConsumedCapacity="INDEXES")
seen.append(r["ConsumedCapacity"]["CapacityUnits"])
r = c.get_item(TableName="capacity", Key=key, ConsistentRead=True,
               ReturnConsumedCapacity="TOTAL")
seen.append(r["ConsumedCapacity"]["CapacityUnits"])
r = c.get_item(TableName="capacity", Key=key)
seen.append(r.get("ConsumedCapacity", "none"))
r = c.query(TableName="capacity", KeyConditionExpression="pk = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
            ReturnConsumedCapacity="NONE")
seen.append(r.get("ConsumedCapacity", "none"))
print("boto3 saw", *seen)
PY`;

    counted(6);

    return $out;
}

# waits until the log phase counted $n requests: nginx closes at once a
# connection whose request it answered, but one with a body left unread
# is closed lingering, its write side first, and the request is logged
# after the client saw its end

sub counted {
    my $n = shift;

    require HTTP::Tiny;
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

# 10 requests of a, 8 of b, then one each of c, d, e, f, in 3 slots

sub crowd {
    %bytes = ();

    for my $spec ([a => 10], [b => 8], [c => 1], [d => 1], [e => 1],
                  [f => 1])
    {
        my ($who, $n) = @$spec;
        send_request("drsa/sa/bound/$who", $who => '/open') for 1 .. $n;
    }

    counted(22);
}

# the JSON, one line per entry: its counts that are not 0, and whether
# its bytes are the client's

sub summary {
    my $s = json_decode(shift)->{identities};
    my $out = "slots=$s->{slots} tracked=$s->{tracked} "
              . "folded=$s->{folded}\n";
    my $sum = 0;

    my @entries = ((map { [$_->{identity}, $_] } @{ $s->{top} }),
                   [other => $s->{other}],
                   [unidentified => $s->{unidentified}]);

    for my $e (@entries) {
        my ($name, $c) = @$e;
        my $b = $bytes{$name};

        $sum += $c->{requests};
        $name =~ s/\n/\\n/g;

        $c->{consumed_capacity} = sprintf '%.3f', $c->{consumed_capacity};

        $out .= join(' ', $name,
                     (map { "$_=$c->{$_}" }
                      grep { !/bytes/ && $c->{$_} ne '0'
                             && $c->{$_} ne '0.000' }
                      sort grep { $_ ne 'identity' } keys %$c),
                     ($c->{requests} == 0 ? ()
                      : !$b ? 'bytes=unsent'
                      : $b->{in} == $c->{request_bytes}
                        && $b->{out} == $c->{response_bytes}
                      ? 'bytes=exact'
                      : "bytes=$c->{request_bytes}/$c->{response_bytes}"
                        . " sent $b->{in}/$b->{out}"))
                . "\n";
    }

    return $out . "sum=$sum\n";
}

# promtool's "check metrics": "rc=<its exit code>" and its findings

sub promtool_check {
    my $text = shift;
    my $promtool = $ENV{TEST_NGINX_PROMTOOL}
                   // 'build/tools/prometheus/usr/bin/promtool';

    return "no promtool at $promtool: run util/setup\n" unless -x $promtool;

    my $in = File::Temp->new;
    print $in $text;
    close $in;

    my $out = `$promtool check metrics < $in 2>&1`;

    return "rc=" . ($? >> 8) . "\n" . $out;
}

# the identity lines of the text format, the escaped name kept

sub identity_lines {
    my $text = shift;
    return CORE::join '',
        grep { /^dynamo_identity_(?:requests|outcomes)_total/ }
        split /^/, $text;
}

# gateways without an activity log, to the echo upstream and to dynalite:
# DynamoDB requests are made to "/", each has a server of its own

$ENV{TEST_NGINX_NOLOG_PORT} = ($ENV{TEST_NGINX_PORT} // 1984) + 5;
$ENV{TEST_NGINX_DYNALITE_GW_PORT} = ($ENV{TEST_NGINX_PORT} // 1984) + 6;

our $no_log_servers = join '', map { my ($port, $up) = @$_; <<CONF }
    server {
        listen 127.0.0.1:\$$port;
        server_name localhost;
        ignore_invalid_headers off;
        location = / {
            dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
            dynamo_service_account drsa/sa/default/alice
                                   arn:aws:iam::123456789012:role/Orders;
            dynamo_service_account drsa/sa/default/bob
                                   arn:aws:iam::123456789012:role/Orders;
            dynamo_sts /_sts;
            dynamo_region us-east-1;
            dynamo_pass http://127.0.0.1:\$$up;
            dynamo_policy allow;
        }
        location = /_sts {
            internal;
            proxy_pass http://127.0.0.1:\$TEST_NGINX_STS_PORT/;
            proxy_set_header Host sts.us-east-1.amazonaws.com;
        }
    }
CONF
    ([TEST_NGINX_NOLOG_PORT => 'TEST_NGINX_ECHO_PORT'],
     [TEST_NGINX_DYNALITE_GW_PORT => 'TEST_NGINX_DDB_PORT']);

master_on();
workers(2);

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'CONF' . $no_log_servers);
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    limit_req_zone $dynamo_identity zone=per_caller:1m rate=1r/m;
CONF
    }

    $block->set_value("user_files", ">>> limited\nok\n>>> open\nok\n");

    $block->set_value("config", <<'CONF');
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_service_account drsa/sa/default/bob
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_policy deny op=DeleteTable;
        dynamo_policy allow;
        dynamo_activity_log logs/activity.log;
    }
    location = /limited {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        limit_req zone=per_caller nodelay;
        limit_req_status 429;
    }
    location = /open {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
    location = /status {
        dynamo_status;
    }
CONF

    aws_block_preprocessor($block);
});

no_shuffle();
no_root_location();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: each identity's counts are the traffic it sent
alice: three answers, one with a capacity of 0.5, one of a batch, 1.5
and 2 (its table's 1.0 is part of the 1.5), a policy refusal and a
body that is no JSON; bob: one answer with a capacity of 1.25E1; carol:
no role of hers (denied), then one request that passes its limit and
one that does not; no token, and an expired one, have no identity.
--- emu_config
{"echo_sequence": [
  {"body": "{\"Count\":0,\"Items\":[],\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":0.5}}"},
  {"body": "{\"Responses\":{},\"ConsumedCapacity\":[{\"TableName\":\"orders\",\"CapacityUnits\":1.5,\"Table\":{\"CapacityUnits\":1.0}},{\"TableName\":\"users\",\"CapacityUnits\":2}]}"},
  {"body": "{}"},
  {"body": "{\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":1.25E1}}"}
]}
--- init
main::traffic();
--- request
GET /status
--- response_body_filters eval
\&main::summary
--- response_body
slots=100 tracked=3 folded=0
drsa/sa/default/alice allowed=3 consumed_capacity=4.000 refused_policy=1 refused_validation=1 requests=5 bytes=exact
drsa/sa/default/carol allowed=1 refused_denied=1 requests=3 throttled=1 bytes=exact
drsa/sa/default/bob allowed=1 consumed_capacity=12.500 requests=1 bytes=exact
other
unidentified refused_expired=1 refused_token=1 requests=2 bytes=exact
sum=11



=== TEST 2: more identities than slots: the most active kept exactly, the rest summed
Three slots: a and b keep theirs; c, d and e each took the third in
turn and gave it up to the next, their counts summed in "other"; f holds
it last.  The groups sum to the 22 requests sent.
--- http_config
    dynamo_zone dynamo:1m identities=3;
    dynamo_base_credentials env;
    limit_req_zone $dynamo_identity zone=per_caller:1m rate=1r/m;
--- init
main::crowd();
--- request
GET /status
--- response_body_filters eval
\&main::summary
--- response_body
slots=3 tracked=3 folded=3
drsa/sa/bound/a allowed=10 requests=10 bytes=exact
drsa/sa/bound/b allowed=8 requests=8 bytes=exact
drsa/sa/bound/f allowed=1 requests=1 bytes=exact
other allowed=3 requests=3 bytes=unsent
unidentified
sum=22



=== TEST 3: a reload keeps the counts and the slots
--- http_config
    dynamo_zone dynamo:1m identities=3;
    dynamo_base_credentials env;
    limit_req_zone $dynamo_identity zone=per_caller:1m rate=1r/m;
--- init
main::crowd();
Dynamo::Test::reload_nginx();
--- request
GET /status
--- response_body_filters eval
\&main::summary
--- response_body
slots=3 tracked=3 folded=3
drsa/sa/bound/a allowed=10 requests=10 bytes=exact
drsa/sa/bound/b allowed=8 requests=8 bytes=exact
drsa/sa/bound/f allowed=1 requests=1 bytes=exact
other allowed=3 requests=3 bytes=unsent
unidentified
sum=22
--- no_error_log
takes effect when the zone is made anew



=== TEST 4: a name with a quote, a backslash, a newline and UTF-8: escaped in JSON
--- init
main::send_request($::hostile, hostile => '/open');
--- request
GET /status
--- response_body_filters eval
\&main::summary
--- response_body eval
"slots=100 tracked=1 folded=0
drsa/sa/x\"y\\z\\n\xc3\xa9nd allowed=1 requests=1 bytes=exact
other
unidentified
sum=1
"



=== TEST 5: the same name in the text format, escaped as its labels want
--- init
main::send_request($::hostile, hostile => '/open');
--- request
GET /status?format=prometheus
--- response_body_filters eval
\&main::identity_lines
--- response_body eval
"dynamo_identity_requests_total{identity=\"drsa/sa/x\\\"y\\\\z\\n\xc3\xa9nd\"} 1
dynamo_identity_requests_total{group=\"other\"} 0
dynamo_identity_requests_total{group=\"unidentified\"} 0
" . CORE::join("", map {
    "dynamo_identity_outcomes_total{identity=\"drsa/sa/x\\\"y\\\\z\\n\xc3\xa9nd\",outcome=\"$_\"} " . ($_ eq 'allowed' ? 1 : 0) . "\n"
} qw(allowed refused_token refused_expired refused_denied refused_policy refused_validation unavailable))
. CORE::join("", map {
    my $g = $_;
    map { "dynamo_identity_outcomes_total{group=\"$g\",outcome=\"$_\"} 0\n" }
        qw(allowed refused_token refused_expired refused_denied refused_policy refused_validation unavailable)
} qw(other unidentified))



=== TEST 6: the text format after every kind of traffic passes promtool's lint
--- emu_config
{"echo_sequence": [
  {"body": "{\"Count\":0,\"Items\":[],\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":0.5}}"}
]}
--- init
main::traffic();
main::send_request($::hostile, hostile => '/open');
--- request
GET /status?format=prometheus
--- response_body_filters eval
\&main::promtool_check
--- response_body
rc=0



=== TEST 7: the capacity in the text format, in units
--- emu_config
{"echo_sequence": [
  {"body": "{\"Count\":0,\"Items\":[],\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":0.5}}"},
  {"body": "{\"Responses\":{},\"ConsumedCapacity\":[{\"TableName\":\"orders\",\"CapacityUnits\":1.5,\"Table\":{\"CapacityUnits\":1.0}},{\"TableName\":\"users\",\"CapacityUnits\":2}]}"}
]}
--- init
main::traffic();
--- request
GET /status?format=prometheus
--- response_body_like
(?ms)(?=.*^dynamo_identity_capacity_units_total\{identity="drsa/sa/default/alice"\} 4\.000$)(?=.*^dynamo_identity_throttled_total\{identity="drsa/sa/default/carol"\} 1$)



=== TEST 8: identities=0: no table, no identities on the page
--- http_config
    dynamo_zone dynamo:1m identities=0;
    dynamo_base_credentials env;
    limit_req_zone $dynamo_identity zone=per_caller:1m rate=1r/m;
--- init
main::send_request('drsa/sa/bound/a', a => '/open');
--- request
GET /status
--- response_body_unlike
"identities"



=== TEST 9: identities= out of bounds
--- http_config
    dynamo_zone dynamo:1m identities=10001;
    dynamo_base_credentials env;
--- must_die
--- error_log
"identities=10001" must be between 0 and 10000



=== TEST 10: a zone too small for the identities asked for
--- http_config
    dynamo_zone dynamo:32k identities=10000;
    dynamo_base_credentials env;
--- must_die
--- error_log
dynamo_zone "dynamo" is too small for 10000 identities



=== TEST 11: a reload asking for another number of slots keeps the zone's, and says so
--- http_config
    dynamo_zone dynamo:1m identities=3;
    dynamo_base_credentials env;
    limit_req_zone $dynamo_identity zone=per_caller:1m rate=1r/m;
--- init
main::crowd();
my $conf = "$ENV{TEST_NGINX_SERVROOT}/conf/nginx.conf";
open my $in, '<', $conf or die "$conf: $!";
my $text = CORE::join '', <$in>;
close $in;
$text =~ s/identities=3/identities=5/ or die "no identities=3 in $conf";
open my $out, '>', $conf or die "$conf: $!";
print $out $text;
close $out;
Dynamo::Test::reload_nginx();
--- request
GET /status
--- response_body_filters eval
\&main::summary
--- response_body
slots=3 tracked=3 folded=3
drsa/sa/bound/a allowed=10 requests=10 bytes=exact
drsa/sa/bound/b allowed=8 requests=8 bytes=exact
drsa/sa/bound/f allowed=1 requests=1 bytes=exact
other allowed=3 requests=3 bytes=unsent
unidentified
sum=22
--- error_log
dynamo_zone "dynamo" keeps the 3 identities it was made with: identities=5 takes effect when the zone is made anew



=== TEST 12: identities= is a number, without a unit
--- http_config
    dynamo_zone dynamo:1m identities=1k;
    dynamo_base_credentials env;
--- must_die
--- error_log
"identities=1k" must be between 0 and 10000



=== TEST 13: without an activity log, the capacity of the answers asked for it
Alice asks with ReturnConsumedCapacity TOTAL or INDEXES in a Query (0.5),
a BatchGetItem (1.5 and 2) and PartiQL's three operations (0.25, 1, 2):
7.25.  Her GetItem not asking, her GetItem asking "NONE" and her PutItem
whose item has an attribute of that name are not read (7, 9 and 11 would
show); nor is bob's ExecuteStatement, which does not ask (5).
--- emu_config
{"echo_sequence": [
  {"body": "{\"Count\":0,\"Items\":[],\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":0.5}}"},
  {"body": "{\"Responses\":{},\"ConsumedCapacity\":[{\"TableName\":\"orders\",\"CapacityUnits\":1.5,\"Table\":{\"CapacityUnits\":1.0}},{\"TableName\":\"users\",\"CapacityUnits\":2}]}"},
  {"body": "{\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":7}}"},
  {"body": "{\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":9}}"},
  {"body": "{\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":11}}"},
  {"body": "{\"Items\":[],\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":0.25}}"},
  {"body": "{\"Responses\":[{\"Item\":{}}],\"ConsumedCapacity\":[{\"TableName\":\"orders\",\"CapacityUnits\":1}]}"},
  {"body": "{\"Responses\":[{\"Item\":{}}],\"ConsumedCapacity\":[{\"TableName\":\"orders\",\"CapacityUnits\":2,\"Table\":{\"CapacityUnits\":2}}]}"},
  {"body": "{\"Items\":[],\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":5}}"}
]}
--- init
main::capacity_traffic();
--- request
GET /status
--- response_body_filters eval
\&main::summary
--- response_body
slots=100 tracked=2 folded=0
drsa/sa/default/alice allowed=8 consumed_capacity=7.250 requests=8 bytes=exact
drsa/sa/default/bob allowed=1 requests=1 bytes=exact
other
unidentified
sum=9



=== TEST 14: without an activity log, boto3 through to dynalite
The table's creation asks nothing; the put, the two gets asking, 2.5
units in all, are counted; the get and the query not asking are not.
--- init
$main::boto3 = main::capacity_boto3();
--- request
GET /status
--- response_body_filters eval
sub { "$main::boto3" . main::summary(shift) =~ s/ bytes=\S+(?: sent \S+)?//gr }
--- response_body
boto3 saw 1 0.5 1 none none
slots=100 tracked=1 folded=0
drsa/sa/default/alice allowed=6 consumed_capacity=2.500 requests=6
other
unidentified
sum=6
