"""Viewset bases shared by every app's API."""
from rest_framework import mixins, viewsets


# Create, list, retrieve and update; no delete: records with money or audit
# history are closed through a status, never removed. (A comment, not a
# docstring: drf-spectacular would show a docstring on every subclass's
# operations.)
class CreateReadUpdateViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    pass
