#!/usr/bin/python3
# -*- coding: utf-8 -*-
#
# aws_emulator.py: the AWS test fixture of ngx_dynamo.
#
# Run it with Debian's /usr/bin/python3 (it needs python3-botocore):
#
#   /usr/bin/python3 t/lib/aws_emulator.py --base-port 19900 \
#       --dynalite node_modules/.bin/dynalite --pid-file /some/dir/emu.pid
#
# Listeners, all on 127.0.0.1, HTTP/1.1 with keep-alive:
#
#   base+0  STS (Query protocol, XML or JSON answers, SigV4 verified)
#   base+1  DynamoDB front: verifies SigV4, accepts only credentials this
#           emulator's STS issued, forwards to dynalite byte for byte;
#           answers itself the operations dynalite lacks (transactions,
#           PartiQL: see "DynamoDB operations dynalite lacks" below)
#   base+2  IMDSv2
#   base+3  ECS container credentials
#   base+4  echo: records requests, answers what it is told
#   base+5  dynalite (child process, started with --dynalite)
#
# Every listener also serves the control API under /_emu/ (JSON).
# Signatures are checked with botocore's SigV4Auth (the independent oracle).
# See the usage text (--help) and t/lib/test_emulator.py for examples.

import argparse
import base64
import calendar
import collections
import contextlib
import ctypes
import email.utils
import fnmatch
import hashlib
import hmac
import http
import http.client
import http.server
import json
import os
import re
import secrets
import select
import signal
import socket
import socketserver
import string
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape as xml_escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials


OFFSETS = {"sts": 0, "dynamodb": 1, "imds": 2, "ecs": 3, "echo": 4,
           "dynalite": 5}
SERVICES = ("sts", "dynamodb", "imds", "ecs", "echo")
FAULT_MODES = ("error", "delay", "hang", "close", "malformed", "oversized",
               "empty")
PRE_MODES = ("error", "delay", "hang", "close")

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
STS_VERSION = "2011-06-15"
DDB_CT = "application/x-amz-json-1.0"
DDB_NS = "com.amazonaws.dynamodb.v20120810#"
CORAL = "com.amazon.coral.service#"

SIG_MISMATCH_MSG = ("The request signature we calculated does not match the "
                    "signature you provided. Check your AWS Secret Access Key "
                    "and signing method. Consult the service documentation "
                    "for details.")
BAD_TOKEN_MSG = "The security token included in the request is invalid."
EXPIRED_MSG = "The security token included in the request is expired"
MISSING_MSG = "Request is missing Authentication Token"

ROLE_ARN_RE = re.compile(
    r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*"
    r"([\w+=,.@-]{1,64})$", re.ASCII)
SESSION_RE = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)
TAG_KEY_RE = re.compile(r"^[\w\s.:/=+@-]{1,128}$")
TAG_VALUE_RE = re.compile(r"^[\w\s.:/=+@-]{0,256}$")
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te",
              "upgrade", "proxy-connection", "proxy-authenticate",
              "proxy-authorization", "trailer"}

KEY_CHARS = string.ascii_uppercase + string.digits
SECRET_CHARS = string.ascii_letters + string.digits + "+/"
B64_CHARS = string.ascii_letters + string.digits + "+/"

DEFAULT_BASE_CREDENTIALS = [{
    "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}]


def default_echo():
    return {
        "status": 200,
        "reason": None,
        "headers": {},
        "content_type": DDB_CT,
        "body": "{}",
        "body_b64": None,
        "generate": None,
        "crc32": "auto",
        "chunked": False,
        "delay_ms": 0,
    }


SUBKEY_DEFAULTS = {
    "web_identity": lambda: {
        "expected_token": None,
        "expected_token_sha256": None,
        "reject_issued_before": None,
        "verify_key": None,
        "algorithms": ["RS256"],
        "audience": None,
        "issuer": None,
        "check_exp": True,
    },
    "imds": lambda: {
        "role_name": "emulator-instance-role",
        "role_arn": None,
        "lifetime": 21600,
        "allow_v1": False,
        "rotate": False,
        "instance_id": "i-0123456789abcdef0",
    },
    "ecs": lambda: {
        "path": "/v2/credentials/",
        "auth_token": None,
        "role_arn": "arn:aws:iam::123456789012:role/emulator-task-role",
        "lifetime": 21600,
        "rotate": False,
    },
    "echo": default_echo,
}


def default_config():
    cfg = {
        "base_credentials": [dict(c) for c in DEFAULT_BASE_CREDENTIALS],
        "account_id": "123456789012",
        "sts_region": "us-east-1",
        "dynamodb_region": "us-east-1",
        "sts_expected_host": None,
        "dynamodb_expected_host": None,
        "max_skew": 900,
        "clock_offset": 0,
        "credential_lifetime": None,
        "role_credential_lifetime": {},
        "max_session_duration": 43200,
        "role_max_session_duration": {},
        "chaining_sources": ["assume_role", "web_identity", "imds", "ecs"],
        "json_expiration": "sci",
        "xml_style": "pretty",
        "xml_expiration": "seconds",
        "session_token_length": 600,
        "secret_prefix": "",
        "denied_roles": [],
        "external_ids": {},
        "dynamodb_accept_sources": ["assume_role", "web_identity"],
        "record_limit": 10000,
        "record_body_max": 1048576,
        "echo_sequence": [],
    }
    for key, factory in SUBKEY_DEFAULTS.items():
        cfg[key] = factory()
    return cfg


CONFIG_CHOICES = {
    "json_expiration": ("sci", "epoch", "iso"),
    "xml_style": ("pretty", "compact"),
    "xml_expiration": ("seconds", "millis"),
}


class ControlError(Exception):
    pass


class BodyTooLarge(Exception):
    pass


# ---------------------------------------------------------------- helpers


def iso8601(epoch, millis=False):
    t = time.gmtime(int(epoch))
    s = time.strftime("%Y-%m-%dT%H:%M:%S", t)
    if millis:
        s += ".%03d" % int((epoch - int(epoch)) * 1000)
    return s + "Z"


def amz_date(epoch):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(epoch)))


def _timegm(value):
    return calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ"))


def java_double(n):
    """Epoch seconds the way STS's JSON writes them: 1.763892345E9."""
    n = int(n)
    if n <= 0:
        return "0.0"
    s = str(n)
    digits = s.rstrip("0")
    mant = digits[0] + "." + (digits[1:] or "0")
    return "%sE%d" % (mant, len(s) - 1)


def crc32(body):
    return zlib.crc32(body) & 0xffffffff


