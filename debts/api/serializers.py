from rest_framework import serializers

from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


class DebtSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="masked_account_number", read_only=True)

    class Meta:
        model = Debt
        exclude = ["account_number_hash"]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = "__all__"


class CommunicationLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommunicationLog
        fields = "__all__"


class PromiseToPaySerializer(serializers.ModelSerializer):
    class Meta:
        model = PromiseToPay
        fields = "__all__"
