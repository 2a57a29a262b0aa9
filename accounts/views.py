"""Sign-up, sign-in and passwords: Django's auth views with Chinese templates, plus registration.

After sign-in enterprise users land on the 政策超市 (/), officials on their workbench.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters

from enterprises.services import enterprise_register
from security import ratelimit

from .forms import ChinesePasswordChangeForm, ChineseResetForm, ChineseSetPasswordForm, LoginForm, RegisterForm
from .models import Role


def posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def home_for(user) -> str:
    return "/" if getattr(user, "role", None) == Role.ENTERPRISE else "/workbench/"


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_for(self.request.user)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # R16: at most RATE_LIMIT_LOGIN attempts per username + IP and window, counted before the
        # password is checked (security/ratelimit.py); a successful sign-in clears the count.
        ident = ratelimit.login_ident(request, request.POST.get("username"))
        decision = ratelimit.hit("login", ident)
        if not decision.allowed:
            return ratelimit.refused_response(request, decision)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            ratelimit.reset("login", ident)
        return response


class SignOutView(auth_views.LogoutView):
    next_page = "accounts:login"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "您已安全退出。")
        return response


class PasswordChange(auth_views.PasswordChangeView):
    form_class = ChinesePasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:password-change-done")


class PasswordChangeDone(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


class PasswordReset(auth_views.PasswordResetView):
    form_class = ChineseResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    form_class = ChineseSetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@sensitive_post_parameters("password", "password_again")
@ratelimit.rate_limited("register")
def register(request: HttpRequest) -> HttpResponse:
    """企业注册: the enterprise and its administrator in one go, then signed in."""
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    form = RegisterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = enterprise_register(
                name=data["name"],
                credit_code=data["credit_code"],
                district_id=data["district"].pk,
                username=data["username"],
                display_name=data["display_name"],
                phone=data["phone"],
                email=data["email"],
                password=data["password"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            login(request, user, backend="accounts.auth_cache.CachedModelBackend")
            messages.success(request, f"注册成功，欢迎使用！请先完善“{data['name']}”的企业信息（含收款账户）。")
            return redirect("portal:enterprise")
    return render(request, "registration/register.html", {"form": form})