def rand_chars(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def stable_id(prefix, text, n=17):
    b32 = base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()
    return prefix + b32[:n]


def b64url_decode(part):
    part += "=" * (-len(part) % 4)
    return base64.urlsafe_b64decode(part.encode("ascii"))


def jwt_peek(token):
    """Decode a JWT without verifying it: (header, claims) or raises."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not three dot-separated parts")
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("header or payload is not a JSON object")
    return header, claims


def token_info(token):
    info = {"sha256": hashlib.sha256(token.encode()).hexdigest(),
            "length": len(token)}
    try:
        header, claims = jwt_peek(token)
    except Exception as e:  # noqa: BLE001 -- any decoding failure
        info["decode_error"] = str(e)[:200]
        return info, None, None
    for k in ("sub", "iat", "exp", "nbf", "iss", "aud", "azp", "jti",
              "clientId"):
        if k in claims:
            info[k] = claims[k]
    for k in ("kid", "alg", "typ"):
        if k in header:
            info[k] = header[k]
    return info, header, claims


def http_date():
    return email.utils.formatdate(usegmt=True)


def to_bytes(value):
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":")).encode()
    return str(value).encode("utf-8")


def body_for_record(body, limit):
    out = {"body_length": len(body),
           "body_sha256": hashlib.sha256(body).hexdigest()}
    if limit is None or limit < 0:
        limit = 0
    kept = body[:limit]
    if len(body) > limit:
        out["body_truncated"] = True
    if kept:
        try:
            out["body"] = kept.decode("utf-8")
        except UnicodeDecodeError:
            out["body_b64"] = base64.b64encode(kept).decode()
    elif not body:
        out["body"] = ""
    return out


class Answer:
    """One HTTP answer; kind tells the fault transformers what body it is."""

    def __init__(self, status, body=b"", headers=None, kind="text",
                 reason=None, chunked=False):
        self.status = status
        self.reason = reason
        self.body = to_bytes(body)
        self.headers = list(headers or [])
        self.kind = kind
        self.chunked = chunked
        self.crc = False
        self.close = False
        self.reset = False
        self.no_answer = False
        self.verbatim = False

    def header(self, name):
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    def set_header(self, name, value):
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]
        if value is not None:
            self.headers.append((name, str(value)))


# ----------------------------------------------------------- XML and JSON


def xml_render(root, items, pretty, attrs=""):
    out = []

    def emit(name, value, depth):
        pad = "  " * depth if pretty else ""
        nl = "\n" if pretty else ""
        if value is None:
            return
        if isinstance(value, list):
            out.append("%s<%s>%s" % (pad, name, nl))
            for n, v in value:
                emit(n, v, depth + 1)
            out.append("%s</%s>%s" % (pad, name, nl))
        else:
            out.append("%s<%s>%s</%s>%s" % (pad, name, xml_escape(str(value)),
                                            name, nl))

    nl = "\n" if pretty else ""
    out.append("<%s%s>%s" % (root, attrs, nl))
    for n, v in items:
        emit(n, v, 1)
    out.append("</%s>%s" % (root, nl))
    return "".join(out).encode()


class Expiration:
    def __init__(self, epoch):
        self.epoch = int(epoch)


def json_render(obj, form):
    """Serialise with Expiration markers replaced per the configured form."""
    marks = {}

    def conv(v):
        if isinstance(v, Expiration):
            mark = "@@EXP%d@@" % len(marks)
            if form == "epoch":
                marks[mark] = str(v.epoch)
            elif form == "iso":
                marks[mark] = json.dumps(iso8601(v.epoch))
            else:
                marks[mark] = java_double(v.epoch)
            return mark
        if isinstance(v, list):
            return {n: conv(x) for n, x in sorted(v, key=lambda p: p[0])}
        if isinstance(v, dict):
            return {n: conv(x) for n, x in v.items()}
        return v

    text = json.dumps(conv(obj), separators=(",", ":"))
    for mark, value in marks.items():
        text = text.replace('"%s"' % mark, value)
    return text.encode()


# ----------------------------------------------------------- SigV4 check


class ReceivedHeadersSigV4(SigV4Auth):
    """botocore's SigV4Auth, signing exactly the headers it is given.

    botocore's own headers_to_sign() never signs User-Agent or Expect (its
    signer never does), but AWS verifies whatever the client named in
    SignedHeaders; the request we build holds only those headers.
    """

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            header_map[name.lower()] = value
        return header_map


class Verdict:
    def __init__(self):
        self.ok = False
        self.kind = None
        self.message = None
        self.detail = None
        self.akid = None
        self.cred = None
        self.signed_headers = None
        self.scope = None
        self.canonical_request = None
        self.string_to_sign = None

    def fail(self, kind, message):
        self.ok = False
        self.kind = kind
        self.message = message
        return self


def parse_authorization(value):
    algo, _, rest = value.strip().partition(" ")
    parts = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        k, sep, v = item.partition("=")
        if not sep:
            continue
        parts[k.strip()] = v.strip()
    return algo, parts


def verify_sigv4(ctx, service, region, now, max_skew, lookup,
                 expected_host=None):
    """Check the request's SigV4 Authorization header with botocore."""
    v = Verdict()
    auth_values = ctx.headers.get_all("Authorization") or []
    if not auth_values:
        return v.fail("missing", MISSING_MSG)
    if len(auth_values) > 1:
        return v.fail("incomplete", "more than one Authorization header")
    algo, parts = parse_authorization(auth_values[0])
    if algo != "AWS4-HMAC-SHA256":
        return v.fail("incomplete",
                      "Unsupported AWS 'algorithm': '%s'" % algo[:40])
    missing = [p for p in ("Credential", "SignedHeaders", "Signature")
               if not parts.get(p)]
    if missing:
        return v.fail("incomplete", " ".join(
            "Authorization header requires '%s' parameter." % p
            for p in missing))
    cred = parts["Credential"].split("/")
    if len(cred) != 5:
        return v.fail("incomplete",
                      "Credential should have 5 parts: "
                      "AKID/date/region/service/aws4_request")
    akid, sdate, sregion, sservice, term = cred
    v.akid = akid
    v.scope = "/".join(cred[1:])
    signed = parts["SignedHeaders"].split(";")
    v.signed_headers = signed
    amzdate = ctx.headers.get("X-Amz-Date")
    if amzdate is None:
        return v.fail("incomplete",
                      "Authorization header requires existence of either a "
                      "'X-Amz-Date' or a 'Date' header.")
    amzdate = amzdate.strip()
    if not AMZ_DATE_RE.match(amzdate):
        return v.fail("incomplete",
                      "Date must be in ISO-8601 'basic format'. Got '%s'."
                      % amzdate[:40])
    if term != "aws4_request":
        return v.fail("signature",
                      "Credential should be scoped with a valid terminator: "
                      "'aws4_request', not '%s'." % term)
    if sservice != service:
        return v.fail("signature",
                      "Credential should be scoped to correct service: "
                      "'%s'. " % service)
    if sregion != region:
        return v.fail("signature",
                      "Credential should be scoped to a valid region, not "
                      "'%s'. " % sregion)
    if sdate != amzdate[:8]:
        return v.fail("signature",
                      "Date in Credential scope does not match YYYYMMDD from "
                      "ISO-8601 version of date from HTTP: '%s' != '%s', "
                      "from '%s'." % (sdate, amzdate[:8], amzdate))
    try:
        signed_at = _timegm(amzdate)
    except ValueError:
        return v.fail("incomplete", "invalid X-Amz-Date '%s'" % amzdate)
    if signed_at < now - max_skew:
        return v.fail("signature",
                      "Signature expired: %s is now earlier than %s (%s - "
                      "%d min.)" % (amzdate, amz_date(now - max_skew),
                                    amz_date(now), max_skew // 60))
    if signed_at > now + max_skew:
        return v.fail("signature",
                      "Signature not yet current: %s is still later than %s "
                      "(%s + %d min.)" % (amzdate, amz_date(now + max_skew),
                                          amz_date(now), max_skew // 60))
    lsigned = [h.lower() for h in signed]
    if "host" not in lsigned:
        return v.fail("signature",
                      "'Host' or ':authority' must be a 'SignedHeader' in "
                      "the AWS Authorization.")
    for name in lsigned:
        if not ctx.headers.get_all(name):
            return v.fail("signature",
                          "signed header '%s' is not in the request" % name)
    if expected_host and ctx.headers.get("Host") != expected_host:
        return v.fail("signature",
                      "Host '%s' is not the expected '%s' (emulator)"
                      % (ctx.headers.get("Host"), expected_host))
    token_values = ctx.headers.get_all("X-Amz-Security-Token") or []
    token = token_values[0] if token_values else None
    found, problem = lookup(akid, token)
    v.cred = found
    if problem == "unknown_key":
        v.detail = "unknown access key id %s" % akid
        return v.fail(problem, BAD_TOKEN_MSG)
    if problem == "bad_token":
        v.detail = ("X-Amz-Security-Token missing" if token is None else
                    "X-Amz-Security-Token does not match the key's token")
        return v.fail(problem, BAD_TOKEN_MSG)
    if problem == "expired":
        v.detail = "credentials of %s expired" % akid
        return v.fail("expired", EXPIRED_MSG)
    if problem:
        v.detail = problem
        return v.fail("unknown_key", BAD_TOKEN_MSG)
    declared = ctx.headers.get("X-Amz-Content-SHA256")
    if declared is not None and \
            declared.strip() != hashlib.sha256(ctx.body).hexdigest():
        return v.fail("signature", "x-amz-content-sha256 does not match "
                                   "the payload")

    hdrs = HTTPHeaders()
    for name in lsigned:
        for value in ctx.headers.get_all(name):
            hdrs[name] = value
    url = "http://%s%s" % (ctx.headers.get("Host") or "localhost", ctx.path)
    req = AWSRequest(method=ctx.method, url=url, headers=hdrs,
                     data=ctx.body)
    req.context["timestamp"] = amzdate
    signer = ReceivedHeadersSigV4(
        Credentials(akid, found["SecretAccessKey"], token), service, region)
    creq = signer.canonical_request(req)
    sts = signer.string_to_sign(req, creq)
    expected = signer.signature(sts, req)
    v.expected_authorization = (
        "AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s"
        % ("/".join(cred), ";".join(lsigned), expected))
    if not hmac.compare_digest(expected.encode(),
                               parts["Signature"].encode()):
        v.canonical_request = creq
        v.string_to_sign = sts
        msg = SIG_MISMATCH_MSG
        if ";".join(lsigned) != ";".join(sorted(set(lsigned))):
            msg += " (SignedHeaders is not sorted lower case)"
        return v.fail("signature", msg)
    v.ok = True
    return v


# ------------------------------------------------------------ the state


class Fault:
    _next = [1]

    def __init__(self, spec):
        self.spec = dict(spec)
        self.id = Fault._next[0]
        Fault._next[0] += 1
        self.mode = spec["mode"]
        self.service = spec["service"]
        self.remaining = spec.get("count")
        self.applied = 0
        self.released = threading.Event()

    def matches(self, service, action, path, role_arn):
        s = self.spec
        if self.service not in ("*", service):
            return False
        if s.get("action") is not None and s["action"] != action:
            return False
        if s.get("path") is not None and not path.startswith(s["path"]):
            return False
        if s.get("role_arn") is not None and s["role_arn"] != role_arn:
            return False
        return True

    def describe(self):
        d = dict(self.spec)
        d["id"] = self.id
        d["remaining"] = self.remaining
        d["applied"] = self.applied
        return d


def validate_fault(spec):
    if not isinstance(spec, dict):
        raise ControlError("a fault is a JSON object")
    if spec.get("service") not in SERVICES + ("jwks", "*"):
        raise ControlError("fault service must be one of %s, jwks or *"
                           % ", ".join(SERVICES))
    if spec.get("mode") not in FAULT_MODES:
        raise ControlError("fault mode must be one of %s"
                           % ", ".join(FAULT_MODES))
    count = spec.get("count")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ControlError("fault count must be a positive integer")
    return spec


class RequestCtx:
    def __init__(self, handler, body):
        self.h = handler
        self.method = handler.command
        self.path = handler.path
        split = urllib.parse.urlsplit(handler.path)
        self.url_path = split.path
        self.query = split.query
        self.headers = handler.headers
        self.body = body
        self.chunked = handler.req_chunked

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_list(self):
        return [[k, v] for k, v in self.headers.items()]


class Emulator:
    def __init__(self, base_port, dynalite_managed=False, log=None):
        self.base_port = base_port
        self.ports = {k: base_port + off for k, off in OFFSETS.items()}
        self.dynalite_managed = dynalite_managed
        self.dynalite_proc = None
        self.log = log
        self.lock = threading.RLock()
        self.config = default_config()
        self.records = collections.deque(maxlen=self.config["record_limit"])
        self.record_body_bytes = 0
        self.record_body_budget = 256 * 1048576
        self.seq = 0
        self.counters = {}
        self.faults = []
        self.creds = collections.OrderedDict()
        self.creds_cap = 100000
        self.imds_tokens = collections.OrderedDict()
        self.imds_current = None
        self.ecs_current = None
        self.echo_queue = collections.deque()
        self.jwks = {}
        self.gen_cache = {}
        self.stopping = threading.Event()
        self.started = time.time()
        self.backend = BackendPool("127.0.0.1", self.ports["dynalite"])
        self.txlock = TxLock()
        self.extras = DynamoExtras(self.backend, self.txlock)
        self.listening = set()

    # -- small things

    def now(self):
        return time.time() + float(self.config.get("clock_offset") or 0)

    def snapshot(self):
        with self.lock:
            return dict(self.config)

    def logline(self, text):
        if self.log is not None:
            try:
                self.log.write("%s %s\n" % (iso8601(time.time()), text))
                self.log.flush()
            except (OSError, ValueError):
                pass

    def count(self, section, service, name):
        with self.lock:
            if section:
                sec = self.counters.setdefault(section, {})
                svc = sec.setdefault(service, {})
                svc[name] = svc.get(name, 0) + 1
            else:
                svc = self.counters.setdefault(service, {})
                svc[name] = svc.get(name, 0) + 1

    def count_connection(self, service):
        with self.lock:
            sec = self.counters.setdefault("_connections", {})
            sec[service] = sec.get(service, 0) + 1

    # -- records

    def new_record(self, service, ctx, **fields):
        rec = {"service": service, "time": time.time(),
               "method": ctx.method, "path": ctx.url_path,
               "query": ctx.query, "headers": ctx.header_list(),
               "status": None, "fault": None}
        rec["iso_time"] = iso8601(rec["time"], millis=True)
        rec.update(fields)
        with self.lock:
            self.seq += 1
            rec["seq"] = self.seq
            if len(self.records) == self.records.maxlen:
                self._forget_body(self.records[0])
            self.records.append(rec)
            self.counters.setdefault("_requests", {})
            self.counters["_requests"][service] = \
                self.counters["_requests"].get(service, 0) + 1
        return rec

    def _forget_body(self, rec):
        n = rec.get("_body_bytes", 0)
        if n:
            self.record_body_bytes -= n
            rec.pop("body", None)
            rec.pop("body_b64", None)
            rec["_body_bytes"] = 0
            rec["body_dropped"] = True

    def attach_body(self, rec, body):
        limit = self.config.get("record_body_max", 1048576)
        part = body_for_record(body, limit)
        stored = len(part.get("body", "")) + len(part.get("body_b64", ""))
        with self.lock:
            rec.update(part)
            rec["_body_bytes"] = stored
            self.record_body_bytes += stored
            if self.record_body_bytes > self.record_body_budget:
                for old in self.records:
                    if self.record_body_bytes <= self.record_body_budget // 2:
                        break
                    if old is not rec:
                        self._forget_body(old)

    def update(self, rec, **fields):
        with self.lock:
            rec.update(fields)

    def finish(self, rec, answer, started):
        with self.lock:
            if answer is None or answer.no_answer:
                rec["status"] = None
                rec["answered"] = False
            else:
                rec["status"] = answer.status
                rec["answered"] = True
                rec["response_length"] = len(answer.body)
            rec["duration_ms"] = round((time.time() - started) * 1000, 3)
            code = rec.get("error_code")
            if code:
                sec = self.counters.setdefault("_errors", {})
                svc = sec.setdefault(rec["service"], {})
                svc[code] = svc.get(code, 0) + 1

    # -- faults

    def take_fault(self, service, action, path, role_arn=None):
        with self.lock:
            for f in self.faults:
                if f.matches(service, action, path, role_arn):
                    f.applied += 1
                    if f.remaining is not None:
                        f.remaining -= 1
                        if f.remaining <= 0:
                            self.faults.remove(f)
                    sec = self.counters.setdefault("_faults", {})
                    svc = sec.setdefault(service, {})
                    svc[f.mode] = svc.get(f.mode, 0) + 1
                    return f
        return None

    def clear_faults(self, service=None):
        with self.lock:
            keep, gone = [], []
            for f in self.faults:
                (gone if service in (None, f.service) else keep).append(f)
            self.faults = keep
        for f in gone:
            f.released.set()
        return len(gone)

    def sleep(self, ms):
        if ms and ms > 0:
            self.stopping.wait(ms / 1000.0)

    def hang(self, ctx, fault):
        """Hold the request: 'released' (cleared), 'closed' or 'timeout'."""
        sock = ctx.h.connection
        limit = fault.spec.get("ms")
        deadline = time.time() + limit / 1000.0 if limit else None
        while True:
            if fault.released.wait(0.05):
                return "released"
            if self.stopping.is_set():
                return "closed"
            if deadline is not None and time.time() >= deadline:
                return "timeout"
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    if not sock.recv(1, socket.MSG_PEEK):
                        return "closed"
                    time.sleep(0.05)
            except (OSError, ValueError):
                return "closed"

    def with_faults(self, ctx, rec, service, action, normal, error,
                    role_arn=None):
        """Run normal() under whatever fault matches this request."""
        fault = self.take_fault(service, action, ctx.url_path, role_arn)
        if fault is None:
            return normal()
        spec = fault.spec
        self.update(rec, fault=fault.mode, fault_id=fault.id,
                    _fault_spec=spec)
        self.sleep(spec.get("delay_ms", 0))
        mode = fault.mode
        if mode == "delay":
            self.sleep(spec.get("ms", spec.get("delay_ms", 1000)))
        elif mode == "hang":
            outcome = self.hang(ctx, fault)
            self.update(rec, hang=outcome)
            if outcome != "released":
                a = Answer(0)
                a.no_answer = True
                a.close = True
                return a
        elif mode == "close":
            a = Answer(0)
            a.no_answer = True
            a.close = True
            a.reset = bool(spec.get("reset"))
            return a
        elif mode == "error":
            a = error(spec)
            for k, v in (spec.get("headers") or {}).items():
                a.set_header(k, v)
            if spec.get("body") is not None:
                a.body = to_bytes(spec["body"])
                if a.crc:
                    a.set_header("x-amz-crc32", crc32(a.body))
            if spec.get("content_type"):
                a.set_header("Content-Type", spec["content_type"])
            return a
        answer = normal()
        if mode in ("malformed", "oversized", "empty") and \
                answer is not None and not answer.no_answer:
            transform_answer(answer, mode, spec)
        return answer

    # -- credentials

    def issue(self, source, role_arn, lifetime, session_name=None,
              token_length=None, **extra):
        cfg = self.config
        now = self.now()
        if token_length is None:
            token_length = int(cfg.get("session_token_length") or 600)
        prefix = "IQoJb3JpZ2luX2VjE"
        token_length = max(token_length, len(prefix) + 2)
        token = prefix + rand_chars(B64_CHARS, token_length - len(prefix)
                                    - 1) + "="
        m = ROLE_ARN_RE.match(role_arn or "")
        role_name = m.group(2) if m else "emulator-role"
        account = m.group(1) if m else cfg["account_id"]
        session_name = session_name or "emulator-session"
        role_id = stable_id("AROA", role_arn or role_name)
        cred = {
            "AccessKeyId": "ASIA" + rand_chars(KEY_CHARS, 16),
            "SecretAccessKey": (cfg.get("secret_prefix") or "")[:20]
                               + rand_chars(SECRET_CHARS, 40 - len(
                                   (cfg.get("secret_prefix") or "")[:20])),
            "SessionToken": token,
            "Expiration": int(now + lifetime),
            "IssuedAt": now,
            "source": source,
            "role_arn": role_arn,
            "session_name": session_name,
            "assumed_role_id": "%s:%s" % (role_id, session_name),
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (
                account, role_name, session_name),
            "account": account,
            "expired": False,
        }
        cred.update(extra)
        with self.lock:
            self.creds[cred["AccessKeyId"]] = cred
            while len(self.creds) > self.creds_cap:
                self.creds.popitem(last=False)
        return cred

    def cred_expired(self, cred):
        return cred.get("expired") or self.now() >= cred["Expiration"]

    def lookup_issued(self, akid, token, sources=None):
        with self.lock:
            cred = self.creds.get(akid)
        if cred is None:
            return None, "unknown_key"
        if sources is not None and cred["source"] not in sources:
            return None, ("credentials from %s are not accepted here"
                          % cred["source"])
        if token is None or not hmac.compare_digest(
                token.encode(), cred["SessionToken"].encode()):
            return None, "bad_token"
        if self.cred_expired(cred):
            return cred, "expired"
        return cred, None

    def lookup_sts(self, cfg):
        def lookup(akid, token):
            for bc in cfg["base_credentials"]:
                if bc.get("AccessKeyId") != akid:
                    continue
                want = bc.get("SessionToken") or None
                if not hmac.compare_digest((want or "").encode(),
                                           (token or "").encode()):
                    return None, "bad_token"
                arn = bc.get("Arn") or \
                    "arn:aws:iam::%s:user/emulator-gateway" % cfg["account_id"]
                found = {"AccessKeyId": akid,
                         "SecretAccessKey": bc.get("SecretAccessKey", ""),
                         "SessionToken": want, "source": "base",
                         "arn": arn, "account": cfg["account_id"],
                         "user_id": stable_id("AIDA", arn),
                         "chaining": bool(bc.get("Chained"))}
                if bc.get("Expired"):
                    return found, "expired"
                return found, None
            return self.lookup_issued(akid, token)
        return lookup

    def rotating(self, slot, source, conf, role_arn):
        """The current IMDS/ECS credentials; new ones when due."""
        lifetime = int(conf.get("lifetime") or 21600)
        with self.lock:
            cur = getattr(self, slot)
            if cur is not None and not conf.get("rotate") and \
                    not self.cred_expired(cur) and \
                    cur["Expiration"] - self.now() > min(300, lifetime / 4.0) \
                    and cur["role_arn"] == role_arn and \
                    cur["AccessKeyId"] in self.creds:
                return cur
            name = "i-0123456789abcdef0" if source == "imds" else \
                "emulator-task"
            cur = self.issue(source, role_arn, lifetime, session_name=name)
            setattr(self, slot, cur)
            return cur

    # -- configuration

    def set_config(self, update):
        if not isinstance(update, dict):
            raise ControlError("config must be a JSON object")
        defaults = default_config()
        new = {}
        for key, value in update.items():
            if key == "faults":
                continue
            if key not in defaults:
                raise ControlError("unknown config key '%s'" % key)
            if value is None and key not in ("credential_lifetime",
                                             "sts_expected_host",
                                             "dynamodb_expected_host"):
                value = defaults[key]
            if key in SUBKEY_DEFAULTS:
                if not isinstance(value, dict):
                    raise ControlError("config '%s' must be an object" % key)
                merged = SUBKEY_DEFAULTS[key]()
                for sk, sv in value.items():
                    if sk not in merged:
                        raise ControlError("unknown key '%s.%s'" % (key, sk))
                    if sv is not None or sk in ("body",):
                        merged[sk] = sv
                value = merged
            if key in CONFIG_CHOICES and value not in CONFIG_CHOICES[key]:
                raise ControlError("config '%s' must be one of %s"
                                   % (key, ", ".join(CONFIG_CHOICES[key])))
            if key == "base_credentials":
                if not isinstance(value, list) or not all(
                        isinstance(c, dict) and c.get("AccessKeyId")
                        and c.get("SecretAccessKey") for c in value):
                    raise ControlError("base_credentials is a list of "
                                       "{AccessKeyId, SecretAccessKey, "
                                       "SessionToken?}")
            if key == "echo_sequence":
                if not isinstance(value, list):
                    raise ControlError("echo_sequence must be a list")
                seq = []
                for item in value:
                    merged = default_echo()
                    for sk, sv in (item or {}).items():
                        if sk not in merged:
                            raise ControlError("unknown echo key '%s'" % sk)
                        merged[sk] = sv
                    seq.append(merged)
                value = seq
            new[key] = value
        faults = None
        if "faults" in update:
            faults = [Fault(validate_fault(f))
                      for f in (update["faults"] or [])]
        with self.lock:
            self.config.update(new)
            if "record_limit" in new:
                limit = max(1, int(new["record_limit"]))
                self.records = collections.deque(self.records, maxlen=limit)
            if "echo_sequence" in new:
                self.echo_queue = collections.deque(new["echo_sequence"])
        if faults is not None:
            self.clear_faults()
            with self.lock:
                self.faults = faults

    def reset(self, config=False):
        self.clear_faults()
        with self.lock:
            if config:
                self.config = default_config()
            self.records = collections.deque(
                maxlen=self.config["record_limit"])
            self.record_body_bytes = 0
            self.counters = {}
            self.creds.clear()
            self.imds_tokens.clear()
            self.imds_current = None
            self.ecs_current = None
            self.jwks.clear()
            self.echo_queue = collections.deque(
                self.config.get("echo_sequence") or [])

    # ------------------------------------------------------------- STS

    def sts_error(self, rec, as_json, status, code, message, etype=None):
        rid = str(uuid.uuid4())
        if etype is None:
            etype = "Receiver" if status >= 500 else "Sender"
        self.update(rec, error_code=code, reason=rec.get("reason") or message)
        if as_json:
            body = json.dumps({"Error": {"Code": code, "Message": message,
                                         "Type": etype},
                               "RequestId": rid},
                              separators=(",", ":")).encode()
            kind, ct = "json", "application/json"
        else:
            pretty = self.config.get("xml_style") != "compact"
            body = xml_render("ErrorResponse", [
                ("Error", [("Type", etype), ("Code", code),
                           ("Message", message)]),
                ("RequestId", rid)], pretty, ' xmlns="%s"' % STS_NS)
            kind, ct = "xml", "text/xml"
        return Answer(status, body, [("x-amzn-RequestId", rid),
                                     ("Content-Type", ct),
                                     ("Date", http_date())], kind=kind)

    def sts_ok(self, action, result, as_json):
        rid = str(uuid.uuid4())
        cfg = self.config
        if as_json:
            body = json_render({action + "Response": [
                (action + "Result", result),
                ("ResponseMetadata", [("RequestId", rid)])]},
                cfg.get("json_expiration", "sci"))
            kind, ct = "json", "application/json"
        else:
            millis = cfg.get("xml_expiration") == "millis"

            def xmlify(items):
                out = []
                for n, v in items:
                    if isinstance(v, Expiration):
                        v = iso8601(v.epoch, millis=millis)
                    elif isinstance(v, list):
                        v = xmlify(v)
                    out.append((n, v))
                return out
            pretty = cfg.get("xml_style") != "compact"
            items = xmlify(result)
            if not pretty:
                order = {"Credentials": 0}
                items.sort(key=lambda p: order.get(p[0], 1))
            body = xml_render(action + "Response", [
                (action + "Result", items),
                ("ResponseMetadata", [("RequestId", rid)])], pretty,
                ' xmlns="%s"' % STS_NS)
            kind, ct = "xml", "text/xml"
        return Answer(200, body, [("x-amzn-RequestId", rid),
                                  ("Content-Type", ct),
                                  ("Date", http_date())], kind=kind)

    def serve_sts(self, ctx):
        started = time.time()
        cfg = self.snapshot()
        params = {}
        query_pairs = urllib.parse.parse_qsl(ctx.query, keep_blank_values=True)
        body_pairs = []
        ct = (ctx.header("Content-Type") or "").lower()
        if ctx.body and (ctx.method == "POST" or "form" in ct):
            body_pairs = urllib.parse.parse_qsl(
                ctx.body.decode("utf-8", "replace"), keep_blank_values=True)
        for k, v in query_pairs + body_pairs:
            params[k] = v
        action = params.get("Action")
        as_json = "application/json" in (ctx.header("Accept") or "").lower()
        wit = params.pop("WebIdentityToken", None)
        rec_query = ctx.query
        if "WebIdentityToken" in dict(query_pairs):
            rec_query = urllib.parse.urlencode(
                [(k, "<redacted>" if k == "WebIdentityToken" else v)
                 for k, v in query_pairs])
        rec = self.new_record("sts", ctx, action=action, params=dict(params),
                              accept=ctx.header("Accept"), json=as_json,
                              body_length=len(ctx.body), query=rec_query,
                              signature_ok=None, reason=None,
                              access_key_id=None, signed_headers=None)
        winfo = wclaims = None
        if wit is not None:
            winfo, _, wclaims = token_info(wit)
            self.update(rec, web_identity_token=winfo)
        self.count(None, "sts", action or "(none)")

        verdict = None
        if action != "AssumeRoleWithWebIdentity" or \
                ctx.header("Authorization"):
            verdict = verify_sigv4(ctx, "sts", cfg["sts_region"], self.now(),
                                   int(cfg["max_skew"]),
                                   self.lookup_sts(cfg),
                                   cfg.get("sts_expected_host"))
            self.update(rec, signature_ok=verdict.ok,
                        reason=None if verdict.ok else
                        (verdict.detail or verdict.message),
                        access_key_id=verdict.akid,
                        signed_headers=verdict.signed_headers,
                        credential_scope=verdict.scope,
                        caller_source=(verdict.cred or {}).get("source"),
                        caller_arn=(verdict.cred or {}).get("arn"))
            if verdict.canonical_request is not None:
                self.update(
                    rec, expected_canonical_request=verdict.canonical_request,
                    expected_string_to_sign=verdict.string_to_sign)

        def error(spec):
            status = int(spec.get("status") or 500)
            code = spec.get("code") or ("InternalFailure" if status >= 500
                                        else "AccessDenied")
            msg = spec.get("message") or "fault injected by the emulator"
            return self.sts_error(rec, as_json, status, code, msg,
                                  spec.get("type"))

        def normal():
            if verdict is not None and not verdict.ok:
                code, status = {
                    "missing": ("MissingAuthenticationToken", 403),
                    "incomplete": ("IncompleteSignature", 400),
                    "unknown_key": ("InvalidClientTokenId", 403),
                    "bad_token": ("InvalidClientTokenId", 403),
                    "expired": ("ExpiredToken", 403),
                }.get(verdict.kind, ("SignatureDoesNotMatch", 403))
                return self.sts_error(rec, as_json, status, code,
                                      verdict.message)
            version = params.get("Version")
            if not action:
                return self.sts_error(rec, as_json, 400, "MissingAction",
                                      "Missing Action")
            if version != STS_VERSION:
                return self.sts_error(
                    rec, as_json, 400, "InvalidAction",
                    "Could not find operation %s for version %s"
                    % (action, version or "NO_VERSION_SPECIFIED"))
            caller = verdict.cred if verdict is not None else None
            if action == "AssumeRole":
                return self.sts_assume_role(rec, cfg, params, caller,
                                            as_json)
            if action == "AssumeRoleWithWebIdentity":
                return self.sts_web_identity(rec, cfg, params, wit, wclaims,
                                             as_json)
            if action == "GetCallerIdentity":
                return self.sts_ok("GetCallerIdentity", [
                    ("Arn", caller["arn"]),
                    ("UserId", caller.get("user_id")
                     or caller.get("assumed_role_id")),
                    ("Account", caller.get("account") or cfg["account_id"]),
                ], as_json)
            return self.sts_error(rec, as_json, 400, "InvalidAction",
                                  "Could not find operation %s for version "
                                  "%s" % (action, STS_VERSION))

        answer = self.with_faults(ctx, rec, "sts", action, normal, error,
                                  role_arn=params.get("RoleArn"))
        self.finish(rec, answer, started)
        return answer

    def sts_validate_common(self, params, errors, need_token=False):
        role_arn = params.get("RoleArn")
        if role_arn is None:
            errors.append("Value null at 'roleArn' failed to satisfy "
                          "constraint: Member must not be null")
        elif len(role_arn) < 20:
            errors.append("Value '%s' at 'roleArn' failed to satisfy "
                          "constraint: Member must have length greater than "
                          "or equal to 20" % role_arn)
        elif len(role_arn) > 2048 or not ROLE_ARN_RE.match(role_arn):
            errors.append("Value '%s' at 'roleArn' failed to satisfy "
                          "constraint: Member must be a valid IAM role ARN"
                          % role_arn[:2048])
        name = params.get("RoleSessionName")
        if name is None:
            errors.append("Value null at 'roleSessionName' failed to satisfy "
                          "constraint: Member must not be null")
        elif not SESSION_RE.match(name):
            if len(name) < 2 or len(name) > 64:
                errors.append("Value '%s' at 'roleSessionName' failed to "
                              "satisfy constraint: Member must have length "
                              "%s" % (name, "greater than or equal to 2"
                                      if len(name) < 2 else
                                      "less than or equal to 64"))
            else:
                errors.append("Value '%s' at 'roleSessionName' failed to "
                              "satisfy constraint: Member must satisfy "
                              "regular expression pattern: [\\w+=,.@-]*"
                              % name)
        duration = None
        raw = params.get("DurationSeconds")
        if raw is not None:
            try:
                duration = int(raw)
            except ValueError:
                errors.append("Value '%s' at 'durationSeconds' failed to "
                              "satisfy constraint: Member must be a number"
                              % raw)
            else:
                if duration < 900:
                    errors.append("Value '%d' at 'durationSeconds' failed to "
                                  "satisfy constraint: Member must have value "
                                  "greater than or equal to 900" % duration)
                elif duration > 43200:
                    errors.append("Value '%d' at 'durationSeconds' failed to "
                                  "satisfy constraint: Member must have value "
                                  "less than or equal to 43200" % duration)
        policy = params.get("Policy")
        if policy is not None:
            if len(policy) < 1 or len(policy) > 2048:
                errors.append("Value at 'policy' failed to satisfy "
                              "constraint: Member must have length less than "
                              "or equal to 2048")
        return role_arn, name, duration

    def validation_error(self, rec, as_json, errors):
        n = len(errors)
        msg = "%d validation error%s detected: %s" % (
            n, "" if n == 1 else "s", "; ".join(errors))
        return self.sts_error(rec, as_json, 400, "ValidationError", msg)

    def sts_session_extras(self, params, errors):
        """Tags, transitive keys, policy ARNs, packed size."""
        tags = []
        i = 1
        while "Tags.member.%d.Key" % i in params or \
                "Tags.member.%d.Value" % i in params:
            k = params.get("Tags.member.%d.Key" % i)
            val = params.get("Tags.member.%d.Value" % i, "")
            if k is None or not TAG_KEY_RE.match(k):
                errors.append("Value '%s' at 'tags.%d.member.key' failed to "
                              "satisfy constraint: Member must satisfy "
                              "regular expression pattern: "
                              "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+" % (k, i))
            if not TAG_VALUE_RE.match(val):
                errors.append("Value '%s' at 'tags.%d.member.value' failed "
                              "to satisfy constraint: Member must have "
                              "length less than or equal to 256" % (val, i))
            tags.append({"Key": k, "Value": val})
            i += 1
        if len(tags) > 50:
            errors.append("Value at 'tags' failed to satisfy constraint: "
                          "Member must have length less than or equal to 50")
        lower = [str(t["Key"]).lower() for t in tags]
        if len(set(lower)) != len(lower):
            errors.append("Duplicate tag keys found. Please note that Tag "
                          "keys are case insensitive.")
        transitive = []
        i = 1
        while "TransitiveTagKeys.member.%d" % i in params:
            transitive.append(params["TransitiveTagKeys.member.%d" % i])
            i += 1
        policy_arns = []
        i = 1
        while "PolicyArns.member.%d.arn" % i in params:
            policy_arns.append(params["PolicyArns.member.%d.arn" % i])
            i += 1
        if len(policy_arns) > 10:
            errors.append("Value at 'policyArns' failed to satisfy "
                          "constraint: Member must have length less than or "
                          "equal to 10")
        si = params.get("SourceIdentity")
        if si is not None and (not SESSION_RE.match(si) or
                               si.lower().startswith("aws:")):
            errors.append("Value '%s' at 'sourceIdentity' failed to satisfy "
                          "constraint: Member must satisfy regular "
                          "expression pattern: [\\w+=,.@-]*" % si)
        packed = None
        policy = params.get("Policy")
        if policy is not None or tags or policy_arns:
            size = len("".join((policy or "").split()))
            size += sum(len(str(t["Key"])) + len(t["Value"]) + 4
                        for t in tags)
            size += 60 * len(policy_arns)
            packed = max(1, -(-size * 100 // 2048))
        return tags, transitive, policy_arns, si, packed

    def role_checks(self, rec, cfg, role_arn, as_json, action, caller_arn,
                    external_id=None, check_external=False):
        if role_arn in (cfg.get("denied_roles") or []):
            if action == "AssumeRoleWithWebIdentity":
                msg = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
            else:
                msg = ("User: %s is not authorized to perform: sts:%s on "
                       "resource: %s" % (caller_arn, action, role_arn))
            return self.sts_error(rec, as_json, 403, "AccessDenied", msg)
        want = (cfg.get("external_ids") or {}).get(role_arn)
        if check_external and want is not None and \
                (external_id is None or not hmac.compare_digest(
                    want.encode(), external_id.encode())):
            return self.sts_error(
                rec, as_json, 403, "AccessDenied",
                "User: %s is not authorized to perform: sts:%s on resource: "
                "%s" % (caller_arn, action, role_arn))
        return None

    def lifetime_for(self, cfg, role_arn, duration):
        life = duration
        override = (cfg.get("role_credential_lifetime") or {}).get(role_arn)
        if override is None:
            override = cfg.get("credential_lifetime")
        if override is not None:
            life = min(life, int(override))
        return max(1, life)

    def sts_assume_role(self, rec, cfg, params, caller, as_json):
        errors = []
        role_arn, name, duration = self.sts_validate_common(params, errors)
        ext = params.get("ExternalId")
        if ext is not None and not EXTERNAL_ID_RE.match(ext):
            errors.append("Value '%s' at 'externalId' failed to satisfy "
                          "constraint: Member must satisfy regular expression "
                          "pattern: [\\w+=,.@:\\/-]*" % ext)
        tags, transitive, policy_arns, si, packed = \
            self.sts_session_extras(params, errors)
        if errors:
            return self.validation_error(rec, as_json, errors)
        policy = params.get("Policy")
        if policy is not None:
            try:
                json.loads(policy)
            except ValueError:
                return self.sts_error(rec, as_json, 400,
                                      "MalformedPolicyDocument",
                                      "The policy is not in the valid JSON "
                                      "format.")
        if packed is not None and packed > 100:
            return self.sts_error(rec, as_json, 400, "PackedPolicyTooLarge",
                                  "Serialized token too large for session")
        denied = self.role_checks(rec, cfg, role_arn, as_json, "AssumeRole",
                                  caller["arn"], ext, check_external=True)
        if denied is not None:
            return denied
        chaining = caller["source"] in (cfg.get("chaining_sources") or []) \
            or bool(caller.get("chaining"))
        if duration is None:
            duration = 3600
        if chaining and duration > 3600:
            return self.sts_error(
                rec, as_json, 400, "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session "
                "limit for roles assumed by role chaining.")
        role_max = (cfg.get("role_max_session_duration") or {}).get(
            role_arn, cfg.get("max_session_duration") or 43200)
        if duration > int(role_max):
            return self.sts_error(
                rec, as_json, 400, "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration "
                "set for this role.")
        life = self.lifetime_for(cfg, role_arn, duration)
        cred = self.issue("assume_role", role_arn, life, session_name=name,
                          token_length=self.pad_token_length(rec),
                          duration=duration, caller=caller["AccessKeyId"],
                          caller_arn=caller["arn"], chained=chaining,
                          external_id_given=ext is not None, tags=tags,
                          transitive_tag_keys=transitive,
                          policy_arns=policy_arns, source_identity=si,
                          policy=json.loads(policy) if policy else None)
        self.update(rec, issued_access_key_id=cred["AccessKeyId"],
                    role_arn=role_arn, duration=duration,
                    expiration=cred["Expiration"], chained=chaining)
        result = [
            ("AssumedRoleUser", [("AssumedRoleId", cred["assumed_role_id"]),
                                 ("Arn", cred["arn"])]),
            ("Credentials", [("AccessKeyId", cred["AccessKeyId"]),
                             ("SecretAccessKey", cred["SecretAccessKey"]),
                             ("SessionToken", cred["SessionToken"]),
                             ("Expiration", Expiration(cred["Expiration"]))]),
            ("PackedPolicySize", packed),
            ("SourceIdentity", si),
        ]
        return self.sts_ok("AssumeRole", result, as_json)

    def pad_token_length(self, rec):
        """An 'oversized' fault with pad=token grows the session token."""
        if rec.get("fault") != "oversized":
            return None
        spec = rec.get("_fault_spec")
        return spec.get("size", 65536) if spec and \
            spec.get("pad") == "token" else None

    def sts_web_identity(self, rec, cfg, params, token, claims, as_json):
        errors = []
        role_arn, name, duration = self.sts_validate_common(params, errors)
        if token is None:
            errors.append("Value null at 'webIdentityToken' failed to "
                          "satisfy constraint: Member must not be null")
        elif len(token) < 4 or len(token) > 20000:
            errors.append("Value at 'webIdentityToken' failed to satisfy "
                          "constraint: Member must have length %s"
                          % ("greater than or equal to 4" if len(token) < 4
                             else "less than or equal to 20000"))
        _, _, _, si, packed = self.sts_session_extras(params, errors)
        if errors:
            return self.validation_error(rec, as_json, errors)
        wi = cfg.get("web_identity") or {}
        if claims is None:
            return self.sts_error(rec, as_json, 400, "InvalidIdentityToken",
                                  "The ID Token provided is not a valid JWT. "
                                  "(You may see this error if you sent an "
                                  "Access Token)")
        now = self.now()
        digest = hashlib.sha256(token.encode()).hexdigest()
        if wi.get("expected_token") is not None and not hmac.compare_digest(
                wi["expected_token"].encode(), token.encode()):
            return self.sts_error(rec, as_json, 400, "InvalidIdentityToken",
                                  "The web identity token is not the "
                                  "expected one (emulator)")
        if wi.get("expected_token_sha256") is not None and \
                wi["expected_token_sha256"] != digest:
            return self.sts_error(rec, as_json, 400, "InvalidIdentityToken",
                                  "The web identity token is not the "
                                  "expected one (emulator)")
        rib = wi.get("reject_issued_before")
        if rib is not None:
            iat = claims.get("iat")
            if not isinstance(iat, (int, float)) or iat < float(rib):
                return self.sts_error(
                    rec, as_json, 400, "InvalidIdentityToken",
                    "The web identity token was issued at %s, before %s "
                    "(emulator)" % (iat, rib))
        if wi.get("verify_key"):
            import jwt as pyjwt
            try:
                pyjwt.decode(token, wi["verify_key"],
                             algorithms=wi.get("algorithms") or ["RS256"],
                             audience=wi.get("audience"),
                             issuer=wi.get("issuer"),
                             options={"verify_aud": bool(wi.get("audience")),
                                      "verify_exp": bool(wi.get("check_exp"))})
            except pyjwt.ExpiredSignatureError:
                return self.sts_error(rec, as_json, 400,
                                      "ExpiredTokenException",
                                      "Token expired: current date/time %s "
                                      "must be before the expiration date/"
                                      "time %s" % (iso8601(now),
                                                   claims.get("exp")))
            except pyjwt.InvalidAudienceError:
                return self.sts_error(rec, as_json, 400,
                                      "InvalidIdentityToken",
                                      "Incorrect token audience")
            except pyjwt.PyJWTError as e:
                return self.sts_error(rec, as_json, 400,
                                      "InvalidIdentityToken",
                                      "The token could not be validated: %s"
                                      % type(e).__name__)
        else:
            exp = claims.get("exp")
            if wi.get("check_exp", True) and isinstance(exp, (int, float)) \
                    and exp <= now:
                return self.sts_error(rec, as_json, 400,
                                      "ExpiredTokenException",
                                      "Token expired: current date/time %s "
                                      "must be before the expiration date/"
                                      "time %s" % (iso8601(now),
                                                   iso8601(exp)))
            if wi.get("audience") is not None:
                aud = claims.get("aud")
                auds = aud if isinstance(aud, list) else [aud]
                if wi["audience"] not in auds:
                    return self.sts_error(rec, as_json, 400,
                                          "InvalidIdentityToken",
                                          "Incorrect token audience")
            if wi.get("issuer") is not None and \
                    claims.get("iss") != wi["issuer"]:
                return self.sts_error(rec, as_json, 400,
                                      "InvalidIdentityToken",
                                      "Incorrect token issuer")
        denied = self.role_checks(rec, cfg, role_arn, as_json,
                                  "AssumeRoleWithWebIdentity", None)
        if denied is not None:
            return denied
        if duration is None:
            duration = 3600
        role_max = (cfg.get("role_max_session_duration") or {}).get(
            role_arn, cfg.get("max_session_duration") or 43200)
        if duration > int(role_max):
            return self.sts_error(
                rec, as_json, 400, "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration "
                "set for this role.")
        life = self.lifetime_for(cfg, role_arn, duration)
        aud = claims.get("aud")
        if isinstance(aud, list):
            aud = aud[0] if aud else None
        aud = aud or claims.get("azp")
        provider = str(claims.get("iss") or "")
        provider = re.sub(r"^https?://", "", provider) or None
        cred = self.issue("web_identity", role_arn, life, session_name=name,
                          token_length=self.pad_token_length(rec),
                          duration=duration,
                          web_identity_sub=claims.get("sub"),
                          web_identity_sha256=digest, source_identity=si)
        self.update(rec, issued_access_key_id=cred["AccessKeyId"],
                    role_arn=role_arn, duration=duration,
                    expiration=cred["Expiration"])
        result = [
            ("SubjectFromWebIdentityToken", claims.get("sub")),
            ("Audience", aud),
            ("AssumedRoleUser", [("AssumedRoleId", cred["assumed_role_id"]),
                                 ("Arn", cred["arn"])]),
            ("Credentials", [("AccessKeyId", cred["AccessKeyId"]),
                             ("SecretAccessKey", cred["SecretAccessKey"]),
                             ("SessionToken", cred["SessionToken"]),
                             ("Expiration", Expiration(cred["Expiration"]))]),
            ("PackedPolicySize", packed),
            ("SourceIdentity", si),
            ("Provider", provider),
        ]
        return self.sts_ok("AssumeRoleWithWebIdentity", result, as_json)

    # -------------------------------------------------------- DynamoDB

    def ddb_error(self, rec, status, etype, message, extra=None):
        if "#" not in etype:
            etype = DDB_NS + etype
        short = etype.split("#", 1)[1]
        self.update(rec, error_code=short,
                    reason=rec.get("reason") or message)
        doc = {"__type": etype, "message": message}
        if extra:
            # TransactionCanceledException: CancellationReasons, "Message"
            doc = dict({"__type": etype}, **extra)
            doc["Message"] = message
        return self.ddb_json(status, doc, ascii_only=True)

    def ddb_json(self, status, doc, ascii_only=False):
        """A DynamoDB JSON answer (UTF-8 unescaped, as dynalite writes)."""
        body = json.dumps(doc, separators=(",", ":"),
                          ensure_ascii=ascii_only).encode()
        a = Answer(status, body, [
            ("x-amzn-RequestId", rand_chars(KEY_CHARS, 52)),
            ("x-amz-crc32", str(crc32(body))),
            ("Content-Type", DDB_CT),
            ("Date", http_date())], kind="json")
        a.crc = True
        return a

    def serve_dynamodb(self, ctx):
        started = time.time()
        cfg = self.snapshot()
        target = ctx.header("X-Amz-Target")
        op = target.split(".", 1)[1] if target and "." in target else target
        if ctx.method == "GET" and ctx.url_path == "/" and \
                not ctx.header("Authorization"):
            return Answer(200, "healthy: dynamodb.%s.amazonaws.com "
                          % cfg["dynamodb_region"],
                          [("Content-Type", "text/plain")])
        rec = self.new_record("dynamodb", ctx, target=target, operation=op,
                              signature_ok=None, reason=None,
                              access_key_id=None, role_arn=None,
                              signed_headers=None, chunked=ctx.chunked)
        self.attach_body(rec, ctx.body)
        tables = []
        if ctx.body and len(ctx.body) <= 16 * 1048576:
            try:
                doc = json.loads(ctx.body)
                if isinstance(doc, dict):
                    if isinstance(doc.get("TableName"), str):
                        tables.append(doc["TableName"])
                    if isinstance(doc.get("RequestItems"), dict):
                        tables.extend(sorted(doc["RequestItems"]))
                    tables.extend(emulated_tables(doc))
            except ValueError:
                pass
        self.update(rec, tables=tables)
        self.count(None, "dynamodb", op or "(none)")
        sources = cfg.get("dynamodb_accept_sources") or []
        verdict = verify_sigv4(
            ctx, "dynamodb", cfg["dynamodb_region"], self.now(),
            int(cfg["max_skew"]),
            lambda akid, token: self.lookup_issued(akid, token, sources),
            cfg.get("dynamodb_expected_host"))
        cred = verdict.cred or {}
        self.update(rec, signature_ok=verdict.ok,
                    reason=None if verdict.ok else
                    (verdict.detail or verdict.message),
                    access_key_id=verdict.akid,
                    role_arn=cred.get("role_arn"),
                    credential_source=cred.get("source"),
                    signed_headers=verdict.signed_headers,
                    credential_scope=verdict.scope,
                    security_token_present=bool(
                        ctx.header("X-Amz-Security-Token")))
        if verdict.canonical_request is not None:
            self.update(rec,
                        expected_canonical_request=verdict.canonical_request,
                        expected_string_to_sign=verdict.string_to_sign)

        def error(spec):
            status = int(spec.get("status") or 500)
            code = spec.get("code") or ("InternalServerError"
                                        if status >= 500 else
                                        CORAL + "AccessDeniedException")
            return self.ddb_error(rec, status, code, spec.get("message") or
                                  "fault injected by the emulator")

        def normal():
            if not verdict.ok:
                etype = {
                    "missing": "MissingAuthenticationTokenException",
                    "incomplete": "IncompleteSignatureException",
                    "unknown_key": "UnrecognizedClientException",
                    "bad_token": "UnrecognizedClientException",
                    "expired": "ExpiredTokenException",
                }.get(verdict.kind, "InvalidSignatureException")
                return self.ddb_error(rec, 400, CORAL + etype,
                                      verdict.message)
            if cred.get("policy") is not None:
                denied = self.session_policy_denies(ctx, cfg, cred, op)
                if denied:
                    self.update(rec, session_policy_denied=True)
                    return self.ddb_error(rec, 400,
                                          CORAL + "AccessDeniedException",
                                          denied)
            if target and target.split(".", 1)[0] == "DynamoDB_20120810" \
                    and op in EMULATED_OPS:
                return self.emulate(ctx, rec, op)
            return self.forward(ctx, rec)

        answer = self.with_faults(ctx, rec, "dynamodb", op, normal, error)
        self.finish(rec, answer, started)
        return answer

    # -- session policies (AssumeRole's Policy), as far as tests need:
    # Allow and Deny statements, Action and Resource with wildcards, and
    # the condition ForAllValues:StringEquals on dynamodb:LeadingKeys (any
    # other condition is not met); the leading keys of GetItem, PutItem,
    # UpdateItem, DeleteItem, Query, BatchGetItem and BatchWriteItem

    def key_schema_hash(self, ctx, table):
        """The table's partition key name, asked of the backend."""
        headers = [(k, v) for k, v in ctx.headers.items()
                   if k.lower() not in HOP_BY_HOP and k.lower() not in (
                       "content-length", "x-amz-security-token",
                       "x-amz-target")]
        body = json.dumps({"TableName": table}).encode()
        headers += [("X-Amz-Target", "DynamoDB_20120810.DescribeTable"),
                    ("Content-Length", str(len(body)))]
        try:
            with self.txlock.shared():
                status, _, _, data = self.backend.request(
                    "POST", "/", headers, body)
            if status != 200:
                return None
            for k in json.loads(data)["Table"]["KeySchema"]:
                if k["KeyType"] == "HASH":
                    return k["AttributeName"]
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            pass
        return None

    @staticmethod
    def attr_text(value):
        if isinstance(value, dict) and len(value) == 1:
            return str(next(iter(value.values())))
        return json.dumps(value, sort_keys=True)

    def leading_keys(self, ctx, op, doc):
        """{table: [partition key values]} of the request."""
        out = {}
        names = {}

        def hash_of(table):
            if table not in names:
                names[table] = self.key_schema_hash(ctx, table)
            return names[table]

        def add(table, item):
            h = hash_of(table)
            if isinstance(item, dict) and h in item:
                out.setdefault(table, []).append(self.attr_text(item[h]))

        table = doc.get("TableName")
        if op in ("GetItem", "UpdateItem", "DeleteItem"):
            add(table, doc.get("Key"))
        elif op == "PutItem":
            add(table, doc.get("Item"))
        elif op == "Query":
            h = hash_of(table)
            kc = doc.get("KeyConditions") or {}
            if h in kc:
                for v in kc[h].get("AttributeValueList") or []:
                    out.setdefault(table, []).append(self.attr_text(v))
            expr = doc.get("KeyConditionExpression") or ""
            ean = doc.get("ExpressionAttributeNames") or {}
            eav = doc.get("ExpressionAttributeValues") or {}
            for name, value in re.findall(
                    r"([#\w]+)\s*=\s*(:\w+)", expr):
                if ean.get(name, name) == h and value in eav:
                    out.setdefault(table, []).append(
                        self.attr_text(eav[value]))
        elif op == "BatchGetItem":
            for t, spec in (doc.get("RequestItems") or {}).items():
                for k in (spec or {}).get("Keys") or []:
                    add(t, k)
        elif op == "BatchWriteItem":
            for t, reqs in (doc.get("RequestItems") or {}).items():
                for r in reqs or []:
                    add(t, (r.get("PutRequest") or {}).get("Item"))
                    add(t, (r.get("DeleteRequest") or {}).get("Key"))
        return out

    @staticmethod
    def statement_matches(st, action, resource, keys):
        def listed(v):
            return v if isinstance(v, list) else [v]
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower())
                   for a in listed(st.get("Action") or [])):
            return False
        if not any(fnmatch.fnmatchcase(resource, r)
                   for r in listed(st.get("Resource") or [])):
            return False
        for cond, kv in (st.get("Condition") or {}).items():
            for key, want in kv.items():
                if cond != "ForAllValues:StringEquals" or \
                        key != "dynamodb:LeadingKeys":
                    return False
                if not all(k in listed(want) for k in keys):
                    return False
        return True

    def session_policy_denies(self, ctx, cfg, cred, op):
        """DynamoDB's refusal, or None when the session policy allows."""
        try:
            doc = json.loads(ctx.body) if ctx.body else {}
        except ValueError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        action = "dynamodb:%s" % op
        tables = self.leading_keys(ctx, op, doc)
        for t in ([doc["TableName"]] if isinstance(doc.get("TableName"), str)
                  else []) + sorted(doc.get("RequestItems") or {}):
            tables.setdefault(t, [])
        if not tables:
            tables[""] = []
        policy = cred["policy"]
        stmts = policy.get("Statement") or []
        if isinstance(stmts, dict):
            stmts = [stmts]
        for table, keys in sorted(tables.items()):
            resource = "arn:aws:dynamodb:%s:%s:table/%s" % (
                cfg["dynamodb_region"], cred["account"], table)
            allow = any(st.get("Effect") == "Allow" and
                        self.statement_matches(st, action, resource, keys)
                        for st in stmts)
            deny = any(st.get("Effect") == "Deny" and
                       self.statement_matches(st, action, resource, keys)
                       for st in stmts)
            if deny or not allow:
                return ("User: %s is not authorized to perform: %s on "
                        "resource: %s because no session policy allows the "
                        "%s action" % (cred["arn"], action, resource,
                                       action))
        return None

    def forward(self, ctx, rec):
        headers = []
        for k, v in ctx.headers.items():
            # the token is verified already; dynalite does not need it (and
            # node refuses header blocks over its limit)
            if k.lower() in HOP_BY_HOP or k.lower() in (
                    "content-length", "x-amz-security-token"):
                continue
            headers.append((k, v))
        headers.append(("Content-Length", str(len(ctx.body))))
        try:
            with self.txlock.shared():
                status, reason, rheaders, body = self.backend.request(
                    ctx.method, ctx.path, headers, ctx.body)
        except (OSError, http.client.HTTPException) as e:
            return self.ddb_error(rec, 500, "InternalServerError",
                                  "emulator: the DynamoDB backend is "
                                  "unreachable: %s" % type(e).__name__)
        self.update(rec, upstream_status=status)
        out = [(k, v) for k, v in rheaders
               if k.lower() not in HOP_BY_HOP and
               k.lower() != "content-length"]
        a = Answer(status, body, out, kind="json", reason=reason)
        a.crc = any(k.lower() == "x-amz-crc32" for k, _ in out)
        a.verbatim = True
        if status >= 400:
            try:
                doc = json.loads(body)
                t = doc.get("__type", "")
                self.update(rec, error_code=t.split("#")[-1] or None)
            except (ValueError, AttributeError):
                pass
        return a

    def emulate(self, ctx, rec, op):
        """Answer an operation dynalite lacks (see DynamoExtras)."""
        ctr = {}
        try:
            try:
                doc = json.loads(ctx.body) if ctx.body else {}
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise DdbFail(CORAL + "SerializationException",
                              "the request body is not a JSON object")
            handler = {
                "TransactWriteItems": self.extras.transact_write_items,
                "TransactGetItems": self.extras.transact_get_items,
                "ExecuteStatement": self.extras.execute_statement,
                "BatchExecuteStatement": self.extras.batch_execute_statement,
                "ExecuteTransaction": self.extras.execute_transaction,
            }[op]
            answer = self.ddb_json(200, handler(doc, ctr))
        except DdbFail as e:
            answer = self.ddb_error(rec, e.status, e.etype, e.message,
                                    e.extra)
            reasons = e.extra.get("CancellationReasons")
            if reasons:
                self.update(rec, cancellation_reasons=[r["Code"]
                                                       for r in reasons])
        self.update(rec, emulated=True, backend_ops=ctr.get("ops", []),
                    restore_failed=ctr.get("restore_failed", False))
        self.count("_emulated", "dynamodb", op)
        return answer

    # -------------------------------------------------------------- IMDS

    def serve_imds(self, ctx):
        started = time.time()
        cfg = self.snapshot()
        conf = cfg["imds"]
        path = ctx.url_path
        cpath = "/latest/meta-data/iam/security-credentials"
        if ctx.method == "PUT" and path == "/latest/api/token":
            action = "token"
        elif path.rstrip("/") == cpath:
            action = "role-list"
        elif path.startswith(cpath + "/"):
            action = "credentials"
        else:
            action = "metadata"
        rec = self.new_record("imds", ctx, action=action)
        self.count(None, "imds", action)

        def text(status, body, extra=None):
            self.update(rec, error_code=None if status < 400 else str(status))
            return Answer(status, body, [("Content-Type", "text/plain")] +
                          (extra or []))

        def error(spec):
            return text(int(spec.get("status") or 500),
                        spec.get("message") or "Internal Server Error")

        def normal():
            now = self.now()
            if action == "token":
                if ctx.header("X-Forwarded-For"):
                    return text(403, "Forbidden")
                ttl = ctx.header("X-aws-ec2-metadata-token-ttl-seconds")
                try:
                    ttl = int(ttl)
                except (TypeError, ValueError):
                    return text(400, "Bad Request")
                if ttl < 1 or ttl > 21600:
                    return text(400, "Bad Request")
                tok = "AQAEA" + secrets.token_urlsafe(42)
                with self.lock:
                    self.imds_tokens[tok] = now + ttl
                    while len(self.imds_tokens) > 10000:
                        self.imds_tokens.popitem(last=False)
                self.update(rec, token_ttl=ttl)
                return text(200, tok, [("X-aws-ec2-metadata-token-ttl-seconds",
                                        str(ttl))])
            if ctx.method not in ("GET", "HEAD"):
                return text(405, "Method Not Allowed")
            tok = ctx.header("X-aws-ec2-metadata-token")
            if tok is None:
                if not conf.get("allow_v1"):
                    return text(401, "Unauthorized")
                self.update(rec, imds_v1=True)
            else:
                with self.lock:
                    exp = self.imds_tokens.get(tok)
                if exp is None or exp <= now:
                    return text(401, "Unauthorized")
            role = conf["role_name"]
            role_arn = conf.get("role_arn") or \
                "arn:aws:iam::%s:role/%s" % (cfg["account_id"], role)
            if action == "role-list":
                return text(200, role)
            if action == "credentials":
                want = path[len(cpath) + 1:].rstrip("/")
                if want != role:
                    return text(404, "Not Found")
                cred = self.rotating("imds_current", "imds", conf, role_arn)
                self.update(rec, issued_access_key_id=cred["AccessKeyId"],
                            role_arn=role_arn)
                doc = collections.OrderedDict([
                    ("Code", "Success"),
                    ("LastUpdated", iso8601(cred["IssuedAt"])),
                    ("Type", "AWS-HMAC"),
                    ("AccessKeyId", cred["AccessKeyId"]),
                    ("SecretAccessKey", cred["SecretAccessKey"]),
                    ("Token", cred["SessionToken"]),
                    ("Expiration", iso8601(cred["Expiration"]))])
                a = text(200, json.dumps(doc, indent=2,
                                         separators=(",", " : ")))
                a.kind = "json"
                return a
            if path == "/latest/meta-data/iam/info":
                doc = {"Code": "Success",
                       "LastUpdated": iso8601(now),
                       "InstanceProfileArn": "arn:aws:iam::%s:instance-"
                       "profile/%s" % (cfg["account_id"], role),
                       "InstanceProfileId": stable_id("AIPA", role)}
                return text(200, json.dumps(doc, indent=2,
                                            separators=(",", " : ")))
            if path == "/latest/meta-data/placement/region":
                return text(200, cfg["sts_region"])
            if path == "/latest/meta-data/instance-id":
                return text(200, conf["instance_id"])
            if path == "/latest/dynamic/instance-identity/document":
                doc = {"accountId": cfg["account_id"],
                       "instanceId": conf["instance_id"],
                       "region": cfg["sts_region"],
                       "availabilityZone": cfg["sts_region"] + "a"}
                return text(200, json.dumps(doc, indent=2,
                                            separators=(",", " : ")))
            return text(404, "Not Found")

        answer = self.with_faults(ctx, rec, "imds", action, normal, error)
        self.finish(rec, answer, started)
        return answer

    # --------------------------------------------------------------- ECS

    def serve_ecs(self, ctx):
        started = time.time()
        cfg = self.snapshot()
        conf = cfg["ecs"]
        want = conf.get("path") or "/v2/credentials/"
        path = ctx.url_path
        matched = path.startswith(want) if want.endswith("/") else \
            path == want
        action = "credentials" if matched else "other"
        rec = self.new_record("ecs", ctx, action=action)
        self.count(None, "ecs", action)

        def js(status, doc):
            if status >= 400:
                self.update(rec, error_code=doc.get("code"))
            return Answer(status, json.dumps(doc), [
                ("Content-Type", "application/json")], kind="json")

        def error(spec):
            return js(int(spec.get("status") or 500),
                      {"code": spec.get("code") or "InternalServerError",
                       "message": spec.get("message") or "fault injected"})

        def normal():
            if not matched:
                return js(404, {"code": "NotFound",
                                "message": "no credentials at this path"})
            if ctx.method not in ("GET", "HEAD"):
                return js(405, {"code": "MethodNotAllowed",
                                "message": "GET only"})
            want_tok = conf.get("auth_token")
            if want_tok:
                got = ctx.header("Authorization")
                if got is None:
                    return js(401, {"code": "Unauthorized",
                                    "message": "missing Authorization"})
                if not hmac.compare_digest(got.encode(), want_tok.encode()):
                    return js(403, {"code": "AccessDenied",
                                    "message": "invalid Authorization"})
            role_arn = conf.get("role_arn")
            cred = self.rotating("ecs_current", "ecs", conf, role_arn)
            self.update(rec, issued_access_key_id=cred["AccessKeyId"],
                        role_arn=role_arn)
            doc = collections.OrderedDict([
                ("RoleArn", role_arn),
                ("AccessKeyId", cred["AccessKeyId"]),
                ("SecretAccessKey", cred["SecretAccessKey"]),
                ("Token", cred["SessionToken"]),
                ("Expiration", iso8601(cred["Expiration"]))])
            return js(200, doc)

        answer = self.with_faults(ctx, rec, "ecs", action, normal, error)
        self.finish(rec, answer, started)
        return answer

    # -------------------------------------------------------------- echo

    def generated_body(self, gen):
        items = int(gen.get("items", 0))
        size = int(gen.get("item_size", 100))
        lek = bool(gen.get("last_evaluated_key"))
        key = (items, size, lek)
        with self.lock:
            body = self.gen_cache.get(key)
        if body is not None:
            return body
        parts = []
        for i in range(items):
            head = '{"id":{"S":"item-%08d"},"data":{"S":"' % i
            tail = '"}}'
            pad = max(0, size - len(head) - len(tail))
            parts.append(head + ("x" * pad) + tail)
        doc = '{"Count":%d,"Items":[%s],"ScannedCount":%d' % (
            items, ",".join(parts), items)
        if lek:
            doc += ',"LastEvaluatedKey":{"id":{"S":"item-%08d"}}' % \
                max(0, items - 1)
        body = (doc + "}").encode()
        with self.lock:
            if len(self.gen_cache) > 8:
                self.gen_cache.clear()
            self.gen_cache[key] = body
        return body

    def echo_answer(self, spec):
        if spec.get("generate"):
            body = self.generated_body(spec["generate"])
        elif spec.get("body_b64") is not None:
            body = base64.b64decode(spec["body_b64"])
        else:
            body = to_bytes(spec.get("body"))
        headers = [("x-amzn-RequestId", rand_chars(KEY_CHARS, 52))]
        given = spec.get("headers") or {}
        pairs = list(given.items()) if isinstance(given, dict) else \
            [tuple(p) for p in given]
        names = {k.lower() for k, _ in pairs}
        crc = spec.get("crc32", "auto")
        if "x-amz-crc32" not in names and crc not in ("none", None, False):
            if crc == "auto":
                headers.append(("x-amz-crc32", str(crc32(body))))
            elif crc == "wrong":
                headers.append(("x-amz-crc32", str(crc32(body) ^ 1)))
            else:
                headers.append(("x-amz-crc32", str(crc)))
        if "content-type" not in names and spec.get("content_type"):
            headers.append(("Content-Type", spec["content_type"]))
        headers.extend(pairs)
        a = Answer(int(spec.get("status") or 200), body, headers,
                   kind="json", reason=spec.get("reason"),
                   chunked=bool(spec.get("chunked")))
        a.crc = crc == "auto"
        a.verbatim = True
        return a

    def serve_echo(self, ctx):
        started = time.time()
        action = "%s %s" % (ctx.method, ctx.url_path)
        rec = self.new_record("echo", ctx, action=action,
                              http_version=ctx.h.request_version,
                              chunked=ctx.chunked)
        self.attach_body(rec, ctx.body)
        self.count(None, "echo", action)
        if ctx.headers.get("Authorization"):
            # botocore's Authorization for what was received, to compare
            # with the one sent, character for character
            cfg = self.config
            verdict = verify_sigv4(
                ctx, "dynamodb", cfg["dynamodb_region"], self.now(),
                int(cfg["max_skew"]),
                lambda akid, token: self.lookup_issued(akid, token),
                cfg.get("dynamodb_expected_host"))
            expected = getattr(verdict, "expected_authorization", None)
            received = ctx.headers.get("Authorization")
            self.update(rec, signature_ok=verdict.ok,
                        reason=None if verdict.ok else
                        (verdict.detail or verdict.message),
                        expected_authorization=expected,
                        authorization_matches=(expected == received))
        with self.lock:
            spec = self.echo_queue.popleft() if self.echo_queue else \
                self.config["echo"]

        def error(fspec):
            status = int(fspec.get("status") or 500)
            return Answer(status, fspec.get("message") or "fault injected",
                          [("Content-Type", "text/plain")])

        def normal():
            self.sleep(spec.get("delay_ms", 0))
            return self.echo_answer(spec)

        answer = self.with_faults(ctx, rec, "echo", action, normal, error)
        self.finish(rec, answer, started)
        return answer

    # -------------------------------------------------------------- jwks

    def serve_jwks(self, ctx):
        """An identity provider's key set, GET /jwks/<name>, on any port:
        the keys (or the raw body) set by POST /_emu/jwks, counted as
        counters["jwks"][name]; faults of service "jwks" apply."""
        started = time.time()
        name = ctx.url_path[len("/jwks/"):]
        rec = self.new_record("jwks", ctx, action=name)
        self.count(None, "jwks", name)
        with self.lock:
            spec = self.jwks.get(name)
            spec = dict(spec) if spec is not None else None

        def error(fspec):
            status = int(fspec.get("status") or 503)
            return Answer(status, fspec.get("message") or "fault injected",
                          [("Content-Type", "text/plain")])

        def normal():
            if spec is None:
                return Answer(404, '{"error":"no such key set"}',
                              [("Content-Type", "application/json")])
            if spec.get("body") is not None:
                body = to_bytes(spec["body"])
            else:
                body = json.dumps({"keys": spec["keys"]}).encode()
            headers = [("Content-Type", "application/json")]
            if spec.get("max_age") is not None:
                headers.append(("Cache-Control",
                                "public, max-age=%d" % int(spec["max_age"])))
            headers.extend((spec.get("headers") or {}).items())
            return Answer(spec.get("status") or 200, body, headers,
                          kind="json")

        answer = self.with_faults(ctx, rec, "jwks", name, normal, error)
        self.finish(rec, answer, started)
        return answer

    # ----------------------------------------------------------- control

    def health(self):
        ok = len(self.listening) == len(SERVICES)
        dyn = {"managed": self.dynalite_managed, "up": None,
               "port": self.ports["dynalite"]}
        if self.dynalite_managed:
            proc = self.dynalite_proc
            alive = proc is not None and proc.poll() is None
            dyn["pid"] = proc.pid if proc is not None else None
            dyn["up"] = alive and port_open(self.ports["dynalite"])
            ok = ok and dyn["up"]
        return ok, {"ok": ok, "pid": os.getpid(), "base_port": self.base_port,
                    "ports": self.ports, "dynalite": dyn,
                    "uptime": round(time.time() - self.started, 3)}

    def control(self, method, path, query, body):
        """Return (status, document)."""
        q = dict(urllib.parse.parse_qsl(query))
        doc = None
        if body:
            try:
                doc = json.loads(body)
            except ValueError:
                raise ControlError("body is not JSON")
        if path == "/_emu/health":
            ok, info = self.health()
            return (200 if ok else 503), info
        if path == "/_emu/config":
            if method == "GET":
                with self.lock:
                    return 200, dict(self.config)
            self.set_config(doc or {})
            with self.lock:
                return 200, dict(self.config)
        if path in ("/_emu/faults", "/_emu/fault"):
            if method == "GET":
                with self.lock:
                    return 200, [f.describe() for f in self.faults]
            specs = doc if isinstance(doc, list) else [doc]
            added = [Fault(validate_fault(s)) for s in specs]
            with self.lock:
                self.faults.extend(added)
            return 200, [f.describe() for f in added]
        if path == "/_emu/faults/clear":
            n = self.clear_faults((doc or {}).get("service"))
            return 200, {"cleared": n}
        if path == "/_emu/requests":
            service = q.get("service")
            since = int(q.get("since", 0))
            action = q.get("action")
            with self.lock:
                out = []
                for r in self.records:
                    if service and r["service"] != service:
                        continue
                    if r["seq"] <= since:
                        continue
                    if action and r.get("action") != action and \
                            r.get("operation") != action:
                        continue
                    out.append({k: v for k, v in r.items()
                                if not k.startswith("_")})
                if "limit" in q:
                    out = out[-int(q["limit"]):]
                return 200, out
        if path == "/_emu/requests/clear":
            with self.lock:
                self.records.clear()
                self.record_body_bytes = 0
            return 200, {"cleared": True}
        if path == "/_emu/counters":
            with self.lock:
                return 200, json.loads(json.dumps(self.counters))
        if path == "/_emu/reset":
            self.reset(config=bool((doc or {}).get("config")))
            return 200, {"reset": True}
        if path == "/_emu/credentials":
            with self.lock:
                return 200, [self.describe_cred(c)
                             for c in self.creds.values()]
        if path == "/_emu/credentials/expire":
            flt = doc or {}
            n = 0
            with self.lock:
                for c in self.creds.values():
                    if flt.get("access_key_id") not in (None,
                                                        c["AccessKeyId"]):
                        continue
                    if flt.get("source") not in (None, c["source"]):
                        continue
                    if flt.get("role_arn") not in (None, c["role_arn"]):
                        continue
                    c["expired"] = True
                    n += 1
            return 200, {"expired": n}
        if path == "/_emu/credentials/issue":
            d = doc or {}
            role_arn = d.get("role_arn") or \
                "arn:aws:iam::%s:role/emulator-role" % \
                self.config["account_id"]
            c = self.issue(d.get("source") or "assume_role", role_arn,
                           int(d.get("lifetime") or 3600),
                           session_name=d.get("session_name"))
            return 200, self.describe_cred(c)
        if path == "/_emu/jwks":
            if method == "GET":
                with self.lock:
                    return 200, dict(self.jwks)
            d = doc or {}
            if not isinstance(d.get("name"), str) or not d["name"]:
                raise ControlError("a key set needs a name")
            spec = {"keys": d.get("keys") or [], "body": d.get("body"),
                    "status": int(d.get("status") or 200),
                    "max_age": d.get("max_age"),
                    "headers": d.get("headers") or {}}
            with self.lock:
                self.jwks[d["name"]] = spec
            return 200, spec
        if path == "/_emu/shutdown":
            self.stopping.set()
            return 200, {"stopping": True}
        return 404, {"error": "unknown control path %s" % path}

    def describe_cred(self, c):
        d = dict(c)
        d["ExpirationISO"] = iso8601(c["Expiration"])
        d["expired_now"] = self.cred_expired(c)
        return d


def transform_answer(a, mode, spec):
    """Apply the post-phase faults (malformed, oversized, empty)."""
    a.status = int(spec.get("status") or 200)
    a.reason = None
    a.chunked = False
    if mode == "empty":
        a.body = b""
        if a.crc:
            a.set_header("x-amz-crc32", None)
    elif mode == "malformed":
        if spec.get("body") is not None:
            a.body = to_bytes(spec["body"])
        else:
            cut = max(1, int(len(a.body) * 0.6)) if a.body else 0
            a.body = a.body[:cut] if a.body else \
                (b"<" if a.kind == "xml" else b"{")
    elif mode == "oversized":
        size = int(spec.get("size") or 65536)
        pad = spec.get("pad") or "element"
        missing = size - len(a.body)
        if missing > 0 and pad != "token":
            if pad == "whitespace":
                a.body = a.body + b" " * missing
            elif a.kind == "xml":
                text = a.body.rstrip()
                end = text.rfind(b"</")
                filler_len = max(0, missing - len(b"<Padding></Padding>"))
                a.body = text[:end] + b"<Padding>" + b"x" * filler_len + \
                    b"</Padding>" + text[end:] + b"\n"
            else:
                text = a.body.rstrip()
                if text.endswith(b"}"):
                    filler_len = max(0, missing - len(b',"Padding":""'))
                    a.body = text[:-1] + b',"Padding":"' + \
                        b"x" * filler_len + b'"}'
                else:
                    a.body = a.body + b" " * missing
    if a.crc and mode != "empty" and \
            spec.get("crc32", "recompute") == "recompute":
        a.set_header("x-amz-crc32", crc32(a.body))


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ------------------------------------------------------------- backend


class BackendPool:
    """Keep-alive connections to dynalite."""

    IDLE_MAX = 4.0

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.idle = []
        self.lock = threading.Lock()

    def _get(self):
        now = time.time()
        with self.lock:
            while self.idle:
                conn, since = self.idle.pop()
                if now - since < self.IDLE_MAX:
                    return conn, True
                conn.close()
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=120), False

    def _put(self, conn):
        with self.lock:
            if len(self.idle) < 64:
                self.idle.append((conn, time.time()))
                return
        conn.close()

    def request(self, method, path, headers, body):
        for attempt in (0, 1):
            conn, reused = self._get()
            try:
                conn.putrequest(method, path, skip_host=True,
                                skip_accept_encoding=True)
                for k, v in headers:
                    conn.putheader(k, v)
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError):
                conn.close()
                if reused and attempt == 0:
                    continue
                raise
            except Exception:
                conn.close()
                raise
            if resp.will_close:
                conn.close()
            else:
                self._put(conn)
            return resp.status, resp.reason, resp.getheaders(), data
        raise ConnectionError("backend failed twice")


# ------------------------------------- DynamoDB operations dynalite lacks
#
# dynalite 4 knows neither the transaction APIs nor PartiQL.  The front
# answers TransactWriteItems, TransactGetItems, ExecuteStatement,
# BatchExecuteStatement and ExecuteTransaction itself (after the signature
# check), by issuing ordinary GetItem/PutItem/UpdateItem/DeleteItem/Query/
# Scan/DescribeTable calls to dynalite.
#
# Isolation: every request the front forwards holds TxLock shared, the
# transactions hold it exclusively; so, seen through the front, a
# transaction is atomic and isolated.  (Requests sent to dynalite directly
# bypass the lock.)
#
# TransactWriteItems under the exclusive lock:
#   1. read every target item (GetItem, ConsistentRead);
#   2. evaluate each ConditionExpression with dynalite's own evaluator, by a
#      conditional call that cannot change anything: UpdateItem with no
#      update (item present) or DeleteItem (item absent, so nothing to
#      delete);
#   3. if any condition is false: TransactionCanceledException, no write;
#   4. else apply the writes in order, as sent (their conditions hold: the
#      items are unchanged and no two actions touch one item); should one
#      fail (for instance a type error in an update), restore the items
#      already written from the copies read in step 1 and answer its error.

EMULATED_OPS = ("TransactWriteItems", "TransactGetItems", "ExecuteStatement",
                "BatchExecuteStatement", "ExecuteTransaction")
TX_KINDS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
            "ConditionCheck": None}
CCF_MSG = "The conditional request failed"
DUP_MSG = "Duplicate primary key exists in table"
PLACEHOLDER_RE = re.compile(r"[#:][A-Za-z0-9_]+")


class TxLock:
    """Shared holders run together; an exclusive holder runs alone.

    Exclusive waiters go first, so a stream of forwarded requests cannot
    starve a transaction.
    """

    def __init__(self):
        self.cond = threading.Condition()
        self.shared_n = 0
        self.exclusive_on = False
        self.exclusive_waiting = 0

    @contextlib.contextmanager
    def shared(self):
        with self.cond:
            while self.exclusive_on or self.exclusive_waiting:
                self.cond.wait()
            self.shared_n += 1
        try:
            yield
        finally:
            with self.cond:
                self.shared_n -= 1
                if not self.shared_n:
                    self.cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self):
        with self.cond:
            self.exclusive_waiting += 1
            try:
                while self.exclusive_on or self.shared_n:
                    self.cond.wait()
            finally:
                self.exclusive_waiting -= 1
            self.exclusive_on = True
        try:
            yield
        finally:
            with self.cond:
                self.exclusive_on = False
                self.cond.notify_all()


