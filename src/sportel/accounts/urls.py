from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("after-login/", views.after_login, name="after-login"),
    path("2fa/", views.otp_verify, name="otp"),
]
