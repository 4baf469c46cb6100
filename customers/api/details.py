"""API for customer details (seed 000) and relationship managers."""
from rest_framework import serializers, viewsets

from customers.filters import CustomerDetailsFilterSet, RelationshipManagerFilterSet
from customers.models import CustomerDetails, RelationshipManager


class RelationshipManagerSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipManager
        fields = ["id", "person_id", "full_name", "first_name", "middle_name", "last_name", "phone", "email", "is_active"]


class CustomerDetailsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerDetails
        exclude = ["lead_id_proof_num", "lead_national_id"]


class CustomerDetailsViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CustomerDetails.objects.all()
    serializer_class = CustomerDetailsSerializer
    filterset_class = CustomerDetailsFilterSet
    lookup_field = "run_id"
    search_fields = ["run_id", "cust_id", "acc_number", "borrower_biz_name", "account_holder_name"]
    ordering_fields = ["request_created_at", "tot_default_loans", "risk_category", "id"]


class RelationshipManagerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RelationshipManager.objects.all()
    serializer_class = RelationshipManagerSerializer
    filterset_class = RelationshipManagerFilterSet
    ordering_fields = ["full_name", "id"]
