"""factory_boy factories for customer details."""
import factory

from details.models import CustomerDetails


class CustomerDetailsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerDetails

    run_id = factory.Sequence(lambda n: f"68e92f3c{n:05x}")
