#!/usr/bin/env python3
"""Independent verifier of a Remit event log, standard library only.

Reads the log with psql and recomputes the hash chain as docs/ledger-format.md defines it,
without any of Remit's code; checks every signed checkpoint in the log (it must name the event
before it, and carry the signature of the key it names) and every checkpoint kept in a file
(genuine, and still extended by the log). Prints one line and exits 0 when everything holds,
1 when something breaks (naming the first position that does not verify), 2 on usage or
connection errors.

    tools/verify-ledger.py postgresql://remit:…@127.0.0.1:15432/remit
    tools/verify-ledger.py URL --jwks jwks.json --checkpoints kept.json

Keys: from --jwks (a copy of /.well-known/jwks.json; repeatable), or else the keys the log
itself published (which prove only that the log agrees with itself).
"""
import argparse
import base64
import hashlib
import json
import subprocess
import sys

# ECDSA over NIST P-256 with SHA-256 (FIPS 186-4), verification only, in plain integers.
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def point_add(p, q):
    """Affine points, None for the point at infinity."""
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        if (y1 + y2) % P256_P == 0:
            return None
        slope = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P256_P) % P256_P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P256_P) % P256_P
    x3 = (slope * slope - x1 - x2) % P256_P
    return x3, (slope * (x1 - x3) - y1) % P256_P


def point_multiply(k, p):
    result = None
    while k:
        if k & 1:
            result = point_add(result, p)
        p = point_add(p, p)
        k >>= 1
    return result


def ecdsa_p256_verify(public_xy, message: bytes, signature: bytes) -> bool:
    """Whether `signature` (r and s, 32 bytes each) is the key's over `message`."""
    x, y = public_xy
    if not (0 <= x < P256_P and 0 <= y < P256_P) or (y * y - (x * x * x - 3 * x + P256_B)) % P256_P != 0:
        return False
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < P256_N and 1 <= s < P256_N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, P256_N)
    point = point_add(point_multiply(e * w % P256_N, P256_G), point_multiply(r * w % P256_N, (x, y)))
    return point is not None and point[0] % P256_N == r


def base64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_key(jwk):
    """(kid, (x, y)) of a P-256 public JWK; the kid must be its RFC 7638 thumbprint."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError(f"key {jwk.get('kid')} is not a P-256 key")
    thumbprint = json.dumps({"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(thumbprint.encode()).digest()).rstrip(b"=").decode()
    if kid != jwk.get("kid"):
        raise ValueError(f"key {jwk.get('kid')}: its kid is not its thumbprint")
    return kid, (int.from_bytes(base64url(jwk["x"]), "big"), int.from_bytes(base64url(jwk["y"]), "big"))


def checkpoint_signed(checkpoint, keys):
    """True or False when the checkpoint's key is known, None when it is not."""
    key = keys.get(checkpoint["kid"])
    if key is None:
        return None
    message = "\n".join(["remit-checkpoint-v1", checkpoint["region"], str(checkpoint["epoch"]), str(checkpoint["position"]),
                         checkpoint["hash"], str(checkpoint["atMicroseconds"])]).encode()
    try:
        signature = bytes.fromhex(checkpoint["signature"])
    except ValueError:
        return False
    return ecdsa_p256_verify(key, message, signature)

CHECKPOINT_STREAM = "00000000-0000-0000-0000-000000000003"
QUERY = (
    "SELECT position, epoch, stream_id, stream_version, event_type, encode(payload, 'hex'), "
    "encode(metadata, 'hex'), recorded_at_us, encode(hash, 'hex') FROM events ORDER BY position"
)
HEAD_QUERY = "SELECT 'head', head_position, encode(head_hash, 'hex') FROM region_state"


