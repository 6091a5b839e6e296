#!/usr/bin/env python3
"""What an attacker without a signing key can do to a case (tests only).

  tamper.py digit TAR MEMBER LINE [FIELD]
      change one digit of a member in place (the last digit of the FIELD-th
      comma-separated field of LINE, 1-based; default field 3): the tar
      stays a valid tar of the same size, SHA256SUMS is left as it was
  tamper.py byte TAR MEMBER OFFSET
      flip the bits of one byte of a member, in place
  tamper.py replace TAR MEMBER OLD NEW
      replace OLD by NEW (same length) in a member, in place, and set the
      member's line of SHA256SUMS to its new hash, as a tool would write it
  tamper.py rechain CASEDIR [OLD NEW]...
      replace each OLD by NEW (same length) in every line of
      CASEDIR/custody.log, then recompute every "prev" so that the chain
      holds again (records must be unsigned)
"""
import hashlib
import sys
import tarfile


def member_span(tar, name):
    with tarfile.open(tar, "r:") as t:
        for m in t.getmembers():
            if m.name == name:
                return m.offset_data, m.size
    sys.exit(f"tamper: no member {name} in {tar}")


def rewrite(tar, name, fn):
    off, size = member_span(tar, name)
    with open(tar, "r+b") as f:
        f.seek(off)
        old = f.read(size)
        new = fn(old)
        assert len(new) == len(old)
        f.seek(off)
        f.write(new)
    return new


def digit(tar, name, line, field=3):
    def fn(data):
        lines = data.split(b"\n")
        cols = lines[line - 1].split(b",")
        c = cols[field - 1]
        i = max(k for k in range(len(c)) if c[k:k + 1].isdigit())
        d = (int(c[i:i + 1]) + 1) % 10
        cols[field - 1] = c[:i] + str(d).encode() + c[i + 1:]
        lines[line - 1] = b",".join(cols)
        return b"\n".join(lines)
    rewrite(tar, name, fn)


def flip(tar, name, offset):
    rewrite(tar, name, lambda d: d[:offset] + bytes([d[offset] ^ 0xff]) + d[offset + 1:])


def replace(tar, name, old, new):
    assert len(old) == len(new)
    data = rewrite(tar, name, lambda d: d.replace(old.encode(), new.encode(), 1))
    h = hashlib.sha256(data).hexdigest()

    def fix(sums):
        out = []
        for ln in sums.split(b"\n"):
            if ln.endswith(b"  " + name.encode()):
                ln = h.encode() + ln[64:]
            out.append(ln)
        return b"\n".join(out)
    rewrite(tar, "SHA256SUMS", fix)


def rechain(casedir, pairs):
    path = casedir + "/custody.log"
    lines = open(path, "rb").read().split(b"\n")
    assert lines[-1] == b""
    lines = lines[:-1]
    out, prev = [], None
    for ln in lines:
        for old, new in pairs:
            assert len(old) == len(new)
            ln = ln.replace(old.encode(), new.encode())
        if prev is not None:
            i = ln.index(b'"prev":"') + 8
            ln = ln[:i] + prev.encode() + ln[i + 64:]
        assert b'"sig"' not in ln, "signed records cannot be re-chained"
        prev = hashlib.sha256(ln).hexdigest()
        out.append(ln)
    open(path, "wb").write(b"\n".join(out) + b"\n")


def main(a):
    if a[1] == "digit":
        digit(a[2], a[3], int(a[4]), int(a[5]) if len(a) > 5 else 3)
    elif a[1] == "byte":
        flip(a[2], a[3], int(a[4]))
    elif a[1] == "replace":
        replace(a[2], a[3], a[4], a[5])
    elif a[1] == "rechain":
        rechain(a[2], list(zip(a[3::2], a[4::2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
