from rest_framework import serializers

from details.models import CustomerDetails


class CustomerDetailsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerDetails
        exclude = ["lead_id_proof_num", "lead_national_id", "content_hash"]


class _Share(serializers.Serializer):
    count = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Of the total, one decimal")


class _Bucket(_Share):
    value = serializers.CharField(help_text="Empty for rows without a value")


class CustomerDetailsStatisticsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    with_cust_id = _Share()
    with_borrower = _Share()
    by_provider = _Bucket(many=True)
    direct_entity = _Bucket(many=True)
    final_entity = _Bucket(many=True)
    sync_status = _Bucket(many=True)
    source = _Bucket(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
