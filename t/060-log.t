# The activity log: one JSON record per request, valid against the schema
# in t/data, with the response's fields read from DynamoDB's answer;
# refusals recorded with their reasons; the statement modes; buffering,
# flushing, reopening on USR1, syslog, and write errors.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use IO::Socket::INET;

our (%tok, $syslog, %ua);

# a User-Agent with each special byte after plain runs of 0 to 40 bytes,
# and what the record must say of it

{
    my @sent = ('"', "\\", "\t", "\x01", "\xff", "\xc3\xa9", "\x7f");
    my @logged = ('\\"', '\\\\', '\\t', '\\u0001', "\xef\xbf\xbd",
                  "\xc3\xa9", "\x7f");

    $ua{sent} = join('', map { ('p' x $_) . $sent[$_ % 7] } 0 .. 40) . 'end';
    $ua{logged} = join('', map { ('p' x $_) . $logged[$_ % 7] } 0 .. 40)
                  . 'end';

    # strings of 1 to 20 bytes, plain, then with one special byte at
    # each place: those without any are copied eight or four bytes at a
    # time, the others escaped from their start (no tab here: nginx trims
    # it from a header's ends)

    $sent[2] = "\x1f";
    $logged[2] = '\\u001F';

    for my $len (1 .. 20) {
        push @{$ua{short_sent}}, 'q' x $len;
        push @{$ua{short_logged}}, 'q' x $len;

        for my $at (0 .. $len - 1) {
            my $i = ($len + $at) % 7;
            my $tail = 'r' x ($len - $at - 1);

            push @{$ua{short_sent}}, ('q' x $at) . $sent[$i] . $tail;
            push @{$ua{short_logged}}, ('q' x $at) . $logged[$i] . $tail;
        }
    }
}

emulator();

@tok{qw(alice expired)} = mint_tokens(
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice', sub => 'alice-sub',
                 jti => 'jti-1'} },
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => -60,
      claims => {azp => 'drsa/sa/default/alice'} });

$ENV{TEST_NGINX_SYSLOG_PORT} = ($ENV{TEST_NGINX_PORT} // 1984) + 460;

# the records, one summary line each, for exact comparison
sub summary {
    my ($body) = @_;
    my $out = '';
    for my $line (split /\n/, $body) {
        my $r = json_decode($line);
        my $q = $r->{request};
        my $s = $r->{response};
        $out .= join(' ', $q->{statementType} || '-',
                     '[' . join(',', @{ $q->{tables} }) . ']',
                     'status=' . $s->{status},
                     'records=' . ($s->{records} // '-'),
                     'error=' . ($s->{errorType} || '-'),
                     'policy=' . ($r->{policyViolated} ? 1 : 0),
                     'role=' . ($r->{identity}{dbRole} ? 'yes' : 'no'),
                     'capacity=' . (exists $s->{consumedCapacity}
                                    ? json_encode($s->{consumedCapacity})
                                    : '-'))
                . "\n";
    }
    return $out;
}

sub statements {
    my ($body) = @_;
    return join '', map { json_decode($_)->{request}{statement} . "\n" }
                    split /\n/, $body;
}

sub agents {
    my ($body) = @_;
    return join '', map { /"applicationName":"((?:[^"\\]|\\.)*)"/
                          ? "$1\n" : "-\n" } split /\n/, $body;
}

sub schema_check {
    my ($body) = @_;
    my $file = "$ENV{TEST_NGINX_SERVROOT}/logs/checked.log";
    open my $fh, '>', $file or die $!;
    print $fh $body;
    close $fh;
    return `/usr/bin/python3 $ENV{TEST_NGINX_TOP}/t/lib/check_activity.py --log $file --schema $ENV{TEST_NGINX_TOP}/t/data/activity-record.schema.json 2>&1`;
}

sub syslog_open {
    $syslog = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
                                    LocalPort => $ENV{TEST_NGINX_SYSLOG_PORT})
        or die "udp socket: $!\n";
}

sub syslog_read {
    my $got = '';
    my $rin = '';
    vec($rin, fileno($syslog), 1) = 1;
    while (select(my $rout = $rin, undef, undef, 1)) {
        $syslog->recv(my $msg, 65536) or last;
        $got .= "$msg\n";
    }
    return $got;
}

