#!/usr/bin/python3
"""Mint identity tokens for the tests with PyJWT (python3-jwt).

Input: one JSON object per line on stdin, output: one token per line.

  {"key": "t/data/keys/rsa1.key", "alg": "RS256", "kid": "rsa1",
   "claims": {...}, "exp_in": 300, "headers": {...}}

Special cases a library would refuse to make are built by hand:
  "alg": "none"          an unsigned token
  "hmac_key_file": path  an HS256 token whose secret is that file's bytes
                         (the RSA public key PEM confusion attack)
  "secret_file": path    HMAC secret in base64url, as make_keys.py writes
"""

import base64
import hashlib
import hmac
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

_keys = {}


def load_key(path):
    """Private keys are parsed once: RSA key checks are slow."""
    if path not in _keys:
        with open(path, "rb") as f:
            _keys[path] = load_pem_private_key(f.read(), password=None)
    return _keys[path]


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def by_hand(header, claims, sign):
    h = b64u(json.dumps(header, separators=(",", ":")).encode())
    c = b64u(json.dumps(claims, separators=(",", ":")).encode())
    return h + "." + c + "." + sign((h + "." + c).encode())


def mint(spec):
    now = int(time.time())
    claims = dict(spec.get("claims", {}))
    if "exp_in" in spec:
        claims["exp"] = now + spec["exp_in"]
    if "nbf_in" in spec:
        claims["nbf"] = now + spec["nbf_in"]
    if "iat_in" in spec:
        claims["iat"] = now + spec["iat_in"]
    headers = dict(spec.get("headers", {}))
    if "kid" in spec:
        headers["kid"] = spec["kid"]
    alg = spec.get("alg", "RS256")

    if alg == "none":
        header = {"alg": "none", "typ": "JWT"}
        header.update(headers)
        return by_hand(header, claims, lambda m: "")

    if "hmac_key_file" in spec:
        with open(spec["hmac_key_file"], "rb") as f:
            secret = f.read()
        header = {"alg": alg, "typ": "JWT"}
        header.update(headers)
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                  "HS512": hashlib.sha512}[alg]
        return by_hand(header, claims,
                       lambda m: b64u(hmac.new(secret, m, digest).digest()))

    if "secret_file" in spec:
        with open(spec["secret_file"]) as f:
            text = f.read().strip()
        key = text.encode()
    else:
        key = load_key(spec["key"])

    return jwt.encode(claims, key, algorithm=alg, headers=headers or None)


def main():
    for line in sys.stdin:
        line = line.strip()
        if line:
            print(mint(json.loads(line)), flush=True)


if __name__ == "__main__":
    main()
