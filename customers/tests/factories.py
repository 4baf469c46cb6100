"""factory_boy factories for customers and bank accounts."""
import factory

from customers.models import BankAccount, Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    full_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")
    primary_phone = factory.Sequence(lambda n: f"+25677{n % 10_000_000:07d}")


class BankAccountFactory(factory.django.DjangoModelFactory):
    """Built directly (tests of constraints); real writes go through customers.services."""

    class Meta:
        model = BankAccount

    customer = factory.SubFactory(CustomerFactory)
    account_type = "savings"
    account_number = factory.Sequence(lambda n: f"00{n:010d}")
    account_number_last4 = factory.LazyAttribute(lambda o: "".join(c for c in o.account_number if c.isalnum())[-4:])
