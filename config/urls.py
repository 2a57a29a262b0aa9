from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("applications/", include("applications.urls")),
    path("", include("portal.urls")),
]

admin.site.site_header = "惠企政策兑现平台 · 管理后台"
admin.site.site_title = "惠企政策兑现平台"
admin.site.index_title = "配置管理"