class DdbFail(Exception):
    """Abort an emulated operation with this DynamoDB error answer."""

    def __init__(self, etype, message, status=400, extra=None):
        super().__init__(message)
        if "#" not in etype:
            etype = DDB_NS + etype
        self.etype = etype
        self.short = etype.split("#", 1)[1]
        self.message = message
        self.status = status
        self.extra = extra or {}


def validation(message):
    return DdbFail("com.amazon.coral.validate#ValidationException", message)


def canceled(reasons):
    codes = ", ".join(r["Code"] for r in reasons)
    return DdbFail("TransactionCanceledException",
                   "Transaction cancelled, please refer cancellation "
                   "reasons for specific reasons [%s]" % codes,
                   extra={"CancellationReasons": reasons})


# -- PartiQL: the subset applications use, translated to expressions

PQL_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+|--[^\n]*)
  | (?P<qid>"(?:[^"]|"")*")
  | (?P<str>'(?:[^']|'')*')
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<param>\?)
  | (?P<op><<|>>|<=|>=|<>|!=|[=<>(),.\[\]{}:*+\-;])
""", re.X)
PQL_RESERVED = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "BETWEEN",
                "IN", "IS", "SET", "REMOVE", "RETURNING", "ORDER", "BY",
                "VALUE", "INTO", "INSERT", "UPDATE", "DELETE", "EXISTS"}
PQL_CMP = ("=", "<>", "!=", "<", "<=", ">", ">=")
PQL_FLIP = {"=": "=", "<>": "<>", "!=": "!=", "<": ">", "<=": ">=",
            ">": "<", ">=": "<="}
PQL_PRED_FUNCS = {"begins_with": 2, "contains": 2, "attribute_type": 2}
PQL_RETURNING = {("ALL", "OLD"): "ALL_OLD", ("MODIFIED", "OLD"): "UPDATED_OLD",
                 ("ALL", "NEW"): "ALL_NEW", ("MODIFIED", "NEW"): "UPDATED_NEW"}


def pql_tokens(text):
    out, pos = [], 0
    while pos < len(text):
        m = PQL_TOKEN_RE.match(text, pos)
        if not m:
            raise validation("Statement wasn't well formed, can't be "
                             "processed: unexpected character %r at %d"
                             % (text[pos], pos))
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(kind)))
    out.append(("eof", ""))
    return out


def emulated_tables(doc):
    """Tables named by transaction items and PartiQL statements."""
    found = []
    for ti in doc.get("TransactItems") or []:
        for body in (ti.values() if isinstance(ti, dict) else ()):
            if isinstance(body, dict) and isinstance(body.get("TableName"),
                                                     str):
                found.append(body["TableName"])
    stmts = [doc] if "Statement" in doc else \
        doc.get("Statements") or doc.get("TransactStatements") or []
    for st in stmts if isinstance(stmts, list) else ():
        if isinstance(st, dict) and isinstance(st.get("Statement"), str):
            name = statement_table(st["Statement"])
            if name:
                found.append(name)
    return list(dict.fromkeys(found))


def statement_table(text):
    """The table a statement names (for the records), or None."""
    try:
        toks = pql_tokens(text)
    except DdbFail:
        return None
    for i, (kind, val) in enumerate(toks[:-1]):
        if kind == "id" and val.upper() in ("FROM", "INTO", "UPDATE"):
            k2, v2 = toks[i + 1]
            if k2 == "qid":
                return v2[1:-1].replace('""', '"')
            if k2 == "id":
                return v2
    return None


class PartiQL:
    """Parse one statement; '?' take their values from params in order.

    Statement: a dict with "kind" (select, insert, update, delete, exists),
    "table", and the parts of that kind.  Conditions are trees:
      ("path", [name or index, ...])   ("val", attribute value)
      ("size", path)   ("cmp", op, a, b)   ("and", [..])   ("or", [..])
      ("not", c)   ("between", a, lo, hi)   ("in", a, [values])
      ("func", name, [args])   ("exists", path, bool)
    """

    def __init__(self, text, params):
        if not isinstance(text, str) or not text.strip():
            raise validation("Statement must not be empty")
        self.toks = pql_tokens(text)
        self.i = 0
        self.params = list(params or [])
        self.used = 0

    # -- tokens

    def fail(self, what):
        kind, val = self.toks[self.i]
        got = "end of statement" if kind == "eof" else repr(val)
        raise validation("Statement wasn't well formed, can't be processed: "
                         "expected %s, found %s" % (what, got))

    def peek(self, ahead=0):
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def is_kw(self, word, ahead=0):
        kind, val = self.peek(ahead)
        return kind == "id" and val.upper() == word

    def accept_kw(self, *words):
        if any(self.is_kw(w) for w in words):
            self.i += 1
            return self.toks[self.i - 1][1].upper()
        return None

    def expect_kw(self, *words):
        word = self.accept_kw(*words)
        if word is None:
            self.fail(" or ".join(words))
        return word

    def is_op(self, op, ahead=0):
        return self.peek(ahead) == ("op", op)

    def accept_op(self, op):
        if self.is_op(op):
            self.i += 1
            return True
        return False

    def expect_op(self, op):
        if not self.accept_op(op):
            self.fail("'%s'" % op)

    def name(self, what="a name"):
        kind, val = self.peek()
        if kind == "qid":
            self.i += 1
            return val[1:-1].replace('""', '"')
        if kind == "id" and val.upper() not in PQL_RESERVED:
            self.i += 1
            return val
        self.fail(what)

    # -- statements

    def parse(self, allow_exists=False):
        if self.is_kw("SELECT"):
            st = self.select()
        elif allow_exists and self.accept_kw("EXISTS"):
            self.expect_op("(")
            st = self.select()
            self.expect_op(")")
            if st["index"] or st["order"]:
                raise validation("EXISTS takes a SELECT on a table, "
                                 "without ORDER BY")
            st["kind"] = "exists"
        elif self.accept_kw("INSERT"):
            st = self.insert()
        elif self.accept_kw("UPDATE"):
            st = self.update()
        elif self.accept_kw("DELETE"):
            st = self.delete()
        else:
            self.fail("SELECT, INSERT, UPDATE or DELETE")
        self.accept_op(";")
        if self.peek()[0] != "eof":
            self.fail("end of statement")
        if self.used != len(self.params):
            raise validation("Number of parameters in request and statement "
                             "don't match.")
        return st

    def select(self):
        self.expect_kw("SELECT")
        proj = None
        if not self.accept_op("*"):
            proj = [self.path()]
            while self.accept_op(","):
                proj.append(self.path())
        self.expect_kw("FROM")
        table = self.name("a table name")
        index = self.name("an index name") if self.accept_op(".") else None
        where = self.condition() if self.accept_kw("WHERE") else None
        order = None
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            order = (self.path(), self.accept_kw("ASC", "DESC") or "ASC")
        return {"kind": "select", "table": table, "index": index,
                "projection": proj, "where": where, "order": order}

    def insert(self):
        self.expect_kw("INTO")
        table = self.name("a table name")
        self.expect_kw("VALUE")
        item = self.value()
        if "M" not in item:
            raise validation("INSERT takes VALUE {'attribute': value, ...}")
        return {"kind": "insert", "table": table, "item": item["M"]}

    def update(self):
        table = self.name("a table name")
        sets, removes = [], []
        while True:
            if self.accept_kw("SET"):
                sets.append(self.assignment())
                while self.accept_op(","):
                    sets.append(self.assignment())
            elif self.accept_kw("REMOVE"):
                removes.append(self.path())
                while self.accept_op(","):
                    removes.append(self.path())
            else:
                break
        if not sets and not removes:
            self.fail("SET or REMOVE")
        self.expect_kw("WHERE")
        where = self.condition()
        return {"kind": "update", "table": table, "set": sets,
                "remove": removes, "where": where,
                "returning": self.returning()}

    def delete(self):
        self.expect_kw("FROM")
        table = self.name("a table name")
        self.expect_kw("WHERE")
        where = self.condition()
        ret = self.returning()
        if ret not in (None, "ALL_OLD"):
            raise validation("DELETE supports only RETURNING ALL OLD *")
        return {"kind": "delete", "table": table, "where": where,
                "returning": ret}

    def returning(self):
        if not self.accept_kw("RETURNING"):
            return None
        which = self.expect_kw("ALL", "MODIFIED")
        age = self.expect_kw("OLD", "NEW")
        self.expect_op("*")
        return PQL_RETURNING[(which, age)]

    def assignment(self):
        target = self.path()
        self.expect_op("=")
        if self.is_kw("SET_ADD") or self.is_kw("SET_DELETE"):
            fn = self.accept_kw("SET_ADD", "SET_DELETE")
            self.expect_op("(")
            first = self.path()
            self.expect_op(",")
            val = self.value()
            self.expect_op(")")
            if first != target:
                raise validation("%s must name the attribute it assigns"
                                 % fn.lower())
            return (fn.lower(), target, ("val", val))
        expr = self.set_term()
        if self.is_op("+") or self.is_op("-"):
            op = self.toks[self.i][1]
            self.i += 1
            expr = ("arith", op, expr, self.set_term())
        return ("set", target, expr)

    def set_term(self):
        kind, val = self.peek()
        if kind == "id" and self.is_op("(", 1):
            fn = val.lower()
            if fn not in ("list_append", "if_not_exists"):
                self.fail("a value, an attribute, list_append or "
                          "if_not_exists")
            self.i += 2
            first = self.path() if fn == "if_not_exists" else self.set_term()
            self.expect_op(",")
            second = self.set_term()
            self.expect_op(")")
            return ("fn", fn, first, second)
        return self.operand(allow_size=False)

    # -- conditions

    def condition(self):
        parts = [self.conjunction()]
        while self.accept_kw("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self):
        parts = [self.negation()]
        while self.accept_kw("AND"):
            parts.append(self.negation())
        flat = []
        for p in parts:
            flat.extend(p[1] if p[0] == "and" else [p])
        return flat[0] if len(flat) == 1 else ("and", flat)

    def negation(self):
        if self.accept_kw("NOT"):
            return ("not", self.negation())
        return self.predicate()

    def predicate(self):
        if self.accept_op("("):
            inner = self.condition()
            self.expect_op(")")
            return inner
        kind, val = self.peek()
        if kind == "id" and val.lower() in PQL_PRED_FUNCS and \
                self.is_op("(", 1):
            self.i += 2
            args = [self.path(), None]
            self.expect_op(",")
            args[1] = self.operand()
            self.expect_op(")")
            return ("func", val.lower(), args)
        left = self.operand()
        kind, val = self.peek()
        if kind == "op" and val in PQL_CMP:
            self.i += 1
            return ("cmp", "<>" if val == "!=" else val, left,
                    self.operand())
        negate = bool(self.accept_kw("NOT"))
        if self.accept_kw("BETWEEN"):
            lo = self.operand()
            self.expect_kw("AND")
            node = ("between", left, lo, self.operand())
        elif self.accept_kw("IN"):
            close = "]" if self.accept_op("[") else None
            if close is None:
                self.expect_op("(")
                close = ")"
            vals = [self.operand()]
            while self.accept_op(","):
                vals.append(self.operand())
            self.expect_op(close)
            node = ("in", left, vals)
        elif not negate and self.accept_kw("IS"):
            negate = bool(self.accept_kw("NOT"))
            if left[0] != "path":
                raise validation("IS needs an attribute on its left")
            what = self.expect_kw("MISSING", "NULL")
            if what == "MISSING":
                return ("exists", left, negate)
            node = ("func", "attribute_type", [left, ("val", {"S": "NULL"})])
        else:
            self.fail("a comparison")
        return ("not", node) if negate else node

    def operand(self, allow_size=True):
        kind, val = self.peek()
        if allow_size and kind == "id" and val.lower() == "size" and \
                self.is_op("(", 1):
            self.i += 2
            p = self.path()
            self.expect_op(")")
            return ("size", p)
        if kind in ("qid", "id") and not (
                kind == "id" and val.upper() in ("TRUE", "FALSE", "NULL")):
            return self.path()
        return ("val", self.value())

    def path(self):
        elems = [self.name("an attribute name")]
        while True:
            if self.accept_op("."):
                elems.append(self.name("an attribute name"))
            elif self.accept_op("["):
                kind, val = self.peek()
                if kind == "num" and val.isdigit():
                    self.i += 1
                    elems.append(int(val))
                elif kind == "str":
                    self.i += 1
                    elems.append(val[1:-1].replace("''", "'"))
                else:
                    self.fail("a list index")
                self.expect_op("]")
            else:
                return ("path", elems)

    # -- values (DynamoDB attribute values)

    def value(self):
        kind, val = self.peek()
        self.i += 1
        if kind == "param":
            if self.used >= len(self.params):
                raise validation("Number of parameters in request and "
                                 "statement don't match.")
            self.used += 1
            v = self.params[self.used - 1]
            if not isinstance(v, dict) or len(v) != 1:
                raise validation("Parameters must be attribute values")
            return v
        if kind == "str":
            return {"S": val[1:-1].replace("''", "'")}
        if kind == "num":
            return {"N": val}
        if kind == "op" and val == "-" and self.peek()[0] == "num":
            self.i += 1
            return {"N": "-" + self.toks[self.i - 1][1]}
        if kind == "id" and val.upper() in ("TRUE", "FALSE"):
            return {"BOOL": val.upper() == "TRUE"}
        if kind == "id" and val.upper() == "NULL":
            return {"NULL": True}
        if kind == "op" and val == "[":
            return {"L": self.values_until("]")}
        if kind == "op" and val == "<<":
            items = self.values_until(">>")
            types = {next(iter(v)) for v in items}
            if len(types) != 1 or not types <= {"S", "N", "B"}:
                raise validation("A set holds strings, numbers or binaries, "
                                 "all of one type, at least one")
            t = types.pop()
            return {t + "S": [v[t] for v in items]}
        if kind == "op" and val == "{":
            out = {}
            if not self.accept_op("}"):
                while True:
                    k, kv = self.peek()
                    if k not in ("str", "qid"):
                        self.fail("an attribute name in quotes")
                    self.i += 1
                    key = kv[1:-1].replace(kv[0] * 2, kv[0])
                    self.expect_op(":")
                    out[key] = self.value()
                    if self.accept_op("}"):
                        break
                    self.expect_op(",")
            return {"M": out}
        self.i -= 1
        self.fail("a value")

    def values_until(self, close):
        items = []
        if self.accept_op(close):
            return items
        while True:
            items.append(self.value())
            if self.accept_op(close):
                return items
            self.expect_op(",")


class Expr:
    """Placeholders for one request's expressions."""

    def __init__(self):
        self.names = {}
        self.values = {}

    def name(self, attr):
        if attr not in self.names:
            self.names[attr] = "#n%d" % len(self.names)
        return self.names[attr]

    def value(self, av):
        ph = ":v%d" % len(self.values)
        self.values[ph] = av
        return ph

    def path(self, node):
        out = ""
        for e in node[1]:
            if isinstance(e, int):
                out += "[%d]" % e
            else:
                out += ("." if out else "") + self.name(e)
        return out

    def operand(self, node):
        if node[0] == "path":
            return self.path(node)
        if node[0] == "size":
            return "size(%s)" % self.path(node[1])
        return self.value(node[1])

    def cond(self, node):
        kind = node[0]
        if kind in ("and", "or"):
            sep = " %s " % kind.upper()
            return sep.join("(%s)" % self.cond(c) for c in node[1])
        if kind == "not":
            return "NOT (%s)" % self.cond(node[1])
        if kind == "cmp":
            return "%s %s %s" % (self.operand(node[2]), node[1],
                                 self.operand(node[3]))
        if kind == "between":
            return "%s BETWEEN %s AND %s" % tuple(self.operand(n)
                                                  for n in node[1:])
        if kind == "in":
            return "%s IN (%s)" % (self.operand(node[1]), ", ".join(
                self.operand(v) for v in node[2]))
        if kind == "func":
            return "%s(%s)" % (node[1], ", ".join(self.operand(a)
                                                  for a in node[2]))
        if kind == "exists":
            return "%s(%s)" % ("attribute_exists" if node[2] else
                               "attribute_not_exists", self.path(node[1]))
        raise validation("unsupported condition")

    def set_expr(self, node):
        if node[0] == "arith":
            return "%s %s %s" % (self.set_expr(node[2]), node[1],
                                 self.set_expr(node[3]))
        if node[0] == "fn":
            return "%s(%s, %s)" % (node[1], self.set_expr(node[2]),
                                   self.set_expr(node[3]))
        return self.operand(node)

    def into(self, req):
        if self.names:
            req["ExpressionAttributeNames"] = {
                ph: attr for attr, ph in self.names.items()}
        if self.values:
            req["ExpressionAttributeValues"] = dict(self.values)
        return req


