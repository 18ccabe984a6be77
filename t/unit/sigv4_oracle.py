#!/usr/bin/python3
# Copyright (C) The ngx_dynamo authors
#
# The independent truth for t/unit/test_sigv4.c: botocore signs the cases
# the C test describes, and builds the STS Query form bodies the same way
# botocore's Query serializer sends them.  Run with Debian's python3 (the
# one that has python3-botocore).
#
#   sigv4_oracle.py cases.json
#
# cases.json:
#   {"cases": [{"name": .., "method": .., "url": "https://host/path?query",
#               "headers": [[name, value], ...], "body_b64": ..,
#               "timestamp": "YYYYMMDDTHHMMSSZ", "access_key": ..,
#               "secret_key": .., "token": .. or null,
#               "region": .., "service": ..}, ...],
#    "forms": [{"name": .., "params": [[key, value], ...]}, ...]}
#
# Prints one JSON object a line: for a case its name, authorization,
# canonical_request and string_to_sign; for a form its name and body.
#
# The request is signed the way SigV4Auth.add_auth() does, minus the clock:
# the timestamp goes into request.context, botocore itself sets X-Amz-Date
# and X-Amz-Security-Token, computes the payload hash from the body, and
# signs every header it is given.  Headers botocore would leave unsigned
# (User-Agent, Expect, X-Amzn-Trace-Id) and X-Amz-Content-SHA256 (which
# botocore would take as the payload hash) are refused, so that the C side
# and botocore always sign the same set.

import base64
import json
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.utils


def sign(case):
    for name, _ in case["headers"]:
        lname = name.lower()
        if lname in botocore.auth.SIGNED_HEADERS_BLACKLIST:
            raise SystemExit("%s: botocore never signs %s"
                             % (case["name"], name))
        if lname == "x-amz-content-sha256":
            raise SystemExit("%s: %s would replace the payload hash"
                             % (case["name"], name))

    body = base64.b64decode(case.get("body_b64", ""))

    request = botocore.awsrequest.AWSRequest(method=case["method"],
                                             url=case["url"], data=body)
    for name, value in case["headers"]:
        # HTTPHeaders appends: repeated names stay repeated, in order
        request.headers[name] = value

    credentials = botocore.credentials.Credentials(
        case["access_key"], case["secret_key"], case.get("token"))
    auth = botocore.auth.SigV4Auth(credentials, case["service"],
                                   case["region"])

    request.context["timestamp"] = case["timestamp"]
    auth._modify_request_before_signing(request)
    canonical_request = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical_request)
    signature = auth.signature(string_to_sign, request)
    auth._inject_signature_to_request(request, signature)

    return {
        "name": case["name"],
        "authorization": request.headers["Authorization"],
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
    }


def form(item):
    # what AWSRequestPreparer does with the dict the Query serializer built
    params = {}
    for key, value in item["params"]:
        params[key] = value

    request = botocore.awsrequest.AWSRequest(
        method="POST", url="https://sts.amazonaws.com/", data=params)
    body = request.prepare().body

    return {"name": item["name"], "body": body}


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: sigv4_oracle.py cases.json")

    with open(sys.argv[1], "rb") as f:
        spec = json.load(f)

    out = sys.stdout
    for case in spec.get("cases", []):
        out.write(json.dumps(sign(case)) + "\n")
    for item in spec.get("forms", []):
        out.write(json.dumps(form(item)) + "\n")


if __name__ == "__main__":
    main()
