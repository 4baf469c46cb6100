"""The customer timeline's shape."""
from __future__ import annotations

from rest_framework import serializers

from workbench.selectors import TIMELINE_KINDS


class CallStepSerializer(serializers.Serializer):
    status = serializers.CharField()
    at = serializers.DateTimeField(help_text="Local time (TIME_ZONE, Africa/Kampala)")
    message = serializers.CharField(allow_blank=True)


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When it happened, in local time (TIME_ZONE, Africa/Kampala), with its offset")
    kind = serializers.ChoiceField(choices=TIMELINE_KINDS)
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    amount_display = serializers.CharField(allow_blank=True, help_text='"UGX 1,250,000"; blank without an amount')
    debt_id = serializers.IntegerField(allow_null=True)
    object_id = serializers.IntegerField(help_text="The id of the payment, log, call, promise, statement, upload, request or debt")
    history = CallStepSerializer(many=True, help_text="A call's status steps, oldest first; empty for other kinds")


class TimelineSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    count = serializers.IntegerField()
    events = TimelineEventSerializer(many=True)
