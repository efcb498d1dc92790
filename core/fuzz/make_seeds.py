#!/usr/bin/env python3
"""Writes the fuzz seed corpus (seeds/) for the store_decode target.

Build-free: the bytes follow core/src/voiceprint/FORMAT.md, all little-endian.
The container seeds wrap a *plaintext* payload (no encryption, no tag): the
fuzz target treats whatever follows the header as decrypted bytes.
Run from anywhere: python3 core/fuzz/make_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
MAGIC = b"VGSTORE\0"
AEAD_XCHACHA20POLY1305 = 1


def s(text):
    b = text.encode("utf-8")
    return struct.pack("<H", len(b)) + b


def payload(model_id, dim, members, version):
    out = s(model_id) + struct.pack("<II", dim, len(members))
    for name, vp, utt, speech, cons, created, updated in members:
        assert len(vp) == dim
        out += s(name) + struct.pack(f"<{dim}f", *vp)
        out += struct.pack("<Iff", utt, speech, cons)
        if version >= 2:
            out += struct.pack("<qq", created, updated)
    return out


def container(version, nonce_byte, body):
    return MAGIC + struct.pack("<HH", version, AEAD_XCHACHA20POLY1305) + bytes([nonce_byte]) * 24 + struct.pack("<Q", len(body)) + body


ANA = ("ana", [0.6, 0.8, 0.0], 3, 16.5, 0.91, 1_700_000_000, 1_700_000_100)
BO = ("Bō", [0.0, -1.0, 0.0], 5, 30.25, 0.875, 1_700_000_200, 1_700_000_300)

SEEDS = {
    "payload_v2_one.bin": payload("ge2e:563fbaeeaeb7", 3, [ANA], 2),
    "payload_v2_two.bin": payload("ge2e:563fbaeeaeb7", 3, [ANA, BO], 2),
    "payload_v2_empty.bin": payload("m", 1, [], 2),
    "payload_v1_two.bin": payload("ge2e:563fbaeeaeb7", 3, [ANA, BO], 1),
    "container_v2.bin": container(2, 7, payload("ge2e:563fbaeeaeb7", 3, [ANA], 2)),
    "container_v1.bin": container(1, 9, payload("ge2e:563fbaeeaeb7", 3, [BO], 1)),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")
