from rest_framework import serializers

from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport, StatementSummary


class StatementSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementSummary
        exclude = ["id", "statement"]


class StatementSerializer(serializers.ModelSerializer):
    verification_status = serializers.CharField(source="summary.verification_status", read_only=True, default=None)
    tampering_level = serializers.CharField(source="summary.tampering_level", read_only=True, default=None)
    balance_match = serializers.CharField(source="summary.balance_match", read_only=True, default=None)

    class Meta:
        model = Statement
        fields = [
            "id", "run_id", "acc_prvdr_code", "acc_number", "format", "file_name", "status", "failure_reason",
            "num_rows", "verification_status", "tampering_level", "balance_match", "cust_id", "rm_name",
            "period_start", "period_end", "created_at",
        ]


class StatementDetailSerializer(serializers.ModelSerializer):
    summary = StatementSummarySerializer(read_only=True)

    class Meta:
        model = Statement
        exclude = ["file"]


class RawTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RawTransaction
        fields = "__all__"


class ProcessedTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessedTransaction
        fields = "__all__"


class StatementImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementImport
        fields = "__all__"
