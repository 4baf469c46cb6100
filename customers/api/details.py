"""API for customer details (seed 000) and relationship managers.

The list is the local table; the detail by run_id goes through
``get_or_fetch`` (local, then the core database, then mapper.csv), so a
partner can ask for a run_id CreditDesk has not seen yet.
"""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.details import CoreDatabaseUnavailable, UnknownRunId, customer_details_statistics, get_or_fetch
from customers.filters import CustomerDetailsFilterSet, RelationshipManagerFilterSet
from customers.models import CustomerDetails, RelationshipManager


class RelationshipManagerSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipManager
        fields = ["id", "person_id", "full_name", "first_name", "middle_name", "last_name", "phone", "email", "is_active"]


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


class CustomerDetailsViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CustomerDetails.objects.all()
    serializer_class = CustomerDetailsSerializer
    filterset_class = CustomerDetailsFilterSet
    lookup_field = "run_id"
    search_fields = ["run_id", "cust_id", "acc_number", "borrower_biz_name", "account_holder_name"]
    ordering_fields = ["request_created_at", "tot_default_loans", "risk_category", "id"]

    @extend_schema(
        summary="Customer details of one statement request",
        description="Local table first, then the core lending database (stored on the way), then mapper.csv.",
        responses={
            200: CustomerDetailsSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Unknown run_id"),
            503: OpenApiResponse(ErrorSerializer, description="Core database down and the run_id not known locally"),
        },
    )
    def retrieve(self, request, *args, **kwargs):
        try:
            details = get_or_fetch(kwargs[self.lookup_field])
        except UnknownRunId as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        except CoreDatabaseUnavailable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(self.get_serializer(details).data)

    @extend_schema(
        summary="Coverage statistics (seed 000)",
        description="Of the rows matching the filters: total, with cust_id, with borrower, by provider, "
        "direct and final entity types, sync status and source.",
        responses={200: CustomerDetailsStatisticsSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def statistics(self, request):
        stats = customer_details_statistics(self.filter_queryset(self.get_queryset()))
        return Response(CustomerDetailsStatisticsSerializer(stats).data)


class RelationshipManagerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RelationshipManager.objects.all()
    serializer_class = RelationshipManagerSerializer
    filterset_class = RelationshipManagerFilterSet
    ordering_fields = ["full_name", "id"]
