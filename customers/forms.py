"""Admin forms that accept personal identifiers without ever displaying them."""
from django import forms

from customers.models import BankAccount, Customer
from customers.validators import normalize_ssn


class _SecretInput(forms.PasswordInput):
    def __init__(self):
        super().__init__(render_value=False, attrs={"autocomplete": "off"})


class CustomerAdminForm(forms.ModelForm):
    ssn = forms.CharField(required=False, widget=_SecretInput(), help_text="XXX-XX-XXXX. Leave blank to keep the stored value.")
    national_id = forms.CharField(required=False, widget=_SecretInput(), help_text="Leave blank to keep the stored value.")

    class Meta:
        model = Customer
        fields = "__all__"

    def _keep_blank(self, name):
        value = self.cleaned_data.get(name, "")
        if not value and self.instance.pk:
            return getattr(self.instance, name)
        return value

    def clean_ssn(self):
        value = self.cleaned_data.get("ssn", "")
        if value:
            return normalize_ssn(value)
        return self._keep_blank("ssn")

    def clean_national_id(self):
        return self._keep_blank("national_id")


class BankAccountAdminForm(forms.ModelForm):
    account_number = forms.CharField(required=False, widget=_SecretInput(), help_text="Leave blank to keep the stored value.")
    routing_number = forms.CharField(required=False, widget=_SecretInput(), help_text="Leave blank to keep the stored value.")

    class Meta:
        model = BankAccount
        fields = "__all__"

    def clean_account_number(self):
        value = self.cleaned_data.get("account_number", "")
        if not value:
            if self.instance.pk:
                return self.instance.account_number
            raise forms.ValidationError("An account number is required.")
        return value.strip()

    def clean_routing_number(self):
        value = self.cleaned_data.get("routing_number", "")
        if not value and self.instance.pk:
            return self.instance.routing_number
        return value.strip()
