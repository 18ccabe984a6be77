#!/usr/bin/python3
"""Two identities bound to one role, isolated by their session policies.

Both sign with the access key id "Shared" (the role's name, picked by
dynamo_role_from_access_key) and carry their identity token as the session
token, as unmodified clients do.  Each must read and write its own tenant's
items, and be refused (AccessDeniedException, from the emulator's DynamoDB
enforcing the session policy STS was given) on the other's, through boto3
and the aws CLI.  Prints one line per check; exits 1 on any failure.  Run
with Debian's python3 (python3-boto3, awscli).
"""

import argparse
import json
import os
import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

failures = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok" if ok else "FAIL", name,
                       (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(name)


def client(endpoint, key, token):
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=key, aws_secret_access_key="x",
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}))


def denied(name, call):
    try:
        call()
    except ClientError as e:
        code = e.response["Error"]["Code"]
        check(name, code == "AccessDeniedException", code)
        return
    check(name, False, "was allowed")


def aws_cli(endpoint, token, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="Shared",
               AWS_SECRET_ACCESS_KEY="x", AWS_SESSION_TOKEN=token,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="",
               AWS_MAX_ATTEMPTS="1")
    p = subprocess.run(["/usr/bin/aws", "dynamodb", *args,
                        "--endpoint-url", endpoint, "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def key(tenant, n):
    return {"tenant": {"S": tenant}, "id": {"S": str(n)}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--backend", required=True,
                    help="dynalite, straight: the table made, items seen")
    ap.add_argument("--alice", required=True, help="token, tenant-a")
    ap.add_argument("--bob", required=True, help="token, tenant-b")
    ap.add_argument("--suffix", default=str(os.getpid()))
    a = ap.parse_args()

    table = "Orders-%s" % a.suffix
    raw = client(a.backend, "AKIDBACKEND", None)
    raw.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "tenant", "KeyType": "HASH"},
                   {"AttributeName": "id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "tenant",
                               "AttributeType": "S"},
                              {"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    raw.get_waiter("table_exists").wait(TableName=table)

    alice = client(a.gateway, "Shared", a.alice)
    bob = client(a.gateway, "Shared", a.bob)

    # boto3: each writes and reads its own

    for who, c, tenant in (("alice", alice, "tenant-a"),
                           ("bob", bob, "tenant-b")):
        c.put_item(TableName=table, Item=dict(key(tenant, 1),
                                              owner={"S": who}))
        c.update_item(TableName=table, Key=key(tenant, 1),
                      UpdateExpression="SET n = :n",
                      ExpressionAttributeValues={":n": {"N": "7"}})
        got = c.get_item(TableName=table, Key=key(tenant, 1)).get("Item")
        check("boto3 %s reads its own item" % who,
              got is not None and got["owner"]["S"] == who
              and got["n"]["N"] == "7", json.dumps(got))
        q = c.query(TableName=table,
                    KeyConditionExpression="#t = :t",
                    ExpressionAttributeNames={"#t": "tenant"},
                    ExpressionAttributeValues={":t": {"S": tenant}})
        check("boto3 %s queries its own partition" % who,
              q["Count"] == 1, json.dumps(q["Items"]))
        c.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": key(tenant, 2)}},
            {"PutRequest": {"Item": key(tenant, 3)}}]})
        b = c.batch_get_item(RequestItems={table: {
            "Keys": [key(tenant, 2), key(tenant, 3)]}})
        check("boto3 %s batch-reads its own items" % who,
              len(b["Responses"][table]) == 2)
        c.delete_item(TableName=table, Key=key(tenant, 3))

    # boto3: the other's items are refused

    denied("boto3 alice reads bob's item",
           lambda: alice.get_item(TableName=table, Key=key("tenant-b", 1)))
    denied("boto3 alice writes into bob's partition",
           lambda: alice.put_item(TableName=table,
                                  Item=key("tenant-b", 9)))
    denied("boto3 bob updates alice's item",
           lambda: bob.update_item(TableName=table, Key=key("tenant-a", 1),
                                   UpdateExpression="SET n = :n",
                                   ExpressionAttributeValues={
                                       ":n": {"N": "0"}}))
    denied("boto3 bob deletes alice's item",
           lambda: bob.delete_item(TableName=table, Key=key("tenant-a", 1)))
    denied("boto3 bob queries alice's partition",
           lambda: bob.query(TableName=table,
                             KeyConditionExpression="tenant = :t",
                             ExpressionAttributeValues={
                                 ":t": {"S": "tenant-a"}}))
    denied("boto3 alice batch-writes one of bob's among her own",
           lambda: alice.batch_write_item(RequestItems={table: [
               {"PutRequest": {"Item": key("tenant-a", 8)}},
               {"PutRequest": {"Item": key("tenant-b", 8)}}]}))
    denied("boto3 bob batch-reads alice's item",
           lambda: bob.batch_get_item(RequestItems={table: {
               "Keys": [key("tenant-a", 1)]}}))
    denied("boto3 alice scans (not in the policy's actions)",
           lambda: alice.scan(TableName=table))

    # the aws CLI, unmodified: AWS_ACCESS_KEY_ID=Shared, the token as
    # AWS_SESSION_TOKEN

    rc, out, err = aws_cli(a.gateway, a.bob, "get-item", "--table-name",
                           table, "--key", json.dumps(key("tenant-b", 1)))
    check("aws CLI bob reads his own item",
          rc == 0 and json.loads(out)["Item"]["owner"]["S"] == "bob",
          out + err)
    rc, out, err = aws_cli(a.gateway, a.bob, "put-item", "--table-name",
                           table, "--item", json.dumps(key("tenant-b", 4)))
    check("aws CLI bob writes his own item", rc == 0, err)
    rc, out, err = aws_cli(a.gateway, a.bob, "get-item", "--table-name",
                           table, "--key", json.dumps(key("tenant-a", 1)))
    check("aws CLI bob reading alice's item is refused",
          rc != 0 and "AccessDeniedException" in err, err)
    rc, out, err = aws_cli(a.gateway, a.alice, "put-item", "--table-name",
                           table, "--item", json.dumps(key("tenant-b", 5)))
    check("aws CLI alice writing into bob's partition is refused",
          rc != 0 and "AccessDeniedException" in err, err)
    rc, out, err = aws_cli(a.gateway, a.alice, "query", "--table-name",
                           table, "--key-condition-expression", "tenant = :t",
                           "--expression-attribute-values",
                           json.dumps({":t": {"S": "tenant-a"}}))
    check("aws CLI alice queries her own partition",
          rc == 0 and json.loads(out)["Count"] == 2, out + err)

    # what the table holds, seen straight: nothing refused got in

    items = raw.scan(TableName=table, ConsistentRead=True)["Items"]
    got = sorted((i["tenant"]["S"], i["id"]["S"], i.get("n", {}).get("N"))
                 for i in items)
    want = [("tenant-a", "1", "7"), ("tenant-a", "2", None),
            ("tenant-b", "1", "7"), ("tenant-b", "2", None),
            ("tenant-b", "4", None)]
    check("the table holds only what each wrote to its own partition",
          got == want, json.dumps(got))

    raw.delete_table(TableName=table)

    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
