from rest_framework import serializers

from uploads.models import FileUpload, UploadRow


class FileUploadSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = FileUpload
        exclude = ["file"]


class UploadRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = UploadRow
        fields = "__all__"
