"""Forms of the officials' workbench. They check the shape of input; the services decide."""

from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone

from applications.workflow import State
from awards.workflow import AwardState
from common.timeutil import SHANGHAI

from .selectors import SORT_LABELS

REASON_WIDGET = forms.Textarea(attrs={"rows": 3})


class QueueFilterForm(forms.Form):
    policy = forms.TypedChoiceField(label="政策事项", required=False, coerce=int, empty_value=None)
    round = forms.TypedChoiceField(label="申报批次", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *State.choices])
    overdue = forms.BooleanField(label="仅看审核超时", required=False)
    sort = forms.ChoiceField(label="排序", required=False, choices=list(SORT_LABELS.items()))
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, items=(), rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", "全部事项"), *((i.pk, f"{i.code} {i.name}") for i in items)]
        self.fields["round"].choices = [("", "全部批次"), *((r.pk, r.name) for r in rounds)]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "policy": data.get("policy"),
            "round": data.get("round"),
            "state": data.get("state") or "",
            "overdue": bool(data.get("overdue")),
            "sort": data.get("sort") or "-submitted_at",
            "page": data.get("page") or 1,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", required=False, max_length=2000, widget=REASON_WIDGET)

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = reason_required
        field.label = "理由（必填）" if reason_required else "说明（可选）"
        if reason_required:
            field.widget.attrs["required"] = "required"
        field.error_messages["required"] = "请填写理由。"


class ApproveForm(forms.Form):
    override = forms.BooleanField(label="不采纳会审意见（需写明理由）", required=False)
    reason = forms.CharField(label="审核意见 / 不采纳理由", required=False, max_length=2000, widget=REASON_WIDGET)

    def clean(self):
        data = super().clean()
        if data.get("override") and not (data.get("reason") or "").strip():
            self.add_error("reason", "不采纳会审部门意见时，必须写明理由。")
        return data


class CityApproveForm(forms.Form):
    amount = forms.DecimalField(
        label="审定金额（元）",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"required": "请填写审定金额。", "invalid": "审定金额应为数字，如 150000.00。"},
    )
    reason = forms.CharField(label="说明（可选）", required=False, max_length=2000, widget=REASON_WIDGET)


class OpinionForm(forms.Form):
    decision = forms.ChoiceField(
        label="会审意见",
        choices=[("agree", "同意"), ("disagree", "不同意")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择“同意”或“不同意”。"},
    )
    remarks = forms.CharField(label="说明（不同意时必填）", required=False, max_length=2000, widget=REASON_WIDGET)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "disagree" and not (data.get("remarks") or "").strip():
            self.add_error("remarks", "出具“不同意”意见时请写明理由。")
        return data


class IdsForm(forms.Form):
    """Checked rows of a table: `ids` repeated."""

    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "请至少勾选一个申报件。"})

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(i, i) for i in allowed]
        self.fields["ids"].error_messages["invalid_choice"] = (
            "勾选的申报件 %(value)s 不在列表中（可能已被处理），请刷新后重试。"
        )


class PublishForm(forms.Form):
    claim_date = forms.DateField(
        label="申领截止日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="企业须在该日24时前（北京时间）申领，逾期视为自动放弃。",
        error_messages={"required": "请选择申领截止日期。", "invalid": "日期格式应为 2026-12-31。"},
    )

    def clean_claim_date(self):
        day = self.cleaned_data["claim_date"]
        if day < timezone.localdate():
            raise forms.ValidationError("申领截止日期不能早于今天。")
        return day


class PayForm(forms.Form):
    reference = forms.CharField(label="支付凭证号", max_length=64, error_messages={"required": "请填写支付凭证号。"})
    paid_on = forms.DateField(
        label="支付日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写支付日期。", "invalid": "日期格式应为 2026-03-15。"},
    )


class AwardFilterForm(forms.Form):
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *AwardState.choices])
    round = forms.TypedChoiceField(label="申报批次", required=False, coerce=int, empty_value=None)
    policy = forms.TypedChoiceField(label="政策事项", required=False, coerce=int, empty_value=None)
    q = forms.CharField(label="企业名称或奖励编号", required=False, max_length=64)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, items=(), rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", "全部事项"), *((i.pk, f"{i.code} {i.name}") for i in items)]
        self.fields["round"].choices = [("", "全部批次"), *((r.pk, r.name) for r in rounds)]


class PaymentUploadForm(forms.Form):
    file = forms.FileField(
        label="支付登记表（.xlsx 或 UTF-8 .csv）",
        help_text="表头须包含：奖励编号、支付凭证号、支付日期。整批校验，任何一行有误则全部不登记。",
        error_messages={"required": "请选择要上传的文件。"},
    )


class DateTimeLocalField(forms.DateTimeField):
    """An <input type=datetime-local>, read as Beijing time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None:
            result = result.replace(tzinfo=None)
            result = result.replace(tzinfo=SHANGHAI)
        return result

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = value.astimezone(SHANGHAI).replace(tzinfo=None)
        return super().prepare_value(value)


class RoundForm(forms.Form):
    item = forms.TypedChoiceField(label="政策事项", coerce=int, error_messages={"required": "请选择政策事项。"})
    name = forms.CharField(label="批次名称", required=False, max_length=128, help_text="留空则自动生成")
    performance_from = forms.DateField(label="考核期起", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    performance_to = forms.DateField(label="考核期止", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    opens_at = DateTimeLocalField(label="申报开始（北京时间）", error_messages={"required": "请填写申报开始时间。"})
    closes_at = DateTimeLocalField(
        label="申报截止（北京时间）",
        help_text="此时刻起不再受理，如“截至1月31日24时”填 2月1日 00:00",
        error_messages={"required": "请填写申报截止时间。"},
    )
    supplement_days = forms.IntegerField(label="补正期限（自然日）", min_value=1, max_value=365, initial=10)
    review_working_days = forms.IntegerField(label="属地审核时限（工作日）", min_value=1, max_value=365, initial=10)
    city_review_working_days = forms.IntegerField(
        label="市级审定时限（工作日）", min_value=1, max_value=365, initial=15
    )
    claim_days = forms.IntegerField(label="申领期限（自然日）", min_value=1, max_value=365, initial=30)
    budget = forms.DecimalField(label="批次预算（元）", required=False, max_digits=16, decimal_places=2, min_value=0)
    published = forms.BooleanField(label="发布（企业可见）", required=False, initial=True)

    FIELDS = (
        "name",
        "performance_from",
        "performance_to",
        "opens_at",
        "closes_at",
        "supplement_days",
        "review_working_days",
        "city_review_working_days",
        "claim_days",
        "budget",
        "published",
    )

    def __init__(self, *args, items=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "请选择"), *((i.pk, f"{i.code} {i.name}") for i in items)]
        if editing:
            del self.fields["item"]

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "申报截止时间必须晚于开始时间。")
        start, end = data.get("performance_from"), data.get("performance_to")
        if start and end and end < start:
            self.add_error("performance_to", "考核期止不能早于考核期起。")
        return data

    def round_fields(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in self.FIELDS if k in self.cleaned_data}
        if not data.get("name"):
            data.pop("name", None)
        return data

    @staticmethod
    def default_window() -> dict:
        start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return {"opens_at": start, "closes_at": start + timedelta(days=30)}


class DishonestyEndForm(forms.Form):
    reason = forms.CharField(
        label="信用修复依据",
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写信用修复的依据。"},
    )
