"""The project's URLconf plus three views that fail, for the 500-page test (test_deploy.py)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("秘密内部信息: /srv/app/settings.py password=xyz")


def boom_db(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM security_no_such_table")
    return HttpResponse("unreachable")


class BoomApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("秘密内部信息 in the API")


urlpatterns = [
    path("boom/", boom),
    path("boom-db/", boom_db),
    path("api/v1/boom/", BoomApi.as_view()),
    *project_urlpatterns,
]
