# nginx's own errors in a gateway location: a body over the limit (with
# a length or chunked), a body not received in time, a malformed chunked
# body, DynamoDB unreachable or silent, a 500 of the configuration: each
# answered in DynamoDB's JSON error shape, with the status nginx chose
# and a __type SDKs name and retry by, and an activity record; a location
# that is not a gateway keeps nginx's HTML page.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use JSON::PP;

our %tok;

emulator();

($tok{alice}) = mint_tokens(
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice'} });

# a raw POST to a gateway location: Content-Length, or chunks

sub ddb {
    my ($body, %o) = @_;

    my $req = "POST " . ($o{uri} // '/') . " HTTP/1.1\r\nHost: localhost\r\n"
              . "cyral.token: $tok{alice}\r\n"
              . "X-Amz-Target: DynamoDB_20120810.PutItem\r\n"
              . "Content-Type: application/x-amz-json-1.0\r\n"
              . "Connection: close\r\n";

    if ($o{chunks}) {
        $req .= "Transfer-Encoding: chunked\r\n\r\n";
        $req .= sprintf("%x\r\n%s\r\n", length $_, $_) for @{ $o{chunks} };
        return $req . ($o{end} // "0\r\n\r\n");
    }

    my $len = $o{length} // length $body;

    return "$req" . "Content-Length: $len\r\n\r\n$body";
}

# the records, one line each: what the error contract asks of them

sub records {
    my ($body) = @_;
    my $out = '';
    for my $line (split /\n/, $body) {
        my $r = JSON::PP->new->decode($line);
        my $s = $r->{response};
        $out .= join(' ', 'status=' . $s->{status},
                     'isError=' . ($s->{isError} ? 'true' : 'false'),
                     'error=' . ($s->{errorType} || '-'),
                     'client=' . ($r->{client}{host} || '-'),
                     'identity=' . ($r->{identity}{serviceAccount} || '-'),
                     'message=' . $s->{message})
                . "\n";
    }
    return $out;
}

sub schema_check {
    my ($body) = @_;
    my $file = "$ENV{TEST_NGINX_SERVROOT}/logs/checked.log";
    open my $fh, '>', $file or die $!;
    print $fh $body;
    close $fh;
    return `/usr/bin/python3 $ENV{TEST_NGINX_TOP}/t/lib/check_activity.py --log $file --schema $ENV{TEST_NGINX_TOP}/t/data/activity-record.schema.json 2>&1`;
}

# what boto3 makes of the errors, called once nginx runs

sub boto3_calls {
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    return `/usr/bin/python3 $ENV{TEST_NGINX_TOP}/t/lib/nginx_errors_boto3.py --gateway http://127.0.0.1:$port --token $tok{alice} 2>&1`;
}

# the body's JSON is DynamoDB's error shape, with this __type

add_response_body_check(sub {
    my ($block, $body, $req_idx, $rep, $dry_run) = @_;

    my $want = $block->error_type;
    return if !defined $want || $dry_run;

    $want = $want->[$req_idx] if ref $want eq 'ARRAY';
    chomp $want;
    return if $want eq '';

    my $doc = eval { JSON::PP->new->decode($body // '') };

    my $ok = ref $doc eq 'HASH'
             && join(',', sort keys %$doc) eq '__type,message'
             && !ref $doc->{message} && length $doc->{message}
             && $doc->{__type} eq $want;

    Test::More::ok($ok, $block->name . " (req $req_idx) - the body is "
                        . "DynamoDB's error shape, __type $want")
        or Test::More::diag("body: " . ($body // ''));
});

# the activity log, once the log phase has written what the block expects
# of it ("--- record"): the records' lines, and all valid for the schema

add_response_body_check(sub {
    my ($block, $body, $req_idx, $rep, $dry_run) = @_;

    my $want = $block->record;
    return if !defined $want || $dry_run;
    return if ref $block->request eq 'ARRAY'
              && $req_idx < $#{ $block->request };

    my $file = "$ENV{TEST_NGINX_SERVROOT}/logs/activity.log";
    my $n = () = $want =~ /\n/g;
    my $got = '';

    for (1 .. 50) {
        if (open my $fh, '<', $file) {
            local $/;
            $got = <$fh> // '';
        }
        my $lines = () = $got =~ /\n/g;
        last if $lines >= $n;
        select(undef, undef, undef, 0.1);
    }

    Test::More::is(records($got), $want,
                   $block->name . " - the activity record");
    Test::More::is(schema_check($got), "$n records, 0 invalid\n",
                   $block->name . " - the records are valid");
});

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<CONF);
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:\$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
        client_max_body_size 100;
        client_body_timeout 300ms;
        proxy_read_timeout 300ms;
    }
    location = /closed {
        rewrite ^ / break;
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:1;
        dynamo_activity_log logs/activity.log;
    }
    location = /broken {
        dynamo_access on;
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_activity_log logs/activity.log;
        return 500;
    }
    location = /plain {
        client_max_body_size 100;
        return 200 "plain\\n";
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
run_tests();

__DATA__

=== TEST 1: a body over client_max_body_size, with a Content-Length: 413, ValidationException, a record
--- raw_request eval
::ddb('{"TableName": "orders", "Item": {"pk": {"S": "' . ('x' x 200) . '"}}}')
--- error_code: 413
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazon.coral.validate#ValidationException
--- response_body chomp
{"__type":"com.amazon.coral.validate#ValidationException","message":"the request body is larger than the gateway accepts"}
--- record
status=413 isError=true error=ValidationException client=127.0.0.1 identity=- message=the request body is larger than the gateway accepts
--- error_log
413 answered as com.amazon.coral.validate#ValidationException



=== TEST 2: a chunked body over the limit: 413 in the JSON shape, the record has the identity
--- raw_request eval
::ddb('', chunks => ['{"TableName": "orders", "Item": {"pk": {"S": "', 'x' x 120, '"}}}'])
--- error_code: 413
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazon.coral.validate#ValidationException
--- response_body_like: larger than the gateway accepts
--- record
status=413 isError=true error=ValidationException client=127.0.0.1 identity=drsa/sa/default/alice message=the request body is larger than the gateway accepts



=== TEST 3: a body not received in time: nginx closes without a page (408), the record says RequestTimeoutException
The client gets no answer to check the record by: the error log says
what it holds (and every record is checked against the schema).
--- config
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
        client_body_timeout 300ms;
    }
--- raw_request eval
::ddb('{"TableName": ', length => 40)
--- ignore_response
--- wait: 0.5
--- timeout: 3
--- error_log eval
qr/408 recorded as com.amazon.coral.service#RequestTimeoutException/



=== TEST 4: a malformed chunked body: nginx's 400 becomes a ValidationException
--- raw_request eval
::ddb('', chunks => ['{"TableName": "orders"}'], end => "zz\r\n\r\n")
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazon.coral.validate#ValidationException
--- response_body_like: could not be parsed
--- record
status=400 isError=true error=ValidationException client=127.0.0.1 identity=drsa/sa/default/alice message=the request could not be parsed
--- error_log
client sent invalid chunked body



=== TEST 5: DynamoDB unreachable: 502, InternalServerError (SDKs retry it)
--- raw_request eval
::ddb('{"TableName": "orders", "Item": {"pk": {"S": "a"}}}', uri => '/closed')
--- error_code: 502
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazonaws.dynamodb.v20120810#InternalServerError
--- response_body chomp
{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"DynamoDB could not be reached"}
--- record
status=502 isError=true error=InternalServerError client=127.0.0.1 identity=drsa/sa/default/alice message=DynamoDB could not be reached
--- error_log
connect() failed



=== TEST 6: DynamoDB silent past proxy_read_timeout: 504, InternalServerError
--- emu_faults
{"service": "echo", "mode": "hang", "ms": 3000}
--- raw_request eval
::ddb('{"TableName": "orders", "Item": {"pk": {"S": "a"}}}')
--- error_code: 504
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazonaws.dynamodb.v20120810#InternalServerError
--- response_body_like: did not answer in time
--- record
status=504 isError=true error=InternalServerError client=127.0.0.1 identity=drsa/sa/default/alice message=DynamoDB did not answer in time
--- error_log
upstream timed out



=== TEST 7: a 500 nginx makes before the access phase: the JSON shape, a record without identity
--- raw_request eval
::ddb('{}', uri => '/broken')
--- error_code: 500
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazonaws.dynamodb.v20120810#InternalServerError
--- response_body_like: the gateway failed
--- record
status=500 isError=true error=InternalServerError client=127.0.0.1 identity=- message=the gateway failed



=== TEST 8: a HEAD to a gateway location answered 413: the JSON's length, no body
--- raw_request eval
"HEAD / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200\r\n"
. "Connection: close\r\n\r\n" . ('z' x 200)
--- error_code: 413
--- response_headers
Content-Type: application/x-amz-json-1.0
Content-Length: 122
--- response_body chomp
--- record
status=413 isError=true error=ValidationException client=127.0.0.1 identity=- message=the request body is larger than the gateway accepts



=== TEST 9: a location that is not a gateway keeps nginx's HTML page, and no record
--- raw_request eval
::ddb('x' x 200, uri => '/plain')
--- error_code: 413
--- response_headers
Content-Type: text/html
--- response_body_like: <title>413 Request Entity Too Large</title>
--- no_error_log
answered as



=== TEST 10: keepalive survives an error page that keeps the connection (408 closes, 502 does not)
--- request eval
["POST /closed\n{}", "POST /closed\n{}"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables"]
--- error_code eval
[502, 502]
--- response_body eval
['{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"DynamoDB could not be reached"}',
 '{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"DynamoDB could not be reached"}']
--- record
status=502 isError=true error=InternalServerError client=127.0.0.1 identity=drsa/sa/default/alice message=DynamoDB could not be reached
status=502 isError=true error=InternalServerError client=127.0.0.1 identity=drsa/sa/default/alice message=DynamoDB could not be reached
--- error_log
connect() failed



=== TEST 11: limit_req's 503 in a gateway location: DynamoDB's ThrottlingException, status 400 (SDKs back off and retry)
--- http_config
dynamo_zone dynamo:1m;
dynamo_base_credentials env;
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
--- config
    ignore_invalid_headers off;
    location = / {
        limit_req zone=one nodelay;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
    }
--- request eval
["POST /\n{}", "POST /\n{}"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables"]
--- error_code eval
[200, 400]
--- error_type eval
["", "com.amazonaws.dynamodb.v20120810#ThrottlingException"]
--- response_body eval
["{}", '{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"too many requests"}']
--- record
status=200 isError=false error=- client=127.0.0.1 identity=drsa/sa/default/alice message=OK
status=400 isError=true error=ThrottlingException client=127.0.0.1 identity=- message=too many requests



=== TEST 12: a malformed header, before any location: the JSON shape where the server has dynamo_access on
Where only a location is a gateway, nginx's page is its own (TEST 13).
--- config
    ignore_invalid_headers off;
    dynamo_access on;
    dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    dynamo_activity_log logs/activity.log;
    location = / {
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nHost: other\r\nContent-Length: 2\r\n"
. "Connection: close\r\n\r\n{}"
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: com.amazon.coral.validate#ValidationException
--- record
status=400 isError=true error=ValidationException client=127.0.0.1 identity=- message=the request could not be parsed
--- error_log
client sent duplicate host header



=== TEST 13: the same malformed header where only the location is a gateway: nginx's HTML page
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nHost: other\r\nContent-Length: 2\r\n"
. "Connection: close\r\n\r\n{}"
--- error_code: 400
--- response_headers
Content-Type: text/html
--- response_body_like: 400 Bad Request
--- no_error_log
answered as



=== TEST 14: boto3 raises a named ClientError: ValidationException for a 413 (not retried), InternalServerError for a 502 (retried)
--- request
GET /activity
--- response_body_filters eval
\&main::boto3_calls
--- response_body
ValidationException 413 retries=0
InternalServerError 502 retries=3
--- timeout: 60
