#!/usr/bin/python3
"""What boto3 makes of nginx's own errors through the gateway (t/074).

Prints one line per call: the exception's error code, the HTTP status and
how many times botocore retried, e.g. "ValidationException 413 retries=0".
"""

import argparse

import boto3
import botocore.config
from botocore.exceptions import ClientError


def call(endpoint, token, fn):
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
        config=botocore.config.Config(
            retries={"mode": "standard", "max_attempts": 3},  # retries
            connect_timeout=2, read_timeout=5))

    def add_token(request, **kwargs):
        request.headers["cyral.token"] = token

    client.meta.events.register("before-send.dynamodb", add_token)

    try:
        fn(client)
        return "no error"
    except ClientError as e:
        meta = e.response["ResponseMetadata"]
        return "%s %s retries=%d" % (e.response["Error"]["Code"],
                                     meta["HTTPStatusCode"],
                                     meta.get("RetryAttempts", 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--token", required=True)
    a = ap.parse_args()

    big = {"pk": {"S": "x" * 300}}

    print(call(a.gateway, a.token,
               lambda c: c.put_item(TableName="orders", Item=big)))
    print(call(a.gateway + "/closed", a.token,
               lambda c: c.list_tables()))


if __name__ == "__main__":
    main()
