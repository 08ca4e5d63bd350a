"""Demo: each demo municipality gets a development seal (``sportel keys init``) if it has none."""

from sportel.core.demo import DEMO_MUNICIPALITIES, register_demo


@register_demo
def seed_documents() -> None:
    from sportel.core.models import Municipality

    from .keys import init_development_seal, log_private_key, seal_source

    for municipality in Municipality.objects.filter(slug__in=DEMO_MUNICIPALITIES):
        if not seal_source(municipality.slug).path.exists():
            init_development_seal(municipality.slug, municipality.name)
    log_private_key(create=True)


@register_demo(finish=True)
def publish_demo_tree_head() -> None:
    """Sign a tree head over the demo's documents, so /transparency/ shows one from the start."""
    from .translog import publish_sth

    publish_sth()
