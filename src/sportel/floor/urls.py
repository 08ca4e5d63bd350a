"""Floor pages: ``/<municipality_slug>/floor/`` (screens, kiosks, a ticket's page, appointments)
and ``/<municipality_slug>/staff/floor/`` (counter, office status, reports, devices)."""

from django.urls import path

from . import staff_views, views

app_name = "floor"

urlpatterns = [
    path("screen/<str:token>/", views.screen, name="screen"),
    path("screen/<str:token>/state.json", views.screen_state, name="screen-state"),
    path("kiosk/<str:token>/", views.kiosk, name="kiosk"),
    path("kiosk/<str:token>/ticket/", views.kiosk_ticket, name="kiosk-ticket"),
    path(
        "kiosk/<str:token>/tickets/<str:code>/",
        views.kiosk_ticket_print,
        name="kiosk-ticket-print",
    ),
    path("kiosk/<str:token>/check-in/", views.kiosk_check_in, name="kiosk-check-in"),
    path("kiosk/<str:token>/sign-in/", views.kiosk_sign_in, name="kiosk-sign-in"),
    path("kiosk/<str:token>/sign-in/code/", views.kiosk_sign_in_code, name="kiosk-sign-in-code"),
    path("kiosk/<str:token>/sign-in/eid/", views.kiosk_sign_in_eid, name="kiosk-sign-in-eid"),
    path("kiosk/<str:token>/documents/", views.kiosk_documents, name="kiosk-documents"),
    path("kiosk/<str:token>/pay/", views.kiosk_pay, name="kiosk-pay"),
    path("kiosk/<str:token>/finish/", views.kiosk_finish, name="kiosk-finish"),
    path(
        "kiosk/<str:token>/pay/<str:checkout>/receipt/",
        views.kiosk_pay_receipt,
        name="kiosk-pay-receipt",
    ),
    path("tickets/<str:code>/", views.ticket_page, name="ticket"),
    path("join/", views.join, name="join"),
    path("sms/inbound/", views.sms_inbound, name="sms-inbound"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/<str:code>/cancel/", views.cancel_appointment, name="cancel-appointment"),
]

# The kiosk's eID sign-in comes back to one address for every kiosk (the one registered at the
# provider), outside the language prefix: ``/oidc/kiosk/`` (floor/kiosk_eid.py).
eid_urlpatterns = (
    [
        path("callback/", views.eid_callback, name="callback"),
        path("logged-out/", views.eid_logged_out, name="logged-out"),
    ],
    "floor-eid",
)

staff_urlpatterns = (
    [
        path("counter/", staff_views.counter, name="counter"),
        path("counter/sign-in/", staff_views.sign_in, name="sign-in"),
        path("counter/sign-out/", staff_views.sign_out, name="sign-out"),
        path("counter/call-next/", staff_views.call_next, name="call-next"),
        path("counter/reception/", staff_views.reception, name="reception"),
        path(
            "counter/tickets/<int:pk>/<slug:action>/",
            staff_views.ticket_action,
            name="ticket-action",
        ),
        path("offices/", staff_views.offices, name="offices"),
        path("offices/<slug:office>/", staff_views.office_status, name="office-status"),
        path("report.<str:fmt>", staff_views.report, name="report"),
        path("devices/", staff_views.devices, name="devices"),
        path("devices/<int:pk>/revoke/", staff_views.revoke_device, name="revoke-device"),
        path("configure/", staff_views.configure_offices, name="configure"),
        path("configure/<slug:office>/", staff_views.configure_office, name="configure-office"),
        path(
            "configure/<slug:office>/queues/new/",
            staff_views.configure_category,
            name="configure-new-category",
        ),
        path(
            "configure/<slug:office>/queues/<int:pk>/",
            staff_views.configure_category,
            name="configure-category",
        ),
        path(
            "configure/<slug:office>/counters/new/",
            staff_views.configure_counter,
            name="configure-new-counter",
        ),
        path(
            "configure/<slug:office>/counters/<int:pk>/",
            staff_views.configure_counter,
            name="configure-counter",
        ),
    ],
    "floor-staff",
)
