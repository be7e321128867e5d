from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse_lazy

from accounts import views
from accounts.forms import ThrottledAuthenticationForm

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(
        authentication_form=ThrottledAuthenticationForm, redirect_authenticated_user=True,
    ), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(
        success_url=reverse_lazy("accounts:password_change_done"),
    ), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", login_not_required(auth_views.PasswordResetView.as_view(
        success_url=reverse_lazy("accounts:password_reset_done"),
        email_template_name="registration/password_reset_email.txt",
    )), name="password_reset"),
    path("password/reset/sent/", login_not_required(auth_views.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", login_not_required(auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )), name="password_reset_confirm"),
    path("password/reset/complete/", login_not_required(auth_views.PasswordResetCompleteView.as_view()), name="password_reset_complete"),
    path("profile/", views.profile, name="profile"),
    path("profile/time-zone/", views.organization_time_zone, name="organization_time_zone"),
    path("notifications/", views.notifications, name="notifications"),
]
