"""``{% load money %}``: ``{{ amount|ugx }}`` (``UGX 1,250,000``),
``{{ amount|ugx:debt.currency }}`` and ``{{ amount|amount }}`` (``1,250,000``)."""
from django import template

from core.money import format_amount, format_ugx

register = template.Library()


@register.filter(name="ugx")
def ugx(value, currency=None):
    return format_ugx(value, currency or None)


@register.filter(name="amount")
def amount(value):
    return format_amount(value)
