#!/usr/bin/python3
# -*- coding: utf-8 -*-
#
# Tests of the AWS emulator (t/lib/aws_emulator.py), with boto3/botocore as
# the real clients.  Run with Debian's python:
#
#   /usr/bin/python3 t/lib/test_emulator.py [-v]
#
# DYNALITE=<path to dynalite> overrides where dynalite is looked for
# (default node_modules/.bin/dynalite under the repository root).

import hashlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
import zlib

import boto3
import botocore
import botocore.parsers
import jwt
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.utils import ContainerMetadataFetcher, InstanceMetadataFetcher

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR = os.path.join(HERE, "aws_emulator.py")

BASE_AK = "AKIAIOSFODNN7EXAMPLE"
BASE_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ROLE = "arn:aws:iam::123456789012:role/reader"
ROLE2 = "arn:aws:iam::210987654321:role/path/to/writer"
REGION = "us-east-1"


def free_base():
    for _ in range(200):
        base = random.randrange(30000, 60000, 10)
        socks = []
        try:
            for i in range(6):
                s = socket.socket()
                socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def find_dynalite():
    env = os.environ.get("DYNALITE")
    if env:
        return env
    path = os.path.join(ROOT, "node_modules", ".bin", "dynalite")
    return path if os.path.exists(path) else None


