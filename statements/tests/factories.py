"""factory_boy factories for statements (rows as a parser would leave them)."""
import factory

from statements.models import Statement


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    acc_prvdr_code = "UATL"
    acc_number = factory.Sequence(lambda n: f"70{n:07d}")
    file_name = factory.Sequence(lambda n: f"statement-{n}.pdf")
