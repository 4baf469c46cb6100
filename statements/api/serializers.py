from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import BlankAsNullChoiceField
from core.paths import HideServerPathsMixin, hide_server_paths
from statements.choices import BalanceMatch, Provider, ReviewDecision, TamperingLevel, VerificationStatus
from statements.engine.errors import UnsupportedFile
from statements.engine.sniff import sniff_kind
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport, StatementReview, StatementSummary
from statements.services import ImportJobError, statement_provider_hint, statement_upload_over_limit


class StatementSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementSummary
        exclude = ["id", "statement"]


class RiskReasonSerializer(serializers.Serializer):
    """One reason behind a statement's risk score (``statements.engine.forensics``)."""

    code = serializers.CharField(help_text="Stable reason code, e.g. revision_incremental, font_unexpected, balance_mismatch")
    message = serializers.CharField(help_text="The reason in a sentence")
    weight = serializers.IntegerField(help_text="The signal's weight in the 0-100 score")
    page = serializers.IntegerField(allow_null=True, help_text="1-based page it points at, or null")
    row = serializers.IntegerField(allow_null=True, help_text="1-based row of the file's transaction table, or null")
    field = serializers.CharField(allow_blank=True, help_text="Column or summary label it points at, or blank")


class StatementSerializer(HideServerPathsMixin, serializers.ModelSerializer):
    """One row of the statements list: metadata plus the verification outcome."""

    path_fields = ("failure_reason",)

    # The verdict comes from the summary, which a failed import does not
    # have: then these are null (and a verdict not reached yet is null too,
    # never ""). ``acc_prvdr_code`` is null when the file's provider was
    # never known.
    acc_prvdr_code = BlankAsNullChoiceField(choices=Provider.choices)
    verification_status = BlankAsNullChoiceField(source="summary.verification_status", choices=VerificationStatus.choices)
    tampering_level = BlankAsNullChoiceField(source="summary.tampering_level", choices=TamperingLevel.choices)
    balance_match = BlankAsNullChoiceField(source="summary.balance_match", choices=BalanceMatch.choices)
    duplicate_count = serializers.IntegerField(source="summary.duplicate_count", read_only=True, allow_null=True)
    balance_diff_change_ratio = serializers.DecimalField(
        source="summary.balance_diff_change_ratio", max_digits=9, decimal_places=6, read_only=True, allow_null=True
    )
    risk_score = serializers.IntegerField(source="summary.risk_score", read_only=True, allow_null=True,
                                          help_text="0-100, null until verified (README: Statement risk score)")
    risk_reasons = serializers.ListField(child=RiskReasonSerializer(), source="summary.risk_reasons", read_only=True, allow_null=True)

    class Meta:
        model = Statement
        fields = [
            "id", "run_id", "acc_prvdr_code", "acc_number", "format", "file_name", "status", "failure_reason",
            "num_rows", "verification_status", "tampering_level", "balance_match", "duplicate_count",
            "balance_diff_change_ratio", "risk_score", "risk_reasons", "cust_id", "rm_name", "period_start", "period_end",
            "import_job", "created_at",
        ]


class BorrowerSerializer(serializers.Serializer):
    """The borrower context of the statement request (seed 000)."""

    run_id = serializers.CharField()
    cust_id = serializers.CharField()
    final_entity_type = serializers.CharField()
    borrower_id = serializers.IntegerField(allow_null=True)
    borrower_biz_name = serializers.CharField()
    account_holder_name = serializers.CharField()
    tot_loans = serializers.IntegerField(allow_null=True)
    tot_default_loans = serializers.IntegerField(allow_null=True)
    current_fa_limit = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    risk_category = serializers.CharField()
    borrower_status = serializers.CharField()
    registered_rm_name = serializers.CharField()
    current_rm_name = serializers.CharField()
    source = serializers.CharField()
    sync_status = serializers.CharField()


class StatementReviewSerializer(serializers.ModelSerializer):
    """A person's decision beside the engine's verdict, with the verdict they saw."""

    reviewed_by_username = serializers.CharField(source="reviewed_by.get_username", read_only=True)

    class Meta:
        model = StatementReview
        fields = [
            "id", "statement", "decision", "note", "reviewed_by", "reviewed_by_username", "created_at",
            "statement_status", "verification_status", "tampering_level",
        ]
        read_only_fields = fields


class StatementReviewCreateSerializer(serializers.Serializer):
    """``POST /api/v1/statements/{id}/review/``. The note is required; a blank
    one is refused by the service (400)."""

    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    note = serializers.CharField(allow_blank=True, trim_whitespace=True, help_text="Why: required, not blank")


