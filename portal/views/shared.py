"""What every portal view needs: the enterprise-only gate, case lookup, error display."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django_htmx.middleware import HtmxDetails

from accounts.models import Role, User
from applications.models import Application
from applications.selectors import access_application_by_id
from awards.models import Award
from awards.selectors import access_award_by_id
from common.errors import NotFound

View = Callable[..., HttpResponse]


class PortalRequest(HttpRequest):
    """For type checking: the request a portal view gets (signed in; django-htmx's `htmx`)."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def enterprise_id_of(request: PortalRequest) -> int:
    """The signed-in enterprise user's enterprise (enterprise_required has checked it exists)."""
    enterprise_id = request.user.enterprise_id
    assert enterprise_id is not None
    return enterprise_id


def enterprise_required(view: View) -> View:
    """Signed in (else to the login page) as an enterprise user (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user  # signed in: login_required let the request through
        if getattr(user, "role", None) != Role.ENTERPRISE or not getattr(user, "enterprise_id", None):
            raise DjangoPermissionDenied("企业门户仅供企业用户使用。")
        return view(request, *args, **kwargs)

    return wrapper


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one), None for a GET: binds forms correctly."""
    return request.POST if request.method == "POST" else None


def get_case(request: PortalRequest, application_id: int) -> Application:
    try:
        return access_application_by_id(user=request.user, application_id=application_id)
    except NotFound:
        raise Http404("未找到该申报件，或您无权查看。") from None


def get_award(request: PortalRequest, award_id: int) -> Award:
    try:
        return access_award_by_id(user=request.user, award_id=award_id)
    except NotFound:
        raise Http404("未找到该奖励，或您无权查看。") from None


def add_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where the form has the field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def validation_messages(request: PortalRequest, exc: ValidationError, *, labels: dict[str, str] | None = None) -> None:
    """A service's ValidationError as page messages (for pages without the form on them)."""
    if hasattr(exc, "error_dict"):
        for _field, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, error)
    else:
        for error in exc.messages:
            messages.error(request, error)
