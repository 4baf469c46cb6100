"""Details rows linked to the people they are about: the RelationshipManager
of the borrower's current RM, and the Customer with the borrower's cust_id
(claimed or created through ``customers.services``)."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError

from core.phones import try_normalize_phone
from core.text import customer_fingerprint
from customers.models import Customer, RelationshipManager
from customers.services import customer_create, customer_update
from details.flow_api import Person
from details.models import CustomerDetails

logger = logging.getLogger(__name__)


def relationship_managers_for(objs: list[CustomerDetails], persons: Mapping[int, Person] | None) -> None:
    """Point each row at the RelationshipManager of its current RM, creating
    the RM (by the core's person id) when it is new."""
    person_ids = {o.current_rm_id for o in objs if o.current_rm_id}
    if not person_ids:
        return
    known = {rm.person_id: rm.pk for rm in RelationshipManager.objects.filter(person_id__in=person_ids)}
    new = []
    for pid in sorted(person_ids - set(known)):
        person = (persons or {}).get(pid)
        name = person.full_name if person else next((o.current_rm_name for o in objs if o.current_rm_id == pid and o.current_rm_name), "")
        if not name:
            continue  # an id the core cannot name: nothing to show ops
        new.append(
            RelationshipManager(
                person_id=pid,
                full_name=name,
                first_name=person.first_name if person else "",
                middle_name=person.middle_name if person else "",
                last_name=person.last_name if person else "",
            )
        )
    if new:
        # ignore_conflicts: a concurrent fetch may have created the same RM.
        RelationshipManager.objects.bulk_create(new, ignore_conflicts=True)
        known.update(RelationshipManager.objects.filter(person_id__in=[r.person_id for r in new]).values_list("person_id", "pk"))
    for o in objs:
        if o.current_rm_id in known:
            o.relationship_manager_id = known[o.current_rm_id]


def _customer_name(details: CustomerDetails) -> str:
    lead_name = " ".join(p for p in (details.lead_first_name, details.lead_last_name) if p)
    return (
        details.borrower_biz_name or lead_name or details.lead_biz_name or details.account_holder_name or details.cust_id
    )


def _customer_phone(details: CustomerDetails) -> str | None:
    # A mobile-money account number is the borrower's phone number.
    for raw in (details.lead_mobile, details.acc_number, details.alt_acc_num):
        phone = try_normalize_phone(raw) if raw else None
        if phone:
            return phone
    return None


def _customers_for_borrowers(borrowers: Mapping[str, CustomerDetails]) -> dict[str, int]:
    """cust_id → Customer pk for borrowers no customer has the cust_id of yet:
    an unclaimed customer with the same phone (and name) is claimed, else one
    is created. Borrowers without a usable phone, or refused by the customer
    rules, are left out."""
    candidates = {cust_id: (_customer_phone(d), _customer_name(d)) for cust_id, d in borrowers.items()}
    phones = {p for p, _ in candidates.values() if p}
    unclaimed = list(
        Customer.objects.filter(primary_phone__in=phones, cust_id__isnull=True).values_list("pk", "primary_phone", "fingerprint")
    )
    by_fingerprint = {fp: pk for pk, _, fp in unclaimed if fp}
    by_phone: dict[str, list[int]] = {}
    for pk, phone, _ in unclaimed:
        by_phone.setdefault(phone, []).append(pk)
    found: dict[str, int] = {}
    for cust_id, (phone, name) in candidates.items():
        if not phone:
            logger.info("borrower %s has no valid phone number; no customer created", cust_id)
            continue
        d = borrowers[cust_id]
        claim = by_fingerprint.get(customer_fingerprint(phone, name))
        if claim is None and len(by_phone.get(phone, [])) == 1:
            claim = by_phone[phone][0]
        try:
            if claim is not None:
                customer = customer_update(customer_id=claim, data={"cust_id": cust_id})
                by_phone.pop(phone, None)
            else:
                customer = customer_create(
                    cust_id=cust_id,
                    full_name=name,
                    business_name=d.borrower_biz_name or d.lead_biz_name,
                    first_name=d.lead_first_name,
                    last_name=d.lead_last_name,
                    primary_phone=phone,
                )
        except ValidationError as exc:
            # e.g. another customer already holds this phone + name with a
            # different cust_id: ops must decide, we do not merge people.
            logger.warning("customer for cust_id %s not created: %s", cust_id, "; ".join(exc.messages))
            continue
        found[cust_id] = customer.pk
    return found


def customers_link_many(*, details_list: Iterable[CustomerDetails]) -> int:
    """Link each row with a ``cust_id`` to its Customer; return how many rows changed.

    Existing customer with that cust_id → linked. Otherwise, for a resolved
    borrower: a customer without a cust_id whose fingerprint (phone + name)
    matches, or the only one with that phone, is claimed (given the cust_id)
    so loan-book debts and calls meet the statements; else a new Customer is
    created with the business name and phone. A row without a borrower is
    linked only to an existing customer. A borrower without a usable phone
    cannot become a Customer (the phone is required) and stays unlinked.
    """
    rows = [d for d in details_list if d.cust_id and d.pk]
    if not rows:
        return 0
    by_cust_id = dict(Customer.objects.filter(cust_id__in={d.cust_id for d in rows}).values_list("cust_id", "pk"))
    to_create: dict[str, CustomerDetails] = {}
    for d in rows:
        if d.cust_id not in by_cust_id and d.borrower_id and d.cust_id not in to_create:
            to_create[d.cust_id] = d
    if to_create:
        by_cust_id.update(_customers_for_borrowers(to_create))

    changed = []
    for d in rows:
        pk = by_cust_id.get(d.cust_id)
        if pk and d.customer_id != pk:
            d.customer_id = pk
            changed.append(d)
    if changed:
        CustomerDetails.objects.bulk_update(changed, ["customer"], batch_size=1000)
    return len(changed)
