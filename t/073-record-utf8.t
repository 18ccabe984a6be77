# The activity record stays one strict JSON object per line whatever a
# client sends: bytes that are not valid UTF-8 (overlong forms, encoded
# surrogates, code points above U+10FFFF, stray continuation bytes,
# sequences cut short) in the User-Agent, in the body with
# "dynamo_activity_log_statement full", in attribute names with "keys",
# and in the other fields that come from outside (claims, the role
# header, table names) are written as U+FFFD, one for each maximal
# subpart, as Python's decoder with errors="replace" reads them; valid
# characters of 1 to 4 bytes pass unchanged.  Each log is read back by
# t/lib/check_activity.py (strict UTF-8, json.loads, the schema), which
# prints the field looked at as ASCII JSON.
#
# Dynamo::Test reads back every record that any test file's blocks write
# (one more test per file); that check must be able to fail: first
# check_activity.py on records that strict parsers refuse, then a test
# file run as a subprocess whose nginx writes a line that is not JSON to
# its activity log.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use File::Temp ();

our (%tok, @cases, $expected);

# what is sent, and what the record must hold, as ASCII JSON

@cases = (
    ["a\xc3\xc3b",            '"a\ufffd\ufffdb"'],           # no continuation
    ["a\xed\xa0\x80b",        '"a\ufffd\ufffd\ufffdb"'],     # a surrogate
    ["a\xc0\xafb",            '"a\ufffd\ufffdb"'],           # overlong "/"
    ["a\xf4\x90\x80\x80b",    '"a\ufffd\ufffd\ufffd\ufffdb"'], # U+110000
    ["a\x80b",                '"a\ufffdb"'],                 # lone continuation
    ["a\xe0\x80\x80b",        '"a\ufffd\ufffd\ufffdb"'],     # overlong, 3 bytes
    ["a\xf0\x80\x80\x80b",    '"a\ufffd\ufffd\ufffd\ufffdb"'], # overlong, 4 bytes
    ["a\xf5\x80\x80\x80b",    '"a\ufffd\ufffd\ufffd\ufffdb"'], # no such lead
    ["a\xff\xfeb",            '"a\ufffd\ufffdb"'],
    ["a\xe2\x82b",            '"a\ufffdb"'],                 # cut short
    ["a\xe2\x82",             '"a\ufffd"'],                  # cut at the end
    ["a\xf0\x9f\x98",         '"a\ufffd"'],
    ["a\xc3",                 '"a\ufffd"'],
    # valid: the ends of each range, and U+FFFD itself
    ["a\xc2\x80\xdf\xbf\xc3\xa9\xe0\xa0\x80\xe2\x82\xac\xed\x9f\xbf"
     . "\xee\x80\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf0\x9f\x98\x80"
     . "\xf4\x8f\xbf\xbfb",
     '"a\u0080\u07ff\u00e9\u0800\u20ac\ud7ff\ue000\ufffd'
     . '\ud800\udc00\ud83d\ude00\udbff\udfffb"'],
    # after plain runs that the escaper skips sixteen bytes at a time
    [('p' x 37) . "\xed\xa0\x80" . ('q' x 20) . "\xf0\x9f\x98\x80"
     . ('r' x 16) . "\xc3",
     '"' . ('p' x 37) . '\ufffd\ufffd\ufffd' . ('q' x 20)
     . '\ud83d\ude00' . ('r' x 16) . '\ufffd"'],
);

$expected = join '', map { "$_->[1]\n" } @cases;

emulator();

@tok{qw(alice odd)} = mint_tokens(
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice', sub => 'alice',
                 jti => 'utf8-1'} },
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice',
                 sub => "s\xc3\xa9\xf0\x9f\x98\x80\x01\"\\",
                 jti => "j\xe2\x82\xac\xef\xbf\xbf\n"} });

# the log, read back: the summary line, then FIELDs of each record

sub fields {
    my ($body, @fields) = @_;
    my $file = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/read-back.log";
    open my $fh, '>', $file or die "$file: $!\n";
    print $fh $body;
    close $fh;
    my $py = debian_python();
    my $args = join ' ', map { "--print $_" } @fields;
    return `$py $ENV{TEST_NGINX_TOP}/t/lib/check_activity.py --log $file --schema $ENV{TEST_NGINX_TOP}/t/data/activity-record.schema.json $args 2>&1`;
}

sub agents { fields($_[0], 'client.applicationName') }
sub statements { fields($_[0], 'request.statement') }
sub outside {
    fields($_[0], qw(identity.subject identity.tokenId request.tables
                     response.message response.errorType))
}

# check_activity.py refuses each of these, and takes the good one

