"""Small helpers shared by the API views."""

from typing import cast

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import User


def request_user(request: Request) -> User:
    """The signed-in user of an API request (views require authentication, so never anonymous)."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated()
    return cast(User, user)
