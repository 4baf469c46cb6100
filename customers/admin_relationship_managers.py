"""Admin for relationship managers (the lender's RMs, seed 000's ``persons``).

Registered here, with the model, because the customer admin's RM
autocomplete needs it; the rows are mostly created by ``details`` as it
resolves borrowers.
"""
from django.contrib import admin

from customers.models import RelationshipManager


@admin.register(RelationshipManager)
class RelationshipManagerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "person_id", "phone", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("full_name", "person_id", "email")
