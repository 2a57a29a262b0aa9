"""REST endpoints for applications (SPEC §9). Thin: parse, call a service, render."""

import hashlib
import json
from typing import Any

import django_filters
from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.apis import request_user
from common.errors import BadInput, PreconditionFailed
from common.exception_handler import error_response
from common.pagination import PageOrCursorPagination
from security.ratelimit import rate_limited

from . import fastlist, services
from .models import Application
from .selectors import access_application_by_id, application_history, application_list
from .serializers import (
    ApplicationDetailOutput,
    ApplicationOutput,
    EventOutput,
    MaterialOutput,
    material_output,
)
from .uploads import body_upload
from .workflow import State


class ApplicationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=State.choices)
    round = django_filters.NumberFilter(field_name="round_id")
    district = django_filters.NumberFilter(field_name="district_id")
    policy = django_filters.NumberFilter(field_name="item_id")

    class Meta:
        model = Application
        fields = ["state", "round", "district", "policy"]


# The FilterSet's own names and columns: the quick path below cannot drift from it.
_FILTER_FIELDS = {name: f.field_name for name, f in ApplicationFilter.base_filters.items()}


def _plain_filters(params: Any) -> dict[str, Any] | None:
    """ApplicationFilter's lookups when every given filter is plainly valid (a known state, ids of
    digits); None when one is not, so the FilterSet judges it (and explains the error)."""
    filters: dict[str, Any] = {}
    for name, field in _FILTER_FIELDS.items():
        value = params.get(name)
        if value is None or value == "":
            continue
        if name == "state":
            if value not in State.values:
                return None
            filters[field] = value
        elif value.isascii() and value.isdigit() and len(value) <= 9:
            filters[field] = int(value)
        else:
            return None
    return filters


