"""Admin building blocks shared by every app."""
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Paginator for huge tables (transactions, upload rows).

    ``COUNT(*)`` over millions of InnoDB rows takes seconds; above a threshold
    we show the optimizer's estimate instead, which is what an ops person
    paging through a changelist needs anyway.
    """

    threshold = 100_000

    @cached_property
    def count(self):
        query = self.object_list.query
        if connection.vendor == "mysql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] and row[0] > self.threshold:
                return int(row[0])
        return super().count


class HugeTableAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 100
