"""Colours and sizes. Text on every background has at least 4.5:1 contrast (WCAG AA).

Sizes are in dp/sp and multiplied by the app's `font_scale` (1.0, or 1.4 in the 长辈模式
large view): body text 22 sp -> 31 sp, buttons 56 dp -> 78 dp, above the 60x60 dp the elder
view asks for.
"""

from __future__ import annotations

ELDER_SCALE = 1.4

BACKGROUND = (0.97, 0.97, 0.96, 1)
SURFACE = (1, 1, 1, 1)
TEXT = (0.10, 0.10, 0.10, 1)  # on white: ~18:1
MUTED = (0.27, 0.27, 0.27, 1)  # on white: ~9.7:1
PRIMARY = (0.043, 0.239, 0.569, 1)  # #0B3D91, white text ~10:1
SECONDARY = (0.22, 0.26, 0.31, 1)  # slate, white text ~11:1
BAR = (0.043, 0.239, 0.569, 1)
ON_DARK = (1, 1, 1, 1)
ELIGIBLE = (0.106, 0.369, 0.125, 1)  # #1B5E20, white text ~7.9:1
NOT_ELIGIBLE = (0.718, 0.110, 0.110, 1)  # #B71C1C, white text ~6.6:1
UNDETERMINED = (0.45, 0.30, 0.0, 1)  # dark amber, white text ~6.5:1
ERROR = (0.40, 0.16, 0.05, 1)
DANGER = (0.718, 0.110, 0.110, 1)  # white text ~6.6:1
# Pressed: the same role, darker, so a touch shows without changing what the button means.
PRESSED = {"primary": (0.020, 0.137, 0.353, 1), "secondary": (0.10, 0.12, 0.15, 1), "danger": (0.45, 0.05, 0.05, 1)}
ROLES = {"primary": PRIMARY, "secondary": SECONDARY, "danger": DANGER}
TRACK = (0.45, 0.45, 0.45, 1)  # progress track on the background: ~4.5:1; the bar itself is PRIMARY


def target_scale(font_scale: float) -> float:
    """Buttons grow less than text in the large view: 56 dp -> 64 dp (still over the 60 dp
    the elder view asks for), so an 800x480 screen keeps room for the words."""
    return 1 + (font_scale - 1) * 0.35


def role_colour(role: str, state: str) -> tuple[float, ...]:
    """A button's colour from its role; the generic rule never overrides a role on press."""
    if state == "down":
        return PRESSED.get(role, PRESSED["primary"])
    return ROLES.get(role, PRIMARY)

BODY_SP = 22
SMALL_SP = 18
HEADING_SP = 30
TITLE_SP = 40
BUTTON_DP = 56
LINE_HEIGHT = 1.35
MAX_LINE_CHARS = 38  # CJK characters per line before a column stops growing
COLUMN_GAP_DP = 32  # between two reading columns on a wide screen
# Waiting animations step this often, not every frame: a frame on a software-rendered screen
# costs ~9 ms, and at 60 a second they left the loop too busy to take a scan or an answer at
# once (benchmarks/ui_latency.py: last byte to the flow 20-40 ms at every frame, 1 ms at 15/s).
ANIMATION_STEP_S = 1 / 15

OUTCOME_COLOURS = {"eligible": ELIGIBLE, "not_eligible": NOT_ELIGIBLE, "undetermined": UNDETERMINED}
STATUS_COLOURS = {"passed": ELIGIBLE, "failed": NOT_ELIGIBLE, "unknown": UNDETERMINED}
