from django.urls import path

from . import identity_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("after-login/", views.after_login, name="after-login"),
    path("2fa/", views.otp_verify, name="otp"),
    path("unlock/", views.unlock, name="unlock"),
    path("unlock/code/", views.unlock_code, name="unlock-code"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("confirm/email/<str:token>/", views.confirm_email, name="confirm-email"),
    path("confirm/phone/", views.confirm_phone, name="confirm-phone"),
    path("confirm/resend/", views.resend, name="resend"),
    path("profile/", views.profile, name="profile"),
    path("nid/", views.link_nid, name="nid"),
    path("identity/", identity_views.identity_page, name="identity"),
    path("identity/code/", identity_views.identity_code, name="identity-code"),
    path("password/", views.password_change, name="password"),
    path("accesses/", views.accesses, name="accesses"),
]
