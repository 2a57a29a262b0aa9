"""The report filters (policy, round, district, period), shared by the page, the exports and the API.

The choices come from the user's scope, so a district official cannot even name another district,
and a city approver cannot pick an item outside their policy lines.
"""

from typing import Any, cast

from django import forms
from django.db.models import Exists, OuterRef

from accounts.models import District
from policies.models import PolicyItem, Round

from .selectors import ReportFilters, ReportScope

EMPTY = [("", "全部")]


class ReportFilterForm(forms.Form):
    policy = forms.TypedChoiceField(label="政策事项", required=False, coerce=int, empty_value=None)
    round = forms.TypedChoiceField(label="申报批次", required=False, coerce=int, empty_value=None)
    district = forms.TypedChoiceField(label="属地", required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        label="申报日期自",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请输入有效日期，如 2023-01-01。"},
    )
    date_to = forms.DateField(
        label="至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请输入有效日期，如 2023-01-31。"},
    )

    def __init__(self, *args: Any, scope: ReportScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        items = PolicyItem.objects.filter(scope.items_q()).filter(Exists(Round.objects.filter(item=OuterRef("pk"))))
        rounds = Round.objects.filter(item__in=PolicyItem.objects.filter(scope.items_q())).select_related("item")
        districts = District.objects.filter(scope.districts_q())
        invalid = "所选{}不存在或不在您的查看范围内。"
        self._choose("policy", EMPTY + [(i.pk, f"{i.code} {i.name}") for i in items.order_by("code")])
        self._choose(
            "round",
            EMPTY + [(r.pk, f"{r.item.code} · {r.name}") for r in rounds.order_by("item__code", "-opens_at", "pk")],
        )
        self._choose("district", ([] if scope.district_id else EMPTY) + [(d.pk, d.name) for d in districts])
        for name, what in (("policy", "政策事项"), ("round", "申报批次"), ("district", "属地")):
            self.fields[name].error_messages["invalid_choice"] = invalid.format(what)

    def _choose(self, name: str, choices: list[tuple[Any, str]]) -> None:
        cast(forms.TypedChoiceField, self.fields[name]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data

    def filters(self) -> ReportFilters:
        """The validated filters; call after is_valid()."""
        data = self.cleaned_data
        return ReportFilters(
            policy_id=data.get("policy"),
            round_id=data.get("round"),
            district_id=data.get("district"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def error_text(form: forms.Form) -> str:
    """The form's errors as one Chinese sentence: 「字段：问题；…」."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}：{text}" if label else text)
    return "；".join(parts)
