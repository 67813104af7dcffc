"""A reference PNG decoder for tests (8-bit, non-interlaced): rows of unfiltered bytes.

Independent of workload/cluster/pngstack.py, which only ever unfilters a first row: the
tests check what it writes, and what Chromium's screenshots show, against this."""

from __future__ import annotations

from workload.cluster.pngstack import parse

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def rows(png: bytes, limit: int | None = None) -> list[bytes]:
    """The image's first ``limit`` rows (all by default), every PNG filter undone."""
    image = parse(png)
    bpp, stride = CHANNELS[image.colour], image.stride
    out: list[bytes] = []
    above = bytes(stride)
    for r in range(image.height if limit is None else min(limit, image.height)):
        kind = image.rows[r * (stride + 1)]
        line = bytearray(image.rows[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = above[i], above[i - bpp] if i >= bpp else 0
            if kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                add = a if pa <= pb and pa <= pc else b if pb <= pc else c
            else:
                add = (0, a, b, (a + b) // 2)[kind]
            line[i] = (line[i] + add) & 0xFF
        out.append(bytes(line))
        above = bytes(line)
    return out


def colours(png: bytes, limit: int | None = None) -> set[tuple[int, ...]]:
    """Every RGB colour in the first ``limit`` rows."""
    image = parse(png)
    bpp = CHANNELS[image.colour]
    return {tuple(row[i:i + 3]) for row in rows(png, limit)
            for i in range(0, len(row), bpp)}
