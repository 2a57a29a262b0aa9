from rest_framework import serializers

from .models import Award, AwardEvent
from .workflow import AwardState


class AwardOutput(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    policy = serializers.IntegerField(source="item_id", read_only=True)
    policy_name = serializers.CharField(source="item.name", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Award
        fields = [
            "id",
            "application",
            "enterprise",
            "enterprise_name",
            "policy",
            "policy_name",
            "round",
            "district",
            "district_name",
            "source",
            "year",
            "amount",
            "city_share",
            "district_share",
            "district_pays_first",
            "state",
            "state_label",
            "claim_deadline",
            "claimed_at",
            "payment_reference",
            "paid_on",
            "recovery_reason",
            "cancelled_reason",
            "created_at",
        ]
        read_only_fields = fields


class AwardEventOutput(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    to_state_label = serializers.SerializerMethodField()

    class Meta:
        model = AwardEvent
        fields = [
            "id",
            "action",
            "from_state",
            "to_state",
            "to_state_label",
            "reason",
            "at",
            "actor",
            "actor_name",
            "extra",
        ]

    def get_actor_name(self, obj: AwardEvent) -> str:
        return str(obj.actor) if obj.actor else "系统"

    def get_to_state_label(self, obj: AwardEvent) -> str:
        return AwardState(obj.to_state).label if obj.to_state in AwardState.values else ""
