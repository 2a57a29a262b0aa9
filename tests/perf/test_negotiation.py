"""common.negotiation.QuickContentNegotiation answers what DRF's negotiation answers: the quick
cases (no Accept, */*, application/json) and, through DRF's own code, everything else."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.negotiation import QuickContentNegotiation


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"


ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/csv",
    "text/html, */*;q=0.8",
    "application/xml",
    "",
]


@pytest.mark.parametrize(
    "renderers", [[JSONRenderer()], [JSONRenderer(), CsvRenderer()], [CsvRenderer(), JSONRenderer()]]
)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=csv", "?format=json"])
def test_the_same_answer_as_drf(renderers, accept, query):
    factory = APIRequestFactory()
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(factory.get("/api/v1/x/" + query, **extra))

    def answer(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(request, renderers)
        except Exception as exc:  # the exception is the answer compared
            return type(exc).__name__
        return type(renderer).__name__, media_type

    assert answer(QuickContentNegotiation()) == answer(DefaultContentNegotiation())


def test_the_api_uses_it(client):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"] == "common.negotiation.QuickContentNegotiation"
