"""A QR code drawn into a Kivy texture: one texel per module, scaled without smoothing.

segno computes the symbol; the texture is a luminance image with the quiet zone the standard
asks for (4 modules), so a phone or a counter's scanner reads it straight off the screen.
"""

from __future__ import annotations

from kivy.graphics.texture import Texture

QUIET_ZONE = 4


def qr_modules(payload: str) -> list[bytes]:
    """Rows of the symbol with its quiet zone, top row first: 0 = dark, 255 = light."""
    # Imported with the first QR, which the result screen draws in the frame after the outcome:
    # at the top, segno's ~25 ms import delayed the first person's 符合 / 不符合 instead.
    import segno

    code = segno.make_qr(payload, error="m", boost_error=False)
    return [bytes(0 if dark else 255 for dark in row) for row in code.matrix_iter(border=QUIET_ZONE)]


def qr_texture(payload: str) -> Texture:
    rows = qr_modules(payload)
    side = len(rows)
    texture = Texture.create(size=(side, side), colorfmt="luminance")
    # Kivy textures start at the bottom row.
    texture.blit_buffer(b"".join(reversed(rows)), colorfmt="luminance", bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture


def whole_module_side(modules: int, target: float) -> float:
    """The largest side up to `target` that gives every module the same whole number of pixels."""
    return float(modules * max(2, int(target // modules)))
