"""The certificate's QR code, encoded here: byte mode (UTF-8), error correction level M, mask
pattern 2, the smallest version that holds the text.

The qrcode library computes the Reed–Solomon error correction with polynomial objects in pure
Python (~1 ms of a certificate's CPU). Here the codewords come from log/antilog tables, and each
version's fixed patterns, format and version information and the order in which data modules
are placed are computed once per process (with qrcode's own pattern code, so they are qrcode's);
a document then only fills the data modules. The result is module for module what
``qrcode.QRCode(error_correction=M, mask_pattern=2)`` gives for the same text in byte mode
(``tests/documents/test_qr.py``), and zbar reads it off the rendered page
(``tests/documents/test_pdf.py``). The standard allows any of the eight mask patterns: scoring
all eight, as qrcode does by default, costs ~5 ms per document.
"""

from __future__ import annotations

from functools import cache

MASK = 2  # (column % 3 == 0)

# GF(256) with the QR code's polynomial x^8 + x^4 + x^3 + x^2 + 1.
EXP = [0] * 512
LOG = [0] * 256
_x = 1
for _i in range(255):
    EXP[_i] = _x
    LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    EXP[_i] = EXP[_i - 255]


@cache
def _generator_logs(degree: int) -> tuple[int, ...]:
    """The logs of the generator polynomial's coefficients after the leading 1."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, c in enumerate(poly):
            nxt[j] ^= c
            if c:
                nxt[j + 1] ^= EXP[LOG[c] + i]
        poly = nxt
    return tuple(LOG[c] for c in poly[1:])


@cache
def _products(degree: int) -> tuple[int, ...]:
    """For each byte value, the generator polynomial times it, its ``degree`` coefficients
    packed into one integer (first coefficient in the highest byte)."""
    gen = _generator_logs(degree)
    out = [0]
    for factor in range(1, 256):
        lf = LOG[factor]
        out.append(int.from_bytes(bytes(EXP[lf + g] for g in gen), "big"))
    return tuple(out)


def _ecc(data: list[int], degree: int) -> list[int]:
    """The remainder of data × x^degree by the generator, one byte of data per step, the
    remainder held as one integer."""
    products = _products(degree)
    shift = 8 * (degree - 1)
    keep = (1 << shift) - 1
    rem = 0
    for byte in data:
        rem = ((rem & keep) << 8) ^ products[byte ^ (rem >> shift)]
    return list(rem.to_bytes(degree, "big"))


@cache
def _blocks(version: int) -> tuple[tuple[int, int], ...]:
    """(total codewords, data codewords) of each block at level M."""
    from qrcode.base import rs_blocks
    from qrcode.constants import ERROR_CORRECT_M

    return tuple((b.total_count, b.data_count) for b in rs_blocks(version, ERROR_CORRECT_M))


def _version_for(length: int) -> int:
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        if 4 + count_bits + 8 * length <= 8 * sum(d for _, d in _blocks(version)):
            return version
    raise ValueError("text too long for a QR code")


@cache
def _layout(
    version: int,
) -> tuple[tuple[tuple[bool | None, ...], ...], tuple[tuple[int, int, bool], ...]]:
    """The version's fixed modules (``None`` where data goes) and the data modules in placement
    order as (row, column, mask bit)."""
    import qrcode

    code = qrcode.QRCode(
        version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0
    )
    n = code.modules_count = version * 4 + 17
    code.modules = [[None] * n for _ in range(n)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(n - 7, 0)
    code.setup_position_probe_pattern(0, n - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(False, MASK)
    if version >= 7:
        code.setup_type_number(False)
    modules = code.modules
    order = []
    row, step = n - 1, -1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    order.append((row, c, c % 3 == 0))
            row += step
            if row < 0 or row >= n:
                row -= step
                step = -step
                break
    return tuple(tuple(r) for r in modules), tuple(order)


def _codewords(data: bytes, version: int) -> list[int]:
    blocks = _blocks(version)
    capacity = sum(d for _, d in blocks)
    count_bits = 8 if version < 10 else 16
    bits = (0b0100 << count_bits | len(data)) << (8 * len(data)) | int.from_bytes(data, "big")
    used = 4 + count_bits + 8 * len(data)
    terminator = min(4, capacity * 8 - used)
    bits <<= terminator
    used += terminator
    pad = -used % 8
    bits <<= pad
    used += pad
    stream = list(bits.to_bytes(used // 8, "big"))
    stream += [0xEC, 0x11] * ((capacity - len(stream)) // 2 + 1)
    del stream[capacity:]

    data_blocks, ecc_blocks, offset = [], [], 0
    for total, count in blocks:
        part = stream[offset : offset + count]
        offset += count
        data_blocks.append(part)
        ecc_blocks.append(_ecc(part, total - count))
    out = []
    for group in (data_blocks, ecc_blocks):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return out


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` as rows of modules (True: dark), without the quiet zone."""
    data = text.encode("utf-8")
    version = _version_for(len(data))
    fixed, order = _layout(version)
    matrix = [list(row) for row in fixed]
    words = _codewords(data, version)
    bits = format(int.from_bytes(bytes(words), "big"), f"0{8 * len(words)}b")
    bits += "0" * (len(order) - len(bits))  # remainder bits: light before masking
    for (row, col, mask), bit in zip(order, bits, strict=True):
        matrix[row][col] = (bit == "1") != mask
    return matrix
