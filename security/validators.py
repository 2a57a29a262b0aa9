"""Password rules beyond Django's (AUTH_PASSWORD_VALIDATORS in config/settings/base.py)."""

from typing import Any

from django.core.exceptions import ValidationError


class LettersAndDigitsValidator:
    """A password must contain at least one letter and at least one digit."""

    def validate(self, password: str, user: Any = None) -> None:
        has_letter = any(c.isascii() and c.isalpha() for c in password)
        has_digit = any(c.isdigit() for c in password)
        if not (has_letter and has_digit):
            raise ValidationError("密码必须同时包含字母和数字，例如 Hz-plan-2026。", code="password_letters_digits")

    def get_help_text(self) -> str:
        return "密码必须同时包含字母和数字。"


class MinimumLengthValidator:
    """At least `min_length` characters, with a Chinese message (Django 5.2's zh_Hans catalogue
    misses the reworded English message of its own validator, which then shows in English)."""

    def __init__(self, min_length: int = 10) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短：至少需要 {self.min_length} 个字符，您输入了 {len(password)} 个。",
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
