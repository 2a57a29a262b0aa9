"""Every REST route of SPEC §9, gathered under /api/v1/."""
from django.urls import include, path

urlpatterns: list = []
