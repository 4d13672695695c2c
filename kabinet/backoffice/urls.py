from django.urls import path

from kabinet.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
]
