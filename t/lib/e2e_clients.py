#!/usr/bin/python3
"""Real DynamoDB clients through the gateway, compared with direct calls.

boto3 carries the identity token in the "cyral.token" header, added by an
event hook as the Cyral Ruby plugin does; the aws CLI carries it as
AWS_SESSION_TOKEN with dummy keys.  The same operations are made straight
to the emulator's DynamoDB front (dynalite behind it), signed with
credentials of the role, and the answers must be equal once the table
names and the time stamps are set aside.  Prints one line per check; exits 1 on any
difference.  Run with Debian's python3 (python3-boto3, awscli).
"""

import argparse
import json
import os
import subprocess
import sys
import urllib.request

import boto3
from botocore.config import Config

failures = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok" if ok else "FAIL", name,
                       (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(name)


SENT = []


def client(endpoint, token=None, creds=None):
    creds = creds or {"AccessKeyId": "AKIDCLIENTDUMMY00000",
                      "SecretAccessKey": "client-secret-not-used"}
    c = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        config=Config(retries={"max_attempts": 2}))
    if token:
        def add_token(request, **kwargs):
            request.headers["cyral.token"] = token

        def count(request, **kwargs):
            SENT.append(request.headers.get("X-Amz-Target", b"").decode()
                        if isinstance(request.headers.get("X-Amz-Target"),
                                      bytes)
                        else request.headers.get("X-Amz-Target"))

        c.meta.events.register("before-sign.dynamodb.*", add_token)
        c.meta.events.register("before-send.dynamodb.*", count)
    return c


VOLATILE = {"ResponseMetadata", "CreationDateTime", "TableArn", "TableId",
            "LastIncreaseDateTime", "LastDecreaseDateTime",
            "NumberOfDecreasesToday", "TableSizeBytes", "ItemCount",
            "LastUpdateToPayPerRequestDateTime"}


def normal(value, table):
    """Drop what differs between two runs of the same calls."""
    if isinstance(value, dict):
        return {k: normal(v, table) for k, v in value.items()
                if k not in VOLATILE}
    if isinstance(value, list):
        return [normal(v, table) for v in value]
    if isinstance(value, str):
        return value.replace(table, "TABLE")
    return value


def scenario(c, table, raw=None):
    """The operations of the issue, in order; their normalised answers."""
    out = []
    key = [{"AttributeName": "pk", "KeyType": "HASH"},
           {"AttributeName": "sk", "KeyType": "RANGE"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"},
             {"AttributeName": "sk", "AttributeType": "N"}]
    out.append(("CreateTable", c.create_table(
        TableName=table, KeySchema=key, AttributeDefinitions=attrs,
        BillingMode="PAY_PER_REQUEST")))
    c.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    out.append(("PutItem", c.put_item(
        TableName=table,
        Item={"pk": {"S": "order-1"}, "sk": {"N": "1"},
              "note": {"S": "caf\u00e9 \u65e5\u672c \U0001F600"},
              "total": {"N": "42"}},
        ReturnConsumedCapacity="TOTAL")))
    out.append(("GetItem", c.get_item(
        TableName=table, Key={"pk": {"S": "order-1"}, "sk": {"N": "1"}},
        ConsistentRead=True)))
    out.append(("UpdateItem", c.update_item(
        TableName=table, Key={"pk": {"S": "order-1"}, "sk": {"N": "1"}},
        UpdateExpression="SET #t = #t + :inc",
        ExpressionAttributeNames={"#t": "total"},
        ExpressionAttributeValues={":inc": {"N": "8"}},
        ReturnValues="ALL_NEW")))

    # 25 items of 45 KB: a body over 1 MB, which nginx keeps in a file
    batch = [{"PutRequest": {"Item": {
        "pk": {"S": "bulk"}, "sk": {"N": str(i)},
        "blob": {"S": ("%02d" % i) * 22500}}}} for i in range(25)]
    body_len = len(json.dumps({"RequestItems": {table: batch}}))
    out.append(("BatchWriteItem", c.batch_write_item(
        RequestItems={table: batch})))
    out.append(("Query", c.query(
        TableName=table, KeyConditionExpression="pk = :p AND sk < :s",
        ExpressionAttributeValues={":p": {"S": "bulk"}, ":s": {"N": "5"}},
        ProjectionExpression="pk, sk")))
    out.append(("Scan", c.scan(
        TableName=table, ProjectionExpression="pk, sk", Select=
        "SPECIFIC_ATTRIBUTES")))
    out.append(("TransactWriteItems", c.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {
                "pk": {"S": "order-2"}, "sk": {"N": "1"}}}},
            {"Update": {"TableName": table,
                        "Key": {"pk": {"S": "order-1"}, "sk": {"N": "1"}},
                        "UpdateExpression": "SET paid = :t",
                        "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
            {"Delete": {"TableName": table,
                        "Key": {"pk": {"S": "bulk"}, "sk": {"N": "0"}}}}])))
    out.append(("ExecuteStatement", c.execute_statement(
        Statement='SELECT pk, sk, paid FROM "%s" WHERE pk = ?' % table,
        Parameters=[{"S": "order-1"}])))
    out.append(("DeleteTable", c.delete_table(TableName=table)))
    if raw is not None:
        raw.extend(out)
    return [(op, normal(r, table)) for op, r in out], body_len


