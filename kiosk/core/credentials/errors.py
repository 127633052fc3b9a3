"""The one error family every credential reader raises, with the words a person sees.

Each failure names the step that failed, so support staff (``kiosk inspect``) and the flow can
tell "the code is damaged" from "the code is genuine but expired". ``detail`` is technical
English for staff and logs and never holds an identifier, a name, a fact or a payload.
"""

from __future__ import annotations

from typing import Literal, get_args

from kiosk.core.errors import KioskError
from kiosk.core.text import LocalText

Step = Literal[
    "encoding",  # bytes are neither UTF-8 nor GB18030
    "too_large",  # payload or inflated payload over the limit (a zlib bomb stops here)
    "prefix",  # looks like a signed credential, but not with our context prefix
    "base45",
    "decompression",
    "cose",  # not a well-formed COSE_Sign1, or an algorithm we do not accept
    "unprotected_header",  # alg (or, for our credentials, kid) outside the signed headers
    "unknown_key",  # key id not in the trust store (or missing)
    "bad_signature",
    "claims",  # CWT claims missing, malformed, or facts out of bounds
    "not_yet_valid",
    "expired",
    "revoked",
    "check_digit",  # USCC / resident ID number with a wrong check character
    "format",  # identifier or token with the wrong shape (length, characters, birth date)
    "unsupported_scheme",  # not any kind of code the kiosk reads
]
STEPS: tuple[Step, ...] = get_args(Step)

_DAMAGED_ADVICE_ZH = "请重新扫描；如仍失败，请到服务窗口办理。"
_DAMAGED_ADVICE_EN = "Please scan again; if it still fails, please go to the service counter."

STEP_TEXTS: dict[Step, LocalText] = {
    "encoding": LocalText(
        "无法识别扫描到的内容的文字编码。" + _DAMAGED_ADVICE_ZH,
        "The scanned code uses a text encoding the kiosk cannot read. " + _DAMAGED_ADVICE_EN,
    ),
    "too_large": LocalText(
        "扫描到的内容过大，不是本终端可以读取的凭证。",
        "The scanned code is too large to be a credential this kiosk reads.",
    ),
    "prefix": LocalText(
        "这不是本终端认可的电子凭证（标识不符）。请出示信易核验凭证。",
        "This is not a credential this kiosk accepts (wrong type marker). Please show a Xinyi credential.",
    ),
    "base45": LocalText(
        "凭证内容已损坏（编码错误）。" + _DAMAGED_ADVICE_ZH,
        "The credential is damaged (bad encoding). " + _DAMAGED_ADVICE_EN,
    ),
    "decompression": LocalText(
        "凭证内容已损坏（无法解压）。" + _DAMAGED_ADVICE_ZH,
        "The credential is damaged (cannot be unpacked). " + _DAMAGED_ADVICE_EN,
    ),
    "cose": LocalText(
        "凭证结构无效。" + _DAMAGED_ADVICE_ZH,
        "The credential's structure is not valid. " + _DAMAGED_ADVICE_EN,
    ),
    "unprotected_header": LocalText(
        "凭证结构无效。" + _DAMAGED_ADVICE_ZH,
        "The credential's structure is not valid. " + _DAMAGED_ADVICE_EN,
    ),
    "unknown_key": LocalText(
        "无法确认凭证的签发机构：本终端不认识其签名密钥。请到服务窗口办理，或稍后在终端联网更新后再试。",
        "The kiosk does not know the key this credential was signed with, so it cannot confirm "
        "who issued it. Please go to the service counter, or try again after the kiosk has "
        "updated its trust list.",
    ),
    "bad_signature": LocalText(
        "凭证签名无效，内容可能被改动过。请向签发机构重新申领凭证。",
        "The credential's signature is not valid; its content may have been altered. "
        "Please ask the issuing authority for a new credential.",
    ),
    "claims": LocalText(
        "凭证内容不完整或格式不正确。请向签发机构重新申领凭证。",
        "The credential's content is incomplete or malformed. Please ask the issuing authority for a new credential.",
    ),
    "not_yet_valid": LocalText(
        "凭证尚未生效。请在生效日期之后再来，或到服务窗口咨询。",
        "The credential is not valid yet. Please come back after its start date, or ask at the service counter.",
    ),
    "expired": LocalText(
        "凭证已过期。请在信用中国或签发机构的应用中重新申领。",
        "The credential has expired. Please get a new one from the issuing authority's app.",
    ),
    "revoked": LocalText(
        "该凭证已被签发机构撤销，不能再使用。请向签发机构申领新的凭证。",
        "The issuing authority has withdrawn this credential, so it can no longer be used. "
        "Please ask them for a new one.",
    ),
    "check_digit": LocalText(
        "号码的校验位不正确，可能输错或读错了一位。请核对后重新输入或扫描。",
        "The number's check character is wrong; a character may have been typed or read "
        "incorrectly. Please check it and try again.",
    ),
    "format": LocalText(
        "号码格式不正确（长度、字符或日期不符合规定）。请核对后重试。",
        "The number is not in the right format (length, characters or date). Please check it and try again.",
    ),
    "unsupported_scheme": LocalText(
        "本终端无法识别这种二维码。请出示信易核验凭证、营业执照二维码或居民身份证。",
        "The kiosk does not recognise this kind of code. Please show a Xinyi credential, "
        "a business licence QR code or a resident ID card.",
    ),
}


class CredentialError(KioskError):
    """A presented code could not be read or verified; ``step`` says where it failed."""

    def __init__(self, step: Step, detail: str, text: LocalText | None = None) -> None:
        super().__init__(detail, text if text is not None else STEP_TEXTS[step])
        self.step: Step = step

    def __repr__(self) -> str:
        return f"CredentialError(step={self.step!r}, detail={self.detail!r})"