class StatementDetailSerializer(HideServerPathsMixin, serializers.ModelSerializer):
    """A statement: metadata, the engine's verdict (``summary``) and, beside
    it, people's review decisions (``latest_review``, ``reviews`` newest
    first). Read-only: the verdict moves only through the engine."""

    path_fields = ("failure_reason",)

    acc_prvdr_code = BlankAsNullChoiceField(choices=Provider.choices, help_text="null when the file's provider was never known (a failed import)")
    summary = StatementSummarySerializer(read_only=True, allow_null=True)
    latest_review = serializers.SerializerMethodField()
    reviews = StatementReviewSerializer(many=True, read_only=True)
    borrower = BorrowerSerializer(source="customer_details", read_only=True, allow_null=True)
    raw_transactions_url = serializers.SerializerMethodField()
    processed_transactions_url = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        exclude = ["file"]

    @extend_schema_field(StatementReviewSerializer(allow_null=True))
    def get_latest_review(self, obj):
        # ``reviews`` is prefetched newest first (the model's ordering).
        latest = next(iter(obj.reviews.all()), None)
        return StatementReviewSerializer(latest).data if latest else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_raw_transactions_url(self, obj) -> str:
        return self._absolute("api:statement-raw-transactions", obj)

    @extend_schema_field(OpenApiTypes.URI)
    def get_processed_transactions_url(self, obj) -> str:
        return self._absolute("api:statement-processed-transactions", obj)

    def _absolute(self, name: str, obj) -> str:
        # Absolute, as the schema's ``format: uri`` promises (a relative path is not a URI).
        path = reverse(name, kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class RawTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RawTransaction
        fields = "__all__"


class ProcessedTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessedTransaction
        fields = "__all__"


# What a job's per-file result may show: the original file name, never the
# server's paths (the inbox path, the staged copy, where a file was moved).
IMPORT_RESULT_KEYS = (
    "index", "file_name", "outcome", "statement_id", "statement_status", "duplicate_of", "error", "enriched", "seconds",
)


class ImportResultsField(serializers.JSONField):
    def to_representation(self, value):
        return [
            {key: hide_server_paths(entry[key]) for key in IMPORT_RESULT_KEYS if key in entry}
            for entry in (value or [])
            if isinstance(entry, dict)
        ]


class StatementImportSerializer(HideServerPathsMixin, serializers.ModelSerializer):
    progress_percent = serializers.SerializerMethodField()
    results = ImportResultsField(read_only=True, help_text="Per file: index, original file_name, outcome, statement_id, error…")
    path_fields = ("error",)

    class Meta:
        model = StatementImport
        fields = [
            "id", "trigger", "status", "started_by", "started_by_label", "provider_hint", "run_id_hint", "total_files",
            "processed_files", "imported_count", "duplicate_count", "failed_count", "progress_percent", "error",
            "results", "created_at", "started_at", "finished_at",
        ]

    def get_progress_percent(self, obj) -> int:
        return int(100 * obj.processed_files / obj.total_files) if obj.total_files else 0


class StatementUploadSerializer(serializers.Serializer):
    """``POST /api/v1/statements/`` (multipart): one or more statement files."""

    files = serializers.ListField(child=serializers.FileField(), allow_empty=False, max_length=500)
    provider = serializers.CharField(required=False, allow_blank=True, max_length=8,
                                     help_text="Provider hint (UATL, UMTN, or a code PROVIDER_FAMILIES maps to one); detected from the file when absent")
    run_id = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Statement request (mapper/customer details) the files belong to")

    def validate_provider(self, value: str) -> str:
        try:
            return statement_provider_hint(value)  # the import job's own rule (PROVIDER_FAMILIES maps new codes)
        except ImportJobError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_files(self, files):
        limit = settings.MAX_UPLOAD_SIZE
        too_big = [f.name for f in files if f.size > limit]
        if too_big:
            raise serializers.ValidationError(f"larger than {limit} bytes: {', '.join(too_big)}")
        # Refuse what can never be a statement (an executable, an image, an
        # HTML error page) before a job is recorded; a file that looks like a
        # statement but does not parse still becomes an IMPORT_FAILED statement.
        wrong = []
        for upload in files:
            head = upload.read(4096)
            upload.seek(0)
            try:
                sniff_kind(head)
            except UnsupportedFile as exc:
                wrong.append(f"{upload.name}: {exc}")
        if wrong:
            raise serializers.ValidationError("not a statement file (PDF, CSV, gzip CSV, XLS or XLSX): " + "; ".join(wrong))
        over = [f"{upload.name}: {reason}" for upload in files if (reason := statement_upload_over_limit(fileobj=upload))]
        if over:
            raise serializers.ValidationError("; ".join(over))
        return files


class ProviderTotalsSerializer(serializers.Serializer):
    acc_prvdr_code = serializers.CharField()
    total_statements = serializers.IntegerField()
    distinct_run_ids = serializers.IntegerField()
    total_transactions = serializers.IntegerField()
    total_duplicates = serializers.IntegerField()
    avg_balance_diff_change_ratio = serializers.FloatField(allow_null=True)
    failed_verifications = serializers.IntegerField(help_text="Statements whose balance_match is Failed")
    flagged = serializers.IntegerField()
    import_failed = serializers.IntegerField()


class MultiProviderAccountSerializer(serializers.Serializer):
    acc_number = serializers.CharField()
    providers = serializers.ListField(child=serializers.CharField())
    statement_count = serializers.IntegerField()


class StatementAnalyticsSerializer(serializers.Serializer):
    providers = ProviderTotalsSerializer(many=True)
    multi_provider_account_count = serializers.IntegerField()
    multi_provider_accounts = MultiProviderAccountSerializer(many=True)