def conjuncts(where):
    if where is None:
        return []
    return list(where[1]) if where[0] == "and" else [where]


def cond_heads(node, out):
    """Top-level attribute names a condition tree refers to."""
    if isinstance(node, tuple):
        if node[0] == "path":
            out.add(node[1][0])
            return out
        for part in node[1:]:
            cond_heads(part, out)
    elif isinstance(node, list):
        for part in node:
            cond_heads(part, out)
    return out


def key_equality(node, attr):
    """The value of a top-level 'attr = value' conjunct, else None."""
    if node[0] != "cmp" or node[1] != "=":
        return None
    a, b = node[2], node[3]
    if b[0] == "path" and a[0] == "val":
        a, b = b, a
    if a == ("path", [attr]) and b[0] == "val":
        return b[1]
    return None


def path_left(node):
    """'value op attribute' turned into 'attribute op value'."""
    if node[0] == "cmp" and node[2][0] == "val" and node[3][0] == "path":
        return ("cmp", PQL_FLIP[node[1]], node[3], node[2])
    return node


def and_of(parts):
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ("and", parts)


# -- the emulated operations


class TxAction:
    def __init__(self, kind, body, table, key,
                 fail_code="ConditionalCheckFailed", fail_message=CCF_MSG):
        self.kind = kind
        self.body = body
        self.table = table
        self.key = key
        self.old = None
        self.fail_code = fail_code
        self.fail_message = fail_message


