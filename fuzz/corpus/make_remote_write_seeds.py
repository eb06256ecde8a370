#!/usr/bin/env python3
"""Writes the remote-write seed corpus (fuzz/corpus/remote_write/): a few valid and invalid
WriteRequests, as snappy blocks and as raw protobuf, encoded by hand (prompb field numbers,
see storage/ingest/remote_write.h) so no protobuf or snappy package is needed. Rerun after
changing it:  python3 fuzz/corpus/make_remote_write_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "remote_write")


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    tag = varint((num << 3) | wire)
    if wire == 2:
        return tag + varint(len(payload)) + payload
    return tag + payload


def label(name, value):
    return field(1, 2, name.encode()) + field(2, 2, value.encode())


def sample(v, t):
    return field(1, 1, struct.pack("<d", v)) + field(2, 0, varint(t))


def series(labels, samples, extra=b""):
    body = b"".join(field(1, 2, label(n, v)) for n, v in labels)
    body += b"".join(field(2, 2, sample(v, t)) for v, t in samples)
    return field(1, 2, body + extra)


def metadata(mtype, family, help_text, unit):
    body = field(1, 0, varint(mtype)) + field(2, 2, family.encode())
    body += field(4, 2, help_text.encode()) + field(5, 2, unit.encode())
    return field(3, 2, body)


def snappy_literal_block(data):
    """A valid snappy block made only of literals (what a compressor may emit)."""
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)
        out += chunk
    return bytes(out)


STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]

VALID = {
    "one_series": series([("__name__", "up"), ("job", "node")], [(1.0, 1700000000000)]),
    "two_series_metadata": series([("__name__", "http_requests_total"), ("code", "200")],
                                  [(10.0, 1000), (12.5, 16000)])
    + series([("__name__", "temp"), ("room", "kitchen")], [(STALE_NAN, 2000), (-3.25, 3000)])
    + metadata(1, "http_requests_total", "Requests served.", ""),
    "unknown_fields_and_exemplar": series([("__name__", "a")], [(1.0, -5)],
                                          extra=field(3, 2, b"\x0a\x00") + field(9, 0, varint(150)))
    + field(10, 5, b"\x01\x02\x03\x04"),
    "empty_request": b"",
    "utf8_labels": series([("__name__", "x"), ("city", "Zürich")], [(float("inf"), 0)]),
}
INVALID = {
    "truncated": series([("__name__", "up")], [(1.0, 1)])[:-3],
    "wrong_wire_type": b"\x08\x01",
    "bad_varint": b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    "no_name_label": series([("job", "x")], [(1.0, 1)]),
    "duplicate_label": series([("__name__", "a"), ("a", "1"), ("a", "2")], [(1.0, 1)]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, proto in {**VALID, **INVALID}.items():
        with open(os.path.join(OUT, name + ".proto"), "wb") as f:
            f.write(proto)
        with open(os.path.join(OUT, name + ".snappy"), "wb") as f:
            f.write(snappy_literal_block(proto))
    with open(os.path.join(OUT, "bad_snappy_header.snappy"), "wb") as f:
        f.write(b"\xff\xff\xff\xff\xff\x0f")
    with open(os.path.join(OUT, "huge_claimed_size.snappy"), "wb") as f:
        f.write(varint(1 << 40) + b"\x00a")


if __name__ == "__main__":
    main()
