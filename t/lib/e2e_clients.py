#!/usr/bin/python3
"""Real DynamoDB clients through the gateway, compared with direct calls.

boto3 carries the identity token in the "cyral.token" header, added by an
event hook as the Cyral Ruby plugin does; the aws CLI carries it as
AWS_SESSION_TOKEN with dummy keys; the JavaScript SDK v3 (t/lib/e2e_js.mjs)
does both, one run each.  The same operations are made straight to the
emulator's DynamoDB front (dynalite behind it), signed with credentials of
the role, and the answers must be equal once the table names and the time
stamps are set aside.  Prints one line per check; exits 1 on any
difference.  Run with Debian's python3 (python3-boto3, awscli) and node.
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


VOLATILE = {"ResponseMetadata", "$metadata", "CreationDateTime", "TableArn",
            "TableId", "LastIncreaseDateTime", "LastDecreaseDateTime",
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


def js_sdk(a, table, creds, boto3_got):
    """The JavaScript SDK v3, unmodified, through the gateway twice (token
    as session token, then in the cyral.token header by a middleware) and
    straight to the front; its answers compared as boto3's are.  Returns
    the two gateway runs."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    # nothing of the host's AWS set-up, and no instance metadata lookups
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    spec = {"gateway": a.gateway, "direct": a.direct, "token": a.token,
            "table": table + "_js", "credentials": creds}
    p = subprocess.run([a.node, os.path.join(top, "t/lib/e2e_js.mjs")],
                       input=json.dumps(spec), env=env, cwd=top,
                       capture_output=True, text=True, timeout=120)
    check("the JavaScript SDK ran", p.returncode == 0,
          (p.stderr or p.stdout)[-2000:])
    if p.returncode != 0:
        return []
    runs = json.loads(p.stdout)

    want = None
    if "error" not in runs["direct"]:
        want = [(op, normal(r, runs["direct"]["table"]))
                for op, r in runs["direct"]["answers"]]
    check("the JavaScript SDK straight to DynamoDB", want is not None,
          runs["direct"].get("error", ""))
    # boto3's answers, as JSON would carry them, for the cross-check
    boto3_got = json.loads(json.dumps(boto3_got, default=str))
    gateway_runs = []
    for name, how in (("session", "the token as session token"),
                      ("header", "the token in cyral.token")):
        run = runs[name]
        check("JavaScript SDK, %s: every operation" % how,
              "error" not in run, run.get("error", ""))
        if "error" in run:
            continue
        gateway_runs.append(run)
        got = [(op, normal(r, run["table"])) for op, r in run["answers"]]
        for (op, g), (_, w) in zip(got, want or []):
            check("JavaScript SDK (%s) %s through the gateway equals the "
                  "direct call" % (name, op), g == w,
                  json.dumps({"gateway": g, "direct": w})[:2000])
        check("JavaScript SDK (%s) made the %d operations"
              % (name, len(boto3_got)), len(got) == len(boto3_got))
        # the values DynamoDB answered, whatever the SDK: those of boto3
        items = [(op, {k: v for k, v in g.items()
                       if k in ("Item", "Items", "Attributes", "Count")})
                 for op, g in got]
        boto3_items = [(op, {k: v for k, v in g.items()
                             if k in ("Item", "Items", "Attributes",
                                      "Count")})
                       for op, g in boto3_got]
        check("JavaScript SDK (%s) saw the items boto3 saw" % name,
              items == boto3_items,
              json.dumps({"js": items, "boto3": boto3_items})[:2000])
        check("JavaScript SDK (%s) sent DynamoDB requests only (%d)"
              % (name, len(run["sent"])),
              all((t or "").startswith("DynamoDB_20120810.")
                  for t in run["sent"]), str(run["sent"]))
    return gateway_runs


def check_activity(a, raw, direct_key, js_runs):
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

    # boto3's requests (waiter polls included), the JavaScript SDK's and
    # the CLI's six
    sent = len(SENT) + sum(len(r["sent"]) for r in js_runs) + 6
    check("one record per request through the gateway (%d)" % sent,
          len(records) == sent, "%d records" % len(records))

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
    # the answers of each client run through the gateway, in order
    answers = [dict(raw)] + [dict(r["answers"]) for r in js_runs]

    def counts(kind):
        return [r["response"].get("records") for r in by_type.get(kind, [])]

    check("the Query records count the items returned",
          counts("QUERY") == [x["Query"]["Count"] for x in answers],
          str(counts("QUERY")))
    check("the Scan records count the items returned",
          counts("SCAN") == [x["Scan"]["Count"] for x in answers],
          str(counts("SCAN")))
    # one GetItem per scenario, one of the CLI
    check("the GetItem records count the item",
          counts("GET_ITEM") == [1] * (len(answers) + 1),
          str(counts("GET_ITEM")))
    check("the BatchWriteItem records count 25 items written",
          counts("BATCH_WRITE_ITEM") == [25] * len(answers),
          str(counts("BATCH_WRITE_ITEM")))
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
    ap.add_argument("--node", default="node")
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
        check("boto3 %s through the gateway equals the direct call" % op,
              g == w,
              json.dumps({"gateway": g, "direct": w}, default=str)[:2000])

    js_runs = js_sdk(a, table, creds, [(op, normal(r, table + "_gw"))
                                        for op, r in raw])

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
        check_activity(a, raw, creds["AccessKeyId"], js_runs)

    print("%d failures" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
