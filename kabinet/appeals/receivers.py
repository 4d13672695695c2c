"""What appeals do when other domains change (connected in AppealsConfig.ready)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from kabinet.appeals.services import add_default_topics
from kabinet.orgs.models import Organization


@receiver(post_save, sender=Organization, dispatch_uid="appeals_default_topics")
def give_new_organization_topics(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        add_default_topics(instance)
