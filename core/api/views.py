from django.db import connection
from django.http import JsonResponse
from django.views import View


class HealthView(View):
    """Liveness/readiness for the load balancer: answers 200 when the database answers."""

    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # any database failure means "not ready"
            return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
        return JsonResponse({"status": "ok"})
