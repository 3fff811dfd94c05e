"""The operator web page: static HTML, CSS and JavaScript that read the fleet JSON API."""

from fleet.web.static_files import mount_operator_page, static_directory

__all__ = ["mount_operator_page", "static_directory"]
