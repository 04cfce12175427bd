"""A new user's first look: the demo corpus comes with a data release to download."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from reviews.explorer.models import DatasetRelease

pytestmark = pytest.mark.django_db


def test_a_fresh_demo_has_a_release_to_download(client, tmp_path, settings, capsys,
                                                django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):  # the build is sent once the request commits
        call_command("load_demo", "--interviews", "6")
    (release,) = DatasetRelease.objects.all()
    assert release.status == DatasetRelease.Status.READY
    assert f"Demo data release {release.version}: " in capsys.readouterr().out
    page = client.get("/explore/data/")
    assert page.status_code == 200 and release.version in page.content.decode()
    bundle = client.get(f"/explore/data/{release.version}/research-commons-{release.version}.zip")
    assert bundle.status_code == 200 and b"".join(bundle.streaming_content)[:2] == b"PK"
    call_command("load_demo", "--interviews", "6")  # again: nothing new, no second release
    assert DatasetRelease.objects.count() == 1
