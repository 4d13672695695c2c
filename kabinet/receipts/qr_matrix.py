"""The payment QR code's modules, the same symbol segno makes (``qr.payment_qr``: byte mode,
level M, mask 0) about ten times cheaper — for the mass issue of payment documents, where
segno's pure-Python encoding was a third of drawing a document (bench/README.md, «Payment
documents»).

What depends on the version alone is made once per version from segno's own tables and
pattern functions (ISO/IEC 18004:2015 §6.3 finder, timing and alignment patterns, §7.9 format
and §7.10 version information, §7.7.3 the order of the codeword modules); per payload only the
bit stream (§7.4), the Reed–Solomon codewords (§7.5, the remainder of a polynomial division
done a byte at a time on one integer) and their interleaving (§7.6) are computed, and the
modules are picked from the bits in one C-level ``itemgetter`` call.
``tests/test_payment_qr.py`` checks module for module that the symbol is segno's."""

from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from segno import consts
from segno import encoder as segno_encoder

LEVEL = consts.ERROR_LEVEL_M  # ГОСТ Р 56042-2014, as qr.payment_qr
BYTE_MODE = consts.MODE_BYTE
_TO_MODULES = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class _Version:
    """What every symbol of one version shares."""

    number: int
    width: int
    capacity: int  # bits of data codewords
    count_bits: int  # the character count indicator's length in byte mode
    blocks: tuple[tuple[int, int], ...]  # (data codewords, error codewords) per block
    remainder: int  # remainder bits after the codewords (§7.6)
    modules: itemgetter  # picks a row-major module string out of «bits + masked bits + "01"»


@cache
def _version(number: int) -> _Version:
    width = segno_encoder.calc_matrix_size(number)
    matrix = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(matrix, width, width)
    segno_encoder.add_alignment_patterns(matrix, width, width)
    order = _codeword_modules(matrix)
    segno_encoder.add_format_info(matrix, number, LEVEL, 0)
    segno_encoder.add_version_info(matrix, number)
    blocks = tuple(
        (info.num_data, info.num_total - info.num_data)
        for info in consts.ECC[number][LEVEL]
        for _ in range(info.num_blocks)
    )
    codeword_bits = 8 * sum(data + error for data, error in blocks)
    bits = len(order)
    # Each module's source: a bit of the codewords (masked by pattern 0 where row + column is
    # even: then the bit's copy in the flipped half), or the function pattern's 0 or 1 at the end.
    source = [2 * bits + value for row in matrix for value in row]
    for index, (row, column) in enumerate(order):
        source[row * width + column] = index + (bits if (row + column) % 2 == 0 else 0)
    return _Version(
        number=number,
        width=width,
        capacity=consts.SYMBOL_CAPACITY[number][LEVEL],
        count_bits=consts.CHAR_COUNT_INDICATOR_LENGTH[BYTE_MODE][
            segno_encoder.version_range(number)
        ],
        blocks=blocks,
        remainder=bits - codeword_bits,
        modules=itemgetter(*source),
    )


def _codeword_modules(matrix) -> list[tuple[int, int]]:
    """The (row, column) of every codeword module in the order bits are placed (§7.7.3: two
    columns at a time from the right, upwards and downwards in turn, the vertical timing
    pattern's column skipped) — segno's ``add_codewords`` walk."""
    size = len(matrix)
    order = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for column in (right, right - 1):
                upwards = ((right & 2) == 0) ^ (column < 6)
                row = size - 1 - vertical if upwards else vertical
                if matrix[row][column] == 0x2:
                    order.append((row, column))
    return order


def _fitting_version(length: int) -> _Version:
    for number in range(1, 41):
        version = _version(number)
        if 4 + version.count_bits + 8 * length <= version.capacity:
            return version
    raise ValueError("Data too large for a QR code.")


@cache
def _division_table(error_words: int) -> tuple[int, ...]:
    """For each leading coefficient, the generator polynomial times it as one integer of
    ``error_words`` bytes: one XOR per data byte instead of one per error codeword."""
    generator = consts.GEN_POLY[error_words]
    exp, log = consts.GALIOS_EXP, consts.GALIOS_LOG
    return (
        0,
        *(
            int.from_bytes(bytes(exp[log[coefficient] + term] for term in generator))
            for coefficient in range(1, 256)
        ),
    )


def _error_codewords(data: bytes, error_words: int) -> bytes:
    table = _division_table(error_words)
    shift, mask = 8 * (error_words - 1), (1 << 8 * error_words) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & mask) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(error_words)


def _interleaved(blocks: list[bytes]) -> bytes:
    """The blocks' first codewords, then their second ones, …; longer blocks end the run."""
    count, shortest = len(blocks), min(len(block) for block in blocks)
    out = bytearray(count * shortest)
    for index, block in enumerate(blocks):
        out[index::count] = block[:shortest]
    return bytes(out) + bytes(block[shortest] for block in blocks if len(block) > shortest)


def _codewords(payload: bytes, version: _Version) -> bytes:
    """The data codewords (§7.4: mode, count, bytes, terminator, padding as segno writes
    them) followed by their error correction, interleaved."""
    length = 4 + version.count_bits + 8 * len(payload)
    stream = ((BYTE_MODE << version.count_bits) | len(payload)) << 8 * len(payload)
    stream |= int.from_bytes(payload)
    terminator = min(version.capacity - length, 4)
    length += terminator
    padding = 8 - length % 8  # segno adds a whole zero byte when the length is already even
    length += padding
    stream <<= terminator + padding
    data = stream.to_bytes(length // 8)
    pads = version.capacity // 8 - len(data)
    data = (data + b"\xec\x11" * (pads // 2 + 1))[: version.capacity // 8]
    blocks, error_blocks, start = [], [], 0
    for data_words, error_words in version.blocks:
        block = data[start : start + data_words]
        start += data_words
        blocks.append(block)
        error_blocks.append(_error_codewords(block, error_words))
    return _interleaved(blocks) + _interleaved(error_blocks)


def payment_matrix(payload: str) -> tuple[bytes, ...]:
    """The symbol's rows of modules (1 dark, 0 light), as ``qr.payment_qr(payload).matrix``."""
    data = payload.encode("utf-8")
    version = _fitting_version(len(data))
    codewords = _codewords(data, version)
    bits = format(int.from_bytes(codewords), f"0{8 * len(codewords)}b") + "0" * version.remainder
    source = bits + bits.translate(str.maketrans("01", "10")) + "01"
    modules = "".join(version.modules(source)).encode().translate(_TO_MODULES)
    width = version.width
    return tuple(modules[start : start + width] for start in range(0, width * width, width))
