from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path(
        "<int:application_id>/materials/<int:material_id>/download/", views.material_download, name="material-download"
    ),
]
