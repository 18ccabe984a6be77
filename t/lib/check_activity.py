#!/usr/bin/python3
"""Check activity logs: every line one JSON object that strict parsers
accept, valid against the schema (python3-jsonschema), and, with
--emulator, one record per request the DynamoDB front received, in order,
with the same operation and tables.

Strict means: the line ends with a newline; its bytes decode as UTF-8
with Python's strict decoder (no overlong form, no surrogate, nothing
above U+10FFFF); json.loads() takes it without NaN or Infinity and
without a key twice in an object; no string holds a lone surrogate that
a \\u escape made (jq would read it as U+FFFD).

--log may be given more than once: the summary counts all of them, and
each failure names its file and line.  --print FIELD (a dotted path,
repeatable) prints each record's FIELD as ASCII JSON, one line a record,
for a test to compare.

Prints one summary line per check, so that a test can compare the output
with what it expects; details of failures go to stderr.
"""

import argparse
import json
import sys
import urllib.request

import jsonschema


class Bad(ValueError):
    pass


def no_constant(name):
    raise Bad("%s is not JSON" % name)


def no_duplicate(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Bad("key %r twice in an object" % k)
        obj[k] = v
    return obj


def strict_strings(v):
    """Refuses strings that are not Unicode scalar values only."""
    if isinstance(v, str):
        v.encode("utf-8")      # a lone surrogate raises UnicodeEncodeError
    elif isinstance(v, dict):
        for k, x in v.items():
            strict_strings(k)
            strict_strings(x)
    elif isinstance(v, list):
        for x in v:
            strict_strings(x)


def parse(raw):
    """One line of a log, as bytes: the record, or raises ValueError."""
    if not raw.endswith(b"\n"):
        raise Bad("the line does not end with a newline")
    text = raw[:-1].decode("utf-8", errors="strict")
    rec = json.loads(text, parse_constant=no_constant,
                     object_pairs_hook=no_duplicate)
    strict_strings(rec)
    if not isinstance(rec, dict):
        raise Bad("not an object")
    return rec


def field(rec, path):
    for k in path.split("."):
        rec = rec.get(k) if isinstance(rec, dict) else None
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True, action="append")
    ap.add_argument("--schema", required=True)
    ap.add_argument("--emulator")
    ap.add_argument("--print", action="append", default=[], dest="fields")
    a = ap.parse_args()

    with open(a.schema) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)

    records = []
    bad = 0
    for log in a.log:
        with open(log, "rb") as f:
            for n, raw in enumerate(f, 1):
                try:
                    rec = parse(raw)
                except ValueError as e:
                    print("%s line %d is not strict JSON: %s: %r"
                          % (log, n, e, raw[:200]), file=sys.stderr)
                    bad += 1
                    continue
                errors = sorted(validator.iter_errors(rec), key=str)
                for e in errors:
                    print("%s line %d: %s at %s"
                          % (log, n, e.message, list(e.path)),
                          file=sys.stderr)
                bad += bool(errors)
                records.append(rec)

    print("%d records, %d invalid" % (len(records), bad))

    for rec in records if a.fields else []:
        print(" ".join(json.dumps(field(rec, p), ensure_ascii=True)
                       for p in a.fields))

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
