"""factory_boy factories for loan-book uploads and their rows."""
import factory

from uploads.models import FileUpload, UploadRow


class FileUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FileUpload

    filename = factory.Sequence(lambda n: f"loanbook-{n}.csv")


class UploadRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UploadRow

    file_upload = factory.SubFactory(FileUploadFactory)
    line_number = factory.Sequence(lambda n: n + 2)
    row_fingerprint = factory.Sequence(lambda n: f"{n:064x}")
