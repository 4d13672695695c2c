from django.db import migrations

DEFAULT_TOPICS = ("Ремонт", "Начисления", "Показания", "Прочее")


def add_default_topics(apps, schema_editor):
    """Organisations created before appeals existed get the topics new ones start with."""
    Organization = apps.get_model("orgs", "Organization")
    Topic = apps.get_model("appeals", "Topic")
    for organization in Organization.objects.all():
        for position, name in enumerate(DEFAULT_TOPICS, start=1):
            Topic.objects.get_or_create(
                organization=organization, name=name, defaults={"position": position}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0001_initial"),
        ("orgs", "0002_initial"),
    ]

    operations = [migrations.RunPython(add_default_topics, migrations.RunPython.noop)]
