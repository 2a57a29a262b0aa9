from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/reports/", include("reports.api_urls")),
    path("api/v1/", include("config.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("applications/", include("applications.urls")),
    path("workbench/", include("workbench.urls")),
    path("reports/", include("reports.urls")),
    path("", include("portal.urls")),
    path("home/", RedirectView.as_view(pattern_name="portal:home"), name="home"),
]

admin.site.site_header = "惠企政策兑现平台 · 管理后台"
admin.site.site_title = "惠企政策兑现平台"
admin.site.index_title = "配置管理"
