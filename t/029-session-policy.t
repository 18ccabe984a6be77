# dynamo_session_policy: a policy template rendered per caller (values
# escaped for JSON) and sent as Policy with AssumeRole, managed policies
# as PolicyArns, the rendered policy part of the credentials' cache key,
# AWS's length limit, and STS's refusals of a policy.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

$ENV{TEST_NGINX_DATA} = "$ENV{TEST_NGINX_TOP}/t/data";

# a tenant claim that tries to close the policy's string and add its own
@tok{qw(alice bob hostile long)} = mint_tokens(
    map { { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
            claims => {azp => $_->[0], sub => "sub-$_->[0]",
                       tenant => $_->[1]},
            exp_in => 3600 } }
        ['svc/alice', 'tenant-a'], ['svc/bob', 'tenant-b'],
        ['svc/mallory', 't"]},"Effect":"Allow\\' . "\n<"],
        ['svc/long', 'x' x 1900]);

add_block_preprocessor(\&aws_block_preprocessor);

our $loc = <<'CONF';
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account svc/alice arn:aws:iam::123456789012:role/Shared;
        dynamo_service_account svc/bob arn:aws:iam::123456789012:role/Shared;
        dynamo_service_account svc/mallory arn:aws:iam::123456789012:role/Shared;
        dynamo_service_account svc/long arn:aws:iam::123456789012:role/Shared;
        dynamo_sts /_sts;
        add_header X-Key $dynamo_access_key_id;
CONF

# as the emulator's record writes the Policy STS parsed: JSON in JSON
chomp(our $hostile = <<'JSON');
\"dynamodb:LeadingKeys\":[\"t\\\"]},\\\"Effect\\\":\\\"Allow\\\\\\n<\"]},
JSON

our $one = qr/(?:(?!"action": "AssumeRole").)*/s;

sub run_tenants {
    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my @cmd = (debian_python(), "$ENV{TEST_NGINX_TOP}/t/lib/e2e_tenants.py",
               '--gateway', "http://127.0.0.1:$port",
               '--backend', "http://127.0.0.1:$ENV{TEST_NGINX_DYNALITE_PORT}",
               '--alice', $tok{alice}, '--bob', $tok{bob}, '--suffix', $$);
    my $out = `@cmd 2>&1`;
    is($? >> 8, 0, "two tenants on one role, isolated end to end")
        or diag($out);
    Test::More::note($out);
}

# what the verifying front received: refusals by the session policy, and
# signatures botocore refused
sub front_summary {
    my $reqs = json_decode($_[0]);
    my $denied = grep { $_->{session_policy_denied} } @$reqs;
    my $bad = grep { !$_->{signature_ok} } @$reqs;
    return "bad signatures: $bad\nrefused by the session policy: $denied\n";
}

no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: the policy as STS received it: compact, variables replaced, the policy's own left alone, PolicyArns
--- config eval
"    ignore_invalid_headers off;
    location = /t {
$::loc
        dynamo_session_policy \$TEST_NGINX_DATA/session-policy.json;
        dynamo_session_policy_arn arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess;
        dynamo_session_policy_arn arn:aws:iam::123456789012:policy/team/Extra;
    }"
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/"RoleSessionName": "svc-alice", "DurationSeconds": "3600", "Policy": "\{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":\[\{\\"Sid\\":\\"OwnItems\\",\\"Effect\\":\\"Allow\\",\\"Action\\":\[\\"dynamodb:GetItem\\",\\"dynamodb:PutItem\\",\\"dynamodb:UpdateItem\\",\\"dynamodb:DeleteItem\\",\\"dynamodb:Query\\",\\"dynamodb:BatchGetItem\\",\\"dynamodb:BatchWriteItem\\"\],\\"Resource\\":\\"arn:aws:dynamodb:\*:\*:table\/\*\\",\\"Condition\\":\{\\"ForAllValues:StringEquals\\":\{\\"dynamodb:LeadingKeys\\":\[\\"tenant-a\\"\]\},\\"StringEquals\\":\{\\"aws:PrincipalTag\/who\\":\\"svc\/alice\\",\\"aws:username\\":\\"\$\{aws:username\}\\",\\"x:role\\":\\"arn:aws:iam::123456789012:role\/Shared\\"\}\}\}\]\}", "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy\/AmazonDynamoDBReadOnlyAccess", "PolicyArns.member.2.arn": "arn:aws:iam::123456789012:policy\/team\/Extra"\}.*"signature_ok": true/s]
--- no_error_log
[error]