class DynamoExtras:
    """The five operations, on top of dynalite's single-item calls."""

    def __init__(self, backend, lock):
        self.backend = backend
        self.lock = lock

    # -- dynalite

    def call(self, op, doc, ctr):
        body = json.dumps(doc, separators=(",", ":")).encode()
        stamp = amz_date(time.time())
        headers = [
            ("Host", "%s:%d" % (self.backend.host, self.backend.port)),
            ("Content-Type", DDB_CT),
            ("X-Amz-Target", "DynamoDB_20120810." + op),
            ("X-Amz-Date", stamp),
            # dynalite wants a SigV4-shaped header, and checks nothing more
            ("Authorization", "AWS4-HMAC-SHA256 Credential=emulator/%s/"
             "us-east-1/dynamodb/aws4_request, SignedHeaders=host;"
             "x-amz-date, Signature=0" % stamp[:8]),
            ("Content-Length", str(len(body)))]
        ctr.setdefault("ops", []).append(op)
        try:
            status, _, _, data = self.backend.request("POST", "/", headers,
                                                      body)
        except (OSError, http.client.HTTPException) as e:
            raise DdbFail("InternalServerError", "emulator: the DynamoDB "
                          "backend is unreachable: %s" % type(e).__name__,
                          status=500)
        try:
            out = json.loads(data) if data else {}
        except ValueError:
            out = None
        if not isinstance(out, dict):
            raise DdbFail("InternalServerError", "emulator: unreadable "
                          "answer from the backend to %s" % op, status=500)
        if status != 200:
            raise DdbFail(out.get("__type") or "InternalServerError",
                          out.get("message") or out.get("Message") or "",
                          status=status)
        return out

    def schema(self, table, ctr):
        """{"keys": [hash, range?], "types": {..}, "indexes": {..}}."""
        cache = ctr.setdefault("schemas", {})
        if table not in cache:
            if not isinstance(table, str) or not table:
                raise validation("TableName must be a non-empty string")
            t = self.call("DescribeTable", {"TableName": table}, ctr)["Table"]

            def keys(schema):       # HASH sorts before RANGE
                return [k["AttributeName"] for k in
                        sorted(schema, key=lambda k: k["KeyType"])]
            cache[table] = {
                "keys": keys(t["KeySchema"]),
                "types": {a["AttributeName"]: a["AttributeType"]
                          for a in t.get("AttributeDefinitions", [])},
                "indexes": {i["IndexName"]: keys(i["KeySchema"]) for i in
                            t.get("GlobalSecondaryIndexes", []) +
                            t.get("LocalSecondaryIndexes", [])}}
        return cache[table]

    def get_item(self, table, key, ctr, projection=None):
        req = {"TableName": table, "Key": key, "ConsistentRead": True}
        if projection:
            req.update(projection)
        return self.call("GetItem", req, ctr).get("Item")

    # -- TransactWriteItems

    def transact_write_items(self, doc, ctr):
        items = doc.get("TransactItems")
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            raise validation("1 validation error detected: Value at "
                             "'transactItems' failed to satisfy constraint: "
                             "Member must have length between 1 and 100")
        actions = []
        for ti in items:
            kinds = [k for k in TX_KINDS if isinstance(ti, dict) and k in ti]
            if len(kinds) != 1 or len(ti) != 1 or \
                    not isinstance(ti[kinds[0]], dict):
                raise validation("TransactItems can only contain one of "
                                 "Check, Put, Update or Delete")
            kind = kinds[0]
            body = ti[kind]
            table = body.get("TableName")
            schema = self.schema(table, ctr)
            src = body.get("Item" if kind == "Put" else "Key")
            missing = [k for k in schema["keys"]
                       if not isinstance(src, dict) or k not in src]
            if kind == "Put" and missing:
                raise validation("One or more parameter values were "
                                 "invalid: Missing the key %s in the item"
                                 % missing[0])
            if kind != "Put" and (missing or
                                  len(src) != len(schema["keys"])):
                raise validation("The provided key element does not match "
                                 "the schema")
            key = {k: src[k] for k in schema["keys"]}
            actions.append(TxAction(kind, body, table, key))
        with self.lock.exclusive():
            self.run_writes(actions, ctr)
        return {}

    def run_writes(self, actions, ctr):
        """Check all conditions, then write all or nothing (lock held)."""
        seen = set()
        for a in actions:
            ident = (a.table, json.dumps(a.key, sort_keys=True))
            if ident in seen:
                raise validation("Transaction request cannot include "
                                 "multiple operations on one item")
            seen.add(ident)
        for a in actions:
            a.old = self.get_item(a.table, a.key, ctr)
        reasons, failed = [], False
        for a in actions:
            if a.kind == "ConditionCheck" and \
                    "ConditionExpression" not in a.body:
                raise validation("ConditionCheck needs a "
                                 "ConditionExpression")
            if "ConditionExpression" in a.body and \
                    not self.condition_holds(a, ctr):
                r = {"Code": a.fail_code, "Message": a.fail_message}
                if a.body.get("ReturnValuesOnConditionCheckFailure") == \
                        "ALL_OLD" and a.old is not None:
                    r["Item"] = a.old
                reasons.append(r)
                failed = True
            else:
                reasons.append({"Code": "None"})
        if failed:
            raise canceled(reasons)
        done = []
        try:
            for a in actions:
                if a.kind != "ConditionCheck":
                    req = {k: v for k, v in a.body.items()
                           if k != "ReturnValuesOnConditionCheckFailure"}
                    self.call(TX_KINDS[a.kind], req, ctr)
                    done.append(a)
        except DdbFail as e:
            self.restore(done, ctr)
            if e.short == "ConditionalCheckFailedException":
                # only if someone wrote to dynalite behind the front's back
                raise canceled([{"Code": "ConditionalCheckFailed",
                                 "Message": CCF_MSG} if x is a else
                                {"Code": "None"} for x in actions])
            raise

    def condition_holds(self, a, ctr):
        """Evaluate a's condition with dynalite, changing nothing."""
        cond = a.body["ConditionExpression"]
        req = {"TableName": a.table, "Key": a.key,
               "ConditionExpression": cond}
        used = set(PLACEHOLDER_RE.findall(cond))
        for field in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            given = a.body.get(field)
            if isinstance(given, dict) and a.kind == "Update":
                # the update expression's placeholders are not ours to check
                given = {k: v for k, v in given.items() if k in used}
            if given:
                req[field] = given
        # present: an UpdateItem without updates; absent: a DeleteItem of
        # nothing.  Either evaluates the condition and writes nothing.
        op = "UpdateItem" if a.old is not None else "DeleteItem"
        try:
            self.call(op, req, ctr)
            return True
        except DdbFail as e:
            if e.short == "ConditionalCheckFailedException":
                return False
            raise

    def restore(self, done, ctr):
        for a in reversed(done):
            try:
                if a.old is None:
                    self.call("DeleteItem", {"TableName": a.table,
                                             "Key": a.key}, ctr)
                else:
                    self.call("PutItem", {"TableName": a.table,
                                          "Item": a.old}, ctr)
            except DdbFail:
                ctr["restore_failed"] = True

    # -- TransactGetItems

    def transact_get_items(self, doc, ctr):
        items = doc.get("TransactItems")
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            raise validation("1 validation error detected: Value at "
                             "'transactItems' failed to satisfy constraint: "
                             "Member must have length between 1 and 100")
        gets = []
        for ti in items:
            if not isinstance(ti, dict) or list(ti) != ["Get"] or \
                    not isinstance(ti["Get"], dict):
                raise validation("TransactItems of TransactGetItems each "
                                 "hold one Get")
            gets.append(ti["Get"])
        out = []
        with self.lock.exclusive():
            for g in gets:
                extra = {k: g[k] for k in ("ProjectionExpression",
                                           "ExpressionAttributeNames")
                         if k in g}
                item = self.get_item(g.get("TableName"), g.get("Key"), ctr,
                                     extra)
                out.append({"Item": item} if item is not None else {})
        return {"Responses": out}

    # -- PartiQL

    def parse(self, entry, allow_exists=False):
        if not isinstance(entry, dict):
            raise validation("a statement must be an object")
        params = entry.get("Parameters")
        if params is not None and (not isinstance(params, list) or
                                   not params):
            raise validation("Parameters must be a non-empty list")
        return PartiQL(entry.get("Statement"), params).parse(allow_exists)

    def key_and_rest(self, st, ctr):
        """Split WHERE into the full primary key and the other conjuncts."""
        schema = self.schema(st["table"], ctr)
        rest = conjuncts(st["where"])
        key = {}
        for attr in schema["keys"]:
            for c in rest:
                v = key_equality(c, attr)
                if v is not None:
                    key[attr] = v
                    rest.remove(c)
                    break
            else:
                raise validation("Where clause does not contain a mandatory "
                                 "equality on all key attributes")
        return schema, key, and_of(rest)

    def write_plan(self, st, ctr):
        """(TxAction, api request) for an INSERT, UPDATE, DELETE, EXISTS."""
        e = Expr()
        if st["kind"] == "insert":
            schema = self.schema(st["table"], ctr)
            item = st["item"]
            if any(k not in item for k in schema["keys"]):
                raise validation("One or more parameter values were "
                                 "invalid: Missing the key %s in the item"
                                 % [k for k in schema["keys"]
                                    if k not in item][0])
            req = e.into({"TableName": st["table"], "Item": item,
                          "ConditionExpression": "attribute_not_exists(%s)"
                          % e.name(schema["keys"][0])})
            key = {k: item[k] for k in schema["keys"]}
            return TxAction("Put", req, st["table"], key, "DuplicateItem",
                            DUP_MSG)
        schema, key, rest = self.key_and_rest(st, ctr)
        req = {"TableName": st["table"], "Key": key}
        pk = schema["keys"][0]
        if st["kind"] == "delete":
            if rest is not None:
                # a missing item is no error; a present one must match
                req["ConditionExpression"] = \
                    "attribute_not_exists(%s) OR (%s)" % (e.name(pk),
                                                           e.cond(rest))
            kind = "Delete"
        elif st["kind"] == "exists":
            req["ConditionExpression"] = \
                "attribute_exists(%s)" % e.name(pk) + (
                    " AND (%s)" % e.cond(rest) if rest is not None else "")
            kind = "ConditionCheck"
        else:
            clauses = collections.OrderedDict()
            for fn, target, expr in st["set"]:
                clause = {"set": "SET", "set_add": "ADD",
                          "set_delete": "DELETE"}[fn]
                sep = " = " if fn == "set" else " "
                clauses.setdefault(clause, []).append(
                    e.path(target) + sep + e.set_expr(expr))
            if st["remove"]:
                clauses["REMOVE"] = [e.path(p) for p in st["remove"]]
            req["UpdateExpression"] = " ".join(
                "%s %s" % (k, ", ".join(v)) for k, v in clauses.items())
            # an UPDATE of a missing item fails, unlike UpdateItem
            req["ConditionExpression"] = \
                "attribute_exists(%s)" % e.name(pk) + (
                    " AND (%s)" % e.cond(rest) if rest is not None else "")
            kind = "Update"
        if st.get("returning"):
            req["ReturnValues"] = st["returning"]
        e.into(req)
        return TxAction(kind, req, st["table"], key)

    def read_plan(self, st, ctr, single=False):
        """(api operation, request) for a SELECT."""
        schema = self.schema(st["table"], ctr)
        if st["index"] is not None:
            if st["index"] not in schema["indexes"]:
                raise validation("The table does not have the specified "
                                 "index: %s" % st["index"])
            keys = schema["indexes"][st["index"]]
        else:
            keys = schema["keys"]
        e = Expr()
        req = {"TableName": st["table"]}
        if st["index"] is not None:
            req["IndexName"] = st["index"]
        if st["projection"]:
            req["ProjectionExpression"] = ", ".join(
                e.path(p) for p in st["projection"])
        rest = conjuncts(st["where"])
        key_conds = []
        for c in rest:
            v = key_equality(c, keys[0])
            if v is not None and list(v) == [schema["types"].get(keys[0])]:
                key_conds.append(c)
                break
        if key_conds and len(keys) > 1:
            sk_type = schema["types"].get(keys[1])
            for c in rest:
                if c is not key_conds[0] and \
                        self.sort_key_condition(c, keys[1], sk_type):
                    key_conds.append(c)
                    break
        rest = [c for c in rest if all(c is not k for k in key_conds)]
        if key_conds and cond_heads(rest, set()) & set(keys):
            key_conds = []      # Query filters may not name key attributes
            rest = conjuncts(st["where"])
        if single and (st["index"] is not None or len(key_conds) != len(keys)
                       or any(c[0] != "cmp" or c[1] != "="
                              for c in key_conds)):
            raise validation("Where clause does not contain a mandatory "
                             "equality on all key attributes")
        if key_conds:
            op = "Query"
            req["KeyConditionExpression"] = " AND ".join(
                e.cond(path_left(c)) for c in key_conds)
            if st["order"] is not None:
                if st["order"][0] not in (("path", [k]) for k in keys):
                    raise validation("ORDER BY takes a key attribute")
                req["ScanIndexForward"] = st["order"][1] == "ASC"
        else:
            if st["order"] is not None:
                raise validation("Must have WHERE clause with an equality "
                                 "on the partition key when using ORDER BY")
            op = "Scan"
        if rest:
            req["FilterExpression"] = e.cond(and_of(rest))
        return op, e.into(req)

    @staticmethod
    def sort_key_condition(c, attr, typ):
        def keyval(a, b):
            return a == ("path", [attr]) and b[0] == "val" and \
                list(b[1]) == [typ]
        if c[0] == "cmp" and c[1] in ("=", "<", "<=", ">", ">="):
            return keyval(c[2], c[3]) or keyval(c[3], c[2])
        if c[0] == "between":
            return keyval(c[1], c[2]) and keyval(c[1], c[3])
        if c[0] == "func" and c[1] == "begins_with":
            return typ in ("S", "B") and keyval(*c[2])
        return False

    def execute_statement(self, doc, ctr):
        st = self.parse(doc)
        if st["kind"] == "select":
            op, req = self.read_plan(st, ctr)
            if doc.get("ConsistentRead"):
                req["ConsistentRead"] = True
            if doc.get("Limit") is not None:
                req["Limit"] = doc["Limit"]
            if doc.get("NextToken"):
                req["ExclusiveStartKey"] = self.token_key(doc["NextToken"],
                                                          req)
            with self.lock.shared():
                res = self.call(op, req, ctr)
            out = {"Items": res.get("Items", [])}
            if res.get("LastEvaluatedKey"):
                out["NextToken"] = self.key_token(res["LastEvaluatedKey"],
                                                  req)
                out["LastEvaluatedKey"] = res["LastEvaluatedKey"]
            return out
        a = self.write_plan(st, ctr)
        with self.lock.shared():
            res = self.write_one(a, ctr)
        attrs = res.get("Attributes")
        return {"Items": [attrs] if attrs else []}

    def write_one(self, a, ctr):
        try:
            return self.call(TX_KINDS[a.kind], a.body, ctr)
        except DdbFail as e:
            if e.short == "ConditionalCheckFailedException" and \
                    a.fail_code == "DuplicateItem":
                raise DdbFail("DuplicateItemException", DUP_MSG)
            raise

    @staticmethod
    def key_token(key, req):
        doc = {"t": req["TableName"], "i": req.get("IndexName"), "k": key}
        return base64.b64encode(json.dumps(doc, separators=(",", ":"))
                                .encode()).decode()

    @staticmethod
    def token_key(token, req):
        try:
            doc = json.loads(base64.b64decode(token, validate=True))
            if doc["t"] == req["TableName"] and \
                    doc["i"] == req.get("IndexName") and \
                    isinstance(doc["k"], dict):
                return doc["k"]
        except (ValueError, TypeError, KeyError):
            pass
        raise validation("Given NextToken is not valid for this statement")

    def batch_execute_statement(self, doc, ctr):
        entries = doc.get("Statements")
        if not isinstance(entries, list) or not 1 <= len(entries) <= 25:
            raise validation("1 validation error detected: Value at "
                             "'statements' failed to satisfy constraint: "
                             "Member must have length between 1 and 25")
        parsed = []
        for entry in entries:
            try:
                parsed.append(self.parse(entry))
            except DdbFail as e:
                parsed.append(e)
        kinds = {"read" if st["kind"] == "select" else "write"
                 for st in parsed if isinstance(st, dict)}
        if len(kinds) > 1:
            raise validation("Unsupported operation: A batch must consist "
                             "of either all read statements or all write "
                             "statements")
        out = []
        for st in parsed:
            if isinstance(st, DdbFail):
                out.append({"Error": {"Code": "ValidationError",
                                      "Message": st.message}})
                continue
            try:
                with self.lock.shared():
                    out.append(self.batch_one(st, ctr))
            except DdbFail as e:
                if e.status >= 500:
                    raise
                code = {"ConditionalCheckFailedException":
                        "ConditionalCheckFailed",
                        "DuplicateItemException": "DuplicateItem",
                        "ResourceNotFoundException": "ResourceNotFound",
                        }.get(e.short, "ValidationError")
                out.append({"TableName": st["table"],
                            "Error": {"Code": code, "Message": e.message}})
        return {"Responses": out}

    def batch_one(self, st, ctr):
        if st["kind"] == "select":
            op, req = self.read_plan(st, ctr, single=True)
            items = self.call(op, req, ctr).get("Items") or []
            return dict({"TableName": st["table"]},
                        **({"Item": items[0]} if items else {}))
        self.write_one(self.write_plan(st, ctr), ctr)
        return {"TableName": st["table"]}

    def execute_transaction(self, doc, ctr):
        entries = doc.get("TransactStatements")
        if not isinstance(entries, list) or not 1 <= len(entries) <= 100:
            raise validation("1 validation error detected: Value at "
                             "'transactStatements' failed to satisfy "
                             "constraint: Member must have length between "
                             "1 and 100")
        parsed = [self.parse(entry, allow_exists=True) for entry in entries]
        reads = [st for st in parsed if st["kind"] == "select"]
        if reads and len(reads) != len(parsed):
            raise validation("Transactions may contain either read "
                             "statements or write statements, not both")
        if reads:
            plans = [self.read_plan(st, ctr, single=True) for st in reads]
            out = []
            with self.lock.exclusive():
                for op, req in plans:
                    req["ConsistentRead"] = True
                    items = self.call(op, req, ctr).get("Items") or []
                    out.append({"Item": items[0]} if items else {})
            return {"Responses": out}
        actions = []
        for st in parsed:
            a = self.write_plan(st, ctr)
            a.body.pop("ReturnValues", None)
            actions.append(a)
        with self.lock.exclusive():
            self.run_writes(actions, ctr)
        return {}