{
    my $dir = File::Temp::tempdir('record-utf8-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    # a record as the gateway writes one
    my $rec = join '', map { s/^\s+//r } split /\n/, <<'REC';
{"activityId":"127.0.0.1:42366:1796612222583736330:1",
 "activityTime":"2026-12-07 02:57:02.584736330 +0000 UTC",
 "activityTimeNanos":1796612222584736330,"activityTypes":["ddl"],
 "identity":{"endUser":"ASIA","repoUser":"ASIA",
  "dbRole":"arn:aws:iam::123456789012:role/Orders",
  "serviceAccount":"drsa/sa/default/alice","subject":"alice",
  "tokenId":"utf8-1","roleSessionName":"alice-1"},
 "repo":{"name":"","type":"dynamodb","host":"127.0.0.1","port":26004},
 "client":{"connectionId":"127.0.0.1:42366:1796612222583736330",
  "connectionTime":"2026-12-07 02:57:02.583736330 +0000 UTC",
  "connectionTimeNanos":1796612222583736330,"host":"127.0.0.1",
  "port":42366,"applicationName":"a\u0001\u00e9"},
 "sidecar":{"name":"ngx_dynamo","hostname":"vm","pid":24098},
 "request":{"statement":"","statementTruncated":false,
  "statementType":"DESCRIBE_TABLE","tables":["orders"],
  "statementData":{"targetRegion":"us-east-1"}},
 "response":{"status":200,"message":"OK","isError":false,"errorType":"",
  "bytes":2,"executionTime":"1.5ms","executionTimeNanos":1500000},
 "policyViolated":false}
REC

    my %bad = (
        'invalid UTF-8' => $rec =~ s/"ngx_dynamo"/"ngx\xed\xa0\x80"/r,
        'overlong' => $rec =~ s/"ngx_dynamo"/"ngx\xc0\xaf"/r,
        'lone surrogate escape' => $rec =~ s/"ngx_dynamo"/"ngx\\ud800"/r,
        'NaN' => $rec =~ s/"activityTimeNanos":\d+/"activityTimeNanos":NaN/r,
        'key twice' => $rec =~ s/^\{/{"policyViolated":true,/r,
        'not the schema' => $rec =~ s/"policyViolated":false/"policyViolated":0/r,
        'not JSON' => 'GET / HTTP/1.1',
    );

    for my $what ('good', sort keys %bad) {
        my $file = "$dir/activity.log";
        open my $out, '>:raw', $file or die "$file: $!\n";
        print $out $rec, "\n";
        print $out $bad{$what}, "\n" if $what ne 'good';
        close $out;

        my ($status, $text) = check_records($file);
        my $want = $what eq 'good' ? qr/^1 records, 0 invalid$/m
                                   : qr/^\d records, 1 invalid$/m;

        Test::More::ok(($what eq 'good' ? $status == 0 : $status != 0)
                       && $text =~ $want,
                       "check_activity.py: $what") or Test::More::diag($text);
    }

    # a record cut short, without its newline
    my $file = "$dir/activity.log";
    open my $out, '>:raw', $file or die "$file: $!\n";
    print $out $rec;
    close $out;

    my ($status, $text) = check_records($file);
    Test::More::ok($status != 0 && $text =~ /does not end with a newline/,
                   'check_activity.py: no newline') or Test::More::diag($text);
}

# the suite-wide check fails a test file whose nginx writes one line
# that is not JSON to its activity log

{
    my $dir = File::Temp::tempdir('record-check-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    my $top = $ENV{TEST_NGINX_TOP};

    open my $out, '>', "$dir/bad-record.t" or die "$dir: $!\n";
    # the lines of a block are marked, so that this file's own reading of
    # blocks does not take them for its own
    my $script = <<"SCRIPT" =~ s/^\|//mgr;
|use lib '$top/t/lib';
|BEGIN { push \@INC, '$top/t/lib/fallback' }
|use Test::Nginx::Socket 'no_plan';
|use Dynamo::Test;
|run_tests();
|__DATA__
|=== TEST 1: access_log writes text into the activity log
|--- config
|    location = /t {
|        dynamo_activity_log logs/activity.log;
|        access_log logs/activity.log;
|        return 200 "ok";
|    }
|--- request
|GET /t
|--- response_body: ok
SCRIPT
    print $out $script;
    close $out;

    local %ENV = %ENV;
    delete @ENV{qw(TEST_NGINX_SERVER_PORT TEST_NGINX_CLIENT_PORT
                   TEST_NGINX_SERVER_ROOT TEST_NGINX_RANDOMIZE
                   TEST_NGINX_NO_CLEAN)};
    $ENV{TEST_NGINX_PORT} = ($ENV{TEST_NGINX_PORT} // 1984) + 3;
    $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot";

    my $tap = `\Q$^X\E \Q$dir/bad-record.t\E 2>\Q$dir/stderr\E`;
    my $status = $? >> 8;
    my $err = do { local (@ARGV, $/) = "$dir/stderr"; <> } // '';

    Test::More::ok($status != 0
                   && $tap =~ /^ok \d+ - .*TEST 1/m
                   && $tap =~ /^not ok \d+ - .*activity records are strict JSON/m
                   && $err =~ /TEST 1: access_log writes text .* line 1 is not strict JSON/,
                   'the suite-wide check fails a file with a bad record')
        or Test::More::diag("status $status\n$tap\n$err");
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
run_tests();

__DATA__

=== TEST 1: invalid UTF-8 in the User-Agent is written as U+FFFD
Refused without a token: the record is written all the same.
--- activity
dynamo_activity_log logs/activity.log;
--- request eval
[(map { qq{POST /\n{"TableName": "orders"}} } @::cases), "GET /activity"]
--- more_headers eval
[(map { "X-Amz-Target: DynamoDB_20120810.DescribeTable\nUser-Agent: $_->[0]" }
      @::cases), ""]
--- error_code eval
[(400) x @::cases, 200]
--- response_body_filters eval
[(map { [] } @::cases), [\&main::agents]]
--- response_body eval
[(map { qr/MissingAuthenticationToken/ } @::cases),
 scalar(@::cases) . " records, 0 invalid\n$::expected"]



=== TEST 2: invalid UTF-8 in the body, with statements in full
The body as it came, JSON or not: the gateway refuses what is not JSON.
--- activity
dynamo_activity_log logs/activity.log;
dynamo_activity_log_statement full;
--- request eval
[(map { "POST /\n$_->[0]" } @::cases), "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.GetItem")
  x @::cases, ""]
--- error_code eval
[(400) x @::cases, 200]
--- response_body_filters eval
[(map { [] } @::cases), [\&main::statements]]
--- response_body eval
[(map { qr/ValidationException/ } @::cases),
 scalar(@::cases) . " records, 0 invalid\n$::expected"]



=== TEST 3: statements in full: invalid UTF-8 inside a JSON body
--- activity
dynamo_activity_log logs/activity.log;
dynamo_activity_log_statement full;
--- request eval
[qq{POST /\n{"TableName": "orders", "Key": {"pk": {"S": "\xed\xa0\x80\xc0\xaf"}}}},
 "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.GetItem", ""]
--- error_code eval
[400, 200]
--- response_body_filters eval
[[], [\&main::statements]]
--- response_body eval
[qr/ValidationException/,
 qq{1 records, 0 invalid\n"{\\"TableName\\": \\"orders\\", \\"Key\\": {\\"pk\\": {\\"S\\": \\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\"}}}"\n}]



=== TEST 4: statements as keys: attribute names from the body
Names escaped in the body come out as the characters they stand for,
escaped again where JSON needs it; a name with invalid UTF-8 makes the
body refused, and the record of it holds what was rendered before.
--- activity
dynamo_activity_log logs/activity.log;
dynamo_activity_log_statement keys;
--- request eval
[qq{POST /\n{"TableName": "orders", "Item": {"\\u00e9\\ud83d\\ude00": {"S": "v"}, "c\\u0001\\"d": {"S": "w"}}}},
 qq{POST /\n{"TableName": "orders", "Item": {"ok": {"S": "v"}, "a\xed\xa0\x80b": {"S": "w"}}}},
 "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem")
  x 2, ""]
--- error_code eval
[200, 400, 200]
--- response_body_filters eval
[[], [], [\&main::statements]]
--- response_body eval
["{}", qr/ValidationException/,
 qq|2 records, 0 invalid
"{\\"TableName\\":\\"orders\\",\\"Item\\":{\\"\\u00e9\\ud83d\\ude00\\":{\\"S\\":\\"?\\"},\\"c\\\\u0001\\\\\\"d\\":{\\"S\\":\\"?\\"}}}"
"{\\"TableName\\":\\"orders\\",\\"Item\\":{\\"ok\\":{\\"S\\":\\"?\\"}"
|]



=== TEST 5: claims, the role header, table names and DynamoDB's errors go through the same escaper
A table name with escapes in the body, claims with characters of every
length, controls and quotes; a role header with invalid UTF-8, which the
refusal's message quotes (made "?" there, for the answer's body); an
error type and message from DynamoDB with escapes.
--- activity
dynamo_activity_log logs/activity.log;
--- emu_config
{"echo_sequence": [
  {"body": "{}"},
  {"status": 400, "body": "{\"__type\":\"com.amazonaws.dynamodb.v20120810#Odd\\u00e9Exception\",\"message\":\"m\\u0001\\u00e9\\ud83d\\ude00\\\"q\"}"}
]}
--- request eval
[qq{POST /\n{"TableName": "t\\u00e9\\u0001"}},
 qq{POST /\n{"TableName": "orders"}},
 qq{POST /\n{"TableName": "orders"}},
 "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{odd}\nX-Amz-Target: DynamoDB_20120810.DescribeTable",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nX-Dynamo-Role: r\xed\xa0\x80\xff",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable",
 ""]
--- error_code eval
[200, 400, 400, 200]
--- response_body_filters eval
[[], [], [], [\&main::outside]]
--- response_body eval
["{}", qr/AccessDeniedException/, qr/Odd/,
 qq{3 records, 0 invalid
"s\\u00e9\\ud83d\\ude00\\u0001\\"\\\\" "j\\u20ac\\uffff\\n" ["t\\u00e9\\u0001"] "OK" ""
"alice" "utf8-1" [] "role \\"r\\\\xed\\\\xa0\\\\x80\\\\xff\\" is not bound to identity \\"drsa/sa/default/alice\\"" "AccessDeniedException"
"alice" "utf8-1" ["orders"] "m\\u0001\\u00e9\\ud83d\\ude00\\"q" "Odd\\u00e9Exception"
}]
