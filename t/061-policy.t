# dynamo_policy: ordered allow/deny rules on operations, tables (exact or
# regex, ARNs by name, PartiQL statements read) and roles; a batch or a
# transaction with one forbidden table is refused whole; refusals never
# reach STS or DynamoDB.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         claims => {azp => 'drsa/sa/default/alice'},
                         exp_in => 3600);

sub req {
    my ($op, $body, $role) = @_;
    return ["POST /\n$body",
            "cyral.token: $tok{alice}\nX-Amz-Target: DynamoDB_20120810.$op"
            . ($role ? "\nX-Dynamo-Role: $role" : "")];
}

add_block_preprocessor(sub {
    my $block = shift;

    my $policy = $block->policy;

    if (defined $policy) {
        $block->set_value("config", <<CONF . ($block->config // ''));
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/ReadOnly;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:\$TEST_NGINX_ECHO_PORT;
$policy
    }
CONF
    }

    aws_block_preprocessor($block);
});

no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: no rules: everything is allowed
--- policy
--- request eval
[map { $_->[0] } main::req(DeleteTable => '{"TableName": "orders"}')]
--- more_headers eval
[map { $_->[1] } main::req(DeleteTable => '{"TableName": "orders"}')]
--- error_code eval
[200]



=== TEST 2: operations: only those allowed pass, the rest is refused
--- policy
        dynamo_policy allow op=GetItem,Query,BatchGetItem;
--- request eval
[map { $_->[0] } main::req(GetItem => '{"TableName": "orders"}'),
                 main::req(Query => '{"TableName": "orders"}'),
                 main::req(PutItem => '{"TableName": "orders"}')]
--- more_headers eval
[map { $_->[1] } main::req(GetItem => '{"TableName": "orders"}'),
                 main::req(Query => '{"TableName": "orders"}'),
                 main::req(PutItem => '{"TableName": "orders"}')]
--- error_code eval
[200, 200, 400]
--- response_body eval
["{}", "{}",
 '{"__type":"com.amazon.coral.service#AccessDeniedException","message":"policy refuses PutItem on table \"orders\" for role \"arn:aws:iam::123456789012:role/Writer\": no rule allows it"}']



=== TEST 3: tables: exact, and by regex; a table ARN is matched by its name
--- policy
        dynamo_policy allow table=orders;
        dynamo_policy allow "table=~^audit_\d{4}$";
--- request eval
[map { $_->[0] } main::req(GetItem => '{"TableName": "orders"}'),
                 main::req(GetItem => '{"TableName": "audit_2026"}'),
                 main::req(GetItem => '{"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}'),
                 main::req(GetItem => '{"TableName": "audit_2026x"}'),
                 main::req(GetItem => '{"TableName": "users"}')]
--- more_headers eval
[(main::req(GetItem => '')->[1]) x 5]
--- error_code eval
[200, 200, 200, 400, 400]



=== TEST 4: roles: the read-only role may not write, the writer may
--- policy
        dynamo_policy deny role=~/ReadOnly$ op=PutItem,UpdateItem,DeleteItem,BatchWriteItem,TransactWriteItems;
        dynamo_policy allow;
--- request eval
[map { $_->[0] } main::req(PutItem => '{"TableName": "orders"}'),
                 main::req(GetItem => '{"TableName": "orders"}'),
                 main::req(PutItem => '{"TableName": "orders"}')]
--- more_headers eval
[main::req(PutItem => '', 'ReadOnly')->[1], main::req(GetItem => '', 'ReadOnly')->[1],
 main::req(PutItem => '', 'Writer')->[1]]
--- error_code eval
[400, 200, 200]
--- response_body_like eval
['policy refuses PutItem on table \\\\"orders\\\\" for role \\\\"arn:aws:iam::123456789012:role/ReadOnly\\\\" \(deny role=~/ReadOnly\$ op=', '', '']



=== TEST 5: a batch or a transaction with one forbidden table is refused whole
--- policy
        dynamo_policy deny table=secrets;
        dynamo_policy allow;
--- request eval
[map { $_->[0] }
 main::req(BatchWriteItem => '{"RequestItems": {"orders": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}], "secrets": [{"DeleteRequest": {"Key": {"pk": {"S": "b"}}}}]}}'),
 main::req(BatchGetItem => '{"RequestItems": {"orders": {"Keys": [{"pk": {"S": "a"}}]}}}'),
 main::req(TransactWriteItems => '{"TransactItems": [{"Put": {"TableName": "orders", "Item": {"pk": {"S": "a"}}}}, {"ConditionCheck": {"TableName": "secrets", "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_exists(pk)"}}]}'),
 main::req(ExecuteStatement => '{"Statement": "SELECT * FROM \"secrets\" WHERE pk = ?", "Parameters": [{"S": "a"}]}'),
 main::req(ExecuteStatement => '{"Statement": "SELECT * FROM orders WHERE note = \'FROM secrets\'"}')]
--- more_headers eval
[map { $_->[1] } main::req(BatchWriteItem => ''), main::req(BatchGetItem => ''),
                 main::req(TransactWriteItems => ''), main::req(ExecuteStatement => ''),
                 main::req(ExecuteStatement => '')]
--- error_code eval
[400, 200, 400, 400, 200]
--- response_body_like eval
['policy refuses BatchWriteItem on table \\\\"secrets\\\\"', '',
 'policy refuses TransactWriteItems on table \\\\"secrets\\\\"',
 'policy refuses ExecuteStatement on table \\\\"secrets\\\\"', '']



=== TEST 6: the first rule that matches decides
--- policy
        dynamo_policy allow op=GetItem table=secrets;
        dynamo_policy deny table=secrets;
        dynamo_policy allow;
--- request eval
[map { $_->[0] } main::req(GetItem => '{"TableName": "secrets"}'),
                 main::req(PutItem => '{"TableName": "secrets"}'),
                 main::req(PutItem => '{"TableName": "orders"}')]
--- more_headers eval
[map { $_->[1] } main::req(GetItem => ''), main::req(PutItem => ''), main::req(PutItem => '')]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
['', '\(deny table=secrets\)', '']



=== TEST 7: a request that names no table is decided by the rules without table=
--- policy
        dynamo_policy allow table=orders;
--- config
    location = /lenient {
        rewrite ^ / break;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_policy deny table=secrets;
        dynamo_policy allow op=ListTables;
    }
--- request eval
["POST /\n{}", "POST /lenient\n{}"]
--- more_headers eval
[main::req(ListTables => '')->[1], main::req(ListTables => '')->[1]]
--- error_code eval
[400, 200]
--- response_body_like eval
['policy refuses ListTables for role \\\\"arn:aws:iam::123456789012:role/Writer\\\\", no rule allows it', '']



=== TEST 8: a refusal reaches neither STS nor DynamoDB
--- policy
        dynamo_policy deny op=DeleteTable;
        dynamo_policy allow;
--- request eval
["POST /\n{\"TableName\": \"orders\"}", "GET /emu/counters"]
--- more_headers eval
[main::req(DeleteTable => '')->[1], ""]
--- error_code eval
[400, 200]
--- response_body_like eval
['AccessDeniedException', '^(?!.*"echo")(?!.*"AssumeRole")']



=== TEST 9: a policy naming an unknown operation fails at start
--- config
    location = / {
        dynamo_policy deny op=DropDatabase;
    }
--- must_die
--- error_log
unknown DynamoDB operation "DropDatabase" in "op=DropDatabase"



=== TEST 10: a policy with an invalid regex fails at start
--- config
    location = / {
        dynamo_policy deny table=~^(unclosed;
    }
--- must_die
--- error_log
pcre2_compile() failed: missing closing parenthesis
