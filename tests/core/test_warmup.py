"""A worker parses what the first requests would otherwise pay for before it takes one."""

from pathlib import Path


def test_warm_up_parses_every_notification_template_into_the_cached_loader():
    from django.apps import apps
    from django.template import engines

    from sportel.core import warmup

    took = warmup.run()
    assert "core.templates" in took
    on_disk = {
        f"notifications/{path.name}"
        for config in apps.get_app_configs()
        for path in Path(config.path, "templates", "notifications").glob("*.txt")
    }
    assert "notifications/case_status.sq.txt" in on_disk
    loader = engines["django"].engine.template_loaders[0]
    assert type(loader).__module__ == "django.template.loaders.cached"
    assert on_disk <= set(loader.get_template_cache)
