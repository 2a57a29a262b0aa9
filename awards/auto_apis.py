"""REST endpoints for 免申即享 lists (policy administrators)."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from common.apis import request_user
from common.errors import NotFound

from . import auto
from .models import AutoGrantBatch, AutoGrantEntry
from .serializers import AwardOutput


class EntryOutput(serializers.ModelSerializer):
    class Meta:
        model = AutoGrantEntry
        fields = ["row_number", "credit_code", "name", "enterprise", "amount", "ok", "problems", "award"]


class BatchOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    origin_label = serializers.CharField(source="get_origin_display", read_only=True)
    report = serializers.SerializerMethodField()
    entries = EntryOutput(many=True, read_only=True)

    class Meta:
        model = AutoGrantBatch
        fields = [
            "id",
            "item",
            "year",
            "origin",
            "origin_label",
            "source_name",
            "status",
            "status_label",
            "claim_deadline",
            "approved_at",
            "report",
            "entries",
            "created_at",
        ]

    def get_report(self, obj: AutoGrantBatch) -> dict:
        return auto.auto_batch_report(obj)


def _batch(request: Request, batch_id: int) -> AutoGrantBatch:
    if request_user(request).role not in (Role.POLICY_ADMIN, Role.AUDITOR):
        raise NotFound()
    batch = AutoGrantBatch.objects.prefetch_related("entries").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    return batch


class AutoBatchCreateApi(APIView):
    """POST {"item", "year", "origin": "match"} or multipart with `file` (origin upload)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="AutoBatchCreateInput")
    class InputSerializer(serializers.Serializer):
        item = serializers.IntegerField()
        year = serializers.IntegerField(min_value=2000, max_value=2100)
        origin = serializers.ChoiceField(choices=AutoGrantBatch.Origin.choices)
        file = serializers.FileField(required=False)

    @extend_schema(request=InputSerializer, responses={201: BatchOutput})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["origin"] == "upload":
            if "file" not in v:
                from common.errors import BadInput

                raise BadInput("请上传名单文件（.xlsx 或 .csv）。")
            batch = auto.auto_batch_from_upload(
                actor=request_user(request), item_id=v["item"], year=v["year"], upload=v["file"]
            )
        else:
            batch = auto.auto_batch_from_match(actor=request_user(request), item_id=v["item"], year=v["year"])
        return Response(BatchOutput(batch).data, status=status.HTTP_201_CREATED)


class AutoBatchDetailApi(APIView):
    @extend_schema(responses=BatchOutput)
    def get(self, request: Request, batch_id: int) -> Response:
        return Response(BatchOutput(_batch(request, batch_id)).data)


class AutoBatchApproveApi(APIView):
    @extend_schema_serializer(component_name="AutoBatchApproveInput")
    class InputSerializer(serializers.Serializer):
        claim_deadline = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses=AwardOutput(many=True))
    def post(self, request: Request, batch_id: int) -> Response:
        _batch(request, batch_id)  # not visible → 404, as a missing list
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        awards = auto.auto_batch_approve(
            actor=request_user(request), batch_id=batch_id, claim_deadline=data.validated_data["claim_deadline"]
        )
        return Response(AwardOutput(awards, many=True).data)
