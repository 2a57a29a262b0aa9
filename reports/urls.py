from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("export.csv", views.export_csv, name="export-csv"),
]
