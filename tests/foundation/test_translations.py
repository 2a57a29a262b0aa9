"""Messages Django leaves in English are Chinese here too (locale/zh_Hans)."""

import pytest
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils import translation


def test_password_length_message_is_chinese():
    with translation.override("zh-hans"):
        validator = MinimumLengthValidator(10)
        with pytest.raises(ValidationError) as exc:
            validator.validate("abc")
        assert exc.value.messages == ["密码太短：至少需要 10 个字符。"]
        assert validator.get_help_text() == "密码至少需要 10 个字符。"
