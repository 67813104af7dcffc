"""Stack PNGs of one width and pixel format into one PNG, top to bottom (stdlib only).

`wlgen cluster dashboard --png` asks graphite-web's render API for each graph (it draws
one graph a request) and writes them as one image. The project has no imaging library
(Pillow is not a dependency, and one function does not justify one), and a full decode
is not needed: a PNG's pixel rows are already a byte stream (each row a filter-type byte
and its filtered bytes, deflated as one stream), so images of the same width, bit depth
and colour type stack by concatenating their decompressed rows. The one exception is an
image's first row: its filter predicted from a row of zeros above it, which is no longer
true once another image sits above, so that row alone is unfiltered and stored with
filter 0 (None). Every other row predicts from the row of its own image above it, as
before. Interlaced images (graphite/cairo never writes them) are refused.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# bytes per pixel for colour types at 8 bits: grey, RGB, palette, grey+alpha, RGBA
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


@dataclass(frozen=True, slots=True)
class Png:
    width: int
    height: int
    depth: int
    colour: int
    palette: bytes | None
    rows: bytes          # decompressed, filtered scanlines

    @property
    def format(self) -> tuple[int, int, int, bytes | None]:
        return self.width, self.depth, self.colour, self.palette

    @property
    def stride(self) -> int:
        return (self.width * _CHANNELS[self.colour] * self.depth + 7) // 8


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of each chunk; ValueError for what is not a PNG."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG (no signature)")
    out, at = [], len(SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        out.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
    return out


def parse(data: bytes) -> Png:
    found = chunks(data)
    if not found or found[0][0] != b"IHDR":
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _comp, _filt, interlace = struct.unpack(">IIBBBBB",
                                                                          found[0][1])
    if interlace or colour not in _CHANNELS:
        raise ValueError(f"PNG colour type {colour}, interlace {interlace}: not stackable")
    palette = next((body for kind, body in found if kind == b"PLTE"), None)
    rows = zlib.decompress(b"".join(body for kind, body in found if kind == b"IDAT"))
    return Png(width, height, depth, colour, palette, rows)


def first_row_unfiltered(png: Png) -> bytes:
    """The first scanline as filter 0: its filter predicted from zeros above it."""
    stride, bpp = png.stride, max(1, _CHANNELS[png.colour] * png.depth // 8)
    kind, line = png.rows[0], bytearray(png.rows[1:1 + stride])
    if kind in (1, 3, 4):   # Sub, Average, Paeth: with zeros above, each adds a left share
        for i in range(bpp, stride):
            left = line[i - bpp]
            line[i] = (line[i] + (left if kind != 3 else left // 2)) & 0xFF
    elif kind not in (0, 2):   # None, Up (zeros above: as stored)
        raise ValueError(f"PNG row filter {kind} is not one of PNG's five")
    return b"\x00" + bytes(line)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + \
        struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def stack(images: Sequence[bytes]) -> bytes:
    """One PNG: ``images`` top to bottom (same width and pixel format; else ValueError)."""
    if not images:
        raise ValueError("no images to stack")
    pngs = [parse(image) for image in images]
    first = pngs[0]
    for index, png in enumerate(pngs[1:], start=2):
        if png.format != first.format:
            raise ValueError(f"image {index} is {png.width} px wide, colour {png.colour}: "
                             f"not the first's {first.width} px, colour {first.colour}")
    rows = b"".join(first_row_unfiltered(p) + p.rows[1 + p.stride:] for p in pngs)
    header = struct.pack(">IIBBBBB", first.width, sum(p.height for p in pngs), first.depth,
                         first.colour, 0, 0, 0)
    body = [chunk(b"IHDR", header)]
    if first.palette is not None:
        body.append(chunk(b"PLTE", first.palette))
    body += [chunk(b"IDAT", zlib.compress(rows, 6)), chunk(b"IEND", b"")]
    return SIGNATURE + b"".join(body)
