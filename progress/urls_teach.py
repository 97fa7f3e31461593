"""The instructor area, under /teach/."""

urlpatterns = []
