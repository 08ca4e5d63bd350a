"""Filing, clustering, voices, grouping corrections, funding, the reporter's confirmation and
reopening, notifications, moderation, bans: through the services, as a client would see them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sportel.core.models import AuditEntry, Notification
from sportel.reports import actions, selectors, services, workflow
from sportel.reports.models import (
    BannedReporter,
    Category,
    Cluster,
    ClusterVoice,
    FundingDecision,
    Report,
    ReportEvent,
)

from .conftest import DAJC, file_one, jpeg, photo_upload


def test_reports_nearby_group_and_count_unique_reporters(shkoder, channel_category):
    first = file_one(shkoder, channel_category, email="a@x.al")
    # 300 m along the channel: inside its 400 m duplicate radius.
    second = file_one(shkoder, channel_category, email="b@x.al", lat=DAJC[0] + Decimal("0.0027"))
    # The same person again, from the same place: counted once.
    again = file_one(shkoder, channel_category, email="A@x.al")
    # 1.5 km away: a group of its own.
    far = file_one(shkoder, channel_category, email="c@x.al", lat=DAJC[0] + Decimal("0.0135"))
    assert first.cluster_id == second.cluster_id == again.cluster_id != far.cluster_id
    cluster = Cluster.objects.get(pk=first.cluster_id)
    assert cluster.voices == 2
    assert cluster.reports.count() == 3


def test_a_small_radius_keeps_street_lights_apart(shkoder, categories):
    light = Category.objects.get(municipality=shkoder, code="streetlight-out")
    a = file_one(shkoder, light, email="a@x.al", answers={})
    b = file_one(shkoder, light, email="b@x.al", answers={}, lat=DAJC[0] + Decimal("0.0009"))
    assert a.cluster_id != b.cluster_id  # 100 m apart, radius 40 m


def test_other_categories_and_old_clusters_do_not_group(shkoder, categories, channel_category):
    drainage = Category.objects.get(municipality=shkoder, code="drainage-channel")
    a = file_one(shkoder, channel_category, email="a@x.al")
    b = file_one(shkoder, drainage, email="b@x.al", answers={"flooding": "yes"})
    assert a.cluster_id != b.cluster_id
    Cluster.objects.filter(pk=a.cluster_id).update(
        last_report_at=timezone.now() - timedelta(days=200)
    )
    c = file_one(shkoder, channel_category, email="c@x.al")
    assert c.cluster_id != a.cluster_id


def test_me_too_counts_once_per_person(shkoder, channel_category):
    report = file_one(shkoder, channel_category, email="a@x.al")
    cluster = report.cluster
    assert services.add_voice(cluster, email="b@x.al") is True
    assert services.add_voice(cluster, email="B@X.al") is False
    assert services.add_voice(cluster, phone="+355 69 123 4567") is True
    assert services.add_voice(cluster, phone="069 123 4567") is False
    assert services.add_voice(cluster, email="a@x.al") is False  # the reporter already counts
    cluster.refresh_from_db()
    assert cluster.voices == 3 == ClusterVoice.objects.filter(cluster=cluster).count()
    with pytest.raises(ValidationError):
        services.add_voice(cluster)


def test_staff_merge_and_split_keep_the_counts_right(shkoder, channel_category, specialist):
    a = file_one(shkoder, channel_category, email="a@x.al")
    far = file_one(shkoder, channel_category, email="b@x.al", lat=DAJC[0] + Decimal("0.02"))
    services.merge_into(far, a.cluster, actor=specialist)
    far.refresh_from_db()
    a.cluster.refresh_from_db()
    assert far.cluster_id == a.cluster_id and a.cluster.voices == 2
    new = services.split(far, actor=specialist)
    new.refresh_from_db()
    a.cluster.refresh_from_db()
    assert a.cluster.voices == 1 and new.voices == 1
    assert list(far.events.values_list("action", flat=True)) == ["file", "merge", "split"]
    assert not ReportEvent.objects.filter(action__in=["merge", "split"], public=True).exists()


def test_merge_and_split_record_the_move_and_count_each_reporter_once(
    shkoder, channel_category, specialist
):
    """The shared end of merge and split: the pointer, one voice per reporter, an internal
    history line and an audit entry naming both groups; a merge reopens a fixed group."""
    a = file_one(shkoder, channel_category, email="a@x.al")
    same_person_far = file_one(
        shkoder, channel_category, email="a@x.al", lat=DAJC[0] + Decimal("0.02")
    )
    services.fix(a, actor=specialist, text="Pastruar")
    assert not Cluster.objects.get(pk=a.cluster_id).is_open
    old = same_person_far.cluster_id
    services.merge_into(same_person_far, a.cluster, actor=specialist)
    target = Cluster.objects.get(pk=a.cluster_id)
    assert target.is_open and target.voices == 1  # the same reporter: counted once
    assert ClusterVoice.objects.filter(cluster=target).count() == 1
    merged = AuditEntry.objects.get(action="report.merge")
    assert merged.data == {"from": old, "to": target.pk} and merged.actor == specialist
    event = same_person_far.events.get(action="merge")
    assert not event.public and event.data == {"from_cluster": old, "to_cluster": target.pk}
    moved = services.split(same_person_far, actor=specialist)
    split = AuditEntry.objects.get(action="report.split")
    assert split.data == {"from": target.pk, "to": moved.pk}
    # a's report is still in the old group: its reporter's voice stays there, and counts here too.
    moved.refresh_from_db()
    assert Cluster.objects.get(pk=target.pk).voices == 1 and moved.voices == 1
    same_person_far.refresh_from_db()
    assert same_person_far.cluster_id == moved.pk


def test_anonymous_reports_wait_for_confirmation(shkoder, channel_category):
    filed = services.file_report(
        shkoder,
        category=channel_category,
        place=services.Place(lat=DAJC[0], long=DAJC[1]),
        description="Bllokuar",
        answers={"channel_type": "primary"},
        email="anon@x.al",
    )
    report = filed.report
    assert report.status == workflow.UNCONFIRMED and report.cluster is None
    mail = Notification.objects.get(template="reports_confirm")
    assert filed.confirmation_code in mail.body and mail.recipient == "anon@x.al"
    with pytest.raises(ValidationError):
        services.confirm_report(report, "000000" if filed.confirmation_code != "000000" else "1")
    report.refresh_from_db()
    assert report.status == workflow.UNCONFIRMED
    services.confirm_report(report, filed.confirmation_code)
    report.refresh_from_db()
    assert report.status == workflow.OPEN and report.cluster.voices == 1


def test_anonymous_without_contact_is_refused(shkoder, channel_category):
    with pytest.raises(ValidationError) as caught:
        services.file_report(
            shkoder,
            category=channel_category,
            place=services.Place(lat=DAJC[0], long=DAJC[1]),
            description="x",
            answers={"channel_type": "primary"},
        )
    assert "email" in caught.value.message_dict
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("place", "field"),
    [
        ({}, "lat"),
        ({"lat": "40.1", "long": "19.9"}, "lat"),
        ({"lat": "abc", "long": "19.9"}, "lat"),
        ({"unit": "no-such-unit"}, "unit"),
    ],
)
def test_bad_places_are_refused(shkoder, place, field):
    with pytest.raises(ValidationError) as caught:
        services.parse_place(shkoder, **place)
    assert field in caught.value.message_dict


def test_a_unit_alone_places_the_report_at_the_units_centre(shkoder):
    place = services.parse_place(shkoder, unit="dajc")
    assert (place.lat, place.long) == (Decimal("41.9826"), Decimal("19.4233"))


def test_a_lezhe_unit_is_not_a_shkoder_place(shkoder, lezhe):
    with pytest.raises(ValidationError):
        services.parse_place(shkoder, unit="shengjin")


@pytest.mark.parametrize(
    ("answers", "key"),
    [
        ({"channel_type": "secondary", "length_m": "twelve"}, "attribute[length_m]"),
        ({"channel_type": "ocean"}, "attribute[channel_type]"),
        ({"channel_type": "secondary", "cause": ["waste", "lava"]}, "attribute[cause]"),
        ({}, "attribute[channel_type]"),
    ],
)
def test_wrong_attribute_types_are_refused(channel_category, answers, key):
    with pytest.raises(ValidationError) as caught:
        services.clean_attributes(channel_category, answers)
    assert key in caught.value.message_dict


def test_datetime_and_string_attributes(shkoder, categories):
    noise = Category.objects.get(municipality=shkoder, code="noise")
    cleaned = services.clean_attributes(
        noise, {"source": "venue", "when": "2026-05-01T23:30", "details": "Çdo natë\nderi në 3"}
    )
    assert cleaned["when"].startswith("2026-05-01T23:30:00")
    with pytest.raises(ValidationError):
        services.clean_attributes(noise, {"source": "venue", "when": "last night"})
    light = Category.objects.get(municipality=shkoder, code="streetlight-out")
    with pytest.raises(ValidationError):
        services.clean_attributes(light, {"pole_number": "12\n13"})


def test_photos_are_reencoded_and_fakes_refused(shkoder, channel_category):
    import io

    from PIL import Image

    checked = services.check_photos([photo_upload(content=jpeg(exif_gps=True))])
    report = file_one(shkoder, channel_category, photos=checked)
    stored = report.photos.get()
    image = Image.open(io.BytesIO(stored.file.read()))
    assert dict(image.getexif()) == {}
    with pytest.raises(ValidationError) as caught:
        services.check_photos([photo_upload(name="x.jpg", content=b"GIF89a not an image")])
    assert "media" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.check_photos([photo_upload()] * 6)


def test_personal_data_is_hidden_from_public_text(shkoder, channel_category):
    report = file_one(
        shkoder,
        channel_category,
        description="Më telefononi 069 123 4567 ose a.b@mail.al, NID J00101001C",
    )
    assert report.public_description == "Më telefononi [phone] ose [email], NID [id]"
    assert "069 123 4567" in report.description  # staff still see what was written


def test_routing_by_category_and_unit(shkoder, channel_category):
    from sportel.core.models import AdministrativeUnit
    from sportel.reports.models import RoutingRule

    dajc = AdministrativeUnit.objects.get(municipality=shkoder, slug="dajc")
    RoutingRule.objects.create(
        municipality=shkoder, category=channel_category, unit=dajc, team="Bordi i Kullimit Dajç"
    )
    in_dajc = file_one(shkoder, channel_category, email="a@x.al")
    assert in_dajc.team == "Drejtoria e Ujitjes dhe Kullimit"
    place = services.parse_place(shkoder, unit="dajc", address="Kanali")
    routed = services.file_report(
        shkoder,
        category=channel_category,
        place=place,
        description="x",
        answers={"channel_type": "primary"},
        email="b@x.al",
        confirmed=True,
    ).report
    assert routed.team == "Bordi i Kullimit Dajç"
    assert routed.expected_at.date() > timezone.localdate()


def test_bans_stop_a_sender(shkoder, channel_category):
    BannedReporter.objects.create(
        municipality=shkoder, reason="spam", value_hash=services.reporter_key(email="spam@x.al")
    )
    with pytest.raises(PermissionDenied):
        file_one(shkoder, channel_category, email="spam@x.al")
    assert Report.objects.count() == 0


def test_reporters_are_told_at_each_public_change(shkoder, channel_category, specialist):
    report = file_one(shkoder, channel_category, email="a@x.al")
    actions.perform(report, "start", actor=specialist, text="Nisur")
    actions.perform(report, "note", actor=specialist, text="Internal", public=False)
    actions.perform(report, "assign", actor=specialist, assignee=specialist)
    actions.perform(report, "fix", actor=specialist, text="U pastrua")
    mails = Notification.objects.filter(template="reports_status").order_by("pk")
    # The start and the fix; the internal note and the assignment are not public.
    assert len(mails) == 2
    assert all(m.subject.startswith(f"Raporti {report.pk}: ") for m in mails)
    assert all(m.recipient == "a@x.al" for m in mails)
    assert "U pastrua" in mails.last().body
    assert f"?s={report.reporter_secret}" in mails.last().body


def test_reporter_confirms_or_reopens_within_the_window(shkoder, channel_category, specialist):
    report = file_one(shkoder, channel_category)
    actions.perform(report, "fix", actor=specialist, text="Done")
    with pytest.raises(PermissionDenied):
        services.reporter_reopens(report, text="no", secret="guess")
    services.reporter_reopens(report, text="Still blocked", secret=report.reporter_secret)
    report.refresh_from_db()
    assert report.status == workflow.OPEN and report.cluster.reopenings == 1
    actions.perform(report, "fix", actor=specialist, text="Done again")
    Report.objects.filter(pk=report.pk).update(resolved_at=timezone.now() - timedelta(days=31))
    report.refresh_from_db()
    with pytest.raises(ValidationError):
        services.reporter_reopens(report, text="Still", secret=report.reporter_secret)
    services.reporter_confirms_fix(report, secret=report.reporter_secret)
    assert report.events.filter(action="confirm_fix").exists()


def test_funding_is_validated_recorded_and_plans_the_reports(
    shkoder, channel_category, manager, specialist
):
    report = file_one(shkoder, channel_category)
    cluster = report.cluster
    with pytest.raises(ValidationError) as caught:
        services.record_funding(
            cluster,
            actor=manager,
            amount="-5",
            budget_line="",
            decision_number="",
            decision_date=date(2999, 1, 1),
        )
    assert set(caught.value.message_dict) == {
        "amount",
        "budget_line",
        "decision_number",
        "decision_date",
    }
    with pytest.raises(PermissionDenied):
        services.record_funding(
            cluster,
            actor=specialist,
            amount="100",
            budget_line="a",
            decision_number="1",
            decision_date=date(2026, 1, 1),
        )
    assert FundingDecision.objects.count() == 0
    decision = services.record_funding(
        cluster,
        actor=manager,
        amount="1250000.005",
        budget_line="06.2.1 Ujitje",
        decision_number="112",
        decision_date=date(2026, 3, 10),
    )
    assert decision.amount == Decimal("1250000.01")  # ROUND_HALF_UP
    report.refresh_from_db()
    assert report.status == workflow.PLANNED
    (row,) = selectors.priority_list(shkoder)
    assert row.state == "funded" and row.funding == decision
    assert AuditEntry.objects.filter(action="report.fund").exists()


def test_priority_score_shows_its_factors(shkoder, channel_category, categories):
    from sportel.core.models import AdministrativeUnit
    from sportel.reports.models import AreaWeight

    dajc = AdministrativeUnit.objects.get(municipality=shkoder, slug="dajc")
    AreaWeight.objects.create(municipality=shkoder, unit=dajc, weight=Decimal("1.5"))
    place = services.parse_place(shkoder, unit="dajc", lat="41.9826", long="19.4233")
    for n in range(3):
        services.file_report(
            shkoder,
            category=channel_category,
            place=place,
            description="x",
            answers={"channel_type": "primary"},
            email=f"{n}@x.al",
            confirmed=True,
        )
    light = Category.objects.get(municipality=shkoder, code="streetlight-out")
    file_one(shkoder, light, answers={}, lat=Decimal("42.07"), long=Decimal("19.51"))
    Cluster.objects.filter(category=channel_category).update(
        created_at=timezone.now() - timedelta(days=73)
    )
    top, second = selectors.priority_list(shkoder)
    assert top.cluster.category == channel_category
    assert (top.reporters, top.severity, top.age_days, top.age_factor, top.area_weight) == (
        3,
        4,
        73,
        Decimal("1.20"),
        Decimal("1.50"),
    )
    assert top.score == Decimal("21.6")  # 3 × 4 × 1.2 × 1.5
    assert second.score == Decimal("2.0")  # 1 × 2 × 1.00 × 1
    assert [p.cluster for p in selectors.priority_list(shkoder, unit=dajc)] == [top.cluster]


def test_fixing_a_cluster_fixes_its_reports_and_tells_every_voice(
    shkoder, channel_category, specialist
):
    a = file_one(shkoder, channel_category, email="a@x.al")
    file_one(shkoder, channel_category, email="b@x.al", n=1)
    services.add_voice(a.cluster, phone="0691112223")
    count = services.fix_cluster(
        a.cluster, actor=specialist, text="Kanali u pastrua", photo=photo_upload()
    )
    assert count == 2
    cluster = Cluster.objects.get(pk=a.cluster_id)
    assert not cluster.is_open and cluster.fixed_at is not None
    assert Report.objects.filter(status=workflow.FIXED).count() == 2
    assert a.photos.filter(after=True).count() == 1
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert {"a@x.al", "b@x.al", "0691112223"} <= recipients
    (row,) = selectors.priority_list(shkoder)
    assert row.state == "fixed"


def test_history_is_appended_never_edited(shkoder, channel_category, specialist):
    report = file_one(shkoder, channel_category)
    first = list(report.events.values_list("pk", "action", "to_status", "text"))
    actions.perform(report, "start", actor=specialist, text="a")
    actions.perform(report, "plan", actor=specialist, text="b")
    after = list(report.events.values_list("pk", "action", "to_status", "text"))
    assert after[: len(first)] == first
    assert [a for _pk, a, _s, _t in after] == ["file", "start", "plan"]


def test_statistics_feed_has_no_personal_data(shkoder, channel_category):
    from sportel.core.feeds import get_feed, suppressed_rows

    for n in range(6):
        file_one(
            shkoder,
            channel_category,
            email=f"person{n}@x.al",
            n=n,
            description="Call me on 0691234567",
        )
    rows = suppressed_rows(get_feed("reports-per-category-month"), shkoder)
    assert rows[0]["reports"] == 6 and rows[0]["category"] == "irrigation-channel"
    assert "person" not in str(rows) and "069" not in str(rows)
    priorities = suppressed_rows(get_feed("reports-priority-list"), shkoder)
    assert priorities[0]["reporters"] == 6 and priorities[0]["state"] == "open"


def test_screen_panel_lists_the_priorities(shkoder, channel_category):
    from sportel.core.screens import panels

    file_one(shkoder, channel_category)
    (panel,) = [p for p in panels(shkoder) if p.key == "reports-priorities"]
    assert panel.url == "/shkoder/reports/priorities/"
    assert "Kanal vaditës i bllokuar" in panel.rows[0][0]


def test_open311_key_command_prints_the_key_last(shkoder, capsys):
    from django.core.management import call_command

    from sportel.reports.models import Open311Key

    call_command("open311", "add-key", "shkoder", "FixMyStreet", "Shkodër")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("o311_")
    row = Open311Key.objects.get()
    assert row.app_name == "FixMyStreet Shkodër" and row.key_hash == Open311Key.hash(key)
    assert services.key_for(shkoder, key) == row
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("open311", "add-key", "atlantis", "App")


def test_the_catalogue_has_two_levels_and_every_issue_category(shkoder, categories):
    services_ = Category.objects.filter(municipality=shkoder, parent__isnull=False)
    assert all(c.parent.parent_id is None and c.parent_id != c.pk for c in services_)
    groups = set(
        Category.objects.filter(municipality=shkoder, parent__isnull=True).values_list(
            "code", flat=True
        )
    )
    assert groups == {
        "irrigation",
        "roads",
        "lighting",
        "waste",
        "water",
        "public-space",
        "trees",
        "animals",
        "nuisance",
    }
    assert {"irrigation-channel", "drainage-channel", "noise", "stray-dogs"} <= set(
        services_.values_list("code", flat=True)
    )
    assert all(c.name_en for c in Category.objects.filter(municipality=shkoder))
