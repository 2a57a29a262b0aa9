"""URLconf of the bare handler (no middleware): the floors the portal is compared with."""

from django.urls import path

from .views import bare_sql, bare_static, bare_upload, bare_upload_checked

urlpatterns = [
    path("__bare/static/", bare_static),
    path("__bare/sql/<str:name>/", bare_sql),
    path("__bare/upload/", bare_upload),
    path("__bare/upload-checked/", bare_upload_checked),
]
