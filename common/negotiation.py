"""DRF's content negotiation with the two everyday cases answered at once (issue #9, P1).

Nearly every API request asks for nothing in particular (no `Accept`, or `*/*`) or for
`application/json`. For those, DefaultContentNegotiation parses the header, orders it by
precedence and matches it against every renderer (≈ 12 µs a request here) only to answer what is
known in advance: the view's first renderer, with its own media type (`*/*`), or that renderer
when it is JSON (`application/json`). Anything else (other types, parameters, q-values, several
types, `?format=`, a format suffix) goes through DRF's code unchanged, so the answers (and the
406s) are DRF's. Who uses it: REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"].
"""

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class QuickContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        if renderers and not format_suffix and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            accept = request.META.get("HTTP_ACCEPT")
            first = renderers[0]
            if accept is None or accept == "*/*":
                return first, first.media_type
            if accept == "application/json" and first.media_type == "application/json":
                return first, accept
        return super().select_renderer(request, renderers, format_suffix)
