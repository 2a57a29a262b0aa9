from django.urls import path

from . import apis

app_name = "reports-api"
urlpatterns = [
    path("summary/", apis.ReportSummaryApi.as_view(), name="summary"),
]
