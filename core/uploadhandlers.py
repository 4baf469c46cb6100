"""Django's upload handlers, with the spooled temporary file's name bounded.

Over ``FILE_UPLOAD_MAX_MEMORY_SIZE`` Django writes an upload to a temporary
file whose name ends with the upload's extension: a name like
``statement.жжж…`` (a 190-letter Cyrillic "extension", 380 bytes) made that
name too long for the file system, and the request a 500 (ENAMETOOLONG)
before any view ran. Here an extension longer than 16 bytes is left off the
temporary file's name; the upload keeps its own name.
"""
from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.core.files import uploadhandler
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile

MAX_EXTENSION_BYTES = 16


class _TemporaryUploadedFile(TemporaryUploadedFile):
    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        ext = os.path.splitext(name)[1]
        if len(ext.encode()) > MAX_EXTENSION_BYTES:
            ext = ""
        file = tempfile.NamedTemporaryFile(suffix=".upload" + ext, dir=settings.FILE_UPLOAD_TEMP_DIR)
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class TemporaryFileUploadHandler(uploadhandler.TemporaryFileUploadHandler):
    """Django's, spooling to a temporary file whose name always fits."""

    def new_file(self, *args, **kwargs):
        uploadhandler.FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = _TemporaryUploadedFile(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)
