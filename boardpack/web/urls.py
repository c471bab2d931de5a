"""The web front's addresses."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from boardpack.web import clerk_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(extra_context={"provider": settings.OIDC_ENABLED}),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("papers/<int:pk>/", views.paper_page, name="paper"),
    path("papers/<int:pk>/starter.xlsx", views.starter, name="starter"),
    path("papers/<int:pk>/upload", views.upload, name="upload"),
    path("papers/<int:pk>/problems.xlsx", views.annotated, name="uploaded"),
    path("papers/<int:pk>/preview.pdf", views.preview, name="preview"),
    path("papers/<int:pk>/submit", views.submit, name="submit"),
    path("papers/<int:pk>/decide", views.decide, name="decide"),
    path("meetings/<int:pk>/", views.meeting_page, name="meeting"),
    path("meetings/<int:pk>/build", views.build_pack, name="build"),
    path("meetings/<int:pk>/pack.pdf", views.pack_pdf, name="pack"),
    path("meetings/<int:pk>/archive", views.archive, name="archive"),
    path("boards/<int:pk>/meetings/new", clerk_views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/edit", clerk_views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/papers/new", clerk_views.paper_new, name="paper_new"),
    path("meetings/<int:pk>/agenda", clerk_views.agenda, name="agenda"),
    path("meetings/<int:pk>/send", clerk_views.send, name="send"),
    path("meetings/<int:pk>/drafts.zip", clerk_views.drafts, name="drafts"),
    path("papers/<int:pk>/edit", clerk_views.paper_edit, name="paper_edit"),
    path("admin/", admin.site.urls),
]
if settings.OIDC_ENABLED:  # the code flow's start and callback: /oidc/authenticate/, /callback/
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
handler404 = "boardpack.web.views.page_not_found"