# ----------------------------------------------------------- HTTP layer


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-emulator"
    sys_version = ""
    timeout = 300

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.emu = self.server.emu
        self.service = self.server.service
        self.req_chunked = False
        self.counted = False

    def log_message(self, fmt, *args):
        pass

    def log_error(self, fmt, *args):
        self.emu.logline("%s: %s" % (self.service, fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def read_body(self, limit):
        self.req_chunked = False
        te = ",".join(self.headers.get_all("Transfer-Encoding") or [])
        if "chunked" in te.lower():
            self.req_chunked = True
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("eof in chunk size")
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
                if size == 0:
                    break
                total += size
                if total > limit:
                    raise BodyTooLarge()
                data = self.rfile.read(size)
                if len(data) < size:
                    raise ConnectionError("eof in chunk")
                chunks.append(data)
                if self.rfile.readline(65537).strip():
                    raise ValueError("bad chunk terminator")
            while True:
                line = self.rfile.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    break
            return b"".join(chunks)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        n = int(cl)
        if n < 0:
            raise ValueError("negative Content-Length")
        if n > limit:
            raise BodyTooLarge()
        data = self.rfile.read(n)
        if len(data) < n:
            raise ConnectionError("eof in body")
        return data

    def dispatch(self):
        started = time.time()
        try:
            body = self.read_body(self.server.max_body)
        except BodyTooLarge:
            self.close_connection = True
            self.send_answer(Answer(413, "Request Entity Too Large",
                                    [("Content-Type", "text/plain")]))
            return
        except (ValueError, ConnectionError, OSError):
            self.close_connection = True
            return
        split = urllib.parse.urlsplit(self.path)
        if split.path.startswith("/_emu/"):
            self.serve_control(split, body)
            return
        if not self.counted:
            self.counted = True
            self.emu.count_connection(self.service)
        ctx = RequestCtx(self, body)
        serve = "serve_jwks" if split.path.startswith("/jwks/") else \
            "serve_" + self.service
        try:
            answer = getattr(self.emu, serve)(ctx)
        except Exception:  # noqa: BLE001 -- answer 500 and keep serving
            self.emu.logline("%s: internal error\n%s"
                             % (self.service, traceback.format_exc()))
            answer = Answer(500, "emulator internal error",
                            [("Content-Type", "text/plain")])
        if answer is None or answer.no_answer:
            self.close_connection = True
            if answer is not None and answer.reset:
                try:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER,
                        b"\x01\x00\x00\x00\x00\x00\x00\x00")
                except OSError:
                    pass
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_answer(answer)
        if self.emu.log is not None and self.server.verbose:
            self.emu.logline("%s %s %s %d %.1fms" % (
                self.service, self.command, split.path, answer.status,
                (time.time() - started) * 1000))

    def serve_control(self, split, body):
        try:
            status, doc = self.emu.control(self.command, split.path,
                                           split.query, body)
        except ControlError as e:
            status, doc = 400, {"error": str(e)}
        except Exception as e:  # noqa: BLE001
            self.emu.logline("control error\n%s" % traceback.format_exc())
            status, doc = 500, {"error": "%s: %s" % (type(e).__name__, e)}
        self.send_answer(Answer(status, json.dumps(doc, default=str).encode(),
                                [("Content-Type", "application/json")]))

    def send_answer(self, a):
        reason = a.reason
        if reason is None:
            try:
                reason = http.HTTPStatus(a.status).phrase
            except ValueError:
                reason = "Unknown"
        head = ["HTTP/1.1 %d %s\r\n" % (a.status, reason)]
        names = {k.lower() for k, _ in a.headers}
        hdrs = list(a.headers)
        if "date" not in names and not a.verbatim:
            hdrs.append(("Date", http_date()))
        chunked = a.chunked and self.request_version == "HTTP/1.1"
        if chunked:
            hdrs.append(("Transfer-Encoding", "chunked"))
        else:
            hdrs.append(("Content-Length", str(len(a.body))))
        if self.close_connection or a.close:
            self.close_connection = True
            hdrs.append(("Connection", "close"))
        elif self.request_version == "HTTP/1.0":
            hdrs.append(("Connection", "keep-alive"))
        for k, v in hdrs:
            head.append("%s: %s\r\n" % (k, v))
        head.append("\r\n")
        data = "".join(head).encode("latin-1", "replace")
        body = b"" if self.command == "HEAD" else a.body
        try:
            if chunked:
                self.wfile.write(data)
                step = 65536
                for i in range(0, len(body), step):
                    piece = body[i:i + step]
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(data + body)
        except OSError:
            self.close_connection = True


class EmuServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, emu, service, port, max_body, verbose):
        self.emu = emu
        self.service = service
        self.max_body = max_body
        self.verbose = verbose
        super().__init__(("127.0.0.1", port), Handler)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request, client_address):
        self.emu.logline("%s: connection error\n%s"
                         % (self.service, traceback.format_exc()))