class ApplicationListCreateApi(ListAPIView):
    """GET: the user's cases, newest first (id DESC), filtered by state/round/district/policy.

    Pages by page number (`?page=N`, `count` on every page, as ever) or by opaque keyset cursor
    (`?pagination=cursor`, then the `next`/`previous` links; `count` is null, no COUNT runs):
    common.pagination.PageOrCursorPagination. Either way the page is read by fastlist.read_items
    (the columns a row shows, one pass from database rows to items), which gives
    exactly what ApplicationOutput (the documented item) gives. Scope: application_list.
    """

    serializer_class = ApplicationOutput
    filterset_class = ApplicationFilter
    pagination_class = PageOrCursorPagination
    page_reader = staticmethod(fastlist.read_items)

    @extend_schema_serializer(component_name="ApplicationListCreateInput")
    class InputSerializer(serializers.Serializer):
        round = serializers.IntegerField()
        declared = serializers.DictField(required=False, default=dict)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Application.objects.none()
        return application_list(user=request_user(self.request))

    def filter_queryset(self, queryset):  # type: ignore[no-untyped-def]
        # The common case, every filter well-formed, is applied directly; anything else goes
        # through the FilterSet, which answers 400 in its own words (same result, without the
        # form machinery on every page of a list clients poll).
        filters = _plain_filters(self.request.query_params)
        if filters is None:
            return super().filter_queryset(queryset)
        return queryset.filter(**filters) if filters else queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(rows or [])

    @extend_schema(request=InputSerializer, responses={201: ApplicationDetailOutput})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_create(
            actor=request_user(request), round_id=data.validated_data["round"], declared=data.validated_data["declared"]
        )
        return Response(ApplicationDetailOutput(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    """GET with an `ETag`; PATCH of the declared figures honours `If-Match` (RELIABILITY R6).

    The ETag is strong: a hash of the row's id, `updated_at`, state and declared figures, so any
    change to the case (by anyone) changes it. `If-Match` is optional: a client that sends it gets
    412 instead of silently overwriting a change it has not seen (lost update); a client that does
    not send it keeps last-write-wins, as before (the portal edits through its own pages). `*`
    matches any current version; weak tags (`W/"…"`) never match (strong comparison, RFC 9110).
    """

    @extend_schema_serializer(component_name="ApplicationDetailInput")
    class InputSerializer(serializers.Serializer):
        declared = serializers.DictField()

    ETAG_HEADER = OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="当前版本的强 ETag；修改时放在 If-Match 中发回",
    )
    IF_MATCH = OpenApiParameter(
        "If-Match",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description="可选。读取时得到的 ETag；若申报件在此期间已被修改，返回 412 且不保存（防止覆盖他人的修改）",
    )

    @staticmethod
    def etag(application: Application) -> str:
        declared = json.dumps(application.declared, sort_keys=True, ensure_ascii=False, default=str)
        version = f"{application.pk}|{application.updated_at.isoformat()}|{application.state}|{declared}"
        return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'

    @staticmethod
    def if_match_allows(header: str, current: str) -> bool:
        tags = [tag.strip() for tag in header.split(",") if tag.strip()]
        return "*" in tags or current in tags

    @extend_schema(responses={200: ApplicationDetailOutput}, parameters=[ETAG_HEADER])
    def get(self, request: Request, application_id: int) -> Response:
        application = access_application_by_id(user=request_user(request), application_id=application_id)
        return Response(ApplicationDetailOutput(application).data, headers={"ETag": self.etag(application)})

    @extend_schema(
        request=InputSerializer,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={
            200: ApplicationDetailOutput,
            400: error_response("请求有误（如修改了不允许修改的字段、申报数据格式不对）"),
            409: error_response("当前状态不能修改申报数据"),
            412: error_response("If-Match 与当前版本不符：申报件已被修改，未保存"),
        },
    )
    def patch(self, request: Request, application_id: int) -> Response:
        # Only declared figures can change; state, amounts, enterprise, district are never taken
        # from input (mass assignment is refused with a message, not silently ignored).
        if not isinstance(request.data, dict):
            raise BadInput('请求体应为 JSON 对象，如 {"declared": {...}}。', code="invalid")
        forbidden = sorted(set(request.data) - {"declared"})
        if forbidden:
            raise BadInput(
                f"以下字段不能由申报企业修改：{'、'.join(forbidden)}。只能修改 declared（申报数据）。",
                code="read_only_field",
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, if_match = request_user(request), request.headers.get("If-Match")
        with transaction.atomic():
            if if_match is not None:  # compare and write under the row lock: no change slips in between
                current = access_application_by_id(user=user, application_id=application_id, for_update=True)
                if not self.if_match_allows(if_match, self.etag(current)):
                    raise PreconditionFailed(
                        "该申报件在您打开之后已被修改（可能是同事或您在另一窗口的操作），本次修改未保存。"
                        "请重新获取申报件（GET）查看最新数据，用新的 ETag 作为 If-Match 再提交修改。",
                        code="stale_version",
                    )
            application = services.application_update_declared(
                actor=user, application_id=application_id, declared=data.validated_data["declared"]
            )
        return Response(ApplicationDetailOutput(application).data, headers={"ETag": self.etag(application)})


class ApplicationHistoryApi(APIView):
    @extend_schema(responses=EventOutput(many=True))
    def get(self, request: Request, application_id: int) -> Response:
        application = access_application_by_id(user=request_user(request), application_id=application_id)
        return Response(EventOutput(application_history(application=application), many=True).data)


class MaterialUploadApi(APIView):
    """A new version of one material. Two bodies, same checks, quota, versioning and scan:
    multipart (`kind`, `file`: the portal's form), or the file itself as the body with any other
    Content-Type, `?kind=` in the query and the name in `Content-Disposition` — nothing to parse,
    the bytes go straight to the content check and storage."""

    parser_classes = [MultiPartParser, FormParser]
    FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

    @extend_schema_serializer(component_name="MaterialUploadInput")
    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        file = serializers.FileField()

    @extend_schema(
        request={"multipart/form-data": InputSerializer, "application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                OpenApiParameter.QUERY,
                required=False,
                description="材料类型（文件作为请求体发送时必填；multipart 时用表单字段 kind）",
            ),
            OpenApiParameter(
                "Content-Disposition",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="文件名，如 attachment; filename*=UTF-8''%E6%9D%90%E6%96%99.pdf（文件作为请求体时）",
            ),
        ],
        responses={201: MaterialOutput},
    )
    @rate_limited("upload")
    def post(self, request: Request, application_id: int) -> Response:
        if (request.content_type or "").startswith(self.FORM_TYPES):
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            kind, upload = data.validated_data["kind"], data.validated_data["file"]
        else:
            kind = request.query_params.get("kind", "")
            if not kind:
                raise BadInput("请在地址中用 ?kind= 指明材料类型（取自政策事项的材料清单）。", code="bad_kind")
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            upload = body_upload(
                request.stream,
                length=length,
                content_type=request.content_type or "application/octet-stream",
                disposition=request.headers.get("Content-Disposition", ""),
            )
        try:
            material = services.material_upload(
                actor=request_user(request), application_id=application_id, kind=kind, upload=upload
            )
        finally:
            upload.close()  # a spooled body moved into storage is gone: close() knows (Django's own uploads too)
        return Response(material_output(material), status=status.HTTP_201_CREATED)


class MaterialReuseApi(APIView):
    """POST {"kind", "source_material"}: use a file already handed in with another case (R18)."""

    @extend_schema_serializer(component_name="MaterialReuseInput")
    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        source_material = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={201: MaterialOutput})
    def post(self, request: Request, application_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        material = services.material_reuse(
            actor=request_user(request),
            application_id=application_id,
            kind=data.validated_data["kind"],
            source_material_id=data.validated_data["source_material"],
        )
        return Response(MaterialOutput(material).data, status=status.HTTP_201_CREATED)


class MaterialDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, application_id: int, material_id: int) -> FileResponse:
        from .views import material_response

        return material_response(user=request_user(request), application_id=application_id, material_id=material_id)


