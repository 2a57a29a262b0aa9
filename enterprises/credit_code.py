"""统一社会信用代码 (GB 32100-2015): 18 characters, the last one a check character.

The check character is computed over the first 17 with weights 3^i mod 31 on the 31-character
alphabet (digits and capitals without I, O, Z, S, V).
"""

from django.core.exceptions import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def validate_credit_code(value: str) -> None:
    """Raise ValidationError with a message that says what is wrong with the code."""
    code = normalise(value)
    if len(code) != 18:
        raise ValidationError(f"统一社会信用代码应为18位，您输入了{len(code)}位。", code="length")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise ValidationError(
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）。", code="charset"
        )
    if not code[2:8].isdigit():
        raise ValidationError("统一社会信用代码第3—8位应为登记管理机关行政区划码（数字）。", code="division")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            f"统一社会信用代码校验位错误：第18位应为“{expected}”，而不是“{code[17]}”，请核对后重新输入。",
            code="check_character",
        )


def make_code(body17: str) -> str:
    """Complete a 17-character body with its check character (demo data and tests)."""
    return body17 + check_character(body17)
