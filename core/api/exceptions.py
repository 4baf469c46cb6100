"""The API's exception handler: services speak Django, the API answers in DRF.

Services raise Django's ``ValidationError`` when a rule refuses a write,
because the admin, tasks and commands call them too. Views and serializers
call services directly; this handler, set as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``, turns that error into DRF's 400:

- with fields: ``{"field": ["message", ...]}`` (``"__all__"`` for the
  model-wide messages, as Django names them);
- without: ``{"non_field_errors": ["message", ...]}``.

A service's ``PermissionDenied`` needs nothing here: DRF's own handler
answers it with a 403 carrying the service's message.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


def exception_handler(exc: Exception, context: dict):
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_validation_error(exc)
    return drf_exception_handler(exc, context)
