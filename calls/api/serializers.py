from rest_framework import serializers

from calls.models import CallSession, CallStatusUpdate


class CallStatusUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallStatusUpdate
        fields = ["id", "status", "message", "timestamp", "extra_data"]


class CallSessionSerializer(serializers.ModelSerializer):
    status_updates = CallStatusUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = CallSession
        fields = "__all__"