class _TransitionApi(APIView):
    """Base of the one-view-per-action endpoints `POST /applications/{id}/{action}/`."""

    @extend_schema_serializer(component_name="_TransitionInput")
    class InputSerializer(serializers.Serializer):
        pass

    def perform(self, request: Request, application_id: int, data: dict[str, Any]) -> Application:
        raise NotImplementedError

    def post(self, request: Request, application_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = self.perform(request, application_id, data.validated_data)
        application.refresh_from_db()
        return Response(ApplicationDetailOutput(application).data)


class _Reason(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ApplicationSubmitApi(_TransitionApi):
    @extend_schema_serializer(component_name="ApplicationSubmitInput")
    class InputSerializer(serializers.Serializer):
        commitment_signed = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses=ApplicationDetailOutput)
    def post(self, request: Request, application_id: int) -> Response:
        return super().post(request, application_id)

    def perform(self, request: Request, application_id: int, data: dict[str, Any]) -> Application:
        return services.application_submit(
            actor=request_user(request), application_id=application_id, commitment_signed=data["commitment_signed"]
        )


def _simple(name: str, service: Any, *, with_reason: bool) -> type[_TransitionApi]:
    def perform(self: _TransitionApi, request: Request, application_id: int, data: dict[str, Any]) -> Application:
        kwargs = {"reason": data["reason"]} if with_reason else {}
        return service(actor=request_user(request), application_id=application_id, **kwargs)

    attrs: dict[str, Any] = {"perform": perform, "__doc__": f"POST /applications/{{id}}/{name}/"}
    if with_reason:
        attrs["InputSerializer"] = _Reason

    def post(self: _TransitionApi, request: Request, application_id: int) -> Response:
        return _TransitionApi.post(self, request, application_id)

    # A function of its own per action: extend_schema annotates the function object it is given.
    attrs["post"] = extend_schema(
        request=_Reason if with_reason else None,
        responses=ApplicationDetailOutput,
        operation_id=f"applications_{name.replace('-', '_')}",
    )(post)
    return type(f"Application{name.title().replace('-', '')}Api", (_TransitionApi,), attrs)


ApplicationWithdrawApi = _simple("withdraw", services.application_withdraw, with_reason=True)
ApplicationAcceptApi = _simple("accept", services.application_accept, with_reason=False)
ApplicationReturnApi = _simple("return", services.application_return, with_reason=True)
ApplicationResubmitApi = _simple("resubmit", services.application_resubmit, with_reason=False)
ApplicationRejectApi = _simple("reject", services.application_reject, with_reason=True)
ApplicationCityRejectApi = _simple("city-reject", services.application_city_reject, with_reason=True)
ApplicationCityReturnApi = _simple("city-return", services.application_city_return, with_reason=True)


class ApplicationApproveApi(_TransitionApi):
    @extend_schema_serializer(component_name="ApplicationApproveInput")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="")
        override = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses=ApplicationDetailOutput)
    def post(self, request: Request, application_id: int) -> Response:
        return super().post(request, application_id)

    def perform(self, request: Request, application_id: int, data: dict[str, Any]) -> Application:
        return services.application_approve(
            actor=request_user(request), application_id=application_id, reason=data["reason"], override=data["override"]
        )


class ApplicationCityApproveApi(_TransitionApi):
    @extend_schema_serializer(component_name="ApplicationCityApproveInput")
    class InputSerializer(serializers.Serializer):
        amount = serializers.CharField()
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=ApplicationDetailOutput)
    def post(self, request: Request, application_id: int) -> Response:
        return super().post(request, application_id)

    def perform(self, request: Request, application_id: int, data: dict[str, Any]) -> Application:
        return services.application_city_approve(
            actor=request_user(request), application_id=application_id, amount=data["amount"], reason=data["reason"]
        )
