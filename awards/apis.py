"""REST endpoints for awards and 政策上线 (SPEC §9)."""

from datetime import date
from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.apis import request_user
from common.exception_handler import error_response
from idempotency.api import IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENCY_RESPONSES, idempotent

from . import services
from .models import Award
from .selectors import access_award_by_id, award_history, award_list
from .serializers import AwardEventOutput, AwardOutput
from .workflow import AwardState


class AwardFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AwardState.choices)
    round = django_filters.NumberFilter(field_name="round_id")
    district = django_filters.NumberFilter(field_name="district_id")
    policy = django_filters.NumberFilter(field_name="item_id")

    class Meta:
        model = Award
        fields = ["state", "round", "district", "policy"]


class AwardListApi(ListAPIView):
    serializer_class = AwardOutput
    filterset_class = AwardFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Award.objects.none()
        return award_list(user=request_user(self.request))


class AwardDetailApi(APIView):
    @extend_schema(responses=AwardOutput)
    def get(self, request: Request, award_id: int) -> Response:
        return Response(AwardOutput(access_award_by_id(user=request_user(request), award_id=award_id)).data)


class AwardHistoryApi(APIView):
    @extend_schema(responses=AwardEventOutput(many=True))
    def get(self, request: Request, award_id: int) -> Response:
        award = access_award_by_id(user=request_user(request), award_id=award_id)
        return Response(AwardEventOutput(award_history(award=award), many=True).data)


class AwardClaimApi(APIView):
    @extend_schema_serializer(component_name="AwardClaimInput")
    class InputSerializer(serializers.Serializer):
        commitment_signed = serializers.BooleanField(required=False, default=False)
        bank_account_confirmed = serializers.BooleanField(required=False, default=True)

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: AwardOutput, 403: error_response("失信名录内，不能申领"), **IDEMPOTENCY_RESPONSES},
    )
    @idempotent
    def post(self, request: Request, award_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        award = services.award_claim(actor=request_user(request), award_id=award_id, **data.validated_data)
        return Response(AwardOutput(award).data)


class AwardPayApi(APIView):
    @extend_schema_serializer(component_name="AwardPayInput")
    class InputSerializer(serializers.Serializer):
        reference = serializers.CharField(allow_blank=True)
        paid_on = serializers.DateField(required=False)

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: AwardOutput, 403: error_response("无权登记兑现"), **IDEMPOTENCY_RESPONSES},
    )
    @idempotent
    def post(self, request: Request, award_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        paid_on: date | None = data.validated_data.get("paid_on")
        award = services.award_pay(
            actor=request_user(request), award_id=award_id, reference=data.validated_data["reference"], paid_on=paid_on
        )
        return Response(AwardOutput(award).data)


class AwardRecoverApi(APIView):
    @extend_schema_serializer(component_name="AwardRecoverInput")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="")
        listing_days = serializers.IntegerField(required=False, min_value=1, max_value=3650, default=3 * 365)

    @extend_schema(request=InputSerializer, responses=AwardOutput)
    def post(self, request: Request, award_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        award = services.award_recover(actor=request_user(request), award_id=award_id, **data.validated_data)
        return Response(AwardOutput(award).data)


class AwardRecoveredApi(APIView):
    @extend_schema_serializer(component_name="AwardRecoveredInput")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=AwardOutput)
    def post(self, request: Request, award_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        award = services.award_mark_recovered(
            actor=request_user(request), award_id=award_id, reason=data.validated_data["reason"]
        )
        return Response(AwardOutput(award).data)


class RoundPublishAwardsApi(APIView):
    @extend_schema_serializer(component_name="RoundPublishAwardsInput")
    class InputSerializer(serializers.Serializer):
        claim_deadline = serializers.DateTimeField()
        applications = serializers.ListField(child=serializers.IntegerField(), required=False)

    @extend_schema_serializer(component_name="RoundPublishAwardsOutput")
    class OutputSerializer(serializers.Serializer):
        created = AwardOutput(many=True)
        cancelled = AwardOutput(many=True)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, round_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        result = services.awards_publish(
            actor=request_user(request),
            round_id=round_id,
            claim_deadline=v["claim_deadline"],
            application_ids=v.get("applications"),
        )
        body = {
            "created": AwardOutput(result.created, many=True).data,
            "cancelled": AwardOutput(result.cancelled, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)