# ------------------------------------------------------------------ main


def set_pdeathsig():
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_dynalite(args, emu, log):
    cmd = [args.dynalite]
    if args.dynalite.endswith(".js") or not os.access(args.dynalite,
                                                      os.X_OK):
        cmd = [args.node, args.dynalite]
    cmd += ["--port", str(emu.ports["dynalite"]), "--host", "127.0.0.1",
            "--createTableMs", str(args.dynalite_table_ms),
            "--deleteTableMs", str(args.dynalite_table_ms),
            "--updateTableMs", str(args.dynalite_table_ms)]
    if args.dynalite_path:
        cmd += ["--path", args.dynalite_path]
    out = log if log is not None else subprocess.DEVNULL
    env = dict(os.environ)
    env["NODE_OPTIONS"] = (env.get("NODE_OPTIONS", "") +
                           " --max-http-header-size=131072").strip()
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=out, preexec_fn=set_pdeathsig,
                            close_fds=True, env=env)


def daemonize(log_path):
    """Detach; the returned fd gets 'READY ...' once serving."""
    r, w = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(w)
        data = b""
        deadline = time.time() + 30
        while time.time() < deadline:
            ready, _, _ = select.select([r], [], [], 0.2)
            if ready:
                chunk = os.read(r, 4096)
                if not chunk:
                    break
                data += chunk
                if b"\n" in data:
                    break
        text = data.decode(errors="replace").strip()
        if text.startswith("READY"):
            print(text)
            sys.stdout.flush()
            os._exit(0)
        sys.stderr.write("aws_emulator: failed to start%s\n"
                         % (": " + text if text else
                            " (see its log file)"))
        os._exit(1)
    os.close(r)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    else:
        fd = devnull
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    return w


