#!/usr/bin/env python3
"""Independent verifier of a Remit event log, standard library only.

Reads the log with psql and recomputes the hash chain as docs/ledger-format.md defines it,
without any of Remit's code. Prints one line and exits 0 when the chain holds, 1 when it
breaks (naming the first position that does not verify), 2 on usage or connection errors.

    tools/verify-ledger.py postgresql://remit:…@127.0.0.1:15432/remit
"""
import hashlib
import subprocess
import sys

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


def verify(rows):
    """Returns (count, head hash hex) or raises ValueError naming the first bad position."""
    previous_hash = bytes(32)
    previous_position = 0
    previous_epoch = 0
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
        previous_hash, previous_position, previous_epoch = stored_hash, position, epoch
    return previous_position, previous_hash.hex()


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    url = sys.argv[1]
    rows = psql(url, QUERY, HEAD_QUERY)
    heads = [row[1:] for row in rows if len(row) == 3 and row[0] == "head"]
    try:
        count, head = verify([row for row in rows if len(row) != 3])
    except ValueError as broken:
        print(f"broken: {broken}")
        sys.exit(1)
    if heads and (int(heads[0][0]), heads[0][1]) != (count, head):
        print(f"broken: the region's head is {heads[0][0]} {heads[0][1]}, the log ends at {count} {head}")
        sys.exit(1)
    print(f"ok: {count} events, head {head}")


if __name__ == "__main__":
    main()
