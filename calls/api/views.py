from rest_framework import viewsets

from calls.api.serializers import CallSessionSerializer
from calls.filters import CallSessionFilterSet
from calls.models import CallSession


class CallSessionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CallSession.objects.prefetch_related("status_updates")
    serializer_class = CallSessionSerializer
    filterset_class = CallSessionFilterSet
    ordering_fields = ["created_at", "initiated_at", "id"]
