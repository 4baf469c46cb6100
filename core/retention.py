"""Deleting uploaded originals (loan books, statements) once they are past
their retention, keeping the row: the file field is emptied in the row's own
transaction and the file removed from storage after the commit. A row whose
file name, size and SHA-256 remain but whose ``file`` is empty had its
original removed by retention."""
from __future__ import annotations

from django.db import models, transaction


def purge_file_field(queryset: models.QuerySet, field: str = "file") -> int:
    """Empty ``field`` on every row of ``queryset`` and delete the stored
    files; returns how many were removed. A row changed meanwhile (another
    file stored) is left alone."""
    model = queryset.model
    storage = model._meta.get_field(field).storage
    removed = 0
    for pk, name in queryset.exclude(**{field: ""}).values_list("pk", field).iterator():
        with transaction.atomic():
            if not model.objects.filter(pk=pk, **{field: name}).update(**{field: ""}):
                continue
            transaction.on_commit(lambda name=name: storage.delete(name))
        removed += 1
    return removed
