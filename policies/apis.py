"""REST endpoints for policy items and rounds (SPEC §9)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.apis import request_user
from common.errors import NotFound

from . import services
from .models import PolicyDocument, PolicyItem, Round
from .selectors import policy_item_list, round_list, round_phase


class DocumentOutput(serializers.ModelSerializer):
    class Meta:
        model = PolicyDocument
        fields = ["id", "code", "title", "doc_no", "issuer", "effective_from", "effective_to", "lead_department"]


class PolicyListOutput(serializers.ModelSerializer):
    document = DocumentOutput(read_only=True)
    mode_label = serializers.CharField(source="get_mode_display", read_only=True)

    class Meta:
        model = PolicyItem
        fields = ["id", "code", "name", "document", "mode", "mode_label", "detailed"]


class PolicyDetailOutput(PolicyListOutput):
    departments = serializers.JSONField(source="review_departments", read_only=True)
    amount_rule_text = serializers.SerializerMethodField()
    exclusivity_group = serializers.SerializerMethodField()

    class Meta(PolicyListOutput.Meta):
        fields = [
            *PolicyListOutput.Meta.fields,
            "description",
            "lead",
            "bureau_function",
            "amount_rule",
            "amount_rule_text",
            "materials",
            "declared_fields",
            "eligibility",
            "departments",
            "funding",
            "exclusivity_group",
            "budget",
            "source_seed",
            "source_lines",
        ]

    def get_amount_rule_text(self, obj: PolicyItem) -> str:
        from .rules.amounts import describe

        return describe(obj.amount_rule)

    def get_exclusivity_group(self, obj: PolicyItem) -> dict[str, Any] | None:
        group = obj.exclusivity_group
        return {"code": group.code, "name": group.name} if group else None


class RoundOutput(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    item_name = serializers.CharField(source="item.name", read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "item",
            "item_name",
            "name",
            "performance_from",
            "performance_to",
            "opens_at",
            "closes_at",
            "state",
            "state_label",
            "supplement_days",
            "review_working_days",
            "city_review_working_days",
            "claim_days",
            "budget",
            "published",
        ]

    def get_state(self, obj: Round) -> str:
        return round_phase(obj)

    def get_state_label(self, obj: Round) -> str:
        return {"open": "申报中", "upcoming": "未开始", "closed": "已截止"}[round_phase(obj)]


class PolicyListApi(ListAPIView):
    serializer_class = PolicyListOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        return policy_item_list(search=params.get("search", ""), mode=params.get("mode", ""))


class PolicyDetailApi(APIView):
    @extend_schema(responses=PolicyDetailOutput)
    def get(self, request: Request, policy_id: int) -> Response:
        item = PolicyItem.objects.select_related("document", "exclusivity_group").filter(pk=policy_id).first()
        if item is None:
            raise NotFound("未找到该政策事项。")
        return Response(PolicyDetailOutput(item).data)


class RoundInput(serializers.Serializer):
    item = serializers.IntegerField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    name = serializers.CharField(required=False, allow_blank=True)
    performance_from = serializers.DateField(required=False, allow_null=True)
    performance_to = serializers.DateField(required=False, allow_null=True)
    supplement_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    review_working_days = serializers.IntegerField(required=False, min_value=1, max_value=120)
    city_review_working_days = serializers.IntegerField(required=False, min_value=1, max_value=120)
    claim_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    budget = serializers.DecimalField(required=False, allow_null=True, max_digits=16, decimal_places=2, min_value=0)
    published = serializers.BooleanField(required=False)


class RoundListCreateApi(ListAPIView):
    serializer_class = RoundOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = round_list(state=self.request.query_params.get("state", ""))
        item = self.request.query_params.get("item") or self.request.query_params.get("policy")
        return qs.filter(item_id=int(item)) if item and str(item).isdigit() else qs

    @extend_schema(request=RoundInput, responses={201: RoundOutput})
    def post(self, request: Request) -> Response:
        data = RoundInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        round_ = services.round_create(
            actor=request_user(request),
            item_id=fields.pop("item"),
            opens_at=fields.pop("opens_at"),
            closes_at=fields.pop("closes_at"),
            **fields,
        )
        return Response(RoundOutput(round_).data, status=status.HTTP_201_CREATED)


class RoundDetailApi(APIView):
    @extend_schema(responses=RoundOutput)
    def get(self, request: Request, round_id: int) -> Response:
        round_ = round_list().filter(pk=round_id).first()
        if round_ is None:
            raise NotFound("未找到该申报批次。")
        return Response(RoundOutput(round_).data)

    @extend_schema(request=RoundInput(partial=True), responses=RoundOutput)
    def patch(self, request: Request, round_id: int) -> Response:
        data = RoundInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("item", None)
        round_ = services.round_update(actor=request_user(request), round_id=round_id, data=fields)
        return Response(RoundOutput(round_).data)
