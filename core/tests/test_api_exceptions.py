"""A service's Django errors answered by the API: the bodies service_call gave."""
from django.core.exceptions import PermissionDenied, ValidationError

from core.api.exceptions import exception_handler


def _answer(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_field_errors_answer_400_by_field():
    exc = ValidationError({"amount": ["Must be positive.", "Too many decimals."], "__all__": ["Debt is closed."]})
    assert _answer(exc) == (400, {"amount": ["Must be positive.", "Too many decimals."], "__all__": ["Debt is closed."]})


def test_errors_without_fields_answer_400_as_non_field_errors():
    assert _answer(ValidationError("Debt is closed.")) == (400, {"non_field_errors": ["Debt is closed."]})
    assert _answer(ValidationError(["One.", "Two."])) == (400, {"non_field_errors": ["One.", "Two."]})


def test_permission_denied_keeps_the_service_message():
    assert _answer(PermissionDenied("You do not have permission to refund.")) == (403, {"detail": "You do not have permission to refund."})
    assert _answer(PermissionDenied()) == (403, {"detail": "You do not have permission to perform this action."})


def test_other_errors_are_left_to_drf():
    assert exception_handler(RuntimeError("boom"), {}) is None
