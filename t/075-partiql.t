# PartiQL writes in the activity record: an INSERT, UPDATE or DELETE
# through ExecuteStatement, BatchExecuteStatement or ExecuteTransaction
# counts the items it wrote, as PutItem and BatchWriteItem do; the "keys"
# statement mode keeps the attribute names of an INSERT's VALUE.  DynamoDB
# is the emulator's echo service, answering as DynamoDB would.

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

# the records, one line each

sub summary {
    my ($body) = @_;
    my $out = '';
    for my $line (split /\n/, $body) {
        my $r = JSON::PP->new->decode($line);
        my $q = $r->{request};
        my $s = $r->{response};
        $out .= join(' ', $q->{statementType},
                     'type=' . $r->{activityTypes}[0],
                     '[' . join(',', @{ $q->{tables} }) . ']',
                     'status=' . $s->{status},
                     'records=' . ($s->{records} // '-'),
                     'error=' . ($s->{errorType} || '-'))
                . "\n";
    }
    return $out;
}

sub statements {
    my ($body) = @_;
    return join '', map { JSON::PP->new->decode($_)->{request}{statement}
                          . "\n" } split /\n/, $body;
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        my $mode = $block->statement_mode // 'full';
        chomp $mode;
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
        dynamo_activity_log_statement $mode;
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

=== TEST 1: ExecuteStatement: a write counts its item, a failed one none, a SELECT what it returned
--- emu_config
{"echo_sequence": [
  {"body": "{}"},
  {"body": "{\"Items\":[]}"},
  {"body": "{\"Items\":[]}"},
  {"status": 400, "body": "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request failed\"}"},
  {"body": "{\"Items\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"b\"}}]}"}
]}
--- request eval
[qq{POST /\n{"Statement": "INSERT INTO \\"orders\\" VALUE {'pk': ?, 'total': 5}", "Parameters": [{"S": "o-1"}]}},
 qq{POST /\n{"Statement": "UPDATE orders SET total = 6 WHERE pk = 'o-1'"}},
 qq{POST /\n{"Statement": "delete from orders where pk = 'o-1'"}},
 qq{POST /\n{"Statement": "INSERT INTO orders VALUE {'pk': 'o-1'}"}},
 qq{POST /\n{"Statement": "SELECT * FROM orders WHERE pk IN ['a', 'b']"}},
 "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ExecuteStatement") x 5, ""]
--- error_code eval
[200, 200, 200, 400, 200, 200]
--- response_body_filters eval
[[], [], [], [], [], [\&main::summary]]
--- response_body eval
['{}', '{"Items":[]}', '{"Items":[]}',
 '{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}',
 '{"Items":[{"pk":{"S":"a"}},{"pk":{"S":"b"}}]}',
 'EXECUTE_STATEMENT type=dml [orders] status=200 records=1 error=-
EXECUTE_STATEMENT type=dml [orders] status=200 records=1 error=-
EXECUTE_STATEMENT type=dml [orders] status=200 records=1 error=-
EXECUTE_STATEMENT type=dml [orders] status=400 records=- error=ConditionalCheckFailedException
EXECUTE_STATEMENT type=query [orders] status=200 records=2 error=-
']



=== TEST 2: BatchExecuteStatement: the writes whose entries carry no Error; a read batch its items
--- emu_config
{"echo_sequence": [
  {"body": "{\"Responses\":[{\"TableName\":\"orders\"},{\"Error\":{\"Code\":\"ConditionalCheckFailed\",\"Message\":\"no\"},\"TableName\":\"orders\"},{\"TableName\":\"users\"}]}"},
  {"body": "{\"Responses\":[{\"Error\":{\"Code\":\"DuplicateItem\",\"Message\":\"dup\"},\"TableName\":\"orders\"}]}"},
  {"body": "{\"Responses\":[{\"TableName\":\"orders\",\"Item\":{\"pk\":{\"S\":\"a\"}}},{\"TableName\":\"orders\"}]}"}
]}
--- request eval
[qq{POST /\n{"Statements": [{"Statement": "INSERT INTO orders VALUE {'pk': ?}", "Parameters": [{"S": "a"}]}, {"Statement": "UPDATE orders SET n = 1 WHERE pk = 'b'"}, {"Statement": "DELETE FROM users WHERE id = 'c'"}]}},
 qq{POST /\n{"Statements": [{"Statement": "INSERT INTO orders VALUE {'pk': 'a'}"}]}},
 qq{POST /\n{"Statements": [{"Statement": "SELECT * FROM orders WHERE pk = 'a'"}, {"Statement": "SELECT * FROM orders WHERE pk = 'z'"}]}},
 "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.BatchExecuteStatement") x 3, ""]
--- response_body_filters eval
[[], [], [], [\&main::summary]]
--- response_body_like eval
["Responses", "Responses", "Responses",
 qr/^BATCH_EXECUTE_STATEMENT type=dml \[orders,users\] status=200 records=2 error=-
BATCH_EXECUTE_STATEMENT type=dml \[orders\] status=200 records=0 error=-
BATCH_EXECUTE_STATEMENT type=query \[orders\] status=200 records=1 error=-
$/]



=== TEST 3: ExecuteTransaction: all its writes (an EXISTS check writes nothing); a cancelled one none
--- emu_config
{"echo_sequence": [
  {"body": "{}"},
  {"status": 400, "body": "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\",\"message\":\"Transaction cancelled\",\"CancellationReasons\":[{\"Code\":\"None\"},{\"Code\":\"ConditionalCheckFailed\"}]}"},
  {"body": "{\"Responses\":[{\"Item\":{\"pk\":{\"S\":\"a\"}}},{}]}"}
]}
--- request eval
[qq{POST /\n{"TransactStatements": [{"Statement": "INSERT INTO orders VALUE {'pk': ?}", "Parameters": [{"S": "a"}]}, {"Statement": "EXISTS(SELECT * FROM users WHERE id = 'u')"}, {"Statement": "UPDATE carts SET n = 0 WHERE u = 'u'"}]}},
 qq{POST /\n{"TransactStatements": [{"Statement": "DELETE FROM orders WHERE pk = 'a'"}, {"Statement": "DELETE FROM orders WHERE pk = 'b'"}]}},
 qq{POST /\n{"TransactStatements": [{"Statement": "SELECT * FROM orders WHERE pk = 'a'"}, {"Statement": "SELECT * FROM orders WHERE pk = 'b'"}]}},
 "GET /activity"]
--- more_headers eval
[("cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ExecuteTransaction") x 3, ""]
--- response_body_filters eval
[[], [], [], [\&main::summary]]
--- error_code eval
[200, 400, 200, 200]
--- response_body_like eval
["", "TransactionCanceled", "Responses",
 qr/^EXECUTE_TRANSACTION type=dml \[orders,users,carts\] status=200 records=2 error=-
EXECUTE_TRANSACTION type=dml \[orders\] status=400 records=- error=TransactionCanceledException
EXECUTE_TRANSACTION type=query \[orders\] status=200 records=1 error=-
$/]



=== TEST 4: keys mode: an INSERT's attribute names stay, its values and other literals do not
--- statement_mode: keys
--- request eval
[qq{POST /\n{"Statement": "INSERT INTO \\"orders\\" VALUE {'pk': 'o-1', 'email' : 'ann\@example.com', 'addr': {'city': 'Oslo'}, 'tags': ['vip']}"}},
 qq{POST /\n{"Statement": "UPDATE orders SET email = 'bob\@example.com' WHERE pk = 'o-1'"}},
 qq{POST /\n{"Statements": [{"Statement": "INSERT INTO orders VALUE {'pk': ?, 'n': 5}", "Parameters": [{"S": "secret-pk"}]}]}},
 "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ExecuteStatement",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ExecuteStatement",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.BatchExecuteStatement",
 ""]
--- response_body_filters eval
[[], [], [], [\&main::statements]]
--- response_body eval
["{}", "{}", "{}",
 q|{"Statement":"INSERT INTO \"orders\" VALUE {'pk': ?, 'email' : ?, 'addr': {'city': ?}, 'tags': [?]}"}
{"Statement":"UPDATE orders SET email = ? WHERE pk = ?"}
{"Statements":[{"Statement":"INSERT INTO orders VALUE {'pk': ?, 'n': ?}","Parameters":[{"S":"?"}]}]}
|]
--- response_body_unlike eval
["", "", "", qr/o-1|example\.com|Oslo|vip|secret-pk/]
