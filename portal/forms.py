"""Forms of the enterprise portal. They collect and shape input; services decide."""

from typing import Any

from django import forms

from enterprises.models import Enterprise, SizeClass
from policies.models import PolicyItem

UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,application/pdf,image/jpeg,image/png"


class MarketFilterForm(forms.Form):
    q = forms.CharField(
        label="关键词",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "政策名称、文件标题或内容"}),
    )
    document = forms.TypedChoiceField(label="政策文件", required=False, coerce=int, empty_value=None)
    mode = forms.ChoiceField(label="兑现方式", required=False, choices=[("", "全部方式"), *PolicyItem.Mode.choices])
    in_force = forms.BooleanField(label="只看现行有效", required=False)
    open = forms.BooleanField(label="只看正在申报", required=False)
    eligible = forms.BooleanField(label="只看我符合条件的", required=False)

    def __init__(self, *args: Any, documents: Any = (), show_eligible: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        document_field = self.fields["document"]
        assert isinstance(document_field, forms.TypedChoiceField)
        document_field.choices = [("", "全部文件")] + [
            (d.pk, f"{d.title}（{d.doc_no}）" if d.doc_no else d.title) for d in documents
        ]
        if not show_eligible:
            del self.fields["eligible"]


class ProfileForm(forms.ModelForm):
    """The profile fields an enterprise keeps itself (enterprises.services.PROFILE_FIELDS)."""

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "address",
            "legal_representative",
            "industry",
            "size_class",
            "registered_on",
            "employees",
            "annual_revenue",
            "bank_name",
            "bank_account_name",
            "bank_account_no",
            "contact_name",
            "contact_phone",
        ]
        widgets = {
            "registered_on": forms.DateInput(
                attrs={"placeholder": "如 2015-06-01", "inputmode": "numeric", "autocomplete": "off"}, format="%Y-%m-%d"
            ),
            "employees": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "annual_revenue": forms.TextInput(attrs={"inputmode": "decimal"}),
            "bank_account_no": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        help_texts = {
            "industry": "如：批发和零售业、制造业。",
            "size_class": "按国家统计局大中小微型企业划分办法。",
            "annual_revenue": "单位：元，如 12500000。",
            "bank_account_name": "应与企业名称一致，奖励资金只拨付到本单位账户。",
        }
        error_messages = {
            "registered_on": {"invalid": "成立日期格式不正确，请按“2015-06-01”的格式填写（年-月-日）。"},
            "employees": {"invalid": "从业人数应填写整数，如 120。"},
            "annual_revenue": {"invalid": "营业收入应填写数字（元），如 12500000。"},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size_field = self.fields["size_class"]
        assert isinstance(size_field, forms.ChoiceField)
        size_field.choices = list(SizeClass.choices)
        self.fields["name"].help_text = "与营业执照一致；变更后请同时更新收款账户名称。"
        date_field = self.fields["registered_on"]
        assert isinstance(date_field, forms.DateField)
        date_field.input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]

    def _post_clean(self) -> None:
        # The service validates the model (full_clean) and records the change; keep the form to shapes.
        pass

    def changed_data_dict(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class InviteForm(forms.Form):
    username = forms.CharField(
        label="登录用户名", max_length=150, help_text="同事登录时使用，可用字母、数字和 @ . + - _。"
    )
    display_name = forms.CharField(label="姓名", max_length=64)
    email = forms.EmailField(
        label="电子邮箱",
        help_text="设置密码的一次性链接将发送到此邮箱。",
        error_messages={"invalid": "请填写有效的电子邮箱，如 name@example.com。"},
    )
    phone = forms.CharField(label="手机号", max_length=20, required=False)


def _declared_field(spec: dict[str, Any]) -> forms.Field:
    kind = spec.get("type", "text")
    options = spec.get("options")
    if options:
        choices = [("", "请选择")] + [
            (o["value"], o.get("label", o["value"])) if isinstance(o, dict) else (o, o) for o in options
        ]
        return forms.ChoiceField(choices=choices)
    if kind == "number":
        attrs = {"inputmode": "decimal", "autocomplete": "off"}
        return forms.CharField(widget=forms.TextInput(attrs=attrs))
    if kind == "date":
        return forms.CharField(widget=forms.TextInput(attrs={"placeholder": "如 2023-01-15", "inputmode": "numeric"}))
    if kind == "boolean":
        return forms.ChoiceField(choices=[("", "请选择"), ("true", "是"), ("false", "否")])
    if spec.get("multiline"):
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    return forms.CharField()


class DeclaredForm(forms.Form):
    """One field per entry of the item's `declared_fields` (type, unit, help). Every field is
    optional here: a draft may be saved half-filled; completeness is checked at submission and
    values by applications.declared.clean_declared (its messages are shown per field)."""

    def __init__(
        self, *args: Any, specs: list[dict[str, Any]], initial_values: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {spec["key"]: spec for spec in specs}
        values = initial_values or {}
        for spec in specs:
            key = spec["key"]
            field = _declared_field(spec)
            unit = spec.get("unit") or ""
            field.label = f"{spec.get('label', key)}（{unit}）" if unit else spec.get("label", key)
            field.required = False
            field.help_text = spec.get("help", "")
            field.show_required = bool(spec.get("required", True))  # type: ignore[attr-defined]
            value = values.get(key)
            if isinstance(value, bool):
                value = "true" if value else "false"
            field.initial = value
            self.fields[key] = field

    def is_required(self, key: str) -> bool:
        return bool(self.specs.get(key, {}).get("required", True))

    def declared(self) -> dict[str, Any]:
        return {key: self.cleaned_data.get(key, "") for key in self.specs}


class UploadForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(
        label="选择文件",
        error_messages={"required": "请先选择要上传的文件。"},
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )


class CommitmentForm(forms.Form):
    signed = forms.BooleanField(label="我已阅读并承诺", error_messages={"required": "请勾选“我已阅读并承诺”后再提交。"})


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤回原因（选填）", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ClaimForm(forms.Form):
    bank_confirmed = forms.BooleanField(
        label="我已核对，上述收款账户信息真实无误", error_messages={"required": "请核对并确认收款账户信息。"}
    )
    signed = forms.BooleanField(
        label="我已阅读并承诺", error_messages={"required": "请阅读申领承诺书并勾选“我已阅读并承诺”。"}
    )
