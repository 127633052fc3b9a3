"""The message catalogs: complete in both languages, every key the UI uses exists, no text in .kv."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.core.catalog import read_catalog
from kiosk.core.text import Locale
from kiosk.i18n import keys, messages, po_path, translate
from tests.support.paths import REPO

UI_DIR = Path(__file__).resolve().parents[2] / "kiosk" / "ui"
KEY_USE = re.compile(r"""(?:tr|tap_key|translate)\(\s*f?['"]([a-z_]+\.[a-z_.{}]+)['"]""")


def test_both_languages_have_the_same_keys_and_no_empty_text() -> None:
    assert keys("zh-CN") == keys("en")
    assert len(keys("en")) > 80
    for locale in ("zh-CN", "en"):
        assert all(text.strip() for text in messages(locale).values())


def test_placeholders_match_between_languages() -> None:
    def names(text: str) -> set[str]:
        return {part[1] for part in string.Formatter().parse(text) if part[1]}

    for key in keys("en"):
        assert names(messages("en")[key]) == names(messages("zh-CN")[key]), key


def test_catalogs_are_po_files_only() -> None:
    assert po_path("zh-CN").suffix == ".po" and po_path("en").is_file()
    assert not list(po_path("en").parent.parent.parent.rglob("*.mo"))


def test_every_key_the_ui_uses_is_in_the_catalog() -> None:
    used: set[str] = set()
    for path in [*UI_DIR.rglob("*.kv"), *UI_DIR.rglob("*.py")]:
        used.update(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 40
    known = keys("en")
    prefixes = {"outcome.", "status.", "error.", "scheme.", "device.", "staff.device.", "benefits."}
    for key in used:
        if "{" in key:
            stem = key.split("{")[0]
            assert stem in prefixes, key
            assert any(k.startswith(stem) for k in known), key
        else:
            assert key in known, key


def test_no_layout_hard_codes_words() -> None:
    literal = re.compile(r"""^\s*text:\s*(['"])(.*?)\1\s*$""")
    for path in UI_DIR.rglob("*.kv"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = literal.match(line)
            assert match is None or match.group(2) == "", f"{path.name}:{number} hard-codes {line.strip()!r}"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_translate_fills_parameters_and_falls_back_to_the_key(locale: str) -> None:
    assert "42" in translate("bar.countdown", locale, seconds=42)
    assert translate("no.such.key", locale) == "no.such.key"


SOURCE_DIRS = [REPO / name for name in ("kiosk", "backend", "hardware", "demo")]
MESSAGE_USE = re.compile(r"""\bmessage\(\s*['"]([a-z_0-9]+(?:\.[a-z_0-9]+)+)['"]""")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_run_time_reader_gives_what_babel_reads(locale: Locale) -> None:
    folder = "zh_CN" if locale == "zh-CN" else "en"
    with po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=folder, domain="kiosk")
    expected = {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str) and m.string}
    assert dict(messages(locale)) == expected


def test_every_message_key_in_the_code_is_in_both_catalogs() -> None:
    used: dict[str, Path] = {}
    for folder in SOURCE_DIRS:
        for path in folder.rglob("*.py"):
            for key in MESSAGE_USE.findall(path.read_text(encoding="utf-8")):
                used[key] = path
    assert len(used) > 60
    missing = {key: str(path.relative_to(REPO)) for key, path in used.items() if key not in keys("zh-CN") & keys("en")}
    assert not missing


def test_the_reader_refuses_what_is_not_a_plain_po_entry() -> None:
    with pytest.raises(ValueError, match="line 2"):
        read_catalog('msgid "a"\nmsgctxt "b"\nmsgstr "c"\n')
    assert read_catalog('# c\nmsgid "a.b"\nmsgstr ""\n"one "\n"two"\n') == {"a.b": "one two"}


def test_no_person_sentence_is_written_inline_outside_the_catalogs() -> None:
    # LocalText is the carrier; its words come from the catalogs (or from the signed policy).
    inline = []
    for folder in SOURCE_DIRS:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "LocalText":
                    args = [*node.args, *(k.value for k in node.keywords)]
                    if any(isinstance(a, (ast.Constant, ast.JoinedStr)) for a in args):
                        inline.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not inline