def psql(url, *queries):
    """The rows of `queries`, read in one REPEATABLE READ snapshot: a live region may append
    between two separate reads (an audit entry logged by its node, say)."""
    commands = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", *queries, "COMMIT"]
    result = subprocess.run(
        ["psql", url, "--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "--field-separator=\t"]
        + [argument for command in commands for argument in ("--command", command)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        print(f"verify-ledger: psql failed: {result.stderr.strip()}", file=sys.stderr)
        sys.exit(2)
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def field(data: bytes) -> bytes:
    """A field of the canonical record: 4-byte big-endian length, then the bytes."""
    return len(data).to_bytes(4, "big") + data


def canonical_record(position, epoch, stream_id, stream_version, event_type, recorded_at_us, payload, metadata):
    return b"".join([
        field(str(position).encode()),
        field(str(epoch).encode()),
        field(stream_id.lower().encode()),
        field(str(stream_version).encode()),
        field(event_type.encode()),
        field(str(recorded_at_us).encode()),
        field(payload),
        field(metadata),
    ])


def verify(rows, keys, log_keys):
    """Returns (count, head hash hex, the hash at each position, epochs opened as (epoch, after),
    checkpoints verified, checkpoints unchecked) or raises ValueError naming the first bad
    position. With `log_keys`, keys the log publishes are added to `keys` as they come."""
    previous_hash = bytes(32)
    previous_position = 0
    previous_epoch = 0
    hashes = {}
    epochs = []
    verified = unchecked = 0
    for row in rows:
        position, epoch, stream_id, stream_version = int(row[0]), int(row[1]), row[2], int(row[3])
        event_type, payload, metadata = row[4], bytes.fromhex(row[5]), bytes.fromhex(row[6])
        recorded_at_us, stored_hash = int(row[7]), bytes.fromhex(row[8])
        if position != previous_position + 1:
            raise ValueError(f"position {position}: expected position {previous_position + 1}")
        if epoch < previous_epoch:
            raise ValueError(f"position {position}: epoch {epoch} after epoch {previous_epoch}")
        record = canonical_record(position, epoch, stream_id, stream_version, event_type, recorded_at_us, payload, metadata)
        computed = hashlib.sha256(previous_hash + record).digest()
        if computed != stored_hash:
            raise ValueError(f"position {position}: hash does not match its record")
        if event_type == "EpochStarted":
            epochs.append((epoch, json.loads(payload)["afterPosition"]))
        elif event_type == "SigningKeyPublished" and log_keys:
            kid, key = jwk_key(json.loads(json.loads(payload)["publicJWK"]))
            keys[kid] = key
        elif event_type == "CheckpointSigned" and stream_id.lower() == CHECKPOINT_STREAM:
            checkpoint = json.loads(payload)
            if (checkpoint["position"], checkpoint["hash"], checkpoint["epoch"]) != (previous_position, previous_hash.hex(), epoch):
                raise ValueError(f"position {position}: the checkpoint does not name the event before it")
            signed = checkpoint_signed(checkpoint, keys)
            if signed is False:
                raise ValueError(f"position {position}: the checkpoint's signature is not key {checkpoint['kid']}'s")
            verified, unchecked = verified + (signed is True), unchecked + (signed is None)
        hashes[position] = stored_hash.hex()
        previous_hash, previous_position, previous_epoch = stored_hash, position, epoch
    return previous_position, previous_hash.hex(), hashes, epochs, verified, unchecked


def check_kept(kept, keys, hashes, epochs):
    """Each kept checkpoint is genuine and the log still holds its hash, or a later epoch forked
    before it (a forced failover left it in the old writer). Returns how many were cut off."""
    cut_off = 0
    for checkpoint in sorted(kept, key=lambda c: c["position"]):
        signed = checkpoint_signed(checkpoint, keys)
        if signed is not True:
            reason = "its key is not given" if signed is None else "its signature is not its key's"
            raise ValueError(f"position {checkpoint['position']}: the kept checkpoint does not verify: {reason}")
        if hashes.get(checkpoint["position"]) == checkpoint["hash"]:
            continue
        if any(epoch > checkpoint["epoch"] and after < checkpoint["position"] for epoch, after in epochs):
            cut_off += 1
            continue
        raise ValueError(f"position {checkpoint['position']}: the log does not hold the hash {checkpoint['region']} signed there: history was rewritten")
    return cut_off


def main():
    parser = argparse.ArgumentParser(description="Verify a Remit region's log, standard library only.")
    parser.add_argument("url", help="the region's database (libpq URL)")
    parser.add_argument("--jwks", action="append", default=[], help="a JWKS file to check checkpoints with (repeatable)")
    parser.add_argument("--checkpoints", help="a file of kept checkpoints: a page of GET /api/v1/ledger/checkpoints, or an array")
    arguments = parser.parse_args()
    keys = {}
    try:
        for path in arguments.jwks:
            with open(path) as file:
                keys.update(jwk_key(jwk) for jwk in json.load(file)["keys"])
        kept = []
        if arguments.checkpoints:
            with open(arguments.checkpoints) as file:
                document = json.load(file)
            kept = document["items"] if isinstance(document, dict) and "items" in document else document
            kept = [kept] if isinstance(kept, dict) else kept
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"verify-ledger: {error}", file=sys.stderr)
        sys.exit(2)
    rows = psql(arguments.url, QUERY, HEAD_QUERY)
    heads = [row[1:] for row in rows if len(row) == 3 and row[0] == "head"]
    try:
        count, head, hashes, epochs, verified, unchecked = verify([row for row in rows if len(row) != 3], keys, not arguments.jwks)
        cut_off = check_kept(kept, keys, hashes, epochs)
    except ValueError as broken:
        print(f"broken: {broken}")
        sys.exit(1)
    if heads and (int(heads[0][0]), heads[0][1]) != (count, head):
        print(f"broken: the region's head is {heads[0][0]} {heads[0][1]}, the log ends at {count} {head}")
        sys.exit(1)
    line = f"ok: {count} events, head {head}; {verified} checkpoints signed (keys from {'--jwks' if arguments.jwks else 'the log'})"
    if unchecked:
        line += f", {unchecked} with keys not given"
    if kept:
        line += f"; {len(kept) - cut_off} kept checkpoints extended"
        if cut_off:
            line += f", {cut_off} cut off by a forced failover"
    print(line)


if __name__ == "__main__":
    main()
