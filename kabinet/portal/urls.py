from django.urls import path

from kabinet.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("privacy/", views.privacy, name="privacy"),
]
