#!/usr/bin/env python3
"""An independent implementation of Sotto's contact sessions (docs/messenger.md,
"Sessions"): Noise IK and XXpsk0 over 25519/ChaChaPoly/SHA256, the key
derivations and the 2-byte framing, written from the Noise specification with
Python's `cryptography` package only. It prints the ```vector session-*
blocks of the document; tests/unit/tst_session_keys.cpp checks the C++ code
against the same blocks, so the two implementations agree byte for byte.

    python3 scripts/session_vectors.py
"""
import hashlib
import hmac

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

RAW = serialization.Encoding.Raw
P = 2**255 - 19


def raw_public(k):
    return k.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)


def ed25519_public(seed):
    return raw_public(Ed25519PrivateKey.from_private_bytes(seed))


def x25519_secret_from_ed25519(seed):
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return bytes(h)


def x25519_public_from_ed25519(pub):
    # RFC 7748 §4.1: u = (1 + y) / (1 - y).
    y = int.from_bytes(pub, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, P - 2, P) % P
    return u.to_bytes(32, "little")


def x25519_public(secret):
    return raw_public(X25519PrivateKey.from_private_bytes(secret))


def dh(secret, public):
    return X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))


def hkdf_sha256(ikm, info, salt=b""):
    prk = hmac.new(salt if salt else bytes(32), ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


# ---- Noise (revision 34), just enough for IK and XXpsk0

def noise_hkdf(ck, ikm, n):
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac.new(temp, prev + bytes([i]), hashlib.sha256).digest()
        out.append(prev)
    return out


def nonce(n):
    return bytes(4) + n.to_bytes(8, "little")


class Cipher:
    def __init__(self, k=None):
        self.k, self.n = k, 0

    def enc(self, ad, pt):
        if self.k is None:
            return pt
        ct = ChaCha20Poly1305(self.k).encrypt(nonce(self.n), pt, ad)
        self.n += 1
        return ct

    def dec(self, ad, ct):
        if self.k is None:
            return ct
        pt = ChaCha20Poly1305(self.k).decrypt(nonce(self.n), ct, ad)
        self.n += 1
        return pt


class Handshake:
    def __init__(self, pattern, messages, pre_responder_static, initiator, prologue, s, rs, e, psk):
        name = b"Noise_" + pattern + b"_25519_ChaChaPoly_SHA256"
        self.h = name.ljust(32, b"\0") if len(name) <= 32 else hashlib.sha256(name).digest()
        self.ck, self.cs = self.h, Cipher()
        self.messages, self.initiator = messages, initiator
        self.s, self.rs, self.e, self.re, self.psk = s, rs, e, None, psk
        self.psk_mode = psk is not None
        self.mix_hash(prologue)
        if pre_responder_static:
            self.mix_hash(rs if initiator else x25519_public(s))
        self.i = 0

    def mix_hash(self, d):
        self.h = hashlib.sha256(self.h + d).digest()

    def mix_key(self, ikm):
        self.ck, k = noise_hkdf(self.ck, ikm, 2)
        self.cs = Cipher(k)

    def mix_key_and_hash(self, ikm):
        self.ck, th, k = noise_hkdf(self.ck, ikm, 3)
        self.mix_hash(th)
        self.cs = Cipher(k)

    def enc_hash(self, pt):
        ct = self.cs.enc(self.h, pt)
        self.mix_hash(ct)
        return ct

    def dec_hash(self, ct):
        pt = self.cs.dec(self.h, ct)
        self.mix_hash(ct)
        return pt

    def dh_token(self, t):
        ini = self.initiator
        pairs = {
            "ee": (self.e, self.re),
            "ss": (self.s, self.rs),
            "es": (self.e, self.rs) if ini else (self.s, self.re),
            "se": (self.s, self.re) if ini else (self.e, self.rs),
        }
        a, b = pairs[t]
        self.mix_key(dh(a, b))

    def write(self):
        out = b""
        for t in self.messages[self.i]:
            if t == "e":
                pub = x25519_public(self.e)
                out += pub
                self.mix_hash(pub)
                if self.psk_mode:
                    self.mix_key(pub)
            elif t == "s":
                out += self.enc_hash(x25519_public(self.s))
            elif t == "psk":
                self.mix_key_and_hash(self.psk)
            else:
                self.dh_token(t)
        out += self.enc_hash(b"")
        self.i += 1
        return len(out).to_bytes(2, "big") + out

    def read(self, framed):
        m = framed[2:]
        assert int.from_bytes(framed[:2], "big") == len(m)
        for t in self.messages[self.i]:
            if t == "e":
                self.re, m = m[:32], m[32:]
                self.mix_hash(self.re)
                if self.psk_mode:
                    self.mix_key(self.re)
            elif t == "s":
                n = 48 if self.cs.k is not None else 32
                self.rs, m = self.dec_hash(m[:n]), m[n:]
            elif t == "psk":
                self.mix_key_and_hash(self.psk)
            else:
                self.dh_token(t)
        assert self.dec_hash(m) == b""
        self.i += 1

    def split(self):
        k1, k2 = noise_hkdf(self.ck, b"", 2)
        return (Cipher(k1), Cipher(k2)) if self.initiator else (Cipher(k2), Cipher(k1))


def record(cipher, pt):
    ct = cipher.enc(b"", pt)
    return len(ct).to_bytes(2, "big") + ct


IK = [["e", "es", "s", "ss"], ["e", "ee", "se"]]
XXPSK0 = [["psk", "e"], ["e", "ee", "s", "es"], ["s", "se"]]


def fixed(n):
    return bytes((n + i) % 256 for i in range(32))


def show(name, rows):
    print("```vector " + name)
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)} = {v.hex() if isinstance(v, bytes) else v}")
    print("```")
    print()


