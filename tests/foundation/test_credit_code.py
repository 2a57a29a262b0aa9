"""统一社会信用代码 (GB 32100-2015) check character."""

import pytest
from django.core.exceptions import ValidationError

from enterprises.credit_code import check_character, make_code, validate_credit_code

# The worked example of GB 32100-2015 (appendix) and one code as printed on a business licence.
VALID = ["91350100M000100Y43", "91110000100005220B"]


@pytest.mark.parametrize("code", VALID)
def test_real_codes_are_accepted(code):
    validate_credit_code(code)


def test_generated_codes_are_accepted_and_any_other_last_character_refused():
    code = make_code("91330102MA2H4K7X1")
    validate_credit_code(code)
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if wrong == code[-1]:
            continue
        with pytest.raises(ValidationError) as exc:
            validate_credit_code(code[:-1] + wrong)
        assert exc.value.code == "check_character"
        assert f"第18位应为“{code[-1]}”" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("code", "error"),
    [("9133010", "length"), ("91330102MA2H4K7XIZ", "charset"), ("91ABCDEFMA2H4K7X10", "division")],
)
def test_malformed_codes_say_what_is_wrong(code, error):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == error


def test_lowercase_and_spaces_are_normalised():
    code = make_code("91330102MA2H4K7X1")
    validate_credit_code(" " + code.lower() + " ")


def test_check_character_matches_the_standard_worked_example():
    # GB 32100-2015 Appendix: 91350100M000100Y4 → check character 3
    assert check_character("91350100M000100Y4") == "3"
