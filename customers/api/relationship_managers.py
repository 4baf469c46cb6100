"""API for relationship managers (read-only: they come from the core
lending database as details resolve borrowers)."""
from rest_framework import serializers, viewsets

from customers.filters import RelationshipManagerFilterSet
from customers.models import RelationshipManager


class RelationshipManagerSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipManager
        fields = ["id", "person_id", "full_name", "first_name", "middle_name", "last_name", "phone", "email", "is_active"]


class RelationshipManagerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RelationshipManager.objects.all()
    serializer_class = RelationshipManagerSerializer
    filterset_class = RelationshipManagerFilterSet
    ordering_fields = ["full_name", "id"]