add_block_preprocessor(sub {
    my $block = shift;

    my $log = $block->activity;

    if (defined $log) {
        chomp $log;
        $block->set_value("config", <<CONF . ($block->config // ''));
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:\$TEST_NGINX_ECHO_PORT;
        dynamo_repo_name orders-test;
        $log
    }
    location = /activity {
        default_type application/json;
        alias logs/activity.log;
    }
CONF
    }

    aws_block_preprocessor($block);
});

no_shuffle();
no_root_location();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: records read DynamoDB's answers: Count, items, errors, consumed capacity
--- activity
dynamo_activity_log logs/activity.log;
--- emu_config
{"echo_sequence": [
  {"body": "{\"Count\":3,\"Items\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"b\"}},{\"pk\":{\"S\":\"c\"}}],\"ScannedCount\":3,\"ConsumedCapacity\":{\"TableName\":\"orders\",\"CapacityUnits\":0.5}}"},
  {"body": "{\"Item\":{\"pk\":{\"S\":\"a\"}}}"},
  {"body": "{}"},
  {"body": "{\"Responses\":{\"orders\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"b\"}}],\"users\":[{\"id\":{\"S\":\"u\"}}]},\"UnprocessedKeys\":{}}"},
  {"status": 400, "body": "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request failed\"}"},
  {"body": "{\"UnprocessedItems\":{\"orders\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"z\"}}}}]}}"}
]}
--- request eval
[qq{POST /\n{"TableName": "orders", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}, "ReturnConsumedCapacity": "TOTAL"}},
 qq{POST /\n{"TableName": "orders", "Key": {"pk": {"S": "a"}}}},
 qq{POST /\n{"TableName": "orders", "Key": {"pk": {"S": "nope"}}}},
 qq{POST /\n{"RequestItems": {"orders": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]}, "users": {"Keys": [{"id": {"S": "u"}}]}}}},
 qq{POST /\n{"TableName": "orders", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
 qq{POST /\n{"RequestItems": {"orders": [{"PutRequest": {"Item": {"pk": {"S": "x"}}}}, {"PutRequest": {"Item": {"pk": {"S": "y"}}}}, {"PutRequest": {"Item": {"pk": {"S": "z"}}}}]}}},
 "GET /activity"]
--- more_headers eval
[(map { "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.$_" }
      qw(Query GetItem GetItem BatchGetItem PutItem BatchWriteItem)), ""]
--- error_code eval
[200, 200, 200, 200, 400, 200, 200]
--- response_body_filters eval
[[], [], [], [], [], [], [\&main::summary]]
--- response_body eval
['{"Count":3,"Items":[{"pk":{"S":"a"}},{"pk":{"S":"b"}},{"pk":{"S":"c"}}],"ScannedCount":3,"ConsumedCapacity":{"TableName":"orders","CapacityUnits":0.5}}',
 '{"Item":{"pk":{"S":"a"}}}', '{}',
 '{"Responses":{"orders":[{"pk":{"S":"a"}},{"pk":{"S":"b"}}],"users":[{"id":{"S":"u"}}]},"UnprocessedKeys":{}}',
 '{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}',
 '{"UnprocessedItems":{"orders":[{"PutRequest":{"Item":{"pk":{"S":"z"}}}}]}}',
 'QUERY [orders] status=200 records=3 error=- policy=0 role=yes capacity={"CapacityUnits":0.5,"TableName":"orders"}
GET_ITEM [orders] status=200 records=1 error=- policy=0 role=yes capacity=-
GET_ITEM [orders] status=200 records=0 error=- policy=0 role=yes capacity=-
BATCH_GET_ITEM [orders,users] status=200 records=3 error=- policy=0 role=yes capacity=-
PUT_ITEM [orders] status=400 records=- error=ConditionalCheckFailedException policy=0 role=yes capacity=-
BATCH_WRITE_ITEM [orders] status=200 records=2 error=- policy=0 role=yes capacity=-
']



=== TEST 2: every record is valid against the schema, identity fields included
--- activity
dynamo_activity_log logs/activity.log;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, qq{POST /\n{"TableName": "orders"}}, qq{POST /\nnot json},
 qq{POST /\n{}}, "GET /activity", "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nUser-Agent: Boto3/1.26.27 Python/3.11.2\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDCLIENT0000000001/20261123/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
 "X-Amz-Target: DynamoDB_20120810.DescribeTable",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem",
 "cyral.token: $::tok{expired}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "", ""]
--- error_code eval
[200, 400, 400, 400, 200, 200]
--- response_body_filters eval
[[], [], [], [], [\&main::schema_check], [\&main::summary]]
--- response_body_like eval
["", "MissingAuthenticationToken", "ValidationException", "ExpiredToken",
 qr/^4 records, 0 invalid$/,
 qr/^DESCRIBE_TABLE \[orders\] status=200 records=- error=- policy=0 role=yes capacity=-
DESCRIBE_TABLE \[\] status=400 records=- error=MissingAuthenticationTokenException policy=0 role=no capacity=-
PUT_ITEM \[\] status=400 records=- error=ValidationException policy=0 role=yes capacity=-
LIST_TABLES \[\] status=400 records=- error=ExpiredTokenException policy=0 role=no capacity=-
$/]



=== TEST 3: the first record's fields, as the client made the request
--- activity
dynamo_activity_log logs/activity.log;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nUser-Agent: Boto3/1.26.27 Python/3.11.2\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDCLIENT0000000001/20261123/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0", ""]
--- response_body_like eval
["",
 qr/^\{"activityId":"127.0.0.1:\d+:\d{19}:1","activityTime":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC","activityTimeNanos":\d{19},"activityTypes":\["ddl"\],"identity":\{"endUser":"AKIDCLIENT0000000001","repoUser":"AKIDCLIENT0000000001","dbRole":"arn:aws:iam::123456789012:role\/Orders","serviceAccount":"drsa\/sa\/default\/alice","subject":"alice-sub","tokenId":"jti-1","roleSessionName":"drsa-sa-default-alice"\},"repo":\{"name":"orders-test","type":"dynamodb","host":"127.0.0.1","port":\d+\},"client":\{"connectionId":"127.0.0.1:\d+:\d{19}","connectionTime":"[^"]+","connectionTimeNanos":\d{19},"host":"127.0.0.1","port":\d+,"applicationName":"Boto3\/1.26.27 Python\/3.11.2"\},"sidecar":\{"name":"ngx_dynamo","hostname":"[^"]*","pid":\d+\},"request":\{"statement":"\{\\"TableName\\":\\"orders\\"\}","statementTruncated":false,"statementType":"DESCRIBE_TABLE","tables":\["orders"\],"statementData":\{"targetRegion":"us-east-1"\}\},"response":\{"status":200,"message":"OK","isError":false,"errorType":"","bytes":2,"executionTime":"[\d.]+(ns|µs|ms|s)","executionTimeNanos":\d+\},"policyViolated":false\}\n$/]
--- response_body_unlike eval
["", qr/eyJ|IQoJb3JpZ2luX2VjE|cyral\.token/]



=== TEST 4: strings in a record are JSON-escaped, invalid UTF-8 made U+FFFD
A quote, a backslash, a tab, a control character, a byte that cannot
begin UTF-8, a two-byte character and DEL in the client's User-Agent;
then the same after runs of plain bytes of every length from 0 to 40,
which are skipped sixteen bytes at a time, then eight, then one.
--- activity
dynamo_activity_log logs/activity.log;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, qq{POST /\n{"TableName": "orders"}},
 "GET /activity"]
--- more_headers eval
["X-Amz-Target: DynamoDB_20120810.DescribeTable\nUser-Agent: a\"b\\c\td\x01e\xfff\xc3\xa9\x7fg",
 "X-Amz-Target: DynamoDB_20120810.DescribeTable\nUser-Agent: $::ua{sent}",
 ""]
--- error_code eval
[400, 400, 200]
--- response_body_like eval
["MissingAuthenticationToken", "MissingAuthenticationToken",
 qr/"applicationName":"a\\"b\\\\c\\td\\u0001e\xef\xbf\xbdf\xc3\xa9\x7fg"\}.*"applicationName":"\Q$::ua{logged}\E"\}/s]



=== TEST 5: statements: full, keys (names without values), off, and a length cap
--- activity
dynamo_activity_log logs/activity.log;
dynamo_activity_log_statement full;
--- config
    location = /keys {
        rewrite ^ / break;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
        dynamo_activity_log_statement keys;
    }
    location = /off {
        rewrite ^ / break;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
        dynamo_activity_log_statement off;
    }
    location = /short {
        rewrite ^ / break;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
        dynamo_activity_log_statement full max=64;
    }
--- request eval
my $put = qq{{"TableName": "users", "Item": {"email": {"S": "ann\@example.com"}, "age": {"N": "41"}}}};
["POST /\n$put", "POST /keys\n$put", "POST /off\n$put", "POST /short\n$put", "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem") x 4, ""]
--- response_body_filters eval
[[], [], [], [], [\&main::statements]]
--- response_body eval
["{}", "{}", "{}", "{}",
 qq|{"TableName": "users", "Item": {"email": {"S": "ann\@example.com"}, "age": {"N": "41"}}}
{"TableName":"users","Item":{"email":{"S":"?"},"age":{"N":"?"}}}

{"TableName": "users", "Item": {"email": {"S": "ann\@example.com"...[truncated]
|]



=== TEST 6: refusals are recorded with their reason; a policy refusal says so
--- activity
dynamo_activity_log logs/activity.log;
dynamo_policy deny op=DeleteTable;
dynamo_policy allow;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DeleteTable", ""]
--- error_code eval
[400, 200]
--- response_body_filters eval
[[], [\&main::summary]]
--- response_body eval
['{"__type":"com.amazon.coral.service#AccessDeniedException","message":"policy refuses DeleteTable on table \"orders\" for role \"arn:aws:iam::123456789012:role/Orders\" (deny op=DeleteTable)"}',
 "DELETE_TABLE [orders] status=400 records=- error=AccessDeniedException policy=1 role=yes capacity=-\n"]



=== TEST 7: buffer= holds records until flush= or until it is full
The third request waits 2 s in limit_req, past the 1 s flush.
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    limit_req_zone $server_name zone=slow:1m rate=30r/m;
--- activity
dynamo_activity_log logs/activity.log buffer=64k flush=1s;
--- config
    location = /later {
        limit_req zone=slow burst=5;
        default_type application/json;
        alias logs/activity.log;
    }
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /activity", "GET /later", "GET /later"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable", "", "", ""]
--- response_body_filters eval
[[], [], [], [\&main::summary]]
--- response_body eval
["{}", "", "",
 "DESCRIBE_TABLE [orders] status=200 records=- error=- policy=0 role=yes capacity=-\n"]
--- timeout: 10



=== TEST 8: records larger than the buffer are written as they come
--- activity
dynamo_activity_log logs/activity.log buffer=1k;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, qq{POST /\n{"TableName": "users"}}, "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable") x 2, ""]
--- response_body_filters eval
[[], [], [\&main::summary]]
--- response_body eval
["{}", "{}",
 "DESCRIBE_TABLE [orders] status=200 records=- error=- policy=0 role=yes capacity=-
DESCRIBE_TABLE [users] status=200 records=- error=- policy=0 role=yes capacity=-\n"]



=== TEST 9: syslog: one message per record, to a local UDP listener
--- activity
dynamo_activity_log syslog:server=127.0.0.1:$TEST_NGINX_SYSLOG_PORT,tag=dynamo;
--- init
main::syslog_open();
--- config
    location = /syslog {
        return 200 "";
    }
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /syslog"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable", ""]
--- response_body_filters eval
[[], [\&main::syslog_read]]
--- response_body_like eval
["", qr/^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ dynamo: \{"activityId":.*"statementType":"DESCRIBE_TABLE".*"policyViolated":false\}\n$/]



=== TEST 10: reopened on USR1, like access_log
--- activity
dynamo_activity_log logs/activity.log;
--- config
    location = /old {
        default_type application/json;
        alias logs/activity.log.old;
    }
--- init
Dynamo::Test::nginx_get("/", "cyral.token" => $::tok{alice},
                        "X-Amz-Target" => "DynamoDB_20120810.ListTables");
my $logs = "$ENV{TEST_NGINX_SERVROOT}/logs";
rename "$logs/activity.log", "$logs/activity.log.old" or die "rename: $!";
open my $pid, '<', "$logs/nginx.pid" or die $!;
kill 'USR1', scalar <$pid>;
select undef, undef, undef, 0.5;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /old", "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable", "", ""]
--- response_body_filters eval
[[], [\&main::summary], [\&main::summary]]
--- response_body eval
["{}",
 "LIST_TABLES [] status=400 records=- error=ValidationException policy=0 role=yes capacity=-\n",
 "DESCRIBE_TABLE [orders] status=200 records=- error=- policy=0 role=yes capacity=-\n"]



=== TEST 11: a log that cannot be written is reported once a minute, not per request
--- activity
dynamo_activity_log /dev/full;
--- request eval
[qq{POST /\n{"TableName": "orders"}}, qq{POST /\n{"TableName": "orders"}}]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable") x 2]
--- response_body eval
["{}", "{}"]
--- grep_error_log eval
qr/write\(\) to "\/dev\/full" failed/
--- grep_error_log_out
write() to "/dev/full" failed



=== TEST 12: short strings, with and without a byte to escape at each place
Every User-Agent of 1 to 20 bytes, plain, then with a quote, backslash,
control, invalid, two-byte or DEL byte at each place in turn, is logged
as TEST 4's are; the records stay valid JSON.
--- activity
dynamo_activity_log logs/activity.log;
--- request eval
[(qq{POST /\n{"TableName": "orders"}}) x @{$::ua{short_sent}},
 "GET /activity", "GET /activity"]
--- more_headers eval
[(map { "X-Amz-Target: DynamoDB_20120810.DescribeTable\nUser-Agent: $_" }
      @{$::ua{short_sent}}),
 "", ""]
--- error_code eval
[(400) x @{$::ua{short_sent}}, 200, 200]
--- response_body_filters eval
[([]) x @{$::ua{short_sent}}, [\&main::agents], [\&main::schema_check]]
--- response_body_like eval
[("MissingAuthenticationToken") x @{$::ua{short_sent}},
 '^' . quotemeta(join '', map { "$_\n" } @{$::ua{short_logged}}) . '$',
 qr/^230 records, 0 invalid$/]