def main(argv=None):
    env_port = os.environ.get("TEST_NGINX_AWS_PORT")
    p = argparse.ArgumentParser(
        description="AWS emulator (STS, DynamoDB front, IMDS, ECS, echo) "
                    "for the ngx_dynamo tests")
    p.add_argument("--base-port", type=int,
                   default=int(env_port) if env_port else 19900,
                   help="STS=B, DynamoDB=B+1, IMDS=B+2, ECS=B+3, echo=B+4, "
                        "dynalite=B+5 (default $TEST_NGINX_AWS_PORT or "
                        "19900)")
    p.add_argument("--dynalite", help="path of the dynalite executable; "
                   "started as a child on B+5")
    p.add_argument("--node", default="node",
                   help="node binary, when --dynalite is a .js file")
    p.add_argument("--dynalite-table-ms", type=int, default=0,
                   help="dynalite create/delete/updateTableMs (default 0)")
    p.add_argument("--dynalite-path", help="LevelDB directory for dynalite "
                   "(default: in memory)")
    p.add_argument("--pid-file")
    p.add_argument("--ready-file", help="written (JSON) once all ports "
                   "are ready")
    p.add_argument("--log-file", help="emulator and dynalite log")
    p.add_argument("--verbose", action="store_true",
                   help="log one line per request (no headers, no secrets)")
    p.add_argument("--daemon", action="store_true",
                   help="detach; the foreground process exits once ready")
    p.add_argument("--watch-pid", type=int,
                   help="exit when this process is gone")
    p.add_argument("--max-body", type=int, default=64 * 1048576)
    p.add_argument("--config", help="JSON file applied as POST /_emu/config")
    args = p.parse_args(argv)

    ready_fd = None
    if args.daemon:
        ready_fd = daemonize(args.log_file)

    log = None
    if args.log_file:
        log = open(args.log_file, "a", buffering=1)

    def report_failure(text):
        sys.stderr.write("aws_emulator: %s\n" % text)
        sys.stderr.flush()
        if ready_fd is not None:
            os.write(ready_fd, ("FAILED %s\n" % text).encode())
        return 1

    emu = Emulator(args.base_port, dynalite_managed=bool(args.dynalite),
                   log=log)
    if args.config:
        try:
            with open(args.config) as f:
                emu.set_config(json.load(f))
        except (OSError, ValueError, ControlError) as e:
            return report_failure("bad --config: %s" % e)

    servers = []
    for service in SERVICES:
        try:
            srv = EmuServer(emu, service, emu.ports[service], args.max_body,
                            args.verbose)
        except OSError as e:
            for s in servers:
                s.server_close()
            return report_failure("cannot listen on 127.0.0.1:%d (%s): %s"
                                  % (emu.ports[service], service,
                                     e.strerror or e))
        servers.append(srv)
        emu.listening.add(service)

    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())

    stop = emu.stopping

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    for srv in servers:
        t = threading.Thread(target=srv.serve_forever, kwargs={
            "poll_interval": 0.2}, daemon=True)
        t.start()

    def cleanup():
        for srv in servers:
            try:
                srv.socket.close()
            except OSError:
                pass
        proc = emu.dynalite_proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if args.pid_file:
            try:
                with open(args.pid_file) as f:
                    if f.read().strip() == str(os.getpid()):
                        os.unlink(args.pid_file)
            except OSError:
                pass

    if args.dynalite:
        if port_open(emu.ports["dynalite"]):
            cleanup()
            return report_failure("port %d (dynalite) is already in use"
                                  % emu.ports["dynalite"])
        try:
            emu.dynalite_proc = start_dynalite(args, emu, log)
        except OSError as e:
            cleanup()
            return report_failure("cannot start dynalite: %s" % e)
        deadline = time.time() + 15
        while not port_open(emu.ports["dynalite"]):
            if emu.dynalite_proc.poll() is not None or \
                    time.time() > deadline or stop.is_set():
                cleanup()
                return report_failure("dynalite did not start (exit %s)"
                                      % emu.dynalite_proc.poll())
            time.sleep(0.02)

    ready = {"pid": os.getpid(), "base_port": args.base_port,
             "ports": emu.ports, "dynalite": bool(args.dynalite)}
    line = "READY %s\n" % json.dumps(ready, sort_keys=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(ready) + "\n")
        os.rename(tmp, args.ready_file)
    if ready_fd is not None:
        os.write(ready_fd, line.encode())
        os.close(ready_fd)
    else:
        sys.stdout.write(line)
        sys.stdout.flush()
    emu.logline("ready on ports %d..%d" % (args.base_port,
                                           args.base_port + 5))

    reported_dynalite = False
    while not stop.wait(0.2):
        if args.watch_pid:
            try:
                os.kill(args.watch_pid, 0)
            except ProcessLookupError:
                emu.logline("watched process %d is gone, stopping"
                            % args.watch_pid)
                break
            except PermissionError:
                pass
        proc = emu.dynalite_proc
        if proc is not None and proc.poll() is not None and \
                not reported_dynalite:
            reported_dynalite = True
            emu.logline("dynalite exited with %s" % proc.returncode)
    emu.logline("stopping")
    time.sleep(0.05)
    cleanup()
    if log is not None:
        log.flush()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
