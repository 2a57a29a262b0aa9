"""Validating declared figures against an item's `declared_fields` (SPEC §9 shape)."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    text = str(value).replace(",", "").replace("，", "").strip()
    number = Decimal(text)
    if not number.is_finite():
        raise InvalidOperation
    return number


def clean_declared(fields: list[dict[str, Any]], declared: dict[str, Any], *, require_all: bool) -> dict[str, Any]:
    """Return the declared figures normalised to JSON types; raise ValidationError per field.

    `require_all` is True at submission (every required field present) and False for a draft
    (fields may be missing, but what is given must be valid). Unknown keys are refused so a
    typo does not silently vanish.
    """
    if not isinstance(declared, dict):
        raise ValidationError({"declared": "申报数据格式不正确，应为“字段: 值”的对象。"})
    errors: dict[str, str] = {}
    known = {f["key"]: f for f in fields}
    cleaned: dict[str, Any] = {}
    for key in declared:
        if key not in known:
            errors[key] = f"“{key}”不是本事项的申报数据项。"
    for key, spec in known.items():
        label = spec.get("label", key)
        unit = spec.get("unit") or ""
        value = declared.get(key)
        if value is None or value == "":
            if require_all and spec.get("required", True):
                errors[key] = f"请填写“{label}”。"
            continue
        kind = spec.get("type", "text")
        try:
            if kind == "number":
                number = _number(value)
                if spec.get("min") is not None and number < Decimal(str(spec["min"])):
                    errors[key] = f"“{label}”不能小于 {spec['min']}{unit}。"
                    continue
                if spec.get("max") is not None and number > Decimal(str(spec["max"])):
                    errors[key] = f"“{label}”不能大于 {spec['max']}{unit}。"
                    continue
                cleaned[key] = str(number)
            elif kind == "date":
                cleaned[key] = date.fromisoformat(str(value)).isoformat()
            elif kind == "boolean":
                if isinstance(value, bool):
                    cleaned[key] = value
                elif str(value).lower() in ("true", "1", "是", "yes", "on"):
                    cleaned[key] = True
                elif str(value).lower() in ("false", "0", "否", "no", "off"):
                    cleaned[key] = False
                else:
                    raise ValueError
            else:
                text = str(value).strip()
                if len(text) > 2000:
                    errors[key] = f"“{label}”过长（不超过2000字）。"
                    continue
                cleaned[key] = text
        except (InvalidOperation, ValueError):
            expected = {"number": "数字", "date": "日期（如 2023-01-15）", "boolean": "是或否"}.get(kind, "文字")
            errors[key] = f"“{label}”应填写{expected}，您填写的是“{value}”。"
            continue
        options = spec.get("options")
        if options:
            allowed = [o["value"] if isinstance(o, dict) else o for o in options]
            if cleaned[key] not in allowed:
                errors[key] = f"“{label}”只能选择：{'、'.join(str(a) for a in allowed)}。"
    if errors:
        raise ValidationError(errors)
    return cleaned
