"""Sign-up and sign-in forms (Chinese labels; the services check the values)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError

from .models import District

# Django 5.2's zh-hans catalogue lacks some password messages (its msgid changed); say them here.
PASSWORD_MESSAGES = {
    "password_too_short": "密码太短：至少需要 {min_length} 个字符。",
    "password_entirely_numeric": "密码不能全是数字。",
    "password_too_common": "这个密码太常见了，请换一个不容易被猜到的密码。",
}


def chinese_password_error(error: ValidationError) -> ValidationError:
    """The same error with a Chinese message where Django's own is not translated."""
    template = PASSWORD_MESSAGES.get(error.code or "")
    if template is None:
        return error
    return ValidationError(template.format(**(error.params or {})), code=error.code)


def password_error_messages(exc: ValidationError) -> list[str]:
    return [str(chinese_password_error(e).message) for e in exc.error_list]


class ChinesePasswordErrorsMixin:
    password_field = "new_password2"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        errors = self._errors  # type: ignore[attr-defined]
        if errors and self.password_field in errors:
            fixed = [chinese_password_error(e) for e in errors[self.password_field].as_data()]
            errors[self.password_field] = self.error_class(fixed, renderer=self.renderer)  # type: ignore[attr-defined]


class ChineseSetPasswordForm(ChinesePasswordErrorsMixin, SetPasswordForm):
    pass


class ChinesePasswordChangeForm(ChinesePasswordErrorsMixin, PasswordChangeForm):
    pass


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确，请检查后重新输入（密码区分大小写）。",
        "inactive": "该账号已停用，请联系贵企业的管理员或属地主管部门。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"


class RegisterForm(forms.Form):
    """The enterprise and its administrator. Only shapes are checked here; the service
    `enterprise_register` checks the credit code, uniqueness and the password rules."""

    name = forms.CharField(label="企业名称", max_length=128, help_text="与营业执照上的名称一致。")
    credit_code = forms.CharField(
        label="统一社会信用代码",
        max_length=30,
        help_text="18位，见营业执照，如 91330102MA2XXXXXXX。字母不区分大小写。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    district = forms.ModelChoiceField(
        label="属地",
        queryset=District.objects.all(),
        empty_label="请选择企业注册所在的区、县（市）",
        error_messages={"required": "请选择企业注册所在的属地。", "invalid_choice": "请从列表中选择属地。"},
    )
    username = forms.CharField(
        label="管理员用户名",
        max_length=150,
        help_text="用于登录，可用字母、数字和 @ . + - _。",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    display_name = forms.CharField(label="管理员姓名", max_length=64)
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="电子邮箱",
        help_text="用于找回密码和接收办理通知。",
        error_messages={"invalid": "请填写有效的电子邮箱，如 name@example.com。"},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        help_text="至少10位，须同时包含字母和数字，不能与用户名或邮箱相近，不能是常见密码。",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="再次输入密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if not (phone.isdigit() and 7 <= len(phone) <= 15):
            raise forms.ValidationError("请填写有效的手机号或固定电话（只含数字），如 13800000000。")
        return phone

    def clean(self):
        data = super().clean() or {}
        password, again = data.get("password"), data.get("password_again")
        if password and again is not None and password != again:
            self.add_error("password_again", "两次输入的密码不一致，请重新输入。")
        return data


class ChineseResetForm(PasswordResetForm):
    """Django's reset form: mails the link to every active account with that address."""

    email = forms.EmailField(
        label="注册时填写的电子邮箱",
        max_length=254,
        error_messages={"invalid": "请填写有效的电子邮箱，如 name@example.com。"},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
