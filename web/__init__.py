"""The web side: health check, and later the technicians' and supervisors' pages."""
