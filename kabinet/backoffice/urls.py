from django.urls import path

from kabinet.backoffice import appeals_views, views

app_name = "backoffice"
urlpatterns = [
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("appeals/<int:appeal_id>/", appeals_views.appeal, name="appeal"),
    path(
        "appeals/<int:appeal_id>/files/<int:attachment_id>/",
        appeals_views.appeal_attachment,
        name="appeal_attachment",
    ),
]
