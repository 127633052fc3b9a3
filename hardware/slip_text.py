"""What a slip looks like on paper, as text: the ESC/POS subset the slip printer sends, played back.

For the README's picture of a slip and for tests that read a printed slip the way a person
would. Alignment, line feeds, cut and the QR code (GS ( k store + print) are followed; bold and
double size are printed as plain text. The QR code is drawn with half-block characters, two
module rows per text line, so the picture is a symbol a phone can scan off the page.
"""

from __future__ import annotations

import unicodedata

import segno

from hardware.printer import ENCODING


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _qr_lines(payload: str) -> list[str]:
    rows = [list(row) for row in segno.make_qr(payload, error="m", boost_error=False).matrix_iter(border=2)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    glyphs = {(1, 1): "█", (1, 0): "▀", (0, 1): "▄", (0, 0): " "}
    return [
        "".join(glyphs[(bool(a), bool(b))] for a, b in zip(top, bottom, strict=True))
        for top, bottom in zip(rows[::2], rows[1::2], strict=True)
    ]


def slip_as_text(data: bytes, *, columns: int = 32) -> str:
    """The printed lines of an ESC/POS byte stream; a cut is a dashed line of scissors."""
    lines: list[str] = []
    centre = False
    text = bytearray()
    qr_data = b""

    def emit(line: str) -> None:
        pad = max(0, (columns - _width(line)) // 2) if centre else 0
        lines.append(" " * pad + line)

    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x0A:
            emit(text.decode(ENCODING, "replace"))
            text.clear()
            i += 1
        elif byte == 0x1B and data[i + 1 : i + 2] == b"@":
            i += 2
        elif byte == 0x1B and data[i + 1 : i + 2] in (b"a", b"E", b"d"):
            command, value = data[i + 1], data[i + 2]
            if command == ord("a"):
                centre = value == 1
            elif command == ord("d"):
                lines.extend([""] * value)
            i += 3
        elif byte == 0x1C and data[i + 1 : i + 2] == b"&":
            i += 2
        elif byte == 0x1D and data[i + 1 : i + 2] == b"!":
            i += 3
        elif byte == 0x1D and data[i + 1 : i + 2] == b"V":
            lines.append("✂" + "-" * (columns - 1))
            i += 4
        elif byte == 0x1D and data[i + 1 : i + 3] == b"(k":
            size = data[i + 3] | data[i + 4] << 8
            body = data[i + 5 : i + 5 + size]
            if body[:2] == b"\x31\x50":  # store: cn fn m, then the data
                qr_data = bytes(body[3:])
            elif body[:2] == b"\x31\x51" and qr_data:  # print what was stored
                lines.extend(_qr_lines(qr_data.decode("ascii")))
            i += 5 + size
        else:
            text.append(byte)
            i += 1
    if text:
        emit(text.decode(ENCODING, "replace"))
    return "\n".join(lines)
