# End to end with real clients: boto3 (the token in the cyral.token
# header, added by an event hook), the JavaScript SDK v3 (once with the
# token as its session token, once with a middleware adding cyral.token;
# t/lib/e2e_js.mjs) and the aws CLI (the token as its session token),
# through the gateway to the emulator's verifying front and dynalite; every
# answer compared with the same call made straight to that front, every
# signature checked by botocore; the activity log of the run checked
# against the schema and against what the clients did.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

$tok{app} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                       claims => {azp => 'drsa/sa/default/c33c6462',
                                  sub => 'app-1', jti => 'jti-e2e'},
                       exp_in => 3600);

sub run_clients {
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my @cmd = (debian_python(), "$ENV{TEST_NGINX_TOP}/t/lib/e2e_clients.py",
               '--gateway', "http://127.0.0.1:$port",
               '--direct', "http://127.0.0.1:$ENV{TEST_NGINX_DDB_PORT}",
               '--emulator', "http://127.0.0.1:$ENV{TEST_NGINX_STS_PORT}",
               '--token', $tok{app}, '--suffix', $$,
               '--activity-log', "$ENV{TEST_NGINX_SERVROOT}/logs/activity.log",
               '--schema', "$ENV{TEST_NGINX_TOP}/t/data/activity-record.schema.json");
    my $out = `@cmd 2>&1`;
    is($? >> 8, 0, "real clients through the gateway: no difference")
        or diag($out);
    Test::More::note($out);
}

# what the verifying front received: how many requests, how many with a
# signature botocore refused, and which operations
sub front_summary {
    my ($body) = @_;
    my $reqs = json_decode($body);
    my %ops = map { ($_->{operation} // '?') => 1 } @$reqs;
    my $bad = grep { !$_->{signature_ok} } @$reqs;
    return "bad signatures: $bad\noperations: "
           . join(' ', sort keys %ops) . "\n";
}

add_block_preprocessor(\&aws_block_preprocessor);

no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: boto3, the JavaScript SDK and the aws CLI through the gateway, every signature checked by botocore
--- config
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_token_in_session_token on;
        dynamo_service_account drsa/sa/default/c33c6462
                               arn:aws:iam::123456789012:role/App;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_DDB_PORT;
        dynamo_activity_log logs/activity.log;
        dynamo_activity_log_statement keys;
    }
--- init
main::run_clients();
--- request
GET /emu/requests?service=dynamodb
--- response_body_filters eval
\&main::front_summary
--- response_body
bad signatures: 0
operations: BatchWriteItem CreateTable DeleteTable DescribeTable ExecuteStatement GetItem ListTables PutItem Query Scan TransactWriteItems UpdateItem
--- no_error_log
[error]
--- timeout: 120
