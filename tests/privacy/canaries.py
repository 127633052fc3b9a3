"""Canary people and businesses, the shapes a leak could take, and the search for them.

Every canary is synthetic and recognisable: business codes spell CANARY, ID numbers use the
region code 99 (no Chinese region has it) and the birth date 1977-07-07, names and addresses
contain 金丝雀 ("canary"). Each one has valid check characters, so it travels the whole way
through the kiosk, the backend and the decision instead of being refused at the door.

A hit in any form, in any file, log line or crash output, is a leak.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stdnum.cn import ric as std_ric
from stdnum.cn import uscc as std_uscc

OUTCOMES = ("eligible", "not_eligible", "undetermined")


def canary_uscc(org: str) -> str:
    """A valid USCC: registration 9, type 1, region 990000, organisation code `org` + checks."""
    body = "91990000" + org
    for check in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        value = body + check
        value += std_uscc.calc_check_digit(value)
        if std_uscc.is_valid(value):
            return value
    raise ValueError(org)


def canary_ric(seq: str) -> str:
    """A GB 11643 number in region 990101, born 1977-07-07, with a right check character."""
    body = "990101" + "19770707" + seq
    return body + std_ric.calc_check_digit(body + "0")


def canary_token(word: str) -> str:
    raw = f"canary-token-{word}-金丝雀".encode()
    return "XKT:" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# One subject per (scheme, outcome): the backend gets a record for each at test time.
USCC = {outcome: canary_uscc(f"CANARY{n:02d}") for n, outcome in enumerate(OUTCOMES, start=1)}
RIC = {outcome: canary_ric(f"77{n}") for n, outcome in enumerate(OUTCOMES, start=1)}
BUSINESS_TOKEN = {outcome: canary_token(f"biz-{outcome}") for outcome in OUTCOMES}
PERSON_TOKEN = {outcome: canary_token(f"person-{outcome}") for outcome in OUTCOMES}
# Valid references nobody holds a record for (-> undetermined, no record).
UNRECORDED_USCC = canary_uscc("CANARY09")
# A code whose last character is wrong: refused before it leaves the kiosk, still secret.
BAD_CHECK_USCC = canary_uscc("CANARY07")[:-1] + ("0" if canary_uscc("CANARY07")[-1] != "0" else "1")

CARD_NAME = "测试金丝雀"
CARD_ADDRESS = "金丝雀测试路九十九号CANARYADDR"
CARD_ISSUER = "金丝雀签发机关"
FACT_NOTE = "金丝雀事实CANARYFACT"
CREDENTIAL_ID = "ca11ab1eca11ab1e0000c0ffee0000aa"
GARBAGE_SCAN = "XK1:CANARYGARBAGE-金丝雀-NOT-A-CODE"


@dataclass
class CanarySet:
    """Every secret a test run handed the kiosk; credential payloads are added as minted."""

    secrets: dict[str, str] = field(default_factory=dict)

    def add(self, label: str, value: str) -> str:
        self.secrets[label] = value
        return value

    def items(self) -> Iterable[tuple[str, str]]:
        return self.secrets.items()


def base_canaries() -> CanarySet:
    found = CanarySet()
    for outcome in OUTCOMES:
        found.add(f"uscc-{outcome}", USCC[outcome])
        found.add(f"ric-{outcome}", RIC[outcome])
        found.add(f"business-token-{outcome}", BUSINESS_TOKEN[outcome])
        found.add(f"person-token-{outcome}", PERSON_TOKEN[outcome])
    found.add("uscc-unrecorded", UNRECORDED_USCC)
    found.add("uscc-bad-check", BAD_CHECK_USCC)
    found.add("card-name", CARD_NAME)
    found.add("card-name-tail", CARD_NAME[1:])  # the masked name shows only the first character
    found.add("card-address", CARD_ADDRESS)
    found.add("card-issuer", CARD_ISSUER)
    found.add("fact-note", FACT_NOTE)
    found.add("credential-id", CREDENTIAL_ID)
    found.add("garbage-scan", GARBAGE_SCAN)
    return found


def _base64_forms(data: bytes) -> Iterator[bytes]:
    """The part of base64 text that is the same wherever `data` sits in a longer encoded blob."""
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data)
        start = 4 if offset else 0
        end = 4 * ((offset + len(data)) // 3)
        stable = encoded[start:end]
        if len(stable) >= 8:
            yield stable
            yield stable.translate(bytes.maketrans(b"+/", b"-_"))  # base64url


def forms(value: str) -> dict[str, bytes]:
    """Every byte shape `value` could take on disk or in a log."""
    plain = value.encode("utf-8")
    shapes: dict[str, bytes] = {
        "utf-8": plain,
        "utf-16-le": value.encode("utf-16-le"),
        "utf-16-be": value.encode("utf-16-be"),
        "hex": plain.hex().encode("ascii"),
        "HEX": plain.hex().upper().encode("ascii"),
    }
    if value.isascii():
        shapes["lower"] = value.lower().encode("ascii")
    else:
        shapes["gb18030"] = value.encode("gb18030")
        shapes["unicode-escape"] = value.encode("unicode_escape")  # json.dumps(ensure_ascii=True)
    for index, blob in enumerate(_base64_forms(plain)):
        shapes[f"base64-{index}"] = blob
    return shapes


# Global tally for the report: what the suite looked at.
TALLY: dict[str, int] = {"sessions": 0, "files": 0, "bytes": 0, "texts": 0, "forms": 0, "canaries": 0}


@dataclass(frozen=True)
class Hit:
    where: str
    canary: str
    form: str

    def __str__(self) -> str:
        return f"{self.canary} as {self.form} in {self.where}"


def regular_files(roots: Iterable[Path]) -> Iterator[Path]:
    """Regular files under `roots`, never following links (a simulator's link points at a pty)."""
    for root in roots:
        if root.is_symlink() or not root.exists():
            continue
        if root.is_file():
            yield root
            continue
        for folder, _dirs, names in os.walk(root, followlinks=False):
            for name in names:
                path = Path(folder) / name
                if not path.is_symlink() and path.is_file():
                    yield path


def search(canaries: CanarySet, *, files: Iterable[Path] = (), texts: Mapping[str, str | bytes] = {}) -> list[Hit]:
    """Every place any canary shows up in any form; also counts what was searched."""
    blobs: list[tuple[str, bytes]] = []
    for path in files:
        data = path.read_bytes()
        blobs.append((str(path), data))
        TALLY["files"] += 1
        TALLY["bytes"] += len(data)
    for where, text in texts.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        blobs.append((where, data))
        TALLY["texts"] += 1
        TALLY["bytes"] += len(data)
    hits: list[Hit] = []
    patterns = [(label, name, shape) for label, value in canaries.items() for name, shape in forms(value).items()]
    TALLY["forms"] = max(TALLY["forms"], len(patterns))
    TALLY["canaries"] = max(TALLY["canaries"], len(canaries.secrets))
    for where, data in blobs:
        for label, name, shape in patterns:
            if shape in data:
                hits.append(Hit(where, label, name))
    return hits
