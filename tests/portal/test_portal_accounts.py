"""Sign-up, sign-in, colleagues and passwords through the browser-facing views."""

import re

import pytest
from django.core import mail

from accounts.models import Role, User
from enterprises.credit_code import make_code
from enterprises.models import Enterprise
from tests.portal.portal_world import PASSWORD

pytestmark = pytest.mark.django_db

GOOD_CODE = make_code("91330102MA2H0000X")


def _register_data(world, **overrides):
    data = {
        "name": "杭州新注册商贸有限公司",
        "credit_code": GOOD_CODE,
        "district": world.districts["shangcheng"].pk,
        "username": "newcorp",
        "display_name": "陈管理",
        "phone": "13800001111",
        "email": "chen@example.com",
        "password": "Qiye-Mima-2026",
        "password_again": "Qiye-Mima-2026",
    }
    return {**data, **overrides}


def _wrong_check_character(code: str) -> str:
    last = "1" if code[-1] != "1" else "2"
    return code[:17] + last


def test_registration_with_a_wrong_credit_code_says_which_check_character_is_right(client, world):
    wrong = _wrong_check_character(GOOD_CODE)

    response = client.post("/accounts/register/", _register_data(world, credit_code=wrong))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"第18位应为“{GOOD_CODE[-1]}”，而不是“{wrong[-1]}”" in page
    assert not Enterprise.objects.exists()
    assert not User.objects.filter(username="newcorp").exists()


def test_registration_creates_enterprise_and_administrator_and_signs_in(client, world):
    response = client.post("/accounts/register/", _register_data(world, credit_code=GOOD_CODE.lower()))

    assert response.status_code == 302
    assert response["Location"] == "/my/enterprise/"
    enterprise = Enterprise.objects.get(credit_code=GOOD_CODE)
    admin = User.objects.get(username="newcorp")
    assert (admin.role, admin.enterprise_id, admin.is_enterprise_admin) == (Role.ENTERPRISE, enterprise.pk, True)
    assert enterprise.district == world.districts["shangcheng"]
    assert client.get("/my/enterprise/").status_code == 200  # signed in


def test_registration_refuses_weak_password_and_taken_username_with_chinese_messages(client, world, ent_user):
    response = client.post(
        "/accounts/register/",
        _register_data(world, username=ent_user.username, password="12345678", password_again="12345678"),
    )

    page = response.content.decode()
    assert f"用户名“{ent_user.username}”已被使用" in page
    assert "密码太短：至少需要 10 个字符。" in page and "密码不能全是数字。" in page
    assert "This password" not in page
    assert not Enterprise.objects.filter(credit_code=GOOD_CODE).exists()


def test_login_sends_enterprise_users_to_the_market_and_officials_to_the_workbench(client, world, ent_user):
    response = client.post("/accounts/login/", {"username": ent_user.username, "password": PASSWORD})
    assert response["Location"] == "/"
    client.post("/accounts/logout/")

    response = client.post("/accounts/login/", {"username": world.reviewer.username, "password": PASSWORD})
    assert response["Location"] == "/workbench/"


def test_wrong_password_is_refused_in_chinese(client, ent_user):
    response = client.post("/accounts/login/", {"username": ent_user.username, "password": "nope"})

    assert "用户名或密码不正确" in response.content.decode()


def test_logout_is_a_post(ent_client):
    assert ent_client.get("/accounts/logout/").status_code == 405
    response = ent_client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert ent_client.get("/my/enterprise/")["Location"].startswith("/accounts/login/")


def test_administrator_invites_a_colleague_who_sets_a_password_once(
    ent_client, ent_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ent_client.post(
            "/my/enterprise/users/",
            {
                "username": "colleague",
                "display_name": "刘经办",
                "email": "liu@example.com",
                "phone": "",
            },
        )

    assert response.status_code == 302
    colleague = User.objects.get(username="colleague")
    assert colleague.enterprise_id == ent_user.enterprise_id and not colleague.is_enterprise_admin
    assert not colleague.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["liu@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert "设置新密码" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Tongshi-Mima-88", "new_password2": "Tongshi-Mima-88"})
    assert done["Location"] == "/accounts/password/reset/complete/"
    signed_in = client.post("/accounts/login/", {"username": "colleague", "password": "Tongshi-Mima-88"})
    assert signed_in["Location"] == "/"
    assert "链接已失效" in client.get(link, follow=True).content.decode()  # one-time


def test_only_the_administrator_can_invite(client, world):
    from tests.portal.portal_world import make_enterprise_user

    staff = make_enterprise_user(world, body17="91330102MA2H00002", username="staff", admin=False)
    client.force_login(staff)
    page = client.get("/my/enterprise/users/").content.decode()
    assert "只有企业管理员可以开通账号" in page
    client.post("/my/enterprise/users/", {"username": "x1", "display_name": "某", "email": "x@example.com"})
    assert not User.objects.filter(username="x1").exists()


def test_password_reset_mails_a_chinese_link(client, ent_user):
    response = client.post("/accounts/password/reset/", {"email": ent_user.email})

    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert "重设" in mail.outbox[0].subject and "/accounts/password/reset/" in mail.outbox[0].body


def test_officials_get_a_403_page_in_the_enterprise_portal(client, world):
    client.force_login(world.reviewer)
    response = client.get("/my/applications/")
    assert response.status_code == 403
    assert "您没有权限访问此页面" in response.content.decode()


def test_password_change_speaks_chinese_about_short_passwords(ent_client):
    page = ent_client.get("/accounts/password/change/").content.decode()
    assert "修改密码" in page and "旧密码" in page

    response = ent_client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Ab1",
            "new_password2": "Ab1",
        },
    )
    page = response.content.decode()
    assert "密码太短：至少需要 10 个字符。" in page
    assert "This password" not in page

    done = ent_client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xin-Mima-2027",
            "new_password2": "Xin-Mima-2027",
        },
    )
    assert done["Location"] == "/accounts/password/change/done/"
