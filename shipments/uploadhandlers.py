"""Refuse an oversized upload while it streams in, instead of after storing it whole."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the chain: counts each file's bytes and skips the file once it passes MANIFEST_MAX_BYTES.

    The request is marked (`request.upload_too_large`) so the view can say why the file is missing.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MANIFEST_MAX_BYTES:
            self.request.upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None