=== TEST 2: a hostile claim stays inside its string: STS parses the policy, the value escaped
--- config eval
"    ignore_invalid_headers off;
    location = /t {
$::loc
        dynamo_session_policy \$TEST_NGINX_DATA/session-policy.json;
    }"
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{hostile}", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/"status": 200.*\Q$::hostile\E/s]
--- no_error_log
[error]



=== TEST 3: the rendered policy is part of the cache key: one role, two callers, two sessions
--- config eval
"    ignore_invalid_headers off;
    location = /t {
$::loc
        dynamo_session_policy \$TEST_NGINX_DATA/session-policy.json;
    }"
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{bob}",
 "cyral.token: $::tok{alice}", "cyral.token: $::tok{bob}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/^ok$/, qr/^ok$/,
 qr/\A$::one"action": "AssumeRole"$::one\Q[\"tenant-a\"]\E$::one"action": "AssumeRole"$::one\Q[\"tenant-b\"]\E$::one\z/s]



=== TEST 4: a policy over AWS's 2,048 characters is refused before STS is asked
--- config eval
"    ignore_invalid_headers off;
    location = /t {
$::loc
        dynamo_session_policy \$TEST_NGINX_DATA/session-policy.json;
    }"
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{long}", ""]
--- error_code eval
[400, 200]
--- response_body_like eval
[qr/^\{"__type":"com.amazon.coral.service#AccessDeniedException","message":"the session policy for identity \\"svc\/long\\" is 2\d{3} characters, over AWS's limit of 2048"\}$/,
 qr/^\[\]$/]



=== TEST 5: STS's MalformedPolicyDocument and PackedPolicyTooLarge: AccessDeniedException naming STS's code
--- config eval
"    ignore_invalid_headers off;
    location = /t {
$::loc
        dynamo_session_policy \$TEST_NGINX_DATA/session-policy.json;
    }"
--- emu_faults
[{"service": "sts", "mode": "error", "status": 400, "code": "MalformedPolicyDocument", "message": "Syntax errors in policy.", "count": 1},
 {"service": "sts", "mode": "error", "status": 400, "code": "PackedPolicyTooLarge", "message": "Serialized token too large for session", "count": 1}]
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{bob}"]
--- error_code eval
[400, 400]
--- response_body eval
["{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"message\":\"STS refused role \\\"arn:aws:iam::123456789012:role/Shared\\\": MalformedPolicyDocument: Syntax errors in policy.\"}",
 "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"message\":\"STS refused role \\\"arn:aws:iam::123456789012:role/Shared\\\": PackedPolicyTooLarge: Serialized token too large for session\"}"]



=== TEST 6: a missing policy file fails at start
--- config
    location = /t {
        dynamo_session_policy $TEST_NGINX_DATA/no-such-policy.json;
    }
--- must_die
--- error_log eval
qr/cannot read the session policy ".*no-such-policy.json": unable to open/



=== TEST 7: a malformed policy file fails at start, with its line
--- config
    location = /t {
        dynamo_session_policy $TEST_NGINX_DATA/session-policy-broken.json;
    }
--- must_die
--- error_log eval
qr/cannot read the session policy ".*session-policy-broken.json": .* \(line \d+, column \d+\)/



=== TEST 8: JSON that is not a policy, and a managed policy that is not an ARN, fail at start
--- config
    location = /t {
        dynamo_session_policy $TEST_NGINX_DATA/service-accounts.json;
    }
    location = /u {
        dynamo_session_policy_arn AmazonDynamoDBReadOnlyAccess;
    }
--- must_die
--- error_log eval
qr/the session policy ".*service-accounts.json" must be a JSON IAM policy: an object with a "Statement"/



=== TEST 9: two identities on one role, each only its own items, through boto3 and the aws CLI
--- config
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_token_in_session_token on;
        dynamo_role_from_access_key on;
        dynamo_service_account svc/alice arn:aws:iam::123456789012:role/Shared;
        dynamo_service_account svc/bob arn:aws:iam::123456789012:role/Shared;
        dynamo_session_policy $TEST_NGINX_TOP/conf-examples/tenant-policy.json;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_DDB_PORT;
    }
--- init
main::run_tenants();
--- request
GET /emu/requests?service=dynamodb
--- response_body_filters eval
\&main::front_summary
--- response_body
bad signatures: 0
refused by the session policy: 10
--- no_error_log
[error]
--- timeout: 120
