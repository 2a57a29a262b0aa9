"""REST endpoints for co-review opinions and city lists (SPEC §9)."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.selectors import access_application_by_id
from common.apis import request_user

from . import services
from .models import CityList, Opinion
from .selectors import access_city_list_by_id, city_list_queryset_for, opinions_for


class OpinionOutput(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)

    class Meta:
        model = Opinion
        fields = [
            "id",
            "application",
            "review_cycle",
            "department",
            "department_name",
            "function",
            "decision",
            "decision_label",
            "remarks",
            "created_at",
        ]
        read_only_fields = fields


class CityListOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    applications = serializers.SerializerMethodField()

    class Meta:
        model = CityList
        fields = [
            "id",
            "district",
            "district_name",
            "round",
            "status",
            "status_label",
            "submitted_at",
            "done_at",
            "applications",
            "created_at",
        ]
        read_only_fields = fields

    def get_applications(self, obj: CityList) -> list[int]:
        return sorted(a.pk for a in obj.applications.all())


class OpinionListCreateApi(APIView):
    @extend_schema_serializer(component_name="OpinionListCreateInput")
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=Opinion.Decision.choices)
        remarks = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=OpinionOutput(many=True))
    def get(self, request: Request, application_id: int) -> Response:
        application = access_application_by_id(user=request_user(request), application_id=application_id)
        return Response(OpinionOutput(opinions_for(application_id=application.pk), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OpinionOutput})
    def post(self, request: Request, application_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        opinion = services.opinion_create(
            actor=request_user(request), application_id=application_id, **data.validated_data
        )
        return Response(OpinionOutput(opinion).data, status=status.HTTP_201_CREATED)


class CityListListCreateApi(ListAPIView):
    serializer_class = CityListOutput

    @extend_schema_serializer(component_name="CityListListCreateInput")
    class InputSerializer(serializers.Serializer):
        round = serializers.IntegerField()
        applications = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return CityList.objects.none()
        return city_list_queryset_for(request_user(self.request)).prefetch_related("applications").order_by("-id")

    @extend_schema(request=InputSerializer, responses={201: CityListOutput})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        city_list = services.city_list_create(
            actor=request_user(request),
            round_id=data.validated_data["round"],
            application_ids=data.validated_data["applications"],
        )
        return Response(CityListOutput(city_list).data, status=status.HTTP_201_CREATED)


class CityListDetailApi(APIView):
    @extend_schema(responses=CityListOutput)
    def get(self, request: Request, city_list_id: int) -> Response:
        return Response(
            CityListOutput(access_city_list_by_id(user=request_user(request), city_list_id=city_list_id)).data
        )


class CityListSubmitApi(APIView):
    @extend_schema(request=None, responses=CityListOutput)
    def post(self, request: Request, city_list_id: int) -> Response:
        city_list = services.city_list_submit(actor=request_user(request), city_list_id=city_list_id)
        return Response(CityListOutput(city_list).data)
