from typing import Any

from rest_framework import serializers

from .models import Application, ApplicationEvent, Material
from .workflow import State


class MaterialOutput(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = [
            "id",
            "kind",
            "version",
            "is_current",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, obj: Material) -> str:
        return f"/applications/{obj.application_id}/materials/{obj.pk}/download/"


_CREATED_AT = serializers.DateTimeField()


def material_output(material: Material) -> dict[str, Any]:
    """MaterialOutput(material).data, written out: the upload's answer (issue #9, P5), where
    building the ModelSerializer's fields cost 0.3 ms a request. Same keys, order and values
    (tests/perf/test_upload_path.py compares the two)."""
    return {
        "id": material.pk,
        "kind": material.kind,
        "version": material.version,
        "is_current": material.is_current,
        "original_name": material.original_name,
        "content_type": material.content_type,
        "size": material.size,
        "sha256": material.sha256,
        "created_at": _CREATED_AT.to_representation(material.created_at),
        "download_url": f"/applications/{material.application_id}/materials/{material.pk}/download/",
    }


class ApplicationOutput(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    round_name = serializers.CharField(source="round.name", read_only=True)
    policy = serializers.IntegerField(source="item_id", read_only=True)
    policy_name = serializers.CharField(source="item.name", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "round",
            "round_name",
            "enterprise",
            "enterprise_name",
            "policy",
            "policy_name",
            "district",
            "district_name",
            "declared",
            "state",
            "state_label",
            "eligibility",
            "suggested_amount",
            "amount_working",
            "amount",
            "submitted_at",
            "accepted_at",
            "review_deadline",
            "review_overdue",
            "supplement_request",
            "supplement_deadline",
            "city_list",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationDetailOutput(ApplicationOutput):
    materials = serializers.SerializerMethodField()
    commitment_signed_at = serializers.DateTimeField(read_only=True)
    conflicts = serializers.SerializerMethodField()

    class Meta(ApplicationOutput.Meta):
        fields = [*ApplicationOutput.Meta.fields, "materials", "commitment_signed_at", "conflicts"]
        read_only_fields = fields

    def get_conflicts(self, obj: Application) -> list[str]:
        """从优、就高、不重复: other cases and awards of the same group, as they stand now."""
        from .rules import exclusivity_warnings

        return exclusivity_warnings(obj)

    def get_materials(self, obj: Application) -> list[dict]:
        current = obj.materials.filter(is_current=True).order_by("kind")
        return list(MaterialOutput(current, many=True).data)


class EventOutput(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    from_state_label = serializers.SerializerMethodField()
    to_state_label = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = [
            "id",
            "action",
            "from_state",
            "from_state_label",
            "to_state",
            "to_state_label",
            "reason",
            "at",
            "actor",
            "actor_name",
            "extra",
        ]

    def get_actor_name(self, obj: ApplicationEvent) -> str:
        return str(obj.actor) if obj.actor else "系统"

    def get_from_state_label(self, obj: ApplicationEvent) -> str:
        return State(obj.from_state).label if obj.from_state in State.values else ""

    def get_to_state_label(self, obj: ApplicationEvent) -> str:
        return State(obj.to_state).label if obj.to_state in State.values else ""