def main():
    network = bytes(range(8))
    prologue = b"sotto-session-v1" + network

    seed = fixed(0x10)
    pub = ed25519_public(seed)
    ck_id, dc = fixed(0x40), fixed(0x60)
    invite_seed = fixed(0x80)
    inv_pair_seed = hkdf_sha256(invite_seed, b"sotto-invite-pairwise-v1")
    psk = hkdf_sha256(ck_id + dc, b"sotto-invite-psk-v1")
    assert x25519_public(x25519_secret_from_ed25519(seed)) == x25519_public_from_ed25519(pub)
    show("session-keys", [
        ("pairwise_seed", seed), ("pairwise_public", pub),
        ("x25519_secret", x25519_secret_from_ed25519(seed)),
        ("x25519_public", x25519_public_from_ed25519(pub)),
        ("network_id", network), ("prologue", prologue),
        ("client_key_id", ck_id), ("descriptor_cookie", dc), ("invite_psk", psk),
        ("invite_client_seed", invite_seed), ("invite_pairwise_seed", inv_pair_seed),
        ("invite_pairwise_public", ed25519_public(inv_pair_seed)),
    ])

    # A contact session: Alice calls Bob (IK).
    a_seed, b_seed = fixed(0xa0), fixed(0xb0)
    a_e, b_e = fixed(0xc0), fixed(0xd0)
    a_s, b_s = x25519_secret_from_ed25519(a_seed), x25519_secret_from_ed25519(b_seed)
    b_pub = x25519_public_from_ed25519(ed25519_public(b_seed))
    caller = Handshake(b"IK", IK, True, True, prologue, a_s, b_pub, a_e, None)
    answerer = Handshake(b"IK", IK, True, False, prologue, b_s, None, b_e, None)
    m1 = caller.write()
    answerer.read(m1)
    m2 = answerer.write()
    caller.read(m2)
    assert caller.h == answerer.h
    c_send, c_recv = caller.split()
    a_send, a_recv = answerer.split()
    r1 = record(c_send, b"hello")
    r2 = record(a_send, b"hi")
    assert c_recv.dec(b"", r2[2:]) == b"hi" and a_recv.dec(b"", r1[2:]) == b"hello"
    show("session-contact", [
        ("network_id", network), ("caller_pairwise_seed", a_seed),
        ("answerer_pairwise_seed", b_seed), ("caller_ephemeral", a_e),
        ("answerer_ephemeral", b_e), ("message_1", m1), ("message_2", m2),
        ("handshake_hash", caller.h), ("record_caller", r1), ("record_answerer", r2),
    ])

    # An invite session: the invitee (Alice) redeems Bob's code (XXpsk0).
    inv_s = x25519_secret_from_ed25519(inv_pair_seed)
    caller = Handshake(b"XXpsk0", XXPSK0, False, True, prologue, a_s, None, a_e, psk)
    answerer = Handshake(b"XXpsk0", XXPSK0, False, False, prologue, inv_s, None, b_e, psk)
    m1 = caller.write()
    answerer.read(m1)
    m2 = answerer.write()
    caller.read(m2)
    m3 = caller.write()
    answerer.read(m3)
    assert caller.h == answerer.h
    assert caller.rs == x25519_public(inv_s) and answerer.rs == x25519_public(a_s)
    c_send, _ = caller.split()
    show("session-invite", [
        ("network_id", network), ("caller_pairwise_seed", a_seed),
        ("invite_client_seed", invite_seed), ("client_key_id", ck_id),
        ("descriptor_cookie", dc), ("caller_ephemeral", a_e), ("answerer_ephemeral", b_e),
        ("message_1", m1), ("message_2", m2), ("message_3", m3),
        ("handshake_hash", caller.h), ("record_caller", record(c_send, b"hello")),
    ])


if __name__ == "__main__":
    main()
