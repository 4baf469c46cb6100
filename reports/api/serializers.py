"""The shape of every report's JSON (for the schema): named tables of rows."""
from __future__ import annotations

from rest_framework import serializers


class ReportColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["money", "rate", "int", "number", "date", "text"],
                                   help_text="money: a decimal string with two places (UGX); rate: a fraction (0.25 = 25 %)")


class ReportTableSerializer(serializers.Serializer):
    title = serializers.CharField()
    columns = ReportColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField(), help_text="One object per row, keyed by column name")


class ReportFiltersSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    branch = serializers.CharField(allow_blank=True)
    employee = serializers.CharField(allow_blank=True)
    provider = serializers.CharField(allow_blank=True)


class ReportSerializer(serializers.Serializer):
    report = serializers.CharField()
    filters = ReportFiltersSerializer()
    params = serializers.DictField(help_text="The report's own parameters (months, period)")
    meta = serializers.DictField(help_text="What the report was computed from (the snapshot date, the months)")
    tables = serializers.DictField(child=ReportTableSerializer())
