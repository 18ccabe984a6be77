#!/usr/bin/python3
"""Check an activity log: every line valid JSON, valid against the schema
(python3-jsonschema), and, with --emulator, one record per request the
DynamoDB front received, in order, with the same operation and tables.

Prints one summary line per check, so that a test can compare the output
with what it expects; details of failures go to stderr.
"""

import argparse
import json
import sys
import urllib.request

import jsonschema


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--emulator")
    a = ap.parse_args()

    with open(a.schema) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)

    records = []
    bad = 0
    with open(a.log, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                rec = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                print("line %d is not JSON: %s" % (n, e), file=sys.stderr)
                bad += 1
                continue
            errors = sorted(validator.iter_errors(rec), key=str)
            for e in errors:
                print("line %d: %s at %s" % (n, e.message, list(e.path)),
                      file=sys.stderr)
            bad += bool(errors)
            records.append(rec)

    print("%d records, %d invalid" % (len(records), bad))

    if a.emulator:
        with urllib.request.urlopen(
                a.emulator + "/_emu/requests?service=dynamodb") as r:
            sent = json.load(r)
        # the gateway's requests only: those signed for a role
        sent = [s for s in sent if s.get("role_arn")]
        # the records of requests that went upstream: they took time there
        forwarded = [r for r in records
                     if r["response"]["executionTimeNanos"] > 0]
        mismatch = 0
        for rec, req in zip(forwarded, sent):
            op = req["target"].split(".", 1)[1]
            if rec["request"]["statementType"].replace("_", "") != \
                    op.upper():
                print("record %s is %s, DynamoDB received %s" % (
                    rec["activityId"], rec["request"]["statementType"], op),
                    file=sys.stderr)
                mismatch += 1
            elif sorted(req.get("tables") or []) and \
                    sorted(rec["request"]["tables"]) != \
                    sorted(req.get("tables") or []):
                print("record %s names tables %s, DynamoDB received %s" % (
                    rec["activityId"], rec["request"]["tables"],
                    req.get("tables")), file=sys.stderr)
                mismatch += 1
        print("%d requests reached DynamoDB, %d records of them, "
              "%d differ" % (len(sent), len(forwarded), mismatch))

    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
