"""``manage.py rotate_field_key``: re-encrypt every encrypted field under the
newest key and recompute every keyed hash.

Rotation, step by step:

1. Put the new key first in ``FIELD_ENCRYPTION_KEY`` and keep the old one
   after it (``NEW,OLD``); deploy. New writes use NEW, old rows still read.
2. Run this command. Each row's encrypted fields are decrypted (with any
   key) and written back under NEW; each ``HashField`` is recomputed, since
   the hash key derives from the first encryption key.
3. Drop OLD from ``FIELD_ENCRYPTION_KEY``.

Fields are found by class (``core.fields.EncryptedTextField`` and
``HashField``) in every installed model, so a new encrypted column is
rotated without touching this command. Rows are processed in primary-key
batches, each batch locked and written in one transaction: a failure leaves
every batch either fully rotated or untouched, and re-running is safe.
"""
from __future__ import annotations

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from core.crypto import DecryptionError
from core.fields import EncryptedTextField, HashField


def encrypted_models():
    """``[(model, [encrypted field names], [hash fields])]`` for every model that has one."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        encrypted = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        hashes = [f for f in model._meta.concrete_fields if isinstance(f, HashField) and f.source in encrypted]
        if encrypted:
            found.append((model, encrypted, hashes))
    return found


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the first FIELD_ENCRYPTION_KEY and recompute the keyed hashes."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per transaction (default 1000).")
        parser.add_argument("--model", action="append", default=[], help="Only this model (app_label.Model); repeatable.")
        parser.add_argument("--dry-run", action="store_true", help="Decrypt every value to prove the keys work; write nothing.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        targets = encrypted_models()
        if options["model"]:
            wanted = {m.lower() for m in options["model"]}
            known = {m._meta.label_lower for m, _, _ in targets}
            unknown = wanted - known
            if unknown:
                raise CommandError(f"no encrypted fields on {', '.join(sorted(unknown))}; models with some: {', '.join(sorted(known))}")
            targets = [t for t in targets if t[0]._meta.label_lower in wanted]
        started = time.monotonic()
        totals = {"rows": 0, "values": 0, "failed": 0}
        failures: list[str] = []
        for model, encrypted, hashes in targets:
            rows, values = self._rotate_model(model, encrypted, hashes, options, failures)
            totals["rows"] += rows
            totals["values"] += values
            self.stdout.write(f"{model._meta.label}: {rows} rows, {values} values ({', '.join(encrypted)})")
        totals["failed"] = len(failures)
        verb = "checked" if options["dry_run"] else "re-encrypted"
        summary = f"{totals['rows']} rows, {totals['values']} values {verb} in {time.monotonic() - started:.1f}s; {totals['failed']} rows failed."
        if failures:
            for failure in failures[:50]:
                self.stderr.write(failure)
            raise CommandError(summary + " Those rows were left as they were: add the key they were written with and re-run.")
        self.stdout.write(self.style.SUCCESS(summary))

    def _rotate_model(self, model, encrypted, hashes, options, failures) -> tuple[int, int]:
        manager = model._base_manager
        total = manager.count()
        bar = tqdm(total=total, desc=model._meta.label, unit="row", disable=options["no_progress"] or total == 0, file=self.stderr._out)
        rows = values = 0
        last_pk = None
        batch_size = options["batch_size"]
        update_fields = [*encrypted, *(h.name for h in hashes)]
        try:
            while True:
                with transaction.atomic():
                    qs = manager.order_by("pk")
                    if last_pk is not None:
                        qs = qs.filter(pk__gt=last_pk)
                    pks = list(qs.values_list("pk", flat=True)[:batch_size])
                    if not pks:
                        break
                    last_pk = pks[-1]
                    # Decrypting happens in from_db_value; read through a
                    # values() query per row set so one bad value fails only
                    # its row, not the batch.
                    locked = manager.select_for_update().filter(pk__in=pks).order_by("pk").only("pk", *update_fields)
                    good = []
                    try:
                        good = list(locked)
                    except DecryptionError:
                        good = self._readable_rows(model, manager, pks, update_fields, failures)
                    for obj in good:
                        for field in hashes:
                            setattr(obj, field.attname, field.compute(getattr(obj, field.source)))
                        values += sum(1 for name in encrypted if getattr(obj, name))
                    if good and not options["dry_run"]:
                        manager.bulk_update(good, update_fields)
                    rows += len(good)
                bar.update(len(pks))
        finally:
            bar.close()
        return rows, values

    def _readable_rows(self, model, manager, pks, fields, failures):
        readable = []
        for pk in pks:
            try:
                readable.append(manager.select_for_update().only("pk", *fields).get(pk=pk))
            except DecryptionError:
                failures.append(f"{model._meta.label} #{pk}: cannot be decrypted with any FIELD_ENCRYPTION_KEY")
        return readable
