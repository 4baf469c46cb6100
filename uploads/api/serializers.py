from django.conf import settings
from rest_framework import serializers

from uploads.models import FileUpload, UploadRow


class FileUploadSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

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


class UploadRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = UploadRow
        fields = "__all__"
