"""GET|PATCH /api/v1/enterprises/me/ for enterprise users."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.apis import request_user
from common.errors import BadInput, NotFound

from . import services
from .models import Designation, Enterprise, SizeClass


class DesignationOutput(serializers.ModelSerializer):
    tag_label = serializers.CharField(source="get_tag_display", read_only=True)

    class Meta:
        model = Designation
        fields = ["tag", "tag_label", "granted_on", "expires_on", "first_time"]


class EnterpriseOutput(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)
    size_class_label = serializers.CharField(source="get_size_class_display", read_only=True)
    designations = DesignationOutput(many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "district",
            "district_name",
            "address",
            "legal_representative",
            "industry",
            "size_class",
            "size_class_label",
            "registered_on",
            "in_statistics_db",
            "employees",
            "annual_revenue",
            "bank_name",
            "bank_account_name",
            "bank_account_no",
            "contact_name",
            "contact_phone",
            "designations",
        ]
        read_only_fields = fields


class EnterpriseInput(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=128)
    address = serializers.CharField(required=False, allow_blank=True, max_length=255)
    legal_representative = serializers.CharField(required=False, allow_blank=True, max_length=64)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=64)
    size_class = serializers.ChoiceField(required=False, choices=SizeClass.choices)
    registered_on = serializers.DateField(required=False, allow_null=True)
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    annual_revenue = serializers.DecimalField(
        required=False, allow_null=True, max_digits=16, decimal_places=2, min_value=0
    )
    bank_name = serializers.CharField(required=False, allow_blank=True, max_length=128)
    bank_account_name = serializers.CharField(required=False, allow_blank=True, max_length=128)
    bank_account_no = serializers.RegexField(
        r"^[0-9 -]{6,40}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "银行账号只能包含数字，长度6—40位。"},
    )
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)


class EnterpriseMeApi(APIView):
    def _enterprise(self, request: Request) -> Enterprise:
        ent_id = getattr(request.user, "enterprise_id", None)
        if not ent_id:
            raise NotFound("当前账号不属于任何企业。")
        return Enterprise.objects.select_related("district").prefetch_related("designations").get(pk=ent_id)

    @extend_schema(responses=EnterpriseOutput)
    def get(self, request: Request) -> Response:
        return Response(EnterpriseOutput(self._enterprise(request)).data)

    @extend_schema(request=EnterpriseInput, responses=EnterpriseOutput)
    def patch(self, request: Request) -> Response:
        enterprise = self._enterprise(request)
        if not isinstance(request.data, dict):
            raise BadInput("请求体应为 JSON 对象（字段: 值）。", code="invalid")
        forbidden = sorted(set(request.data) - set(EnterpriseInput().fields))
        if forbidden:
            raise BadInput(
                f"以下字段不能由企业自行修改：{'、'.join(forbidden)}（如需变更请联系属地主管部门）。",
                code="read_only_field",
            )
        data = EnterpriseInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.enterprise_update_profile(
            actor=request_user(request), enterprise_id=enterprise.pk, data=data.validated_data
        )
        return Response(EnterpriseOutput(self._enterprise(request)).data)
