"""The portal's URLconf (config.urls) plus the benchmark-only endpoints under /__bench/."""

from django.urls import include, path

from .views import (
    CursorApplicationListApi,
    FastApplicationListApi,
    StackUploadFloorApi,
    StaticAnonApi,
    StaticApi,
    WhoAmIApi,
)

urlpatterns = [
    # P1 under /api/ as every API request of the portal is (the middleware treats /api/ as API)
    path("api/__bench/static/", StaticApi.as_view()),
    path("api/__bench/static-anon/", StaticAnonApi.as_view()),
    path("api/__bench/upload-floor/", StackUploadFloorApi.as_view()),
    path("__bench/static/", StaticApi.as_view()),
    path("__bench/static-anon/", StaticAnonApi.as_view()),
    path("__bench/whoami/", WhoAmIApi.as_view()),
    path("__bench/applications-cursor/", CursorApplicationListApi.as_view()),
    path("__bench/applications-fast/", FastApplicationListApi.as_view()),
    path("", include("config.urls")),
]
