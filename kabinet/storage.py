"""Where uploaded files live, chosen by environment (docs/design.md «Several machines»).

Without ``STORAGE_S3_BUCKET`` the files stay in ``MEDIA_ROOT`` on the local disk: development, tests
and a single server. With it they go to an S3-compatible object storage (AWS S3, Yandex Object
Storage, VK Cloud, MinIO, Ceph RGW) through django-storages, so every web and worker node reads the
files another node wrote. The code never opens a media path itself: every upload and download goes
through ``default_storage`` or a ``FileField`` (the storage API), so the switch is this one setting.
"""

from collections.abc import Mapping

S3_BACKEND = "storages.backends.s3.S3Storage"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"


def default_storage_from_env(env: Mapping[str, str]) -> dict:
    """The ``STORAGES["default"]`` entry for the given environment."""
    bucket = env.get("STORAGE_S3_BUCKET", "").strip()
    if not bucket:
        return {"BACKEND": FILESYSTEM_BACKEND}
    options = {
        "bucket_name": bucket,
        "location": env.get("STORAGE_S3_PREFIX", "").strip("/"),
        "region_name": env.get("STORAGE_S3_REGION") or None,
        "endpoint_url": env.get("STORAGE_S3_ENDPOINT_URL") or None,
        "access_key": env.get("STORAGE_S3_ACCESS_KEY_ID") or None,
        "secret_key": env.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
        "addressing_style": env.get("STORAGE_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
        "signature_version": "s3v4",
        # The files are residents' scans and contracts: private objects, never a public URL.
        # Views check access and stream the file (kabinet/appeals/attachments.py); a stray
        # .url() still gets a short-lived signed link, not an open one.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        # Two uploads under one name keep both (Django's suffix), as on the local disk.
        "file_overwrite": False,
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": {k: v for k, v in options.items() if v is not None}}
