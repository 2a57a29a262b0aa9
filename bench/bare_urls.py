"""URLconf of the bare handler (no middleware): the floors the portal is compared with."""

from django.urls import path

from .views import bare_sql, bare_static, bare_upload

urlpatterns = [
    path("__bare/static/", bare_static),
    path("__bare/sql/<str:name>/", bare_sql),
    path("__bare/upload/", bare_upload),
]