class EmulatorTest(unittest.TestCase):
    proc = None

    @classmethod
    def setUpClass(cls):
        cls.base = free_base()
        dyn = find_dynalite()
        if dyn is None:
            raise unittest.SkipTest("dynalite not found (set DYNALITE=)")
        cls.log = os.path.join(tempfile.gettempdir(),
                               "test_emulator.%d.log" % cls.base)
        t0 = time.time()
        cls.proc = subprocess.Popen(
            [sys.executable, EMULATOR, "--base-port", str(cls.base),
             "--dynalite", dyn,
             "--log-file", cls.log, "--watch-pid", str(os.getpid())],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = cls.proc.stdout.readline().decode()
        cls.startup = time.time() - t0
        if not line.startswith("READY"):
            raise RuntimeError("emulator did not start: %s" % line)

    @classmethod
    def tearDownClass(cls):
        if cls.proc is not None:
            cls.proc.terminate()
            cls.proc.wait(10)
            cls.proc.stdout.close()

    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        self.ctl("POST", "/_emu/reset", {"config": True})

    # -- helpers

    def port(self, name):
        return self.base + {"sts": 0, "dynamodb": 1, "imds": 2, "ecs": 3,
                            "echo": 4, "dynalite": 5}[name]

    def url(self, name):
        return "http://127.0.0.1:%d" % self.port(name)

    def ctl(self, method, path, doc=None, service="sts"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port(service),
                                          timeout=10)
        body = json.dumps(doc).encode() if doc is not None else None
        conn.request(method, path, body=body,
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        out = json.loads(data) if data else None
        if resp.status >= 400 and resp.status != 503:
            raise AssertionError("control %s %s: %s %s"
                                 % (method, path, resp.status, data))
        return out

    def requests(self, service, **q):
        qs = "&".join("%s=%s" % kv for kv in q.items())
        return self.ctl("GET", "/_emu/requests?service=%s&%s"
                        % (service, qs))

    def config(self, **kw):
        return self.ctl("POST", "/_emu/config", kw)

    def fault(self, **kw):
        return self.ctl("POST", "/_emu/faults", kw)

    def client(self, service, ak=BASE_AK, sk=BASE_SK, token=None,
               region=REGION, port=None, read_timeout=10):
        port = port or ("sts" if service == "sts" else "dynamodb")
        return boto3.client(
            service, endpoint_url=self.url(port), region_name=region,
            aws_access_key_id=ak, aws_secret_access_key=sk,
            aws_session_token=token,
            config=Config(retries={"total_max_attempts": 1},
                          connect_timeout=2, read_timeout=read_timeout))

    def assume(self, role=ROLE, name="alice", sts=None, **kw):
        sts = sts or self.client("sts")
        return sts.assume_role(RoleArn=role, RoleSessionName=name,
                               **kw)["Credentials"]

    def ddb(self, creds, **kw):
        return self.client("dynamodb", creds["AccessKeyId"],
                           creds["SecretAccessKey"], creds["SessionToken"],
                           **kw)

    def raw(self, service, method, path, body=b"", headers=None, creds=None,
            sign_service=None, region=REGION, chunked=False):
        """Send one request (signed with botocore when creds are given)."""
        headers = dict(headers or {})
        host = "127.0.0.1:%d" % self.port(service)
        if creds is not None:
            req = AWSRequest(method=method, url="http://%s%s" % (host, path),
                             data=body, headers=headers)
            SigV4Auth(Credentials(*creds), sign_service or service,
                      region).add_auth(req)
            headers = dict(req.headers.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port(service),
                                          timeout=10)
        if chunked:
            conn.putrequest(method, path, skip_host=True,
                            skip_accept_encoding=True)
            conn.putheader("Host", host)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body), 1000):
                piece = body[i:i + 1000]
                conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), data

    def make_table(self, ddb, name, sort_key=None, **extra):
        """pk (S) [+ sort_key (N)]; extra: more create_table arguments."""
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
        if sort_key:
            keys.append({"AttributeName": sort_key, "KeyType": "RANGE"})
            attrs.append({"AttributeName": sort_key, "AttributeType": "N"})
        attrs.extend(extra.pop("more_attributes", []))
        ddb.create_table(TableName=name, KeySchema=keys,
                         AttributeDefinitions=attrs,
                         BillingMode="PAY_PER_REQUEST", **extra)
        for _ in range(100):
            st = ddb.describe_table(TableName=name)["Table"]["TableStatus"]
            if st == "ACTIVE":
                return
            time.sleep(0.02)
        self.fail("table %s never became ACTIVE" % name)

    # ------------------------------------------------------------ tests

    def test_00_startup_and_health(self):
        # a start that hangs fails; how fast it starts is a figure for a
        # benchmark, not a test (it took 2.8 s on a loaded machine)
        self.assertLess(self.startup, 60.0)
        h = self.ctl("GET", "/_emu/health", service="echo")
        self.assertTrue(h["ok"])
        self.assertTrue(h["dynalite"]["up"])
        self.assertEqual(h["ports"]["dynalite"], self.base + 5)

    def test_assume_role_xml(self):
        t0 = time.time()
        sts = self.client("sts")
        r = sts.assume_role(RoleArn=ROLE, RoleSessionName="alice",
                            DurationSeconds=900, SourceIdentity="alice@corp",
                            Tags=[{"Key": "team", "Value": "data"}])
        c = r["Credentials"]
        self.assertRegex(c["AccessKeyId"], r"^ASIA[A-Z0-9]{16}$")
        self.assertEqual(len(c["SecretAccessKey"]), 40)
        self.assertEqual(len(c["SessionToken"]), 600)
        exp = c["Expiration"].timestamp()
        self.assertAlmostEqual(exp, t0 + 900, delta=3)
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         "arn:aws:sts::123456789012:assumed-role/reader/"
                         "alice")
        self.assertTrue(r["AssumedRoleUser"]["AssumedRoleId"].startswith(
            "AROA"))
        self.assertEqual(r["SourceIdentity"], "alice@corp")
        self.assertIn("PackedPolicySize", r)
        rec = self.requests("sts")[-1]
        self.assertEqual(rec["action"], "AssumeRole")
        self.assertTrue(rec["signature_ok"])
        self.assertEqual(rec["access_key_id"], BASE_AK)
        self.assertEqual(rec["params"]["RoleSessionName"], "alice")
        self.assertEqual(rec["params"]["Tags.member.1.Key"], "team")
        self.assertIn("host", rec["signed_headers"])
        self.assertEqual(rec["issued_access_key_id"], c["AccessKeyId"])
        self.assertEqual(rec["status"], 200)
        # caller identity of the assumed credentials
        sts2 = self.client("sts", c["AccessKeyId"], c["SecretAccessKey"],
                           c["SessionToken"])
        ident = sts2.get_caller_identity()
        self.assertEqual(ident["Arn"], r["AssumedRoleUser"]["Arn"])
        self.assertEqual(ident["Account"], "123456789012")

    def test_xml_compact_and_millis(self):
        self.config(xml_style="compact", xml_expiration="millis")
        st, hd, body = self.raw(
            "sts", "POST", "/",
            b"Action=AssumeRole&Version=2011-06-15&RoleArn=" +
            ROLE.encode() + b"&RoleSessionName=bob",
            {"Content-Type": "application/x-www-form-urlencoded"},
            creds=(BASE_AK, BASE_SK))
        self.assertEqual(st, 200)
        self.assertTrue(body.startswith(
            b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/'
            b'2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>'))
        self.assertRegex(body.decode(),
                         r"<Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
                         r"</Expiration>")
        self.assertEqual(hd["Content-Type"], "text/xml")
        # botocore still parses it
        c = self.assume(name="bob2")
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))

    def test_assume_role_json_forms(self):
        body = ("Action=AssumeRole&Version=2011-06-15&RoleArn=%s"
                "&RoleSessionName=carol&DurationSeconds=1200" % ROLE).encode()
        hdrs = {"Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json"}
        t0 = int(time.time())
        st, hd, data = self.raw("sts", "POST", "/", body, hdrs,
                                creds=(BASE_AK, BASE_SK))
        self.assertEqual(st, 200, data)
        self.assertEqual(hd["Content-Type"], "application/json")
        self.assertRegex(data.decode(), r'"Expiration":\d\.\d+E9[,}]')
        doc = json.loads(data)
        res = doc["AssumeRoleResponse"]["AssumeRoleResult"]
        self.assertAlmostEqual(res["Credentials"]["Expiration"], t0 + 1200,
                               delta=3)
        self.assertIsNone(res["SourceIdentity"])
        self.assertIsNone(res["PackedPolicySize"])
        self.assertIn("RequestId", doc["AssumeRoleResponse"][
            "ResponseMetadata"])
        self.config(json_expiration="epoch")
        _, _, data = self.raw("sts", "POST", "/", body, hdrs,
                              creds=(BASE_AK, BASE_SK))
        self.assertRegex(data.decode(), r'"Expiration":\d{10}[,}]')
        self.config(json_expiration="iso")
        _, _, data = self.raw("sts", "POST", "/", body, hdrs,
                              creds=(BASE_AK, BASE_SK))
        self.assertRegex(data.decode(),
                         r'"Expiration":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"')
        rec = self.requests("sts")[-1]
        self.assertTrue(rec["json"])

    def test_signature_failures(self):
        sts = self.client("sts", sk=BASE_SK[:-1] + "X")
        with self.assertRaises(ClientError) as cm:
            sts.assume_role(RoleArn=ROLE, RoleSessionName="alice")
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 403)
        rec = self.requests("sts")[-1]
        self.assertFalse(rec["signature_ok"])
        self.assertIn("expected_canonical_request", rec)
        self.assertEqual(rec["error_code"], "SignatureDoesNotMatch")
        # unknown key
        with self.assertRaises(ClientError) as cm:
            self.client("sts", ak="AKIAUNKNOWNKEY000000").get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidClientTokenId")
        # wrong region in the scope
        with self.assertRaises(ClientError) as cm:
            self.client("sts", region="eu-west-1").get_caller_identity()
        self.assertIn("scoped to a valid region",
                      cm.exception.response["Error"]["Message"])
        # clock skew: the emulator's clock runs 20 minutes ahead
        self.config(clock_offset=1200)
        with self.assertRaises(ClientError) as cm:
            self.client("sts").get_caller_identity()
        self.assertIn("Signature expired",
                      cm.exception.response["Error"]["Message"])
        self.config(clock_offset=0)
        # unsigned
        st, _, data = self.raw("sts", "POST", "/",
                               b"Action=GetCallerIdentity&Version=2011-06-15",
                               {"Content-Type":
                                "application/x-www-form-urlencoded"})
        self.assertEqual(st, 403)
        self.assertIn(b"<Code>MissingAuthenticationToken</Code>", data)
        # JSON error shape
        st, hd, data = self.raw(
            "sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
            {"Content-Type": "application/x-www-form-urlencoded",
             "Accept": "application/json"}, creds=(BASE_AK, "wrong"))
        self.assertEqual(st, 403)
        doc = json.loads(data)
        self.assertEqual(doc["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(doc["Error"]["Type"], "Sender")
        self.assertIn("RequestId", doc)
        # a tampered body
        req = AWSRequest(method="POST",
                         url="http://127.0.0.1:%d/" % self.port("sts"),
                         data=b"Action=GetCallerIdentity&Version=2011-06-15",
                         headers={"Content-Type":
                                  "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials(BASE_AK, BASE_SK), "sts", REGION).add_auth(req)
        st, _, data = self.raw(
            "sts", "POST", "/",
            b"Action=GetCallerIdentity&Version=2011-06-15&X=1",
            dict(req.headers.items()))
        self.assertEqual(st, 403)
        self.assertIn(b"SignatureDoesNotMatch", data)
        # the version is required
        st, _, data = self.raw("sts", "POST", "/", b"Action=AssumeRole",
                               {"Content-Type":
                                "application/x-www-form-urlencoded"},
                               creds=(BASE_AK, BASE_SK))
        self.assertEqual(st, 400)
        self.assertIn(b"NO_VERSION_SPECIFIED", data)
        errs = self.ctl("GET", "/_emu/counters")["_errors"]["sts"]
        self.assertGreaterEqual(errs["SignatureDoesNotMatch"], 3)

    def test_base_credentials_config(self):
        self.config(base_credentials=[
            {"AccessKeyId": "AKIDGATEWAY", "SecretAccessKey": "s3cr3t",
             "SessionToken": "tok-123"},
            {"AccessKeyId": "AKIDOLD", "SecretAccessKey": "old",
             "Expired": True},
            {"AccessKeyId": "ASIAROLEBASE", "SecretAccessKey": "rb",
             "SessionToken": "rbtok", "Chained": True}])
        with self.assertRaises(ClientError) as cm:
            self.assume(sts=self.client("sts", "ASIAROLEBASE", "rb", "rbtok"),
                        DurationSeconds=7200)
        self.assertIn("role chaining",
                      cm.exception.response["Error"]["Message"])
        c = self.assume(sts=self.client("sts", "AKIDGATEWAY", "s3cr3t",
                                        "tok-123"))
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        with self.assertRaises(ClientError) as cm:
            self.assume(sts=self.client("sts", "AKIDGATEWAY", "s3cr3t",
                                        "tok-999"))
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidClientTokenId")
        with self.assertRaises(ClientError) as cm:
            self.assume(sts=self.client("sts", "AKIDOLD", "old"))
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ExpiredToken")
        with self.assertRaises(ClientError) as cm:
            self.assume()   # the default base key is gone now
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidClientTokenId")

    def test_validation_and_policy(self):
        sts = self.client("sts")
        # botocore validates lengths client side; send raw
        body = (b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3A"
                b"iam%3A%3A12%3Arole%2Fx&RoleSessionName=a%21&"
                b"DurationSeconds=100")
        st, _, data = self.raw("sts", "POST", "/", body,
                               {"Content-Type":
                                "application/x-www-form-urlencoded"},
                               creds=(BASE_AK, BASE_SK))
        self.assertEqual(st, 400)
        self.assertIn(b"<Code>ValidationError</Code>", data)
        self.assertIn(b"3 validation errors detected", data)
        with self.assertRaises(ClientError) as cm:
            sts.assume_role(RoleArn=ROLE, RoleSessionName="bad name!")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ValidationError")
        with self.assertRaises(ClientError) as cm:
            sts.assume_role(RoleArn=ROLE, RoleSessionName="ok",
                            DurationSeconds=50000)
        self.assertIn("less than or equal to 43200",
                      cm.exception.response["Error"]["Message"])
        # denied roles and external ids
        self.config(denied_roles=[ROLE], external_ids={ROLE2: "ext-42"})
        with self.assertRaises(ClientError) as cm:
            sts.assume_role(RoleArn=ROLE, RoleSessionName="alice")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "AccessDenied")
        self.assertEqual(
            cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        for ext in (None, "ext-41"):
            kw = {"ExternalId": ext} if ext else {}
            with self.assertRaises(ClientError) as cm:
                sts.assume_role(RoleArn=ROLE2, RoleSessionName="alice", **kw)
            self.assertEqual(cm.exception.response["Error"]["Code"],
                             "AccessDenied")
        c = self.assume(ROLE2, ExternalId="ext-42")
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        # per-role maximum session duration
        self.config(role_max_session_duration={ROLE2: 3600},
                    external_ids={})
        with self.assertRaises(ClientError) as cm:
            self.assume(ROLE2, DurationSeconds=7200)
        self.assertIn("MaxSessionDuration",
                      cm.exception.response["Error"]["Message"])

    def test_role_chaining(self):
        c = self.assume(DurationSeconds=43200)
        sts2 = self.client("sts", c["AccessKeyId"], c["SecretAccessKey"],
                           c["SessionToken"])
        with self.assertRaises(ClientError) as cm:
            self.assume(ROLE2, sts=sts2, DurationSeconds=3601)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ValidationError")
        self.assertIn("role chaining",
                      cm.exception.response["Error"]["Message"])
        c2 = self.assume(ROLE2, sts=sts2, DurationSeconds=3600)
        self.assertTrue(c2["AccessKeyId"].startswith("ASIA"))
        rec = self.requests("sts")[-1]
        self.assertTrue(rec["chained"])
        self.assertEqual(rec["caller_source"], "assume_role")

    def test_lifetime_and_token_length(self):
        self.config(credential_lifetime=20, session_token_length=2000)
        t0 = time.time()
        c = self.assume(DurationSeconds=3600)
        self.assertAlmostEqual(c["Expiration"].timestamp(), t0 + 20, delta=2)
        self.assertEqual(len(c["SessionToken"]), 2000)
        self.config(credential_lifetime=None,
                    role_credential_lifetime={ROLE: 30})
        c = self.assume(DurationSeconds=3600)
        self.assertAlmostEqual(c["Expiration"].timestamp(), t0 + 30, delta=2)
        # a request with the 2000-char token works at the DynamoDB front
        self.ddb(c).list_tables()

    def test_dynamodb_front(self):
        c = self.assume(name="writer")
        ddb = self.ddb(c)
        self.make_table(ddb, "emu_items")
        ddb.put_item(TableName="emu_items",
                     Item={"pk": {"S": "a"}, "v": {"S": "hello"}})
        got = ddb.get_item(TableName="emu_items", Key={"pk": {"S": "a"}})
        self.assertEqual(got["Item"]["v"]["S"], "hello")
        scan = ddb.scan(TableName="emu_items")
        self.assertEqual(scan["Count"], 1)
        recs = self.requests("dynamodb")
        ops = [r["operation"] for r in recs]
        for op in ("CreateTable", "PutItem", "GetItem", "Scan"):
            self.assertIn(op, ops)
        rec = recs[-1]
        self.assertTrue(rec["signature_ok"])
        self.assertEqual(rec["access_key_id"], c["AccessKeyId"])
        self.assertEqual(rec["role_arn"], ROLE)
        self.assertEqual(rec["target"], "DynamoDB_20120810.Scan")
        self.assertEqual(rec["tables"], ["emu_items"])
        self.assertIn("x-amz-security-token", rec["signed_headers"])
        self.assertEqual(rec["upstream_status"], 200)
        counters = self.ctl("GET", "/_emu/counters")
        self.assertEqual(counters["dynamodb"]["PutItem"], 1)
        # the answer is dynalite's, byte for byte (crc32 checked by botocore
        # and here)
        st, hd, data = self.raw(
            "dynamodb", "POST", "/", json.dumps(
                {"TableName": "emu_items"}).encode(),
            {"X-Amz-Target": "DynamoDB_20120810.Scan",
             "Content-Type": "application/x-amz-json-1.0",
             "X-Amz-Security-Token": c["SessionToken"]},
            creds=(c["AccessKeyId"], c["SecretAccessKey"],
                   c["SessionToken"]))
        self.assertEqual(st, 200)
        self.assertEqual(int(hd["x-amz-crc32"]), zlib.crc32(data))

    def test_dynamodb_refusals(self):
        ddb = self.client("dynamodb")   # base credentials, not issued
        with self.assertRaises(ClientError) as cm:
            ddb.list_tables()
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "UnrecognizedClientException")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"][
            "content-type"], "application/x-amz-json-1.0")
        c = self.assume()
        # wrong secret
        with self.assertRaises(ClientError) as cm:
            self.client("dynamodb", c["AccessKeyId"], "x" * 40,
                        c["SessionToken"]).list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidSignatureException")
        # missing session token
        with self.assertRaises(ClientError) as cm:
            self.client("dynamodb", c["AccessKeyId"],
                        c["SecretAccessKey"]).list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "UnrecognizedClientException")
        # wrong service in scope
        st, _, data = self.raw(
            "dynamodb", "POST", "/", b"{}",
            {"X-Amz-Target": "DynamoDB_20120810.ListTables",
             "Content-Type": "application/x-amz-json-1.0",
             "X-Amz-Security-Token": c["SessionToken"]},
            creds=(c["AccessKeyId"], c["SecretAccessKey"],
                   c["SessionToken"]), sign_service="sts")
        self.assertEqual(st, 400)
        self.assertIn(b"InvalidSignatureException", data)
        # no Authorization at all
        st, hd, data = self.raw(
            "dynamodb", "POST", "/", b"{}",
            {"X-Amz-Target": "DynamoDB_20120810.ListTables",
             "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(data)["__type"],
                         "com.amazon.coral.service#"
                         "MissingAuthenticationTokenException")
        self.assertEqual(int(hd["x-amz-crc32"]), zlib.crc32(data))
        # expired: forced through the control API ...
        ddb = self.ddb(c)
        ddb.list_tables()
        n = self.ctl("POST", "/_emu/credentials/expire",
                     {"access_key_id": c["AccessKeyId"]})
        self.assertEqual(n["expired"], 1)
        with self.assertRaises(ClientError) as cm:
            ddb.list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ExpiredTokenException")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "The security token included in the request is "
                         "expired")
        # ... and by the clock
        self.config(credential_lifetime=1)
        c = self.assume()
        time.sleep(1.1)
        with self.assertRaises(ClientError) as cm:
            self.ddb(c).list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ExpiredTokenException")
        rec = self.requests("dynamodb")[-1]
        self.assertFalse(rec["signature_ok"])
        self.assertEqual(rec["error_code"], "ExpiredTokenException")
        self.assertIsNone(rec["upstream_status"] if "upstream_status" in rec
                          else None)

    def test_big_batch_write_and_chunked(self):
        c = self.assume(name="bulk")
        ddb = self.ddb(c, read_timeout=30)
        self.make_table(ddb, "emu_big")
        pad = "x" * 82000
        items = [{"PutRequest": {"Item": {"pk": {"S": "k%02d" % i},
                                          "data": {"S": pad}}}}
                 for i in range(25)]
        r = ddb.batch_write_item(RequestItems={"emu_big": items})
        self.assertEqual(r["UnprocessedItems"], {})
        rec = self.requests("dynamodb", action="BatchWriteItem")[-1]
        self.assertGreater(rec["body_length"], 2000000)
        self.assertTrue(rec["body_truncated"])
        self.assertTrue(rec["signature_ok"])
        # read it all back: pages of ~1 MB, each crc32-checked by botocore
        total = 0
        for page in ddb.get_paginator("scan").paginate(TableName="emu_big"):
            total += page["Count"]
        self.assertEqual(total, 25)
        # a chunked request body is accepted and forwarded
        body = json.dumps({"TableName": "emu_big",
                           "Item": {"pk": {"S": "chunked"},
                                    "data": {"S": "y" * 5000}}}).encode()
        st, hd, data = self.raw(
            "dynamodb", "POST", "/", body,
            {"X-Amz-Target": "DynamoDB_20120810.PutItem",
             "Content-Type": "application/x-amz-json-1.0"},
            creds=(c["AccessKeyId"], c["SecretAccessKey"],
                   c["SessionToken"]), chunked=True)
        self.assertEqual(st, 200, data)
        rec = self.requests("dynamodb")[-1]
        self.assertTrue(rec["chunked"])
        self.assertEqual(rec["body_sha256"], hashlib.sha256(body).hexdigest())

    # -- operations dynalite lacks, answered by the front itself

    def items(self, ddb, table):
        got = {}
        for it in ddb.scan(TableName=table, ConsistentRead=True)["Items"]:
            key = it["pk"]["S"] + ("/" + it["sk"]["N"] if "sk" in it else "")
            got[key] = it
        return got

    def test_transact_write_items(self):
        c = self.assume(name="tx")
        ddb = self.ddb(c)
        self.make_table(ddb, "emu_tx")
        for pk, n in (("a", 1), ("b", 2), ("c", 3)):
            ddb.put_item(TableName="emu_tx",
                         Item={"pk": {"S": pk}, "n": {"N": str(n)}})
        one = {":one": {"N": "1"}}
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "emu_tx",
                     "Item": {"pk": {"S": "d"}, "n": {"N": "4"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": "emu_tx", "Key": {"pk": {"S": "a"}},
                        "UpdateExpression": "SET #n = #n + :one, t = :t",
                        "ConditionExpression": "#n = :one",
                        "ExpressionAttributeNames": {"#n": "n"},
                        "ExpressionAttributeValues": dict(
                            one, **{":t": {"S": "x"}})}},
            {"Delete": {"TableName": "emu_tx", "Key": {"pk": {"S": "c"}},
                        "ConditionExpression": "attribute_exists(pk)"}},
            {"ConditionCheck": {"TableName": "emu_tx",
                                "Key": {"pk": {"S": "b"}},
                                "ConditionExpression": "n > :one",
                                "ExpressionAttributeValues": one}}])
        got = self.items(ddb, "emu_tx")
        self.assertEqual(sorted(got), ["a", "b", "d"])
        self.assertEqual(got["a"]["n"]["N"], "2")
        self.assertEqual(got["a"]["t"]["S"], "x")
        rec = self.requests("dynamodb", action="TransactWriteItems")[-1]
        self.assertTrue(rec["signature_ok"])
        self.assertTrue(rec["emulated"])
        self.assertEqual(rec["status"], 200)
        self.assertEqual(rec["tables"], ["emu_tx"])
        self.assertEqual(rec["role_arn"], ROLE)
        counters = self.ctl("GET", "/_emu/counters")
        self.assertEqual(counters["dynamodb"]["TransactWriteItems"], 1)
        self.assertEqual(counters["_emulated"]["dynamodb"]
                         ["TransactWriteItems"], 1)

        # one false condition: cancelled, nothing written
        with self.assertRaises(ClientError) as cm:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "emu_tx",
                         "Item": {"pk": {"S": "e"}}}},
                {"Update": {"TableName": "emu_tx", "Key": {"pk": {"S": "b"}},
                            "UpdateExpression": "SET n = :ten",
                            "ConditionExpression": "n > :ten",
                            "ExpressionAttributeValues": {
                                ":ten": {"N": "10"}},
                            "ReturnValuesOnConditionCheckFailure":
                                "ALL_OLD"}},
                {"ConditionCheck": {"TableName": "emu_tx",
                                    "Key": {"pk": {"S": "zz"}},
                                    "ConditionExpression":
                                        "attribute_exists(pk)"}},
                {"Delete": {"TableName": "emu_tx",
                            "Key": {"pk": {"S": "d"}}}}])
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "TransactionCanceledException")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual([r["Code"] for r in err["CancellationReasons"]],
                         ["None", "ConditionalCheckFailed",
                          "ConditionalCheckFailed", "None"])
        self.assertEqual(err["CancellationReasons"][1]["Item"]["n"],
                         {"N": "2"})
        self.assertNotIn("Item", err["CancellationReasons"][2])
        self.assertIn("[None, ConditionalCheckFailed, ConditionalCheck"
                      "Failed, None]", err["Error"]["Message"])
        self.assertEqual(sorted(self.items(ddb, "emu_tx")), ["a", "b", "d"])
        rec = self.requests("dynamodb", action="TransactWriteItems")[-1]
        self.assertEqual(rec["error_code"], "TransactionCanceledException")
        self.assertEqual(rec["cancellation_reasons"][1],
                         "ConditionalCheckFailed")

        # a write failing half-way: the earlier writes are undone
        with self.assertRaises(ClientError) as cm:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "emu_tx",
                         "Item": {"pk": {"S": "f"}}}},
                {"Delete": {"TableName": "emu_tx",
                            "Key": {"pk": {"S": "d"}}}},
                {"Update": {"TableName": "emu_tx", "Key": {"pk": {"S": "b"}},
                            "UpdateExpression": "SET n = n + :s",
                            "ExpressionAttributeValues": {
                                ":s": {"S": "not a number"}}}}])
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ValidationException")
        got = self.items(ddb, "emu_tx")
        self.assertEqual(sorted(got), ["a", "b", "d"])
        self.assertEqual(got["d"]["n"]["N"], "4")

        # refusals
        for items, code in (
                ([], "ValidationException"),
                ([{"Delete": {"TableName": "emu_tx",
                              "Key": {"pk": {"S": "a"}}}},
                  {"ConditionCheck": {"TableName": "emu_tx",
                                      "Key": {"pk": {"S": "a"}},
                                      "ConditionExpression":
                                          "attribute_exists(pk)"}}],
                 "ValidationException"),
                ([{"Put": {"TableName": "emu_nope",
                           "Item": {"pk": {"S": "a"}}}}],
                 "ResourceNotFoundException"),
                ([{"Put": {"TableName": "emu_tx", "Item": {"x": {"S": "a"}}}}],
                 "ValidationException"),
                ([{"Delete": {"TableName": "emu_tx",
                              "Key": {"pk": {"S": "a"}},
                              "ConditionExpression": "n >"}}],
                 "ValidationException")):
            st, hd, data = self.raw(
                "dynamodb", "POST", "/", json.dumps(
                    {"TransactItems": items}).encode(),
                {"X-Amz-Target": "DynamoDB_20120810.TransactWriteItems",
                 "Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Security-Token": c["SessionToken"]},
                creds=(c["AccessKeyId"], c["SecretAccessKey"],
                       c["SessionToken"]))
            self.assertEqual(st, 400, data)
            self.assertEqual(json.loads(data)["__type"].split("#")[1], code,
                             data)
            self.assertEqual(int(hd["x-amz-crc32"]), zlib.crc32(data))
            self.assertEqual(hd["Content-Type"], "application/x-amz-json-1.0")
        self.assertEqual(sorted(self.items(ddb, "emu_tx")), ["a", "b", "d"])
        # an unsigned one never reaches the emulation
        st, _, data = self.raw(
            "dynamodb", "POST", "/", b'{"TransactItems": []}',
            {"X-Amz-Target": "DynamoDB_20120810.TransactWriteItems",
             "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(st, 400)
        self.assertIn(b"MissingAuthenticationTokenException", data)

    def test_transact_get_items(self):
        c = self.assume(name="txget")
        ddb = self.ddb(c)
        self.make_table(ddb, "emu_txget")
        ddb.put_item(TableName="emu_txget",
                     Item={"pk": {"S": "a"}, "v": {"S": "x"},
                           "w": {"N": "1"}})
        r = ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": "emu_txget", "Key": {"pk": {"S": "a"}}}},
            {"Get": {"TableName": "emu_txget", "Key": {"pk": {"S": "b"}}}},
            {"Get": {"TableName": "emu_txget", "Key": {"pk": {"S": "a"}},
                     "ProjectionExpression": "#v",
                     "ExpressionAttributeNames": {"#v": "v"}}}])
        self.assertEqual(r["Responses"], [
            {"Item": {"pk": {"S": "a"}, "v": {"S": "x"}, "w": {"N": "1"}}},
            {}, {"Item": {"v": {"S": "x"}}}])
        self.assertEqual(int(r["ResponseMetadata"]["HTTPHeaders"]
                             ["x-amz-crc32"]), zlib.crc32(json.dumps(
                                 {"Responses": r["Responses"]},
                                 separators=(",", ":")).encode()))
        with self.assertRaises(ClientError) as cm:
            ddb.transact_get_items(TransactItems=[
                {"Get": {"TableName": "emu_nope",
                         "Key": {"pk": {"S": "a"}}}}])
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ResourceNotFoundException")

    def test_transactions_are_isolated(self):
        c = self.assume(name="iso")
        self.make_table(self.ddb(c), "emu_iso")
        self.ddb(c).batch_write_item(RequestItems={"emu_iso": [
            {"PutRequest": {"Item": {"pk": {"S": k}, "n": {"N": "0"}}}}
            for k in ("x", "y")]})
        seen, errors = [], []
        done = threading.Event()

        def writer():
            ddb = self.ddb(c)
            try:
                for _ in range(8):
                    ddb.transact_write_items(TransactItems=[
                        {"Update": {"TableName": "emu_iso",
                                    "Key": {"pk": {"S": k}},
                                    "UpdateExpression": "SET n = n + :1",
                                    "ExpressionAttributeValues": {
                                        ":1": {"N": "1"}}}}
                        for k in ("x", "y")])
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        def reader():
            ddb = self.ddb(c)
            while not done.is_set():
                r = ddb.transact_get_items(TransactItems=[
                    {"Get": {"TableName": "emu_iso",
                             "Key": {"pk": {"S": k}}}}
                    for k in ("x", "y")])["Responses"]
                seen.append((r[0]["Item"]["n"]["N"], r[1]["Item"]["n"]["N"]))

        threads = [threading.Thread(target=writer) for _ in range(4)]
        rd = threading.Thread(target=reader)
        rd.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        done.set()
        rd.join(30)
        self.assertEqual(errors, [])
        self.assertTrue(seen)
        self.assertTrue(all(a == b for a, b in seen), seen)
        got = self.items(self.ddb(c), "emu_iso")
        self.assertEqual(got["x"]["n"]["N"], "32")
        self.assertEqual(got["y"]["n"]["N"], "32")

    def test_execute_statement(self):
        c = self.assume(name="pql")
        ddb = self.ddb(c)
        self.make_table(
            ddb, "emu-pql.t", sort_key="sk",
            more_attributes=[{"AttributeName": "city",
                              "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by_city",
                "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}])

        def run(statement, *params, **kw):
            if params:
                kw["Parameters"] = list(params)
            r = ddb.execute_statement(Statement=statement, **kw)
            rec = self.requests("dynamodb", action="ExecuteStatement")[-1]
            return r, rec

        def fails(code, statement, *params):
            with self.assertRaises(ClientError) as cm:
                run(statement, *params)
            self.assertEqual(cm.exception.response["Error"]["Code"], code,
                             cm.exception.response)
            return cm.exception.response["Error"]["Message"]

        S = lambda s: {"S": s}  # noqa: E731
        N = lambda n: {"N": str(n)}  # noqa: E731
        # INSERT: parameters and literals of every kind
        r, rec = run('INSERT INTO "emu-pql.t" VALUE {\'pk\': ?, \'sk\': 1, '
                     '\'city\': \'Oslo\', \'n\': 10}', S("u1"))
        self.assertEqual(r["Items"], [])
        self.assertTrue(rec["emulated"])
        self.assertTrue(rec["signature_ok"])
        self.assertEqual(rec["tables"], ["emu-pql.t"])
        run("insert into \"emu-pql.t\" value {'pk': 'u1', 'sk': 2, "
            "'city': ?, 'n': -2.5, 'ok': true, 'none': null, "
            "'l': [1, 'two', [3]], 'm': {'k': 'v'}, 'ss': <<'a', 'b'>>, "
            "'ns': <<1, 2>>, 'q': 'it''s'}", S("Bergen"))
        run('INSERT INTO "emu-pql.t" VALUE {\'pk\': \'u2\', \'sk\': 1, '
            '\'city\': \'Oslo\', \'n\': 30}')
        got = ddb.get_item(TableName="emu-pql.t",
                           Key={"pk": S("u1"), "sk": N(2)})["Item"]
        self.assertEqual(got["n"], N("-2.5"))
        self.assertEqual(got["ok"], {"BOOL": True})
        self.assertEqual(got["none"], {"NULL": True})
        self.assertEqual(got["l"], {"L": [N(1), S("two"), {"L": [N(3)]}]})
        self.assertEqual(got["m"], {"M": {"k": S("v")}})
        self.assertEqual(sorted(got["ss"]["SS"]), ["a", "b"])
        self.assertEqual(sorted(got["ns"]["NS"]), ["1", "2"])
        self.assertEqual(got["q"], S("it's"))
        msg = fails("DuplicateItemException",
                    "INSERT INTO \"emu-pql.t\" VALUE {'pk': 'u2', 'sk': 1}")
        self.assertEqual(msg, "Duplicate primary key exists in table")

        # SELECT: key equality -> Query, otherwise Scan
        r, rec = run('SELECT * FROM "emu-pql.t" WHERE pk = ?', S("u1"))
        self.assertEqual([i["sk"]["N"] for i in r["Items"]], ["1", "2"])
        self.assertIn("Query", rec["backend_ops"])
        r, rec = run('SELECT pk, n FROM "emu-pql.t" WHERE n >= ?', N(10))
        self.assertEqual(sorted((i["pk"]["S"], i["n"]["N"])
                                for i in r["Items"]),
                         [("u1", "10"), ("u2", "30")])
        self.assertEqual(set(r["Items"][0]), {"pk", "n"})
        self.assertIn("Scan", rec["backend_ops"])
        self.assertNotIn("Query", rec["backend_ops"])
        r, rec = run('SELECT sk FROM "emu-pql.t" WHERE pk = ? AND sk > 1 '
                     'AND n < 0', S("u1"))
        self.assertEqual(r["Items"], [{"sk": N(2)}])
        self.assertIn("Query", rec["backend_ops"])
        r, _ = run("SELECT * FROM \"emu-pql.t\" WHERE 'u1' = pk ORDER BY sk "
                   "DESC")
        self.assertEqual([i["sk"]["N"] for i in r["Items"]], ["2", "1"])
        r, rec = run('SELECT pk FROM "emu-pql.t"."by_city" '
                     'WHERE city = ?', S("Oslo"))
        self.assertEqual(sorted(i["pk"]["S"] for i in r["Items"]),
                         ["u1", "u2"])
        self.assertIn("Query", rec["backend_ops"])
        r, rec = run('SELECT * FROM "emu-pql.t" WHERE begins_with(city, ?) '
                     'OR (contains(l, ?) AND NOT n BETWEEN 0 AND 100) '
                     'OR pk IN [\'zz\', \'yy\'] OR m.k = \'nope\' '
                     'OR l[1] = \'nope\' OR q IS NOT MISSING',
                     S("Os"), S("two"))
        self.assertEqual(len(r["Items"]), 3)
        self.assertIn("Scan", rec["backend_ops"])
        # a non-key attribute which is not there yet
        r, _ = run('SELECT * FROM "emu-pql.t" WHERE pk = \'u2\' AND '
                   'ok IS MISSING')
        self.assertEqual(len(r["Items"]), 1)
        # paging
        r, _ = run('SELECT * FROM "emu-pql.t" WHERE pk = ?', S("u1"),
                   Limit=1)
        self.assertEqual(len(r["Items"]), 1)
        self.assertIn("NextToken", r)
        r2, _ = run('SELECT * FROM "emu-pql.t" WHERE pk = ?', S("u1"),
                    Limit=1, NextToken=r["NextToken"])
        self.assertEqual(r2["Items"][0]["sk"], N(2))

        # UPDATE
        r, _ = run('UPDATE "emu-pql.t" SET n = n + ?, city = \'Rome\' '
                   'SET tags = list_append(if_not_exists(tags, ?), [\'t\']) '
                   'REMOVE ok, none WHERE pk = ? AND sk = ? '
                   'RETURNING ALL NEW *',
                   N(5), {"L": []}, S("u1"), N(2))
        self.assertEqual(r["Items"][0]["n"], N("2.5"))
        self.assertEqual(r["Items"][0]["tags"], {"L": [S("t")]})
        self.assertNotIn("ok", r["Items"][0])
        r, _ = run('UPDATE "emu-pql.t" SET ss = set_add(ss, <<\'c\'>>) '
                   'WHERE pk = \'u1\' AND sk = 2')
        self.assertEqual(r["Items"], [])
        got = ddb.get_item(TableName="emu-pql.t",
                           Key={"pk": S("u1"), "sk": N(2)})["Item"]
        self.assertEqual(sorted(got["ss"]["SS"]), ["a", "b", "c"])
        self.assertEqual(got["city"], S("Rome"))
        # no such item, or a predicate which is false: nothing changes
        fails("ConditionalCheckFailedException",
              'UPDATE "emu-pql.t" SET n = 1 WHERE pk = ? AND sk = 9', S("u1"))
        fails("ConditionalCheckFailedException",
              'UPDATE "emu-pql.t" SET n = 1 WHERE pk = ? AND sk = 1 '
              'AND n > 100', S("u1"))
        self.assertIsNone(ddb.get_item(
            TableName="emu-pql.t",
            Key={"pk": S("u1"), "sk": N(9)}).get("Item"))

        # DELETE
        fails("ConditionalCheckFailedException",
              'DELETE FROM "emu-pql.t" WHERE pk = ? AND sk = 1 AND n = 0',
              S("u2"))
        r, _ = run('DELETE FROM "emu-pql.t" WHERE pk = ? AND sk = 1 '
                   'RETURNING ALL OLD *', S("u2"))
        self.assertEqual(r["Items"][0]["n"], N(30))
        r, _ = run('DELETE FROM "emu-pql.t" WHERE pk = ? AND sk = 1',
                   S("u2"))     # gone already: not an error
        self.assertEqual(r["Items"], [])

        # what cannot be run
        for statement, params in (
                ("SELEC * FROM \"emu-pql.t\"", ()),
                ('SELECT * FROM "emu-pql.t" WHERE', ()),
                ('SELECT * FROM "emu-pql.t" WHERE pk = ?', ()),
                ('SELECT * FROM "emu-pql.t" WHERE pk = ?', (S("a"), S("b"))),
                ('UPDATE "emu-pql.t" SET n = 1 WHERE pk = ?', (S("u1"),)),
                ('DELETE FROM "emu-pql.t" WHERE n = 1', ()),
                ("INSERT INTO \"emu-pql.t\" VALUE {'sk': 1}", ()),
                ('SELECT * FROM "emu-pql.t"."nope"', ()),
                ('SELECT * FROM "emu-pql.t" WHERE pk = \'x', ())):
            msg = fails("ValidationException", statement, *params)
            self.assertTrue(msg)
        fails("ResourceNotFoundException", 'SELECT * FROM "emu_none"')
        # the answers are DynamoDB's wire format
        st, hd, data = self.raw(
            "dynamodb", "POST", "/", json.dumps(
                {"Statement": 'SELECT * FROM "emu-pql.t" WHERE pk = ?',
                 "Parameters": [S("u1")]}).encode(),
            {"X-Amz-Target": "DynamoDB_20120810.ExecuteStatement",
             "Content-Type": "application/x-amz-json-1.0",
             "X-Amz-Security-Token": c["SessionToken"]},
            creds=(c["AccessKeyId"], c["SecretAccessKey"],
                   c["SessionToken"]))
        self.assertEqual(st, 200)
        self.assertEqual(hd["Content-Type"], "application/x-amz-json-1.0")
        self.assertEqual(int(hd["x-amz-crc32"]), zlib.crc32(data))
        self.assertEqual(len(json.loads(data)["Items"]), 2)

    def test_batch_execute_statement(self):
        c = self.assume(name="pqlbatch")
        ddb = self.ddb(c)
        self.make_table(ddb, "emu_pqlb")
        r = ddb.batch_execute_statement(Statements=[
            {"Statement": "INSERT INTO emu_pqlb VALUE {'pk': ?, 'n': 1}",
             "Parameters": [{"S": "a"}]},
            {"Statement": "INSERT INTO emu_pqlb VALUE {'pk': 'b', 'n': 2}"},
            {"Statement": "UPDATE emu_pqlb SET n = 5 WHERE pk = 'zz'"},
            {"Statement": "INSERT INTO emu_pqlb VALUE {'pk': 'a'}"},
            {"Statement": "DELETE FROM emu_pqlb WHERE"}])
        res = r["Responses"]
        self.assertEqual(len(res), 5)
        self.assertNotIn("Error", res[0])
        self.assertNotIn("Error", res[1])
        self.assertEqual(res[2]["Error"]["Code"], "ConditionalCheckFailed")
        self.assertEqual(res[3]["Error"]["Code"], "DuplicateItem")
        self.assertEqual(res[4]["Error"]["Code"], "ValidationError")
        r = ddb.batch_execute_statement(Statements=[
            {"Statement": 'SELECT * FROM "emu_pqlb" WHERE pk = ?',
             "Parameters": [{"S": "a"}]},
            {"Statement": "SELECT n FROM emu_pqlb WHERE pk = 'nope'"},
            {"Statement": "SELECT n FROM emu_pqlb WHERE n = 1"}])
        res = r["Responses"]
        self.assertEqual(res[0]["Item"], {"pk": {"S": "a"}, "n": {"N": "1"}})
        self.assertEqual(res[0]["TableName"], "emu_pqlb")
        self.assertNotIn("Item", res[1])
        self.assertNotIn("Error", res[1])
        self.assertEqual(res[2]["Error"]["Code"], "ValidationError")
        rec = self.requests("dynamodb", action="BatchExecuteStatement")[-1]
        self.assertTrue(rec["emulated"])
        self.assertEqual(rec["tables"], ["emu_pqlb"])
        with self.assertRaises(ClientError) as cm:
            ddb.batch_execute_statement(Statements=[
                {"Statement": "SELECT * FROM emu_pqlb WHERE pk = 'a'"},
                {"Statement": "DELETE FROM emu_pqlb WHERE pk = 'a'"}])
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ValidationException")

    def test_execute_transaction(self):
        c = self.assume(name="pqltx")
        ddb = self.ddb(c)
        self.make_table(ddb, "emu_pqltx")
        ddb.put_item(TableName="emu_pqltx",
                     Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        for pk, n in (("c", "3"), ("e", "5")):
            ddb.put_item(TableName="emu_pqltx",
                         Item={"pk": {"S": pk}, "n": {"N": n}})
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO emu_pqltx VALUE {'pk': ?, 'n': 2}",
             "Parameters": [{"S": "b"}]},
            {"Statement": "UPDATE emu_pqltx SET n = n + 10 WHERE pk = 'a'"},
            {"Statement": "DELETE FROM emu_pqltx WHERE pk = 'c'"},
            {"Statement": "EXISTS(SELECT * FROM emu_pqltx WHERE pk = 'e' "
                          "AND n = 5)"}])
        got = self.items(ddb, "emu_pqltx")
        self.assertEqual(sorted(got), ["a", "b", "e"])
        self.assertEqual(got["a"]["n"]["N"], "11")
        rec = self.requests("dynamodb", action="ExecuteTransaction")[-1]
        self.assertTrue(rec["emulated"])
        self.assertEqual(rec["status"], 200)
        # all or nothing
        with self.assertRaises(ClientError) as cm:
            ddb.execute_transaction(TransactStatements=[
                {"Statement": "UPDATE emu_pqltx SET n = 0 WHERE pk = 'a'"},
                {"Statement": "INSERT INTO emu_pqltx VALUE {'pk': 'b'}"},
                {"Statement": "UPDATE emu_pqltx SET n = 0 WHERE pk = 'zz'"},
                {"Statement": "EXISTS(SELECT * FROM emu_pqltx WHERE pk = 'e' "
                              "AND n = 6)"}])
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "TransactionCanceledException")
        self.assertEqual([r["Code"] for r in err["CancellationReasons"]],
                         ["None", "DuplicateItem", "ConditionalCheckFailed",
                          "ConditionalCheckFailed"])
        self.assertEqual(self.items(ddb, "emu_pqltx")["a"]["n"]["N"], "11")
        # reads
        r = ddb.execute_transaction(TransactStatements=[
            {"Statement": "SELECT n FROM emu_pqltx WHERE pk = ?",
             "Parameters": [{"S": "a"}]},
            {"Statement": "SELECT * FROM emu_pqltx WHERE pk = 'zz'"}])
        self.assertEqual(r["Responses"], [{"Item": {"n": {"N": "11"}}}, {}])
        with self.assertRaises(ClientError) as cm:
            ddb.execute_transaction(TransactStatements=[
                {"Statement": "SELECT * FROM emu_pqltx WHERE pk = 'a'"},
                {"Statement": "DELETE FROM emu_pqltx WHERE pk = 'a'"}])
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ValidationException")
        self.assertIn("a", self.items(ddb, "emu_pqltx"))

    def test_imds(self):
        fetcher = InstanceMetadataFetcher(
            timeout=2, num_attempts=1, base_url=self.url("imds"))
        creds = fetcher.retrieve_iam_role_credentials()
        self.assertEqual(creds["role_name"], "emulator-instance-role")
        self.assertTrue(creds["access_key"].startswith("ASIA"))
        # the same credentials until they are due
        again = fetcher.retrieve_iam_role_credentials()
        self.assertEqual(again["access_key"], creds["access_key"])
        # they are valid base credentials for STS ...
        sts = self.client("sts", creds["access_key"], creds["secret_key"],
                          creds["token"])
        self.assertIn(":assumed-role/emulator-instance-role/",
                      sts.get_caller_identity()["Arn"])
        c = self.assume(sts=sts)
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertEqual(self.requests("sts")[-1]["caller_source"], "imds")
        # ... chaining rules apply to them
        with self.assertRaises(ClientError):
            self.assume(sts=sts, DurationSeconds=7200)
        # ... but the DynamoDB front refuses them
        with self.assertRaises(ClientError) as cm:
            self.client("dynamodb", creds["access_key"], creds["secret_key"],
                        creds["token"]).list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "UnrecognizedClientException")
        # IMDSv2 rules
        p = "/latest/meta-data/iam/security-credentials/"
        st, _, _ = self.raw("imds", "GET", p)
        self.assertEqual(st, 401)
        st, _, _ = self.raw("imds", "GET", p,
                            headers={"X-aws-ec2-metadata-token": "bogus"})
        self.assertEqual(st, 401)
        st, _, _ = self.raw("imds", "PUT", "/latest/api/token",
                            headers={"X-aws-ec2-metadata-token-ttl-seconds":
                                     "0"})
        self.assertEqual(st, 400)
        st, hd, tok = self.raw("imds", "PUT", "/latest/api/token",
                               headers={"X-aws-ec2-metadata-token-ttl-"
                                        "seconds": "60"})
        self.assertEqual(st, 200)
        self.assertEqual(hd["X-aws-ec2-metadata-token-ttl-seconds"], "60")
        st, _, role = self.raw("imds", "GET", p, headers={
            "X-aws-ec2-metadata-token": tok.decode()})
        self.assertEqual(role, b"emulator-instance-role")
        st, _, doc = self.raw("imds", "GET", p + "emulator-instance-role",
                              headers={"X-aws-ec2-metadata-token":
                                       tok.decode()})
        doc = json.loads(doc)
        self.assertEqual(doc["Code"], "Success")
        self.assertEqual(doc["Type"], "AWS-HMAC")
        self.assertRegex(doc["Expiration"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # rotation after expiry
        self.ctl("POST", "/_emu/credentials/expire", {"source": "imds"})
        fresh = fetcher.retrieve_iam_role_credentials()
        self.assertNotEqual(fresh["access_key"], creds["access_key"])
        with self.assertRaises(ClientError) as cm:
            sts.get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ExpiredToken")
        counters = self.ctl("GET", "/_emu/counters")["imds"]
        self.assertGreaterEqual(counters["token"], 3)

    def test_ecs(self):
        self.config(ecs={"auth_token": "Bearer-tok", "lifetime": 600})
        url = self.url("ecs") + "/v2/credentials/task-1"
        creds = ContainerMetadataFetcher().retrieve_full_uri(
            url, headers={"Authorization": "Bearer-tok"})
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))
        self.assertEqual(creds["RoleArn"],
                         "arn:aws:iam::123456789012:role/emulator-task-role")
        sts = self.client("sts", creds["AccessKeyId"],
                          creds["SecretAccessKey"], creds["Token"])
        c = self.assume(sts=sts)
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        st, _, _ = self.raw("ecs", "GET", "/v2/credentials/task-1")
        self.assertEqual(st, 401)
        st, _, _ = self.raw("ecs", "GET", "/v2/credentials/task-1",
                            headers={"Authorization": "nope"})
        self.assertEqual(st, 403)
        st, _, _ = self.raw("ecs", "GET", "/elsewhere",
                            headers={"Authorization": "Bearer-tok"})
        self.assertEqual(st, 404)
        self.config(ecs={"path": "/creds"})
        st, _, data = self.raw("ecs", "GET", "/creds")
        self.assertEqual(st, 200)
        doc = json.loads(data)
        self.assertEqual(list(doc), ["RoleArn", "AccessKeyId",
                                     "SecretAccessKey", "Token",
                                     "Expiration"])

    def test_web_identity(self):
        now = int(time.time())
        token = jwt.encode({"sub": "system:serviceaccount:ns:app",
                            "aud": "sts.amazonaws.com",
                            "iss": "https://oidc.example.com/id/ABC",
                            "iat": now, "exp": now + 600}, "k" * 32,
                           algorithm="HS256")
        sts = self.client("sts")
        r = sts.assume_role_with_web_identity(
            RoleArn=ROLE, RoleSessionName="app-session",
            WebIdentityToken=token, DurationSeconds=900)
        c = r["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertEqual(r["SubjectFromWebIdentityToken"],
                         "system:serviceaccount:ns:app")
        self.assertEqual(r["Audience"], "sts.amazonaws.com")
        self.assertEqual(r["Provider"], "oidc.example.com/id/ABC")
        rec = self.requests("sts")[-1]
        self.assertEqual(rec["action"], "AssumeRoleWithWebIdentity")
        self.assertIsNone(rec["signature_ok"])
        self.assertEqual(rec["web_identity_token"]["sub"],
                         "system:serviceaccount:ns:app")
        self.assertEqual(rec["web_identity_token"]["sha256"],
                         hashlib.sha256(token.encode()).hexdigest())
        self.assertNotIn("WebIdentityToken", rec["params"])
        everything = json.dumps(self.ctl("GET", "/_emu/requests"))
        self.assertNotIn(token, everything)
        self.assertNotIn(token.split(".")[2], everything)
        # its credentials work at the DynamoDB front
        self.ddb(c).list_tables()
        self.assertEqual(self.requests("dynamodb")[-1]["role_arn"], ROLE)
        # JSON answer shape
        body = urllib_form(Action="AssumeRoleWithWebIdentity",
                           Version="2011-06-15", RoleArn=ROLE,
                           RoleSessionName="s1", WebIdentityToken=token)
        st, _, data = self.raw("sts", "POST", "/", body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json"})
        self.assertEqual(st, 200)
        doc = json.loads(data)["AssumeRoleWithWebIdentityResponse"]
        self.assertIn("Credentials", doc["AssumeRoleWithWebIdentityResult"])
        # rotation checks
        self.config(web_identity={"reject_issued_before": now + 5})
        with self.assertRaises(ClientError) as cm:
            sts.assume_role_with_web_identity(
                RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=token)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidIdentityToken")
        newer = jwt.encode({"sub": "x", "iat": now + 10, "exp": now + 600},
                           "k" * 32, algorithm="HS256")
        self.config(web_identity={"expected_token": newer})
        with self.assertRaises(ClientError):
            sts.assume_role_with_web_identity(
                RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=token)
        sts.assume_role_with_web_identity(
            RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=newer)
        # expired, undecodable, verified with a key
        self.config(web_identity={})
        old = jwt.encode({"sub": "x", "iat": now - 900, "exp": now - 300},
                         "k" * 32, algorithm="HS256")
        with self.assertRaises(ClientError) as cm:
            sts.assume_role_with_web_identity(
                RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=old)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ExpiredTokenException")
        with self.assertRaises(ClientError) as cm:
            sts.assume_role_with_web_identity(
                RoleArn=ROLE, RoleSessionName="s1",
                WebIdentityToken="not-a-jwt")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidIdentityToken")
        self.config(web_identity={"verify_key": "k" * 32,
                                  "algorithms": ["HS256"],
                                  "audience": "sts.amazonaws.com"})
        sts.assume_role_with_web_identity(
            RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=token)
        self.config(web_identity={"verify_key": "j" * 32,
                                  "algorithms": ["HS256"]})
        with self.assertRaises(ClientError) as cm:
            sts.assume_role_with_web_identity(
                RoleArn=ROLE, RoleSessionName="s1", WebIdentityToken=token)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidIdentityToken")

    def test_faults_error_and_delay(self):
        self.fault(service="sts", mode="error", status=403,
                   code="AccessDenied", message="nope", count=1)
        with self.assertRaises(ClientError) as cm:
            self.assume()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "AccessDenied")
        self.assertEqual(cm.exception.response["Error"]["Message"], "nope")
        self.assume()   # count exhausted
        self.fault(service="sts", mode="error", status=500)
        for _ in range(2):
            with self.assertRaises(ClientError) as cm:
                self.assume()
            self.assertEqual(cm.exception.response["Error"]["Code"],
                             "InternalFailure")
            self.assertEqual(cm.exception.response["Error"]["Type"],
                             "Receiver")
        self.ctl("POST", "/_emu/faults/clear")
        # faults may target one role only
        self.fault(service="sts", mode="error", status=403,
                   code="ExpiredToken", role_arn=ROLE2)
        self.assume(ROLE)
        with self.assertRaises(ClientError) as cm:
            self.assume(ROLE2)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ExpiredToken")
        self.ctl("POST", "/_emu/faults/clear")
        self.fault(service="sts", mode="delay", ms=400, count=1)
        t0 = time.time()
        self.assume()
        self.assertGreaterEqual(time.time() - t0, 0.4)
        c = self.ctl("GET", "/_emu/counters")
        self.assertEqual(c["_faults"]["sts"]["error"], 4)
        self.assertEqual(c["_faults"]["sts"]["delay"], 1)
        self.assertEqual(self.requests("sts")[-1]["fault"], "delay")
        # DynamoDB front errors
        cr = self.assume()
        self.fault(service="dynamodb", mode="error", status=500, count=1)
        with self.assertRaises(ClientError) as cm:
            self.ddb(cr).list_tables()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InternalServerError")
        self.ddb(cr).list_tables()

    def test_faults_hang_and_close(self):
        self.fault(service="sts", mode="hang")
        sts = self.client("sts", read_timeout=1)
        t0 = time.time()
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            sts.get_caller_identity()
        self.assertGreaterEqual(time.time() - t0, 0.9)
        # a hung request does not block the others (the hang holds STS only)
        c = self.ctl("GET", "/_emu/counters", service="sts")
        self.assertEqual(c["sts"]["GetCallerIdentity"], 1)
        result = {}

        def hung():
            try:
                result["r"] = self.client("sts", read_timeout=10) \
                    .get_caller_identity()["Arn"]
            except Exception as e:  # noqa: BLE001
                result["e"] = e
        th = threading.Thread(target=hung)
        th.start()
        time.sleep(0.3)
        self.assertTrue(th.is_alive())
        self.ctl("POST", "/_emu/faults/clear")
        th.join(5)
        self.assertIn("r", result, result)
        recs = self.requests("sts")
        self.assertEqual(recs[-1]["hang"], "released")
        self.assertEqual(recs[0]["hang"], "closed")
        # close
        self.fault(service="sts", mode="close", count=1)
        with self.assertRaises((botocore.exceptions.ConnectionClosedError,
                                botocore.exceptions.EndpointConnectionError)):
            self.client("sts").get_caller_identity()
        self.client("sts").get_caller_identity()
        self.fault(service="sts", mode="hang", ms=300, count=1)
        with self.assertRaises((botocore.exceptions.ConnectionClosedError,
                                botocore.exceptions.EndpointConnectionError)):
            self.client("sts").get_caller_identity()

    def test_faults_malformed_oversized_empty(self):
        self.fault(service="sts", mode="malformed", count=1)
        st, hd, data = self.raw(
            "sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
            {"Content-Type": "application/x-www-form-urlencoded"},
            creds=(BASE_AK, BASE_SK))
        self.assertEqual(st, 200)
        self.assertFalse(data.rstrip().endswith(b"</GetCallerIdentity"
                                                b"Response>"))
        self.fault(service="sts", mode="malformed", count=1)
        with self.assertRaises(botocore.parsers.ResponseParserError):
            self.assume()
        self.fault(service="sts", mode="oversized", size=65536, count=1)
        t0 = time.time()
        c = self.assume()
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertLess(time.time() - t0, 2)
        self.assertGreaterEqual(self.requests("sts")[-1]["response_length"],
                                65536)
        self.fault(service="sts", mode="oversized", size=20000, pad="token",
                   count=1)
        c = self.assume()
        self.assertEqual(len(c["SessionToken"]), 20000)
        self.ddb(c).list_tables()
        self.fault(service="sts", mode="oversized", size=70000, count=1)
        st, _, data = self.raw(
            "sts", "POST", "/", urllib_form(
                Action="AssumeRole", Version="2011-06-15", RoleArn=ROLE,
                RoleSessionName="j"),
            {"Content-Type": "application/x-www-form-urlencoded",
             "Accept": "application/json"}, creds=(BASE_AK, BASE_SK))
        self.assertGreaterEqual(len(data), 70000)
        self.assertIn("Padding", json.loads(data))
        self.fault(service="sts", mode="empty", count=1)
        st, hd, data = self.raw(
            "sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
            {"Content-Type": "application/x-www-form-urlencoded"},
            creds=(BASE_AK, BASE_SK))
        self.assertEqual((st, data, hd["Content-Length"]), (200, b"", "0"))
        # DynamoDB: truncated JSON with a matching crc32
        cr = self.assume()
        self.fault(service="dynamodb", mode="malformed", count=1)
        st, hd, data = self.raw(
            "dynamodb", "POST", "/", b"{}",
            {"X-Amz-Target": "DynamoDB_20120810.ListTables",
             "Content-Type": "application/x-amz-json-1.0",
             "X-Amz-Security-Token": cr["SessionToken"]},
            creds=(cr["AccessKeyId"], cr["SecretAccessKey"],
                   cr["SessionToken"]))
        self.assertEqual(st, 200)
        self.assertEqual(int(hd["x-amz-crc32"]), zlib.crc32(data))
        self.assertRaises(ValueError, json.loads, data)
        # IMDS / ECS faults
        self.fault(service="ecs", mode="error", status=500, count=1)
        st, _, _ = self.raw("ecs", "GET", "/v2/credentials/x")
        self.assertEqual(st, 500)
        self.fault(service="imds", mode="malformed", action="token", count=1,
                   body="garbage")
        st, _, data = self.raw("imds", "PUT", "/latest/api/token", headers={
            "X-aws-ec2-metadata-token-ttl-seconds": "60"})
        self.assertEqual(data, b"garbage")
        faults = self.ctl("GET", "/_emu/faults")
        self.assertEqual(faults, [])

    def test_echo(self):
        st, hd, data = self.raw("echo", "POST", "/some/path?x=1",
                                b'{"hello":1}',
                                {"X-Custom-Header": "Value  With  Spaces",
                                 "cyral.token": "abc"})
        self.assertEqual(st, 200)
        self.assertEqual(data, b"{}")
        self.assertEqual(hd["x-amz-crc32"], str(zlib.crc32(b"{}")))
        self.assertEqual(hd["Content-Type"], "application/x-amz-json-1.0")
        rec = self.requests("echo")[-1]
        self.assertEqual(rec["method"], "POST")
        self.assertEqual(rec["path"], "/some/path")
        self.assertEqual(rec["query"], "x=1")
        self.assertIn(["X-Custom-Header", "Value  With  Spaces"],
                      rec["headers"])
        self.assertIn(["cyral.token", "abc"], rec["headers"])
        self.assertEqual(rec["body"], '{"hello":1}')
        # a generated 2 MB answer through boto3 (crc32 verified)
        self.config(echo={"generate": {"items": 1000, "item_size": 2000}})
        ddb = self.client("dynamodb", port="echo")
        r = ddb.scan(TableName="whatever")
        self.assertEqual(r["Count"], 1000)
        self.assertEqual(len(r["Items"][5]["data"]["S"]),
                         2000 - len('{"id":{"S":"item-00000005"},'
                                    '"data":{"S":""}}'))
        st, hd, data = self.raw("echo", "POST", "/", b"{}")
        self.assertGreater(len(data), 2000000)
        self.assertEqual(int(hd["x-amz-crc32"]), zlib.crc32(data))
        # chunked answer, explicit status / headers / body
        self.config(echo={"status": 400, "chunked": True,
                          "headers": {"X-Extra": "1"},
                          "body": {"__type": "com.amazonaws.dynamodb."
                                   "v20120810#ResourceNotFoundException",
                                   "message": "no table"}})
        with self.assertRaises(ClientError) as cm:
            ddb.describe_table(TableName="nothere")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ResourceNotFoundException")
        self.assertEqual(cm.exception.response["ResponseMetadata"][
            "HTTPHeaders"]["transfer-encoding"], "chunked")
        # a wrong crc32 is caught by botocore
        self.config(echo={"crc32": "wrong"})
        with self.assertRaises((botocore.exceptions.ChecksumError,
                                ClientError)):
            ddb.list_tables()
        # a sequence of answers, then the default
        self.config(echo={}, echo_sequence=[{"status": 503, "body": "busy"},
                                            {"body": '{"TableNames":["a"]}'}])
        self.assertEqual(self.raw("echo", "GET", "/")[0], 503)
        self.assertEqual(self.raw("echo", "GET", "/")[2],
                         b'{"TableNames":["a"]}')
        self.assertEqual(self.raw("echo", "GET", "/")[2], b"{}")

    def test_control_api(self):
        # keep-alive: one connection, several requests
        conn = http.client.HTTPConnection("127.0.0.1", self.port("echo"))
        for _ in range(3):
            conn.request("GET", "/ka")
            self.assertEqual(conn.getresponse().read(), b"{}")
        conn.close()
        c = self.ctl("GET", "/_emu/counters")
        self.assertEqual(c["echo"]["GET /ka"], 3)
        self.assertEqual(c["_requests"]["echo"], 3)
        self.assertGreaterEqual(c["_connections"]["echo"], 1)
        recs = self.requests("echo")
        since = self.requests("echo", since=recs[0]["seq"])
        self.assertEqual(len(since), 2)
        self.assertEqual(len(self.requests("echo", limit=1)), 1)
        # bad config is refused and reported
        conn = http.client.HTTPConnection("127.0.0.1", self.port("sts"))
        conn.request("POST", "/_emu/config", body=b'{"nope": 1}')
        resp = conn.getresponse()
        self.assertEqual(resp.status, 400)
        self.assertIn(b"unknown config key", resp.read())
        conn.request("POST", "/_emu/faults",
                     body=b'{"service": "sts", "mode": "explode"}')
        resp = conn.getresponse()
        self.assertEqual(resp.status, 400)
        resp.read()
        conn.close()
        # issue credentials directly, list them, reset
        cr = self.ctl("POST", "/_emu/credentials/issue",
                      {"role_arn": ROLE2, "lifetime": 60})
        self.ddb(cr).list_tables()
        self.assertEqual(self.requests("dynamodb")[-1]["role_arn"], ROLE2)
        listed = self.ctl("GET", "/_emu/credentials")
        self.assertEqual(listed[-1]["AccessKeyId"], cr["AccessKeyId"])
        self.config(sts_region="eu-central-1")
        self.ctl("POST", "/_emu/reset")
        self.assertEqual(self.ctl("GET", "/_emu/config")["sts_region"],
                         "eu-central-1")
        self.assertEqual(self.ctl("GET", "/_emu/credentials"), [])
        self.assertEqual(self.ctl("GET", "/_emu/counters"), {})
        with self.assertRaises(ClientError):
            self.ddb(cr).list_tables()
        self.client("sts", region="eu-central-1").get_caller_identity()
        self.ctl("POST", "/_emu/reset", {"config": True})
        self.assertEqual(self.ctl("GET", "/_emu/config")["sts_region"],
                         "us-east-1")


def urllib_form(**kw):
    import urllib.parse
    return urllib.parse.urlencode(kw).encode()


if __name__ == "__main__":
    unittest.main()
