#!/usr/bin/python3
"""Generate the signing keys the tests use, into a directory.

RSA 2048 (two of them), RSA 1024 (too weak, refused by the module), EC
P-256/P-384/P-521, an HMAC secret per size, and JWKS files holding the
public halves.  Run with Debian's python3 (python3-cryptography).

Then the keys the module must refuse or set aside (bad_keys(), also
made alone by "make_keys.py DIR bad" into a directory made before them,
stamped "stamp-bad"): RSA exponents 1 and 65536, a ROCA-fingerprinted
modulus, JWKs with "key_ops" and with non-canonical base64url, and a key
set whose two keys share a kid.
"""

import base64
import json
import os
import random
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


# DER, just enough for a SubjectPublicKeyInfo of any RSA numbers (the
# library refuses to build a public key with e = 1, which is the point)

def der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        size = uint(n)
        head = bytes([0x80 | len(size)]) + size
    return bytes([tag]) + head + body


def der_int(n):
    body = uint(n) if n else b"\0"
    if body[0] & 0x80:
        body = b"\0" + body
    return der(0x02, body)


def rsa_pem(n, e):
    rsa_oid = bytes.fromhex("06092a864886f70d0101010500")
    spki = der(0x30, der(0x30, rsa_oid)
               + der(0x03, b"\0" + der(0x30, der_int(n) + der_int(e))))
    b64 = base64.b64encode(spki).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines)
            + "\n-----END PUBLIC KEY-----\n").encode()


def numbers_jwk(n, e, kid):
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": b64u(uint(n)), "e": b64u(uint(e))}


def small_primes(count):
    found = []
    c = 2
    while len(found) < count:
        if all(c % p for p in found if p * p <= c):
            found.append(c)
        c += 1
    return found


def probably_prime(n, rounds=32):
    if n % 2 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(random.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def roca_prime(m, bits):
    """A prime as Infineon's library made them for 2048-bit keys (Nemec
    et al., CCS 2017): k * M + (65537^a mod M), M the product of the
    first 126 primes."""
    while True:
        k = random.getrandbits(bits - m.bit_length()) | 1 << (
            bits - m.bit_length() - 1)
        p = k * m + pow(65537, random.getrandbits(64), m)
        if p.bit_length() == bits and probably_prime(p):
            return p


def bad_keys(d):
    with open(os.path.join(d, "rsa1.pub"), "rb") as f:
        rsa1 = serialization.load_pem_public_key(f.read())
    with open(os.path.join(d, "rsa2.pub"), "rb") as f:
        rsa2 = serialization.load_pem_public_key(f.read())
    n1 = rsa1.public_numbers().n
    n2 = rsa2.public_numbers().n

    # e = 1: a "signature" is the padded hash, forged from the public key
    write(os.path.join(d, "rsa-e1.pub"), rsa_pem(n1, 1))
    write(os.path.join(d, "rsa-e1.json"), json.dumps(
        numbers_jwk(n1, 1, "e1")).encode())
    write(os.path.join(d, "rsa-even.json"), json.dumps(
        numbers_jwk(n1, 65536, "even")).encode())
    write(os.path.join(d, "rsa-even.pub"), rsa_pem(n1, 65536))

    # a 1024-bit modulus as a JWK (weak.pub is the PEM one)
    with open(os.path.join(d, "weak.pub"), "rb") as f:
        weak = serialization.load_pem_public_key(f.read())
    write(os.path.join(d, "weak.json"), json.dumps(numbers_jwk(
        weak.public_numbers().n, 65537, "weak")).encode())

    # e = 3, odd and >= 3: allowed (the rsa1 modulus, so no private key)
    write(os.path.join(d, "rsa-e3.json"), json.dumps(
        numbers_jwk(n1, 3, "e3")).encode())

    # ROCA: two primes of the vulnerable form, a 2048-bit modulus
    m = 1
    for p in small_primes(126):
        m *= p
    n = 0
    while n.bit_length() != 2048:
        n = roca_prime(m, 1024) * roca_prime(m, 1024)
    write(os.path.join(d, "roca.pub"), rsa_pem(n, 65537))
    write(os.path.join(d, "roca.json"), json.dumps(
        {"keys": [numbers_jwk(n1, 65537, "fine"),
                  numbers_jwk(n, 65537, "roca")]}).encode())

    # key_ops: a key for encryption only, next to one that verifies
    enc = numbers_jwk(n2, 65537, "enc")
    del enc["use"]
    enc["key_ops"] = ["encrypt", "wrapKey"]
    ver = numbers_jwk(n1, 65537, "rsa1")
    ver["key_ops"] = ["verify"]
    write(os.path.join(d, "key-ops.json"), json.dumps(
        {"keys": [enc, ver]}).encode())
    bad_ops = numbers_jwk(n1, 65537, "rsa1")
    bad_ops["key_ops"] = "verify"
    write(os.path.join(d, "key-ops-string.json"), json.dumps(
        bad_ops).encode())

    # two keys with one kid
    write(os.path.join(d, "dup-kid.json"), json.dumps(
        {"keys": [numbers_jwk(n1, 65537, "twice"),
                  numbers_jwk(n2, 65537, "twice")]}).encode())

    # base64url spelled otherwise: padding, and a set unused bit (the rsa1
    # modulus is 256 bytes, 342 characters, the last one carrying 4 unused
    # bits)
    padded = numbers_jwk(n1, 65537, "padded")
    padded["n"] += "=="
    write(os.path.join(d, "b64-padded.json"), json.dumps(padded).encode())
    bits = numbers_jwk(n1, 65537, "bits")
    alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_")
    last = alphabet.index(bits["n"][-1])
    bits["n"] = bits["n"][:-1] + alphabet[last | 1]
    write(os.path.join(d, "b64-bits.json"), json.dumps(bits).encode())

    write(os.path.join(d, "stamp-bad"), b"ok\n")


def main():
    d = sys.argv[1]

    if sys.argv[2:] == ["bad"]:
        bad_keys(d)
        return

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

    bad_keys(d)

    write(os.path.join(d, "stamp"), b"ok\n")


if __name__ == "__main__":
    main()
