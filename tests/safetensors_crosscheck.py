#!/usr/bin/python3
"""safetensors_crosscheck.py - our files against an independent reader, and back.

    /usr/bin/python3 tests/safetensors_crosscheck.py BUILD_DIR

1. Reads BUILD_DIR/crosscheck_{f32,f16}.safetensors (written by test_safetensors
   with our C writer) with a reader written here from the format's description
   (json + numpy only: no safetensors package), checking the layout, every
   value (F16 rounding against numpy's float16) and the metadata.
2. Writes files with its own writer and checks that `thinkdiff info` reads them
   (and rejects a truncated one).
Prints "safetensors_crosscheck: N passed, N failed" and exits non-zero on failure.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": None}
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in header")
    return dict(pairs)


def read_safetensors(blob):
    """Parse and validate a safetensors file; return (tensors, metadata, header_len)."""
    if len(blob) < 8:
        raise ValueError("too short")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError("header length beyond the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise ValueError("metadata must map strings to strings")
    spans, tensors = [], {}
    for name, info in header.items():
        if set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{name}: fields {sorted(info)}")
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES or DTYPES[dtype] is None:
            raise ValueError(f"{name}: dtype {dtype}")
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise ValueError(f"{name}: shape {shape}")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(data)) or end - begin != count * DTYPES[dtype].itemsize:
            raise ValueError(f"{name}: offsets [{begin}, {end}] for shape {shape} {dtype}")
        spans.append((begin, end, name))
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[dtype]).reshape(shape)
    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            raise ValueError(f"{name}: starts at {begin}, expected {at}")
        at = end
    if at != len(data):
        raise ValueError(f"tensors cover {at} of {len(data)} data bytes")
    return tensors, meta, n


def write_safetensors(tensors, meta, order=None):
    """An independent writer: JSON members in `order` (not offset order), no padding."""
    header, chunks, at = {}, [], 0
    for name, arr in tensors.items():
        raw = arr.tobytes()
        dtype = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16"}[arr.dtype]
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    ordered = {k: header[k] for k in (order or header)}
    ordered["__metadata__"] = meta
    text = json.dumps(ordered, ensure_ascii=False).encode("utf-8")
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    files = {d: os.path.join(build, f"crosscheck_{d}.safetensors") for d in ("f32", "f16")}
    ramp = ((np.arange(24, dtype=np.float32) - 7) / 4).reshape(2, 3, 4)
    want_meta = {"format": "pt", "model": "crosscheck", "unicode": "\u03c3\u00b2"}
    read = {}
    for d, path in files.items():
        try:
            with open(path, "rb") as f:
                blob = f.read()
            read[d] = read_safetensors(blob)
            check(f"{d} file written by the C writer passes the independent validation", True)
        except (OSError, ValueError) as e:
            check(f"{d} file written by the C writer passes the independent validation", False, str(e))
            continue
        tensors, meta, n = read[d]
        check(f"{d} header is padded to a multiple of 8 bytes with spaces",
              n % 8 == 0 and blob[8:8 + n].rstrip(b" ").endswith(b"}"))
        check(f"{d} metadata matches", meta == want_meta, repr(meta))
        check(f"{d} tensors keep the written order in the data buffer",
              list(tensors) == ["ramp", "tricky", "scalar", "nothing"], repr(list(tensors)))
        check(f"{d} ramp values are (i - 7) / 4 with shape (2, 3, 4)",
              tensors["ramp"].shape == (2, 3, 4) and np.array_equal(tensors["ramp"].astype(np.float32), ramp))
        check(f"{d} scalar is a 0-dim 42", tensors["scalar"].shape == () and float(tensors["scalar"]) == 42.0)
        check(f"{d} empty tensor has shape (3, 0)", tensors["nothing"].shape == (3, 0))
    if "f32" in read and "f16" in read:
        source = read["f32"][0]["tricky"]
        ours = read["f16"][0]["tricky"]
        with np.errstate(over="ignore"):  # 65520 and -1e6 overflow to inf, as they should
            theirs = source.astype(np.float16)  # numpy: round to nearest, ties to even
        same = np.array_equal(ours.view(np.uint16), theirs.view(np.uint16))
        check("F16 rounding of awkward values matches numpy bit for bit", same,
              f"\n  ours   {ours.view(np.uint16)}\n  numpy  {theirs.view(np.uint16)}")

    # The reader above can fail: an overlap it must reject.
    bad = write_safetensors({"a": np.zeros(2, np.float32)}, {})
    bad = bad.replace(b'"data_offsets": [0, 8]', b'"data_offsets": [1, 9]') + b"\0"
    try:
        read_safetensors(bad)
        check("the independent reader rejects a gap at the start", False)
    except ValueError:
        check("the independent reader rejects a gap at the start", True)

    # Files from this writer, read by `thinkdiff info`.
    binary = os.path.join(build, "thinkdiff")
    rng = np.random.default_rng(0)
    ours = {"layer.weight": rng.standard_normal((5, 3)).astype("<f4"),
            "layer.bias": np.arange(5, dtype="<f2"),
            "gain": np.array(2.0, dtype="<f4")}
    blob = write_safetensors(ours, {"kind": "python", "note": "\u00e9t\u00e9"},
                             order=["gain", "layer.bias", "layer.weight"])
    path = os.path.join(build, "crosscheck_from_python.safetensors")
    with open(path, "wb") as f:
        f.write(blob)
    if not os.access(binary, os.X_OK):
        check("thinkdiff binary exists", False, binary)
    else:
        r = subprocess.run([binary, "info", path], capture_output=True, text=True)
        lines = r.stdout.splitlines()
        check("thinkdiff info reads a file from the python writer", r.returncode == 0 and r.stderr == "",
              r.stderr)
        check("thinkdiff info lists tensors in data order with dtype and shape",
              any(l.split()[:3] == ["layer.weight", "F32", "[5,"] for l in lines if l.strip())
              and any(l.split()[:3] == ["layer.bias", "F16", "[5]"] for l in lines if l.strip())
              and any(l.split()[:3] == ["gain", "F32", "[]"] for l in lines if l.strip()), r.stdout)
        check("thinkdiff info counts 21 parameters and shows the metadata",
              "parameters: 21" in lines and "  note = \u00e9t\u00e9" in lines, r.stdout)
        with open(path, "wb") as f:
            f.write(blob[:-1])
        r = subprocess.run([binary, "info", path], capture_output=True, text=True)
        check("thinkdiff info rejects the same file one byte short",
              r.returncode == 1 and "reach past the end" in r.stderr and r.stdout == "", r.stderr)
    os.remove(path)

    print(f"safetensors_crosscheck: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
