"""API for customer details (seed 000).

The list is the local table; the detail by run_id goes through
``get_or_fetch`` (local, then the core database, then mapper.csv), so a
partner can ask for a run_id CreditDesk has not seen yet.
"""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from details.api.serializers import CustomerDetailsSerializer, CustomerDetailsStatisticsSerializer, ErrorSerializer
from details.filters import CustomerDetailsFilterSet
from details.models import CustomerDetails
from details.selectors import customer_details_statistics
from details.services import CoreDatabaseUnavailable, UnknownRunId, get_or_fetch


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
