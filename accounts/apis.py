from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import BadInput
from common.exception_handler import error_response
from security import ratelimit


class TokenApi(APIView):
    """POST /api/v1/auth/token/ {"username","password"} → {"token"}."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"})

    @extend_schema_serializer(component_name="TokenOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: error_response("用户名或密码错误"),
            429: error_response("登录尝试过于频繁或账号在本设备上已暂时锁定（见 Retry-After）"),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # R16: counted per username + IP before the password is checked (security/ratelimit.py).
        ident = ratelimit.login_ident(request, data.validated_data["username"])
        ratelimit.check("login", ident)
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise BadInput("用户名或密码错误。", code="invalid_credentials")
        ratelimit.reset("login", ident)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