def aws_cli(endpoint, token, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDCLIENTDUMMY00000",
               AWS_SECRET_ACCESS_KEY="client-secret-not-used",
               AWS_SESSION_TOKEN=token, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    p = subprocess.run(["/usr/bin/aws", "dynamodb", *args,
                        "--endpoint-url", endpoint, "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check_activity(a, raw, direct_key):
    """The activity log of the run: valid, one record per request the
    clients sent through the gateway, and what the clients did."""
    import jsonschema

    with open(a.schema) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    with open(a.activity_log, "rb") as f:
        records = [json.loads(line) for line in f]

    invalid = [e.message for r in records for e in validator.iter_errors(r)]
    check("every activity record is valid against the schema", not invalid,
          "; ".join(invalid[:5]))

    # boto3's requests (waiter polls included) and the CLI's six
    cli = 6
    check("one record per request through the gateway (%d)"
          % (len(SENT) + cli), len(records) == len(SENT) + cli,
          "%d records" % len(records))

    # the requests DynamoDB received from the gateway, in order
    with urllib.request.urlopen(
            a.emulator + "/_emu/requests?service=dynamodb") as r:
        front = [q for q in json.load(r)
                 if q.get("access_key_id") != direct_key]
    forwarded = [r for r in records
                 if r["response"]["executionTimeNanos"] > 0]
    same = len(front) == len(forwarded) and all(
        rec["request"]["statementType"].replace("_", "")
        == q["operation"].upper()
        and sorted(rec["request"]["tables"]) == sorted(q.get("tables") or [])
        for rec, q in zip(forwarded, front))
    check("the records of forwarded requests name what DynamoDB received "
          "(%d)" % len(front), same,
          json.dumps([(r["request"]["statementType"], r["request"]["tables"])
                      for r in forwarded])[:1500])

    # values the clients saw
    by_type = {}
    for rec in records:
        by_type.setdefault(rec["request"]["statementType"], []).append(rec)
    answers = dict(raw)
    check("the Query record counts the items returned",
          by_type["QUERY"][0]["response"].get("records")
          == answers["Query"]["Count"])
    check("the Scan record counts the items returned",
          by_type["SCAN"][0]["response"].get("records")
          == answers["Scan"]["Count"])
    check("the GetItem records count the item",
          [r["response"].get("records") for r in by_type["GET_ITEM"]]
          == [1, 1], str([r["response"] for r in by_type["GET_ITEM"]]))
    check("the BatchWriteItem record counts 25 items written",
          by_type["BATCH_WRITE_ITEM"][0]["response"].get("records") == 25)
    refused = [r for r in records if r["response"]["isError"]]
    check("the refused request is recorded with its error type",
          [r["response"]["errorType"] for r in refused]
          == ["MissingAuthenticationTokenException"],
          str([r["response"] for r in refused]))
    check("the identity is in every accepted record", all(
        r["identity"]["serviceAccount"] == "drsa/sa/default/c33c6462"
        and r["identity"]["dbRole"] == "arn:aws:iam::123456789012:role/App"
        for r in records if not r["response"]["isError"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--direct", required=True,
                    help="the emulator's DynamoDB front, straight")
    ap.add_argument("--emulator", required=True,
                    help="the emulator's control API, to get credentials")
    ap.add_argument("--token", required=True)
    ap.add_argument("--suffix", default=str(os.getpid()))
    ap.add_argument("--activity-log")
    ap.add_argument("--schema")
    a = ap.parse_args()

    table = "e2e_" + a.suffix
    raw = []
    got, body_len = scenario(client(a.gateway, a.token), table + "_gw", raw)
    # straight to the same backend, signed with credentials of the role
    req = urllib.request.Request(
        a.emulator + "/_emu/credentials/issue", method="POST",
        data=json.dumps({"role_arn": "arn:aws:iam::123456789012:role/App",
                         "lifetime": 3600}).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        creds = json.loads(r.read())
    want, _ = scenario(client(a.direct, creds=creds), table + "_direct")

    check("the BatchWriteItem body is over 1 MB (%d bytes)" % body_len,
          body_len > 1024 * 1024)
    for (op, g), (_, w) in zip(got, want):
        check("boto3 %s through the gateway equals the direct call" % op, g == w,
              json.dumps({"gateway": g, "direct": w}, default=str)[:2000])

    # the aws CLI, the token as its session token
    cli_table = table + "_cli"
    rc, out, err = aws_cli(
        a.gateway, a.token, "create-table", "--table-name", cli_table,
        "--attribute-definitions", "AttributeName=id,AttributeType=S",
        "--key-schema", "AttributeName=id,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST")
    check("aws dynamodb create-table", rc == 0, err)
    rc, out, err = aws_cli(
        a.gateway, a.token, "put-item", "--table-name", cli_table,
        "--item", '{"id": {"S": "cli-1"}, "v": {"N": "7"}}')
    check("aws dynamodb put-item", rc == 0, err)
    rc, out, err = aws_cli(
        a.gateway, a.token, "get-item", "--table-name", cli_table,
        "--key", '{"id": {"S": "cli-1"}}')
    check("aws dynamodb get-item returns the item", rc == 0 and
          json.loads(out or "{}").get("Item") ==
          {"id": {"S": "cli-1"}, "v": {"N": "7"}}, err or out)
    rc, out, err = aws_cli(a.gateway, a.token, "list-tables")
    check("aws dynamodb list-tables lists it", rc == 0 and
          cli_table in json.loads(out or "{}").get("TableNames", []),
          err or out)
    rc, out, err = aws_cli(a.gateway, a.token, "delete-table",
                           "--table-name", cli_table)
    check("aws dynamodb delete-table", rc == 0, err)

    # and a client without the token is refused with the named exception
    rc, out, err = aws_cli(a.gateway, "not-a-token", "list-tables")
    check("aws without a token gets MissingAuthenticationTokenException",
          rc != 0 and "MissingAuthenticationTokenException" in err, err)

    if a.activity_log:
        check_activity(a, raw, creds["AccessKeyId"])

    print("%d failures" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
