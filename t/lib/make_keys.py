#!/usr/bin/python3
"""Generate the signing keys the tests use, into a directory.

RSA 2048 (two of them), RSA 1024 (too weak, refused by the module), EC
P-256/P-384/P-521, an HMAC secret per size, and JWKS files holding the
public halves.  Run with Debian's python3 (python3-cryptography).
"""

import base64
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def save(d, name, key):
    write(os.path.join(d, name + ".key"), key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), 0o600)
    write(os.path.join(d, name + ".pub"), key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo))


def rsa_jwk(key, kid, alg="RS256"):
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": alg,
            "n": b64u(uint(pub.n)), "e": b64u(uint(pub.e))}


def ec_jwk(key, kid, crv, size, alg):
    pub = key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": alg, "crv": crv,
            "x": b64u(uint(pub.x, size)), "y": b64u(uint(pub.y, size))}


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)

    rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec256 = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())
    ec521 = ec.generate_private_key(ec.SECP521R1())

    for name, key in (("rsa1", rsa1), ("rsa2", rsa2), ("weak", weak),
                      ("ec256", ec256), ("ec384", ec384), ("ec521", ec521)):
        save(d, name, key)

    secrets = {"hs256": os.urandom(32), "hs384": os.urandom(48),
               "hs512": os.urandom(64)}
    for name, secret in secrets.items():
        write(os.path.join(d, name + ".secret"), b64u(secret).encode(), 0o600)

    jwks = {"keys": [rsa_jwk(rsa1, "rsa1"),
                     rsa_jwk(rsa2, "rsa2", "RS512"),
                     ec_jwk(ec256, "ec256", "P-256", 32, "ES256"),
                     ec_jwk(ec384, "ec384", "P-384", 48, "ES384"),
                     ec_jwk(ec521, "ec521", "P-521", 66, "ES512")]}
    write(os.path.join(d, "jwks.json"), json.dumps(jwks, indent=2).encode())

    # a symmetric JWK holding the same secret as hs256.secret (its text):
    # usable only with an explicit alg= on the directive
    oct_key = b64u(b64u(secrets["hs256"]).encode())
    write(os.path.join(d, "oct.json"), json.dumps({"keys": [
        {"kty": "oct", "kid": "oct1", "k": oct_key}]}).encode(), 0o600)

    # no alg in the JWK: the module derives RS256 from the RSA key
    jwk = rsa_jwk(rsa1, "noalg")
    del jwk["alg"]
    write(os.path.join(d, "noalg.json"), json.dumps(jwk).encode())

    write(os.path.join(d, "stamp"), b"ok\n")


if __name__ == "__main__":
    main()
