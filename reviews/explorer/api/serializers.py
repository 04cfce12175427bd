from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from reviews.explorer.models import DatasetRelease, ReleaseFile


class ReleaseFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseFile
        fields = ["name", "table", "format", "size", "sha256", "rows", "url"]

    def get_url(self, obj: ReleaseFile) -> str:
        return reverse("explorer:release_file", args=[obj.release.version, obj.name])


class ReleaseSerializer(serializers.ModelSerializer):
    files = ReleaseFileSerializer(many=True, read_only=True)
    contains_withdrawn_interview = serializers.BooleanField(
        source="contains_withdrawn", read_only=True,
        help_text="An interview in it was withdrawn after it was built: its files answer 410 (it is not rebuilt).")

    class Meta:
        model = DatasetRelease
        fields = ["version", "created_at", "finished_at", "counts", "citation", "contains_withdrawn_interview",
                  "contains_withdrawn_since", "files"]
