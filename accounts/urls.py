from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("password/change/", views.PasswordChange.as_view(), name="password-change"),
    path("password/change/done/", views.PasswordChangeDone.as_view(), name="password-change-done"),
    path("password/reset/", views.PasswordReset.as_view(), name="password-reset"),
    path("password/reset/sent/", views.PasswordResetDone.as_view(), name="password-reset-done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirm.as_view(), name="password-reset-confirm"),
    path("password/reset/complete/", views.PasswordResetComplete.as_view(), name="password-reset-complete"),
]
