#!/usr/bin/env python3
"""make_corpus.py - seed corpora for the fuzz targets, from files we ship plus a few
small hand-made inputs (standard library only; nothing is committed in bulk).

    python3 tests/fuzz/make_corpus.py OUT_DIR

writes OUT_DIR/<target>/<name> for the targets safetensors, model_load, image, csv and
cli_sample. Seeds:
  safetensors  the small shipped weights (< 200 kB) and tiny files in every dtype,
               a scalar, an empty tensor and metadata only;
  model_load   every shipped weights file (web/weights/*.safetensors);
  image        PNGs in every colour type (grey, grey+alpha, RGB, palette, RGBA), bit
               depths 1/8/16, a digit on paper and on a transparent canvas (small
               files keep the runs fast);
  csv          points with each separator, line end, header and comment form;
  cli_sample   argument lists of `thinkdiff sample`, one argument per line.
"""
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def put(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, meta=None):
    """tensors: list of (name, dtype, shape, raw bytes) -> file bytes."""
    header, offset, blobs = {}, 0, []
    if meta is not None:
        header["__metadata__"] = meta
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    import json
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def png(w, h, colour_type, depth, rows, palette=None, trns=None):
    """rows: list of bytes (already packed for colour_type/depth), filter 0 added here."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", palette)
    if trns:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def digit(w, h):
    """A stroke ('7'-ish) as ink in 0..255 per pixel."""
    ink = [[0] * w for _ in range(h)]
    for x in range(w // 4, 3 * w // 4):
        ink[h // 4][x] = 255
    for k in range(h // 2):
        x, y = 3 * w // 4 - k * w // (2 * h), h // 4 + k
        if 0 <= x < w and 0 <= y < h:
            ink[y][x] = 255
    return ink


def image_seeds(out):
    w = h = 16
    ink = digit(w, h)
    put(out, "image", "grey8_paper.png", png(w, h, 0, 8, [bytes(255 - v for v in r) for r in ink]))
    put(out, "image", "grey16.png", png(w, h, 0, 16, [b"".join(struct.pack(">H", 257 * v) for v in r) for r in ink]))
    put(out, "image", "grey1.png", png(w, h, 0, 1, [bytes(
        sum((1 if r[x + b] else 0) << (7 - b) for b in range(8)) for x in range(0, w, 8)) for r in ink]))
    put(out, "image", "greyalpha.png", png(w, h, 4, 8, [b"".join(bytes((0, v)) for v in r) for r in ink]))
    put(out, "image", "rgb_dark.png", png(w, h, 2, 8, [b"".join(bytes((v, v // 2, 0)) for v in r) for r in ink]))
    put(out, "image", "rgba_canvas.png", png(w, h, 6, 8, [b"".join(bytes((20, 20, 20, v)) for v in r) for r in ink]))
    put(out, "image", "rgba16.png", png(4, 4, 6, 16, [(b"\x00\x00" * 3 + b"\xff\xff") * 4] * 4))
    put(out, "image", "palette.png", png(w, h, 3, 8, [bytes(1 if v else 0 for v in r) for r in ink],
                                         palette=b"\xff\xff\xff\x00\x00\x00", trns=b"\xff\xff"))
    put(out, "image", "blank.png", png(w, h, 0, 8, [b"\xff" * w for _ in range(h)]))
    put(out, "image", "one_pixel.png", png(1, 1, 0, 8, [b"\x00"]))


def safetensors_seeds(out):
    weights = os.path.join(ROOT, "web", "weights")
    for name in sorted(os.listdir(weights)):
        if not name.endswith(".safetensors"):
            continue
        data = open(os.path.join(weights, name), "rb").read()
        put(out, "model_load", name, data)
        if len(data) < 200000:
            put(out, "safetensors", name, data)
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0)
    put(out, "safetensors", "f32.safetensors", safetensors([("w", "F32", [2, 2], f32)], {"model": "vae"}))
    put(out, "safetensors", "f16.safetensors", safetensors([("h", "F16", [3], struct.pack("<3H", 0x3c00, 0x7c00, 0x0001))]))
    put(out, "safetensors", "bf16.safetensors", safetensors([("b", "BF16", [1, 2], struct.pack("<2H", 0x3f80, 0xff80))]))
    put(out, "safetensors", "scalar.safetensors", safetensors([("s", "F32", [], struct.pack("<f", 7.0))]))
    put(out, "safetensors", "empty_tensor.safetensors", safetensors([("e", "F32", [0, 4], b""), ("a", "F32", [1], f32[:4])]))
    put(out, "safetensors", "meta_only.safetensors", safetensors([], {"model": "diffusion", "format_version": "1"}))
    put(out, "safetensors", "four_dims.safetensors", safetensors([("d", "F32", [1, 1, 2, 2], f32)]))


def csv_seeds(out):
    put(out, "csv", "comma.csv", "x,y\n1,2\n-3.5,4e-2\n0,0\n")
    put(out, "csv", "semicolon_crlf.csv", "1;2\r\n3;4\r\n5;6\r\n")
    put(out, "csv", "space_cr.csv", "# points\r1 2\r3\t4\r  5 ,  6  \r")
    put(out, "csv", "comments.csv", "# header comment\n\nx y\n1 2 # inline\n\n3 4\n")
    put(out, "csv", "bad.csv", "1,2\nabc\n1e39,0\nnan,1\n")


def cli_seeds(out):
    seeds = {
        "exact.args": "--model\nexact\n--out\nx.npy\n--steps\n50\n--n\n100\n--seed\n18446744073709551615",
        "sampler.args": "--model=exact\n--sampler=ode-heun\n--sde=ve\n--data=ring8\n--out=a.png",
        "trajectory.args": "--model\nweights.safetensors\n--out\ns.npy\n--trajectory\nt.npy\n--steps\n1000\n--n\n1000",
        "bad.args": "--model\nexact\n--steps\n-1\n--seed\n-5\n--n\n0x10\n--bogus\n--",
    }
    for name, text in seeds.items():
        put(out, "cli_sample", name, text)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT_DIR")
    out = sys.argv[1]
    safetensors_seeds(out)
    image_seeds(out)
    csv_seeds(out)
    cli_seeds(out)


if __name__ == "__main__":
    main()
