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

Database trouble (a lock wait timeout, a deadlock, a lost connection: see
``core.dbtrouble``) is a 503 with ``Retry-After``. A body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413, one with more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields a 400, each saying which limit.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core import dbtrouble


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def exception_handler(exc: Exception, context: dict):
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_validation_error(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE).")
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError(f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields (DATA_UPLOAD_MAX_NUMBER_FIELDS).")
    message = dbtrouble.trouble_message(exc)
    if message is not None:
        request = context.get("request")
        if request is not None:
            dbtrouble.log_trouble(request, exc)
        set_rollback()
        response = Response({"detail": dbtrouble.detail_text(message)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(dbtrouble.retry_after())
        return response
    return drf_exception_handler(exc, context)
