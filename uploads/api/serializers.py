from django.conf import settings
from rest_framework import serializers

from core.paths import HideServerPathsMixin
from uploads.choices import Decision
from uploads.models import FileUpload, UploadRow, UploadRowReview


class FileUploadSerializer(HideServerPathsMixin, serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    # The stored file is excluded; its name is ``filename``, as uploaded.
    path_fields = ("processing_errors", "filename")

    class Meta:
        model = FileUpload
        exclude = ["file"]


class FileUploadCreateSerializer(serializers.Serializer):
    """A loan book sent as multipart/form-data."""

    file = serializers.FileField(help_text=f"The loan book (.csv or .xlsx), at most {settings.MAX_UPLOAD_SIZE:,} bytes")
    phone_region = serializers.RegexField(
        r"^[A-Za-z]{2}$", required=False,
        help_text="ISO country for phone numbers written without a country code (default: the server's PHONE_DEFAULT_REGION)",
    )


class UploadRowReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = UploadRowReview
        fields = ["kind", "reason", "candidate_customer", "candidate_debt", "decision", "decided_by", "decided_at", "note"]


class UploadRowSerializer(serializers.ModelSerializer):
    review = UploadRowReviewSerializer(read_only=True, allow_null=True, default=None, help_text="Why the line waits (waited) for review, and the decision")

    class Meta:
        model = UploadRow
        fields = "__all__"


class UploadRowResolveSerializer(serializers.Serializer):
    """A reviewer's decision on a line waiting for review."""

    decision = serializers.ChoiceField(choices=Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
